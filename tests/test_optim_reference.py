"""Each optimizer against an independent implementation of its paper, and against torch.optim.

The references below are plain loops over the coordinates, written from the papers'
pseudo-code in the papers' own notation (not the vectorized code of lecturenn.optim twice).
The objective is a smooth non-quadratic function of 6 variables; the runs are long (300
steps) and the tolerance is float64-tight (rtol 1e-12). The adaptive methods are run with
small steps from far away, where their dynamics are not chaotic: close to a minimum
RMSProp-like methods oscillate with steps of about lr, and the last-bit differences of two
correct implementations then grow exponentially (seen: 1e-16 -> 1e-2 within 100 steps), so a
comparison there would test nothing but rounding.

Hyper-parameter mapping to torch.optim (lecturenn name -> torch name):
    SGD(lr)                      -> SGD(lr)
    Momentum(lr=eta, gamma)      -> SGD(lr=eta*(1-gamma), momentum=gamma, dampening=0)
    Nesterov(lr=eta, gamma)      -> SGD(lr=eta*(1-gamma), momentum=gamma, nesterov=True);
                                    torch's iterates are the look-ahead points w - eta*gamma*v
    RMSProp(lr, alpha, eps)      -> RMSprop(lr, alpha, eps)
    AdaDelta(lr, alpha, eps)     -> Adadelta(lr, rho=alpha, eps)     (variant="paper")
    Adam(lr, gamma, alpha, eps)  -> Adam(lr, betas=(gamma, alpha), eps)
    Adam(..., decoupled=True)    -> AdamW(...)
    Nadam(..., ema="constant", schedule=psi) -> NAdam(lr, betas, eps, momentum_decay=psi)
NAdam: torch averages m with the constant beta1 while its bias correction divides by
1 - prod(mu_i) of the schedule, so it corresponds exactly to ema="constant". The default
ema="scheduled" averages with mu_t, as Dozat's own code does (ref_nadam_dozat_code below);
which of the two the printed algorithm 2 of the paper has was not verified (the paper's
text was not available; see the docstring of lecturenn.optim.Nadam).
"""

import math

import numpy as np
import pytest
import torch

from lecturenn import optim as O
from lecturenn.parameter import Parameter

N_STEPS = 300
RTOL = 1e-12

_rng = np.random.default_rng(20260919)
_A = _rng.normal(size=(6, 6))
A = _A @ _A.T / 6 + 0.5 * np.eye(6)
B = _rng.normal(size=6)
W0 = 4.0 + _rng.normal(size=6)  # far from the minimum (near A^{-1} B, |.| < 3)


def grad_np(w):
    return A @ w - B + 0.3 * np.sin(w)


def grad_list(w):
    """The same gradient, coordinate by coordinate in pure Python (for the references)."""
    n = len(w)
    return [sum(A[r][c] * w[c] for c in range(n)) - B[r] + 0.3 * math.sin(w[r]) for r in range(n)]


def run_ours(make, n_steps=N_STEPS, closure_needed=False, start=None):
    p = Parameter((W0 if start is None else start).copy(), name="w")
    opt = make([p])
    path = []

    def closure():
        p.grad = grad_np(p.data)
        return 0.0

    for _ in range(n_steps):
        opt.step(closure)
        path.append(p.data.copy())
    return np.array(path), opt


def assert_paths(ours, ref):
    ref = np.asarray(ref)
    assert ours.shape == ref.shape
    # moved a lot relative to the tolerance: the comparison means something
    assert np.max(np.abs(ref[-1] - W0)) > 1e-2
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=1e-13)


# ------------------------------------------------------------------ paper references
def ref_sgd(eta, n_steps=N_STEPS):
    w = list(W0)
    out = []
    for _ in range(n_steps):
        g = grad_list(w)
        w = [w[j] - eta * g[j] for j in range(len(w))]
        out.append(w)
    return out


def ref_polyak_heavy_ball(a, b, n_steps=N_STEPS):
    """Polyak (1964): w_{k+1} = w_k - a grad(w_k) + b (w_k - w_{k-1}), w_{-1} = w_0."""
    w_prev, w = list(W0), list(W0)
    out = []
    for _ in range(n_steps):
        g = grad_list(w)
        w_next = [w[j] - a * g[j] + b * (w[j] - w_prev[j]) for j in range(len(w))]
        w_prev, w = w, w_next
        out.append(w)
    return out


