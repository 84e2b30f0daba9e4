r"""The slide «Комбинированные градиентные методы»: Adam (Kingma, Ba 2015), Nadam (Dozat 2016)."""

from __future__ import annotations

import numpy as np

from lecturenn._validation import check_positive
from lecturenn.optim.base import (
    Optimizer,
    _check_gamma,
    _check_variant,
    _ema,
    _ema_sq,
    _scratch,
)

__all__ = ['Adam', 'Nadam']


class Adam(Optimizer):
    r"""Adam: momentum plus RMSProp, with bias correction.

    Slide «Комбинированные градиентные методы»; checked against Kingma and Ba (2015),
    algorithm 1 (their :math:`\beta_1, \beta_2, m, v, \alpha` are the slide's
    :math:`\gamma, \alpha, v, G, \eta`):

    .. math::

        v &:= \gamma v + (1-\gamma)\,\nabla\mathcal{L}, &
        \hat v &:= v / (1-\gamma^k), \\
        G &:= \alpha G + (1-\alpha)\,\nabla\mathcal{L}\odot\nabla\mathcal{L}, &
        \hat G &:= G / (1-\alpha^k), \\
        w &:= w - \eta\,\hat v\oslash(\sqrt{\hat G} + \varepsilon),

    :math:`k = 1, 2, \dots` the number of the update. The slide prints :math:`\otimes`
    (a product) in the last line; it is the elementwise division :math:`\oslash`, as in
    the paper. Computed as :math:`w := w - \eta_k\, v\oslash(\sqrt{G} + \hat\varepsilon_k)`
    with :math:`\eta_k = \eta\sqrt{1-\alpha^k}/(1-\gamma^k)` and
    :math:`\hat\varepsilon_k = \varepsilon\sqrt{1-\alpha^k}`, which is the same number
    (the paper's section 2 with its :math:`\hat\epsilon` chosen so), with fewer passes
    over the arrays. PyTorch: ``Adam(lr=eta, betas=(gamma, alpha), eps=eps)``.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float, optional
        :math:`\eta > 0`, default 0.001 (the paper).
    gamma : float, optional
        :math:`\gamma \in [0, 1)` (:math:`\beta_1`), default 0.9 (the paper).
    alpha : float, optional
        :math:`\alpha \in [0, 1)` (:math:`\beta_2`), default 0.999 (the paper).
    eps : float, optional
        :math:`\varepsilon > 0`, default 1e-8 (the paper).
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`. ``decoupled=True`` gives AdamW
        (Loshchilov and Hutter) in PyTorch's parametrization, :math:`w := w(1-\eta\lambda)`
        before Adam's step.

    Notes
    -----
    State: ``state[i]["v"]``, ``state[i]["G"]`` (start at 0) and ``"k"``.

    Examples
    --------
    The first step has length :math:`\approx\eta` in every coordinate, whatever the
    gradient's scale:

    >>> import numpy as np
    >>> from lecturenn.parameter import Parameter
    >>> w = Parameter(np.zeros(3), name="w")
    >>> opt = Adam([w], lr=0.01)
    >>> w.grad = np.array([1e-3, 1.0, 1e3]); opt.step()
    >>> np.round(w.data, 6)
    array([-0.01, -0.01, -0.01])
    """

    _state_arrays = ("v", "G")

    def __init__(self, params, lr: float = 1e-3, gamma: float = 0.9, alpha: float = 0.999,
                 eps: float = 1e-8, **kwargs):
        super().__init__(params, lr, **kwargs)
        self.gamma = _check_gamma("gamma", gamma)
        self.alpha = _check_gamma("alpha", alpha)
        self.eps = check_positive("eps", eps)

    def _update(self, i, p, g):
        v = self._buffer(i, "v")
        G = self._buffer(i, "G")
        buf = _scratch(self, i)
        k = self.state[i]["k"] + 1
        gam, a = self.gamma, self.alpha
        _ema(v, g, gam, buf)
        _ema_sq(G, g, a, buf)
        s2 = np.sqrt(1.0 - a**k)
        np.sqrt(G, out=buf)
        buf += self.eps * s2
        np.divide(v, buf, out=buf)
        buf *= self.lr * s2 / (1.0 - gam**k)
        p.data -= buf


