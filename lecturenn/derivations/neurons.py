r"""Derivations of the neuron chapter (the neuron and Boolean functions), in exact arithmetic.

Every function returns SymPy objects or exact rationals that the tests assert and the
notebook ``book/neurons.ipynb`` displays.

* :func:`truth_table_system`: the inequalities that a truth table imposes on the weights
  :math:`(w_1, \dots, w_n, w_0)` of a threshold neuron :math:`[\sum_j w_j x^j - w_0 > 0]`.
* :func:`threshold_weights`: the maximum-margin solution of that system (exact linear
  program, weights in :math:`[-1, 1]`, :math:`|w_0| \le n`); gives AND, OR, NOT.
* :func:`motzkin_certificate`: when the system is infeasible, nonnegative multipliers
  :math:`\lambda` with :math:`\sum_i \lambda_i c_i = 0` and a positive weight on a strict
  inequality; summing the inequalities with these multipliers gives :math:`0 > 0`
  (Motzkin's transposition theorem). For XOR, :math:`\lambda = (1, 1, 1, 1)`.
* :func:`svm_weak_duality`: the dual of the max-margin problem and the identity behind weak
  duality, which makes :math:`1/\sqrt{2D(\alpha)}` an upper bound on Novikoff's
  :math:`\gamma^*`.
* :func:`xor_polynomials`: the two XOR constructions of the slide, as polynomials.
* :func:`dnf_minterm_check`: the hidden neuron of :func:`lecturenn.boolean.compile_dnf`
  fires exactly on its minterm (exhaustive, exact).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import sympy as sp
from sympy.solvers.simplex import InfeasibleLPError, lpmax

from lecturenn._validation import as_binary_array, check_int

__all__ = [
    "weight_symbols",
    "input_symbols",
    "truth_table_rows",
    "truth_table_system",
    "threshold_weights",
    "check_neuron_exact",
    "motzkin_certificate",
    "check_certificate",
    "boolean_weights",
    "xor_infeasibility",
    "svm_weak_duality",
    "xor_polynomials",
    "check_xor_formula",
    "dnf_minterm_neuron",
    "dnf_minterm_check",
    "threshold_function_count",
]

XOR_TABLE = (0, 1, 1, 0)


def _n(n, maximum: int = 20) -> int:
    """The number of variables: an int in ``[0, maximum]`` (a ``TypeError``/``ValueError``)."""
    n = check_int("n (the number of variables)", n, minimum=0)
    if n > maximum:
        raise ValueError(f"n (the number of variables) must be <= {maximum} here, got {n}")
    return n


def weight_symbols(n: int) -> tuple[tuple[sp.Symbol, ...], sp.Symbol]:
    r"""The symbols :math:`(w_1, \dots, w_n)` and :math:`w_0`."""
    n = _n(n, maximum=10**6)
    return tuple(sp.Symbol(f"w_{j}", real=True) for j in range(1, n + 1)), sp.Symbol(
        "w_0", real=True)


def input_symbols(n: int) -> tuple[sp.Symbol, ...]:
    r"""The symbols :math:`x^1, \dots, x^n` (printed as ``x^{1}``...)."""
    n = _n(n, maximum=10**6)
    return tuple(sp.Symbol(f"x^{{{j}}}") for j in range(1, n + 1))


def truth_table_rows(n: int) -> list[tuple[int, ...]]:
    """The :math:`2^n` binary rows in the standard order (:math:`x^1` most significant)."""
    return [tuple(r) for r in product((0, 1), repeat=_n(n))]


def _table(table, n: int) -> tuple[int, ...]:
    n = _n(n)
    t = tuple(as_binary_array("table", table, ndim=1).tolist())
    if len(t) != 2**n or any(v not in (0, 1) for v in t):
        raise ValueError(f"table must be 2**n = {2**n} values 0/1 for n = {n}, got {table!r}")
    return t


def truth_table_system(table, n: int) -> list[sp.Rel]:
    r"""The system of inequalities :math:`\sum_j w_j x^j - w_0 > 0` if :math:`f(x) = 1`,
    :math:`\le 0` if :math:`f(x) = 0`, one per row of the truth table."""
    t = _table(table, n)
    w, w0 = weight_symbols(n)
    out = []
    for row, f in zip(truth_table_rows(n), t, strict=True):
        s = sum((wj * xj for wj, xj in zip(w, row, strict=True)), sp.Integer(0)) - w0
        out.append(sp.StrictGreaterThan(s, 0) if f else sp.LessThan(s, 0))
    return out


def threshold_weights(table, n: int) -> dict | None:
    r"""The maximum-margin threshold neuron for a truth table, or ``None``.

    Solves exactly (SymPy's simplex, rational arithmetic)

    .. math::

        \max t \quad\text{s.t.}\quad
        \sum_j w_j x^j - w_0 \ge t \ (f(x) = 1), \quad
        \sum_j w_j x^j - w_0 \le -t \ (f(x) = 0), \quad
        |w_j| \le 1, \ |w_0| \le n .

    The system of the truth table is feasible iff :math:`t^* > 0`. If some
    :math:`[\sum_j w_j x^j - w_0 > 0]` computes :math:`f`, raise :math:`w_0` by half the
    smallest positive value of :math:`\sum_j w_j x^j - w_0` over the :math:`2^n` points: every
    inequality then holds with a positive margin both ways. Rescaling to
    :math:`\max_j |w_j| = 1` puts the solution in the box, because
    :math:`|w_0| \le \sum_j |w_j| \le n` for a non-constant :math:`f` (some point lies on
    each side of the hyperplane).

    Returns
    -------
    dict or None
        ``{"w": (w_1, ..., w_n), "w0": w_0, "margin": t}`` with SymPy rationals, or ``None``
        when :math:`t^* = 0` (not a threshold function).
    """
    t_ = _table(table, n)
    w, w0 = weight_symbols(n)
    t = sp.Symbol("t", real=True)
    cons = []
    for row, f in zip(truth_table_rows(n), t_, strict=True):
        s = sum((wj * xj for wj, xj in zip(w, row, strict=True)), sp.Integer(0)) - w0
        cons.append(s >= t if f else s <= -t)
    for wj in w:
        cons += [wj <= 1, wj >= -1]
    cons += [w0 <= max(n, 1), w0 >= -max(n, 1)]
    try:
        best, sol = lpmax(t, cons)
    except InfeasibleLPError:  # pragma: no cover - t = 0, w = 0 is always feasible
        return None
    if best <= 0:
        return None
    return {"w": tuple(sp.nsimplify(sol.get(wj, 0)) for wj in w),
            "w0": sp.nsimplify(sol.get(w0, 0)), "margin": best}


def check_neuron_exact(w, w0, table, n: int, *, strict: bool = True) -> bool:
    r"""Does :math:`[\sum_j w_j x^j - w_0 > 0]` reproduce the truth table? (exact rationals)

    With ``strict=False`` the activation is :math:`[s \ge 0]` instead, to show that the
    convention at zero matters.
    """
    t = _table(table, n)
    try:
        w = [Fraction(str(v)) for v in w]
        w0 = Fraction(str(w0))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"w and w0 must be finite real numbers, got w={w!r}, w0={w0!r}: "
                         f"{exc}") from exc
    if len(w) != n:
        raise ValueError(f"w must have n = {n} weights, got {len(w)}")
    for row, f in zip(truth_table_rows(n), t, strict=True):
        s = sum((wj * xj for wj, xj in zip(w, row, strict=True)), Fraction(0)) - w0
        fired = s > 0 if strict else s >= 0
        if int(fired) != f:
            return False
    return True


def _rows_as_vectors(table, n):
    """Each inequality as c . (w_1..w_n, w_0) (> or >=) 0; returns (c, is_strict) pairs."""
    t = _table(table, n)
    out = []
    for row, f in zip(truth_table_rows(n), t, strict=True):
        c = [sp.Integer(v) for v in row] + [sp.Integer(-1)]
        out.append((c, True) if f else ([-v for v in c], False))
    return out


def motzkin_certificate(table, n: int) -> tuple | None:
    r"""A certificate that no threshold neuron computes the table, or ``None``.

    Writes every row as :math:`c_i \cdot v > 0` (true rows) or :math:`c_i\cdot v \ge 0`
    (false rows, :math:`c_i = -(x_i, -1)`) with :math:`v = (w_1, \dots, w_n, w_0)`, and
    solves exactly :math:`\max \sum_{i\ \mathrm{strict}} \lambda_i` subject to
    :math:`\sum_i \lambda_i c_i = 0`, :math:`0 \le \lambda_i \le 1`.
    A positive optimum gives multipliers :math:`\lambda` such that the weighted sum of the
    inequalities reads :math:`0 > 0`: the system is infeasible (Motzkin's transposition
    theorem says such :math:`\lambda` exists iff it is).

    Returns
    -------
    tuple of sympy.Rational or None
        :math:`\lambda`, one multiplier per row of the truth table.
    """
    rows = _rows_as_vectors(table, n)
    lam = sp.symbols(f"lambda_1:{len(rows) + 1}", real=True)
    cons = []
    for k in range(n + 1):
        cons.append(sp.Eq(sum((lam[i] * rows[i][0][k] for i in range(len(rows))),
                              sp.Integer(0)), 0))
    for li in lam:
        cons += [li >= 0, li <= 1]
    objective = sum((lam[i] for i in range(len(rows)) if rows[i][1]), sp.Integer(0))
    if objective == 0:
        return None  # no strict row: w = 0, w0 = 0 computes the constant 0
    best, sol = lpmax(objective, cons)
    if best <= 0:
        return None
    return tuple(sp.nsimplify(sol.get(li, 0)) for li in lam)


def check_certificate(table, n: int, lam) -> bool:
    r"""Verify a Motzkin certificate exactly: :math:`\lambda \ge 0`,
    :math:`\sum_i \lambda_i c_i = 0` and :math:`\sum_{i\ \mathrm{strict}} \lambda_i > 0`."""
    rows = _rows_as_vectors(table, n)
    lam = [sp.Rational(v) for v in lam]
    if len(lam) != len(rows) or any(v < 0 for v in lam):
        return False
    total = [sum((lam[i] * rows[i][0][k] for i in range(len(rows))), sp.Integer(0))
             for k in range(n + 1)]
    strict_mass = sum((lam[i] for i in range(len(rows)) if rows[i][1]), sp.Integer(0))
    return all(v == 0 for v in total) and strict_mass > 0


def boolean_weights() -> dict[str, dict]:
    r"""AND, OR (two variables) and NOT (one variable): the derived maximum-margin weights.

    Returns ``{"AND": {...}, "OR": {...}, "NOT": {...}}`` as :func:`threshold_weights`,
    each with its ``"table"`` and ``"n"``.
    """
    spec = {"AND": ((0, 0, 0, 1), 2), "OR": ((0, 1, 1, 1), 2), "NOT": ((1, 0), 1)}
    out = {}
    for name, (table, n) in spec.items():
        sol = threshold_weights(table, n)
        sol.update(table=table, n=n)
        out[name] = sol
    return out


def xor_infeasibility() -> dict:
    r"""The machine-checked proof that XOR is not a threshold function.

    Returns
    -------
    dict
        ``system``: the four inequalities of the truth table of :math:`x^1 \oplus x^2`;
        ``lam``: the Motzkin multipliers;
        ``lhs``: the left-hand sides :math:`c_i \cdot v` of the inequalities written as
        :math:`c_i\cdot v > 0` / :math:`\ge 0`;
        ``combination``: :math:`\sum_i \lambda_i\, c_i\cdot v`, which simplifies to 0 although
        it must be :math:`> 0`;
        ``certificate_ok``: :func:`check_certificate` on it;
        ``strict_rows``: the set :math:`S` of Motzkin's theorem, the numbers (from 1) of the
        rows whose inequality is strict, :math:`c_i\cdot v > 0`: the true rows of the table
        (a neuron must fire there, :math:`\sum_j w_j x^j - w_0 > 0`; on a false row it only
        must not, :math:`\le 0`).
    """
    n = 2
    system = truth_table_system(XOR_TABLE, n)
    lam = motzkin_certificate(XOR_TABLE, n)
    w, w0 = weight_symbols(n)
    v = list(w) + [w0]
    lhs = [sum((ci * vi for ci, vi in zip(c, v, strict=True)), sp.Integer(0))
           for c, _ in _rows_as_vectors(XOR_TABLE, n)]
    combination = sp.expand(sum((li * e for li, e in zip(lam, lhs, strict=True)),
                                sp.Integer(0)))
    strict_rows = tuple(i + 1 for i, (_, strict) in enumerate(_rows_as_vectors(XOR_TABLE, n))
                        if strict)
    return {"system": system, "lam": lam, "lhs": lhs, "combination": combination,
            "certificate_ok": check_certificate(XOR_TABLE, n, lam),
            "strict_rows": strict_rows}


def svm_weak_duality(dim: int = 3, n_objects: int = 3) -> dict:
    r"""The dual of the max-margin problem behind Novikoff's :math:`\gamma^*`, and weak duality.

    With :math:`z_i = y_i\tilde x_i` the hard-margin SVM without bias is the primal
    :math:`\min_v \tfrac12\|v\|^2` subject to :math:`\langle v, z_i\rangle \ge 1`; its
    solution has :math:`\|v^*\| = 1/\gamma^*`. The Lagrangian
    :math:`\Lambda(v, \alpha) = \tfrac12\|v\|^2 - \sum_i \alpha_i(\langle v, z_i\rangle - 1)`,
    :math:`\alpha \ge 0`, is smallest over :math:`v` at :math:`v = \sum_i\alpha_i z_i`
    (``"stationary"``), where it equals the dual function
    :math:`D(\alpha) = \sum_i\alpha_i - \tfrac12\|\sum_i\alpha_i z_i\|^2` (``"dual_is_min"``).
    Weak duality rests on the identity (``"identity"``)

    .. math::

        \tfrac12\|v\|^2 - D(\alpha) = \tfrac12\Bigl\|v - \sum_i\alpha_i z_i\Bigr\|^2
        + \sum_i \alpha_i\bigl(\langle v, z_i\rangle - 1\bigr),

    whose two terms are :math:`\ge 0` for a feasible :math:`v` and :math:`\alpha \ge 0`. So
    :math:`D(\alpha) \le \tfrac12\|v^*\|^2 = 1/(2\gamma^{*2})`, i.e.
    :math:`\gamma^* \le \gamma_{hi} = 1/\sqrt{2D(\alpha)}` for every :math:`\alpha \ge 0` with
    :math:`D(\alpha) > 0`: the upper bound of
    :func:`lecturenn.perceptron.max_margin_direction`. The identity is checked for symbolic
    vectors of ``dim`` coordinates and ``n_objects`` objects; with the sign of the last sum
    flipped it fails (``"wrong_sign_fails"``).
    """
    dim = check_int("dim", dim, minimum=1)
    n_objects = check_int("n_objects", n_objects, minimum=1)
    v = sp.Matrix(sp.symbols(f"v_1:{dim + 1}", real=True))
    a = sp.symbols(f"alpha_1:{n_objects + 1}", nonnegative=True)
    Z = [sp.Matrix(sp.symbols(f"z_{i + 1}_1:{dim + 1}", real=True)) for i in range(n_objects)]
    s_ = sum((ai * zi for ai, zi in zip(a, Z, strict=True)), sp.zeros(dim, 1))
    lagrangian = v.dot(v) / 2 - sum(ai * (v.dot(zi) - 1) for ai, zi in zip(a, Z, strict=True))
    dual = sum(a) - s_.dot(s_) / 2
    slack = sum(ai * (v.dot(zi) - 1) for ai, zi in zip(a, Z, strict=True))
    rhs = (v - s_).dot(v - s_) / 2 + slack
    grad_v = [sp.diff(lagrangian, vj) for vj in v]
    at_min = dict(zip(v, s_, strict=True))
    return {
        "lagrangian": lagrangian,
        "dual": dual,
        "stationary": all(sp.expand(gj.subs(at_min, simultaneous=True)) == 0 for gj in grad_v),
        "dual_is_min": sp.expand(lagrangian.subs(at_min, simultaneous=True) - dual) == 0,
        "identity": sp.expand(v.dot(v) / 2 - dual - rhs) == 0,
        "wrong_sign_fails": sp.expand(v.dot(v) / 2 - dual - (rhs - 2 * slack)) != 0,
    }


def xor_polynomials() -> dict:
    r"""The two XOR constructions of the slide as polynomials on :math:`\{0,1\}^2`.

    * ``feature``: :math:`x^1 + x^2 - 2x^1x^2` (feature generation, with :math:`x^1x^2`);
    * ``superposition``: :math:`(x^1 \vee x^2) - (x^1 \wedge x^2)` with the Boolean
      polynomials :math:`x^1\vee x^2 = x^1 + x^2 - x^1x^2`, :math:`x^1\wedge x^2 = x^1x^2`;
    * ``difference``: ``feature - superposition`` expanded (it is 0: the two constructions
      compute the same sum);
    * ``square_identity``: :math:`(x^1 - x^2)^2 - \text{feature}` reduced with
      :math:`(x^j)^2 = x^j`, which is 0: the feature sum is :math:`(x^1 - x^2)^2 = [x^1 \ne x^2]`.
    """
    x1, x2 = input_symbols(2)
    feature = x1 + x2 - 2 * x1 * x2
    superposition = (x1 + x2 - x1 * x2) - x1 * x2
    square = sp.expand((x1 - x2) ** 2).subs({x1**2: x1, x2**2: x2})
    return {"symbols": (x1, x2), "feature": feature, "superposition": superposition,
            "difference": sp.expand(feature - superposition),
            "square_identity": sp.expand(square - feature)}


def check_xor_formula(expr, symbols, threshold=None) -> bool:
    r"""Does :math:`[\text{expr} - \text{threshold} > 0]` equal :math:`x^1 \oplus x^2` on all four
    inputs? ``expr`` is a SymPy expression in ``symbols`` (exact evaluation); the default
    threshold is :math:`\tfrac12`."""
    threshold = sp.Rational(1, 2) if threshold is None else sp.nsimplify(threshold)
    for (a, b), f in zip(truth_table_rows(2), XOR_TABLE, strict=True):
        val = sp.nsimplify(expr.subs({symbols[0]: a, symbols[1]: b}) - threshold)
        if int(bool(val > 0)) != f:
            return False
    return True


def dnf_minterm_neuron(r) -> tuple[tuple[int, ...], sp.Rational]:
    r"""The hidden neuron of the minterm :math:`r`: weights :math:`2r_j - 1`, threshold
    :math:`|r| - \tfrac12`."""
    r = as_binary_array("r (a row of the truth table)", r, ndim=1).tolist()
    return tuple(2 * v - 1 for v in r), sp.Integer(sum(r)) - sp.Rational(1, 2)


def dnf_minterm_check(n: int, neuron=dnf_minterm_neuron) -> bool:
    r"""Exhaustively check that :math:`h_r(x) = [x = r]` for all :math:`r, x \in \{0,1\}^n`
    (exact rationals); ``neuron`` may be replaced to show that a wrong threshold fails."""
    rows = truth_table_rows(n)
    for r in rows:
        w, b = neuron(r)
        for x in rows:
            s = sum((wj * xj for wj, xj in zip(w, x, strict=True)), sp.Integer(0)) - b
            if bool(s > 0) != (x == r):
                return False
    return True


def threshold_function_count(n: int) -> dict:
    r"""Classify all :math:`2^{2^n}` Boolean functions of :math:`n` variables exactly.

    Every function gets either verified weights (:func:`check_neuron_exact`) or a verified
    Motzkin certificate (:func:`check_certificate`); one of the two must succeed.

    Returns
    -------
    dict
        ``threshold``: the tables that are threshold functions, ``not_threshold``: the others
        (with their certificates), ``count``: the number of threshold functions
        (2, 4, 14, 104, ... for n = 0, 1, 2, 3: OEIS A000609).

    ``n`` is at most 4 (:math:`2^{16}` exact linear programs); :math:`n = 5` would be
    :math:`2^{32}` of them.
    """
    n = _n(n, maximum=4)
    yes, no = [], []
    for table in product((0, 1), repeat=2**n):
        sol = threshold_weights(table, n)
        if sol is not None:
            if not check_neuron_exact(sol["w"], sol["w0"], table, n):
                raise AssertionError(f"LP weights fail on {table}")  # pragma: no cover
            yes.append(table)
        else:
            lam = motzkin_certificate(table, n)
            if lam is None or not check_certificate(table, n, lam):
                raise AssertionError(f"no certificate for {table}")  # pragma: no cover
            no.append((table, lam))
    return {"threshold": yes, "not_threshold": no, "count": len(yes)}
