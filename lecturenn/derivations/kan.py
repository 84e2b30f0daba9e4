r"""Derivations of the KAN chapter: the hand-written gradients of a KAN layer, in SymPy.

A tiny layer, :math:`n_\mathrm{in} = n_\mathrm{out} = 2`, :math:`G = 2`, :math:`k = 2`, on
the uniform grid of :math:`[-1, 1]` extended to the knots :math:`-3, \dots, 3`, with every
coefficient :math:`c_{ijm}`, :math:`w_{b,ij}`, :math:`w_{s,ij}` and both inputs symbols. Each
input is taken on one interval of its grid, where the B-splines are polynomials
(:func:`lecturenn.derivations.splines.basis`), so the layer's output is an explicit
expression and SymPy differentiates the loss
:math:`\mathcal{L} = \tfrac12\sum_j (y_j - r_j)^2` directly.

* :func:`layer_gradients`: the direct derivatives, and the formulas of
  :mod:`lecturenn.kan` (:math:`\partial/\partial c_{ijm} = w_{s,ij}\,g_j B_m(x_i)`,
  :math:`\partial/\partial w_{s,ij} = g_j\sum_m c_{ijm}B_m(x_i)`,
  :math:`\partial/\partial w_{b,ij} = g_j\,\mathrm{silu}(x_i)`,
  :math:`\partial/\partial x_i = \mathrm{silu}'(x_i)\sum_j w_{b,ij}g_j + \sum_m B'_m(x_i)
  \sum_j w_{s,ij}c_{ijm}g_j`, with :math:`g_j = y_j - r_j`) built independently from the
  B-spline pieces; their differences simplify to zero. A formula without the factor
  :math:`w_s` (``broken="no_ws"``) or without the residual's derivative
  (``broken="no_silu"``) does not.
* :func:`numeric_agreement`: the symbolic gradient, evaluated at random parameters, against
  :meth:`lecturenn.kan.KANLayer.backward`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from lecturenn.derivations.splines import basis
from lecturenn.derivations.splines import x as _t

__all__ = [
    "KNOTS",
    "PIECES",
    "tiny_layer",
    "layer_gradients",
    "numeric_agreement",
    "check_layer_gradients",
    "check_numeric_agreement",
]

#: the extended knots of the tiny layer: G = 2 on [-1, 1], k = 2, h = 1
KNOTS = tuple(sp.Integer(v) for v in range(-3, 4))
#: the interval index (into the knots) where each input is taken: [-1, 0) and [0, 1)
PIECES = (2, 3)
_K = 2


def _silu(v):
    return v / (1 + sp.exp(-v))


def tiny_layer() -> dict:
    """The symbols and the output :math:`y_j` of the tiny layer, inputs on :data:`PIECES`."""
    n_in, n_out = 2, 2
    M = len(KNOTS) - _K - 1
    xs = sp.symbols("x0:2", real=True)
    c = [[[sp.Symbol(f"c_{i}{j}{m}", real=True) for m in range(M)] for j in range(n_out)]
         for i in range(n_in)]
    wb = [[sp.Symbol(f"wb_{i}{j}", real=True) for j in range(n_out)] for i in range(n_in)]
    ws = [[sp.Symbol(f"ws_{i}{j}", real=True) for j in range(n_out)] for i in range(n_in)]
    r = sp.symbols("r0:2", real=True)
    Bk = basis(KNOTS, _K)[_K]
    Bx = [[Bk[m][PIECES[i]].subs(_t, xs[i]) for m in range(M)] for i in range(n_in)]
    y = [sum(wb[i][j] * _silu(xs[i]) + ws[i][j] * sum(c[i][j][m] * Bx[i][m] for m in range(M))
             for i in range(n_in)) for j in range(n_out)]
    return {"x": xs, "c": c, "wb": wb, "ws": ws, "r": r, "B": Bx, "y": y, "M": M}


def layer_gradients(broken: str | None = None) -> dict:
    r"""Direct derivatives of :math:`\mathcal{L}` against the layer's backward formulas."""
    L = tiny_layer()
    xs, c, wb, ws, r, Bx, y, M = (L[key] for key in ("x", "c", "wb", "ws", "r", "B", "y", "M"))
    loss = sum((y[j] - r[j]) ** 2 for j in range(2)) / 2
    g = [y[j] - r[j] for j in range(2)]
    dsilu = [sp.diff(_silu(v), v) for v in xs]
    dB = [[sp.diff(Bx[i][m], xs[i]) for m in range(M)] for i in range(2)]
    residuals = []
    for i in range(2):
        for j in range(2):
            ws_f = 1 if broken == "no_ws" else ws[i][j]
            for m in range(M):
                residuals.append(sp.diff(loss, c[i][j][m]) - ws_f * g[j] * Bx[i][m])
            residuals.append(sp.diff(loss, wb[i][j]) - g[j] * _silu(xs[i]))
            residuals.append(sp.diff(loss, ws[i][j])
                             - g[j] * sum(c[i][j][m] * Bx[i][m] for m in range(M)))
        base = 0 if broken == "no_silu" else dsilu[i] * sum(wb[i][j] * g[j] for j in range(2))
        hand_x = base + sum(dB[i][m] * sum(ws[i][j] * c[i][j][m] * g[j] for j in range(2))
                            for m in range(M))
        residuals.append(sp.diff(loss, xs[i]) - hand_x)
    return {"residuals": residuals,
            "holds": all(sp.expand(res) == 0 for res in residuals)}


