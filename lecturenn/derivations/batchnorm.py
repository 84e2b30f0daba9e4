r"""Batch normalization in SymPy: the full Jacobian of a small batch, reduced to the formula.

Slide «Пакетная нормализация данных (Batch Normalization)»; Ioffe and Szegedy (2015),
algorithm 1 and section 3.1. One unit, a batch of :math:`m` objects (3 by default) with the
inputs :math:`u_1, \dots, u_m`:

.. math::

    \mu = \frac1m\sum_i u_i, \quad \sigma^2 = \frac1m\sum_i (u_i-\mu)^2, \quad
    s = \sqrt{\sigma^2 + \varepsilon}, \quad \hat u_i = \frac{u_i - \mu}{s}, \quad
    y_i = \gamma\hat u_i + \beta.

Every check builds the forward pass from these definitions, differentiates it with
``sympy.diff`` and compares with the claimed closed form, which the caller may replace: a
wrong one returns False (``tests/test_derivations_batchnorm.py`` shows it).

* :func:`check_jacobian` -- :math:`\partial y_i/\partial u_j =
  \frac{\gamma}{s}\bigl(\delta_{ij} - \frac1m - \frac1m\hat u_i\hat u_j\bigr)`, all
  :math:`m^2` entries;
* :func:`check_backward` -- :math:`J^\top g` is the compact formula of
  :class:`lecturenn.batchnorm.BatchNorm`:
  :math:`\frac{\gamma}{ms}\bigl(m g_j - \sum_i g_i - \hat u_j\sum_i g_i\hat u_i\bigr)`;
* :func:`check_parameter_gradients` -- :math:`\sum_i g_i\hat u_i` and :math:`\sum_i g_i`;
* :func:`check_output_moments` -- the batch mean of :math:`y` is :math:`\beta`, its (biased)
  variance :math:`\gamma^2\sigma^2/(\sigma^2+\varepsilon)`;
* :func:`check_scale_invariance` -- :math:`\mathrm{BN}_\varepsilon(a u) =
  \mathrm{BN}_{\varepsilon/a^2}(u)` for :math:`a > 0`, so exactly
  :math:`\mathrm{BN}(au) = \mathrm{BN}(u)` for :math:`\varepsilon = 0`;
* :func:`check_weight_gradient_orthogonal` -- for :math:`u_i = w^\top x_i` and
  :math:`\varepsilon = 0`: :math:`\sum_k w_k\,\partial y_i/\partial w_k = 0` (the gradient is
  orthogonal to :math:`w`) and :math:`\nabla_w y_i(aw) = \nabla_w y_i(w)/a`;
* :func:`check_constant_feature` -- a unit constant over the batch gives
  :math:`\hat u = 0`, :math:`y = \beta`, and the Jacobian
  :math:`\frac{\gamma}{\sqrt\varepsilon}(\delta_{ij} - \frac1m)`.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = [
    "batch_symbols",
    "batchnorm_expr",
    "check_jacobian",
    "check_backward",
    "check_parameter_gradients",
    "check_output_moments",
    "check_compensation",
    "check_scale_invariance",
    "check_weight_gradient_orthogonal",
    "check_constant_feature",
]

#: :math:`\gamma`, :math:`\beta` (real) and :math:`\varepsilon > 0`
gamma, beta = sp.symbols("gamma beta", real=True)
epsilon = sp.Symbol("epsilon", positive=True)


def _zero(expr) -> bool:
    return sp.simplify(expr) == 0


def batch_symbols(m: int = 3, name: str = "u") -> tuple:
    """The real symbols ``name_1, ..., name_m`` (one unit's inputs over a batch of ``m``)."""
    if not isinstance(m, int) or m < 2:
        raise ValueError(f"m (the batch size) must be an int >= 2, got {m!r}")
    return sp.symbols(f"{name}1:{m + 1}", real=True)


def batchnorm_expr(u, eps=epsilon, g=gamma, b=beta) -> dict:
    r"""The forward pass of one unit over the batch ``u``, from the definitions.

    Returns a dict with ``mu``, ``var`` (biased), ``s`` :math:`=\sqrt{\sigma^2+\varepsilon}`,
    ``x_hat`` and ``y`` (lists over the batch).
    """
    m = len(u)
    mu = sum(u) / m
    var = sum((ui - mu) ** 2 for ui in u) / m
    s = sp.sqrt(var + eps)
    x_hat = [(ui - mu) / s for ui in u]
    return {"mu": mu, "var": var, "s": s, "x_hat": x_hat, "y": [g * xh + b for xh in x_hat]}


def _default_jacobian(i, j, m, s, x_hat):
    delta = 1 if i == j else 0
    return gamma / s * (delta - sp.Rational(1, m) - x_hat[i] * x_hat[j] / m)


def check_jacobian(m: int = 3, claimed: Callable | None = None) -> bool:
    r"""Prove :math:`\partial y_i/\partial u_j = \frac{\gamma}{s}(\delta_{ij} - \frac1m -
    \frac1m\hat u_i\hat u_j)` for every :math:`i, j` of a batch of ``m``.

    ``claimed(i, j, m, s, x_hat)`` (0-based ``i, j``) replaces the closed form; the default
    is the one above. The Jacobian is ``sympy.diff`` of :func:`batchnorm_expr`.
    """
    u = batch_symbols(m)
    f = batchnorm_expr(u)
    claimed = _default_jacobian if claimed is None else claimed
    return all(_zero(sp.diff(f["y"][i], u[j]) - claimed(i, j, m, f["s"], f["x_hat"]))
               for i in range(m) for j in range(m))


def _default_backward(j, m, s, x_hat, g):
    sum_g = sum(g)
    sum_gx = sum(gi * xi for gi, xi in zip(g, x_hat, strict=True))
    return gamma / (m * s) * (m * g[j] - sum_g - x_hat[j] * sum_gx)


def check_backward(m: int = 3, claimed: Callable | None = None) -> bool:
    r"""Prove that the vector–Jacobian product :math:`(J^\top g)_j` is the compact formula.

    :math:`g_i = \partial Q/\partial y_i` are free symbols; :math:`J` is the full Jacobian
    (``sympy.diff``). ``claimed(j, m, s, x_hat, g)`` replaces the formula of
    :meth:`lecturenn.batchnorm.BatchNorm.backward`,
    :math:`\frac{\gamma}{ms}(m g_j - \sum_i g_i - \hat u_j\sum_i g_i\hat u_i)`.
    """
    u = batch_symbols(m)
    g = batch_symbols(m, "g")
    f = batchnorm_expr(u)
    claimed = _default_backward if claimed is None else claimed
    J = sp.Matrix(m, m, lambda i, j: sp.diff(f["y"][i], u[j]))
    vjp = J.T * sp.Matrix(g)
    return all(_zero(vjp[j] - claimed(j, m, f["s"], f["x_hat"], g)) for j in range(m))


def check_parameter_gradients(m: int = 3) -> bool:
    r"""Prove :math:`\partial Q/\partial\gamma = \sum_i g_i\hat u_i` and
    :math:`\partial Q/\partial\beta = \sum_i g_i` for :math:`Q = \sum_i g_i y_i` (the linear
    part of any loss at the current point).

    A smoke test of the definitions, not evidence: :math:`y = \gamma\hat u + \beta` is linear
    in :math:`\gamma, \beta`, so these are the coefficients by construction."""
    u = batch_symbols(m)
    g = batch_symbols(m, "g")
    f = batchnorm_expr(u)
    Q = sum(gi * yi for gi, yi in zip(g, f["y"], strict=True))
    ok_g = _zero(sp.diff(Q, gamma) - sum(gi * xi for gi, xi in zip(g, f["x_hat"], strict=True)))
    ok_b = _zero(sp.diff(Q, beta) - sum(g))
    return bool(ok_g and ok_b)


def check_output_moments(m: int = 3, claimed_var: Callable | None = None) -> bool:
    r"""Prove: the batch mean of :math:`y` is :math:`\beta` and its biased variance is
    :math:`\gamma^2\sigma^2/(\sigma^2 + \varepsilon)` (so 1 for :math:`\gamma = 1`,
    :math:`\varepsilon = 0`, and slightly less than :math:`\gamma^2` for
    :math:`\varepsilon > 0`). ``claimed_var(var)`` replaces the variance claimed."""
    u = batch_symbols(m)
    f = batchnorm_expr(u)
    y = f["y"]
    mean_y = sum(y) / m
    var_y = sum((yi - mean_y) ** 2 for yi in y) / m
    claimed_var = ((lambda v: gamma**2 * v / (v + epsilon)) if claimed_var is None
                   else claimed_var)
    return bool(_zero(mean_y - beta) and _zero(var_y - claimed_var(f["var"])))


def check_compensation(m: int = 3, claimed_gamma: Callable | None = None,
                       claimed_beta: Callable | None = None) -> bool:
    r"""Prove the purpose of :math:`\gamma, \beta` (Ioffe and Szegedy, section 3: the
    transform "can represent the identity transform"): with
    :math:`\gamma = \sqrt{\sigma^2 + \varepsilon}` and :math:`\beta = \mu` of the batch,
    :math:`y_i = u_i` for every object of a batch of ``m``.

    ``claimed_gamma(var, eps)`` and ``claimed_beta(mu)`` replace the two choices (e.g.
    :math:`\gamma = \sigma`, which fails for :math:`\varepsilon > 0`).
    """
    u = batch_symbols(m)
    f = batchnorm_expr(u)
    cg = (lambda v, e: sp.sqrt(v + e)) if claimed_gamma is None else claimed_gamma
    cb = (lambda mu: mu) if claimed_beta is None else claimed_beta
    g, b = cg(f["var"], epsilon), cb(f["mu"])
    return all(_zero(yi.subs({gamma: g, beta: b}) - ui) for yi, ui in zip(f["y"], u, strict=True))


def check_scale_invariance(m: int = 3) -> dict[str, bool]:
    r"""Scaling the input by :math:`a > 0`: :math:`\mathrm{BN}_\varepsilon(au) =
    \mathrm{BN}_{\varepsilon/a^2}(u)`, hence :math:`\mathrm{BN}_0(au) = \mathrm{BN}_0(u)`.

    Returns ``{"eps -> eps/a^2": ..., "exact for eps = 0": ..., "not exact for eps > 0": ...}``;
    the last entry is True when :math:`\mathrm{BN}_\varepsilon(au) \ne \mathrm{BN}_\varepsilon(u)`
    (the invariance is only approximate with :math:`\varepsilon > 0`).
    """
    u = batch_symbols(m)
    a = sp.Symbol("a", positive=True)
    scaled = batchnorm_expr([a * ui for ui in u])["y"]
    moved = batchnorm_expr(u, eps=epsilon / a**2)["y"]
    scaled0 = batchnorm_expr([a * ui for ui in u], eps=0)["y"]
    plain0 = batchnorm_expr(u, eps=0)["y"]
    plain = batchnorm_expr(u)["y"]
    # a concrete point where eps > 0 breaks the invariance: u = (0, 1, 2, ...), a = 2
    point = {ui: k for k, ui in enumerate(u)} | {a: 2, epsilon: sp.Rational(1, 10),
                                                 gamma: 1, beta: 0}
    differs = sp.nsimplify((scaled[0] - plain[0]).subs(point)) != 0
    return {
        "eps -> eps/a^2": all(_zero(p - q) for p, q in zip(scaled, moved, strict=True)),
        "exact for eps = 0": all(_zero(p - q) for p, q in zip(scaled0, plain0, strict=True)),
        "not exact for eps > 0": bool(differs),
    }


def check_weight_gradient_orthogonal(m: int = 3, n_inputs: int = 2) -> dict[str, bool]:
    r"""For :math:`u_i = \sum_k w_k x_{ik}` and :math:`\varepsilon = 0`: the gradient of every
    output with respect to :math:`w` is orthogonal to :math:`w` (Euler's identity for a
    function homogeneous of degree 0) and scales as :math:`1/a` when :math:`w \to aw`.

    So a loss :math:`Q(\mathrm{BN}(Xw))` has :math:`w^\top\nabla_w Q = 0`: a gradient step
    :math:`w - \eta\nabla Q` can only lengthen :math:`w`
    (:math:`\|w - \eta\nabla Q\|^2 = \|w\|^2 + \eta^2\|\nabla Q\|^2`), and a longer
    :math:`w` gets a smaller gradient: the effective step shrinks by itself (Ioffe and
    Szegedy, section 3.3).
    """
    w = sp.symbols(f"w1:{n_inputs + 1}", real=True)
    a = sp.Symbol("a", positive=True)
    X = sp.Matrix(m, n_inputs, lambda i, k: sp.Symbol(f"x{i + 1}{k + 1}", real=True))
    u = [sum(w[k] * X[i, k] for k in range(n_inputs)) for i in range(m)]
    y = batchnorm_expr(u, eps=0)["y"]
    ortho = all(_zero(sum(w[k] * sp.diff(yi, w[k]) for k in range(n_inputs))) for yi in y)
    scaled = {wk: a * wk for wk in w}
    shrink = all(_zero(sp.diff(yi, w[k]).xreplace(scaled) - sp.diff(yi, w[k]) / a)
                 for yi in y[:1] for k in range(n_inputs))
    return {"w . grad = 0": ortho, "grad(a w) = grad(w) / a": shrink}


def check_constant_feature(m: int = 3) -> dict[str, bool]:
    r"""A unit constant over the batch, :math:`u_i = c`: :math:`\sigma^2 = 0`, so
    :math:`\hat u_i = 0/\sqrt\varepsilon = 0` and :math:`y_i = \beta` (without
    :math:`\varepsilon` it is :math:`0/0`), and the Jacobian there is
    :math:`\frac{\gamma}{\sqrt\varepsilon}(\delta_{ij} - \frac1m)`: finite, but as large as
    :math:`1/\sqrt\varepsilon` (about 316 for PyTorch's :math:`10^{-5}`)."""
    u = batch_symbols(m)
    c = sp.Symbol("c", real=True)
    f = batchnorm_expr(u)
    at_c = {ui: c for ui in u}
    out = {"y = beta": all(_zero(yi.subs(at_c) - beta) for yi in f["y"])}
    out["jacobian"] = all(
        _zero(sp.diff(f["y"][i], u[j]).subs(at_c)
              - gamma / sp.sqrt(epsilon) * ((1 if i == j else 0) - sp.Rational(1, m)))
        for i in range(m) for j in range(m))
    out["0/0 without eps"] = batchnorm_expr(u, eps=0)["y"][0].subs(at_c).has(sp.nan)
    return out
