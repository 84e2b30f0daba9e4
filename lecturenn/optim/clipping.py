r"""Gradient clipping, and the joint gradient norm that every optimizer checks first.

Slide «Проблема взрыва градиента и эвристика gradient clipping» (Pascanu, Mikolov and Bengio
2013, algorithm 1). The joint norm :math:`\|g\| = \sqrt{\sum_j \|g_j\|^2}` of all gradients is
also the finiteness check of :meth:`lecturenn.optim.base.Optimizer.step`: a NaN or an infinity
raises :class:`NonFiniteGradientError` before any parameter is changed.
"""

from __future__ import annotations

import math

import numpy as np

from lecturenn._validation import check_positive, describe, nonfinite_parameter
from lecturenn.parameter import Parameter, as_parameter_list

__all__ = ['NonFiniteGradientError', 'clip_grad_norm', 'global_grad_norm']


class NonFiniteGradientError(ValueError, FloatingPointError):
    """A gradient holds a NaN or an infinity; no parameter was changed."""


def _grad_of(i: int, p: Parameter, step: int) -> np.ndarray:
    g = p.grad
    if g is None:
        raise ValueError(
            f"parameter {i} ({p.name!r}) has no gradient (grad is None) at step {step}: "
            "compute the gradients first (e.g. net.loss_and_grad(X, y, loss)) or pass a closure"
        )
    if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
        raise TypeError(
            f"grad of parameter {i} ({p.name!r}) must be a real floating numpy.ndarray, "
            f"got {describe(g)}"
        )
    if g.shape != p.data.shape:
        raise ValueError(
            f"grad of parameter {i} ({p.name!r}) must have the shape of its data "
            f"{p.data.shape}, got {g.shape}"
        )
    return g


def _first_nonfinite(g: np.ndarray):
    bad = np.argwhere(~np.isfinite(g))
    if bad.size == 0:
        return None
    idx = tuple(int(j) for j in bad[0])
    return idx, g[idx]


def global_grad_norm(params, *, step: int | None = None) -> float:
    r"""The Euclidean norm of all gradients taken together, :math:`\|g\| = \sqrt{\sum_j \|g_j\|^2}`.

    Also the finiteness check used by every optimizer: a NaN or an infinity in any
    gradient raises :class:`NonFiniteGradientError` naming the parameter and the index.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        The parameters whose ``grad`` is measured.
    step : int, optional
        The step number, only used in the error message.

    Returns
    -------
    float
        The joint norm.
    """
    return _joint_norm(as_parameter_list(params), "?" if step is None else step)


def _joint_norm(params: list[Parameter], where) -> float:
    """:func:`global_grad_norm` on a checked list of parameters (the optimizers' hot path).

    One pass over each gradient: :math:`\\|g_j\\|^2` by a BLAS dot product, which is
    ``inf``/``nan`` exactly when ``g_j`` holds an infinity or a NaN, or when the squares
    overflow; only then is the gradient looked at element by element.
    """
    total = 0.0
    overflowed = []
    with np.errstate(over="ignore", invalid="ignore"):
        for i, p in enumerate(params):
            g = p.grad
            if not (type(g) is np.ndarray and g.dtype.kind == "f" and g.shape == p.data.shape):
                g = _grad_of(i, p, where)  # a subclass of ndarray, or the error that fits
            flat = g.reshape(-1)
            s = float(np.dot(flat, flat))
            if math.isfinite(s):
                total += s
                continue
            found = _first_nonfinite(g)
            if found is not None:
                idx, val = found
                cause = nonfinite_parameter(params)  # the usual cause: a weight itself
                raise NonFiniteGradientError(
                    f"gradient of parameter {i} ({p.name!r}) is not finite at step {where}: "
                    f"{val} at index {idx}"
                    + (f"; {cause}, which makes the gradients non-finite" if cause else "")
                    + "; no parameter was changed"
                )
            overflowed.append(g)  # finite, but the squares overflow
        if not overflowed:
            return math.sqrt(total)
        # rare: rescale by the largest magnitude of the gradients that overflowed
        big = max(float(np.max(np.abs(g))) for g in overflowed)
        acc = total / big / big
        for g in overflowed:
            flat = (g / big).reshape(-1)
            acc += float(np.dot(flat, flat))
    return big * math.sqrt(acc)


def clip_grad_norm(params, theta: float) -> float:
    r"""Gradient clipping by the joint norm, in place.

    Slide «Проблема взрыва градиента и эвристика gradient clipping» (checked against
    Pascanu, Mikolov and Bengio 2013, algorithm 1):

    .. math::

        \text{if } \|g\| > \theta \text{ then } g := g\,\theta / \|g\|,

    where :math:`g` is the gradient of *all* parameters taken together. The direction
    is kept, the norm becomes :math:`\min(\|g\|, \theta)`.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        Their ``grad`` arrays are rescaled in place.
    theta : float
        The threshold :math:`\theta > 0`.

    Returns
    -------
    float
        The norm *before* clipping (as ``torch.nn.utils.clip_grad_norm_`` returns).

    Examples
    --------
    >>> import numpy as np
    >>> from lecturenn.parameter import Parameter
    >>> p = Parameter(np.zeros(2), name="w"); p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm([p], theta=1.0)
    5.0
    >>> p.grad
    array([0.6, 0.8])
    """
    theta = check_positive("theta", theta)
    params = as_parameter_list(params)
    norm = global_grad_norm(params)
    _scale_grads(params, norm, theta)
    return norm


def _scale_grads(params: list[Parameter], norm: float, theta: float) -> None:
    if norm > theta:
        c = theta / norm
        for p in params:
            p.grad *= c
