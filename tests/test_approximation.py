"""lecturenn.approximation: the constructed networks of Cybenko's theorem and their bounds."""

import numpy as np
import pytest

from lecturenn import approximation as A
from lecturenn.activations import ReLU, Sigmoid


def f_target(x):
    return np.sin(2 * np.pi * x) + 0.6 * np.cos(5 * np.pi * x**2)


L_TARGET = 8 * np.pi  # |f'| <= 2 pi + 6 pi


def test_two_layer_network_is_the_slide_formula():
    rng = np.random.default_rng(0)
    alpha, W, w0 = rng.normal(size=5), rng.normal(size=(5, 3)), rng.normal(size=5)
    X = rng.normal(size=(7, 3))
    for act, sigma in [("sigmoid", Sigmoid()), ("relu", ReLU()),
                       ("heaviside", lambda S: (S > 0).astype(float))]:
        net = A.TwoLayerNetwork(alpha, W, w0, act)
        loop = [sum(alpha[h] * sigma(np.array(X[i] @ W[h] - w0[h])) for h in range(5))
                for i in range(7)]
        np.testing.assert_allclose(net(X), loop, rtol=1e-13, atol=1e-14)  # summation order
    assert net.n_hidden == 5 and net.n_inputs == 3


def test_staircase_has_h_plus_one_neurons_at_the_midpoints():
    net = A.staircase(f_target, 8)
    assert net.n_hidden == 9
    t = np.linspace(0, 1, 9)
    np.testing.assert_allclose(net.w0[1:] / net.W[1:, 0], (t[:-1] + t[1:]) / 2, rtol=1e-14)
    np.testing.assert_allclose(net.alpha.sum(), f_target(1.0), rtol=1e-14)  # the steps add up


@pytest.mark.parametrize("activation", ["sigmoid", "heaviside"])
@pytest.mark.parametrize("H", [1, 3, 8, 32, 128])
def test_staircase_error_within_its_bound(activation, H):
    net = A.staircase(f_target, H, activation=activation)
    V = float(np.abs(net.alpha[1:]).sum())
    bound = A.staircase_error_bound(L_TARGET, H, activation=activation, f0=f_target(0.0),
                                    variation=V)
    assert A.uniform_error(net, f_target, n=20_001) <= bound


def test_staircase_bound_is_nearly_tight_for_a_line():
    # f(x) = x: the Heaviside staircase is off by delta/2 just right of every midpoint
    H = 10
    net = A.staircase(lambda x: x, H, activation="heaviside")
    err = A.uniform_error(net, lambda x: x, n=100_001)
    bound = A.staircase_error_bound(1.0, H, activation="heaviside")
    # at a grid point on a midpoint the error is delta/2 plus the rounding of x and of m_h
    assert 0.999 * bound < err <= bound + 1e-12


def test_a_broken_bound_fails():
    # the bound without the factor 1/2, halved again (L delta / 4), is violated
    H = 10
    net = A.staircase(lambda x: x, H, activation="heaviside")
    err = A.uniform_error(net, lambda x: x, n=100_001)
    assert err > A.staircase_error_bound(1.0, H, activation="heaviside") / 2


def test_sigmoid_staircase_tends_to_the_step_staircase():
    # away from the midpoints the sigmoid steps are within the tails of the Heaviside steps
    H = 16
    x = np.linspace(0, 1, 2001)
    t = np.linspace(0, 1, H + 1)
    m = (t[:-1] + t[1:]) / 2
    far = np.min(np.abs(x[:, None] - m[None, :]), axis=1) >= 0.25 / H
    gaps = []
    for steep in (10.0, 20.0, 40.0, 80.0):
        a_sig = A.staircase(f_target, H, steep=steep)(x)
        a_step = A.staircase(f_target, H, steep=steep, activation="heaviside")(x)
        V = float(np.abs(np.diff(f_target(t))).sum())
        sig = Sigmoid()
        tail = abs(f_target(0.0)) * sig(np.array(-steep)) + V * sig(np.array(-steep / 4))
        gap = np.max(np.abs(a_sig - a_step)[far])
        assert gap <= tail
        gaps.append(gap)
    assert np.all(np.diff(gaps) < 0)


