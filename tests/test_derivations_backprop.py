"""The BackProp chapter's derivations: asserted, and shown to fail on broken formulas."""

import numpy as np
import pytest
import sympy as sp

from lecturenn.derivations import backprop as D


def test_activation_and_loss_derivatives():
    assert D.check_sigmoid_derivative()
    assert D.check_tanh_derivative()
    assert D.check_sigmoid_via_tanh()
    assert D.check_sigmoid_stable_form()
    assert all(D.check_relu_family_derivatives().values())
    for name in D.loss_expressions():
        assert D.check_loss_derivative(name), name
    assert D.check_softmax_cross_entropy_gradient(4)


def test_hinge_check_covers_both_labels():
    """A claim right only for y = +1 must fail: the check also looks at y = -1."""
    a, y = D.a_sym, D.y_sym
    right_for_plus_one = -sp.Heaviside(1 - a * y)  # the true derivative is -y [a y < 1]
    assert right_for_plus_one.subs(y, 1) == D.loss_expressions()["hinge"]["claimed"].subs(y, 1)
    assert not D.check_loss_derivative("hinge", claimed=right_for_plus_one)


def test_softmax_check_covers_every_label():
    """A claim right only for the label y = 0 must fail: the check runs over every label."""

    def right_for_label_0(p, m, label):
        return p[m] - (1 if m == 0 else 0)

    assert not D.check_softmax_cross_entropy_gradient(3, claimed=right_for_label_0)


def test_backprop_recurrence_for_any_activation_and_loss():
    net = D.symbolic_network((2, 3, 2))
    assert len(net.weights) == 3 * 3 + 4 * 2
    assert net.W[0].shape == (3, 3) and net.W[1].shape == (4, 2)
    assert D.check_backprop_recurrence(net)


def test_backprop_recurrence_three_layers():
    assert D.check_backprop_recurrence(D.symbolic_network((2, 2, 2, 1)))


def test_concrete_network_recurrence():
    assert D.check_backprop_recurrence(D.concrete_network((2, 3, 2)))


def test_broken_recurrences_fail(monkeypatch):
    net = D.symbolic_network((2, 3, 2))
    # a sign flip in one weight of the recurrence
    orig = D.recurrence_gradient

    def flipped(n, **kw):
        g = orig(n, **kw)
        w = n.W[0][1, 0]
        g[w] = -g[w]
        return g

    monkeypatch.setattr(D, "recurrence_gradient", flipped)
    assert not D.check_backprop_recurrence(net)


def test_wrong_backward_recurrence_fails():
    """The recurrence itself broken, not only one final gradient: each wrong summand fails."""
    net = D.symbolic_network((2, 3, 2))
    assert D.check_backprop_recurrence(net, backward_term=lambda e, z, w: e * z * w)
    assert not D.check_backprop_recurrence(net, backward_term=lambda e, z, w: e * w)  # z forgotten
    assert not D.check_backprop_recurrence(net, backward_term=lambda e, z, w: e * z)  # w forgotten
    assert not D.check_backprop_recurrence(net, backward_term=lambda e, z, w: -e * z * w)
    deep = D.symbolic_network((2, 2, 2, 1))
    assert not D.check_backprop_recurrence(deep, backward_term=lambda e, z, w: e * w)
    # the concrete sigmoid/tanh network too (its activations are not undefined functions)
    assert not D.check_backprop_recurrence(D.concrete_network((2, 3, 2)),
                                           backward_term=lambda e, z, w: e * w)


def test_wrong_recurrence_fails_also_without_the_numeric_counterexample(monkeypatch):
    """The simplify path alone (no counterexample found) also rejects z forgotten."""
    monkeypatch.setattr(D, "_numeric_value", lambda expr, seed=0: None)
    net = D.symbolic_network((1, 1, 1))
    assert D.check_backprop_recurrence(net)
    assert not D.check_backprop_recurrence(net, backward_term=lambda e, z, w: e * w)


def test_numeric_value_is_a_counterexample_only_when_nonzero():
    x = sp.Symbol("x", real=True)
    f = sp.Function("f")
    assert D._numeric_value(sp.Integer(0)) == 0
    assert abs(D._numeric_value(f(x) ** 2 + 1)) >= 1          # f real: never 0
    assert abs(D._numeric_value(sp.diff(f(x) ** 2, x) - 2 * f(x) * sp.diff(f(x), x))) < 1e-12
    assert abs(D._numeric_value(sp.diff(f(x) ** 2, x) - f(x) * sp.diff(f(x), x))) > 1e-8


def test_matrix_form_of_the_slide():
    """Erratum: x^l = sigma(W^l x^{l-1}) needs the transpose for W^l of shape (H_{l-1}+1) x H_l."""
    for H_prev, H in [(2, 3), (2, 2), (4, 2)]:
        res = D.check_matrix_form(H_prev, H)
        assert res["W^T x equals S"]
        assert not res["W x equals S"]
    assert not D.check_matrix_form(2, 2)["W x defined"]


def test_lambdified_gradient_matches_lecturenn():
    assert D.compare_with_lecturenn(n_points=5, seed=0) < 1e-10
    assert D.compare_with_lecturenn(n_points=2, seed=1, sizes=(3, 2, 2, 1)) < 1e-10


