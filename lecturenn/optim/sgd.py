r"""Plain stochastic gradient descent: the slide «Напоминание: алгоритм SG (Stochastic Gradient)»"""

from __future__ import annotations

import numpy as np

from lecturenn.optim.base import (
    Optimizer,
    _scratch,
)

__all__ = ['SGD']


class SGD(Optimizer):
    r"""Plain (stochastic) gradient descent.

    Slide «Напоминание: алгоритм SG (Stochastic Gradient)»:

    .. math::

        w := w - \eta\, \nabla \mathcal{L}(w, x_i).

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float
        :math:`\eta > 0`.
    clip, weight_decay, decoupled
        See :class:`~lecturenn.optim.base.Optimizer`. With ``weight_decay=λ`` the step is
        the slide's
        :math:`w := w(1-\eta\lambda) - \eta\nabla\mathcal{L}(w, x_i)` (coupled and
        decoupled forms coincide for SGD).

    Examples
    --------
    >>> import numpy as np
    >>> from lecturenn.parameter import Parameter
    >>> w = Parameter(np.array([1.0, -2.0]), name="w")
    >>> opt = SGD([w], lr=0.1)
    >>> w.grad = 2 * w.data          # gradient of ||w||^2
    >>> opt.step()
    >>> w.data
    array([ 0.8, -1.6])
    """

    def _update(self, i, p, g):
        if self.lr == 1.0:
            p.data -= g
        else:  # a work array allocated once: no temporary per step
            buf = _scratch(self, i)
            np.multiply(g, self.lr, out=buf)
            p.data -= buf
