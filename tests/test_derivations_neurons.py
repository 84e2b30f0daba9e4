"""Tests of lecturenn.derivations.neurons: exact derivations of the neuron chapter."""

from fractions import Fraction
from itertools import product

import numpy as np
import pytest
import sympy as sp

from lecturenn.derivations import neurons as D


def test_system_of_and():
    (w1, w2), w0 = D.weight_symbols(2)
    system = D.truth_table_system((0, 0, 0, 1), 2)
    assert system == [sp.Le(-w0, 0), sp.Le(w2 - w0, 0), sp.Le(w1 - w0, 0),
                      sp.StrictGreaterThan(w1 + w2 - w0, 0)]


def test_boolean_weights_are_the_slide_weights_and_verified():
    bw = D.boolean_weights()
    half = sp.Rational(1, 2)
    assert bw["AND"]["w"] == (1, 1) and bw["AND"]["w0"] == 3 * half
    assert bw["OR"]["w"] == (1, 1) and bw["OR"]["w0"] == half
    assert bw["NOT"]["w"] == (-1,) and bw["NOT"]["w0"] == -half
    for sol in bw.values():
        assert sol["margin"] == half
        assert D.check_neuron_exact(sol["w"], sol["w0"], sol["table"], sol["n"])
        # the derived point satisfies the sympy system itself
        w, w0 = D.weight_symbols(sol["n"])
        subs = dict(zip(w, sol["w"], strict=True)) | {w0: sol["w0"]}
        assert all(bool(rel.subs(subs)) for rel in D.truth_table_system(sol["table"], sol["n"]))


def test_wrong_weights_fail_and_the_convention_at_zero_matters():
    assert not D.check_neuron_exact((1, 1), 2, (0, 0, 0, 1), 2)       # threshold too high
    assert not D.check_neuron_exact((1, -1), sp.Rational(1, 2), (0, 1, 1, 1), 2)
    # w0 = 1 is on the boundary: correct with [s > 0], wrong with [s >= 0]
    assert D.check_neuron_exact((1, 1), 1, (0, 0, 0, 1), 2)
    assert not D.check_neuron_exact((1, 1), 1, (0, 0, 0, 1), 2, strict=False)


def test_xor_infeasibility_certificate():
    proof = D.xor_infeasibility()
    assert proof["lam"] == (1, 1, 1, 1)
    assert proof["combination"] == 0
    assert proof["certificate_ok"]
    # the strict inequalities carry positive weight, so the sum says 0 > 0
    assert sum(proof["lam"][i] for i in (1, 2)) > 0
    assert D.threshold_weights(D.XOR_TABLE, 2) is None


def test_motzkin_set_s_is_the_true_rows():
    """S, the strict inequalities of Motzkin's theorem, are the rows where XOR is 1."""
    proof = D.xor_infeasibility()
    true_rows = tuple(i + 1 for i, f in enumerate(D.XOR_TABLE) if f)
    assert proof["strict_rows"] == true_rows == (2, 3)
    assert sum(proof["lam"][i - 1] for i in proof["strict_rows"]) > 0


def test_svm_weak_duality():
    """The identity behind gamma_hi = 1/sqrt(2 D(alpha)); a flipped sign fails; and
    numerically: max_margin_direction's gamma_upper is >= its gamma_lower, and equals
    1/sqrt(2 D) for the exact dual optimum of AND (alpha = (0, 5, 5, 7), D = 17/2)."""
    r = D.svm_weak_duality()
    assert r["stationary"] and r["dual_is_min"] and r["identity"] and r["wrong_sign_fails"]
    r1 = D.svm_weak_duality(dim=1, n_objects=1)
    assert r1["identity"] and r1["wrong_sign_fails"]
    from lecturenn.boolean import truth_table_inputs
    from lecturenn.perceptron import max_margin_direction

    mm = max_margin_direction(truth_table_inputs(2), [0, 0, 0, 1])
    assert mm["gamma_lower"] <= mm["gamma_upper"]
    assert mm["gamma_upper"] == pytest.approx(1 / np.sqrt(2 * 17 / 2), rel=1e-6)


def test_a_wrong_certificate_is_rejected():
    assert not D.check_certificate(D.XOR_TABLE, 2, (1, 1, 1, 2))   # sum is not zero
    assert not D.check_certificate(D.XOR_TABLE, 2, (1, 1, -1, 1))  # negative multiplier
    assert not D.check_certificate(D.XOR_TABLE, 2, (0, 0, 0, 0))   # no strict mass
    assert not D.check_certificate((0, 0, 0, 1), 2, (1, 1, 1, 1))  # AND is feasible


def test_threshold_functions_have_no_motzkin_certificate():
    """AND, OR, NOT are computed by neurons, so the system is feasible: no certificate."""
    for sol in D.boolean_weights().values():
        assert D.motzkin_certificate(sol["table"], sol["n"]) is None


def test_a_certificate_with_a_negative_multiplier_is_rejected():
    """(-1, 1, 1, 1) sums AND's rows to 0 with strict mass 1, so only lambda >= 0 rejects it
    (it would 'prove' that AND, a threshold function, is not one)."""
    lam = (-1, 1, 1, 1)
    # AND's rows as c_i . (w_1, w_2, w_0): -(x_i, -1) for f = 0, (x_i, -1) for f = 1
    c = np.array([[0, 0, 1], [0, -1, 1], [-1, 0, 1], [1, 1, -1]])
    assert np.array_equal(np.array(lam) @ c, [0, 0, 0])  # the weighted sum reads 0 > 0
    assert not D.check_certificate((0, 0, 0, 1), 2, lam)
    assert D.check_certificate(D.XOR_TABLE, 2, (1, 1, 1, 1))