def test_compare_with_lecturenn_reports_a_one_percent_error(monkeypatch):
    """A gradient 1% off (dQ/da scaled by 1.01, so every weight gradient too) gives 0.01."""
    from lecturenn.losses import SquaredError

    orig = SquaredError.value_and_grad

    def one_percent_off(self, a, y):
        v, g = orig(self, a, y)
        return v, 1.01 * g

    monkeypatch.setattr(SquaredError, "value_and_grad", one_percent_off)
    assert D.compare_with_lecturenn(n_points=2, seed=0) == pytest.approx(0.01, rel=1e-6)


def test_lambdified_direct_and_recurrence_agree_and_detect_a_perturbation():
    sym = D.concrete_network((2, 3, 2))
    direct = D.lambdify_gradient(sym, "direct")
    rec = D.lambdify_gradient(sym, "recurrence")
    rng = np.random.default_rng(0)
    Ws = [rng.normal(size=(3, 3)), rng.normal(size=(4, 2))]
    x, y = rng.normal(size=2), rng.normal(size=2)
    for a, b in zip(direct(x, y, Ws), rec(x, y, Ws), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # lecturenn with one weight perturbed no longer matches the symbolic gradient
    from lecturenn.layers import Dense
    from lecturenn.network import Network

    layers = [Dense(2, 3, "sigmoid", W=Ws[0]), Dense(3, 2, "tanh", W=Ws[1])]
    net = Network(layers)
    net.loss_and_grad(x[None], y[None], "squared")
    ref = direct(x, y, Ws)
    np.testing.assert_allclose(layers[0].W.grad, ref[0], rtol=1e-10)
    layers[1].W.data[2, 1] += 1e-3
    net.loss_and_grad(x[None], y[None], "squared")
    assert not np.allclose(layers[0].W.grad, ref[0], rtol=1e-10, atol=0)


def test_cost_counts_symbolic_and_measured():
    H0, H1, H2 = sp.symbols("H_0:3", positive=True, integer=True)
    assert sp.expand(D.dim_w(2) - ((H0 + 1) * H1 + (H1 + 1) * H2)) == 0
    bp = D.backprop_cost(2)
    assert sp.expand(bp["total"] - (2 * D.dim_w(2) + H1 + H2 + H1 * H2)) == 0
    # finite_difference_cost is *defined* as 2 dim^2 w (2 dim w passes of dim w each); what
    # carries the claim is the scalar algorithm with a counter on every multiply-add below
    for sizes in [(2, 3, 2), (3, 1, 4), (2, 4, 3, 2), (1, 1)]:
        n_bp, g_bp = D.count_backprop_ops(sizes, seed=1)
        n_fd, g_fd = D.count_finite_difference_ops(sizes, seed=1)
        assert n_bp == int(D.backprop_cost(list(sizes))["total"])
        assert n_fd == 2 * int(D.dim_w(list(sizes))) ** 2
        assert n_fd == int(D.finite_difference_cost(list(sizes))["total"])
        for a, b in zip(g_bp, g_fd, strict=True):  # both counted computations are right
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


def test_function_calls_are_one_activation_per_neuron_and_one_loss_term_per_output():
    """sum_l H_l activations plus H_L loss terms; finite differences make that many calls in
    each of their 2 dim w forward passes."""
    H = sp.symbols("H_0:3", positive=True, integer=True)
    bp = D.backprop_cost(2)
    assert sp.expand(bp["function calls"] - (H[1] + H[2] + H[2])) == 0
    assert D.backprop_cost([2, 3, 2])["function calls"] == 3 + 2 + 2
    fd = D.finite_difference_cost(2)
    assert sp.expand(fd["function calls"] - fd["forward passes"] * bp["function calls"]) == 0


def test_backprop_cost_is_exactly_3_dim_w_minus_h0_h1():
    for L in range(1, 5):
        assert D.check_backprop_cost_identity(L)
    # and for concrete widths, against the scalar algorithm with a counter
    for sizes in [(2, 3, 2), (3, 1, 4), (2, 4, 3, 2), (1, 1)]:
        n_bp, _ = D.count_backprop_ops(sizes, seed=0)
        assert n_bp == 3 * int(D.dim_w(list(sizes))) - sizes[0] * sizes[1]
    # wrong counts fail: the bound 3 dim w itself, the wrong layer's product, no eps*z products
    assert not D.check_backprop_cost_identity(2, claimed=lambda H, dw: 3 * dw)
    assert not D.check_backprop_cost_identity(3, claimed=lambda H, dw: 3 * dw - H[1] * H[2])
    assert not D.check_backprop_cost_identity(
        2, claimed=lambda H, dw: 2 * dw + H[0] * H[1] + H[1] * H[2])


def test_cost_orders():
    orders = D.cost_orders(2)
    ratio = orders["backprop / dim w"]
    assert ratio.is_finite
    c = sp.symbols("c_0:3", positive=True)
    expected = (2 * c[0] * c[1] + 3 * c[1] * c[2]) / (c[0] * c[1] + c[1] * c[2])
    assert sp.simplify(ratio - expected) == 0
    assert sp.simplify(3 - ratio).is_positive  # backprop costs at most 3 dim w as dims grow
    assert orders["finite differences / dim w"] == sp.oo
    # = 2 by the definition of finite_difference_cost; the counter carries the claim
    # (test_cost_counts_symbolic_and_measured)
    assert orders["finite differences / dim^2 w"] == 2
    assert D.cost_orders(3)["finite differences / dim^2 w"] == 2


@pytest.mark.parametrize("bad", [lambda s: s * (1 + s), lambda s: s])
def test_wrong_sigmoid_derivatives_fail(bad):
    assert not D.check_sigmoid_derivative(bad)
