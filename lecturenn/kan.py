r"""Kolmogorov–Arnold networks: a layer of learned one-dimensional functions on the edges.

Slide «Имеет ли теорема Колмогорова отношение к нейросетям?» ("does Kolmogorov's theorem
have anything to do with neural networks?"), its last part: *generalise the construction
heuristically (KAN): any number of layers of any width; instead of the functions*
:math:`\Phi_k, \varphi_{jk}` *one-dimensional splines (with weights); train by the
standard methods (BackProp)*. Checked against Liu et al., *KAN: Kolmogorov–Arnold
Networks* (2024, §2.2–2.4), SymPy (:mod:`lecturenn.derivations.kan`), finite differences
and a PyTorch layer of the same parametrization differentiated by autograd
(``tests/test_kan.py``).

**The layer** (Liu et al. 2024, (2.10) and §2.2). A KAN layer with :math:`n_\mathrm{in}`
inputs and :math:`n_\mathrm{out}` outputs has one function on every edge :math:`(i, j)`,

.. math::

    \varphi_{ij}(x) = w_{b,ij}\,\mathrm{silu}(x) + w_{s,ij} \sum_{m} c_{ijm} B_m(x),
    \qquad y_j = \sum_{i=1}^{n_\mathrm{in}} \varphi_{ij}(x_i),

with :math:`B_m = B_{m,k}` the :math:`G + k` B-splines of degree :math:`k` on the grid of
input :math:`i` (:mod:`lecturenn.splines`; the grid is shared by the edges leaving an
input, as in pykan). The trainable parameters are ``c`` (:math:`n_\mathrm{in} \times
n_\mathrm{out} \times (G+k)`), ``w_b`` and ``w_s`` (:math:`n_\mathrm{in} \times
n_\mathrm{out}`). The grid is not trained: it is moved by :meth:`KANLayer.update_grid` and
refined by :meth:`KANLayer.refined`.

**Forward and backward by hand.** With the basis tensor :math:`B_{nim} = B_m(x_{ni})` of the
batch and :math:`C_{imj} = w_{s,ij} c_{ijm}`, the layer is one matrix product (the formulation
of efficient-kan): the design matrix :math:`A = [\,\mathrm{silu}(x) \mid B\,]` of shape
:math:`(n, n_\mathrm{in}(G+k+1))` times :math:`W = [\,w_b;\ C\,]`, and for
:math:`g = \partial Q/\partial y`:

.. math::

    \frac{\partial Q}{\partial w_{b,ij}} = \sum_n \mathrm{silu}(x_{ni})\,g_{nj}, \qquad
    P_{imj} = \sum_n B_{nim}\,g_{nj}, \qquad
    \frac{\partial Q}{\partial c_{ijm}} = w_{s,ij} P_{imj}, \qquad
    \frac{\partial Q}{\partial w_{s,ij}} = \sum_m c_{ijm} P_{imj},

(:math:`\partial Q/\partial w_b` and :math:`P` are the one product :math:`A^\top g`),

.. math::

    \frac{\partial Q}{\partial x_{ni}} = \mathrm{silu}'(x_{ni}) \sum_j w_{b,ij} g_{nj}
    + \sum_m B'_m(x_{ni}) \sum_j C_{imj}\, g_{nj}

(the inner sums are the one product :math:`g W^\top`; of its :math:`G + k` columns per
input only the :math:`k + 1` where :math:`B'_m(x_{ni}) \ne 0` are read), :math:`B'_m` by
the derivative identity of :func:`lecturenn.splines.bspline_basis_and_derivative`.

**Evaluation.** Only the :math:`k + 1` B-splines that do not vanish at :math:`x_{ni}` are
computed and scattered into :math:`A`. On a *uniform* grid (the initial one, after
:meth:`KANLayer.refined`, after :meth:`KANLayer.update_grid` with ``grid_eps = 1``; for
:math:`k \ge 2`) every B-spline is a shift of one cardinal B-spline: the interval is
:math:`j = \lfloor (x - t_{-k})/h \rfloor`, and the :math:`k + 1` values are fixed
polynomials of the position :math:`f` in it (``lecturenn.splines._cardinal_coefficients``,
computed from de Boor's scheme in exact arithmetic), so the basis costs :math:`k` products
for the powers of :math:`f` and one small matrix product, and :math:`B'` is the derivative of
the same polynomials divided by :math:`h`: nothing is recomputed in the backward pass. On any
other grid the general scheme of :mod:`lecturenn.splines` (a binary search per input, de
Boor's triangle) gives the values and derivatives in the forward pass. Both paths are tested
against each other and against the full Cox–de Boor recursion.

**What the layer holds for backward** (:class:`KANCache`): the input :math:`x` and
:math:`\sigma(x)` (:math:`n \times n_\mathrm{in}` each), the design matrix :math:`A`
(:math:`n \times n_\mathrm{in}(G+k+1)`), :math:`W`, and two :math:`(k+1) \times
n\,n_\mathrm{in}` arrays (where the non-zero B-splines sit in :math:`A`, and the powers of
:math:`f` or the derivatives). Nothing of shape :math:`(n, n_\mathrm{out}, n_\mathrm{in},
G+k)` is built.

**Initialization.** ``init="paper"`` (default), Liu et al. §2.2 ("initialization scales",
read in the arXiv version 2404.19756 through a transcription, not in the PDF; the versions
differ in how they write the weights): the spline part starts near zero,
:math:`c_{ijm} \sim N(0, \sigma^2)` with
:math:`\sigma = 0.1` (``noise_scale``), :math:`w_s = 1`, :math:`w_b` by Xavier's rule
:math:`U(\pm\sqrt{6/(n_\mathrm{in} + n_\mathrm{out})})`. ``init="pykan"``, what pykan 0.2.8's
``KANLayer`` does instead: the coefficients are the least-squares fit of uniform noise
:math:`U(-\tfrac12, \tfrac12)\cdot\mathrm{noise\_scale}/G` at the :math:`G + 1` grid points
(``noise_scale`` is 0.5 in its ``KANLayer``, 0.3 in its ``KAN``; read in the installed
0.2.8 source), :math:`w_s = 1/\sqrt{n_\mathrm{in}}` and
:math:`w_b = U(-1, 1)/\sqrt{n_\mathrm{in}}` (its ``scale_base_mu = 0``,
``scale_base_sigma = 1``): no Xavier, and a :math:`1/\sqrt{n_\mathrm{in}}` on the spline
scale that the paper does not have.

**Outside the grid**: see :mod:`lecturenn.splines`. The spline term of an edge is zero
beyond its outer knots; the residual :math:`w_b\,\mathrm{silu}(x)` is not, so a KAN layer
extrapolates as :math:`w_b\,\mathrm{silu}`: like :math:`w_b x` for large positive
:math:`x`, towards 0 for large negative :math:`x`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lecturenn._validation import (
    as_batch,
    as_float_array,
    check_choice,
    check_float_dtype,
    check_in_range,
    check_int,
    check_positive,
    check_real,
    check_rng,
    describe,
)
from lecturenn.activations import Sigmoid, SiLU
from lecturenn.layers import Layer, register_layer
from lecturenn.parameter import Parameter
from lecturenn.splines import (
    _cardinal_coefficients,
    _local_basis,
    _local_values,
    extend_grid,
    uniform_grid,
)

__all__ = ["KANLayer", "KANCache", "KAN", "refine_network", "update_network_grids",
           "kan_inputs"]

_SILU = SiLU()
_SIGMOID = Sigmoid()
_INITS = ("paper", "pykan")


class KANCache:
    r"""What :meth:`KANLayer.forward` keeps for :meth:`KANLayer.backward`.

    With :math:`n` objects, :math:`d = n_\mathrm{in}`, :math:`M = G + k`:

    Attributes
    ----------
    x : numpy.ndarray
        The input, ``(n, d)``.
    A : numpy.ndarray
        The design matrix ``(n, d (M + 1))``: :math:`\mathrm{silu}(x_{ni})` in the first
        :math:`d` columns, then the basis :math:`B_m(x_{ni})` in column :math:`d + iM + m`
        (zero except :math:`k + 1` entries per input); the output is ``A @ W``.
    W : numpy.ndarray
        The weight matrix ``(d (M + 1), n_out)``: :math:`w_b` on top of
        :math:`C_{(i,m),j} = w_{s,ij} c_{ijm}`.
    sig : numpy.ndarray
        :math:`\sigma(x)`, ``(n, d)``, for :math:`\mathrm{silu}'`.
    idx : numpy.ndarray
        ``(k + 1, n d)``: where in ``A.ravel()`` the :math:`k + 1` non-zero B-splines of each
        input went (``A.size``, one cell past the end, for a B-spline of the padded knots).
    dbasis : numpy.ndarray
        On a uniform grid the powers :math:`f^q`, ``(k + 1, n d)``, of the position
        :math:`f` in the interval (:math:`B'` is a polynomial in them); otherwise the
        :math:`k + 1` derivatives :math:`B'_{j-k+r}(x)` themselves.
    """

    __slots__ = ("x", "A", "W", "sig", "idx", "dbasis")

    def __init__(self, x=None, A=None, W=None, sig=None, idx=None, dbasis=None) -> None:
        self.x, self.A, self.W, self.sig, self.idx, self.dbasis = x, A, W, sig, idx, dbasis

    def __repr__(self) -> str:
        return f"KANCache(x={None if self.x is None else self.x.shape}, " \
               f"A={None if self.A is None else self.A.shape})"


def _uniform_spacing(t, k):
    r"""``(t_0, 1/h)`` per row if every row of the knots ``t`` is uniform (to 8 ulps of its
    largest knot) and :math:`k \ge 2`; else ``None``. :math:`k \le 1` takes the general
    path: there :math:`B'` jumps at the knots, and which side a knot is counted on must not
    depend on the rounding of :math:`(x - t_0)/h`."""
    if k < 2:
        return None
    t64 = t.astype(np.float64)
    h = (t64[:, -1] - t64[:, 0]) / (t.shape[1] - 1)
    dev = np.max(np.abs(np.diff(t64, axis=1) - h[:, None]))
    if dev > 8 * np.finfo(t.dtype).eps * np.max(np.abs(t64)):
        return None
    return np.ascontiguousarray(t[:, 0]), (1.0 / h).astype(t.dtype)


def _check_grid_range(grid_range):
    if (isinstance(grid_range, (str, bytes)) or not isinstance(grid_range, Sequence)
            or len(grid_range) != 2):
        raise ValueError(f"grid_range must be a pair (low, high), got {describe(grid_range)}")
    low = check_real("grid_range[0]", grid_range[0])
    high = check_real("grid_range[1]", grid_range[1])
    if not low < high:
        raise ValueError(f"grid_range must have low < high, got {describe(grid_range)}")
    return low, high


@register_layer
class KANLayer(Layer):
    r"""A Kolmogorov–Arnold layer :math:`y_j = \sum_i \varphi_{ij}(x_i)` (see the module docstring).

    Parameters
    ----------
    n_in, n_out : int
        The widths.
    G : int, optional
        The number of grid intervals (5 by default, as pykan).
    k : int, optional
        The spline degree (3, cubic).
    grid_range : pair of float, optional
        The initial grid :math:`[t_0, t_G]`, uniform; ``(-1, 1)`` by default.
    init : str, optional
        ``"paper"`` (default) or ``"pykan"``, see the module docstring.
    noise_scale : float, optional
        :math:`\sigma` of the initial coefficients (``"paper"``: 0.1) or the amplitude of
        pykan's initial noise (``"pykan"``: pykan's default 0.5); ``None`` takes the
        default of the ``init``.
    knots : array_like, optional
        Extended knots, one row per input, shape ``(n_in, G + 2k + 1)``, strictly
        increasing; replaces the uniform grid (as after :meth:`update_grid`).
    rng : numpy.random.Generator or int, optional
        Random source of the initial parameters.
    dtype : numpy dtype, optional
        ``float64`` (default) or ``float32``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = KANLayer(2, 3, G=5, k=3, rng=0)
    >>> [(p.name, p.data.shape) for p in layer.parameters()]
    [('c', (2, 3, 8)), ('w_b', (2, 3)), ('w_s', (2, 3))]
    >>> layer.forward(np.zeros((4, 2))).shape
    (4, 3)
    """

    def __init__(self, n_in: int, n_out: int, G: int = 5, k: int = 3, grid_range=(-1.0, 1.0),
                 init: str = "paper", noise_scale=None, knots=None, rng=0,
                 dtype=np.float64) -> None:
        self.n_in = check_int("n_in of KANLayer", n_in, minimum=1)
        self.n_out = check_int("n_out of KANLayer", n_out, minimum=1)
        self.G = check_int("G of KANLayer", G, minimum=1)
        self.k = check_int("k of KANLayer", k, minimum=0)
        self.grid_range = _check_grid_range(grid_range)
        self.init = check_choice("init of KANLayer", init, _INITS)
        if noise_scale is None:
            noise_scale = 0.1 if self.init == "paper" else 0.5
        self.noise_scale = check_positive("noise_scale of KANLayer", noise_scale, strict=False)
        self.dtype = check_float_dtype("dtype of KANLayer", dtype)
        base_grid = uniform_grid(self.G, *self.grid_range)
        self._custom_knots = knots is not None
        if knots is None:
            t = np.tile(extend_grid(base_grid, self.k), (self.n_in, 1))
        else:
            t = self._check_knots(knots, self.n_in, self.G, self.k)
        self.knots = t
        gen = check_rng(rng)
        M = self.G + self.k
        if self.init == "paper":
            c = gen.normal(0.0, self.noise_scale, size=(self.n_in, self.n_out, M))
            bound = np.sqrt(6.0 / (self.n_in + self.n_out))
            w_b = gen.uniform(-bound, bound, size=(self.n_in, self.n_out))
            w_s = np.ones((self.n_in, self.n_out))
        else:
            noise = (gen.uniform(size=(self.G + 1, self.n_in, self.n_out)) - 0.5) \
                * self.noise_scale / self.G
            c = np.empty((self.n_in, self.n_out, M))
            for i in range(self.n_in):
                pts = self.knots[i, self.k:self.k + self.G + 1].astype(np.float64)
                A = _local_basis(pts, self.knots[i].astype(np.float64), self.k, False)
                c[i] = np.linalg.lstsq(A, noise[:, i, :], rcond=None)[0].T
            scale = 1.0 / np.sqrt(self.n_in)
            w_b = gen.uniform(-1.0, 1.0, size=(self.n_in, self.n_out)) * scale
            w_s = np.full((self.n_in, self.n_out), scale)
        self.c = Parameter(c.astype(self.dtype), name="c")
        self.w_b = Parameter(w_b.astype(self.dtype), name="w_b")
        self.w_s = Parameter(w_s.astype(self.dtype), name="w_s")
        self.cache: KANCache | None = None

    # ------------------------------------------------------------------ protocol
    def parameters(self) -> list[Parameter]:
        return [self.c, self.w_b, self.w_s]

    @property
    def knots(self) -> np.ndarray:
        """The extended knots, one row per input, ``(n_in, G + 2k + 1)``, in the layer's dtype."""
        return self._knots

    @knots.setter
    def knots(self, t) -> None:
        self._knots = np.ascontiguousarray(t, dtype=self.dtype)
        # the uniform-grid evaluation: (t_0, 1/h) per input, or None
        self._uniform = _uniform_spacing(self._knots, self.k)
        self._offsets_n = None  # the column offsets of the design matrix, per batch size

    @staticmethod
    def _check_knots(knots, n_in, G, k):
        t = as_float_array("knots of KANLayer", knots, ndim=2)
        want = (n_in, G + 2 * k + 1)
        if t.shape != want:
            raise ValueError(f"knots of KANLayer must have shape (n_in, G + 2k + 1) = {want}, "
                             f"got {t.shape}")
        if not np.all(np.diff(t, axis=1) > 0):
            raise ValueError("knots of KANLayer must be strictly increasing in every row")
        return t

    def basis(self, x, derivative: bool = False):
        r"""The basis :math:`B_m(x_{ni})` of the layer's grids, ``(n, n_in, G + k)``
        (and :math:`B'_m(x_{ni})` if ``derivative``); ``x`` is trusted."""
        return _local_basis(x, self.knots, self.k, derivative)

    def _offsets(self, n):
        """``(n, d)``: the index in the flattened design matrix of column :math:`d + iM - k`
        in row :math:`n` (kept for the last batch size)."""
        if self._offsets_n is None or self._offsets_n[0] != n:
            d, M = self.n_in, self.G + self.k
            R = d * (M + 1)
            off = (np.arange(n)[:, None] * R + d - self.k) + np.arange(d) * M
            self._offsets_n = (n, off)
        return self._offsets_n[1]

    def forward(self, x, train=False):
        n, d = x.shape
        k, M = self.k, self.G + self.k
        R = d * (M + 1)
        dtype = x.dtype
        if self._uniform is not None:
            # uniform knots: x lies in interval j = floor(u), u = (x - t_{-k})/h, at f = u - j,
            # and the k + 1 non-zero B-splines there are fixed polynomials of f
            t0, inv_h = self._uniform
            u = x - t0
            u *= inv_h
            # beyond the outer knots (and NaN): interval -1 or K - 1, whose B-splines all use
            # padded knots, so they are dropped below and the spline part is zero there
            np.fmin(u, M + k, out=u)
            np.fmax(u, -1.0, out=u)
            jf = np.floor(u)
            j = jf.astype(np.intp)
            F = np.empty((k + 1, n * d), dtype=dtype)
            F[0] = 1.0
            np.subtract(u, jf, out=F[1].reshape(n, d))
            for q in range(2, k + 1):
                np.multiply(F[q - 1], F[1], out=F[q])
            N = self._power_to_basis() @ F  # (k + 1, n d): N[r] = B_{j-k+r}
            dbasis = F
        else:
            j, Nl, dNl = _local_values(x, self._knots, k, True)
            N = np.stack(Nl).reshape(k + 1, n * d)
            dbasis = np.stack(dNl).reshape(k + 1, n * d)
        # B_{j-k+r} of input i goes to column d + iM + (j - k + r) of the design matrix
        idx = (self._offsets(n) + j).reshape(1, n * d) + np.arange(k + 1)[:, None]
        lo, hi = j.min(), j.max()
        if lo < k or hi > M - 1:  # some B_{j-k+r} of the padded knots: to the dump cell
            m = j.reshape(1, n * d) + np.arange(-k, 1)[:, None]
            idx[(m < 0) | (m >= M)] = n * R
        Af = np.zeros(n * R + 1, dtype=dtype)
        Af[idx] = N
        A = Af[:n * R].reshape(n, R)
        sig = _SIGMOID.value(x)
        np.multiply(x, sig, out=A[:, :d])  # silu(x)
        W = np.empty((R, self.n_out), dtype=dtype)
        W[:d] = self.w_b.data
        # C[(i, m), j] = w_s[i, j] c[i, j, m]
        np.multiply(self.w_s.data[:, None, :], self.c.data.transpose(0, 2, 1),
                    out=W[d:].reshape(d, M, self.n_out))
        out = A @ W
        c = self.cache
        if c is None:
            self.cache = KANCache(x, A, W, sig, idx, dbasis)
        else:
            c.x, c.A, c.W, c.sig, c.idx, c.dbasis = x, A, W, sig, idx, dbasis
        return out

    def _power_to_basis(self):
        """``(k + 1, k + 1)``: the B-splines from the powers of f (uniform grids)."""
        T = getattr(self, "_A_T", None)
        if T is None or T.dtype != self.dtype:
            A = _cardinal_coefficients(self.k)
            dA = np.arange(1, self.k + 1)[:, None] * A[1:]  # d/df of sum_q A[q, r] f^q
            self._A_T = T = A.T.astype(self.dtype)
            self._dA_T = dA.T.astype(self.dtype)
        return T

    def backward(self, grad_out, need_input_grad=True):
        cache = self.cache
        if cache is None:
            raise RuntimeError("KANLayer.backward called before forward")
        n, d = cache.x.shape
        k, M, q = self.k, self.G + self.k, self.n_out
        P = cache.A.T @ grad_out  # (d (M + 1), n_out): sum_n A_{n,col} g_nj
        self.w_b.grad = P[:d]
        Pt = P[d:].reshape(d, M, q).transpose(0, 2, 1)  # (i, j, m): sum_n B_nim g_nj
        self.c.grad = self.w_s.data[:, :, None] * Pt
        self.w_s.grad = np.einsum("ijm,ijm->ij", self.c.data, Pt)
        if not need_input_grad:
            return None
        x, sig = cache.x, cache.sig
        R = d * (M + 1)
        Sf = np.empty(n * R + 1, dtype=x.dtype)
        Sf[-1] = 0.0  # the dump cell: the B-splines of padded knots contribute nothing
        S = Sf[:n * R].reshape(n, R)
        np.matmul(grad_out, cache.W.T, out=S)  # sum_j W_{col,j} g_nj
        # silu'(x) = sigma(x) (1 + x (1 - sigma(x)))
        gx = 1.0 - sig
        gx *= x
        gx += 1.0
        gx *= sig
        gx *= S[:, :d]
        if self._uniform is not None:
            # B'_{j-k+r} = (1/h) d/df of its polynomial, from the powers f^0..f^(k-1)
            self._power_to_basis()
            dN = self._dA_T @ cache.dbasis[:k]
        else:
            dN = cache.dbasis
        spl = np.einsum("rn,rn->n", Sf[cache.idx], dN).reshape(n, d)
        if self._uniform is not None:
            spl *= self._uniform[1]
        gx += spl
        return gx

    def edge_values(self, x) -> np.ndarray:
        r""":math:`\varphi_{ij}(x_{ni})` for every object and edge, ``(n, n_in, n_out)``.

        For pictures and for the edge scores of :meth:`edge_scores` (it builds the
        :math:`(n, n_\mathrm{in}, n_\mathrm{out})` array that the training path avoids).
        """
        x = as_batch("x", x, self.n_in, self.dtype, where=repr(self), owner="the layer")
        B = self.basis(x)
        spline = np.einsum("nim,ijm->nij", B, self.c.data)
        return _SILU.value(x)[:, :, None] * self.w_b.data + spline * self.w_s.data

    def edge_scores(self, x) -> np.ndarray:
        r"""The mean absolute value :math:`|\varphi_{ij}|_1 = \frac1n\sum_n|\varphi_{ij}(x_{ni})|`
        of every edge on a batch (Liu et al. 2024, (2.17)), ``(n_in, n_out)``."""
        return np.abs(self.edge_values(x)).mean(axis=0)

    # ------------------------------------------------------------------ grids
    def spline_values(self, x) -> np.ndarray:
        r"""The spline parts :math:`\sum_m c_{ijm} B_m(x_{ni})`, ``(n, n_in, n_out)``; trusts x."""
        return np.einsum("nim,ijm->nij", self.basis(x), self.c.data)

    def _refit(self, x, targets, knots, G):
        """Least-squares coefficients on ``knots`` (G intervals) for targets (n, n_in, n_out)."""
        c = np.empty((self.n_in, self.n_out, G + self.k), dtype=np.float64)
        x64, t64 = x.astype(np.float64), knots.astype(np.float64)
        for i in range(self.n_in):
            A = _local_basis(x64[:, i], t64[i], self.k, False)
            c[i] = np.linalg.lstsq(A, targets[:, i, :].astype(np.float64), rcond=None)[0].T
        return c

    def update_grid(self, x, grid_eps: float = 0.02, margin: float = 0.0) -> KANLayer:
        r"""Move every input's grid to where the samples ``x`` are, keeping the function.

        Liu et al. 2024, §2.2 "update of spline grids"; pykan's
        ``update_grid_from_samples``. For input :math:`i` the sorted samples give the
        adaptive grid (the sample quantiles at :math:`0, 1/G, \dots, 1`) and the uniform
        grid between their minimum and maximum (widened by ``margin`` on each side); the
        new grid is :math:`\epsilon\cdot\text{uniform} + (1 - \epsilon)\cdot\text{adaptive}`
        (``grid_eps`` :math:`= \epsilon`, pykan's default 0.02), extended by :math:`k`
        knots, and the coefficients are refitted by least squares to the old spline values
        at the samples. Only the spline *part* :math:`\sum_m c_m B_m` is refitted;
        :math:`w_s` and :math:`w_b` stay, so the scale is applied once (refitting
        :math:`w_s\sum_m c_m B_m` and keeping :math:`w_s`, as efficient-kan's
        ``update_grid`` does, applies it twice).

        The function is kept only up to the least-squares error of that refit, which is not
        small in general: the new grid is not nested in the old one. The KAN chapter measures
        it on trained networks (a few per cent of the outputs' range at ``grid_eps = 0.02``).
        It is exact (to rounding) when the new grid equals the old one.

        Returns the layer (changed in place). The samples must make every grid strictly
        increasing (enough distinct values per input).
        """
        x = as_batch("x", x, self.n_in, self.dtype, where=repr(self), owner="the layer")
        eps = check_in_range("grid_eps", grid_eps, 0.0, 1.0, closed_high=True)
        margin = check_positive("margin", margin, strict=False)
        xs = np.sort(x.astype(np.float64), axis=0)
        n = xs.shape[0]
        ids = [int(n / self.G * j) for j in range(self.G)] + [n - 1]
        adaptive = xs[ids].T  # (n_in, G + 1)
        lo, hi = adaptive[:, :1] - margin, adaptive[:, -1:] + margin
        adaptive = np.concatenate([lo, adaptive[:, 1:-1], hi], axis=1)
        uniform = lo + (hi - lo) * np.arange(self.G + 1) / self.G
        grid = eps * uniform + (1 - eps) * adaptive
        if not np.all(np.diff(grid, axis=1) > 0):
            raise ValueError(f"x gives a grid that is not strictly increasing (too few distinct "
                             f"values per input for G = {self.G}); use more samples or "
                             "grid_eps closer to 1")
        knots = extend_grid(grid, self.k)
        c = self._refit(x, self.spline_values(x), knots, self.G)
        self.knots = knots
        self.c.data = c.astype(self.dtype)
        self.c.grad = None
        self._custom_knots = True
        return self

    def refined(self, G: int, x) -> KANLayer:
        r"""A new layer with :math:`G'` = ``G`` grid intervals computing the same function.

        Grid extension (Liu et al. 2024, §2.4, (2.16)): the new grid points are the
        piecewise-linear interpolation of the current grid :math:`t_0 < \dots < t_G` of each
        input at the :math:`G' + 1` uniform positions :math:`jG/G'`, :math:`j = 0..G'`
        (pykan 0.2.8's ``initialize_grid_from_parent``): on a uniform grid a uniform grid on
        the same :math:`[t_0, t_G]`; on any grid, for :math:`G' = mG`, a grid that contains
        every old grid point (each old interval cut into :math:`m` equal parts). The new
        coefficients :math:`c'` minimise :math:`\sum_n\bigl(\sum_m c'_{ijm}B'_m(x_{ni})
        - \sum_m c_{ijm}B_m(x_{ni})\bigr)^2` over the samples ``x``. :math:`w_b` and
        :math:`w_s` are copied once: the spline *part* is fitted, the scales are not applied a
        second time.

        The outputs of the two layers on ``x`` agree to the least-squares fit error; exactly
        (to rounding) when the old spline is a spline of the new grid on the samples:
        :math:`G'` a multiple of :math:`G` and the samples inside :math:`[t_0, t_G]` (the
        interior knots nest, also after :meth:`update_grid` made the grid non-uniform). The
        way to lose that: samples on the old extension, which reaches :math:`kh` beyond the
        grid while the new one reaches only :math:`kh'` (and on a non-uniform grid the
        extensions' knots do not nest either): beyond it the new spline part is zero. So
        move the grids to the data first (:func:`update_network_grids`).
        """
        G = check_int("G", G, minimum=1)
        x = as_batch("x", x, self.n_in, self.dtype, where=repr(self), owner="the layer")
        old = self.knots[:, self.k:self.k + self.G + 1].astype(np.float64)
        pos = np.arange(G + 1) * (self.G / G)
        grid = np.stack([np.interp(pos, np.arange(self.G + 1), row) for row in old])
        knots = extend_grid(grid, self.k)
        c = self._refit(x, self.spline_values(x), knots, G)
        new = KANLayer(self.n_in, self.n_out, G=G, k=self.k, grid_range=self.grid_range,
                       init=self.init, noise_scale=self.noise_scale, knots=knots,
                       dtype=self.dtype)
        new.c.data = c.astype(self.dtype)
        new.w_b.data = self.w_b.data.copy()
        new.w_s.data = self.w_s.data.copy()
        return new

    @property
    def n_params(self) -> int:
        r"""The trainable numbers, :math:`n_\mathrm{in} n_\mathrm{out}(G + k + 2)`."""
        return self.n_in * self.n_out * (self.G + self.k + 2)

    # ------------------------------------------------------------------ configs
    _CONFIG_KEYS = ("n_in", "n_out", "G", "k", "grid_range", "init", "noise_scale", "knots")

    def config(self) -> dict:
        cfg = {"type": "KANLayer", "n_in": self.n_in, "n_out": self.n_out, "G": self.G,
               "k": self.k, "grid_range": list(self.grid_range), "init": self.init,
               "noise_scale": self.noise_scale}
        if self._custom_knots:
            cfg["knots"] = self.knots.astype(np.float64).tolist()
        return cfg

    @classmethod
    def _check_config(cls, cfg):
        bad = sorted(str(key) for key in cfg if key not in cls._CONFIG_KEYS)
        if bad:
            raise ValueError(f"a KANLayer config has the entries {list(cls._CONFIG_KEYS)}, got "
                             f"{bad} besides")
        for key in ("n_in", "n_out"):
            if key not in cfg:
                raise ValueError(f"the KANLayer config has no {key!r} entry: {describe(cfg)}")
        n_in = check_int("n_in of KANLayer", cfg["n_in"], minimum=1)
        n_out = check_int("n_out of KANLayer", cfg["n_out"], minimum=1)
        G = check_int("G of KANLayer", cfg.get("G", 5), minimum=1)
        k = check_int("k of KANLayer", cfg.get("k", 3), minimum=0)
        _check_grid_range(cfg.get("grid_range", (-1.0, 1.0)))
        check_choice("init of KANLayer", cfg.get("init", "paper"), _INITS)
        if cfg.get("noise_scale") is not None:
            check_positive("noise_scale of KANLayer", cfg["noise_scale"], strict=False)
        if cfg.get("knots") is not None:
            rows = cfg["knots"]
            if not isinstance(rows, (list, np.ndarray)) or len(rows) != n_in or any(
                    not isinstance(r, (list, np.ndarray)) or len(r) != G + 2 * k + 1
                    for r in rows):
                raise ValueError(f"knots of the KANLayer config must be {n_in} rows of "
                                 f"G + 2k + 1 = {G + 2 * k + 1} numbers")
            cls._check_knots(rows, n_in, G, k)
        return n_in, n_out, G, k

    @classmethod
    def from_config(cls, cfg, rng=0, dtype=np.float64):
        cls._check_config(cfg)
        return cls(**cfg, rng=rng, dtype=dtype)

    @classmethod
    def parameter_shapes(cls, cfg):
        r"""``c``: :math:`n_\mathrm{in} \times n_\mathrm{out} \times (G+k)`; ``w_b``, ``w_s``:
        :math:`n_\mathrm{in} \times n_\mathrm{out}`."""
        n_in, n_out, G, k = cls._check_config(cfg)
        return {"c": (n_in, n_out, G + k), "w_b": (n_in, n_out), "w_s": (n_in, n_out)}

    def __repr__(self) -> str:
        return f"KANLayer({self.n_in}, {self.n_out}, G={self.G}, k={self.k})"


