"""Items 3 and 4 of the slide (lecturenn.init_pretrain) and the figures' measurements
(lecturenn.init_diagnostics)."""

import math

import numpy as np
import pytest

import lecturenn as ln
from lecturenn import init as lninit
from lecturenn.init_diagnostics import (
    deep_linear_learning_time,
    jacobian_singular_values,
    layer_statistics,
    product_singular_values,
    signal_second_moments,
)
from lecturenn.init_pretrain import (
    init_experiment,
    linear_neurons,
    linear_neurons_network,
    transfer_network,
)


def _blobs(n=120, d=6, K=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % K
    centres = rng.normal(0, 2, size=(K, d))
    return centres[y] + rng.normal(size=(n, d)), y


def _logistic_loss(X, y, W, c):
    t = np.where(y == c, 1.0, -1.0)
    s = (X @ W[1:] - W[0])[:, 0]
    return np.mean(np.logaddexp(0, -t * s))


# -- item 3 -----------------------------------------------------------------------------------
def test_linear_neurons_solve_their_logistic_regressions():
    """Each neuron lowers its own one-vs-rest loss well below ln 2 (the loss of w = 0), and the
    gradient step is the gradient: one step from 0 matches a finite-difference gradient."""
    X, y = _blobs()
    W = linear_neurons(X, y, 6, source="subsample", fraction=1.0, epochs=200, lam=0.0,
                       unit_scale=False)
    for h in range(6):
        assert _logistic_loss(X, y, W[:, h:h + 1], h % 3) < 0.5 * math.log(2)
    # one step of size lr from zero = -lr * gradient of the mean loss (fraction 1: all objects)
    W1 = linear_neurons(X, y, 3, source="subsample", fraction=1.0, epochs=1, lr=1e-3, lam=0.0,
                        unit_scale=False)
    f = lambda w: _logistic_loss(X, y, w.reshape(7, 1), 0)  # noqa: E731
    g = np.zeros(7)
    for i in range(7):
        e = np.zeros(7)
        e[i] = 1e-6
        g[i] = (f(e) - f(-e)) / 2e-6
    np.testing.assert_allclose(W1[:, 0], -1e-3 * g, rtol=1e-6, atol=1e-12)


def test_unit_scale_keeps_the_hyperplane_and_sets_the_second_moment():
    X, y = _blobs()
    raw = linear_neurons(X, y, 4, epochs=100, unit_scale=False, rng=3)
    W = linear_neurons(X, y, 4, epochs=100, rng=3)
    S_raw, S = X @ raw[1:] - raw[0], X @ W[1:] - W[0]
    np.testing.assert_allclose(np.mean(S**2, axis=0), 1.0, rtol=1e-12)
    assert np.array_equal(np.sign(S), np.sign(S_raw))
    np.testing.assert_allclose(W * np.sqrt(np.mean(S_raw**2, axis=0)), raw, rtol=1e-12)


def test_sources_make_neurons_of_one_class_differ():
    """Neurons 0 and 3 both separate class 0: identical without a source of diversity."""
    X, y = _blobs()
    same = linear_neurons(X, y, 6, source="subsample", fraction=1.0, epochs=50)
    np.testing.assert_array_equal(same[:, 0], same[:, 3])
    for source in ("subsample", "features", "starts"):
        W = linear_neurons(X, y, 6, source=source, fraction=0.5, epochs=50, rng=1)
        assert np.linalg.norm(W[:, 0] - W[:, 3]) > 0.05 * np.linalg.norm(W[:, 0]), source
    feats = linear_neurons(X, y, 6, source="features", fraction=0.5, rng=2)
    assert np.all((feats[1:] != 0).sum(axis=0) == 3)  # 3 of 6 inputs per neuron
    # random starts only differ while the (strictly convex) problem is not solved
    W = linear_neurons(X, y, 6, source="starts", epochs=4000, lr=1.0, lam=0.05, rng=1)
    assert np.abs(W[:, 0] - W[:, 3]).max() < 1e-6


def test_linear_neurons_network_beats_random_at_the_start():
    """Before any training, the layer-wise init classifies; random ones are near chance.

    Five seeds (the data and the subsamples). Five random Glorot networks of the same shape per
    seed: their accuracy before training was measured 0.02-0.67 on these blobs (chance 1/3), the
    layer-wise init's 0.94-1.0; asserted: above 0.9, and 0.3 above the best random one.
    """
    for seed in range(5):
        X, y = _blobs(n=300, d=8, K=3, seed=seed)
        net = linear_neurons_network([8, 12, 3], X, y, rng=seed)
        acc = ln.evaluate(net, X, y, "cross_entropy", metrics=("accuracy",))["accuracy"]
        rand = [ln.evaluate(ln.Network([8, 12, 3], "tanh", init="glorot_uniform", rng=r), X, y,
                            "cross_entropy", metrics=("accuracy",))["accuracy"]
                for r in range(5)]
        assert acc > 0.9 and acc > max(rand) + 0.3, (seed, acc, rand)
    assert [la.n_out for la in net.layers] == [12, 3]


def test_init_experiment_is_fair_and_reproducible():
    X, y = _blobs(n=90)
    build = lambda s: ln.Network([6, 5, 3], init="glorot_uniform", rng=s)  # noqa: E731
    a = init_experiment(build, X, y, X, y, seeds=(0, 1), epochs=2)
    b = init_experiment(build, X, y, X, y, seeds=(0, 1), epochs=2)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 3) and np.all((a >= 0) & (a <= 1))


