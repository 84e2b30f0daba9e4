"""The measurements of the three interpretations: masked and thinned forward passes, the exact
enumeration of all 2^N masks, Monte-Carlo averaging, deletions. Statistical claims use 5
standard errors, or hold over several seeds."""

import numpy as np
import pytest

import lecturenn as ln
from lecturenn import dropout_interpretations as DI
from lecturenn.dropout import Dropout, dropout_network
from lecturenn.layers import Dense
from lecturenn.losses import SoftmaxCrossEntropy
from lecturenn.network import Network


def _net(seed=0, inverted=True, N=5, act="tanh", M=3, n_in=4):
    rng = np.random.default_rng(seed)
    return Network([Dense(n_in, N, act, rng=rng), Dropout(N, 0.3, inverted=inverted, rng=seed),
                    Dense(N, M, "identity", rng=rng)])


def _X(n=9, d=4, seed=1):
    return np.random.default_rng(seed).normal(size=(n, d))


# ------------------------------------------------------------------ forward passes


def test_dropout_layers():
    assert DI.dropout_layers(_net()) == [1]
    assert DI.dropout_layers(dropout_network([3, 4, 4, 2], p_input=0.2, rng=0)) == [0, 2, 4]
    assert DI.dropout_layers(Network([2, 3, 1])) == []


def test_masked_forward_without_multipliers_is_inference():
    net = _net().train()
    X = _X()
    out = DI.masked_forward(net, X, {})
    assert net.training is True  # the network's mode is not changed by it
    np.testing.assert_array_equal(out, net.eval()(X))


def test_masked_forward_deletes_units():
    net = Network([2, 4, 3], activation="tanh", rng=0)
    X = _X(d=2)
    keep = np.array([1.0, 0.0, 1.0, 0.0])
    out = DI.masked_forward(net, X, {0: keep})
    h = np.tanh(X @ net.layers[0].W.data[1:] - net.layers[0].W.data[0]) * keep
    np.testing.assert_allclose(out, h @ net.layers[1].W.data[1:] - net.layers[1].W.data[0],
                               rtol=1e-14)
    # per-object multipliers and negative indices
    per = np.tile(keep, (X.shape[0], 1))
    np.testing.assert_array_equal(DI.masked_forward(net, X, {-2: per}), out)


@pytest.mark.parametrize("inverted", [True, False])
def test_thinned_forward_is_the_training_forward_with_that_mask(inverted):
    net = _net(inverted=inverted)
    X = _X()
    xi = np.random.default_rng(3).random((9, 5)) > 0.3
    net.layers[1].set_mask(xi)
    # (1-p) x times xi/(1-p) against x times xi: equal up to rounding
    np.testing.assert_allclose(DI.thinned_forward(net, X, {1: xi}), net.train()(X), rtol=1e-14,
                               atol=1e-15)
    one = np.array([1, 0, 1, 1, 0])
    net.layers[1].set_mask(one)
    np.testing.assert_allclose(DI.thinned_forward(net, X, {1: one}), net(X), rtol=1e-14,
                               atol=1e-15)


def test_forward_errors():
    net = _net()
    X = _X()
    with pytest.raises(TypeError, match=r"multipliers must be a dict"):
        DI.masked_forward(net, X, [1, 2])
    with pytest.raises(ValueError, match=r"a key of multipliers must index one of the network's "
                                         r"3 layers, got 3"):
        DI.masked_forward(net, X, {3: np.ones(3)})
    with pytest.raises(ValueError, match=r"multipliers\[0\] must have shape \(5,\) or \(9, 5\), "
                                         r"got \(4,\)"):
        DI.masked_forward(net, X, {0: np.ones(4)})
    with pytest.raises(ValueError, match=r"multipliers\[0\] must be finite"):
        DI.masked_forward(net, X, {0: np.full(5, np.nan)})
    with pytest.raises(ValueError, match=r"masks\[0\]: layer 0 is Dense\(4, 5, "
                                         r"activation='tanh'\), not a Dropout layer; the "
                                         r"network's dropout layers are \[1\]"):
        DI.thinned_forward(net, X, {0: np.ones(5)})
    with pytest.raises(ValueError, match=r"masks\[1\] must be Boolean \(0/1\)"):
        DI.thinned_forward(net, X, {1: np.full(5, 0.5)})
    with pytest.raises(TypeError, match=r"masks must be a dict"):
        DI.thinned_forward(net, X, np.ones(5))