def ref_nesterov_sutskever(mu, eps_lr, n_steps=N_STEPS):
    """Sutskever et al. (2013), eq. (3)-(4):
    v' = mu v - eps grad(theta + mu v); theta' = theta + v'."""
    th, v = list(W0), [0.0] * len(W0)
    out, look = [], []
    for _ in range(n_steps):
        g = grad_list([th[j] + mu * v[j] for j in range(len(th))])
        v = [mu * v[j] - eps_lr * g[j] for j in range(len(th))]
        th = [th[j] + v[j] for j in range(len(th))]
        out.append(th)
        look.append([th[j] + mu * v[j] for j in range(len(th))])
    return out, look


def ref_rmsprop(lr, a, eps, n_steps=N_STEPS):
    """Tieleman & Hinton (2012), lecture 6e: MeanSquare := a MeanSquare + (1-a) g^2;
    w := w - lr g / (sqrt(MeanSquare) + eps) (eps placed as on the slide)."""
    w, ms = list(W0), [0.0] * len(W0)
    out = []
    for _ in range(n_steps):
        g = grad_list(w)
        for j in range(len(w)):
            ms[j] = a * ms[j] + (1 - a) * g[j] ** 2
            w[j] = w[j] - lr * g[j] / (math.sqrt(ms[j]) + eps)
        out.append(list(w))
    return out


def ref_adadelta_zeiler(rho, eps, n_steps=N_STEPS):
    """Zeiler (2012), algorithm 1, with RMS[y] = sqrt(E[y^2] + eps)."""
    x, Eg2, Edx2 = list(W0), [0.0] * len(W0), [0.0] * len(W0)
    out = []
    for _ in range(n_steps):
        g = grad_list(x)
        for j in range(len(x)):
            Eg2[j] = rho * Eg2[j] + (1 - rho) * g[j] ** 2
            dx = -math.sqrt(Edx2[j] + eps) / math.sqrt(Eg2[j] + eps) * g[j]
            Edx2[j] = rho * Edx2[j] + (1 - rho) * dx**2
            x[j] = x[j] + dx
        out.append(list(x))
    return out


def ref_adadelta_slide(eta, a, eps, n_steps=N_STEPS):
    """The slide «Адаптивные градиенты», literally."""
    w, G, D = list(W0), [0.0] * len(W0), [0.0] * len(W0)
    out = []
    for _ in range(n_steps):
        g = grad_list(w)
        for j in range(len(w)):
            G[j] = a * G[j] + (1 - a) * g[j] * g[j]
            delta = g[j] * (math.sqrt(D[j]) + eps) / (math.sqrt(G[j]) + eps)
            D[j] = a * D[j] + (1 - a) * delta * delta
            w[j] = w[j] - eta * delta
        out.append(list(w))
    return out


def ref_adam(alpha, b1, b2, eps, n_steps=N_STEPS, weight_decay=0.0, decoupled=False):
    """Kingma & Ba (2015), algorithm 1, + L2 in the gradient (Loshchilov & Hutter's
    algorithm 2, line 6) or decoupled decay (their line 12, AdamW):
    theta_t = theta_{t-1} - eta_t (alpha mhat/(sqrt(vhat) + eps) + lam' theta_{t-1}),
    with the schedule multiplier eta_t = 1. The paper's lam' multiplies neither alpha nor
    anything else, so lecturenn's (and torch's) weight_decay=lam is lam' = alpha * lam."""
    lam_paper = alpha * weight_decay
    th, m, v = list(W0), [0.0] * len(W0), [0.0] * len(W0)
    out = []
    for t in range(1, n_steps + 1):
        g = grad_list(th)
        if weight_decay and not decoupled:
            g = [g[j] + weight_decay * th[j] for j in range(len(th))]
        for j in range(len(th)):
            m[j] = b1 * m[j] + (1 - b1) * g[j]
            v[j] = b2 * v[j] + (1 - b2) * g[j] ** 2
            mhat = m[j] / (1 - b1**t)
            vhat = v[j] / (1 - b2**t)
            decay = lam_paper * th[j] if decoupled else 0.0
            th[j] = th[j] - (alpha * mhat / (math.sqrt(vhat) + eps) + decay)
        out.append(list(th))
    return out


