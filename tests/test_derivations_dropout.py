"""The dropout chapter's SymPy derivations: they hold, they match the numeric code, they fail
when the formula is broken. Monte-Carlo checks use a tolerance of 5 standard errors, over
several seeds."""

import numpy as np
import pytest
import sympy as sp

from lecturenn.derivations import dropout as D
from lecturenn.dropout import Dropout
from lecturenn.layers import Dense
from lecturenn.losses import SquaredError
from lecturenn.network import Network


def test_is_zero_can_fail():
    x = sp.Symbol("x")
    assert D.is_zero((x + 1) ** 2 - x**2 - 2 * x - 1)
    assert not D.is_zero((x + 1) ** 2 - x**2 - 1)


# ------------------------------------------------------------------------------ moments


def test_inverted_mean():
    r = D.mask_moments()
    assert r["scale_gives_mean_1"] and r["inverted_variance"] and r["variance_unbounded"]
    assert D.is_zero(r["Var_inverted"] - D.p / (1 - D.p))
    assert D.check_inverted_mean() is True


def test_original_form_application_is_the_mean():
    r = D.mask_moments()
    assert r["original_mean_is_1_minus_p"] and r["original_variance"]
    assert D.check_original_application() is True


@pytest.mark.parametrize("wrong", [1 / D.p, 1 - D.p, 1 / (1 - D.p) ** 2, sp.Integer(2)])
def test_a_wrong_inverted_scale_fails(wrong):
    assert not D.mask_moments(wrong)["scale_gives_mean_1"]


@pytest.mark.parametrize("inverted", [True, False])
def test_layer_moments_by_enumeration(inverted):
    r = D.layer_moments(3, inverted=inverted)
    assert r["mean_is_application"] and r["variance_is_sum"]
    assert D.check_layer_mean() is True


@pytest.mark.parametrize("seed", range(4))
def test_layer_moments_against_the_layer_by_monte_carlo(seed):
    """The mean and variance of S = w . (m x) from the Dropout layer's own masks match the
    derived ones (5 standard errors; the variance's standard error from the fourth moment)."""
    p, k = 0.3, 200_000
    rng = np.random.default_rng(seed)
    w, x = rng.normal(size=4), rng.normal(size=4)
    S = Dropout(4, p, rng=seed).forward(np.tile(x, (k, 1)), train=True) @ w
    r = D.layer_moments(4)
    subs = {**{sp.Symbol(f"w{i + 1}", real=True): w[i] for i in range(4)},
            **{sp.Symbol(f"x{i + 1}", real=True): x[i] for i in range(4)}, D.p: p}
    mean, var = float(r["mean"].subs(subs)), float(r["variance"].subs(subs))
    assert abs(S.mean() - mean) < 5 * np.sqrt(var / k)
    se_var = np.sqrt((np.mean((S - S.mean()) ** 4) - S.var() ** 2) / k)
    assert abs(S.var() - var) < 5 * se_var


def test_nonlinear_gap_is_half_curvature_times_variance():
    r = D.nonlinear_gap(2)
    assert r["first_order_vanishes"] and r["second_order_is_half_curvature_times_variance"]
    assert r["remainder_is_third_order"] and r["third_order_nonzero"]
    assert r["third_order_vanishes_at_p_half"] and r["exact_for_linear"]
    assert D.check_nonlinear_gap() is True


@pytest.mark.parametrize("seed", range(3))
def test_nonlinear_gap_numerically_for_tanh(seed):
    """E tanh(a + t c.m) - tanh(a + t c.1) over all masks, against (1/2) tanh''(Sbar) V:
    the error of the formula shrinks like t^3 (halving t divides it by about 8)."""
    rng = np.random.default_rng(seed)
    a, c, p = rng.normal(), rng.normal(size=3), 0.3
    masks = np.array(np.meshgrid(*[[0, 1]] * 3)).reshape(3, -1).T
    probs = np.prod(np.where(masks, 1 - p, p), axis=1)

    def err(t):
        S = a + t * (masks / (1 - p)) @ c
        Sbar = a + t * c.sum()
        V = t**2 * p / (1 - p) * np.sum(c**2)
        curv = -2 * np.tanh(Sbar) * (1 - np.tanh(Sbar) ** 2)
        return probs @ np.tanh(S) - np.tanh(Sbar) - curv * V / 2, curv * V / 2

    e1, gap1 = err(0.004)
    e2, _ = err(0.002)
    assert abs(e1) < 0.05 * abs(gap1)        # the curvature term explains the gap
    assert 6 < abs(e1 / e2) < 10             # and what is left is third order


# ------------------------------------------------------------------------------ gradient


def test_thinned_gradient_and_the_slides_combined_step():
    r = D.thinned_gradient()
    assert r["backprop_through_masks"] and r["dropped_unit_zeroes_in_and_out"]
    assert r["slide_reading_fails"] and r["scalar_mask_on_all_weights_fails"]
    assert D.check_thinned_gradient() is True
    assert D.check_slide_combined_step_fails() is True


def test_a_backprop_that_forgets_the_mask_fails():
    assert not D.thinned_gradient(mask_in_backward=False)["backprop_through_masks"]


