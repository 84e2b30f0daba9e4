r"""Gradient methods of the lecture: SGD, momentum, adaptive steps and clipping.

Slides «Напоминание: метод накопления инерции (momentum)», «Адаптивные градиенты»,
«Комбинированные градиентные методы», «Проблема взрыва градиента и эвристика gradient
clipping» and the :math:`L_2` part of «Обратный Dropout и :math:`L_2`-регуляризация».

Every optimizer receives a list of :class:`~lecturenn.parameter.Parameter` objects (or a
model with ``.parameters()``), keeps its state **per parameter** in ``opt.state[i]``
(a dict with the slide's names: ``"v"``, ``"G"``, ``"Delta"``, the iteration counter
``"k"``) and updates ``Parameter.data`` in place from ``Parameter.grad``::

    opt = Adam(net.parameters(), lr=1e-3)
    for X, y in batches:
        net.loss_and_grad(X, y, loss)   # overwrites p.grad
        opt.step()

or, with a closure that recomputes the loss and the gradients at the current
``p.data`` (needed by Nesterov's method, which evaluates the gradient at a look-ahead
point)::

    opt.step(lambda: net.loss_and_grad(X, y, loss))

Before any parameter is changed, :meth:`~lecturenn.optim.base.Optimizer.step` checks every
gradient: a missing gradient, a wrong shape, a NaN or an infinity raises an error and leaves
all parameters untouched.

The code is split along the slides, one module per slide:

=============================  =================================================================
module                         slide
=============================  =================================================================
``lecturenn.optim.base``       the base class :class:`~lecturenn.optim.base.Optimizer` (checks,
                               closure, clipping, :math:`L_2`)
``lecturenn.optim.sgd``        «Напоминание: алгоритм SG»
``lecturenn.optim.momentum``   «Напоминание: метод накопления инерции (momentum)»
``lecturenn.optim.adaptive``   «Адаптивные градиенты»
``lecturenn.optim.combined``   «Комбинированные градиентные методы»
``lecturenn.optim.clipping``   «Проблема взрыва градиента и эвристика gradient clipping»
``lecturenn.optim.groups``     several optimizers as one (PReLU's slopes without weight decay)
``lecturenn.optim.lbfgs``      L-BFGS (not on the slides; the optimizer of the KAN paper)
=============================  =================================================================

Every name is importable from ``lecturenn.optim`` itself: ``from lecturenn.optim import Adam``.

Examples
--------
One step of Adam on :math:`\|w\|^2` from :math:`w = (1, -2)`: the first step moves every
coordinate by :math:`\eta` against the sign of its gradient (up to :math:`\varepsilon`).

>>> import numpy as np
>>> from lecturenn.optim import Adam
>>> from lecturenn.parameter import Parameter
>>> w = Parameter(np.array([1.0, -2.0]), name="w")
>>> opt = Adam([w], lr=0.1)
>>> w.grad = 2 * w.data
>>> opt.step()
>>> np.round(w.data, 6)
array([ 0.9, -1.9])
"""

from lecturenn.optim.adaptive import AdaDelta, RMSProp
from lecturenn.optim.base import Optimizer
from lecturenn.optim.clipping import NonFiniteGradientError, clip_grad_norm, global_grad_norm
from lecturenn.optim.combined import Adam, Nadam
from lecturenn.optim.groups import OptimizerGroup
from lecturenn.optim.lbfgs import LBFGS
from lecturenn.optim.momentum import Momentum, Nesterov
from lecturenn.optim.sgd import SGD

__all__ = [
    "NonFiniteGradientError",
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "RMSProp",
    "AdaDelta",
    "Adam",
    "Nadam",
    "LBFGS",
    "clip_grad_norm",
    "global_grad_norm",
    "OptimizerGroup",
]
