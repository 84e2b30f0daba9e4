"""Network and Dense: the slide's formulas, gradients by finite differences, dtypes, errors."""

import numpy as np
import pytest

from lecturenn.gradcheck import check_gradients
from lecturenn.layers import INITS, Dense, Layer, layer_from_config
from lecturenn.losses import (
    AbsoluteError,
    HingeLoss,
    LogisticLoss,
    SoftmaxCrossEntropy,
    SquaredError,
)
from lecturenn.network import Network


def _data(rng, n, d, loss, m):
    X = rng.normal(size=(n, d))
    if loss.kind == "regression":
        y = rng.normal(size=(n, m))
    elif loss.kind == "margin":
        y = rng.choice([-1, 1], size=n)
    else:
        y = rng.integers(0, m, size=n)
    return X, y


# -- construction ---------------------------------------------------------------------
def test_sizes_form_and_parameter_names():
    net = Network([2, 16, 16, 1], activation="tanh", output="identity", rng=0)
    assert net.sizes == [2, 16, 16, 1]
    names = [p.name for p in net.parameters()]
    assert names == ["layers.0.W", "layers.1.W", "layers.2.W"]
    assert [p.shape for p in net.parameters()] == [(3, 16), (17, 16), (17, 1)]
    assert net.n_params == 3 * 16 + 17 * 16 + 17
    assert [lay.activation.name for lay in net.layers] == ["tanh", "tanh", "identity"]
    assert [name for name, _ in net.named_parameters()] == names  # pairs, as in torch
    assert [p for _, p in net.named_parameters()] == net.parameters()


def test_layers_form_with_prelu_names():
    rng = np.random.default_rng(0)
    net = Network([Dense(2, 4, "prelu", rng=rng), Dense(4, 1, "sigmoid", rng=rng)])
    assert [p.name for p in net.parameters()] == ["layers.0.W", "layers.0.alpha", "layers.1.W"]
    assert net.parameters()[1].shape == (4,)


def test_initialisation_is_documented_uniform_and_reproducible():
    a = Network([50, 40, 3], rng=5)
    b = Network([50, 40, 3], rng=np.random.default_rng(5))
    c = Network([50, 40, 3], rng=6)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)
    W = a.parameters()[0].data
    assert np.all(np.abs(W) <= 1 / np.sqrt(50)) and W.std() > 0.5 / np.sqrt(3 * 50)
    x = Dense(50, 40, init="xavier", rng=0).W.data
    assert np.all(x[0] == 0) and np.all(np.abs(x) <= np.sqrt(6 / 90))
    h = Dense(500, 400, init="he", rng=0).W.data
    assert h[1:].std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)
    assert np.all(Dense(3, 2, init="zeros").W.data == 0)
    assert set(INITS) >= {"uniform", "xavier", "he", "zeros"}


def test_xavier_fills_its_documented_range():
    """U(+-sqrt(6 / (H_{l-1} + H_l))): within the bound, reaching it, with std bound/sqrt(3)."""
    W = Dense(200, 100, init="xavier", rng=0).W.data[1:]  # 20000 draws
    bound = np.sqrt(6 / (200 + 100))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.999 * bound  # P(all 20000 below) = 0.999**20000 ~ 2e-9
    assert W.std() == pytest.approx(bound / np.sqrt(3), rel=0.02)


# -- the slide's formulas ---------------------------------------------------------------
def test_forward_trace_matches_slide_coordinate_formulas():
    rng = np.random.default_rng(1)
    net = Network([3, 4, 2], activation="sigmoid", output="tanh", rng=1)
    X = rng.normal(size=(5, 3))
    tr = net.forward_trace(X)
    assert tr.S[0] is None and tr.z[0] is None and tr.x[0] is X
    for l in (1, 2):
        W = net.layers[l - 1].W.data
        xprev = np.hstack([-np.ones((5, 1)), tr.x[l - 1]])  # x_0 = -1
        S = np.array([[sum(W[k, h] * xprev[i, k] for k in range(W.shape[0]))
                       for h in range(W.shape[1])] for i in range(5)])
        np.testing.assert_allclose(tr.S[l], S, rtol=1e-13)
    np.testing.assert_allclose(tr.x[1], 1 / (1 + np.exp(-tr.S[1])), rtol=1e-13)
    np.testing.assert_allclose(tr.z[1], tr.x[1] * (1 - tr.x[1]), rtol=1e-13)
    np.testing.assert_allclose(tr.x[2], np.tanh(tr.S[2]), rtol=1e-13)
    np.testing.assert_allclose(tr.z[2], 1 - np.tanh(tr.S[2]) ** 2, rtol=1e-13)
    np.testing.assert_array_equal(net(X), tr.x[2])
    np.testing.assert_array_equal(net.forward(X), tr.x[2])


