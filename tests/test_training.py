"""fit and the slide's per-object SG: learning, reproducibility, closures, NaN reports, errors."""

import io

import numpy as np
import pytest

import lecturenn as ln
from lecturenn.network import Network
from lecturenn.training import History, evaluate, fit, sg_backprop


def _xor_like(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    return X, y


def test_fit_learns_xor_like_problem():
    X, y = _xor_like()
    net = Network([2, 16, 16, 1], activation="tanh", rng=0)
    before = evaluate(net, X, y, "logistic", metrics=("accuracy",))
    hist = fit(net, X, y, "logistic", lr=0.5, epochs=40, batch_size=16, rng=1,
               metrics=("accuracy",))
    assert isinstance(hist, History)
    assert len(hist.loss) == 40 and len(hist["accuracy"]) == 40
    assert hist.steps == 40 * 13
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    assert hist["accuracy"][-1] > 0.9 > before["accuracy"]


def test_fit_is_reproducible_from_rng():
    X, y = _xor_like(64)
    runs = []
    for _ in range(2):
        net = Network([2, 8, 1], rng=3)
        hist = fit(net, X, y, "squared", lr=0.1, epochs=3, batch_size=10, rng=7)
        runs.append((hist.loss, net.parameters()[0].data.copy()))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    net = Network([2, 8, 1], rng=3)
    other = fit(net, X, y, "squared", lr=0.1, epochs=3, batch_size=10, rng=8)
    assert other.loss != runs[0][0]


def test_fit_one_epoch_full_batch_is_one_gradient_step():
    X, y = _xor_like(32)
    net = Network([2, 4, 1], rng=0)
    ref = Network([2, 4, 1], rng=0)
    fit(net, X, y, "squared", lr=0.3, epochs=1, batch_size=32, shuffle=False)
    ref.loss_and_grad(X, y, "squared")
    for p, q in zip(net.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data - 0.3 * q.grad, rtol=1e-14)


class RecordingOptimizer:
    """A test double of lecturenn.optim: plain SGD that records the closure's returns."""

    def __init__(self, params, lr):
        self.params, self.lr, self.seen = params, lr, []

    def step(self, closure):
        value = closure()
        self.seen.append(value)
        for p in self.params:
            p.data -= self.lr * p.grad
        return value


def test_fit_always_passes_a_closure_and_reports_its_loss():
    X, y = _xor_like(40)
    net = Network([2, 5, 3], rng=0)
    labels = (y > 0).astype(int) + (X[:, 0] > 0.5)
    opt = RecordingOptimizer(net.parameters(), 0.1)
    hist = fit(net, X, labels, "cross_entropy", optimizer=opt, epochs=2, batch_size=8, rng=0)
    assert len(opt.seen) == hist.steps == 10
    np.testing.assert_allclose(hist.loss[0], np.mean(opt.seen[:5]), rtol=1e-12)


class FrozenOptimizer:
    """A test double that only evaluates the closure: the weights never change."""

    def step(self, closure):
        return closure()


def test_epoch_loss_weights_the_last_partial_batch_by_its_size():
    """10 objects in batches of 4, 4, 2 at fixed weights: the epoch loss is the mean over the
    10 objects, which is what evaluate reports (batches weighted by their sizes)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    net = Network([2, 3, 1], rng=0)
    hist = fit(net, X, y, "squared", optimizer=FrozenOptimizer(), epochs=1, batch_size=4)
    assert hist.steps == 3
    assert hist.loss[0] == pytest.approx(evaluate(net, X, y, "squared")["loss"], rel=1e-13)


def test_mse_metric_is_the_mean_squared_error():
    """mse = mean over objects and outputs of eps^2 (no factor 1/2: twice the squared loss)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=(10, 2))
    net = Network([2, 3, 2], rng=0)
    res = evaluate(net, X, y, "squared", metrics=["mse", "mae"])
    eps = net(X) - y
    assert res["mse"] == pytest.approx(np.mean(eps**2), rel=1e-13)
    assert res["mae"] == pytest.approx(np.mean(np.abs(eps)), rel=1e-13)
    M = 2  # the loss is (1/n) sum_i (1/2) sum_m eps_im^2 = (M/2) mse
    assert res["mse"] == pytest.approx(2 * res["loss"] / M, rel=1e-13)


