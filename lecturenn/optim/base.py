r"""The optimizer base class: per-parameter state, gradient checks, clipping, weight decay.

Every optimizer of :mod:`lecturenn.optim` subclasses :class:`Optimizer` and implements one
update of one parameter (``_update``); :meth:`Optimizer.step` does the rest (the checks, the
closure, clipping, the :math:`L_2` term). The small helpers at the end (exponential moving
averages in place, state arrays allocated once) are shared by the optimizers' modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from lecturenn._validation import (
    check_choice,
    check_in_range,
    check_int,
    check_parameters_finite,
    check_positive,
    check_real,
    describe,
)
from lecturenn.optim.clipping import _joint_norm, _scale_grads
from lecturenn.parameter import Parameter, as_parameter_list

__all__ = ['Optimizer']


def _check_closure(closure) -> None:
    if closure is not None and not callable(closure):
        raise TypeError(f"closure must be callable or None, got {describe(closure)}")


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
        all gradients (:func:`~lecturenn.optim.clipping.clip_grad_norm`), applied before
        every update.
    weight_decay : float, optional
        :math:`\lambda \ge 0` of the :math:`L_2` regularizer
        :math:`\frac{\lambda}{2}\|w\|^2`. Default 0.
    decoupled : bool, optional
        ``False`` (default): add :math:`\lambda w` to the gradient (the gradient of the
        regularized loss, "coupled" L2). ``True``: shrink the weights,
        :math:`w := w(1-\eta\lambda)`, before the optimizer's own update (Loshchilov and
        Hutter's decoupled weight decay in PyTorch's parametrization, that of
        ``torch.optim.AdamW``: the paper's algorithm 2 decays by
        :math:`\eta_t\lambda'\,w` with :math:`\eta_t` the schedule multiplier, not the
        learning rate, so with a constant schedule its :math:`\lambda'` is
        :math:`\eta\lambda` here). For plain SGD the two coincide.

    Attributes
    ----------
    params : list of Parameter
        The parameters, in order.
    state : list of dict
        ``state[i]`` is the state of ``params[i]``: ``"k"`` (the number of updates made)
        and the optimizer's own buffers under the slide's names.
    """

    def __init__(self, params, lr: float, *, clip=None, weight_decay=0.0, decoupled=False):
        self.params: list[Parameter] = as_parameter_list(params)
        self.lr = check_positive("lr", lr)
        self.clip = None if clip is None else check_positive("clip", clip)
        self.weight_decay = check_positive("weight_decay", weight_decay, strict=False)
        if not isinstance(decoupled, bool):
            raise TypeError(f"decoupled must be a bool, got {describe(decoupled)}")
        self.decoupled = decoupled
        self.state: list[dict] = [{"k": 0} for _ in self.params]
        self._weights_checked = False  # the first step checks the weights once

    # ------------------------------------------------------------------ helpers
    def state_of(self, param: Parameter) -> dict:
        """The state dict of ``param`` (looked up by identity)."""
        for p, s in zip(self.params, self.state, strict=True):
            if p is param:
                return s
        raise KeyError(f"{param!r} is not optimized by this optimizer")

    #: the state entries of :meth:`state_dict` besides ``"k"``: arrays shaped like the
    #: parameter, and numbers
    _state_arrays: tuple[str, ...] = ()
    _state_numbers: tuple[str, ...] = ()

    def _state_keys(self) -> list[str]:
        """The keys of :meth:`state_dict`: parameter names, ``name#i`` if a name repeats."""
        keys: list[str] = []
        for i, p in enumerate(self.params):
            keys.append(p.name if p.name not in keys else f"{p.name}#{i}")
        return keys

    def state_dict(self) -> dict:
        """A copy of the state keyed by parameter name (for inspection and saving).

        The hyper-parameters (``lr``, ``gamma``, ...) are not part of it: they are the
        arguments the optimizer was built with.
        """
        return {key: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()
                      if not k.startswith("_")}
                for key, s in zip(self._state_keys(), self.state, strict=True)}

    def load_state_dict(self, state) -> None:
        """Restore the state saved by :meth:`state_dict` (arrays are copied in).

        Parameters
        ----------
        state : dict
            ``{parameter name: {"k": ..., <buffers>}}`` as :meth:`state_dict` returns, for
            an optimizer of the same class over parameters of the same names, shapes and
            dtypes.

        Raises
        ------
        ValueError
            If a name is missing or extra, an entry is unknown to this optimizer, an array
            has another shape or dtype or is not finite, a counter ``"k"`` is not an int
            ``>= 0``, or the counters differ. Every problem is listed and nothing is changed.
        TypeError
            If ``state`` is not a dict.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"state must be a dict as state_dict() returns, got "
                            f"{describe(state)}")
        keys = self._state_keys()
        problems = []
        missing = [k for k in keys if k not in state]
        extra = sorted((k for k in state if k not in keys), key=str)
        if missing:
            problems.append(f"missing in the state: {missing}")
        if extra:
            problems.append(f"not parameters of this optimizer: {extra}")
        counts: set[int] = set()
        for key, p in zip(keys, self.params, strict=True):
            if key in state:
                problems += self._entry_problems(key, p, state[key], counts)
        if len(counts) > 1:
            problems.append(f"the counters 'k' differ ({sorted(counts)}): every parameter is "
                            "updated at every step")
        if problems:
            raise ValueError(f"the state does not fit {type(self).__name__} (nothing was "
                             "loaded): " + "; ".join(problems))
        for st, key in zip(self.state, keys, strict=True):
            for k in [k for k in st if not k.startswith("_")]:  # work arrays "_..." stay
                del st[k]
            st.update({k: (v.copy() if isinstance(v, np.ndarray) else v)
                       for k, v in state[key].items()})
            st["k"] = int(st["k"])

    def _entry_problems(self, key: str, p: Parameter, entry, counts: set) -> list[str]:
        """What is wrong with the state entry of one parameter (``counts`` collects ``k``)."""
        if not isinstance(entry, Mapping) or "k" not in entry:
            return [f"{key}: {describe(entry)} is not a dict with the counter 'k'"]
        known = ("k", *self._state_arrays, *self._state_numbers)
        problems = []
        for name, v in entry.items():
            where = f"{key}[{name!r}]"
            if name not in known:
                problems.append(f"{where}: not a state entry of {type(self).__name__} "
                                f"(it has {list(known)})")
            elif name in self._state_arrays:
                if not isinstance(v, np.ndarray):
                    problems.append(f"{where}: {describe(v)}, not a numpy array")
                elif v.shape != p.data.shape or v.dtype != p.data.dtype:
                    problems.append(f"{where}: shape {v.shape} and dtype {v.dtype}, the "
                                    f"parameter has {p.data.shape} and {p.data.dtype}")
                elif not np.all(np.isfinite(v)):
                    problems.append(f"{where}: holds NaN or infinity")
            else:
                try:
                    if name == "k":
                        counts.add(check_int(where, v, minimum=0))
                    else:
                        check_real(where, v)
                except (TypeError, ValueError) as exc:
                    problems.append(str(exc))
        return problems

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
        return _state_array(self, i, key, np.zeros_like)

    def _prepare_grads(self) -> list[np.ndarray]:
        """Check all gradients (shape, finiteness), clip them, add coupled weight decay.

        Raises before anything is modified, so a failing step leaves every parameter and
        every state buffer as it was.
        """
        step = self.k + 1
        norm = _joint_norm(self.params, step)
        if self.clip is not None:
            _scale_grads(self.params, norm, self.clip)
        grads = [p.grad for p in self.params]
        if self.weight_decay and not self.decoupled:
            # g + lambda*w into a work array (p.grad itself is left as the closure set it)
            lam = self.weight_decay
            for i, p in enumerate(self.params):
                buf = _scratch(self, i, "_g")
                np.multiply(p.data, lam, out=buf)
                buf += grads[i]
                grads[i] = buf
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
            current ``p.data`` and returns the loss. If given, it is called first (at the
            look-ahead point for the methods that need one, see :class:`Nesterov`).

        Returns
        -------
        float or None
            What the closure returned, or ``None`` without a closure.

        Raises
        ------
        ValueError
            A gradient is missing or has the wrong shape; a closure is required but
            not given; at the first step, a parameter holds NaN or infinity.
        NonFiniteGradientError
            A gradient holds a NaN or an infinity (the message also names a parameter
            whose own value is not finite, the usual cause). Raised before any parameter
            or state buffer is changed.

        Notes
        -----
        The weights themselves are checked once, at the first step (a NaN or an infinity
        put in by hand); a later step does not look at them (that would be one more pass
        over every parameter per step). With finite gradients a step can make a weight
        non-finite only by overflowing, and then the next gradient is non-finite and is
        reported with that weight.

        A parameter with a :attr:`~lecturenn.parameter.Parameter.mask` (a pruned network,
        :mod:`lecturenn.pruning`) has its gradient zeroed at the deleted entries before the
        checks, clipping and weight decay (so the optimizer's buffers stay zero there and
        the clipping norm counts the remaining weights only), and its value re-masked after
        the update (so no optimizer, momentum or decay revives a deleted weight).
        """
        _check_closure(closure)
        if not self._weights_checked:
            check_parameters_finite(self.params, f"{type(self).__name__}.step")
            self._weights_checked = True
        loss = None
        if self._uses_lookahead():
            if closure is None:
                raise ValueError(
                    f"{type(self).__name__} evaluates the gradient at the look-ahead point "
                    "w - eta*gamma*v, so step() needs a closure that recomputes the loss and "
                    "p.grad at the current p.data, e.g. opt.step(lambda: net.loss_and_grad(X, y, "
                    "loss))"
                )
            self._move_to_lookahead()
            _mask_data(self.params)  # a deleted weight stays zero at the look-ahead point
            try:
                loss = closure()
                _mask_grads(self.params)
                # checks and L2 term at the look-ahead point, before anything is updated
                grads = self._prepare_grads()
            finally:
                self._restore_from_lookahead()
        else:
            if closure is not None:
                loss = closure()
            _mask_grads(self.params)
            grads = self._prepare_grads()
        self._decay_weights()
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            self._update(i, p, g)
            self.state[i]["k"] += 1
        _mask_data(self.params)
        return loss

    def _uses_lookahead(self) -> bool:
        return False

    def _move_to_lookahead(self) -> None:  # pragma: no cover - only look-ahead methods
        raise NotImplementedError

    def _restore_from_lookahead(self) -> None:
        for i, p in enumerate(self.params):
            np.copyto(p.data, self.state[i]["_w"])

    def _update(self, i: int, p: Parameter, g: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        # n_arrays: the number of Parameter objects (net.n_params counts the numbers in them)
        return f"{type(self).__name__}(n_arrays={len(self.params)}, lr={self.lr})"


def _mask_grads(params) -> None:
    """Zero the gradients of the deleted entries of masked parameters (none: no work)."""
    for p in params:
        m = p.mask
        if m is not None and p.grad is not None and p.grad.shape == m.shape:
            np.multiply(p.grad, m, out=p.grad)


def _mask_data(params) -> None:
    """Zero the deleted entries of masked parameters."""
    for p in params:
        m = p.mask
        if m is not None:
            np.multiply(p.data, m, out=p.data)


def _check_gamma(name: str, value) -> float:
    return check_in_range(name, value, 0.0, 1.0)


def _check_variant(value, allowed: tuple[str, ...], name: str = "variant") -> str:
    return check_choice(name, value, allowed)


def _ema(avg: np.ndarray, x: np.ndarray, decay: float, buf: np.ndarray) -> None:
    r"""In place :math:`\bar x := \text{decay}\cdot\bar x + (1-\text{decay})\,x`.

    ``buf`` is a work array of the same shape; it may be ``x`` itself.
    """
    avg *= decay
    np.multiply(x, 1.0 - decay, out=buf)
    avg += buf


def _ema_sq(avg: np.ndarray, x: np.ndarray, decay: float, buf: np.ndarray) -> None:
    r"""In place :math:`\bar x := \text{decay}\cdot\bar x + (1-\text{decay})\,x\odot x`."""
    np.multiply(x, x, out=buf)
    _ema(avg, buf, decay, buf)


def _state_array(opt: Optimizer, i: int, key: str, new) -> np.ndarray:
    """``opt.state[i][key]``, created by ``new(params[i].data)`` on first use."""
    s = opt.state[i]
    buf = s.get(key)
    if buf is None:
        buf = s[key] = new(opt.params[i].data)
    return buf


def _scratch(opt: Optimizer, i: int, key: str = "_buf") -> np.ndarray:
    """A work array of the shape of ``params[i]``, allocated once (not part of the state)."""
    buf = opt.state[i].get(key)  # the body of _state_array, without a second call per use
    if buf is None:
        buf = opt.state[i][key] = np.empty_like(opt.params[i].data)
    return buf
