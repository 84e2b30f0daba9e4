r"""Optimal Brain Damage: second derivatives by a backward pass, saliences, pruning.

Slides «Прореживание сети (OBD — Optimal Brain Damage)» (LeCun, Denker and Solla, 1989).

At a minimum :math:`w` of :math:`Q` the change of :math:`Q` under a change :math:`\delta` of
the weights is, to second order, :math:`\tfrac12\delta^\top Q''(w)\,\delta`. Deleting the
weight :math:`w_k` is :math:`\delta = -w_k e_k`, so it costs

.. math::

    s_k = \tfrac12\, h_{kk}\, w_k^2, \qquad h_{kk} = \frac{\partial^2 Q}{\partial w_k^2},

the **salience** of :math:`w_k` (:func:`saliences`; the paper's :math:`s_k = h_{kk}u_k^2/2`
for a parameter :math:`u_k`; the slide drops the :math:`\tfrac12`, see the chapter's
erratum). Away from a minimum the expansion has the first-order term too:
:math:`-g_k w_k + \tfrac12 h_{kk} w_k^2` with :math:`g_k = \partial Q/\partial w_k`
(``first_order=True``).

**The diagonal by a second backward pass** (:func:`hessian_diagonal`), the paper's
recurrence for a unit :math:`h` of layer :math:`l` with the weighted sum
:math:`S^l_h` and the output :math:`x^l_h = \sigma(S^l_h)`, per object:

.. math::

    \frac{\partial^2 \mathcal{L}}{\partial (w^l_{kh})^2}
        = \frac{\partial^2 \mathcal{L}}{\partial (S^l_h)^2}\,(x^{l-1}_k)^2, \qquad
    \frac{\partial^2 \mathcal{L}}{\partial (S^{l}_k)^2}
        \approx \sigma'(S^{l}_k)^2 \sum_h (w^{l+1}_{kh})^2
            \frac{\partial^2 \mathcal{L}}{\partial (S^{l+1}_h)^2}
        + \sigma''(S^{l}_k)\,\frac{\partial \mathcal{L}}{\partial x^{l}_k},

started at the output by the loss's own second derivatives
(:meth:`lecturenn.losses.Loss.hessian_diag`) and averaged over the objects. The first
equation is exact; the second drops the cross terms
:math:`\partial^2\mathcal{L}/\partial S^{l+1}_h\partial S^{l+1}_{h'}`, :math:`h \ne h'`, of
the units of the next layer (``approximation="diagonal"``: exact for the last layer, and for
the first layer of a network with one hidden layer when the loss has a diagonal Hessian over
the outputs). ``approximation="levenberg-marquardt"`` (the default, as OBD is usually run)
also drops the :math:`\sigma''` terms, so that every :math:`h_{kk} \ge 0` for the convex
losses of :mod:`lecturenn.losses`. The full Hessian for the checks comes from Pearlmutter's
:math:`\mathcal{R}`-operator (:func:`hessian_vector_product`, :func:`hessian`).

**Pruning as masks.** A deleted weight is a ``False`` entry of
:attr:`lecturenn.parameter.Parameter.mask`: it stays zero through training (every
optimizer, weight decay, :func:`lecturenn.training.fit`) and through
:func:`lecturenn.serialization.save` and :func:`lecturenn.serialization.load`.
:func:`prune` deletes the least salient weights (per layer, as the slide orders them, or
globally), :func:`optimal_brain_damage` runs the slide's loop,
:func:`feature_saliences` sums the saliences of an input's weights (:math:`S_j`),
:func:`obs_saliences` gives Hassibi and Stork's Optimal Brain Surgeon for comparison.

Only networks of :class:`lecturenn.layers.Dense` layers with parameter-free activations are
handled; the diagonal concerns the weight matrices :math:`W^l` (thresholds in row 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_bool,
    check_choice,
    check_in_range,
    check_int,
    check_positive,
    check_real,
    check_rng,
    describe,
)
from lecturenn.layers import Dense
from lecturenn.losses import Loss, get_loss
from lecturenn.network import Network

__all__ = [
    "APPROXIMATIONS",
    "hessian_diagonal",
    "hessian_vector_product",
    "hessian",
    "saliences",
    "magnitudes",
    "feature_saliences",
    "count_weights",
    "deletion_order",
    "prune",
    "delete_features",
    "DeletionCurve",
    "deletion_curve",
    "OBDStep",
    "OBDResult",
    "optimal_brain_damage",
    "obs_saliences",
]

#: the second backward passes of :func:`hessian_diagonal`
APPROXIMATIONS = ("levenberg-marquardt", "diagonal")

#: how asymmetric a Hessian :func:`obs_saliences` accepts, relative to its largest entry
OBS_SYMMETRY_RTOL = 1e-8


# -- the network and the data ----------------------------------------------------------------
def _dense_layers(net, where: str) -> list[Dense]:
    if not isinstance(net, Network):
        raise TypeError(f"net of {where} must be a lecturenn.Network, got {describe(net)}")
    for i, lay in enumerate(net.layers):
        if type(lay) is not Dense:
            raise ValueError(f"{where} handles networks of Dense layers only; layer {i} is "
                             f"{lay!r}")
        if lay.activation.parameters():
            raise ValueError(f"{where} handles parameter-free activations only; layer {i} "
                             f"has {lay.activation!r} (its slopes are parameters too)")
    return list(net.layers)


def _weight_names(net) -> list[str]:
    """The names of the weight matrices ``W`` of the layers, in order."""
    by_id = {id(p): name for name, p in net.named_parameters()}
    return [by_id[id(lay.W)] for lay in net.layers]


def _prepare(net, X, y, loss, where):
    layers = _dense_layers(net, where)
    if not isinstance(loss, Loss):
        loss = get_loss(loss)
    X = net._check_input(X)
    y = loss.prepare_target(y, (X.shape[0], net.sizes[-1]), net.dtype)
    return layers, X, y, loss


def _forward(layers, X):
    """``[(x_in, S, x_out), ...]`` for every layer (inference mode)."""
    out = []
    x = X
    for lay in layers:
        x = lay.forward(x, train=False)
        c = lay.cache
        out.append((c.x_in, c.S, c.x_out))
    return out


def _check_curved(loss, where):
    """Refuse a piecewise-linear loss: OBD's quadratic model of it is empty."""
    if loss.piecewise_linear:
        raise ValueError(
            f"{where} cannot use the loss {loss!r}: it is piecewise linear, so its Hessian "
            "over the network's outputs is zero almost everywhere and Optimal Brain "
            "Damage's quadratic model has nothing in it (every salience of the last layer "
            "is 0, and all of them in the Levenberg-Marquardt approximation; pruning would "
            "delete weights by their index); use a loss with curvature (squared, logistic, "
            "cross_entropy), e.g. to rank the weights of a network trained with this one")
    return loss


