r"""B-splines: the one-dimensional functions of a Kolmogorov–Arnold network.

Slide «Имеет ли теорема Колмогорова отношение к нейросетям?» ("does Kolmogorov's theorem
have anything to do with neural networks?"): *instead of the functions*
:math:`\Phi_k, \varphi_{jk}` *one-dimensional splines (with weights)*. Checked against
de Boor, *A Practical Guide to Splines* (1978, ch. IX), Liu et al., *KAN:
Kolmogorov–Arnold Networks* (2024, §2.2), SymPy (:mod:`lecturenn.derivations.splines`)
and ``scipy.interpolate.BSpline`` (``tests/test_splines.py``).

**Grid and knots.** A grid of :math:`G` intervals :math:`t_0 < t_1 < \dots < t_G` is
extended by :math:`k` knots on each side, :math:`t_{-k} < \dots < t_{-1} < t_0` and
:math:`t_G < t_{G+1} < \dots < t_{G+k}`, spaced by the mean spacing
:math:`h = (t_G - t_0)/G` (:func:`extend_grid`; pykan's ``extend_grid`` does the same).
On these :math:`G + 2k + 1` knots live :math:`G + k` B-splines of degree :math:`k`,
:math:`B_{m,k}`, :math:`m = -k, \dots, G-1` (array index ``m + k``), by the Cox–de Boor
recursion

.. math::

    B_{m,0}(x) = [t_m \le x < t_{m+1}], \qquad
    B_{m,p}(x) = \frac{x - t_m}{t_{m+p} - t_m} B_{m,p-1}(x)
               + \frac{t_{m+p+1} - x}{t_{m+p+1} - t_{m+1}} B_{m+1,p-1}(x),

and their derivatives by the identity

.. math::

    B'_{m,k}(x) = k\left(\frac{B_{m,k-1}(x)}{t_{m+k} - t_m}
                  - \frac{B_{m+1,k-1}(x)}{t_{m+k+1} - t_{m+1}}\right)

(de Boor 1978, ch. X, (12); the :math:`G + k + 1` splines of degree :math:`k-1` live on the
same knots). :math:`B_{m,k}` is a piecewise polynomial of degree :math:`k`, non-negative,
zero outside :math:`[t_m, t_{m+k+1})`, with :math:`k-1` continuous derivatives at simple
knots, and :math:`\sum_m B_{m,k}(x) = 1` on :math:`[t_0, t_G]` exactly: these are the
claims :mod:`lecturenn.derivations.splines` proves. A spline is
:math:`s(x) = \sum_m c_m B_{m,k}(x)`; the paper's "order" :math:`k` is the polynomial
degree (cubic: :math:`k = 3`), as here.

**Outside the grid** (the policy of this module, and of :class:`lecturenn.kan.KANLayer`):

* on :math:`[t_0, t_G]` the basis is a partition of unity, and a spline is what it was
  fitted to be;
* on :math:`[t_{-k}, t_0)` and :math:`(t_G, t_{G+k}]` (the extension) the basis is computed
  by the same recursion: it no longer sums to one and fades to zero towards the outer
  knot, continuously (for :math:`k \ge 1`);
* beyond :math:`t_{-k}` and :math:`t_{G+k}` every :math:`B_{m,k}` is exactly zero, so a
  spline is zero there, and so is its derivative: no error, no clipping, no
  extrapolation. In a KAN layer the residual branch :math:`w_b\,\mathrm{silu}(x)` still
  carries the input (like :math:`w_b x` for large positive :math:`x`, towards 0 for large
  negative :math:`x`, since :math:`\mathrm{silu}(x) \to 0` there), which is what the paper's
  residual is for, and the grid update of :meth:`lecturenn.kan.KANLayer.update_grid`
  moves the grid to where the inputs are. pykan behaves the same way (half-open
  indicators of order 0).

The right end :math:`x = t_{G+k}` gets zero (half-open indicators): for :math:`k \ge 1`
that is also the limit from the left, so nothing jumps.

Everything here takes one grid or one grid per input column (a KAN layer has one per
input), batch-first. The functions evaluate only the :math:`k + 1` B-splines that do not
vanish at each point (de Boor's triangular scheme, :math:`O(k^2)` per point); the full
recursion above, over all :math:`G + k` of them, is kept as the reference the tests compare
it with.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_int,
    check_real,
    describe,
)

__all__ = [
    "uniform_grid",
    "extend_grid",
    "check_knots",
    "n_basis",
    "bspline_basis",
    "bspline_basis_and_derivative",
    "spline_value",
    "fit_spline",
    "fit_error_vs_grid",
]


def uniform_grid(G: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    r"""The uniform grid :math:`t_j = \mathrm{low} + j\,(\mathrm{high}-\mathrm{low})/G`,
    :math:`j = 0, \dots, G` (shape ``(G + 1,)``).

    Examples
    --------
    >>> uniform_grid(4)
    array([-1. , -0.5,  0. ,  0.5,  1. ])
    """
    G = check_int("G", G, minimum=1)
    low, high = check_real("low", low), check_real("high", high)
    if not low < high:
        raise ValueError(f"the grid needs low < high, got low={low!r}, high={high!r}")
    return low + (high - low) * np.arange(G + 1) / G


def _check_grid(name: str, grid) -> np.ndarray:
    grid = as_float_array(name, grid, ndim=(1, 2), dtype="floating")
    if grid.shape[-1] < 2:
        raise ValueError(f"{name} needs at least two points (one interval), got shape "
                         f"{grid.shape}")
    if not np.all(np.diff(grid, axis=-1) > 0):
        raise ValueError(f"{name} must be strictly increasing (simple knots), got {grid!r}")
    return grid


def extend_grid(grid, k: int) -> np.ndarray:
    r"""Add :math:`k` knots on each side of a grid at its mean spacing :math:`h = (t_G - t_0)/G`.

    Parameters
    ----------
    grid : array_like
        :math:`t_0 < \dots < t_G`, shape ``(G + 1,)``, or one grid per row, ``(d, G + 1)``.
    k : int
        The spline degree, :math:`k \ge 0`.

    Returns
    -------
    numpy.ndarray
        :math:`t_{-k}, \dots, t_{G+k}`, shape ``(..., G + 2k + 1)``.

    Examples
    --------
    >>> extend_grid([0.0, 1.0, 2.0], 2)
    array([-2., -1.,  0.,  1.,  2.,  3.,  4.])
    """
    grid = _check_grid("grid", grid)
    k = check_int("k", k, minimum=0)
    G = grid.shape[-1] - 1
    h = (grid[..., -1:] - grid[..., :1]) / G
    steps = np.arange(1, k + 1, dtype=grid.dtype)
    left = grid[..., :1] - h * steps[::-1]
    right = grid[..., -1:] + h * steps
    return np.concatenate([left, grid, right], axis=-1)


def check_knots(knots, k: int) -> tuple[np.ndarray, int]:
    """``knots`` as a strictly increasing float array (one row per input) and ``k`` checked.

    There must be at least :math:`k + 2` knots (one B-spline of degree :math:`k`).
    """
    knots = _check_grid("knots", knots)
    k = check_int("k", k, minimum=0)
    if knots.shape[-1] < k + 2:
        raise ValueError(f"knots: degree k={k} needs at least k + 2 = {k + 2} knots, got "
                         f"{knots.shape[-1]}")
    return knots, k


def n_basis(n_knots: int, k: int) -> int:
    r"""The number of B-splines of degree :math:`k` on ``n_knots`` knots: ``n_knots - k - 1``
    (:math:`G + k` on an extended grid of :math:`G` intervals)."""
    return check_int("n_knots", n_knots, minimum=2) - check_int("k", k, minimum=0) - 1


def _x_and_knots(x, knots, k):
    knots, k = check_knots(knots, k)
    x = as_float_array("x", x, ndim=(1, 2), dtype="floating")
    if knots.ndim == 2:
        if x.ndim != 2 or x.shape[1] != knots.shape[0]:
            raise ValueError(f"x must have shape (n, {knots.shape[0]}) for one grid per "
                             f"column (knots of shape {knots.shape}), got {x.shape}")
    elif x.ndim != 1:
        raise ValueError(f"with one grid (knots of shape {knots.shape}) x must be 1-D, got "
                         f"shape {x.shape}")
    dtype = np.result_type(x.dtype, knots.dtype)
    return x.astype(dtype, copy=False), knots.astype(dtype, copy=False), k


def _cox_de_boor(x, t, k, derivative):
    """The basis of degree ``k`` (and ``k - 1`` if ``derivative``) at ``x``; no checks.

    ``x``: ``(n,)`` with ``t``: ``(K,)``, or ``(n, d)`` with ``t``: ``(d, K)``. Returns
    arrays ``(..., K - k - 1)`` (and ``(..., K - k)``).
    """
    xe = x[..., None]
    lo, hi = t[..., :-1], t[..., 1:]
    B = ((xe >= lo) & (xe < hi)).astype(x.dtype)  # B_{m,0}: half-open indicators
    prev = B
    for p in range(1, k + 1):
        prev = B
        # B_{m,p} = (x - t_m)/(t_{m+p} - t_m) B_{m,p-1}
        #         + (t_{m+p+1} - x)/(t_{m+p+1} - t_{m+1}) B_{m+1,p-1}
        left = (xe - t[..., : -p - 1]) / (t[..., p:-1] - t[..., : -p - 1])
        right = (t[..., p + 1:] - xe) / (t[..., p + 1:] - t[..., 1:-p])
        B = left * prev[..., :-1] + right * prev[..., 1:]
    if not derivative:
        return B
    if k == 0:
        return B, np.zeros_like(B)
    # B'_{m,k} = k (B_{m,k-1}/(t_{m+k} - t_m) - B_{m+1,k-1}/(t_{m+k+1} - t_{m+1}))
    dB = k * (prev[..., :-1] / (t[..., k:-1] - t[..., : -k - 1])
              - prev[..., 1:] / (t[..., k + 1:] - t[..., 1:-k]))
    return B, dB



def _local_values(x, t, k, derivative):
    r"""The :math:`k + 1` B-splines that do not vanish at each point, by de Boor's triangular
    scheme (Piegl and Tiller, *The NURBS Book*, algorithm A2.2); no checks.

    ``x`` ``(n, d)`` with ``t`` ``(d, K)``. Returns ``j`` ``(n, d)``, the knot interval
    :math:`t_j \le x < t_{j+1}` (0 for a point outside :math:`[t_0, t_{K-1})`), the list
    ``N`` of :math:`k + 1` arrays ``(n, d)`` with ``N[r]`` :math:`= B_{j-k+r,k}(x)` (all zero
    for a point outside), and, if ``derivative``, the list ``dN`` of their derivatives (else
    ``None``). The knots are padded with :math:`k` more on each side so that every index
    exists; a B-spline :math:`B_{j-k+r}` with :math:`j - k + r < 0` or :math:`\ge K - k - 1`
    uses a padded knot and is not one of the real basis (each :math:`B_m` depends on
    :math:`t_m, \dots, t_{m+k+1}` only): the caller drops it.
    """
    n, d = x.shape
    K = t.shape[1]
    h0 = t[:, 1:2] - t[:, :1]
    h1 = t[:, -1:] - t[:, -2:-1]
    steps = np.arange(1, k + 1, dtype=t.dtype)
    tp = np.concatenate([t[:, :1] - h0 * steps[::-1], t, t[:, -1:] + h1 * steps], axis=1)
    j = np.empty((n, d), dtype=np.intp)
    for i in range(d):
        j[:, i] = np.searchsorted(t[i], x[:, i], side="right") - 1
    inside = (j >= 0) & (j <= K - 2)
    j = np.where(inside, j, 0)
    if not inside.all():
        # a point outside gets the values of t_0 times zero: x itself could be so large
        # that x - t_a and t_b - x cancel to 0/0
        x = np.where(inside, x, t[:, 0])
    jj = j + k
    rows = np.arange(d)
    N = [inside.astype(x.dtype)]  # zero outside: every value below is then zero
    left, right = [None], [None]
    prevN = N
    for p in range(1, k + 1):
        left.append(x - tp[rows, jj + 1 - p])
        right.append(tp[rows, jj + p] - x)
        saved = np.zeros_like(x)
        new = []
        for r in range(p):
            temp = N[r] / (right[r + 1] + left[p - r])
            new.append(saved + right[r + 1] * temp)
            saved = left[p - r] * temp
        new.append(saved)
        prevN = N
        N = new
    if not derivative:
        return j, N, None
    dN = []
    for r in range(k + 1):
        if k == 0:
            dN.append(np.zeros_like(x))
            continue
        ia = jj + r - k  # padded index of t_m, m = j - k + r
        val = 0.0
        if r >= 1:
            val = prevN[r - 1] / (tp[rows, ia + k] - tp[rows, ia])
        if r < k:
            val = val - prevN[r] / (tp[rows, ia + k + 1] - tp[rows, ia + 1])
        dN.append(k * val)
    return j, N, dN


def _local_basis(x, t, k, derivative):
    """The same arrays as :func:`_cox_de_boor`, computing only the :math:`k + 1` B-splines
    that do not vanish at each point (:func:`_local_values`), then scattering them into the
    full array; no checks.

    Cost :math:`O(k^2)` per point instead of :math:`O(k(G + k))`. Tested against
    :func:`_cox_de_boor`, SymPy and scipy.
    """
    one = x.ndim == 1
    if one:
        x, t = x[:, None], t[None, :]
    n, d = x.shape
    M = t.shape[1] - k - 1
    j, N, dN = _local_values(x, t, k, derivative)
    # N[r] = B_{j-k+r,k}: write into a padded array whose column j + r is B_{j-k+r}
    width = M + 2 * k
    flat = (np.arange(n * d) * width).reshape(n, d) + j
    Bp = np.zeros(n * d * width, dtype=x.dtype)
    for r in range(k + 1):
        Bp[flat + r] = N[r]
    B = Bp.reshape(n, d, width)[:, :, k:k + M]
    if not derivative:
        return B[:, 0] if one else B
    dBp = np.zeros_like(Bp)
    for r in range(k + 1):
        dBp[flat + r] = dN[r]
    dB = dBp.reshape(n, d, width)[:, :, k:k + M]
    if one:
        return B[:, 0], dB[:, 0]
    return B, dB


def _cardinal_coefficients(k: int) -> np.ndarray:
    r"""The :math:`k + 1` non-zero B-splines on a **uniform** grid as polynomials of the
    position :math:`f = (x - t_j)/h \in [0, 1)` in the interval: ``A[q, r]`` with
    :math:`B_{j-k+r,k}(x) = \sum_q A_{qr} f^q` (the same for every interval: on uniform
    knots every B-spline is a shift of one cardinal B-spline).

    Computed, not copied: de Boor's triangular scheme of :func:`_local_values` run on the
    knots :math:`0, 1, 2, \dots` in exact rational arithmetic (``fractions``), where every
    denominator :math:`t_{m+p} - t_m` is :math:`p` and the distances to the knots are
    :math:`f + p - r - 1` and :math:`r + 1 - f`. For :math:`k = 3`, ``A.T`` is
    :math:`\frac16[(1-f)^3,\ 3f^3 - 6f^2 + 4,\ -3f^3 + 3f^2 + 3f + 1,\ f^3]` in
    coefficients. Tested against :func:`_cox_de_boor` on uniform knots.
    """
    from fractions import Fraction

    def times_linear(a0, a1, poly):  # (a0 + a1 f) * poly
        out = [Fraction(0)] * (len(poly) + 1)
        for q, c in enumerate(poly):
            out[q] += a0 * c
            out[q + 1] += a1 * c
        return out

    def plus(a, b):
        n = max(len(a), len(b))
        a = a + [Fraction(0)] * (n - len(a))
        b = b + [Fraction(0)] * (n - len(b))
        return [u + v for u, v in zip(a, b, strict=True)]

    N = [[Fraction(1)]]
    for p in range(1, k + 1):
        saved = [Fraction(0)]
        new = []
        for r in range(p):
            temp = [c / p for c in N[r]]  # N[r] / (right[r+1] + left[p-r]) = N[r] / p
            new.append(plus(saved, times_linear(Fraction(r + 1), Fraction(-1), temp)))
            saved = times_linear(Fraction(p - r - 1), Fraction(1), temp)
        new.append(saved)
        N = new
    A = np.zeros((k + 1, k + 1))
    for r, poly in enumerate(N):
        for q, c in enumerate(poly):
            A[q, r] = float(c)
    return A


def bspline_basis(x, knots, k: int = 3) -> np.ndarray:
    r"""The B-splines :math:`B_{m,k}(x)` of degree :math:`k` on ``knots`` (Cox–de Boor).

    .. math::

        B_{m,0}(x) = [t_m \le x < t_{m+1}], \qquad
        B_{m,p}(x) = \frac{x - t_m}{t_{m+p} - t_m} B_{m,p-1}(x)
                   + \frac{t_{m+p+1} - x}{t_{m+p+1} - t_{m+1}} B_{m+1,p-1}(x).

    Parameters
    ----------
    x : array_like
        Points, shape ``(n,)`` for one grid, or ``(n, d)`` for one grid per column.
    knots : array_like
        Strictly increasing knots, shape ``(K,)`` or ``(d, K)`` (usually
        :func:`extend_grid` of a grid, :math:`K = G + 2k + 1`).
    k : int, optional
        The degree, 3 (cubic) by default.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, K - k - 1)`` or ``(n, d, K - k - 1)``. Zero beyond the outer knots
        (see the module docstring for the policy outside the grid).

    Examples
    --------
    >>> t = extend_grid(uniform_grid(4), 3)
    >>> B = bspline_basis([-1.0, 0.3, 1.0], t, 3)
    >>> B.shape, bool(np.allclose(B.sum(axis=1), 1))
    ((3, 7), True)
    """
    x, t, k = _x_and_knots(x, knots, k)
    return _local_basis(x, t, k, False)


def bspline_basis_and_derivative(x, knots, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`B_{m,k}(x)` and :math:`B'_{m,k}(x)`, the latter by the identity

    .. math::

        B'_{m,k}(x) = k\left(\frac{B_{m,k-1}(x)}{t_{m+k} - t_m}
                      - \frac{B_{m+1,k-1}(x)}{t_{m+k+1} - t_{m+1}}\right)

    from the degree-:math:`(k-1)` basis of the same recursion (one pass). Arguments and
    shapes as :func:`bspline_basis`; the derivative of a degree-0 basis is zero (away from
    the knots, where it is not defined). At a knot the derivative of a spline of degree
    :math:`k \ge 2` is continuous; for :math:`k = 1` it is the right-hand derivative.
    """
    x, t, k = _x_and_knots(x, knots, k)
    return _local_basis(x, t, k, True)


