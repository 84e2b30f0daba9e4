"""Saturation, vanishing gradients, dead units, PReLU's slopes without weight decay.

Claims about random networks are asserted for every one of several seeds (no lucky seed);
the bounds are an order of magnitude inside what was measured, and say so.
"""

import numpy as np
import pytest

import lecturenn as ln
from lecturenn.activation_layer import ActivationLayer
from lecturenn.activations import PReLU
from lecturenn.layers import Dense
from lecturenn.network import Network
from lecturenn.optim import SGD, Adam, Nesterov, OptimizerGroup
from lecturenn.saturation import (
    dead_unit_share,
    inactive_unit_share,
    layer_gradient_norms,
    max_derivative,
    no_decay_on_slopes,
    prelu_slopes,
    saturation_share,
    train_monitored,
)

SEEDS = range(5)


def _data(seed=0, n=128, d=8, k=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, k, size=n)


def test_layer_gradient_norms_are_the_norms_of_the_dense_gradients():
    X, y = _data()
    net = Network([8, 5, 4, 3], activation="tanh", rng=1)
    g = layer_gradient_norms(net, X, y, "cross_entropy")
    want = [np.linalg.norm(lay.W.grad) for lay in net.layers]
    np.testing.assert_allclose(g, want, rtol=1e-15)
    assert g.shape == (3,)


@pytest.mark.parametrize("seed", SEEDS)
def test_sigmoid_gradient_vanishes_with_depth_and_tanh_relu_do_not_as_much(seed):
    """Ten hidden layers of 32, Glorot init: the first layer's gradient over the last's is
    measured in [1e-7, 5e-7] for the sigmoid (factors sigma' <= 1/4 per layer) and around 1
    for tanh (measured 0.9 to 2); asserted: < 1e-5 and > 0.1."""
    X, y = _data(seed, d=16)
    ratios = {}
    for act in ("sigmoid", "tanh"):
        net = Network([16] + [32] * 10 + [3], activation=act, rng=seed, init="xavier")
        g = layer_gradient_norms(net, X, y, "cross_entropy")
        ratios[act] = g[0] / g[-1]
    assert ratios["sigmoid"] < 1e-5
    assert ratios["tanh"] > 0.1


def test_max_derivative():
    assert max_derivative(ln.Sigmoid()) == 0.25
    assert max_derivative(ln.Tanh()) == 1.0
    assert max_derivative(ln.ReLU()) == 1.0
    assert max_derivative(PReLU(3, alpha=2.0)) == 2.0


@pytest.mark.parametrize("seed", SEEDS)
def test_large_weights_saturate_tanh(seed):
    """The same tanh net with its weights times 5: most units saturated (sigma' < 0.1)."""
    X, _ = _data(seed)
    net = Network([8, 32, 32, 3], activation="tanh", rng=seed, init="xavier")
    small = saturation_share(net, X)
    for lay in net.layers:
        lay.W.data *= 5.0
    big = saturation_share(net, X)
    assert small.shape == (2,)
    assert np.all(small < 0.2) and np.all(big > 0.5)


def test_saturation_share_counts_by_the_derivative():
    net = Network([Dense(1, 2, "tanh", W=[[0.0, 0.0], [1.0, 10.0]]), Dense(2, 1, "identity")])
    X = np.array([[0.1], [1.0], [3.0]])  # S = (0.1, 1, 3) and (1, 10, 30)
    # tanh'(S) < 0.1 iff |S| > 1.818: unit 1 at S = 3, unit 2 at S = 10, 30: 3 of 6
    np.testing.assert_allclose(saturation_share(net, X), [0.5])
    with pytest.raises(ValueError, match="ratio = 0 counts nothing"):
        saturation_share(net, X, ratio=0)
    with pytest.raises(ValueError, match="ratio"):
        saturation_share(net, X, ratio=1.5)


def test_dead_and_inactive_units():
    W = [[0.0, 0.0, 5.0], [1.0, -1.0, 1.0]]  # unit 3 has threshold 5: S = x - 5 < 0 on X
    X = np.array([[1.0], [2.0]])
    relu = Network([Dense(1, 3, "relu", W=W), Dense(3, 1, "identity")])
    leaky = Network([Dense(1, 3, "leaky_relu", W=W), Dense(3, 1, "identity")])
    np.testing.assert_allclose(dead_unit_share(relu, X), [2 / 3])  # units 2 and 3
    np.testing.assert_allclose(inactive_unit_share(relu, X), [2 / 3])
    np.testing.assert_allclose(dead_unit_share(leaky, X), [0.0])  # alpha passes the error
    np.testing.assert_allclose(inactive_unit_share(leaky, X), [2 / 3])
    relu.loss_and_grad(X, [0.0, 1.0], "squared")
    np.testing.assert_array_equal(relu.layers[0].W.grad[:, 1:], 0.0)  # dead: no gradient
    leaky.loss_and_grad(X, [0.0, 1.0], "squared")
    assert np.all(leaky.layers[0].W.grad[:, 1:] != 0.0)


