r"""Derivations of the B-splines of the KAN chapter, in SymPy, exactly, on non-uniform knots.

A B-spline of degree :math:`k` on knots :math:`t_0 < \dots < t_{K-1}` is a polynomial on each
interval :math:`[t_j, t_{j+1})`; here it is held as the list of these :math:`K-1`
polynomials in :math:`x` with rational coefficients, built by the Cox–de Boor recursion
(:func:`basis`). Every claim of :mod:`lecturenn.splines` is then a finite set of polynomial
identities, decided exactly:

* :func:`partition_of_unity`: :math:`\sum_m B_{m,k} = 1` on the :math:`G` intervals of the
  grid inside the :math:`k` extension knots of each side, and :math:`\ne 1` on each of the
  :math:`2k` intervals of the extension (where it stops holding);
* :func:`nonnegativity`: the minimum of every piece over its interval (endpoints and the
  real roots of its derivative) is :math:`\ge 0`;
* :func:`support`: :math:`B_{m,k}` vanishes on every interval outside
  :math:`[t_m, t_{m+k+1})` and on none inside;
* :func:`derivative_identity`: :math:`B'_{m,k} = k\bigl(B_{m,k-1}/(t_{m+k}-t_m)
  - B_{m+1,k-1}/(t_{m+k+1}-t_{m+1})\bigr)` piece by piece; with another factor than
  :math:`k` it fails;
* :func:`continuity`: at every interior knot the derivatives of orders
  :math:`0, \dots, k-1` of the two neighbouring pieces agree, and the :math:`k`-th jumps;
* :func:`numeric_agreement`: the pieces, evaluated, equal :func:`lecturenn.splines.bspline_basis`
  and its derivative at points in and outside the grid.

The knots are deliberately not uniform (:data:`KNOTS`), so that an index error in the
recursion (:math:`t_{m+p}` for :math:`t_{m+p+1}`) cannot hide behind equal spacings.
Functions return dicts of results; the ``check_*`` functions return exactly ``True`` when the
claim holds (the verification ledger runs them).
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

__all__ = [
    "x",
    "KNOTS",
    "basis",
    "partition_of_unity",
    "nonnegativity",
    "support",
    "derivative_identity",
    "continuity",
    "numeric_agreement",
    "check_partition_of_unity",
    "check_nonnegativity",
    "check_support",
    "check_derivative_identity",
    "check_continuity",
    "check_numeric_agreement",
]

#: the variable of the polynomial pieces
x = sp.Symbol("x", real=True)

#: a non-uniform extended grid for :math:`k = 3`: :math:`K = 10` knots, so :math:`G = 3`
#: intervals inside and three extension knots on each side
KNOTS = tuple(sp.Rational(v) for v in
              ("-3", "-2", "-3/2", "0", "1/2", "3/2", "2", "4", "5", "11/2"))


def _as_knots(knots):
    t = tuple(sp.Rational(v) for v in knots)
    if any(b <= a for a, b in zip(t, t[1:], strict=False)):
        raise ValueError(f"knots must be strictly increasing, got {t}")
    return t


@functools.lru_cache(maxsize=32)
def _basis_cached(t: tuple, k: int):
    n_int = len(t) - 1
    B = {0: [[sp.Integer(1) if j == m else sp.Integer(0) for j in range(n_int)]
             for m in range(n_int)]}
    for p in range(1, k + 1):
        prev = B[p - 1]
        cur = []
        for m in range(len(prev) - 1):
            a = (x - t[m]) / (t[m + p] - t[m])
            b = (t[m + p + 1] - x) / (t[m + p + 1] - t[m + 1])
            cur.append([sp.expand(a * prev[m][j] + b * prev[m + 1][j]) for j in range(n_int)])
        B[p] = cur
    return B


def basis(knots=KNOTS, k: int = 3) -> dict:
    r"""The B-splines of degrees :math:`0, \dots, k` on ``knots``, piece by piece.

    Returns ``{p: B_p}`` where ``B_p[m][j]`` is the polynomial of :math:`B_{m,p}` on
    :math:`[t_j, t_{j+1})` (array indices from 0), built by

    .. math::

        B_{m,0} = [t_m \le x < t_{m+1}], \qquad
        B_{m,p} = \frac{x - t_m}{t_{m+p} - t_m} B_{m,p-1}
                + \frac{t_{m+p+1} - x}{t_{m+p+1} - t_{m+1}} B_{m+1,p-1}.
    """
    t = _as_knots(knots)
    if not (isinstance(k, int) and 0 <= k <= len(t) - 2):
        raise ValueError(f"k must be an int in [0, {len(t) - 2}], got {k!r}")
    return _basis_cached(t, k)


def partition_of_unity(knots=KNOTS, k: int = 3) -> dict:
    r"""The sum :math:`\sum_m B_{m,k}` on each interval; where it is 1 and where it is not.

    With :math:`K` knots read as an extended grid (:math:`k` extension knots on each side)
    the grid's intervals are :math:`j = k, \dots, K-k-2`.
    """
    t = _as_knots(knots)
    Bk = basis(t, k)[k]
    n_int = len(t) - 1
    sums = [sp.expand(sum(Bk[m][j] for m in range(len(Bk)))) for j in range(n_int)]
    inside = range(k, n_int - k)
    outside = [j for j in range(n_int) if j not in inside]
    return {
        "sums": sums,
        "inside": list(inside),
        "holds_inside": all(sums[j] == 1 for j in inside),
        "fails_outside": all(sp.expand(sums[j] - 1) != 0 for j in outside),
    }


def _min_on(poly, a, b):
    """The exact minimum of a polynomial in ``x`` over ``[a, b]``."""
    cands = [a, b]
    d = sp.Poly(sp.diff(poly, x), x)
    if d.degree() > 0:
        cands += [r for r in sp.real_roots(d) if a < r < b]
    return min(poly.subs(x, c) for c in cands)


def nonnegativity(knots=KNOTS, k: int = 3) -> dict:
    """The minimum of each piece of each :math:`B_{m,k}` over its interval."""
    t = _as_knots(knots)
    Bk = basis(t, k)[k]
    mins = [[_min_on(Bk[m][j], t[j], t[j + 1]) for j in range(len(t) - 1)]
            for m in range(len(Bk))]
    return {"minima": mins, "nonnegative": all(bool(v >= 0) for row in mins for v in row)}


def support(knots=KNOTS, k: int = 3) -> dict:
    r""":math:`B_{m,k}` is zero exactly on the intervals outside :math:`[t_m, t_{m+k+1})`."""
    t = _as_knots(knots)
    Bk = basis(t, k)[k]
    zero_outside = all(Bk[m][j] == 0 for m in range(len(Bk)) for j in range(len(t) - 1)
                       if not m <= j <= m + k)
    nonzero_inside = all(Bk[m][j] != 0 for m in range(len(Bk)) for j in range(m, m + k + 1))
    return {"zero_outside": zero_outside, "nonzero_inside": nonzero_inside}


def derivative_identity(knots=KNOTS, k: int = 3, factor=None) -> dict:
    r"""Check :math:`B'_{m,k} = \mathrm{factor}\,\bigl(B_{m,k-1}/(t_{m+k}-t_m)
    - B_{m+1,k-1}/(t_{m+k+1}-t_{m+1})\bigr)` on every piece (``factor`` :math:`= k` by default;
    pass another to see it fail)."""
    t = _as_knots(knots)
    if k < 1:
        raise ValueError(f"the identity needs k >= 1, got {k!r}")
    B = basis(t, k)
    factor = sp.Integer(k) if factor is None else sp.sympify(factor)
    residuals = []
    for m in range(len(B[k])):
        for j in range(len(t) - 1):
            rhs = factor * (B[k - 1][m][j] / (t[m + k] - t[m])
                            - B[k - 1][m + 1][j] / (t[m + k + 1] - t[m + 1]))
            residuals.append(sp.expand(sp.diff(B[k][m][j], x) - rhs))
    return {"residuals": residuals, "holds": all(r == 0 for r in residuals)}


def continuity(knots=KNOTS, k: int = 3) -> dict:
    r"""At each interior knot, the jumps of the derivatives of orders :math:`0..k` of every
    :math:`B_{m,k}`: zero up to :math:`k-1`, not all zero at order :math:`k`."""
    t = _as_knots(knots)
    Bk = basis(t, k)[k]
    jumps = {}
    for r in range(k + 1):
        jumps[r] = [sp.diff(Bk[m][j], x, r).subs(x, t[j]) - sp.diff(Bk[m][j - 1], x, r).subs(
            x, t[j]) for m in range(len(Bk)) for j in range(1, len(t) - 1)]
    return {
        "jumps": jumps,
        "smooth_to_order_k_minus_1": all(v == 0 for r in range(k) for v in jumps[r]),
        "order_k_jumps": any(v != 0 for v in jumps[k]),
    }


def numeric_agreement(knots=KNOTS, k: int = 3, n_points: int = 201) -> dict:
    r"""The largest difference between the SymPy pieces and :mod:`lecturenn.splines`.

    The points run over :math:`[t_0 - 1, t_{K-1} + 1]`, so they cover the grid, the
    extension and beyond (where both must give 0).
    """
    from lecturenn.splines import bspline_basis_and_derivative

    t = _as_knots(knots)
    B = basis(t, k)[k]
    tf = np.array([float(v) for v in t])
    pts = np.linspace(tf[0] - 1, tf[-1] + 1, n_points)
    j = np.searchsorted(tf, pts, side="right") - 1  # the interval of each point
    sym_val = np.zeros((n_points, len(B)))
    sym_der = np.zeros((n_points, len(B)))
    for m in range(len(B)):
        for jj in range(len(t) - 1):
            sel = j == jj
            if sel.any():
                f = sp.lambdify(x, B[m][jj], "numpy")
                df = sp.lambdify(x, sp.diff(B[m][jj], x), "numpy")
                sym_val[sel, m] = f(pts[sel])
                sym_der[sel, m] = df(pts[sel])
    num_val, num_der = bspline_basis_and_derivative(pts, tf, k)
    return {"max_value_error": float(np.max(np.abs(num_val - sym_val))),
            "max_derivative_error": float(np.max(np.abs(num_der - sym_der)))}


def check_partition_of_unity() -> bool:
    """Partition of unity on the grid and not on the extension, for k = 1, 2, 3."""
    return all(partition_of_unity(KNOTS, k)["holds_inside"]
               and partition_of_unity(KNOTS, k)["fails_outside"] for k in (1, 2, 3))


def check_nonnegativity() -> bool:
    """Every B-spline of degree 1, 2, 3 on :data:`KNOTS` is non-negative."""
    return all(nonnegativity(KNOTS, k)["nonnegative"] for k in (1, 2, 3))


def check_support() -> bool:
    r"""The support of :math:`B_{m,k}` is :math:`[t_m, t_{m+k+1})`, for k = 0..3."""
    return all(all(support(KNOTS, k).values()) for k in (0, 1, 2, 3))


def check_derivative_identity() -> bool:
    """The derivative identity for k = 1, 2, 3, and its failure with the factor k - 1."""
    return all(derivative_identity(KNOTS, k)["holds"]
               and not derivative_identity(KNOTS, k, factor=k - 1)["holds"] for k in (1, 2, 3))


def check_continuity() -> bool:
    """:math:`C^{k-1}` at every interior knot, not :math:`C^k`, for k = 1, 2, 3."""
    return all(continuity(KNOTS, k)["smooth_to_order_k_minus_1"]
               and continuity(KNOTS, k)["order_k_jumps"] for k in (1, 2, 3))


def check_numeric_agreement() -> bool:
    """The package's basis and derivative equal the exact pieces to 1e-12 (k = 1, 2, 3).

    The tolerance: values are O(1) sums of a few products of O(1) factors, float64 rounding
    is about 1e-16 per operation; 1e-12 leaves room and still catches any formula error.
    """
    return all(max(numeric_agreement(KNOTS, k).values()) < 1e-12 for k in (1, 2, 3))
