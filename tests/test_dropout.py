"""The Dropout layer: both forms of the slides, masks, edge cases, errors, and PyTorch.

Statistical claims (drop frequency, means) are asserted over several seeds with a tolerance of
5 standard errors of the estimate; everything else is exact or compared with a stated
tolerance (never bit for bit with PyTorch).
"""

import numpy as np
import pytest
import torch

import lecturenn as ln
from lecturenn.dropout import Dropout, DropoutCache, check_drop_probability, dropout_network
from lecturenn.gradcheck import check_gradients
from lecturenn.layers import Dense, layer_from_config
from lecturenn.network import Network

SEEDS = range(5)


# ------------------------------------------------------------------------ the two forms


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_drop_frequency_is_p(seed, p):
    """P(xi = 0) = p: the share of dropped units is p within 5 standard errors."""
    layer = Dropout(100, p, rng=seed)
    layer.forward(np.ones((1000, 100)), train=True)
    n = layer.mask.size
    dropped = 1 - layer.mask.mean()
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("inverted", [True, False])
def test_training_mean_equals_application(seed, inverted):
    """E[m x] = application output, in both forms (mean over many masks, 5 standard errors)."""
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(-2, 2, size=(1, 8))
    layer = Dropout(8, 0.3, inverted=inverted, rng=seed)
    k = 20000
    outs = layer.forward(np.repeat(x, k, axis=0), train=True)
    app = layer.forward(x, train=False)
    se = outs.std(axis=0, ddof=1) / np.sqrt(k)
    assert np.all(np.abs(outs.mean(axis=0) - app[0]) < 5 * se)
    # and the application output is what the slide says
    np.testing.assert_allclose(app, x if inverted else 0.7 * x, rtol=1e-15)


def test_kept_units_are_scaled_and_dropped_are_zero():
    x = np.arange(1.0, 13.0).reshape(3, 4)
    for inverted, scale in ((True, 1 / 0.75), (False, 1.0)):
        layer = Dropout(4, 0.25, inverted=inverted, rng=3)
        out = layer.forward(x, train=True)
        keep = layer.mask
        assert keep.dtype == bool and keep.shape == x.shape
        np.testing.assert_array_equal(out[~keep], 0.0)
        np.testing.assert_allclose(out[keep], x[keep] * scale, rtol=1e-15)


def test_scales_and_repr():
    assert Dropout(3, 0.2).train_scale == pytest.approx(1.25)
    assert Dropout(3, 0.2).eval_scale == 1.0
    assert Dropout(3, 0.2, inverted=False).train_scale == 1.0
    assert Dropout(3, 0.2, inverted=False).eval_scale == pytest.approx(0.8)
    assert repr(Dropout(3, 0.2)) == "Dropout(3, p=0.2)"
    assert repr(Dropout(3, 0.2, inverted=False)) == "Dropout(3, p=0.2, inverted=False)"


def test_masks_differ_between_calls_and_repeat_with_the_seed():
    x = np.ones((5, 6))
    a, b = Dropout(6, 0.5, rng=7), Dropout(6, 0.5, rng=7)
    first = a.forward(x, True).copy()
    assert np.array_equal(first, b.forward(x, True))        # same seed, same masks
    assert not np.array_equal(first, a.forward(x, True))    # a new mask every call


@pytest.mark.parametrize("inverted", [True, False])
def test_integer_input_is_not_truncated(inverted):
    """forward trusts its input's shape, but an int array must not truncate 1/(1-p) or 1-p."""
    x = np.arange(1, 7).reshape(2, 3)
    for train in (True, False):
        out = Dropout(3, 0.3, inverted=inverted, rng=4).forward(x, train)
        ref = Dropout(3, 0.3, inverted=inverted, rng=4).forward(x.astype(float), train)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, ref)


def test_same_masks_in_float32_and_float64():
    x64 = np.ones((4, 5))
    out64 = Dropout(5, 0.4, rng=1).forward(x64, True)
    out32 = Dropout(5, 0.4, rng=1).forward(x64.astype(np.float32), True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-7)