# ------------------------------------------------------------------------ masks


def test_all_masks_and_their_probabilities():
    m = DI.all_masks(3)
    assert m.shape == (8, 3) and m.dtype == bool
    assert len({tuple(r) for r in m}) == 8
    np.testing.assert_array_equal(m[5], [True, False, True])  # 5 = 0b101, unit 0 lowest
    pr = DI.mask_probabilities(m, 0.3)
    assert pr.sum() == pytest.approx(1.0, rel=1e-15)
    assert pr[0] == pytest.approx(0.3**3) and pr[-1] == pytest.approx(0.7**3)
    np.testing.assert_allclose(DI.mask_probabilities(m, 0.5), 1 / 8)  # a plain vote only here
    with pytest.raises(ValueError, match=r"n_units = 21 gives 2\^21 masks"):
        DI.all_masks(21)
    with pytest.raises(ValueError, match=r"masks must be a 2-d Boolean array"):
        DI.mask_probabilities(np.ones(3), 0.5)
    with pytest.raises(ValueError, match=r"p = 1 drops every unit"):
        DI.mask_probabilities(m, 1.0)


def test_log_probabilities_are_the_softmax_and_the_sigmoid():
    a = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(np.exp(DI.log_probabilities(a)),
                               SoftmaxCrossEntropy().probabilities(a), rtol=1e-14)
    s = np.array([[0.3], [-2.0]])
    sig = 1 / (1 + np.exp(-s[:, 0]))
    np.testing.assert_allclose(np.exp(DI.log_probabilities(s)), np.c_[1 - sig, sig], rtol=1e-14)
    with pytest.raises(ValueError, match=r"scores must be a 2-dimensional array, got shape \(3,\)"):
        DI.log_probabilities(np.ones(3))
    with pytest.raises(ValueError, match=r"scores must be finite, got nan"):
        DI.log_probabilities([[np.nan, 1.0]])


# ------------------------------------------------------------------ the 2^N networks


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_weight_scaling_is_the_geometric_mean_of_all_thinned_networks(seed, inverted, act):
    """Softmax on one dropped layer: exact (float64 rounding); the arithmetic mean is not."""
    net = _net(seed, inverted, N=6, act=act)
    ens = DI.exact_ensemble(net, _X(), 1)
    assert ens.n_masks == 64
    np.testing.assert_allclose(ens.geometric, ens.weight_scaling, rtol=1e-12, atol=1e-15)
    assert np.max(np.abs(ens.arithmetic - ens.weight_scaling)) > 1e-4
    np.testing.assert_allclose(ens.arithmetic.sum(axis=1), 1.0, rtol=1e-13)


