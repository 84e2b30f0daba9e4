"""Unit tests of lecturenn.optim and lecturenn.testfunctions."""

import numpy as np
import pytest
import sympy as sp

from lecturenn import optim as O
from lecturenn.parameter import Parameter
from lecturenn.testfunctions import (
    BEALE,
    CLIFF,
    RAVINE,
    ROSENBROCK,
    SADDLE,
    TEST_FUNCTIONS,
    cliff,
    ravine,
    rosenbrock,
    run_optimizer,
)

# every optimizer with settings that converge on the ravine; look-ahead ones need a closure
FACTORIES = {
    "SGD": lambda p, **kw: O.SGD(p, lr=0.02, **kw),
    "Momentum": lambda p, **kw: O.Momentum(p, lr=0.1, gamma=0.9, **kw),
    "Nesterov": lambda p, **kw: O.Nesterov(p, lr=0.1, gamma=0.9, **kw),
    "NesterovReparam": lambda p, **kw: O.Nesterov(p, lr=0.1, gamma=0.9,
                                                  form="reparametrized", **kw),
    "RMSProp": lambda p, **kw: O.RMSProp(p, lr=0.05, **kw),
    "AdaDelta": lambda p, **kw: O.AdaDelta(p, **kw),
    "AdaDeltaSlide": lambda p, **kw: O.AdaDelta(p, variant="slide", **kw),
    "Adam": lambda p, **kw: O.Adam(p, lr=0.1, **kw),
    "Nadam": lambda p, **kw: O.Nadam(p, lr=0.1, **kw),
    "NadamSlide": lambda p, **kw: O.Nadam(p, lr=0.1, variant="slide", **kw),
}


def quad_closure(params, A=None):
    """Closure of f = sum_j 0.5 * ||p_j||^2 weighted; sets grads."""

    def closure():
        total = 0.0
        for j, p in enumerate(params):
            c = 1.0 + j
            p.grad = c * p.data.copy()
            total += 0.5 * c * float(np.sum(p.data**2))
        return total

    return closure


# --------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [O.SGD, O.Momentum, O.Nesterov, O.RMSProp])
@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_lr_must_be_positive(cls, lr):
    with pytest.raises(ValueError, match="lr must be > 0"):
        cls([Parameter(np.zeros(2))], lr=lr)


@pytest.mark.parametrize("cls,arg", [
    (O.Momentum, "gamma"), (O.Nesterov, "gamma"), (O.RMSProp, "alpha"),
    (O.AdaDelta, "alpha"), (O.Adam, "gamma"), (O.Adam, "alpha"),
    (O.Nadam, "gamma"), (O.Nadam, "alpha"),
])
@pytest.mark.parametrize("value", [1.0, -0.1, 1.5])
def test_decay_rates_in_unit_interval(cls, arg, value):
    with pytest.raises(ValueError, match=rf"{arg} must lie in \[0.0, 1.0\)"):
        cls([Parameter(np.zeros(2))], lr=0.1, **{arg: value})


@pytest.mark.parametrize("cls", [O.RMSProp, O.AdaDelta, O.Adam, O.Nadam])
@pytest.mark.parametrize("eps", [0.0, -1e-8])
def test_eps_must_be_positive(cls, eps):
    with pytest.raises(ValueError, match="eps must be > 0"):
        cls([Parameter(np.zeros(2))], lr=0.1, eps=eps)


@pytest.mark.parametrize("theta", [0.0, -1.0])
def test_clip_threshold_positive(theta):
    p = Parameter(np.zeros(2))
    p.grad = np.ones(2)
    with pytest.raises(ValueError, match="clip must be > 0"):
        O.Adam([p], clip=theta)
    with pytest.raises(ValueError, match="theta must be > 0"):
        O.clip_grad_norm([p], theta)