def _as_array(name: str, value, what: str) -> np.ndarray:
    """``numpy.asarray(value)``, its dtype kept (checked by the caller), or a ``TypeError``
    naming ``name`` for what NumPy cannot make an array of (a ragged list)."""
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise TypeError(f"{name} must be {what}, got {describe(value)}") from exc


def _check_approximation(approximation) -> str:
    return check_choice("approximation", approximation, APPROXIMATIONS)


# -- second derivatives ----------------------------------------------------------------------
def hessian_diagonal(net, X, y, loss, approximation: str = "levenberg-marquardt"
                     ) -> dict[str, np.ndarray]:
    r"""The diagonal :math:`h_{kk} = \partial^2 Q/\partial w_k^2` of every weight matrix.

    One forward pass and two backward passes: the usual one for
    :math:`\partial\mathcal{L}/\partial x^l` and the paper's second one for
    :math:`\partial^2\mathcal{L}/\partial (S^l)^2` (module docstring; LeCun, Denker and
    Solla 1989); :math:`Q = \frac1n\sum_i\mathcal{L}_i` over the
    batch ``X``. Slide «Прореживание сети (OBD)», step 1: «В BackProp вычислять вторые
    производные».

    Parameters
    ----------
    net : lecturenn.Network
        Dense layers with parameter-free activations.
    X, y : array_like
        The objects and targets (checked as :meth:`lecturenn.network.Network.loss_and_grad` does).
    loss : Loss or str
    approximation : str, optional
        ``"levenberg-marquardt"`` (default, the paper's: no :math:`\sigma''` terms, every
        entry :math:`\ge 0`) or ``"diagonal"`` (the recurrence with the :math:`\sigma''`
        terms: it drops only the cross terms between the units of a layer).

    Returns
    -------
    dict
        ``{name: array}`` for the weight matrix of every layer (``"layers.0.W"``, ...),
        each of its shape :math:`(H_{l-1}+1)\times H_l` (row 0: the thresholds).

    Raises
    ------
    ValueError
        For a piecewise-linear loss (absolute, epsilon-insensitive, hinge): its second
        derivatives over the outputs are 0 almost everywhere, so the recurrence starts
        from zero, every salience (:func:`saliences`) of the last layer is 0 (all of them
        with ``"levenberg-marquardt"``) and :func:`prune` would delete weights in index
        order, the thresholds first. :func:`hessian` and :func:`hessian_vector_product`
        still accept these losses (they are exact, not OBD's model).
    """
    approximation = _check_approximation(approximation)
    layers, X, y, loss = _prepare(net, X, y, loss, "hessian_diagonal")
    _check_curved(loss, "hessian_diagonal")
    exact = approximation == "diagonal"
    trace = _forward(layers, X)
    a = trace[-1][2]
    _, g = loss.value_and_grad(a.copy(), y)  # dQ/dx^L (with the 1/n)
    h = loss.hessian_diag(a, y)              # d2Q/d(x^L)^2, the diagonal
    out = {}
    for lay, name, (x_in, S, x_out) in zip(reversed(layers), reversed(_weight_names(net)),
                                          reversed(trace), strict=True):
        act = lay.activation
        f1 = act.derivative(S, x_out)
        hS = f1 * f1 * h
        if exact:
            hS += act.second_derivative(S, x_out) * g
        HW = np.empty_like(lay.W.data)
        HW[0] = hS.sum(axis=0)          # (x_0)^2 = 1
        HW[1:] = (x_in * x_in).T @ hS
        out[name] = HW
        W1 = lay.W.data[1:]
        g = (f1 * g) @ W1.T
        h = hS @ (W1 * W1).T
    return dict(reversed(list(out.items())))


