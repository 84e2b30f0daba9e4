r"""Derivations of the optimizers chapter (momentum, adaptive steps, gradient clipping), in SymPy.

Every function returns a dict of SymPy expressions together with Boolean checks that the
tests assert and the notebook ``book/optimizers.ipynb`` displays. A check is
``True`` only if SymPy reduced the claimed identity to zero.

* :func:`ema_weights`: the weights :math:`(1-\gamma)\gamma^{k-i}` of the moving average
  sum to :math:`1-\gamma^k`, the divisor of Adam's bias correction; so :math:`\hat v` is
  unbiased for a stationary gradient.
* :func:`scheduled_ema_weights`: the same with a varying momentum :math:`\gamma_i`
  (Nadam's schedule): the weights sum to :math:`1-\prod_i\gamma_i`.
* :func:`momentum_heavy_ball_equivalence`: the slide's averaged momentum and Polyak's
  heavy ball (PyTorch's form) produce the same points when the learning rate is mapped
  :math:`\eta_{\text{hb}} = \eta(1-\gamma)`.
* :func:`nesterov_reparametrization`: the look-ahead form of the slide and the
  reparametrized form (PyTorch's ``nesterov=True``) are one method under the change of
  variables :math:`u = w - \eta\gamma v`.
* :func:`adadelta_units`: under a change of the units of :math:`w` and of the loss, the
  AdaDelta step with :math:`\varepsilon = 0` scales like :math:`w`, the SGD step does
  not; but from :math:`\Delta = 0` that step is exactly 0, and with :math:`\varepsilon > 0`
  the first step, :math:`\approx\sqrt{\varepsilon/(1-\alpha)}`, ignores the units.
* :func:`adadelta_first_step`: the first step of the paper's and of the slide's AdaDelta.
* :func:`adam_first_step`: Adam's first step is :math:`\eta\, g/(|g|+\varepsilon)`.
* :func:`clipping_properties`: clipping keeps the direction and bounds the norm by
  :math:`\theta`.
* :func:`l2_weight_decay`: the slide's :math:`w(1-\eta\lambda) - \eta\nabla\mathcal{L}`
  is the gradient step on :math:`\mathcal{L} + \frac{\lambda}{2}\|w\|^2`; for Adam the
  coupled and decoupled forms differ.
* :func:`nadam_forms`: Dozat's Nadam without the adaptive denominator is Nesterov's
  method (derived from its look-ahead form); the slide's Nadam read with two
  :math:`\hat v`'s is not, read with one it is the slide's NAG itself.
* :func:`nadam_lookahead_units`: the slide's Nadam look-ahead step :math:`\eta\gamma\hat v`
  has the units of the loss (Adam's :math:`\eta` has those of :math:`w`), not those of
  :math:`w`.
* :func:`stability_limits`: the largest stable step on a quadratic for SGD, the heavy ball
  and Nesterov's method, by the Schur-Cohn conditions.
"""

from __future__ import annotations

import sympy as sp

from lecturenn._validation import check_int

__all__ = [
    "is_zero",
    "ema_weights",
    "scheduled_ema_weights",
    "momentum_heavy_ball_equivalence",
    "nesterov_reparametrization",
    "adadelta_units",
    "adadelta_first_step",
    "adam_first_step",
    "clipping_properties",
    "l2_weight_decay",
    "nadam_forms",
    "nadam_lookahead_units",
    "stability_limits",
]

gamma, alpha, eta, lam = sp.symbols("gamma alpha eta lambda", positive=True)
k, i = sp.symbols("k i", integer=True, positive=True)


def is_zero(expr) -> bool:
    """True iff SymPy simplifies ``expr`` to exactly zero."""
    return sp.simplify(sp.expand(expr)) == 0


def ema_weights(ema_coefficient=gamma) -> dict:
    r"""The weights of :math:`v_k = \sum_{i=1}^k (1-\gamma)\gamma^{k-i} g_i` (from :math:`v_0 = 0`).

    Returns
    -------
    dict
        ``"weight"``: :math:`(1-\gamma)\gamma^{k-i}`; ``"sum"``: the closed form of
        :math:`\sum_{i=1}^k` of it; ``"sum_is_1_minus_gamma_k"``: the check
        ``sum == 1 - gamma**k``; ``"unbiased"``: with a stationary mean
        :math:`\mathbb{E} g_i = \bar g`, :math:`\mathbb{E}\hat v_k = \mathbb{E} v_k/(1-\gamma^k)
        = \bar g`; ``"window"``: the mean age :math:`\sum_j j(1-\gamma)\gamma^j` of the
        weights in the infinite average, equal to :math:`\gamma/(1-\gamma)`, so the
        average reaches back :math:`\approx 1/(1-\gamma)` iterations.
    """
    g = ema_coefficient
    weight = (1 - g) * g ** (k - i)
    total = sp.simplify(sp.summation(weight, (i, 1, k)))
    g_bar = sp.Symbol("gbar", real=True)  # the common mean E g_i
    expected_vhat = sp.simplify(total * g_bar / (1 - g**k))
    # mean age of the infinite average: sum_j j (1-g) g^j = (1-g) g d/dg sum_j g^j,
    # with the geometric series sum_j g^j = 1/(1-g) for 0 < g < 1
    geometric = 1 / (1 - g)
    mean_age = sp.simplify((1 - g) * g * sp.diff(geometric, g))
    return {
        "weight": weight,
        "sum": total,
        "sum_is_1_minus_gamma_k": is_zero(total - (1 - g**k)),
        "expected_vhat": expected_vhat,
        "unbiased": is_zero(expected_vhat - g_bar),
        "mean_age": mean_age,
        "window": is_zero(mean_age - g / (1 - g)),
    }


