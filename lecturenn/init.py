r"""Weight initialisation: the slide «Эвристики для начального приближения», items 1, 2 and 5.

Every initialiser here returns the weights :math:`w^l_{kh}` of one layer as an array of
shape ``(n_in, n_out)`` = :math:`H_{l-1} \times H_l` (the layout of ``Dense.W[1:]``, the
transpose of ``torch.nn.Linear.weight``), so that the fan-in :math:`H_{l-1}` is the number
of rows and the fan-out :math:`H_l` the number of columns. With independent, zero-mean
weights and inputs the weighted sum :math:`S^l_h = \sum_{k=1}^{H_{l-1}} w^l_{kh} x^{l-1}_k`
has the variance (derived in :mod:`lecturenn.derivations.init`)

.. math::

    \operatorname{Var} S^l_h = H_{l-1}\,\operatorname{Var} w\;\mathbb{E}\bigl(x^{l-1}\bigr)^2,
    \qquad
    \operatorname{Var} \varepsilon^{l-1}_k = H_l\,\operatorname{Var} w\;
    \operatorname{Var}\bigl(\varepsilon^l z^l\bigr),

so the **forward** condition (outputs of equal variance from layer to layer) asks
:math:`\operatorname{Var} w = 1/H_{l-1}`, the fan-in, and the **backward** one (gradients of
equal variance) :math:`\operatorname{Var} w = 1/H_l`, the fan-out. The uniform law
:math:`U(-b, b)` has the variance :math:`b^2/3`, so a standard deviation :math:`s` is the
bound :math:`b = \sqrt3\,s`.

* ``lecun_uniform``, ``lecun_normal``: :math:`1/H_{l-1}` (LeCun et al. 1998, §4.6);
* ``glorot_uniform``, ``glorot_normal``: :math:`2/(H_{l-1}+H_l)` (Glorot and Bengio 2010,
  eq. (16));
* ``he_uniform``, ``he_normal``: :math:`2/\bigl((1+a^2)H_{l-1}\bigr)` (He et al. 2015,
  eq. (10) and §2.2);
* ``orthogonal``: orthonormal columns (or rows) times a gain (Saxe et al. 2014);
* ``uniform``: :math:`1/(3H_{l-1})`, thresholds included: the ``nn.Linear`` default, the
  «standard» initialisation of Glorot and Bengio (eq. (1)), the slide's item 1 with the fan-in
  :math:`N_{l-1}` for the slide's :math:`N_l`.

The slide prints item 1 as :math:`U(\pm 1/\sqrt{N_l})` and item 2 as
:math:`U(\pm 6/\sqrt{N_{l-1}+N_l})`; the derivation gives :math:`\sqrt{3/N_{l-1}}` for the
forward condition and :math:`\sqrt{6}/\sqrt{N_{l-1}+N_l}` for the compromise (see the errata
of the chapter).

:data:`INITS` maps the names that :class:`lecturenn.layers.Dense` and
:class:`lecturenn.network.Network` accept (``init="he_normal"``) to functions
``f(rng, n_in, n_out, dtype)`` that return the whole matrix :math:`W^l` of shape
``(n_in + 1, n_out)``, row 0 being the thresholds (zero, except for ``"uniform"``). A
callable ``init(n_in, n_out, rng=...)`` is accepted too, e.g. ``functools.partial(he_normal,
a=0.25)``; :func:`get_init` turns either into such a function.
"""

from __future__ import annotations

import math

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_callable,
    check_choice,
    check_float_dtype,
    check_int,
    check_positive,
    check_real,
    check_rng,
    describe,
)

__all__ = [
    "uniform_bound",
    "he_gain",
    "lecun_std",
    "glorot_std",
    "he_std",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "orthogonal",
    "scaled_uniform",
    "INITS",
    "get_init",
]


def _sizes(n_in, n_out):
    return (check_int("n_in", n_in, minimum=1), check_int("n_out", n_out, minimum=1))


def uniform_bound(std) -> float:
    r"""The bound :math:`b` of the uniform law :math:`U(-b, b)` with standard deviation ``std``.

    .. math:: \operatorname{Var} U(-b, b) = \frac{b^2}{3} \quad\Longrightarrow\quad b = \sqrt3\,s.

    Derived in :func:`lecturenn.derivations.init.uniform_variance`.
    """
    return math.sqrt(3.0) * check_positive("std", std, strict=False)