def test_backprop_trace_is_the_slide_algorithm_object_by_object():
    """eps^L = a - y; eps^{l-1}_k = sum_{h>=1} eps^l_h z^l_h w^l_kh; dL/dw_kh = eps z x_k."""
    rng = np.random.default_rng(2)
    net = Network([3, 4, 3, 2], activation="tanh", output="sigmoid", rng=2)
    X = rng.normal(size=(6, 3))
    Y = rng.normal(size=(6, 2))
    tr = net.backprop_trace(X, Y, SquaredError())
    L = 3
    assert [e.shape for e in tr.eps] == [(6, 3), (6, 4), (6, 3), (6, 2)]
    grads = {l: np.zeros_like(net.layers[l - 1].W.data) for l in range(1, L + 1)}
    for i in range(6):
        eps = {L: tr.x[L][i] - Y[i]}
        for l in range(L, 1, -1):
            W = net.layers[l - 1].W.data
            eps[l - 1] = np.array([sum(eps[l][h] * tr.z[l][i, h] * W[k, h]
                                       for h in range(W.shape[1]))
                                   for k in range(1, W.shape[0])])
        for l in range(1, L + 1):
            np.testing.assert_allclose(tr.eps[l][i], eps[l], rtol=1e-12, atol=1e-15)
            xprev = np.concatenate([[-1.0], tr.x[l - 1][i]])
            W = net.layers[l - 1].W.data
            for k in range(W.shape[0]):
                for h in range(W.shape[1]):
                    grads[l][k, h] += eps[l][h] * tr.z[l][i, h] * xprev[k] / 6
    for l in range(1, L + 1):
        np.testing.assert_allclose(tr.grads[f"layers.{l - 1}.W"], grads[l], rtol=1e-12)
    assert tr.loss == pytest.approx(SquaredError().value(tr.x[L], Y))


def test_batch_formulas_with_per_object_errors():
    """delta = eps^l * z^l (per object); grad W_{1:} = x^T delta / n, grad W_0 = -sum_i delta_i / n;
    eps^{l-1} = delta W_{1:}^T; Dense.backward receives dQ/dx^l = eps^l / n."""
    rng = np.random.default_rng(3)
    n = 5
    net = Network([3, 4, 2], activation="tanh", rng=1)
    X, Y = rng.normal(size=(n, 3)), rng.normal(size=(n, 2))
    tr = net.backprop_trace(X, Y, SquaredError())
    np.testing.assert_allclose(tr.eps[2], tr.x[2] - Y, rtol=1e-13)  # per object: a - y
    for l in (1, 2):
        W = net.layers[l - 1].W.data
        delta = tr.eps[l] * tr.z[l]
        grad = tr.grads[f"layers.{l - 1}.W"]
        np.testing.assert_allclose(grad[1:], tr.x[l - 1].T @ delta / n, rtol=1e-12)
        np.testing.assert_allclose(grad[0], -delta.sum(axis=0) / n, rtol=1e-12)
        np.testing.assert_allclose(tr.eps[l - 1], delta @ W[1:].T, rtol=1e-12)
        # the same formulas without the 1/n are wrong
        assert not np.allclose(grad[1:], tr.x[l - 1].T @ delta, rtol=1e-3)
    # what the layer itself receives is eps / n
    layer = net.layers[1]
    layer.forward(tr.x[1])
    layer.backward(tr.eps[2] / n)
    np.testing.assert_allclose(layer.W.grad, tr.grads["layers.1.W"], rtol=1e-12)
    layer.backward(tr.eps[2])
    assert not np.allclose(layer.W.grad, tr.grads["layers.1.W"], rtol=1e-3)