def scheduled_ema_weights(n: int = 5) -> dict:
    r"""With a momentum :math:`\gamma_i` varying per step, the weights of the average
    :math:`v_n = \sum_{i=1}^n (1-\gamma_i)\prod_{j=i+1}^n\gamma_j\, g_i` sum to
    :math:`1 - \prod_{i=1}^n \gamma_i` (a telescoping sum): the factor Dozat's Nadam
    divides by, *if* the average uses :math:`\gamma_i` as its coefficient.

    Also returns the sum of the weights when the average uses the constant :math:`\gamma`
    (as Keras and PyTorch do) while the correction divides by :math:`1-\prod\gamma_i`
    with Dozat's schedule (:math:`\gamma = 0.9`, :math:`\psi = 0.004`): the two numbers
    differ (``"constant_ema_matches"`` is False), so that correction is not exact.
    """
    n = check_int("n (the number of steps)", n, minimum=1)
    mus = sp.symbols(f"gamma_1:{n + 1}", positive=True)
    weights = [(1 - mus[a]) * sp.prod(mus[a + 1:]) for a in range(n)]
    total = sp.expand(sum(weights))
    target = 1 - sp.prod(mus)
    const_total = sp.expand(sum((1 - gamma) * gamma ** (n - 1 - a) for a in range(n)))
    # Dozat's schedule gamma_i = gamma (1 - 0.96**(i psi) / 2), exact rationals
    g0, psi = sp.Rational(9, 10), sp.Rational(4, 1000)
    schedule = {m: g0 * (1 - sp.Rational(96, 100) ** ((a + 1) * psi) / 2)
                for a, m in enumerate(mus)}
    return {
        "weights": weights,
        "sum": total,
        "target": target,
        "sum_matches": is_zero(total - target),
        "constant_ema_sum": sp.factor(const_total),
        "schedule_target": sp.N(target.subs(schedule), 8),
        "constant_ema_sum_at_schedule": sp.N(const_total.subs(gamma, g0), 8),
        "constant_ema_matches": is_zero(const_total.subs(gamma, g0) - target.subs(schedule)),
    }


def momentum_heavy_ball_equivalence() -> dict:
    r"""One step of the slide's momentum and of the heavy ball from corresponding states.

    Slide: :math:`v' = \gamma v + (1-\gamma)g`, :math:`w' = w - \eta v'`. Heavy ball
    (PyTorch ``SGD(momentum=gamma)``): :math:`z' = \gamma z + \eta_{\text{hb}} g`,
    :math:`w'' = w - z'`. Polyak (1964): :math:`w_{k+1} = w_k - a g_k + b (w_k -
    w_{k-1})`. With :math:`z = \eta v`, :math:`\eta_{\text{hb}} = \eta(1-\gamma)`,
    :math:`a = \eta_{\text{hb}}`, :math:`b = \gamma` and :math:`w_k - w_{k-1} = -\eta v`,
    the three new points coincide and :math:`z' = \eta v'` again, so by induction the
    sequences coincide (both start from :math:`v_0 = z_0 = 0`).
    """
    w, v, g = sp.symbols("w v g", real=True)
    eta_hb = sp.Symbol("eta_hb", positive=True)
    v1 = gamma * v + (1 - gamma) * g
    w_slide = w - eta * v1
    z = eta * v  # the heavy ball's velocity
    z1 = gamma * z + eta_hb * g
    w_hb = w - z1
    w_polyak = w - sp.Symbol("a") * g + sp.Symbol("b") * (-eta * v)
    mapping = {eta_hb: eta * (1 - gamma)}
    solved = sp.solve(sp.expand(w_slide - w_hb), eta_hb)
    return {
        "w_slide": w_slide,
        "w_heavy_ball": w_hb,
        "lr_mapping": sp.Eq(eta_hb, eta * (1 - gamma)),
        "solved_lr": solved,
        "points_equal": is_zero((w_slide - w_hb).subs(mapping)),
        "state_maps": is_zero((z1 - eta * v1).subs(mapping)),
        "polyak_equal": is_zero(
            w_polyak.subs({sp.Symbol("a"): eta * (1 - gamma), sp.Symbol("b"): gamma})
            - w_slide),
        "unmapped_differs": not is_zero((w_slide - w_hb).subs(eta_hb, eta)),
    }


