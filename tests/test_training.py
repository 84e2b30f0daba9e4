"""fit and the slide's per-object SG: learning, reproducibility, closures, NaN reports, errors."""

import io

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match="epochs must be an int >= 1"):
        fit(net, X, y, "logistic", epochs=0)
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        fit(net, X, y, "logistic", batch_size=2.5)
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


def test_sg_backprop_errors_and_nan():
    X, y = _xor_like(20)
    net = Network([2, 3, 1], rng=0)
    with pytest.raises(ValueError, match=r"lam must lie in \(0.0, 1.0\]"):
        sg_backprop(net, X, y, "logistic", lam=0)
    with pytest.raises(ValueError, match="patience must be an int"):
        sg_backprop(net, X, y, "logistic", patience=0)
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
