"""The BatchNorm layer and the ActivationLayer: forward, backward, modes, PyTorch, save/load.

Comparisons with ``torch.nn.BatchNorm1d`` are in float64 with ``rtol=1e-10`` (the two compute
the same formulas in a different order: rounding differences of a few ulps, amplified at
most by the condition of the normalization, stay far below it); finite differences with the
tolerance of :mod:`lecturenn.gradcheck` (1e-6 for a correct gradient, order 1 for a wrong one).
"""

import numpy as np
import pytest
import torch

from lecturenn.activation_layer import ActivationLayer
from lecturenn.batchnorm import BatchNorm, batchnorm_network
from lecturenn.gradcheck import check_gradients
from lecturenn.layers import Dense, layer_from_config
from lecturenn.network import Network
from lecturenn.serialization import load, load_into, save

SEEDS = range(4)


def _batch(seed, n=16, H=5):
    rng = np.random.default_rng(seed)
    return rng.normal(2.0, 3.0, size=(n, H)) * rng.uniform(0.1, 10, size=H)


# ------------------------------------------------------------------------ forward


@pytest.mark.parametrize("seed", SEEDS)
def test_training_output_has_batch_mean_beta_and_variance_gamma2_var_over_var_eps(seed):
    bn = BatchNorm(5, eps=1e-3)
    rng = np.random.default_rng(seed)
    bn.gamma.data[:] = rng.uniform(0.5, 2, 5)
    bn.beta.data[:] = rng.normal(size=5)
    x = _batch(seed)
    y = bn.forward(x, train=True)
    var = x.var(axis=0)
    np.testing.assert_allclose(y.mean(axis=0), bn.beta.data, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), bn.gamma.data**2 * var / (var + 1e-3),
                               rtol=1e-12)


def test_constant_feature_gives_beta_and_a_finite_gradient():
    bn = BatchNorm(2)
    bn.beta.data[:] = [0.5, -1.0]
    x = np.column_stack([np.full(4, 7.0), np.arange(4.0)])
    y = bn.forward(x, train=True)
    np.testing.assert_array_equal(y[:, 0], 0.5)
    g = bn.backward(np.ones((4, 2)) + np.arange(8.0).reshape(4, 2))
    assert np.all(np.isfinite(g))
    # the Jacobian of the constant unit is (I - 1/m)/sqrt(eps): 316 times the centred error
    go = np.arange(4.0)
    bn.forward(x, train=True)
    gx = bn.backward(np.column_stack([go, np.zeros(4)]))[:, 0]
    np.testing.assert_allclose(gx, (go - go.mean()) / np.sqrt(1e-5), rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_scale_invariance_exact_up_to_eps_over_a2(seed):
    """BN_eps(a x) = BN_{eps/a^2}(x): to rounding, and not BN_eps(x) itself for eps > 0."""
    x = _batch(seed)
    a = 7.0
    y_scaled = BatchNorm(5, eps=1e-2).forward(a * x, train=True)
    y_moved = BatchNorm(5, eps=1e-2 / a**2).forward(x, train=True)
    np.testing.assert_allclose(y_scaled, y_moved, rtol=1e-12, atol=1e-12)
    small = BatchNorm(5, eps=1e-2).forward(0.01 * x[:, :1] / x[:, :1].std() * np.ones(5),
                                           train=True)
    big = BatchNorm(5, eps=1e-2).forward(x[:, :1] / x[:, :1].std() * np.ones(5), train=True)
    assert np.max(np.abs(small - big)) > 0.1  # eps matters when sigma^2 is not >> eps


# ------------------------------------------------------------------------ backward


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("placement", ["before", "after"])
def test_network_gradients_by_finite_differences(seed, placement):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(12, 3))
    y = rng.integers(0, 3, size=12)
    net = batchnorm_network([3, 6, 5, 3], placement, "tanh", rng=seed)
    for lay in net.layers:  # gamma, beta away from their initial values
        if isinstance(lay, BatchNorm):
            lay.gamma.data[:] = rng.uniform(0.5, 2, lay.n_units)
            lay.beta.data[:] = rng.normal(size=lay.n_units)
    for mode in (net.train, net.eval):
        mode()
        report = check_gradients(net, X, y, "cross_entropy")
        assert report.ok(1e-6), report.errors