def KAN(widths, G: int = 5, k: int = 3, grid_range=(-1.0, 1.0), init: str = "paper",
        noise_scale=None, rng=0, dtype=np.float64):
    r"""A Kolmogorov–Arnold network ``[n_0, n_1, ..., n_L]``: a :class:`lecturenn.network.Network`
    of :class:`KANLayer` objects.

    The paper's shape notation (Liu et al. 2024, §2.2): ``KAN([2, 5, 1])`` has two inputs,
    five hidden nodes and one output, :math:`2\cdot5 + 5\cdot1 = 15` edges. The layers get
    seeds drawn from ``rng`` one after another.

    Examples
    --------
    >>> net = KAN([2, 5, 1], G=5, k=3, rng=0)
    >>> net.n_params, [type(lay).__name__ for lay in net.layers]
    (150, ['KANLayer', 'KANLayer'])
    """
    from lecturenn.network import Network  # network imports layers; keep the import one-way

    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"widths must be a list of at least two widths [n_0, ..., n_L], got "
                         f"{describe(widths)}")
    widths = [check_int(f"widths[{i}]", h, minimum=1) for i, h in enumerate(widths)]
    gen = check_rng(rng)
    layers = [KANLayer(widths[i], widths[i + 1], G=G, k=k, grid_range=grid_range, init=init,
                       noise_scale=noise_scale, rng=gen, dtype=dtype)
              for i in range(len(widths) - 1)]
    return Network(layers)


