r"""What a two-layer network can represent: constructive universal approximation.

Slides «Любую ли функцию можно представить нейросетью?», «Двухслойные сети — универсальные
аппроксиматоры функций». Every network here has the form of Cybenko's theorem (Cybenko
1989, Theorem 2), with **a threshold per hidden neuron**:

.. math::

    a(x) = \sum_{h=1}^{H} \alpha_h\, \sigma\bigl(\langle x, w_h\rangle - w_{0h}\bigr),

and no output bias: a constant is one more neuron with :math:`w_h = 0` (its
:math:`\sigma(-w_{0h})` is a constant). The weights are *constructed*, not learned:

- :func:`staircase`: steps of steep sigmoids (or Heaviside steps) between the nodes of a
  uniform grid, :math:`H + 1` neurons, uniform error at most
  :math:`L\delta/2 + \text{tails}` for an :math:`L`-Lipschitz :math:`f`
  (:func:`staircase_error_bound`);
- :func:`relu_interpolant`: a ReLU network equal to a given piecewise-linear function on
  :math:`[t_0, \infty)`, one neuron per knot;
- :func:`cosine_ridge_network`: one hidden layer in two dimensions, from the cosine series
  of :math:`f` (each term a sum of two ridge functions :math:`\cos\langle k, x\rangle`) and
  a ReLU interpolant of every ridge profile;
- :func:`koppen_inner`: the inner function of Köppen's (2002) constructive
  Kolmogorov–Arnold representation, as proved continuous and monotone by Braun and
  Griebel (2009), exactly (in fractions) on the points of a level :math:`k`;
- :func:`least_squares_output`: the output weights :math:`\alpha` for fixed hidden weights,
  by least squares (used to show what one shared threshold cannot do).

NumPy only. The proofs of the bounds are in the chapter «What a network can represent» and in
:mod:`lecturenn.derivations.approximation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_callable,
    check_choice,
    check_int,
    check_positive,
    check_real,
    describe,
)

__all__ = [
    "ACTIVATIONS",
    "TwoLayerNetwork",
    "cosine_ridge_network",
    "koppen_inner",
    "least_squares_output",
    "relu_interpolant",
    "staircase",
    "staircase_error_bound",
    "uniform_error",
]


def _logistic(z):
    # 1 / (1 + e^{-z}) through e^{-|z|}: no overflow for large |z|
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _heaviside(z):
    return (z > 0).astype(float)  # [z > 0], strict at 0, as lecturenn.neuron's step


def _relu(z):
    return np.maximum(z, 0.0)


#: The activations a :class:`TwoLayerNetwork` may use: ``"sigmoid"`` (the logistic
#: :math:`1/(1+e^{-z})`), ``"heaviside"`` (:math:`[z > 0]`) and ``"relu"`` (:math:`\max(0, z)`).
ACTIVATIONS = {"sigmoid": _logistic, "heaviside": _heaviside, "relu": _relu}


def _interval(name, interval):
    if not isinstance(interval, (tuple, list)) or len(interval) != 2:
        raise TypeError(f"{name} must be a pair (a, b), got {describe(interval)}")
    a = check_real(f"{name}[0]", interval[0])
    b = check_real(f"{name}[1]", interval[1])
    if not a < b:
        raise ValueError(f"{name} must have a < b, got ({a!r}, {b!r})")
    return a, b


def _values(name, f, x):
    check_callable(name, f, "a function f(x) -> array of the shape of x")
    y = np.asarray(f(x), dtype=float)
    if y.shape != x.shape:
        raise ValueError(f"{name}(x) must return an array of shape {x.shape}, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{name}(x) must be finite on the interval, got NaN or inf")
    return y


@dataclass(frozen=True)
class TwoLayerNetwork:
    r"""The network of Cybenko's theorem.

    :math:`a(x) = \sum_h \alpha_h \sigma(\langle x, w_h\rangle - w_{0h})`. Calling it on ``x``
    of shape ``(m,)`` (when :math:`n = 1`) or ``(m, n)`` returns the ``(m,)`` outputs.

    Parameters
    ----------
    alpha : array_like, shape (H,)
        The output weights :math:`\alpha_h`.
    W : array_like, shape (H, n)
        The input weights, one row :math:`w_h` per hidden neuron.
    w0 : array_like, shape (H,)
        The thresholds :math:`w_{0h}`, one per neuron.
    activation : str, optional
        A key of :data:`ACTIVATIONS`: ``"sigmoid"`` (default), ``"heaviside"``, ``"relu"``.
    """

    alpha: np.ndarray
    W: np.ndarray
    w0: np.ndarray
    activation: str = "sigmoid"

    def __post_init__(self):
        alpha = as_float_array("alpha", self.alpha, ndim=1)
        W = as_float_array("W", self.W, ndim=2)
        w0 = as_float_array("w0", self.w0, ndim=1)
        if not (len(alpha) == len(W) == len(w0)):
            raise ValueError(f"alpha, W and w0 must have one entry (row) per hidden neuron, got "
                             f"{len(alpha)}, {len(W)} and {len(w0)}")
        check_choice("activation", self.activation, list(ACTIVATIONS))
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "w0", w0)

    @property
    def n_hidden(self) -> int:
        """The number of hidden neurons :math:`H`."""
        return len(self.alpha)

    @property
    def n_inputs(self) -> int:
        """The number of inputs :math:`n`."""
        return self.W.shape[1]

    def hidden(self, x) -> np.ndarray:
        r"""The hidden outputs :math:`\sigma(\langle x, w_h\rangle - w_{0h})`, shape ``(m, H)``."""
        X = as_float_array("x", x, ndim=(1, 2))
        if X.ndim == 1:
            if self.n_inputs != 1:
                raise ValueError(f"x must have shape (m, {self.n_inputs}) for a network with "
                                 f"{self.n_inputs} inputs (W has {self.n_inputs} columns), "
                                 f"got shape {X.shape}")
            X = X[:, None]
        if X.shape[1] != self.n_inputs:
            raise ValueError(f"x must have {self.n_inputs} columns, as W has, got shape "
                             f"{X.shape}")
        return ACTIVATIONS[self.activation](X @ self.W.T - self.w0)

    def __call__(self, x) -> np.ndarray:
        return self.hidden(x) @ self.alpha


def staircase(f, H: int, *, steep: float = 40.0, activation: str = "sigmoid",
              interval=(0.0, 1.0)) -> TwoLayerNetwork:
    r"""A staircase of :math:`H` steps approximating :math:`f` on :math:`[a, b]`.

    With the nodes :math:`t_h = a + h\delta`, :math:`\delta = (b - a)/H`, the midpoints
    :math:`m_h = (t_{h-1} + t_h)/2` and the steepness :math:`s = \text{steep}/\delta`,

    .. math::

        a_H(x) = f(t_0)\,\sigma(\text{steep}) + \sum_{h=1}^{H}
        \bigl(f(t_h) - f(t_{h-1})\bigr)\,\sigma\bigl(s\,(x - m_h)\bigr),

    the step of height :math:`f(t_h) - f(t_{h-1})` put at the midpoint :math:`m_h`. In the
    form of :class:`TwoLayerNetwork`: neuron 0 has :math:`w = 0`, :math:`w_0 = -\text{steep}`
    (a constant, :math:`\sigma(\text{steep}) = 1 - \sigma(-\text{steep})`), neuron
    :math:`h \ge 1` has :math:`w_h = s`, :math:`w_{0h} = s\,m_h`. With
    ``activation="heaviside"`` the steps are exact, :math:`[x > m_h]`, and the constant
    :math:`[\text{steep} > 0] = 1`.

    The uniform error is bounded by :func:`staircase_error_bound`. The steepness grows with
    :math:`H` (:math:`s\delta/2 = \text{steep}/2` is fixed), so the tails
    :math:`\sigma(-\text{steep}/2)` of the other steps do not add up as :math:`H` grows.

    Parameters
    ----------
    f : callable
        ``f(t) -> array``, vectorised over an array of nodes.
    H : int
        The number of steps (pieces), :math:`H \ge 1`.
    steep : float, optional
        :math:`s\delta`, the steepness in units of one piece; :math:`> 0`.
    activation : str, optional
        ``"sigmoid"`` or ``"heaviside"``.
    interval : tuple of float, optional
        :math:`(a, b)`, :math:`a < b`.

    References
    ----------
    The one-dimensional picture behind Cybenko (1989); see e.g. Nielsen, *Neural networks and
    deep learning*, ch. 4. The slide: «Двухслойные сети — универсальные аппроксиматоры функций».
    """
    H = check_int("H", H, minimum=1)
    steep = check_positive("steep", steep)
    check_choice("activation", activation, ["sigmoid", "heaviside"])
    a, b = _interval("interval", interval)
    t = np.linspace(a, b, H + 1)
    ft = _values("f", f, t)
    delta = (b - a) / H
    s = steep / delta
    alpha = np.concatenate([[ft[0]], np.diff(ft)])
    W = np.concatenate([[0.0], np.full(H, s)])[:, None]
    w0 = np.concatenate([[-steep], s * (t[:-1] + t[1:]) / 2])
    return TwoLayerNetwork(alpha, W, w0, activation)


def staircase_error_bound(lipschitz: float, H: int, *, steep: float = 40.0,
                          activation: str = "sigmoid", f0: float = 0.0,
                          variation: float | None = None, interval=(0.0, 1.0)) -> float:
    r"""A bound on :math:`\max_{[a,b]} |a_H(x) - f(x)|` for the :func:`staircase`.

    For an :math:`L`-Lipschitz :math:`f`.

    Heaviside steps: :math:`L\delta/2`, :math:`\delta = (b - a)/H` (every :math:`x` is within
    :math:`\delta/2` of the node whose value the staircase takes there).

    Sigmoid steps:

    .. math::

        \frac{L\delta}{2} + |f(t_0)|\,\sigma(-\text{steep}) + V\,\sigma(-\text{steep}/2),

    with :math:`V = \sum_h |f(t_h) - f(t_{h-1})| \le L(b - a)` (the default when
    ``variation`` is not given). Proof: on a piece :math:`[t_{j-1}, t_j]` every other step is
    within :math:`\sigma(-\text{steep}/2)` of 0 or 1, so
    :math:`a_H(x) = (1 - \theta) f(t_{j-1}) + \theta f(t_j) + E` with
    :math:`\theta = \sigma(s v)`, :math:`v = x - m_j`, :math:`|E|` at most the two tail
    terms; and :math:`(1 - \theta)(\delta/2 + v) + \theta(\delta/2 - v) = \delta/2 - v \tanh(sv/2)
    \le \delta/2` (:mod:`lecturenn.derivations.approximation`,
    ``check_staircase_interpolation_bound``).

    Parameters
    ----------
    lipschitz : float
        :math:`L \ge 0` with :math:`|f(x) - f(y)| \le L|x - y|`.
    H, steep, activation, interval
        As for :func:`staircase`.
    f0 : float, optional
        :math:`f(t_0)`, for the tail of the constant neuron.
    variation : float, optional
        :math:`V`, the sum of the step heights; defaults to its bound :math:`L(b - a)`.
    """
    L = check_positive("lipschitz", lipschitz, strict=False)
    H = check_int("H", H, minimum=1)
    steep = check_positive("steep", steep)
    check_choice("activation", activation, ["sigmoid", "heaviside"])
    a, b = _interval("interval", interval)
    f0 = check_real("f0", f0)
    V = L * (b - a) if variation is None else check_positive("variation", variation, strict=False)
    bound = L * (b - a) / H / 2
    if activation == "heaviside":
        return float(bound)
    return float(bound + abs(f0) * _logistic(-steep) + V * _logistic(-steep / 2))


def relu_interpolant(knots, values) -> TwoLayerNetwork:
    r"""A ReLU network equal to the piecewise-linear interpolant of ``(knots, values)``.

    Exactly, on :math:`[t_0, \infty)`.

    With the slopes :math:`c_k = (v_{k+1} - v_k)/(t_{k+1} - t_k)`, :math:`k = 0, \dots, K - 1`
    (:math:`K + 1` knots, :math:`K` pieces) and :math:`c_{-1} = 0`,

    .. math::

        a(x) = v_0\,\mathrm{ReLU}(1) + \sum_{k=0}^{K-1} (c_k - c_{k-1})\,\mathrm{ReLU}(x - t_k),

    which is :math:`v_0` at :math:`t_0` and has slope :math:`c_k` on :math:`[t_k, t_{k+1}]`:
    exactly the interpolant (extended by its last slope beyond :math:`t_K`). :math:`K + 1`
    neurons: the constant (:math:`w = 0`, :math:`w_0 = -1`) and one ReLU per knot
    :math:`t_0, \dots, t_{K-1}`. A neuron whose slope change is zero can be dropped; each
    ReLU adds at most one kink, so a function with :math:`K - 1` kinks inside
    :math:`(t_0, t_K)` needs at least :math:`K - 1` neurons besides the line it starts with.

    Parameters
    ----------
    knots : array_like, shape (K + 1,)
        Strictly increasing, :math:`K \ge 1`.
    values : array_like, shape (K + 1,)

    References
    ----------
    The ReLU form of piecewise-linear functions: e.g. Arora et al., *Understanding deep
    neural networks with rectified linear units*, ICLR 2018 (Theorem 2.2 in one dimension).
    """
    t = as_float_array("knots", knots, ndim=1)
    v = as_float_array("values", values, ndim=1)
    if len(t) < 2:
        raise ValueError(f"knots must hold at least 2 points, got {len(t)}")
    if v.shape != t.shape:
        raise ValueError(f"values must have the shape of knots {t.shape}, got {v.shape}")
    if not np.all(np.diff(t) > 0):
        raise ValueError("knots must be strictly increasing")
    c = np.diff(v) / np.diff(t)
    dc = np.diff(np.concatenate([[0.0], c]))
    alpha = np.concatenate([[v[0]], dc])
    W = np.concatenate([[0.0], np.ones(len(c))])[:, None]
    w0 = np.concatenate([[-1.0], t[:-1]])
    return TwoLayerNetwork(alpha, W, w0, "relu")


def cosine_ridge_network(f, K: int, h: float, *, grid: int = 64) -> TwoLayerNetwork:
    r"""A one-hidden-layer ReLU network approximating :math:`f` on the unit square.

    Two steps, each with its own error:

    1. The cosine series of :math:`f`, truncated at :math:`k_1, k_2 \le K`,
       :math:`f_K(x) = \sum_{k_1, k_2 = 0}^{K} c_{k_1k_2}\cos(\pi k_1 x_1)\cos(\pi k_2 x_2)`,
       the coefficients by the midpoint rule on a ``grid`` :math:`\times` ``grid`` grid (the
       discrete cosine transform). Every product is a sum of two **ridge functions**,
       :math:`\cos a\cos b = \tfrac12[\cos(a + b) + \cos(a - b)]`: a profile of one variable
       applied to :math:`\langle \omega, x\rangle` with :math:`\omega = \pi(k_1, \pm k_2)`.
    2. Every profile :math:`u \mapsto \cos u` on the range of :math:`\langle \omega, x\rangle`
       over the square replaced by its :func:`relu_interpolant` on knots :math:`h` apart
       (or closer): its error is at most :math:`h^2/8` (the linear-interpolation bound
       :math:`h^2\max|g''|/8`, :math:`|\cos''| \le 1`). A ReLU of
       :math:`\langle \omega, x\rangle - t` is a neuron of the slide's form, with
       :math:`w_h = \omega`, :math:`w_{0h} = t`.

    So :math:`\|a - f\|_\infty \le \|f_K - f\|_\infty + \tfrac{h^2}{8}\sum_{k \ne 0} |c_k|`:
    the ridge terms of one product have weights adding up to 1 (one term of weight 1 when
    :math:`k_1 = 0` or :math:`k_2 = 0`, two of weight :math:`\tfrac12` otherwise), and each
    profile is off by at most :math:`h^2/8`. The first term is measured, the second is the
    proved bound of step 2. The constant :math:`c_{00}` is one neuron.

    The number of hidden neurons is
    :math:`1 + \sum_{k \ne 0} r_k \lceil \pi(k_1 + k_2)/h \rceil` with :math:`r_k` the
    number of ridge terms (1 or 2): one ReLU per piece of every profile, the range of
    :math:`\langle \omega, x\rangle` over the square having length :math:`\pi(k_1 + k_2)`.
    It grows like :math:`2\pi K^3/h`.

    Parameters
    ----------
    f : callable
        ``f(X) -> (m,)`` for ``X`` of shape ``(m, 2)``.
    K : int
        The highest frequency, :math:`K \ge 0`.
    h : float
        The largest distance between the knots of a profile, :math:`> 0`.
    grid : int, optional
        The points per axis of the midpoint rule, ``grid > K``.

    References
    ----------
    Ridge functions and universality: Pinkus (1999), section 3; the cosine (Fourier) route to
    Cybenko's theorem in more dimensions is the one of Hornik, Stinchcombe and White (1989)
    and of Barron (1993).
    """
    check_callable("f", f, "a function f(X) -> (m,) on X of shape (m, 2)")
    K = check_int("K", K, minimum=0)
    h = check_positive("h", h)
    grid = check_int("grid", grid, minimum=K + 1)
    u = (np.arange(grid) + 0.5) / grid
    X1, X2 = np.meshgrid(u, u, indexing="ij")
    F = np.asarray(f(np.column_stack([X1.ravel(), X2.ravel()])), dtype=float)
    if F.shape != (grid * grid,):
        raise ValueError(f"f(X) must return shape ({grid * grid},) for X of shape "
                         f"({grid * grid}, 2), got {F.shape}")
    if not np.all(np.isfinite(F)):
        raise ValueError("f(X) must be finite on the square, got NaN or inf")
    F = F.reshape(grid, grid)
    k = np.arange(K + 1)
    C = np.cos(np.pi * np.outer(k, u))                     # (K+1, grid)
    norm = np.where(k == 0, 1.0, 2.0)
    coef = (norm[:, None] * norm[None, :]) * (C @ F @ C.T) / grid**2   # c_{k1 k2}
    alphas, Ws, w0s = [coef[0, 0]], [np.zeros(2)], [-1.0]   # the constant: ReLU(1) = 1
    for k1 in range(K + 1):
        for k2 in range(K + 1):
            if k1 == 0 and k2 == 0:
                continue
            terms = [(1.0, 1.0)] if (k1 == 0 or k2 == 0) else [(0.5, 1.0), (0.5, -1.0)]
            for weight, sign in terms:
                omega = np.pi * np.array([k1, sign * k2])
                corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]) @ omega
                lo, hi = corners.min(), corners.max()
                n_pieces = max(1, int(np.ceil((hi - lo) / h)))
                knots = np.linspace(lo, hi, n_pieces + 1)
                prof = relu_interpolant(knots, np.cos(knots))
                # the profile's constant neuron folds into the network's constant
                alphas[0] += weight * coef[k1, k2] * prof.alpha[0]
                alphas.extend(weight * coef[k1, k2] * prof.alpha[1:])
                Ws.extend(np.outer(prof.W[1:, 0], omega))
                w0s.extend(prof.w0[1:])
    return TwoLayerNetwork(np.array(alphas), np.array(Ws), np.array(w0s), "relu")


def least_squares_output(W, w0, x, y, *, activation: str = "sigmoid") -> TwoLayerNetwork:
    r"""The output weights :math:`\alpha` minimising :math:`\sum_i (a(x_i) - y_i)^2`.

    The hidden weights ``W``, ``w0`` are fixed.

    A linear least-squares problem in :math:`\alpha`, solved by ``numpy.linalg.lstsq`` (the
    minimum-norm solution when the hidden outputs are linearly dependent).

    Parameters
    ----------
    W : array_like, shape (H, n)
    w0 : array_like, shape (H,)
    x : array_like, shape (m,) or (m, n)
    y : array_like, shape (m,)
    activation : str, optional
        A key of :data:`ACTIVATIONS`.
    """
    W = as_float_array("W", W, ndim=2)
    w0 = as_float_array("w0", w0, ndim=1)
    if len(w0) != len(W):
        raise ValueError(f"w0 must have one threshold per row of W ({len(W)}), got {len(w0)}")
    net = TwoLayerNetwork(np.zeros(len(w0)), W, w0, activation)
    Phi = net.hidden(x)
    y = as_float_array("y", y, ndim=1)
    if len(y) != len(Phi):
        raise ValueError(f"y must have one value per row of x ({len(Phi)}), got {len(y)}")
    alpha = np.linalg.lstsq(Phi, y, rcond=None)[0]
    return TwoLayerNetwork(alpha, net.W, net.w0, activation)


def uniform_error(net, f, interval=(0.0, 1.0), n: int = 4001) -> float:
    r""":math:`\max_i |a(x_i) - f(x_i)|` on ``n`` equally spaced points of :math:`[a, b]`.

    A lower estimate of the supremum (exact for the maximum on the points). ``net`` is
    called on the ``(n,)`` points and must return ``(n,)`` values, as a
    :class:`TwoLayerNetwork` of one input does.
    """
    check_callable("net", net, "a network a(x) -> array")
    a, b = _interval("interval", interval)
    n = check_int("n", n, minimum=2)
    x = np.linspace(a, b, n)
    y = _values("f", f, x)
    out = np.asarray(net(x), dtype=float)
    if out.shape != x.shape:
        raise ValueError(f"net(x) must return an array of shape {x.shape} for x of shape "
                         f"{x.shape}, got shape {out.shape} (a network of lecturenn.network "
                         f"takes x[:, None] and returns (m, 1): pass a function that "
                         f"ravels it)")
    if not np.all(np.isfinite(out)):
        raise ValueError("net(x) must be finite on the interval, got NaN or inf")
    return float(np.max(np.abs(out - y)))


def koppen_inner(k: int, *, n: int = 2, gamma: int = 10) -> list:
    r"""Köppen's inner function :math:`\psi_k` at the points :math:`d = m/\gamma^k`, exactly.

    With :math:`d_k = \sum_{r=1}^{k} i_r\gamma^{-r}` (digits :math:`i_r` in base
    :math:`\gamma`) and :math:`\beta_n(r) = (n^r - 1)/(n - 1)`,

    .. math::

        \psi_k(d_k) = \begin{cases}
        d_k, & k = 1,\\
        \psi_{k-1}\bigl(d_k - i_k\gamma^{-k}\bigr) + i_k\,\gamma^{-\beta_n(k)},
            & k > 1,\ i_k < \gamma - 1,\\
        \tfrac12\bigl[\psi_k(d_k - \gamma^{-k}) + \psi_{k-1}(d_k + \gamma^{-k})\bigr],
            & k > 1,\ i_k = \gamma - 1,
        \end{cases}

    and :math:`\psi_k(1) = \psi_{k-1}(1) = \dots = \psi_1(1) = 1`. The values at the points
    of level :math:`k - 1` do not change at level :math:`k`. A point whose last digit is
    :math:`\gamma - 1` (the *carried* point) is thus
    :math:`\tfrac12[\psi_{k-1}(p) + \psi_{k-1}(p^+)] + \tfrac{\gamma - 2}{2}\gamma^{-\beta_n(k)}`,
    :math:`p` its prefix and :math:`p^+ = p + \gamma^{-(k-1)}`: within a gap :math:`D` of level
    :math:`k - 1` the new gaps are :math:`\gamma - 2` of :math:`\gamma^{-\beta_n(k)}` and two of
    :math:`D/2 - \tfrac{\gamma - 2}{2}\gamma^{-\beta_n(k)}`. The limit :math:`\psi` is
    continuous and strictly increasing (claimed by Köppen 2002, proved by Braun and Griebel
    2009; Sprecher's earlier function was neither monotone nor continuous). The inner
    functions of the representation are then :math:`\lambda_p\psi(x_p + qa)`,
    :math:`a = 1/(\gamma(\gamma - 1))`, :math:`q = 0, \dots, 2n`, for :math:`\gamma \ge 2n + 2`;
    this function computes :math:`\psi` on :math:`[0, 1]` only (the shifted arguments reach
    :math:`1 + 2na`, where Braun and Griebel's extension would be needed).

    Provenance. The recursion is Köppen's as Braun and Griebel restate it, with the carried
    point the midpoint of :math:`\psi_k(d - \gamma^{-k})` and :math:`\psi_{k-1}(d + \gamma^{-k})`.
    The text of either paper was not available to check it line by line; a reading of the
    Braun–Griebel preprint reports that the form above is the one their proofs use, and that
    another printed form puts :math:`\tfrac{\gamma - 1}{2}` instead of
    :math:`\tfrac{\gamma - 2}{2}` into the carried point. Both forms are continuous and
    increasing with least gap :math:`\gamma^{-\beta_n(k)}`; they differ in the widest gaps
    only. The tests check this function against a level-by-level table written from the
    recursion, the least gap, and the widest gap against its recursion
    (:func:`lecturenn.derivations.approximation.koppen_widest_gaps`).

    Returns the values :math:`\psi_k(m/\gamma^k)`, :math:`m = 0, \dots, \gamma^k`, as
    ``fractions.Fraction`` (the increments at level :math:`k` go down to
    :math:`\gamma^{-\beta_n(k)}`; for :math:`n = 2`, :math:`\gamma = 10` the values of level 5
    rounded to double precision are no longer increasing).

    Parameters
    ----------
    k : int
        The level, :math:`1 \le k \le 6`, with at most :math:`10^6` points
        (:math:`\gamma^k \le 10^6`).
    n : int, optional
        The number of variables, :math:`n \ge 2`.
    gamma : int, optional
        The base, :math:`\gamma \ge 2n + 2`.

    References
    ----------
    M. Köppen, On the training of a Kolmogorov network, ICANN 2002; J. Braun and
    M. Griebel, On a constructive proof of Kolmogorov's superposition theorem, Constructive
    Approximation 30 (2009) 653-675. The slide: «Имеет ли теорема Колмогорова отношение к
    нейросетям?» ("the functions are not smooth and hard to build").
    """
    k = check_int("k", k, minimum=1)
    if k > 6:
        raise ValueError(f"k must be <= 6 (gamma^k points), got {k}")
    n = check_int("n", n, minimum=2)
    gamma = check_int("gamma", gamma, minimum=2 * n + 2)
    if gamma**k > 10**6:
        raise ValueError(f"gamma^k must be <= 10^6 points, got gamma = {gamma}, k = {k} "
                         f"({gamma}^{k} points)")
    return [_koppen(k, m, n, gamma) for m in range(gamma**k + 1)]


@cache
def _koppen(k: int, m: int, n: int, gamma: int) -> Fraction:
    # psi_k(m / gamma^k); m = gamma^k is d = 1, which has no k-th digit
    if m == gamma**k:
        return Fraction(1)
    if k == 1:
        return Fraction(m, gamma)
    i_k = m % gamma
    if i_k < gamma - 1:
        beta = (n**k - 1) // (n - 1)
        return _koppen(k - 1, m // gamma, n, gamma) + Fraction(i_k, gamma**beta)
    return (_koppen(k, m - 1, n, gamma) + _koppen(k - 1, (m + 1) // gamma, n, gamma)) / 2
