r"""The slide «Адаптивные градиенты»: RMSProp (Tieleman and Hinton 2012), AdaDelta (Zeiler 2012)."""

from __future__ import annotations

import numpy as np

from lecturenn._validation import check_positive
from lecturenn.optim.base import (
    Optimizer,
    _check_gamma,
    _check_variant,
    _ema_sq,
    _scratch,
)

__all__ = ['RMSProp', 'AdaDelta']


class RMSProp(Optimizer):
    r"""RMSProp: divide the gradient by a running root mean square of its recent values.

    Slide «Адаптивные градиенты»; checked against Tieleman and Hinton (2012),
    lecture 6e of "Neural Networks for Machine Learning":

    .. math::

        G := \alpha G + (1-\alpha)\,\nabla\mathcal{L}\odot\nabla\mathcal{L}, \qquad
        w := w - \eta\,\nabla\mathcal{L}\oslash(\sqrt{G} + \varepsilon),

    :math:`\odot`, :math:`\oslash` and the square root taken elementwise. The lecture
    uses :math:`\alpha = 0.9` and no :math:`\varepsilon`; the slide and PyTorch add
    :math:`\varepsilon` outside the root, as here. PyTorch: ``RMSprop(lr=eta,
    alpha=alpha, eps=eps)`` is the same update.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float
        :math:`\eta > 0` (the lecture gives no default).
    alpha : float, optional
        :math:`\alpha \in [0, 1)`, default 0.9 (the lecture's value).
    eps : float, optional
        :math:`\varepsilon > 0`, default 1e-8.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`.

    Notes
    -----
    State: ``state[i]["G"]`` (starts at 0) and ``"k"``.
    """

    _state_arrays = ("G",)

    def __init__(self, params, lr: float, alpha: float = 0.9, eps: float = 1e-8, **kwargs):
        super().__init__(params, lr, **kwargs)
        self.alpha = _check_gamma("alpha", alpha)
        self.eps = check_positive("eps", eps)

    def _update(self, i, p, g):
        G = self._buffer(i, "G")
        buf = _scratch(self, i)
        _ema_sq(G, g, self.alpha, buf)
        np.sqrt(G, out=buf)
        buf += self.eps
        np.divide(g, buf, out=buf)
        buf *= self.lr
        p.data -= buf


class AdaDelta(Optimizer):
    r"""AdaDelta: the ratio of two running RMS values, the step has the units of :math:`w`.

    Slide «Адаптивные градиенты»; checked against Zeiler (2012), algorithm 1. The
    default ``variant="paper"`` is Zeiler's rule with :math:`\varepsilon` **inside** the
    roots, :math:`\operatorname{RMS}[y] = \sqrt{E[y^2] + \varepsilon}`:

    .. math::

        G &:= \alpha G + (1-\alpha)\,\nabla\mathcal{L}\odot\nabla\mathcal{L}, \\
        \delta &:= \nabla\mathcal{L}\odot\frac{\sqrt{\Delta + \varepsilon}}
                                            {\sqrt{G + \varepsilon}}, \\
        \Delta &:= \alpha\Delta + (1-\alpha)\,\delta\odot\delta, \\
        w &:= w - \eta\,\delta,

    with :math:`\eta = 1` in the paper (the paper has no learning rate; Zeiler's
    :math:`\rho` is the slide's :math:`\alpha`, his :math:`E[g^2]`, :math:`E[\Delta x^2]`
    are the slide's :math:`G`, :math:`\Delta`). ``variant="slide"`` uses the slide's
    :math:`(\sqrt{\Delta} + \varepsilon)/(\sqrt{G} + \varepsilon)`, which with the paper's
    :math:`\varepsilon = 10^{-6}` starts about :math:`10^3` times slower (the first step is
    :math:`\approx \varepsilon/\sqrt{1-\alpha}` instead of
    :math:`\approx\sqrt{\varepsilon/(1-\alpha)}`). PyTorch: ``Adadelta(lr=eta, rho=alpha,
    eps=eps)`` is the paper's variant.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float, optional
        :math:`\eta > 0`, default 1 (the paper's method has none).
    alpha : float, optional
        :math:`\alpha \in [0, 1)` (Zeiler's :math:`\rho`), default 0.95 (the value of the
        paper's experiments).
    eps : float, optional
        :math:`\varepsilon > 0`, default 1e-6 (the value of the paper's experiments).
    variant : str, optional
        ``"paper"`` (default) or ``"slide"``: where :math:`\varepsilon` goes, see above.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`.

    Notes
    -----
    State: ``state[i]["G"]``, ``state[i]["Delta"]`` (both start at 0) and ``"k"``.
    """

    _state_arrays = ("G", "Delta")

    def __init__(self, params, lr: float = 1.0, alpha: float = 0.95, eps: float = 1e-6, *,
                 variant="paper", **kwargs):
        super().__init__(params, lr, **kwargs)
        self.alpha = _check_gamma("alpha", alpha)
        self.eps = check_positive("eps", eps)
        self.variant = _check_variant(variant, ("paper", "slide"))

    def _update(self, i, p, g):
        G = self._buffer(i, "G")
        D = self._buffer(i, "Delta")
        buf = _scratch(self, i)
        delta = _scratch(self, i, "_buf2")
        a, eps = self.alpha, self.eps
        _ema_sq(G, g, a, buf)
        if self.variant == "paper":
            np.add(G, eps, out=buf)
            np.sqrt(buf, out=buf)
            np.add(D, eps, out=delta)
            np.sqrt(delta, out=delta)
        else:
            np.sqrt(G, out=buf)
            buf += eps
            np.sqrt(D, out=delta)
            delta += eps
        delta /= buf
        delta *= g
        _ema_sq(D, delta, a, buf)
        if self.lr != 1.0:
            delta *= self.lr
        p.data -= delta
