"""The SymPy derivations of chapter 3 hold, are tied to the numeric code, and fail when broken."""

import numpy as np
import pytest
import sympy as sp

from lecturenn import optim as O
from lecturenn.derivations import optimizers as D
from lecturenn.parameter import Parameter


def test_is_zero_can_fail():
    x = sp.Symbol("x")
    assert D.is_zero((x + 1) ** 2 - x**2 - 2 * x - 1)
    assert not D.is_zero((x + 1) ** 2 - x**2 - 1)


def test_ema_weights_sum_and_bias_correction():
    r = D.ema_weights()
    assert r["sum_is_1_minus_gamma_k"] and r["unbiased"] and r["window"]
    assert D.is_zero(r["sum"] - (1 - D.gamma**D.k))
    # a wrong divisor is not unbiased; a wrong exponent is not the sum
    assert not D.is_zero(r["sum"] - (1 - D.gamma ** (D.k + 1)))
    mu = sp.Symbol("mu", real=True)
    assert not D.is_zero(r["sum"] * mu / (1 - D.gamma ** (D.k + 1)) - mu)


def test_ema_weights_numeric_against_the_optimizer():
    """The numeric v of Momentum after k constant gradients is (1 - gamma^k) g."""
    r = D.ema_weights()
    gamma, k = 0.8, 7
    p = Parameter(np.zeros(1))
    opt = O.Momentum([p], lr=1e-300, gamma=gamma)  # lr tiny: w stays ~0, we read v
    for _ in range(k):
        p.grad = np.array([2.5])
        opt.step()
    expected = float(r["sum"].subs({D.gamma: gamma, D.k: k})) * 2.5
    assert opt.state[0]["v"][0] == pytest.approx(expected, rel=1e-14)
    # and Adam's vhat is exactly g for a constant gradient (unbiased)
    q = Parameter(np.zeros(1))
    adam = O.Adam([q], lr=1e-300)
    for _ in range(k):
        q.grad = np.array([2.5])
        adam.step()
    vhat = adam.state[0]["v"][0] / (1 - 0.9**k)
    assert vhat == pytest.approx(2.5, rel=1e-14)


def test_scheduled_ema_weights():
    for n in (1, 3, 6):
        r = D.scheduled_ema_weights(n)
        assert r["sum_matches"], n
    r = D.scheduled_ema_weights(5)
    assert not r["constant_ema_matches"]
    assert float(r["schedule_target"]) == pytest.approx(0.98150196, abs=1e-8)
    assert float(r["constant_ema_sum_at_schedule"]) == pytest.approx(1 - 0.9**5, abs=1e-8)


def test_scheduled_ema_weights_against_nadam_state():
    """Nadam(ema="scheduled") with a constant gradient g: v_k = (1 - prod mu_i) g."""
    p = Parameter(np.zeros(1))
    opt = O.Nadam([p], lr=1e-300)
    for _ in range(6):
        p.grad = np.array([3.0])
        opt.step()
    assert opt.state[0]["v"][0] == pytest.approx((1 - opt.state[0]["mu_prod"]) * 3.0, rel=1e-13)


def test_momentum_heavy_ball():
    r = D.momentum_heavy_ball_equivalence()
    assert r["points_equal"] and r["state_maps"] and r["polyak_equal"] and r["unmapped_differs"]
    assert r["solved_lr"] == [D.eta * (1 - D.gamma)] or sp.simplify(
        r["solved_lr"][0] - D.eta * (1 - D.gamma)) == 0


def test_nesterov_reparametrization():
    r = D.nesterov_reparametrization()
    assert r["same_points"] and r["torch_same_points"] and r["torch_state_maps"]
    assert r["wrong_change_fails"]


def test_adadelta_units():
    r = D.adadelta_units()
    assert r["adadelta_has_units_of_w"]
    assert not r["sgd_has_units_of_w"]
    assert r["adam_ratio_dimensionless"]
    assert r["eps_breaks_homogeneity"]
    s_w, s_L = sp.symbols("s_w s_L", positive=True)
    assert sp.simplify(r["sgd_scale"] - s_L / s_w) == 0