def test_other_bad_arguments():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        O.SGD([p], lr=0.1, weight_decay=-1.0)
    with pytest.raises(TypeError, match="decoupled must be a bool"):
        O.SGD([p], lr=0.1, decoupled="yes")
    with pytest.raises(TypeError, match="lr must be a real number"):
        O.SGD([p], lr="0.1")
    with pytest.raises(ValueError, match="variant must be one of"):
        O.AdaDelta([p], variant="book")
    with pytest.raises(ValueError, match="form must be one of"):
        O.Nesterov([p], lr=0.1, form="torch")
    with pytest.raises(ValueError, match="ema must be one of"):
        O.Nadam([p], ema="fixed")
    with pytest.raises(ValueError, match="schedule must be >= 0"):
        O.Nadam([p], schedule=-1.0)
    with pytest.raises(TypeError, match="bare numpy array"):
        O.SGD(np.zeros(2), lr=0.1)
    with pytest.raises(ValueError, match="params is empty"):
        O.SGD([], lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Parameter"):
        O.SGD([p, np.zeros(2)], lr=0.1)
    p.grad = np.ones(2)
    with pytest.raises(TypeError, match="closure must be callable"):
        O.SGD([p], lr=0.1).step(closure=3)


def test_missing_and_misshaped_gradient():
    p = Parameter(np.zeros(2), name="w")
    opt = O.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 0 \('w'\) has no gradient .* at step 1"):
        opt.step()
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"must have the shape of its data \(2,\), got \(3,\)"):
        opt.step()
    p.grad = [1.0, 1.0]
    with pytest.raises(TypeError, match="must be a real floating numpy.ndarray"):
        opt.step()


@pytest.mark.parametrize("name", ["Nesterov", "NadamSlide"])
def test_lookahead_methods_need_a_closure(name):
    p = Parameter(np.ones(2))
    p.grad = np.ones(2)
    opt = FACTORIES[name]([p])
    with pytest.raises(ValueError, match="needs a closure"):
        opt.step()


# --------------------------------------------------------------------- NaN / inf
@pytest.mark.parametrize("name", list(FACTORIES))
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_gradient_leaves_everything_untouched(name, bad):
    p1 = Parameter(np.array([1.0, -2.0]), name="a")
    p2 = Parameter(np.array([[0.5, 0.25], [3.0, -1.0]]), name="b")
    opt = FACTORIES[name]([p1, p2], clip=10.0)
    closure = quad_closure([p1, p2])
    for _ in range(3):
        opt.step(closure)
    before = [p1.data.copy(), p2.data.copy()]
    ids = [id(p1.data), id(p2.data)]
    state_before = opt.state_dict()
    k_before = opt.k

    def bad_closure():
        closure()
        p2.grad[1, 0] = bad  # the SECOND parameter is bad: the first must not move either
        return 0.0

    with pytest.raises(O.NonFiniteGradientError,
                       match=r"parameter 1 \('b'\) is not finite at step 4: .* index \(1, 0\)"):
        opt.step(bad_closure)
    np.testing.assert_array_equal(p1.data, before[0])
    np.testing.assert_array_equal(p2.data, before[1])
    assert [id(p1.data), id(p2.data)] == ids
    assert opt.k == k_before == 3
    after = opt.state_dict()
    for key in state_before:
        for sk, val in state_before[key].items():
            np.testing.assert_array_equal(after[key][sk], val)
    # and the error is a ValueError (the package's convention) as well
    assert issubclass(O.NonFiniteGradientError, ValueError)


def test_huge_but_finite_gradient_is_not_an_error():
    p = Parameter(np.zeros(3))
    p.grad = np.array([3e200, 4e200, 0.0])
    assert O.global_grad_norm([p]) == pytest.approx(5e200, rel=1e-14)
    norm = O.clip_grad_norm([p], 1.0)
    assert norm == pytest.approx(5e200, rel=1e-14)
    np.testing.assert_allclose(p.grad, [0.6, 0.8, 0.0], rtol=1e-14)


def test_joint_norm_when_only_some_squares_overflow():
    """||a||^2 = 1e308 is finite, ||b||^2 = 4e308 overflows: both must enter the rescaled sum,
    sqrt(1e308 + 4e308) = sqrt(5) * 1e154."""
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad, b.grad = np.array([1e154, 0.0]), np.array([2e154])
    assert O.global_grad_norm([a, b]) == pytest.approx(np.sqrt(5.0) * 1e154, rel=1e-14)
    assert O.global_grad_norm([b, a]) == pytest.approx(np.sqrt(5.0) * 1e154, rel=1e-14)
    # a normal-sized gradient next to an overflowing one: negligible, and nothing breaks
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([1e200])
    assert O.global_grad_norm([a, b]) == pytest.approx(1e200, rel=1e-14)


