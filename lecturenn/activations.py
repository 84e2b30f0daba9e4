r"""Activation functions :math:`\sigma` and their derivatives :math:`z = \sigma'(S)`.

Slides «Задача дифференцирования суперпозиции функций» (the forward pass
:math:`x^l_h = \sigma^l_h(S^l_h)`), «Алгоритм обратного распространения ошибки BackProp»
(:math:`z^l_{ih} = (\sigma^l_h)'(S^l_{ih})`) and «Функции активации ReLU и PReLU (LeakyReLU)».

Every activation gives its value ``x = act.value(S)`` and its derivative
``z = act.derivative(S, x)``; the second argument (the already computed value) lets the
sigmoid and the hyperbolic tangent use the cheap identities

.. math::

    \sigma' = \sigma(1 - \sigma), \qquad \tanh' = 1 - \tanh^2,

which are derived and asserted in :mod:`lecturenn.derivations.activations`.

Every activation also gives its second derivative ``act.second_derivative(S, x)``,
:math:`\sigma''(S)`, which the second backward pass of Optimal Brain Damage needs (the
diagonal of the Hessian); for the piecewise-linear ones it is 0 (everywhere but at the kink,
where it does not exist).

All functions are numerically stable for any finite float input: no overflow warning
at :math:`|S| = 1000` or at the largest float, and the dtype of ``S`` is kept (float32
stays float32).

**Checked and unchecked calls.** ``act(s)`` is the call for people: ``s`` is checked
(real numbers only: integers and Booleans become float64, complex numbers, strings and
``None`` are a ``TypeError``, NaN and infinity a ``ValueError``). ``value``,
``derivative`` and ``second_derivative`` are the layers' hot path and trust their input: a
floating ``numpy.ndarray`` (what a layer computes).

An activation with trainable parameters (PReLU) exposes them through ``parameters()``
and receives :math:`\partial Q/\partial x^l` in :meth:`Activation.backward_params`.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_bool,
    check_float_dtype,
    check_int,
    check_kwargs,
    check_positive,
    check_real,
    describe,
    lookup,
)
from lecturenn.parameter import Parameter

__all__ = [
    "Activation",
    "Identity",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "SiLU",
    "get_activation",
    "ACTIVATIONS",
]


class Activation:
    r"""Base class of an elementwise activation :math:`x = \sigma(S)`.

    Subclasses implement :meth:`value`, :meth:`derivative` and :meth:`second_derivative`
    (unchecked: they receive a floating ``numpy.ndarray``); calling the activation,
    ``act(s)``, checks ``s`` first. Activations without trainable parameters are stateless
    and may be shared between layers.
    """

    #: the name used in configs and error messages
    name = "activation"
    #: True only for the identity (lets a layer skip the product with :math:`z = 1`)
    is_identity = False

    def value(self, s: np.ndarray) -> np.ndarray:
        r"""The value :math:`\sigma(S)`, elementwise, same shape and dtype as ``s``.

        Unchecked (the layers' hot path): ``s`` must be a floating ``numpy.ndarray``; call
        the activation, ``act(s)``, to have ``s`` checked.
        """
        raise NotImplementedError

    def derivative(self, s: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        r"""The derivative :math:`z = \sigma'(S)`.

        Unchecked, like :meth:`value`.

        Parameters
        ----------
        s : numpy.ndarray
            The pre-activation :math:`S`.
        x : numpy.ndarray, optional
            :math:`\sigma(S)` if already computed (saves work for sigmoid and tanh).
        """
        raise NotImplementedError

    def second_derivative(self, s: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        r"""The second derivative :math:`\sigma''(S)`, elementwise.

        Parameters
        ----------
        s : numpy.ndarray
            The pre-activation :math:`S`.
        x : numpy.ndarray, optional
            :math:`\sigma(S)` if already computed.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not give its second derivative; implement "
            "second_derivative(s, x=None) to use it where second derivatives are needed"
        )

    def __call__(self, s):
        r"""``act(s)``: the value :math:`\sigma(s)` after checking ``s``.

        ``s`` must hold real numbers: integers and Booleans are converted to float64, a
        floating array keeps its dtype; complex numbers, strings and ``None`` are a
        ``TypeError``, NaN and infinity a ``ValueError``.
        """
        return self.value(self._check_input(s))

    def _check_input(self, s) -> np.ndarray:
        return as_float_array(f"s (the input of {self!r})", s, dtype="floating",
                              allow_empty=True)

    def parameters(self) -> list[Parameter]:
        """Trainable parameters of the activation (none for most)."""
        return []

    @classmethod
    def parameter_shapes(cls, cfg: dict, n_units: int) -> dict[str, tuple[int, ...]] | None:
        """The shapes of the parameters that ``get_activation({"name": ..., **cfg}, n_units)``
        would create, by name, without creating them; ``None`` if the class does not say.

        :func:`lecturenn.serialization.load` compares them with the arrays of a file before
        it builds anything. The default is ``{}`` for a class that does not override
        :meth:`parameters` (it has none) and ``None`` otherwise; an activation with
        parameters overrides it (see :class:`PReLU`) and checks ``cfg`` as its constructor
        would.
        """
        if cls.parameters is not Activation.parameters:
            return None
        check_kwargs(f"activation {cls.name!r}", cls, cfg)
        return {}

    def backward_params(self, s: np.ndarray, grad_x: np.ndarray) -> None:
        r"""Set the gradients of the activation's own parameters.

        ``grad_x`` is :math:`\partial Q/\partial x^l = \varepsilon^l / n` (the per-object
        errors :math:`\varepsilon^l` of the slide divided by the batch size :math:`n`).
        Parameter-free activations do nothing.
        """

    def config(self) -> dict:
        """A JSON-serialisable description from which :func:`get_activation` rebuilds it."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    r"""The identity :math:`\sigma(S) = S`, :math:`z = 1` (the output of a regression net)."""

    name = "identity"
    is_identity = True

    def value(self, s):
        return s

    def derivative(self, s, x=None):
        return np.ones_like(s)

    def second_derivative(self, s, x=None):
        return np.zeros_like(s)


class Sigmoid(Activation):
    r"""The logistic sigmoid.

    .. math::

        \sigma(S) = \frac{1}{1 + e^{-S}} = \tfrac12\bigl(1 + \tanh\tfrac{S}{2}\bigr),
        \qquad \sigma'(S) = \sigma(S)\bigl(1 - \sigma(S)\bigr).

    Computed as :math:`1/(1+e^{-S})` for :math:`S \ge 0` and :math:`e^{S}/(1+e^{S})` for
    :math:`S < 0`, i.e. always through :math:`e^{-|S|} \le 1`: it never overflows (the naive
    :math:`1/(1+e^{-S})` overflows :math:`e^{-S}` at :math:`S < -710` in float64) and the
    *relative* error is at the rounding level in both tails (the form through
    :math:`\tanh` loses all digits below :math:`S \approx -37`).

    The derivative is :math:`x(1 - x)` from the value :math:`x = \sigma(S)` already computed
    (as in PyTorch): its *absolute* error is at the rounding level, below
    :math:`\epsilon_{\text{mach}}`, but for positive :math:`S` the difference :math:`1 - x`
    cancels: the relative error grows like :math:`\epsilon_{\text{mach}} e^{S}` (about
    :math:`10^{-3}` at :math:`S = 30`), and for :math:`S \gtrsim 37`, where :math:`x` rounds
    to 1, the result is 0 instead of :math:`\sigma'(S) \approx e^{-S} < 10^{-16}`. Training
    is not affected.

    Slides «Искусственный нейрон — линейная модель классификации», «Функции активации ReLU и
    PReLU (LeakyReLU)».
    """

    name = "sigmoid"

    def value(self, s):
        s = np.asarray(s)
        e = np.exp(-np.abs(s))  # e^{-|S|}, in (0, 1]: never overflows
        return np.where(s >= 0, 1.0, e) / (1.0 + e)

    def derivative(self, s, x=None):
        if x is None:
            x = self.value(s)
        return x * (1 - x)

    def second_derivative(self, s, x=None):
        r""":math:`\sigma'' = \sigma(1-\sigma)(1-2\sigma)`."""
        if x is None:
            x = self.value(s)
        return x * (1 - x) * (1 - 2 * x)


class Tanh(Activation):
    r"""The hyperbolic tangent :math:`\tanh S`, with :math:`\tanh'(S) = 1 - \tanh^2 S`."""

    name = "tanh"

    def value(self, s):
        return np.tanh(s)

    def derivative(self, s, x=None):
        if x is None:
            x = np.tanh(s)
        z = np.multiply(x, x)
        np.subtract(1, z, out=z)
        return z

    def second_derivative(self, s, x=None):
        r""":math:`\tanh'' = -2\tanh(1 - \tanh^2)`."""
        if x is None:
            x = np.tanh(s)
        return -2 * x * (1 - x * x)


class ReLU(Activation):
    r"""The rectified linear unit :math:`\max\{0, S\}` (Nair and Hinton, 2010).

    The derivative is :math:`[S > 0]`; at :math:`S = 0` we take 0 (as PyTorch does).
    Slide «Функции активации ReLU и PReLU (LeakyReLU)».
    """

    name = "relu"

    def value(self, s):
        return np.maximum(s, 0)

    def derivative(self, s, x=None):
        return (s > 0).astype(s.dtype)

    def second_derivative(self, s, x=None):
        return np.zeros_like(s)


class LeakyReLU(Activation):
    r"""Leaky ReLU :math:`\max\{0,S\} + \alpha\min\{0,S\}` with a fixed slope.

    Maas et al. (2013).

    The derivative is 1 for :math:`S > 0` and :math:`\alpha` for :math:`S \le 0`.

    Parameters
    ----------
    alpha : float, optional
        The slope for negative inputs, 0.01 by default (:math:`\alpha \ge 0`).
    """

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = check_positive("alpha", alpha, strict=False)

    def derivative(self, s, x=None):
        # the dtype of a floating s; an integer s gives float64 (never a truncated slope)
        t = s.dtype.type if s.dtype.kind == "f" else np.float64
        return np.where(s > 0, t(1), t(self.alpha))

    def value(self, s):
        return s * self.derivative(s)

    def second_derivative(self, s, x=None):
        return np.zeros_like(s)

    def config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class PReLU(Activation):
    r"""Parametric ReLU :math:`\max\{0,S_h\} + \alpha_h \min\{0,S_h\}` with learned slopes.

    He et al. (2015).

    Slide «Функции активации ReLU и PReLU (LeakyReLU)»: the slope :math:`\alpha` is a
    parameter trained by BackProp together with the weights. We follow He et al. (2015):
    one slope per neuron (``shared=False``, shape ``(n_units,)``), initialised to 0.25;
    ``shared=True`` gives one slope for the whole layer (shape ``(1,)``).

    .. math::

        \frac{\partial x_h}{\partial S_h} = [S_h > 0] + \alpha_h [S_h \le 0], \qquad
        \frac{\partial Q}{\partial \alpha_h} = \frac1n \sum_i \varepsilon_{ih}\,\min\{0, S_{ih}\}.

    Parameters
    ----------
    n_units : int
        The number of neurons of the layer.
    alpha : float, optional
        The initial slope.
    shared : bool, optional
        One slope for all neurons instead of one per neuron.
    dtype : numpy dtype, optional
        The dtype of the slope parameter, ``float64`` (default) or ``float32``.

    Examples
    --------
    >>> import numpy as np
    >>> act = PReLU(2, alpha=0.25)
    >>> act(np.array([[-4.0, 3.0]]))
    array([[-1.,  3.]])
    >>> [p.name for p in act.parameters()], act.alpha.data
    (['alpha'], array([0.25, 0.25]))

    In a network built from widths, ``activation="prelu"`` gives every hidden layer its
    own slopes (an instance such as ``PReLU(3)`` holds one set of slopes, for one layer).
    """

    name = "prelu"

    def __init__(self, n_units: int, alpha: float = 0.25, shared: bool = False,
                 dtype=np.float64) -> None:
        self.n_units = check_int("n_units of PReLU", n_units, minimum=1)
        alpha = check_real("alpha of PReLU", alpha)
        self.shared = check_bool("shared", shared)
        dtype = check_float_dtype("dtype of PReLU", dtype)
        size = 1 if self.shared else self.n_units
        self.alpha = Parameter(np.full(size, alpha, dtype=dtype), name="alpha")

    def parameters(self):
        return [self.alpha]

    @classmethod
    def parameter_shapes(cls, cfg, n_units):
        check_kwargs("activation 'prelu'", cls, cfg, reserved=("n_units", "dtype"))
        shared = check_bool("shared of PReLU", cfg.get("shared", False))
        if "alpha" in cfg:
            check_real("alpha of PReLU", cfg["alpha"])
        return {"alpha": (1,) if shared else (check_int("n_units of PReLU", n_units,
                                                         minimum=1),)}

    def __call__(self, s):
        """``act(s)``: checked as :meth:`Activation.__call__`, and ``s`` must have one column
        per neuron, ``s.shape[-1] == n_units`` (any shape with ``shared=True``)."""
        s = self._check_input(s)
        k = self.alpha.data.shape[0]
        if k != 1 and (s.ndim == 0 or s.shape[-1] != k):
            raise ValueError(f"s (the input of {self!r}) must have one column per neuron, "
                             f"shape (..., {k}), got {s.shape}")
        return self.value(s)

    def derivative(self, s, x=None):
        # the dtype of a floating s; an integer s gives the slopes' dtype (never truncated)
        dt = s.dtype if s.dtype.kind == "f" else self.alpha.data.dtype
        return np.where(s > 0, dt.type(1), self.alpha.data.astype(dt, copy=False))

    def value(self, s):
        return s * self.derivative(s)

    def second_derivative(self, s, x=None):
        return np.zeros_like(s)

    def backward_params(self, s, grad_x):
        g = np.einsum("ij,ij->j", grad_x, np.minimum(s, 0))
        if self.shared:
            g = g.sum(keepdims=True)
        self.alpha.grad = g.astype(self.alpha.data.dtype, copy=False)

    def config(self):
        return {"name": self.name, "shared": self.shared}

    def __repr__(self):
        return f"PReLU(n_units={self.n_units}, shared={self.shared})"


class SiLU(Activation):
    r"""The sigmoid-weighted linear unit :math:`\mathrm{silu}(S) = S\,\sigma(S)` ("swish").

    Elfwing, Uchibe and Doya (2018); Ramachandran, Zoph and Le (2017) call it swish (with
    :math:`\beta = 1`); PyTorch's ``nn.SiLU``. Not on the slides: the Kolmogorov–Arnold
    networks of Liu et al. (2024) use it as the base function of every edge. With
    :math:`\sigma = \sigma(S)`:

    .. math::

        \mathrm{silu}'(S) = \sigma\bigl(1 + S(1-\sigma)\bigr), \qquad
        \mathrm{silu}''(S) = \sigma(1-\sigma)\bigl(2 + S(1-2\sigma)\bigr),

    derived in :func:`lecturenn.derivations.activations.check_silu_derivatives`. The value
    uses the stable sigmoid of :class:`Sigmoid` (no overflow at any finite input).

    Examples
    --------
    >>> import numpy as np
    >>> np.round(SiLU()(np.array([-1.0, 0.0, 2.0])), 6)
    array([-0.268941,  0.      ,  1.761594])
    """

    name = "silu"

    def value(self, s):
        s = np.asarray(s)
        return s * _SIGMOID.value(s)

    def derivative(self, s, x=None):
        sig = _SIGMOID.value(s)
        return sig * (1 + s * (1 - sig))

    def second_derivative(self, s, x=None):
        sig = _SIGMOID.value(s)
        return sig * (1 - sig) * (2 + s * (1 - 2 * sig))


class ELU(Activation):
    r"""The exponential linear unit (Clevert, Unterthiner and Hochreiter, 2016).

    .. math::

        \mathrm{elu}(S) = \begin{cases} S, & S > 0,\\ \alpha(e^{S} - 1), & S \le 0,\end{cases}
        \qquad
        \mathrm{elu}'(S) = \begin{cases} 1, & S > 0,\\ \alpha e^{S}, & S \le 0,\end{cases}
        \qquad
        \mathrm{elu}''(S) = \begin{cases} 0, & S > 0,\\ \alpha e^{S}, & S < 0.\end{cases}

    Not on the slides: like a leaky ReLU it passes an error for :math:`S < 0`, and its
    negative part saturates at :math:`-\alpha`, which pushes the mean output towards 0. For
    :math:`\alpha = 1` the derivative is continuous at 0 (the second derivative jumps from 1 to
    0; at :math:`S = 0` the code returns :math:`\alpha`, the left limit, for both). Computed
    with ``expm1`` on :math:`\min(S, 0)`, so that no :math:`e^{S}` of a large positive
    :math:`S` overflows. PyTorch's ``nn.ELU(alpha)``. Derivatives checked in
    :func:`lecturenn.derivations.activations.check_elu_derivatives`.

    Parameters
    ----------
    alpha : float, optional
        The level :math:`-\alpha` of the negative saturation, :math:`\alpha > 0`; 1 by default.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(ELU()(np.array([-1.0, 0.0, 2.0])), 6)
    array([-0.632121,  0.      ,  2.      ])
    """

    name = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = check_positive("alpha of ELU", alpha)

    def value(self, s):
        s = np.asarray(s)
        t = s.dtype.type if s.dtype.kind == "f" else np.float64
        return np.where(s > 0, s, t(self.alpha) * np.expm1(np.minimum(s, 0)))

    def derivative(self, s, x=None):
        s = np.asarray(s)
        t = s.dtype.type if s.dtype.kind == "f" else np.float64
        return np.where(s > 0, t(1), t(self.alpha) * np.exp(np.minimum(s, 0)))

    def second_derivative(self, s, x=None):
        s = np.asarray(s)
        t = s.dtype.type if s.dtype.kind == "f" else np.float64
        return np.where(s > 0, t(0), t(self.alpha) * np.exp(np.minimum(s, 0)))

    def config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"


_SIGMOID = Sigmoid()

#: activation names accepted by :func:`get_activation`
ACTIVATIONS = {
    "identity": Identity,
    "linear": Identity,
    "sigmoid": Sigmoid,
    "logistic": Sigmoid,
    "tanh": Tanh,
    "th": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "silu": SiLU,
    "swish": SiLU,
    "elu": ELU,
}


def get_activation(spec, n_units: int | None = None, dtype=np.float64, *,
                   arg: str = "activation") -> Activation:
    """Turn a name, a config dict or an :class:`Activation` into an :class:`Activation`.

    Parameters
    ----------
    spec : str, dict or Activation
        ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"``, ``"prelu"``, ``"silu"``, ``"elu"``,
        ``"identity"`` (aliases ``"logistic"``, ``"th"``, ``"swish"``, ``"linear"``); a dict
        ``{"name": ..., **kwargs}`` as produced by :meth:`Activation.config`; or an instance,
        returned as is.
    n_units : int, optional
        The layer width, needed by ``"prelu"`` (one slope per neuron); an instance with an
        ``n_units`` attribute (and one slope per neuron) must agree with it.
    dtype : numpy dtype, optional
        The dtype of trainable activation parameters; an instance's parameters must have it.
    arg : str, optional
        The name of the argument ``spec`` was given as, for the error messages (``"output"``
        for the output activation of :class:`lecturenn.network.Network`).

    Returns
    -------
    Activation
        A new activation (or ``spec`` itself if it is one).

    Raises
    ------
    TypeError
        ``spec`` is not a name, a dict or an activation; a dict sets an argument the
        activation does not take (or ``n_units``/``dtype``, which the layer sets).
    ValueError
        An unknown name; ``n_units`` is not a width ``>= 1``; an instance whose
        ``n_units`` differs from the layer's.
    """
    if n_units is not None:
        n_units = check_int("n_units (the layer width)", n_units, minimum=1)
    dtype = check_float_dtype("dtype", dtype)
    if isinstance(spec, Activation):
        units = None if getattr(spec, "shared", False) else getattr(spec, "n_units", None)
        if n_units is not None and units is not None and units != n_units:
            raise ValueError(f"{spec!r} has n_units={units}, but its layer has {n_units} "
                             "neurons")
        for p in spec.parameters():
            if p.data.dtype != np.dtype(dtype):
                raise TypeError(f"{spec!r} has a parameter of dtype {p.data.dtype}, but its "
                                f"layer has dtype {np.dtype(dtype)}")
        return spec
    cls, kwargs = lookup("activation", spec, ACTIVATIONS, "an Activation", arg=arg)
    what = f"{arg} {describe(spec)}"
    if cls is PReLU:
        check_kwargs(what, cls, kwargs, reserved=("n_units", "dtype"))
        if n_units is None:
            raise ValueError("activation 'prelu' needs n_units (the layer width)")
        return PReLU(n_units, dtype=dtype, **kwargs)
    check_kwargs(what, cls, kwargs)
    return cls(**kwargs)