@pytest.mark.parametrize("seed", range(3))
def test_symbolic_thinned_gradient_equals_the_network(seed):
    """The SymPy gradient of the 2-2-1 thinned network (sigma = tanh) at random weights equals
    lecturenn's BackProp with the same fixed mask (float64, rtol 1e-12)."""
    r = D.thinned_gradient()
    rng = np.random.default_rng(seed)
    d1 = Dense(2, 2, "tanh", rng=rng)
    d2 = Dense(2, 1, "identity", rng=rng)
    xi = rng.random(2) > 0.5
    p = 0.4
    net = Network([d1, Dropout(2, p).set_mask(xi), d2]).train()
    x, y = rng.normal(size=(1, 2)), rng.normal(size=(1, 1))
    net.loss_and_grad(x, y, SquaredError())
    subs = {sp.Symbol("x1", real=True): x[0, 0], sp.Symbol("x2", real=True): x[0, 1],
            sp.Symbol("y", real=True): y[0, 0],
            sp.Symbol("m1", real=True): xi[0] / (1 - p),
            sp.Symbol("m2", real=True): xi[1] / (1 - p)}
    for k in range(3):
        for h in range(2):
            subs[sp.Symbol(f"w1_{k}{h + 1}", real=True)] = d1.W.data[k, h]
        subs[sp.Symbol(f"w2_{k}1", real=True)] = d2.W.data[k, 0]
    sigma = sp.Function("sigma")
    for sym, g in r["direct"].items():
        name = sym.name
        value = float(g.replace(sigma, sp.tanh).doit().subs(subs))
        layer, kh = name.split("_")
        ours = (d1 if layer == "w1" else d2).W.grad[int(kh[0]), int(kh[1]) - 1]
        assert ours == pytest.approx(value, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------- linear regression


def test_linear_regression_penalty_both_forms():
    r = D.dropout_linear_regression()
    for key in ("original_form", "inverted_form", "srivastava_form",
                "forms_related_by_scaling", "ridge_minimizer"):
        assert r[key], key
    assert D.check_linear_regression_penalty() is True


def _sq(v):
    return sp.expand((v.T * v)[0, 0])


@pytest.mark.parametrize("wrong", [
    # the penalty without Gamma (plain ridge)
    lambda X, y, w: _sq(y - X * w) + D.p / (1 - D.p) * _sq(w),
    # Srivastava's keep-probability formula with the lecture's p plugged in unchanged
    lambda X, y, w: _sq(y - X * w) + D.p * (1 - D.p) * sum(
        (X.T * X)[j, j] * w[j] ** 2 for j in range(w.shape[0])),
    # no penalty at all
    lambda X, y, w: _sq(y - X * w),
])
def test_a_wrong_penalty_fails(wrong):
    assert not D.dropout_linear_regression(claimed_inverted=wrong)["inverted_form"]


def test_the_original_form_with_keep_and_drop_confused_fails():
    def wrong(X, y, w):  # ||y - p X w||^2 + p(1-p)||Gamma w||^2 with the lecture's (drop) p
        G = sum((X.T * X)[j, j] * w[j] ** 2 for j in range(w.shape[0]))
        return _sq(y - D.p * X * w) + D.p * (1 - D.p) * G

    assert not D.dropout_linear_regression(claimed_original=wrong)["original_form"]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("inverted", [True, False])
def test_linear_regression_penalty_by_monte_carlo(seed, inverted):
    """The mean squared loss over sampled input masks (the Dropout layer's own) against the
    closed form, within 5 standard errors of the Monte-Carlo mean."""
    rng = np.random.default_rng(seed)
    n, d, p, k = 6, 3, 0.3, 20_000
    X, y, w = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    layer = Dropout(d, p, inverted=inverted, rng=seed)
    Xt = np.tile(X, (k, 1))  # k copies of the data set, one mask per entry
    res = (layer.forward(Xt, train=True) @ w - np.tile(y, k)).reshape(k, n)
    losses = np.sum(res**2, axis=1)
    G2 = np.sum(X**2, axis=0)
    if inverted:
        closed = np.sum((y - X @ w) ** 2) + p / (1 - p) * np.sum(G2 * w**2)
    else:
        closed = np.sum((y - (1 - p) * X @ w) ** 2) + p * (1 - p) * np.sum(G2 * w**2)
    se = losses.std(ddof=1) / np.sqrt(k)
    assert abs(losses.mean() - closed) < 5 * se
    # the same data without the penalty is far off (the check can fail)
    assert abs(losses.mean() - np.sum((y - X @ w) ** 2)) > 5 * se


# ---------------------------------------------------------------------- the 2^N networks


@pytest.mark.parametrize("inverted", [True, False])
def test_weight_scaling_is_the_geometric_mean(inverted):
    r = D.weight_scaling_geometric_mean(3, 3, inverted=inverted)
    for key in ("probabilities_sum_to_1", "log_ratios_equal", "numeric_equal",
                "arithmetic_differs", "equal_weights_fail_for_p_not_half",
                "equal_weights_hold_at_p_half", "nonlinear_between_fails"):
        assert r[key], key
    np.testing.assert_allclose(r["geometric"], r["weight_scaling"], rtol=1e-12)


def test_weight_scaling_check_for_the_ledger():
    assert D.check_weight_scaling_geometric_mean() is True