def nesterov_reparametrization() -> dict:
    r"""The look-ahead form and the reparametrized form of NAG are the same method.

    Slide (look-ahead): :math:`g = \nabla\mathcal{L}(w - \eta\gamma v)`,
    :math:`v' = \gamma v + (1-\gamma) g`, :math:`w' = w - \eta v'`.
    Put :math:`u = w - \eta\gamma v` (the point where the gradient is taken). Then
    :math:`g = \nabla\mathcal{L}(u)` and

    .. math::

        u' = w' - \eta\gamma v' = u - \eta\bigl(\gamma v' + (1-\gamma) g\bigr),

    an update that needs the gradient only at the current :math:`u`. PyTorch's
    ``SGD(nesterov=True, lr=eta_t, momentum=gamma)`` is :math:`b' = \gamma b + g`,
    :math:`u' = u - \eta_t(g + \gamma b')`; with :math:`b = v/(1-\gamma)` and
    :math:`\eta_t = \eta(1-\gamma)` it is the same step.
    """
    w, v, g = sp.symbols("w v g", real=True)
    v1 = gamma * v + (1 - gamma) * g
    w1 = w - eta * v1
    u = w - eta * gamma * v
    u1_from_lookahead = w1 - eta * gamma * v1
    u1_reparam = u - eta * (gamma * v1 + (1 - gamma) * g)
    # PyTorch
    eta_t = eta * (1 - gamma)
    b = v / (1 - gamma)
    b1 = gamma * b + g
    u1_torch = u - eta_t * (g + gamma * b1)
    return {
        "u": u,
        "u_next": sp.simplify(u1_reparam),
        "same_points": is_zero(u1_from_lookahead - u1_reparam),
        "torch_same_points": is_zero(u1_torch - u1_reparam),
        "torch_state_maps": is_zero(b1 - v1 / (1 - gamma)),
        "inverse": sp.Eq(sp.Symbol("w"), u + eta * gamma * v),
        # a wrong change of variables (look-ahead without the factor gamma) fails
        "wrong_change_fails": not is_zero(
            (w1 - eta * v1) - ((w - eta * v) - eta * (gamma * v1 + (1 - gamma) * g))),
    }


def adadelta_units() -> dict:
    r"""Units (scale) analysis of AdaDelta, Zeiler (2012), section 3.2, and where it stops.

    Change the units: :math:`w \to s_w w`, the loss :math:`\to s_L\,\mathcal{L}`. Then the
    gradient scales by :math:`s_L/s_w`, :math:`G` by :math:`(s_L/s_w)^2`, and *if*
    :math:`\Delta` (a mean of squared steps) already scales by :math:`s_w^2`, the step with
    :math:`\varepsilon = 0` scales by :math:`s_w`, like :math:`w`. SGD's step scales by
    :math:`s_L/s_w`, Adam's ratio :math:`\hat v/\sqrt{\hat G}` by 1.

    The premise is the catch. AdaDelta starts from :math:`\Delta = 0`, and with
    :math:`\varepsilon = 0` its step is then exactly 0 forever (``"zero_start_never_moves"``).
    With :math:`\varepsilon > 0` the first step (from :math:`G = \Delta = 0`) tends to
    :math:`\sqrt{\varepsilon/(1-\alpha)}` for a large gradient *whatever the units*: it
    scales by 1, not by :math:`s_w` (``"first_step_scale"``), so :math:`\varepsilon` sets
    the scale of the steps and the cancellation of the units is a heuristic.

    Returns
    -------
    dict
        ``"adadelta_scale"``, ``"sgd_scale"``, ``"adam_scale"``: the factors by which the
        steps scale (AdaDelta with :math:`\varepsilon = 0` and a scaled :math:`\Delta`);
        ``"adadelta_eps_scale"``: the same with :math:`\varepsilon`; ``"first_step"``,
        ``"first_step_scale"``: the first step from zero state and its scale factor in the
        limit of a large gradient; Boolean checks ``"adadelta_has_units_of_w"``,
        ``"sgd_has_units_of_w"``, ``"adam_ratio_dimensionless"``,
        ``"eps_breaks_homogeneity"``, ``"zero_start_never_moves"``,
        ``"first_step_ignores_units"``.
    """
    s_w, s_L = sp.symbols("s_w s_L", positive=True)
    g = sp.Symbol("g", positive=True)
    G, D, eps = sp.symbols("G Delta varepsilon", positive=True)

    def adadelta(g_, G_, D_, e):
        return g_ * sp.sqrt(D_ + e) / sp.sqrt(G_ + e)

    scaled = {"g": g * s_L / s_w, "G": G * (s_L / s_w) ** 2, "D": D * s_w**2}
    ada = sp.simplify(adadelta(scaled["g"], scaled["G"], scaled["D"], 0) / adadelta(g, G, D, 0))
    sgd = sp.simplify((eta * scaled["g"]) / (eta * g))
    adam = sp.simplify((scaled["g"] / sp.sqrt(scaled["G"])) / (g / sp.sqrt(G)))
    ada_eps = sp.simplify(
        adadelta(scaled["g"], scaled["G"], scaled["D"], eps) / adadelta(g, G, D, eps))

    # the first step from G = Delta = 0: G_1 = (1 - alpha) g^2, Delta_0 = 0
    def first(g_, e):
        return adadelta(g_, (1 - alpha) * g_**2, 0, e)

    first_step = first(g, eps)
    first_scale = sp.simplify(sp.limit(first(scaled["g"], eps) / first_step, g, sp.oo))
    return {
        "adadelta_scale": ada,
        "sgd_scale": sgd,
        "adam_scale": adam,
        "adadelta_eps_scale": ada_eps,
        "first_step": first_step,
        "first_step_scale": first_scale,
        "adadelta_has_units_of_w": is_zero(ada - s_w),
        "sgd_has_units_of_w": is_zero(sgd - s_w),
        "adam_ratio_dimensionless": is_zero(adam - 1),
        "eps_breaks_homogeneity": not is_zero(ada_eps - s_w),
        "zero_start_never_moves": is_zero(first(g, 0)),
        "first_step_ignores_units": is_zero(first_scale - 1),
    }