class Nadam(Optimizer):
    r"""Nadam: Adam with Nesterov's momentum, without a second gradient evaluation.

    Slide «Комбинированные градиентные методы»; after Dozat (2016), "Incorporating
    Nesterov Momentum into Adam" (ICLR workshop), algorithm 2 (his :math:`\mu_t, \nu, m,
    n, \alpha` are the slide's :math:`\gamma_k, \alpha, v, G, \eta`). With the momentum
    schedule :math:`\gamma_k = \gamma\,(1 - \tfrac12\,0.96^{k\psi})` and
    :math:`\Pi_k = \prod_{i=1}^{k}\gamma_i`:

    .. math::

        v &:= \gamma_k v + (1-\gamma_k)\,\nabla\mathcal{L}(w), \qquad
        G := \alpha G + (1-\alpha)\,\nabla\mathcal{L}(w)\odot\nabla\mathcal{L}(w), \\
        w &:= w - \eta\Bigl(\frac{\gamma_{k+1}}{1-\Pi_{k+1}}\,v
              + \frac{1-\gamma_k}{1-\Pi_k}\,\nabla\mathcal{L}(w)\Bigr)
              \oslash\Bigl(\sqrt{G/(1-\alpha^k)} + \varepsilon\Bigr).

    The gradient is taken at the **current** point: Dozat applies the next momentum
    step :math:`\gamma_{k+1}\hat v` now instead of evaluating the gradient ahead. With
    a constant momentum (``schedule=None``, :math:`\gamma_k = \gamma`) the bracket is
    :math:`\gamma\,v/(1-\gamma^{k+1}) + (1-\gamma)\nabla\mathcal{L}/(1-\gamma^k)`, and
    both values of ``ema`` give the same method.

    **What was checked, and what was not.** The text of the paper (and of the CS229
    report that preceded it) could not be consulted for this book; the bracket, the
    schedule and the place of :math:`\varepsilon` follow the published re-statements of
    algorithm 2 (the PyTorch and Keras documentation). The one open point is the
    coefficient of the running mean :math:`v` when the schedule is on:

    * ``ema="scheduled"`` (default) averages with :math:`\gamma_k`. This is how Dozat
      writes the first moment in his own code and its README (repository
      ``tdozat/Optimization``: ``m_t = mu_t*m_tm1 + (1-mu_t)*g_t``,
      ``m_bar_t = mu_tp1*m_t + (1-mu_t)*g_t``), and it is the reading for which the
      weights of :math:`v` sum to exactly :math:`1-\Pi_k`, the divisor of the bias
      correction (:func:`lecturenn.derivations.optimizers.scheduled_ema_weights`).
      Dozat's code has no warming schedule (its :math:`\mu_t` is the schedule that
      removes the bias, which makes it the constant-momentum case, tested to match
      ``schedule=None`` once his denominator :math:`\sqrt{n_t + \varepsilon}` is replaced
      by this class's :math:`\sqrt{n_t} + \varepsilon`), so it does not settle the
      question by itself.
    * ``ema="constant"`` averages with the constant :math:`\gamma` and keeps the
      schedule only in the bracket: Keras' ``Nadam`` (contributed to Keras by a third
      party from the CS229 report, keras-team/keras pull request 2764) and PyTorch's,
      which copied Keras (``torch.optim.NAdam(lr=eta, betas=(gamma, alpha), eps=eps,
      momentum_decay=psi)``).

    Which of the two the printed algorithm 2 has is **not verified** here.

    Two variants are the slide's formula
    :math:`w := w - \eta\bigl(\gamma\hat v + \frac{1-\gamma}{1-\gamma^k}
    \nabla\mathcal{L}(w - \eta\gamma\hat v)\bigr)\oslash(\sqrt{\hat G} + \varepsilon)`,
    constant :math:`\gamma`, one gradient per step taken at the look-ahead point
    :math:`w - \eta\gamma\hat v` with the previous step's :math:`\hat v` (needs a closure;
    :math:`v` and :math:`G` are updated with that gradient). They differ in the
    :math:`\hat v` of the bracket:

    * ``variant="slide"``: the **new** :math:`\hat v = v_k/(1-\gamma^k)` (the new average
      already contains the look-ahead, Dozat's trick, so the look-ahead is applied twice);
    * ``variant="slide-one-vhat"``: the **same** :math:`\hat v` as in the look-ahead point,
      :math:`v_{k-1}/(1-\gamma^{k-1})` (0 at :math:`k = 1`). Without the denominator and the
      bias factors this is exactly the slide's NAG (Nesterov's method in its look-ahead
      form); with them, the look-ahead step :math:`\eta\gamma\hat v` is not divided by
      :math:`\sqrt{\hat G} + \varepsilon` while the step is.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float, optional
        :math:`\eta > 0`, default 0.002 (Keras and PyTorch).
    gamma : float, optional
        :math:`\gamma \in [0, 1)`, default 0.9.
    alpha : float, optional
        :math:`\alpha \in [0, 1)`, default 0.999.
    eps : float, optional
        :math:`\varepsilon > 0`, default 1e-8.
    schedule : float or None, optional
        :math:`\psi \ge 0` of the momentum schedule, default 0.004 (:math:`0.96^{k/250}`);
        ``None`` for the constant momentum :math:`\gamma`.
    ema : str, optional
        ``"scheduled"`` (default) or ``"constant"``: the coefficient of the running mean
        :math:`v`, :math:`\gamma_k` or :math:`\gamma`; see above for which is whose.
    variant : str, optional
        ``"paper"`` (default), ``"slide"`` or ``"slide-one-vhat"``, see above; the two
        slide variants ignore ``schedule`` and ``ema``.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`.

    Notes
    -----
    State: ``state[i]["v"]``, ``state[i]["G"]``, ``state[i]["mu_prod"]``
    (:math:`\Pi_k`) and ``"k"``.
    """

    _state_arrays = ("v", "G")
    _state_numbers = ("mu_prod",)

    def __init__(self, params, lr: float = 2e-3, gamma: float = 0.9, alpha: float = 0.999,
                 eps: float = 1e-8, *, schedule=0.004, ema="scheduled", variant="paper",
                 **kwargs):
        super().__init__(params, lr, **kwargs)
        self.gamma = _check_gamma("gamma", gamma)
        self.alpha = _check_gamma("alpha", alpha)
        self.eps = check_positive("eps", eps)
        self.schedule = None if schedule is None else check_positive(
            "schedule", schedule, strict=False)
        self.ema = _check_variant(ema, ("scheduled", "constant"), "ema")
        self.variant = _check_variant(variant, ("paper", "slide", "slide-one-vhat"))

    def mu(self, k: int) -> float:
        r"""The momentum :math:`\gamma_k` of update number ``k`` (1-based)."""
        if self.schedule is None:
            return self.gamma
        return self.gamma * (1.0 - 0.5 * 0.96 ** (k * self.schedule))

    def _uses_lookahead(self):
        return self.variant != "paper"

    def _move_to_lookahead(self):
        for i, p in enumerate(self.params):
            w = _scratch(self, i, "_w")
            np.copyto(w, p.data)
            v = self._buffer(i, "v")
            k = self.state[i]["k"]
            vhat_factor = 1.0 / (1.0 - self.gamma**k) if k else 0.0
            np.multiply(v, -self.lr * self.gamma * vhat_factor, out=p.data)
            p.data += w

    def _update(self, i, p, g):
        v = self._buffer(i, "v")
        G = self._buffer(i, "G")
        buf = _scratch(self, i)
        num = _scratch(self, i, "_buf2")
        st = self.state[i]
        k = st["k"] + 1
        a = self.alpha
        if self.variant == "slide-one-vhat":
            # the bracket takes the previous vhat, the one of the look-ahead point: the
            # numerator is formed before v is updated
            gam = self.gamma
            c_g = (1.0 - gam) / (1.0 - gam**k)
            c_v = gam / (1.0 - gam ** (k - 1)) if k > 1 else 0.0
            np.multiply(v, c_v / c_g, out=num)
            num += g
            _ema(v, g, gam, buf)
            _ema_sq(G, g, a, buf)
            s2 = np.sqrt(1.0 - a**k)
            np.sqrt(G, out=buf)
            buf += self.eps * s2
            num /= buf
            num *= self.lr * s2 * c_g
            p.data -= num
            return
        if self.variant == "slide":
            gam = self.gamma
            c_v = gam / (1.0 - gam**k)
            c_g = (1.0 - gam) / (1.0 - gam**k)
            ema = gam
        else:
            mu_k, mu_next = self.mu(k), self.mu(k + 1)
            prod = st.get("mu_prod", 1.0) * mu_k
            st["mu_prod"] = prod
            c_v = mu_next / (1.0 - prod * mu_next)
            c_g = (1.0 - mu_k) / (1.0 - prod)
            ema = mu_k if self.ema == "scheduled" else self.gamma
        _ema(v, g, ema, buf)
        _ema_sq(G, g, a, buf)
        s2 = np.sqrt(1.0 - a**k)
        # num = c_g * g + c_v * v, denominator sqrt(G) + eps*s2, overall factor s2
        np.multiply(v, c_v / c_g, out=num)
        num += g
        np.sqrt(G, out=buf)
        buf += self.eps * s2
        num /= buf
        num *= self.lr * s2 * c_g
        p.data -= num
