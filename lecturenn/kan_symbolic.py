r"""Reading a KAN as a formula: symbolic snapping of edges, and the network as a SymPy expression.

Liu et al., *KAN: Kolmogorov–Arnold Networks* (2024), §2.5.1 "simplification techniques",
step 3 "symbolification": after sparsification and pruning, each remaining edge
:math:`\varphi` is compared with a small library of functions :math:`f` and, where one fits,
*snapped* to

.. math::

    \varphi(x) \approx c\,f(a x + b) + d,

the four affine parameters fitted to the edge's own activations on the training data; the
snapped network is trained again (its affine parameters) and read off as a formula. pykan
0.2.8 calls the steps ``suggest_symbolic``, ``fix_symbolic``, ``auto_symbolic`` and
``symbolic_formula`` (``kan/MultKAN.py``, ``kan/utils.py``, read for this module; the code
here is written from the formulas below, not from theirs). Continued in the chapter's section
"Reading a KAN as a formula" (``book/kan.ipynb``).

**The library** (:data:`LIBRARY`): each :class:`SymbolicFunction` has a NumPy value and
derivative, a SymPy form, a complexity (an integer, the price of the rule below) and a
domain. The derivatives are checked against SymPy's in
:mod:`lecturenn.derivations.kan_symbolic`.

**Domain policy.** ``1/x``, ``sqrt`` and ``log`` are used on :math:`u = a x + b > 0` only.
(i) In the fit, a candidate :math:`(a, b)` that puts the argument of any sample at
:math:`u \le 0` is discarded (pykan evaluates it anyway and turns the NaN into an
:math:`R^2` of 0 or uses :math:`\log|u|`, :math:`\sqrt{|u|}\operatorname{sign} u`); if no
candidate is left the function is reported with :math:`R^2 = -\infty` and is never chosen.
This loses nothing for ``1/x`` (:math:`c/u = (-c)/(-u)`, so the fit with :math:`-a, -b, -c`
covers negative arguments) and for ``log`` and ``sqrt`` of arguments that are negative on all
samples; it excludes a pole or a branch point between the samples, which no continuous edge
matches anyway. (ii) In the forward pass a snapped edge whose argument leaves the domain, or
whose value is not finite (``exp`` overflowing), raises a ``ValueError`` that names the edge:
the formula does not hold there, and silently returning NaN would only move the error into
the optimizer. ``abs`` has the derivative :math:`\operatorname{sign} u`, taken as 0 at 0.

**The fit of one edge** (:func:`fit_edge_function`): :math:`x` are the inputs that reach the
edge on the data, :math:`y = \varphi(x)` its values (the whole edge, residual
:math:`w_b\,\mathrm{silu}` included, as pykan's ``spline_postacts``, which despite the name are
the full edge values). For fixed :math:`(a, b)` the best :math:`(c, d)` are the least-squares
line of :math:`y` on :math:`f(a x + b)`, and its coefficient of determination is the squared
correlation :math:`R^2(a, b) = \operatorname{corr}(f(a x + b), y)^2`. (1) :math:`R^2` is
maximised over a grid of :math:`(a, b)` in ``a_range`` :math:`\times` ``b_range`` (pykan:
:math:`101 \times 101` on :math:`[-10, 10]^2`; here 41 by 41, evaluated on at most 256 of
the samples, their order statistics), zoomed ``zooms`` times into the cell around the best
point; (2) :math:`(a, b, c, d)` are refined on all samples by a Levenberg–Marquardt
(damped Gauss–Newton) iteration on :math:`\sum_n (c f(a x_n + b) + d - y_n)^2`, with the
Jacobian columns :math:`c f'(u) x`, :math:`c f'(u)`, :math:`f(u)`, :math:`1`; a step is kept
only if it lowers the sum of squares and stays in the domain; (3) the result is put in a
canonical form by exact identities that remove the redundant parameter of most functions:
:math:`c e^{ax+b} = (ce^b)e^{ax}` (so :math:`b = 0`), :math:`c(ax+b)^p = ca^p(x + b/a)^p`
and :math:`c|ax+b| = c|a|\,|x+b/a|` (:math:`a = 1`), :math:`1/x`, :math:`\sqrt{x}`,
:math:`\log x` with :math:`|a| = 1` (the factor moved into :math:`c`, for the logarithm into
:math:`d`), :math:`a > 0` for the odd ``sin``, ``tanh`` and the even ``gaussian``, and
:math:`c > 0`, :math:`b \in [-\pi, \pi]` for ``sin`` (:math:`\sin(u + \pi) = -\sin u`).
The redundant direction is flat for the least
squares (pykan's fit wanders along it: an exponential edge came out with
:math:`c \approx 2\cdot10^5`, :math:`b \approx -9.6`), and for L-BFGS in the retraining,
whose long steps along it then overflow :math:`e^{ax+b}`. The reported
:math:`R^2 = 1 - \mathrm{SSE}/\mathrm{SST}` of the final fit on all samples, and
``r2_grid``, the grid's best value (pykan's number, without its :math:`+10^{-4}` in the
denominator, which lowers the :math:`R^2` of small edges). For ``x`` the fit is the
least-squares line (:math:`a = 1, b = 0`: :math:`a` and :math:`c` only enter as :math:`ca`);
for ``0`` it is the mean, :math:`R^2 = 0`. An edge that is constant on the samples fits every
function exactly (:math:`R^2 = 1`, :math:`c = 0`).

**The choice rule** (:func:`suggest_symbolic`), pykan's: rank the candidates by

.. math::

    s(f) = w\,\mathrm{complexity}(f) + (1 - w)\log_2\bigl(1 + 10^{-5} - R^2(f)\bigr),

``weight_simple`` :math:`w = 0.8` by default: one unit of complexity is worth a factor
:math:`2^{w/(1-w)} = 16` in :math:`1 - R^2`. A consequence the paper does not state: with the
function ``0`` (complexity 0, :math:`R^2 = 0`, score 0) in the library, a complexity-2
function (``sin``, ``x^2``, ``exp``) is chosen over ``0`` only if
:math:`R^2 > 1 - 2^{-8} \approx 0.996`, and ``x`` only if :math:`R^2 > 1 - 2^{-4} = 0.9375`:
the rule deletes badly fitting edges.

**Snapped edges in the network** (:class:`SymbolicKANLayer`, a :class:`lecturenn.kan.KANLayer`
with an extra parameter ``affine`` of shape :math:`(n_\mathrm{in}, n_\mathrm{out}, 4)`). On a
snapped edge the spline parameters :math:`c_{ij\cdot}, w_{b,ij}, w_{s,ij}` are deleted (set
to zero and masked, :attr:`lecturenn.parameter.Parameter.mask`, so every optimizer keeps
them at zero: the edge is no longer a spline), and the layer adds
:math:`c_{ij} f_{ij}(a_{ij}x_i + b_{ij}) + d_{ij}`; ``affine`` is masked to the snapped
edges. The affine parameters are **trainable** (as in pykan, where they are a
``torch.nn.Parameter``; the paper's text does not say): with :math:`u = a x + b` and
:math:`g = \partial Q/\partial y_j`,

.. math::

    \frac{\partial Q}{\partial a} = \sum_n g\,c f'(u) x, \quad
    \frac{\partial Q}{\partial b} = \sum_n g\,c f'(u), \quad
    \frac{\partial Q}{\partial c} = \sum_n g\,f(u), \quad
    \frac{\partial Q}{\partial d} = \sum_n g, \quad
    \frac{\partial Q}{\partial x_{ni}} \mathrel{+}= g\,c\,a\,f'(u),

added to the spline layer's own BackProp (which is not changed: the deleted entries
contribute zero to the output and to the input gradient). Checked by finite differences,
SymPy and PyTorch autograd in ``tests/test_kan_symbolic.py``. The numeric parameters of the
remaining spline edges train as before, so a partly snapped network is trained as one.

**The formula** (:func:`symbolic_formula`): once every edge is snapped the network is a
composition of library functions, returned as SymPy expressions in :math:`x_1, \dots, x_n`;
for a spline edge left it **refuses** with a ``ValueError`` that names the edges (no
piecewise spline is written out). SymPy is imported on the first call only.

The operations that change a network (:func:`fix_symbolic`, :func:`auto_symbolic`) return a
new network, as :func:`lecturenn.kan_sparsity.prune_nodes` and
:func:`lecturenn.kan.refine_network` do. Snap after pruning: ``prune_nodes`` and
``sparsify`` know spline edges only (pruning a snapped network would drop its symbolic edges).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lecturenn._validation import (
    as_batch,
    as_float_array,
    check_in_range,
    check_int,
    check_real,
    describe,
)
from lecturenn.kan import KANLayer, kan_inputs
from lecturenn.layers import register_layer
from lecturenn.parameter import Parameter

__all__ = [
    "SymbolicFunction",
    "LIBRARY",
    "EdgeFit",
    "fit_edge_function",
    "edge_samples",
    "suggest_symbolic",
    "rank_fits",
    "fix_symbolic",
    "auto_symbolic",
    "copy_network",
    "unsnapped_edges",
    "symbolic_formula",
    "rounded",
    "SymbolicKANLayer",
    "toy_formula_experiment",
]


@dataclass(frozen=True)
class SymbolicFunction:
    r"""One function :math:`f` of the library.

    Attributes
    ----------
    name : str
        Its name (``"sin"``, ``"x^2"``, ...).
    value, derivative : callable
        :math:`f(u)` and :math:`f'(u)` on NumPy arrays.
    sympy : callable
        ``sympy(sp, u)`` builds the SymPy form from the module ``sp`` and a symbol ``u``
        (SymPy is imported only when a formula is built).
    complexity : int
        Its price in the choice rule of :func:`suggest_symbolic`.
    positive : bool
        Defined on :math:`u > 0` only (see the domain policy of the module docstring).
    """

    name: str
    value: object
    derivative: object
    sympy: object
    complexity: int
    positive: bool = False


def _gauss(u):
    return np.exp(-u * u)


#: The library, by name. Complexities as pykan 0.2.8's ``SYMBOLIC_LIB`` (which gives ``x^4``
#: the 3 of ``x^3``; here 4).
LIBRARY: dict[str, SymbolicFunction] = {f.name: f for f in (
    SymbolicFunction("0", lambda u: np.zeros_like(u), lambda u: np.zeros_like(u),
                     lambda sp, u: sp.Integer(0), 0),
    SymbolicFunction("x", lambda u: u, lambda u: np.ones_like(u), lambda sp, u: u, 1),
    SymbolicFunction("x^2", lambda u: u * u, lambda u: 2 * u, lambda sp, u: u ** 2, 2),
    SymbolicFunction("x^3", lambda u: u ** 3, lambda u: 3 * u * u, lambda sp, u: u ** 3, 3),
    SymbolicFunction("x^4", lambda u: u ** 4, lambda u: 4 * u ** 3, lambda sp, u: u ** 4, 4),
    SymbolicFunction("1/x", lambda u: 1 / u, lambda u: -1 / (u * u), lambda sp, u: 1 / u, 2,
                     positive=True),
    SymbolicFunction("sqrt", np.sqrt, lambda u: 0.5 / np.sqrt(u), lambda sp, u: sp.sqrt(u), 2,
                     positive=True),
    SymbolicFunction("exp", np.exp, np.exp, lambda sp, u: sp.exp(u), 2),
    SymbolicFunction("log", np.log, lambda u: 1 / u, lambda sp, u: sp.log(u), 2,
                     positive=True),
    SymbolicFunction("sin", np.sin, np.cos, lambda sp, u: sp.sin(u), 2),
    SymbolicFunction("tanh", np.tanh, lambda u: 1 - np.tanh(u) ** 2, lambda sp, u: sp.tanh(u),
                     3),
    SymbolicFunction("abs", np.abs, np.sign, lambda sp, u: sp.Abs(u), 3),
    SymbolicFunction("gaussian", _gauss, lambda u: -2 * u * _gauss(u),
                     lambda sp, u: sp.exp(-u ** 2), 3),
)}


def _function(name, arg="fun") -> SymbolicFunction:
    if not isinstance(name, str) or name not in LIBRARY:
        raise ValueError(f"{arg} must be the name of a library function, one of "
                         f"{list(LIBRARY)}, got {describe(name)}")
    return LIBRARY[name]


def _library(lib) -> list[SymbolicFunction]:
    if lib is None:
        return list(LIBRARY.values())
    if isinstance(lib, (str, bytes)) or not isinstance(lib, Sequence) or not lib:
        raise ValueError(f"lib must be a non-empty list of library names, got {describe(lib)}")
    return [_function(name, "lib entry") for name in lib]


@dataclass(frozen=True)
class EdgeFit:
    r"""The fit :math:`\varphi(x) \approx c\,f(a x + b) + d` of one edge by one function.

    Attributes
    ----------
    name : str
        The library function.
    a, b, c, d : float
        The affine parameters.
    r2 : float
        :math:`1 - \mathrm{SSE}/\mathrm{SST}` on all samples (:math:`-\infty` if no
        :math:`(a, b)` keeps the argument in the domain).
    r2_grid : float
        The best :math:`R^2` of the grid search, before the refinement.
    complexity : int
    score : float
        The rule of :func:`suggest_symbolic` (lower is better; ``inf`` if not applicable).
    edge : tuple of int or None
        ``(l, i, j)`` when the samples came from a network's edge.
    """

    name: str
    a: float
    b: float
    c: float
    d: float
    r2: float
    r2_grid: float
    complexity: int
    score: float = math.inf
    edge: tuple | None = None

    @property
    def params(self) -> tuple[float, float, float, float]:
        """``(a, b, c, d)``."""
        return (self.a, self.b, self.c, self.d)

    def __call__(self, x) -> np.ndarray:
        """:math:`c\\,f(a x + b) + d`."""
        f = LIBRARY[self.name]
        with np.errstate(all="ignore"):
            return self.c * f.value(self.a * np.asarray(x, dtype=float) + self.b) + self.d


def _check_range(name, value):
    if (isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2):
        raise ValueError(f"{name} must be a pair (low, high), got {describe(value)}")
    low, high = check_real(f"{name}[0]", value[0]), check_real(f"{name}[1]", value[1])
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {describe(value)}")
    return low, high


def _in_domain(f, u) -> np.ndarray:
    """Per column (the last axis is the samples): every argument in the domain."""
    return np.all(u > 0, axis=-1) if f.positive else np.ones(u.shape[:-1], dtype=bool)


def _grid_r2(f, x, y, A, B):
    """:math:`R^2(a, b)` = corr(f(ax+b), y)^2 on the grid (A, B); -inf outside the domain."""
    U = A[..., None] * x + B[..., None]
    with np.errstate(all="ignore"):
        F = f.value(U)
    ok = _in_domain(f, U) & np.all(np.isfinite(F), axis=-1)
    F = np.where(ok[..., None], F, 0.0)
    Fc = F - F.mean(axis=-1, keepdims=True)
    yc = y - y.mean()
    sxx = np.einsum("...n,...n->...", Fc, Fc)
    sxy = Fc @ yc
    syy = float(yc @ yc)
    scale = np.einsum("...n,...n->...", F, F)
    flat = sxx <= 1e-12 * np.maximum(scale, 1e-300)  # f(ax+b) constant on the samples
    with np.errstate(all="ignore"):
        r2 = np.where(flat, 0.0, sxy * sxy / (sxx * syy))
    return np.where(ok, np.clip(r2, 0.0, 1.0), -np.inf)


def _line(F, y):
    """Least-squares c, d of y ~ c F + d, and the sum of squares."""
    Fc = F - F.mean()
    sxx = float(Fc @ Fc)
    c = float(Fc @ (y - y.mean())) / sxx if sxx > 1e-12 * max(float(F @ F), 1e-300) else 0.0
    d = float(y.mean() - c * F.mean())
    r = c * F + d - y
    return c, d, float(r @ r)


def _sse(f, x, y, p):
    a, b, c, d = p
    u = a * x + b
    if f.positive and not np.all(u > 0):
        return math.inf
    with np.errstate(all="ignore"):
        r = c * f.value(u) + d - y
    s = float(r @ r)
    return s if math.isfinite(s) else math.inf


def _levenberg_marquardt(f, x, y, p, steps):
    """Refine (a, b, c, d) by damped Gauss-Newton; a step is kept only if the SSE falls."""
    p = np.array(p, dtype=float)
    sse = _sse(f, x, y, p)
    lam = 1e-3
    for _ in range(steps):
        a, b, c, d = p
        u = a * x + b
        with np.errstate(all="ignore"):
            fu, dfu = f.value(u), f.derivative(u)
        J = np.stack([c * dfu * x, c * dfu, fu, np.ones_like(x)], axis=1)
        r = c * fu + d - y
        if not (np.all(np.isfinite(J)) and np.all(np.isfinite(r))):
            break
        JTJ, g = J.T @ J, J.T @ r
        diag = np.diag(np.diag(JTJ)) + 1e-12 * np.eye(4) * max(float(np.trace(JTJ)), 1.0)
        improved = False
        for _ in range(12):
            try:
                delta = np.linalg.solve(JTJ + lam * diag, -g)
            except np.linalg.LinAlgError:
                lam *= 10
                continue
            trial = p + delta
            s = _sse(f, x, y, trial)
            if s < sse:
                improved = (sse - s) > 1e-15 * max(sse, 1e-300)
                p, sse, lam = trial, s, max(lam / 3, 1e-12)
                break
            lam *= 4
        if not improved:
            break
    return p, sse


def _canonical(name, p):
    r"""The same function :math:`c f(ax+b)+d` with the redundant parameter fixed (exact
    identities, see the module docstring)."""
    a, b, c, d = (float(v) for v in p)
    if name == "exp":
        scale = math.exp(b) if b < 700 else math.inf
        if math.isfinite(c * scale):
            b, c = 0.0, c * scale
    elif name in ("x^2", "x^3", "x^4", "abs") and a != 0:
        power = {"x^2": 2, "x^3": 3, "x^4": 4, "abs": 1}[name]
        c = c * (abs(a) if name == "abs" else a ** power)
        a, b = 1.0, b / a
    elif name in ("1/x", "sqrt", "log") and a != 0:
        m, sgn = abs(a), math.copysign(1.0, a)
        if name == "1/x":
            c = c / m
        elif name == "sqrt":
            c = c * math.sqrt(m)
        else:
            d = d + c * math.log(m)
        a, b = sgn, b / m
    elif name in ("sin", "tanh", "gaussian") and a < 0:
        a, b = -a, -b
        if name != "gaussian":
            c = -c
    if name == "sin":
        if c < 0:  # sin(u + pi) = -sin(u)
            b, c = b + math.pi, -c
        b = b - 2 * math.pi * round(b / (2 * math.pi))
    return np.array([a, b, c, d])


def fit_edge_function(x, y, fun, a_range=(-10.0, 10.0), b_range=(-10.0, 10.0), grid: int = 41,
                      zooms: int = 2, refine_steps: int = 30, max_grid_samples: int = 256,
                      edge=None) -> EdgeFit:
    r"""Fit :math:`y \approx c\,f(a x + b) + d` (see the module docstring for the method).

    Parameters
    ----------
    x, y : array_like
        The samples, 1-D, of the same length (at least 2).
    fun : str
        The name of a function of :data:`LIBRARY`.
    a_range, b_range : pair of float, optional
        The grid of the search for :math:`a` and :math:`b` (pykan's :math:`[-10, 10]`).
    grid : int, optional
        Points per axis of the grid (at least 3).
    zooms : int, optional
        Rounds of zooming into the best cell after the first grid.
    refine_steps : int, optional
        Levenberg–Marquardt iterations (0: pykan's grid search alone, then the line
        :math:`c, d`).
    max_grid_samples : int, optional
        The grid search uses at most this many samples (their order statistics); the
        refinement and the reported :math:`R^2` use all.

    Returns
    -------
    EdgeFit
    """
    f = _function(fun)
    x = as_float_array("x", x, ndim=1).astype(np.float64)
    y = as_float_array("y", y, ndim=1).astype(np.float64)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got shapes {x.shape} "
                         f"and {y.shape}")
    a_lo, a_hi = _check_range("a_range", a_range)
    b_lo, b_hi = _check_range("b_range", b_range)
    grid = check_int("grid", grid, minimum=3)
    zooms = check_int("zooms", zooms, minimum=0)
    refine_steps = check_int("refine_steps", refine_steps, minimum=0)
    max_grid_samples = check_int("max_grid_samples", max_grid_samples, minimum=2)
    yc = y - y.mean()
    sst = float(yc @ yc)
    if sst <= 1e-24 * max(float(y @ y), 1e-300):  # a constant edge: every f fits with c = 0
        return EdgeFit(f.name, 1.0, 0.0, 0.0, float(y.mean()), 1.0, 1.0, f.complexity,
                       edge=edge)
    if f.name == "0":
        return EdgeFit("0", 1.0, 0.0, 0.0, float(y.mean()), 0.0, 0.0, 0, edge=edge)
    if f.name == "x":
        c, d, sse = _line(x, y)
        r2 = 1.0 - sse / sst
        return EdgeFit("x", 1.0, 0.0, c, d, r2, r2, f.complexity, edge=edge)
    order = np.argsort(x, kind="stable")
    if x.size > max_grid_samples:
        order = order[np.linspace(0, x.size - 1, max_grid_samples).round().astype(int)]
    xs, ys = x[order], y[order]
    lo, hi = (a_lo, b_lo), (a_hi, b_hi)
    best_r2, best_ab = -math.inf, None
    for _ in range(zooms + 1):
        av, bv = np.linspace(lo[0], hi[0], grid), np.linspace(lo[1], hi[1], grid)
        A, B = np.meshgrid(av, bv, indexing="ij")
        r2 = _grid_r2(f, xs, ys, A, B)
        ia, ib = np.unravel_index(int(np.argmax(r2)), r2.shape)
        if not np.isfinite(r2[ia, ib]):
            break
        if r2[ia, ib] >= best_r2:
            best_r2, best_ab = float(r2[ia, ib]), (float(av[ia]), float(bv[ib]))
        lo = (av[max(ia - 1, 0)], bv[max(ib - 1, 0)])
        hi = (av[min(ia + 1, grid - 1)], bv[min(ib + 1, grid - 1)])
    if best_ab is None:
        return EdgeFit(f.name, 1.0, 0.0, 0.0, float(y.mean()), -math.inf, -math.inf,
                       f.complexity, edge=edge)
    a, b = best_ab
    with np.errstate(all="ignore"):
        c, d, sse = _line(f.value(a * x + b), y)
    p = np.array([a, b, c, d])
    if not (f.positive and not np.all(a * x + b > 0)) and math.isfinite(sse):
        r2_grid = 1.0 - sse / sst
        if refine_steps:
            p, sse = _levenberg_marquardt(f, x, y, p, refine_steps)
        p = _canonical(f.name, p)
    else:  # the subsample was in the domain, some other sample is not
        r2_grid, sse = -math.inf, math.inf
    r2 = 1.0 - sse / sst if math.isfinite(sse) else -math.inf
    return EdgeFit(f.name, *map(float, p), r2, r2_grid, f.complexity, edge=edge)


def _score(r2, complexity, weight_simple):
    if not math.isfinite(r2):
        return math.inf
    return weight_simple * complexity + (1 - weight_simple) * math.log2(1 + 1e-5 - min(r2, 1.0))


def _kan_layers(net, where):
    layers = getattr(net, "layers", None)
    if layers is None or not layers or not all(isinstance(lay, KANLayer) for lay in layers):
        raise TypeError(f"{where} needs a Network of KANLayer layers, got {describe(net)}")
    return layers


def _check_edge(layers, l, i, j):
    l = check_int("l", l, minimum=0)
    if l >= len(layers):
        raise ValueError(f"l must be a layer index < {len(layers)}, got {l}")
    i = check_int("i", i, minimum=0)
    if i >= layers[l].n_in:
        raise ValueError(f"i must be an input index of layer {l} (< {layers[l].n_in}), got {i}")
    j = check_int("j", j, minimum=0)
    if j >= layers[l].n_out:
        raise ValueError(f"j must be an output index of layer {l} (< {layers[l].n_out}), "
                         f"got {j}")
    return l, i, j


def edge_samples(net, l: int, i: int, j: int, X):
    r"""The input :math:`x_{ni}` that reaches edge ``(l, i, j)`` on ``X`` and its value
    :math:`\varphi_{ij}(x_{ni})`: two 1-D arrays (layers and edges counted from 0)."""
    layers = _kan_layers(net, "edge_samples")
    l, i, j = _check_edge(layers, l, i, j)
    h = kan_inputs(net, X)[l]
    return h[:, i].copy(), layers[l].edge_values(h)[:, i, j]


def suggest_symbolic(net, l: int, i: int, j: int, X, lib=None, weight_simple: float = 0.8,
                     **fit_options) -> list[EdgeFit]:
    r"""Every library function fitted to edge ``(l, i, j)`` on ``X``, best first.

    The ranking is pykan's rule
    :math:`s = w\,\mathrm{complexity} + (1-w)\log_2(1 + 10^{-5} - R^2)`,
    :math:`w` = ``weight_simple`` in :math:`[0, 1]` (0: by :math:`R^2` alone); ties by the
    lower complexity. ``lib`` restricts the library (a list of names); ``fit_options`` go to
    :func:`fit_edge_function`. Liu et al. 2024, §2.5.1, step 3.
    """
    check_in_range("weight_simple", weight_simple, 0.0, 1.0, closed_high=True)
    funcs = _library(lib)
    x, y = edge_samples(net, l, i, j, X)
    return rank_fits([fit_edge_function(x, y, f.name, edge=(l, i, j), **fit_options)
                      for f in funcs], weight_simple)


def rank_fits(fits, weight_simple: float = 0.8) -> list[EdgeFit]:
    r"""The fits with their ``score``
    :math:`w\,\mathrm{complexity} + (1-w)\log_2(1 + 10^{-5} - R^2)` set, best first
    (ties by the lower complexity, then the higher :math:`R^2`); :math:`w` =
    ``weight_simple`` in :math:`[0, 1]`."""
    w = check_in_range("weight_simple", weight_simple, 0.0, 1.0, closed_high=True)
    if isinstance(fits, (str, bytes)) or not isinstance(fits, Sequence) or not all(
            isinstance(f, EdgeFit) for f in fits):
        raise TypeError(f"fits must be a list of EdgeFit, got {describe(fits)}")
    scored = [EdgeFit(**{**f.__dict__, "score": _score(f.r2, f.complexity, w)}) for f in fits]
    return sorted(scored, key=lambda e: (e.score, e.complexity, -e.r2))


# ---------------------------------------------------------------------------- the layer
@register_layer
class SymbolicKANLayer(KANLayer):
    r"""A :class:`lecturenn.kan.KANLayer` some of whose edges are snapped to
    :math:`c\,f(a x + b) + d` (see the module docstring).

    Parameters
    ----------
    n_in, n_out, G, k, grid_range, init, noise_scale, knots, rng, dtype
        As :class:`lecturenn.kan.KANLayer`.
    symbolic : list of (int, int, str), optional
        The snapped edges ``(i, j, name)``; their affine parameters start at
        :math:`(a, b, c, d) = (1, 0, 1, 0)` (set ``affine.data`` to change them).

    Attributes
    ----------
    functions : numpy.ndarray of str
        ``(n_in, n_out)``: the library name of each snapped edge, ``""`` for a spline edge.
    affine : Parameter
        ``(n_in, n_out, 4)``: :math:`(a, b, c, d)` of each edge, masked to the snapped ones.
    """

    _CONFIG_KEYS = KANLayer._CONFIG_KEYS + ("symbolic",)

    def __init__(self, n_in: int, n_out: int, G: int = 5, k: int = 3, grid_range=(-1.0, 1.0),
                 init: str = "paper", noise_scale=None, knots=None, symbolic=(), rng=0,
                 dtype=np.float64) -> None:
        super().__init__(n_in, n_out, G=G, k=k, grid_range=grid_range, init=init,
                         noise_scale=noise_scale, knots=knots, rng=rng, dtype=dtype)
        self.functions = np.full((self.n_in, self.n_out), "", dtype=object)
        self.affine = Parameter(np.zeros((self.n_in, self.n_out, 4), dtype=self.dtype),
                                name="affine")
        for i, j, name in self._check_symbolic(symbolic, self.n_in, self.n_out):
            self.functions[i, j] = name
            self.affine.data[i, j] = (1.0, 0.0, 1.0, 0.0)
        self._groups: list = []
        self._sym_u: list = []
        self._refresh()

    @staticmethod
    def _check_symbolic(symbolic, n_in, n_out):
        if isinstance(symbolic, (str, bytes)) or not isinstance(symbolic, (Sequence, np.ndarray)):
            raise ValueError(f"symbolic must be a list of (i, j, name), got {describe(symbolic)}")
        out, seen = [], set()
        for e in symbolic:
            if isinstance(e, (str, bytes)) or not isinstance(e, (Sequence, np.ndarray)) \
                    or len(e) != 3:
                raise ValueError(f"every entry of symbolic must be (i, j, name), got "
                                 f"{describe(e)}")
            i = check_int("i of a symbolic entry", e[0], minimum=0)
            j = check_int("j of a symbolic entry", e[1], minimum=0)
            if i >= n_in or j >= n_out:
                raise ValueError(f"the symbolic entry {describe(e)} is outside the "
                                 f"{n_in} x {n_out} edges")
            if (i, j) in seen:
                raise ValueError(f"the edge ({i}, {j}) appears twice in symbolic")
            seen.add((i, j))
            out.append((i, j, _function(e[2], "name of a symbolic entry").name))
        return out

    def _refresh(self) -> None:
        """Masks and the groups of snapped edges by function, after ``functions`` changed."""
        snapped = self.functions != ""
        if snapped.any():
            self.c.set_mask(np.broadcast_to(~snapped[:, :, None], self.c.data.shape).copy())
            self.w_b.set_mask(~snapped)
            self.w_s.set_mask(~snapped)
        else:
            for p in (self.c, self.w_b, self.w_s):
                p.set_mask(None)
        self.affine.set_mask(np.broadcast_to(snapped[:, :, None], self.affine.data.shape).copy())
        self._groups = []
        for name in sorted({str(v) for v in self.functions[snapped]}):
            I, J = np.nonzero(self.functions == name)
            self._groups.append((LIBRARY[name], I, J))

    @property
    def snapped(self) -> np.ndarray:
        """``(n_in, n_out)`` Boolean: which edges are snapped."""
        return self.functions != ""

    def parameters(self) -> list[Parameter]:
        return [self.c, self.w_b, self.w_s, self.affine]

    def _edge_args(self, x, f, I, J):
        a, b = self.affine.data[I, J, 0], self.affine.data[I, J, 1]
        u = x[:, I] * a + b
        if f.positive and not np.all(u > 0):
            raise ValueError(self._domain_message(f, I, J, u, "a x + b <= 0"))
        return u

    def _domain_message(self, f, I, J, u, what):
        bad = ~(u > 0) if what.endswith("<= 0") else ~np.isfinite(u)
        e = int(np.flatnonzero(bad.any(axis=0))[0])
        return (f"the snapped edge (i={int(I[e])}, j={int(J[e])}) of {self!r}, "
                f"c {f.name}(a x + b) + d, gets {what} at {int(bad[:, e].sum())} of "
                f"{u.shape[0]} inputs: outside its domain the formula does not hold "
                f"(see the domain policy of lecturenn.kan_symbolic)")

    def _symbolic_values(self, x, keep):
        """The snapped edges' values per group, ``(n, E)`` each."""
        vals, us = [], []
        for f, I, J in self._groups:
            u = self._edge_args(x, f, I, J)
            with np.errstate(over="ignore", invalid="ignore"):
                v = self.affine.data[I, J, 2] * f.value(u) + self.affine.data[I, J, 3]
            if not np.all(np.isfinite(v)):
                raise ValueError(self._domain_message(f, I, J, v, "a value that is not finite"))
            vals.append(v)
            us.append(u)
        if keep:
            self._sym_u = us
        return vals

    def forward(self, x, train=False):
        out = super().forward(x, train)
        if self._groups:
            for (_, _, J), v in zip(self._groups, self._symbolic_values(x, True), strict=True):
                np.add.at(out, (slice(None), J), v)
        return out

    def backward(self, grad_out, need_input_grad=True):
        gx = super().backward(grad_out, need_input_grad)
        ga = np.zeros_like(self.affine.data)
        x = self.cache.x
        for (f, I, J), u in zip(self._groups, self._sym_u, strict=True):
            a, c = self.affine.data[I, J, 0], self.affine.data[I, J, 2]
            g = grad_out[:, J]
            gb = g * (c * f.derivative(u))
            ga[I, J, 0] = np.einsum("ne,ne->e", gb, x[:, I])
            ga[I, J, 1] = gb.sum(axis=0)
            ga[I, J, 2] = np.einsum("ne,ne->e", g, f.value(u))
            ga[I, J, 3] = g.sum(axis=0)
            if need_input_grad:
                np.add.at(gx, (slice(None), I), gb * a)
        self.affine.grad = ga
        return gx

    def edge_values(self, x) -> np.ndarray:
        r""":math:`\varphi_{ij}(x_{ni})`, ``(n, n_in, n_out)``: the spline edges as
        :meth:`lecturenn.kan.KANLayer.edge_values`, the snapped ones :math:`c f(ax+b)+d`."""
        x = as_batch("x", x, self.n_in, self.dtype, where=repr(self), owner="the layer")
        vals = super().edge_values(x)
        for (_, I, J), v in zip(self._groups, self._symbolic_values(x, False), strict=True):
            vals[:, I, J] += v
        return vals

    def update_grid(self, x, grid_eps: float = 0.02, margin: float = 0.0):
        super().update_grid(x, grid_eps=grid_eps, margin=margin)
        self.c.apply_mask()
        return self

    def refined(self, G: int, x):
        """:meth:`lecturenn.kan.KANLayer.refined`, the snapped edges kept."""
        return _copy_layer(super().refined(G, x), self.functions, self.affine.data)

    def config(self) -> dict:
        cfg = super().config()
        cfg["type"] = "SymbolicKANLayer"
        cfg["symbolic"] = [[int(i), int(j), str(self.functions[i, j])]
                           for i, j in zip(*np.nonzero(self.snapped), strict=True)]
        return cfg

    @classmethod
    def _check_config(cls, cfg):
        base = {k: v for k, v in cfg.items() if k != "symbolic"}
        n_in, n_out, G, k = super()._check_config(base)
        cls._check_symbolic(cfg.get("symbolic", ()), n_in, n_out)
        return n_in, n_out, G, k

    @classmethod
    def parameter_shapes(cls, cfg):
        r"""As :meth:`lecturenn.kan.KANLayer.parameter_shapes`, and ``affine``:
        :math:`n_\mathrm{in} \times n_\mathrm{out} \times 4`."""
        shapes = super().parameter_shapes(cfg)
        shapes["affine"] = shapes["w_b"] + (4,)
        return shapes

    @property
    def n_params(self) -> int:
        """The trainable numbers: the spline edges' and four per snapped edge."""
        return int(sum(p.n_active for p in self.parameters()))

    def __repr__(self) -> str:
        return (f"SymbolicKANLayer({self.n_in}, {self.n_out}, G={self.G}, k={self.k}, "
                f"snapped={int(self.snapped.sum())})")


def _copy_layer(layer: KANLayer, functions=None, affine=None) -> SymbolicKANLayer:
    """A :class:`SymbolicKANLayer` computing what ``layer`` computes (the same parameters)."""
    if functions is None:
        functions = getattr(layer, "functions", np.full((layer.n_in, layer.n_out), "",
                                                        dtype=object))
        affine = getattr(layer, "affine", None)
        affine = None if affine is None else affine.data
    new = SymbolicKANLayer(layer.n_in, layer.n_out, G=layer.G, k=layer.k,
                           grid_range=layer.grid_range, init=layer.init,
                           noise_scale=layer.noise_scale,
                           knots=layer.knots if layer._custom_knots else None,
                           dtype=layer.dtype)
    new.knots = layer.knots.copy()
    new._custom_knots = layer._custom_knots
    new.c.data = layer.c.data.copy()
    new.w_b.data = layer.w_b.data.copy()
    new.w_s.data = layer.w_s.data.copy()
    new.functions = np.array(functions, dtype=object).copy()
    if affine is not None:
        new.affine.data = np.array(affine, dtype=layer.dtype).copy()
    new._refresh()
    return new


def copy_network(net):
    """A copy of a KAN whose layers are :class:`SymbolicKANLayer` (nothing shared)."""
    from lecturenn.network import Network

    return Network([_copy_layer(lay) for lay in _kan_layers(net, "copy_network")])


def fix_symbolic(net, l: int, i: int, j: int, fun, X=None, **fit_options):
    r"""A new network with edge ``(l, i, j)`` snapped to :math:`c\,f(a x + b) + d`.

    ``fun`` is an :class:`EdgeFit` (from :func:`suggest_symbolic` or
    :func:`fit_edge_function`: its function and parameters are used, its ``edge`` must be
    ``(l, i, j)`` if set) or a library name, then fitted on the edge's samples from ``X``
    (:func:`fit_edge_function`, ``fit_options`` passed on). The other edges are copied; the
    network's layers become :class:`SymbolicKANLayer`. pykan's ``fix_symbolic``.
    """
    from lecturenn.network import Network

    layers = _kan_layers(net, "fix_symbolic")
    l, i, j = _check_edge(layers, l, i, j)
    if isinstance(fun, EdgeFit):
        if fun.edge is not None and tuple(fun.edge) != (l, i, j):
            raise ValueError(f"fun is the fit of edge {fun.edge}, not of ({l}, {i}, {j})")
        if not math.isfinite(fun.r2) and fun.name != "0":
            raise ValueError(f"fun ({fun.name}) has no fit in the domain (R^2 = -inf)")
        fit = fun
    else:
        _function(fun)
        if X is None:
            raise ValueError("X is needed to fit fun on the edge's samples (or pass an EdgeFit)")
        fit = fit_edge_function(*edge_samples(net, l, i, j, X), fun, edge=(l, i, j),
                                **fit_options)
        if not math.isfinite(fit.r2):
            raise ValueError(f"fun = {fun!r} cannot be fitted to edge ({l}, {i}, {j}): no "
                             f"(a, b) keeps a x + b in its domain on the samples")
    new = [_copy_layer(lay) for lay in layers]
    lay = new[l]
    lay.functions[i, j] = fit.name
    lay.affine.data[i, j] = fit.params
    lay._refresh()
    return Network(new)


def auto_symbolic(net, X, lib=None, weight_simple: float = 0.8, r2_threshold: float = 0.0,
                  **fit_options):
    r"""Snap every spline edge to its best candidate of :func:`suggest_symbolic`.

    Layer by layer, first to last; a layer's edges are fitted on the inputs that the
    already snapped layers before it produce (pykan fits all layers on the activations of
    the network before snapping). An edge whose best :math:`R^2` is below ``r2_threshold``
    stays a spline. Returns ``(network, fits)``: the new network and the chosen
    :class:`EdgeFit` of every edge snapped here.
    """
    layers = _kan_layers(net, "auto_symbolic")
    r2_threshold = check_real("r2_threshold", r2_threshold)
    check_in_range("weight_simple", weight_simple, 0.0, 1.0, closed_high=True)
    _library(lib)
    done = []
    for l, lay in enumerate(layers):
        for i in range(lay.n_in):
            for j in range(lay.n_out):
                now = net.layers[l]
                if isinstance(now, SymbolicKANLayer) and now.snapped[i, j]:
                    continue
                best = suggest_symbolic(net, l, i, j, X, lib=lib, weight_simple=weight_simple,
                                        **fit_options)[0]
                if best.r2 >= r2_threshold:
                    net = fix_symbolic(net, l, i, j, best)
                    done.append(best)
    return net, done


def unsnapped_edges(net) -> list[tuple[int, int, int]]:
    """The edges ``(l, i, j)`` that are still splines."""
    out = []
    for l, lay in enumerate(_kan_layers(net, "unsnapped_edges")):
        snapped = lay.snapped if isinstance(lay, SymbolicKANLayer) else np.zeros(
            (lay.n_in, lay.n_out), dtype=bool)
        out += [(l, int(i), int(j)) for i, j in zip(*np.nonzero(~snapped), strict=True)]
    return out


def symbolic_formula(net, variables=None) -> list:
    r"""The network as SymPy expressions, one per output, in :math:`x_1, \dots, x_n`.

    Every edge must be snapped: otherwise a ``ValueError`` names the spline edges left.
    ``variables`` replaces the symbols (a list of :math:`n_0` SymPy symbols). The numbers
    are the parameters as ``sympy.Float`` (53-bit), so a ``lambdify`` of the expression
    computes the network's output up to rounding; :func:`rounded` prints them shorter.
    """
    import sympy as sp

    layers = _kan_layers(net, "symbolic_formula")
    n0 = layers[0].n_in
    if variables is None:
        h = list(sp.symbols(f"x_1:{n0 + 1}", real=True))
    else:
        if isinstance(variables, (str, bytes)) or not isinstance(variables, Sequence) \
                or len(variables) != n0 or not all(isinstance(v, sp.Symbol) for v in variables):
            raise ValueError(f"variables must be a list of {n0} SymPy symbols, got "
                             f"{describe(variables)}")
        h = list(variables)
    left = unsnapped_edges(net)
    if left:
        shown = ", ".join(map(str, left[:8])) + (" ..." if len(left) > 8 else "")
        raise ValueError(f"symbolic_formula needs every edge snapped; {len(left)} are still "
                         f"splines (l, i, j): {shown}; snap them with fix_symbolic or "
                         "auto_symbolic")
    for lay in layers:
        out = []
        for j in range(lay.n_out):
            terms = []
            for i in range(lay.n_in):
                f = LIBRARY[str(lay.functions[i, j])]
                a, b, c, d = (sp.Float(float(v)) for v in lay.affine.data[i, j])
                terms.append(c * f.sympy(sp, a * h[i] + b) + d)
            out.append(sp.Add(*terms))
        h = out
    return h


def rounded(expr, digits: int = 3, constants: bool = True):
    r"""``expr`` with its floats shortened, for printing (never for computing).

    A float :math:`v` becomes 0 if :math:`|v| < 10^{-\mathrm{digits}}`; the integer
    :math:`m` if :math:`|v - m| < 10^{-\mathrm{digits}}\max(1, |m|)`; with ``constants``,
    :math:`m\pi/2` (:math:`1 \le |m| \le 8`) under the same rule; otherwise ``digits``
    significant digits.
    """
    import sympy as sp

    digits = check_int("digits", digits, minimum=1)
    if not isinstance(expr, sp.Basic):
        raise TypeError(f"expr must be a SymPy expression, got {describe(expr)}")
    tol = 10.0 ** -digits

    def short(v):
        v = float(v)
        if abs(v) < tol:
            return sp.Integer(0)
        m = round(v)
        if abs(v - m) < tol * max(1, abs(m)):
            return sp.Integer(m)
        if constants:
            m = round(2 * v / math.pi)
            if 1 <= abs(m) <= 8 and abs(v - m * math.pi / 2) < tol * abs(m * math.pi / 2):
                return sp.Rational(m, 2) * sp.pi
        return sp.Float(float(f"{v:.{digits}g}"), digits)

    return expr.xreplace({v: short(v) for v in expr.atoms(sp.Float)})


def toy_formula_experiment(seed: int = 0, n_train: int = 500, lamb: float = 0.01,
                           threshold: float = 0.05, lib=None, retrain_steps: int = 10) -> dict:
    r"""The paper's recipe on :math:`f(x, y) = \exp(\sin\pi x + y^2)`, small (§2.5.1).

    A :math:`[2, 5, 1]` KAN (``rng=seed``) trained with the L1 + entropy penalty
    (:func:`lecturenn.kan_sparsity.sparsify`, ``lamb``, 20 L-BFGS steps), pruned
    (``threshold``), trained 10 steps without the penalty (the chapter's recipe of
    ``kan_sparsity``), every edge snapped by :func:`auto_symbolic`, then ``retrain_steps``
    L-BFGS steps on the affine parameters, and the formula.

    Returns
    -------
    dict
        ``spline`` (the pruned network), ``snapped`` (after snapping, before retraining),
        ``net`` (retrained), ``fits``, ``formula`` (the SymPy expression of the output),
        ``data`` and the test RMSE of each network against the true function:
        ``rmse_spline``, ``rmse_snapped``, ``rmse_retrained``, ``rmse_formula``.
    """
    import sympy as sp

    from lecturenn import kan_scaling as KS
    from lecturenn import kan_sparsity as KSP
    from lecturenn.kan import KAN
    from lecturenn.losses import SquaredError

    seed = check_int("seed", seed, minimum=0)
    data = KS.make_dataset(KS.toy_function, 2, n_train=n_train, n_test=n_train, rng=seed)
    X, y = data["X_train"], data["y_train"]
    Xte, yte = data["X_test"], data["y_test"]
    big = KAN([2, 5, 1], G=5, k=3, rng=seed)
    KSP.sparsify(big, X, y, SquaredError(), lamb=lamb, steps=20)
    spline = KSP.prune_nodes(big, X, threshold=threshold)
    KS.train(spline, X, y, steps=10)
    snapped, fits = auto_symbolic(spline, X, lib=lib)
    net = copy_network(snapped)
    KS.train(net, X, y, steps=retrain_steps)
    expr = symbolic_formula(net)[0]
    fn = sp.lambdify(sp.symbols("x_1:3", real=True), expr, "numpy")
    pred = np.asarray(fn(Xte[:, 0], Xte[:, 1]), dtype=float).reshape(-1, 1)
    return {"spline": spline, "snapped": snapped, "net": net, "fits": fits, "formula": expr,
            "data": data,
            "rmse_spline": KS.rmse(spline, Xte, yte), "rmse_snapped": KS.rmse(snapped, Xte, yte),
            "rmse_retrained": KS.rmse(net, Xte, yte),
            "rmse_formula": float(np.sqrt(np.mean((pred - yte) ** 2)))}