def ref_nadam_dozat(alpha, b1, nu, eps, psi, n_steps=N_STEPS, ema_mu=True):
    """Dozat (2016), algorithm 2, mu_t = b1 (1 - 0.96**(t psi) / 2); with ema_mu=False the
    first moment is averaged with b1 (the Keras/PyTorch reading)."""

    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * psi)) if psi is not None else b1

    th, m, n = list(W0), [0.0] * len(W0), [0.0] * len(W0)
    prod = 1.0
    out = []
    for t in range(1, n_steps + 1):
        g = grad_list(th)
        prod_t = prod * mu(t)
        prod_t1 = prod_t * mu(t + 1)
        c = mu(t) if ema_mu else b1
        for j in range(len(th)):
            ghat = g[j] / (1 - prod_t)
            m[j] = c * m[j] + (1 - c) * g[j]
            mhat = m[j] / (1 - prod_t1)
            n[j] = nu * n[j] + (1 - nu) * g[j] ** 2
            nhat = n[j] / (1 - nu**t)
            mbar = (1 - mu(t)) * ghat + mu(t + 1) * mhat
            th[j] = th[j] - alpha * mbar / (math.sqrt(nhat) + eps)
        prod = prod_t
        out.append(list(th))
    return out


def ref_nadam_dozat_code(lr, mu, ups, eps, n_steps=N_STEPS, next_momentum=True):
    """Dozat's own Nadam (repository tdozat/Optimization, tensorflow/README.md and
    nadam.py), in his notation: the bias is removed by the schedules mu_t, ups_t instead
    of by dividing, and the momentum of the next step mu_tp1 multiplies the new average.
    One substitution: his denominator is sqrt(v_t + eps); here sqrt(v_t) + eps, the
    placement of Adam's algorithm 1, so that the comparison tests the first moment and
    not the place of eps (both are the same for eps -> 0)."""
    x, m, v = list(W0), [0.0] * len(W0), [0.0] * len(W0)
    out = []
    for t in range(1, n_steps + 1):
        g = grad_list(x)
        mu_t = mu * (1 - mu ** (t - 1)) / (1 - mu**t)
        mu_tp1 = mu * (1 - mu**t) / (1 - mu ** (t + 1))
        ups_t = ups * (1 - ups ** (t - 1)) / (1 - ups**t)
        for j in range(len(x)):
            m[j] = mu_t * m[j] + (1 - mu_t) * g[j]
            m_bar = (mu_tp1 if next_momentum else mu_t) * m[j] + (1 - mu_t) * g[j]
            v[j] = ups_t * v[j] + (1 - ups_t) * g[j] ** 2
            x[j] = x[j] - lr * m_bar / (math.sqrt(v[j]) + eps)
        out.append(list(x))
    return out


def ref_nadam_slide(eta, gam, a, eps, n_steps=N_STEPS, *, one_vhat=False, adaptive=True,
                    bias=True, divide_lookahead=False, grad=grad_list, w0=W0):
    """The slide «Комбинированные градиентные методы», one gradient per step taken at
    w - eta*gamma*vhat (vhat of the previous step), v and G updated with that gradient.
    The bracket's vhat: the new one (one_vhat=False, Nadam(variant="slide")) or the same
    previous one as in the look-ahead point (one_vhat=True, variant="slide-one-vhat").
    adaptive=False replaces sqrt(Ghat) + eps by 1, bias=False the bias factors by 1;
    divide_lookahead=True divides the look-ahead step by the previous sqrt(Ghat) + eps
    (a counterfactual, not the slide). Returns the path, and the step at which a gradient
    stopped being finite (None if it never did)."""
    w, v, G = list(w0), [0.0] * len(w0), [0.0] * len(w0)
    vhat, den = [0.0] * len(w0), [1.0] * len(w0)
    out = []
    for k in range(1, n_steps + 1):
        if divide_lookahead:
            ahead = [w[j] - eta * gam * vhat[j] / den[j] for j in range(len(w))]
        else:
            ahead = [w[j] - eta * gam * vhat[j] for j in range(len(w))]
        g = grad(ahead) if all(math.isfinite(t) for t in ahead) else [math.inf]
        if not all(math.isfinite(t) for t in g):
            return out, k
        for j in range(len(w)):
            old_vhat = vhat[j]
            v[j] = gam * v[j] + (1 - gam) * g[j]
            G[j] = a * G[j] + (1 - a) * g[j] * g[j]
            vhat[j] = v[j] / (1 - gam**k) if bias else v[j]
            Ghat = G[j] / (1 - a**k) if bias else G[j]
            den[j] = math.sqrt(Ghat) + eps if adaptive else 1.0
            c_g = (1 - gam) / (1 - gam**k) if bias else 1 - gam
            m = old_vhat if one_vhat else vhat[j]
            w[j] = w[j] - eta * (gam * m + c_g * g[j]) / den[j]
        out.append(list(w))
    return out, None


