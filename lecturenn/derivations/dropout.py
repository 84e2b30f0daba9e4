r"""Derivations of the dropout chapter, in SymPy; the tests assert them, the notebook shows them.

Every function returns a dict of SymPy expressions and Boolean checks (a check is ``True`` only
if SymPy reduced the claimed identity to zero, or found the counterexample it claims), or,
for the names ``check_*``, exactly ``True`` when the claim holds (the verification ledger
runs those). :math:`p` is always the probability to **drop** a unit, as on the slides
(Srivastava et al. 2014 write :math:`p` for the probability to keep; their formulas are
recovered with :math:`p \to 1-p`).

* :func:`mask_moments`: :math:`\xi \sim \text{Bernoulli}(1-p)`; :math:`\mathbb{E}\,\xi = 1-p`
  (the application step of the original form), :math:`\mathbb{E}[\xi/(1-p)] = 1` (the
  inverted form), and the variances :math:`p(1-p)` and :math:`p/(1-p)`, the latter unbounded
  as :math:`p \to 1`.
* :func:`layer_moments`: the weighted sum :math:`S = \sum_k w_k m_k x_k` of a layer after a
  dropped one has the application-time value as its mean, in both forms, exactly (all
  :math:`2^n` masks enumerated), and the variance :math:`\frac{p}{1-p}\sum_k w_k^2x_k^2`.
* :func:`nonlinear_gap`: for an arbitrary smooth :math:`\sigma`,
  :math:`\mathbb{E}\,\sigma(S) = \sigma(\mathbb{E}S)
  + \tfrac12\sigma''(\mathbb{E}S)\operatorname{Var}S + O(t^3)`: the mean is exact after a
  linear layer only; the second-order term is Wager, Wang and Liang's (2013) quadratic
  approximation of the dropout regularizer.
* :func:`thinned_gradient`: the gradient of the loss of a thinned network, by BackProp
  through the masks, against direct differentiation; a dropped unit's incoming **and**
  outgoing weights get zero gradient; the slide's combined step, read literally, fails.
* :func:`dropout_linear_regression`: for linear regression with dropout on the inputs the
  expected squared loss is the loss of the scaled model plus an adaptive :math:`L_2` penalty
  (Srivastava et al. 2014, §9.1), in the lecture's convention, both forms; and the
  minimizer is a ridge regression with :math:`\Gamma^2 = \operatorname{diag}(X^\top X)`.
* :func:`weight_scaling_geometric_mean`: for a softmax layer on one dropped layer, the
  weight scaling rule gives exactly the normalised geometric mean of the :math:`2^N` thinned
  networks, weighted by their probabilities; not the arithmetic mean, and not any more
  with a nonlinearity between two dropped layers.

That the two forms are one model up to scaling the next layer's weights by :math:`1-p` is
algebra (:math:`w' = (1-p)w` gives :math:`w'\xi s/(1-p) = w\xi s`), not a derivation that
could fail; it is checked on the package's networks
(``tests/test_dropout.py::test_the_two_forms_are_one_model_up_to_scaling_the_next_layer``).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import sympy as sp
from sympy.stats import Bernoulli, variance
from sympy.stats import E as expectation

__all__ = [
    "p",
    "is_zero",
    "mask_moments",
    "layer_moments",
    "nonlinear_gap",
    "thinned_gradient",
    "dropout_linear_regression",
    "weight_scaling_geometric_mean",
    "check_inverted_mean",
    "check_original_application",
    "check_layer_mean",
    "check_nonlinear_gap",
    "check_thinned_gradient",
    "check_slide_combined_step_fails",
    "check_linear_regression_penalty",
    "check_weight_scaling_geometric_mean",
]

#: the probability to drop a unit, :math:`0 < p < 1`
p = sp.Symbol("p", positive=True)
_q = 1 - p  # the probability to keep


def is_zero(expr) -> bool:
    """True iff SymPy simplifies ``expr`` to exactly zero."""
    return sp.simplify(sp.expand(expr)) == 0


def _multiplier(xi, inverted: bool):
    return xi / _q if inverted else xi


def _masks(n: int):
    """All masks of n units with their probabilities (0 = dropped)."""
    for xi in itertools.product((0, 1), repeat=n):
        kept = sum(xi)
        yield xi, _q**kept * p ** (n - kept)


# ------------------------------------------------------------------------------- moments


def mask_moments(scale=None) -> dict:
    r"""Moments of the mask :math:`\xi \sim \text{Bernoulli}(1-p)` and of :math:`m = c\,\xi`.

    :math:`c` is ``scale``.

    Parameters
    ----------
    scale : SymPy expression, optional
        The factor of the inverted form to check, :math:`1/(1-p)` by default (a test passes a
        wrong one, e.g. :math:`1/p`, and sees ``"scale_gives_mean_1"`` fail).

    Returns
    -------
    dict
        ``"E_xi"``, ``"Var_xi"`` (SymPy's ``sympy.stats`` of the Bernoulli variable);
        ``"E_inverted"``, ``"Var_inverted"`` of :math:`m = \text{scale}\cdot\xi`; checks
        ``"original_mean_is_1_minus_p"`` (so the slide's application step
        :math:`(1-p)\sigma` is the mean of the training output), ``"scale_gives_mean_1"``
        (so the inverted form needs nothing at application), ``"original_variance"``
        (:math:`p(1-p)`), ``"inverted_variance"`` (:math:`p/(1-p)`) and
        ``"variance_unbounded"`` (:math:`p/(1-p) \to \infty` as :math:`p \to 1^-`).
    """
    scale = 1 / _q if scale is None else sp.sympify(scale)
    xi = Bernoulli("xi", _q)
    E_xi, V_xi = sp.simplify(expectation(xi)), sp.simplify(variance(xi))
    E_m, V_m = sp.simplify(expectation(scale * xi)), sp.simplify(variance(scale * xi))
    return {
        "E_xi": E_xi,
        "Var_xi": V_xi,
        "E_inverted": E_m,
        "Var_inverted": V_m,
        "original_mean_is_1_minus_p": is_zero(E_xi - _q),
        "scale_gives_mean_1": is_zero(E_m - 1),
        "original_variance": is_zero(V_xi - p * _q),
        "inverted_variance": is_zero(V_m - p / _q),
        "variance_unbounded": sp.limit(p / _q, p, 1, "-") == sp.oo,
    }


def layer_moments(n: int = 3, inverted: bool = True) -> dict:
    r"""Mean and variance of :math:`S = \sum_{k=1}^n w_k m_k x_k` over all :math:`2^n` masks.

    The units :math:`x_k` of a dropped layer feed a weighted sum (the next layer's
    :math:`S`). Enumerating the masks (not using linearity of the expectation) gives the
    mean, to compare with the application-time sum :math:`\sum_k w_k\,\mathbb{E}[m]\,x_k`,
    and the variance, to compare with :math:`\operatorname{Var}m\,\sum_k w_k^2x_k^2`.

    Returns
    -------
    dict
        ``"mean"``, ``"variance"`` (SymPy), ``"application"`` (the application-time sum) and
        the checks ``"mean_is_application"`` and ``"variance_is_sum"``.
    """
    w = sp.symbols(f"w1:{n + 1}", real=True)
    x = sp.symbols(f"x1:{n + 1}", real=True)
    mean = sp.Integer(0)
    second = sp.Integer(0)
    for xi, pr in _masks(n):
        S = sum(wk * _multiplier(s, inverted) * xk for wk, s, xk in zip(w, xi, x, strict=True))
        mean += pr * S
        second += pr * S**2
    mean = sp.factor(sp.simplify(mean))
    var = sp.factor(sp.simplify(second - mean**2))
    app_scale = 1 if inverted else _q
    var_m = p / _q if inverted else p * _q
    application = app_scale * sum(wk * xk for wk, xk in zip(w, x, strict=True))
    return {
        "mean": mean,
        "variance": var,
        "application": application,
        "mean_is_application": is_zero(mean - application),
        "variance_is_sum": is_zero(
            var - var_m * sum(wk**2 * xk**2 for wk, xk in zip(w, x, strict=True))),
    }


def nonlinear_gap(n: int = 2, order: int = 3) -> dict:
    r"""How far :math:`\mathbb{E}\,\sigma(S)` is from :math:`\sigma(\mathbb{E}S)` (inverted form).

    :math:`S = a + t\sum_{k=1}^n w_k m_k x_k` with :math:`m_k = \xi_k/(1-p)`: ``t`` scales the
    dropped part, so powers of :math:`t` separate the orders. With
    :math:`\bar S = \mathbb{E}S = a + t\sum_k w_kx_k` and
    :math:`V = \operatorname{Var}S = t^2\frac{p}{1-p}\sum_k w_k^2x_k^2`, the claim is

    .. math::

        \mathbb{E}\,\sigma(S) = \sigma(\bar S) + \tfrac12\sigma''(\bar S)\,V + O(t^3),

    so the application-time output :math:`\sigma(\bar S)` is the mean of the training output
    only when :math:`\sigma'' = 0`, i.e. for a linear :math:`\sigma`. Checked for an
    **arbitrary** smooth :math:`\sigma`: its Taylor polynomial at :math:`a` with arbitrary
    coefficients :math:`\sigma^{(r)}(a)` (symbols), all :math:`2^n` masks enumerated.

    Parameters
    ----------
    n : int, optional
        Units dropped.
    order : int, optional
        The order of the remainder claimed (3): the Taylor polynomial has degree ``order``.

    Returns
    -------
    dict
        ``"second_order_term"``: the :math:`t^2` coefficient of
        :math:`\mathbb{E}\sigma(S) - \sigma(\bar S)`; ``"third_order_term"``: what is left at
        :math:`t^3` after the curvature term; checks ``"first_order_vanishes"`` (no
        :math:`t^0, t^1` terms: the mean is right to first order),
        ``"second_order_is_half_curvature_times_variance"`` (the displayed formula),
        ``"remainder_is_third_order"`` (after subtracting :math:`\frac12\sigma''(\bar S)V`
        nothing below :math:`t^3` is left), ``"third_order_nonzero"`` (and the :math:`t^3`
        term is not zero: the formula is an approximation; it carries the factor
        :math:`2p-1`, the third central moment of :math:`\xi`, so at :math:`p = 1/2` the error
        is of fourth order: ``"third_order_vanishes_at_p_half"``) and ``"exact_for_linear"`` (with
        :math:`\sigma(s) = \alpha s + \beta` the gap is identically zero, no truncation).
    """
    t, a = sp.symbols("t a", real=True)
    w = sp.symbols(f"w1:{n + 1}", real=True)
    x = sp.symbols(f"x1:{n + 1}", real=True)
    d = sp.symbols(f"sigma_0:{order + 2}", real=True)  # the derivatives sigma^(r)(a)

    def taylor(s, deg=order + 1):  # sigma(s) around a, to degree deg
        return sum(d[r] * (s - a) ** r / sp.factorial(r) for r in range(deg + 1))

    def taylor2(s):  # sigma''(s) around a
        return sum(d[r + 2] * (s - a) ** r / sp.factorial(r) for r in range(order))

    c = [wk * xk for wk, xk in zip(w, x, strict=True)]
    Sbar = a + t * sum(c)
    V = t**2 * p / _q * sum(ck**2 for ck in c)

    def expected(func):
        tot = sp.Integer(0)
        for xi, pr in _masks(n):
            tot += pr * func(a + t * sum(ck * (s / _q) for ck, s in zip(c, xi, strict=True)))
        return tot

    poly = sp.Poly(sp.expand(sp.simplify(expected(taylor) - taylor(Sbar))), t)
    coeff = [sp.factor(poly.coeff_monomial(t**r)) for r in range(order + 2)]
    rest = sp.Poly(sp.expand(sp.simplify(expected(taylor) - taylor(Sbar) - taylor2(Sbar) * V / 2)),
                   t)
    rcoeff = [sp.factor(rest.coeff_monomial(t**r)) for r in range(order + 1)]
    claimed2 = d[2] / 2 * p / _q * sum(ck**2 for ck in c)
    alpha, beta = sp.symbols("alpha beta", real=True)
    lin_gap = sp.simplify(expected(lambda s: alpha * s + beta) - (alpha * Sbar + beta))
    return {
        "second_order_term": coeff[2],
        "third_order_term": rcoeff[3],
        "first_order_vanishes": is_zero(coeff[0]) and is_zero(coeff[1]),
        "second_order_is_half_curvature_times_variance": is_zero(coeff[2] - claimed2),
        "remainder_is_third_order": all(is_zero(rcoeff[r]) for r in range(3)),
        "third_order_nonzero": not is_zero(rcoeff[3]),
        "third_order_vanishes_at_p_half": is_zero(rcoeff[3].subs(p, sp.Rational(1, 2))),
        "exact_for_linear": lin_gap == 0,
    }


# ------------------------------------------------------------------------------ gradient


def _tiny_thinned_network():
    """A 2-2-1 network (thresholds multiply x_0 = -1), the hidden outputs multiplied by m_1, m_2."""
    x = sp.symbols("x1 x2", real=True)
    y = sp.Symbol("y", real=True)
    W1 = sp.Matrix(3, 2, lambda k, h: sp.Symbol(f"w1_{k}{h + 1}", real=True))
    W2 = sp.Matrix(3, 1, lambda k, h: sp.Symbol(f"w2_{k}1", real=True))
    m = sp.symbols("m1 m2", real=True)
    f = sp.Function("sigma")
    xin = [-1, *x]
    S1 = [sum(W1[k, h] * xin[k] for k in range(3)) for h in range(2)]
    x1 = [-1] + [m[h] * f(S1[h]) for h in range(2)]
    a = sum(W2[k, 0] * x1[k] for k in range(3))
    loss = (a - y) ** 2 / 2
    return {"x": x, "y": y, "W1": W1, "W2": W2, "m": m, "f": f, "S1": S1, "x1": x1,
            "a": a, "loss": loss}


def thinned_gradient(mask_in_backward: bool = True) -> dict:
    r"""The gradient of the loss of a thinned network, and the slide's combined step.

    A 2–2–1 network with an **arbitrary** hidden activation :math:`\sigma`, a linear output
    and the squared loss; the hidden outputs are :math:`\tilde x_h = m_h\sigma(S_h)` with
    :math:`m_h = \xi_h/(1-p)` (inverted dropout; :math:`m_h = \xi_h` is the original form,
    the derivation does not use the value). BackProp through the masks gives, with
    :math:`\varepsilon = a - y` and :math:`\tilde x_0 = x_0 = -1`,

    .. math::

        \frac{\partial\mathcal{L}}{\partial w^2_{h}} = \varepsilon\,\tilde x_h
        = \varepsilon\, m_h\sigma(S_h), \qquad
        \frac{\partial\mathcal{L}}{\partial w^1_{kh}} = \varepsilon\, w^2_h\, m_h\,
        \sigma'(S_h)\, x_k ,

    compared here with differentiating the thinned loss directly. So the mask of unit
    :math:`h` multiplies the gradients of its **incoming** weights :math:`w^1_{kh}` and of its
    **outgoing** weights :math:`w^2_h`, nothing else, and everything is computed in the
    thinned network.

    Parameters
    ----------
    mask_in_backward : bool, optional
        ``False`` forgets :math:`m_h` in the backward formula (a broken BackProp the tests
        show failing).

    Returns
    -------
    dict
        ``"direct"``, ``"backprop"``: the gradients by weight symbol; checks
        ``"backprop_through_masks"`` (equal for every weight), ``"dropped_unit_zeroes_in_and_out"``
        (with :math:`m_1 = 0`: the gradients of :math:`w^1_{k1}` and :math:`w^2_1` vanish and
        the other weights' do not), ``"slide_reading_fails"`` (the slide's
        :math:`\frac{1}{1-p}\xi^l_h\nabla\mathcal{L}(w, x_i)`, a mask times the gradient of
        the unthinned network, is not the gradient of the thinned loss, not even for the
        incoming weights of :math:`h`) and ``"scalar_mask_on_all_weights_fails"`` (read as
        one unit's mask on the whole gradient vector, the step with :math:`\xi_1 = 0` would
        move no weight at all; the thinned gradient of the other unit's weights is not zero
        there).

    Notes
    -----
    The :math:`L_2` part of the slide's step, :math:`w - \eta\nabla_w(\mathcal{L} +
    \frac\lambda2\|w\|^2) = w(1-\eta\lambda) - \eta\nabla_w\mathcal{L}`, holds by the
    linearity of the derivative for any :math:`\mathcal{L}`, thinned or not: it is not
    checked here (a symbolic check could not fail). What can fail is the package's step,
    checked by ``test_combined_step_sgd_with_weight_decay_is_the_right_formula`` in
    ``tests/test_dropout.py`` (``SGD(weight_decay=λ)`` on a network with a fixed mask against
    :math:`w(1-\eta\lambda) - \eta\nabla_w\tilde{\mathcal{L}}` with the thinned gradient).
    """
    net = _tiny_thinned_network()
    W1, W2, m, f, S1, x1, loss = (net[k] for k in ("W1", "W2", "m", "f", "S1", "x1", "loss"))
    xin = [-1, *net["x"]]
    eps = net["a"] - net["y"]
    dsig = [sp.Subs(sp.Derivative(f(sp.Symbol("s_")), sp.Symbol("s_")), sp.Symbol("s_"), S1[h])
            for h in range(2)]
    weights = list(W1) + list(W2)
    direct = {w: sp.diff(loss, w) for w in weights}
    bp = {}
    for h in range(2):
        mh = m[h] if mask_in_backward else 1
        bp[W2[h + 1, 0]] = eps * x1[h + 1]
        for k in range(3):
            bp[W1[k, h]] = eps * W2[h + 1, 0] * mh * dsig[h] * xin[k]
    bp[W2[0, 0]] = eps * x1[0]
    ok = all(is_zero(direct[w] - bp[w]) for w in weights)
    # a dropped unit 1 (m_1 = 0): its incoming and outgoing weights get no gradient
    dropped = {w: sp.simplify(g.subs(m[0], 0)) for w, g in direct.items()}
    of_unit1 = [W1[k, 0] for k in range(3)] + [W2[1, 0]]
    zero_in_out = all(dropped[w] == 0 for w in of_unit1) and all(
        dropped[w] != 0 for w in weights if w not in of_unit1)
    # the slide: (1/(1-p)) xi_h grad L(w, x_i), grad of the unthinned network (m = 1),
    # for the incoming weights of h = 1 (m_1 = xi_1/(1-p) is the slide's factor)
    full = {w: g.subs({m[0]: 1, m[1]: 1}) for w, g in direct.items()}
    slide_in = [m[0] * full[W1[k, 0]] for k in range(3)]
    slide_fails = any(not is_zero(direct[W1[k, 0]] - slide_in[k]) for k in range(3))
    # one unit's factor on the whole gradient vector: with xi_1 = 0 it zeroes every step, but
    # the thinned gradient of unit 2's weights (computed, not assumed) is not zero there
    scalar_fails = all(dropped[w] != 0 for w in [W1[0, 1], W1[1, 1], W1[2, 1], W2[2, 0]])
    return {
        "direct": direct,
        "backprop": bp,
        "backprop_through_masks": ok,
        "dropped_unit_zeroes_in_and_out": zero_in_out,
        "slide_reading_fails": slide_fails,
        "scalar_mask_on_all_weights_fails": scalar_fails,
    }


# ---------------------------------------------------------------- linear regression (§9.1)


def _sq(v):
    return sp.expand((v.T * v)[0, 0])


@functools.lru_cache(maxsize=4)
def _enumerated_regression(n: int, d: int):
    """X, y, w, Gamma^2 and the expected squared loss of both forms over all 2^(nd) masks."""
    X = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}", real=True))
    y = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y_{i + 1}", real=True))
    w = sp.Matrix(d, 1, lambda j, _: sp.Symbol(f"w_{j + 1}", real=True))
    Gamma2 = sp.diag(*[(X.T * X)[j, j] for j in range(d)])
    exp_orig, exp_inv = sp.Integer(0), sp.Integer(0)
    for flat, pr in _masks(n * d):
        Xm = X.multiply_elementwise(sp.Matrix(n, d, list(flat)))
        exp_orig += pr * _sq(y - Xm * w)
        exp_inv += pr * _sq(y - Xm * w / _q)
    return X, y, w, Gamma2, sp.expand(exp_orig), sp.expand(exp_inv)


def dropout_linear_regression(n: int = 2, d: int = 2, claimed_original=None,
                              claimed_inverted=None) -> dict:
    r"""Linear regression with dropout on the inputs: the expected loss is an adaptive ridge.

    Objects :math:`x_i \in \mathbb{R}^d` (the rows of :math:`X`), answers :math:`y_i`,
    weights :math:`w`, and a mask :math:`\xi_{ij}` for every entry of :math:`X`, independent,
    :math:`P(\xi_{ij} = 0) = p`. With :math:`\Gamma = \operatorname{diag}(X^\top X)^{1/2}`
    (so :math:`\|\Gamma w\|^2 = \sum_j w_j^2\sum_i x_{ij}^2`), enumerating all
    :math:`2^{nd}` masks gives

    .. math::

        \mathbb{E}\,\|y - (\xi\odot X)w\|^2 &= \|y - (1-p)Xw\|^2 + p(1-p)\,\|\Gamma w\|^2
        \quad\text{(original form)},\\
        \mathbb{E}\,\Bigl\|y - \frac{\xi\odot X}{1-p}w\Bigr\|^2 &= \|y - Xw\|^2 +
        \frac{p}{1-p}\,\|\Gamma w\|^2 \quad\text{(inverted form)}.

    The first is Srivastava et al.'s (2014, §9.1) :math:`\|y - pXw\|^2 + p(1-p)\|\Gamma w\|^2`
    with their keep probability :math:`p` written :math:`1-p`. The inverted form is a ridge
    regression whose penalty on :math:`w_j` grows with the squared norm of feature
    :math:`j`: its minimizer is :math:`w^* = (X^\top X + \frac{p}{1-p}\Gamma^2)^{-1}X^\top y`.

    Parameters
    ----------
    n, d : int, optional
        The size of the symbolic :math:`X` (the enumeration has :math:`2^{nd}` masks).
    claimed_original, claimed_inverted : callable, optional
        ``f(X, y, w)`` returning the claimed expected loss (SymPy matrices); the formulas
        above by default. A test passes a wrong penalty and sees the check fail.

    Returns
    -------
    dict
        ``"expected_original"``, ``"expected_inverted"`` (the enumerated expectations);
        checks ``"original_form"``, ``"inverted_form"``, ``"srivastava_form"`` (the paper's
        formula with :math:`p_{\text{keep}} = 1-p`), ``"forms_related_by_scaling"``
        (the original form at :math:`w` is the inverted form at :math:`(1-p)w`) and
        ``"ridge_minimizer"`` (the gradient of the inverted expectation vanishes at
        :math:`w^*`).
    """
    X, y, w, Gamma2, exp_orig, exp_inv = _enumerated_regression(n, d)
    sq = _sq

    def ridge_orig(X, y, w):
        return sq(y - _q * X * w) + p * _q * (w.T * Gamma2 * w)[0, 0]

    def ridge_inv(X, y, w):
        return sq(y - X * w) + p / _q * (w.T * Gamma2 * w)[0, 0]

    claimed_original = claimed_original or ridge_orig
    claimed_inverted = claimed_inverted or ridge_inv
    keep = sp.Symbol("p_keep", positive=True)  # Srivastava's p
    Gw = (w.T * Gamma2 * w)[0, 0]
    srivastava = (sq(y - keep * X * w) + keep * (1 - keep) * Gw).subs(keep, _q)
    w_star = (X.T * X + p / _q * Gamma2).inv() * X.T * y
    grad = sp.Matrix([sp.diff(exp_inv, wj) for wj in w])
    at_star = grad.subs(dict(zip(list(w), list(w_star), strict=True)))
    return {
        "expected_original": exp_orig,
        "expected_inverted": exp_inv,
        "original_form": is_zero(exp_orig - claimed_original(X, y, w)),
        "inverted_form": is_zero(exp_inv - claimed_inverted(X, y, w)),
        "srivastava_form": is_zero(exp_orig - srivastava),
        "forms_related_by_scaling": is_zero(exp_orig - exp_inv.subs(
            dict(zip(list(w), list(_q * w), strict=True)), simultaneous=True)),
        "ridge_minimizer": all(is_zero(sp.together(g)) for g in at_star),
    }


# ---------------------------------------------------------------------- the 2^N networks


def weight_scaling_geometric_mean(N: int = 3, M: int = 3, inverted: bool = True) -> dict:
    r"""Weight scaling is the normalised geometric mean of the :math:`2^N` thinned networks.

    A softmax layer :math:`z_j(\xi) = \sum_{h=1}^N w_{hj}\,m_h h_h - b_j` on one dropped
    layer with outputs :math:`h_1, \dots, h_N` (whatever computed them), :math:`m_h =
    \xi_h/(1-p)` (or :math:`\xi_h`, original form). The thinned network :math:`\xi` predicts
    :math:`a_j(\xi) = \operatorname{softmax}_j z(\xi)` and has probability :math:`P(\xi)`. The
    normalised weighted geometric mean is

    .. math::

        G_j = \frac{\prod_\xi a_j(\xi)^{P(\xi)}}{\sum_k\prod_\xi a_k(\xi)^{P(\xi)}}
            = \operatorname{softmax}_j\Bigl(\sum_\xi P(\xi)\ln a(\xi)\Bigr),

    and since :math:`\ln a_j(\xi) = z_j(\xi) - \ln\sum_k e^{z_k(\xi)}`, where the last term
    does not depend on :math:`j`, :math:`\sum_\xi P(\xi)\ln a_j(\xi) = \sum_\xi P(\xi)
    z_j(\xi) + C = z_j(\mathbb{E}m) + C` (:math:`z` is affine in :math:`m`): :math:`G` is the
    softmax of the application-time network's logits. Proved here symbolically for the
    given :math:`N, M` (all masks enumerated, :math:`p` symbolic).

    Returns
    -------
    dict
        checks ``"probabilities_sum_to_1"``; ``"log_ratios_equal"``
        (:math:`\sum_\xi P(\xi)[\ln a_j(\xi) - \ln a_k(\xi)] = z_j(\mathbb{E}m) -
        z_k(\mathbb{E}m)` for every pair :math:`j, k`: the proof); ``"numeric_equal"`` (the
        two predictions at a random point, in float64); ``"arithmetic_differs"``
        (the arithmetic mean :math:`\sum_\xi P(\xi)a(\xi)` is not the weight-scaling
        prediction at that point); ``"equal_weights_fail_for_p_not_half"`` (the geometric
        mean with equal weights :math:`2^{-N}`, a plain vote, is not weight scaling at
        :math:`p = 1/4`) and ``"equal_weights_hold_at_p_half"``; ``"nonlinear_between_fails"``
        (with a second dropped layer under :math:`\tanh`, the identity fails at a random
        point).
    """
    h = sp.symbols(f"h1:{N + 1}", real=True)
    W = sp.Matrix(N, M, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    b = sp.symbols(f"b1:{M + 1}", real=True)
    scale = 1 if inverted else _q  # E m

    def logits(mult):
        return [sum(W[i, j] * mult[i] * h[i] for i in range(N)) - b[j] for j in range(M)]

    z_ws = logits([scale] * N)
    masks = list(_masks(N))
    total_p = sp.simplify(sum(pr for _, pr in masks))
    lse = [sp.log(sum(sp.exp(zk) for zk in logits([_multiplier(s, inverted) for s in xi])))
           for xi, _ in masks]
    logp = [[logits([_multiplier(s, inverted) for s in xi])[j] - lse[r] for j in range(M)]
            for r, (xi, _) in enumerate(masks)]
    G = [sum(pr * logp[r][j] for r, (_, pr) in enumerate(masks)) for j in range(M)]
    ratios = all(is_zero(G[j] - G[k] - (z_ws[j] - z_ws[k]))
                 for j in range(M) for k in range(j + 1, M))
    # numerically (numpy, float64) at a random point, with p = 1/4
    syms = [*h, *W, *b, p]
    rng = np.random.default_rng(0)
    point = [*rng.uniform(-2, 2, size=len(syms) - 1), 0.25]
    num = sp.lambdify(syms, [z_ws, G, [[e for e in row] for row in logp],
                             [pr for _, pr in masks]], "numpy")

    def softmax(v):
        e = np.exp(np.asarray(v, dtype=float) - np.max(v))
        return e / e.sum()

    def evaluate(pval):
        zw, Gv, lp, pr = num(*point[:-1], pval)
        lp, pr = np.asarray(lp, dtype=float), np.asarray(pr, dtype=float)
        return softmax(zw), softmax(Gv), pr @ np.exp(lp), softmax(lp.mean(axis=0))

    ws_num, G_num, arith, equal_w = evaluate(0.25)
    ws_half, _, _, equal_half = evaluate(0.5)
    # two dropped layers with tanh between: one input u, dropped too, then the hidden layer
    # h_i = tanh(v (i+1) m_0 u - c)
    u, v, c = sp.symbols("u v c", real=True)
    h_of = [[sp.tanh(v * _multiplier(s0, inverted) * u * (i + 1) - c) for i in range(N)]
            for s0 in (0, 1)]
    G2 = [sp.Integer(0)] * M
    for (s0,), pr0 in _masks(1):
        for xi, pr in masks:
            mult = [_multiplier(s, inverted) for s in xi]
            zz = [sum(W[i, j] * mult[i] * h_of[s0][i] for i in range(N)) - b[j] for j in range(M)]
            l2 = sp.log(sum(sp.exp(zk) for zk in zz))
            G2 = [G2[j] + pr0 * pr * (zz[j] - l2) for j in range(M)]
    hs_ws = [sp.tanh(v * scale * u * (i + 1) - c) for i in range(N)]
    z2_ws = [sum(W[i, j] * scale * hs_ws[i] for i in range(N)) - b[j] for j in range(M)]
    num2 = sp.lambdify([*syms, u, v, c], [G2, z2_ws], "numpy")
    g2, w2 = num2(*point, 1.5, 1.4, -0.2)
    return {
        "probabilities_sum_to_1": total_p == 1,
        "log_ratios_equal": ratios,
        "numeric_equal": bool(np.allclose(G_num, ws_num, rtol=1e-12, atol=0)),
        "arithmetic_differs": not np.allclose(arith, ws_num, rtol=1e-6, atol=0),
        "equal_weights_fail_for_p_not_half": not np.allclose(equal_w, ws_num, rtol=1e-6,
                                                             atol=0),
        "equal_weights_hold_at_p_half": bool(np.allclose(equal_half, ws_half, rtol=1e-12,
                                                         atol=0)),
        "nonlinear_between_fails": not np.allclose(softmax(g2), softmax(w2), rtol=1e-6, atol=0),
        "geometric": G_num,
        "weight_scaling": ws_num,
        "arithmetic": arith,
    }


# ------------------------------------------------------------- checks for the ledger


def check_inverted_mean() -> bool:
    r"""True iff :math:`\mathbb{E}[\xi/(1-p)] = 1`: inverted dropout needs nothing at inference."""
    return mask_moments()["scale_gives_mean_1"] is True


def check_original_application() -> bool:
    r"""True iff :math:`\mathbb{E}\,\xi = 1-p` and the next layer's mean is the application's."""
    return (mask_moments()["original_mean_is_1_minus_p"] is True
            and layer_moments(inverted=False)["mean_is_application"] is True)


def check_layer_mean() -> bool:
    """True iff the next layer's weighted sum has the application value as its mean (inverted)."""
    r = layer_moments(inverted=True)
    return r["mean_is_application"] is True and r["variance_is_sum"] is True


def check_nonlinear_gap() -> bool:
    """True iff the mean is exact for a linear activation and off by the curvature term else."""
    r = nonlinear_gap()
    return all(r[k] is True for k in ("first_order_vanishes",
                                      "second_order_is_half_curvature_times_variance",
                                      "remainder_is_third_order", "third_order_nonzero",
                                      "exact_for_linear"))


def check_thinned_gradient() -> bool:
    """True iff BackProp through the masks is the thinned loss's gradient (in, out zeroed)."""
    r = thinned_gradient()
    return r["backprop_through_masks"] is True and r["dropped_unit_zeroes_in_and_out"] is True


def check_slide_combined_step_fails() -> bool:
    """True iff the slide's combined step, read literally, is not the thinned gradient step."""
    r = thinned_gradient()
    return r["slide_reading_fails"] is True and r["scalar_mask_on_all_weights_fails"] is True


def check_linear_regression_penalty() -> bool:
    """True iff dropout on the inputs of linear regression is the adaptive ridge (both forms)."""
    r = dropout_linear_regression()
    return all(r[k] is True for k in ("original_form", "inverted_form", "srivastava_form",
                                      "forms_related_by_scaling", "ridge_minimizer"))


def check_weight_scaling_geometric_mean() -> bool:
    """True iff weight scaling is the normalised weighted geometric mean (softmax, one layer)."""
    r = weight_scaling_geometric_mean()
    return all(r[k] is True for k in ("probabilities_sum_to_1", "log_ratios_equal",
                                      "numeric_equal", "arithmetic_differs",
                                      "equal_weights_fail_for_p_not_half",
                                      "equal_weights_hold_at_p_half",
                                      "nonlinear_between_fails"))