def adadelta_first_step() -> dict:
    r"""The first AdaDelta step from :math:`G = \Delta = 0`, paper vs slide.

    Paper: :math:`\delta_1 = g\sqrt{\varepsilon}/\sqrt{(1-\alpha)g^2 + \varepsilon}
    \to \sqrt{\varepsilon/(1-\alpha)}\operatorname{sign} g` for :math:`g^2 \gg
    \varepsilon`. Slide: :math:`\delta_1 = g\,\varepsilon/(\sqrt{(1-\alpha)}|g| +
    \varepsilon) \to \varepsilon/\sqrt{1-\alpha}\operatorname{sign} g`. Their ratio tends
    to :math:`1/\sqrt{\varepsilon}` (:math:`10^3` for :math:`\varepsilon = 10^{-6}`).
    """
    g, eps = sp.symbols("g varepsilon", positive=True)
    G1 = (1 - alpha) * g**2
    paper = g * sp.sqrt(eps) / sp.sqrt(G1 + eps)
    slide = g * eps / (sp.sqrt(G1) + eps)
    lim_paper = sp.limit(paper, g, sp.oo)
    lim_slide = sp.limit(slide, g, sp.oo)
    ratio = sp.simplify(lim_paper / lim_slide)
    return {
        "paper": paper,
        "slide": slide,
        "paper_limit": lim_paper,
        "slide_limit": lim_slide,
        "ratio": ratio,
        "ratio_is_inv_sqrt_eps": is_zero(ratio - 1 / sp.sqrt(eps)),
    }


def adam_first_step() -> dict:
    r"""Adam's first step: :math:`\hat v_1 = g`, :math:`\hat G_1 = g^2`, so the step is
    :math:`\eta\,g/(|g| + \varepsilon)`, of length just under :math:`\eta` per
    coordinate whatever the scale of :math:`g`. Without the bias correction it would be
    :math:`\eta(1-\gamma)g/(\sqrt{1-\alpha}|g| + \varepsilon)`, about
    :math:`0.1/0.0316 \approx 3.16` times longer for the default
    :math:`\gamma = 0.9`, :math:`\alpha = 0.999`.
    """
    g = sp.Symbol("g", positive=True)
    eps = sp.Symbol("varepsilon", positive=True)
    v1 = (1 - gamma) * g
    G1 = (1 - alpha) * g**2
    vhat, Ghat = v1 / (1 - gamma), G1 / (1 - alpha)
    step = sp.simplify(eta * vhat / (sp.sqrt(Ghat) + eps))
    uncorrected = eta * v1 / (sp.sqrt(G1) + eps)
    ratio0 = sp.simplify((uncorrected / eta).subs(eps, 0))
    return {
        "step": step,
        "step_is_eta_g_over_abs_g_plus_eps": is_zero(step - eta * g / (g + eps)),
        "limit_eps_0": sp.limit(step, eps, 0),
        "uncorrected_ratio": ratio0,
        "uncorrected_default": sp.N(ratio0.subs({gamma: sp.Rational(9, 10),
                                                 alpha: sp.Rational(999, 1000)}), 6),
    }