def test_item3_errors():
    X, y = _blobs()
    with pytest.raises(ValueError, match="source must be one of"):
        linear_neurons(X, y, 3, source="bagging")
    with pytest.raises(ValueError, match="fraction must lie in"):
        linear_neurons(X, y, 3, fraction=0.0)
    with pytest.raises(ValueError, match="y must be 120 integer class labels"):
        linear_neurons(X, y.astype(float), 3)
    with pytest.raises(ValueError, match="not below n_classes"):
        linear_neurons(X, y, 3, n_classes=2)
    with pytest.raises(ValueError, match="X has 6 columns"):
        linear_neurons_network([5, 3, 3], X, y)
    with pytest.raises(TypeError, match="build must be"):
        init_experiment(3, X, y, X, y)
    with pytest.raises(TypeError, match="build\\(seed\\) must return a Network"):
        init_experiment(lambda s: None, X, y, X, y, epochs=0)


# -- item 4 -----------------------------------------------------------------------------------
def test_transfer_copies_hidden_layers_and_draws_a_new_output():
    X, y = _blobs()
    src = ln.Network([6, 8, 8, 3], activation="relu", rng=0)
    ln.fit(src, X, y, "cross_entropy", epochs=2)
    net = transfer_network(src, 5, rng=1)
    for a, b in zip(src.layers[:-1], net.layers[:-1], strict=True):
        np.testing.assert_array_equal(a.W.data, b.W.data)
        assert a.W.data is not b.W.data  # copied: training one leaves the other
    assert net.layers[-1].n_out == 5
    np.testing.assert_array_equal(net.layers[-1].W.data[1:],
                                  lninit.glorot_uniform(8, 5, rng=1))
    with pytest.raises(TypeError, match="source must be a Network"):
        transfer_network("net", 3)
    with pytest.raises(ValueError, match="at least two Dense layers"):
        transfer_network(ln.Network([6, 3]), 3)