def test_staircase_on_another_interval():
    net = A.staircase(np.cos, 20, interval=(-2.0, 3.0))
    b = A.staircase_error_bound(1.0, 20, interval=(-2.0, 3.0), f0=np.cos(-2.0))
    assert A.uniform_error(net, np.cos, interval=(-2.0, 3.0)) <= b


def test_relu_interpolant_is_exact_with_one_neuron_per_knot():
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(-1, 2, size=12))
    v = rng.normal(size=12)
    net = A.relu_interpolant(t, v)
    assert net.n_hidden == len(t)               # the constant and one ReLU per knot t_0..t_{K-1}
    np.testing.assert_allclose(net(t), v, rtol=0, atol=1e-12)
    x = np.linspace(t[0], t[-1], 5001)
    np.testing.assert_allclose(net(x), np.interp(x, t, v), rtol=0, atol=1e-11)
    # beyond t_K it goes on with the last slope
    c_last = (v[-1] - v[-2]) / (t[-1] - t[-2])
    np.testing.assert_allclose(net(np.array([t[-1] + 1.0])), v[-1] + c_last, atol=1e-11)


def test_relu_interpolation_error_bound():
    # linear interpolation of cos: |error| <= h^2/8
    for n in (5, 20, 80):
        t = np.linspace(0, 4, n)
        h = t[1] - t[0]
        net = A.relu_interpolant(t, np.cos(t))
        err = A.uniform_error(net, np.cos, interval=(0.0, 4.0), n=40_001)
        assert err <= h**2 / 8
        assert err > h**2 / 8 * 0.8   # nearly attained (|cos''| = 1 near 0 and pi)


def gaussian_bump(X):
    return np.exp(-((X[:, 0] - 0.3) ** 2 + (X[:, 1] - 0.6) ** 2) / 0.1)


def test_cosine_ridge_network_converges_in_two_dimensions():
    u = np.linspace(0, 1, 41)
    X = np.array(np.meshgrid(u, u)).reshape(2, -1).T
    errs = []
    for K in (1, 2, 4, 6):
        net = A.cosine_ridge_network(gaussian_bump, K, 1.0)
        assert net.n_inputs == 2
        errs.append(np.max(np.abs(net(X) - gaussian_bump(X))))
    assert np.all(np.diff(errs) < 0) and errs[-1] < 0.1


def test_cosine_ridge_network_of_a_trig_polynomial_has_only_the_profile_error():
    # f = cos(pi x1) cos(2 pi x2) has one coefficient: the error is that of the two profiles
    def f(X):
        return np.cos(np.pi * X[:, 0]) * np.cos(2 * np.pi * X[:, 1])

    u = np.linspace(0, 1, 51)
    X = np.array(np.meshgrid(u, u)).reshape(2, -1).T
    for h in (1.0, 0.3):
        net = A.cosine_ridge_network(f, 2, h)
        assert np.max(np.abs(net(X) - f(X))) <= h**2 / 8 + 1e-12  # two halves of h^2/8


def test_cosine_ridge_network_profile_bound_has_weight_one_per_product():
    # f_K = f for K >= 2 (a trigonometric polynomial): the whole error is the profiles',
    # at most h^2/8 times the sum of |c_k| (the weights of one product's ridges add up to 1).
    # The constant the docstring had (|c_k| m_k / 2, half for a single-ridge term) is
    # violated: measured 0.119 > 0.1125 at h = 1.
    def f(X):
        return (0.7 * np.cos(np.pi * X[:, 0]) - 0.5 * np.cos(2 * np.pi * X[:, 1])
                + 0.3 * np.cos(np.pi * X[:, 0]) * np.cos(np.pi * X[:, 1]))

    u = np.linspace(0, 1, 201)
    X = np.array(np.meshgrid(u, u)).reshape(2, -1).T
    errs = {}
    for h in (1.0, 0.5, 0.3):
        errs[h] = np.max(np.abs(A.cosine_ridge_network(f, 2, h)(X) - f(X)))
        assert errs[h] <= h**2 / 8 * (0.7 + 0.5 + 0.3) + 1e-12    # quadrature rounding
    assert errs[1.0] > 1.0 / 8 * (0.7 / 2 + 0.5 / 2 + 0.3)       # the old constant fails


