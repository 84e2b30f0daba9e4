r"""Gradient checking by central finite differences.

The BackProp gradient is compared with

.. math::

    \frac{\partial Q}{\partial w_j} \approx \frac{Q(w + \tau e_j) - Q(w - \tau e_j)}{2\tau},

whose error is :math:`O(\tau^2)` (plus rounding :math:`O(\epsilon_{\text{mach}}/\tau)`), by the
**relative error** of each entry

.. math::

    r_j = \frac{|g_j - \tilde g_j|}{\max(|g_j| + |\tilde g_j|,\ \text{floor})},

where the floor (``1e-4`` by default) makes entries smaller than it compare in
absolute terms: their finite-difference estimate carries a rounding error of about
:math:`\epsilon_{\text{mach}}|Q|/\tau \approx 10^{-11}`, which relative to a tiny
(or zero, for a dead ReLU) entry would exceed any useful tolerance, while a wrong entry
still gives :math:`r \ge |g_j - \tilde g_j| / 10^{-4}`, far above the tolerance.

The step :math:`\tau = 10^{-5}` of :func:`check_gradients` balances the truncation
error :math:`O(\tau^2)` against that rounding error in float64: a correct gradient
gives :math:`r \lesssim 10^{-6}`, a wrong one :math:`r` of order 1.

Finite differences cost :math:`2\dim w` forward passes, that is :math:`O(\dim^2 w)`
operations: the cost BackProp avoids (slide «Алгоритм BackProp: преимущества и
недостатки»). Run checks in float64: float32 rounding swamps the difference quotient.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_callable,
    check_finite,
    check_parameters_finite,
    check_positive,
    check_real,
    describe,
)
from lecturenn.losses import get_loss

__all__ = [
    "numerical_gradient",
    "relative_error",
    "check_grad",
    "check_gradients",
    "GradCheckReport",
]


def relative_error(a, b, floor: float = 1e-4) -> np.ndarray:
    r"""Entrywise :math:`|a - b| / \max(|a| + |b|, \text{floor})`.

    Parameters
    ----------
    a, b : array_like
        Two arrays of the same shape (e.g. a BackProp and a finite-difference gradient).
    floor : float, optional
        :math:`\text{floor} > 0`: entries with :math:`|a| + |b|` below it are compared in
        absolute terms (see the module docstring).

    Returns
    -------
    numpy.ndarray
        The relative errors, shape of ``a``.
    """
    floor = check_positive("floor", floor)
    a = as_float_array("a", a, allow_empty=True, finite=False)
    b = as_float_array("b", b, allow_empty=True, finite=False)
    if a.shape != b.shape:
        raise ValueError(f"relative_error needs equal shapes, got {a.shape} and {b.shape} "
                         "(a and b)")
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-5) -> np.ndarray:
    r"""Central-difference gradient of a scalar function ``f`` at ``x``.

    ``x`` is perturbed **in place** one entry at a time (and restored), so ``f`` may read it
    through a closure, as when ``x`` is ``p.data`` of a network parameter.

    Parameters
    ----------
    f : callable
        ``f() -> float`` or ``f(x) -> float``; it is called as ``f(x)``.
    x : numpy.ndarray
        A floating array with finite entries (modified temporarily, restored exactly).
    eps : float, optional
        The step :math:`\tau`.
    """
    eps = check_positive("eps", eps)
    if not callable(f):
        raise TypeError(f"f must be a callable returning a real number, got {describe(f)}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"x must be a floating numpy array, got {describe(x)}")
    check_finite("x", x)
    g = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)  # a view for contiguous arrays
    if not np.shares_memory(flat, x):
        raise ValueError("x must be a contiguous array (it is perturbed in place)")
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = check_real("f(x)", f(x), finite=False)
        flat[j] = old - eps
        fm = check_real("f(x)", f(x), finite=False)
        flat[j] = old
        g.reshape(-1)[j] = (fp - fm) / (2 * eps)
    return g


def check_grad(f: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
               x, eps: float = 1e-5, floor: float = 1e-4) -> float:
    r"""The maximum relative error between ``grad(x)`` and the finite-difference gradient of ``f``.

    A generic check for any function of one array (not only networks).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda v: float(np.sum(v ** 3))
    >>> err = check_grad(f, lambda v: 3 * v ** 2, np.array([1.0, -2.0]))
    >>> err < 1e-8
    True
    """
    check_callable("f", f, "a callable f(x) -> float")
    check_callable("grad", grad, "a callable grad(x) -> array of the shape of x")
    x = as_float_array("x", x).copy()
    analytic = as_float_array("grad(x)", grad(x.copy()), allow_empty=True, finite=False)
    if analytic.shape != x.shape:
        raise ValueError(f"grad(x) must have the shape of x {x.shape}, got {analytic.shape}")
    numeric = numerical_gradient(f, x, eps)
    return float(np.max(relative_error(analytic, numeric, floor)))


@dataclass
class GradCheckReport:
    """The result of :func:`check_gradients`.

    Attributes
    ----------
    errors : dict
        The maximum relative error per parameter name.
    analytic, numeric : dict
        The BackProp and the finite-difference gradients per parameter name.
    """

    errors: dict = field(default_factory=dict)
    analytic: dict = field(default_factory=dict)
    numeric: dict = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        """The largest relative error over all parameters (NaN if one of them is NaN)."""
        if not self.errors:
            raise ValueError("the report holds no parameter: a check of nothing has no error")
        errs = list(self.errors.values())
        return float("nan") if any(e != e for e in errs) else max(errs)

    def ok(self, tol: float = 1e-6) -> bool:
        """True if every relative error is below ``tol`` (a number > 0).

        An empty report is a ``ValueError`` (checking nothing is not a pass); a NaN error
        is not below any tolerance.
        """
        return self.max_error < check_positive("tol", tol)

    def __str__(self) -> str:
        lines = [f"{name:<20} max relative error {err:.2e}" for name, err in self.errors.items()]
        return "\n".join(lines)


def check_gradients(net, X, y, loss, eps: float = 1e-5, params=None,
                    floor: float = 1e-4) -> GradCheckReport:
    r"""Compare the BackProp gradient of ``net`` with central finite differences.

    Works for any model with ``parameters()``, ``loss_and_grad(X, y, loss)`` and
    ``forward(X)`` (a :class:`lecturenn.network.Network` or anything shaped like it).

    Parameters
    ----------
    net : lecturenn.network.Network
        Checked in its current mode; put layers with randomness (dropout) in ``eval()``.
    X, y : array_like
        A (small) batch and its targets.
    loss : Loss or str
    eps : float, optional
        The finite-difference step :math:`\tau`.
    params : str or list of str, optional
        Name(s) of the parameters to check (all by default); at least one: checking no
        parameter is an error, not a pass.
    floor : float, optional
        See :func:`relative_error`.

    Returns
    -------
    GradCheckReport
        ``report.errors[name]`` is the maximum relative error of that parameter.

    Raises
    ------
    TypeError
        ``net`` lacks ``parameters``/``loss_and_grad``/``forward``; ``params`` is not a
        name or a list of names.
    ValueError
        No parameter to check (``params=[]``, or a model without parameters), an unknown
        name, a parameter that holds NaN or infinity, bad ``X`` or ``y``.

    Warns
    -----
    RuntimeWarning
        If a checked parameter is not float64 (float32 rounding swamps the difference
        quotient).

    Examples
    --------
    >>> import numpy as np
    >>> from lecturenn.network import Network
    >>> net = Network([2, 3, 2], activation="tanh", rng=0)
    >>> X = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 0.1]])
    >>> report = check_gradients(net, X, [0, 1, 1], "cross_entropy")
    >>> sorted(report.errors), report.ok(1e-6)
    (['layers.0.W', 'layers.1.W'], True)
    """
    eps = check_positive("eps", eps)
    floor = check_positive("floor", floor)
    missing = [m for m in ("parameters", "loss_and_grad", "forward")
               if not callable(getattr(net, m, None))]
    if missing:
        raise TypeError(f"net of check_gradients must be a model with parameters(), "
                        f"loss_and_grad(X, y, loss) and forward(X) (a lecturenn Network), "
                        f"got {describe(net)} without {missing}")
    loss = get_loss(loss)
    all_params = list(net.parameters())
    if params is not None:
        if isinstance(params, str):
            params = [params]
        if not isinstance(params, (list, tuple)) or not all(isinstance(n, str) for n in params):
            raise TypeError(f"params must be a parameter name or a list of names, got "
                            f"{describe(params)}")
        known = {p.name for p in all_params}
        unknown = [name for name in params if name not in known]
        if unknown:
            raise ValueError(f"unknown parameter names {unknown}; the model has {sorted(known)}")
        all_params = [p for p in all_params if p.name in set(params)]
    if not all_params:
        raise ValueError("params is empty: check_gradients has no parameter to check, and "
                         "checking nothing is not a pass; name at least one (the model has "
                         f"{sorted(p.name for p in net.parameters())})")
    check_parameters_finite(net.parameters(), "check_gradients")
    X = net._check_input(X) if hasattr(net, "_check_input") else np.asarray(X)
    out = net.forward(X)
    y = loss.prepare_target(y, out.shape, out.dtype)
    net.loss_and_grad(X, y, loss, check=False)
    low = sorted({str(p.data.dtype) for p in all_params if p.data.dtype != np.float64})
    if low:
        warnings.warn(
            f"check_gradients on {', '.join(low)} parameters: the difference quotient with "
            f"eps={eps:g} is swamped by rounding, so the errors are meaningless; check a "
            "float64 copy of the model instead",
            RuntimeWarning,
            stacklevel=2,
        )
    report = GradCheckReport()
    analytic = {p.name: np.array(p.grad, dtype=np.float64) for p in all_params}

    def q(_):  # y is already prepared: the unchecked per_object
        return float(np.mean(loss.per_object(net.forward(X), y)))

    for p in all_params:
        num = numerical_gradient(q, p.data, eps)
        report.analytic[p.name] = analytic[p.name]
        report.numeric[p.name] = num
        report.errors[p.name] = float(np.max(relative_error(analytic[p.name], num, floor)))
    return report