def test_adadelta_units_numerically():
    """Rescale w by 10 (f(w) = h(w/10)): AdaDelta (eps -> 0) steps scale by 10."""
    def run(scale):
        p = Parameter(np.array([1.0, -2.0]) * scale)
        opt = O.AdaDelta([p], eps=1e-300)
        for _ in range(5):
            p.grad = np.sin(p.data / scale) / scale  # gradient of -cos(w/scale)
            opt.step()
        return p.data / scale

    np.testing.assert_allclose(run(10.0), run(1.0), rtol=1e-10)


def test_adadelta_first_step():
    r = D.adadelta_first_step()
    assert r["ratio_is_inv_sqrt_eps"]
    g = 2.0
    val = {sp.Symbol("g", positive=True): g, D.alpha: 0.95,
           sp.Symbol("varepsilon", positive=True): 1e-6}
    for variant in ("paper", "slide"):
        p = Parameter(np.zeros(1))
        p.grad = np.array([g])
        O.AdaDelta([p], variant=variant).step()
        assert -p.data[0] == pytest.approx(float(r[variant].subs(val)), rel=1e-12)


def test_adam_first_step():
    r = D.adam_first_step()
    assert r["step_is_eta_g_over_abs_g_plus_eps"]
    assert r["limit_eps_0"] == D.eta
    assert float(r["uncorrected_default"]) == pytest.approx(np.sqrt(10), rel=1e-5)


def test_clipping_properties():
    r = D.clipping_properties()
    assert r["norm_is_theta"] and r["same_direction"] and r["factor_positive"]
    assert r["proportional"]
    # the numeric clip agrees with the symbolic formula
    g = np.array([3.0, -4.0, 12.0])
    p = Parameter(np.zeros(3))
    p.grad = g.copy()
    O.clip_grad_norm([p], 2.0)
    gs = sp.symbols("g_1:4", real=True)
    theta = sp.Symbol("theta", positive=True)
    S = sp.Symbol("S", positive=True)
    subs = {**dict(zip(gs, g, strict=True)), theta: 2.0, S: float(g @ g)}
    np.testing.assert_allclose(p.grad, [float(c.subs(subs)) for c in r["clipped"]], rtol=1e-14)


def test_l2_weight_decay():
    r = D.l2_weight_decay()
    assert r["slide_is_l2_gradient_step"]
    assert r["adam_forms_differ"]
    wp = sp.Symbol("w_p", positive=True)
    assert sp.simplify(r["adam_difference"] - D.eta * D.lam * wp) == 0


def test_nadam_forms():
    r = D.nadam_forms()
    assert r["dozat_is_nesterov"]
    assert not r["slide_is_nesterov"]
    assert r["bias_factors_differ"]
    assert r["difference"] != 0


def test_derivation_checks_are_booleans_not_truthy_objects():
    for name in D.__all__[1:]:
        res = getattr(D, name)()
        flags = {k: v for k, v in res.items() if isinstance(v, bool)}
        assert flags, name


def test_stability_limits_symbolic_and_numeric():
    r = D.stability_limits()
    assert r["heavy_ball_is_2_1_plus_b"] and r["nesterov_is_smaller"]
    gam = 0.9
    lim = {"Momentum": float(r["heavy_ball_eta_h"].subs(D.gamma, gam)),
           "Nesterov": float(r["nesterov_eta_h"].subs(D.gamma, gam))}
    assert lim["Momentum"] == pytest.approx(38.0) and lim["Nesterov"] == pytest.approx(95 / 7)
    h = 50.0
    for name, cls in (("Momentum", O.Momentum), ("Nesterov", O.Nesterov)):
        for factor, converges in ((0.95, True), (1.05, False)):
            p = Parameter(np.array([1.0]))
            opt = cls([p], lr=factor * lim[name] / h, gamma=gam)
            for _ in range(600):
                opt.step(lambda p=p: setattr(p, "grad", h * p.data) or 0.0)
            if converges:
                assert abs(p.data[0]) < 0.1, (name, factor, p.data)
            else:
                assert abs(p.data[0]) > 10.0, (name, factor, p.data)