def _check_coef(coef, n_b, knots):
    coef = as_float_array("coef", coef, ndim=(1, 2), dtype="floating")
    if coef.shape[-1] != n_b or (knots.ndim == 2 and coef.shape != (knots.shape[0], n_b)):
        want = f"({knots.shape[0]}, {n_b})" if knots.ndim == 2 else f"({n_b},)"
        raise ValueError(f"coef must have shape {want} (one coefficient per B-spline), got "
                         f"{coef.shape}")
    return coef


def spline_value(x, knots, coef, k: int = 3, derivative: bool = False):
    r"""The spline :math:`s(x) = \sum_m c_m B_{m,k}(x)` (and :math:`s'(x)` if ``derivative``).

    With one grid per column (``knots`` of shape ``(d, K)``, ``coef`` of shape
    ``(d, K - k - 1)``, ``x`` of shape ``(n, d)``) column :math:`i` is
    :math:`s_i(x_{\cdot i})`.
    """
    x, t, k = _x_and_knots(x, knots, k)
    coef = _check_coef(coef, t.shape[-1] - k - 1, t)
    if derivative:
        B, dB = _local_basis(x, t, k, True)
        return (B * coef).sum(axis=-1), (dB * coef).sum(axis=-1)
    return (_local_basis(x, t, k, False) * coef).sum(axis=-1)


