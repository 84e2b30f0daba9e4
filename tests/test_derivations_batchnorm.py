"""The SymPy derivations of batch normalization: each holds, and a broken formula fails."""

import numpy as np
import sympy as sp

from lecturenn.batchnorm import BatchNorm
from lecturenn.derivations import batchnorm as d


def test_jacobian_closed_form():
    assert d.check_jacobian() is True
    assert d.check_jacobian(m=2) is True


def test_a_wrong_jacobian_fails():
    # forgetting the term through the variance (the slide's x_hat treated as (u - mu)/const)
    def no_var_term(i, j, m, s, x_hat):
        return d.gamma / s * ((1 if i == j else 0) - sp.Rational(1, m))
    assert d.check_jacobian(claimed=no_var_term) is False

    def without_mean_term(i, j, m, s, x_hat):  # forgetting the mean
        return d.gamma / s * ((1 if i == j else 0) - x_hat[i] * x_hat[j] / m)
    assert d.check_jacobian(claimed=without_mean_term) is False


def test_backward_compact_formula():
    assert d.check_backward() is True


def test_a_wrong_compact_formula_fails():
    def missing_projection(j, m, s, x_hat, g):
        return d.gamma / (m * s) * (m * g[j] - sum(g))
    assert d.check_backward(claimed=missing_projection) is False

    def wrong_normalizer(j, m, s, x_hat, g):  # 1/(m-1) where 1/m belongs
        sum_gx = sum(gi * xi for gi, xi in zip(g, x_hat, strict=True))
        return d.gamma / ((m - 1) * s) * ((m - 1) * g[j] - sum(g) - x_hat[j] * sum_gx)
    assert d.check_backward(claimed=wrong_normalizer) is False


def test_the_compact_formula_is_the_code_of_the_layer():
    """The SymPy vector-Jacobian product evaluated at a point equals BatchNorm.backward."""
    m = 3
    u, g = d.batch_symbols(m), d.batch_symbols(m, "g")
    f = d.batchnorm_expr(u)
    J = sp.Matrix(m, m, lambda i, j: sp.diff(f["y"][i], u[j]))
    vjp = J.T * sp.Matrix(g)
    rng = np.random.default_rng(0)
    uv, gv = rng.normal(size=m), rng.normal(size=m)
    point = {**dict(zip(u, uv, strict=True)), **dict(zip(g, gv, strict=True)),
             d.gamma: 1.7, d.beta: 0.3, d.epsilon: 1e-2}
    want = np.array([float(vjp[j].subs(point)) for j in range(m)])
    bn = BatchNorm(1, eps=1e-2)
    bn.gamma.data[:] = 1.7
    bn.forward(uv[:, None], train=True)
    np.testing.assert_allclose(bn.backward(gv[:, None])[:, 0], want, rtol=1e-12)


def test_parameter_gradients():
    assert d.check_parameter_gradients() is True


def test_output_moments_and_a_wrong_variance_fails():
    assert d.check_output_moments() is True
    assert d.check_output_moments(claimed_var=lambda v: d.gamma**2) is False


def test_scale_invariance():
    assert d.check_scale_invariance() == {"eps -> eps/a^2": True, "exact for eps = 0": True,
                                          "not exact for eps > 0": True}


def test_weight_gradient_orthogonal_and_shrinking():
    assert d.check_weight_gradient_orthogonal() == {"w . grad = 0": True,
                                                    "grad(a w) = grad(w) / a": True}


def test_constant_feature():
    assert d.check_constant_feature() == {"y = beta": True, "jacobian": True,
                                          "0/0 without eps": True}


def test_batch_symbols_refuses_a_batch_of_one():
    import pytest
    with pytest.raises(ValueError, match="m \\(the batch size\\) must be an int >= 2"):
        d.batch_symbols(1)


def test_compensation_gamma_sqrt_var_eps_beta_mu_gives_the_identity():
    """The slide's «Компенсация»: gamma = sqrt(sigma^2 + eps), beta = mu undo the normalization
    (Ioffe and Szegedy, section 3); gamma = sigma or beta = 0 do not."""
    assert d.check_compensation() is True
    assert d.check_compensation(m=4) is True
    assert d.check_compensation(claimed_gamma=lambda v, e: sp.sqrt(v)) is False
    assert d.check_compensation(claimed_beta=lambda mu: 0) is False