def test_a_backward_without_the_variance_term_fails_the_finite_differences(monkeypatch):
    """The check can fail: dropping -x_hat * sum(g x_hat) / m from the formula is caught."""
    def wrong(self, grad_out, need_input_grad=True):
        c = self.cache
        self.gamma.grad = np.einsum("ij,ij->j", grad_out, c.x_hat)
        self.beta.grad = grad_out.sum(axis=0)
        return (grad_out - grad_out.mean(axis=0)) * self.gamma.data * c.inv_std
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, size=10)
    net = batchnorm_network([3, 4, 2], "before", "tanh")
    assert check_gradients(net, X, y, "cross_entropy").ok(1e-6)
    monkeypatch.setattr(BatchNorm, "backward", wrong)
    assert not check_gradients(net, X, y, "cross_entropy").ok(1e-3)


def _torch_bn(bn):
    t = torch.nn.BatchNorm1d(bn.n_units, eps=bn.eps, momentum=bn.momentum,
                             dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(bn.gamma.data))
        t.bias.copy_(torch.from_numpy(bn.beta.data))
    return t


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_against_torch_batchnorm1d_train_then_eval(seed, momentum):
    """Outputs, input/gamma/beta gradients over five training steps, then the running
    statistics and the evaluation output and gradient."""
    rng = np.random.default_rng(seed)
    bn = BatchNorm(5, eps=1e-5, momentum=momentum)
    bn.gamma.data[:] = rng.uniform(0.5, 2, 5)
    bn.beta.data[:] = rng.normal(size=5)
    t = _torch_bn(bn).train()
    for step in range(5):
        x = _batch(100 * seed + step, n=8 + step)
        g = rng.normal(size=x.shape)
        xt = torch.from_numpy(x).requires_grad_(True)
        yt = t(xt)
        yt.backward(torch.from_numpy(g))
        y = bn.forward(x, train=True)
        gx = bn.backward(g)
        np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.gamma.grad, t.weight.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(bn.beta.grad, t.bias.grad.numpy(), rtol=1e-10)
        t.weight.grad = t.bias.grad = None
    np.testing.assert_allclose(bn.running_mean.data, t.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, t.running_var.numpy(), rtol=1e-12)
    t.eval()
    x = _batch(999 + seed, n=3)
    g = rng.normal(size=x.shape)
    xt = torch.from_numpy(x).requires_grad_(True)
    yt = t(xt)
    yt.backward(torch.from_numpy(g))
    np.testing.assert_allclose(bn.forward(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.backward(g), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.gamma.grad, t.weight.grad.numpy(), rtol=1e-10)


def test_running_variance_is_the_unbiased_estimate_and_none_is_the_plain_mean():
    """momentum=None over batches with frozen statistics: the paper's E[mu_B] and
    m/(m-1) E[sigma_B^2] (algorithm 2, step 10)."""
    bn = BatchNorm(3, momentum=None)
    batches = [_batch(s, n=6, H=3) for s in range(7)]
    for x in batches:
        bn.forward(x, train=True)
    np.testing.assert_allclose(bn.running_mean.data,
                               np.mean([x.mean(axis=0) for x in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data,
                               6 / 5 * np.mean([x.var(axis=0) for x in batches], axis=0),
                               rtol=1e-12)
    assert bn.n_batches == 7


def test_eval_output_of_an_object_does_not_depend_on_its_batch():
    bn = BatchNorm(5)
    for s in range(3):
        bn.forward(_batch(s), train=True)
    x = _batch(10)
    alone = bn.forward(x[:1])
    np.testing.assert_allclose(bn.forward(x)[:1], alone, rtol=1e-15)
    bn.forward(x[:4], train=True)
    y_a = bn.cache.x_hat[0].copy()
    bn.forward(np.vstack([x[:1], x[4:8]]), train=True)
    assert np.max(np.abs(bn.cache.x_hat[0] - y_a)) > 1e-3  # in training it does


def test_network_with_batchnorm_against_torch_training_steps():
    """Dense-BN-ReLU-Dense trained three SGD steps here and in torch: the same weights."""
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    net = batchnorm_network([4, 6, 3], "before", "relu", rng=1)
    lin1, bn, _, lin2 = net.layers
    tl1, tl2 = torch.nn.Linear(4, 6, dtype=torch.float64), torch.nn.Linear(6, 3,
                                                                           dtype=torch.float64)
    with torch.no_grad():
        for dense, lin in ((lin1, tl1), (lin2, tl2)):
            lin.weight.copy_(torch.from_numpy(dense.W.data[1:].T.copy()))
            lin.bias.copy_(torch.from_numpy(-dense.W.data[0].copy()))
    model = torch.nn.Sequential(tl1, _torch_bn(bn), torch.nn.ReLU(), tl2).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    from lecturenn.optim import SGD
    ours = SGD(net.parameters(), lr=0.3)
    for _ in range(3):
        opt.zero_grad()
        torch.nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        opt.step()
        net.loss_and_grad(X, y, "cross_entropy")
        ours.step()
    np.testing.assert_allclose(lin1.W.data[1:].T, tl1.weight.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.gamma.data, model[1].weight.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(bn.running_var.data, model[1].running_var.numpy(), rtol=1e-12)
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(net.eval()(X), model(torch.from_numpy(X)).numpy(),
                                   rtol=1e-9, atol=1e-12)


def test_threshold_before_batchnorm_gets_zero_gradient():
    """The mean subtraction cancels the threshold of the Dense before it (the paper drops b)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 3)), rng.integers(0, 2, size=10)
    net = batchnorm_network([3, 4, 2], "before", "tanh")
    net.loss_and_grad(X, y, "cross_entropy")
    g = net.layers[0].W.grad
    assert np.max(np.abs(g[0])) < 1e-15 * max(1.0, np.max(np.abs(g[1:]))) * 100
    assert np.max(np.abs(g[1:])) > 1e-3


# ------------------------------------------------------------------------ the two placements


def test_the_two_placements_and_the_plain_network_start_from_the_same_weights():
    plain = Network([3, 5, 4, 2], activation="relu", rng=7)
    before = batchnorm_network([3, 5, 4, 2], "before", "relu", rng=7)
    after = batchnorm_network([3, 5, 4, 2], "after", "relu", rng=7)
    assert [type(lay).__name__ for lay in before.layers] == [
        "Dense", "BatchNorm", "ActivationLayer", "Dense", "BatchNorm", "ActivationLayer",
        "Dense"]
    assert [type(lay).__name__ for lay in after.layers] == [
        "Dense", "BatchNorm", "Dense", "BatchNorm", "Dense"]
    W_plain = [lay.W.data for lay in plain.layers]
    for net in (before, after):
        W = [lay.W.data for lay in net.layers if isinstance(lay, Dense)]
        for a, b in zip(W, W_plain, strict=True):
            np.testing.assert_array_equal(a, b)
    X = np.random.default_rng(0).normal(size=(9, 3))
    # before: relu(BN(S)); after: BN(relu(S)): different functions of the same weights
    assert np.max(np.abs(before.train()(X) - after.train()(X))) > 1e-2


def test_activation_layer_equals_the_activation_inside_dense():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(7, 3)), rng.integers(0, 2, size=7)
    inside = Network([Dense(3, 4, "prelu", rng=2), Dense(4, 2, "identity", rng=3)])
    split = Network([Dense(3, 4, "identity", rng=2), ActivationLayer(4, "prelu"),
                     Dense(4, 2, "identity", rng=3)])
    inside.layers[0].activation.alpha.data[:] = split.layers[1].activation.alpha.data[:] = \
        [0.1, 0.2, 0.3, 0.4]
    np.testing.assert_allclose(inside(X), split(X), rtol=1e-15)
    inside.loss_and_grad(X, y, "cross_entropy")
    split.loss_and_grad(X, y, "cross_entropy")
    gi, gs = dict(inside.named_parameters()), dict(split.named_parameters())
    np.testing.assert_allclose(gi["layers.0.alpha"].grad, gs["layers.1.alpha"].grad,
                               rtol=1e-13)
    np.testing.assert_allclose(gi["layers.0.W"].grad, gs["layers.0.W"].grad, rtol=1e-13)
    tr = split.forward_trace(X)
    np.testing.assert_allclose(tr.z[2], split.layers[1].activation.derivative(tr.S[2]))
    assert check_gradients(split, X, y, "cross_entropy").ok(1e-6)


# ------------------------------------------------------------------------ save and load


@pytest.mark.parametrize("placement", ["before", "after"])
def test_save_load_keeps_parameters_and_running_statistics(tmp_path, placement):
    net = batchnorm_network([3, 5, 2], placement, {"name": "prelu", "shared": True},
                            momentum=0.3, eps=1e-4, rng=4)
    rng = np.random.default_rng(0)
    for _ in range(3):
        net.train().loss_and_grad(rng.normal(size=(8, 3)), rng.integers(0, 2, size=8),
                                  "cross_entropy")
        for p in net.parameters():
            p.data -= 0.1 * p.grad
    path = save(net, tmp_path / "bn")
    back = load(path)
    assert back.config() == net.config()
    names = [n for n, _ in net.named_buffers()]
    assert names == ["layers.1.running_mean", "layers.1.running_var",
                     "layers.1.num_batches_tracked"]
    for (n1, a), (n2, b) in zip(net.named_arrays(), back.named_arrays(), strict=True):
        assert n1 == n2
        np.testing.assert_array_equal(a.data, b.data)
    X = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(back.eval()(X), net.eval()(X))
    other = batchnorm_network([3, 5, 2], placement, {"name": "prelu", "shared": True},
                              momentum=0.3, eps=1e-4, rng=9)
    load_into(other, path)
    np.testing.assert_array_equal(other.eval()(X), net.eval()(X))
    state = net.state_dict()
    assert "layers.1.running_var" in state
    assert "layers.1.running_var" not in [p.name for p in net.parameters()]


def test_load_refuses_running_statistics_of_another_shape(tmp_path):
    net = batchnorm_network([3, 5, 2], "after", "relu")
    path = save(net, tmp_path / "bn")
    with np.load(path) as f:
        arrays = dict(f)
    arrays["layers.1.running_var"] = np.ones(4)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match=r"layers\.1\.running_var: shape \(4,\) in the file"):
        load(bad)
    del arrays["layers.1.running_mean"]
    arrays["layers.1.running_var"] = np.ones(5)
    np.savez(bad, **arrays)
    with pytest.raises(ValueError, match=r"missing in the file: \['layers\.1\.running_mean'\]"):
        load(bad)


def test_config_round_trip_and_parameter_shapes():
    bn = BatchNorm(4, eps=1e-3, momentum=None)
    cfg = bn.config()
    assert cfg == {"type": "BatchNorm", "n_units": 4, "eps": 1e-3, "momentum": None}
    again = layer_from_config(cfg)
    assert again.config() == cfg
    args = {k: v for k, v in cfg.items() if k != "type"}
    assert BatchNorm.parameter_shapes(args) == {"gamma": (4,), "beta": (4,)}
    assert BatchNorm.buffer_shapes(args) == {"running_mean": (4,), "running_var": (4,),
                                             "num_batches_tracked": ()}
    act = ActivationLayer(3, "prelu")
    args = {k: v for k, v in act.config().items() if k != "type"}
    assert ActivationLayer.parameter_shapes(args) == {"alpha": (3,)}
    assert ActivationLayer.parameter_shapes({"n_units": 3, "activation": "tanh"}) == {}


def test_float32_end_to_end():
    bn = BatchNorm(3, dtype=np.float32)
    x = _batch(0, H=3).astype(np.float32)
    y = bn.forward(x, train=True)
    assert y.dtype == np.float32 and bn.backward(y).dtype == np.float32
    assert bn.running_var.data.dtype == np.float32 and bn.gamma.grad.dtype == np.float32
    net = batchnorm_network([3, 4, 2], "before", "relu", dtype=np.float32)
    assert net(x).dtype == np.float32


# ------------------------------------------------------------------------ bad input


def test_a_batch_of_one_in_training_mode_is_refused_and_fine_in_eval():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="needs a batch of at least 2 objects, got 1"):
        bn.forward(np.ones((1, 3)), train=True)
    assert bn.forward(np.ones((1, 3))).shape == (1, 3)
    net = batchnorm_network([3, 4, 2])
    with pytest.raises(ValueError, match="at least 2 objects"):
        net.train().loss_and_grad(np.ones((1, 3)), [0], "cross_entropy")


def test_wrong_width_and_nan_are_refused():
    bn = BatchNorm(3)
    with pytest.raises(ValueError, match="3"):
        bn(np.ones((4, 2)))
    with pytest.raises(ValueError, match="NaN|finite"):
        bn(np.array([[1.0, np.nan, 2.0]]))
    net = batchnorm_network([3, 4, 2])
    with pytest.raises(ValueError, match="NaN|finite"):
        net(np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]]))
    with pytest.raises(ValueError, match="width|shape|columns|features"):
        Network([Dense(3, 4), BatchNorm(5)])


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n_units": 0}, ValueError, "n_units of BatchNorm"),
    ({"n_units": 2.5}, TypeError, "n_units of BatchNorm"),
    ({"n_units": 3, "eps": 0.0}, ValueError, "eps of BatchNorm"),
    ({"n_units": 3, "eps": -1.0}, ValueError, "eps of BatchNorm"),
    ({"n_units": 3, "momentum": 0.0}, ValueError,
     r"momentum of BatchNorm must lie in \(0\.0, 1\.0\]"),
    ({"n_units": 3, "momentum": -0.1}, ValueError, r"must lie in \(0\.0, 1\.0\]"),
    ({"n_units": 3, "momentum": 1.5}, ValueError, "momentum of BatchNorm"),
    ({"n_units": 3, "momentum": True}, TypeError, "momentum of BatchNorm"),
    ({"n_units": 3, "dtype": np.int64}, TypeError, "dtype of BatchNorm"),
])
def test_constructor_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        BatchNorm(**kwargs)


@pytest.mark.parametrize("cfg, match", [
    ({"type": "BatchNorm", "n_units": 3, "W": 1}, r"got \['W'\] besides"),
    ({"type": "BatchNorm"}, "no 'n_units' entry"),
    ({"type": "BatchNorm", "n_units": -1}, "n_units of BatchNorm"),
    ({"type": "ActivationLayer", "n_units": 3, "x": 1}, r"got \['x'\] besides"),
    ({"type": "ActivationLayer"}, "no 'n_units' entry"),
    ({"type": "ActivationLayer", "n_units": 3, "activation": "nope"}, "unknown activation"),
])
def test_config_errors(cfg, match):
    with pytest.raises(ValueError, match=match):
        layer_from_config(cfg)
    kind = {"BatchNorm": BatchNorm, "ActivationLayer": ActivationLayer}[cfg["type"]]
    with pytest.raises(ValueError, match=match):
        kind.parameter_shapes({k: v for k, v in cfg.items() if k != "type"})


def test_batchnorm_network_errors():
    with pytest.raises(ValueError, match="placement must be one of"):
        batchnorm_network([3, 4, 2], "middle")
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm(2).backward(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        ActivationLayer(2).backward(np.ones((2, 2)))


@pytest.mark.parametrize("sizes, exc, match", [
    (None, TypeError, "sizes of batchnorm_network must be a list of widths"),
    ("abc", TypeError, "sizes of batchnorm_network must be a list of widths"),
    (np.ones((2, 2)), TypeError, "sizes of batchnorm_network must be a list of widths"),
    ([3], ValueError, r"sizes of batchnorm_network needs at least one hidden layer"),
    ([2, 3], ValueError, "without one there is no BatchNorm"),
    ([3, 0, 2], ValueError, r"sizes\[1\] of batchnorm_network"),
    ([3, 2.5, 2], TypeError, r"sizes\[1\] of batchnorm_network"),
])
def test_batchnorm_network_sizes_errors(sizes, exc, match):
    with pytest.raises(exc, match=match):
        batchnorm_network(sizes)


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"n_units": 0}, ValueError, "n_units of ActivationLayer"),
    ({"n_units": 2, "activation": "nope"}, ValueError, "unknown activation"),
    ({"n_units": 2, "rng": "abc"}, TypeError, "rng"),
    ({"n_units": 2, "dtype": np.int32}, TypeError, "dtype of ActivationLayer"),
])
def test_activation_layer_constructor_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ActivationLayer(**kwargs)


def test_weight_gradient_before_batchnorm_is_orthogonal_to_the_weights_and_shrinks_as_1_over_a():
    """Numerically, eps = 1e-12 (near the exact eps = 0 case): w_h . grad_h / (|w_h||grad_h|)
    is at the rounding level, and scaling W by a divides the gradient by a."""
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, size=16)
    net = batchnorm_network([4, 6, 3], "before", "tanh", eps=1e-12, rng=2)
    net.loss_and_grad(X, y, "cross_entropy")
    W, g = net.layers[0].W.data[1:], net.layers[0].W.grad[1:].copy()
    cos = np.sum(W * g, axis=0) / (np.linalg.norm(W, axis=0) * np.linalg.norm(g, axis=0))
    assert np.max(np.abs(cos)) < 1e-8
    net.layers[0].W.data[...] *= 10.0
    net.loss_and_grad(X, y, "cross_entropy")
    np.testing.assert_allclose(net.layers[0].W.grad[1:], g / 10.0, rtol=1e-6, atol=1e-14)
    plain = Network([4, 6, 3], activation="tanh", rng=2)  # without BN: not orthogonal
    plain.loss_and_grad(X, y, "cross_entropy")
    W, g = plain.layers[0].W.data[1:], plain.layers[0].W.grad[1:]
    cos = np.sum(W * g, axis=0) / (np.linalg.norm(W, axis=0) * np.linalg.norm(g, axis=0))
    assert np.max(np.abs(cos)) > 1e-2


# ------------------------------------------------ review fixes (issue 12, reviewer's findings)


def test_momentum_one_is_accepted_and_keeps_the_last_batch_as_torch():
    """rho = 1 is in the documented (0, 1] and valid in PyTorch: the running statistics are
    the last batch's mean and unbiased variance."""
    bn = BatchNorm(3, momentum=1.0)
    t = torch.nn.BatchNorm1d(3, momentum=1.0, dtype=torch.float64)
    for s in range(2):
        x = _batch(s, n=6, H=3)
        bn.forward(x, train=True)
        t.train()(torch.from_numpy(x))
    np.testing.assert_allclose(bn.running_mean.data, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.data, t.running_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("value, exc, match", [
    (5, ValueError, r"momentum of BatchNorm must lie in \(0\.0, 1\.0\], got 5"),
    (0, ValueError, r"momentum of BatchNorm must lie in \(0\.0, 1\.0\]"),
    ("0.1", TypeError, "momentum of BatchNorm must be a real number"),
    (False, TypeError, "momentum of BatchNorm must be a real number in"),
])
def test_setting_a_bad_momentum_is_refused_and_changes_nothing(value, exc, match):
    bn = BatchNorm(2, momentum=0.3)
    with pytest.raises(exc, match=match):
        bn.momentum = value
    assert bn.momentum == 0.3
    bn.momentum = None
    assert bn.momentum is None


def test_batch_count_is_saved_so_momentum_none_continues_the_mean(tmp_path):
    """The count is a buffer (PyTorch's num_batches_tracked): after save/load the plain mean
    over all batches goes on; without it the next batch would replace the running mean."""
    net = batchnorm_network([3, 4, 2], "before", "tanh", momentum=None, rng=1)
    batches = [_batch(s, n=6, H=3) for s in range(5)]
    for x in batches[:3]:
        net.train()(x)
    back = load(save(net, tmp_path / "bn"))
    bn, bn2 = net.layers[1], back.layers[1]
    assert bn2.n_batches == bn.n_batches == 3
    for x in batches[3:]:
        net.train()(x)
        back.train()(x)
    np.testing.assert_array_equal(bn2.running_mean.data, bn.running_mean.data)
    assert bn2.n_batches == 5
    hidden = [net.layers[0](x) for x in batches]  # the inputs of the BatchNorm
    np.testing.assert_allclose(bn2.running_mean.data,
                               np.mean([h.mean(axis=0) for h in hidden], axis=0), rtol=1e-12)


def _old_format_file(net, path):
    """A file as lecturenn wrote it before the buffer num_batches_tracked existed (commit
    a85ffa1 added it): the same archive (the parameters, running_mean, running_var, the
    architecture, whose BatchNorm config was the same) without the count."""
    with np.load(save(net, path), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if not k.endswith(".num_batches_tracked")}
    assert "layers.1.running_mean" in arrays and "layers.1.num_batches_tracked" not in arrays
    old = path.with_name("old.npz")
    with open(old, "wb") as fh:
        np.savez(fh, **arrays)
    return old


def _trained_bn_net(n_batches=3):
    net = batchnorm_network([3, 4, 2], "before", "tanh", momentum=None, rng=1)
    for s in range(n_batches):
        net.train()(_batch(s, n=6, H=3))
    return net


def test_legacy_array_names_are_the_batch_counts():
    assert BatchNorm.legacy_buffers == ("num_batches_tracked",)
    for placement in ("before", "after"):
        net = batchnorm_network([3, 4, 4, 2], placement, "tanh")
        bns = [i for i, lay in enumerate(net.layers) if isinstance(lay, BatchNorm)]
        assert Network.legacy_array_names(net.config()) == [
            f"layers.{i}.num_batches_tracked" for i in bns]
        assert all(name in dict(net.named_buffers())
                   for name in Network.legacy_array_names(net.config()))
    assert Network.legacy_array_names(Network([2, 3, 1]).config()) == []


def test_file_saved_before_the_batch_count_loads_like_torch(tmp_path):
    """load: a fresh layer, the count 0; load_into an existing one: its count is kept. That
    is what torch 2's BatchNorm1d.load_state_dict does with a state dict of version < 2
    (no "num_batches_tracked"): it keeps the module's own count, 0 in a new module."""
    net = _trained_bn_net(3)
    old = _old_format_file(net, tmp_path / "bn")
    back = load(old)
    bn, bn2 = net.layers[1], back.layers[1]
    for name in ("gamma", "beta", "running_mean", "running_var"):
        np.testing.assert_array_equal(getattr(bn2, name).data, getattr(bn, name).data)
    assert bn.n_batches == 3 and bn2.n_batches == 0
    np.testing.assert_array_equal(back.eval()(_batch(9, n=4, H=3)),
                                  net.eval()(_batch(9, n=4, H=3)))

    target = _trained_bn_net(5)  # other running statistics, 5 batches counted
    load_into(target, old)
    np.testing.assert_array_equal(target.layers[1].running_mean.data, bn.running_mean.data)
    assert target.layers[1].n_batches == 5

    state = {k: torch.from_numpy(v.copy()) for k, v in np.load(old).items()
             if k.startswith("layers.1.")}
    torch_names = {"gamma": "weight", "beta": "bias"}
    state = {torch_names.get(k[len("layers.1."):], k[len("layers.1."):]): v
             for k, v in state.items()}  # a plain dict, no _metadata: version None
    assert sorted(state) == ["bias", "running_mean", "running_var", "weight"]
    for count in (0, 5):
        t = torch.nn.BatchNorm1d(4, momentum=None, dtype=torch.float64)
        t.num_batches_tracked.fill_(count)
        t.load_state_dict(state)  # strict: accepted
        assert int(t.num_batches_tracked) == count
        np.testing.assert_array_equal(t.running_var.numpy(), bn.running_var.data)


def test_state_dict_without_the_batch_count_loads_and_keeps_it():
    net, other = _trained_bn_net(3), _trained_bn_net(6)
    state = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    other.load_state_dict(state)
    assert other.layers[1].n_batches == 6
    np.testing.assert_array_equal(other.layers[1].running_mean.data,
                                  net.layers[1].running_mean.data)
    full = net.state_dict()
    other.load_state_dict(full)  # present, it is loaded as any buffer
    assert other.layers[1].n_batches == 3


@pytest.mark.parametrize(("drop", "bad", "match"), [
    ("layers.1.running_mean", {}, r"missing in the state_dict: \['layers.1.running_mean'\]"),
    ("layers.1.num_batches_tracked", {"layers.1.running_var": np.ones(5)},
     r"layers.1.running_var: shape \(5,\) in the state_dict, \(4,\) in the model"),
    ("", {"layers.1.num_batches_tracked": np.zeros(1)},
     r"layers.1.num_batches_tracked: shape \(1,\) in the state_dict, \(\) in the model"),
    ("", {"layers.1.num_batches_tracked": np.array(np.nan)},
     r"layers.1.num_batches_tracked: holds NaN"),
])
def test_only_the_batch_count_may_be_missing(drop, bad, match):
    net = _trained_bn_net(2)
    state = {k: v for k, v in net.state_dict().items() if k != drop}
    state.update(bad)
    before = net.state_dict()
    with pytest.raises(ValueError, match=match):
        net.load_state_dict(state)
    for k, v in net.state_dict().items():  # nothing was loaded
        np.testing.assert_array_equal(v, before[k])


def test_old_file_missing_running_mean_too_is_refused(tmp_path):
    net = _trained_bn_net(2)
    with np.load(save(net, tmp_path / "bn"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files
                  if not k.endswith((".num_batches_tracked", ".running_mean"))}
    with open(tmp_path / "worse.npz", "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ValueError, match=r"missing in the file: \['layers.1.running_mean'\]"):
        load(tmp_path / "worse.npz")
    with pytest.raises(ValueError, match=r"missing in the file: \['layers.1.running_mean'\]"):
        load_into(net, tmp_path / "worse.npz")


def test_reset_running_stats_matches_torch_and_restarts_the_mean():
    bn = BatchNorm(3, momentum=None)
    t = torch.nn.BatchNorm1d(3, momentum=None, dtype=torch.float64)
    for s in range(3):
        bn.forward(_batch(s, n=5, H=3), train=True)
        t.train()(torch.from_numpy(_batch(s, n=5, H=3)))
    gamma = bn.gamma.data.copy()
    bn.reset_running_stats()
    t.reset_running_stats()
    assert bn.n_batches == 0 == int(t.num_batches_tracked)
    np.testing.assert_array_equal(bn.running_mean.data, t.running_mean.numpy())
    np.testing.assert_array_equal(bn.running_var.data, t.running_var.numpy())
    np.testing.assert_array_equal(bn.gamma.data, gamma)
    x = _batch(7, n=5, H=3)
    bn.forward(x, train=True)
    np.testing.assert_allclose(bn.running_mean.data, x.mean(axis=0), rtol=1e-12)


def _bad_input_calls():
    bn, act, prelu = BatchNorm(3), ActivationLayer(3, "relu"), ActivationLayer(3, "prelu")
    x = _batch(0, n=4, H=3)
    return [
        (lambda: bn.forward(np.ones((4, 1)), train=True), ValueError,
         r"x in BatchNorm\(3.*\.forward must have shape \(n, 3\), got \(4, 1\)"),
        (lambda: bn.forward(np.ones((4, 1))), ValueError, r"must have shape \(n, 3\)"),
        (lambda: bn.forward(np.ones(3), train=True), ValueError, r"must have shape \(n, 3\)"),
        (lambda: bn.forward([[1.0, 2.0, 3.0]] * 2, train=True), TypeError,
         "x of BatchNorm.forward must be a numpy array"),
        (lambda: bn.forward(x, train="no"), TypeError,
         "train of BatchNorm.forward must be True or False"),
        (lambda: bn.forward(np.where(x > 0, x, np.inf), train=True), ValueError,
         "in training mode holds NaN or infinity"),
        (lambda: (bn.forward(x, train=True), bn.backward(np.ones((4, 2))))[1], ValueError,
         r"grad_out in BatchNorm\(3.*\.backward .* must have shape \(4, 3\), got \(4, 2\)"),
        (lambda: act.forward(np.ones((2, 5))), ValueError,
         r"x in ActivationLayer\(3, 'relu'\)\.forward must have shape \(n, 3\)"),
        (lambda: prelu.forward(np.ones((2, 1))), ValueError, r"must have shape \(n, 3\)"),
        (lambda: act.forward(x, train="no"), TypeError,
         "train of ActivationLayer.forward must be True or False"),
        (lambda: (act.forward(x), act.backward(np.ones((4, 1))))[1], ValueError,
         r"grad_out in ActivationLayer.* must have shape \(4, 3\), got \(4, 1\)"),
    ]


@pytest.mark.parametrize("k", range(11))
def test_bad_input_is_refused_naming_the_argument(k):
    call, exc, match = _bad_input_calls()[k]
    with pytest.raises(exc, match=match):
        call()


def test_refused_training_input_does_not_touch_the_running_statistics():
    bn = BatchNorm(3)
    for bad in (np.ones((4, 1)), np.full((4, 3), np.nan)):
        with pytest.raises(ValueError):
            bn.forward(bad, train=True)
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.data, np.ones(3))
    assert bn.n_batches == 0


def test_float32_layer_returns_float32_for_float64_input():
    """The docstring's promise: the output has the layer's dtype."""
    bn = BatchNorm(3, dtype=np.float32)
    x = _batch(0, H=3)  # float64
    y = bn.forward(x, train=True)
    assert y.dtype == np.float32 and bn.forward(x).dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32
