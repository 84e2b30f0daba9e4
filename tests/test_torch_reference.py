"""Forward pass, loss and BackProp gradients against PyTorch (an independent implementation).

Mapping: lecturenn's W^l of shape (H_{l-1}+1, H_l), row 0 multiplying x_0 = -1, is
torch.nn.Linear with weight = W[1:].T and bias = -W[0]. Losses are written in torch
from their definitions (SquaredError = 0.5 * sum over outputs, mean over objects, which is
torch's MSELoss() * M / 2).
"""

import numpy as np
import pytest
import torch

from lecturenn.layers import Dense
from lecturenn.losses import (
    AbsoluteError,
    EpsilonInsensitive,
    HingeLoss,
    LogisticLoss,
    SoftmaxCrossEntropy,
    SquaredError,
)
from lecturenn.network import Network

TORCH_ACT = {
    "sigmoid": lambda n: torch.nn.Sigmoid(),
    "tanh": lambda n: torch.nn.Tanh(),
    "relu": lambda n: torch.nn.ReLU(),
    "leaky_relu": lambda n: torch.nn.LeakyReLU(0.01),
    "prelu": lambda n: torch.nn.PReLU(num_parameters=n, init=0.25),
    "identity": lambda n: torch.nn.Identity(),
}


def torch_loss(loss, out, y):
    if isinstance(loss, SquaredError):
        return 0.5 * ((out - y) ** 2).sum(1).mean()
    if isinstance(loss, AbsoluteError):
        return (out - y).abs().sum(1).mean()
    if isinstance(loss, EpsilonInsensitive):
        return torch.clamp((out - y).abs() - loss.c, min=0).sum(1).mean()
    if isinstance(loss, LogisticLoss):
        return torch.nn.functional.softplus(-(out * y)).mean()
    if isinstance(loss, HingeLoss):
        return torch.clamp(1 - out * y, min=0).mean()
    if isinstance(loss, SoftmaxCrossEntropy):
        return torch.nn.CrossEntropyLoss()(out, y)
    raise AssertionError(loss)


def build_pair(sizes, act, out_act, dtype, seed):
    rng = np.random.default_rng(seed)
    L = len(sizes) - 1
    layers, mods = [], []
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    for l in range(1, L + 1):
        a = act if l < L else out_act
        lay = Dense(sizes[l - 1], sizes[l], a, rng=rng, dtype=dtype)
        if a == "prelu":
            lay.activation.alpha.data[:] = rng.uniform(0.1, 0.4, size=sizes[l])
        layers.append(lay)
        lin = torch.nn.Linear(sizes[l - 1], sizes[l]).to(tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(lay.W.data[1:].T.copy()))
            lin.bias.copy_(torch.from_numpy(-lay.W.data[0]))
        act_mod = TORCH_ACT[a](sizes[l]).to(tdtype)
        if a == "prelu":
            with torch.no_grad():
                act_mod.weight.copy_(torch.from_numpy(lay.activation.alpha.data))
        mods += [lin, act_mod]
    return Network(layers), torch.nn.Sequential(*mods), layers


def _targets(loss, rng, n, m):
    if loss.kind == "regression":
        y = rng.normal(size=(n, m))
        return y, torch.from_numpy(y)
    if loss.kind == "margin":
        y = rng.choice([-1.0, 1.0], size=n)
        return y, torch.from_numpy(y[:, None])
    y = rng.integers(0, m, size=n)
    return y, torch.from_numpy(y)


LOSSES = [(SquaredError(), 3), (AbsoluteError(), 3), (EpsilonInsensitive(0.3), 2),
          (LogisticLoss(), 1), (HingeLoss(), 1), (SoftmaxCrossEntropy(), 4)]


@pytest.mark.parametrize("loss,m", LOSSES, ids=lambda v: getattr(v, "name", str(v)))
@pytest.mark.parametrize("act", list(TORCH_ACT))
def test_forward_loss_and_gradients_float64(loss, m, act):
    sizes = [5, 7, 6, m]
    net, tnet, layers = build_pair(sizes, act, "identity", np.float64, seed=11)
    rng = np.random.default_rng(12)
    X = rng.normal(size=(9, 5))
    y, ty = _targets(loss, rng, 9, m)
    value = net.loss_and_grad(X, y, loss)
    out = tnet(torch.from_numpy(X))
    tl = torch_loss(loss, out, ty.to(out.dtype) if loss.kind != "multiclass" else ty)
    tl.backward()
    np.testing.assert_allclose(net(X), out.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert value == pytest.approx(tl.item(), rel=1e-12)
    mods = list(tnet)
    for j, lay in enumerate(layers):
        lin, am = mods[2 * j], mods[2 * j + 1]
        np.testing.assert_allclose(lay.W.grad[1:], lin.weight.grad.numpy().T,
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(lay.W.grad[0], -lin.bias.grad.numpy(), rtol=1e-10, atol=1e-14)
        if act == "prelu" and j < len(layers) - 1:
            np.testing.assert_allclose(lay.activation.alpha.grad, am.weight.grad.numpy(),
                                       rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("out_act", ["sigmoid", "tanh"])
def test_output_activations(out_act):
    net, tnet, layers = build_pair([3, 4, 2], "tanh", out_act, np.float64, seed=3)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(6, 3))
    y = rng.normal(size=(6, 2))
    net.loss_and_grad(X, y, "squared")
    tl = torch_loss(SquaredError(), tnet(torch.from_numpy(X)), torch.from_numpy(y))
    tl.backward()
    np.testing.assert_allclose(layers[0].W.grad[1:], tnet[0].weight.grad.numpy().T, rtol=1e-10)


def test_float32_against_torch_float32():
    net, tnet, layers = build_pair([20, 32, 10], "relu", "identity", np.float32, seed=5)
    rng = np.random.default_rng(6)
    X = rng.normal(size=(16, 20)).astype(np.float32)
    y = rng.integers(0, 10, size=16)
    value = net.loss_and_grad(X, y, "cross_entropy")
    out = tnet(torch.from_numpy(X))
    tl = torch.nn.CrossEntropyLoss()(out, torch.from_numpy(y))
    tl.backward()
    assert layers[0].W.grad.dtype == np.float32
    assert value == pytest.approx(tl.item(), rel=1e-5)
    np.testing.assert_allclose(layers[0].W.grad[1:], tnet[0].weight.grad.numpy().T,
                               rtol=1e-4, atol=1e-6)


def test_extreme_logits_agree_with_torch():
    logits = np.array([[800.0, -800.0, 0.0], [-1e4, 1e4, 3.0]])
    y = np.array([1, 2])
    loss = SoftmaxCrossEntropy()
    v, g = loss.value_and_grad(logits.copy(), y)
    t = torch.tensor(logits, requires_grad=True)
    tl = torch.nn.CrossEntropyLoss()(t, torch.from_numpy(y))
    tl.backward()
    assert v == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-12, atol=1e-300)
    m = np.array([[700.0], [-700.0], [30.0]])
    t = np.array([[1.0], [1.0], [-1.0]])
    v, g = LogisticLoss().value_and_grad(m.copy(), t)
    tm = torch.tensor(m, requires_grad=True)
    tl = torch.nn.functional.softplus(-(tm * torch.from_numpy(t))).mean()
    tl.backward()
    assert v == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(g, tm.grad.numpy(), rtol=1e-10, atol=1e-300)
