r"""An activation function as a layer of its own, :math:`x = \sigma(u)` elementwise.

Slides «Функции активации ReLU и PReLU (LeakyReLU)», «Пакетная нормализация данных (Batch
Normalization)». :class:`~lecturenn.layers.Dense` applies its activation to its own weighted
sum, :math:`x^l = \sigma(S^l)`; something placed **between** :math:`S^l` and :math:`\sigma`
(the batch normalization of Ioffe and Szegedy 2015, section 3.2) needs the activation as a
separate layer: ``Dense(..., activation="identity")``, ``BatchNorm``, ``ActivationLayer``.

Backward: :math:`\partial Q/\partial u = \sigma'(u)\odot\partial Q/\partial x`, and for an
activation with parameters (:class:`~lecturenn.activations.PReLU`) their gradients as in
``Dense`` (:meth:`lecturenn.activations.Activation.backward_params`).
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    check_bool,
    check_config_entries,
    check_float_dtype,
    check_int,
    check_layer_array,
    check_rng,
    lookup,
)
from lecturenn.activations import ACTIVATIONS, Activation, get_activation
from lecturenn.layers import DenseCache, Layer, register_layer

__all__ = ["ActivationLayer"]


@register_layer
class ActivationLayer(Layer):
    r"""The activation :math:`\sigma` applied elementwise to its input, :math:`x = \sigma(u)`.

    Parameters
    ----------
    n_units : int
        The width (input and output).
    activation : str, dict or Activation, optional
        See :func:`lecturenn.activations.get_activation` (``"relu"`` by default); a
        ``"prelu"`` gets one slope per unit, or a shared one with
        ``{"name": "prelu", "shared": True}``.
    rng : numpy.random.Generator or int, optional
        Unused (no random initialisation); accepted for
        :func:`lecturenn.layers.layer_from_config`.
    dtype : numpy dtype, optional
        The dtype of the activation's parameters (``float64`` by default).

    Notes
    -----
    :meth:`trace_quantities` gives the input :math:`u` as the slide's :math:`S` and
    :math:`z = \sigma'(u)`, so :meth:`lecturenn.network.Network.forward_trace` sees the
    saturation of this layer as it sees that of a ``Dense``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = ActivationLayer(2, "relu")
    >>> layer.forward(np.array([[-1.0, 2.0]]))
    array([[0., 2.]])
    >>> layer.backward(np.array([[5.0, 5.0]]))
    array([[0., 5.]])
    """

    def __init__(self, n_units: int, activation="relu", *, rng=0, dtype=np.float64) -> None:
        self.n_units = check_int("n_units of ActivationLayer", n_units, minimum=1)
        self.n_in = self.n_out = self.n_units
        check_rng(rng)
        self.dtype = check_float_dtype("dtype of ActivationLayer", dtype)
        self.activation: Activation = get_activation(activation, n_units=self.n_units,
                                                     dtype=self.dtype)
        self._act_params = self.activation.parameters()
        self.cache: DenseCache | None = None

    def parameters(self):
        return list(self._act_params)

    def forward(self, x, train=False):
        check_bool("train of ActivationLayer.forward", train)
        check_layer_array("x", x, (None, self.n_units), self, "forward")
        out = self.activation.value(x)
        c = self.cache
        if c is None:
            self.cache = DenseCache(None, x, out)
        else:
            c.S, c.x_out = x, out
        return out

    def backward(self, grad_out, need_input_grad=True):
        c = self.cache
        if c is None:
            raise RuntimeError("ActivationLayer.backward called before forward")
        check_layer_array("grad_out", grad_out, c.S.shape, self, "backward",
                          " (the shape of the last forward's output)")
        act = self.activation
        if self._act_params:
            act.backward_params(c.S, grad_out)
        if not need_input_grad:
            return None
        if act.is_identity:
            return grad_out
        z = act.derivative(c.S, c.x_out)
        z *= grad_out
        return z

    def trace_quantities(self):
        r"""``(u, z)``: the input (the slide's :math:`S`) and :math:`\sigma'(u)`."""
        c = self.cache
        return c.S, self.activation.derivative(c.S, c.x_out)

    def config(self) -> dict:
        return {"type": "ActivationLayer", "n_units": self.n_units,
                "activation": self.activation.config()}

    #: the entries of an ActivationLayer config
    _CONFIG_KEYS = ("n_units", "activation")

    @classmethod
    def _check_config(cls, cfg):
        check_config_entries("ActivationLayer", cfg, cls._CONFIG_KEYS, ("n_units",))
        return check_int("n_units of ActivationLayer", cfg["n_units"], minimum=1)

    @classmethod
    def parameter_shapes(cls, cfg: dict):
        """The activation's parameters (``{"alpha": (n_units,)}`` for a PReLU, else ``{}``)."""
        H = cls._check_config(cfg)
        spec = cfg.get("activation", "relu")
        act_cls, kwargs = lookup("activation", spec, ACTIVATIONS, "an Activation",
                                 arg="activation of ActivationLayer")
        return act_cls.parameter_shapes(kwargs, H)

    def __repr__(self) -> str:
        return f"ActivationLayer({self.n_units}, {self.activation.name!r})"