def fit_spline(x, y, knots, k: int = 3, ridge: float = 0.0) -> np.ndarray:
    r"""Least-squares coefficients :math:`c = \arg\min_c \sum_i (\sum_m c_m B_{m,k}(x_i) - y_i)^2
    + \lambda\|c\|^2`.

    Solved by ``numpy.linalg.lstsq`` on the design matrix :math:`A_{im} = B_{m,k}(x_i)`
    (stacked with :math:`\sqrt\lambda I` when ``ridge`` :math:`\lambda > 0`). Where the
    samples leave a B-spline without support (no :math:`x_i` in
    :math:`[t_m, t_{m+k+1})`) the least-squares problem is rank deficient: ``lstsq``
    returns the minimum-norm solution (that coefficient is 0), pykan 0.2.8's ``curve2coef`` does
    the same with ``torch.linalg.lstsq``'s default driver (``gelsy`` on the CPU; the line
    that named it explicitly is commented out in 0.2.8); a small ``ridge`` makes the choice
    explicit.

    Parameters
    ----------
    x : array_like
        Sample points, ``(n,)``.
    y : array_like
        Values, ``(n,)``, or several curves on the same points, ``(n, r)``.
    knots : array_like
        Knots, ``(K,)``.
    k : int, optional
        Degree.
    ridge : float, optional
        :math:`\lambda \ge 0`.

    Returns
    -------
    numpy.ndarray
        ``(K - k - 1,)`` or ``(K - k - 1, r)``.
    """
    t, k = check_knots(knots, k)
    if t.ndim != 1:
        raise ValueError(f"fit_spline takes one grid, knots of shape (K,), got {t.shape}")
    x = as_float_array("x", x, ndim=1)
    y = as_float_array("y", y, ndim=(1, 2))
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"y must have as many rows as x has points ({x.shape[0]}), got "
                         f"shape {y.shape}")
    ridge = check_real("ridge", ridge)
    if ridge < 0:
        raise ValueError(f"ridge must be >= 0, got {ridge!r}")
    A = _local_basis(x.astype(t.dtype, copy=False), t, k, False)
    if ridge > 0:
        nb = A.shape[1]
        A = np.vstack([A, np.sqrt(ridge) * np.eye(nb, dtype=A.dtype)])
        pad = np.zeros((nb,) + y.shape[1:], dtype=y.dtype)
        y = np.concatenate([y, pad], axis=0)
    return np.linalg.lstsq(A, y, rcond=None)[0]


