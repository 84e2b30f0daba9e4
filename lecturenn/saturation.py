r"""Measurements behind the slide «Функции активации ReLU и PReLU (LeakyReLU)».

The slide says that :math:`\sigma(y) = 1/(1+e^{-y})` and :math:`\operatorname{th}(y)` "can
lead to vanishing gradients or the paralysis of the network", and proposes ReLU and PReLU.
This module measures what the claim is about, on any :class:`lecturenn.network.Network`:

* :func:`layer_gradient_norms` -- :math:`\|\partial Q/\partial W^l\|_F` for every layer with
  weights: BackProp multiplies the error by :math:`z^l = \sigma'(S^l)` and :math:`W^l` at
  every layer, :math:`\varepsilon^{l-1} = (\varepsilon^l\odot z^l)(W^l_{1:})^\top`, and
  :math:`\sigma' \le 1/4` for the sigmoid, so the gradient of the first layers of a deep
  sigmoid network is a product of many factors below one;
* :func:`saturation_share` -- the share of pairs (object, unit) of each layer whose
  derivative :math:`z = \sigma'(S)` is below ``ratio`` times the activation's largest
  derivative (for tanh with ``ratio=0.1``: :math:`|S| > 1.82`; for the sigmoid:
  :math:`|S| > 3.64`): a saturated unit passes almost no error back, whatever its weights;
* :func:`dead_unit_share` -- the share of units of each layer with :math:`z_{ih} = 0` for
  **every** object of a data set (a dead ReLU: :math:`S_{ih} \le 0` for all :math:`i`; its
  incoming weights get exactly zero gradient from that data, so no gradient step revives
  it) and :func:`inactive_unit_share`, :math:`S_{ih} \le 0` for every object, which for a
  leaky ReLU or a PReLU does not stop the learning (the slope :math:`\alpha > 0` passes
  the error on);
* :func:`train_monitored` -- :func:`lecturenn.training.fit` epoch by epoch, recording any of
  these after each epoch;
* :func:`prelu_slopes` and :func:`no_decay_on_slopes` -- He et al. (2015) train the PReLU
  slopes without weight decay; the optimizers of :mod:`lecturenn.optim` decay every
  parameter they are given, so the slopes go to a second optimizer
  (:class:`lecturenn.optim.OptimizerGroup`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecturenn._validation import check_callable, check_in_range, check_int, check_rng, describe
from lecturenn.activations import PReLU
from lecturenn.parameter import Parameter

__all__ = [
    "layer_gradient_norms",
    "max_derivative",
    "saturation_share",
    "dead_unit_share",
    "inactive_unit_share",
    "train_monitored",
    "prelu_slopes",
    "no_decay_on_slopes",
]


def _check_net(net, where: str):
    for m in ("forward_trace", "loss_and_grad", "layers"):
        if not hasattr(net, m):
            raise TypeError(f"net of {where} must be a lecturenn.network.Network, got "
                            f"{describe(net)}")


def layer_gradient_norms(net, X, y, loss) -> np.ndarray:
    r"""The Frobenius norms :math:`\|\partial Q/\partial W^l\|_F` of every ``W`` of ``net``.

    One BackProp pass on ``(X, y)`` in the network's current mode (it overwrites the
    gradients). The entries follow the order of the layers that have a parameter named
    ``W`` (the :class:`~lecturenn.layers.Dense` layers), the first layer first.
    """
    _check_net(net, "layer_gradient_norms")
    net.loss_and_grad(X, y, loss)
    return np.array([float(np.linalg.norm(p.grad)) for name, p in net.named_parameters()
                     if name.rsplit(".", 1)[-1] == "W"])


def max_derivative(activation) -> float:
    r"""The largest derivative :math:`\max_S \sigma'(S)` of an activation, on a fine grid.

    :math:`1/4` for the sigmoid, 1 for tanh, ReLU and leaky ReLU (grid :math:`[-20, 20]`,
    step :math:`10^{-3}`, which contains 0, where the sigmoid and tanh reach their maximum).
    """
    grid = np.linspace(-20.0, 20.0, 40001)[None, :]
    if isinstance(activation, PReLU) and not activation.shared:
        grid = np.repeat(grid.T, activation.n_units, axis=1)
    return float(np.max(activation.derivative(grid)))


def _hidden_traces(net, X):
    """``(layer index, S, z, activation)`` of every layer whose trace has :math:`S, z` and
    whose activation is not the identity (a ``Dense`` before a normalization), except the
    output layer."""
    tr = net.forward_trace(X)
    last = len(net.layers) - 1
    out = []
    for k, lay in enumerate(net.layers):
        S, z = tr.S[k + 1], tr.z[k + 1]
        if S is None or k == last or lay.activation.is_identity:
            continue
        out.append((k, S, z, lay.activation))
    return out


def saturation_share(net, X, ratio: float = 0.1) -> np.ndarray:
    r"""For every hidden layer, the share of :math:`(i, h)` with
    :math:`\sigma'(S_{ih}) < \text{ratio}\cdot\max_S\sigma'(S)`.

    Parameters
    ----------
    net : lecturenn.network.Network
        Measured in its current mode (one forward pass, no gradient).
    X : array_like, shape (n, H_0)
    ratio : float, optional
        In :math:`(0, 1)`; 0.1 by default.

    Returns
    -------
    numpy.ndarray
        One share in :math:`[0, 1]` per hidden layer with an activation other than the
        identity (output layer excluded).
    """
    _check_net(net, "saturation_share")
    ratio = check_in_range("ratio", ratio, 0.0, 1.0)
    if ratio == 0.0:
        raise ValueError("ratio = 0 counts nothing as saturated; give a number in (0, 1)")
    return np.array([float(np.mean(z < ratio * max_derivative(act)))
                     for _, _, z, act in _hidden_traces(net, X)])


def dead_unit_share(net, X) -> np.ndarray:
    r"""For every hidden layer, the share of units with :math:`\sigma'(S_{ih}) = 0` for all
    objects :math:`i` of ``X``: units that pass no error back and whose incoming weights get
    zero gradient from this data (dead ReLUs)."""
    _check_net(net, "dead_unit_share")
    return np.array([float(np.mean(np.all(z == 0, axis=0)))
                     for _, _, z, _ in _hidden_traces(net, X)])


def inactive_unit_share(net, X) -> np.ndarray:
    r"""For every hidden layer, the share of units with :math:`S_{ih} \le 0` for all objects of
    ``X``. For ReLU these are the dead units; a leaky ReLU or PReLU unit can be inactive and
    still learn (its derivative there is :math:`\alpha \ne 0`)."""
    _check_net(net, "inactive_unit_share")
    return np.array([float(np.mean(np.all(S <= 0, axis=0)))
                     for _, S, _, _ in _hidden_traces(net, X)])


def train_monitored(net, X, y, loss, optimizer, epochs: int, batch_size: int = 32, rng=0,
                    monitors: dict[str, Callable] | None = None) -> dict[str, list]:
    r"""Train with :func:`lecturenn.training.fit` one epoch at a time, measuring after each.

    Parameters
    ----------
    net, X, y, loss, optimizer, batch_size
        As for :func:`lecturenn.training.fit`.
    epochs : int
        The number of epochs, :math:`\ge 1`.
    rng : numpy.random.Generator or int, optional
        The shuffling: one generator for the whole run (so the epochs differ).
    monitors : dict, optional
        ``{name: f(net)}``; each ``f`` is called before the first epoch and after every
        epoch, in evaluation mode (the network's mode is restored afterwards).

    Returns
    -------
    dict
        ``"loss"``: the mean training loss of each epoch (``epochs`` numbers), and for every
        monitor its ``epochs + 1`` values (the first at the initial weights).
    """
    from lecturenn.training import fit

    _check_net(net, "train_monitored")
    epochs = check_int("epochs", epochs, minimum=1)
    monitors = {} if monitors is None else monitors
    if not isinstance(monitors, dict):
        raise TypeError(f"monitors must be a dict name -> f(net), got {describe(monitors)}")
    for name, f in monitors.items():
        check_callable(f"monitors[{name!r}]", f)
    gen = check_rng(rng)
    out: dict[str, list] = {"loss": [], **{name: [] for name in monitors}}

    def measure():
        was = net.training
        net.eval()
        for name, f in monitors.items():
            out[name].append(f(net))
        if was:
            net.train()

    measure()
    for _ in range(epochs):
        hist = fit(net, X, y, loss, optimizer=optimizer, epochs=1, batch_size=batch_size,
                   rng=gen)
        out["loss"].append(hist["loss"][-1])
        measure()
    return out


def prelu_slopes(net) -> list[Parameter]:
    r"""The slopes :math:`\alpha` of every PReLU of ``net`` (in a ``Dense`` or an
    :class:`~lecturenn.activation_layer.ActivationLayer`)."""
    if not hasattr(net, "layers"):
        raise TypeError(f"net of prelu_slopes must be a lecturenn.network.Network, got "
                        f"{describe(net)}")
    return [p for lay in net.layers
            if isinstance(getattr(lay, "activation", None), PReLU)
            for p in lay.activation.parameters()]


def no_decay_on_slopes(net, optimizer_class, lr: float, weight_decay: float, **kwargs):
    r"""An optimizer for ``net`` that decays the weights but not the PReLU slopes.

    He et al. (2015), section 2.1: "we do not use weight decay when updating :math:`a_i`. A
    weight decay tends to push :math:`a_i` to zero, and thus biases PReLU toward ReLU."
    Returns :class:`lecturenn.optim.OptimizerGroup` of
    ``optimizer_class(weights, lr, weight_decay=weight_decay, **kwargs)`` and
    ``optimizer_class(slopes, lr, **kwargs)`` (the second left out without slopes).
    """
    from lecturenn.optim import OptimizerGroup

    slopes = prelu_slopes(net)
    ids = {id(p) for p in slopes}
    weights = [p for p in net.parameters() if id(p) not in ids]
    opts = [optimizer_class(weights, lr, weight_decay=weight_decay, **kwargs)]
    if slopes:
        opts.append(optimizer_class(slopes, lr, **kwargs))
    return OptimizerGroup(*opts)
