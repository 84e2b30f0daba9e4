r"""A feed-forward network of layers trained by BackProp.

Slides «Обобщение: полносвязная нейронная сеть с L слоями», «Задача дифференцирования
суперпозиции функций», «Рекуррентное вычисление частных производных», «Быстрое вычисление
градиента», «Алгоритм обратного распространения ошибки BackProp».

The forward pass computes :math:`x^l = \sigma^l(S^l)` layer by layer; the backward pass
starts from the output errors :math:`\varepsilon^L_{im} = \partial\mathcal{L}_i/\partial x^L_m`
of the objects :math:`i = 1, \dots, n` of the batch, given by the loss, and runs the
recurrence

.. math::

    \varepsilon^{l-1}_{ik} = \sum_{h=1}^{H_l} \varepsilon^l_{ih}\, z^l_{ih}\, w^l_{kh}, \qquad
    \frac{\partial Q}{\partial w^l_{kh}}
    = \frac1n\sum_{i=1}^{n} \varepsilon^l_{ih}\, z^l_{ih}\, x^{l-1}_{ik},

for the mean loss :math:`Q = \frac1n\sum_i \mathcal{L}_i`, vectorised over the batch:
:math:`\varepsilon^{l-1} = (\varepsilon^l \odot z^l)\,(W^l_{1:})^\top` and
:math:`\nabla_{W^l} Q = \frac1n[-1,\ x^{l-1}]^\top (\varepsilon^l \odot z^l)`. The code
passes :math:`\partial Q/\partial x^l = \varepsilon^l/n` from layer to layer (the loss's
gradient already carries the :math:`1/n`); :meth:`Network.backprop_trace` reports the
per-object :math:`\varepsilon^l` of the slides. Checked against
Rumelhart, Hinton and Williams (1986), against SymPy (:mod:`lecturenn.derivations.backprop`),
finite differences (:mod:`lecturenn.gradcheck`) and PyTorch (``tests/test_torch_reference.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lecturenn._validation import (
    _DOT_FROM,
    all_finite,
    as_batch,
    as_float_array,
    check_config_entries,
    check_float_dtype,
    check_int,
    check_rng,
    check_shape,
    describe,
    nonfinite_parameter,
)
from lecturenn.activations import Activation, get_activation
from lecturenn.layers import Dense, Layer, layer_from_config, layer_type
from lecturenn.losses import Loss, get_loss
from lecturenn.parameter import Parameter, first_duplicate, load_arrays
from lecturenn.serialization import load, register_model, save

__all__ = ["Network", "BackPropTrace"]


@dataclass
class BackPropTrace:
    r"""The quantities of the slide «Алгоритм обратного распространения ошибки BackProp».

    Indices follow the slide: ``S[l]``, ``x[l]``, ``z[l]``, ``eps[l]`` for layers
    :math:`l = 1, \dots, L`; ``x[0]`` is the input and ``S[0] = z[0] = None``. Rows are the
    objects :math:`i`. Each layer reports its own :math:`S^l, z^l` by
    :meth:`lecturenn.layers.Layer.trace_quantities`; a layer without a weighted sum (e.g.
    dropout) has ``S[l] = z[l] = None``.

    Attributes
    ----------
    S : list
        Weighted sums :math:`S^l_{ih}`.
    x : list
        Layer outputs :math:`x^l_{ih}` (without the constant :math:`x_0 = -1`).
    z : list
        Derivatives :math:`z^l_{ih} = \sigma'(S^l_{ih})`.
    eps : list
        Errors :math:`\varepsilon^l_{ih} = \partial\mathcal{L}_i/\partial x^l_{ih}` of each object
        (the slide's per-object errors, *not* divided by the batch size); filled by
        :meth:`Network.backprop_trace`, ``eps[0]`` is the error of the input.
    loss : float or None
        The mean loss of the batch.
    grads : dict
        :math:`\partial Q/\partial w` (mean over the batch) by parameter name.
    """

    S: list = field(default_factory=list)
    x: list = field(default_factory=list)
    z: list = field(default_factory=list)
    eps: list = field(default_factory=list)
    loss: float | None = None
    grads: dict = field(default_factory=dict)


@register_model("lecturenn.Network")
class Network:
    r"""A feed-forward network :math:`a(x) = x^L`, built from widths or from layers.

    Parameters
    ----------
    layers : list of int or list of Layer
        Either the widths :math:`[H_0, H_1, \dots, H_L]` (then :math:`L` dense layers are
        built), or a list of :class:`lecturenn.layers.Layer` objects whose widths chain.
    activation : str, dict or Activation, optional
        Hidden-layer activation for the widths form (``"tanh"`` by default), see
        :func:`lecturenn.activations.get_activation`. A name or a dict builds one
        activation per layer (``"prelu"``: one PReLU with its own slopes in each hidden
        layer). An :class:`lecturenn.activations.Activation` instance is used as it is;
        one with trainable parameters (a ``PReLU``) can serve one layer only.
    output : str, dict or Activation, optional
        Output activation for the widths form (``"identity"`` by default: the network
        outputs scores :math:`g(x)` or logits; the loss applies sigmoid/softmax).
    rng : numpy.random.Generator or int, optional
        Random source of the initial weights for the widths form (seed 0 by default).
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32`` for the widths form.
    init : str or callable, optional
        Weight initialisation of the widths form, see :class:`lecturenn.layers.Dense` and
        :mod:`lecturenn.init`.

    Attributes
    ----------
    layers : list of Layer
    sizes : list of int
        :math:`[H_0, \dots, H_L]`.
    training : bool
        Mode switched by :meth:`train` and :meth:`eval` (matters for dropout-like layers).

    Raises
    ------
    ValueError
        If two layers share a :class:`lecturenn.parameter.Parameter` (the same ``Dense``
        twice, one ``PReLU`` in two layers): the backward pass sets each layer's
        gradients, it does not add them up, so shared weights would get wrong gradients.

    Examples
    --------
    >>> import numpy as np
    >>> from lecturenn.losses import SquaredError
    >>> net = Network([2, 3, 1], activation="sigmoid", rng=0)
    >>> [p.name for p in net.parameters()]
    ['layers.0.W', 'layers.1.W']
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); y = np.array([1.0, -1.0])
    >>> loss = net.loss_and_grad(X, y, SquaredError())
    >>> net.parameters()[0].grad.shape
    (3, 3)
    """

    def __init__(self, layers, activation="tanh", output="identity", rng=0,
                 dtype=np.float64, init="uniform") -> None:
        if (isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__")
                or (isinstance(layers, np.ndarray) and layers.ndim != 1)):
            raise TypeError(f"layers must be a list of widths or of Layer objects, "
                            f"got {describe(layers)}")
        layers = list(layers)
        if not layers:
            raise ValueError("layers must be a non-empty list of widths or of Layer objects, "
                             "got an empty list")
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in layers):
            if len(layers) < 2:
                raise ValueError(f"the widths form needs at least [H_0, H_1], got {layers}")
            layers = [check_int(f"layers[{i}] (the width H_{i})", h, minimum=1)
                      for i, h in enumerate(layers)]
            gen = check_rng(rng)
            dtype = check_float_dtype("dtype", dtype)
            if len(layers) == 2 and not isinstance(activation, Activation):
                # no hidden layer uses it, but a misspelt name is still an error
                get_activation(activation, n_units=1, dtype=dtype)
            built = []
            for i in range(len(layers) - 1):
                last = i == len(layers) - 2
                # the argument's own name in an error (output=..., not "activation")
                act = get_activation(output if last else activation, n_units=layers[i + 1],
                                     dtype=dtype, arg="output" if last else "activation")
                built.append(Dense(int(layers[i]), int(layers[i + 1]), act, rng=gen,
                                   dtype=dtype, init=init))
            layers = built
        elif all(isinstance(v, Layer) for v in layers):
            pass
        else:
            bad = next(v for v in layers if not isinstance(v, Layer))
            raise TypeError(f"layers must be all ints (widths) or all Layer objects, "
                            f"got {describe(bad)} among them")
        _check_not_shared(layers)
        for i in range(1, len(layers)):
            if layers[i].n_in != layers[i - 1].n_out:
                raise ValueError(
                    f"layer {i} ({layers[i]!r}) expects input width {layers[i].n_in}, "
                    f"but layer {i - 1} ({layers[i - 1]!r}) outputs {layers[i - 1].n_out}"
                )
        self.layers: list[Layer] = layers
        self.sizes = [layers[0].n_in] + [lay.n_out for lay in layers]
        dtypes = {p.data.dtype for p in self._raw_parameters()}
        if len(dtypes) > 1:
            raise TypeError(f"all layers must have the same dtype, got {sorted(map(str, dtypes))}")
        self.dtype = dtypes.pop() if dtypes else np.dtype(dtype)
        self.training = True
        self._out_shape: tuple | None = None  # the shape of the last forward output
        self._named: list[tuple[str, Parameter]] = []
        self._named_buffers: list[tuple[str, Parameter]] = []
        for i, lay in enumerate(self.layers):
            params, bufs = lay.parameters(), lay.buffers()
            arrays = params + bufs  # named together: a buffer never takes a parameter's name
            names = _parameter_names(i, [p.name for p in arrays])
            for j, (name, p) in enumerate(zip(names, arrays, strict=True)):
                p.name = name
                (self._named if j < len(params) else self._named_buffers).append((name, p))
        self._params = [p for _, p in self._named]

    # -- parameters and modes -------------------------------------------------------
    def _raw_parameters(self):
        return [p for lay in self.layers for p in lay.parameters()]

    def parameters(self) -> list[Parameter]:
        """All trainable parameters, named ``"layers.<l>.<name>"`` (``l`` from 0)."""
        return list(self._params)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """The pairs ``(name, parameter)`` in the order of :meth:`parameters`.

        As in PyTorch: ``for name, p in net.named_parameters(): ...``; ``dict(...)`` of it
        gives the parameters by name.
        """
        return list(self._named)

    def named_buffers(self) -> list[tuple[str, Parameter]]:
        """The layers' buffers (state that is not trained: running statistics) by name.

        As in PyTorch: saved and loaded with the weights and in :meth:`state_dict`, never in
        :meth:`parameters`, so no optimizer sees them.
        """
        return list(self._named_buffers)

    def named_arrays(self) -> list[tuple[str, Parameter]]:
        """:meth:`named_parameters` followed by :meth:`named_buffers`: what a file holds."""
        return self._named + self._named_buffers

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's and buffer's value by name (as ``torch.nn.Module``).

        The arrays are copies: training the network afterwards does not change them, so a
        state dict is a snapshot to return to with :meth:`load_state_dict`.
        """
        return {name: p.data.copy() for name, p in self.named_arrays()}

    def load_state_dict(self, state) -> None:
        """Copy the arrays of a :meth:`state_dict` into the parameters, in place.

        Parameters
        ----------
        state : dict
            Arrays by parameter name, as :meth:`state_dict` returns.

        Raises
        ------
        ValueError
            If a name is missing or extra, or an array has another shape or dtype, or
            holds NaN or infinity. Every difference is listed and nothing is loaded.

        Notes
        -----
        The masks of pruned parameters win (:func:`lecturenn.parameter.load_arrays`): a
        deleted weight stays zero whatever ``state`` holds for it. A buffer that older states
        lack (:meth:`legacy_array_names`, a ``BatchNorm``'s ``num_batches_tracked``) may be
        missing: it keeps its value, as in PyTorch.
        """
        load_arrays(self.named_arrays(), state, "state_dict",
                    optional=self.legacy_array_names(self.config()))

    @property
    def n_params(self) -> int:
        r""":math:`\dim w`, the number of trainable numbers."""
        return int(sum(p.size for p in self._params))

    @property
    def n_active(self) -> int:
        r"""The number of trainable numbers left: :attr:`n_params` minus the deleted ones.

        A deleted connection is a ``False`` entry of a parameter's
        :attr:`~lecturenn.parameter.Parameter.mask` (slide «Прореживание сети (OBD)»,
        :mod:`lecturenn.pruning`); without masks this is :attr:`n_params`.
        """
        return int(sum(p.n_active for p in self._params))

    def zero_grad(self) -> None:
        """Set every gradient to zero (:meth:`loss_and_grad` overwrites them anyway)."""
        for p in self._params:
            p.zero_grad()

    def train(self) -> Network:
        """Switch to training mode (as in PyTorch); returns the network."""
        self.training = True
        return self

    def eval(self) -> Network:
        """Switch to inference mode (as in PyTorch); returns the network."""
        self.training = False
        return self

    # -- forward --------------------------------------------------------------------
    def _check_input(self, X, finite: bool = True, name: str = "X") -> np.ndarray:
        """``X`` as a batch of this network's dtype, shape ``(n, H_0)``, ``n >= 1``.

        The finiteness check is one more pass over ``X``; the training hot path
        (:meth:`loss_and_grad`) skips it with ``finite=False``.
        """
        if (type(X) is np.ndarray and X.dtype == self.dtype and X.ndim == 2
                and X.shape[1] == self.sizes[0] and X.shape[0]
                and (not finite or (np.count_nonzero(np.isfinite(X)) == X.size  # all_finite,
                                    if X.size < _DOT_FROM else all_finite(X)))):  # inlined
            return X  # fast path: nothing to convert or report
        return as_batch(name, X, self.sizes[0], self.dtype, finite=finite,
                        where=f"layer 0 ({self.layers[0]!r})", owner="the network")

    def _forward(self, X, train):
        r"""The forward pass, :math:`x^l = \sigma^l(S^l)`, :math:`l = 1, \dots, L` (no checks)."""
        for lay in self.layers:
            X = lay.forward(X, train)
        self._out_shape = X.shape  # what backward() expects
        return X

    def forward(self, X) -> np.ndarray:
        r"""The network output :math:`x^L = a(X)`, shape ``(n, H_L)``, in the current mode.

        ``X`` of shape ``(n, H_0)`` is checked: integer or Boolean entries are converted to
        the network's dtype, a float array of another dtype is a ``TypeError``, NaN and
        infinity are a ``ValueError`` (one pass over ``X``; :func:`lecturenn.training.fit`
        checks the whole data set once instead of every batch). If the output is not finite,
        the weights are looked at: a parameter holding NaN or infinity is a ``ValueError``
        naming it (an output that overflowed with finite weights is returned as it is).
        """
        out = self._forward(self._check_input(X), self.training)
        if not all_finite(out):
            self._check_weights("forward")
        return out

    def _check_weights(self, where: str) -> None:
        """A ``ValueError`` naming the first parameter that holds NaN or infinity, if any."""
        bad = nonfinite_parameter(self._params)
        if bad is not None:
            raise ValueError(f"{bad}, so the output of Network.{where} is not finite; "
                             "the weights must be finite (reload them, or re-initialise the "
                             "network)")

    def __call__(self, X) -> np.ndarray:
        """``net(X)`` is :meth:`forward` (also when a subclass overrides ``forward``)."""
        return self.forward(X)

    def forward_trace(self, X) -> BackPropTrace:
        r"""The forward pass of the BackProp slide, keeping :math:`S^l, x^l, z^l`."""
        X = self._check_input(X)
        tr = BackPropTrace(S=[None], x=[X], z=[None])
        for lay in self.layers:
            X = lay.forward(X, self.training)
            S, z = lay.trace_quantities()
            tr.S.append(S)
            tr.z.append(z)
            tr.x.append(X)
        self._out_shape = X.shape
        if not all_finite(X):
            self._check_weights("forward_trace")
        return tr

    # -- backward -------------------------------------------------------------------
    def backward(self, grad_out: np.ndarray, record: list | None = None) -> None:
        r"""Back-propagate :math:`\partial Q/\partial x^L = \varepsilon^L/n` from the last forward.

        ``grad_out`` is that array: :math:`Q` is the mean loss over the :math:`n` objects of
        the batch and :math:`\varepsilon^L` the per-object output errors. It must have the
        shape of the last forward output and the network's dtype, and be finite.
        Overwrites ``grad`` of every parameter. If ``record`` is a list, the arrays
        :math:`\partial Q/\partial x^l = \varepsilon^l/n` for :math:`l = L, \dots, 0` are
        appended to it (:meth:`backprop_trace` multiplies them by :math:`n`).
        """
        shape = self._out_shape
        if shape is None:
            raise RuntimeError("Network.backward called before forward")
        g = as_float_array("grad_out", grad_out, dtype="floating")
        check_shape("grad_out", g, shape, where="Network.backward (the last forward output)")
        if g.dtype != self.dtype:
            raise TypeError(f"grad_out has dtype {g.dtype} but the network has dtype "
                            f"{self.dtype}")
        if record is not None and not isinstance(record, list):
            raise TypeError(f"record must be a list or None, got {describe(record)}")
        self._backward(g, record)

    def _backward(self, grad_out, record=None):
        r"""The backward pass, layers :math:`L, \dots, 1` (no checks).

        Layer :math:`l` turns :math:`\partial Q/\partial x^l` into the gradient of its
        weights and returns :math:`\partial Q/\partial x^{l-1}`; the first layer's input
        gradient is not needed unless ``record`` asks for it.
        """
        g = grad_out
        last = len(self.layers) - 1
        for j in range(last, -1, -1):
            if record is not None:
                record.append(g)
            g = self.layers[j].backward(g, need_input_grad=(j > 0 or record is not None))
        if record is not None:
            record.append(g)

    def loss_and_grad(self, X, y, loss, check: bool = True) -> float:
        r"""Forward and backward on a batch: return the mean loss, fill every ``p.grad``.

        Parameters
        ----------
        X : array_like, shape (n, H_0)
        y : array_like
            Targets in the form the loss expects (see :mod:`lecturenn.losses`).
        loss : Loss or str
        check : bool, optional
            Validate ``y`` (shape, labels in range; targets are converted to the network's
            dtype) and ``X`` (finite: an infinity would pass through ``tanh`` to a finite loss
            and NaN gradients), and, if the loss is not finite, name the parameter holding
            NaN or infinity that made it so. :func:`lecturenn.training.fit` validates the
            whole data set once and passes ``False`` on its hot path. The shape and dtype of
            ``X`` are always checked. The weights are not looked at while the loss is
            finite (that would be a pass over all of them per call): an infinite weight can
            give a finite loss and NaN gradients, which every optimizer of
            :mod:`lecturenn.optim` reports, naming the parameter.

        Returns
        -------
        float
            :math:`Q = \frac1n\sum_i \mathcal{L}_i` at the current weights.
        """
        if not isinstance(loss, Loss):
            loss = get_loss(loss)
        X = self._check_input(X, check)  # shape and dtype, finiteness if checked
        out = self._forward(X, self.training)
        if check:
            y = loss.prepare_target(y, out.shape, out.dtype)
        value, g = loss.value_and_grad(out, y)
        if check and not math.isfinite(value):
            self._check_weights("loss_and_grad")  # only when Q is not finite: free otherwise
        self._backward(g)
        return value

    def backprop_trace(self, X, y, loss) -> BackPropTrace:
        r"""One BackProp pass keeping all the slide names: S, x, z, ε and the gradients."""
        if not isinstance(loss, Loss):
            loss = get_loss(loss)
        tr = self.forward_trace(X)
        out = tr.x[-1]
        y = loss.prepare_target(y, out.shape, out.dtype)
        value, g = loss.value_and_grad(out, y)
        rec: list = []
        self._backward(g, record=rec)
        n = out.shape[0]
        tr.eps = [e * n for e in reversed(rec)]
        tr.loss = value
        tr.grads = {name: p.grad.copy() for name, p in self._named}
        return tr

    # -- (de)serialisation ----------------------------------------------------------
    def config(self) -> dict:
        """The architecture as a JSON-serialisable dict (no weights)."""
        return {"format": "lecturenn.Network", "version": 1, "dtype": str(self.dtype),
                "layers": [lay.config() for lay in self.layers]}

    #: the entries of :meth:`config`
    _CONFIG_KEYS = ("format", "version", "dtype", "layers")

    @classmethod
    def _check_config(cls, cfg) -> tuple[np.dtype, list]:
        """The dtype and the layer configs of a :meth:`config` dict, its entries checked."""
        if not isinstance(cfg, dict) or cfg.get("format") != "lecturenn.Network":
            raise ValueError(f"cfg is not a lecturenn.Network config (a dict with "
                             f"format 'lecturenn.Network'): {describe(cfg)}")
        check_config_entries("Network", cfg, cls._CONFIG_KEYS, ("dtype", "layers"),
                             article="the")
        version = cfg.get("version", 1)
        if version != 1 or isinstance(version, bool):
            raise ValueError(f"the Network config has version {version!r}; this lecturenn "
                             "reads version 1")
        if not isinstance(cfg["dtype"], str):
            raise TypeError(f"the config's dtype must be 'float32' or 'float64', got "
                            f"{describe(cfg['dtype'])}")
        dtype = check_float_dtype("the config's dtype", cfg["dtype"])
        layers = cfg["layers"]
        if not isinstance(layers, list) or not layers:
            raise ValueError(f"the config's 'layers' must be a non-empty list of layer configs, "
                             f"got {describe(layers)}")
        return dtype, layers

    @classmethod
    def from_config(cls, cfg: dict, rng=0) -> Network:
        """Build a network (fresh weights) from :meth:`config`.

        Parameters
        ----------
        cfg : dict
            ``{"format": "lecturenn.Network", "version": 1, "dtype": ..., "layers": [...]}``
            as :meth:`config` returns (an unknown entry or another version is an error).
        rng : numpy.random.Generator or int, optional
            Random source of the fresh weights.
        """
        dtype, layers = cls._check_config(cfg)
        gen = check_rng(rng)
        return cls([layer_from_config(c, rng=gen, dtype=dtype) for c in layers])

    @classmethod
    def parameter_shapes(cls, cfg: dict) -> dict[str, tuple[int, ...]] | None:
        """The names and shapes of the parameters (then buffers) ``from_config(cfg)`` would create.

        Nothing is built: each layer type computes its shapes from its config
        (:meth:`lecturenn.layers.Layer.parameter_shapes`, then
        :meth:`~lecturenn.layers.Layer.buffer_shapes`), and the entries are checked on the
        way. ``None`` if a layer type does not say. :func:`lecturenn.serialization.load`
        compares the result with the arrays of a file before it builds the network.
        """
        _, layers = cls._check_config(cfg)
        out: dict[str, tuple[int, ...]] = {}
        for i, c in enumerate(layers):
            kind, kwargs = layer_type(c)
            shapes = kind.parameter_shapes(kwargs)
            if shapes is None:
                return None
            shapes = {**shapes, **kind.buffer_shapes(kwargs)}
            for name, shape in zip(_parameter_names(i, list(shapes)), shapes.values(),
                                   strict=True):
                out[name] = tuple(int(d) for d in shape)
        return out

    @classmethod
    def legacy_array_names(cls, cfg: dict) -> list[str]:
        """The names of the buffers that a file or state dict of ``cfg`` may lack.

        The buffers each layer type lists in
        :attr:`~lecturenn.layers.Layer.legacy_buffers` (a ``BatchNorm``'s
        ``num_batches_tracked``, which files saved before it existed do not hold), by their
        names in the network (``"layers.1.num_batches_tracked"``). Empty for a layer type
        whose :meth:`~lecturenn.layers.Layer.parameter_shapes` does not say.
        """
        _, layers = cls._check_config(cfg)
        out: list[str] = []
        for i, c in enumerate(layers):
            kind, kwargs = layer_type(c)
            legacy = getattr(kind, "legacy_buffers", ())
            shapes = kind.parameter_shapes(kwargs) if legacy else None
            if shapes is None:
                continue
            local = [*shapes, *kind.buffer_shapes(kwargs)]
            out += [name for key, name in zip(local, _parameter_names(i, local), strict=True)
                    if key in legacy]
        return out

    def save(self, path):
        """Save weights and architecture to ``.npz``; return the path written.

        See :func:`lecturenn.serialization.save`.
        """
        return save(self, path)

    @classmethod
    def load(cls, path) -> Network:
        """Rebuild a saved network; see :func:`lecturenn.serialization.load`."""
        net = load(path)
        if not isinstance(net, cls):
            raise TypeError(f"{str(path)!r} holds a {type(net).__name__}, not a {cls.__name__}")
        return net

    def __repr__(self) -> str:
        inner = ", ".join(repr(lay) for lay in self.layers)
        return f"Network([{inner}])"