def ref_nadam_slide_two_gradients(grad, w0, eta, n_steps, gam=0.9, a=0.999, eps=1e-8):
    """The slide «Комбинированные градиентные методы» read literally: "the same formulas for
    v, vhat, G, Ghat" as Adam, so v and G are updated with the gradient at w, and the
    bracket takes a second gradient at w - eta*gamma*vhat (the new vhat). Returns the
    path, and the step at which a gradient (or the point) stopped being finite, or None."""
    w, v, G = list(w0), [0.0] * len(w0), [0.0] * len(w0)
    out = []

    def finite(x):
        return all(math.isfinite(t) for t in x)

    for k in range(1, n_steps + 1):
        g = grad(w) if finite(w) else [math.inf] * len(w)
        if not finite(g):
            return out, k
        vhat, Ghat = [0.0] * len(w), [0.0] * len(w)
        for j in range(len(w)):
            v[j] = gam * v[j] + (1 - gam) * g[j]
            G[j] = a * G[j] + (1 - a) * g[j] * g[j]
            vhat[j] = v[j] / (1 - gam**k)
            Ghat[j] = G[j] / (1 - a**k)
        ahead = [w[j] - eta * gam * vhat[j] for j in range(len(w))]
        g2 = grad(ahead) if finite(ahead) else [math.inf] * len(w)
        if not finite(g2):
            return out, k
        w = [w[j] - eta * (gam * vhat[j] + (1 - gam) / (1 - gam**k) * g2[j])
             / (math.sqrt(Ghat[j]) + eps) for j in range(len(w))]
        out.append(w)
    return out, None


# ------------------------------------------------------------------ ours vs the papers
def test_sgd_reference():
    ours, _ = run_ours(lambda p: O.SGD(p, lr=0.05))
    assert_paths(ours, ref_sgd(0.05))


@pytest.mark.parametrize("gamma", [0.5, 0.9])
def test_momentum_is_polyaks_heavy_ball_with_mapped_lr(gamma):
    eta = 0.05
    ours, _ = run_ours(lambda p: O.Momentum(p, lr=eta, gamma=gamma))
    assert_paths(ours, ref_polyak_heavy_ball(a=eta * (1 - gamma), b=gamma))
    # the unmapped learning rate is a different method
    wrong = np.array(ref_polyak_heavy_ball(a=eta, b=gamma))
    assert np.max(np.abs(ours - wrong)) > 1e-3


@pytest.mark.parametrize("form", ["lookahead", "reparametrized"])
def test_nesterov_is_sutskevers_nag(form):
    eta, gamma = 0.05, 0.9
    ours, opt = run_ours(lambda p: O.Nesterov(p, lr=eta, gamma=gamma, form=form))
    theta, look = ref_nesterov_sutskever(mu=gamma, eps_lr=eta * (1 - gamma))
    # look-ahead form: p.data is theta; reparametrized: p.data is theta + mu*v (the look-ahead)
    assert_paths(ours, theta if form == "lookahead" else look)


def test_rmsprop_reference():
    ours, _ = run_ours(lambda p: O.RMSProp(p, lr=1e-3, alpha=0.9, eps=1e-8))
    assert_paths(ours, ref_rmsprop(1e-3, 0.9, 1e-8))


def test_adadelta_reference_paper_and_slide():
    ours, _ = run_ours(lambda p: O.AdaDelta(p, alpha=0.95, eps=1e-6))
    assert_paths(ours, ref_adadelta_zeiler(0.95, 1e-6))
    ours_s, _ = run_ours(lambda p: O.AdaDelta(p, lr=1.0, alpha=0.95, eps=1e-2, variant="slide"))
    assert_paths(ours_s, ref_adadelta_slide(1.0, 0.95, 1e-2))
    # the two readings are different methods
    assert np.max(np.abs(np.array(ref_adadelta_slide(1.0, 0.95, 1e-6))[-1] - ours[-1])) > 1e-2


def test_adam_reference():
    ours, _ = run_ours(lambda p: O.Adam(p, lr=1e-3))
    assert_paths(ours, ref_adam(1e-3, 0.9, 0.999, 1e-8))


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_weight_decay_reference(decoupled):
    ours, _ = run_ours(lambda p: O.Adam(p, lr=1e-3, weight_decay=0.1, decoupled=decoupled))
    assert_paths(ours, ref_adam(1e-3, 0.9, 0.999, 1e-8, weight_decay=0.1, decoupled=decoupled))
    if decoupled:  # reading the paper's lambda' as weight_decay itself is another method
        other = np.array(ref_adam(1e-3, 0.9, 0.999, 1e-8, weight_decay=0.1 / 1e-3,
                                  decoupled=True))
        assert np.max(np.abs(ours - other)) > 1e-2


