"""Second derivatives of the activations and the SiLU: SymPy, finite differences, PyTorch."""

import warnings

import numpy as np
import pytest
import sympy as sp
import torch

from lecturenn.activations import (
    ACTIVATIONS,
    ELU,
    Activation,
    Identity,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Tanh,
    get_activation,
)
from lecturenn.derivations import activations as D

ALL = [Sigmoid(), Tanh(), Identity(), SiLU(), ReLU(), LeakyReLU(0.1), PReLU(5, alpha=0.3),
       ELU(), ELU(0.5)]


def _points(rng):
    s = rng.normal(scale=3.0, size=(4, 5))
    s[np.abs(s) < 1e-2] = 0.5  # away from the kink of the piecewise-linear ones
    return s


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.name)
def test_second_derivative_matches_finite_differences_of_the_first(act):
    s = _points(np.random.default_rng(2))
    h = 1e-5
    num = (act.derivative(s + h) - act.derivative(s - h)) / (2 * h)
    z2 = act.second_derivative(s, act.value(s))
    # central differences of a smooth derivative: error O(h^2) ~ 1e-10, rounding ~ 1e-11
    np.testing.assert_allclose(z2, num, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(act.second_derivative(s), z2, rtol=1e-15, atol=0)
    assert z2.shape == s.shape and z2.dtype == s.dtype


def test_the_finite_difference_check_can_fail():
    class Wrong(Sigmoid):
        def second_derivative(self, s, x=None):
            x = self.value(s)
            return x * (1 - x) * (1 + 2 * x)  # sign error

    s = _points(np.random.default_rng(2))
    h = 1e-5
    num = (Wrong().derivative(s + h) - Wrong().derivative(s - h)) / (2 * h)
    assert not np.allclose(Wrong().second_derivative(s), num, rtol=1e-6, atol=1e-8)


def test_symbolic_second_derivatives_hold_and_wrong_ones_fail():
    checks = D.check_second_derivatives()
    assert checks and all(checks.values()), checks
    bad = D.check_second_derivatives({"sigmoid": lambda s, v: v * (1 - v) * (1 + 2 * v),
                                      "tanh": lambda s, v: -v * (1 - v**2),
                                      "relu": lambda s, v: sp.Integer(1)})
    assert not bad["sigmoid"] and not bad["tanh"]
    assert not bad["relu, S>0"] and not bad["relu, S<0"]
    assert bad["identity"]  # untouched entries still hold
    with pytest.raises(ValueError, match="unknown activations in claimed: \\['softsign'\\]"):
        D.check_second_derivatives({"softsign": lambda s, v: 0})


def test_symbolic_silu_holds_and_wrong_ones_fail():
    assert D.check_silu_derivatives()
    assert not D.check_silu_derivatives(first=lambda s, g: g * (1 + s * g))
    assert not D.check_silu_derivatives(second=lambda s, g: g * (1 - g) * (2 + s * (1 - g)))


def test_symbolic_and_numeric_silu_agree():
    """The SymPy expressions, lambdified, against the class at random points."""
    f = D.silu_expr(D.S)
    fns = [sp.lambdify(D.S, sp.diff(f, D.S, k), "numpy") for k in range(3)]
    s = np.random.default_rng(3).normal(scale=4.0, size=50)
    act = SiLU()
    for fn, mine in zip(fns, (act.value(s), act.derivative(s), act.second_derivative(s)),
                        strict=True):
        np.testing.assert_allclose(mine, fn(s), rtol=1e-12, atol=1e-15)


def test_silu_against_torch():
    s = np.random.default_rng(4).normal(scale=5.0, size=(6, 7))
    ts = torch.tensor(s, requires_grad=True)
    out = torch.nn.functional.silu(ts)
    (g,) = torch.autograd.grad(out.sum(), ts, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), ts)
    act = SiLU()
    # float64 on both sides; the two libraries evaluate the sigmoid differently, so a few ulps
    np.testing.assert_allclose(act.value(s), out.detach().numpy(), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(act.derivative(s), g.detach().numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(act.second_derivative(s), g2.numpy(), rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_silu_stable_at_extreme_inputs_and_keeps_dtype(dtype):
    big = np.finfo(dtype).max
    s = np.array([-big, -1000.0, -40.0, 0.0, 40.0, 1000.0, big], dtype=dtype)
    act = SiLU()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, d, d2 = act.value(s), act.derivative(s), act.second_derivative(s)
    for arr in (v, d, d2):
        assert arr.dtype == dtype and np.all(np.isfinite(arr))
    assert v[3] == 0 and v[-1] == big and v[0] == 0
    assert d[3] == 0.5 and d[-1] == 1 and d[0] == 0
    assert d2[3] == 0.5


def test_silu_by_name_and_config():
    assert type(get_activation("silu")) is SiLU and type(get_activation("swish")) is SiLU
    assert get_activation(SiLU().config()).name == "silu"
    assert ACTIVATIONS["silu"] is SiLU


def test_an_activation_without_second_derivative_says_so():
    class Square(Activation):
        name = "sq"

        def value(self, s):
            return s * s

        def derivative(self, s, x=None):
            return 2 * s

    with pytest.raises(NotImplementedError, match="Square does not give its second derivative"):
        Square().second_derivative(np.zeros(2))


def test_symbolic_elu_holds_and_wrong_ones_fail():
    assert D.check_elu_derivatives() is True
    assert D.check_elu_derivatives(first=lambda s, a: sp.exp(s)) is False  # alpha forgotten
    assert D.check_elu_derivatives(second=lambda s, a: sp.Integer(0)) is False


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2.0])
def test_elu_first_derivative_by_finite_differences_and_against_torch(alpha):
    act = ELU(alpha)
    s = _points(np.random.default_rng(3))
    h = 1e-6
    num = (act.value(s + h) - act.value(s - h)) / (2 * h)
    # central differences, error O(h^2) plus rounding ~ 1e-10
    np.testing.assert_allclose(act.derivative(s), num, rtol=1e-7, atol=1e-9)
    ts = torch.tensor(s, dtype=torch.float64, requires_grad=True)
    out = torch.nn.functional.elu(ts, alpha=alpha)
    out.sum().backward()
    np.testing.assert_allclose(act.value(s), out.detach().numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(act.derivative(s), ts.grad.numpy(), rtol=1e-14, atol=1e-15)


def test_elu_stable_dtype_config_and_errors():
    act = ELU()
    s = np.array([-1000.0, -1e-300, 0.0, 1e-300, 800.0])
    v = act.value(s)
    assert np.all(np.isfinite(v)) and v[0] == -1.0 and v[-1] == 800.0
    assert np.all(np.isfinite(act.derivative(s)))
    assert act(np.array([1.0, -1.0], dtype=np.float32)).dtype == np.float32
    assert act.derivative(np.array([1, -1])).dtype == np.float64
    assert get_activation(ELU(0.3).config()).alpha == 0.3
    assert get_activation("elu").name == "elu"
    with pytest.raises(ValueError, match="alpha of ELU"):
        ELU(0.0)