def numeric_agreement(seed: int = 0) -> dict:
    r"""Max relative difference between the SymPy gradient and :class:`lecturenn.kan.KANLayer`."""
    from lecturenn.kan import KANLayer

    L = tiny_layer()
    xs, c, wb, ws, r, y, M = (L[key] for key in ("x", "c", "wb", "ws", "r", "y", "M"))
    rng = np.random.default_rng(seed)
    xv = np.array([rng.uniform(-1, 0), rng.uniform(0, 1)])  # on PIECES
    cv = rng.normal(size=(2, 2, M))
    wbv, wsv, rv = rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=2)
    subs = {xs[0]: xv[0], xs[1]: xv[1], r[0]: rv[0], r[1]: rv[1]}
    for i in range(2):
        for j in range(2):
            subs[wb[i][j]], subs[ws[i][j]] = wbv[i, j], wsv[i, j]
            for m in range(M):
                subs[c[i][j][m]] = cv[i, j, m]
    loss = sum((y[j] - r[j]) ** 2 for j in range(2)) / 2
    sym = {
        "c": np.array([[[float(sp.diff(loss, c[i][j][m]).evalf(subs=subs)) for m in range(M)]
                        for j in range(2)] for i in range(2)]),
        "w_b": np.array([[float(sp.diff(loss, wb[i][j]).evalf(subs=subs)) for j in range(2)]
                         for i in range(2)]),
        "w_s": np.array([[float(sp.diff(loss, ws[i][j]).evalf(subs=subs)) for j in range(2)]
                         for i in range(2)]),
        "x": np.array([float(sp.diff(loss, v).evalf(subs=subs)) for v in xs]),
    }
    layer = KANLayer(2, 2, G=2, k=_K, grid_range=(-1.0, 1.0))
    layer.c.data[...] = cv
    layer.w_b.data[...] = wbv
    layer.w_s.data[...] = wsv
    out = layer.forward(xv[None, :])
    gx = layer.backward(out - rv[None, :])
    num = {"c": layer.c.grad, "w_b": layer.w_b.grad, "w_s": layer.w_s.grad, "x": gx[0]}
    return {name: float(np.max(np.abs(num[name] - sym[name]))
                        / max(1.0, float(np.max(np.abs(sym[name]))))) for name in sym}


def check_layer_gradients() -> bool:
    """The backward formulas equal the direct derivatives; the broken ones do not."""
    return (layer_gradients()["holds"] and not layer_gradients("no_ws")["holds"]
            and not layer_gradients("no_silu")["holds"])


def check_numeric_agreement() -> bool:
    """KANLayer.backward equals the SymPy gradient to 1e-12 (relative, float64), 3 seeds."""
    return all(max(numeric_agreement(s).values()) < 1e-12 for s in range(3))
