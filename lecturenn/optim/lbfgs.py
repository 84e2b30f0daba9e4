r"""L-BFGS: a quasi-Newton method from the last :math:`h` steps and gradient changes.

Not on the slides: the optimizer Liu et al. (2024) train their KANs with (pykan's ``fit``
defaults to it). Nocedal and Wright, *Numerical Optimization* (2006), algorithm 7.4 (the
two-loop recursion) and 7.5; the iteration is that of ``torch.optim.LBFGS`` (PyTorch 2.x),
which the tests follow iterate by iterate.

With the pairs :math:`s_i = w_{i+1} - w_i`, :math:`y_i = \nabla Q(w_{i+1}) - \nabla Q(w_i)`,
:math:`\rho_i = 1/(y_i^\top s_i)` of the last ``history_size`` iterations (a pair is stored
only if :math:`y^\top s >` ``tolerance_ys``; see below), the direction
:math:`d = -H\nabla Q` is computed without forming :math:`H`:

.. math::

    q = -\nabla Q;\quad \alpha_i = \rho_i s_i^\top q,\ q \mathrel{-}= \alpha_i y_i
    \ (i \text{ newest to oldest});\quad r = \gamma q,\ \gamma = \frac{s^\top y}{y^\top y};
    \quad \beta_i = \rho_i y_i^\top r,\ r \mathrel{+}= (\alpha_i - \beta_i) s_i
    \ (\text{oldest to newest});\quad d = r,

and :math:`w \leftarrow w + t d` with :math:`t = \eta` (the first iteration ever:
:math:`t = \eta\min(1, 1/\|\nabla Q\|_1)`), or :math:`t` from a backtracking line search
(Armijo's condition :math:`Q(w + td) \le Q(w) + c_1 t\,\nabla Q^\top d`, :math:`c_1 = 10^{-4}`,
halving :math:`t`).

**What one step is.** As in PyTorch and pykan, :meth:`LBFGS.step` runs up to ``max_iter``
iterations (20 by default), calling the closure once per iteration (and once per halving of
the line search); it stops early when the largest gradient entry is at most
``tolerance_grad``, or the step or the change of the loss is below ``tolerance_change``.
So "100 steps" of L-BFGS are up to 2000 iterations and about as many gradient evaluations,
against 100 for Adam: a full step of 20 iterations calls the closure 20 times with
``line_search="none"`` and at least 21 times with ``"backtracking"`` (one at the start, one
per iteration, one per halving). ``max_eval`` is checked only after an iteration's line
search, so a backtracking step can exceed it (21-27 calls per step on the KAN chapter's
[2, 1, 1] network at G = 20, ``tests/test_lbfgs.py``) and it can also end a step before
``max_iter``.

**Which pairs are kept** (``tolerance_ys``). A pair enters the memory only if
:math:`y^\top s` exceeds ``tolerance_ys``. :math:`y^\top s > 0` is the curvature condition
that keeps :math:`H` positive definite; the threshold is an *absolute* number, so it also
throws away pairs that satisfy the condition but are small because the loss itself is small.
PyTorch uses :math:`10^{-10}` (the default here, so the tests can follow
``torch.optim.LBFGS`` iterate by iterate); pykan 0.2.8's ``fit`` passes ``1e-32`` to its copy
of that optimizer. On the KAN chapter's toy fits the losses are about :math:`10^{-8}` and
:math:`y^\top s \sim 10^{-13}`: with :math:`10^{-10}` almost every pair of the finer grids is
rejected, the memory keeps only the stale pairs of earlier grids, and training stalls
(``kan_scaling.train`` therefore passes pykan's ``1e-32``).

A parameter with a :attr:`~lecturenn.parameter.Parameter.mask` (a pruned network) keeps its
deleted entries at zero, as with every optimizer of the package: their gradient is zeroed
after each closure call, so no direction moves them, and the value is re-masked after each
move.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import check_choice, check_int, check_positive, describe
from lecturenn.optim.base import Optimizer, _mask_data, _mask_grads

__all__ = ["LBFGS"]

_LINE_SEARCHES = ("none", "backtracking")


class LBFGS(Optimizer):
    r"""Limited-memory BFGS over all parameters at once (see the module docstring).

    Parameters
    ----------
    params : list of Parameter or a model with ``parameters()``
    lr : float, optional
        :math:`\eta`, 1 by default.
    max_iter : int, optional
        Iterations per :meth:`step` (20).
    history_size : int, optional
        :math:`h`, the number of stored pairs (100, PyTorch's default; pykan passes 10).
    line_search : str, optional
        ``"none"`` (PyTorch's default) or ``"backtracking"``.
    tolerance_grad, tolerance_change : float, optional
        The stopping thresholds (PyTorch's 1e-7 and 1e-9).
    max_eval : int, optional
        Closure calls per step (``max_iter * 5 // 4`` by default, as PyTorch), checked after
        each iteration.
    tolerance_ys : float, optional
        A pair :math:`(s, y)` is stored only if :math:`y^\top s` exceeds it: PyTorch's
        ``1e-10`` by default, pykan passes ``1e-32`` (see the module docstring).

    Examples
    --------
    The quadratic :math:`\tfrac12 w^\top A w` is minimised in a few iterations:

    >>> import numpy as np
    >>> from lecturenn.parameter import Parameter
    >>> A = np.array([[3.0, 1.0], [1.0, 2.0]])
    >>> w = Parameter(np.array([1.0, -1.0]), name="w")
    >>> def closure():
    ...     w.grad = A @ w.data
    ...     return 0.5 * w.data @ A @ w.data
    >>> opt = LBFGS([w], line_search="backtracking")
    >>> _ = opt.step(closure)
    >>> bool(np.max(np.abs(w.data)) < 1e-6)
    True
    """

    def __init__(self, params, lr: float = 1.0, *, max_iter: int = 20, history_size: int = 100,
                 line_search: str = "none", tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, max_eval: int | None = None,
                 tolerance_ys: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.max_iter = check_int("max_iter", max_iter, minimum=1)
        self.history_size = check_int("history_size", history_size, minimum=1)
        self.line_search = check_choice("line_search", line_search, _LINE_SEARCHES)
        self.tolerance_grad = check_positive("tolerance_grad", tolerance_grad, strict=False)
        self.tolerance_change = check_positive("tolerance_change", tolerance_change,
                                               strict=False)
        self.tolerance_ys = check_positive("tolerance_ys", tolerance_ys, strict=False)
        self.max_eval = (self.max_iter * 5 // 4 if max_eval is None
                         else check_int("max_eval", max_eval, minimum=1))
        self.n_iter = 0  # iterations over all steps
        self.n_evals = 0  # closure calls over all steps
        self._s: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        self._rho: list[float] = []
        self._d = None
        self._t = None
        self._H = 1.0
        self._prev_g = None

    # flat views of all parameters and gradients
    def _flat_grad(self) -> np.ndarray:
        for p in self.params:
            if p.grad is None or p.grad.shape != p.data.shape:
                raise ValueError(f"LBFGS: the closure must set the gradient of {p.name!r} "
                                 f"(shape {p.data.shape}), got {describe(p.grad)}")
        g = np.concatenate([p.grad.reshape(-1) for p in self.params]).astype(np.float64)
        if not np.all(np.isfinite(g)):
            raise ValueError("LBFGS: the gradient holds NaN or infinity")
        return g

    def _add(self, t: float, d: np.ndarray) -> None:
        offset = 0
        for p in self.params:
            n = p.data.size
            p.data += (t * d[offset:offset + n]).reshape(p.data.shape).astype(p.data.dtype)
            offset += n
        _mask_data(self.params)  # a deleted (masked) weight stays zero

    def _eval(self, closure) -> tuple[float, np.ndarray]:
        loss = float(closure())
        self.n_evals += 1
        _mask_grads(self.params)  # no direction along a deleted weight
        return loss, self._flat_grad()

    def step(self, closure=None):
        """Up to ``max_iter`` L-BFGS iterations; returns the loss at the start of the step.

        ``closure`` is required: it recomputes ``p.grad`` at the current ``p.data`` and
        returns the loss.
        """
        if closure is None or not callable(closure):
            raise ValueError("LBFGS.step needs a closure that recomputes the loss and p.grad, "
                             "e.g. opt.step(lambda: net.loss_and_grad(X, y, loss))")
        loss, g = self._eval(closure)
        orig_loss = loss
        evals = 1
        if np.max(np.abs(g)) <= self.tolerance_grad:
            return orig_loss
        it = 0
        while it < self.max_iter:
            it += 1
            self.n_iter += 1
            if self.n_iter == 1:
                d = -g
                self._s, self._y, self._rho, self._H = [], [], [], 1.0
            else:
                y = g - self._prev_g
                s = self._d * self._t
                ys = float(y @ s)
                if ys > self.tolerance_ys:
                    if len(self._s) == self.history_size:
                        self._s.pop(0)
                        self._y.pop(0)
                        self._rho.pop(0)
                    self._s.append(s)
                    self._y.append(y)
                    self._rho.append(1.0 / ys)
                    self._H = ys / float(y @ y)
                q = -g
                alpha = [0.0] * len(self._s)
                for i in range(len(self._s) - 1, -1, -1):
                    alpha[i] = float(self._s[i] @ q) * self._rho[i]
                    q = q - alpha[i] * self._y[i]
                r = q * self._H
                for i in range(len(self._s)):
                    beta = float(self._y[i] @ r) * self._rho[i]
                    r = r + self._s[i] * (alpha[i] - beta)
                d = r
            self._prev_g = g
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * self.lr if self.n_iter == 1 else self.lr
            gtd = float(g @ d)
            if gtd > -self.tolerance_change:
                self._d, self._t = d, t
                break
            done = False
            if self.line_search == "none":
                self._add(t, d)
                if it != self.max_iter:
                    loss, g = self._eval(closure)
                    evals += 1
                else:
                    done = True
            else:
                self._add(t, d)
                loss, g = self._eval(closure)
                evals += 1
                halvings = 0
                while loss > prev_loss + 1e-4 * t * gtd and halvings < 30:
                    self._add(-0.5 * t, d)
                    t *= 0.5
                    halvings += 1
                    loss, g = self._eval(closure)
                    evals += 1
            self._d, self._t = d, t
            for st in self.state:
                st["k"] += 1
            if done or it == self.max_iter or evals >= self.max_eval:
                break
            if np.max(np.abs(g)) <= self.tolerance_grad:
                break
            if np.max(np.abs(d * t)) <= self.tolerance_change:
                break
            if abs(loss - prev_loss) < self.tolerance_change:
                break
        return orig_loss

    def __repr__(self) -> str:
        return (f"LBFGS(n_arrays={len(self.params)}, lr={self.lr}, max_iter={self.max_iter}, "
                f"history_size={self.history_size}, line_search={self.line_search!r})")