def test_cosine_ridge_network_neuron_count():
    # 1 + sum over k != 0 of (ridges) * ceil(pi (k1 + k2) / h): one ReLU per profile piece
    for K, h in [(1, 1.0), (2, 1.0), (3, 0.5), (6, 1.0)]:
        count = 1 + sum((1 if k1 == 0 or k2 == 0 else 2) * int(np.ceil(np.pi * (k1 + k2) / h))
                        for k1 in range(K + 1) for k2 in range(K + 1) if k1 or k2)
        assert A.cosine_ridge_network(gaussian_bump, K, h).n_hidden == count
    assert A.cosine_ridge_network(gaussian_bump, 6, 1.0).n_hidden == 1753  # printed in the book


def test_least_squares_output_fits_when_it_can():
    x = np.linspace(0, 1, 50)
    W = np.linspace(-3, 3, 6)[:, None]
    net = A.least_squares_output(W, np.zeros(6), x, 2 * A.ACTIVATIONS["sigmoid"](x * 3.0))
    np.testing.assert_allclose(net(x), 2 * A.ACTIVATIONS["sigmoid"](3 * x), atol=1e-8)


def test_shared_zero_threshold_cannot_approximate_x_squared_on_minus1_1():
    # with w0 = 0: a constant plus an odd function. On a grid symmetric about 0 the even/odd
    # argument is exact, so the grid rms error is at least min_c rms(x^2 - c) on the grid,
    # the grid's version of 2/(3 sqrt 5) (it is 1.0009996 times that); and the fit attains it
    x = np.linspace(-1, 1, 2001)
    grid_bound = np.sqrt(np.mean(x**4) - np.mean(x**2) ** 2)          # c = mean(x^2)
    assert 1.0009 < grid_bound / (2 / (3 * np.sqrt(5))) < 1.0011
    for H in (4, 16, 64):
        W = np.linspace(-8, 8, H)[:, None]
        net = A.least_squares_output(W, np.zeros(H), x, x**2)
        rms = np.sqrt(np.mean((net(x) - x**2) ** 2))
        # rounding of the least-squares fit is far below 1e-9 relative
        assert grid_bound * (1 - 1e-9) <= rms <= grid_bound * (1 + 1e-6)
        assert np.max(np.abs(net(x) - x**2)) >= 0.5 * (1 - 1e-9)
    # on [0, 1] the same networks do it
    x1 = np.linspace(0, 1, 2001)
    net1 = A.least_squares_output(np.linspace(-8, 8, 16)[:, None], np.zeros(16), x1, x1**2)
    assert np.max(np.abs(net1(x1) - x1**2)) < 1e-3


