r"""Several optimizers stepped as one: parameter groups with their own settings.

Every optimizer of :mod:`lecturenn.optim` applies its ``weight_decay`` to **every** parameter
it is given. He et al. (2015, section 2.1) train the slopes :math:`\alpha` of PReLU without
weight decay ("a weight decay tends to push :math:`a_i` to zero, and thus biases PReLU toward
ReLU"), and BatchNorm's :math:`\gamma, \beta` are usually left undecayed as well. Give those
parameters to a second optimizer without decay and step both with :class:`OptimizerGroup`
(PyTorch does the same with the parameter groups of one optimizer).
"""

from __future__ import annotations

from collections.abc import Callable

from lecturenn._validation import check_callable, describe
from lecturenn.optim.combined import Nadam
from lecturenn.optim.momentum import Nesterov
from lecturenn.parameter import first_duplicate

__all__ = ["OptimizerGroup"]


class OptimizerGroup:
    r"""Step several optimizers, each over its own parameters, from one gradient evaluation.

    ``step(closure)`` calls ``closure`` once (it fills ``grad`` of every parameter), then
    ``step()`` of each optimizer without a closure. Optimizers that need the gradient at
    another point (:class:`~lecturenn.optim.momentum.Nesterov`, Nadam's look-ahead) cannot
    share one closure this way and are refused.

    Parameters
    ----------
    *optimizers : Optimizer
        At least one; no parameter may belong to two of them.

    Attributes
    ----------
    params : list of Parameter
        The parameters of all optimizers, in order (so :func:`lecturenn.training.fit`
        can check that they belong to the network).

    Examples
    --------
    >>> from lecturenn.network import Network
    >>> from lecturenn.optim import SGD
    >>> net = Network([2, 3, 1], activation="prelu")
    >>> slopes = [p for p in net.parameters() if p.name.endswith("alpha")]
    >>> weights = [p for p in net.parameters() if not p.name.endswith("alpha")]
    >>> opt = OptimizerGroup(SGD(weights, lr=0.1, weight_decay=1e-2), SGD(slopes, lr=0.1))
    >>> [p.name for p in opt.params]
    ['layers.0.W', 'layers.1.W', 'layers.0.alpha']
    """

    def __init__(self, *optimizers) -> None:
        if not optimizers:
            raise ValueError("OptimizerGroup needs at least one optimizer")
        for k, opt in enumerate(optimizers):
            if not callable(getattr(opt, "step", None)) or not isinstance(
                    getattr(opt, "params", None), list):
                raise TypeError(f"optimizers[{k}] of OptimizerGroup must be an optimizer of "
                                f"lecturenn.optim, got {describe(opt)}")
            if isinstance(opt, (Nesterov, Nadam)):
                raise TypeError(f"optimizers[{k}] of OptimizerGroup is {type(opt).__name__}, "
                                "which evaluates the gradient at its own look-ahead point: "
                                "it cannot share one closure with other optimizers")
        self.optimizers = list(optimizers)
        self.params = [p for opt in self.optimizers for p in opt.params]
        dup = first_duplicate(self.params)
        if dup is not None:
            raise ValueError(f"the parameter {self.params[dup[0]].name!r} belongs to two "
                             "optimizers of the OptimizerGroup: it would be updated twice")

    def step(self, closure: Callable[[], float] | None = None):
        """Call ``closure`` (if given) once, then make one step of every optimizer.

        Returns the closure's loss, or ``None`` without a closure.
        """
        loss = None
        if closure is not None:
            check_callable("closure", closure)
            loss = closure()
        for opt in self.optimizers:
            opt.step()
        return loss

    def __repr__(self) -> str:
        inner = ", ".join(type(o).__name__ for o in self.optimizers)
        return f"OptimizerGroup({inner})"
