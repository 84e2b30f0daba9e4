r"""Derivations of the chapter «What a network can represent», in SymPy.

The functions named ``check_*`` return exactly ``True`` when the claim holds (the verification
ledger runs them) and take the claimed value as an argument where a wrong claim can be tried,
so that a test shows it failing.

* :func:`check_step_limit`: :math:`\sigma(s\,d) \to [d > 0]` as :math:`s \to \infty` (and
  :math:`\tfrac12` at :math:`d = 0`): a steep sigmoid is a step.
* :func:`check_staircase_interpolation_bound`: on one piece the sigmoid staircase is a
  convex combination :math:`(1 - \theta) f(t_{j-1}) + \theta f(t_j)` with
  :math:`\theta = \sigma(sv)`, and :math:`(1 - \theta)(\delta/2 + v) + \theta(\delta/2 - v)
  = \delta/2 - v\tanh(sv/2) \le \delta/2`: the bound :math:`L\delta/2` of
  :func:`lecturenn.approximation.staircase_error_bound`.
* :func:`sigmoid_derivative_polynomials`, :func:`check_sigmoid_derivative_polynomials`: the
  :math:`k`-th derivative of the logistic function is :math:`P_k(\sigma)` with
  :math:`P_k \in \mathbb{Z}[s]` of degree :math:`k + 1` and leading coefficient
  :math:`(-1)^k k!`.
* :func:`check_shared_threshold`: whether :math:`\sigma^{(k)}(-w_0) \ne 0` for
  :math:`k = 0, \dots, K`, the condition of the one-shared-threshold argument. False for
  :math:`w_0 = 0` (every even derivative vanishes at 0); True for :math:`w_0 = 1`, and in
  fact for every :math:`k` (:func:`shared_threshold_proof`).
* :func:`check_odd_symmetry`, :func:`shared_threshold_lower_bounds`: with :math:`w_0 = 0`
  every network :math:`\sum_h \alpha_h\sigma(w_h x)` is a constant plus an odd function, so on
  :math:`[-1, 1]` it stays :math:`\tfrac12` (uniformly) and :math:`2/(3\sqrt5)` (root mean
  square) away from :math:`x^2`, whatever :math:`H`.
* :func:`check_monomials_from_shared_threshold`: in :math:`n` variables,
  :math:`\partial^\alpha_w\sigma(\langle x, w\rangle - w_0)|_{w=0}
  = x^\alpha\sigma^{(|\alpha|)}(-w_0)`, so the shared-threshold argument works on
  :math:`[0, 1]^n` too.
* :func:`koppen_widest_gaps`, :func:`check_koppen_gap_bounds`: the widest gap of Köppen's
  inner function at level :math:`k` by its recursion, and
  :math:`(\gamma - 1)/\gamma^2 \le 2^{k-1}G_k \le 1/\gamma` at every level: no Hölder
  exponent above :math:`\log_\gamma 2`.
* :func:`check_odd_taylor_coefficients`: the odd Taylor coefficients of
  :math:`\sigma(z) - \tfrac12` at 0 do not vanish (so on :math:`[0, 1]`, with
  :math:`w_0 = 0`, the networks are still dense).
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from lecturenn._validation import check_int

__all__ = [
    "check_koppen_gap_bounds",
    "check_monomials_from_shared_threshold",
    "check_odd_symmetry",
    "check_odd_taylor_coefficients",
    "check_shared_threshold",
    "check_shared_threshold_lower_bounds",
    "check_sigmoid_derivative_polynomials",
    "check_staircase_interpolation_bound",
    "check_step_limit",
    "koppen_widest_gaps",
    "shared_threshold_lower_bounds",
    "shared_threshold_proof",
    "sigmoid_derivative_polynomials",
]

z = sp.Symbol("z", real=True)
s_ = sp.Symbol("s")  # the value of the sigmoid, the variable of P_k


def _sigma(arg):
    return 1 / (1 + sp.exp(-arg))


_HALF = sp.Rational(1, 2)


def check_step_limit(claimed=(0, _HALF, 1)) -> bool:
    r"""Prove :math:`\lim_{s\to\infty}\sigma(s\,d) = 0, \tfrac12, 1` for :math:`d <, =, > 0`.

    ``claimed`` are the three limits; a wrong one (e.g. 1 at :math:`d = 0`, as for the
    strict step :math:`[d \ge 0]`) fails.
    """
    s = sp.Symbol("s", positive=True)
    dneg, dpos = sp.Symbol("d", negative=True), sp.Symbol("d", positive=True)
    got = (sp.limit(_sigma(s * dneg), s, sp.oo), _sigma(s * 0),
           sp.limit(_sigma(s * dpos), s, sp.oo))
    return all(sp.simplify(g - sp.sympify(c)) == 0 for g, c in zip(got, claimed, strict=True))


def check_staircase_interpolation_bound(theta=None) -> bool:
    r"""Prove the one-piece inequality behind the staircase bound :math:`L\delta/2`.

    On the piece :math:`[t_{j-1}, t_j]` write :math:`x = m_j + v`, :math:`|v| \le \delta/2`.
    Up to the tails, the staircase is :math:`(1 - \theta) f(t_{j-1}) + \theta f(t_j)`,
    :math:`\theta = \sigma(sv)`, so for an :math:`L`-Lipschitz :math:`f`

    .. math::

        |a(x) - f(x)| \le
        L\bigl[(1 - \theta)(\tfrac{\delta}{2} + v) + \theta(\tfrac{\delta}{2} - v)\bigr]
        = L\bigl[\tfrac{\delta}{2} - v\tanh(sv/2)\bigr] \le \tfrac{L\delta}{2},

    because :math:`v\tanh(sv/2) \ge 0` for both signs of :math:`v`. Checked: the identity
    (with ``theta``, by default :math:`\sigma(sv)`) and the sign, for :math:`v > 0` and
    :math:`v < 0`. A wrong weight, e.g. :math:`\theta = \sigma(-sv)` (the step the wrong
    way round), fails.
    """
    s, delta = sp.symbols("s delta", positive=True)
    v = sp.Symbol("v", real=True)
    th = _sigma(s * v) if theta is None else theta(s, v)
    lhs = (1 - th) * (delta / 2 + v) + th * (delta / 2 - v)
    rhs = delta / 2 - v * sp.tanh(s * v / 2)
    identity = sp.simplify((lhs - rhs).rewrite(sp.exp)) == 0
    vp, vn = sp.Symbol("v", positive=True), sp.Symbol("v", negative=True)
    sign = all(bool((u * sp.tanh(s * u / 2)).is_nonnegative) for u in (vp, vn))
    return bool(identity and sign)


def sigmoid_derivative_polynomials(K: int) -> list:
    r"""The polynomials :math:`P_0, \dots, P_K` with :math:`\sigma^{(k)} = P_k(\sigma)`.

    From :math:`\sigma' = \sigma(1 - \sigma)` and the chain rule,
    :math:`P_0 = s`, :math:`P_{k+1} = s(1 - s)P_k'(s)`. Returns ``sympy.Poly`` objects in
    :math:`s`.
    """
    K = check_int("K", K, minimum=0)
    P = [sp.Poly(s_, s_)]
    for _ in range(K):
        P.append(sp.Poly(s_ * (1 - s_), s_) * P[-1].diff(s_))
    return P


def check_sigmoid_derivative_polynomials(K: int = 8) -> bool:
    r"""Prove :math:`\sigma^{(k)}(z) = P_k(\sigma(z))` for :math:`k \le K`.

    With :math:`P_k` of degree :math:`k + 1`, integer coefficients and leading coefficient
    :math:`(-1)^k k!`.

    The derivatives are computed independently of the recursion: in :math:`t = e^{-z}`,
    :math:`\sigma = 1/(1 + t)` and :math:`d/dz = -t\,d/dt`, so :math:`\sigma^{(k)}` is a
    rational function of :math:`t` and the identity is checked exactly (``cancel``).
    """
    K = check_int("K", K, minimum=0)
    t = sp.Symbol("t", positive=True)
    P = sigmoid_derivative_polynomials(K)
    d = 1 / (1 + t)
    for k in range(K + 1):
        if k:
            d = sp.cancel(-t * sp.diff(d, t))
        Pk = P[k]
        if sp.cancel(d - Pk.as_expr().subs(s_, 1 / (1 + t))) != 0:
            return False
        if Pk.degree() != k + 1 or Pk.LC() != (-1) ** k * math.factorial(k):
            return False
        if not all(c.is_integer for c in Pk.all_coeffs()):
            return False
    return True


def check_shared_threshold(w0, K: int = 20) -> bool:
    r"""Whether :math:`\sigma^{(k)}(-w_0) \ne 0` for every :math:`k = 0, \dots, K`.

    :math:`\sigma^{(k)}(-w_0) = P_k(p)`, :math:`p = \sigma(-w_0) = 1/(1 + e^{w_0})`. For
    :math:`w_0 = 0`, :math:`p = \tfrac12` is rational and the values are exact: every even
    :math:`k \ge 2` gives 0 (:math:`\sigma - \tfrac12` is odd), so the answer is ``False``.
    Otherwise the values are evaluated with 60 significant digits and each must exceed
    :math:`10^{-40}` in absolute value (far above the evaluation error for :math:`K \le 40`).
    For all :math:`k` at once see :func:`shared_threshold_proof`.
    """
    K = check_int("K", K, minimum=0)
    w = sp.nsimplify(w0)
    p = sp.nsimplify(1 / (1 + sp.exp(w)))
    for Pk in sigmoid_derivative_polynomials(K):
        val = Pk.as_expr().subs(s_, p)
        if p.is_rational:
            if sp.nsimplify(val) == 0:
                return False
        elif abs(sp.N(val, 60)) < sp.Float("1e-40"):
            return False
    return True


def shared_threshold_proof() -> dict:
    r"""Why :math:`w_0 = 1` has :math:`\sigma^{(k)}(-w_0) \ne 0` for **every** :math:`k`.

    Indeed every rational :math:`w_0 \ne 0` does.

    1. :math:`\sigma^{(k)}(-w_0) = P_k(p)`, :math:`p = 1/(1 + e^{w_0})`, with
       :math:`P_k \in \mathbb{Z}[s]` of degree :math:`k + 1` and leading coefficient
       :math:`(-1)^k k! \ne 0` (:func:`check_sigmoid_derivative_polynomials`): a nonzero
       polynomial with integer coefficients.
    2. So :math:`P_k(p) = 0` would make :math:`p` algebraic, and then
       :math:`e^{w_0} = 1/p - 1` algebraic.
    3. By the Lindemann–Weierstrass theorem :math:`e^{a}` is transcendental for every
       algebraic :math:`a \ne 0`; for :math:`a = 1` this is Hermite's theorem (1873) that
       :math:`e` is transcendental. Contradiction.

    (Without transcendence: each :math:`P_k` has at most :math:`k + 1` roots, so the set of
    :math:`p \in (0, 1)` that are a root of some :math:`P_k` is countable, and all but
    countably many :math:`w_0` work; this shows existence but names no :math:`w_0`.)
    :math:`w_0 = 0` fails: :math:`p = \tfrac12` is a root of every :math:`P_{2j}`,
    :math:`j \ge 1`.

    Returns the machine-checked steps: ``"P_k integer, degree k+1, leading (-1)^k k!"``
    (for :math:`k \le 12`), ``"w0 = 1 certified numerically, k <= 30"``,
    ``"w0 = 0 fails"``, ``"roots of P_k"`` (for :math:`1 \le k \le 12`: exactly
    :math:`k + 1` distinct real roots, :math:`0`, :math:`1` and :math:`k - 1` in
    :math:`(0, 1)` — the :math:`k - 1` zeros of :math:`\sigma^{(k)}` on the real line — and
    :math:`\tfrac12` among them exactly for even :math:`k`).
    """
    P = sigmoid_derivative_polynomials(12)
    half = sp.Rational(1, 2)

    def roots_as_claimed(k, Pk):
        roots = sp.real_roots(Pk)
        distinct = sorted(set(roots), key=lambda r: float(r))
        inner = [r for r in distinct if 0 < r < 1]
        return (len(roots) == len(distinct) == k + 1 and len(inner) == k - 1
                and 0 in distinct and 1 in distinct
                and (half in distinct) == (k % 2 == 0))

    roots_ok = all(roots_as_claimed(k, Pk) for k, Pk in enumerate(P) if k >= 1)
    return {
        "P_k integer, degree k+1, leading (-1)^k k!": check_sigmoid_derivative_polynomials(12),
        "w0 = 1 certified numerically, k <= 30": check_shared_threshold(1, K=30),
        "w0 = 0 fails": not check_shared_threshold(0, K=2),
        "roots of P_k": roots_ok,
    }


def check_odd_symmetry() -> bool:
    r"""Prove :math:`\sigma(-z) - \tfrac12 = -(\sigma(z) - \tfrac12)`.

    Hence with the shared threshold :math:`w_0 = 0`,
    :math:`a(x) = \sum_h \alpha_h\sigma(w_hx) = \tfrac12\sum_h\alpha_h + g(x)` with an odd
    :math:`g`.
    """
    half = sp.Rational(1, 2)
    return sp.simplify((_sigma(-z) - half + (_sigma(z) - half)).rewrite(sp.exp)) == 0


def shared_threshold_lower_bounds() -> dict:
    r"""How close a constant-plus-odd function can come to :math:`x^2` on :math:`[-1, 1]`.

    Let :math:`g = a - f`. Its even part :math:`g_e(x) = \tfrac12(g(x) + g(-x))` has
    :math:`\sup|g_e| \le \sup|g|` (triangle inequality) and, since even and odd functions
    are orthogonal on :math:`[-1, 1]` (the product is odd), :math:`\|g\|_2^2 = \|g_e\|_2^2
    + \|g_o\|_2^2 \ge \|g_e\|_2^2`. With :math:`a = c + (\text{odd})` and :math:`f = x^2`
    (even), :math:`g_e = c - x^2`, so

    - uniformly: :math:`\sup|a - f| \ge \min_c \max_{|x|\le1}|x^2 - c| = \tfrac12`, at
      :math:`c = \tfrac12`;
    - in mean square: :math:`\tfrac12\int_{-1}^1 (a - f)^2 \ge \min_c \tfrac12\int_{-1}^1
      (x^2 - c)^2\,dx = \tfrac{4}{45}` (at :math:`c = \tfrac13`), a root mean square of
      :math:`2/(3\sqrt5) \approx 0.298`.

    Derived, not typed in: the maximum of :math:`|x^2 - c|` over :math:`[-1, 1]` is taken
    over the endpoints and the critical points of :math:`x^2 - c` (SymPy solves
    :math:`2x = 0`), which gives :math:`m(c) = \max(|c|, |1 - c|)`; that
    :math:`m(c) \ge \tfrac12` for every real :math:`c` is shown by ``solveset`` finding no
    real :math:`c` with :math:`m(c) < \tfrac12`, and the minimiser by solving
    :math:`m(c) = \tfrac12`. The mean square is minimised by its stationary point (a
    quadratic in :math:`c` with positive leading coefficient, checked).

    Returns ``"uniform"``, ``"c uniform"``, ``"mean square"``, ``"c mean square"``, ``"rms"``
    and ``"even-odd orthogonal"`` (an illustration only: the integrals of
    :math:`x^2\cdot x^{2j+1}`, :math:`j \le 5`, vanish; the proof uses that the product of
    an even and an odd function is odd).
    """
    x, c = sp.Symbol("x", real=True), sp.Symbol("c", real=True)
    g = x**2 - c
    candidates = [sp.Integer(-1), sp.Integer(1)] + [r for r in sp.solve(sp.diff(g, x), x)
                                                    if -1 <= r <= 1]
    m = sp.Max(*[sp.Abs(g.subs(x, r)) for r in candidates])
    below = sp.solveset(m < sp.Rational(1, 2), c, domain=sp.S.Reals)
    attained = sp.solveset(sp.Eq(m, sp.Rational(1, 2)), c, domain=sp.S.Reals)
    uniform = sp.Rational(1, 2) if below == sp.S.EmptySet else sp.nan
    c_u = list(attained)[0] if isinstance(attained, sp.FiniteSet) and len(attained) == 1 else sp.nan
    ms = sp.integrate(g**2, (x, -1, 1)) / 2
    # a convex quadratic: its stationary point is the minimum (otherwise no answer)
    c_ms = sp.solve(sp.diff(ms, c), c)[0] if sp.Poly(ms, c).LC() > 0 else sp.nan
    orth = all(sp.integrate(x**2 * x ** (2 * j + 1), (x, -1, 1)) == 0 for j in range(6))
    return {"uniform": uniform, "c uniform": c_u,
            "mean square": sp.simplify(ms.subs(c, c_ms)), "c mean square": c_ms,
            "rms": sp.sqrt(sp.simplify(ms.subs(c, c_ms))), "even-odd orthogonal": orth}


def check_shared_threshold_lower_bounds(uniform=_HALF, mean_square=None) -> bool:
    r"""Check the two lower bounds of :func:`shared_threshold_lower_bounds` against claims.

    ``mean_square`` defaults to :math:`4/45`.
    """
    mean_square = sp.Rational(4, 45) if mean_square is None else mean_square
    b = shared_threshold_lower_bounds()
    return bool(b["even-odd orthogonal"] and sp.simplify(b["uniform"] - uniform) == 0
                and sp.simplify(b["mean square"] - mean_square) == 0)


def check_odd_taylor_coefficients(K: int = 15) -> bool:
    r"""Prove that :math:`\sigma(z) - \tfrac12 = \tfrac12\tanh(z/2)` has nonzero odd Taylor terms.

    And zero even ones, up to :math:`z^K`.

    So :math:`\partial_w^k\sigma(wx)|_{w=0} = x^k\sigma^{(k)}(0)` gives every odd monomial,
    and on :math:`[0, 1]` (where a continuous :math:`f - f(0)` extends to an odd continuous
    function on :math:`[-1, 1]`) the networks with :math:`w_0 = 0` are dense again. For all
    :math:`k`: the coefficients are :math:`2^{2j}(2^{2j} - 1)B_{2j}/(2j)!` times powers of
    2, and no Bernoulli number :math:`B_{2j}` vanishes.
    """
    K = check_int("K", K, minimum=1)
    ser = sp.series(_sigma(z) - sp.Rational(1, 2), z, 0, K + 1).removeO()
    poly = sp.Poly(ser, z)
    same = sp.simplify(ser - sp.series(sp.tanh(z / 2) / 2, z, 0, K + 1).removeO()) == 0
    coeff = [poly.coeff_monomial(z**k) for k in range(K + 1)]
    return bool(same and all((c != 0) == (k % 2 == 1) for k, c in enumerate(coeff)))


def check_monomials_from_shared_threshold(n: int = 2, order: int = 3, polys=None) -> bool:
    r"""Prove that one shared threshold gives every monomial, in ``n`` variables.

    :math:`\partial^\alpha_w\,\sigma(\langle x, w\rangle - w_0)\big|_{w=0}
    = x^\alpha\,\sigma^{(|\alpha|)}(-w_0)` for every multi-index :math:`\alpha` with
    :math:`|\alpha| \le` ``order`` in ``n`` variables, with the logistic :math:`\sigma` and a
    symbolic :math:`w_0`. Each mixed derivative in :math:`w` is a uniform limit of difference
    quotients, i.e. of networks
    :math:`\sum_h \alpha_h\sigma(\langle x, w_h\rangle - w_0)` with the one threshold
    :math:`w_0`; so when no :math:`\sigma^{(k)}(-w_0)` vanishes (:math:`w_0 = 1`,
    :func:`shared_threshold_proof`) every monomial :math:`x^\alpha` is a limit of such networks
    and, by the Weierstrass theorem in :math:`n` variables, so is every continuous function on
    :math:`[0, 1]^n`. Compared: the derivative computed by SymPy, and
    :math:`x^\alpha P_{|\alpha|}(\sigma(-w_0))` from :func:`sigmoid_derivative_polynomials`
    (or from ``polys``, a list of claimed :math:`P_k` as ``sympy.Poly`` in :math:`s`, so that a
    wrong claim can be shown failing).
    """
    import itertools

    n = check_int("n", n, minimum=1)
    order = check_int("order", order, minimum=0)
    xs = sp.symbols(f"x1:{n + 1}", real=True)
    ws = sp.symbols(f"v1:{n + 1}", real=True)
    w0 = sp.Symbol("w0", real=True)
    P = sigmoid_derivative_polynomials(order) if polys is None else list(polys)
    expr = _sigma(sum(xi * wi for xi, wi in zip(xs, ws, strict=True)) - w0)
    at0 = {wi: 0 for wi in ws}
    for alpha in itertools.product(range(order + 1), repeat=n):
        if sum(alpha) > order:
            continue
        d = expr
        for wi, a in zip(ws, alpha, strict=True):
            if a:
                d = sp.diff(d, wi, a)
        lhs = d.subs(at0)
        rhs = sp.Mul(*[xi**a for xi, a in zip(xs, alpha, strict=True)]) * \
            P[sum(alpha)].as_expr().subs(s_, _sigma(-w0))
        if sp.simplify((lhs - rhs).rewrite(sp.exp)) != 0:
            return False
    return True


def koppen_widest_gaps(K: int, *, n: int = 2, gamma: int = 10, carry=None) -> list:
    r"""The widest gap :math:`G_k` of Köppen's :math:`\psi_k` for :math:`k = 1, \dots, K`, exactly.

    Within a gap :math:`D` of level :math:`k - 1` the level-:math:`k` points are
    :math:`\psi, \psi + u, \dots, \psi + (\gamma - 2)u` (:math:`u = \gamma^{-\beta_n(k)}`),
    the carried point :math:`\tfrac12(\psi + \psi^+) + \tfrac{\gamma - 2}{2}u` and
    :math:`\psi^+ = \psi + D`; the two gaps beside the carried point are
    :math:`D/2 - \tfrac{\gamma - 2}{2}u`, the others :math:`u`. So :math:`G_1 = 1/\gamma` and
    :math:`G_k = G_{k-1}/2 - \tfrac{\gamma - 2}{2}\gamma^{-\beta_n(k)}` (as long as that exceeds
    :math:`u`, which :func:`check_koppen_gap_bounds` checks). ``carry`` replaces
    :math:`\gamma - 2` (``None``): the other printed reading of the carried point has
    :math:`\gamma - 1` there, whose wider side is :math:`D/2 - \tfrac{\gamma - 3}{2}u`. Fractions.
    """
    K = check_int("K", K, minimum=1)
    n = check_int("n", n, minimum=2)
    gamma = check_int("gamma", gamma, minimum=2 * n + 2)
    shift = gamma - 2 if carry is None else min(carry, 2 * (gamma - 2) - carry)
    G = [Fraction(1, gamma)]
    for k in range(2, K + 1):
        beta = (n**k - 1) // (n - 1)
        G.append(G[-1] / 2 - Fraction(shift, 2 * gamma**beta))
    return G


def check_koppen_gap_bounds(K: int = 12, n: int = 2, gamma: int = 10, lower=None) -> bool:
    r"""Prove the bounds of the widest gap of Köppen's inner function.

    :math:`\tfrac{\gamma - 1}{\gamma^2} \le 2^{k-1}G_k \le \tfrac1\gamma` for
    :math:`k \le K`. With the closed form
    :math:`2^{k-1}G_k = \tfrac1\gamma - (\gamma - 2)\sum_{j=2}^{k} 2^{j-2}\gamma^{-\beta_n(j)}`
    and :math:`\beta_n(j) \ge 2^j - 1 \ge j + 1` for :math:`j \ge 2`, the sum is below
    :math:`\sum_{i \ge 0} 2^i\gamma^{-(i+3)} =
    \gamma^{-2}/(\gamma - 2)` (SymPy's geometric sum, for a symbolic :math:`\gamma > 2`), so
    the lower bound holds at **every** level; checked here exactly for :math:`k \le K`
    together with :math:`G_k > \gamma^{-\beta_n(k)}` (the recursion's condition) and the
    inequality :math:`\beta_n(j) \ge j + 1`. Consequence: over some interval of length
    :math:`\gamma^{-k}` the function rises by at least
    :math:`\tfrac{\gamma - 1}{\gamma^2}2^{-(k-1)}`, so :math:`\psi` is not Hölder continuous with
    any exponent above :math:`\log_\gamma 2` (:math:`\approx 0.30` for :math:`\gamma = 10`),
    and the ratio increment/length grows like :math:`(\gamma/2)^k`: no Lipschitz constant.
    ``lower`` is the claimed lower bound of :math:`2^{k-1}G_k` (default
    :math:`(\gamma - 1)/\gamma^2`); a wrong one, e.g. :math:`1/\gamma` (exact halving), fails.
    """
    K = check_int("K", K, minimum=1)
    if (n**K - 1) // (n - 1) > 10**5:
        raise ValueError(f"K is too large for exact fractions: gamma^-beta_n(K) has "
                         f"beta_n(K) = {(n**K - 1) // (n - 1)} > 10^5 digits")
    t, i = sp.Symbol("t", positive=True), sp.Symbol("i", integer=True, nonnegative=True)
    g = t + 2                                          # a symbolic gamma > 2
    tail = sp.summation(2**i * g ** (-(i + 3)), (i, 0, sp.oo))
    if tail.has(sp.Sum) or sp.simplify((g - 2) * tail - g**-2) != 0:
        return False
    if not all((n**j - 1) // (n - 1) >= j + 1 for j in range(2, K + 1)):
        return False
    lo = Fraction(gamma - 1, gamma**2) if lower is None else Fraction(lower)
    hi = Fraction(1, gamma)
    for k, G in enumerate(koppen_widest_gaps(K, n=n, gamma=gamma), start=1):
        scaled = G * 2 ** (k - 1)
        least = Fraction(1, gamma ** ((n**k - 1) // (n - 1)))
        if not (lo <= scaled <= hi and (k == 1 or G > least)):
            return False
    return True