def test_activation_layers_are_measured_too():
    from lecturenn.batchnorm import batchnorm_network
    net = batchnorm_network([8, 6, 5, 3], "before", "relu")
    X, _ = _data()
    assert saturation_share(net, X).shape == (2,)  # the two ActivationLayers
    assert dead_unit_share(net, X).shape == (2,)


def test_train_monitored_records_before_and_after_every_epoch():
    X, y = _data()
    net = Network([8, 6, 3], activation="relu", rng=0)
    out = train_monitored(net, X, y, "cross_entropy", SGD(net.parameters(), lr=0.1), epochs=3,
                          batch_size=32, rng=0, monitors={"dead": lambda n: dead_unit_share(n, X),
                                                          "mode": lambda n: n.training})
    assert len(out["loss"]) == 3 and len(out["dead"]) == 4
    assert out["mode"] == [False] * 4 and net.training
    assert out["loss"][-1] < out["loss"][0]
    with pytest.raises(TypeError, match="monitors must be a dict"):
        train_monitored(net, X, y, "cross_entropy", SGD(net.parameters(), lr=0.1), 1,
                        monitors=[len])
    with pytest.raises(TypeError, match="monitors\\['m'\\]"):
        train_monitored(net, X, y, "cross_entropy", SGD(net.parameters(), lr=0.1), 1,
                        monitors={"m": 3})
    with pytest.raises(ValueError, match="epochs"):
        train_monitored(net, X, y, "cross_entropy", SGD(net.parameters(), lr=0.1), 0)
    with pytest.raises(TypeError, match="lecturenn.network.Network"):
        saturation_share("net", X)


# ------------------------------------------------------------------------ PReLU's slopes


def test_the_optimizers_decay_every_parameter_they_are_given_including_the_slopes():
    """With a zero gradient, SGD with weight decay shrinks alpha by (1 - lr*lambda) per step:
    what He et al. avoid."""
    net = Network([2, 3, 1], activation="prelu")
    (alpha,) = prelu_slopes(net)
    for p in net.parameters():
        p.grad = np.zeros_like(p.data)
    SGD(net.parameters(), lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(alpha.data, 0.25 * (1 - 0.05), rtol=1e-15)
    opt = no_decay_on_slopes(net, SGD, lr=0.1, weight_decay=0.5)
    before = alpha.data.copy()
    W = net.layers[0].W.data.copy()
    opt.step()
    np.testing.assert_array_equal(alpha.data, before)
    np.testing.assert_allclose(net.layers[0].W.data, W * 0.95, rtol=1e-15)


@pytest.mark.parametrize("seed", range(3))
def test_slopes_trained_with_decay_end_smaller_than_without(seed):
    """The same run twice: decay on everything vs. not on alpha; the mean slope ends lower
    with decay (measured by 0.05 to 0.1 after 30 steps; asserted: lower at all)."""
    X, y = _data(seed)
    ends = []
    for no_decay in (False, True):
        net = Network([8, 16, 16, 3], activation="prelu", rng=seed)
        opt = (no_decay_on_slopes(net, SGD, lr=0.1, weight_decay=0.05) if no_decay else
               SGD(net.parameters(), lr=0.1, weight_decay=0.05))
        for _ in range(30):
            opt.step(lambda net=net: net.loss_and_grad(X, y, "cross_entropy"))
        ends.append(np.mean(np.concatenate([p.data for p in prelu_slopes(net)])))
    assert ends[0] < ends[1]


def test_prelu_per_channel_and_shared_in_an_activation_layer():
    net = Network([Dense(2, 3, "identity"), ActivationLayer(3, "prelu"), Dense(3, 2),
                   ActivationLayer(2, {"name": "prelu", "shared": True}), Dense(2, 1)])
    shapes = [p.data.shape for p in prelu_slopes(net)]
    assert shapes == [(3,), (1,)]
    assert all(np.all(p.data == 0.25) for p in prelu_slopes(net))  # He et al.'s init
    X, y = _data(0, n=20, d=2)
    assert ln.check_gradients(net, X, y.astype(float), "squared").ok(1e-6)


def test_optimizer_group_errors_and_one_closure_call():
    net = Network([2, 3, 1], activation="prelu")
    a, b = net.parameters()[:1], net.parameters()[1:]
    with pytest.raises(ValueError, match="at least one optimizer"):
        OptimizerGroup()
    with pytest.raises(TypeError, match=r"optimizers\[0\] of OptimizerGroup must be"):
        OptimizerGroup("sgd")
    with pytest.raises(TypeError, match="look-ahead"):
        OptimizerGroup(Nesterov(a, lr=0.1))
    with pytest.raises(ValueError, match="belongs to two optimizers"):
        OptimizerGroup(SGD(a, lr=0.1), Adam(a + b, lr=0.1))
    calls = []
    X, y = np.ones((2, 2)), np.zeros(2)

    def closure():
        calls.append(1)
        return net.loss_and_grad(X, y, "squared")
    group = OptimizerGroup(SGD(a, lr=0.1), Adam(b, lr=0.1))
    assert isinstance(group.step(closure), float) and calls == [1]
    assert group.step() is None
    assert repr(group) == "OptimizerGroup(SGD, Adam)"
    ln.fit(net, X, y, "squared", optimizer=group, epochs=1)