def _parameter_names(i: int, local: list[str]) -> list[str]:
    """The names ``"layers.<i>.<name>"`` of layer ``i``'s parameters from their own names.

    A name is the last dotted part of the parameter's own name; a repeated one gets a
    number (``W``, ``W1``, ``W2``).
    """
    seen: set[str] = set()
    out = []
    for name in local:
        base = name.rsplit(".", 1)[-1]
        key, k = base, 1
        while key in seen:
            key, k = f"{base}{k}", k + 1
        seen.add(key)
        out.append(f"layers.{i}.{key}")
    return out


def _check_not_shared(layers) -> None:
    """Refuse a Parameter that belongs to two layers (or twice to one)."""
    owned = [(i, p) for i, lay in enumerate(layers) for p in lay.parameters()]
    dup = first_duplicate([p for _, p in owned])
    if dup is None:
        return
    (j, p), (i, _) = owned[dup[0]], owned[dup[1]]
    where = (f"layer {i} ({layers[i]!r}) lists the parameter {p.name!r} twice" if i == j else
             f"layers {j} ({layers[j]!r}) and {i} ({layers[i]!r}) share the parameter "
             f"{p.name!r}")
    raise ValueError(
        f"{where}: a Parameter may belong to one layer only (the backward pass sets each "
        "layer's gradients, it does not add them up, and an optimizer would update it twice); "
        "give every layer its own Dense and activation, e.g. activation='prelu' builds one "
        "PReLU per layer"
    )
