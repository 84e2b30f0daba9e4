"""Activations: values, derivatives (finite differences and SymPy), stability, dtypes, errors."""

import warnings

import mpmath  # a dependency of SymPy: the exact references of the tail tests
import numpy as np
import pytest

from lecturenn.activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Tanh,
    get_activation,
)
from lecturenn.derivations import backprop as D
from lecturenn.gradcheck import numerical_gradient

SMOOTH = [Sigmoid(), Tanh(), Identity()]
PIECEWISE = [ReLU(), LeakyReLU(0.1), PReLU(5, alpha=0.3)]


def _points(rng, n=5):
    # keep away from the kink at 0 so central differences are valid for piecewise ones
    s = rng.normal(scale=3.0, size=(4, n))
    s[np.abs(s) < 1e-3] = 0.5
    return s


@pytest.mark.parametrize("act", SMOOTH + PIECEWISE, ids=lambda a: a.name)
def test_derivative_matches_finite_differences(act):
    rng = np.random.default_rng(1)
    s = _points(rng)
    z = act.derivative(s, act.value(s))
    # the derivative is elementwise: d/ds_j sum(sigma(s) * c) = c_j sigma'(s_j)
    c = rng.normal(size=s.shape)
    num = numerical_gradient(lambda v: float(np.sum(act.value(v) * c)), s.copy(), eps=1e-6)
    np.testing.assert_allclose(z * c, num, rtol=1e-7, atol=1e-9)
    # and without the precomputed value
    np.testing.assert_allclose(act.derivative(s), z, rtol=1e-15, atol=0)


def test_values_against_textbook_formulas():
    s = np.linspace(-6, 6, 25)
    np.testing.assert_allclose(Sigmoid().value(s), 1 / (1 + np.exp(-s)), rtol=1e-13)
    np.testing.assert_allclose(Tanh().value(s), np.tanh(s), rtol=0)
    np.testing.assert_array_equal(ReLU().value(s), np.maximum(s, 0))
    np.testing.assert_allclose(LeakyReLU(0.2).value(s), np.where(s > 0, s, 0.2 * s))
    np.testing.assert_array_equal(Identity().value(s), s)
    p = PReLU(25, alpha=0.3)
    np.testing.assert_allclose(p.value(s[None, :])[0], np.maximum(s, 0) + 0.3 * np.minimum(s, 0))