# --------------------------------------------------------------------- clipping
def test_clip_grad_norm_joint_direction_and_norm():
    rng = np.random.default_rng(1)
    ps = [Parameter(rng.normal(size=s)) for s in [(3,), (2, 4)]]
    for p in ps:
        p.grad = 10 * rng.normal(size=p.shape)
    g0 = np.concatenate([p.grad.ravel() for p in ps])
    norm = O.clip_grad_norm(ps, 2.0)
    g1 = np.concatenate([p.grad.ravel() for p in ps])
    assert norm == pytest.approx(np.linalg.norm(g0), rel=1e-14)
    assert np.linalg.norm(g1) == pytest.approx(2.0, rel=1e-14)
    assert g1 @ g0 / (np.linalg.norm(g1) * np.linalg.norm(g0)) == pytest.approx(1.0, rel=1e-14)
    # below the threshold nothing changes
    O.clip_grad_norm(ps, 5.0)
    np.testing.assert_array_equal(np.concatenate([p.grad.ravel() for p in ps]), g1)


@pytest.mark.parametrize("name", ["SGD", "Momentum", "RMSProp", "Adam", "AdaDelta", "Nadam"])
def test_clip_argument_equals_clipping_first(name):
    rng = np.random.default_rng(2)
    w0 = rng.normal(size=5)
    a, b = Parameter(w0.copy()), Parameter(w0.copy())
    oa = FACTORIES[name]([a], clip=0.5)
    ob = FACTORIES[name]([b])
    for _ in range(10):
        a.grad = 7 * a.data**3
        oa.step()
        b.grad = 7 * b.data**3
        O.clip_grad_norm([b], 0.5)
        ob.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_clipping_tames_the_cliff():
    fn = CLIFF
    path_free, _ = run_optimizer(fn, lambda p: O.SGD(p, lr=0.5), 40)
    path_clip, _ = run_optimizer(fn, lambda p: O.SGD(p, lr=0.5, clip=1.0), 40)
    jumps_free = np.linalg.norm(np.diff(path_free, axis=0), axis=1)
    jumps_clip = np.linalg.norm(np.diff(path_clip, axis=0), axis=1)
    assert jumps_free.max() > 5.0          # thrown far away by the cliff
    assert jumps_clip.max() <= 0.5 + 1e-12  # a step is at most lr * theta
    assert path_clip[-1, 0] > 0            # and it still got over the cliff


# --------------------------------------------------------------------- state, in place
def test_state_is_per_parameter_and_named():
    a = Parameter(np.ones(2), name="a")
    b = Parameter(np.ones(3), name="b")
    opt = O.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.array([1.0, 2.0]), np.array([-1.0, 0.0, 5.0])
    opt.step()
    assert set(opt.state[0]) >= {"v", "G", "k"} and opt.state[0]["k"] == 1
    np.testing.assert_allclose(opt.state[0]["v"], 0.1 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(opt.state[1]["G"], 0.001 * np.array([1.0, 0.0, 25.0]))
    assert opt.state_of(b) is opt.state[1]
    sd = opt.state_dict()
    assert set(sd) == {"a", "b"} and set(sd["a"]) == {"v", "G", "k"}  # no private buffers
    sd["a"]["v"][0] = 99.0
    assert opt.state[0]["v"][0] != 99.0  # a copy
    with pytest.raises(KeyError, match="not optimized"):
        opt.state_of(Parameter(np.ones(1)))
    assert set(O.AdaDelta([a]).state[0]) == {"k"}
    ad = O.AdaDelta([a])
    ad.step()
    assert {"G", "Delta", "k"} <= set(ad.state[0])


@pytest.mark.parametrize("name", list(FACTORIES))
def test_updates_in_place_and_keeps_dtype(name):
    for dtype in (np.float64, np.float32):
        p = Parameter(np.array([1.0, -2.0, 0.5], dtype=dtype))
        data_id = id(p.data)
        opt = FACTORIES[name]([p])
        closure = quad_closure([p])
        for _ in range(5):
            loss = opt.step(closure)
        assert isinstance(loss, float)
        assert id(p.data) == data_id and p.data.dtype == dtype
        for key in ("v", "G", "Delta"):
            if key in opt.state[0]:
                assert opt.state[0][key].dtype == dtype


def test_step_returns_closure_value_and_none_without():
    p = Parameter(np.array([3.0]))
    opt = O.SGD([p], lr=0.1)
    assert opt.step(quad_closure([p])) == pytest.approx(4.5)
    p.grad = np.array([1.0])
    assert opt.step() is None
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, [0.0])
    assert "SGD(n_arrays=1, lr=0.1)" == repr(opt)  # arrays, not numbers (net.n_params)


