"""Tests of lecturenn.neuron: activations and the McCulloch-Pitts neuron."""

import numpy as np
import pytest

from lecturenn.neuron import Neuron, heaviside, sigmoid
from lecturenn.parameter import Parameter

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])


def test_heaviside_is_strict_at_zero():
    assert heaviside([-1e-300, 0.0, -0.0, 1e-300]).tolist() == [0, 0, 0, 1]
    assert heaviside(np.zeros((2, 3))).shape == (2, 3)


def test_sigmoid_matches_formula_and_is_stable():
    s = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(s), 1.0 / (1.0 + np.exp(-s)), rtol=1e-14, atol=0)
    big = sigmoid(np.array([-1000.0, 1000.0]))
    assert np.all(np.isfinite(big)) and big[0] == 0.0 and big[1] == 1.0
    # symmetry sigma(-s) = 1 - sigma(s)
    np.testing.assert_allclose(sigmoid(-s), 1 - sigmoid(s), atol=1e-15)


def test_neuron_score_is_weighted_sum_minus_threshold():
    rng = np.random.default_rng(0)
    w, w0 = rng.normal(size=3), rng.normal()
    X = rng.normal(size=(5, 3))
    neuron = Neuron(w, w0)
    expected = np.array([sum(w[j] * X[i, j] for j in range(3)) - w0 for i in range(5)])
    np.testing.assert_allclose(neuron.score(X), expected, rtol=1e-13)
    assert neuron(X).tolist() == (expected > 0).astype(int).tolist()
    np.testing.assert_allclose(Neuron(w, w0, activation="sigmoid")(X),
                               1 / (1 + np.exp(-expected)), rtol=1e-13)


def test_neuron_and_on_truth_table():
    assert Neuron([1, 1], 1.5)(X2).tolist() == [0, 0, 0, 1]
    assert Neuron([1, 1], 2.5)(X2).tolist() == [0, 0, 0, 0]  # a wrong threshold fails


def test_neuron_parameters_and_features():
    n = Neuron([1.0, 1.0, -2.0], 0.5, features=lambda X: np.column_stack([X, X[:, 0] * X[:, 1]]))
    assert n.n_features == 3
    assert all(isinstance(p, Parameter) for p in n.parameters())
    assert [p.name for p in n.parameters()] == ["w", "w0"]
    assert n(X2).tolist() == [0, 1, 1, 0]
    n.w.data[2] = 2.0  # the wrong sign of x1 x2 breaks XOR
    assert n(X2).tolist() != [0, 1, 1, 0]
    assert "Neuron(w=[1, 1, 2]" in repr(n)


def test_neuron_custom_activation():
    n = Neuron([2.0], 1.0, activation=np.tanh)
    np.testing.assert_allclose(n(np.array([[1.0]])), [np.tanh(1.0)])


def test_bad_input():
    n = Neuron([1, 1], 1.5)
    with pytest.raises(ValueError, match=(r"X in a neuron with 2 weights must have "
                                          r"shape \(n, 2\), got \(4, 3\)")):
        n(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"X must be a 2-dimensional array, got shape \(2,\)"):
        n(np.zeros(2))
    with pytest.raises(ValueError, match="w must be a 1-dimensional"):
        Neuron([[1, 1]], 0)
    with pytest.raises(ValueError, match="w0 must be a 0-dimensional"):
        Neuron([1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"activation must be one of \['sigmoid', 'threshold'\]"):
        Neuron([1], 0, activation="relu")
    with pytest.raises(TypeError, match="activation must be a string or a callable, got 3"):
        Neuron([1], 0, activation=3)
    with pytest.raises(TypeError, match="features must be a callable"):
        Neuron([1], 0, features=5)
    with pytest.raises(ValueError, match="must be finite"):
        Neuron([np.nan], 0)
    with pytest.raises(TypeError, match="s must be a real numeric array"):
        heaviside(["a"])
    bad = Neuron([1, 1], 0, features=lambda X: X[:, :1])
    with pytest.raises(ValueError, match=(r"features\(X\) in a neuron with 2 "
                                          r"weights must have shape")):
        bad(X2)


def test_sigmoid_keeps_float32_like_the_activation():
    from lecturenn.activations import Sigmoid

    s = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
    assert sigmoid(s).dtype == np.float32  # was upcast to float64
    np.testing.assert_array_equal(sigmoid(s), Sigmoid().value(s))
    assert sigmoid([0, 1]).dtype == np.float64
