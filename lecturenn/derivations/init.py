r"""Derivations of the initialisation chapter (SymPy): the tests assert them, the book shows them.

Every function returns a dict of SymPy expressions and Boolean checks (``True`` only if SymPy
reduced the claimed identity to zero), or, for the names ``check_*``, exactly ``True`` when the
claim holds (the verification ledger runs those). Expectations of polynomials in independent
random variables are taken monomial by monomial from the variables' moments
(:func:`expectation`), so nothing is assumed beyond independence and the moments stated.

* :func:`uniform_variance`: :math:`\operatorname{Var}U(-a, a) = a^2/3`.
* :func:`sum_variance`: :math:`S = \sum_{k=1}^n w_k x_k` with independent zero-mean weights has
  :math:`\operatorname{Var}S = n\operatorname{Var}w\,\mathbb{E}x^2`: the **second moment** of the
  inputs enters, which is their variance only when they have zero mean.
* :func:`layer_fans`: in a layer :math:`S = x W` (:math:`W` of shape :math:`H_{l-1}\times H_l`)
  and its backward pass :math:`\varepsilon^{l-1} = W\varepsilon^l`, the variance of a forward sum
  is :math:`H_{l-1}` times, of a backward one :math:`H_l` times the product of the variances: the
  forward condition needs the previous layer's size, the backward one the current layer's.
* :func:`glorot_conditions`: the two conditions solved, their compromise
  :math:`2/(H_{l-1}+H_l)`, the uniform bounds they give, and what the slide's bounds give.
* :func:`prelu_second_moment`: for a symmetric :math:`S`, :math:`\mathbb{E}\,\mathrm{ReLU}(S)^2 =
  \frac12\mathbb{E}S^2` and :math:`\mathbb{E}\,\mathrm{PReLU}_a(S)^2 = \frac{1+a^2}{2}\mathbb{E}S^2`
  (Gaussian and uniform :math:`S`), hence He et al.'s :math:`2/((1+a^2)H_{l-1})`.
* :func:`orthogonal_products`: a product of orthogonal matrices is orthogonal (every singular
  value 1); :func:`gaussian_products`: a product of :math:`L` Gaussian layers with
  :math:`\operatorname{Var}w = 1/n` keeps :math:`\mathbb{E}\|Px\|^2 = \|x\|^2` but the spread
  :math:`\operatorname{Var}\|Px\|^2 = (1+2/n)^L - 1` grows exponentially with the depth.
* :func:`quarter_circle_mean`: the mean singular value of a square matrix of i.i.d. entries of
  variance :math:`1/n` tends to :math:`8/(3\pi) \approx 0.85` (from the Marchenko–Pastur law):
  Glorot and Bengio's Jacobian averages, 0.8 and 0.5.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.stats import E as stats_expectation
from sympy.stats import Normal, Uniform, density

__all__ = [
    "is_zero",
    "expectation",
    "uniform_variance",
    "sum_variance",
    "layer_fans",
    "glorot_conditions",
    "prelu_second_moment",
    "orthogonal_products",
    "gaussian_products",
    "quarter_circle_mean",
    "check_uniform_variance",
    "check_sum_variance",
    "check_layer_fans",
    "check_glorot_compromise",
    "check_slide_bounds_differ",
    "check_relu_halves",
    "check_prelu_factor",
    "check_orthogonal_products",
    "check_gaussian_products",
    "check_quarter_circle_mean",
]


def is_zero(expr) -> bool:
    """``True`` only if SymPy simplifies ``expr`` to exactly zero."""
    return sp.simplify(sp.expand(expr)) == 0


def expectation(expr, moments: dict):
    r""":math:`\mathbb{E}` of a polynomial in independent random variables, from their moments.

    ``moments[v]`` is a function ``k -> E v^k`` for each random symbol ``v``; symbols not in
    ``moments`` are constants. The polynomial is expanded and each monomial's expectation is
    the product of its factors' moments (independence).
    """
    poly = sp.Poly(sp.expand(expr), *moments.keys())
    total = sp.Integer(0)
    for powers, coeff in poly.terms():
        term = coeff
        for v, k in zip(moments.keys(), powers, strict=True):
            if k:
                term *= moments[v](k)
        total += term
    return sp.simplify(total)


def _centred(var):
    """Moments of a zero-mean variable with variance ``var`` whose third moment is zero."""
    return lambda k: {1: 0, 2: var, 3: 0}.get(k, sp.Symbol(f"m{k}"))


@functools.cache
def uniform_variance() -> dict:
    r""":math:`\operatorname{Var}U(-a, a) = \int_{-a}^{a}\frac{t^2}{2a}\,dt - 0^2 = a^2/3`.

    By integration, and by ``sympy.stats`` as a second source; the bound of a standard
    deviation :math:`s` solved from it, :math:`a = \sqrt3\,s`.
    """
    a, s, t = sp.symbols("a s t", positive=True)
    mean = sp.integrate(t / (2 * a), (t, -a, a))
    var = sp.integrate(t**2 / (2 * a), (t, -a, a)) - mean**2
    u = Uniform("u", -a, a)
    var_stats = sp.simplify(stats_expectation(u**2) - stats_expectation(u) ** 2)
    bound = sp.solve(sp.Eq(var, s**2), a)
    return {"a": a, "variance": var, "variance_stats": var_stats, "bound": bound,
            "check": is_zero(var - a**2 / 3) and is_zero(var_stats - a**2 / 3)
            and bound == [sp.sqrt(3) * s]}


@functools.cache
def sum_variance(n_max: int = 5) -> dict:
    r""":math:`\operatorname{Var}\sum_{k=1}^n w_k x_k = n\,\sigma_w^2(\sigma_x^2+\mu_x^2)`.

    Weights :math:`w_k` independent with mean 0, variance :math:`\sigma_w^2`; inputs
    :math:`x_k` independent of them and of each other, mean :math:`\mu_x`, variance
    :math:`\sigma_x^2`. Computed for :math:`n = 1, \dots,` ``n_max`` from the moments; also that
    a weight mean :math:`\mu_w \ne 0` breaks the formula: the variance gains
    :math:`n\mu_w^2\sigma_x^2` (computed for :math:`n = 3`).
    """
    sw, sx = sp.symbols("sigma_w sigma_x", positive=True)
    mx, mw = sp.symbols("mu_x mu_w", real=True)
    results, ok = {}, True
    for n in range(1, n_max + 1):
        w = sp.symbols(f"w1:{n + 1}")
        x = sp.symbols(f"x1:{n + 1}")
        S = sum(wk * xk for wk, xk in zip(w, x, strict=True))
        mom = {**{wk: _centred(sw**2) for wk in w},
               **{xk: (lambda k: {1: mx, 2: sx**2 + mx**2}[k]) for xk in x}}
        var = expectation(S**2, mom) - expectation(S, mom) ** 2
        results[n] = sp.factor(var)
        ok &= is_zero(var - n * sw**2 * (sx**2 + mx**2))
    # with a non-zero weight mean the variance is not n sigma_w^2 E x^2
    n = 3
    w = sp.symbols("w1:4")
    x = sp.symbols("x1:4")
    S = sum(wk * xk for wk, xk in zip(w, x, strict=True))
    mom = {**{wk: (lambda k: {1: mw, 2: sw**2 + mw**2}[k]) for wk in w},
           **{xk: (lambda k: {1: mx, 2: sx**2 + mx**2}[k]) for xk in x}}
    var_biased = sp.expand(expectation(S**2, mom) - expectation(S, mom) ** 2)
    extra = sp.factor(var_biased - n * sw**2 * (sx**2 + mx**2))
    return {"variance": results, "formula": sp.Symbol("n") * sw**2 * (sx**2 + mx**2),
            "biased_weights_extra": extra,
            "check": bool(ok) and is_zero(extra - n * mw**2 * sx**2)}


@functools.cache
def layer_fans(n_in: int = 3, n_out: int = 2) -> dict:
    r"""Which :math:`N` enters: forward sums have :math:`H_{l-1}` terms, backward ones :math:`H_l`.

    A layer with :math:`W = (w_{kh})` of shape ``n_in`` :math:`\times` ``n_out`` (all
    independent, mean 0, variance :math:`\sigma_w^2`): forward :math:`S_h = \sum_k x_k w_{kh}`
    with inputs of variance :math:`\sigma_x^2`; backward
    :math:`\varepsilon^{l-1}_k = \sum_h w_{kh}\,\delta_h` with :math:`\delta_h =
    \varepsilon^l_h z^l_h` of variance :math:`\sigma_\delta^2` (slide «Рекуррентное вычисление
    частных производных»). The ratios :math:`\operatorname{Var}S_h/(\sigma_w^2\sigma_x^2)` and
    :math:`\operatorname{Var}\varepsilon^{l-1}_k/(\sigma_w^2\sigma_\delta^2)` are computed from
    the matrix products, not assumed; ``n_in != n_out`` so that they tell the two apart.
    With the threshold row (:math:`x_0 = -1`) the forward variance gains :math:`\sigma_w^2`.
    """
    if n_in == n_out:
        raise ValueError("n_in and n_out must differ, or the two fans cannot be told apart")
    sw, sx, sd = sp.symbols("sigma_w sigma_x sigma_delta", positive=True)
    W = sp.Matrix(n_in, n_out, lambda k, h: sp.Symbol(f"w_{k + 1}{h + 1}"))
    x = sp.Matrix(1, n_in, lambda _, k: sp.Symbol(f"x_{k + 1}"))
    delta = sp.Matrix(n_out, 1, lambda h, _: sp.Symbol(f"delta_{h + 1}"))
    w0 = sp.Symbol("w_0")
    mom = {**{w: _centred(sw**2) for w in W}, **{v: _centred(sx**2) for v in x},
           **{v: _centred(sd**2) for v in delta}, w0: _centred(sw**2)}
    S = (x * W)[0, 0]  # the first neuron h = 1
    eps = (W * delta)[0, 0]  # the first input k = 1
    forward = sp.simplify(expectation(S**2, mom) / (sw**2 * sx**2))
    backward = sp.simplify(expectation(eps**2, mom) / (sw**2 * sd**2))
    with_threshold = sp.simplify(expectation((S - w0) ** 2, mom))
    return {"forward_fan": forward, "backward_fan": backward,
            "forward_with_threshold": with_threshold,
            "check": forward == n_in and backward == n_out
            and is_zero(with_threshold - sw**2 * (n_in * sx**2 + 1))}


@functools.cache
def glorot_conditions() -> dict:
    r"""The forward and backward conditions solved; the compromise; the bounds; the slide's bounds.

    Forward :math:`H_{l-1}\sigma_w^2 = 1`, backward :math:`H_l\sigma_w^2 = 1` (:func:`layer_fans`,
    linear regime :math:`\sigma' = 1`, Glorot and Bengio's eq. (10)-(11)). Both hold only if
    :math:`H_{l-1} = H_l`; their average :math:`\frac{H_{l-1}+H_l}{2}\sigma_w^2 = 1` gives
    :math:`\sigma_w^2 = 2/(H_{l-1}+H_l)` (eq. (12)), the harmonic mean of the two solutions,
    which lies between them. The uniform bound of a variance :math:`v` is :math:`\sqrt{3v}`:
    :math:`\sqrt{3/H_{l-1}}` (forward), :math:`\sqrt6/\sqrt{H_{l-1}+H_l}` (compromise, eq. (16)).
    The slide's item 1, :math:`U(\pm1/\sqrt N)`, has the variance :math:`1/(3N)`, a third of the
    forward condition's; its item 2, :math:`U(\pm 6/\sqrt{H_{l-1}+H_l})`, has
    :math:`12/(H_{l-1}+H_l)`, six times the compromise.
    """
    n, m, v = sp.symbols("N_{l-1} N_l v", positive=True)  # fan-in, fan-out, Var w
    fwd = sp.solve(sp.Eq(n * v, 1), v)[0]
    bwd = sp.solve(sp.Eq(m * v, 1), v)[0]
    comp = sp.solve(sp.Eq((n * v + m * v) / 2, 1), v)[0]
    a = uniform_variance()["a"]
    var_u = uniform_variance()["variance"]
    bound = lambda var: sp.solve(sp.Eq(var_u, var), a)[0]  # noqa: E731
    slide1 = var_u.subs(a, 1 / sp.sqrt(n))
    slide2 = var_u.subs(a, 6 / sp.sqrt(n + m))
    harmonic = 2 / (1 / fwd + 1 / bwd)
    both_hold = sp.solve([sp.Eq(n * v, 1), sp.Eq(m * v, 1)], [v, m], dict=True)
    return {"forward": fwd, "backward": bwd, "compromise": comp,
            "forward_bound": bound(fwd), "compromise_bound": bound(comp),
            "slide_item1_variance": slide1, "slide_item2_variance": slide2,
            "slide_item2_factor": sp.simplify(slide2 / comp),
            "slide_item1_factor": sp.simplify(slide1 / fwd),
            "check": is_zero(comp - harmonic) and is_zero(bound(comp) - sp.sqrt(6 / (n + m)))
            and is_zero(bound(fwd) - sp.sqrt(3 / n)) and both_hold == [{v: 1 / n, m: n}]
            and is_zero(slide2 / comp - 6) and is_zero(slide1 / fwd - sp.Rational(1, 3))}


@functools.cache
def prelu_second_moment() -> dict:
    r""":math:`\mathbb{E}\,\mathrm{PReLU}_a(S)^2 = \frac{1+a^2}{2}\mathbb{E}S^2`, symmetric S.

    Integrated for :math:`S \sim N(0, \sigma^2)` and :math:`S \sim U(-b, b)` (He et al. 2015,
    eq. (7)-(8): "half of" the second moment for ReLU; §2.2 and eq. (15) for PReLU). The mean
    :math:`\mathbb{E}\,\mathrm{ReLU}(S) = \sigma/\sqrt{2\pi} \ne 0`, so the output's variance
    :math:`\sigma^2(\frac12 - \frac1{2\pi})` is *not* half the input's: the second moment is
    what :func:`sum_variance` needs. With :func:`layer_fans`, :math:`H_{l-1}\sigma_w^2
    \frac{1+a^2}{2} = 1`, i.e. :math:`\sigma_w^2 = 2/((1+a^2)H_{l-1})`.
    """
    sigma, b = sp.symbols("sigma b", positive=True)
    alpha = sp.Symbol("a", real=True)
    s = sp.Symbol("s", real=True)
    n = sp.Symbol("N_{l-1}", positive=True)
    v = sp.Symbol("v", positive=True)
    pdf_n = density(Normal("S", 0, sigma))(s)
    pdf_u = 1 / (2 * b)
    out = {}
    for law, pdf, lo, hi, m2 in (("normal", pdf_n, -sp.oo, sp.oo, sigma**2),
                                 ("uniform", pdf_u, -b, b, b**2 / 3)):
        pos = sp.integrate(s**2 * pdf, (s, 0, hi))
        neg = sp.integrate((alpha * s) ** 2 * pdf, (s, lo, 0))
        out[law] = {"relu": sp.simplify(pos), "prelu": sp.simplify(pos + neg), "m2": m2}
    mean_relu = sp.simplify(sp.integrate(s * pdf_n, (s, 0, sp.oo)))
    var_relu = sp.simplify(out["normal"]["relu"] - mean_relu**2)
    he = sp.solve(sp.Eq(n * v * (1 + alpha**2) / 2, 1), v)[0]
    relu_ok = all(is_zero(o["relu"] - o["m2"] / 2) for o in out.values())
    prelu_ok = all(is_zero(o["prelu"] - (1 + alpha**2) / 2 * o["m2"]) for o in out.values())
    return {"moments": out, "relu_mean": mean_relu, "relu_variance": var_relu, "he_variance": he,
            "relu_check": relu_ok, "prelu_check": prelu_ok,
            "check": relu_ok and prelu_ok and is_zero(mean_relu - sigma / sp.sqrt(2 * sp.pi))
            and not is_zero(var_relu - sigma**2 / 2)
            and is_zero(he - 2 / ((1 + alpha**2) * n))}


@functools.cache
def orthogonal_products(depth: int = 3) -> dict:
    r"""A product of orthogonal matrices is orthogonal: :math:`P^\top P = I`, singular values 1.

    Rotations :math:`R(\theta)` and reflections :math:`F(\theta)` of the plane with symbolic
    angles multiplied ``depth`` times, and in space three rotations about the axes (Euler
    angles, which give every rotation) with a reflection.
    """
    th = sp.symbols(f"theta1:{depth + 1}", real=True)
    R = lambda t: sp.Matrix([[sp.cos(t), -sp.sin(t)], [sp.sin(t), sp.cos(t)]])  # noqa: E731
    F = lambda t: sp.Matrix([[sp.cos(t), sp.sin(t)], [sp.sin(t), -sp.cos(t)]])  # noqa: E731
    P = sp.eye(2)
    for i, t in enumerate(th):
        P = P * (R(t) if i % 2 == 0 else F(t))
    plane = sp.simplify(P.T * P - sp.eye(2)) == sp.zeros(2)
    a1, a2, a3 = sp.symbols("alpha1:4", real=True)
    c, si = sp.cos, sp.sin
    Rx = sp.Matrix([[1, 0, 0], [0, c(a1), -si(a1)], [0, si(a1), c(a1)]])
    Rz = sp.Matrix([[c(a2), -si(a2), 0], [si(a2), c(a2), 0], [0, 0, 1]])
    Ry = sp.Matrix([[c(a3), 0, si(a3)], [0, 1, 0], [-si(a3), 0, c(a3)]])
    Q3 = Rx * Rz * sp.diag(1, -1, 1) * Ry  # rotations and a reflection: any orthogonal 3x3
    space = sp.simplify(Q3.T * Q3 - sp.eye(3)) == sp.zeros(3)
    # a counter-check that can fail: a non-orthogonal factor breaks it
    k = sp.Symbol("k", positive=True)
    broken = sp.simplify((P * sp.diag(k, 1)).T * (P * sp.diag(k, 1)) - sp.eye(2)) == sp.zeros(2)
    return {"plane": P, "check": plane and space and not broken}


@functools.cache
def gaussian_products() -> dict:
    r"""Gaussian layers: :math:`\mathbb{E}\|Px\|^2 = 1`, :math:`\mathrm{Var}\|Px\|^2 = (1+2/n)^L-1`.

    :math:`P = W_L\cdots W_1` with independent :math:`n\times n` matrices of i.i.d.
    :math:`N(0, 1/n)` entries and a unit vector :math:`x`. One layer: :math:`(Wx)_i =
    \sum_k w_{ik}x_k \sim N(0, 1/n)` independent, so :math:`\|Wx\|^2 = \frac1n\sum_i g_i^2`,
    :math:`g_i \sim N(0, 1)`; its two moments come from :math:`\mathbb{E}g^4 = 3` (computed by
    ``sympy.stats``): :math:`\mathbb{E} = 1`, :math:`\mathbb{E}(\cdot)^2 = 1 + 2/n`. The law of
    :math:`W u` is the same for every unit :math:`u` (rotation invariance), so the squared norms
    after each layer are independent factors and their moments multiply over the depth. An
    orthogonal layer has :math:`\|Qx\|^2 = 1` exactly: variance 0 at every depth.
    """
    n, L = sp.symbols("n L", positive=True, integer=True)
    g = Normal("g", 0, 1)
    gaussian_moment = functools.cache(lambda k: stats_expectation(g**k))
    g4 = gaussian_moment(4)
    # the two moments of ||W u||^2 = (1/n) sum_i g_i^2, from the moments of g (sympy.stats),
    # expanded monomial by monomial for n = 1, ..., 6, not typed in
    first, second, ok = {}, {}, True
    for k in range(1, 7):
        gs = sp.symbols(f"g1:{k + 1}")
        q = sum(gi**2 for gi in gs) / k
        mom = {gi: gaussian_moment for gi in gs}
        first[k], second[k] = expectation(q, mom), expectation(q**2, mom)
        ok &= is_zero(first[k] - 1) and is_zero(second[k] - (1 + sp.Rational(2, k)))
    m2 = 1 + 2 / n  # the form the six sizes above agree with
    var_L = sp.simplify(m2**L - 1)
    grows = all(sp.simplify(var_L.subs({n: 10, L: d + 1}) - var_L.subs({n: 10, L: d})) > 0
                for d in range(1, 6))
    return {"g4": g4, "second_moment_one_layer": m2, "second_moment_by_size": second,
            "variance_depth": var_L,
            "check": g4 == 3 and bool(ok) and grows}


@functools.cache
def quarter_circle_mean() -> dict:
    r"""The mean singular value of a square random matrix: :math:`8/(3\pi) \approx 0.849`.

    For :math:`n\times n` matrices of i.i.d. entries of mean 0 and variance :math:`1/n`, the
    eigenvalues :math:`\lambda` of :math:`W^\top W` follow, as :math:`n\to\infty`, the
    Marchenko–Pastur law of ratio 1, :math:`p(\lambda) = \frac{\sqrt{\lambda(4-\lambda)}}
    {2\pi\lambda}` on :math:`[0, 4]`. The singular values :math:`s = \sqrt\lambda` then have
    the density :math:`p(s^2)\,2s = \frac1\pi\sqrt{4-s^2}` on :math:`[0, 2]` (the
    quarter-circle law), of mean :math:`\frac{8}{3\pi}`. Scaling the weights by :math:`c`
    scales every singular value by :math:`c`: the standard initialisation
    (:math:`\operatorname{Var}w = \frac{1}{3n}`, :math:`c = 1/\sqrt3`) gives
    :math:`\frac{8}{3\sqrt3\pi} \approx 0.490` - Glorot and Bengio's 0.5 - and the normalized
    one the 0.85 that :math:`\sigma' < 1` lowers to their 0.8.
    """
    lam, s = sp.symbols("lambda s", positive=True)
    mp = sp.sqrt(lam * (4 - lam)) / (2 * sp.pi * lam)
    p_s = sp.simplify(mp.subs(lam, s**2) * 2 * s)
    total = sp.integrate(p_s, (s, 0, 2))  # = the mass of the MP law (a change of variables)
    mean = sp.simplify(sp.integrate(s * p_s, (s, 0, 2)))
    standard = sp.simplify(mean / sp.sqrt(3))
    return {"density": p_s, "mean": mean, "mean_standard": standard,
            "check": is_zero(total - 1)
            and is_zero(p_s - sp.sqrt(4 - s**2) / sp.pi) and is_zero(mean - 8 / (3 * sp.pi))
            and abs(float(standard) - 0.4901) < 1e-4}


# -- the ledger's checks: exactly True when the claim holds --------------------------------------
def check_uniform_variance() -> bool:
    """Var U(-a, a) = a^2/3 and the bound of a standard deviation s is sqrt(3) s."""
    return uniform_variance()["check"] is True


def check_sum_variance() -> bool:
    """Var sum_k w_k x_k = n Var w E x^2 for zero-mean independent weights."""
    return sum_variance()["check"] is True


def check_layer_fans() -> bool:
    """The forward condition has the fan-in H_{l-1}, the backward one the fan-out H_l."""
    return layer_fans()["check"] is True and layer_fans(2, 5)["check"] is True


def check_glorot_compromise() -> bool:
    """The compromise 2/(N_{l-1}+N_l) and its bound sqrt(6)/sqrt(N_{l-1}+N_l)."""
    return glorot_conditions()["check"] is True


def check_slide_bounds_differ() -> bool:
    """The slide's item 1 gives 1/3 of the forward variance, its item 2 six times the compromise."""
    d = glorot_conditions()
    return bool(d["slide_item1_factor"] == sp.Rational(1, 3) and d["slide_item2_factor"] == 6)


def check_relu_halves() -> bool:
    """E ReLU(S)^2 = E S^2 / 2 for symmetric S (Gaussian and uniform)."""
    return prelu_second_moment()["relu_check"] is True


def check_prelu_factor() -> bool:
    """E PReLU_a(S)^2 = (1 + a^2)/2 E S^2, hence Var w = 2/((1 + a^2) N_{l-1})."""
    return prelu_second_moment()["check"] is True


def check_orthogonal_products() -> bool:
    """A product of orthogonal matrices keeps every singular value at 1."""
    return orthogonal_products()["check"] is True


def check_gaussian_products() -> bool:
    """Gaussian products: E||Px||^2 = 1 but Var||Px||^2 = (1 + 2/n)^L - 1 grows with depth."""
    return gaussian_products()["check"] is True


def check_quarter_circle_mean() -> bool:
    """Mean singular value of a square i.i.d. matrix of variance 1/n: 8/(3 pi); /sqrt 3 = 0.49."""
    return quarter_circle_mean()["check"] is True
