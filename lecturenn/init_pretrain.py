r"""Initialisation by training: items 3 and 4 of the slide «Эвристики для начального приближения».

**Item 3**, «послойное обучение нейронов как линейных моделей»: each neuron :math:`h` of a
layer is trained on its own as a linear model, here an :math:`L_2`-regularised logistic
regression of one class against the others (class :math:`h \bmod K`),

.. math::

    w_h = \arg\min_w \frac{1}{|X'_h|}\sum_{x_i \in X'_h}
          \ln\bigl(1 + e^{-y_{ih}\langle w, x_i\rangle}\bigr) + \frac{\lambda}{2}\|w\|^2,
    \qquad y_{ih} = \pm1,

by ``epochs`` steps of full-batch gradient descent, all neurons of a layer at once. What makes
the neurons of one class differ («тем самым обеспечивается различность нейронов») is one of
the slide's three sources (``source``):

``"subsample"``
    a random subsample :math:`X'_h \subseteq X^\ell` of a ``fraction`` of the objects;
``"features"``
    a random subset of a ``fraction`` of the inputs (the other weights stay 0);
``"starts"``
    all objects and inputs, from a random start :math:`N(0, 1/H_{l-1})`. The penalised
    problem is strictly convex, so the neurons of one class differ only as long as the
    descent has not converged: this source works only through early stopping.

The layers are trained one after the other (:func:`linear_neurons_network`): layer
:math:`l` on the outputs :math:`x^{l-1}` of the layers below it, the output layer as well
(its unit :math:`c` on class :math:`c`). The idea is that of greedy layer-wise pre-training
(Bengio et al. 2007, who train each layer as an auto-encoder or, as here, on the task).

**Item 4**, «инициализация весами предобученной модели»: :func:`transfer_network` copies the
hidden layers of a network trained on another task and draws a new output layer.

:func:`init_experiment` is the fair comparison the chapter runs: the same architecture,
optimizer, batches and number of epochs for every initialisation, over several seeds, test
accuracy after every epoch.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_bool,
    check_callable,
    check_choice,
    check_in_range,
    check_int,
    check_int_sequence,
    check_positive,
    check_rng,
    describe,
)
from lecturenn.layers import Dense
from lecturenn.network import Network

__all__ = [
    "SOURCES",
    "linear_neurons",
    "linear_neurons_network",
    "transfer_network",
    "init_experiment",
]

#: the sources of diversity of item 3
SOURCES = ("subsample", "features", "starts")


def _labels(y, n):
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be {n} integer class labels 0..K-1 (one per row of X), got "
                         f"{describe(y)}")
    if y.min() < 0:
        raise ValueError(f"y must hold class labels 0..K-1, got the label {int(y.min())}")
    return y


def _objects(X, y, x_name, y_name):
    """``X`` a finite 2-d array, ``y`` finite with one entry per row; errors name the arguments."""
    X = as_float_array(x_name, X, ndim=2)
    n_y = len(as_float_array(y_name, y, ndim=(1, 2)))
    if n_y != X.shape[0]:
        raise ValueError(f"{y_name} has {n_y} entries but {x_name} has {X.shape[0]} rows")
    return X, np.asarray(y)


def linear_neurons(X, y, n_units, source="subsample", fraction=0.5, epochs=100, lr=1.0,
                   lam=1e-3, rng=0, n_classes=None, unit_scale=True) -> np.ndarray:
    r"""Train ``n_units`` neurons one by one as linear models; return :math:`W` of a Dense layer.

    Slide «Эвристики для начального приближения», item 3 (see the module's docstring for
    the problem each neuron solves and the three ``source`` values). Neuron :math:`h`
    separates class :math:`h \bmod K` from the rest.

    Parameters
    ----------
    X : array_like
        The inputs of the layer, ``(n, n_in)``, finite.
    y : array_like of int
        Class labels ``0..K-1``.
    n_units : int
        :math:`H_l`.
    source : str, optional
        ``"subsample"``, ``"features"`` or ``"starts"``.
    fraction : float, optional
        The share of objects (``"subsample"``) or of inputs (``"features"``), in (0, 1].
    epochs : int, optional
        Gradient steps (each one a pass over the neuron's objects).
    lr, lam : float, optional
        The step and :math:`\lambda` (the thresholds are not penalised).
    rng : numpy.random.Generator or int, optional
    n_classes : int, optional
        :math:`K`; ``max(y) + 1`` by default.
    unit_scale : bool, optional
        Divide each neuron's :math:`(w_h, w_{0h})` by the root mean square of its score
        :math:`S_h` over ``X`` (the default): the hyperplane stays, and :math:`S_h` gets the
        unit second moment of item 1. A trained classifier is confident: without this its scores
        are large and a ``tanh`` layer built from it saturates (:math:`|x| \approx 1`), which
        stops BackProp (:math:`\sigma' \approx 0`).

    Returns
    -------
    numpy.ndarray
        ``(n_in + 1, n_units)`` in the layout of :class:`lecturenn.layers.Dense` (row 0 the
        thresholds, :math:`S = xW_{1:} - W_0`).
    """
    X = as_float_array("X", X, ndim=2)
    n, d = X.shape
    y = _labels(y, n)
    n_units = check_int("n_units", n_units, minimum=1)
    source = check_choice("source", source, SOURCES)
    fraction = check_in_range("fraction", fraction, 0.0, 1.0, closed_low=False, closed_high=True)
    epochs = check_int("epochs", epochs, minimum=0)
    lr = check_positive("lr", lr)
    lam = check_positive("lam", lam, strict=False)
    K = int(y.max()) + 1 if n_classes is None else check_int("n_classes", n_classes, minimum=2)
    if y.max() >= K:
        raise ValueError(f"y holds the label {int(y.max())}, not below n_classes = {K}")
    gen = check_rng(rng)
    target = np.where(y[:, None] == (np.arange(n_units) % K)[None, :], 1.0, -1.0)  # (n, H)
    obj_mask = np.ones((n, n_units))
    feat_mask = np.ones((d, n_units))
    W = np.zeros((d, n_units))
    b = np.zeros(n_units)  # the threshold w_0 (S = x w - w_0)
    if source == "subsample":
        m = max(1, round(fraction * n))
        obj_mask = np.zeros((n, n_units))
        for h in range(n_units):
            obj_mask[gen.choice(n, size=m, replace=False), h] = 1.0
    elif source == "features":
        k = max(1, round(fraction * d))
        feat_mask = np.zeros((d, n_units))
        for h in range(n_units):
            feat_mask[gen.choice(d, size=k, replace=False), h] = 1.0
    else:
        W = gen.normal(0.0, 1.0 / np.sqrt(d), size=(d, n_units))
    counts = obj_mask.sum(axis=0)
    for _ in range(epochs):
        margin = target * (X @ W - b)
        # d/ds ln(1 + e^{-t s}) = -t sigma(-t s), over each neuron's own objects
        g = -target * 0.5 * (1.0 - np.tanh(margin / 2)) * obj_mask / counts
        W -= lr * ((X.T @ g) * feat_mask + lam * W)
        b -= lr * (-g.sum(axis=0))
    if check_bool("unit_scale", unit_scale):
        sd = np.sqrt(np.mean((X @ W - b) ** 2, axis=0))
        sd[sd == 0] = 1.0  # a neuron that is 0 on all of X keeps its weights
        W, b = W / sd, b / sd
    out = np.empty((d + 1, n_units))
    out[0], out[1:] = b, W
    return out


def linear_neurons_network(widths, X, y, activation="tanh", rng=0, **kwargs) -> Network:
    r"""A network whose every layer is trained as :func:`linear_neurons` on the layer below.

    Layer :math:`l = 1, \dots, L` gets :math:`W^l =` ``linear_neurons(x^{l-1}, y, H_l, ...)``
    with :math:`x^0 = X` and :math:`x^{l-1}` the outputs of the layers already built (item
    3 of the slide: «послойное обучение»). The output layer (identity, scores for the
    softmax) has :math:`H_L = K` units, unit :math:`c` trained on class :math:`c`. The
    keyword arguments go to :func:`linear_neurons` (``source``, ``fraction``, ``epochs``,
    ``lr``, ``lam``).
    """
    widths = check_int_sequence("widths", widths, minimum=1)
    if len(widths) < 2:
        raise ValueError(f"widths needs at least [H_0, H_1], got {widths}")
    X = as_float_array("X", X, ndim=2)
    if X.shape[1] != widths[0]:
        raise ValueError(f"X has {X.shape[1]} columns, widths[0] = {widths[0]}")
    gen = check_rng(rng)
    layers, h = [], X
    K = int(_labels(y, X.shape[0]).max()) + 1
    for i in range(len(widths) - 1):
        last = i == len(widths) - 2
        W = linear_neurons(h, y, widths[i + 1], rng=gen, n_classes=max(K, 2), **kwargs)
        layer = Dense(widths[i], widths[i + 1], "identity" if last else activation, W=W)
        layers.append(layer)
        h = layer.forward(h)
    return Network(layers)


def transfer_network(source: Network, n_out, rng=0, init="glorot_uniform") -> Network:
    r"""Item 4: the hidden layers of a trained ``source`` (copied), a new output layer of ``n_out``.

    The new output layer has the activation of the source's and weights drawn by ``init``
    (a name of :data:`lecturenn.init.INITS` or a callable); the source is not changed.
    """
    if not isinstance(source, Network):
        raise TypeError(f"source must be a Network, got {describe(source)}")
    n_out = check_int("n_out", n_out, minimum=1)
    dense = [layer for layer in source.layers if isinstance(layer, Dense)]
    if len(dense) != len(source.layers) or len(dense) < 2:
        raise ValueError("source must be a Network of at least two Dense layers")
    layers = [Dense(d.n_in, d.n_out, d.activation.config(), W=d.W.data) for d in dense[:-1]]
    last = dense[-1]
    layers.append(Dense(last.n_in, n_out, last.activation.config(), rng=rng, init=init))
    return Network(layers)


def init_experiment(build, X_train, y_train, X_test, y_test, seeds=(0, 1, 2, 3, 4), epochs=10,
                    optimizer=None, batch_size=32, loss="cross_entropy") -> np.ndarray:
    r"""Test accuracy after 0, 1, ..., ``epochs`` epochs, per seed: ``(len(seeds), epochs + 1)``.

    ``build(seed) -> Network`` makes the initial network (its initialisation is the only
    thing that differs between the arms of an experiment); ``optimizer(params)`` makes the
    optimizer (``lecturenn.optim.Adam(params, lr=1e-2)`` by default). The batches of seed
    :math:`s` are drawn from ``default_rng(s)`` in every arm, so two arms see the same
    sequence of batches.
    """
    from lecturenn import optim
    from lecturenn.training import evaluate, fit

    check_callable("build", build, "build(seed) -> Network")
    X_train, y_train = _objects(X_train, y_train, "X_train", "y_train")
    X_test, y_test = _objects(X_test, y_test, "X_test", "y_test")
    epochs = check_int("epochs", epochs, minimum=0)
    seeds = check_int_sequence("seeds", seeds, minimum=0)
    make_opt = (lambda p: optim.Adam(p, lr=1e-2)) if optimizer is None else optimizer
    check_callable("optimizer", make_opt, "optimizer(params) -> Optimizer")
    acc = np.empty((len(seeds), epochs + 1))
    for i, s in enumerate(seeds):
        net = build(s)
        if not isinstance(net, Network):
            raise TypeError(f"build(seed) must return a Network, got {describe(net)}")
        opt = make_opt(net.parameters())
        gen = np.random.default_rng(s)
        acc[i, 0] = evaluate(net, X_test, y_test, loss, metrics=("accuracy",))["accuracy"]
        for e in range(epochs):
            fit(net, X_train, y_train, loss, opt, epochs=1, batch_size=batch_size, rng=gen)
            acc[i, e + 1] = evaluate(net, X_test, y_test, loss, metrics=("accuracy",))["accuracy"]
    return acc