@pytest.mark.parametrize("call, match", [
    (lambda: A.staircase(f_target, 0), "H must be >= 1"),
    (lambda: A.staircase(f_target, 2.0), "H must be an int"),
    (lambda: A.staircase(f_target, 4, steep=-1.0), "steep must be > 0"),
    (lambda: A.staircase(f_target, 4, activation="relu"), "activation must be one of"),
    (lambda: A.staircase(f_target, 4, interval=(1.0, 0.0)), "interval must have a < b"),
    (lambda: A.staircase(f_target, 4, interval=1.0), "interval must be a pair"),
    (lambda: A.staircase("sin", 4), "f must be a function"),
    (lambda: A.staircase(lambda x: 1.0, 4), r"f\(x\) must return an array of shape"),
    (lambda: A.staircase(lambda x: np.full_like(x, np.nan), 4), r"f\(x\) must be finite"),
    (lambda: A.staircase_error_bound(-1.0, 4), "lipschitz must be >= 0"),
    (lambda: A.staircase_error_bound(1.0, 4, variation=np.nan), "variation must be >= 0"),
    (lambda: A.staircase_error_bound(1.0, 4, f0="a"), "f0 must be a real number"),
    (lambda: A.relu_interpolant([0.0], [1.0]), "knots must hold at least 2"),
    (lambda: A.relu_interpolant([0.0, 1.0], [1.0]), "values must have the shape"),
    (lambda: A.relu_interpolant([1.0, 0.0], [1.0, 2.0]), "strictly increasing"),
    (lambda: A.relu_interpolant([0.0, np.inf], [1.0, 2.0]), "knots"),
    (lambda: A.cosine_ridge_network(gaussian_bump, -1, 1.0), "K must be >= 0"),
    (lambda: A.cosine_ridge_network(gaussian_bump, 2, 0.0), "h must be > 0"),
    (lambda: A.cosine_ridge_network(gaussian_bump, 8, 1.0, grid=4), "grid must be >= 9"),
    (lambda: A.cosine_ridge_network(lambda X: X, 2, 1.0), r"f\(X\) must return shape"),
    (lambda: A.TwoLayerNetwork([1.0], [[1.0]], [0.0], "tanh"), "activation must be one of"),
    (lambda: A.TwoLayerNetwork([1.0, 2.0], [[1.0]], [0.0]), "one entry"),
    (lambda: A.TwoLayerNetwork([1.0], [1.0], [0.0]), "W must be a 2-dimensional"),
    (lambda: A.TwoLayerNetwork([np.nan], [[1.0]], [0.0]), "alpha"),
    (lambda: A.TwoLayerNetwork([1.0], [[1.0, 2.0]], [0.0])(np.zeros(3)), r"shape \(m, 2\)"),
    (lambda: A.TwoLayerNetwork([1.0], [[1.0]], [0.0])(np.zeros((3, 2))), "must have 1 columns"),
    (lambda: A.least_squares_output([[1.0]], [0.0], [0.0, 1.0], [1.0]), "one value per row"),
    (lambda: A.least_squares_output([[1.0]], [[1.0], [1.0, 2.0]], [0.0], [1.0]),
     "w0 must be a numeric array"),
    (lambda: A.least_squares_output([[1.0]], [], [0.0], [1.0]), "w0 must not be empty"),
    (lambda: A.least_squares_output([[1.0]], [0.0, 1.0], [0.0], [1.0]),
     "w0 must have one threshold per row of W"),
    (lambda: A.least_squares_output([[1, 0], [0, 1]], [0.0, 1.0], [0.0], [1.0]),
     r"W has 2 columns"),
    (lambda: A.uniform_error(lambda x: x[:, None], np.sin), r"net\(x\) must return an array of "
     r"shape \(4001,\)"),
    (lambda: A.uniform_error(lambda x: np.full_like(x, np.nan), np.sin),
     r"net\(x\) must be finite"),
    (lambda: A.uniform_error(A.staircase(f_target, 2), f_target, n=1), "n must be >= 2"),
    (lambda: A.uniform_error(3, f_target), "net must be a network"),
])
def test_bad_input_is_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_koppen_inner_is_increasing_and_refines():
    from fractions import Fraction

    prev = None
    for k in (1, 2, 3):
        psi = A.koppen_inner(k)
        assert len(psi) == 10**k + 1 and psi[0] == 0 and psi[-1] == 1
        inc = [b - a for a, b in zip(psi[:-1], psi[1:], strict=True)]
        assert min(inc) > 0
        assert min(inc) == Fraction(1, 10 ** (2**k - 1))          # gamma^-beta_2(k)
        if prev is not None:                                      # level k-1 values are kept
            assert psi[::10] == prev
        prev = psi
    # n = 3 needs gamma >= 8; beta_3(2) = 4
    psi3 = A.koppen_inner(2, n=3, gamma=8)
    assert min(b - a for a, b in zip(psi3[:-1], psi3[1:], strict=True)) == Fraction(1, 8**4)