def test_lookahead_restores_w_exactly():
    p = Parameter(np.array([0.1, 0.7, -0.3]))
    opt = O.Nesterov([p], lr=0.3, gamma=0.9)
    seen = []

    def closure():
        seen.append(p.data.copy())
        p.grad = np.cos(p.data)
        return 0.0

    for _ in range(4):
        w = p.data.copy()
        v = opt.state[0].get("v", np.zeros(3)).copy()
        opt.step(closure)
        # the closure saw w - eta*gamma*v
        np.testing.assert_allclose(seen[-1], w - 0.3 * 0.9 * v, rtol=0, atol=1e-15)
        # and the update is w - eta*v_new, computed from the exact w
        v_new = 0.9 * v + 0.1 * np.cos(seen[-1])
        np.testing.assert_allclose(p.data, w - 0.3 * v_new, rtol=1e-15, atol=1e-16)

    def failing():
        raise RuntimeError("boom")

    w = p.data.copy()
    with pytest.raises(RuntimeError, match="boom"):
        opt.step(failing)
    np.testing.assert_array_equal(p.data, w)  # restored even when the closure fails


# --------------------------------------------------------------------- formulas
def test_momentum_gamma_zero_is_sgd():
    a, b = Parameter(np.array([1.0, 2.0])), Parameter(np.array([1.0, 2.0]))
    oa, ob = O.Momentum([a], lr=0.1, gamma=0.0), O.SGD([b], lr=0.1)
    for _ in range(5):
        a.grad, b.grad = np.sin(a.data), np.sin(b.data)
        oa.step()
        ob.step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-15)


def test_sgd_step_is_w_minus_lr_g_also_for_lr_one():
    """w := w - eta g; eta = 1 takes its own branch (no multiplication)."""
    for lr in (1.0, 0.5):
        p = Parameter(np.array([1.0, -2.0]))
        p.grad = np.array([0.5, 0.25])
        O.SGD([p], lr=lr).step()
        np.testing.assert_array_equal(p.data, np.array([1.0, -2.0]) - lr * np.array([0.5, 0.25]))


def test_nesterov_coupled_weight_decay_is_taken_at_the_lookahead_point():
    """Coupled decay adds lam * (the look-ahead point), the gradient of the regularized loss
    there: u = w - eta gamma v; v := gamma v + (1 - gamma)(grad L(u) + lam u); w := w - eta v."""
    lam, eta, gam = 0.5, 0.3, 0.9
    p = Parameter(np.array([1.0, -1.0]))
    opt = O.Nesterov([p], lr=eta, gamma=gam, weight_decay=lam)

    def closure():
        p.grad = np.cos(p.data)
        return 0.0

    w, v = p.data.copy(), np.zeros(2)
    for _ in range(3):
        opt.step(closure)
        u = w - eta * gam * v
        v = gam * v + (1 - gam) * (np.cos(u) + lam * u)
        w = w - eta * v
        np.testing.assert_allclose(p.data, w, rtol=1e-14)
    # the term at w instead of u gives another sequence from the second step on
    w_, v_ = np.array([1.0, -1.0]), np.zeros(2)
    for _ in range(3):
        u = w_ - eta * gam * v_
        v_ = gam * v_ + (1 - gam) * (np.cos(u) + lam * w_)
        w_ = w_ - eta * v_
    assert np.max(np.abs(w_ - w)) > 1e-4