def test_accuracy_at_a_zero_score_follows_the_book_convention():
    """Predicted class +1 iff g(x) > 0 ([s > 0], heaviside(0) = 0): g = 0 predicts -1.
    Softmax ties go to the first class (numpy.argmax)."""
    net = Network([2, 1], init="zeros")  # g(x) = 0 for every x
    X = np.ones((4, 2))
    acc = evaluate(net, X, [-1, -1, -1, 1], "logistic", metrics=["accuracy"])["accuracy"]
    assert acc == 0.75
    assert evaluate(net, X, [1, 1, 1, 1], "hinge", metrics=["accuracy"])["accuracy"] == 0.0
    multi = Network([2, 3], init="zeros")  # all scores tie
    res = evaluate(multi, X, [0, 0, 0, 2], "cross_entropy", metrics=["accuracy"])
    assert res["accuracy"] == 0.75  # class 0 predicted for all four


def test_fit_with_validation_metrics_and_progress():
    X, y = _xor_like(80)
    net = Network([2, 6, 1], rng=0)
    buf = io.StringIO()
    hist = fit(net, X[:60], y[:60], "hinge", lr=0.1, epochs=3, batch_size=20, rng=0,
               metrics=("accuracy",), X_val=X[60:], y_val=y[60:], progress=True, file=buf)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("[====================] epoch 3/3 loss")
    assert "val_accuracy" in lines[0]
    assert len(hist.val_loss) == 3 and len(hist["val_accuracy"]) == 3
    res = evaluate(net, X[60:], y[60:], "hinge", metrics=("accuracy",))
    assert res["loss"] == pytest.approx(hist.val_loss[-1])
    assert res["accuracy"] == hist["val_accuracy"][-1]
    quiet = io.StringIO()
    fit(net, X, y, "hinge", epochs=1, file=quiet)
    assert quiet.getvalue() == ""


def test_fit_regression_metrics_and_callable_metric():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    net = Network([3, 8, 1], rng=0)

    def max_error(out, yy, loss):
        return float(np.max(np.abs(out - yy)))

    hist = fit(net, X, y, "squared", lr=0.05, epochs=30, batch_size=10, metrics=("mse", "mae",
                                                                                   max_error))
    assert hist["mse"][-1] < hist["mse"][0]
    assert hist["max_error"][-1] >= hist["mae"][-1]


def test_fit_restores_mode_and_keeps_float32():
    X, y = _xor_like(30)
    net = Network([2, 4, 1], rng=0, dtype=np.float32).eval()
    fit(net, X.astype(np.float32), y, "logistic", epochs=1)
    assert not net.training
    assert all(p.data.dtype == np.float32 for p in net.parameters())


def test_nan_loss_names_epoch_and_step():
    X, y = _xor_like(40)
    net = Network([2, 4, 1], activation="relu", output="identity", rng=0)
    with pytest.raises(FloatingPointError, match=r"epoch 1, step [0-9]+"):
        fit(net, X * 1e150, y * 1e150, "squared", lr=1e10, epochs=3, batch_size=8)


def test_nan_from_an_optimizer_error_names_epoch_and_step():
    class Exploding(RecordingOptimizer):
        def step(self, closure):
            closure()
            raise FloatingPointError("gradient is not finite")

    X, y = _xor_like(20)
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(FloatingPointError, match=r"at epoch 1, step 1: gradient is not finite"):
        fit(net, X, y, "logistic", optimizer=Exploding(net.parameters(), 0.1))


def test_fit_errors():
    X, y = _xor_like(20)
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        fit(net, X, y, "logistic", epochs=0)
    # a wrong type is a TypeError, as everywhere in the package
    with pytest.raises(TypeError, match="batch_size must be an int, got 2.5"):
        fit(net, X, y, "logistic", batch_size=2.5)
    with pytest.raises(TypeError, match="epochs must be an int, got '3'"):
        fit(net, X, y, "logistic", epochs="3")
    with pytest.raises(ValueError, match="lr must be > 0"):
        fit(net, X, y, "logistic", lr=-1)
    with pytest.raises(ValueError, match="give both X_val and y_val"):
        fit(net, X, y, "logistic", X_val=X)
    with pytest.raises(ValueError, match="metric 'accuracy' needs a classification loss"):
        fit(net, X, y, "squared", metrics=("accuracy",))
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(net, X, y, "logistic", metrics=("f1",))
    with pytest.raises(ValueError, match="X must be finite"):
        fit(net, np.full((3, 2), np.nan), [1, 1, 1], "logistic")
    with pytest.raises(ValueError, match="empty batch"):
        fit(net, np.zeros((0, 2)), [], "logistic")
    with pytest.raises(ValueError, match="-1 or"):
        fit(net, X, (y > 0).astype(int), "logistic")
    with pytest.raises(TypeError, match="step"):
        fit(net, X, y, "logistic", optimizer=object())
    # the class instead of an instance: say so, instead of failing inside step()
    from lecturenn import optim

    with pytest.raises(TypeError, match=r"got the class Adam; create it first, e\.g\. Adam\("):
        fit(net, X, y, "logistic", optimizer=optim.Adam)
    with pytest.raises(TypeError, match="rng must be"):
        fit(net, X, y, "logistic", rng=None)


