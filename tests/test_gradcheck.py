"""The gradient checker: it accepts right gradients and rejects wrong ones."""

import numpy as np
import pytest

from lecturenn.gradcheck import (
    GradCheckReport,
    check_grad,
    check_gradients,
    numerical_gradient,
    relative_error,
)
from lecturenn.network import Network


def test_numerical_gradient_of_known_functions():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    x0 = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_allclose(g, np.cos(x0), rtol=1e-9)
    np.testing.assert_array_equal(x, x0)  # restored exactly


def test_check_grad_generic_function():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])

    def f(v):
        return float(v @ A @ v)

    assert check_grad(f, lambda v: 2 * A @ v, [1.0, -2.0]) < 1e-9
    assert check_grad(f, lambda v: A @ v, [1.0, -2.0]) > 0.1  # a factor 2 missing
    with pytest.raises(ValueError, match="grad\\(x\\) must have the shape of x"):
        check_grad(f, lambda v: np.zeros(3), [1.0, -2.0])


def test_relative_error_floor():
    err = relative_error([1e-12, 1.0], [0.0, 1.0 + 1e-9])
    assert err[0] == pytest.approx(1e-12 / 1e-4)
    assert err[1] == pytest.approx(1e-9 / 2, rel=1e-6)
    with pytest.raises(ValueError, match="equal shapes"):
        relative_error([1.0], [1.0, 2.0])


def test_check_gradients_report_and_selection():
    rng = np.random.default_rng(0)
    net = Network([3, 4, 2], activation="tanh", rng=0)
    X = rng.normal(size=(5, 3))
    y = rng.integers(0, 2, size=5)
    rep = check_gradients(net, X, y, "cross_entropy")
    assert isinstance(rep, GradCheckReport)
    assert set(rep.errors) == {"layers.0.W", "layers.1.W"}
    assert rep.ok(1e-6) and rep.max_error < 1e-6
    assert "layers.0.W" in str(rep)
    # the checker leaves the weights as they were
    W0 = net.parameters()[0].data.copy()
    only = check_gradients(net, X, y, "cross_entropy", params=["layers.1.W"])
    assert set(only.errors) == {"layers.1.W"}
    np.testing.assert_array_equal(net.parameters()[0].data, W0)
    with pytest.raises(ValueError, match="unknown parameter names \\['layers.7.W'\\]"):
        check_gradients(net, X, y, "cross_entropy", params=["layers.7.W"])


def test_check_gradients_catches_a_wrong_gradient():
    rng = np.random.default_rng(1)
    net = Network([2, 3, 1], activation="sigmoid", rng=0)
    X = rng.normal(size=(4, 2))
    y = rng.normal(size=4)

    class Wrong:
        """Network whose loss_and_grad forgets the derivative of the activation."""

        def __init__(self, inner):
            self.inner = inner

        def parameters(self):
            return self.inner.parameters()

        def forward(self, X):
            return self.inner.forward(X)

        def loss_and_grad(self, X, y, loss, check=True):
            v = self.inner.loss_and_grad(X, y, loss, check=check)
            self.inner.parameters()[0].grad *= 4.0  # as if sigma' were 1 instead of <= 1/4
            return v

    assert not check_gradients(Wrong(net), X, y, "squared").ok(1e-3)
    assert check_gradients(net, X, y, "squared").ok(1e-6)


def test_check_gradients_warns_on_float32():
    rng = np.random.default_rng(2)
    net = Network([2, 3, 1], activation="tanh", rng=0, dtype=np.float32)
    X = rng.normal(size=(4, 2)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match=r"float32 parameters: .* float64 copy"):
        rep = check_gradients(net, X, rng.normal(size=4), "squared")
    assert not rep.ok(1e-3)  # what the warning is about: float32 differences are useless


def test_numerical_gradient_errors():
    with pytest.raises(TypeError, match="floating numpy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2]))
    with pytest.raises(ValueError, match="eps must be > 0"):
        numerical_gradient(lambda v: 0.0, np.zeros(2), eps=0)
    with pytest.raises(ValueError, match="contiguous"):
        numerical_gradient(lambda v: 0.0, np.zeros((4, 4))[::2, ::3])


def test_check_gradients_accepts_one_name_and_checks_its_numbers():
    rng = np.random.default_rng(0)
    net = Network([3, 4, 2], activation="tanh", rng=0)
    X, y = rng.normal(size=(5, 3)), rng.integers(0, 2, size=5)
    # a single name is one parameter, not its characters
    rep = check_gradients(net, X, y, "cross_entropy", params="layers.0.W")
    assert set(rep.errors) == {"layers.0.W"} and rep.ok()
    with pytest.raises(ValueError, match="floor must be > 0, got -1"):
        check_gradients(net, X, y, "cross_entropy", floor=-1)
    with pytest.raises(ValueError, match="eps must be > 0"):
        check_gradients(net, X, y, "cross_entropy", eps=0.0)
    with pytest.raises(TypeError, match="tol must be a real number, got 'a'"):
        rep.ok(tol="a")
    with pytest.raises(ValueError, match="floor must be > 0"):
        relative_error([1.0], [1.0], floor=0)


def test_numerical_gradient_and_check_grad_name_bad_input():
    with pytest.raises(TypeError, match=r"f\(x\) must be a real number, got array of shape \(2,\)"):
        numerical_gradient(lambda v: v * 2, np.zeros(2))
    with pytest.raises(TypeError, match="f must be a callable"):
        numerical_gradient(3, np.zeros(2))
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(0,\)"):
        check_grad(lambda v: 0.0, lambda v: v, [])  # was "must be a contiguous array"
    with pytest.raises(TypeError, match="x must be a real numeric array"):
        check_grad(lambda v: 0.0, lambda v: v, ["a"])
    # a 0-d array is a number
    g = numerical_gradient(lambda v: np.sum(v**2), np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-9)