def fit_error_vs_grid(f, grid_sizes, k: int = 3, low: float = -1.0, high: float = 1.0,
                      n_fit: int = 2000, n_test: int = 5001) -> np.ndarray:
    r"""The maximum error of the least-squares spline fit of ``f`` for each grid size :math:`G`.

    ``f`` is sampled at ``n_fit`` equally spaced points of :math:`[\mathrm{low},
    \mathrm{high}]`, fitted on the extended uniform grid of :math:`G` intervals, and the
    error :math:`\max|s - f|` is measured at ``n_test`` other equally spaced points.
    For a smooth ``f`` the theory (de Boor 1978, ch. XII) gives
    :math:`O(h^{k+1})`, :math:`h = (\mathrm{high} - \mathrm{low})/G`: on log-log axes a
    slope of :math:`-(k+1)` against :math:`G`, which the tests measure.

    Returns
    -------
    numpy.ndarray
        The errors, one per grid size.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable of one array, got {describe(f)}")
    sizes = [check_int(f"grid_sizes[{i}]", G, minimum=1) for i, G in enumerate(grid_sizes)]
    n_fit = check_int("n_fit", n_fit, minimum=2)
    n_test = check_int("n_test", n_test, minimum=2)
    xs = np.linspace(low, high, n_fit)
    xt = np.linspace(low, high, n_test)
    ys, yt = np.asarray(f(xs), dtype=float), np.asarray(f(xt), dtype=float)
    errors = []
    for G in sizes:
        t = extend_grid(uniform_grid(G, low, high), k)
        c = fit_spline(xs, ys, t, k)
        errors.append(float(np.max(np.abs(spline_value(xt, t, c, k) - yt))))
    return np.array(errors)