# -- the slide's per-object SG ----------------------------------------------------------
def test_sg_backprop_follows_the_slide():
    X, y = _xor_like(100)
    net = Network([2, 8, 1], rng=0)
    ref = Network([2, 8, 1], rng=0)
    hist = sg_backprop(net, X, y, "logistic", lr=0.2, lam=0.05, rng=3, max_steps=50)
    assert hist.steps == 50 and len(hist.Q) == 51 and not hist.converged
    # replay: same objects, same steps, the slide's Q recursion
    Q = evaluate(ref, X, y, "logistic")["loss"]
    assert hist.Q[0] == pytest.approx(Q, rel=1e-14)
    for k, i in enumerate(hist.indices):
        Li = ref.loss_and_grad(X[i:i + 1], y[i:i + 1], "logistic")
        assert Li == pytest.approx(hist.L[k], rel=1e-12)
        for p in ref.parameters():
            p.data -= 0.2 * p.grad
        Q = 0.95 * Q + 0.05 * Li
        assert hist.Q[k + 1] == pytest.approx(Q, rel=1e-12)
    np.testing.assert_allclose(net.parameters()[0].data, ref.parameters()[0].data, rtol=1e-12)
    again = sg_backprop(Network([2, 8, 1], rng=0), X, y, "logistic", lr=0.2, lam=0.05, rng=3,
                        max_steps=50)
    assert again.indices == hist.indices and again.Q == hist.Q


def test_sg_backprop_stops_when_q_stabilises():
    X, y = _xor_like(100)
    net = Network([2, 16, 1], rng=0)
    hist = sg_backprop(net, X, y, "logistic", lr=0.3, lam=0.01, rng=0, tol=1e-3, patience=50,
                       max_steps=20000)
    assert hist.converged and hist.steps < 20000
    dq = np.abs(np.diff(hist.Q))
    assert np.all(dq[-50:] < 1e-3)
    assert not np.all(dq[-51:] < 1e-3)  # it stopped at the first such run of 50 steps
    assert hist.Q[-1] < hist.Q[0]


def test_sg_backprop_default_patience_is_the_number_of_objects():
    """patience=None means ell: the run stops at the first step that ends ell = 20 calm steps
    in a row (|Q_k - Q_{k-1}| < tol), counted on a run that is not stopped."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = X @ [1.0, -1.0] + 0.3
    tol = 1e-4
    hist = sg_backprop(Network([2, 1], rng=0), X, y, "squared", lr=0.1, tol=tol)
    assert hist.converged
    full = sg_backprop(Network([2, 1], rng=0), X, y, "squared", lr=0.1, tol=tol,
                       patience=10**9, max_steps=hist.steps + 50)
    calm = np.abs(np.diff(full.Q)) < tol
    run, first = 0, None
    for k, c in enumerate(calm, start=1):
        run = run + 1 if c else 0
        if run == 20:
            first = k
            break
    assert first is not None and hist.steps == first
    assert hist.Q == full.Q[:first + 1]


def test_sg_backprop_picks_every_object_uniformly():
    """i is uniform on 0..ell-1: in 400 picks of 4 objects each one (the last included) comes
    up about 100 times (binomial sd 8.7)."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 2)), rng.normal(size=4)
    hist = sg_backprop(Network([2, 1], rng=0), X, y, "squared", lr=1e-3, tol=1e-12,
                       max_steps=400)
    assert hist.steps == 400 and not hist.converged
    counts = np.bincount(hist.indices, minlength=4)
    assert counts.shape == (4,) and np.all(np.abs(counts - 100) < 40), counts


def test_sg_backprop_errors_and_nan():
    X, y = _xor_like(20)
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"lam must lie in \(0.0, 1.0\]"):
        sg_backprop(net, X, y, "logistic", lam=0)
    with pytest.raises(ValueError, match="patience must be >= 1, got 0"):
        sg_backprop(net, X, y, "logistic", patience=0)
    with pytest.raises(TypeError, match="patience must be an int, got 1.5"):
        sg_backprop(net, X, y, "logistic", patience=1.5)
    with pytest.raises(TypeError, match="max_steps must be an int, got None"):
        sg_backprop(net, X, y, "logistic", max_steps=None)
    with pytest.raises(TypeError, match=r"net of sg_backprop must be a lecturenn\.network"):
        sg_backprop(None, X, y, "logistic")
    with pytest.raises(ValueError, match="tol must be > 0"):
        sg_backprop(net, X, y, "logistic", tol=0)
    big = Network([2, 3, 1], activation="relu", rng=0)
    with pytest.raises(FloatingPointError, match=r"at step [0-9]+ \(object [0-9]+\)"):
        sg_backprop(big, X * 1e150, y * 1e150, "squared", lr=1e10, max_steps=100)


