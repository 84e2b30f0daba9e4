r"""Layers: modules with ``forward``/``backward`` chained by :class:`lecturenn.network.Network`.

Slides «Обобщение: полносвязная нейронная сеть с L слоями», «Задача дифференцирования
суперпозиции функций», «Рекуррентное вычисление частных производных», «Быстрое вычисление
градиента».

**The layer protocol.** A layer maps a batch ``x`` of shape ``(n, n_in)`` to ``(n, n_out)``.

* ``forward(x, train=False)`` returns the output and stores in ``layer.cache`` (a small
  :class:`DenseCache`-like record, documented per layer) exactly what ``backward`` needs.
  ``train`` switches training-only behaviour (dropout masks, batch statistics); a dense
  layer behaves the same in both modes.
* ``backward(grad_out, need_input_grad=True)`` receives
  :math:`\partial Q/\partial x^l = \varepsilon^l/n` for the batch of the last ``forward``
  (:math:`Q` is the mean loss over the :math:`n` objects of the batch and
  :math:`\varepsilon^l_{ih} = \partial\mathcal{L}_i/\partial x^l_h` the per-object error of
  the slides, so the factor :math:`1/n` is already in ``grad_out``), **overwrites**
  ``grad`` of each of the layer's parameters with :math:`\partial Q/\partial w`, and
  returns :math:`\partial Q/\partial x^{l-1} = \varepsilon^{l-1}/n` (or ``None`` if
  ``need_input_grad`` is false: the first layer does not need it).
* ``parameters()`` lists the layer's :class:`lecturenn.parameter.Parameter` objects.
* ``buffers()`` (optional) lists arrays that are state but not trained, as
  :class:`~lecturenn.parameter.Parameter` objects whose ``grad`` stays ``None`` (the running
  statistics of :class:`lecturenn.batchnorm.BatchNorm`): saved and loaded with the weights,
  never given to an optimizer; ``buffer_shapes(cfg)`` gives their shapes as
  ``parameter_shapes`` does for the parameters.
* ``config()`` returns a JSON-serialisable dict from which :func:`layer_from_config`
  rebuilds the layer (without its weights); new layer types register themselves with
  :func:`register_layer`.
* ``parameter_shapes(cfg)`` (a class method, optional but recommended) gives the shapes of
  the parameters that the config ``cfg`` would create, without creating them, so that
  :func:`lecturenn.serialization.load` can check an untrusted file before it allocates
  anything (see :meth:`Layer.parameter_shapes`).

Gradient arrays are reused between calls (written in place when the shape and dtype
match), so copy ``p.grad`` if you need to keep the value of an earlier step.

``forward`` and ``backward`` are the training hot path and trust their inputs (a floating
array of the layer's dtype and width, a gradient of the output's shape): they are called by
:class:`lecturenn.network.Network`, which checks what it is given once. Calling a layer,
``layer(x)``, checks ``x`` first.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_batch,
    as_float_array,
    check_config_entries,
    check_float_dtype,
    check_int,
    check_rng,
    describe,
    lookup,
)
from lecturenn.activations import ACTIVATIONS, Activation, get_activation
from lecturenn.init import INITS, get_init  # INITS lives in lecturenn.init, re-exported
from lecturenn.parameter import Parameter

__all__ = [
    "Layer",
    "Dense",
    "DenseCache",
    "register_layer",
    "layer_from_config",
    "layer_type",
    "LAYER_TYPES",
    "INITS",
]

#: layer classes by the name stored in configs (see :func:`register_layer`)
LAYER_TYPES: dict[str, type] = {}


def register_layer(cls):
    """Class decorator: make a layer type rebuildable by :func:`layer_from_config`."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer decorates a subclass of lecturenn.layers.Layer, got "
                        f"{describe(cls)}")
    LAYER_TYPES[cls.__name__] = cls
    return cls


