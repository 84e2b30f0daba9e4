r"""Derivatives of the activation functions, in SymPy (the derivatives BackProp uses as :math:`z`).

Slides «Задача дифференцирования суперпозиции функций» (:math:`x^l_h = \sigma^l_h(S^l_h)`),
«Алгоритм обратного распространения ошибки BackProp» (:math:`z^l_{ih} = (\sigma^l_h)'(S^l_{ih})`)
and «Функции активации ReLU и PReLU (LeakyReLU)». Each check compares the derivative the code
of :mod:`lecturenn.activations` uses with ``sympy.diff`` of the definition, and returns False on a
wrong claimed formula (the tests show it):

* :func:`check_sigmoid_derivative` (:math:`\sigma' = \sigma(1-\sigma)`),
  :func:`check_tanh_derivative` (:math:`\tanh' = 1 - \tanh^2`),
  :func:`check_sigmoid_via_tanh` and :func:`check_sigmoid_stable_form` (the stable formula used
  by :class:`lecturenn.activations.Sigmoid`), :func:`check_relu_family_derivatives`
  (ReLU, leaky ReLU, PReLU and :math:`\partial\,\mathrm{PReLU}/\partial\alpha`);
* :func:`check_silu_derivatives` (the SiLU :math:`S\sigma(S)` of Kolmogorov–Arnold networks);
* :func:`check_elu_derivatives` (the ELU :math:`\alpha(e^S - 1)` for :math:`S \le 0`);
* :func:`check_second_derivatives`: the second derivatives :math:`\sigma''` the code uses
  (the second backward pass of Optimal Brain Damage needs them).
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = [
    "S",
    "sigmoid_expr",
    "check_sigmoid_derivative",
    "check_tanh_derivative",
    "check_sigmoid_via_tanh",
    "check_sigmoid_stable_form",
    "check_relu_family_derivatives",
    "silu_expr",
    "check_silu_derivatives",
    "check_second_derivatives",
    "check_elu_derivatives",
]

#: the pre-activation :math:`S`, a real symbol
S = sp.Symbol("S", real=True)


def sigmoid_expr(t):
    r"""The logistic sigmoid :math:`1/(1 + e^{-t})` as a SymPy expression."""
    return 1 / (1 + sp.exp(-t))


def check_sigmoid_derivative(claimed: Callable = lambda sig: sig * (1 - sig)) -> bool:
    r"""Prove :math:`\frac{d}{dS}\sigma(S) = \sigma(S)(1 - \sigma(S))`.

    ``claimed(sigma)`` builds the claimed derivative from the expression :math:`\sigma(S)`;
    a wrong claim (e.g. ``lambda s: s * (1 + s)``) returns False.
    """
    sig = sigmoid_expr(S)
    return sp.simplify(sp.diff(sig, S) - claimed(sig)) == 0


def check_tanh_derivative(claimed: Callable = lambda th: 1 - th**2) -> bool:
    r"""Prove :math:`\tanh'(S) = 1 - \tanh^2(S)`.

    ``claimed(tanh(S))`` as in :func:`check_sigmoid_derivative`.
    """
    th = sp.tanh(S)
    return sp.simplify((sp.diff(th, S) - claimed(th)).rewrite(sp.exp)) == 0


def check_sigmoid_via_tanh() -> bool:
    r"""Prove :math:`\frac{1}{1+e^{-S}} = \frac12\bigl(1 + \tanh\frac S2\bigr)`.

    An overflow-free form, but one that loses the relative accuracy of small values
    (:math:`1 + \tanh` cancels for :math:`S \ll 0`); the code uses
    :func:`check_sigmoid_stable_form` instead.
    """
    lhs = sigmoid_expr(S)
    rhs = sp.Rational(1, 2) * (1 + sp.tanh(S / 2))
    return sp.simplify((lhs - rhs).rewrite(sp.exp)) == 0


def check_sigmoid_stable_form(
    pos_branch: Callable = lambda e: 1 / (1 + e),
    neg_branch: Callable = lambda e: e / (1 + e),
) -> bool:
    r"""Prove the form :class:`lecturenn.activations.Sigmoid` computes, on each side of 0.

    With :math:`e = e^{-|S|} \in (0, 1]` (never overflows):
    :math:`\sigma(S) = 1/(1+e)` for :math:`S \ge 0` and :math:`\sigma(S) = e/(1+e)` for
    :math:`S < 0`; both equal :math:`1/(1+e^{-S})`, with no cancellation in either tail.
    """
    pos = sp.Symbol("S", positive=True)
    neg = sp.Symbol("S", negative=True)
    e_pos, e_neg = sp.exp(-sp.Abs(pos)), sp.exp(-sp.Abs(neg))
    ok_pos = sp.simplify(pos_branch(e_pos) - sigmoid_expr(pos)) == 0
    ok_neg = sp.simplify(neg_branch(e_neg) - sigmoid_expr(neg)) == 0
    ok_zero = sp.simplify(pos_branch(sp.Integer(1)) - sigmoid_expr(sp.Integer(0))) == 0
    return bool(ok_pos and ok_neg and ok_zero)


def check_relu_family_derivatives(alpha_claimed: Callable | None = None) -> dict[str, bool]:
    r"""Derivatives of ReLU, leaky ReLU and PReLU on each side of 0.

    ReLU :math:`\max\{0,S\}`: derivative 1 for :math:`S > 0`, 0 for :math:`S < 0`.
    (P/Leaky)ReLU :math:`\max\{0,S\} + \alpha\min\{0,S\}`: 1 and :math:`\alpha`; and for PReLU
    :math:`\partial/\partial\alpha = \min\{0, S\}` (0 and :math:`S`). ``alpha_claimed(S)``
    replaces the claimed :math:`\partial/\partial\alpha` for :math:`S < 0` (default :math:`S`).
    Returns a dict of checks, each True when it holds.
    """
    pos = sp.Symbol("s_pos", positive=True)
    neg = -sp.Symbol("s_abs", positive=True)
    alpha = sp.Symbol("alpha", real=True)
    relu = sp.Max(0, S)
    prelu = sp.Max(0, S) + alpha * sp.Min(0, S)
    d_relu = sp.diff(relu, S)
    d_prelu = sp.diff(prelu, S)
    d_alpha = sp.diff(prelu, alpha)
    alpha_neg = (lambda s: s) if alpha_claimed is None else alpha_claimed
    return {
        "relu, S>0": sp.simplify(d_relu.subs(S, pos) - 1) == 0,
        "relu, S<0": sp.simplify(d_relu.subs(S, neg)) == 0,
        "prelu, S>0": sp.simplify(d_prelu.subs(S, pos) - 1) == 0,
        "prelu, S<0": sp.simplify(d_prelu.subs(S, neg) - alpha) == 0,
        "prelu d/dalpha, S>0": sp.simplify(d_alpha.subs(S, pos)) == 0,
        "prelu d/dalpha, S<0": sp.simplify(d_alpha.subs(S, neg) - alpha_neg(neg)) == 0,
    }





def silu_expr(t):
    r"""The SiLU :math:`t\,\sigma(t)` as a SymPy expression."""
    return t * sigmoid_expr(t)


def check_silu_derivatives(
    first: Callable = lambda s, sig: sig * (1 + s * (1 - sig)),
    second: Callable = lambda s, sig: sig * (1 - sig) * (2 + s * (1 - 2 * sig)),
) -> bool:
    r"""Prove :math:`\mathrm{silu}' = \sigma(1 + S(1-\sigma))` and
    :math:`\mathrm{silu}'' = \sigma(1-\sigma)(2 + S(1 - 2\sigma))`, :math:`\sigma = \sigma(S)`.

    ``first(S, sigma)`` and ``second(S, sigma)`` are the claimed formulas (those of
    :class:`lecturenn.activations.SiLU` by default); a wrong one returns False.
    """
    sig = sigmoid_expr(S)
    f = silu_expr(S)
    ok1 = sp.simplify(sp.diff(f, S) - first(S, sig)) == 0
    ok2 = sp.simplify(sp.diff(f, S, 2) - second(S, sig)) == 0
    return bool(ok1 and ok2)


def check_second_derivatives(claimed: dict | None = None) -> dict[str, bool]:
    r"""Prove the second derivatives :math:`\sigma''` of :mod:`lecturenn.activations`.

    Sigmoid: :math:`\sigma'' = \sigma(1-\sigma)(1-2\sigma)`; tanh:
    :math:`\tanh'' = -2\tanh(1-\tanh^2)`; identity, and ReLU, leaky ReLU, PReLU on each side of
    the kink: 0 (at the kink itself the second derivative does not exist; the code returns 0).
    ``claimed`` maps a name to a claimed formula ``f(S, value)`` (value = :math:`\sigma(S)`)
    replacing the default; a wrong one gives False for its entry.
    """
    alpha = sp.Symbol("alpha", real=True)
    pos = sp.Symbol("s_pos", positive=True)
    neg = -sp.Symbol("s_abs", positive=True)
    forms = {
        "sigmoid": (sigmoid_expr(S), lambda s, v: v * (1 - v) * (1 - 2 * v)),
        "tanh": (sp.tanh(S), lambda s, v: -2 * v * (1 - v**2)),
        "identity": (S, lambda s, v: sp.Integer(0)),
    }
    claimed = dict(claimed or {})
    out = {}
    for name, (f, default) in forms.items():
        cl = claimed.pop(name, default)
        diff = sp.diff(f, S, 2) - cl(S, f)
        out[name] = sp.simplify(diff.rewrite(sp.exp)) == 0
    piecewise = {"relu": sp.Max(0, S), "prelu": sp.Max(0, S) + alpha * sp.Min(0, S)}
    for name, f in piecewise.items():
        cl = claimed.pop(name, lambda s, v: sp.Integer(0))
        for side, point in (("S>0", pos), ("S<0", neg)):
            d2 = sp.diff(f, S, 2).subs(S, point)
            out[f"{name}, {side}"] = sp.simplify(d2 - cl(point, f.subs(S, point))) == 0
    if claimed:
        raise ValueError(f"unknown activations in claimed: {sorted(claimed)}")
    return out


def check_elu_derivatives(
    first: Callable = lambda s, alpha: alpha * sp.exp(s),
    second: Callable = lambda s, alpha: alpha * sp.exp(s),
) -> bool:
    r"""Prove the derivatives of :class:`lecturenn.activations.ELU` on each side of 0.

    For :math:`S > 0` the ELU is :math:`S` (derivatives 1 and 0); for :math:`S < 0` it is
    :math:`\alpha(e^S - 1)`, whose derivatives ``first(S, alpha)`` and ``second(S, alpha)``
    are claimed (:math:`\alpha e^S` both, by default); also the continuity of the value at 0
    and, for :math:`\alpha = 1` only, of the first derivative. A wrong claim returns False.
    """
    alpha = sp.Symbol("alpha", positive=True)
    pos = sp.Symbol("s_pos", positive=True)
    neg = -sp.Symbol("s_abs", positive=True)
    elu = sp.Piecewise((S, S > 0), (alpha * (sp.exp(S) - 1), True))
    d1, d2 = sp.diff(elu, S), sp.diff(elu, S, 2)
    ok = [
        sp.simplify(d1.subs(S, pos) - 1) == 0,
        sp.simplify(d2.subs(S, pos)) == 0,
        sp.simplify(d1.subs(S, neg) - first(neg, alpha)) == 0,
        sp.simplify(d2.subs(S, neg) - second(neg, alpha)) == 0,
        sp.limit(alpha * (sp.exp(S) - 1), S, 0, "-") == 0,  # continuous at 0
        sp.limit(alpha * sp.exp(S), S, 0, "-").subs(alpha, 1) == 1,  # C^1 for alpha = 1
        sp.limit(alpha * sp.exp(S), S, 0, "-").subs(alpha, 2) != 1,  # not for alpha = 2
    ]
    return all(bool(v) for v in ok)