@pytest.mark.parametrize("name", ["SGD", "Momentum", "Nesterov", "Adam", "Nadam"])
def test_fit_with_lecturenn_optimizers(name):
    from lecturenn import optim

    X, y = _xor_like(120)
    net = Network([2, 12, 1], rng=0)
    lr = 0.3 if name in ("SGD", "Momentum", "Nesterov") else 0.02
    opt = getattr(optim, name)(net.parameters(), lr=lr)
    hist = fit(net, X, y, "logistic", optimizer=opt, epochs=25, batch_size=16, rng=0,
               metrics=("accuracy",))
    assert hist.loss[-1] < 0.7 * hist.loss[0]
    assert hist["accuracy"][-1] > 0.85


def test_fit_reports_an_optimizer_nonfinite_gradient_with_epoch_and_step():
    from lecturenn import optim

    X, y = _xor_like(40)
    net = Network([2, 4, 1], activation="relu", rng=0)
    opt = optim.SGD(net.parameters(), lr=1e10)
    with pytest.raises(FloatingPointError, match=r"epoch 1, step [0-9]+"):
        fit(net, X * 1e150, y * 1e150, "squared", optimizer=opt, epochs=2, batch_size=8)


# -- checks of the API audit ---------------------------------------------------------------
def test_fit_refuses_an_optimizer_built_for_another_network():
    """It used to train nothing: B stepped with stale gradients, A unchanged."""
    from lecturenn import optim

    X, y = _xor_like(20)
    labels = (y > 0).astype(int)
    A, B = Network([2, 3, 2], rng=0), Network([2, 3, 2], rng=1)
    B.loss_and_grad(X, labels, "cross_entropy")
    with pytest.raises(ValueError, match=r"the optimizer updates 2 parameter\(s\) that are not "
                                         r"parameters of net \(e\.g\. 'layers\.0\.W'\): it was "
                                         r"built for another network"):
        fit(A, X, labels, "cross_entropy", optimizer=optim.SGD(B.parameters(), lr=0.1))
    # part of the network's own parameters is fine: the other layers stay frozen
    first = A.layers[0].W.data.copy()
    last = A.layers[1].W.data.copy()
    fit(A, X, labels, "cross_entropy", optimizer=optim.SGD([A.layers[1].W], lr=0.1), epochs=2)
    np.testing.assert_array_equal(A.layers[0].W.data, first)
    assert not np.array_equal(A.layers[1].W.data, last)


def test_fit_checks_net_and_flags():
    from lecturenn.neuron import Neuron

    X, y = _xor_like(20)
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(TypeError, match=r"net of fit must be a lecturenn\.network\.Network, "
                                        r"got None"):
        fit(None, X, y, "logistic")
    with pytest.raises(TypeError, match=r"net of fit must be .*got Neuron\(w=\[1, 1\]"):
        fit(Neuron([1, 1], 0.5), X, y, "logistic")
    with pytest.raises(TypeError, match=r"net of evaluate must be"):
        evaluate("net", X, y, "logistic")
    with pytest.raises(TypeError, match=r"shuffle must be True or False, got 'no'"):
        fit(net, X, y, "logistic", shuffle="no")
    with pytest.raises(TypeError, match=r"progress must be True or False, got 1"):
        fit(net, X, y, "logistic", progress=1)