def clipping_properties(n: int = 3) -> dict:
    r"""Clipping :math:`g \mapsto g\,\theta/\|g\|` for :math:`\|g\| > \theta`, symbolically.

    By definition the clipped vector is :math:`c\,g` with :math:`c = \theta/\|g\|`, a
    positive number (:math:`\theta > 0`, :math:`\|g\| > 0`): that is the formula, not a
    result, and nothing here checks it (the package's ``clip_grad_norm`` is compared with
    ``"clipped"`` in ``tests/test_derivations_optimizers.py::test_clipping_properties``).
    What is derived: the clipped vector has norm exactly :math:`\theta`
    (``"norm_is_theta"``) and cosine 1 with :math:`g` (``"same_direction"``); the check can
    fail: with the factor :math:`\theta/\|g\|^2` the norm is not :math:`\theta`
    (``"wrong_factor_fails"``).
    """
    n = check_int("n (the dimension)", n, minimum=1)
    gs = sp.symbols(f"g_1:{n + 1}", real=True)
    theta = sp.Symbol("theta", positive=True)
    # S = ||g||^2 > 0 (clipping acts only when ||g|| > theta > 0)
    S = sp.Symbol("S", positive=True)
    sum_sq = {gs[0] ** 2: S - sum(x**2 for x in gs[1:])}
    norm = sp.sqrt(S)
    factor = theta / norm  # the definition
    clipped = [x * factor for x in gs]

    def norm_of(vec):
        return sp.sqrt(sp.expand(sum(x**2 for x in vec)).subs(sum_sq))

    new_norm = norm_of(clipped)
    cosine = sp.expand(sum(a * b for a, b in zip(gs, clipped, strict=True))).subs(sum_sq) / (
        norm * new_norm)
    return {
        "clipped": clipped,
        "factor": factor,
        "norm_after": sp.simplify(new_norm),
        "norm_is_theta": is_zero(new_norm - theta),
        "cosine": sp.simplify(cosine),
        "same_direction": is_zero(cosine - 1),
        "wrong_factor_fails": not is_zero(norm_of([x * theta / S for x in gs]) - theta),
    }


def l2_weight_decay() -> dict:
    r""":math:`L_2` regularization: the slide's step and the coupled/decoupled forms.

    :math:`\nabla_w(\mathcal{L} + \tfrac\lambda2 w^2) = \nabla\mathcal{L} + \lambda w`,
    so the gradient step is :math:`w - \eta(\nabla\mathcal{L} + \lambda w) =
    w(1-\eta\lambda) - \eta\nabla\mathcal{L}`: the slide's formula, for SGD. For Adam the
    "coupled" step (the :math:`\lambda w` term goes through the adaptive denominator) and
    the "decoupled" one (:math:`w(1-\eta\lambda)` then Adam's step; AdamW) differ:
    compared at the first step, where Adam's step is :math:`\eta\,g/|g|` (:math:`\varepsilon = 0`).
    """
    w, gL = sp.symbols("w g_L", real=True)
    L = sp.Function("L")
    reg = L(w) + lam / 2 * w**2
    grad = sp.diff(reg, w)
    sgd_step = w - eta * grad.subs(sp.Derivative(L(w), w), gL)
    slide = w * (1 - eta * lam) - eta * gL
    # Adam's first step with eps = 0 is eta * sign(g); take g_L > 0, w > 0 for a concrete case
    gp, wp = sp.symbols("g_p w_p", positive=True)
    coupled = wp - eta * (gp + lam * wp) / sp.Abs(gp + lam * wp)
    decoupled = wp * (1 - eta * lam) - eta * gp / sp.Abs(gp)
    return {
        "gradient": grad,
        "sgd_step": sgd_step,
        "slide_step": slide,
        "slide_is_l2_gradient_step": is_zero(sgd_step - slide),
        "adam_coupled": sp.simplify(coupled),
        "adam_decoupled": sp.simplify(decoupled),
        "adam_forms_differ": not is_zero(sp.simplify(coupled - decoupled)),
        "adam_difference": sp.simplify(coupled - decoupled),
    }


