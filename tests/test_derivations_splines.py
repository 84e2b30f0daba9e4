"""The B-spline derivations: they hold, they match the numeric code, and they fail when the
claim or the formula is broken."""

import sympy as sp

from lecturenn.derivations import splines as D


def test_partition_of_unity_inside_not_outside():
    for k in (1, 2, 3):
        r = D.partition_of_unity(D.KNOTS, k)
        assert r["holds_inside"] and r["fails_outside"]
        assert r["inside"] == list(range(k, len(D.KNOTS) - 1 - k))
    assert D.check_partition_of_unity() is True


def test_partition_claim_can_fail():
    # read with one extension knot too few, the "grid" includes an interval of the extension
    r = D.partition_of_unity(D.KNOTS, 3)
    assert r["sums"][2] != 1 and r["sums"][3] == 1


def test_nonnegativity_and_support():
    assert D.check_nonnegativity() is True
    assert D.check_support() is True
    mins = D.nonnegativity(D.KNOTS, 2)["minima"]
    assert all(v >= 0 for row in mins for v in row)


def test_nonnegativity_check_can_fail(monkeypatch):
    # a "basis" with a negative piece is caught
    orig = D._basis_cached

    def broken(t, k):
        B = {p: [list(row) for row in rows] for p, rows in orig(t, k).items()}
        B[k][0][0] = B[k][0][0] - sp.Rational(1, 100)
        return B

    monkeypatch.setattr(D, "_basis_cached", broken)
    assert not D.nonnegativity(D.KNOTS, 3)["nonnegative"]


def test_derivative_identity_and_a_wrong_factor():
    for k in (1, 2, 3):
        assert D.derivative_identity(D.KNOTS, k)["holds"]
        assert not D.derivative_identity(D.KNOTS, k, factor=k - 1)["holds"]
        assert not D.derivative_identity(D.KNOTS, k, factor=k + 1)["holds"]
    assert D.check_derivative_identity() is True


def test_continuity_order():
    for k in (1, 2, 3):
        r = D.continuity(D.KNOTS, k)
        assert r["smooth_to_order_k_minus_1"] and r["order_k_jumps"]
    assert D.check_continuity() is True


def test_numeric_agreement():
    for k in (1, 2, 3):
        r = D.numeric_agreement(D.KNOTS, k)
        assert r["max_value_error"] < 1e-12 and r["max_derivative_error"] < 1e-12
    assert D.check_numeric_agreement() is True


def test_the_cubic_pieces_on_uniform_knots_are_the_textbook_ones():
    # an independent anchor: the uniform cubic B-spline on 0..4 is (1/6)x^3 on [0, 1)
    # and (1/6)(-3x^3 + 12x^2 - 12x + 4) on [1, 2)
    B = D.basis((0, 1, 2, 3, 4), 3)[3][0]
    x = D.x
    assert sp.expand(B[0] - x**3 / 6) == 0
    assert sp.expand(B[1] - (-3 * x**3 + 12 * x**2 - 12 * x + 4) / 6) == 0