def test_xor_inequalities_are_the_truth_table_system():
    """lhs_i = c_i . (w_1, w_2, w_0) is s_i = w.x_i - w_0 on true rows and -s_i on false rows."""
    proof = D.xor_infeasibility()
    for rel, lhs, f in zip(proof["system"], proof["lhs"], D.XOR_TABLE, strict=True):
        s = rel.lhs
        assert sp.expand(lhs - (s if f else -s)) == 0
    (w1, w2), w0 = D.weight_symbols(2)
    assert proof["lhs"][1] == w2 - w0 and proof["lhs"][3] == w0 - w1 - w2


def test_check_xor_formula_default_threshold_is_one_half():
    """The default threshold 1/2: an expression with values 0, 1/4, 1/4, 0 is XOR only above 0."""
    x1, x2 = D.input_symbols(2)
    quarter = (x1 + x2 - 2 * x1 * x2) / 4
    assert not D.check_xor_formula(quarter, (x1, x2))
    assert not D.check_xor_formula(quarter, (x1, x2), threshold=sp.Rational(1, 2))
    assert D.check_xor_formula(quarter, (x1, x2), threshold=0)


def test_xor_polynomials():
    p = D.xor_polynomials()
    x1, x2 = p["symbols"]
    assert p["difference"] == 0 and p["square_identity"] == 0
    assert D.check_xor_formula(p["feature"], (x1, x2))
    assert D.check_xor_formula(p["superposition"], (x1, x2))
    # broken formulas fail: wrong sign of x1 x2, wrong threshold
    assert not D.check_xor_formula(x1 + x2 + 2 * x1 * x2, (x1, x2))
    assert not D.check_xor_formula(p["feature"], (x1, x2), threshold=sp.Rational(3, 2))
    assert not D.check_xor_formula((x1 + x2 - x1 * x2) + x1 * x2, (x1, x2))


def test_dnf_minterm_neuron():
    assert D.dnf_minterm_neuron((1, 0, 1)) == ((1, -1, 1), sp.Rational(3, 2))
    for n in range(1, 5):
        assert D.dnf_minterm_check(n)

    def too_high(r):
        w, b = D.dnf_minterm_neuron(r)
        return w, b + 1

    def too_low(r):
        w, b = D.dnf_minterm_neuron(r)
        return w, b - 1

    assert not D.dnf_minterm_check(2, neuron=too_high)
    assert not D.dnf_minterm_check(2, neuron=too_low)


def test_threshold_function_count_n2():
    res = D.threshold_function_count(2)
    assert res["count"] == 14  # OEIS A000609: 2, 4, 14, 104, ...
    assert [t for t, _ in res["not_threshold"]] == [(0, 1, 1, 0), (1, 0, 0, 1)]  # XOR, XNOR
    assert D.threshold_function_count(1)["count"] == 4


def _rational(x):
    return Fraction(float(x)).limit_denominator(1000)


def test_threshold_function_count_n3_independent_reference():
    """n = 3 with scipy's floating LPs (the all-sympy run takes ~90 s): 104 of 256.

    The floating solutions are rounded to rationals and then checked EXACTLY: weights with
    D.check_neuron_exact, Motzkin multipliers with D.check_certificate.
    """
    from scipy.optimize import linprog

    from lecturenn.boolean import truth_table_inputs

    X = truth_table_inputs(3)
    A = np.column_stack([X, -np.ones(8)])
    count = 0
    for table in product((0, 1), repeat=8):
        s = 2 * np.array(table) - 1
        # max t  s.t.  s_i (A_i v) >= t, |w_j| <= 1, |w_0| <= 3: variables (v, t)
        res = linprog(c=[0, 0, 0, 0, -1], A_ub=np.column_stack([-s[:, None] * A, np.ones(8)]),
                      b_ub=np.zeros(8), bounds=[(-1, 1)] * 3 + [(-3, 3), (None, None)],
                      method="highs")
        assert res.status == 0
        if -res.fun > 1e-9:
            count += 1
            w = [_rational(v) for v in res.x[:3]]
            assert D.check_neuron_exact(w, _rational(res.x[3]), table, 3)
        else:
            # rows as c_i . v (> or >=) 0; find lambda >= 0, sum lambda_i c_i = 0, max strict mass
            C = np.where(s[:, None] > 0, A, -A)
            strict = (s > 0).astype(float)
            cert = linprog(c=-strict, A_eq=C.T, b_eq=np.zeros(4), bounds=[(0, 1)] * 8,
                           method="highs")
            assert cert.status == 0 and -cert.fun > 1e-9
            lam = [_rational(v) for v in cert.x]
            assert D.check_certificate(table, 3, lam)
    assert count == 104


def test_bad_table():
    with pytest.raises(ValueError, match=r"table must be 2\*\*n = 4 values 0/1 for n = 2"):
        D.truth_table_system((0, 1, 1), 2)
    with pytest.raises(ValueError, match="w must have n = 2 weights, got 1"):
        D.check_neuron_exact((1,), 0, (0, 0, 0, 1), 2)