def layer_type(cfg) -> tuple[type, dict]:
    """The registered class of a layer config and its arguments: ``(cls, cfg without "type")``.

    Raises
    ------
    ValueError
        If ``cfg`` is not a dict with a registered ``"type"``.
    """
    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ValueError(f"a layer config must be a dict with a 'type' key, got {describe(cfg)}")
    kind = cfg["type"]
    if not isinstance(kind, str) or kind not in LAYER_TYPES:
        raise ValueError(f"unknown layer type {kind!r}; known: {sorted(LAYER_TYPES)}")
    return LAYER_TYPES[kind], {k: v for k, v in cfg.items() if k != "type"}


def layer_from_config(cfg: dict, rng=0, dtype=np.float64):
    """Rebuild a layer from :meth:`Layer.config` (weights freshly initialised).

    Parameters
    ----------
    cfg : dict
        ``{"type": <a name registered by register_layer>, **arguments}``, as
        :meth:`Layer.config` returns.
    rng : numpy.random.Generator or int, optional
        Random source of the fresh weights.
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32``.

    Returns
    -------
    Layer
        A new layer of that type, with freshly initialised weights.
    """
    cls, kwargs = layer_type(cfg)
    kind = cfg["type"]
    for key in ("rng", "dtype"):
        if key in kwargs:
            raise ValueError(f"the layer config {describe(cfg)} sets {key!r}, which is an "
                             "argument of layer_from_config, not of the layer's config")
    try:
        return cls.from_config(kwargs, rng=rng, dtype=dtype)
    except TypeError as exc:  # Python's own message for a missing or an unknown argument
        if not any(w in str(exc) for w in ("required positional argument",
                                           "unexpected keyword argument")):
            raise
        raise ValueError(f"the layer config {describe(cfg)} does not give the arguments of "
                         f"{kind}: {exc}") from exc


_UNSET = object()


def _grad_buffer(p: Parameter) -> np.ndarray:
    g = p.grad
    if g is None or g.shape != p.data.shape or g.dtype != p.data.dtype:
        g = np.empty_like(p.data)
        p.grad = g
    return g


class Layer:
    """Base class of a layer (see the module docstring for the protocol).

    Attributes
    ----------
    n_in, n_out : int
        The input and output widths :math:`H_{l-1}` and :math:`H_l`.
    cache : object or None
        What the last :meth:`forward` kept for :meth:`backward`.
    """

    n_in: int
    n_out: int
    cache = None

    #: the names of buffers added to the layer type after files had been written without
    #: them: a file or a state dict that lacks one still loads, and the buffer keeps its value
    #: (the one of a layer just built, when :func:`lecturenn.serialization.load` builds it),
    #: as ``torch.nn.modules.batchnorm._NormBase._load_from_state_dict`` does for
    #: ``num_batches_tracked`` in a state dict older than its version 2
    legacy_buffers: tuple[str, ...] = ()

    def parameters(self) -> list[Parameter]:
        """The layer's trainable parameters (empty for parameter-free layers)."""
        return []

    def buffers(self) -> list[Parameter]:
        """State that is saved with the weights but not trained (none by default)."""
        return []

    @classmethod
    def buffer_shapes(cls, cfg: dict) -> dict[str, tuple[int, ...]]:
        """The shapes of the buffers ``from_config(cfg)`` would create (``{}`` by default)."""
        return {}

    def forward(self, x: np.ndarray, train: bool = False) -> np.ndarray:
        """Compute the output for a batch ``x`` of shape ``(n, n_in)``; fill ``self.cache``."""
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray, need_input_grad: bool = True):
        r"""Set parameter gradients from the output error; return the input error.

        ``grad_out`` is :math:`\partial Q/\partial(\text{output})`; the result is
        :math:`\partial Q/\partial(\text{input})`.
        """
        raise NotImplementedError

    def config(self) -> dict:
        """A JSON-serialisable description (``{"type": ClassName, ...}``)."""
        raise NotImplementedError

    def trace_quantities(self):
        r"""The slide's :math:`S^l` and :math:`z^l = \sigma'(S^l)` of the last forward pass.

        :meth:`lecturenn.network.Network.forward_trace` records them for every layer. The
        default, for a layer without a weighted sum and an activation (dropout,
        normalization), is ``(None, None)``.
        """
        return None, None

    @classmethod
    def _check_config(cls, cfg: dict):
        """Check the entries of a config before anything is built (a layer type overrides it:
        no unknown entry, the required ones there, as
        :func:`lecturenn._validation.check_config_entries`); the default accepts any."""

    @classmethod
    def from_config(cls, cfg: dict, rng=0, dtype=np.float64):
        """Build the layer from the keyword arguments of its config, checked first."""
        cls._check_config(cfg)
        return cls(**cfg, rng=rng, dtype=dtype)

    @classmethod
    def parameter_shapes(cls, cfg: dict) -> dict[str, tuple[int, ...]] | None:
        """The shapes of the parameters ``from_config(cfg)`` would create, without creating them.

        A dict ``{name: shape}`` in the order of :meth:`parameters`, by the parameters' own
        names (``"W"``, ``"alpha"``), or ``None`` if the layer type does not say (the
        default). :func:`lecturenn.serialization.load` compares these shapes with the
        arrays stored in a file **before** it builds the network, so that a damaged or
        hostile record (``Dense(100000, 100000)``) is refused instead of allocated; for a
        layer type that returns ``None`` the layer is built first and compared afterwards.
        An implementation checks ``cfg`` (types and ranges) as the constructor would, and
        raises ``TypeError``/``ValueError`` naming the entry.
        """
        return None

    def __call__(self, x):
        """``layer(x)``: :meth:`forward` in inference mode, after checking ``x``.

        ``x`` must be a batch of shape ``(n, n_in)`` with finite entries (integers are
        converted; a float array of another dtype than the layer's is a ``TypeError``).
        :meth:`forward` itself trusts its input: it is the training hot path.
        """
        x = as_batch("x", x, self.n_in, getattr(self, "dtype", None), where=repr(self),
                     owner="the layer")
        return self.forward(x, train=False)


