"""The optimizers chapter: its SymPy derivations hold, match the numeric code, fail when broken."""

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
    g_bar = sp.Symbol("gbar", real=True)
    assert not D.is_zero(r["sum"] * g_bar / (1 - D.gamma ** (D.k + 1)) - g_bar)


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
    assert r["zero_start_never_moves"] and r["first_step_ignores_units"]
    s_w, s_L = sp.symbols("s_w s_L", positive=True)
    assert sp.simplify(r["sgd_scale"] - s_L / s_w) == 0
    assert r["first_step_scale"] == 1 and not D.is_zero(r["first_step_scale"] - s_w)
    g = sp.Symbol("g", positive=True)
    eps = sp.Symbol("varepsilon", positive=True)
    assert D.is_zero(sp.limit(r["first_step"], g, sp.oo) - sp.sqrt(eps) / sp.sqrt(1 - D.alpha))


def _adadelta_rescaled_path(s, make, seed_state=True, n=20):
    """w -> s w with the loss unchanged (s_L = 1): f(w) = -cos(w/s), so g scales by 1/s.

    The state is seeded as it scales (G by 1/s^2, Delta by s^2); returns the path in the
    original units, w/s.
    """
    p = Parameter(np.array([1.0, -2.0]) * s)
    opt = make([p])
    if seed_state:
        opt.state[0]["G"] = np.array([0.3, 0.5]) / s**2
        opt.state[0]["Delta"] = np.array([1e-2, 4e-2]) * s**2
    path = []
    for _ in range(n):
        p.grad = np.sin(p.data / s) / s
        opt.step()
        path.append(p.data / s)
    return np.array(path)


def test_adadelta_units_numerically():
    """With eps -> 0 and a Delta that already has the units of w^2, the AdaDelta step scales
    like w: the rescaled paths coincide. SGD's step scales by s_L/s_w = 1/s and fails."""
    def ada(params):
        return O.AdaDelta(params, eps=1e-300)

    a = _adadelta_rescaled_path(1.0, ada)
    b = _adadelta_rescaled_path(10.0, ada)
    assert np.max(np.abs(a[-1] - a[0])) > 0.5  # it moved: the comparison means something
    np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)

    # the check can fail: plain SGD in the same experiment
    def sgd(params):
        return O.SGD(params, lr=0.1)

    sa = _adadelta_rescaled_path(1.0, sgd, seed_state=False)
    sb = _adadelta_rescaled_path(10.0, sgd, seed_state=False)
    assert np.max(np.abs(sa - sb)) > 0.1


def test_adadelta_is_not_unit_free_from_its_real_start():
    """From Delta = 0 with eps -> 0 AdaDelta never moves; with the paper's eps the first step
    is about sqrt(eps/(1-alpha)) in any units, so the rescaled paths part."""
    never = _adadelta_rescaled_path(1.0, lambda q: O.AdaDelta(q, eps=1e-300), seed_state=False)
    np.testing.assert_array_equal(never, np.tile([1.0, -2.0], (len(never), 1)))
    p = Parameter(np.array([1.0, -2.0]) * 1e3)
    p.grad = np.array([1e3, -1e3])
    O.AdaDelta([p]).step()  # eps = 1e-6, alpha = 0.95
    np.testing.assert_allclose(np.abs(p.data - np.array([1.0, -2.0]) * 1e3),
                               np.sqrt(1e-6 / 0.05), rtol=1e-6)
    a = _adadelta_rescaled_path(1.0, lambda q: O.AdaDelta(q), seed_state=False)
    b = _adadelta_rescaled_path(10.0, lambda q: O.AdaDelta(q), seed_state=False)
    assert np.max(np.abs(a - b)) > 1e-2


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
    assert r["norm_is_theta"] and r["same_direction"]
    assert r["wrong_factor_fails"]  # theta/|g|^2 instead of theta/|g|: the norm check fails
    # c g with c = theta/|g| > 0 is the definition, not a check: no such flag is returned
    assert "proportional" not in r and "factor_positive" not in r
    # the numeric clip agrees with the symbolic formula (the real check of the definition)
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
    assert not r["momentum_is_nesterov"]  # plain momentum is not NAG: the check can fail
    assert r["bias_factors_differ"]
    assert r["difference"] != 0
    # a broken Dozat (the momentum term with the old average v instead of v') fails too
    w, v = sp.symbols("w v", real=True)
    h = sp.Symbol("h", positive=True)
    g = h * w
    broken = w - D.eta * (D.gamma * v + (1 - D.gamma) * g)
    assert not D.is_zero(broken - r["nesterov"])