LOSS_CASES = [(SquaredError(), 2), (AbsoluteError(), 2), (LogisticLoss(), 1), (HingeLoss(), 1),
              (SoftmaxCrossEntropy(), 3)]


@pytest.mark.parametrize("loss,m", LOSS_CASES, ids=lambda v: getattr(v, "name", str(v)))
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu", "prelu", "identity"])
def test_gradients_by_finite_differences(loss, m, act):
    rng = np.random.default_rng(3)
    net = Network([3, 5, 4, m], activation=act, rng=4)
    X, y = _data(rng, 7, 3, loss, m)
    rep = check_gradients(net, X, y, loss)
    assert rep.ok(1e-6), str(rep)


def test_gradcheck_detects_a_wrong_backward(monkeypatch):
    rng = np.random.default_rng(3)
    net = Network([3, 5, 1], activation="tanh", rng=4)
    X, y = _data(rng, 7, 3, SquaredError(), 1)
    orig = Dense.backward

    def wrong(self, grad_out, need_input_grad=True):  # forgets the minus of x_0 = -1
        out = orig(self, grad_out, need_input_grad)
        self.W.grad[0] *= -1
        return out

    monkeypatch.setattr(Dense, "backward", wrong)
    assert not check_gradients(net, X, y, SquaredError()).ok(1e-3)


def test_deep_and_wide_architecture_gradients():
    rng = np.random.default_rng(4)
    net = Network([4, 7, 1, 6, 5, 3], activation="tanh", output="sigmoid", rng=1)
    X, y = _data(rng, 4, 4, SquaredError(), 3)
    assert check_gradients(net, X, y, "squared").ok(1e-6)


def test_loss_and_grad_overwrites_and_does_not_accumulate():
    rng = np.random.default_rng(5)
    net = Network([2, 6, 1], rng=0)
    X, y = _data(rng, 8, 2, SquaredError(), 1)
    X0 = X.copy()
    v1 = net.loss_and_grad(X, y, "squared")
    g1 = [p.grad.copy() for p in net.parameters()]
    v2 = net.loss_and_grad(X, y, SquaredError())
    assert v1 == v2
    for p, g in zip(net.parameters(), g1, strict=True):
        np.testing.assert_array_equal(p.grad, g)
    np.testing.assert_array_equal(X, X0)  # input untouched
    # the mean over a batch is the mean of per-object gradients
    per = []
    for i in range(8):
        net.loss_and_grad(X[i:i + 1], y[i:i + 1], "squared")
        per.append([p.grad.copy() for p in net.parameters()])
    net.loss_and_grad(X, y, "squared")
    for j, p in enumerate(net.parameters()):
        np.testing.assert_allclose(p.grad, np.mean([g[j] for g in per], axis=0), rtol=1e-12)