def test_relu_derivative_convention_at_zero():
    s = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(ReLU().derivative(s), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(LeakyReLU(0.1).derivative(s), [0.1, 0.1, 1.0])


def test_prelu_derivative_at_zero_is_the_slope():
    """The documented convention [S > 0] + alpha [S <= 0]: at S = 0 the slope is alpha."""
    act = PReLU(3, alpha=0.3)
    s = np.array([[-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(act.derivative(s), [[0.3, 0.3, 1.0], [0.3, 0.3, 0.3]])
    np.testing.assert_array_equal(act.derivative(s, act.value(s)), act.derivative(s))


def test_prelu_initial_slope_is_he_et_al_025():
    """He et al. (2015) initialise every slope to 0.25, as the docstring says."""
    np.testing.assert_array_equal(PReLU(3).alpha.data, [0.25, 0.25, 0.25])
    np.testing.assert_array_equal(PReLU(3, shared=True).alpha.data, [0.25])


def test_symbolic_derivatives_hold_and_wrong_ones_fail():
    assert D.check_sigmoid_derivative()
    assert not D.check_sigmoid_derivative(lambda sg: sg * (1 + sg))
    assert D.check_tanh_derivative()
    assert not D.check_tanh_derivative(lambda th: 1 + th**2)
    assert D.check_sigmoid_via_tanh()
    assert D.check_sigmoid_stable_form()
    assert not D.check_sigmoid_stable_form(neg_branch=lambda e: 1 / (1 + e))  # branches swapped
    checks = D.check_relu_family_derivatives()
    assert all(checks.values()), checks
    bad = D.check_relu_family_derivatives(alpha_claimed=lambda s: -s)
    assert not bad["prelu d/dalpha, S<0"]


@pytest.mark.parametrize("act", SMOOTH + PIECEWISE, ids=lambda a: a.name)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_and_dtype_kept_at_extreme_inputs(act, dtype):
    big = np.finfo(dtype).max
    s = np.array([[-big, -1000.0, -40.0, 0.0, 40.0, 1000.0, big]], dtype=dtype)
    if isinstance(act, PReLU):
        act = PReLU(s.shape[1], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = act.value(s)
        z = act.derivative(s, x)
        z2 = act.derivative(s)
    for arr in (x, z, z2):
        assert arr.dtype == dtype
    if act.name in ("sigmoid", "tanh"):
        assert np.all(np.isfinite(x)) and np.all(np.isfinite(z))
        lo, hi = (0, 1) if act.name == "sigmoid" else (-1, 1)
        assert x[0, 0] == lo and x[0, -1] == hi and x[0, 1] == lo and x[0, 5] == hi
        assert z[0, 0] == 0 and z[0, -1] == 0


def test_sigmoid_tails_are_accurate():
    # relative accuracy in both tails: e^{-700} is still a normal float64
    s = np.array([-700.0, -40.0, -30.0, -10.0, 10.0, 30.0])
    ref = np.array([np.exp(-700.0) / (1 + np.exp(-700.0)), np.exp(-40.0) / (1 + np.exp(-40.0)),
                    1 / (1 + np.exp(30.0)), 1 / (1 + np.exp(10.0)),
                    1 / (1 + np.exp(-10.0)), 1 / (1 + np.exp(-30.0))])
    np.testing.assert_allclose(Sigmoid().value(s), ref, rtol=4e-16, atol=0)


def test_sigmoid_derivative_error_is_as_documented():
    """z = x (1 - x): absolute error below eps_mach; relative accuracy lost for large S > 0."""
    s = np.array([-40.0, -30.0, -10.0, 0.0, 10.0, 30.0, 40.0])
    exact = np.array([float(mpmath.exp(-mpmath.mpf(v)) / (1 + mpmath.exp(-mpmath.mpf(v))) ** 2)
                      for v in s])
    z = Sigmoid().derivative(s)
    assert np.max(np.abs(z - exact)) < np.finfo(float).eps
    # the left tail is relatively accurate, the right one is not (as the docstring says)
    np.testing.assert_allclose(z[:3], exact[:3], rtol=1e-15, atol=0)
    assert abs(z[5] / exact[5] - 1) > 1e-4 and z[6] == 0.0


def test_prelu_alpha_gradient_per_neuron_and_shared():
    rng = np.random.default_rng(3)
    S = rng.normal(size=(6, 4))
    G = rng.normal(size=(6, 4))
    p = PReLU(4, alpha=0.2)
    p.backward_params(S, G)
    expected = np.sum(G * np.minimum(S, 0), axis=0)
    np.testing.assert_allclose(p.alpha.grad, expected)
    # finite differences in alpha
    def q(a):
        return float(np.sum(G * (np.maximum(S, 0) + a * np.minimum(S, 0))))
    num = numerical_gradient(q, p.alpha.data.copy())
    np.testing.assert_allclose(p.alpha.grad, num, rtol=1e-7)
    shared = PReLU(4, alpha=0.2, shared=True)
    assert shared.alpha.data.shape == (1,)
    shared.backward_params(S, G)
    np.testing.assert_allclose(shared.alpha.grad, [expected.sum()])


def test_get_activation_names_and_configs():
    for name in ACTIVATIONS:
        act = get_activation(name, n_units=3)
        again = get_activation(act.config(), n_units=3)
        assert type(again) is type(act)
    assert get_activation({"name": "leaky_relu", "alpha": 0.3}).alpha == 0.3
    t = Tanh()
    assert get_activation(t) is t
    assert get_activation("ReLU").name == "relu"


def test_activation_errors():
    with pytest.raises(ValueError, match="unknown activation 'softsign'"):
        get_activation("softsign")
    with pytest.raises(TypeError, match="activation must be a name"):
        get_activation(3)
    with pytest.raises(ValueError, match="needs n_units"):
        get_activation("prelu")
    with pytest.raises(ValueError, match="n_units of PReLU must be >= 1, got 0"):
        PReLU(0)
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="alpha of PReLU must be finite"):
        PReLU(3, alpha=float("nan"))


def test_prelu_arguments_are_checked():
    with pytest.raises(TypeError, match="alpha of PReLU must be a real number, got 'x'"):
        PReLU(3, alpha="x")
    with pytest.raises(TypeError, match="dtype of PReLU must be float32 or float64, got int64"):
        PReLU(3, dtype=int)  # truncated the slope 0.25 to 0
    with pytest.raises(TypeError, match="shared must be True or False, got 'no'"):
        PReLU(3, shared="no")
    with pytest.raises(TypeError, match=r"n_units of PReLU must be an int, got 3\.0"):
        PReLU(3.0)
    assert PReLU(2, alpha=-0.5).alpha.data.tolist() == [-0.5, -0.5]  # any real slope
    assert PReLU(2, dtype=np.float32).alpha.data.dtype == np.float32