def _as_directions(net, v, names, where) -> list[np.ndarray]:
    if not isinstance(v, Mapping):
        raise TypeError(f"v of {where} must be a dict {{weight name: array}}, got "
                        f"{describe(v)}")
    extra = sorted(str(k) for k in v if k not in names)
    if extra:
        raise ValueError(f"v of {where} names no weight matrix of the network: {extra}; "
                         f"the names are {names}")
    shapes = {name: lay.W.data.shape for name, lay in zip(names, net.layers, strict=True)}
    out = []
    for name in names:
        if name not in v:
            out.append(np.zeros(shapes[name], dtype=net.dtype))
            continue
        arr = np.asarray(v[name], dtype=net.dtype)
        if arr.shape != shapes[name]:
            raise ValueError(f"v[{name!r}] of {where} must have shape {shapes[name]}, got "
                             f"{arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"v[{name!r}] of {where} must be finite")
        out.append(arr)
    return out


def hessian_vector_product(net, X, y, loss, v) -> dict[str, np.ndarray]:
    r"""The product :math:`Q''(w)\,v` of the full Hessian over the weights with a direction.

    Pearlmutter's :math:`\mathcal{R}`-operator (Pearlmutter 1994): the forward and backward
    passes differentiated along :math:`v`, :math:`\mathcal{R}\{f\} = \frac{d}{dt}
    f(w + t v)|_{t=0}`, with :math:`\mathcal{R}\{S^l\} = \mathcal{R}\{x^{l-1}\}W^l +
    [-1, x^{l-1}]V^l`, :math:`\mathcal{R}\{x^l\} = \sigma'(S^l)\mathcal{R}\{S^l\}`, at the
    output :math:`\mathcal{R}\{\partial Q/\partial x^L\}` =
    :meth:`lecturenn.losses.Loss.hessian_vector`, and backwards
    :math:`\mathcal{R}\{\delta^l\} = \sigma''(S^l)\mathcal{R}\{S^l\}\odot g^l +
    \sigma'(S^l)\odot\mathcal{R}\{g^l\}` for :math:`\delta^l = \partial Q/\partial S^l`,
    :math:`g^l = \partial Q/\partial x^l`. Costs about two gradients. Exact (no
    approximation): the reference that :func:`hessian_diagonal` is checked against.

    Parameters
    ----------
    net, X, y, loss
        As in :func:`hessian_diagonal`.
    v : dict
        ``{weight name: array}``; a missing name is a zero direction.

    Returns
    -------
    dict
        ``{weight name: array}``, the product, shaped like the weights.
    """
    layers, X, y, loss = _prepare(net, X, y, loss, "hessian_vector_product")
    names = _weight_names(net)
    V = _as_directions(net, v, names, "hessian_vector_product")
    x, Rx = X, np.zeros_like(X)
    rec = []
    for lay, Vl in zip(layers, V, strict=True):
        W = lay.W.data
        S = x @ W[1:] - W[0]
        RS = Rx @ W[1:] + x @ Vl[1:] - Vl[0]
        xo = lay.activation.value(S)
        f1 = lay.activation.derivative(S, xo)
        f2 = lay.activation.second_derivative(S, xo)
        rec.append((x, Rx, RS, f1, f2))
        x, Rx = xo, f1 * RS
    _, g = loss.value_and_grad(x.copy(), y)
    Rg = loss.hessian_vector(x, y, Rx)
    out = {}
    for lay, Vl, name, (x_in, Rx_in, RS, f1, f2) in zip(
            reversed(layers), reversed(V), reversed(names), reversed(rec), strict=True):
        d = f1 * g
        Rd = f2 * RS * g + f1 * Rg
        HV = np.empty_like(lay.W.data)
        HV[0] = -Rd.sum(axis=0)
        HV[1:] = x_in.T @ Rd + Rx_in.T @ d
        out[name] = HV
        W1 = lay.W.data[1:]
        g, Rg = d @ W1.T, Rd @ W1.T + d @ Vl[1:].T
    return dict(reversed(list(out.items())))


def hessian(net, X, y, loss) -> np.ndarray:
    r"""The full Hessian :math:`Q''(w)` over all weight matrices, shape ``(P, P)``.

    The coordinates are the entries of the weight matrices of the layers in order, each
    flattened row by row (``numpy.concatenate([W.ravel() for W in ...])``; row 0 of each
    :math:`W^l` holds the thresholds). Column :math:`k` is
    :func:`hessian_vector_product` along :math:`e_k`: :math:`P` passes, for small networks
    (the checks, and Optimal Brain Surgeon, :func:`obs_saliences`).
    """
    layers, X, y, loss = _prepare(net, X, y, loss, "hessian")
    names = _weight_names(net)
    shapes = [lay.W.data.shape for lay in layers]
    sizes = [int(np.prod(s)) for s in shapes]
    P = sum(sizes)
    H = np.empty((P, P), dtype=net.dtype)
    col = 0
    for name, shape, size in zip(names, shapes, sizes, strict=True):
        for j in range(size):
            e = np.zeros(shape, dtype=net.dtype)
            e.flat[j] = 1.0
            hv = hessian_vector_product(net, X, y, loss, {name: e})
            H[:, col] = np.concatenate([hv[nm].ravel() for nm in names])
            col += 1
    return H


# -- saliences -------------------------------------------------------------------------------
def saliences(net, X, y, loss, approximation: str = "levenberg-marquardt",
              first_order: bool = False) -> dict[str, np.ndarray]:
    r"""The salience :math:`s_k = \tfrac12 h_{kk} w_k^2` of every weight (0 for a deleted one).

    The change of :math:`Q` that deleting :math:`w_k` alone predicts by the quadratic
    expansion at a minimum: :math:`Q(w - w_k e_k) - Q(w) \approx \tfrac12 h_{kk}w_k^2`
    (LeCun, Denker and Solla 1989; derived in
    :func:`lecturenn.derivations.pruning.salience`). The slide «Прореживание сети (OBD)»
    writes :math:`S_{kh} = w_{kh}^2\,\partial^2 Q/\partial w_{kh}^2`, twice this: an
    erratum of the chapter.

    Parameters
    ----------
    net, X, y, loss, approximation
        As in :func:`hessian_diagonal`.
    first_order : bool, optional
        Add the first-order term :math:`-g_k w_k`, :math:`g_k = \partial Q/\partial w_k`,
        that the expansion at a minimum drops (:math:`g = 0` there). Near, but not at, a
        minimum it is of the same size as the second-order term for small weights.

    Returns
    -------
    dict
        ``{weight name: array}`` shaped like the weights.
    """
    first_order = check_bool("first_order", first_order)
    hd = hessian_diagonal(net, X, y, loss, approximation)
    out = {name: 0.5 * h * lay.W.data ** 2
           for (name, h), lay in zip(hd.items(), net.layers, strict=True)}
    if first_order:
        net.loss_and_grad(X, y, loss)
        for name, lay in zip(out, net.layers, strict=True):
            out[name] -= lay.W.grad * lay.W.data
    return out


def magnitudes(net) -> dict[str, np.ndarray]:
    """The magnitudes :math:`|w_k|` of the weights: the baseline criterion of the paper's fig. 1."""
    _dense_layers(net, "magnitudes")
    return {name: np.abs(lay.W.data) for name, lay in zip(_weight_names(net), net.layers,
                                                           strict=True)}


def feature_saliences(net, X, y, loss, approximation: str = "levenberg-marquardt"
                      ) -> np.ndarray:
    r"""The summed salience :math:`S_j = \sum_{h=1}^{H_1} s_{jh}` of every input :math:`j`.

    Slide «Прореживание сети (OBD)»: «Отбор признаков с помощью OBD — аналогично»; the
    sum runs over the first layer's weights :math:`w^1_{jh}` leaving input :math:`j`
    (rows :math:`1, \dots, H_0` of :math:`W^1`). Returns an array of shape ``(H_0,)``,
    entry ``j`` for column ``j`` of ``X``. The input with the smallest :math:`S_j` is the
    first to remove (:func:`delete_features`). An input already removed (all its weights
    deleted) gets ``inf``, not the 0 of its zero weights, so that it does not rank first
    again.
    """
    s = saliences(net, X, y, loss, approximation)
    S = next(iter(s.values()))[1:].sum(axis=1)
    m = net.layers[0].W.mask
    if m is not None:
        S[~m[1:].any(axis=1)] = np.inf  # deleted: never again the least salient
    return S


# -- masks -----------------------------------------------------------------------------------
def count_weights(net) -> dict[str, tuple[int, int]]:
    """``{weight name: (weights left, weights in all)}`` for every layer's weight matrix."""
    _dense_layers(net, "count_weights")
    return {name: (lay.W.n_active, lay.W.size)
            for name, lay in zip(_weight_names(net), net.layers, strict=True)}


def _check_scores(net, scores, where) -> dict[str, np.ndarray]:
    names = _weight_names(net)
    if not isinstance(scores, Mapping):
        raise TypeError(f"scores of {where} must be a dict {{weight name: array}} as "
                        f"saliences() returns, got {describe(scores)}")
    if sorted(scores) != sorted(names):
        raise ValueError(f"scores of {where} must name every weight matrix {names}, got "
                         f"{sorted(str(k) for k in scores)}")
    out = {}
    for name, lay in zip(names, net.layers, strict=True):
        arr = np.asarray(scores[name])
        if arr.shape != lay.W.data.shape or arr.dtype.kind not in "fiu":
            raise ValueError(f"scores[{name!r}] of {where} must be a real array of shape "
                             f"{lay.W.data.shape}, got {describe(scores[name])}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"scores[{name!r}] of {where} must be finite")
        out[name] = arr
    return out


def deletion_order(net, scores) -> dict[str, np.ndarray]:
    """The flat indices of the weights left in each layer, least score first.

    The slide orders the weights of every layer by salience («упорядочить на каждом
    уровне веса по убыванию :math:`S_{kh}`»); the least salient are deleted first. Ties
    keep the order of the indices (a stable sort). Deleted weights are not listed.
    """
    _dense_layers(net, "deletion_order")
    scores = _check_scores(net, scores, "deletion_order")
    out = {}
    for name, lay in zip(scores, net.layers, strict=True):
        flat = scores[name].ravel()
        alive = np.flatnonzero(lay.W.mask.ravel()) if lay.W.mask is not None \
            else np.arange(flat.size)
        out[name] = alive[np.argsort(flat[alive], kind="stable")]
    return out


def _how_many(n, fraction, available: int, at_least_one: bool = False) -> int:
    if n is not None:
        return min(n, available)
    k = int(np.floor(fraction * available + 1e-9))
    return min(max(k, 1), available) if at_least_one else k


def _check_n_fraction(n, fraction, where):
    if (n is None) == (fraction is None):
        raise ValueError(f"{where} needs exactly one of n (how many weights) and fraction "
                         f"(which share of the weights left), got n={n!r}, "
                         f"fraction={fraction!r}")
    if n is not None:
        return check_int("n", n, minimum=0), None
    return None, check_in_range("fraction", fraction, 0.0, 1.0, closed_high=True)


def prune(net, scores, n: int | None = None, *, fraction: float | None = None,
          per_layer: bool = True) -> dict[str, int]:
    r"""Delete the weights of least score: set their mask entries to ``False``.

    Slide «Прореживание сети (OBD)», step 2: «удалить :math:`N` связей с наименьшей
    значимостью». With ``per_layer=True`` (the slide orders the weights of each layer)
    each layer loses its own ``n`` (or ``fraction`` of its weights left); with
    ``per_layer=False`` the ``n`` least scores of the whole network go, wherever they are.
    A deleted weight is zero and stays zero in training
    (:attr:`lecturenn.parameter.Parameter.mask`).

    Parameters
    ----------
    net : lecturenn.Network
    scores : dict or str
        ``{weight name: array}`` (from :func:`saliences`, or any criterion), or
        ``"magnitude"`` for :func:`magnitudes`.
    n : int, optional
        How many weights to delete (per layer if ``per_layer``); at most all left.
    fraction : float, optional
        Instead of ``n``: the share of the weights left to delete, in :math:`[0, 1]`
        (rounded down).
    per_layer : bool, optional

    Returns
    -------
    dict
        ``{weight name: number deleted now}``.
    """
    return _prune(net, scores, n, fraction, per_layer, at_least_one=False)


def _prune(net, scores, n, fraction, per_layer, at_least_one):
    if isinstance(scores, str):
        if scores != "magnitude":
            raise ValueError(f"scores must be a dict of arrays or 'magnitude', got {scores!r}")
        scores = magnitudes(net)
    n, fraction = _check_n_fraction(n, fraction, "prune")
    per_layer = check_bool("per_layer", per_layer)
    order = deletion_order(net, scores)
    layers = dict(zip(order, net.layers, strict=True))
    if per_layer:
        chosen = {name: idx[:_how_many(n, fraction, idx.size, at_least_one)]
                  for name, idx in order.items()}
    else:
        flat = [(float(scores[name].flat[j]), li, int(j)) for li, (name, idx)
                in enumerate(order.items()) for j in idx]
        flat.sort()
        k = _how_many(n, fraction, len(flat), at_least_one)
        names = list(order)
        chosen = {name: np.array([j for _, li, j in flat[:k] if names[li] == name],
                                 dtype=np.intp) for name in names}
    out = {}
    for name, idx in chosen.items():
        W = layers[name].W
        mask = np.ones(W.shape, dtype=bool) if W.mask is None else W.mask.copy()
        mask.flat[idx] = False
        W.set_mask(mask)
        out[name] = int(idx.size)
    return out


def delete_features(net, features) -> None:
    """Remove inputs: delete every first-layer weight leaving each input in ``features``.

    ``features`` are column indices of ``X`` (``0 .. H_0 - 1``); the rows ``j + 1`` of
    :math:`W^1` are masked (row 0 holds the thresholds).
    """
    layers = _dense_layers(net, "delete_features")
    idx = np.atleast_1d(_as_array("features", features, "integer column indices"))
    if idx.size == 0 and idx.ndim == 1:
        return  # no input to remove
    if idx.dtype.kind not in "iu" or idx.ndim != 1:
        raise TypeError(f"features must be integer column indices, got {describe(features)}")
    if np.any((idx < 0) | (idx >= net.sizes[0])):
        raise ValueError(f"features must lie in 0..{net.sizes[0] - 1}, got {idx.tolist()}")
    W = layers[0].W
    mask = np.ones(W.shape, dtype=bool) if W.mask is None else W.mask.copy()
    mask[idx + 1] = False
    W.set_mask(mask)


# -- deletion without retraining ---------------------------------------------------------------
@dataclass
class DeletionCurve:
    r"""The loss after deleting the first ``n_deleted[t]`` weights of an order, no retraining.

    Attributes
    ----------
    n_deleted : numpy.ndarray
        The numbers of weights deleted.
    loss : numpy.ndarray
        :math:`Q` measured after each deletion (the paper's fig. 1a).
    predicted : numpy.ndarray
        The sum of the scores of the deleted weights: for saliences, the increase
        :math:`\sum_k s_k` the diagonal quadratic model predicts (fig. 1b compares it with
        ``loss - loss[0]``).
    """

    n_deleted: np.ndarray
    loss: np.ndarray
    predicted: np.ndarray


def deletion_curve(net, X, y, loss, scores, counts=None) -> DeletionCurve:
    r"""Delete weights in order of increasing score, one by one, and measure :math:`Q`.

    The network is left as it was (the weights are put back). The order is global (over
    all layers, the paper's fig. 1); ``counts`` are the numbers of deleted weights to
    measure at (default: every one of ``0, 1, ..., P``).
    """
    layers, X, y, loss = _prepare(net, X, y, loss, "deletion_curve")
    if isinstance(scores, str):
        if scores != "magnitude":
            raise ValueError(f"scores must be a dict of arrays or 'magnitude', got {scores!r}")
        scores = magnitudes(net)
    order = deletion_order(net, scores)
    seq = sorted((float(scores[name].flat[j]), li, int(j))
                 for li, (name, idx) in enumerate(order.items()) for j in idx)
    total = len(seq)
    if counts is None:
        counts = np.arange(total + 1)
    else:
        arr = _as_array("counts", counts, "a 1-d array of integers")
        if arr.ndim != 1 or arr.dtype.kind not in "iu" or arr.size == 0:
            raise TypeError(f"counts must be a 1-d array of integers, got {describe(counts)}")
        counts = arr
        if np.any(counts < 0) or np.any(counts > total) or np.any(np.diff(counts) < 0):
            raise ValueError(f"counts must be nondecreasing in 0..{total}")
    saved = [lay.W.data.copy() for lay in layers]
    values, pred = [], []
    done, acc = 0, 0.0
    try:
        for c in counts:
            while done < c:
                s, li, j = seq[done]
                layers[li].W.data.flat[j] = 0.0
                acc += s
                done += 1
            values.append(loss.value(net._forward(X, False), y))
            pred.append(acc)
    finally:
        for lay, w in zip(layers, saved, strict=True):
            lay.W.data[...] = w
    return DeletionCurve(np.asarray(counts), np.asarray(values), np.asarray(pred))


# -- the slide's procedure ---------------------------------------------------------------------
@dataclass
class OBDStep:
    r"""One round of :func:`optimal_brain_damage`: delete, retrain, measure.

    Attributes
    ----------
    deleted : dict
        ``{weight name: number deleted in this round}``.
    n_active : int
        The weights left after the round.
    loss : float
        :math:`Q` on the training set after retraining.
    val_loss : float or None
        :math:`Q` on the held-out set (if given).
    accepted : bool
        ``False`` for the round that worsened :math:`Q` too much (it was undone).
    grad_norm : float
        :math:`\|\nabla Q(w)\|`, the Euclidean norm of the gradient of the training loss
        over the weights left, at the point where this round's saliences were computed
        (before the deletion). The salience :math:`\tfrac12 h_{kk}w_k^2` predicts the
        increase of :math:`Q` only where the gradient vanishes (the paper's "extremal"
        approximation): a norm far from 0 says the first-order term :math:`-g_kw_k`, which
        the salience drops, is there too (``saliences(..., first_order=True)``).
    """

    deleted: dict
    n_active: int
    loss: float
    val_loss: float | None
    accepted: bool
    grad_norm: float = float("nan")


@dataclass
class OBDResult:
    """What :func:`optimal_brain_damage` did.

    Attributes
    ----------
    baseline_loss, baseline_val_loss : float, float or None
        :math:`Q` of the trained, unpruned network on the training and held-out sets.
    n_params : int
        The weights before pruning.
    steps : list of OBDStep
    stopped : str
        ``"train"`` or ``"validation"`` (that :math:`Q` worsened by more than ``tol``; the
        last round was undone), ``"exhausted"`` (no weight left to delete) or
        ``"max_rounds"``.
    n_active : int
        The weights left in the returned network.
    """

    baseline_loss: float
    baseline_val_loss: float | None
    n_params: int
    steps: list = field(default_factory=list)
    stopped: str = "max_rounds"
    n_active: int = 0

    @property
    def grad_norms(self) -> list[float]:
        r""":attr:`OBDStep.grad_norm` of every round: :math:`\|\nabla Q\|` where each round's
        saliences were computed (the first: at the trained, unpruned network)."""
        return [step.grad_norm for step in self.steps]


def _grad_norm(net, X, y, loss) -> float:
    r""":math:`\|\nabla Q(w)\|` over the weights left (a deleted weight's gradient is not
    counted: it is never used)."""
    net.loss_and_grad(X, y, loss)
    total = 0.0
    for p in net.parameters():
        g = p.grad if p.mask is None else p.grad[p.mask]
        total += float(np.dot(g.ravel(), g.ravel()))
    return float(np.sqrt(total))


def _snapshot(net):
    return net.state_dict(), [None if p.mask is None else p.mask.copy()
                              for p in net.parameters()]


def _restore(net, snap):
    state, masks = snap
    for p, m in zip(net.parameters(), masks, strict=True):
        p.set_mask(m)  # first: load_state_dict keeps the masked entries at zero
    net.load_state_dict(state)


def _default_trainer(X, y, loss, epochs, lr, batch_size, rng):
    from lecturenn.optim import Adam
    from lecturenn.training import fit

    def train(net):  # one Generator (check_rng) for every round: each shuffles anew
        fit(net, X, y, loss, Adam(net.parameters(), lr=lr), epochs=epochs,
            batch_size=batch_size, rng=rng)
    return train


def optimal_brain_damage(net, X, y, loss, *, X_val=None, y_val=None, n: int | None = None,
                         fraction: float | None = None, per_layer: bool = True,
                         tol: float = 0.01, max_rounds: int = 100,
                         approximation: str = "levenberg-marquardt",
                         train: Callable | None = None, pretrain: bool = True,
                         epochs: int = 50, lr: float = 0.01, batch_size: int = 32,
                         rng=0) -> OBDResult:
    r"""The slide's procedure: train, delete the least salient weights, retrain, until worse.

    Slide «Прореживание сети (OBD — Optimal Brain Damage)»:

    1. In BackProp compute the second derivatives :math:`\partial^2 Q/\partial w^2`
       (:func:`saliences`, by :func:`hessian_diagonal`).
    2. At a minimum of :math:`Q`: order the weights of each layer by salience
       (``per_layer``), delete the ``n`` least salient (or ``fraction`` of those left),
       run BackProp again (``train``).
    3. If :math:`Q(w, X^\ell)` or :math:`Q(w, X^k)` (held-out) got significantly worse,
       put back the last deleted connections and stop.

    "Significantly worse" is made concrete as: above the unpruned network's value by more
    than ``tol`` (absolute, in units of :math:`Q`). "Put back the last deleted
    connections" restores the whole network to its state before that round (the weights
    of the previous round's retraining and its masks): the retraining after a deletion
    moved the other weights too, so giving back the deleted weights alone would not return
    to a trained network.

    Parameters
    ----------
    net : lecturenn.Network
        Trained in place and pruned; returned in the state of the last accepted round.
    X, y : array_like
        The training set :math:`X^\ell`.
    loss : Loss or str
    X_val, y_val : array_like, optional
        The held-out set :math:`X^k`.
    n, fraction : optional
        What one round deletes, as in :func:`prune` (exactly one of them): ``n >= 1``, or
        ``fraction > 0`` of the weights left, rounded down but at least one (per layer
        with ``per_layer``, of every layer that has weights left), so that every round
        deletes something while weights are left.
    per_layer : bool, optional
    tol : float, optional
        The allowed increase of :math:`Q` over the unpruned network's, :math:`\ge 0`
        (``numpy.inf``: never stop on :math:`Q`, run ``max_rounds`` rounds).
    max_rounds : int, optional
    approximation : str, optional
        See :func:`hessian_diagonal`.
    train : callable, optional
        ``train(net)`` trains the network in place (it must keep the masks: every
        optimizer of :mod:`lecturenn.optim` and :func:`lecturenn.training.fit` do). By
        default :func:`lecturenn.training.fit` with a fresh
        :class:`lecturenn.optim.Adam` of learning rate ``lr`` for ``epochs`` epochs of
        batches of ``batch_size``, shuffled by ``rng``.
    pretrain : bool, optional
        Train once before the first deletion (default); ``False`` if ``net`` is trained.
    epochs, lr, batch_size, rng : optional
        The default trainer's arguments.

    Returns
    -------
    OBDResult
        With each round's :math:`Q`, held-out :math:`Q` and the gradient norm
        :math:`\|\nabla Q\|` at the point of pruning (:attr:`OBDStep.grad_norm`): the
        salience assumes it is 0.
    """
    from lecturenn.training import evaluate

    layers, Xc, yc, loss = _prepare(net, X, y, loss, "optimal_brain_damage")
    n, fraction = _check_n_fraction(n, fraction, "optimal_brain_damage")
    if n is not None and n < 1:
        raise ValueError(f"n of optimal_brain_damage must be >= 1 (a round that deletes "
                         f"nothing would stop it as 'exhausted'), got {n!r}")
    if fraction is not None and not fraction > 0:
        raise ValueError(f"fraction of optimal_brain_damage must be > 0 (a round that "
                         f"deletes nothing would stop it as 'exhausted'), got {fraction!r}")
    _check_curved(loss, "optimal_brain_damage")
    per_layer = check_bool("per_layer", per_layer)
    pretrain = check_bool("pretrain", pretrain)
    tol = check_real("tol", tol, finite=False)
    if not tol >= 0:  # NaN too
        raise ValueError(f"tol must be >= 0 (np.inf: never stop on Q), got {tol!r}")
    max_rounds = check_int("max_rounds", max_rounds, minimum=1)
    approximation = _check_approximation(approximation)
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val go together: give both or neither")
    gen = check_rng(rng)  # a Generator or an int seed (not None), given a trainer or not
    if train is None:
        check_int("epochs", epochs, minimum=1)
        check_positive("lr", lr)
        check_int("batch_size", batch_size, minimum=1)
        train = _default_trainer(Xc, yc, loss, epochs, lr, batch_size, gen)
    elif not callable(train):
        raise TypeError(f"train must be a callable train(net), got {describe(train)}")
    have_val = X_val is not None
    if have_val:  # checked before anything is trained
        Xv = net._check_input(X_val, name="X_val")
        yv = loss.prepare_target(y_val, (Xv.shape[0], net.sizes[-1]), net.dtype,
                                 name="y_val")

    def measure():
        q = evaluate(net, Xc, yc, loss)["loss"]
        qv = evaluate(net, Xv, yv, loss)["loss"] if have_val else None
        return q, qv

    if pretrain:
        train(net)
    q0, qv0 = measure()
    result = OBDResult(q0, qv0, net.n_active)
    for _ in range(max_rounds):
        snap = _snapshot(net)
        gnorm = _grad_norm(net, Xc, yc, loss)
        s = saliences(net, Xc, yc, loss, approximation)
        deleted = _prune(net, s, n, fraction, per_layer, at_least_one=True)
        if sum(deleted.values()) == 0:
            result.stopped = "exhausted"
            break
        train(net)
        q, qv = measure()
        worse = ("train" if q > q0 + tol else
                 "validation" if have_val and qv > qv0 + tol else None)
        result.steps.append(OBDStep(deleted, net.n_active, q, qv, worse is None, gnorm))
        if worse is not None:
            _restore(net, snap)
            result.stopped = worse
            break
    result.n_active = net.n_active
    return result


# -- Optimal Brain Surgeon ---------------------------------------------------------------------
def obs_saliences(H, w, active=None, damping: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    r"""Optimal Brain Surgeon: the salience of each weight and the correction of the others.

    Hassibi and Stork (1993): deleting :math:`w_q` while the other weights move to minimise
    the quadratic model :math:`\tfrac12\delta^\top H\delta` under :math:`\delta_q = -w_q`
    costs

    .. math::

        L_q = \frac{w_q^2}{2\,[H^{-1}]_{qq}}, \qquad
        \delta = -\frac{w_q}{[H^{-1}]_{qq}}\,H^{-1} e_q .

    Since :math:`[H^{-1}]_{qq}\,h_{qq} \ge 1` for a positive definite :math:`H`
    (Cauchy-Schwarz), :math:`L_q \le \tfrac12 h_{qq} w_q^2`: OBS never predicts more than
    OBD for the same weight.

    **Damping.** With ``damping`` :math:`= \lambda > 0` every :math:`H^{-1}` above is
    :math:`(H + \lambda I)^{-1}` (on the active weights): the exact OBS step of the damped
    quadratic model :math:`\tfrac12\delta^\top(H + \lambda I)\delta`, which is what a
    Hessian that is singular (an input that is constant, a unit that is dead: zero rows) or
    indefinite (a point that is not a minimum) leaves to work with; :math:`\lambda` must
    exceed :math:`-\lambda_{\min}(H)` for the inverse to be positive definite. The damped
    :math:`L_q` grows with :math:`\lambda` from the undamped one (:math:`\lambda \to 0`,
    where :math:`H` is positive definite); for a positive semidefinite :math:`H`,
    :math:`\tfrac12\lambda w_q^2 \le L_q \le \tfrac12(h_{qq} + \lambda)w_q^2`
    (:math:`(H + \lambda I)^{-1} \preceq \lambda^{-1}I`, and Cauchy-Schwarz as above), so
    a large :math:`\lambda` ranks the weights by magnitude and moves the others less and
    less. Hassibi and Stork build :math:`H^{-1}`
    recursively from the outer-product approximation of :math:`H`, starting from
    :math:`H_0^{-1} = \alpha^{-1} I` with a small :math:`\alpha` (the same damping, there a
    by-product of starting the recursion); here :math:`H` is given and ``damping`` is
    explicit, 0 by default (the undamped formulas).

    Parameters
    ----------
    H : array_like, shape (P, P)
        The Hessian (:func:`hessian`), symmetric positive definite on the active weights.
        Symmetric up to ``OBS_SYMMETRY_RTOL`` :math:`= 10^{-8}` times its largest entry
        (:func:`hessian` builds it column by column, symmetric to rounding, about
        :math:`10^{-15}` of it); a larger asymmetry is refused.
    w : array_like, shape (P,)
        The weights in the same order.
    active : array_like of bool, optional
        The weights left (the others are fixed at zero and ignored); all by default.
    damping : float, optional
        :math:`\lambda \ge 0` added to the diagonal of :math:`H` on the active weights
        before the inversion (0 by default: none).

    Returns
    -------
    L : numpy.ndarray, shape (P,)
        :math:`L_q` (``inf`` for a deleted weight).
    corrections : numpy.ndarray, shape (P, P)
        Row :math:`q` is :math:`\delta` for deleting :math:`w_q` (zero outside the active
        weights).
    """
    H = as_float_array("H", H, allow_empty=True)
    w = as_float_array("w", w, allow_empty=True)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or w.shape != (H.shape[0],):
        raise ValueError(f"H must be (P, P) and w (P,), got {H.shape} and {w.shape}")
    asym = float(np.abs(H - H.T).max()) if H.size else 0.0
    scale = float(np.abs(H).max()) if H.size else 0.0
    if asym > OBS_SYMMETRY_RTOL * scale:
        raise ValueError(f"H must be symmetric (a Hessian): max |H - H^T| = {asym:.3g} > "
                         f"{OBS_SYMMETRY_RTOL:g} * max |H| = {OBS_SYMMETRY_RTOL * scale:.3g}")
    act = np.ones(w.shape, bool) if active is None else _as_array(
        "active", active, f"a Boolean array of shape {w.shape}")
    if act.dtype != np.bool_ or act.shape != w.shape:
        raise TypeError(f"active must be a Boolean array of shape {w.shape}, got "
                        f"{describe(active)}")
    damping = check_positive("damping", damping, strict=False)
    idx = np.flatnonzero(act)
    Ha = 0.5 * (H[np.ix_(idx, idx)] + H[np.ix_(idx, idx)].T)
    Ha[np.diag_indices_from(Ha)] += damping
    try:
        c = np.linalg.cholesky(Ha)
    except np.linalg.LinAlgError as exc:
        what = "H" if damping == 0 else f"H + {damping:g} I"
        raise ValueError(f"{what} is not positive definite on the active weights: OBS needs "
                         "its inverse (pass damping > 0, larger than -(the least eigenvalue "
                         "of H): it inverts H + damping * I)") from exc
    Hinv = np.linalg.inv(c).T @ np.linalg.inv(c)
    d = np.diag(Hinv)
    L = np.full(w.shape, np.inf)
    L[idx] = w[idx] ** 2 / (2 * d)
    corr = np.zeros(H.shape)
    corr[np.ix_(idx, idx)] = -(w[idx] / d)[:, None] * Hinv
    return L, corr