def nadam_forms() -> dict:
    r"""Dozat's Nadam vs the slide's, with the adaptive denominator and the bias
    corrections removed (:math:`\sqrt{\hat G} + \varepsilon \to 1`, :math:`k \to \infty`).

    Dozat (constant :math:`\gamma`): :math:`w' = w - \eta(\gamma v' + (1-\gamma) g(w))`,
    :math:`v' = \gamma v + (1-\gamma) g(w)`. The slide takes the gradient at
    :math:`w - \eta\gamma v` *and* keeps Dozat's early momentum :math:`\gamma v'`.

    Both are compared with Nesterov's method in its look-ahead form (the slide's NAG),
    written independently of them: the NAG iterate whose look-ahead point is :math:`w` is
    :math:`\theta = w + \eta\gamma v`; NAG takes the gradient at :math:`w`, sets
    :math:`v' = \gamma v + (1-\gamma) g(w)`, :math:`\theta' = \theta - \eta v'`, and its
    next look-ahead point is :math:`\theta' - \eta\gamma v'` (``"nesterov"``). On a
    quadratic :math:`\mathcal{L} = \tfrac h2 w^2`, Dozat's new point is exactly that
    look-ahead point; the slide's differs by ``"difference"`` (nonzero unless
    :math:`v = 0`), and so does plain momentum :math:`w - \eta v'` (the check can fail).

    The slide's formula has two one-gradient readings. Above (``"slide"``) the bracket's
    :math:`\hat v` is the new average (two :math:`\hat v`'s: the old one in the look-ahead
    point). Read with **one** :math:`\hat v`, the look-ahead point's, in both places, the
    slide's step is written in general (``"slide_one_vhat_general"``, for a gradient
    function :math:`g_L`, symbols :math:`\hat G`, :math:`\varepsilon` and bias factors
    :math:`b_v, b_g` in :math:`\hat v = b_v v` and :math:`b_g(1-\gamma) g`; :math:`v` updated
    with the look-ahead gradient, as Adam's formulas say); then the bias factors are set to 1
    and the denominator :math:`\sqrt{\hat G}+\varepsilon` to 1 (``"slide_one_vhat"``, one
    step). Two steps of that, from :math:`(w, v)`, are compared with two steps of the slide's
    NAG in its look-ahead form, :math:`v' = \gamma v + (1-\gamma) g_L(w - \eta\gamma v)`,
    :math:`w' = w - \eta v'` (``"slide_one_vhat_is_nag"``; two steps, so that the update of
    :math:`v` is compared too). The two-:math:`\hat v` reading, reduced the same way, is not
    NAG (``"slide_two_vhat_is_nag"`` is False), nor is the one-:math:`\hat v` reading with its
    denominator kept (``"slide_one_vhat_with_denominator_is_nag"`` is False).

    Also: Dozat's bias factor of the momentum term is :math:`1/(1-\gamma^{k+1})`
    (the next step's), the slide's is :math:`1/(1-\gamma^k)`.
    """
    w, v = sp.symbols("w v", real=True)
    h = sp.Symbol("h", positive=True)

    def grad(x):
        return h * x

    def step(point):
        g = grad(point)
        v1 = gamma * v + (1 - gamma) * g
        return w - eta * (gamma * v1 + (1 - gamma) * g)

    dozat = step(w)
    slide = step(w - eta * gamma * v)
    # the slide's rule in general, one gradient per step, taken at the look-ahead point:
    #   w' = w - eta (gamma vhat_b + b_g (1-gamma) g) / (sqrt(Ghat) + eps),
    #   g = gL(w - eta gamma vhat_a),  v' = gamma v + (1-gamma) g  (Adam's update of v),
    # with vhat_a = b_v v (the look-ahead point's) and vhat_b = vhat_a (one vhat) or
    # b_v' v' (two vhats, the new average)
    gL = sp.Function("gL")
    Ghat, eps, b_v, b_v1, b_g = sp.symbols("Ghat varepsilon b_v b_v' b_g", positive=True)

    def slide_step(w_, v_, one_vhat, reduce=True):
        vhat_a = b_v * v_
        g_ = gL(w_ - eta * gamma * vhat_a)
        v_new = gamma * v_ + (1 - gamma) * g_
        vhat_b = vhat_a if one_vhat else b_v1 * v_new
        w_new = w_ - eta * (gamma * vhat_b + b_g * (1 - gamma) * g_) / (sp.sqrt(Ghat) + eps)
        if reduce:  # bias factors 1, denominator sqrt(Ghat) + eps = 1
            sub = {b_v: 1, b_v1: 1, b_g: 1, eps: 1 - sp.sqrt(Ghat)}
        else:  # bias factors 1 only
            sub = {b_v: 1, b_v1: 1, b_g: 1}
        return sp.simplify(w_new.subs(sub)), sp.simplify(v_new.subs(sub))

    def two_steps(step):
        w1, v1_ = step(w, v)
        return step(w1, v1_)

    def nag_step(w_, v_):  # the slide's NAG, look-ahead form
        v_new = gamma * v_ + (1 - gamma) * gL(w_ - eta * gamma * v_)
        return w_ - eta * v_new, v_new

    slide_one_general = slide_step(w, v, True, reduce=False)[0]
    slide_one = slide_step(w, v, True)[0]
    nag2 = two_steps(nag_step)
    one2 = two_steps(lambda a, b: slide_step(a, b, True))
    two2 = two_steps(lambda a, b: slide_step(a, b, False))
    den2 = two_steps(lambda a, b: slide_step(a, b, True, reduce=False))
    # Nesterov's method, look-ahead form: the iterate theta whose look-ahead point is w
    theta = w + eta * gamma * v
    g = grad(theta - eta * gamma * v)  # the gradient at the look-ahead point (= w)
    v1 = gamma * v + (1 - gamma) * g
    theta1 = theta - eta * v1
    nesterov = theta1 - eta * gamma * v1  # the next look-ahead point
    momentum = w - eta * v1  # heavy ball from w: no look-ahead
    diff = sp.factor(sp.expand(slide - dozat))
    kk = sp.Symbol("k", integer=True, positive=True)
    return {
        "dozat": sp.expand(dozat),
        "slide": sp.expand(slide),
        "nesterov": sp.expand(nesterov),
        "dozat_is_nesterov": is_zero(dozat - nesterov),
        "slide_is_nesterov": is_zero(slide - nesterov),
        "momentum_is_nesterov": is_zero(momentum - nesterov),
        "difference": diff,
        "slide_one_vhat_general": slide_one_general,
        "slide_one_vhat": slide_one,
        "slide_one_vhat_is_nag": all(is_zero(a - b) for a, b in zip(one2, nag2, strict=True)),
        "slide_two_vhat_is_nag": is_zero(two2[0] - nag2[0]),
        "slide_one_vhat_with_denominator_is_nag": is_zero(den2[0] - nag2[0]),
        "bias_factor_dozat": 1 / (1 - gamma ** (kk + 1)),
        "bias_factor_slide": 1 / (1 - gamma**kk),
        "bias_factors_differ": not is_zero(1 / (1 - gamma ** (kk + 1)) - 1 / (1 - gamma**kk)),
    }


