"""Trainable parameters: the interface between models and optimizers.

A model (a network of the BackProp chapter, a neuron, a test function of the
optimizers chapter) exposes its trainable arrays as a list of :class:`Parameter`
objects, the way ``torch.nn.Module.parameters()`` does. An optimizer receives that
list, keeps its own state per parameter (momentum ``v``, the mean square ``G``, ...)
and updates ``Parameter.data`` in place from ``Parameter.grad``.

Optimizers that need the gradient at another point than the current one (Nesterov's
look-ahead ``w - \\eta\\gamma v``, Nadam) receive a *closure*: a function of no
arguments that recomputes the loss and fills ``grad`` of every parameter at the
current values of ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["Parameter", "as_parameter_list", "zero_grad"]


class Parameter:
    """A named trainable array and its gradient.

    Parameters
    ----------
    data : array_like
        The value; stored as a floating array and updated in place by optimizers.
    name : str
        A name that says where the parameter lives, e.g. ``"layers.0.W"``.

    Attributes
    ----------
    data : numpy.ndarray
        The current value.
    grad : numpy.ndarray or None
        :math:`\\partial Q / \\partial w`, same shape and dtype as ``data``; ``None``
        until a backward pass (or the user) sets it.

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.zeros(3), name="w")
    >>> p.grad = np.ones(3)
    >>> p.data -= 0.1 * p.grad
    >>> p.data
    array([-0.1, -0.1, -0.1])
    """

    __slots__ = ("data", "grad", "name")

    def __init__(self, data, name: str = "param") -> None:
        arr = np.asarray(data)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float64)
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.name = str(name)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def zero_grad(self) -> None:
        """Set the gradient to zeros (allocating it on first use)."""
        if self.grad is None or self.grad.shape != self.data.shape:
            self.grad = np.zeros_like(self.data)
        else:
            self.grad.fill(0)

    def __repr__(self) -> str:
        return f"Parameter(name={self.name!r}, shape={self.data.shape}, dtype={self.data.dtype})"


def as_parameter_list(params) -> list[Parameter]:
    """Accept a model (with ``.parameters()``), a Parameter, or an iterable of them."""
    if isinstance(params, Parameter):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be Parameter objects, not a bare numpy array; "
            "wrap it: Parameter(array, name='w')"
        )
    if not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of Parameter, got {type(params).__name__}")
    out = list(params)
    if not out:
        raise ValueError("params is empty: the optimizer has nothing to optimize")
    for i, p in enumerate(out):
        if not isinstance(p, Parameter):
            raise TypeError(f"params[{i}] must be a Parameter, got {type(p).__name__}")
    return out


def zero_grad(params: Iterable[Parameter]) -> None:
    """Zero the gradients of all parameters."""
    for p in params:
        p.zero_grad()
