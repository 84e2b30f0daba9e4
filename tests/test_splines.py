"""lecturenn.splines against scipy.interpolate.BSpline (an independent implementation), the
derivative identity against finite differences and scipy, the least-squares fit and its
h^(k+1) error, the policy outside the grid, and bad input."""

import numpy as np
import pytest
from scipy.interpolate import BSpline

from lecturenn import splines as S

# float64 results of O(1) sums of a few products: 1e-12 is far above rounding and far below
# any formula error
TOL = 1e-12


def _scipy_basis(x, t, k):
    """Every B-spline of degree k on knots t at x, each built by scipy as a basis element
    (zero outside its support)."""
    out = np.zeros((len(x), len(t) - k - 1))
    for m in range(len(t) - k - 1):
        b = BSpline.basis_element(t[m:m + k + 2], extrapolate=False)
        v = b(x)
        out[:, m] = np.nan_to_num(v, nan=0.0)
    return out


def _scipy_basis_derivative(x, t, k):
    out = np.zeros((len(x), len(t) - k - 1))
    for m in range(len(t) - k - 1):
        b = BSpline.basis_element(t[m:m + k + 2], extrapolate=False).derivative()
        out[:, m] = np.nan_to_num(b(x), nan=0.0)
    return out


@pytest.fixture
def knots():
    rng = np.random.default_rng(3)
    return np.sort(rng.uniform(-2, 2, size=12)) + np.arange(12) * 0.05  # non-uniform


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_basis_matches_scipy(knots, k):
    rng = np.random.default_rng(k)
    x = rng.uniform(knots[0] - 0.5, knots[-1] + 0.5, size=400)  # in, on the edges, outside
    B = S.bspline_basis(x, knots, k)
    assert B.shape == (400, len(knots) - k - 1)
    np.testing.assert_allclose(B, _scipy_basis(x, knots, k), atol=TOL)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_derivative_matches_scipy_and_finite_differences(knots, k):
    rng = np.random.default_rng(10 + k)
    x = rng.uniform(knots[0] - 0.5, knots[-1] + 0.5, size=300)
    B, dB = S.bspline_basis_and_derivative(x, knots, k)
    np.testing.assert_allclose(B, S.bspline_basis(x, knots, k), atol=0)
    np.testing.assert_allclose(dB, _scipy_basis_derivative(x, knots, k), atol=1e-10)
    # central differences away from the knots (where a k = 1 derivative jumps)
    h = 1e-6
    far = np.min(np.abs(x[:, None] - knots[None, :]), axis=1) > 10 * h
    fd = (S.bspline_basis(x[far] + h, knots, k) - S.bspline_basis(x[far] - h, knots, k)) / (2 * h)
    # error of the central difference: h^2 |B'''|/6 plus rounding 1e-16/h; 1e-6 bounds both
    # for knot spacings of about 0.3
    np.testing.assert_allclose(dB[far], fd, atol=1e-6)


def test_a_broken_derivative_factor_would_be_caught(knots):
    # the identity with (k - 1) instead of k disagrees with scipy: the comparison can fail
    k = 3
    x = np.linspace(knots[3], knots[-4], 50)
    _, dB = S.bspline_basis_and_derivative(x, knots, k)
    wrong = dB * (k - 1) / k
    assert np.max(np.abs(wrong - _scipy_basis_derivative(x, knots, k))) > 1e-2


@pytest.mark.parametrize("k", [1, 2, 3])
def test_spline_value_matches_scipy_on_the_grid(k):
    rng = np.random.default_rng(k)
    t = S.extend_grid(S.uniform_grid(7, -1.0, 2.0), k)
    c = rng.normal(size=7 + k)
    # the grid's ends left out: a k = 1 derivative jumps at a knot, and scipy takes the
    # left-hand one at t_G, this module the right-hand one (no interior knot is hit)
    x = np.linspace(-1.0, 2.0, 301)[1:-1]
    v, dv = S.spline_value(x, t, c, k, derivative=True)
    ref = BSpline(t, c, k, extrapolate=False)
    np.testing.assert_allclose(v, ref(x), atol=TOL)
    np.testing.assert_allclose(dv, ref.derivative()(x), atol=1e-10)


