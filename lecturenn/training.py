r"""Training loops: the slide's per-object stochastic gradient and a mini-batch ``fit``.

Slides «Напоминание: алгоритм SG (Stochastic Gradient)» and «Алгоритм обратного
распространения ошибки BackProp».

* :func:`sg_backprop` is the algorithm of the slides literally: pick a random object
  :math:`x_i`, compute :math:`\mathcal{L}_i` and its gradient by BackProp, step
  :math:`w := w - \eta\nabla\mathcal{L}_i`, update the running estimate
  :math:`Q := (1-\lambda) Q + \lambda \mathcal{L}_i`, and stop when :math:`Q` stabilises.
* :func:`fit` is the loop students use: epochs of shuffled mini-batches, any optimizer of
  :mod:`lecturenn.optim` (always called with a closure, so look-ahead methods such as
  Nesterov's work), metrics per epoch, optional validation data and a text progress bar.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lecturenn._validation import (
    check_bool,
    check_file_like,
    check_in_range,
    check_int,
    check_parameters_finite,
    check_positive,
    check_real,
    check_rng,
    describe,
    nonfinite_parameter,
)
from lecturenn.losses import Loss, get_loss
from lecturenn.network import Network

__all__ = ["History", "SGHistory", "fit", "learning_curves", "sg_backprop", "evaluate", "METRICS",
           "DEFAULT_LR"]


class _PlainSGD:
    """Plain SGD :math:`w := w - \\eta\\,\\partial Q/\\partial w`, the default of :func:`fit`."""

    def __init__(self, params, lr):
        self.params = params
        self.lr = lr

    def step(self, closure):
        value = closure()
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad
            if p.mask is not None:  # a deleted weight (lecturenn.pruning) stays zero
                np.multiply(p.data, p.mask, out=p.data)
        return value


# -- metrics -----------------------------------------------------------------------------
def _accuracy(out, y, loss):
    # the predicted class: +1 iff g(x) > 0 (the book's [s > 0]); argmax, first of ties
    if loss.kind == "multiclass":
        return float(np.mean(np.argmax(out, axis=1) == y))
    if loss.kind == "margin":
        return float(np.mean(np.where(out[:, 0] > 0, 1.0, -1.0) == y[:, 0]))
    raise ValueError(
        f"metric 'accuracy' needs a classification loss (margin or multiclass), "
        f"got {type(loss).__name__}"
    )


def _mse(out, y, loss):
    if loss.kind != "regression":
        raise ValueError(f"metric 'mse' needs a regression loss, got {type(loss).__name__}")
    return float(np.mean((out - y) ** 2))


def _mae(out, y, loss):
    if loss.kind != "regression":
        raise ValueError(f"metric 'mae' needs a regression loss, got {type(loss).__name__}")
    return float(np.mean(np.abs(out - y)))


# the kinds of loss each built-in metric needs (checked before training starts)
_accuracy.loss_kinds = ("margin", "multiclass")
_accuracy.needs = "a classification loss (margin or multiclass)"
_mse.loss_kinds = _mae.loss_kinds = ("regression",)
_mse.needs = _mae.needs = "a regression loss"


#: metric names accepted by :func:`fit` and :func:`evaluate`; a callable ``f(out, y, loss)``
#: is accepted too (its ``__name__`` names it), and so is a dict ``{name: metric}``.
#: ``"accuracy"`` is the fraction of objects whose predicted class is the target: with a
#: margin loss the class is :math:`+1` iff :math:`g(x) > 0` and :math:`-1` otherwise (the
#: book's convention :math:`[s > 0]`, ``heaviside(0) = 0``: a score of exactly 0 predicts
#: :math:`-1`); with :class:`~lecturenn.losses.SoftmaxCrossEntropy` it is
#: :math:`\arg\max_m a_m`, the first of tied scores (as ``numpy.argmax``). ``"mse"`` is
#: :math:`\frac{1}{nM}\sum_{i,m} \varepsilon_{im}^2` (twice the squared loss for
#: :math:`M = 1`) and ``"mae"`` :math:`\frac{1}{nM}\sum_{i,m} |\varepsilon_{im}|`.
METRICS: dict[str, Callable] = {"accuracy": _accuracy, "mse": _mse, "mae": _mae}


def _metric_fns(metrics) -> dict[str, Callable]:
    """The metrics by name: from a name, a sequence of names and callables, or a dict."""
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    if isinstance(metrics, dict):
        items = list(metrics.items())
    elif isinstance(metrics, (list, tuple)):
        items = [(m if isinstance(m, str) else getattr(m, "__name__", "metric"), m)
                 for m in metrics]
    else:
        raise TypeError(f"metrics must be a list of names and callables, or a dict "
                        f"{{name: metric}}, got {describe(metrics)}")
    out = {}
    for name, m in items:
        if not isinstance(name, str):
            raise TypeError(f"a metric's name must be a str, got {describe(name)}")
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r}; expected one of {sorted(METRICS)} "
                                 "or a callable f(out, y, loss)")
            m = METRICS[m]
        elif not callable(m):
            raise TypeError(f"metric {name!r} must be one of {sorted(METRICS)} or a callable "
                            f"f(out, y, loss), got {describe(m)}")
        if name == "loss":
            raise ValueError("a metric may not be named 'loss': that name is the loss's")
        if name in out:
            raise ValueError(f"two metrics are named {name!r}; name them with a dict, "
                             "e.g. metrics={'max_error': f, 'median_error': g}")
        out[name] = m
    return out


def _check_metrics(fns: dict, loss: Loss, net=None, X=None, y=None) -> None:
    """Refuse metrics that cannot work with ``loss``, before anything is trained.

    A built-in metric is checked by the kinds of loss it needs. If ``net`` is given, every
    other (callable) metric is called once on ``(X, y)`` at the current weights, in
    inference mode, and must return a real number: a metric that fails fails here, not after
    the first epoch has changed the weights.
    """
    custom = {}
    for name, f in fns.items():
        kinds = getattr(f, "loss_kinds", None)
        if kinds is None:
            custom[name] = f
        elif loss.kind not in kinds:
            raise ValueError(f"metric {name!r} needs {f.needs}, got {type(loss).__name__}")
    if custom and net is not None:
        _evaluate(net, X, y, loss, custom)


def _check_network(net, where: str) -> None:
    if not isinstance(net, Network):
        raise TypeError(f"net of {where} must be a lecturenn.network.Network, "
                        f"got {describe(net)}")


def _prepare(net, X, y, loss, what="X", target="y"):
    X = net._check_input(X, name=what)
    shape = (X.shape[0], net.sizes[-1])
    if "name" in inspect.signature(loss.prepare_target).parameters:  # a custom loss may lack it
        return X, loss.prepare_target(y, shape, net.dtype, name=target)
    return X, loss.prepare_target(y, shape, net.dtype)


def evaluate(net, X, y, loss, metrics=()) -> dict[str, float]:
    """The mean loss and the metrics of ``net`` on ``(X, y)`` in inference mode.

    Parameters
    ----------
    net : lecturenn.network.Network
    X, y : array_like
        Objects ``(n, H_0)`` and targets in the loss's form.
    loss : Loss or str
    metrics : sequence or dict, optional
        As in :func:`fit`.

    Returns
    -------
    dict
        ``{"loss": ..., "<metric>": ...}``.
    """
    _check_network(net, "evaluate")
    loss = get_loss(loss)
    fns = _metric_fns(metrics)
    _check_metrics(fns, loss)
    X, y = _prepare(net, X, y, loss)
    res = _evaluate(net, X, y, loss, fns)
    if not np.isfinite(res["loss"]):
        net._check_weights("evaluate")  # name a non-finite weight; else the loss overflowed
    return res


def _evaluate(net, X, y, loss, fns):
    was = net.training
    net.training = False
    try:
        out = net._forward(X, False)
    finally:
        net.training = was
    res = {"loss": float(np.mean(loss.per_object(out, y)))}
    for name, f in fns.items():
        res[name] = check_real(f"the value of metric {name!r}", f(out, y, loss), finite=False)
    return res


@dataclass
class History:
    """What :func:`fit` returns: per-epoch values.

    Attributes
    ----------
    loss : list of float
        The mean training loss of each epoch (averaged over its mini-batches, weighted by
        their sizes, at the weights each batch saw).
    metrics : dict
        Training-set metrics at the end of each epoch (inference mode), by name.
    val_loss : list of float
        Validation loss at the end of each epoch (empty without validation data).
    val_metrics : dict
        Validation metrics at the end of each epoch.
    steps : int
        The number of optimizer steps made.
    """

    loss: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    val_loss: list = field(default_factory=list)
    val_metrics: dict = field(default_factory=dict)
    steps: int = 0

    def __getitem__(self, key: str) -> list:
        """Access by name: ``"loss"``, ``"accuracy"``, ``"val_loss"``, ``"val_accuracy"``, ..."""
        if key == "loss":
            return self.loss
        if key == "val_loss":
            return self.val_loss
        if key.startswith("val_") and key[4:] in self.val_metrics:
            return self.val_metrics[key[4:]]
        if key in self.metrics:
            return self.metrics[key]
        raise KeyError(key)


def _nonfinite(value, epoch, step, params):
    # the data and the weights were checked before the first step: a weight that is not
    # finite now was made so by the steps (they diverged)
    bad = nonfinite_parameter(params)
    cause = f": {bad}" if bad is not None else ""
    return FloatingPointError(
        f"the loss became {value} at epoch {epoch}, step {step} (steps counted from 1 within "
        f"the epoch){cause}; the steps diverged: lower the learning rate"
    )


#: the learning rate of the default SGD of :func:`fit`
DEFAULT_LR = 0.1


def fit(net, X, y, loss, optimizer=None, epochs: int = 10, batch_size: int = 32, rng=0,
        progress: bool = False, metrics=(), X_val=None, y_val=None, *, lr: float | None = None,
        shuffle: bool = True, file=None) -> History:
    r"""Train ``net`` by mini-batch gradient steps; return the :class:`History`.

    Each epoch shuffles the objects (with ``rng``), cuts them into batches of
    ``batch_size`` (the last one may be smaller) and for each batch calls
    ``optimizer.step(closure)`` with ``closure = lambda: net.loss_and_grad(Xb, yb, loss)``.

    Everything is checked before the first step changes anything: the arguments, the data
    (shapes, finiteness, labels), the weights of ``net`` (finite), the metrics against the
    loss (a callable metric is called once on the training data at the initial weights)
    and ``file``. The steps themselves run unchecked (the closure calls
    ``loss_and_grad(..., check=False)``: the hot path); a loss that becomes non-finite is
    reported with its epoch and step.

    Parameters
    ----------
    net : lecturenn.network.Network
    X, y : array_like
        Training objects ``(n, H_0)`` and targets in the loss's form.
    loss : Loss or str
    optimizer : object, optional
        Anything with ``step(closure) -> loss`` over ``net.parameters()`` (see
        :mod:`lecturenn.optim`); ``None`` means plain SGD
        :math:`w := w - \eta\nabla Q` with ``lr``.
        Its ``params`` (if it has them) must be parameters of ``net``: an optimizer built
        for another network is an error (all of ``net.parameters()`` or some of them, to
        train only part of the network).
    epochs, batch_size : int, optional
    rng : numpy.random.Generator or int, optional
        Shuffling; the same seed gives the same run. An int seed starts a new generator
        in every call, so calling ``fit(..., epochs=1)`` in a loop with the default
        ``rng=0`` repeats the same order of batches each time; to continue one random
        sequence, create ``gen = numpy.random.default_rng(0)`` once and pass ``rng=gen``.
    progress : bool, optional
        Print one progress line per epoch (to ``file``, standard output by default).
    metrics : sequence or dict, optional
        Names (``"accuracy"``, ``"mse"``, ``"mae"``, defined at :data:`METRICS`; the
        accuracy of a margin loss predicts :math:`+1` iff :math:`g(x) > 0`) and callables
        ``f(out, y, loss) -> float`` (named by their ``__name__``), or a dict
        ``{name: metric}``; names must differ (and not be ``"loss"``).
    X_val, y_val : array_like, optional
        Validation data evaluated at the end of each epoch.
    lr : float, optional
        Learning rate :math:`\eta` of the default SGD, :data:`DEFAULT_LR` (0.1) if not
        given; an error together with ``optimizer`` (which has its own).
    shuffle : bool, optional
        Shuffle the objects every epoch (default True).
    file : file-like, optional
        Where the progress lines go (anything with ``write``); standard output by default.

    Returns
    -------
    History
        The per-epoch training loss, metrics and validation values; ``net`` itself is
        trained in place (and left in the mode it was in).

    Raises
    ------
    TypeError, ValueError
        Bad arguments or data, a weight of ``net`` that is not finite, a metric that does not
        fit the loss: before any step.
    FloatingPointError
        When the loss or a gradient becomes NaN or infinite; the message names the epoch and
        the step (and the parameter that diverged).

    Examples
    --------
    >>> from lecturenn import data
    >>> from lecturenn.network import Network
    >>> X, y = data.two_moons(200, rng=0)
    >>> net = Network([2, 16, 2], activation="tanh", rng=0)
    >>> hist = fit(net, X, y, "cross_entropy", epochs=100, lr=0.5, metrics=["accuracy"])
    >>> len(hist.loss), hist.loss[-1] < hist.loss[0], hist["accuracy"][-1] > 0.95
    (100, True, True)
    """
    _check_network(net, "fit")
    loss = get_loss(loss)
    if not isinstance(loss, Loss):  # pragma: no cover - get_loss guarantees it
        raise TypeError("loss must be a Loss")
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    shuffle = check_bool("shuffle", shuffle)
    progress = check_bool("progress", progress)
    gen = check_rng(rng)
    fns = _metric_fns(metrics)
    X, y = _prepare(net, X, y, loss)
    have_val = X_val is not None or y_val is not None
    if have_val:
        if X_val is None or y_val is None:
            raise ValueError("give both X_val and y_val, or neither")
        X_val, y_val = _prepare(net, X_val, y_val, loss, what="X_val", target="y_val")
    if progress or file is not None:
        out_file = check_file_like("file", sys.stdout if file is None else file)
    if optimizer is None:
        optimizer = _PlainSGD(net.parameters(),
                              check_positive("lr", DEFAULT_LR if lr is None else lr))
    elif lr is not None:
        raise ValueError(f"lr={lr!r} is the learning rate of fit's default SGD, but an "
                         f"optimizer was given ({describe(optimizer)}), which has its own: "
                         "set it there, e.g. Adam(net.parameters(), lr=0.01)")
    elif isinstance(optimizer, type):
        raise TypeError(
            f"optimizer must be an optimizer object, got the class {optimizer.__name__}; "
            f"create it first, e.g. {optimizer.__name__}(net.parameters(), lr=0.01)"
        )
    elif not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"optimizer must have a step(closure) method, got {describe(optimizer)}")
    else:
        _check_optimizer_params(optimizer, net)
    check_parameters_finite(net.parameters(), "fit")
    _check_metrics(fns, loss, net, X, y)
    if not (progress or file is not None):
        out_file = None
    hist = History(metrics={k: [] for k in fns},
                   val_metrics={k: [] for k in fns} if have_val else {})
    was_training = net.training
    net.train()
    try:
        # a diverging run overflows; it is reported below as a non-finite loss with its step
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            _epochs(net, X, y, loss, optimizer, epochs, batch_size, gen, shuffle, fns,
                    have_val, X_val, y_val, hist, progress, out_file)
    finally:
        net.training = was_training
    return hist


def learning_curves(net, X, y, X_test, y_test, loss, optimizer, epochs: int, every: int = 1,
                    batch_size: int = 32, rng=0, metrics=("accuracy",)) -> dict:
    r"""Train ``net`` with :func:`fit` and record its learning curves every ``every`` epochs.

    The curves of overfitting (chapter «Dropout and L2 regularization»): after every
    ``every`` epochs of training the network is evaluated **at application** (inference
    mode: no dropout, running statistics), on the training set and on the test set, and the
    Euclidean norm :math:`\|w\| = (\sum_j w_j^2)^{1/2}` of all its parameters is recorded.
    (The training loss of :class:`History` is averaged over the epoch's batches at the
    weights each batch saw, with dropout active; these curves are not.) One random sequence
    of batches runs through all the calls of :func:`fit`: the same seed gives the same run as
    one call ``fit(..., epochs=epochs, rng=seed)``.

    Parameters
    ----------
    net : lecturenn.network.Network
    X, y, X_test, y_test : array_like
        Training and test objects and targets.
    loss : Loss or str
    optimizer : object
        As for :func:`fit` (it keeps its state between the calls).
    epochs, every : int
        Train for ``epochs`` epochs, recording after each ``every``; ``every`` divides
        ``epochs``.
    batch_size : int, optional
    rng : numpy.random.Generator or int, optional
        The order of the batches.
    metrics : sequence, optional
        Test-set metrics to record (names of :data:`METRICS` or callables, as in :func:`fit`).

    Returns
    -------
    dict of numpy.ndarray
        ``"epoch"`` (the epochs recorded: every, 2 every, ..., epochs), ``"train"`` and
        ``"test"`` (the mean losses), one entry per metric (on the test set) and ``"norm"``.

    Examples
    --------
    >>> from lecturenn import data
    >>> from lecturenn.network import Network
    >>> from lecturenn.optim import SGD
    >>> X, y = data.two_moons(200, rng=0)
    >>> net = Network([2, 16, 2], activation="tanh", rng=0)
    >>> c = learning_curves(net, X[:150], y[:150], X[150:], y[150:], "cross_entropy",
    ...                     SGD(net.parameters(), lr=0.5), epochs=40, every=10)
    >>> c["epoch"].tolist(), bool(c["train"][-1] < c["train"][0]), bool(c["accuracy"][-1] > 0.9)
    ([10, 20, 30, 40], True, True)
    """
    epochs = check_int("epochs", epochs, minimum=1)
    every = check_int("every", every, minimum=1)
    if epochs % every:
        raise ValueError(f"every={every} must divide epochs={epochs}")
    if optimizer is None:
        raise TypeError("optimizer must be given: it keeps its state between the recordings")
    fns = _metric_fns(metrics)
    clash = sorted(set(fns) & {"epoch", "train", "test", "norm"})
    if clash:
        raise ValueError(f"metric names {clash} are taken by the curves themselves; rename them "
                         "(metrics={'name': metric})")
    gen = check_rng(rng)
    curves = {"epoch": [], "train": [], "test": [], **{k: [] for k in fns}, "norm": []}
    for k in range(1, epochs // every + 1):
        fit(net, X, y, loss, optimizer, epochs=every, batch_size=batch_size, rng=gen)
        test = evaluate(net, X_test, y_test, loss, metrics=fns)
        curves["epoch"].append(k * every)
        curves["train"].append(evaluate(net, X, y, loss)["loss"])
        curves["test"].append(test["loss"])
        for name in fns:
            curves[name].append(test[name])
        curves["norm"].append(float(np.sqrt(sum(np.sum(p.data**2) for p in net.parameters()))))
    return {name: np.array(v) for name, v in curves.items()}


def _check_optimizer_params(optimizer, net) -> None:
    """An optimizer with ``params`` must optimize parameters of ``net`` (all or some)."""
    params = getattr(optimizer, "params", None)
    if not isinstance(params, (list, tuple)):
        return  # a duck-typed optimizer without a parameter list: nothing to compare
    own = {id(p) for p in net.parameters()}
    foreign = [getattr(p, "name", describe(p)) for p in params if id(p) not in own]
    if foreign:
        raise ValueError(
            f"the optimizer updates {len(foreign)} parameter(s) that are not parameters of "
            f"net (e.g. {foreign[0]!r}): it was built for another network, so fit would "
            "compute net's gradients and step other arrays; build it from this network, "
            "e.g. Adam(net.parameters(), lr=0.01)"
        )


def _epochs(net, X, y, loss, optimizer, epochs, batch_size, gen, shuffle, fns, have_val,
            X_val, y_val, hist, progress, out_file):
    n = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = gen.permutation(n) if shuffle else np.arange(n)
        total = 0.0
        for step, start in enumerate(range(0, n, batch_size), start=1):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]

            def closure(Xb=Xb, yb=yb, epoch=epoch, step=step):
                v = net.loss_and_grad(Xb, yb, loss, check=False)
                if not np.isfinite(v):
                    raise _nonfinite(v, epoch, step, net.parameters())
                return v

            try:
                value = optimizer.step(closure)
            except FloatingPointError as exc:
                if "at epoch" in str(exc):
                    raise
                raise FloatingPointError(f"at epoch {epoch}, step {step}: {exc}") from exc
            value = float(value)
            if not np.isfinite(value):
                raise _nonfinite(value, epoch, step, net.parameters())
            total += value * len(idx)
            hist.steps += 1
        hist.loss.append(total / n)
        if fns:
            res = _evaluate(net, X, y, loss, fns)
            for k in fns:
                hist.metrics[k].append(res[k])
        if have_val:
            res = _evaluate(net, X_val, y_val, loss, fns)
            hist.val_loss.append(res["loss"])
            for k in fns:
                hist.val_metrics[k].append(res[k])
        if progress:
            width = 20
            done = int(width * epoch / epochs)
            line = f"[{'=' * done}{' ' * (width - done)}] epoch {epoch}/{epochs}"
            line += f" loss {hist.loss[-1]:.4f}"
            for k in fns:
                line += f" {k} {hist.metrics[k][-1]:.4f}"
            if have_val:
                line += f" val_loss {hist.val_loss[-1]:.4f}"
                for k in fns:
                    line += f" val_{k} {hist.val_metrics[k][-1]:.4f}"
            print(line, file=out_file)


@dataclass
class SGHistory:
    r"""What :func:`sg_backprop` returns.

    Attributes
    ----------
    Q : list of float
        The running estimate :math:`Q` after each step (``Q[0]`` is the initial value).
    L : list of float
        The loss :math:`\mathcal{L}_i` of the chosen object before its step.
    indices : list of int
        The chosen objects :math:`i`.
    steps : int
        Steps made.
    converged : bool
        True if :math:`Q` stabilised before ``max_steps``.
    """

    Q: list = field(default_factory=list)
    L: list = field(default_factory=list)
    indices: list = field(default_factory=list)
    steps: int = 0
    converged: bool = False


def sg_backprop(net, X, y, loss, lr: float = 0.1, lam: float | None = None, rng=0,
                tol: float = 1e-5, patience: int | None = None,
                max_steps: int = 100_000) -> SGHistory:
    r"""The stochastic-gradient BackProp of the slides, one object per step.

    Slides «Напоминание: алгоритм SG (Stochastic Gradient)» and «Алгоритм обратного
    распространения ошибки BackProp»::

        initialise Q := Q(w) (the mean loss over the sample at the initial weights)
        repeat
            choose i uniformly at random
            L_i := L(w, x_i), gradient by BackProp (forward, errors, backward)
            w := w - lr * grad L_i
            Q := (1 - lam) Q + lam L_i
        until Q stabilises

    **"Q stabilises"** is made precise as: :math:`|Q_k - Q_{k-1}| < \mathrm{tol}` for
    ``patience`` consecutive steps (the slide leaves it open). Since
    :math:`Q_k - Q_{k-1} = \lambda(\mathcal{L}_i - Q_{k-1})`, this asks the losses of
    ``patience`` random objects in a row to stay within :math:`\mathrm{tol}/\lambda` of the
    running mean. The loop also stops after ``max_steps`` steps (then ``converged`` is
    False).

    Parameters
    ----------
    net : lecturenn.network.Network
    X, y : array_like
    loss : Loss or str
    lr : float, optional
        The learning rate :math:`\eta`.
    lam : float, optional
        The forgetting rate :math:`\lambda \in (0, 1]`; default :math:`1/\ell`, so :math:`Q`
        averages over about the last :math:`\ell` objects.
    rng : numpy.random.Generator or int, optional
    tol : float, optional
    patience : int, optional
        Default :math:`\ell` (the number of objects).
    max_steps : int, optional

    Returns
    -------
    SGHistory
        The running estimate :math:`Q` after every step, the losses and indices of the
        chosen objects, the number of steps and whether :math:`Q` stabilised; ``net`` is
        trained in place.

    The data and the weights are checked once before the loop; the steps themselves run
    unchecked (``loss_and_grad(..., check=False)`` and a plain update: the hot path).

    Raises
    ------
    FloatingPointError
        If a loss becomes NaN or infinite (the message names the step and the parameter
        that diverged).
    """
    _check_network(net, "sg_backprop")
    loss = get_loss(loss)
    X, y = _prepare(net, X, y, loss)
    n = X.shape[0]
    lr = check_positive("lr", lr)
    lam = 1.0 / n if lam is None else check_in_range("lam", lam, 0.0, 1.0, closed_low=False,
                                                      closed_high=True)
    tol = check_positive("tol", tol)
    patience = n if patience is None else check_int("patience", patience, minimum=1)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    gen = check_rng(rng)
    params = net.parameters()
    check_parameters_finite(params, "sg_backprop")

    was = net.training
    net.training = False
    try:
        Q = float(np.mean(loss.per_object(net._forward(X, False), y)))
    finally:
        net.training = was
    hist = SGHistory(Q=[Q])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _sg_loop(net, X, y, loss, params, lr, lam, tol, patience, max_steps, gen, Q, hist)
    return hist


def _sg_diverged(Li, k, i, params) -> FloatingPointError:
    bad = nonfinite_parameter(params)  # the weights were finite before the loop
    return FloatingPointError(f"the loss became {Li} at step {k} (object {i})"
                              + (f": {bad}" if bad else "")
                              + "; the steps diverged: lower the learning rate")


def _sg_loop(net, X, y, loss, params, lr, lam, tol, patience, max_steps, gen, Q, hist):
    r"""The loop of :func:`sg_backprop`: pick, BackProp, step, update :math:`Q`, stop rule."""
    n = X.shape[0]
    calm = 0
    for k in range(1, max_steps + 1):
        i = int(gen.integers(n))
        Li = net.loss_and_grad(X[i:i + 1], y[i:i + 1], loss, check=False)
        if not np.isfinite(Li):
            raise _sg_diverged(Li, k, i, params)
        for p in params:
            p.data -= lr * p.grad
            if p.mask is not None:  # a deleted weight (lecturenn.pruning) stays zero
                np.multiply(p.data, p.mask, out=p.data)
        Q_new = (1 - lam) * Q + lam * Li
        calm = calm + 1 if abs(Q_new - Q) < tol else 0
        Q = Q_new
        hist.Q.append(Q)
        hist.L.append(Li)
        hist.indices.append(i)
        hist.steps = k
        if calm >= patience:
            hist.converged = True
            break
