r"""Batch normalization: each unit normalized over the mini-batch, then scaled and shifted.

Slide «Пакетная нормализация данных (Batch Normalization)»; Ioffe and Szegedy (2015),
algorithm 1. For a batch of :math:`m` objects and a unit :math:`h` of the layer's input
:math:`u` (shape ``(m, H)``, rows are objects :math:`i`):

.. math::

    \mu_h = \frac1m\sum_{i=1}^m u_{ih}, \qquad
    \sigma_h^2 = \frac1m\sum_{i=1}^m (u_{ih} - \mu_h)^2, \qquad
    \hat u_{ih} = \frac{u_{ih} - \mu_h}{\sqrt{\sigma_h^2 + \varepsilon}}, \qquad
    y_{ih} = \gamma_h \hat u_{ih} + \beta_h,

with :math:`\gamma_h, \beta_h` trained by BackProp and :math:`\varepsilon > 0` a small constant
that keeps the division defined for a unit that is constant over the batch
(:math:`\sigma_h = 0`). The batch variance is the **biased** one (divided by :math:`m`), as on
the slide, in the paper and in ``torch.nn.BatchNorm1d``.

**Where it sits.** :class:`BatchNorm` is a layer of its own, so both placements can be
built (:func:`batchnorm_network`):

* after the activation, :math:`x^l = \mathrm{BN}(\sigma(S^l))`: the slide normalizes
  :math:`x^l`, "the vectors of the objects at the output of layer :math:`l`";
* before the nonlinearity, :math:`x^l = \sigma(\mathrm{BN}(S^l))`: Ioffe and Szegedy
  (section 3.2) normalize :math:`S = Wu + b` and drop :math:`b` (the mean subtraction cancels
  it). Build it from a :class:`~lecturenn.layers.Dense` with the identity activation, a
  :class:`BatchNorm`, and a :class:`lecturenn.activation_layer.ActivationLayer`.

**Training and inference.** In training mode (``forward(x, train=True)``) the layer uses the
statistics of the batch and updates running estimates with PyTorch's convention

.. math::

    \bar\mu := (1 - \rho)\,\bar\mu + \rho\,\mu_B, \qquad
    \bar\sigma^2 := (1 - \rho)\,\bar\sigma^2 + \rho\,\frac{m}{m-1}\sigma_B^2,

:math:`\rho` = ``momentum`` = 0.1 by default (the weight of the **new** batch: the opposite of
an optimizer's momentum, whose 0.9 is the weight of the old average), starting from
:math:`\bar\mu = 0`, :math:`\bar\sigma^2 = 1`. In evaluation mode it uses
:math:`\bar\mu, \bar\sigma^2` in place of the batch's, so the output of an object does not
depend on the other objects of its batch. The paper (algorithm 2, step 10) uses at inference
the means over the training batches, :math:`\mathbb E[\mu_B]` and
:math:`\frac{m}{m-1}\mathbb E[\sigma_B^2]`, computed after training with the weights fixed.
We do what PyTorch does: the same unbiased correction :math:`\frac{m}{m-1}`, but averaged
exponentially during training (one pass, no second sweep over the data, and the average
follows the statistics as the weights move). The paper itself proposes moving averages for
this (section 3.1: with them one can track the accuracy of a model as it trains);
``momentum=None`` gives the plain mean over all batches seen, which after a pass over the
training batches with frozen weights **is** the paper's estimate. The normalization in
training mode always uses the biased :math:`\sigma_B^2`.

**Backward** (derived in :mod:`lecturenn.derivations.batchnorm` from the full Jacobian of a
batch of 3, and checked by finite differences and against ``torch.nn.BatchNorm1d``): with
:math:`g_{ih} = \partial Q/\partial y_{ih}` and :math:`s_h = \sqrt{\sigma_h^2 + \varepsilon}`,

.. math::

    \frac{\partial Q}{\partial u_{jh}} = \frac{\gamma_h}{m\,s_h}\Bigl(m\,g_{jh}
      - \sum_i g_{ih} - \hat u_{jh}\sum_i g_{ih}\hat u_{ih}\Bigr), \qquad
    \frac{\partial Q}{\partial \gamma_h} = \sum_i g_{ih}\hat u_{ih}, \qquad
    \frac{\partial Q}{\partial \beta_h} = \sum_i g_{ih}.

In evaluation mode the layer is the affine map
:math:`y = \gamma(u - \bar\mu)/\sqrt{\bar\sigma^2 + \varepsilon} + \beta`, and its input
gradient is :math:`\gamma g/\sqrt{\bar\sigma^2 + \varepsilon}`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lecturenn._validation import (
    all_finite,
    check_bool,
    check_config_entries,
    check_float_dtype,
    check_in_range,
    check_int,
    check_layer_array,
    check_positive,
    check_rng,
    describe,
)
from lecturenn.activation_layer import ActivationLayer
from lecturenn.activations import get_activation
from lecturenn.layers import Dense, Layer, register_layer
from lecturenn.parameter import Parameter

__all__ = ["BatchNorm", "BatchNormCache", "batchnorm_network", "PLACEMENTS"]

#: the two places of a :class:`BatchNorm` in :func:`batchnorm_network`
PLACEMENTS = ("before", "after")


def _check_momentum(name: str, momentum):
    if momentum is None:
        return None
    if isinstance(momentum, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number in (0, 1] or None, got "
                        f"{describe(momentum)}")
    try:  # rho = 0 would never update the running statistics; rho = 1 keeps the last batch's
        return check_in_range(name, momentum, 0.0, 1.0, closed_low=False, closed_high=True)
    except ValueError as exc:
        raise ValueError(f"{exc} (PyTorch's default 0.1; None: the mean over all batches "
                         "seen)") from None


class BatchNormCache:
    r"""What :meth:`BatchNorm.forward` keeps for :meth:`BatchNorm.backward`.

    Attributes
    ----------
    x_hat : numpy.ndarray
        The normalized input :math:`\hat u`, ``(m, H)``.
    inv_std : numpy.ndarray
        :math:`1/\sqrt{\sigma^2 + \varepsilon}` per unit, ``(H,)`` (of the batch in training
        mode, of the running variance in evaluation mode).
    train : bool
        Whether the batch statistics were used (then the backward pass runs through them).
    """

    __slots__ = ("x_hat", "inv_std", "train")

    def __init__(self, x_hat=None, inv_std=None, train=True) -> None:
        self.x_hat, self.inv_std, self.train = x_hat, inv_std, train

    def __repr__(self) -> str:
        shape = None if self.x_hat is None else self.x_hat.shape
        return f"BatchNormCache(x_hat={shape}, train={self.train})"


@register_layer
class BatchNorm(Layer):
    r"""Batch normalization of each of ``n_units`` units, :math:`y = \gamma\hat u + \beta`.

    See the module docstring for the formulas, the running statistics and the backward pass.

    Parameters
    ----------
    n_units : int
        The width :math:`H` (input and output).
    eps : float, optional
        :math:`\varepsilon > 0` under the square root, ``1e-5`` as in PyTorch.
    momentum : float or None, optional
        :math:`\rho \in (0, 1]`, the weight of the new batch in the running statistics
        (PyTorch's convention, 0.1 by default); ``None``: the plain mean over all batches
        seen (PyTorch's ``momentum=None``).
    rng : numpy.random.Generator or int, optional
        Unused (:math:`\gamma = 1`, :math:`\beta = 0` initially); accepted so that
        :func:`lecturenn.layers.layer_from_config` can pass it.
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32``, of the parameters, the buffers and the output.

    Attributes
    ----------
    gamma, beta : Parameter
        :math:`\gamma` (ones) and :math:`\beta` (zeros), shape ``(n_units,)``.
    running_mean, running_var : Parameter
        The buffers :math:`\bar\mu` (zeros) and :math:`\bar\sigma^2` (ones): saved with the
        weights, not trained (:meth:`buffers`).
    num_batches_tracked : Parameter
        The buffer counting the training batches seen (PyTorch's ``num_batches_tracked``),
        saved with the running statistics, so that ``momentum=None`` goes on with the right
        divisor after :meth:`~lecturenn.network.Network.save` and ``load``; as an ``int``:
        :attr:`n_batches` (read only; :meth:`reset_running_stats` sets it to 0). A file or
        state dict written before this buffer existed (only ``running_mean`` and
        ``running_var``) still loads: the count keeps its value, 0 in a layer that ``load``
        has just built (:attr:`legacy_buffers`; PyTorch's rule for a ``BatchNorm`` state
        dict older than its version 2).

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm(2)
    >>> y = bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), train=True)
    >>> np.round(y, 4)                      # (u - mu) / sqrt(sigma^2 + eps), sigma^2 = 1, 100
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean.data, bn.running_var.data   # 0.9*0 + 0.1*mu, 0.9*1 + 0.1*2/1*var
    (array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    #: ``num_batches_tracked`` came after files had been saved with the running statistics
    #: only; such a file loads, the count keeping its value (0 in a layer just built)
    legacy_buffers = ("num_batches_tracked",)

    def __init__(self, n_units: int, eps: float = 1e-5, momentum: float | None = 0.1, *,
                 rng=0, dtype=np.float64) -> None:
        self.n_units = check_int("n_units of BatchNorm", n_units, minimum=1)
        self.n_in = self.n_out = self.n_units
        self.eps = check_positive("eps of BatchNorm", eps)
        self.momentum = momentum  # checked by the property
        check_rng(rng)
        self.dtype = check_float_dtype("dtype of BatchNorm", dtype)
        H = self.n_units
        self.gamma = Parameter(np.ones(H, dtype=self.dtype), name="gamma")
        self.beta = Parameter(np.zeros(H, dtype=self.dtype), name="beta")
        self.running_mean = Parameter(np.zeros(H, dtype=self.dtype), name="running_mean")
        self.running_var = Parameter(np.ones(H, dtype=self.dtype), name="running_var")
        self.num_batches_tracked = Parameter(np.zeros((), dtype=self.dtype),
                                             name="num_batches_tracked")
        self.cache: BatchNormCache | None = None

    @property
    def momentum(self) -> float | None:
        r""":math:`\rho \in (0, 1]` or ``None``; checked when set."""
        return self._momentum

    @momentum.setter
    def momentum(self, value) -> None:
        self._momentum = _check_momentum("momentum of BatchNorm", value)

    @property
    def n_batches(self) -> int:
        """The number of training batches seen (the divisor of ``momentum=None``)."""
        return int(self.num_batches_tracked.data)

    def reset_running_stats(self) -> None:
        r"""Start the running statistics afresh: :math:`\bar\mu = 0`, :math:`\bar\sigma^2 = 1`,
        no batch seen (PyTorch's ``reset_running_stats``); :math:`\gamma, \beta` are kept."""
        self.running_mean.data[...] = 0.0
        self.running_var.data[...] = 1.0
        self.num_batches_tracked.data[...] = 0.0

    def parameters(self) -> list[Parameter]:
        return [self.gamma, self.beta]

    def buffers(self) -> list[Parameter]:
        """The running statistics :math:`\\bar\\mu`, :math:`\\bar\\sigma^2` and the batch count
        (not trained)."""
        return [self.running_mean, self.running_var, self.num_batches_tracked]

    # -- forward and backward ----------------------------------------------------------
    def forward(self, x, train=False):
        train = check_bool("train of BatchNorm.forward", train)
        check_layer_array("x", x, (None, self.n_units), self, "forward")
        x = x.astype(self.dtype, copy=False)  # the output has the layer's dtype
        if train:
            if not all_finite(x):
                raise ValueError(
                    f"x of {self!r}.forward in training mode holds NaN or infinity: the "
                    "running statistics would stay NaN for good")
            m = x.shape[0]
            if m < 2:
                raise ValueError(
                    f"{self!r} in training mode needs a batch of at least 2 objects, got {m}: "
                    "the batch variance of one object is 0 and the output would be beta "
                    "whatever the input (use eval mode, or a larger batch)")
            mu = x.mean(axis=0)
            d = x - mu
            var = np.einsum("ij,ij->j", d, d) / m  # biased, as on the slide and in the paper
            inv_std = 1.0 / np.sqrt(var + self.eps)
            self._update_running(mu, var, m)
        else:
            inv_std = 1.0 / np.sqrt(self.running_var.data + self.eps)
            d = x - self.running_mean.data
        x_hat = d * inv_std.astype(x.dtype, copy=False)
        c = self.cache
        if c is None:
            self.cache = BatchNormCache(x_hat, inv_std, bool(train))
        else:
            c.x_hat, c.inv_std, c.train = x_hat, inv_std, bool(train)
        return x_hat * self.gamma.data + self.beta.data

    def _update_running(self, mu, var, m) -> None:
        self.num_batches_tracked.data += 1.0
        rho = self.momentum if self.momentum is not None else 1.0 / self.n_batches
        rm, rv = self.running_mean.data, self.running_var.data
        rm *= 1.0 - rho
        rm += rho * mu
        rv *= 1.0 - rho
        rv += (rho * m / (m - 1)) * var  # the unbiased m/(m-1) sigma_B^2, as PyTorch

    def backward(self, grad_out, need_input_grad=True):
        c = self.cache
        if c is None:
            raise RuntimeError("BatchNorm.backward called before forward")
        check_layer_array("grad_out", grad_out, c.x_hat.shape, self, "backward",
                          " (the shape of the last forward's output)")
        g, xh = grad_out.astype(self.dtype, copy=False), c.x_hat
        sum_g = g.sum(axis=0)
        sum_gx = np.einsum("ij,ij->j", g, xh)
        self.gamma.grad = sum_gx.astype(self.dtype, copy=False)
        self.beta.grad = sum_g.astype(self.dtype, copy=False)
        if not need_input_grad:
            return None
        scale = (self.gamma.data * c.inv_std).astype(g.dtype, copy=False)
        if not c.train:  # an affine map: the running statistics are constants
            return g * scale
        m = g.shape[0]
        # (gamma / (m s)) (m g - sum g - x_hat sum g x_hat)
        return (g - sum_g / m - xh * (sum_gx / m)) * scale

    # -- configuration -----------------------------------------------------------------
    def config(self) -> dict:
        return {"type": "BatchNorm", "n_units": self.n_units, "eps": self.eps,
                "momentum": self.momentum}

    #: the entries of a BatchNorm config
    _CONFIG_KEYS = ("n_units", "eps", "momentum")

    @classmethod
    def _check_config(cls, cfg) -> int:
        check_config_entries("BatchNorm", cfg, cls._CONFIG_KEYS, ("n_units",))
        check_positive("eps of BatchNorm", cfg.get("eps", 1e-5))
        _check_momentum("momentum of BatchNorm", cfg.get("momentum", 0.1))
        return check_int("n_units of BatchNorm", cfg["n_units"], minimum=1)

    @classmethod
    def parameter_shapes(cls, cfg: dict) -> dict:
        r""":math:`\gamma` and :math:`\beta`, each ``(n_units,)``."""
        H = cls._check_config(cfg)
        return {"gamma": (H,), "beta": (H,)}

    @classmethod
    def buffer_shapes(cls, cfg: dict) -> dict:
        r""":math:`\bar\mu` and :math:`\bar\sigma^2`, each ``(n_units,)``, and the batch count
        ``num_batches_tracked``, a scalar."""
        H = cls._check_config(cfg)
        return {"running_mean": (H,), "running_var": (H,), "num_batches_tracked": ()}

    def __repr__(self) -> str:
        return f"BatchNorm({self.n_units}, eps={self.eps:g}, momentum={self.momentum})"


def batchnorm_network(sizes: Sequence[int], placement: str = "before", activation="relu",
                      output="identity", *, eps: float = 1e-5, momentum: float | None = 0.1,
                      rng=0, dtype=np.float64, init: str = "uniform"):
    r"""A fully connected network with a :class:`BatchNorm` in every hidden layer.

    ``placement="before"`` (Ioffe and Szegedy): every hidden layer is
    ``Dense(activation="identity"), BatchNorm, ActivationLayer(activation)``, so
    :math:`x^l = \sigma(\mathrm{BN}(S^l))`. ``placement="after"`` (the slide):
    ``Dense(activation), BatchNorm``, so :math:`x^l = \mathrm{BN}(\sigma(S^l))`. The output
    layer is a plain ``Dense(output)``. The dense layers get **the same initial weights** as
    ``Network(sizes, activation, output, rng=rng, init=init)``, so the two placements and the
    network without normalization start from the same point.

    Parameters
    ----------
    sizes : sequence of int
        The widths :math:`[H_0, \dots, H_L]`, at least three (a network without a hidden
        layer would have no :class:`BatchNorm`).
    placement : str, optional
        ``"before"`` (default) or ``"after"`` the nonlinearity.
    activation, output, rng, dtype, init
        As for :class:`lecturenn.network.Network`; ``activation`` must not be one instance
        with trainable parameters (give a name: every layer gets its own).
    eps, momentum
        As for :class:`BatchNorm`.

    Returns
    -------
    lecturenn.network.Network

    Examples
    --------
    >>> net = batchnorm_network([4, 8, 3], "before", "relu")
    >>> for layer in net.layers:
    ...     print(layer)
    Dense(4, 8, activation='identity')
    BatchNorm(8, eps=1e-05, momentum=0.1)
    ActivationLayer(8, 'relu')
    Dense(8, 3, activation='identity')
    """
    from lecturenn.network import Network

    if not isinstance(placement, str) or placement not in PLACEMENTS:
        raise ValueError(f"placement must be one of {list(PLACEMENTS)}, got "
                         f"{describe(placement)}")
    if (isinstance(sizes, (str, bytes, dict)) or not hasattr(sizes, "__iter__")
            or (isinstance(sizes, np.ndarray) and sizes.ndim != 1)):
        raise TypeError(f"sizes of batchnorm_network must be a list of widths [H_0, ..., H_L], "
                        f"got {describe(sizes)}")
    sizes = list(sizes)
    if len(sizes) < 3:
        raise ValueError(f"sizes of batchnorm_network needs at least one hidden layer, "
                         f"[H_0, H_1, H_2], got {sizes}: without one there is no BatchNorm")
    sizes = [check_int(f"sizes[{i}] of batchnorm_network (the width H_{i})", h, minimum=1)
             for i, h in enumerate(sizes)]
    plain = Network(sizes, activation=activation, output=output, rng=rng, dtype=dtype,
                    init=init)
    layers: list[Layer] = []
    denses = plain.layers
    for k, dense in enumerate(denses):
        if k == len(denses) - 1:
            layers.append(dense)
            break
        H = dense.n_out
        bn = BatchNorm(H, eps=eps, momentum=momentum, dtype=dtype)
        if placement == "after":
            layers += [dense, bn]
        else:
            lin = Dense(dense.n_in, H, "identity", dtype=dtype, W=dense.W.data)
            act = get_activation(dense.activation.config(), n_units=H, dtype=dtype)
            layers += [lin, bn, ActivationLayer(H, act, dtype=dtype)]
    return Network(layers)
