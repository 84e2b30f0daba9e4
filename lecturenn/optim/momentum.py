r"""The slide «Напоминание: метод накопления инерции (momentum)»: Polyak's heavy ball and NAG.

:class:`Momentum` (Polyak 1964) and :class:`Nesterov` (Nesterov 1983), with the slide's
exponential-moving-average form and the papers' forms as options.
"""

from __future__ import annotations

import numpy as np

from lecturenn.optim.base import (
    Optimizer,
    _check_gamma,
    _check_variant,
    _ema,
    _scratch,
)

__all__ = ['Momentum', 'Nesterov']


class Momentum(Optimizer):
    r"""The method of accumulated inertia (momentum, "heavy ball").

    Slide «Напоминание: метод накопления инерции (momentum)»; checked against
    Polyak (1964). The slide's form keeps the exponential moving average of the
    gradients over :math:`\approx 1/(1-\gamma)` last iterations:

    .. math::

        v := \gamma v + (1-\gamma)\,\nabla\mathcal{L}(w, x_i), \qquad w := w - \eta v.

    Polyak's heavy ball :math:`w_{k+1} = w_k - a\nabla\mathcal{L}(w_k) +
    b(w_k - w_{k-1})` and the form :math:`z := \gamma z + a\nabla\mathcal{L}`,
    :math:`w := w - z` of PyTorch's ``SGD(momentum=...)`` produce **the same points** when

    .. math::

        b = \gamma, \qquad a = \eta_{\text{hb}} = \eta(1-\gamma), \qquad z = \eta v

    (:func:`lecturenn.derivations.optimizers.momentum_heavy_ball_equivalence`). So the
    slide's :math:`\eta` is :math:`1/(1-\gamma)` times the learning rate of the
    heavy-ball form: ``torch.optim.SGD(lr=eta * (1 - gamma), momentum=gamma)``.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float
        :math:`\eta > 0` of the slide's (averaged) form.
    gamma : float, optional
        :math:`\gamma \in [0, 1)`, default 0.9 (a common choice). ``gamma=0`` is SGD.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`.

    Notes
    -----
    State: ``state[i]["v"]`` (the averaged gradient, starts at 0) and ``"k"``.

    Examples
    --------
    >>> import numpy as np
    >>> from lecturenn.parameter import Parameter
    >>> w = Parameter(np.array([1.0]), name="w")
    >>> opt = Momentum([w], lr=1.0, gamma=0.5)
    >>> w.grad = np.array([2.0]); opt.step(); w.data      # v = 0.5*0 + 0.5*2 = 1
    array([0.])
    >>> w.grad = np.array([2.0]); opt.step(); w.data      # v = 0.5*1 + 0.5*2 = 1.5
    array([-1.5])
    """

    _state_arrays = ("v",)

    def __init__(self, params, lr: float, gamma: float = 0.9, **kwargs):
        super().__init__(params, lr, **kwargs)
        self.gamma = _check_gamma("gamma", gamma)

    def _update(self, i, p, g):
        v = self._buffer(i, "v")
        buf = _scratch(self, i)
        _ema(v, g, self.gamma, buf)
        np.multiply(v, self.lr, out=buf)
        p.data -= buf


class Nesterov(Optimizer):
    r"""Nesterov's accelerated gradient (NAG) with the gradient at the look-ahead point.

    Slide «Напоминание: метод накопления инерции (momentum)»; checked against
    Nesterov (1983) in the constant-momentum form of Sutskever et al. (2013):

    .. math::

        v := \gamma v + (1-\gamma)\,\nabla\mathcal{L}(w - \eta\gamma v, x_i), \qquad
        w := w - \eta v.

    ``form="lookahead"`` (default) does exactly this: ``step(closure)`` moves every
    parameter to :math:`w - \eta\gamma v`, calls the closure there, restores :math:`w`
    bit for bit and updates. A closure is required.

    ``form="reparametrized"`` stores the look-ahead point :math:`u = w - \eta\gamma v`
    itself in ``p.data``. Then the gradient is taken at the current point, as in every
    other method, and the same sequence of look-ahead points is produced by

    .. math::

        v := \gamma v + (1-\gamma)\,\nabla\mathcal{L}(u), \qquad
        u := u - \eta\bigl(\gamma v + (1-\gamma)\nabla\mathcal{L}(u)\bigr)

    (the change of variables is proved in
    :func:`lecturenn.derivations.optimizers.nesterov_reparametrization`). This is
    PyTorch's ``SGD(lr=eta * (1 - gamma), momentum=gamma, nesterov=True)``, whose iterates
    are the look-ahead points :math:`u_k`; :math:`w_k = u_k + \eta\gamma v_k`.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float
        :math:`\eta > 0`.
    gamma : float, optional
        :math:`\gamma \in [0, 1)`, default 0.9.
    form : str, optional
        ``"lookahead"`` (default) or ``"reparametrized"``, see above.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`. Coupled weight decay adds
        :math:`\lambda` times the look-ahead point, the gradient of the regularized loss there.

    Notes
    -----
    State: ``state[i]["v"]``, ``"k"``; the look-ahead form also keeps a private copy of
    :math:`w` (``"_w"``) to restore it exactly.
    """

    _state_arrays = ("v",)

    def __init__(self, params, lr: float, gamma: float = 0.9, *, form="lookahead", **kwargs):
        super().__init__(params, lr, **kwargs)
        self.gamma = _check_gamma("gamma", gamma)
        self.form = _check_variant(form, ("lookahead", "reparametrized"), "form")

    def _uses_lookahead(self):
        return self.form == "lookahead"

    def _move_to_lookahead(self):
        c = -self.lr * self.gamma
        for i, p in enumerate(self.params):
            w = _scratch(self, i, "_w")
            np.copyto(w, p.data)
            v = self._buffer(i, "v")
            np.multiply(v, c, out=p.data)
            p.data += w

    def _update(self, i, p, g):
        v = self._buffer(i, "v")
        buf = _scratch(self, i)
        _ema(v, g, self.gamma, buf)
        if self.form == "lookahead":
            np.multiply(v, self.lr, out=buf)
        else:  # u := u - eta*(gamma*v + (1-gamma)*g); buf holds (1-gamma)*g
            tmp = _scratch(self, i, "_buf2")
            np.multiply(v, self.gamma, out=tmp)
            buf += tmp
            buf *= self.lr
        p.data -= buf