def test_metric_names_values_and_forms():
    X, y = _xor_like(30)
    net = Network([2, 3, 1], rng=0)

    def spread(out, yy, loss):
        return float(np.ptp(out))

    with pytest.raises(ValueError, match=r"two metrics are named '<lambda>'; name them with a "
                                         r"dict"):
        fit(net, X, y, "logistic", metrics=[lambda o, t, lo: 1.0, lambda o, t, lo: 2.0])
    with pytest.raises(ValueError, match=r"two metrics are named 'accuracy'"):
        fit(net, X, y, "logistic", metrics=["accuracy", "accuracy"])
    with pytest.raises(ValueError, match=r"a metric may not be named 'loss'"):
        fit(net, X, y, "logistic", metrics={"loss": spread})
    with pytest.raises(TypeError, match=r"the value of metric 'text' must be a real number, "
                                        r"got 'x'"):
        fit(net, X, y, "logistic", metrics={"text": lambda o, t, lo: "x"}, progress=True,
            file=io.StringIO())
    with pytest.raises(TypeError, match=r"metric 'bad' must be one of .* or a callable"):
        fit(net, X, y, "logistic", metrics={"bad": 3})
    with pytest.raises(TypeError, match=r"metrics must be a list of names and callables"):
        fit(net, X, y, "logistic", metrics=3)
    hist = fit(net, X, y, "logistic", epochs=2, metrics={"acc": "accuracy", "one": spread,
                                                         "two": lambda o, t, lo: 2})
    assert set(hist.metrics) == {"acc", "one", "two"} and hist["two"] == [2.0, 2.0]
    assert hist["acc"][-1] == evaluate(net, X, y, "logistic", metrics="accuracy")["accuracy"]
    assert fit(net, X, y, "logistic", epochs=1, metrics=None).metrics == {}
    assert set(fit(net, X, y, "logistic", epochs=1, metrics=spread).metrics) == {"spread"}
    # a metric may be NaN (undefined on a batch): reported, not refused
    nan = fit(net, X, y, "logistic", epochs=1, metrics={"nan": lambda o, t, lo: np.float64("nan")})
    assert np.isnan(nan["nan"][0])


# ---------------------------------------------------------------- learning_curves


def _moons_net(seed=0):
    X, y = ln.data.two_moons(120, rng=seed)
    return X, y, ln.Network([2, 8, 2], activation="tanh", rng=seed)


def test_learning_curves_equal_one_fit_and_are_measured_at_application():
    """Recording every 5 epochs changes nothing in training: the weights after 20 epochs equal
    those of one fit(..., epochs=20) from the same seed; the recorded losses are evaluate()'s,
    in inference mode (a dropout network would differ in training mode)."""
    X, y, a = _moons_net()
    _, _, b = _moons_net()
    c = ln.learning_curves(a, X[:90], y[:90], X[90:], y[90:], "cross_entropy",
                           ln.SGD(a.parameters(), lr=0.3), epochs=20, every=5, batch_size=16, rng=3)
    ln.fit(b, X[:90], y[:90], "cross_entropy", ln.SGD(b.parameters(), lr=0.3), epochs=20,
           batch_size=16, rng=3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert c["epoch"].tolist() == [5, 10, 15, 20]
    assert set(c) == {"epoch", "train", "test", "accuracy", "norm"}
    last = ln.evaluate(a, X[90:], y[90:], "cross_entropy", metrics=("accuracy",))
    assert c["test"][-1] == last["loss"] and c["accuracy"][-1] == last["accuracy"]
    assert c["train"][-1] == ln.evaluate(a, X[:90], y[:90], "cross_entropy")["loss"]
    norm = np.sqrt(sum(np.sum(p.data**2) for p in a.parameters()))
    assert c["norm"][-1] == pytest.approx(norm, rel=1e-15)


def test_learning_curves_of_a_dropout_network_are_taken_without_dropout():
    """The recorded training loss is the application-time loss (all units on), not the loss of
    a thinned network; learning_curves leaves the network in the mode it found."""
    X, y = ln.data.two_moons(120, rng=0)
    net = ln.dropout_network([2, 16, 2], p=0.5, rng=0).eval()
    c = ln.learning_curves(net, X[:90], y[:90], X[90:], y[90:], "cross_entropy",
                           ln.SGD(net.parameters(), lr=0.3), epochs=2, every=1)
    assert net.training is False
    assert c["train"][-1] == ln.evaluate(net, X[:90], y[:90], "cross_entropy")["loss"]
    thinned = net.train().loss_and_grad(X[:90], y[:90], "cross_entropy")
    assert abs(thinned - c["train"][-1]) > 1e-3


def test_learning_curves_bad_arguments():
    X, y, net = _moons_net()
    opt = ln.SGD(net.parameters(), lr=0.1)
    args = (net, X, y, X, y, "cross_entropy")
    with pytest.raises(ValueError, match="every=3 must divide epochs=10"):
        ln.learning_curves(*args, opt, epochs=10, every=3)
    with pytest.raises(TypeError, match="optimizer must be given"):
        ln.learning_curves(*args, None, epochs=10)
    with pytest.raises(ValueError, match="every must be"):
        ln.learning_curves(*args, opt, epochs=10, every=0)
    with pytest.raises(ValueError, match=r"metric names \['norm'\] are taken"):
        ln.learning_curves(*args, opt, epochs=1, metrics={"norm": lambda o, t, loss: 0.0})