def test_nadam_forms_one_vhat_reading_is_nag():
    """Read with one vhat, the slide's Nadam without the denominator and the bias factors is
    the slide's NAG for any loss; the two-vhat reading is not. Numerically against the
    optimizer: one step of Nesterov(form="lookahead") from (w, v) on a non-quadratic loss
    lands on r["slide_one_vhat"] (tests/test_optim_reference.py runs 300 steps)."""
    r = D.nadam_forms()
    assert r["slide_one_vhat_is_nag"] and not r["slide_two_vhat_is_nag"]
    # the reduction matters: with the denominator sqrt(Ghat) + eps kept it is not NAG
    assert not r["slide_one_vhat_with_denominator_is_nag"]
    assert r["slide_one_vhat_general"].has(sp.Symbol("Ghat", positive=True))
    w0, v0, eta, gam = 0.7, -0.3, 0.1, 0.9
    p = Parameter(np.array([w0]))
    opt = O.Nesterov([p], lr=eta, gamma=gam)
    opt.state[0]["v"] = np.array([v0])
    opt.step(lambda: setattr(p, "grad", np.sin(p.data) + p.data**3) or 0.0)
    w, v = sp.symbols("w v", real=True)
    gL = sp.Function("gL")
    x = sp.Symbol("x")
    expr = r["slide_one_vhat"].replace(gL, sp.Lambda(x, sp.sin(x) + x**3))
    assert p.data[0] == pytest.approx(float(expr.subs({w: w0, v: v0, D.eta: eta, D.gamma: gam})),
                                      rel=1e-14)


def test_nadam_lookahead_units():
    """In Adam eta carries the units of w, so the slide's look-ahead step eta*gamma*vhat has
    the units of the loss: not those of the gradient (the chapter said so once), not those
    of w. Numerically: Adam's path in units scaled by s_w = 10, s_L = 1000 with lr scaled by
    s_w is the scaled path, and the look-ahead step then scales by s_L."""
    u = D.nadam_lookahead_units()
    assert u["eta_has_units_of_w"] and u["lookahead_has_units_of_loss"]
    assert not u["lookahead_has_units_of_gradient"] and not u["lookahead_has_units_of_w"]
    assert u["divided_lookahead_has_units_of_w"]
    s_w, s_L = 10.0, 1000.0
    runs = []
    for sw, sl in ((1.0, 1.0), (s_w, s_L)):
        p = Parameter(np.array([1.5, -0.5]) * sw)
        # L(w) = sl * sum(cosh(w / sw)): the same loss in other units
        opt = O.Adam([p], lr=0.05 * sw, eps=1e-300)
        for _ in range(20):
            opt.step(lambda p=p, sw=sw, sl=sl: setattr(p, "grad", sl / sw * np.sinh(p.data / sw))
                     or 0.0)
        vhat = opt.state[0]["v"] / (1 - 0.9**20)
        runs.append((p.data.copy(), 0.05 * sw * 0.9 * vhat))
    np.testing.assert_allclose(runs[1][0], s_w * runs[0][0], rtol=1e-12)
    np.testing.assert_allclose(runs[1][1], s_L * runs[0][1], rtol=1e-12)