def _kan_layers(net, where):
    layers = getattr(net, "layers", None)
    if layers is None or not all(isinstance(lay, KANLayer) for lay in layers):
        raise TypeError(f"{where} needs a Network of KANLayer layers, got {describe(net)}")
    return layers


def kan_inputs(net, X) -> list[np.ndarray]:
    """The input of every layer of a KAN on ``X`` (``X`` itself first), inference mode."""
    layers = _kan_layers(net, "kan_inputs")
    X = net._check_input(X)
    out = [X]
    for lay in layers[:-1]:
        out.append(lay.forward(out[-1]))
    return out


def refine_network(net, G: int, X):
    r"""Grid extension of a whole KAN: every layer :meth:`KANLayer.refined` to ``G`` intervals
    on its inputs from ``X`` (the parent's own activations, layer by layer); a new network.
    """
    from lecturenn.network import Network

    layers = _kan_layers(net, "refine_network")
    inputs = kan_inputs(net, X)
    return Network([lay.refined(G, xin) for lay, xin in zip(layers, inputs, strict=True)])


def update_network_grids(net, X, grid_eps: float = 0.02, margin: float = 0.0):
    """:meth:`KANLayer.update_grid` of every layer on its inputs from ``X``, first to last
    (each layer sees the outputs of the already updated layers before it); in place."""
    layers = _kan_layers(net, "update_network_grids")
    h = net._check_input(X)
    for lay in layers:
        lay.update_grid(h, grid_eps=grid_eps, margin=margin)
        h = lay.forward(h)
    return net