def test_extend_grid_and_partition_of_unity():
    g = np.array([0.0, 0.1, 0.5, 0.6, 1.0])  # G = 4, mean spacing 0.25
    t = S.extend_grid(g, 3)
    np.testing.assert_allclose(t[:3], [-0.75, -0.5, -0.25])
    np.testing.assert_allclose(t[-3:], [1.25, 1.5, 1.75])
    x = np.linspace(0.0, 1.0, 101)
    np.testing.assert_allclose(S.bspline_basis(x, t, 3).sum(axis=1), 1.0, atol=TOL)
    xo = np.array([-0.6, -0.1, 1.1, 1.6])  # on the extension: not a partition of unity
    assert np.all(np.abs(S.bspline_basis(xo, t, 3).sum(axis=1) - 1) > 1e-3)


def test_per_column_grids_equal_one_grid_at_a_time():
    rng = np.random.default_rng(0)
    grids = np.stack([S.uniform_grid(5, -1, 1), S.uniform_grid(5, 0, 3)])
    t = S.extend_grid(grids, 3)
    X = rng.uniform(-1.5, 3.5, size=(50, 2))
    B = S.bspline_basis(X, t, 3)
    assert B.shape == (50, 2, 8)
    for i in range(2):
        np.testing.assert_array_equal(B[:, i], S.bspline_basis(X[:, i], t[i], 3))


def test_out_of_grid_policy():
    k = 3
    t = S.extend_grid(S.uniform_grid(5), k)  # h = 0.4: the extension reaches [-2.2, 2.2]
    c = np.random.default_rng(1).normal(size=5 + k)
    far = np.array([-100.0, -2.2001, 2.2, 2.2001, 50.0])
    v, dv = S.spline_value(far, t, c, k, derivative=True)
    np.testing.assert_array_equal(v, 0.0)  # beyond the outer knots: exactly zero
    np.testing.assert_array_equal(dv, 0.0)
    # continuous at the outer knots (the pieces fade to zero)
    eps = 1e-7
    near = np.array([-2.2 + eps, 2.2 - eps])
    assert np.max(np.abs(S.spline_value(near, t, c, k))) < 1e-12
    # on the extension the basis does not sum to one, but is not zero either
    s = S.bspline_basis(np.array([-2.0, -1.5, 1.5, 2.0]), t, k).sum(axis=1)
    assert np.all((s > 0.01) & (s < 0.99))


@pytest.mark.parametrize("k", [1, 2, 3])
def test_fit_error_falls_like_h_to_the_k_plus_1(k):
    f = lambda v: np.sin(3 * v) + 0.5 * np.exp(v)  # noqa: E731  (smooth)
    Gs = [8, 16, 32, 64]
    err = S.fit_error_vs_grid(f, Gs, k)
    slope = np.polyfit(np.log(Gs), np.log(err), 1)[0]
    # the theory's slope is -(k+1); a measured slope within 0.35 of it over a factor 8 in G
    # (the constant of the bound changes a little with G)
    assert abs(slope + (k + 1)) < 0.35, (k, slope, err)


def test_fit_spline_reproduces_a_spline_and_handles_several_curves():
    t = S.extend_grid(S.uniform_grid(6), 3)
    rng = np.random.default_rng(2)
    c = rng.normal(size=(9, 2))
    x = np.linspace(-1, 1, 200)
    Y = np.stack([S.spline_value(x, t, c[:, 0], 3), S.spline_value(x, t, c[:, 1], 3)], axis=1)
    np.testing.assert_allclose(S.fit_spline(x, Y, t, 3), c, atol=1e-10)
    # ridge shrinks the coefficients
    assert np.linalg.norm(S.fit_spline(x, Y, t, 3, ridge=10.0)) < np.linalg.norm(c)


def test_fit_spline_rank_deficient_gives_minimum_norm():
    t = S.extend_grid(S.uniform_grid(6), 3)
    x = np.linspace(-1, 0, 50)  # the B-splines living right of 0.34 see no sample
    c = S.fit_spline(x, np.cos(x), t, 3)
    np.testing.assert_allclose(c[-2:], 0.0, atol=1e-12)