def test_adam_first_step_is_lr_per_coordinate():
    p = Parameter(np.zeros(4))
    opt = O.Adam([p], lr=0.01)
    p.grad = np.array([1e-4, -1.0, 1e2, 1e6])
    opt.step()
    g = p.grad
    np.testing.assert_allclose(p.data, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    assert np.all(np.abs(np.abs(p.data) - 0.01) < 1e-6)


def test_adadelta_slide_variant_starts_sqrt_eps_times_slower():
    g = np.array([1.0, -3.0])
    steps = {}
    for variant in ("paper", "slide"):
        p = Parameter(np.zeros(2))
        p.grad = g.copy()
        O.AdaDelta([p], variant=variant).step()
        steps[variant] = -p.data
    ratio = steps["paper"] / steps["slide"]
    # sqrt(eps)/sqrt((1-a) g^2 + eps) vs eps/(sqrt(1-a)|g| + eps): ratio -> 1/sqrt(eps) = 1000
    eps, a = 1e-6, 0.95
    expected = (np.sqrt(eps) / np.sqrt((1 - a) * g**2 + eps)) / (
        eps / (np.sqrt(1 - a) * np.abs(g) + eps))
    np.testing.assert_allclose(ratio, expected, rtol=1e-12)
    assert np.all((ratio > 900) & (ratio < 1001))


def test_weight_decay_sgd_is_slide_formula_and_coupled_equals_decoupled():
    lam, eta = 0.3, 0.1
    w0 = np.array([1.0, -2.0, 0.5])
    g = np.array([0.2, 0.1, -0.4])
    out = {}
    for dec in (False, True):
        p = Parameter(w0.copy())
        p.grad = g.copy()
        O.SGD([p], lr=eta, weight_decay=lam, decoupled=dec).step()
        out[dec] = p.data
    slide = w0 * (1 - eta * lam) - eta * g
    np.testing.assert_allclose(out[False], slide, rtol=1e-15)
    np.testing.assert_allclose(out[True], slide, rtol=1e-15)


def test_weight_decay_coupled_is_gradient_of_l2_and_adam_forms_differ():
    lam = 0.5
    w0 = np.array([1.0, -2.0])
    # coupled: same as Adam on L + lam/2 ||w||^2 with the gradient computed by hand
    a, b = Parameter(w0.copy()), Parameter(w0.copy())
    oa = O.Adam([a], lr=0.1, weight_decay=lam)
    ob = O.Adam([b], lr=0.1)
    for _ in range(5):
        a.grad = np.sin(a.data)
        g_before = a.grad.copy()
        oa.step()
        assert np.array_equal(a.grad, g_before)  # p.grad itself is not modified
        b.grad = np.sin(b.data) + lam * b.data
        ob.step()
    np.testing.assert_allclose(a.data, b.data, rtol=1e-14)
    c = Parameter(w0.copy())
    oc = O.Adam([c], lr=0.1, weight_decay=lam, decoupled=True)
    for _ in range(5):
        c.grad = np.sin(c.data)
        oc.step()
    assert np.max(np.abs(c.data - a.data)) > 1e-3  # AdamW is a different method


def test_nadam_constant_schedule_modes_coincide():
    a, b = Parameter(np.array([1.0, -1.0])), Parameter(np.array([1.0, -1.0]))
    oa = O.Nadam([a], lr=0.05, schedule=None, ema="scheduled")
    ob = O.Nadam([b], lr=0.05, schedule=None, ema="constant")
    assert oa.mu(1) == oa.mu(100) == 0.9
    for _ in range(10):
        a.grad, b.grad = a.data**3, b.data**3
        oa.step()
        ob.step()
    np.testing.assert_array_equal(a.data, b.data)
    sched = O.Nadam([a])
    assert sched.mu(1) == pytest.approx(0.9 * (1 - 0.5 * 0.96**0.004))
    assert sched.mu(10**6) == pytest.approx(0.9, rel=1e-12)


# --------------------------------------------------------------------- convergence
@pytest.mark.parametrize("name", [n for n in FACTORIES if n != "AdaDeltaSlide"])
def test_every_optimizer_descends_the_ravine(name):
    n_steps = 1000 if name == "AdaDelta" else 300  # AdaDelta starts slowly (steps ~ sqrt(eps))
    _, losses = run_optimizer(RAVINE, FACTORIES[name], n_steps)
    assert losses[-1] < 1e-2 * losses[0], (name, losses[-1], losses[0])


def test_adadelta_slide_variant_barely_moves_with_the_papers_eps():
    _, paper = run_optimizer(RAVINE, FACTORIES["AdaDelta"], 1000)
    _, slide = run_optimizer(RAVINE, FACTORIES["AdaDeltaSlide"], 1000)
    assert slide[-1] > 0.9 * slide[0]     # eps outside the root: steps ~ eps
    assert paper[-1] < 0.01 * paper[0]


def test_adam_and_momentum_reach_rosenbrock_minimum():
    for make in (lambda p: O.Adam(p, lr=0.02), lambda p: O.Nesterov(p, lr=0.01, gamma=0.9)):
        path, losses = run_optimizer(ROSENBROCK, make, 3000)
        assert losses[-1] < 1e-4
        np.testing.assert_allclose(path[-1], ROSENBROCK.minimum, atol=2e-2)


def _saddle_times(make, y0, n_steps=400):
    """Steps until the path leaves the ridge (|y| > 0.5) and until it is near a minimum
    (f < -0.24, which also needs |x| < 0.1: from x = -1.5 that times the walk in x)."""
    path, losses = run_optimizer(SADDLE, make, n_steps, start=(-1.5, y0))
    assert np.abs(path[:, 1]).max() > 0.5 and losses.min() < -0.24
    return int(np.argmax(np.abs(path[:, 1]) > 0.5)), int(np.argmax(losses < -0.24))


def test_saddle_escape_time_sgd_grows_like_log_distance_adaptive_does_not():
    """Near the ridge y = 0 of the saddle the y-gradient is y^3 - y ~ -y: SG multiplies y by
    1 + eta per step, so it needs about ln(0.5/|y0|)/ln(1 + eta) steps to reach |y| = 0.5;
    RMSProp's steps are of order eta once |g| >> eps (and below eps one step of rate eta/eps
    gets it there: test_saddle_first_adaptive_step_has_two_regimes), so it leaves first even
    from y0 = 1e-3.
    Timing the escape by f < -0.24 instead would time RMSProp's walk in x (about eta per step
    from x = -1.5) and reverse the order: that is checked too."""
    def sgd(p):
        return O.SGD(p, lr=0.9)

    def rms(p):
        return O.RMSProp(p, lr=0.05)

    (s3, fs3), (s8, _) = _saddle_times(sgd, 1e-3), _saddle_times(sgd, 1e-8)
    (r3, fr3), (r8, fr8) = _saddle_times(rms, 1e-3), _saddle_times(rms, 1e-8)
    assert abs(s3 - np.log(0.5 / 1e-3) / np.log(1.9)) < 1, s3
    expected = np.log(1e5) / np.log(1.9)  # 10^5 times closer: ~18 more steps for SG
    assert abs((s8 - s3) - expected) < 2, (s3, s8, expected)
    assert r3 < s3  # the adaptive method leaves the ridge first, even from 1e-3
    assert abs(r8 - r3) <= 2  # and does not care how close to the ridge it starts
    # the f < -0.24 metric measures the descent in x: same for every y0, later than SG's
    assert fr3 == fr8 and fr3 > r3 + 20 and fs3 < fr3
    r12, _ = _saddle_times(rms, 1e-12)
    s12, _ = _saddle_times(sgd, 1e-12)
    assert abs(r12 - r3) <= 2 and r12 < s12


@pytest.mark.parametrize("name", ["RMSProp", "Adam"])
def test_saddle_first_adaptive_step_has_two_regimes(name):
    """The first y-step of RMSProp (alpha = 0.9) and Adam (eta = 0.05, eps = 1e-8) on the
    saddle from (-1.5, y0), where |g_y| ~ y0: about eta/sqrt(1 - alpha) = 0.16 or eta = 0.05
    only while |g| >> eps; for |g| << eps it is (eta/eps)|g| (SG with the rate 5e6), 5e-6 from
    y0 = 1e-12, so "0.16 / 0.05 however close to the ridge" is false; that step multiplies y
    by 5e6, which is why the escape time hardly depends on y0."""
    make = {"RMSProp": lambda p: O.RMSProp(p, lr=0.05),
            "Adam": lambda p: O.Adam(p, lr=0.05)}[name]
    big = {"RMSProp": 0.05 / np.sqrt(0.1), "Adam": 0.05}[name]
    steps = {}
    for y0 in (1e-3, 1e-12):
        w = SADDLE.parameter((-1.5, y0))
        opt = make([w])
        opt.step(SADDLE.closure(w))
        steps[y0] = w.data[1] - y0
    assert steps[1e-3] == pytest.approx(big, rel=1e-4)          # |g| = 1e-3 >> eps
    assert steps[1e-12] == pytest.approx(0.05 / 1e-8 * 1e-12, rel=1e-3)  # |g| << eps
    assert steps[1e-12] < 1e-4 * big


def test_works_with_a_network():
    from lecturenn.losses import SquaredError
    from lecturenn.network import Network

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1]
    for make in (lambda p: O.Adam(p, lr=0.02), lambda p: O.Nesterov(p, lr=0.1)):
        net = Network([2, 8, 1], activation="tanh", rng=0)
        opt = make(net)  # a model with parameters() is accepted
        loss = SquaredError()
        first = net.loss_and_grad(X, y, loss)
        for _ in range(200):
            last = opt.step(lambda net=net, loss=loss: net.loss_and_grad(X, y, loss))
        assert last < 0.2 * first