@pytest.mark.parametrize("ema,psi", [("scheduled", 0.004), ("constant", 0.004),
                                     ("scheduled", None)])
def test_nadam_reference(ema, psi):
    ours, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, schedule=psi, ema=ema))
    assert_paths(ours, ref_nadam_dozat(1e-3, 0.9, 0.999, 1e-8, psi, ema_mu=(ema == "scheduled")))


@pytest.mark.parametrize("ema", ["scheduled", "constant"])
def test_nadam_constant_momentum_is_dozats_own_code(ema):
    """Without the warming schedule both readings of the running mean are Dozat's code."""
    ours, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, gamma=0.9, alpha=0.999, eps=1e-8,
                                         schedule=None, ema=ema))
    assert_paths(ours, ref_nadam_dozat_code(1e-3, 0.9, 0.999, 1e-8))
    # the check can fail: with the current momentum mu_t in m_bar instead of the next
    # step's mu_tp1 (Adam's momentum term, no Nesterov) the paths part
    wrong = np.array(ref_nadam_dozat_code(1e-3, 0.9, 0.999, 1e-8, next_momentum=False))
    assert np.max(np.abs(ours - wrong)) > 1e-4


def test_nadam_scheduled_and_constant_ema_differ():
    a, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, ema="scheduled"))
    b, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, ema="constant"))
    assert np.max(np.abs(a - b)) > 1e-4


def test_nadam_slide_reference():
    ours, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, variant="slide"))
    ref, stop = ref_nadam_slide(1e-3, 0.9, 0.999, 1e-8)
    assert stop is None
    assert_paths(ours, ref)


def test_nadam_slide_one_vhat_reference():
    """The consistent reading of the slide (one vhat: the bracket's is the look-ahead
    point's) against its loop; it is another method than the two-vhat reading."""
    ours, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, variant="slide-one-vhat"))
    ref, stop = ref_nadam_slide(1e-3, 0.9, 0.999, 1e-8, one_vhat=True)
    assert stop is None
    assert_paths(ours, ref)
    two, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, variant="slide"))
    assert np.max(np.abs(ours - two)) > 1e-5  # >> RTOL


@pytest.mark.parametrize("eta", [0.01, 0.05])
def test_nadam_slide_one_vhat_without_denominator_is_nag(eta):
    """Without sqrt(Ghat) + eps and the bias factors, the one-vhat reading of the slide's
    Nadam is exactly the slide's NAG: the same points as Nesterov(form="lookahead"),
    v := gamma v + (1-gamma) grad(w - eta gamma v), w := w - eta v. The two-vhat reading
    is not (it applies the look-ahead twice): the check can fail."""
    nag, _ = run_ours(lambda p: O.Nesterov(p, lr=eta, gamma=0.9))
    one, stop = ref_nadam_slide(eta, 0.9, 0.999, 1e-8, one_vhat=True, adaptive=False,
                                bias=False)
    assert stop is None
    assert_paths(nag, one)
    two, _ = ref_nadam_slide(eta, 0.9, 0.999, 1e-8, adaptive=False, bias=False)
    assert np.max(np.abs(np.array(two) - nag)) > 1e-3