# -- the figures' measurements -------------------------------------------------------------------
def test_layer_statistics_are_the_backprop_quantities():
    X, y = _blobs(n=30)
    net = ln.Network([6, 5, 4, 3], activation="tanh", rng=0)
    st = layer_statistics(net, X, y)
    tr = net.backprop_trace(X, y, "cross_entropy")
    np.testing.assert_array_equal(st["x"][0], tr.x[1].ravel())
    # dQ/dS^L of the softmax cross-entropy per object: softmax - one-hot
    p = np.exp(tr.x[3] - tr.x[3].max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(st["grad_S"][2].reshape(30, 3), p - np.eye(3)[y], atol=1e-12)
    assert st["x_std"].shape == (3,)


def test_jacobian_singular_values_against_finite_differences():
    X, _ = _blobs(n=3)
    net = ln.Network([6, 5, 4], activation="tanh", output="tanh", rng=0)
    sv = jacobian_singular_values(net, X)
    x0 = X[:1]
    layer = net.layers[0]
    J = np.zeros((5, 6))
    for k in range(6):
        e = np.zeros((1, 6))
        e[0, k] = 1e-6
        J[:, k] = (layer(x0 + e) - layer(x0 - e))[0] / 2e-6
    np.testing.assert_allclose(sv[0][0], np.linalg.svd(J, compute_uv=False), rtol=1e-7)


def test_signal_and_products():
    X = np.random.default_rng(0).normal(size=(50, 40))
    net = ln.Network([40] * 6, activation="identity", init="orthogonal", rng=0)
    m = signal_second_moments(net, X)
    np.testing.assert_allclose(m, m[0], rtol=1e-10)  # orthogonal, linear: norms kept exactly
    sv = product_singular_values(lninit.orthogonal, 20, [1, 10, 50], rng=0)
    assert all(np.abs(s - 1).max() < 1e-10 for s in sv.values())
    # Gaussian: the spread of the singular values grows with the depth (Saxe et al.). Depths
    # whose spread stays well inside float64's 16 digits (measured 10^8.8-10^11.6 at depth 10,
    # n = 20, seeds 0-3): beyond, the smallest singular values of the product are rounding
    # noise, and a spread of 10^16 or more would be the noise floor, not the law.
    for seed in range(4):
        sg = product_singular_values(lninit.lecun_normal, 20, [1, 5, 10], rng=seed)
        spread = [np.log10(s[0] / s[-1]) for s in sg.values()]
        assert spread[0] < spread[1] < spread[2] and 6 < spread[2] < 14, spread
    with pytest.raises(ValueError, match="depths must not be empty"):
        product_singular_values(lninit.orthogonal, 3, [])


def test_deep_linear_gradients_by_finite_differences_and_torch():
    """The backward pass of deep_linear_learning_time: central differences and autograd."""
    import torch

    from lecturenn.init_diagnostics import _deep_linear_loss_and_grads

    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    Ws = [rng.normal(size=(3, 3)) for _ in range(3)]
    loss, grads = _deep_linear_loss_and_grads(Ws, X, Y)
    for l, W in enumerate(Ws):
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            Wp = [w.copy() for w in Ws]
            Wm = [w.copy() for w in Ws]
            Wp[l][idx] += 1e-6
            Wm[l][idx] -= 1e-6
            num[idx] = (_deep_linear_loss_and_grads(Wp, X, Y)[0]
                        - _deep_linear_loss_and_grads(Wm, X, Y)[0]) / 2e-6
        # central differences: truncation ~1e-12, rounding ~1e-10 at this scale
        np.testing.assert_allclose(grads[l], num, rtol=1e-6, atol=1e-8)
    tw = [torch.tensor(W, requires_grad=True) for W in Ws]
    out = torch.tensor(X)
    for W in tw:
        out = out @ W
    tloss = 0.5 * ((out - torch.tensor(Y)) ** 2).sum() / X.shape[0]
    tloss.backward()
    assert float(tloss.detach()) == pytest.approx(loss, rel=1e-12)
    for g, W in zip(grads, tw, strict=True):
        np.testing.assert_allclose(g, W.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_deep_linear_learning_time():
    """Depth 1 against gradient descent on linear regression written out; the stopping rule."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 8))
    Y = X @ np.linalg.qr(rng.normal(size=(8, 8)))[0]
    t = deep_linear_learning_time(lninit.orthogonal, 1, X, Y, lr=0.05, tol=0.05, rng=3)
    W = lninit.orthogonal(8, 8, rng=np.random.default_rng(3))
    base = 0.5 * np.sum(Y**2) / 64
    ref = 0
    while 0.5 * np.sum((X @ W - Y) ** 2) / 64 / base >= 0.05:
        W = W - 0.05 * X.T @ (X @ W - Y) / 64
        ref += 1
    assert t == ref and 5 < t < 2000
    assert deep_linear_learning_time(lninit.orthogonal, 4, X, Y, tol=0.05, max_epochs=1) == 2
    with pytest.raises(ValueError, match="same shape"):
        deep_linear_learning_time(lninit.orthogonal, 2, X, Y[:, :3])


# ------------------------------------------------ Glorot and Bengio's Fig. 2 (init_diagnostics)


def test_mean_activations_during_training_records_what_a_forward_pass_gives():
    from lecturenn import init_diagnostics as diag

    X, y = ln.data.two_moons(80, rng=0)
    net = ln.Network([2, 6, 5, 2], activation="sigmoid", rng=0)
    S1 = np.c_[-np.ones(len(X)), X] @ net.layers[0].W.data  # x_0 = -1: the threshold row first
    before = [float(np.mean(1 / (1 + np.exp(-S1))))]
    r = diag.mean_activations_during_training(net, X, y, X, ln.SGD(net.parameters(), lr=0.5),
                                              epochs=4, every=2, batch_size=8, rng=1)
    assert r["epoch"].tolist() == [0, 2, 4] and r["mean"].shape == (3, 2)
    np.testing.assert_allclose(r["mean"][0, 0], before[0], rtol=1e-12)
    h = X
    for lay in net.layers[:2]:
        h = lay.forward(h, train=False)
    np.testing.assert_allclose(r["mean"][-1, 1], h.mean(), rtol=1e-12)
    with pytest.raises(ValueError, match="every=3 must divide epochs=4"):
        diag.mean_activations_during_training(net, X, y, X, ln.SGD(net.parameters(), lr=0.5),
                                              epochs=4, every=3)
    with pytest.raises(ValueError, match="X_probe"):
        diag.mean_activations_during_training(net, X, y, X[:, :1], ln.SGD(net.parameters(), lr=0.5),
                                              epochs=1)