def test_float32_kept():
    t = S.extend_grid(S.uniform_grid(4), 3).astype(np.float32)
    B = S.bspline_basis(np.zeros(3, dtype=np.float32), t, 3)
    assert B.dtype == np.float32


@pytest.mark.parametrize("call, match", [
    (lambda: S.uniform_grid(0), "G"),
    (lambda: S.uniform_grid(3, 1.0, 1.0), "low < high"),
    (lambda: S.extend_grid([0.0, 0.0, 1.0], 3), "strictly increasing"),
    (lambda: S.extend_grid([0.0], 3), "at least two"),
    (lambda: S.extend_grid([0.0, 1.0], -1), "k"),
    (lambda: S.bspline_basis([0.0], [0.0, 1.0, 2.0], 3), "k \\+ 2"),
    (lambda: S.bspline_basis([[0.0]], [0.0, 1.0, 2.0], 1), "1-D"),
    (lambda: S.bspline_basis(np.zeros((2, 3)), np.tile(np.arange(5.0), (2, 1)), 1),
     "shape \\(n, 2\\)"),
    (lambda: S.bspline_basis([np.nan], [0.0, 1.0, 2.0], 1), "x"),
    (lambda: S.spline_value([0.0], [0.0, 1.0, 2.0, 3.0], [1.0], 1), "coef"),
    (lambda: S.fit_spline([0.0, 1.0], [1.0], [0.0, 1.0, 2.0], 1), "y must have"),
    (lambda: S.fit_spline([0.0, 1.0], [1.0, 2.0], [0.0, 1.0, 2.0], 1, ridge=-1), "ridge"),
    (lambda: S.fit_error_vs_grid(3, [4]), "f must be"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
def test_local_scheme_equals_the_full_recursion(k):
    # the package evaluates only the k + 1 non-zero B-splines at each point (de Boor's
    # triangular scheme); the full Cox-de Boor recursion of the docstring is the reference
    rng = np.random.default_rng(20 + k)
    t = np.stack([S.extend_grid(np.sort(rng.uniform(-1, 1, 8)), k),
                  S.extend_grid(S.uniform_grid(7, 0, 2), k)])
    X = np.stack([rng.uniform(-3, 3, 400), rng.uniform(-2, 4, 400)], axis=1)
    X[:6, 0] = t[0, :6]  # on knots, the outer ones included
    X[:6, 1] = t[1, -6:]
    B, dB = S._cox_de_boor(X, t, k, True)
    Bl, dBl = S._local_basis(X, t, k, True)
    np.testing.assert_allclose(Bl, B, atol=TOL)
    np.testing.assert_allclose(dBl, dB, atol=1e-11)  # derivatives of O(1/h^k) sums
    np.testing.assert_allclose(S._local_basis(X[:, 0], t[0], k, False), B[:, 0], atol=TOL)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 5])
def test_cardinal_coefficients_are_the_uniform_basis(k):
    # the polynomials in f = (x - t_j)/h of the k + 1 non-zero B-splines on uniform knots
    # against the full Cox-de Boor recursion on the integer knots 0..2k+1 (interval j = k)
    A = S._cardinal_coefficients(k)
    t = np.arange(2 * k + 2, dtype=float)
    f = np.linspace(0.0, 1.0, 41, endpoint=False)
    ref = S._cox_de_boor(k + f, t, k, False)  # (41, k + 1): B_0..B_k at x in [k, k + 1)
    powers = f[:, None] ** np.arange(k + 1)
    np.testing.assert_allclose(powers @ A, ref, atol=TOL)
    # the check can fail: a wrong coefficient (here the one of f^0 in B_0) shows
    B = A.copy()
    B[0, 0] += 1e-3
    assert np.max(np.abs(powers @ B - ref)) > 1e-4


def test_far_outside_is_exactly_zero():
    # beyond the outer knots every B-spline is 0, however far: no 0/0 from x - t cancelling
    t = S.extend_grid(S.uniform_grid(5), 3)
    x = np.array([1e300, -1e300, 1e20, -3.0])
    B, dB = S.bspline_basis_and_derivative(x, t, 3)
    assert np.all(B == 0.0) and np.all(dB == 0.0)