def test_nadam_slide_fails_by_its_undivided_lookahead():
    """Both one-gradient readings of the slide (one vhat, two vhats) stall on the ravine of
    the optimizers chapter (eta = 0.1, 150 steps: 0.435 and 0.473) and overflow on
    Rosenbrock's function (eta = 0.02, from (-1.2, 1)) at step 7, the optimizer and the loop
    alike. Dividing the look-ahead step eta*gamma*vhat by sqrt(Ghat) + eps, as the step
    itself is divided, and changing nothing else, makes both converge: the undivided
    look-ahead is the cause. These are the numbers the chapter states."""
    from lecturenn.testfunctions import RAVINE, ROSENBROCK

    def grad_of(fn):
        return lambda w: [float(t) for t in fn.gradient(np.array(w))]

    ravine = {"slide-one-vhat": 0.435, "slide": 0.473}
    for variant, one in (("slide-one-vhat", True), ("slide", False)):
        w = RAVINE.parameter()
        opt = O.Nadam([w], lr=0.1, schedule=None, variant=variant)
        for _ in range(150):
            opt.step(RAVINE.closure(w))
        assert RAVINE.value(w.data) == pytest.approx(ravine[variant], rel=2e-3)
        path, stop = ref_nadam_slide(0.1, 0.9, 0.999, 1e-8, 150, one_vhat=one,
                                     grad=grad_of(RAVINE), w0=RAVINE.start)
        assert stop is None and RAVINE.value(np.array(path[-1])) == pytest.approx(
            RAVINE.value(w.data), rel=1e-9)
        w = ROSENBROCK.parameter((-1.2, 1.0))
        opt = O.Nadam([w], lr=0.02, schedule=None, variant=variant)
        with np.errstate(over="ignore", invalid="ignore"), pytest.raises(
                O.NonFiniteGradientError):
            for _ in range(1500):
                opt.step(ROSENBROCK.closure(w))
        assert opt.k + 1 == 7
        with np.errstate(over="ignore", invalid="ignore"):
            _, stop = ref_nadam_slide(0.02, 0.9, 0.999, 1e-8, 1500, one_vhat=one,
                                      grad=grad_of(ROSENBROCK), w0=(-1.2, 1.0))
        assert stop == 7
        # the counterfactual: the look-ahead divided like the step
        path, stop = ref_nadam_slide(0.1, 0.9, 0.999, 1e-8, 150, one_vhat=one,
                                     divide_lookahead=True, grad=grad_of(RAVINE),
                                     w0=RAVINE.start)
        assert stop is None and RAVINE.value(np.array(path[-1])) < 1e-4
        path, stop = ref_nadam_slide(0.02, 0.9, 0.999, 1e-8, 1500, one_vhat=one,
                                     divide_lookahead=True, grad=grad_of(ROSENBROCK),
                                     w0=(-1.2, 1.0))
        assert stop is None and ROSENBROCK.value(np.array(path[-1])) < 0.01


def test_nadam_slide_two_gradient_reading():
    """The literal reading of the slide (v, G with the gradient at w, a second gradient at
    the look-ahead point) is a third method: it differs from the one-gradient reading
    Nadam(variant="slide"); on the ravine of the optimizers chapter (eta = 0.1, 150 steps) it
    converges, on Rosenbrock's function (eta = 0.02) its gradient overflows at step 6 (the
    one-gradient reading's at step 7). These are the numbers the chapter's Nadam experiment
    states."""
    from lecturenn.testfunctions import RAVINE, ROSENBROCK

    path, stop = ref_nadam_slide_two_gradients(grad_list, W0, 1e-3, N_STEPS)
    ours, _ = run_ours(lambda p: O.Nadam(p, lr=1e-3, variant="slide"))
    assert stop is None and np.max(np.abs(np.array(path) - ours)) > 1e-5  # >> RTOL

    def grad_of(fn):
        return lambda w: [float(t) for t in fn.gradient(np.array(w))]

    path, stop = ref_nadam_slide_two_gradients(grad_of(RAVINE), RAVINE.start, 0.1, 150)
    assert stop is None
    assert RAVINE.value(np.array(path[-1])) == pytest.approx(5.32e-6, rel=1e-2)
    with np.errstate(over="ignore", invalid="ignore"):
        _, stop = ref_nadam_slide_two_gradients(grad_of(ROSENBROCK), (-1.2, 1.0), 0.02, 1500)
    assert stop == 6


# ------------------------------------------------------------------ ours vs torch.optim
@pytest.fixture
def torch64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam keeps mu_product in the default dtype
    yield
    torch.set_default_dtype(old)


def run_torch(make, n_steps=N_STEPS):
    t = torch.tensor(W0.copy(), dtype=torch.float64, requires_grad=True)
    opt = make([t])
    path = []
    for _ in range(n_steps):
        t.grad = torch.from_numpy(grad_np(t.detach().numpy().copy()))
        opt.step()
        path.append(t.detach().numpy().copy())
    return np.array(path)