# --------------------------------------------------------------------------- edge cases


def test_p_zero_is_the_identity_and_draws_nothing():
    layer = Dropout(3, 0.0, rng=0)
    state = layer.rng.bit_generator.state
    x = np.array([[1.0, -2.0, 3.0]])
    assert layer.forward(x, True) is x and layer.forward(x, False) is x
    assert layer.rng.bit_generator.state == state
    assert layer.mask.all()
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), 1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_close_to_one_keeps_the_mean_and_its_variance_is_p_over_1_minus_p(seed):
    """p -> 1: few survivors, each multiplied by 1/(1-p); the mean stays 1, the variance
    p/(1-p) grows without bound (the derivation's limit)."""
    p, k = 0.999, 400_000
    layer = Dropout(1, p, rng=seed)
    m = layer.forward(np.ones((k, 1)), True)[:, 0]
    var = p / (1 - p)
    assert abs(m.mean() - 1) < 5 * np.sqrt(var / k)
    assert set(np.unique(m)) <= {0.0, 1 / (1 - p)}
    # in the original form the training output is 0/1 and the application output 1 - p
    orig = Dropout(1, p, inverted=False, rng=seed)
    assert orig.forward(np.ones((1, 1)), False)[0, 0] == pytest.approx(1 - p)


def test_all_dropped_gives_zero_output_and_gradient():
    layer = Dropout(3, 0.5).set_mask([0, 0, 0])
    out = layer.forward(np.ones((2, 3)), True)
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), 0.0)


# --------------------------------------------------------------------- explicit masks