def test_the_ensemble_against_a_loop_over_set_mask():
    """An independent path: every mask through the layer's own training forward pass."""
    net = _net(2, N=4)
    X = _X()
    ens = DI.exact_ensemble(net, X, 1)
    lay = net.layers[1]
    arith, geo = 0.0, 0.0
    for xi in DI.all_masks(4):
        pr = np.prod(np.where(xi, 1 - lay.p, lay.p))
        lay.set_mask(xi)
        logp = np.log(SoftmaxCrossEntropy().probabilities(net.train()(X)))
        arith = arith + pr * np.exp(logp)
        geo = geo + pr * logp
    geo = np.exp(geo) / np.exp(geo).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(ens.arithmetic, arith, rtol=1e-12)
    np.testing.assert_allclose(ens.geometric, geo, rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_weight_scaling_is_not_the_geometric_mean_below_a_nonlinearity(seed):
    """Two dropped layers with tanh between: enumerating both (or only the lower one) the
    geometric mean differs from weight scaling; the upper one alone is exact again, and
    enumerating both gives the lower one's result (the upper layer averages out exactly)."""
    net = dropout_network([3, 4, 4, 3], p=0.5, activation="tanh", rng=seed)
    X = _X(d=3)
    both = DI.exact_ensemble(net, X, [1, 3])
    low = DI.exact_ensemble(net, X, 1)
    high = DI.exact_ensemble(net, X, 3)
    assert np.max(np.abs(both.geometric - both.weight_scaling)) > 1e-4
    np.testing.assert_allclose(high.geometric, high.weight_scaling, rtol=1e-12)
    np.testing.assert_allclose(both.geometric, low.geometric, rtol=1e-12)


def test_exact_ensemble_errors():
    net = _net()
    with pytest.raises(ValueError, match=r"layer 0 is Dense\(4, 5, activation='tanh'\), not a "
                                         r"Dropout layer"):
        DI.exact_ensemble(net, _X(), 0)
    with pytest.raises(ValueError, match=r"layers must name distinct dropout layers"):
        DI.exact_ensemble(net, _X(), [1, 1])
    with pytest.raises(ValueError, match=r"n_units = 21 gives 2\^21 masks"):
        DI.exact_ensemble(_net(N=21), _X(), 1)


@pytest.mark.parametrize("seed", range(3))
def test_monte_carlo_converges_to_the_arithmetic_mean(seed):
    """k sampled thinned networks: the mean is within 5 standard errors of the exact
    arithmetic mean (the standard error from the samples' own spread)."""
    net = _net(seed, N=6)
    X = _X()
    ens = DI.exact_ensemble(net, X, 1)
    k = 3000
    run = DI.monte_carlo_ensemble(net, X, k, rng=seed, cumulative=True)
    assert run.shape == (k, 9, 3)
    final = run[-1]
    np.testing.assert_allclose(final, DI.monte_carlo_ensemble(net, X, k, rng=seed), rtol=1e-12)
    # the per-sample values, recovered from the running means
    samples = np.diff(run * np.arange(1, k + 1)[:, None, None], axis=0, prepend=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(k)
    assert np.all(np.abs(final - ens.arithmetic) <= 5 * se + 1e-15)
    # it estimates the arithmetic mean, not the weight-scaling prediction
    assert np.abs(final - ens.arithmetic).sum() < np.abs(final - ens.weight_scaling).sum()


def test_monte_carlo_errors():
    with pytest.raises(ValueError, match=r"the network has no Dropout layer to sample"):
        DI.monte_carlo_ensemble(Network([2, 3, 2]), _X(d=2), 5)
    with pytest.raises(ValueError, match=r"layer 0 is Dense"):
        DI.monte_carlo_ensemble(_net(), _X(), 5, layers=[0])
    with pytest.raises(ValueError, match=r"n_samples must be >= 1, got 0"):
        DI.monte_carlo_ensemble(_net(), _X(), 0)
    with pytest.raises(TypeError, match=r"cumulative must be True or False, got 'yes'"):
        DI.monte_carlo_ensemble(_net(), _X(), 2, cumulative="yes")


# ------------------------------------------------------------------------ deletions


def test_deletion_interactions_by_hand():
    net = Network([3, 5, 2], activation="tanh", rng=4)
    X, y = _X(20, 3), np.random.default_rng(2).integers(0, 2, 20)
    r = DI.deletion_interactions(net, X, y, "cross_entropy", 0, units=[1, 3, 4])
    loss = SoftmaxCrossEntropy()

    def q(keep):
        return float(np.mean(loss.per_object(DI.masked_forward(net, X, {0: keep}), y)))

    base = q(np.ones(5))
    assert r["base"] == pytest.approx(base, rel=1e-14)
    d1 = q(np.array([1, 0, 1, 1, 1.0])) - base
    d3 = q(np.array([1, 1, 1, 0, 1.0])) - base
    d13 = q(np.array([1, 0, 1, 0, 1.0])) - base
    assert r["single"][0] == pytest.approx(d1, rel=1e-12)
    assert r["pair"][0, 1] == pytest.approx(d13, rel=1e-12) and r["pair"][1, 0] == r["pair"][0, 1]
    assert r["interaction"][0, 1] == pytest.approx(d13 - d1 - d3, rel=1e-10, abs=1e-15)
    np.testing.assert_array_equal(np.diag(r["interaction"]), 0.0)
    np.testing.assert_array_equal(r["units"], [1, 3, 4])


def test_deletions_are_additive_for_a_linear_output_and_squared_loss_only_if_independent():
    """A check that the measure can be zero: with identity activations and a single output the
    output is linear in the keep vector, so the squared loss's interaction is
    2 * (contribution_h * contribution_k) averaged: zero exactly when the two units'
    contributions are orthogonal over the data."""
    rng = np.random.default_rng(0)
    d1 = Dense(2, 2, "identity", W=np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    d2 = Dense(2, 1, "identity", W=np.array([[0.0], [1.0], [1.0]]))
    net = Network([d1, d2])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # orthogonal columns
    y = rng.normal(size=(4, 1))
    r = DI.deletion_interactions(net, X, y, "squared", 0)
    assert abs(r["interaction"][0, 1]) < 1e-15


def test_deletion_errors():
    net = Network([3, 5, 2], rng=0)
    X, y = _X(4, 3), [0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"units must be at least two distinct unit indices in "
                                         r"0..4"):
        DI.deletion_interactions(net, X, y, "cross_entropy", 0, units=[1, 1])
    with pytest.raises(ValueError, match=r"units must be at least two"):
        DI.deletion_interactions(net, X, y, "cross_entropy", 0, units=[7, 1])
    with pytest.raises(ValueError, match=r"fraction = 1 drops every unit"):
        DI.deletion_accuracy(net, X, y, [0], 1.0)
    with pytest.raises(ValueError, match=r"n_draws must be >= 1"):
        DI.deletion_accuracy(net, X, y, [0], 0.5, n_draws=0)
    with pytest.raises(ValueError, match=r"y has 2 objects but the network output has 4"):
        DI.deletion_accuracy(net, X, y[:2], [0], 0.5)
    with pytest.raises(ValueError, match=r"y must be an array with one entry per object"):
        DI.deletion_accuracy(net, X, 1, [0], 0.5)
    with pytest.raises(ValueError, match=r"class label y\[0\] = 2 is out of range"):
        DI.deletion_accuracy(net, X, [2, 0, 1, 0], [0], 0.5)
    with pytest.raises(ValueError, match=r"layers must name at least one layer"):
        DI.deletion_accuracy(net, X, y, [], 0.5)
    with pytest.raises(TypeError, match=r"layers must be a layer index or a sequence of them"):
        DI.deletion_accuracy(net, X, y, "0", 0.5)
    with pytest.raises(TypeError, match=r"rescale must be True or False, got 'no'"):
        DI.deletion_accuracy(net, X, y, [0], 0.5, rescale="no")


def test_deletion_accuracy_reads_a_column_of_labels_as_labels():
    """y of shape (n, 1) is the same labels as (n,); it must not broadcast against the (n,)
    predictions into an (n, n) comparison (which gave 0.625 for a perfect classifier)."""
    net = Network([3, 10, 2], rng=0)
    X = _X(30, 3)
    y = net.eval()(X).argmax(axis=1)  # the network's own predictions: accuracy 1
    np.testing.assert_array_equal(DI.deletion_accuracy(net, X, y[:, None], [0], 0.0, n_draws=2),
                                  1.0)
    np.testing.assert_array_equal(DI.deletion_accuracy(net, X, y, 0, 0.3, n_draws=3, rng=2),
                                  DI.deletion_accuracy(net, X, y, [0], 0.3, n_draws=3, rng=2))


def test_deletion_accuracy():
    net = Network([3, 10, 2], rng=0)
    X, y = _X(30, 3), np.random.default_rng(0).integers(0, 2, 30)
    full = np.mean(net.eval()(X).argmax(axis=1) == y)
    np.testing.assert_array_equal(DI.deletion_accuracy(net, X, y, [0], 0.0, n_draws=3), full)
    acc = DI.deletion_accuracy(net, X, y, [0], 0.5, n_draws=7, rng=1)
    assert acc.shape == (7,) and np.all((0 <= acc) & (acc <= 1))
    np.testing.assert_array_equal(acc, DI.deletion_accuracy(net, X, y, [0], 0.5, n_draws=7,
                                                            rng=1))
    # by hand, with the same draws: 5 of the 10 units deleted, the rest doubled
    gen = np.random.default_rng(1)
    by_hand = []
    for _ in range(7):
        keep = np.ones(10)
        keep[gen.choice(10, 5, replace=False)] = 0
        out = DI.masked_forward(net, X, {0: 2 * keep})
        by_hand.append(np.mean(out.argmax(axis=1) == y))
    np.testing.assert_array_equal(DI.deletion_accuracy(net, X, y, [0], 0.5, n_draws=7, rng=1,
                                                       rescale=True), by_hand)


def test_unit_correlations():
    net = Network([3, 6, 2], activation="relu", rng=0)
    X = _X(50, 3)
    net.layers[0].W.data[:, 2] = 0.0
    net.layers[0].W.data[0, 2] = 1.0  # S = -1 for every object: a dead ReLU
    C, alive = DI.unit_correlations(net, X, 0)
    assert not alive[2] and alive.sum() == C.shape[0]
    H = np.maximum(X @ net.layers[0].W.data[1:] - net.layers[0].W.data[0], 0)[:, alive]
    np.testing.assert_allclose(C, np.corrcoef(H, rowvar=False), rtol=1e-12)
    net.layers[0].W.data[:] = 0.0
    with pytest.raises(ValueError, match=r"fewer than two units whose output varies"):
        DI.unit_correlations(net, X, 0)


# ------------------------------------------------- the interpretations, measured (trained)


def _train(p, seed, X, y, H=64, epochs=60, lam=0.0):
    net = (dropout_network([X.shape[1], H, H, 10], p=p, activation="relu", rng=seed) if p
           else Network([X.shape[1], H, H, 10], activation="relu", rng=seed))
    opt = ln.Momentum(net.parameters(), lr=0.1, gamma=0.9, weight_decay=lam)
    ln.fit(net, X, y, "cross_entropy", opt, epochs=epochs, batch_size=20, rng=seed)
    return net


def _hidden(net):
    dense = [i for i, lay in enumerate(net.layers) if isinstance(lay, Dense)]
    return dense[:-1]


@pytest.fixture(scope="module")
def digits_nets():
    from lecturenn.data import load_digits

    d = load_digits(test_size=0.75, rng=0)
    nets = {(p, s): _train(p, s, d.X_train, d.y_train) for p in (0.0, 0.5) for s in range(3)}
    nets.update({("L2", s): _train(0.0, s, d.X_train, d.y_train, lam=3e-3) for s in range(3)})
    return d, nets


def _norm(net):
    return np.sqrt(sum(np.sum(q.data**2) for q in net.parameters()))


@pytest.mark.parametrize("seed", range(3))
def test_l2_keeps_the_weights_small_and_dropout_does_not(digits_nets, seed):
    """The same initial weights and batches: weight decay ends with a smaller norm than no
    regularization, dropout with a larger one (it is not a weight shrinker)."""
    _, nets = digits_nets
    assert _norm(nets["L2", seed]) < 0.9 * _norm(nets[0.0, seed]) < 0.9 * _norm(nets[0.5, seed])


@pytest.mark.parametrize("seed", range(3))
def test_interpretation_1_dropout_nets_lose_less_when_half_the_units_are_deleted(digits_nets, seed):
    d, nets = digits_nets
    drops = {}
    for p in (0.0, 0.5):
        net = nets[p, seed]
        full = np.mean(net.eval()(d.X_test).argmax(axis=1) == d.y_test)
        acc = DI.deletion_accuracy(net, d.X_test, d.y_test, _hidden(net), 0.5, n_draws=10,
                                   rng=seed)
        drops[p] = full - acc.mean()
    assert drops[0.5] < 0.5 * drops[0.0]


@pytest.mark.parametrize("seed", range(3))
def test_interpretation_2_dropout_reduces_deletion_interactions(digits_nets, seed):
    """The damage of deleting two units departs less from the sum of the single damages
    (relative to the single damages) in a network trained with dropout."""
    d, nets = digits_nets
    rel = {}
    units = np.random.default_rng(seed).choice(64, 12, replace=False)
    for p in (0.0, 0.5):
        net = nets[p, seed]
        r = DI.deletion_interactions(net, d.X_test[:300], d.y_test[:300], "cross_entropy",
                                     _hidden(net)[1], units=units)
        iu = np.triu_indices(len(units), 1)
        rel[p] = np.mean(np.abs(r["interaction"][iu])) / np.mean(np.abs(r["single"]))
    assert rel[0.5] < rel[0.0]


def test_hidden_layers_are_the_dense_layers_but_the_output():
    net = ln.dropout_network([4, 8, 8, 3], p=0.5, p_input=0.2)
    assert DI.hidden_layers(net) == [1, 3]
    assert DI.hidden_layers(ln.Network([4, 3])) == []
    with pytest.raises(TypeError, match="net must be a Network"):
        DI.hidden_layers([1, 2])
