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


def test_least_squares_output_fits_when_it_can():
    x = np.linspace(0, 1, 50)
    W = np.linspace(-3, 3, 6)[:, None]
    net = A.least_squares_output(W, np.zeros(6), x, 2 * A.ACTIVATIONS["sigmoid"](x * 3.0))
    np.testing.assert_allclose(net(x), 2 * A.ACTIVATIONS["sigmoid"](3 * x), atol=1e-8)


def test_shared_zero_threshold_cannot_approximate_x_squared_on_minus1_1():
    # with w0 = 0: a constant plus an odd function; the rms error stays >= 2/(3 sqrt 5)
    x = np.linspace(-1, 1, 2001)
    bound_rms = 2 / (3 * np.sqrt(5))
    for H in (4, 16, 64):
        W = np.linspace(-8, 8, H)[:, None]
        net = A.least_squares_output(W, np.zeros(H), x, x**2)
        rms = np.sqrt(np.mean((net(x) - x**2) ** 2))
        assert rms >= bound_rms * (1 - 1e-3)          # the grid mean is within 1e-3 of the integral
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


def test_koppen_inner_is_far_from_smooth():
    # the largest increment over intervals of length 10^-k halves per level: at best Hoelder
    # with exponent log10(2), no Lipschitz constant
    big = []
    for k in (1, 2, 3, 4):
        psi = A.koppen_inner(k)
        big.append(float(max(b - a for a, b in zip(psi[:-1], psi[1:], strict=True))))
    ratios = np.array(big[1:]) / np.array(big[:-1])
    assert np.all(np.abs(ratios - 0.5) < 0.05)
    slopes = np.array(big) * 10.0 ** np.arange(1, 5)              # increment / length
    assert np.all(np.diff(slopes) > 0) and slopes[-1] > 100


@pytest.mark.parametrize("kwargs, match", [
    ({"k": 0}, "k must be >= 1"), ({"k": 7}, "k must be <= 6"), ({"k": 2.0}, "k must be an int"),
    ({"k": 2, "n": 1}, "n must be >= 2"), ({"k": 2, "gamma": 5}, "gamma must be >= 6"),
])
def test_koppen_inner_bad_input(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        A.koppen_inner(**kwargs)