def he_gain(a=0.0) -> float:
    r"""The gain :math:`\sqrt{2/(1+a^2)}` of a (P)ReLU layer with the negative slope :math:`a`.

    A PReLU :math:`\max(0, s) + a\min(0, s)` of a symmetric :math:`S` has the second moment
    :math:`\frac{1+a^2}{2}\,\mathbb{E}S^2` (ReLU, :math:`a = 0`: half of it), so the weights
    need a variance :math:`2/(1+a^2)` times larger (He et al. 2015, eq. (15); ``torch.nn.init
    .calculate_gain("leaky_relu", a)``). Derived in
    :func:`lecturenn.derivations.init.prelu_second_moment`.
    """
    a = check_real("a", a)
    return math.sqrt(2.0 / (1.0 + a * a))


def lecun_std(n_in) -> float:
    r""":math:`1/\sqrt{H_{l-1}}`: the forward condition :math:`H_{l-1}\operatorname{Var}w = 1`."""
    return 1.0 / math.sqrt(check_int("n_in", n_in, minimum=1))


def glorot_std(n_in, n_out) -> float:
    r""":math:`\sqrt{2/(H_{l-1}+H_l)}`: the compromise of the forward and backward conditions.

    Glorot and Bengio (2010), eq. (10) and (11), ask :math:`H_{l-1}\operatorname{Var}w = 1`
    (forward) and :math:`H_l\operatorname{Var}w = 1` (backward); their compromise, eq. (12),
    is :math:`\operatorname{Var}w = 2/(H_{l-1}+H_l)`, the harmonic mean of the two.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return math.sqrt(2.0 / (n_in + n_out))


def he_std(n_in, n_out=None, a=0.0, mode="fan_in") -> float:
    r""":math:`\sqrt{2/((1+a^2)\,n)}` with :math:`n = H_{l-1}` (``mode="fan_in"``) or :math:`H_l`.

    He et al. (2015): eq. (10) keeps the forward signal (fan-in), eq. (14) the backward one
    (fan-out); :math:`a` is the PReLU slope of §2.2 (eq. (15)), 0 for ReLU.
    """
    mode = check_choice("mode", mode, ("fan_in", "fan_out"))
    if mode == "fan_out":
        if n_out is None:
            raise ValueError("mode='fan_out' needs n_out")
        n = check_int("n_out", n_out, minimum=1)
    else:
        n = check_int("n_in", n_in, minimum=1)
    return he_gain(a) / math.sqrt(n)


def _uniform(rng, n_in, n_out, std, dtype):
    b = math.sqrt(3.0) * std
    return check_rng(rng).uniform(-b, b, size=(n_in, n_out)).astype(
        check_float_dtype("dtype", dtype))


def _normal(rng, n_in, n_out, std, dtype):
    return check_rng(rng).normal(0.0, std, size=(n_in, n_out)).astype(
        check_float_dtype("dtype", dtype))


def lecun_uniform(n_in, n_out, rng=0, dtype=np.float64, gain=1.0) -> np.ndarray:
    r"""Fan-in scaling, uniform: :math:`w_{kh} \sim U\bigl(\pm\sqrt{3/H_{l-1}}\bigr)`.

    Item 1 of the slide («выравнивание дисперсий выходов в разных слоях») done right: the
    variance :math:`1/H_{l-1}` keeps :math:`\operatorname{Var}S^l = \operatorname{Var}x^{l-1}`.
    LeCun, Bottou, Orr and Müller (1998), «Efficient BackProp», §4.6: standard deviation
    :math:`m^{-1/2}` for a unit with :math:`m` inputs (they add a sigmoid scaled to keep
    unit variance). ``gain`` multiplies the standard deviation. Shape ``(n_in, n_out)``.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return _uniform(rng, n_in, n_out, check_positive("gain", gain) * lecun_std(n_in), dtype)


def lecun_normal(n_in, n_out, rng=0, dtype=np.float64, gain=1.0) -> np.ndarray:
    r"""Fan-in scaling, normal: :math:`w_{kh} \sim N(0, 1/H_{l-1})`. See :func:`lecun_uniform`."""
    n_in, n_out = _sizes(n_in, n_out)
    return _normal(rng, n_in, n_out, check_positive("gain", gain) * lecun_std(n_in), dtype)