def nadam_lookahead_units() -> dict:
    r"""The units of the slide's Nadam look-ahead step :math:`\eta\gamma\hat v`.

    Change the units, :math:`w \to s_w w`, :math:`\mathcal{L} \to s_L\mathcal{L}`: the
    gradient and :math:`\hat v` scale by :math:`s_L/s_w`, :math:`\sqrt{\hat G}` too, so
    Adam's ratio :math:`\hat v/\sqrt{\hat G}` has no units (:math:`\varepsilon = 0`). For
    Adam's step :math:`\eta\,\hat v/\sqrt{\hat G}` to scale like :math:`w`, :math:`\eta`
    must scale by :math:`s_w` (``"eta_scale"``, solved): in Adam :math:`\eta` carries the
    units of :math:`w` (:func:`adadelta_units`). Then the slide's look-ahead step
    :math:`\eta\gamma\hat v` scales by :math:`s_L` (the units of the loss, neither those of
    :math:`w` nor those of the gradient), while the look-ahead divided like the step,
    :math:`\eta\gamma\hat v/\sqrt{\hat G}`, scales by :math:`s_w`.
    """
    s_w, s_L, E = sp.symbols("s_w s_L E", positive=True)
    vhat, Ghat = sp.symbols("vhat Ghat", positive=True)
    g_scale = s_L / s_w
    ratio = vhat / sp.sqrt(Ghat)
    ratio_scaled = (g_scale * vhat) / sp.sqrt(g_scale**2 * Ghat)
    eta_scale = sp.solve(sp.Eq(E * eta * ratio_scaled, s_w * eta * ratio), E)[0]
    lookahead = sp.simplify(eta_scale * eta * gamma * g_scale * vhat / (eta * gamma * vhat))
    divided = sp.simplify(eta_scale * ratio_scaled / ratio)
    return {
        "eta_scale": eta_scale,
        "lookahead_scale": lookahead,
        "divided_lookahead_scale": divided,
        "eta_has_units_of_w": is_zero(eta_scale - s_w),
        "lookahead_has_units_of_loss": is_zero(lookahead - s_L),
        "lookahead_has_units_of_gradient": is_zero(lookahead - g_scale),
        "lookahead_has_units_of_w": is_zero(lookahead - s_w),
        "divided_lookahead_has_units_of_w": is_zero(divided - s_w),
    }


