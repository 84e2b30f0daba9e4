r"""Derivatives of the losses with respect to the network's output, in SymPy.

Slides «Напоминание: модели классификации и регрессии» (the losses :math:`L`) and
«Рекуррентное вычисление частных производных» (the output error
:math:`\varepsilon^L_m = \partial\mathcal{L}_i/\partial x^L_m`):
:func:`loss_expressions` and :func:`check_loss_derivative` for every loss of
:mod:`lecturenn.losses`; :func:`check_softmax_cross_entropy_gradient` (:math:`p - y`);
:func:`check_loss_shapes`: the slide's "L unimodal" (regression) and "L nonincreasing"
(classification) for the losses it lists.
"""

from __future__ import annotations

import sympy as sp

from lecturenn._validation import check_choice, check_int
from lecturenn.derivations.activations import sigmoid_expr

__all__ = [
    "a_sym",
    "y_sym",
    "c_sym",
    "loss_expressions",
    "check_loss_derivative",
    "check_softmax_cross_entropy_gradient",
    "check_loss_shapes",
]

#: the network output :math:`a`, the target :math:`y` and the loss parameter :math:`c > 0`
a_sym = sp.Symbol("a", real=True)
y_sym = sp.Symbol("y", real=True)
c_sym = sp.Symbol("c", positive=True)


def loss_expressions() -> dict[str, dict]:
    r"""Each loss of :mod:`lecturenn.losses` as a function of output :math:`a` and target :math:`y`.

    Returns a dict ``name -> {"L": expr, "claimed": expr, "regions": [...]}`` where
    ``claimed`` is the derivative :math:`\partial\mathcal{L}/\partial a` that the code uses
    and ``regions`` lists substitutions (sides of a kink) on which it is checked; ``[{}]``
    means everywhere.
    """
    e = a_sym - y_sym
    M = a_sym * y_sym
    pos = sp.Symbol("d", positive=True)
    half = sp.Rational(1, 2)
    return {
        "squared": {"L": half * e**2, "claimed": e, "regions": [{}]},
        "absolute": {
            "L": sp.Abs(e), "claimed": sp.sign(e),
            "regions": [{a_sym: y_sym + pos}, {a_sym: y_sym - pos}],
        },
        "epsilon_insensitive": {
            "L": sp.Max(sp.Abs(e) - c_sym, 0),
            "claimed": sp.sign(e) * sp.Heaviside(sp.Abs(e) - c_sym),
            "regions": [{a_sym: y_sym + c_sym + pos}, {a_sym: y_sym - c_sym - pos},
                        {a_sym: y_sym + c_sym / (2 + pos)}, {a_sym: y_sym - c_sym / (2 + pos)}],
        },
        # margin losses: y in {-1, +1}; the code's derivative -y sigma(-M), with sigma(-M)
        # computed by lecturenn.activations.Sigmoid (its form: check_sigmoid_stable_form)
        "logistic": {
            "L": sp.log(1 + sp.exp(-M)),
            "claimed": -y_sym * sigmoid_expr(-M),
            "regions": [{y_sym: 1}, {y_sym: -1}],
        },
        "hinge": {
            "L": sp.Max(1 - M, 0),
            "claimed": -y_sym * sp.Heaviside(1 - M),
            "regions": [{y_sym: 1, a_sym: 1 - pos}, {y_sym: 1, a_sym: 1 + pos},
                        {y_sym: -1, a_sym: -1 + pos}, {y_sym: -1, a_sym: -1 - pos}],
        },
    }


def check_loss_derivative(name: str, claimed=None) -> bool:
    r"""Prove that the derivative used by the code equals :math:`\partial\mathcal{L}/\partial a`.

    Parameters
    ----------
    name : str
        A key of :func:`loss_expressions`.
    claimed : sympy expression, optional
        Replace the code's formula (to see a wrong one fail).
    """
    losses = loss_expressions()
    spec = losses[check_choice("name", name, tuple(losses))]
    d = sp.diff(spec["L"], a_sym)
    cl = spec["claimed"] if claimed is None else claimed
    for reg in spec["regions"]:
        diff = (d - cl).subs(reg)
        diff = sp.simplify(diff.rewrite(sp.exp))
        if diff != 0:
            return False
    return True


def check_softmax_cross_entropy_gradient(M: int = 3, claimed=None) -> bool:
    r"""Prove :math:`\partial\mathcal{L}/\partial a_m = p_m - [m = y]` for softmax + cross-entropy.

    :math:`\mathcal{L} = \ln\sum_k e^{a_k} - a_y` for every label :math:`y` and every
    :math:`m` with :math:`M` symbolic scores. ``claimed(p, m, y)`` replaces the formula.
    """
    M = check_int("M (the number of classes)", M, minimum=2)
    a = sp.symbols(f"a_0:{M}", real=True)
    Z = sum(sp.exp(ak) for ak in a)
    p = [sp.exp(ak) / Z for ak in a]
    cl = (lambda p, m, y: p[m] - (1 if m == y else 0)) if claimed is None else claimed
    for y in range(M):
        L = sp.log(Z) - a[y]
        for m in range(M):
            if sp.simplify(sp.diff(L, a[m]) - cl(p, m, y)) != 0:
                return False
    return True




def check_loss_shapes(regression: dict | None = None, margin: dict | None = None) -> bool:
    r"""The slide's claims on the shape of the losses, proved on each side of every kink.

    Slide «Напоминание: модели классификации и регрессии»: for regression :math:`L(\varepsilon)`
    is unimodal, e.g. :math:`\varepsilon^2`, :math:`|\varepsilon|`, :math:`(|\varepsilon| - c)_+`:
    :math:`L' \le 0` for :math:`\varepsilon < 0` and :math:`L' \ge 0` for
    :math:`\varepsilon > 0`, minimum :math:`L(0) = 0`; for classification :math:`L(M)` is
    nonincreasing, e.g. :math:`\ln(1 + e^{-M})`, :math:`(1 - M)_+`: :math:`L' \le 0` for all
    :math:`M`. ``regression`` / ``margin`` replace the dicts ``name -> expression`` (in the
    symbols ``e`` and ``M``); a loss without the claimed shape makes the check return False.
    """
    e = sp.Symbol("e", real=True)
    M = sp.Symbol("M", real=True)
    d = sp.Symbol("d", positive=True)
    c = c_sym
    if regression is None:
        regression = {"squared": e**2, "absolute": sp.Abs(e),
                      "epsilon_insensitive": sp.Max(sp.Abs(e) - c, 0)}
    if margin is None:
        margin = {"logistic": sp.log(1 + sp.exp(-M)), "hinge": sp.Max(1 - M, 0)}
    for L in regression.values():
        dL = sp.diff(L, e)
        # the sides of the kinks at 0 and at +-c: points -c - d, -c/(2+d), c/(2+d), c + d
        for point, sign in ((-c - d, -1), (-c / (2 + d), -1), (c / (2 + d), 1), (c + d, 1)):
            value = sp.simplify(dL.subs(e, point))
            if (sp.simplify(sign * value) >= 0) is not sp.true:
                return False
        if sp.simplify(L.subs(e, 0)) != 0:
            return False
    for L in margin.values():
        dL = sp.diff(L, M)
        # the two sides of the hinge's kink at M = 1 cover every M (d > 0 is any number)
        for point in (1 - d, 1 + d):
            value = sp.simplify(dL.subs(M, point))
            if (sp.simplify(-value) >= 0) is not sp.true:
                return False
    return True