class DenseCache:
    r"""What :meth:`Dense.forward` keeps for :meth:`Dense.backward`.

    One record per layer, overwritten by every forward pass.

    Attributes
    ----------
    x_in : numpy.ndarray
        The input :math:`x^{l-1}` (without the constant :math:`x_0 = -1`), ``(n, H_{l-1})``.
    S : numpy.ndarray
        The weighted sums :math:`S^l`, ``(n, H_l)``.
    x_out : numpy.ndarray
        The outputs :math:`x^l = \sigma(S^l)`, ``(n, H_l)``.
    """

    __slots__ = ("x_in", "S", "x_out")

    def __init__(self, x_in=None, S=None, x_out=None) -> None:
        self.x_in, self.S, self.x_out = x_in, S, x_out

    def __repr__(self) -> str:
        shapes = [None if a is None else a.shape for a in (self.x_in, self.S, self.x_out)]
        return f"DenseCache(x_in={shapes[0]}, S={shapes[1]}, x_out={shapes[2]})"


def _check_init(init) -> None:
    get_init(init)  # a name of INITS or a callable; raises otherwise


@register_layer
class Dense(Layer):
    r"""A fully connected layer :math:`x^l = \sigma^l\bigl(S^l\bigr)` in the slide's notation.

    The weights form one matrix :math:`W^l = (w^l_{kh})` of shape :math:`(H_{l-1}+1) \times H_l`
    whose row :math:`k = 0` holds the thresholds: it multiplies the constant feature
    :math:`x^{l-1}_0 = -1` (slide «Обобщение: полносвязная нейронная сеть с L слоями»).
    For a batch (rows are objects, so the column form :math:`(W^l)^\top x^{l-1}`, which the
    slide misprints as :math:`W^l x^{l-1}`, is written :math:`x^{l-1} W^l` here):

    .. math::

        S^l_{ih} = \sum_{k=0}^{H_{l-1}} w^l_{kh} x^{l-1}_{ik}
                 = \sum_{k=1}^{H_{l-1}} x^{l-1}_{ik} w^l_{kh} - w^l_{0h},
        \qquad x^l_{ih} = \sigma(S^l_{ih}),

    computed as ``x @ W[1:] - W[0]`` without concatenating a column of :math:`-1`.

    Backward (slides «Рекуррентное вычисление частных производных», «Быстрое вычисление
    градиента»), with the per-object errors
    :math:`\varepsilon^l_{ih} = \partial\mathcal{L}_i/\partial x^l_h`, the derivatives
    :math:`z^l = \sigma'(S^l)` and :math:`Q = \frac1n\sum_i \mathcal{L}_i` the mean loss of
    a batch of :math:`n` objects:

    .. math::

        \frac{\partial Q}{\partial w^l_{kh}}
        = \frac1n\sum_{i=1}^{n} x^{l-1}_{ik}\,\varepsilon^l_{ih} z^l_{ih}
        \ (x^{l-1}_{i0} = -1), \qquad
        \varepsilon^{l-1}_{ik} = \sum_{h=1}^{H_l} \varepsilon^l_{ih} z^l_{ih} w^l_{kh},
        \ k = 1, \dots, H_{l-1}.

    The argument ``grad_out`` of :meth:`backward` is
    :math:`\partial Q/\partial x^l = \varepsilon^l/n` (it already carries the factor
    :math:`1/n`), and the result is :math:`\partial Q/\partial x^{l-1} = \varepsilon^{l-1}/n`.
    The sum runs over the real neurons :math:`h \ge 1` only, and no error is computed
    for the constant :math:`x_0 = -1` (see the erratum of the BackProp chapter).

    Parameters
    ----------
    n_in, n_out : int
        :math:`H_{l-1}` and :math:`H_l`.
    activation : str or Activation, optional
        See :func:`lecturenn.activations.get_activation`; ``"tanh"`` by default.
    rng : numpy.random.Generator or int, optional
        Random source of the initial weights (seed 0 by default, so runs are reproducible).
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32``; kept end to end.
    init : str or callable, optional
        ``"uniform"`` (default): every entry of :math:`W`, thresholds included, from
        :math:`U(-1/\sqrt{H_{l-1}}, 1/\sqrt{H_{l-1}})` (the PyTorch ``nn.Linear`` default);
        ``"xavier"``: :math:`U(\pm\sqrt{6/(H_{l-1}+H_l)})` (Glorot and Bengio,
        2010), zero thresholds;
        ``"he"``: :math:`N(0, 2/H_{l-1})` (He et al., 2015), zero thresholds; ``"zeros"``;
        the other names of :data:`lecturenn.init.INITS` (``"lecun_normal"``,
        ``"he_uniform"``, ``"orthogonal"``, ...), or a callable ``init(n_in, n_out, rng)``
        (see :func:`lecturenn.init.get_init`).
    W : array_like, optional
        Initial weights of shape ``(n_in + 1, n_out)``, real and finite; overrides
        ``init``. Copied (and converted to ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dense(2, 3, "sigmoid", rng=0)
    >>> layer.W.data.shape
    (3, 3)
    >>> layer.forward(np.zeros((4, 2))).shape
    (4, 3)
    """

    def __init__(self, n_in: int, n_out: int, activation="tanh", rng=0, dtype=np.float64,
                 init="uniform", W=None) -> None:
        n_in = check_int("n_in of Dense", n_in, minimum=1)
        n_out = check_int("n_out of Dense", n_out, minimum=1)
        dtype = check_float_dtype("dtype of Dense", dtype)
        self.n_in, self.n_out, self.dtype = n_in, n_out, dtype
        self.activation: Activation = get_activation(activation, n_units=self.n_out, dtype=dtype)
        _check_init(init)
        if W is None:
            W = get_init(init)(check_rng(rng), self.n_in, self.n_out, dtype)
        else:
            W = as_float_array("W", W, ndim=2, dtype=dtype).copy()  # real, finite, not aliased
            if W.shape != (self.n_in + 1, self.n_out):
                raise ValueError(
                    f"W of Dense({self.n_in}, {self.n_out}) must have shape "
                    f"({self.n_in + 1}, {self.n_out}) (row 0 = thresholds), got {W.shape}"
                )
        self.init = init
        self.W = Parameter(np.ascontiguousarray(W), name="W")
        self._act_params = self.activation.parameters()
        self.cache: DenseCache | None = None
        self._views_of = self._grad_of = _UNSET

    def parameters(self) -> list[Parameter]:
        return [self.W, *self._act_params]

    #: the entries of a Dense config (``W`` is not one: weights are not part of a config)
    _CONFIG_KEYS = ("n_in", "n_out", "activation", "init")

    @classmethod
    def _check_config(cls, cfg) -> None:
        # no weights or other arguments smuggled in by a record
        check_config_entries("Dense", cfg, cls._CONFIG_KEYS)

    @classmethod
    def parameter_shapes(cls, cfg):
        r""":math:`W^l` of shape :math:`(H_{l-1}+1) \times H_l` and the activation's parameters."""
        check_config_entries("Dense", cfg, cls._CONFIG_KEYS, ("n_in", "n_out"))
        n_in = check_int("n_in of Dense", cfg["n_in"], minimum=1)
        n_out = check_int("n_out of Dense", cfg["n_out"], minimum=1)
        _check_init(cfg.get("init", "uniform"))
        spec = cfg.get("activation", "tanh")
        if isinstance(spec, Activation):
            act = {p.name: p.data.shape for p in spec.parameters()}
        else:
            act_cls, kwargs = lookup("activation", spec, ACTIVATIONS, "an Activation",
                                     arg="activation of Dense")
            act = act_cls.parameter_shapes(kwargs, n_out)
            if act is None:
                return None
        return {"W": (n_in + 1, n_out), **act}

    def _weight_views(self):
        # views of W[1:], W[0] and W[1:].T, rebuilt only if W.data was replaced
        W = self.W.data
        if W is not self._views_of:
            self._views_of = W
            self._W1, self._W0, self._W1T = W[1:], W[0], W[1:].T
        return self._W1, self._W0, self._W1T

    def forward(self, x, train=False):
        W1, W0, _ = self._weight_views()  # views of W[1:] (weights) and W[0] (thresholds)
        S = x @ W1
        S -= W0
        out = self.activation.value(S)
        c = self.cache
        if c is None:
            self.cache = DenseCache(x, S, out)
        else:
            c.x_in, c.S, c.x_out = x, S, out
        return out

    def z(self) -> np.ndarray:
        r"""The derivative :math:`z^l = \sigma'(S^l)` at the cached forward pass."""
        c = self.cache
        return self.activation.derivative(c.S, c.x_out)

    def trace_quantities(self):
        r"""``(S, z)``: the weighted sums :math:`S^l` and :math:`z^l` of the last forward pass."""
        return self.cache.S, self.z()

    def backward(self, grad_out, need_input_grad=True):
        c = self.cache
        if c is None:
            raise RuntimeError("Dense.backward called before forward")
        act = self.activation
        if act.is_identity:
            delta = grad_out
        else:
            delta = act.derivative(c.S, c.x_out)
            delta *= grad_out
            if self._act_params:
                act.backward_params(c.S, grad_out)
        g = self.W.grad
        if g is not self._grad_of:
            g = _grad_buffer(self.W)
            self._grad_of, self._g1, self._g0 = g, g[1:], g[0]
        g0 = self._g0
        np.matmul(c.x_in.T, delta, out=self._g1)  # sum_i x_ik (eps z)_ih, k >= 1
        np.add.reduce(delta, axis=0, out=g0)
        np.negative(g0, out=g0)  # the row k = 0 multiplies x_0 = -1
        if need_input_grad:
            return delta @ self._weight_views()[2]
        return None

    def config(self) -> dict:
        return {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out,
                "activation": self.activation.config()}

    def __repr__(self) -> str:
        return f"Dense({self.n_in}, {self.n_out}, activation={self.activation.name!r})"
