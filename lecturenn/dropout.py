r"""Dropout: random switching-off of neurons, in the two forms of the slides.

Slides «Метод случайных отключений нейронов (Dropout)» and «Обратный Dropout и
:math:`L_2`-регуляризация». At training every unit :math:`h` of a layer :math:`l` is switched
off with probability :math:`p_l`, independently for every unit and every object:

.. math::

    x^l_{ih} = m^l_{ih}\,\sigma^l_h\bigl(S^l_{ih}\bigr), \qquad
    m^l_{ih} = \begin{cases}\xi^l_{ih} & \text{dropout (the original form)},\\
    \xi^l_{ih}/(1 - p_l) & \text{inverted dropout},\end{cases}
    \qquad P(\xi^l_{ih} = 0) = p_l,\ P(\xi^l_{ih} = 1) = 1 - p_l,

and at application (inference) the multiplier is replaced by its mean
:math:`\mathbb{E}\,m^l_{ih}`: :math:`1 - p_l` for the original form, :math:`1` for the inverted
one (which therefore needs neither a change of the network nor the knowledge of
:math:`p_l` at application). The mask :math:`\xi` multiplies the **output** of the layer's
activation, :math:`x = \xi\,\sigma(S)`, as on the slide: put a :class:`Dropout` after the
:class:`~lecturenn.layers.Dense` layer whose units it drops.

.. warning:: **Which probability is p?** Here, as on the slides and in PyTorch's
   ``torch.nn.Dropout(p)``, :math:`p` is the probability to **drop** a unit. Srivastava et
   al. (2014), the paper the slide cites, write :math:`p` for the probability to **keep**
   it (their :math:`p = 0.5` for hidden units and :math:`0.8` for inputs are
   ``Dropout(..., p=0.5)`` and ``p=0.2`` here). Keras' ``Dropout(rate)`` drops, like
   PyTorch; old Caffe and TensorFlow 1 code often passed ``keep_prob``.

Backward: :math:`x = m \odot x_{\text{in}}` is linear in its input, so
:math:`\partial Q/\partial x_{\text{in}} = m \odot \partial Q/\partial x`, with the **same**
mask as the forward pass. A dropped unit passes no error back: the gradients of its
incoming weights :math:`w^l_{kh}` and (because :math:`x^l_h = 0` multiplies them) of its
outgoing weights :math:`w^{l+1}_{hm}` are zero for that object (the chapter's erratum on the
combined gradient step of the slide).

Checked against ``torch.nn.Dropout`` with the same mask, in training and evaluation mode
(``tests/test_dropout.py``), and by finite differences with the mask held fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lecturenn._validation import (
    as_binary_array,
    check_bool,
    check_config_entries,
    check_in_range,
    check_int,
    check_rng,
    describe,
)
from lecturenn.layers import Dense, Layer, register_layer

__all__ = ["Dropout", "DropoutCache", "dropout_network", "check_drop_probability"]


def check_drop_probability(name: str, p) -> float:
    r"""Check a drop probability :math:`0 \le p < 1` and return it as a float.

    :math:`p = 1` is refused: every unit would be dropped at every step, the layer would
    output zeros and nothing before it could learn (and the inverted form's factor
    :math:`1/(1-p)` would be infinite).
    """
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} (the probability to drop a unit) must be a real number in "
                        f"[0, 1), got {describe(p)}")
    if p == 1:
        raise ValueError(
            f"{name} = 1 drops every unit: the layer would output zeros and nothing before it "
            "could learn (and inverted dropout's factor 1/(1-p) is infinite); p is the "
            "probability to DROP a unit, 0 <= p < 1 (Srivastava et al.'s p is the probability "
            "to keep: theirs p = 0.8 is p = 0.2 here)"
        )
    return check_in_range(f"{name} (the probability to drop a unit)", p, 0.0, 1.0)


class DropoutCache:
    r"""What :meth:`Dropout.forward` keeps for :meth:`Dropout.backward`.

    Attributes
    ----------
    multiplier : numpy.ndarray or float
        :math:`m` of the last forward pass: the array :math:`\xi/(1-p)` (inverted) or
        :math:`\xi` (original form) of shape ``(n, n_units)`` at training, the number
        :math:`\mathbb{E}\,m` (1 or :math:`1-p`) at application.
    """

    __slots__ = ("multiplier",)

    def __init__(self, multiplier=None) -> None:
        self.multiplier = multiplier

    def __repr__(self) -> str:
        m = self.multiplier
        shown = m.shape if isinstance(m, np.ndarray) else m
        return f"DropoutCache(multiplier={shown})"


@register_layer
class Dropout(Layer):
    r"""Drop each unit with probability :math:`p` at training (the slides' two forms).

    .. math::

        \text{training: } x = m \odot x_{\text{in}},\quad
        m = \frac{\xi}{1-p}\ \text{(inverted)}\ \text{or}\ m = \xi\ \text{(original)},
        \qquad \xi_{ih} \sim \text{Bernoulli}(1-p)\ \text{independently};

    .. math::

        \text{application: } x = \mathbb{E}[m]\,x_{\text{in}} =
        x_{\text{in}}\ \text{(inverted)}\ \text{or}\ (1-p)\,x_{\text{in}}\ \text{(original)}.

    In both forms the mean of the training output equals the application output,
    :math:`\mathbb{E}[m] x_{\text{in}}`. :math:`p` is the probability to **drop** (as on the
    slides and in ``torch.nn.Dropout``; Srivastava et al. 2014 write :math:`p` for the
    probability to keep, see the module docstring).

    Parameters
    ----------
    n_units : int
        The width :math:`H_l` of the layer whose outputs are dropped (input and output width).
    p : float, optional
        The probability :math:`0 \le p < 1` to drop a unit; 0.5 by default. :math:`p = 0` is
        the identity in both modes and draws no random numbers.
    inverted : bool, optional
        ``True`` (default, as PyTorch and Keras): multiply the kept units by :math:`1/(1-p)`
        at training and do nothing at application. ``False``: the slide's first form, keep
        the units as they are at training and multiply by :math:`1-p` at application.
    rng : numpy.random.Generator or int, optional
        The source of the masks (seed 0 by default). Two layers built with the same int seed
        draw the **same** masks whenever their inputs have the same shape: give each layer
        its own seed or pass one shared ``Generator`` (:func:`dropout_network` does).

    Attributes
    ----------
    mask : numpy.ndarray or None
        :math:`\xi` of the last training forward pass (Boolean, ``(n, n_units)``; ``True`` =
        kept), ``None`` before the first one.
    fixed_mask : numpy.ndarray or None
        The mask set by :meth:`set_mask`, used instead of random ones while it is set.

    Notes
    -----
    The masks are drawn as ``rng.random((n, n_units)) >= p`` in float64 whatever the dtype
    of the input, so the same seed gives the same masks in float32 and float64. The output
    keeps the input's dtype.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dropout(4, p=0.5, rng=0)
    >>> x = np.ones((2, 4))
    >>> layer.forward(x, train=True)        # kept units are multiplied by 1/(1-p) = 2
    array([[2., 0., 0., 0.],
           [2., 2., 2., 2.]])
    >>> layer.forward(x, train=False)       # application: nothing to do (inverted form)
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    >>> Dropout(4, p=0.5, inverted=False).forward(x)   # the slide's first form: times 1-p
    array([[0.5, 0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5, 0.5]])
    """

    def __init__(self, n_units: int, p: float = 0.5, *, inverted: bool = True, rng=0) -> None:
        if isinstance(n_units, (float, np.floating)) and 0 < n_units < 1:
            raise TypeError(
                f"n_units of Dropout must be an int (the width of the layer), got {n_units!r}; "
                f"the drop probability is the second argument: Dropout(width, p={n_units!r})"
            )
        self.n_units = check_int("n_units of Dropout", n_units, minimum=1)
        self.n_in = self.n_out = self.n_units
        self.p = check_drop_probability("p of Dropout", p)
        self.inverted = check_bool("inverted of Dropout", inverted)
        self.rng = check_rng(rng)
        self.mask: np.ndarray | None = None
        self.fixed_mask: np.ndarray | None = None
        self.cache: DropoutCache | None = None

    # -- the two multipliers -----------------------------------------------------------
    @property
    def train_scale(self) -> float:
        r"""The factor of a kept unit at training: :math:`1/(1-p)` (inverted) or 1."""
        return 1.0 / (1.0 - self.p) if self.inverted else 1.0

    @property
    def eval_scale(self) -> float:
        r"""The factor at application, :math:`\mathbb{E}[m]`: 1 (inverted) or :math:`1-p`."""
        return 1.0 if self.inverted else 1.0 - self.p

    def set_mask(self, mask) -> Dropout:
        r"""Use ``mask`` as :math:`\xi` in every training forward pass until ``set_mask(None)``.

        For tests against a reference (the same mask on both sides), for finite-difference
        checks of the thinned network's gradient, and for the exact enumeration of all
        :math:`2^N` thinned networks. Returns the layer.

        Parameters
        ----------
        mask : array_like or None
            Booleans or 0/1 (1 = kept) of shape ``(n_units,)`` (one mask for every object of a
            batch) or ``(n, n_units)`` (one per object; then the batch must have ``n`` rows).
            ``None`` goes back to random masks.
        """
        if mask is None:
            self.fixed_mask = None
            return self
        m = as_binary_array("mask", mask, ndim=(1, 2)).astype(bool)
        if m.shape[-1] != self.n_units or m.shape[0] == 0:
            raise ValueError(f"mask of {self!r} must have shape ({self.n_units},) or "
                             f"(n, {self.n_units}), got {m.shape}")
        self.fixed_mask = m
        return self

    def _draw(self, shape) -> np.ndarray:
        fixed = self.fixed_mask
        if fixed is None:
            return self.rng.random(shape) >= self.p
        if fixed.ndim == 2 and fixed.shape[0] != shape[0]:
            raise ValueError(f"the fixed mask of {self!r} has {fixed.shape[0]} rows but the "
                             f"batch has {shape[0]} objects")
        return np.broadcast_to(fixed, shape)

    # -- the layer protocol ------------------------------------------------------------
    def forward(self, x, train=False):
        if x.dtype.kind != "f":  # an int dtype would truncate 1/(1-p) and 1-p
            x = x.astype(np.float64)
        if not train or (self.p == 0.0 and self.fixed_mask is None):
            if train:
                self.mask = np.ones(x.shape, dtype=bool)
            scale = self.eval_scale if not train else 1.0
            self._remember(scale)
            return x if scale == 1.0 else x * x.dtype.type(scale)
        keep = self._draw(x.shape)
        self.mask = keep
        m = np.multiply(keep, x.dtype.type(self.train_scale), dtype=x.dtype)
        self._remember(m)
        return x * m

    def _remember(self, multiplier) -> None:
        c = self.cache
        if c is None:
            self.cache = DropoutCache(multiplier)
        else:
            c.multiplier = multiplier

    def backward(self, grad_out, need_input_grad=True):
        r"""The input error :math:`m\odot\partial Q/\partial x` (the last forward's m)."""
        c = self.cache
        if c is None:
            raise RuntimeError("Dropout.backward called before forward")
        if not need_input_grad:
            return None
        m = c.multiplier
        if isinstance(m, np.ndarray):
            return grad_out * m
        return grad_out if m == 1.0 else grad_out * grad_out.dtype.type(m)

    def config(self) -> dict:
        return {"type": "Dropout", "n_units": self.n_units, "p": self.p,
                "inverted": self.inverted}

    #: the entries of a Dropout config
    _CONFIG_KEYS = ("n_units", "p", "inverted")

    @classmethod
    def _check_config(cls, cfg) -> None:
        check_config_entries("Dropout", cfg, cls._CONFIG_KEYS, ("n_units",))
        check_int("n_units of Dropout", cfg["n_units"], minimum=1)
        check_drop_probability("p of Dropout", cfg.get("p", 0.5))
        check_bool("inverted of Dropout", cfg.get("inverted", True))

    @classmethod
    def from_config(cls, cfg: dict, rng=0, dtype=np.float64):
        """Build the layer from its config (it has no weights, so ``dtype`` plays no role)."""
        cls._check_config(cfg)
        return cls(**cfg, rng=rng)

    @classmethod
    def parameter_shapes(cls, cfg: dict) -> dict:
        """No parameters: ``{}``, after checking the config as the constructor would."""
        cls._check_config(cfg)
        return {}

    def __repr__(self) -> str:
        form = "" if self.inverted else ", inverted=False"
        return f"Dropout({self.n_units}, p={self.p:g}{form})"


def dropout_network(sizes: Sequence[int], p=0.5, *, p_input: float = 0.0, activation="tanh",
                    output="identity", inverted: bool = True, rng=0, dtype=np.float64,
                    init: str = "uniform"):
    r"""A fully connected network with a :class:`Dropout` after every hidden layer.

    ``dropout_network([H0, H1, ..., HL], p)`` builds
    ``Network([Dropout(H0, p_input)?, Dense(H0, H1), Dropout(H1, p), ..., Dense(H_{L-1}, HL)])``:
    the hidden units are dropped with probability ``p``, the inputs with ``p_input`` (no
    input dropout when it is 0, the default), the outputs never. The dense layers get
    **the same initial weights** as ``Network(sizes, activation, output, rng=rng, ...)``, so
    a network with dropout and one without can be trained from the same start; the masks
    come from generators seeded from ``rng`` after the weights, one per dropout layer.

    Parameters
    ----------
    sizes : sequence of int
        The widths :math:`[H_0, \dots, H_L]`, at least two.
    p : float or sequence of float, optional
        The drop probability of the hidden layers: one number, or one per hidden layer.
    p_input : float, optional
        The drop probability of the inputs (Srivastava et al. drop inputs with 0.2 here,
        their keep probability 0.8).
    activation, output, dtype, init
        As for :class:`lecturenn.network.Network`.
    inverted : bool, optional
        The form of every dropout layer (see :class:`Dropout`).
    rng : numpy.random.Generator or int, optional
        The source of the initial weights and of the masks.

    Returns
    -------
    lecturenn.network.Network

    Examples
    --------
    >>> net = dropout_network([64, 32, 32, 10], p=0.5, p_input=0.2, rng=0)
    >>> for layer in net.layers:
    ...     print(layer)
    Dropout(64, p=0.2)
    Dense(64, 32, activation='tanh')
    Dropout(32, p=0.5)
    Dense(32, 32, activation='tanh')
    Dropout(32, p=0.5)
    Dense(32, 10, activation='identity')
    """
    from lecturenn.network import Network  # network imports layers; keep the import one-way

    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least two widths [H_0, ..., H_L], "
                         f"got {describe(sizes)}")
    sizes = [check_int(f"sizes[{i}]", h, minimum=1) for i, h in enumerate(sizes)]
    n_hidden = len(sizes) - 2
    if isinstance(p, Sequence) and not isinstance(p, (str, bytes)):
        if len(p) != n_hidden:
            raise ValueError(f"p must be one number or one per hidden layer ({n_hidden}), "
                             f"got {len(p)} values")
        ps = [check_drop_probability(f"p[{i}]", v) for i, v in enumerate(p)]
    else:
        ps = [check_drop_probability("p", p)] * n_hidden
    p_input = check_drop_probability("p_input", p_input)
    gen = check_rng(rng)
    dense = [Dense(sizes[i], sizes[i + 1], output if i == len(sizes) - 2 else activation,
                   rng=gen, dtype=dtype, init=init) for i in range(len(sizes) - 1)]
    seeds = iter(gen.integers(0, 2**63, size=n_hidden + 1))
    layers: list[Layer] = []
    if p_input > 0:
        layers.append(Dropout(sizes[0], p_input, inverted=inverted, rng=int(next(seeds))))
    else:
        next(seeds)
    for i, lay in enumerate(dense):
        layers.append(lay)
        if i < n_hidden:
            layers.append(Dropout(sizes[i + 1], ps[i], inverted=inverted, rng=int(next(seeds))))
    return Network(layers)
