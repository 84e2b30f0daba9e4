"""lecturenn.derivations.approximation: each claim proved, and each shown failing when broken."""

import numpy as np
import sympy as sp

from lecturenn.derivations import approximation as D


def test_steep_sigmoid_is_a_step():
    assert D.check_step_limit() is True
    assert not D.check_step_limit((0, 1, 1))        # the step [d >= 0] at d = 0: wrong
    assert not D.check_step_limit((1, sp.Rational(1, 2), 0))


def test_staircase_interpolation_bound():
    assert D.check_staircase_interpolation_bound() is True
    # the step the wrong way round, or a fixed weight, breaks the bound delta/2
    assert not D.check_staircase_interpolation_bound(lambda s, v: 1 / (1 + sp.exp(s * v)))
    assert not D.check_staircase_interpolation_bound(lambda s, v: sp.Rational(1, 3))


def test_staircase_interpolation_bound_numerically():
    # (1 - th)(d/2 + v) + th (d/2 - v) <= d/2 on a grid of v, s
    d = 0.1
    for s in (1.0, 40.0, 400.0):
        v = np.linspace(-d / 2, d / 2, 1001)
        th = 1 / (1 + np.exp(-s * v))
        assert np.all((1 - th) * (d / 2 + v) + th * (d / 2 - v) <= d / 2 + 1e-17)


def test_sigmoid_derivative_polynomials():
    P = D.sigmoid_derivative_polynomials(3)
    s = sp.Symbol("s")
    assert sp.expand(P[1].as_expr() - s * (1 - s)) == 0
    assert sp.expand(P[2].as_expr() - s * (1 - s) * (1 - 2 * s)) == 0
    assert D.check_sigmoid_derivative_polynomials(8) is True
    # against numbers: sigma''(z) = P_2(sigma(z)) by central differences
    z, h = 0.7, 1e-4
    sig = lambda u: 1 / (1 + np.exp(-u))                      # noqa: E731
    fd = (sig(z + h) - 2 * sig(z) + sig(z - h)) / h**2
    assert abs(fd - float(P[2].as_expr().subs(s, sig(z)))) < 1e-6  # O(h^2) + rounding/h^2


def test_shared_threshold_zero_fails_and_one_works():
    assert D.check_shared_threshold(0, K=2) is False          # sigma''(0) = 0
    assert D.check_shared_threshold(0, K=1) is True           # sigma(0), sigma'(0) are not 0
    assert D.check_shared_threshold(1, K=25) is True
    assert D.check_shared_threshold(-1, K=25) is True
    assert D.check_shared_threshold(sp.Rational(1, 3), K=15) is True


def test_shared_threshold_proof_steps():
    assert all(D.shared_threshold_proof().values())


def test_even_derivatives_of_the_logistic_vanish_at_zero():
    P = D.sigmoid_derivative_polynomials(10)
    s = sp.Symbol("s")
    vals = [P[k].as_expr().subs(s, sp.Rational(1, 2)) for k in range(11)]
    assert all((v == 0) == (k % 2 == 0 and k > 0) for k, v in enumerate(vals))


def test_odd_symmetry_and_lower_bounds():
    assert D.check_odd_symmetry() is True
    b = D.shared_threshold_lower_bounds()
    assert b["uniform"] == sp.Rational(1, 2) and b["c mean square"] == sp.Rational(1, 3)
    assert sp.simplify(b["rms"] - 2 / (3 * sp.sqrt(5))) == 0
    assert D.check_shared_threshold_lower_bounds() is True
    assert not D.check_shared_threshold_lower_bounds(uniform=sp.Rational(1, 4))
    assert not D.check_shared_threshold_lower_bounds(mean_square=sp.Rational(1, 9))


def test_odd_taylor_coefficients():
    assert D.check_odd_taylor_coefficients(15) is True


def test_monomials_from_one_shared_threshold_in_two_variables():
    assert D.check_monomials_from_shared_threshold(n=2, order=3) is True
    assert D.check_monomials_from_shared_threshold(n=3, order=2) is True
    # a wrong derivative (sigma^(k) = P_k(sigma) shifted by one order) fails
    P = D.sigmoid_derivative_polynomials(3)
    assert not D.check_monomials_from_shared_threshold(n=2, order=2, polys=P[1:])


def test_lower_bound_derivation_is_derived():
    # the minimiser comes out of solveset, not out of the claim
    b = D.shared_threshold_lower_bounds()
    assert b["c uniform"] == sp.Rational(1, 2) and b["uniform"] == sp.Rational(1, 2)
    assert b["mean square"] == sp.Rational(4, 45)