def stability_limits() -> dict:
    r"""The largest stable step on a quadratic :math:`\tfrac h2 w^2` (characteristic roots).

    With :math:`a = \eta(1-\gamma)` (the heavy-ball step) and :math:`b = \gamma`:

    * SGD :math:`w' = (1 - \eta h) w`: stable iff :math:`|1 - \eta h| < 1`, solved by SymPy:
      :math:`0 < \eta h < 2` (``"sgd_stable_set"``; the heavy ball's limit at :math:`\gamma = 0`
      must be the same, ``"heavy_ball_at_0_is_sgd"``);
    * heavy ball :math:`w_{k+1} = (1 + b - ah)w_k - b w_{k-1}`, characteristic polynomial
      :math:`P(\lambda) = \lambda^2 - (1+b-ah)\lambda + b`;
    * Nesterov :math:`w_{k+1} = (1-ah)\bigl((1+b)w_k - b w_{k-1}\bigr)`, polynomial
      :math:`P(\lambda) = \lambda^2 - (1-ah)(1+b)\lambda + (1-ah)b`.

    A real monic quadratic :math:`\lambda^2 + c_1\lambda + c_0` has both roots inside the
    unit circle iff :math:`|c_0| < 1`, :math:`P(1) > 0` and :math:`P(-1) > 0` (Schur-Cohn,
    or Jury's test). Here :math:`P(1) = ah > 0` for both methods. The product of the
    roots :math:`c_0` is :math:`b < 1` for the heavy ball; for Nesterov it is
    :math:`(1-ah)b`, inside :math:`(-1, 1)` iff :math:`ah < 1 + 1/b`. So the limit is
    :math:`P(-1) = 0`: :math:`ah = 2(1+b)` for the heavy ball and :math:`ah =
    (2+2b)/(1+2b)` for Nesterov, which is below :math:`1 + 1/b` (the difference is
    :math:`(1+b)/(b(1+2b)) > 0`) and below the heavy ball's limit for every
    :math:`b > 0` (the difference is :math:`4b(1+b)/(1+2b)`; equal at :math:`b = 0`).

    The values ``"*_eta_h"`` are the limits of :math:`\eta h` in the slide's
    parametrization (:math:`\eta h = ah/(1-\gamma)`).
    """
    lam_, a, h = sp.Symbol("lambda"), sp.Symbol("a", positive=True), sp.Symbol("h", positive=True)
    b = gamma
    # SGD: w' = (1 - eta h) w, one root 1 - eta h; |1 - eta h| < 1 solved for eta h > 0
    x = sp.Symbol("x", positive=True)  # eta * h
    sgd_set = sp.solve_univariate_inequality(sp.Abs(1 - x) < 1, x, relational=False)
    ah = sp.Symbol("ah", positive=True)
    hb = (lam_**2 - (1 + b - a * h) * lam_ + b).subs(a * h, ah)
    nag = (lam_**2 - (1 - a * h) * (1 + b) * lam_ + (1 - a * h) * b).subs(a * h, ah)
    hb_lim = sp.simplify(sp.solve(hb.subs(lam_, -1), ah)[0])
    nag_lim = sp.simplify(sp.solve(nag.subs(lam_, -1), ah)[0])
    # Nesterov's product of roots (1 - ah) b stays above -1 up to ah = 1 + 1/b
    nag_product_lim = sp.simplify(sp.solve(nag.subs(lam_, 0) + 1, ah)[0])
    product_margin = sp.factor(sp.simplify(nag_product_lim - nag_lim))
    gap = sp.factor(sp.simplify(hb_lim - nag_lim))
    return {
        "sgd_stable_set": sgd_set,
        "sgd_eta_h": sgd_set.sup,
        "sgd_is_open_0_2": sgd_set == sp.Interval.open(0, 2),
        # the heavy ball at gamma = 0 is SG: its limit must reduce to SG's
        "heavy_ball_at_0_is_sgd": is_zero(hb_lim.subs(gamma, 0) - sgd_set.sup),
        "heavy_ball_ah": hb_lim,
        "nesterov_ah": nag_lim,
        "heavy_ball_eta_h": sp.simplify(hb_lim / (1 - gamma)),
        "nesterov_eta_h": sp.simplify(nag_lim / (1 - gamma)),
        "nesterov_product_limit_ah": nag_product_lim,
        "product_margin": product_margin,
        "limit_gap_ah": gap,
        "heavy_ball_is_2_1_plus_b": is_zero(hb_lim - 2 * (1 + gamma)),
        "nesterov_is_2_2b_over_1_2b": is_zero(nag_lim - (2 + 2 * gamma) / (1 + 2 * gamma)),
        "no_root_at_plus_1": is_zero(hb.subs(lam_, 1) - ah) and is_zero(nag.subs(lam_, 1) - ah),
        # the product of the roots is inside (-1, 1) on the whole stable range: P(-1) binds
        "product_not_binding": bool(product_margin.is_positive),
        # for every gamma in (0, 1): Nesterov's limit is the smaller one
        "nesterov_is_smaller": bool(gap.is_positive),
        "equal_at_gamma_0": is_zero(gap.subs(gamma, 0)),
    }