ETA, GAMMA = 0.05, 0.9
TORCH_CASES = {
    "SGD": (lambda p: O.SGD(p, lr=ETA), lambda p: torch.optim.SGD(p, lr=ETA)),
    "Momentum": (lambda p: O.Momentum(p, lr=ETA, gamma=GAMMA),
                 lambda p: torch.optim.SGD(p, lr=ETA * (1 - GAMMA), momentum=GAMMA)),
    "NesterovReparam": (
        lambda p: O.Nesterov(p, lr=ETA, gamma=GAMMA, form="reparametrized"),
        lambda p: torch.optim.SGD(p, lr=ETA * (1 - GAMMA), momentum=GAMMA, nesterov=True)),
    "RMSProp": (lambda p: O.RMSProp(p, lr=1e-3, alpha=0.9, eps=1e-8),
                lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-8)),
    "AdaDelta": (lambda p: O.AdaDelta(p, lr=1.0, alpha=0.95, eps=1e-6),
                 lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6)),
    "AdaDeltaLr": (lambda p: O.AdaDelta(p, lr=0.5, alpha=0.9, eps=1e-4),
                   lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.9, eps=1e-4)),
    "Adam": (lambda p: O.Adam(p, lr=1e-3, gamma=0.9, alpha=0.999, eps=1e-8),
             lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)),
    "AdamL2": (lambda p: O.Adam(p, lr=1e-3, weight_decay=0.1),
               lambda p: torch.optim.Adam(p, lr=1e-3, weight_decay=0.1)),
    "AdamW": (lambda p: O.Adam(p, lr=1e-3, weight_decay=0.1, decoupled=True),
              lambda p: torch.optim.AdamW(p, lr=1e-3, weight_decay=0.1)),
    "NadamTorchReading": (
        lambda p: O.Nadam(p, lr=1e-3, gamma=0.9, alpha=0.999, eps=1e-8, schedule=0.004,
                          ema="constant"),
        lambda p: torch.optim.NAdam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                    momentum_decay=0.004)),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_against_torch(name, torch64):
    ours_make, torch_make = TORCH_CASES[name]
    ours, _ = run_ours(ours_make)
    theirs = run_torch(torch_make)
    assert_paths(ours, theirs)


# SGD, momentum, Nesterov, RMSProp, AdaDelta and the three Adams compute torch.optim's formula,
# written in another order (Adam here: eta*sqrt(1-alpha^k)/(1-gamma^k) times
# v/(sqrt(G) + eps*sqrt(1-alpha^k)); torch: lr/(1-beta1^t) times m/(sqrt(v)/sqrt(1-beta2^t) + eps);
# momentum here: v = gamma v + (1-gamma) g, w -= eta v;
# torch: b = gamma b + g, w -= eta(1-gamma) b).
# The two orders round alike on some CPUs and not on others: on an Intel Xeon with AVX-512, 106 of
# the 1800 AdamW values differed by one ulp (8.9e-16 at |w| < 8). So the comparison is not bit for
# bit but in ulps of the path's scale: |ours - torch| <= RTOL_ROUNDING * max|w| (atol, rtol = 0),
# about 50 ulps of max|w| (4.6 to 4.8 along these paths). Not a relative error per coordinate:
# momentum's and SGD's paths pass near 0 (|w| = 2.3e-4), where one ulp of the scale is a relative
# 4e-12, though nothing is amplified there.
# Why the tolerance holds on every machine: a last-bit difference of w is carried along, not
# amplified (test_a_last_bit_difference_is_not_amplified: 1 ulp at the start stays within
# 2e-15 * max|w|, about 10 ulps, over 300 steps; seen 1-3 ulps), and the steps are rounded far below
# an ulp of w. A change of formula moves the paths by far more (test_against_torch's wrong
# mappings, test_adadelta_reference_paper_and_slide). NAdam is left at test_against_torch's 1e-12:
# its bias factor 1 - Pi_k is a product of k scheduled factors, evaluated in another order, and
# that difference is made anew at every step (15 ulps of the scale seen after 300 steps), not once.
SAME_FORMULA = ["SGD", "Momentum", "NesterovReparam", "RMSProp", "AdaDelta", "AdaDeltaLr",
                "Adam", "AdamL2", "AdamW"]
RTOL_ROUNDING = 1e-14
CARRIED = 2e-15  # a last-bit difference carried for 300 steps: about 10 ulps of max|w|


def scale_error(a, b):
    """max |a - b| in units of the path's scale max |a| (an ulp count times 2.2e-16)."""
    return np.max(np.abs(a - b)) / np.max(np.abs(a))


@pytest.mark.parametrize("name", SAME_FORMULA)
def test_same_formula_as_torch_up_to_rounding(name, torch64):
    """Equal to torch.optim to 1e-14 of the path's scale (about 50 ulps; see RTOL_ROUNDING),
    not bit for bit: whether two evaluation orders round alike depends on the CPU."""
    ours_make, torch_make = TORCH_CASES[name]
    ours, _ = run_ours(ours_make)
    theirs = run_torch(torch_make)
    assert np.max(np.abs(ours[-1] - W0)) > 1e-2  # moved: the comparison means something
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=RTOL_ROUNDING * np.max(np.abs(ours)))


