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

import math
from collections.abc import Callable, Mapping

import numpy as np

from lecturenn._validation import check_in_range, check_int, check_positive, check_real, describe
from lecturenn.parameter import Parameter, as_parameter_list

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
    "clip_grad_norm",
    "global_grad_norm",
]


class NonFiniteGradientError(ValueError, FloatingPointError):
    """A gradient holds a NaN or an infinity; no parameter was changed."""


def _check_closure(closure) -> None:
    if closure is not None and not callable(closure):
        raise TypeError(f"closure must be callable or None, got {describe(closure)}")


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
            g = _grad_of(i, p, where)
            flat = g.reshape(-1)
            s = float(np.dot(flat, flat))
            if math.isfinite(s):
                total += s
                continue
            found = _first_nonfinite(g)
            if found is not None:
                idx, val = found
                raise NonFiniteGradientError(
                    f"gradient of parameter {i} ({p.name!r}) is not finite at step {where}: "
                    f"{val} at index {idx}; no parameter was changed"
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
            not given.
        NonFiniteGradientError
            A gradient holds a NaN or an infinity. Raised before any parameter or state
            buffer is changed.
        """
        _check_closure(closure)
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
            try:
                loss = closure()
                # checks and L2 term at the look-ahead point, before anything is updated
                grads = self._prepare_grads()
            finally:
                self._restore_from_lookahead()
        else:
            if closure is not None:
                loss = closure()
            grads = self._prepare_grads()
        self._decay_weights()
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            self._update(i, p, g)
            self.state[i]["k"] += 1
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
        else:  # a work array allocated once: no temporary per step
            buf = _scratch(self, i)
            np.multiply(g, self.lr, out=buf)
            p.data -= buf


def _check_gamma(name: str, value) -> float:
    return check_in_range(name, value, 0.0, 1.0)


def _check_variant(value, allowed: tuple[str, ...], name: str = "variant") -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {describe(value)}")
    return value


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
    return _state_array(opt, i, key, np.empty_like)


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
        See :class:`Optimizer`.

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
        See :class:`Optimizer`. Coupled weight decay adds :math:`\lambda` times the
        look-ahead point, the gradient of the regularized loss there.

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
        See :class:`Optimizer`.

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
        See :class:`Optimizer`.

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
        See :class:`Optimizer`. ``decoupled=True`` gives AdamW (Loshchilov and Hutter) in
        PyTorch's parametrization, :math:`w := w(1-\eta\lambda)` before Adam's step.

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

    ``variant="slide"`` is the slide's formula, read with one gradient per step taken at
    the look-ahead point :math:`w - \eta\gamma\hat v` (needs a closure):
    :math:`w := w - \eta\bigl(\gamma\hat v + \frac{1-\gamma}{1-\gamma^k}
    \nabla\mathcal{L}(w - \eta\gamma\hat v)\bigr)\oslash(\sqrt{\hat G} + \varepsilon)`
    with :math:`\hat v = v/(1-\gamma^k)`, constant :math:`\gamma`.

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
        ``"paper"`` (default) or ``"slide"``, see above; ``"slide"`` ignores ``schedule``
        and ``ema``.
    clip, weight_decay, decoupled
        See :class:`Optimizer`.

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
        self.variant = _check_variant(variant, ("paper", "slide"))

    def mu(self, k: int) -> float:
        r"""The momentum :math:`\gamma_k` of update number ``k`` (1-based)."""
        if self.schedule is None:
            return self.gamma
        return self.gamma * (1.0 - 0.5 * 0.96 ** (k * self.schedule))

    def _uses_lookahead(self):
        return self.variant == "slide"

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