def koppen_table(K, n, gamma):
    """Koppen's recursion written level by level (the reference): level k from level k - 1."""
    from fractions import Fraction

    level = [Fraction(m, gamma) for m in range(gamma + 1)]              # psi_1(d) = d
    for k in range(2, K + 1):
        u = Fraction(1, gamma ** ((n**k - 1) // (n - 1)))
        nxt = []
        for p in range(len(level) - 1):                                 # the prefix p / gamma^(k-1)
            regular = [level[p] + i * u for i in range(gamma - 1)]      # digits 0 .. gamma - 2
            nxt += regular + [(regular[-1] + level[p + 1]) / 2]         # the carried point
        level = nxt + [level[-1]]                                      # psi(1) = 1
    return level


@pytest.mark.parametrize("K, n, gamma", [(4, 2, 10), (3, 3, 8), (3, 2, 6)])
def test_koppen_inner_matches_the_level_table(K, n, gamma):
    assert A.koppen_inner(K, n=n, gamma=gamma) == koppen_table(K, n, gamma)


def test_koppen_level_table_can_fail():
    # the other printed reading of the carried point ((gamma - 1)/2 units) is a different
    # function: the comparison above would see it
    from fractions import Fraction

    psi = A.koppen_inner(2)
    other = list(psi)
    other[9] = (psi[0] + psi[10]) / 2 + Fraction(9, 2 * 10**3)
    assert other != koppen_table(2, 2, 10)


def test_koppen_inner_widest_gap_follows_its_recursion():
    # the widest gap at level k is exactly G_k = G_(k-1)/2 - (gamma-2)/2 gamma^-beta(k), which
    # lecturenn.derivations.approximation bounds at every level: 2^(k-1) G_k in
    # [(gamma-1)/gamma^2, 1/gamma], so psi is no better than Hoelder-log_gamma(2)
    from lecturenn.derivations import approximation as D

    for n, gamma, K in [(2, 10, 4), (3, 8, 3)]:
        G = D.koppen_widest_gaps(K, n=n, gamma=gamma)
        for k in range(1, K + 1):
            psi = A.koppen_inner(k, n=n, gamma=gamma)
            assert max(b - a for a, b in zip(psi[:-1], psi[1:], strict=True)) == G[k - 1]
    assert D.check_koppen_gap_bounds() is True
    assert D.check_koppen_gap_bounds(K=8, n=3, gamma=8) is True
    # exact halving (2^(k-1) G_k = 1/gamma) is not what happens
    assert D.check_koppen_gap_bounds(lower=0.1) is False
    # the other reading's recursion is a different one (finding 9 of the review)
    assert D.koppen_widest_gaps(3, carry=9) != D.koppen_widest_gaps(3)


def test_koppen_inner_is_far_from_smooth():
    # increment / length over intervals of length 10^-k grows by about 5 a level: no Lipschitz
    # constant (the exact statement is the recursion of the test above)
    slopes = []
    for k in (1, 2, 3, 4):
        psi = A.koppen_inner(k)
        slopes.append(float(max(b - a for a, b in zip(psi[:-1], psi[1:], strict=True))) * 10**k)
    assert np.all(np.diff(slopes) > 0) and slopes[-1] > 100


def test_koppen_inner_is_below_double_precision_at_level_5():
    # n = 2, gamma = 10: rounded to doubles, psi_4 is still increasing, psi_5 is not
    # (its least increment 10^-31 is below the spacing of doubles near its values)
    assert np.all(np.diff([float(v) for v in A.koppen_inner(4)]) > 0)
    psi5 = A.koppen_inner(5)
    assert min(b - a for a, b in zip(psi5[:-1], psi5[1:], strict=True)) > 0   # exactly: it is
    flat = int(np.sum(np.diff([float(v) for v in psi5]) <= 0))
    assert flat == 79_980                  # of 100 000 pairs (float(Fraction) rounds correctly)


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be >= 1"), ({"k": 7}, "k must be <= 6"), ({"k": 2.0}, "k must be an int"),
    ({"k": 2, "n": 1}, "n must be >= 2"), ({"k": 2, "gamma": 5}, "gamma must be >= 6"),
    ({"k": 6, "gamma": 1000}, r"gamma\^k must be <= 10\^6"),
])
def test_koppen_inner_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        A.koppen_inner(**kwargs)
