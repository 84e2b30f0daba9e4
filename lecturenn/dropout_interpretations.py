r"""The three interpretations of dropout, each turned into a measurement.

Slide «Интерпретации Dropout»:

1. *regularization*: of all networks, choose one that is robust to the loss of :math:`pN`
   neurons. Measured by :func:`deletion_accuracy` (through :func:`masked_forward`): the
   accuracy of a trained network when a random share of its hidden units is deleted (their
   outputs set to 0).
2. *less co-adaptation*: the parts of the network solve the task themselves instead of
   compensating each other's errors. Hinton et al. (2012) call a unit co-adapted when it
   "is only helpful in the context of several other specific" units; that is a statement
   about deletions, measured by :func:`deletion_interactions`: how much the damage of
   deleting two units together differs from the sum of the damages of deleting each alone.
   :func:`unit_correlations` gives the more common proxy, the correlation of the units'
   outputs.
3. *an approximate vote of* :math:`2^N` *networks with shared weights*: the thinned networks
   (:func:`thinned_forward`, one per mask :math:`\xi \in \{0, 1\}^N`). :func:`exact_ensemble`
   enumerates all :math:`2^N` masks of one dropout layer and returns the arithmetic mean of
   the thinned networks' class probabilities, their normalised geometric mean and the
   application-time network (the *weight scaling rule*); :func:`monte_carlo_ensemble`
   averages :math:`k` sampled thinned networks instead.

Each thinned network has the probability :math:`P(\xi) = \prod_h p^{1-\xi_h}(1-p)^{\xi_h}`
(:func:`mask_probabilities`); the ensemble of Srivastava et al. (2014) is weighted by it,
which is a plain (equal-weight) vote only for :math:`p = 1/2`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lecturenn._validation import as_float_array, check_bool, check_int, check_rng, describe
from lecturenn.dropout import Dropout, check_drop_probability
from lecturenn.layers import Dense

__all__ = [
    "dropout_layers",
    "hidden_layers",
    "masked_forward",
    "deletion_accuracy",
    "thinned_forward",
    "all_masks",
    "mask_probabilities",
    "log_probabilities",
    "EnsembleAverages",
    "exact_ensemble",
    "monte_carlo_ensemble",
    "deletion_interactions",
    "unit_correlations",
]

#: the largest layer :func:`all_masks` enumerates (2**20 masks)
MAX_ENUMERATED_UNITS = 20


def dropout_layers(net) -> list[int]:
    """The indices in ``net.layers`` of its :class:`~lecturenn.dropout.Dropout` layers."""
    return [i for i, lay in enumerate(net.layers) if isinstance(lay, Dropout)]


def hidden_layers(net) -> list[int]:
    """The indices in ``net.layers`` of its hidden :class:`~lecturenn.layers.Dense` layers.

    Every ``Dense`` layer but the last (the output layer): the layers whose units
    :func:`deletion_accuracy` deletes in «Robustness to lost neurons».

    >>> from lecturenn.dropout import dropout_network
    >>> hidden_layers(dropout_network([4, 8, 8, 3], p=0.5, p_input=0.2))
    [1, 3]
    """
    layers = getattr(net, "layers", None)
    if not isinstance(layers, (list, tuple)):
        raise TypeError(f"net must be a Network (with .layers), got {describe(net)}")
    return [i for i, lay in enumerate(layers) if isinstance(lay, Dense)][:-1]


def _layer_index(net, layer, what="layer") -> int:
    n = len(net.layers)
    layer = check_int(what, layer)
    if not -n <= layer < n:
        raise ValueError(f"{what} must index one of the network's {n} layers, got {layer}")
    return layer % n


def masked_forward(net, X, multipliers) -> np.ndarray:
    r"""The network's output at application, with the outputs of some layers multiplied.

    Every layer runs in inference mode (``train=False``); after layer :math:`l` the output
    :math:`x^l` is multiplied entrywise by ``multipliers[l]``. A 0/1 vector deletes units
    (:math:`x^l_h = 0` for the zeros), the brain damage of the slide's first
    interpretation.

    Parameters
    ----------
    net : lecturenn.network.Network
    X : array_like, shape (n, H_0)
    multipliers : dict
        ``{layer index: array}``, each array of shape ``(H_l,)`` (the same for every object)
        or ``(n, H_l)``, finite.

    Returns
    -------
    numpy.ndarray
        The output, shape ``(n, H_L)``.
    """
    X = net._check_input(X)
    if not isinstance(multipliers, dict):
        raise TypeError(f"multipliers must be a dict {{layer index: array}}, "
                        f"got {describe(multipliers)}")
    mult = {}
    for key, m in multipliers.items():
        l = _layer_index(net, key, "a key of multipliers")
        width = net.layers[l].n_out
        m = as_float_array(f"multipliers[{key}]", m, ndim=(1, 2), dtype=X.dtype)
        if m.shape[-1] != width or (m.ndim == 2 and m.shape[0] != X.shape[0]):
            raise ValueError(f"multipliers[{key}] must have shape ({width},) or "
                             f"({X.shape[0]}, {width}), got {m.shape}")
        mult[l] = m
    for l, lay in enumerate(net.layers):
        X = lay.forward(X, False)
        if l in mult:
            X = X * mult[l]
    return X


def deletion_accuracy(net, X, y, layers, fraction: float, n_draws: int = 10, rng=0,
                      rescale: bool = False) -> np.ndarray:
    r"""Accuracy of ``net`` when a random share of the units of some layers is deleted.

    For each of ``n_draws`` draws, :math:`\lfloor fN\rfloor` units of each layer in
    ``layers`` (:math:`N` its width, :math:`f` = ``fraction``) are chosen at random and
    their outputs set to 0 (:func:`masked_forward`); the accuracy of the class scores
    (argmax) on ``(X, y)`` is recorded. The slide's first interpretation: a network trained
    with dropout should lose less when :math:`pN` neurons are lost.

    Parameters
    ----------
    net : lecturenn.network.Network
        A classifier whose outputs are class scores (argmax over :math:`M \ge 2` outputs).
    X, y : array_like
        Objects and integer class labels in :math:`0..M-1`, shape ``(n,)`` (or ``(n, 1)``).
    layers : int or sequence of int
        Index (indices) of the layers whose units are deleted (e.g. the hidden dense layers);
        at least one.
    fraction : float
        :math:`0 \le f < 1`.
    n_draws : int, optional
    rng : numpy.random.Generator or int, optional
    rescale : bool, optional
        Multiply the surviving units by :math:`N/(N - \lfloor fN\rfloor)` (as inverted dropout
        does at training), instead of only deleting.

    Returns
    -------
    numpy.ndarray
        The ``n_draws`` accuracies.
    """
    from lecturenn.losses import SoftmaxCrossEntropy

    gen = check_rng(rng)
    n_draws = check_int("n_draws", n_draws, minimum=1)
    f = check_drop_probability("fraction", fraction)
    rescale = check_bool("rescale", rescale)
    X = net._check_input(X)
    # the labels as the cross-entropy checks them: (n,) integers in 0..M-1 (a column (n, 1)
    # would otherwise broadcast against the (n,) predictions into an (n, n) comparison)
    y = SoftmaxCrossEntropy().prepare_target(y, (X.shape[0], net.layers[-1].n_out))
    if isinstance(layers, (int, np.integer)):
        layers = [layers]
    elif isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a layer index or a sequence of them, "
                        f"got {describe(layers)}")
    ids = [_layer_index(net, j, "layers") for j in layers]
    if not ids:
        raise ValueError("layers must name at least one layer whose units are deleted, got []")
    acc = np.empty(n_draws)
    for r in range(n_draws):
        mult = {}
        for j in ids:
            width = net.layers[j].n_out
            k = int(np.floor(f * width))
            keep = np.ones(width)
            keep[gen.choice(width, k, replace=False)] = 0.0
            mult[j] = keep * (width / (width - k)) if rescale else keep
        acc[r] = np.mean(masked_forward(net, X, mult).argmax(axis=1) == y)
    return acc


def thinned_forward(net, X, masks) -> np.ndarray:
    r"""The output of the thinned network with the masks :math:`\xi` at the dropout layers.

    Exactly what the training forward pass computes with these masks: the kept units of a
    dropout layer are multiplied by :math:`1/(1-p)` in the inverted form and by 1 in the
    original one. In both forms that is :math:`\xi/(1-p)` times the layer's
    application-time output, which is how it is computed (by :func:`masked_forward`, so
    every other layer stays in inference mode). Dropout layers not in ``masks`` keep their
    application-time behaviour.

    Parameters
    ----------
    net : lecturenn.network.Network
    X : array_like, shape (n, H_0)
    masks : dict
        ``{index of a Dropout layer: xi}``, ``xi`` Boolean (or 0/1) of shape ``(H_l,)`` or
        ``(n, H_l)``; 1 = kept.
    """
    if not isinstance(masks, dict):
        raise TypeError(f"masks must be a dict {{index of a Dropout layer: mask}}, "
                        f"got {describe(masks)}")
    mult = {}
    for key, xi in masks.items():
        l = _layer_index(net, key, "a key of masks")
        lay = net.layers[l]
        if not isinstance(lay, Dropout):
            raise ValueError(f"masks[{key}]: layer {l} is {lay!r}, not a Dropout layer; the "
                             f"network's dropout layers are {dropout_layers(net)}")
        xi = np.asarray(xi)
        if not (xi.dtype == bool or np.all((xi == 0) | (xi == 1))):
            raise ValueError(f"masks[{key}] must be Boolean (0/1), got {describe(xi)}")
        mult[l] = xi / (1.0 - lay.p)
    return masked_forward(net, X, mult)


def all_masks(n_units: int) -> np.ndarray:
    r"""All :math:`2^N` masks :math:`\xi \in \{0, 1\}^N`, one per row, in binary order.

    Row :math:`r` holds the binary digits of :math:`r` (unit 0 is the lowest bit). Boolean
    array of shape ``(2**N, N)``; :math:`N \le 20`.
    """
    n = check_int("n_units", n_units, minimum=1)
    if n > MAX_ENUMERATED_UNITS:
        raise ValueError(f"n_units = {n} gives 2^{n} masks; all_masks enumerates at most "
                         f"N = {MAX_ENUMERATED_UNITS} (use monte_carlo_ensemble instead)")
    r = np.arange(2**n)[:, None]
    return ((r >> np.arange(n)) & 1).astype(bool)


def mask_probabilities(masks, p: float) -> np.ndarray:
    r""":math:`P(\xi) = p^{\#\text{dropped}}(1-p)^{\#\text{kept}}` of each mask (one per row)."""
    p = check_drop_probability("p", p)
    m = np.asarray(masks)
    if m.ndim != 2 or not (m.dtype == bool or np.all((m == 0) | (m == 1))):
        raise ValueError(f"masks must be a 2-d Boolean array (one mask per row), got "
                         f"{describe(m)}")
    kept = m.sum(axis=1)
    return (1.0 - p) ** kept * p ** (m.shape[1] - kept)


def log_probabilities(scores) -> np.ndarray:
    r"""Log class probabilities of the network's scores: log-softmax, or for one output the
    two classes :math:`(\ln\sigma(-a), \ln\sigma(a))` of the logistic model.

    ``scores`` is a finite array of shape ``(n, M)``, one row per object."""
    a = as_float_array("scores", scores, ndim=2)
    if a.shape[1] == 1:
        a = np.concatenate([-a, a], axis=1) / 2  # softmax of (-a/2, a/2) is (sigma(-a), sigma(a))
    s = a - a.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


@dataclass
class EnsembleAverages:
    r"""What :func:`exact_ensemble` returns: three predictions of class probabilities.

    Attributes
    ----------
    arithmetic : numpy.ndarray
        :math:`\sum_\xi P(\xi)\,a(x; \xi)`, the mean of the thinned networks' probabilities.
    geometric : numpy.ndarray
        The normalised weighted geometric mean
        :math:`\prod_\xi a(x;\xi)^{P(\xi)} / \sum_m \prod_\xi a_m(x;\xi)^{P(\xi)}`.
    weight_scaling : numpy.ndarray
        The probabilities of the application-time network (every unit kept, scaled by
        :math:`1-p` or trained with :math:`1/(1-p)`).
    n_masks : int
        :math:`2^N`.
    """

    arithmetic: np.ndarray
    geometric: np.ndarray
    weight_scaling: np.ndarray
    n_masks: int


def exact_ensemble(net, X, layers) -> EnsembleAverages:
    r"""Average all :math:`2^N` thinned networks of one (or more) dropout layers, exactly.

    Enumerates every mask :math:`\xi \in \{0,1\}^N` of the
    :class:`~lecturenn.dropout.Dropout` layers ``net.layers[l]``, ``l`` in ``layers``
    (:math:`N` their total width; the same mask for every object, as a thinned network is one
    network), weighs it by :math:`P(\xi)` (each layer with its own :math:`p`) and returns the
    arithmetic and the normalised geometric mean of the class probabilities, with the weight
    scaling rule's prediction. Other dropout layers stay at their application-time behaviour.
    The network's outputs are read as class scores (softmax over :math:`M \ge 2` outputs, the
    sigmoid for one).

    Parameters
    ----------
    net : lecturenn.network.Network
    X : array_like, shape (n, H_0)
    layers : int or list of int
        The index (indices) of dropout layers with :math:`N \le 20` units in total (one
        forward pass per mask: :math:`2^{12}` masks of a small network take about a second).
    """
    ids = [layers] if isinstance(layers, (int, np.integer)) else list(layers)
    ids = [_layer_index(net, j, "layers") for j in ids]
    if not ids or len(set(ids)) != len(ids):
        raise ValueError(f"layers must name distinct dropout layers, got {describe(layers)}")
    for j in ids:
        if not isinstance(net.layers[j], Dropout):
            raise ValueError(f"layer {j} is {net.layers[j]!r}, not a Dropout layer; the "
                             f"network's dropout layers are {dropout_layers(net)}")
    X = net._check_input(X)
    widths = [net.layers[j].n_units for j in ids]
    masks = all_masks(sum(widths))
    probs = np.ones(len(masks))
    bounds = np.cumsum([0, *widths])
    for j, lo, hi in zip(ids, bounds[:-1], bounds[1:], strict=True):
        probs *= mask_probabilities(masks[:, lo:hi], net.layers[j].p)
    arith = geo = None
    for xi, pr in zip(masks, probs, strict=True):
        parts = {j: xi[lo:hi] for j, lo, hi in zip(ids, bounds[:-1], bounds[1:], strict=True)}
        logp = log_probabilities(thinned_forward(net, X, parts))
        if arith is None:
            arith, geo = np.zeros_like(logp), np.zeros_like(logp)
        arith += pr * np.exp(logp)
        geo += pr * logp
    geometric = np.exp(log_probabilities(geo))  # normalising = softmax of the mean log
    ws = np.exp(log_probabilities(masked_forward(net, X, {})))
    return EnsembleAverages(arith, geometric, ws, len(masks))


def monte_carlo_ensemble(net, X, n_samples: int, rng=0, layers=None,
                         cumulative: bool = False) -> np.ndarray:
    r"""The mean class probabilities of ``n_samples`` randomly thinned networks.

    For every sample, a mask is drawn for every object and every dropout layer of
    ``layers`` (all of them by default) with its own :math:`p`, as at training; the
    thinned network's probabilities are averaged (the Monte-Carlo model averaging of
    Srivastava et al. 2014, §7.5). An unbiased estimate of the arithmetic ensemble mean of
    :func:`exact_ensemble`, with a standard error shrinking as :math:`1/\sqrt k`.

    Parameters
    ----------
    net : lecturenn.network.Network
    X : array_like, shape (n, H_0)
    n_samples : int
        :math:`k \ge 1`.
    rng : numpy.random.Generator or int, optional
    layers : list of int, optional
        Indices of the dropout layers to sample (the others stay at application mode).
    cumulative : bool, optional
        Return the running means after :math:`1, 2, \dots, k` samples, shape ``(k, n, M)``,
        instead of the final one ``(n, M)``.
    """
    k = check_int("n_samples", n_samples, minimum=1)
    cumulative = check_bool("cumulative", cumulative)
    gen = check_rng(rng)
    X = net._check_input(X)
    layers = dropout_layers(net) if layers is None else [_layer_index(net, j) for j in layers]
    for j in layers:
        if not isinstance(net.layers[j], Dropout):
            raise ValueError(f"layer {j} is {net.layers[j]!r}, not a Dropout layer")
    if not layers:
        raise ValueError("the network has no Dropout layer to sample")
    total, means = None, []
    for s in range(1, k + 1):
        masks = {j: gen.random((X.shape[0], net.layers[j].n_units)) >= net.layers[j].p
                 for j in layers}
        prob = np.exp(log_probabilities(thinned_forward(net, X, masks)))
        total = prob if total is None else total + prob
        if cumulative:
            means.append(total / s)
    return np.stack(means) if cumulative else total / k


def _loss_of(net, X, y, loss, multipliers):
    return float(np.mean(loss.per_object(masked_forward(net, X, multipliers), y)))


def deletion_interactions(net, X, y, loss, layer: int, units=None) -> dict:
    r"""Co-adaptation measured by deletions: :math:`I_{hk} = \Delta_{hk} - \Delta_h - \Delta_k`.

    :math:`\Delta_h` is the increase of the mean loss :math:`Q` on ``(X, y)`` when unit
    :math:`h` of layer ``layer`` is deleted (its output set to 0 at application),
    :math:`\Delta_{hk}` when :math:`h` and :math:`k` are deleted together. For units that
    work on their own the damages add up, :math:`I_{hk} = 0`; :math:`I_{hk} < 0` means the
    pair does less harm than its parts (each compensates what the other does: they are
    co-adapted), :math:`I_{hk} > 0` that they back each other up (redundant).

    Parameters
    ----------
    net : lecturenn.network.Network
    X, y : array_like
    loss : Loss or str
    layer : int
        The index of the layer whose units are deleted.
    units : sequence of int, optional
        The units to probe (all of the layer's by default; the cost is one forward pass per
        pair).

    Returns
    -------
    dict
        ``"base"`` (:math:`Q` of the whole network), ``"single"`` (:math:`\Delta_h`, shape
        ``(u,)``), ``"pair"`` (:math:`\Delta_{hk}`, ``(u, u)``, zero diagonal),
        ``"interaction"`` (:math:`I_{hk}`, ``(u, u)``, zero diagonal) and ``"units"``.
    """
    from lecturenn.losses import get_loss

    loss = get_loss(loss)
    l = _layer_index(net, layer)
    width = net.layers[l].n_out
    X = net._check_input(X)
    out = masked_forward(net, X, {})
    y = loss.prepare_target(y, out.shape, out.dtype)
    units = np.arange(width) if units is None else np.asarray(units)
    if units.ndim != 1 or not np.issubdtype(units.dtype, np.integer) or units.size < 2 \
            or np.any((units < 0) | (units >= width)) or len(set(units.tolist())) != units.size:
        raise ValueError(f"units must be at least two distinct unit indices in 0..{width - 1}, "
                         f"got {describe(units)}")
    base = _loss_of(net, X, y, loss, {})
    u = units.size
    single = np.empty(u)
    for a, h in enumerate(units):
        keep = np.ones(width)
        keep[h] = 0
        single[a] = _loss_of(net, X, y, loss, {l: keep}) - base
    pair = np.zeros((u, u))
    for a in range(u):
        for b in range(a + 1, u):
            keep = np.ones(width)
            keep[[units[a], units[b]]] = 0
            pair[a, b] = pair[b, a] = _loss_of(net, X, y, loss, {l: keep}) - base
    inter = pair - single[:, None] - single[None, :]
    np.fill_diagonal(inter, 0.0)
    return {"base": base, "single": single, "pair": pair, "interaction": inter,
            "units": units}


def unit_correlations(net, X, layer: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Correlations of the outputs of a layer's units over the objects ``X`` (application).

    Returns ``(C, alive)``: the correlation matrix of the units whose output varies over
    ``X`` (a dead ReLU, constant 0, has no correlation) and the Boolean mask of those units.
    """
    l = _layer_index(net, layer)
    X = net._check_input(X)
    for lay in net.layers[: l + 1]:
        X = lay.forward(X, False)
    alive = X.std(axis=0) > 1e-12
    if alive.sum() < 2:
        raise ValueError(f"layer {l} has fewer than two units whose output varies over X")
    return np.corrcoef(X[:, alive], rowvar=False), alive
