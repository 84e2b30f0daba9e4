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
* :func:`check_odd_taylor_coefficients`: the odd Taylor coefficients of
  :math:`\sigma(z) - \tfrac12` at 0 do not vanish (so on :math:`[0, 1]`, with
  :math:`w_0 = 0`, the networks are still dense).
"""

from __future__ import annotations

import math

import sympy as sp

from lecturenn._validation import check_int

__all__ = [
    "check_odd_symmetry",
    "check_odd_taylor_coefficients",
    "check_shared_threshold",
    "check_shared_threshold_lower_bounds",
    "check_sigmoid_derivative_polynomials",
    "check_staircase_interpolation_bound",
    "check_step_limit",
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
    ``"w0 = 0 fails"``, ``"roots of P_k counted"`` (for :math:`k \le 12`, at most
    :math:`k + 1` real roots, all in :math:`[0, 1]`).
    """
    P = sigmoid_derivative_polynomials(12)
    roots_ok = all(len(sp.real_roots(Pk)) <= k + 1
                   and all(0 <= r <= 1 for r in sp.real_roots(Pk)) for k, Pk in enumerate(P))
    return {
        "P_k integer, degree k+1, leading (-1)^k k!": check_sigmoid_derivative_polynomials(12),
        "w0 = 1 certified numerically, k <= 30": check_shared_threshold(1, K=30),
        "w0 = 0 fails": not check_shared_threshold(0, K=2),
        "roots of P_k counted": roots_ok,
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
    are orthogonal on :math:`[-1, 1]`, :math:`\|g_e\|_2 \le \|g\|_2`. With
    :math:`a = c + (\text{odd})` and :math:`f = x^2` (even), :math:`g_e = c - x^2`, so

    - uniformly: :math:`\sup|a - f| \ge \min_c \max_{|x|\le1}|x^2 - c| = \tfrac12` (at
      :math:`c = \tfrac12`: :math:`x^2` takes every value of :math:`[0, 1]`, so the max is
      :math:`\max(|c|, |1 - c|)`);
    - in mean square: :math:`\tfrac12\int_{-1}^1 (a - f)^2 \ge \min_c \tfrac12\int_{-1}^1
      (x^2 - c)^2\,dx = \tfrac{4}{45}` (at :math:`c = \tfrac13`), a root mean square of
      :math:`2/(3\sqrt5) \approx 0.298`.

    Returns ``"uniform"``, ``"c uniform"``, ``"mean square"``, ``"c mean square"``, ``"rms"``
    and ``"even-odd orthogonal"`` (the integral of :math:`x^2\cdot x^{2j+1}`, :math:`j \le 5`,
    vanishes).
    """
    x, c = sp.Symbol("x", real=True), sp.Symbol("c", real=True)
    ms = sp.integrate((x**2 - c) ** 2, (x, -1, 1)) / 2
    c_ms = sp.solve(sp.diff(ms, c), c)[0]
    c_u = sp.solve(sp.Eq(c, 1 - c), c)[0]           # max(|c|, |1 - c|) is least where they meet
    orth = all(sp.integrate(x**2 * x ** (2 * j + 1), (x, -1, 1)) == 0 for j in range(6))
    return {"uniform": sp.Max(sp.Abs(c_u), sp.Abs(1 - c_u)), "c uniform": c_u,
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
