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

Before any parameter is changed, :meth:`Optimizer.step` checks every gradient: a
missing gradient, a wrong shape, a NaN or an infinity raises an error and leaves all
parameters untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecturenn._validation import check_in_range, check_positive, describe
from lecturenn.parameter import Parameter, as_parameter_list

__all__ = [
    "NonFiniteGradientError",
    "Optimizer",
    "SGD",
    "clip_grad_norm",
    "global_grad_norm",
]


class NonFiniteGradientError(ValueError, FloatingPointError):
    """A gradient holds a NaN or an infinity; no parameter was changed."""


def _check_closure(closure) -> None:
    if closure is not None and not callable(closure):
        raise TypeError(f"closure must be callable or None, got {describe(closure)}")


def _sq_norm(g: np.ndarray) -> float:
    """:math:`\\|g\\|^2` in one pass; ``inf``/``nan`` if ``g`` is not finite or overflows."""
    flat = g.reshape(-1)
    return float(np.dot(flat, flat))


def _grad_of(i: int, p: Parameter, step: int) -> np.ndarray:
    g = p.grad
    if g is None:
        raise ValueError(
            f"parameter {i} ({p.name!r}) has no gradient (grad is None) at step {step}: "
            "compute the gradients first (e.g. net.loss_and_grad(X, y, loss)) or pass a closure"
        )
    if not isinstance(g, np.ndarray):
        raise TypeError(
            f"grad of parameter {i} ({p.name!r}) must be a numpy.ndarray, got {describe(g)}"
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
    params = as_parameter_list(params)
    where = "?" if step is None else step
    total = 0.0
    sqs = []
    for i, p in enumerate(params):
        g = _grad_of(i, p, where)
        s = _sq_norm(g)
        if not np.isfinite(s):
            found = _first_nonfinite(g)
            if found is not None:
                idx, val = found
                raise NonFiniteGradientError(
                    f"gradient of parameter {i} ({p.name!r}) is not finite at step {where}: "
                    f"{val} at index {idx}; no parameter was changed"
                )
            # finite but the squares overflow: scale by the largest magnitude
            m = float(np.max(np.abs(g)))
            s = None
            sqs.append((m, g))
            continue
        total += s
    if not sqs:
        return float(np.sqrt(total))
    # rare overflow path: rescale everything by the largest magnitude
    big = max(m for m, _ in sqs)
    acc = total / big / big
    for _, g in sqs:
        acc += _sq_norm(g / big)
    return float(big * np.sqrt(acc))


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


class Optimizer:
    r"""Base class: per-parameter state, gradient checks, clipping and weight decay.

    Parameters
    ----------
    params : list of Parameter, Parameter or a model with ``parameters()``
        What to optimize.
    lr : float
        The learning rate :math:`\eta > 0`.
    clip : float or None, optional
        If given, the threshold :math:`\theta` of gradient clipping by the joint norm of
        all gradients (:func:`clip_grad_norm`), applied before every update.
    weight_decay : float, optional
        :math:`\lambda \ge 0` of the :math:`L_2` regularizer
        :math:`\frac{\lambda}{2}\|w\|^2`. Default 0.
    decoupled : bool, optional
        ``False`` (default): add :math:`\lambda w` to the gradient (the gradient of the
        regularized loss, "coupled" L2). ``True``: shrink the weights,
        :math:`w := w(1-\eta\lambda)`, before the optimizer's own update (Loshchilov and
        Hutter's decoupled weight decay). For plain SGD the two coincide.

    Attributes
    ----------
    params : list of Parameter
        The parameters, in order.
    state : list of dict
        ``state[i]`` is the state of ``params[i]``: ``"k"`` (the number of updates made)
        and the optimizer's own buffers under the slide's names.
    """

    #: True for methods that must evaluate the gradient at another point (a closure is required).
    needs_closure = False

    def __init__(self, params, lr: float, *, clip=None, weight_decay=0.0, decoupled=False):
        self.params: list[Parameter] = as_parameter_list(params)
        self.lr = check_positive("lr", lr)
        self.clip = None if clip is None else check_positive("clip", clip)
        self.weight_decay = check_positive("weight_decay", weight_decay, strict=False)
        if not isinstance(decoupled, bool):
            raise TypeError(f"decoupled must be a bool, got {describe(decoupled)}")
        self.decoupled = decoupled
        self.state: list[dict] = [{"k": 0} for _ in self.params]

    # ------------------------------------------------------------------ helpers
    def state_of(self, param: Parameter) -> dict:
        """The state dict of ``param`` (looked up by identity)."""
        for p, s in zip(self.params, self.state, strict=True):
            if p is param:
                return s
        raise KeyError(f"{param!r} is not optimized by this optimizer")

    def state_dict(self) -> dict:
        """A copy of the state keyed by parameter name (for inspection and saving)."""
        out = {}
        for i, (p, s) in enumerate(zip(self.params, self.state, strict=True)):
            key = p.name if p.name not in out else f"{p.name}#{i}"
            out[key] = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()
                        if not k.startswith("_")}
        return out

    def zero_grad(self) -> None:
        """Set every gradient to zero."""
        for p in self.params:
            p.zero_grad()

    @property
    def k(self) -> int:
        """The number of updates made so far."""
        return self.state[0]["k"]

    def _buffer(self, i: int, key: str) -> np.ndarray:
        """A zero-initialized state array of the shape and dtype of ``params[i]``."""
        s = self.state[i]
        buf = s.get(key)
        if buf is None:
            buf = np.zeros_like(self.params[i].data)
            s[key] = buf
        return buf

    def _prepare_grads(self) -> list[np.ndarray]:
        """Check all gradients (shape, finiteness), clip them, add coupled weight decay.

        Raises before anything is modified, so a failing step leaves every parameter and
        every state buffer as it was.
        """
        step = self.k + 1
        norm = global_grad_norm(self.params, step=step)
        if self.clip is not None:
            _scale_grads(self.params, norm, self.clip)
        grads = [p.grad for p in self.params]
        if self.weight_decay and not self.decoupled:
            lam = self.weight_decay
            grads = [g + lam * p.data for g, p in zip(grads, self.params, strict=True)]
        return grads

    def _decay_weights(self) -> None:
        if self.weight_decay and self.decoupled:
            f = 1.0 - self.lr * self.weight_decay
            for p in self.params:
                p.data *= f

    # ------------------------------------------------------------------ the step
    def step(self, closure: Callable[[], float] | None = None):
        """Make one update.

        Parameters
        ----------
        closure : callable, optional
            A function of no arguments that recomputes the gradients (``p.grad``) at the
            current ``p.data`` and returns the loss. If given, it is called first.

        Returns
        -------
        float or None
            What the closure returned, or ``None`` without a closure.
        """
        _check_closure(closure)
        loss = None
        if closure is not None:
            loss = closure()
        grads = self._prepare_grads()
        self._decay_weights()
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            self._update(i, p, g)
            self.state[i]["k"] += 1
        return loss

    def _update(self, i: int, p: Parameter, g: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_params={len(self.params)}, lr={self.lr})"


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
        See :class:`Optimizer`. With ``weight_decay=λ`` the step is the slide's
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
        else:
            p.data -= self.lr * g


def _check_gamma(name: str, value) -> float:
    return check_in_range(name, value, 0.0, 1.0)