@pytest.mark.parametrize("name", SAME_FORMULA)
def test_a_last_bit_difference_is_not_amplified(name):
    """Start one ulp away (np.nextafter in every coordinate): the 300-step paths stay within
    2e-15 of the path's scale (about 10 ulps at max|w| = 4.7; seen 1-3 ulps, momentum and
    AdaDelta included), five times below RTOL_ROUNDING, so a last-bit difference made at some step
    cannot reach the tolerance of test_same_formula_as_torch_up_to_rounding. That this check
    can fail: test_a_last_bit_difference_is_amplified_by_a_chaotic_step."""
    ours_make, _ = TORCH_CASES[name]
    a, _ = run_ours(ours_make)
    b, _ = run_ours(ours_make, start=np.nextafter(W0, np.inf))
    err = scale_error(a, b)
    assert err > 0  # the perturbation is seen at all
    assert err < CARRIED


def logistic_sgd_path(w0, r=3.9, n_steps=N_STEPS):
    """SGD with eta = 1 on L(w) = (1 - r) w^2/2 + r w^3/3: w := w - L'(w) = r w (1 - w), the
    logistic map, chaotic at r = 3.9 (a step far past the stability limit of its fixed point)."""
    p = Parameter(np.array([w0]), name="w")
    opt = O.SGD([p], lr=1.0)
    path = []

    def closure():
        p.grad = (1 - r) * p.data + r * p.data**2
        return 0.0

    for _ in range(n_steps):
        opt.step(closure)
        path.append(p.data.copy())
    return np.array(path)


def test_a_last_bit_difference_is_amplified_by_a_chaotic_step():
    """The check above can fail: where the iteration is chaotic, one ulp at the start grows by
    about e^0.5 per step (the logistic map's Lyapunov exponent at r = 3.9) and reaches the
    scale of the path itself; then no tolerance short of the path's size could compare two
    implementations, and none is claimed."""
    a = logistic_sgd_path(0.3)
    b = logistic_sgd_path(np.nextafter(0.3, 1.0))
    assert np.max(np.abs(a)) < 1  # bounded: the difference is not a divergence of both paths
    assert scale_error(a[:5], b[:5]) < CARRIED  # at first it is carried ...
    assert scale_error(a, b) > 0.1  # ... then amplified to the path's own size


def test_torch_nesterov_iterates_are_our_lookahead_points(torch64):
    ours_w, _ = run_ours(lambda p: O.Nesterov(p, lr=ETA, gamma=GAMMA))
    # reconstruct the look-ahead points of the look-ahead form step by step
    p = Parameter(W0.copy())
    opt = O.Nesterov([p], lr=ETA, gamma=GAMMA)
    look = []
    for _ in range(N_STEPS):
        opt.step(lambda: setattr(p, "grad", grad_np(p.data)) or 0.0)
        look.append(p.data - ETA * GAMMA * opt.state[0]["v"])
    np.testing.assert_array_equal(np.array(ours_w)[-1], p.data)
    theirs = run_torch(lambda q: torch.optim.SGD(q, lr=ETA * (1 - GAMMA), momentum=GAMMA,
                                                 nesterov=True))
    assert_paths(np.array(look), theirs)


def test_torch_dampening_mapping_is_not_exact_at_the_first_step(torch64):
    """SGD(lr=eta, momentum=gamma, dampening=gamma) looks like the slide's average, but torch
    starts its buffer at g (not (1-gamma) g), so the first step is 1/(1-gamma) too long."""
    ours, _ = run_ours(lambda p: O.Momentum(p, lr=ETA, gamma=GAMMA), n_steps=1)
    theirs = run_torch(lambda q: torch.optim.SGD(q, lr=ETA, momentum=GAMMA, dampening=GAMMA),
                       n_steps=1)
    np.testing.assert_allclose(theirs[0] - W0, (ours[0] - W0) / (1 - GAMMA), rtol=1e-12)


def test_clip_grad_norm_matches_torch(torch64):
    rng = np.random.default_rng(5)
    grads = [rng.normal(size=(3, 4)) * 10, rng.normal(size=5)]
    ps = [Parameter(np.zeros_like(g)) for g in grads]
    ts = [torch.zeros(g.shape, requires_grad=True) for g in grads]
    for p, t, g in zip(ps, ts, grads, strict=True):
        p.grad = g.copy()
        t.grad = torch.from_numpy(g.copy())
    n_ours = O.clip_grad_norm(ps, 3.0)
    n_torch = torch.nn.utils.clip_grad_norm_(ts, 3.0)
    assert n_ours == pytest.approx(float(n_torch), rel=1e-14)
    for p, t in zip(ps, ts, strict=True):
        # torch multiplies by theta / (norm + 1e-6); the difference is that 1e-6
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-6)