def test_set_mask_per_batch_and_per_object():
    layer = Dropout(3, 0.5, rng=0)
    x = np.ones((2, 3))
    layer.set_mask([1, 0, 1])
    np.testing.assert_array_equal(layer.forward(x, True), [[2, 0, 2], [2, 0, 2]])
    layer.set_mask([[True, True, False], [False, False, True]])
    np.testing.assert_array_equal(layer.forward(x, True), [[2, 2, 0], [0, 0, 2]])
    np.testing.assert_array_equal(layer.backward(np.full((2, 3), 0.5)), [[1, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(layer.forward(x, False), x)  # application ignores masks
    assert layer.set_mask(None) is layer and layer.fixed_mask is None
    layer.forward(np.ones((200, 3)), True)
    assert 0 < layer.mask.mean() < 1  # random again


def test_backward_uses_the_forward_mask():
    layer = Dropout(4, 0.5, rng=2)
    layer.forward(np.ones((3, 4)), True)
    mask = layer.mask.copy()
    g = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(layer.backward(g), g * mask * 2)
    assert layer.backward(g, need_input_grad=False) is None
    # the original form: the gradient is masked but not scaled
    orig = Dropout(4, 0.5, inverted=False, rng=2)
    orig.forward(np.ones((3, 4)), True)
    np.testing.assert_array_equal(orig.backward(g), g * orig.mask)
    orig.forward(np.ones((3, 4)), False)
    np.testing.assert_array_equal(orig.backward(g), g * 0.5)
    assert "multiplier" in repr(orig.cache) and isinstance(orig.cache, DropoutCache)


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("p", "exc", "match"), [
    (1.0, ValueError, r"p of Dropout = 1 drops every unit"),
    (1, ValueError, r"= 1 drops every unit.*Srivastava"),
    (-0.1, ValueError, r"must lie in \[0.0, 1.0\), got -0.1"),
    (1.5, ValueError, r"must lie in \[0.0, 1.0\), got 1.5"),
    (float("nan"), ValueError, r"must lie in"),
    ("0.5", TypeError, r"probability to drop a unit\) must be a real number"),
    (True, TypeError, r"must be a real number in \[0, 1\), got True"),
    (np.array([0.5]), TypeError, r"must be a real number"),
])
def test_bad_p_is_refused(p, exc, match):
    with pytest.raises(exc, match=match):
        Dropout(4, p)


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match=r"the drop probability is the second argument: "
                                        r"Dropout\(width, p=0.5\)"):
        Dropout(0.5)
    with pytest.raises(TypeError, match=r"n_units of Dropout must be an int, got 2.0"):
        Dropout(2.0)
    with pytest.raises(ValueError, match=r"n_units of Dropout must be >= 1, got 0"):
        Dropout(0)
    with pytest.raises(TypeError, match=r"inverted of Dropout must be True or False, got 1"):
        Dropout(3, inverted=1)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator or an int"):
        Dropout(3, rng="seed")
    with pytest.raises(TypeError, match=r"p\[1\] \(the probability"):
        dropout_network([2, 3, 3, 1], p=[0.5, "x"])
    with pytest.raises(ValueError, match=r"p must be one number or one per hidden layer \(2\), "
                                         r"got 3 values"):
        dropout_network([2, 3, 3, 1], p=[0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"p_input = 1 drops every unit"):
        dropout_network([2, 3, 1], p_input=1.0)
    with pytest.raises(ValueError, match=r"sizes must be a list of at least two widths"):
        dropout_network([2])


def test_bad_masks_are_refused():
    layer = Dropout(3, 0.5)
    with pytest.raises(ValueError, match=r"mask of Dropout\(3, p=0.5\) must have shape \(3,\) "
                                         r"or \(n, 3\), got \(4,\)"):
        layer.set_mask([1, 0, 1, 1])
    with pytest.raises(ValueError, match=r"mask must be Boolean \(0/1 or False/True\), got 2"):
        layer.set_mask([1, 2, 0])
    with pytest.raises(ValueError, match=r"mask must be a 1 or 2-dimensional array"):
        layer.set_mask(np.ones((1, 1, 3)))
    layer.set_mask(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"the fixed mask of Dropout\(3, p=0.5\) has 2 rows but "
                                         r"the batch has 5 objects"):
        layer.forward(np.ones((5, 3)), True)
    with pytest.raises(RuntimeError, match=r"Dropout.backward called before forward"):
        Dropout(3).backward(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"x of Dropout\(3, p=0.5\) must have shape \(n, 3\)"):
        Dropout(3)(np.ones((2, 4)))


def test_check_drop_probability_returns_a_float():
    assert check_drop_probability("p", np.float32(0.25)) == 0.25
    assert isinstance(check_drop_probability("p", 0), float)


# ----------------------------------------------------------------- in a network


def _dense_dropout_dense(p=0.5, inverted=True, seed=0):
    rng = np.random.default_rng(seed)
    return Network([Dense(3, 5, "tanh", rng=rng), Dropout(5, p, inverted=inverted, rng=seed),
                    Dense(5, 2, "identity", rng=rng)])


@pytest.mark.parametrize("inverted", [True, False])
def test_gradient_of_the_thinned_network_by_finite_differences(inverted):
    """Train mode with the masks held fixed: BackProp agrees with finite differences."""
    net = _dense_dropout_dense(inverted=inverted)
    X = np.random.default_rng(1).normal(size=(6, 3))
    y = np.array([0, 1, 1, 0, 1, 0])
    net.layers[1].set_mask(np.random.default_rng(2).random((6, 5)) > 0.5)
    net.train()
    report = check_gradients(net, X, y, "cross_entropy")
    assert report.ok(1e-6), str(report)
    # a dropped unit: its incoming weights (column h of W^1) and outgoing ones (row h of W^2)
    # get zero gradient when it is dropped for every object
    mask = np.ones(5, dtype=bool)
    mask[3] = False
    net.layers[1].set_mask(mask)
    net.loss_and_grad(X, y, "cross_entropy")
    W1, W2 = net.layers[0].W.grad, net.layers[2].W.grad
    np.testing.assert_array_equal(W1[:, 3], 0.0)
    np.testing.assert_array_equal(W2[1 + 3], 0.0)
    assert np.all(W1[:, [0, 1, 2, 4]] != 0) and np.all(W2[[1, 2, 3, 5]] != 0)


def test_gradient_check_fails_with_random_masks():
    """Why the masks must be held fixed: with a new mask at every forward pass the finite
    differences measure a different network each time."""
    net = _dense_dropout_dense()
    X = np.random.default_rng(1).normal(size=(6, 3))
    net.train()
    report = check_gradients(net, X, [0, 1, 1, 0, 1, 0], "cross_entropy")
    assert not report.ok(1e-3)


def test_combined_step_sgd_with_weight_decay_is_the_right_formula():
    """One SGD step with L2 and a fixed mask: w := w(1 - eta*lam) - eta * grad of the thinned
    loss (the erratum's right form); the slide's per-unit factor on the unthinned gradient is
    not it."""
    net = _dense_dropout_dense()
    X = np.random.default_rng(3).normal(size=(4, 3))
    y = np.array([1, 0, 0, 1])
    xi = np.array([1, 0, 1, 1, 0], dtype=bool)
    net.layers[1].set_mask(xi)
    before = [p.data.copy() for p in net.parameters()]
    net.loss_and_grad(X, y, "cross_entropy")
    thinned = [p.grad.copy() for p in net.parameters()]
    eta, lam = 0.1, 0.01
    net.loss_and_grad(X, y, "cross_entropy")
    ln.SGD(net.parameters(), lr=eta, weight_decay=lam).step()
    for p, w0, g in zip(net.parameters(), before, thinned, strict=True):
        np.testing.assert_allclose(p.data, w0 * (1 - eta * lam) - eta * g, rtol=1e-13, atol=1e-15)
    # the slide, read literally: the unthinned network's gradient times xi_h/(1-p), h = 0
    net.layers[1].set_mask(np.ones(5))
    for p, w0 in zip(net.parameters(), before, strict=True):
        p.data[...] = w0
    net.loss_and_grad(X, y, "cross_entropy")
    slide_in = net.layers[0].W.grad[:, 0] * xi[0] / 0.5
    assert not np.allclose(slide_in, thinned[0][:, 0], rtol=1e-3)


def test_forward_trace_and_backprop_trace_with_dropout():
    net = _dense_dropout_dense()
    net.eval()
    X = np.ones((2, 3))
    tr = net.backprop_trace(X, [0, 1], "cross_entropy")
    assert tr.S[2] is None and tr.z[2] is None  # the dropout layer has no weighted sum
    np.testing.assert_array_equal(tr.x[2], tr.x[1])  # eval: identity (inverted)
    assert len(tr.eps) == 4


def test_fit_with_dropout_is_reproducible_and_depends_on_the_mask_seed():
    from lecturenn.data import two_moons

    X, y = two_moons(60, rng=0)

    def run(mask_seed):
        rng = np.random.default_rng(0)
        net = Network([Dense(2, 8, "tanh", rng=rng), Dropout(8, 0.5, rng=mask_seed),
                       Dense(8, 2, "identity", rng=rng)])
        ln.fit(net, X, y, "cross_entropy", epochs=3, lr=0.5, rng=1)
        return net.layers[0].W.data.copy()

    np.testing.assert_array_equal(run(5), run(5))
    assert not np.array_equal(run(5), run(6))


def test_fit_leaves_the_network_in_its_mode_and_evaluates_in_inference_mode():
    from lecturenn.data import two_moons

    X, y = two_moons(40, rng=0)
    net = dropout_network([2, 16, 2], p=0.5, rng=0).eval()
    hist = ln.fit(net, X, y, "cross_entropy", epochs=2, lr=0.5, metrics=("accuracy",))
    assert net.training is False
    # the epoch's accuracy is measured at application: it equals evaluate() in eval mode
    assert hist["accuracy"][-1] == ln.evaluate(net, X, y, "cross_entropy",
                                               metrics=("accuracy",))["accuracy"]


def test_dropout_network_has_the_weights_of_network_and_its_layers():
    net = dropout_network([4, 6, 5, 3], p=[0.5, 0.25], p_input=0.2, activation="relu",
                          output="identity", rng=3)
    plain = Network([4, 6, 5, 3], activation="relu", rng=3)
    dense = [lay for lay in net.layers if isinstance(lay, Dense)]
    for a, b in zip(dense, plain.layers, strict=True):
        np.testing.assert_array_equal(a.W.data, b.W.data)
    drops = [lay for lay in net.layers if isinstance(lay, Dropout)]
    assert [d.p for d in drops] == [0.2, 0.5, 0.25]
    assert [type(lay).__name__ for lay in net.layers] == [
        "Dropout", "Dense", "Dropout", "Dense", "Dropout", "Dense"]
    # every dropout layer has its own generator: equal widths, different masks
    twin = dropout_network([4, 6, 6, 3], p=0.5, rng=0)
    a, b = twin.layers[1], twin.layers[3]
    a.forward(np.ones((50, 6)), True)
    b.forward(np.ones((50, 6)), True)
    assert not np.array_equal(a.mask, b.mask)
    assert len(dropout_network([4, 3], rng=0).layers) == 1  # no hidden layer: no dropout


def test_config_save_and_load(tmp_path):
    net = dropout_network([3, 4, 2], p=0.3, p_input=0.1, inverted=False, rng=0)
    cfg = net.layers[2].config()
    assert cfg == {"type": "Dropout", "n_units": 4, "p": 0.3, "inverted": False}
    again = layer_from_config(cfg, rng=1, dtype=np.float32)
    assert repr(again) == repr(net.layers[2])
    path = net.save(tmp_path / "net.npz")
    back = Network.load(path)
    X = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(back.eval()(X), net.eval()(X), rtol=1e-15)
    assert repr(back) == repr(net)


def test_config_is_checked_before_anything_is_built():
    assert Dropout.parameter_shapes({"n_units": 4, "p": 0.3, "inverted": False}) == {}
    with pytest.raises(ValueError, match=r"a Dropout config has the entries \['n_units', 'p', "
                                         r"'inverted'\], got \['W'\] besides"):
        Dropout.parameter_shapes({"n_units": 4, "W": [1.0]})
    with pytest.raises(ValueError, match=r"the Dropout config has no 'n_units' entry"):
        Dropout.parameter_shapes({"p": 0.5})
    with pytest.raises(ValueError, match=r"p of Dropout = 1 drops every unit"):
        Dropout.parameter_shapes({"n_units": 4, "p": 1.0})
    with pytest.raises(ValueError, match=r"n_units of Dropout must be >= 1"):
        layer_from_config({"type": "Dropout", "n_units": 0})
    with pytest.raises(TypeError, match=r"inverted of Dropout must be True or False"):
        layer_from_config({"type": "Dropout", "n_units": 2, "inverted": "yes"})
    net = dropout_network([3, 4, 2], p=0.3, rng=0)
    shapes = Network.parameter_shapes(net.config())
    assert shapes == {p.name: p.data.shape for p in net.parameters()}


def test_float32_network_with_dropout():
    net = dropout_network([3, 4, 2], p=0.5, rng=0, dtype=np.float32)
    X = np.ones((5, 3), dtype=np.float32)
    assert net.train()(X).dtype == np.float32
    net.loss_and_grad(X, [0, 1, 0, 1, 1], "cross_entropy")
    assert all(p.grad.dtype == np.float32 for p in net.parameters())


def test_the_two_forms_are_one_model_up_to_scaling_the_next_layer():
    """Original form with W^2, inverted form with W^2_{1:} scaled by 1 - p: equal outputs for
    the same mask and at application (w' = (1-p) w gives w' xi s / (1-p) = w xi s)."""
    p = 0.4
    orig = _dense_dropout_dense(p, inverted=False, seed=1)
    inv = _dense_dropout_dense(p, inverted=True, seed=1)
    inv.layers[2].W.data[1:] *= 1 - p
    X = np.random.default_rng(0).normal(size=(7, 3))
    mask = np.random.default_rng(1).random((7, 5)) > p
    for net in (orig, inv):
        net.layers[1].set_mask(mask)
    np.testing.assert_allclose(inv.train()(X), orig.train()(X), rtol=1e-13)
    np.testing.assert_allclose(inv.eval()(X), orig.eval()(X), rtol=1e-13)


# ------------------------------------------------------------------------------ PyTorch


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_layer_against_torch_dropout_train_and_eval(seed, p):
    """torch.nn.Dropout(p) drops with probability p and scales by 1/(1-p): with its mask
    given to our layer, outputs and input gradients agree (float64, rtol 1e-14)."""
    torch.manual_seed(seed)
    x = torch.rand(64, 10, dtype=torch.float64) + 1.0  # no zero entries: the mask is visible
    x.requires_grad_(True)
    drop = torch.nn.Dropout(p).train()
    out_t = drop(x)
    g = torch.randn(64, 10, dtype=torch.float64)
    (out_t * g).sum().backward()
    mask = (out_t != 0).detach().numpy()
    layer = Dropout(10, p).set_mask(mask)
    out = layer.forward(x.detach().numpy(), train=True)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-14, atol=0)
    np.testing.assert_allclose(layer.backward(g.numpy()), x.grad.numpy(), rtol=1e-14, atol=0)
    drop.eval()
    np.testing.assert_array_equal(layer.forward(x.detach().numpy(), train=False),
                                  drop(x).detach().numpy())


@pytest.mark.parametrize("seed", range(3))
def test_network_against_torch_train_and_eval(seed):
    """Dense-tanh-Dropout-Dense: torch's mask (read by a forward hook) in our layer gives the
    same loss and weight gradients (float64, rtol 1e-12), and the same output in eval mode."""
    rng = np.random.default_rng(seed)
    d1, d2 = Dense(4, 6, "tanh", rng=rng), Dense(6, 3, "identity", rng=rng)
    drop = Dropout(6, 0.5)
    net = Network([d1, drop, d2])
    lin1 = torch.nn.Linear(4, 6, dtype=torch.float64)
    lin2 = torch.nn.Linear(6, 3, dtype=torch.float64)
    with torch.no_grad():
        for lin, dense in ((lin1, d1), (lin2, d2)):
            lin.weight.copy_(torch.from_numpy(dense.W.data[1:].T.copy()))
            lin.bias.copy_(torch.from_numpy(-dense.W.data[0].copy()))
    tdrop = torch.nn.Dropout(0.5)
    model = torch.nn.Sequential(lin1, torch.nn.Tanh(), tdrop, lin2).train()
    seen = {}
    tdrop.register_forward_hook(lambda mod, inp, out: seen.update(mask=(out != 0).numpy().copy()))
    X = rng.normal(size=(8, 4))
    y = rng.integers(0, 3, size=8)
    torch.manual_seed(seed)
    loss_t = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(X)), torch.from_numpy(y))
    loss_t.backward()
    drop.set_mask(seen["mask"])
    loss = net.train().loss_and_grad(X, y, "cross_entropy")
    assert loss == pytest.approx(loss_t.item(), rel=1e-12)
    for dense, lin in ((d1, lin1), (d2, lin2)):
        np.testing.assert_allclose(dense.W.grad[1:].T, lin.weight.grad.numpy(), rtol=1e-12,
                                   atol=1e-15)
        np.testing.assert_allclose(-dense.W.grad[0], lin.bias.grad.numpy(), rtol=1e-12,
                                   atol=1e-15)
    model.eval()
    with torch.no_grad():
        np.testing.assert_allclose(net.eval()(X), model(torch.from_numpy(X)).numpy(), rtol=1e-12)
