r"""Derivations for the symbolic snapping of KAN edges (:mod:`lecturenn.kan_symbolic`), in SymPy.

* :func:`library_derivatives`: SymPy differentiates the SymPy form of every library function;
  the NumPy derivative of the library must agree at points of its domain. A wrong derivative
  (``broken="tanh"``: :math:`1 + \tanh^2`) fails.
* :func:`affine_gradients`: for :math:`\mathcal{L} = \tfrac12(c f(ax+b) + d - r)^2` with an
  arbitrary :math:`f` (a SymPy ``Function``), the derivatives in :math:`a, b, c, d, x` are the
  formulas of :class:`lecturenn.kan_symbolic.SymbolicKANLayer` with :math:`g = c f(u) + d - r`:
  :math:`g c f'(u) x`, :math:`g c f'(u)`, :math:`g f(u)`, :math:`g`, :math:`g c a f'(u)`.
  Dropping the factor :math:`x` of :math:`\partial/\partial a` (``broken="no_x"``) fails.
* :func:`r2_of_the_line`: for fixed :math:`(a, b)` the least-squares line
  :math:`c = S_{fy}/S_{ff}`, :math:`d = \bar y - c\bar f` has
  :math:`1 - \mathrm{SSE}/\mathrm{SST} = S_{fy}^2/(S_{ff}S_{yy})`, the squared correlation the
  grid search maximises; on four symbolic points.
* :func:`canonical_identities`: the exact identities behind the canonical form of a fit
  (:math:`c e^{ax+b} = (ce^b)e^{ax}`, :math:`c(ax+b)^p = ca^p(x+b/a)^p`, ...), each for
  :math:`a > 0` and :math:`a < 0`; ``broken="power"`` (:math:`ca^{p-1}`) fails.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from lecturenn.kan_symbolic import LIBRARY

__all__ = [
    "library_derivatives",
    "affine_gradients",
    "r2_of_the_line",
    "canonical_identities",
    "check_library_derivatives",
    "check_affine_gradients",
    "check_r2_of_the_line",
    "check_canonical_identities",
]

_u = sp.Symbol("u", real=True)


def library_derivatives(broken: str | None = None) -> dict:
    """The largest relative difference of each library function's NumPy derivative from
    SymPy's derivative of its SymPy form, at 41 points of its domain; ``holds`` if all are
    below 1e-12 (float64 rounding of closed forms of size O(1..e^2))."""
    pts = np.linspace(-2.0, 2.0, 41)
    errors = {}
    for name, f in LIBRARY.items():
        u = pts[pts > 0.05] if f.positive else pts[np.abs(pts) > 1e-9] if name == "abs" else pts
        exact = sp.lambdify(_u, sp.diff(f.sympy(sp, _u), _u), "numpy")
        ref = np.broadcast_to(np.asarray(exact(u), dtype=float), u.shape)
        mine = (1 + np.tanh(u) ** 2) if (broken == "tanh" and name == "tanh") else f.derivative(u)
        val = np.broadcast_to(np.asarray(f.value(u), dtype=float), u.shape)
        sym_val = np.broadcast_to(np.asarray(sp.lambdify(_u, f.sympy(sp, _u), "numpy")(u),
                                             dtype=float), u.shape)
        errors[name] = float(max(np.max(np.abs(mine - ref) / np.maximum(1, np.abs(ref))),
                                 np.max(np.abs(val - sym_val) / np.maximum(1, np.abs(sym_val)))))
    return {"errors": errors, "holds": max(errors.values()) < 1e-12}


def affine_gradients(broken: str | None = None) -> dict:
    """The chain rule through :math:`c f(ax + b) + d` for a generic :math:`f`."""
    a, b, c, d, x, r = sp.symbols("a b c d x r", real=True)
    f = sp.Function("f")
    uu = a * x + b
    L = (c * f(uu) + d - r) ** 2 / 2
    g = c * f(uu) + d - r
    fp = sp.Subs(sp.Derivative(f(_u), _u), _u, uu).doit()
    formulas = {a: g * c * fp * (1 if broken == "no_x" else x), b: g * c * fp, c: g * f(uu),
                d: g, x: g * c * a * fp}
    diffs = {str(v): sp.simplify(sp.diff(L, v) - rhs) for v, rhs in formulas.items()}
    return {"differences": diffs, "holds": all(e == 0 for e in diffs.values())}


def r2_of_the_line(n: int = 4) -> dict:
    r""":math:`1 - \mathrm{SSE}/\mathrm{SST}` of the least-squares line equals
    :math:`S_{fy}^2/(S_{ff}S_{yy})`, on ``n`` symbolic points."""
    F = sp.symbols(f"f0:{n}", real=True)
    Y = sp.symbols(f"y0:{n}", real=True)
    fb, yb = sum(F) / n, sum(Y) / n
    sff = sum((fi - fb) ** 2 for fi in F)
    syy = sum((yi - yb) ** 2 for yi in Y)
    sfy = sum((fi - fb) * (yi - yb) for fi, yi in zip(F, Y, strict=True))
    c = sfy / sff
    d = yb - c * fb
    sse = sum((c * fi + d - yi) ** 2 for fi, yi in zip(F, Y, strict=True))
    diff = sp.simplify(sp.together((1 - sse / syy) - sfy ** 2 / (sff * syy)))
    return {"difference": diff, "holds": diff == 0}


def canonical_identities(broken: str | None = None) -> dict:
    """The identities of the canonical form, each checked for a > 0 and for a < 0."""
    x = sp.Symbol("x", real=True)
    b, c, d = sp.symbols("b c d", real=True)
    out = {}
    for sign in (1, -1):
        m = sp.Symbol("m", positive=True)
        a = sign * m  # |a| = m, sign(a) = sign
        cases = {
            "exp": (c * sp.exp(a * x + b), c * sp.exp(b) * sp.exp(a * x)),
            "abs": (c * sp.Abs(a * x + b), c * m * sp.Abs(x + b / a)),
        }
        for p in (2, 3, 4):
            power = a ** (p - 1) if broken == "power" else a ** p
            cases[f"x^{p}"] = (c * (a * x + b) ** p, c * power * (x + b / a) ** p)
        w = sp.Symbol("w", positive=True)  # w = a x + b > 0, so x = (w - b) / a
        xw = (w - b) / a
        cases["1/x"] = (c / w, (c / m) / (sign * xw + b / m))
        cases["sqrt"] = (c * sp.sqrt(w), c * sp.sqrt(m) * sp.sqrt(sign * xw + b / m))
        cases["log"] = (c * sp.log(w) + d, c * sp.log(sign * xw + b / m) + d + c * sp.log(m))
        if sign < 0:
            cases["sin, tanh (odd)"] = (c * sp.sin(a * x + b) + c * sp.tanh(a * x + b),
                                        -c * sp.sin(m * x - b) - c * sp.tanh(m * x - b))
            cases["sin, shift by pi"] = (c * sp.sin(a * x + b), -c * sp.sin(a * x + b + sp.pi))
            cases["gaussian (even)"] = (sp.exp(-(a * x + b) ** 2), sp.exp(-(m * x - b) ** 2))
        for name, (lhs, rhs) in cases.items():
            diff = sp.simplify(sp.expand_log(sp.expand(lhs - rhs), force=True))
            out[f"{name}, a {'>' if sign > 0 else '<'} 0"] = diff == 0
    return {"identities": out, "holds": all(out.values())}


def check_library_derivatives() -> bool:
    """The library's derivatives agree with SymPy's, and a wrong one fails."""
    return bool(library_derivatives()["holds"] and not library_derivatives("tanh")["holds"])


def check_affine_gradients() -> bool:
    """The affine gradients hold, and a broken one fails."""
    return bool(affine_gradients()["holds"] and not affine_gradients("no_x")["holds"])


def check_r2_of_the_line() -> bool:
    """The grid's :math:`R^2` is the line's coefficient of determination."""
    return bool(r2_of_the_line()["holds"])


def check_canonical_identities() -> bool:
    """The canonical-form identities hold, and a broken power fails."""
    return bool(canonical_identities()["holds"]
                and not canonical_identities("power")["holds"])