def test_nadam_forms_difference_closed_form():
    """Both forms are w - eta gamma^2 v - eta (1 - gamma^2) h p for the gradient point p
    (p = w for Dozat, p = w - eta gamma v for the slide), so slide - Dozat is
    eta^2 gamma (1 - gamma^2) h v: zero only for v = 0 (or gamma = 0)."""
    r = D.nadam_forms()
    w, v = sp.symbols("w v", real=True)
    h = sp.Symbol("h", positive=True)
    eta, g = D.eta, D.gamma

    def by_hand(p):
        return w - eta * g**2 * v - eta * (1 - g**2) * h * p

    assert D.is_zero(r["dozat"] - by_hand(w))
    assert D.is_zero(r["slide"] - by_hand(w - eta * g * v))
    assert D.is_zero(r["difference"] - eta**2 * g * (1 - g**2) * h * v)
    # a look-ahead without gamma (w - eta v) would give eta^2 (1 - gamma^2) h v instead
    assert not D.is_zero(r["difference"] - eta**2 * (1 - g**2) * h * v)


def test_nadam_forms_nesterov_is_the_optimizers_nag():
    """The symbolic NAG of nadam_forms is what Nesterov(form="lookahead") does: start the
    optimizer at theta = w + eta*gamma*v with velocity v, step once on h/2 w^2, and its
    next look-ahead point theta' - eta*gamma*v' is r["nesterov"]."""
    r = D.nadam_forms()
    w0, v0, h, eta, gam = 0.7, -0.3, 2.0, 0.1, 0.9
    p = Parameter(np.array([w0 + eta * gam * v0]))
    opt = O.Nesterov([p], lr=eta, gamma=gam)
    opt.state[0]["v"] = np.array([v0])
    opt.step(lambda: setattr(p, "grad", h * p.data) or 0.0)
    look = p.data[0] - eta * gam * opt.state[0]["v"][0]
    w, v = sp.symbols("w v", real=True)
    subs = {w: w0, v: v0, sp.Symbol("h", positive=True): h, D.eta: eta, D.gamma: gam}
    assert look == pytest.approx(float(r["nesterov"].subs(subs)), rel=1e-14)
    assert look == pytest.approx(float(r["dozat"].subs(subs)), rel=1e-14)
    assert abs(look - float(r["slide"].subs(subs))) > 1e-4


def test_derivation_checks_are_booleans_not_truthy_objects():
    for name in D.__all__[1:]:
        res = getattr(D, name)()
        flags = {k: v for k, v in res.items() if isinstance(v, bool)}
        assert flags, name


def test_stability_limits_symbolic_and_numeric():
    r = D.stability_limits()
    # SG's limit is solved from |1 - eta h| < 1, not written down: the set is (0, 2)
    assert r["sgd_is_open_0_2"] and r["sgd_eta_h"] == 2 and r["heavy_ball_at_0_is_sgd"]
    for eta_h, converges in ((1.99, True), (2.01, False)):
        p = Parameter(np.array([1.0]))
        opt = O.SGD([p], lr=eta_h / 50.0)
        for _ in range(2000):
            opt.step(lambda p=p: setattr(p, "grad", 50.0 * p.data) or 0.0)
        assert (abs(p.data[0]) < 1e-3) == converges
    assert r["heavy_ball_is_2_1_plus_b"] and r["nesterov_is_2_2b_over_1_2b"]
    assert r["no_root_at_plus_1"] and r["product_not_binding"]
    assert r["nesterov_is_smaller"] and r["equal_at_gamma_0"]
    assert D.is_zero(r["limit_gap_ah"] - 4 * D.gamma * (1 + D.gamma) / (1 + 2 * D.gamma))
    assert D.is_zero(r["product_margin"] - (1 + D.gamma) / (D.gamma * (1 + 2 * D.gamma)))
    # the Schur-Cohn limit against the roots themselves, for several gamma
    for gam in (0.3, 0.9, 0.99):
        for name, poly in (("heavy_ball_ah", lambda x, b=gam: [1, -(1 + b - x), b]),
                           ("nesterov_ah", lambda x, b=gam: [1, -(1 - x) * (1 + b), (1 - x) * b])):
            lim = float(r[name].subs(D.gamma, gam))
            assert max(abs(np.roots(poly(0.999 * lim)))) < 1 < max(abs(np.roots(poly(1.001 * lim))))
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