def test_float32_end_to_end():
    rng = np.random.default_rng(6)
    net = Network([4, 8, 3], activation="relu", rng=0, dtype=np.float32)
    X = rng.normal(size=(5, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=5)
    assert net(X).dtype == np.float32
    v = net.loss_and_grad(X, y, "cross_entropy")
    assert isinstance(v, float)
    for p in net.parameters():
        assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    tr = net.backprop_trace(X, y, "cross_entropy")
    assert all(e.dtype == np.float32 for e in tr.eps)
    # float32 gradients agree with float64 ones to float32 accuracy
    net64 = Network([4, 8, 3], activation="relu", rng=0, dtype=np.float64)
    for p32, p64 in zip(net.parameters(), net64.parameters(), strict=True):
        p64.data[...] = p32.data
    net64.loss_and_grad(X.astype(np.float64), y, "cross_entropy")
    for p32, p64 in zip(net.parameters(), net64.parameters(), strict=True):
        np.testing.assert_allclose(p32.grad, p64.grad, rtol=1e-4, atol=1e-6)


def test_integer_input_is_accepted():
    net = Network([2, 3, 1], rng=0)
    out = net(np.array([[0, 1], [1, 0]]))
    assert out.dtype == np.float64 and out.shape == (2, 1)


def test_train_eval_modes():
    net = Network([2, 3, 1], rng=0)
    assert net.training
    assert net.eval() is net and not net.training
    assert net.train() is net and net.training


def test_a_custom_layer_plugs_in():
    class Scale(Layer):
        """x -> 2x, a parameter-free layer."""

        def __init__(self, n):
            self.n_in = self.n_out = n

        def forward(self, x, train=False):
            self.cache = None
            return 2 * x

        def backward(self, grad_out, need_input_grad=True):
            return 2 * grad_out if need_input_grad else None

        def config(self):
            return {"type": "Scale", "n": self.n_in}

    rng = np.random.default_rng(0)
    net = Network([Dense(3, 4, "tanh", rng=rng), Scale(4), Dense(4, 2, rng=rng)])
    X = rng.normal(size=(5, 3))
    y = rng.normal(size=(5, 2))
    assert check_gradients(net, X, y, "squared").ok(1e-6)
    tr = net.forward_trace(X)
    assert tr.S[2] is None and tr.z[2] is None
    np.testing.assert_array_equal(tr.x[2], 2 * tr.x[1])


def test_layer_from_config_round_trip():
    lay = Dense(3, 2, {"name": "leaky_relu", "alpha": 0.2}, rng=0)
    again = layer_from_config(lay.config(), rng=0)
    assert isinstance(again, Dense) and again.activation.alpha == 0.2
    np.testing.assert_array_equal(again.W.data, lay.W.data)


# -- errors -----------------------------------------------------------------------------
def test_construction_errors():
    with pytest.raises(ValueError, match=r"layer 1 \(Dense\(5, 1.*expects input width 5, "
                                         r"but layer 0 \(Dense\(2, 4.*outputs 4"):
        Network([Dense(2, 4), Dense(5, 1)])
    with pytest.raises(ValueError, match="at least"):
        Network([3])
    with pytest.raises(ValueError, match="non-empty list"):
        Network([])
    with pytest.raises(TypeError, match="all ints .* or all Layer"):
        Network([Dense(2, 3), 3])
    with pytest.raises(ValueError, match="n_out of Dense must be >= 1, got 0"):
        Dense(2, 0)
    with pytest.raises(TypeError, match="dtype of Dense must be float32 or float64"):
        Dense(2, 3, dtype=np.int32)
    with pytest.raises(ValueError, match="unknown init 'orthonormal'"):  # "orthogonal" exists
        Dense(2, 3, init="orthonormal")
    with pytest.raises(ValueError, match=r"W of Dense\(2, 3\) must have shape \(3, 3\)"):
        Dense(2, 3, W=np.zeros((2, 3)))
    with pytest.raises(TypeError, match="same dtype"):
        Network([Dense(2, 3, dtype=np.float32), Dense(3, 1)])
    with pytest.raises(TypeError, match="rng must be"):
        Network([2, 3, 1], rng="seed")
    with pytest.raises(ValueError, match="unknown layer type 'Conv'"):
        layer_from_config({"type": "Conv"})


def test_input_errors():
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"X of layer 0 \(Dense\(2, 3.*must have shape "
                                         r"\(n, 2\), got \(4, 3\)"):
        net(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"must have shape \(n, 2\), got \(2,\)"):
        net(np.zeros(2))
    with pytest.raises(ValueError, match="empty batch"):
        net(np.zeros((0, 2)))
    with pytest.raises(TypeError, match="X has dtype float32 but the network has dtype float64"):
        net(np.zeros((1, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="real numeric"):
        net(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="out of range"):
        Network([2, 3], rng=0).loss_and_grad(np.zeros((2, 2)), [0, 3], "cross_entropy")
    with pytest.raises(ValueError, match=r"-1 or \+1"):
        net.loss_and_grad(np.zeros((2, 2)), [0, 1], "logistic")
    with pytest.raises(RuntimeError, match="before forward"):
        Dense(2, 3).backward(np.zeros((1, 3)))


def test_zero_grad():
    net = Network([2, 3, 1], rng=0)
    net.loss_and_grad(np.ones((2, 2)), [1.0, 2.0], "squared")
    assert any(np.any(p.grad != 0) for p in net.parameters())
    net.zero_grad()
    assert all(np.all(p.grad == 0) for p in net.parameters())


def test_a_rebound_weight_array_is_used_by_forward_and_backward():
    """``layer.W.data = new_array`` (not in place) must be seen: W's views are rebuilt."""
    lay = Dense(2, 1, "identity", rng=0)
    x = np.array([[1.0, 2.0]])
    lay.forward(x)
    lay.W.data = np.array([[0.5], [1.0], [3.0]])  # rows: threshold w_0, then w_1, w_2
    np.testing.assert_array_equal(lay.forward(x), [[1.0 + 6.0 - 0.5]])
    np.testing.assert_array_equal(lay.backward(np.array([[2.0]])), [[2.0, 6.0]])  # delta W1^T


def test_a_dropped_gradient_is_recreated():
    """After ``p.grad = None`` (as a user or an optimizer may do) loss_and_grad fills a new grad."""
    net = Network([2, 3, 1], activation="prelu", rng=0)
    X, y = np.array([[1.0, -2.0], [0.5, 1.0]]), np.array([0.3, -0.7])
    net.loss_and_grad(X, y, "squared")
    ref = [p.grad.copy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    net.loss_and_grad(X, y, "squared")
    for p, r in zip(net.parameters(), ref, strict=True):
        assert p.grad is not None, p.name
        np.testing.assert_array_equal(p.grad, r)


def test_input_error_eps0_by_finite_differences():
    """eps^0 = dL_i/dx^0 (the backward of the first layer) against finite differences in X."""
    from lecturenn.gradcheck import numerical_gradient
    from lecturenn.losses import get_loss

    rng = np.random.default_rng(9)
    net = Network([3, 4, 2], activation="sigmoid", rng=0)
    X = rng.normal(size=(5, 3))
    y = rng.integers(0, 2, size=5)
    tr = net.backprop_trace(X, y, "cross_entropy")
    loss = get_loss("cross_entropy")
    yy = loss.prepare_target(y, (5, 2))
    # eps is per object: the derivative of the SUM of the per-object losses
    num = numerical_gradient(lambda v: float(np.sum(loss.per_object(net(v), yy))), X.copy())
    np.testing.assert_allclose(tr.eps[0], num, rtol=1e-6, atol=1e-9)


# -- shared parameters, subclasses, state dicts (API audit) ---------------------------------
def test_a_parameter_shared_by_two_layers_is_refused():
    """A shared Parameter got wrong gradients (overwritten, not added) and double updates."""
    from lecturenn.activations import PReLU

    with pytest.raises(ValueError, match=r"layers 0 \(Dense\(2, 3, activation='prelu'\)\) and 1 "
                                         r"\(Dense\(3, 3, activation='prelu'\)\) share the "
                                         r"parameter 'alpha'.*activation='prelu' builds one"):
        Network([2, 3, 3, 1], activation=PReLU(3))
    d = Dense(2, 2)
    with pytest.raises(ValueError, match=r"layers 0 .* and 1 .* share the parameter 'W'"):
        Network([d, d])
    # the name builds one PReLU per layer, each with its own slopes, and its gradients check
    net = Network([2, 3, 3, 1], activation="prelu", rng=0)
    alphas = [p for name, p in net.named_parameters() if name.endswith("alpha")]
    assert len(alphas) == 2 and alphas[0] is not alphas[1]
    X = np.random.default_rng(0).normal(size=(4, 2))
    assert check_gradients(net, X, [0.0, 1.0, 1.0, 0.0], "squared").ok(1e-6)
    # an instance serves one layer well
    one = Network([2, 3, 1], activation=PReLU(3, alpha=0.1), rng=0)
    assert check_gradients(one, X, [0.0, 1.0, 1.0, 0.0], "squared").ok(1e-6)


def test_an_activation_instance_must_fit_its_layer():
    from lecturenn.activations import PReLU

    with pytest.raises(ValueError, match=r"PReLU\(n_units=3, shared=False\) has n_units=3, but "
                                         r"its layer has 4 neurons"):
        Network([2, 4, 1], activation=PReLU(3))   # was a raw broadcasting error at forward
    with pytest.raises(TypeError, match=r"has a parameter of dtype float32, but its layer has "
                                        r"dtype float64"):
        Dense(2, 3, PReLU(3, dtype=np.float32))
    assert Dense(2, 3, PReLU(1, shared=True)).n_out == 3  # shared: one slope, any width


def test_unknown_activation_is_an_error_without_hidden_layers():
    with pytest.raises(ValueError, match="unknown activation 'foo'"):
        Network([2, 3], activation="foo")
    with pytest.raises(TypeError, match="activation must be a name"):
        Network([2, 3], activation=3)
    assert Network([2, 3], activation="relu").sizes == [2, 3]


def test_call_uses_a_subclass_forward():
    class Doubled(Network):
        def forward(self, X):
            return 2 * super().forward(X)

    X = np.ones((2, 2))
    net, ref = Doubled([2, 3, 1], rng=0), Network([2, 3, 1], rng=0)
    np.testing.assert_array_equal(net(X), 2 * ref(X))


def test_named_parameters_are_pairs_and_state_dict_round_trips():
    net = Network([Dense(2, 3, "prelu", rng=0), Dense(3, 2, rng=1)])
    for name, p in net.named_parameters():  # the PyTorch idiom
        assert name == p.name
    assert list(dict(net.named_parameters())) == ["layers.0.W", "layers.0.alpha", "layers.1.W"]
    X = np.random.default_rng(0).normal(size=(5, 2))
    saved, out = net.state_dict(), net(X)
    assert set(saved) == {"layers.0.W", "layers.0.alpha", "layers.1.W"}
    assert saved["layers.0.W"] is not net.layers[0].W.data  # a snapshot, not a view
    for p in net.parameters():
        p.data += 1.0
    assert not np.allclose(net(X), out)
    data_ids = [id(p.data) for p in net.parameters()]
    net.load_state_dict(saved)
    np.testing.assert_array_equal(net(X), out)
    assert [id(p.data) for p in net.parameters()] == data_ids  # in place: optimizers keep refs


def test_load_state_dict_checks_everything_first():
    net = Network([2, 3, 1], rng=0)
    before = [p.data.copy() for p in net.parameters()]
    good = net.state_dict()
    cases = [
        ({k: v for k, v in good.items() if k != "layers.1.W"},
         r"missing in the state_dict: \['layers.1.W'\]"),
        ({**good, "layers.2.W": np.zeros(2)}, r"not in the model: \['layers.2.W'\]"),
        ({**good, "layers.0.W": np.zeros((2, 3))},
         r"layers.0.W: shape \(2, 3\) in the state_dict, \(3, 3\) in the model"),
        ({**good, "layers.0.W": good["layers.0.W"].astype(np.float32)},
         r"layers.0.W: dtype float32 in the state_dict, float64 in the model"),
        ({**good, "layers.0.W": np.full((3, 3), np.nan)}, r"layers.0.W: holds NaN or infinity"),
        ({**good, "layers.0.W": [[0.0] * 3] * 3}, r"layers.0.W: .* not a numpy array"),
    ]
    for state, match in cases:
        with pytest.raises(ValueError, match=r"the state_dict does not match the model "
                                             r"\(nothing was loaded\): .*" + match):
            net.load_state_dict(state)
    with pytest.raises(TypeError, match="state_dict must be a mapping name -> numpy array"):
        net.load_state_dict([("layers.0.W", good["layers.0.W"])])
    for p, b in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)


def test_forward_rejects_nan_and_loss_and_grad_reports_it():
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"X must be finite, got nan at index \(1, 0\)"):
        net(np.array([[0.0, 1.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match=r"X must be finite, got inf"):
        net.forward_trace(np.array([[np.inf, 1.0]]))
    # the checked loss_and_grad looks at X first (an inf would reach tanh and a finite loss)
    with pytest.raises(ValueError, match=r"X must be finite, got nan at index \(0, 1\)"):
        net.loss_and_grad(np.array([[0.0, np.nan]]), [1.0], "squared")
    # the unchecked hot path of fit returns the NaN loss (fit checks the data set once)
    assert np.isnan(net.loss_and_grad(np.array([[0.0, np.nan]]), np.array([[1.0]]), "squared",
                                      check=False))
    with pytest.raises(TypeError, match=r"X must be a numeric array \(rows of equal length\)"):
        net([[1.0, 2.0], [3.0]])


def test_dense_weights_are_checked():
    with pytest.raises(ValueError, match=r"W must be finite, got nan"):
        Dense(2, 3, W=np.full((3, 3), np.nan))
    with pytest.raises(TypeError, match="W must be a real numeric array"):
        Dense(2, 3, W=np.ones((3, 3)) * 1j)
    with pytest.raises(TypeError, match="W must be a real numeric array"):
        Dense(2, 3, W=[[None] * 3] * 3)
    W = np.arange(9.0).reshape(3, 3)
    layer = Dense(2, 3, W=W)
    layer.W.data += 1
    assert W[0, 0] == 0.0  # copied: training does not change the caller's array
    with pytest.raises(TypeError, match=r"n_in of Dense must be an int, got 2\.0"):
        Dense(2.0, 3)
    with pytest.raises(ValueError, match="unknown init 'foo'"):
        Dense(2, 3, init="foo", W=np.zeros((3, 3)))  # W given: init unused, still checked


def test_layer_call_checks_its_input():
    layer = Dense(2, 3, rng=0)
    with pytest.raises(ValueError, match=r"x of Dense\(2, 3, activation='tanh'\) must have shape "
                                         r"\(n, 2\), got \(4, 5\)"):
        layer(np.zeros((4, 5)))
    with pytest.raises(TypeError, match="x has dtype float32 but the layer has dtype float64"):
        layer(np.zeros((4, 2), dtype=np.float32))
    np.testing.assert_array_equal(layer([[0, 1]]), layer.forward(np.array([[0.0, 1.0]])))


def test_backward_checks_grad_out():
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(RuntimeError, match="Network.backward called before forward"):
        net.backward(np.zeros((4, 1)))
    net(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"grad_out in Network.backward \(the last forward "
                                         r"output\) must have shape \(4, 1\), got \(4, 2\)"):
        net.backward(np.zeros((4, 2)))
    with pytest.raises(TypeError, match="grad_out has dtype float32 but the network has dtype"):
        net.backward(np.zeros((4, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="grad_out must be finite"):
        net.backward(np.full((4, 1), np.nan))
    with pytest.raises(TypeError, match="record must be a list or None"):
        net.backward(np.zeros((4, 1)), record=())
    net.backward(np.ones((4, 1)))
    assert net.parameters()[1].grad.shape == (4, 1)


def test_from_config_errors_name_what_is_missing():
    cfg = Network([2, 3, 1], rng=0).config()
    with pytest.raises(ValueError, match=r"the Network config has no 'dtype' entry"):
        Network.from_config({k: v for k, v in cfg.items() if k != "dtype"})
    with pytest.raises(ValueError, match=r"'layers' must be a non-empty list .* got 5"):
        Network.from_config({**cfg, "layers": 5})
    with pytest.raises(TypeError, match=r"the config's dtype must be float32 or float64"):
        Network.from_config({**cfg, "dtype": "int8"})
    broken = {**cfg, "layers": [{"type": "Dense", "n_in": 2, "activation": {"name": "tanh"}}]}
    with pytest.raises(ValueError, match=r"the layer config .* does not give the arguments of "
                                         r"Dense: .*missing 1 required .*'n_out'"):
        Network.from_config(broken)