# --------------------------------------------------------------------- test functions
def _sympy_grad(fn_expr):
    x, y = sp.symbols("x y", real=True)
    e = fn_expr(x, y)
    f = sp.lambdify((x, y), e, "numpy")
    gx = sp.lambdify((x, y), sp.diff(e, x), "numpy")
    gy = sp.lambdify((x, y), sp.diff(e, y), "numpy")
    return f, gx, gy


SYMPY_FORMS = {
    "ravine": lambda x, y: (x**2 + 50 * y**2) / 2,
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (sp.Rational(3, 2) - x + x * y) ** 2
    + (sp.Rational(9, 4) - x + x * y**2) ** 2 + (sp.Rational(21, 8) - x + x * y**3) ** 2,
    "saddle": lambda x, y: x**2 + y**4 / 4 - y**2 / 2,
    "cliff": lambda x, y: (sp.Rational(1, 10) * (x - 3) ** 2 + y**2) / 2
    + 5 / (1 + sp.exp(20 * x)),
}


@pytest.mark.parametrize("name", list(TEST_FUNCTIONS))
def test_test_function_value_and_gradient_match_sympy(name):
    fn = TEST_FUNCTIONS[name]
    f, gx, gy = _sympy_grad(SYMPY_FORMS[name])
    rng = np.random.default_rng(3)
    pts = np.column_stack([rng.uniform(*fn.xlim, 50), rng.uniform(*fn.ylim, 50)])
    for x, y in pts:
        assert fn.value([x, y]) == pytest.approx(float(f(x, y)), rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(fn.gradient([x, y]), [gx(x, y), gy(x, y)],
                                   rtol=1e-10, atol=1e-10)
    # vectorized over a grid
    X, Y = np.meshgrid(np.linspace(*fn.xlim, 4), np.linspace(*fn.ylim, 3))
    assert fn.f(X, Y).shape == (3, 4)


def test_minima_of_test_functions():
    for fn in (RAVINE, ROSENBROCK, BEALE, SADDLE):
        np.testing.assert_allclose(fn.gradient(fn.minimum), 0.0, atol=1e-14)
    assert SADDLE.value(SADDLE.minimum) == -0.25
    np.testing.assert_array_equal(SADDLE.gradient([0.0, 0.0]), [0.0, 0.0])  # the saddle


def test_test_function_bad_input():
    with pytest.raises(ValueError, match=r"w must have shape \(2,\), got \(3,\)"):
        ROSENBROCK.value([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="condition must be > 0"):
        ravine(0)
    with pytest.raises(ValueError, match="b must be > 0"):
        rosenbrock(b=-1)
    with pytest.raises(ValueError, match="steepness must be > 0"):
        cliff(steepness=0)
    with pytest.raises(TypeError, match="param must be a Parameter"):
        RAVINE.closure(np.zeros(2))
    with pytest.raises(ValueError, match="n_steps must be >= 0, got -1"):
        run_optimizer(RAVINE, lambda p: O.SGD(p, lr=0.1), -1)
    with pytest.raises(TypeError, match="n_steps must be an int, got 2.0"):
        run_optimizer(RAVINE, lambda p: O.SGD(p, lr=0.1), 2.0)
    assert CLIFF.gradient([-50.0, 0.0])[0] == pytest.approx(0.1 * (-53.0))  # no overflow


# --------------------------------------------------------------------- load_state_dict
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_load_state_dict_resumes_exactly(name):
    """Save the state after 3 steps, go on; a fresh optimizer loaded with it goes on the same."""
    def params():
        return [Parameter(np.array([1.0, -2.0]), name="a"),
                Parameter(np.array([[0.5, 0.25], [3.0, -1.0]]), name="b")]

    ps = params()
    opt = FACTORIES[name](ps)
    closure = quad_closure(ps)
    for _ in range(3):
        opt.step(closure)
    saved_w = [p.data.copy() for p in ps]
    saved = opt.state_dict()
    for _ in range(2):
        opt.step(closure)
    qs = params()
    for q, w in zip(qs, saved_w, strict=True):
        q.data[...] = w
    fresh = FACTORIES[name](qs)
    fresh.load_state_dict(saved)
    assert fresh.k == 3
    for _ in range(2):
        fresh.step(quad_closure(qs))
    for p, q in zip(ps, qs, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    # without the state the fresh optimizer would not resume the same way
    if name not in ("SGD",):
        cold = params()
        for q, w in zip(cold, saved_w, strict=True):
            q.data[...] = w
        other = FACTORIES[name](cold)
        for _ in range(2):
            other.step(quad_closure(cold))
        assert not np.array_equal(cold[0].data, ps[0].data)


def test_load_state_dict_checks_everything_first():
    a, b = Parameter(np.ones(2), name="a"), Parameter(np.ones(3), name="b")
    opt = O.Adam([a, b], lr=0.1)
    a.grad, b.grad = np.ones(2), np.ones(3)
    opt.step()
    good = opt.state_dict()
    before = opt.state_dict()
    cases = [
        ({"a": good["a"]}, r"missing in the state: \['b'\]"),
        ({**good, "c": good["a"]}, r"not parameters of this optimizer: \['c'\]"),
        ({**good, "a": {**good["a"], "Delta": np.ones(2)}},
         r"a\['Delta'\]: not a state entry of Adam \(it has \['k', 'v', 'G'\]\)"),
        ({**good, "a": {**good["a"], "v": np.ones(3)}},
         r"a\['v'\]: shape \(3,\) and dtype float64, the parameter has \(2,\) and float64"),
        ({**good, "a": {**good["a"], "v": [1.0, 1.0]}}, r"a\['v'\]: \[1.0, 1.0\], not a numpy"),
        ({**good, "a": {**good["a"], "G": np.full(2, np.nan)}}, r"a\['G'\]: holds NaN"),
        ({**good, "a": {**good["a"], "k": -1}}, r"a\['k'\] must be >= 0, got -1"),
        ({**good, "a": {**good["a"], "k": 1.0}}, r"a\['k'\] must be an int, got 1.0"),
        ({**good, "a": {**good["a"], "k": 5}}, r"the counters 'k' differ \(\[1, 5\]\)"),
        ({**good, "a": 3}, r"a: 3 is not a dict with the counter 'k'"),
    ]
    for state, match in cases:
        with pytest.raises(ValueError, match=r"the state does not fit Adam \(nothing was "
                                             r"loaded\): .*" + match):
            opt.load_state_dict(state)
    with pytest.raises(TypeError, match="state must be a dict as state_dict"):
        opt.load_state_dict([1, 2])
    after = opt.state_dict()
    for key in before:
        for sk, val in before[key].items():
            np.testing.assert_array_equal(after[key][sk], val)
    nadam = O.Nadam([a], lr=0.1)
    with pytest.raises(ValueError, match=r"a\['mu_prod'\] must be a real number, got 'x'"):
        nadam.load_state_dict({"a": {"k": 1, "mu_prod": "x"}})
    good["a"]["v"][0] = 123.0
    opt.load_state_dict(good)
    assert opt.state[0]["v"][0] == 123.0
    good["a"]["v"][0] = 0.0
    assert opt.state[0]["v"][0] == 123.0  # copied in


def test_gradients_must_be_real_floating_arrays():
    p = Parameter(np.zeros(2), name="w")
    opt = O.SGD([p], lr=0.1)
    p.grad = np.array([1.0 + 1.0j, 0.0])  # lost its imaginary part with a ComplexWarning
    with pytest.raises(TypeError, match=r"grad of parameter 0 \('w'\) must be a real floating "
                                        r"numpy.ndarray, got array of shape \(2,\) and dtype "
                                        r"complex128"):
        opt.step()
    p.grad = np.array([3, 4])  # clipping scaled it in place: a raw UFuncTypeError
    with pytest.raises(TypeError, match=r"must be a real floating numpy.ndarray, got array of "
                                        r"shape \(2,\) and dtype int64"):
        O.clip_grad_norm([p], 1.0)
    np.testing.assert_array_equal(p.data, [0.0, 0.0])


def test_repr_counts_arrays_not_numbers():
    from lecturenn.network import Network

    net = Network([2, 3, 1], rng=0)
    assert repr(O.Adam(net, lr=0.01)) == "Adam(n_arrays=2, lr=0.01)" and net.n_params == 13


def test_test_function_checks_its_input():
    """closure on a shape-(3,) Parameter: "too many values to unpack"; names; rosenbrock(a)."""
    with pytest.raises(ValueError, match=r"param of rosenbrock must have shape \(2,\)"):
        ROSENBROCK.closure(Parameter(np.zeros(3)))
    path, losses = run_optimizer("rosenbrock", lambda p: O.Adam(p, lr=0.05), 3)
    ref, _ = run_optimizer(ROSENBROCK, lambda p: O.Adam(p, lr=0.05), 3)
    np.testing.assert_array_equal(path, ref)
    with pytest.raises(ValueError, match=r"unknown test function 'rosenbrok'; expected one of"):
        run_optimizer("rosenbrok", lambda p: O.Adam(p), 3)
    with pytest.raises(TypeError, match=r"fn must be a TestFunction or its name, got 3"):
        run_optimizer(3, lambda p: O.Adam(p), 3)
    with pytest.raises(TypeError, match=r"make_optimizer must be a callable"):
        run_optimizer(RAVINE, O.Adam([Parameter(np.zeros(2))]), 3)
    for bad, exc in (("x", TypeError), (None, TypeError), (np.nan, ValueError)):
        with pytest.raises(exc, match="a must be"):
            rosenbrock(a=bad)
    assert rosenbrock(a=2).minimum == (2.0, 4.0)