def glorot_uniform(n_in, n_out, rng=0, dtype=np.float64, gain=1.0) -> np.ndarray:
    r"""Glorot and Bengio's normalized init: :math:`U\bigl(\pm\sqrt6/\sqrt{H_{l-1}+H_l}\bigr)`.

    Item 2 of the slide, whose bound misprints :math:`\sqrt6` as 6. Glorot and Bengio
    (2010), eq. (16); ``torch.nn.init.xavier_uniform_``. The variance is
    :math:`2/(H_{l-1}+H_l)` (:func:`glorot_std`), times ``gain**2``. Shape ``(n_in, n_out)``.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return _uniform(rng, n_in, n_out, check_positive("gain", gain) * glorot_std(n_in, n_out),
                    dtype)


def glorot_normal(n_in, n_out, rng=0, dtype=np.float64, gain=1.0) -> np.ndarray:
    r""":math:`N\bigl(0, 2/(H_{l-1}+H_l)\bigr)`: the normal form of :func:`glorot_uniform`.

    ``torch.nn.init.xavier_normal_``.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return _normal(rng, n_in, n_out, check_positive("gain", gain) * glorot_std(n_in, n_out),
                   dtype)


def he_uniform(n_in, n_out, rng=0, dtype=np.float64, a=0.0, mode="fan_in") -> np.ndarray:
    r"""He et al.'s init, uniform: :math:`U\bigl(\pm\sqrt3\,\sqrt{2/((1+a^2)n)}\bigr)`.

    :math:`n = H_{l-1}` for ``mode="fan_in"`` (the forward condition, He et al. 2015, eq. (10)),
    :math:`H_l` for ``"fan_out"`` (eq. (14)); :math:`a` the PReLU slope (eq. (15)).
    ``torch.nn.init.kaiming_uniform_(w, a, mode, nonlinearity="leaky_relu")``.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return _uniform(rng, n_in, n_out, he_std(n_in, n_out, a, mode), dtype)


def he_normal(n_in, n_out, rng=0, dtype=np.float64, a=0.0, mode="fan_in") -> np.ndarray:
    r"""He et al.'s initialization, normal: :math:`N\bigl(0, 2/((1+a^2)n)\bigr)`.

    He et al. (2015), eq. (10) and §2.2; ``torch.nn.init.kaiming_normal_``. See
    :func:`he_uniform` for ``a`` and ``mode``.
    """
    n_in, n_out = _sizes(n_in, n_out)
    return _normal(rng, n_in, n_out, he_std(n_in, n_out, a, mode), dtype)


def orthogonal(n_in, n_out, rng=0, dtype=np.float64, gain=1.0) -> np.ndarray:
    r"""A random orthogonal basis (item 5 of the slide): orthonormal columns or rows, times a gain.

    With :math:`G` a tall Gaussian matrix (:math:`\max \times \min` of ``n_in, n_out``) and
    :math:`G = QR` its QR decomposition, the result is :math:`Q\operatorname{diag}
    (\operatorname{sign} r_{ii})` (transposed if ``n_in < n_out``). The sign fix makes the
    law of :math:`Q` the uniform (Haar) one: LAPACK's Householder QR returns a :math:`Q`
    whose first column has a fixed sign pattern, and :math:`Q\operatorname{diag}
    (\operatorname{sign} r_{ii})` is the unique factor with :math:`r_{ii} > 0`, which is
    Haar-distributed (Mezzadri 2007). For ``n_in >= n_out``, :math:`W^\top W = g^2 I`: every
    singular value of :math:`W` is the gain, so a product of such layers keeps the norm of
    every vector (Saxe, McClelland and Ganguli 2014). ``torch.nn.init.orthogonal_``
    does the same on its ``(n_out, n_in)`` weight.
    """
    n_in, n_out = _sizes(n_in, n_out)
    gain = check_positive("gain", gain)
    dtype = check_float_dtype("dtype", dtype)
    rows, cols = max(n_in, n_out), min(n_in, n_out)
    G = check_rng(rng).normal(size=(rows, cols))
    Q, R = np.linalg.qr(G)
    d = np.sign(np.diag(R))
    d[d == 0] = 1.0  # a zero pivot has probability 0; keep Q as it is then
    Q = Q * d
    if n_in < n_out:
        Q = Q.T
    return (gain * Q).astype(dtype)


def scaled_uniform(bound) -> callable:
    r"""An initialiser ``init(n_in, n_out, rng)`` of :math:`U(-b, b)`, ``b = bound(n_in, n_out)``.

    For the slide's variants, whose bounds the chapter compares with the derived ones, e.g.
    ``scaled_uniform(lambda n_in, n_out: 6 / math.sqrt(n_in + n_out))`` (item 2 as printed).
    """
    check_callable("bound", bound, "a function bound(n_in, n_out) -> float")

    def init(n_in, n_out, rng=0, dtype=np.float64):
        n_in, n_out = _sizes(n_in, n_out)
        b = check_positive("bound(n_in, n_out)", bound(n_in, n_out))
        return check_rng(rng).uniform(-b, b, size=(n_in, n_out)).astype(
            check_float_dtype("dtype", dtype))

    return init


# -- the functions of INITS: f(rng, n_in, n_out, dtype) -> W of shape (n_in + 1, n_out) --------
def _with_zero_thresholds(weights):
    def init(rng, n_in, n_out, dtype):
        W = np.zeros((n_in + 1, n_out), dtype=dtype)
        W[1:] = weights(n_in, n_out, rng=rng, dtype=dtype)
        return W
    init.__doc__ = f"{weights.__name__} with zero thresholds (row 0)"
    return init


def _init_uniform(rng, n_in, n_out, dtype):
    # U(+-1/sqrt(H_{l-1})) for every entry, thresholds included: the nn.Linear default
    bound = 1.0 / np.sqrt(n_in)
    return rng.uniform(-bound, bound, size=(n_in + 1, n_out)).astype(dtype)


def _init_xavier(rng, n_in, n_out, dtype):
    # glorot_uniform drawn over all n_in + 1 rows, then row 0 zeroed (the draws the book's
    # earlier chapters print); "glorot_uniform" draws the n_in rows only
    bound = np.sqrt(6.0 / (n_in + n_out))
    W = rng.uniform(-bound, bound, size=(n_in + 1, n_out)).astype(dtype)
    W[0] = 0
    return W


def _init_he(rng, n_in, n_out, dtype):
    # he_normal over all n_in + 1 rows, row 0 zeroed (as "xavier")
    W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in + 1, n_out)).astype(dtype)
    W[0] = 0
    return W


def _init_zeros(rng, n_in, n_out, dtype):
    return np.zeros((n_in + 1, n_out), dtype=dtype)


#: weight initialisations of :class:`lecturenn.layers.Dense` by name:
#: ``f(rng, n_in, n_out, dtype)`` returning :math:`W^l` of shape ``(n_in + 1, n_out)``
INITS = {
    "uniform": _init_uniform,
    "xavier": _init_xavier,
    "glorot": _init_xavier,
    "he": _init_he,
    "zeros": _init_zeros,
    "lecun_uniform": _with_zero_thresholds(lecun_uniform),
    "lecun_normal": _with_zero_thresholds(lecun_normal),
    "glorot_uniform": _with_zero_thresholds(glorot_uniform),
    "glorot_normal": _with_zero_thresholds(glorot_normal),
    "he_uniform": _with_zero_thresholds(he_uniform),
    "he_normal": _with_zero_thresholds(he_normal),
    "orthogonal": _with_zero_thresholds(orthogonal),
}


def _from_callable(init):
    def f(rng, n_in, n_out, dtype):
        W = init(n_in, n_out, rng=rng)
        W = as_float_array("the array returned by init", W, ndim=2, dtype=dtype)
        if W.shape == (n_in, n_out):
            full = np.zeros((n_in + 1, n_out), dtype=dtype)
            full[1:] = W
            return full
        if W.shape == (n_in + 1, n_out):
            return W.copy()
        raise ValueError(f"init(n_in={n_in}, n_out={n_out}, rng) must return an array of shape "
                         f"({n_in}, {n_out}) (weights, zero thresholds) or ({n_in + 1}, {n_out}) "
                         f"(row 0 = thresholds), got {W.shape}")
    return f


def get_init(init):
    r"""The ``f(rng, n_in, n_out, dtype)`` of ``init``, a name of :data:`INITS` or a callable.

    A callable is called as ``init(n_in, n_out, rng=rng)`` and returns the weights
    ``(n_in, n_out)`` (zero thresholds are added) or the whole ``(n_in + 1, n_out)`` matrix;
    its result is checked (real, finite, the shape) and converted to the layer's dtype.
    """
    if isinstance(init, str):
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; expected one of {sorted(INITS)} or a "
                             "callable init(n_in, n_out, rng)")
        return INITS[init]
    if callable(init):
        return _from_callable(init)
    raise TypeError(f"init must be a name (one of {sorted(INITS)}) or a callable "
                    f"init(n_in, n_out, rng), got {describe(init)}")
