r"""Test objectives for optimizers: a ravine, Rosenbrock, Beale, a saddle and a cliff.

Slides «Сравнение сходимости методов» (Alec Radford's animations run the optimizers on
such surfaces) and «Проблема взрыва градиента и эвристика gradient clipping» (the cliff).

Every objective is a function of a point :math:`w = (x, y)` with its value and its
analytic gradient, vectorized over grids for contour plots, and usable with the
optimizers of :mod:`lecturenn.optim`::

    f = ROSENBROCK
    w = f.parameter()                    # a Parameter at f.start
    opt = Adam([w], lr=0.05)
    for _ in range(100):
        opt.step(f.closure(w))           # sets w.grad, returns f(w)

The gradients are checked against SymPy in ``tests/test_optim.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_int,
    check_positive,
    check_real,
    describe,
)
from lecturenn.parameter import Parameter

__all__ = [
    "TestFunction",
    "ravine",
    "rosenbrock",
    "beale",
    "saddle",
    "cliff",
    "RAVINE",
    "ROSENBROCK",
    "BEALE",
    "SADDLE",
    "CLIFF",
    "TEST_FUNCTIONS",
    "run_optimizer",
]


@dataclass(frozen=True)
class TestFunction:
    r"""A two-variable objective with its gradient.

    Attributes
    ----------
    name : str
        A short name.
    f : callable
        ``f(x, y)``, vectorized (numpy broadcasting).
    grad : callable
        ``grad(x, y) -> (df/dx, df/dy)``, vectorized.
    start : tuple of float
        A starting point used in the book.
    minimum : tuple of float or None
        A global minimizer (``None`` if unbounded below).
    xlim, ylim : tuple of float
        The window of the plots.
    formula : str
        The formula in LaTeX.
    """

    __test__ = False  # not a pytest test class despite the name

    name: str
    f: Callable
    grad: Callable
    start: tuple
    minimum: tuple | None
    xlim: tuple
    ylim: tuple
    formula: str = field(default="")

    def _point(self, w) -> np.ndarray:
        arr = as_float_array("w", w, ndim=1)
        if arr.shape != (2,):
            raise ValueError(f"w must have shape (2,), got {arr.shape}")
        return arr

    def value(self, w) -> float:
        """:math:`f(w)` at a point ``w`` of shape (2,)."""
        x, y = self._point(w)
        return float(self.f(x, y))

    def gradient(self, w) -> np.ndarray:
        r""":math:`\nabla f(w)`, shape (2,)."""
        x, y = self._point(w)
        gx, gy = self.grad(x, y)
        return np.array([gx, gy], dtype=float)

    def parameter(self, start=None, name: str | None = None) -> Parameter:
        """A :class:`~lecturenn.parameter.Parameter` at ``start`` (default: ``self.start``)."""
        w0 = self._point(self.start if start is None else start).copy()
        return Parameter(w0, name=self.name if name is None else name)

    def closure(self, param: Parameter) -> Callable[[], float]:
        """A closure for ``Optimizer.step``: sets ``param.grad`` at ``param.data``, returns f."""
        if not isinstance(param, Parameter):
            raise TypeError(f"param must be a Parameter, got {type(param).__name__}")
        if param.shape != (2,):
            raise ValueError(f"param of {self.name} must have shape (2,) (a point (x, y)), "
                             f"got {param.shape}")

        def closure() -> float:
            x, y = param.data
            gx, gy = self.grad(x, y)
            param.grad = np.array([gx, gy], dtype=param.data.dtype)
            return float(self.f(x, y))

        return closure


def ravine(condition: float = 50.0) -> TestFunction:
    r"""An ill-conditioned quadratic, a ravine: :math:`f = \tfrac12(x^2 + \kappa y^2)`.

    Parameters
    ----------
    condition : float, optional
        :math:`\kappa > 0`, the ratio of the largest to the smallest curvature.
    """
    k = check_positive("condition", condition)
    return TestFunction(
        name="ravine",
        f=lambda x, y: 0.5 * (x * x + k * y * y),
        grad=lambda x, y: (x, k * y),
        start=(-4.5, 1.0),
        minimum=(0.0, 0.0),
        xlim=(-5.0, 1.5),
        ylim=(-1.5, 1.5),
        formula=rf"\tfrac12\,(x^2 + {k:g}\,y^2)",
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> TestFunction:
    r"""Rosenbrock's valley :math:`f = (a-x)^2 + b\,(y-x^2)^2`, minimum at :math:`(a, a^2)`.

    Parameters
    ----------
    a : float, optional
        The position of the minimum, any finite real number.
    b : float, optional
        :math:`b > 0`, the steepness of the valley's walls.
    """
    a = check_real("a", a)
    b = check_positive("b", b)
    return TestFunction(
        name="rosenbrock",
        f=lambda x, y: (a - x) ** 2 + b * (y - x * x) ** 2,
        grad=lambda x, y: (-2.0 * (a - x) - 4.0 * b * x * (y - x * x), 2.0 * b * (y - x * x)),
        start=(-1.5, 2.0),
        minimum=(a, a * a),
        xlim=(-2.0, 2.0),
        ylim=(-1.0, 3.0),
        formula=rf"({a:g}-x)^2 + {b:g}\,(y-x^2)^2",
    )


def _beale_f(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_grad(x, y):
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y**2
    t3 = 2.625 - x + x * y**3
    gx = 2 * t1 * (y - 1) + 2 * t2 * (y**2 - 1) + 2 * t3 * (y**3 - 1)
    gy = 2 * t1 * x + 2 * t2 * 2 * x * y + 2 * t3 * 3 * x * y**2
    return gx, gy


def beale() -> TestFunction:
    r"""Beale's function, flat plateaus and steep walls; minimum at :math:`(3, \tfrac12)`."""
    return TestFunction(
        name="beale",
        f=_beale_f,
        grad=_beale_grad,
        start=(1.0, 1.4),
        minimum=(3.0, 0.5),
        xlim=(-1.0, 4.5),
        ylim=(-1.5, 2.0),
        formula=r"(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    )


def saddle() -> TestFunction:
    r"""A saddle at the origin with two minima: :math:`f = x^2 + \tfrac14 y^4 - \tfrac12 y^2`.

    The minima are :math:`(0, \pm 1)` with :math:`f = -\tfrac14`. Started close to the
    ridge :math:`y = 0`, a method must leave the saddle point, where the gradient is
    almost zero.
    """
    return TestFunction(
        name="saddle",
        f=lambda x, y: x * x + 0.25 * y**4 - 0.5 * y * y,
        grad=lambda x, y: (2.0 * x, y**3 - y),
        start=(-1.5, 1e-3),
        minimum=(0.0, 1.0),
        xlim=(-2.0, 2.0),
        ylim=(-1.5, 1.5),
        formula=r"x^2 + \tfrac14 y^4 - \tfrac12 y^2",
    )


def cliff(height: float = 5.0, steepness: float = 20.0) -> TestFunction:
    r"""A gentle bowl cut by a cliff: :math:`f = \tfrac12(0.1(x-3)^2 + y^2) + h\,\sigma(-s x)`.

    The logistic step :math:`h\,\sigma(-sx)` drops by :math:`h` across a band of width
    :math:`\approx 1/s` around :math:`x = 0`; its gradient there reaches :math:`hs/4`.
    A gradient step taken on the cliff is thrown far away (the exploding gradient of
    Pascanu, Mikolov and Bengio 2013); with gradient clipping it is not.

    Parameters
    ----------
    height : float, optional
        :math:`h > 0`.
    steepness : float, optional
        :math:`s > 0`.
    """
    h = check_positive("height", height)
    s = check_positive("steepness", steepness)

    def sig(t):
        return 0.5 * (1.0 + np.tanh(0.5 * t))  # overflow-free logistic

    def f(x, y):
        return 0.5 * (0.1 * (x - 3.0) ** 2 + y * y) + h * sig(-s * x)

    def grad(x, y):
        q = sig(-s * x)
        return 0.1 * (x - 3.0) - h * s * q * (1.0 - q), y

    return TestFunction(
        name="cliff",
        f=f,
        grad=grad,
        start=(-2.0, 1.0),
        minimum=None,  # the bowl's minimum is near (3, 0), shifted by the cliff's tail
        xlim=(-3.0, 12.0),
        ylim=(-1.5, 1.5),
        formula=rf"\tfrac12\,(0.1\,(x-3)^2 + y^2) + {h:g}\,\sigma(-{s:g}\,x)",
    )


RAVINE = ravine()
ROSENBROCK = rosenbrock()
BEALE = beale()
SADDLE = saddle()
CLIFF = cliff()
#: The objectives of the book, by name.
TEST_FUNCTIONS = {f.name: f for f in (RAVINE, ROSENBROCK, BEALE, SADDLE, CLIFF)}


def run_optimizer(fn: TestFunction, make_optimizer: Callable, n_steps: int, start=None):
    r"""Run an optimizer on a test function and return the trajectory and the losses.

    Parameters
    ----------
    fn : TestFunction or str
        The objective, or its name in :data:`TEST_FUNCTIONS` (``"rosenbrock"``, ...).
    make_optimizer : callable
        ``make_optimizer(params) -> Optimizer``, e.g. ``lambda p: Adam(p, lr=0.1)``.
    n_steps : int
        The number of updates.
    start : array_like, optional
        The starting point (default ``fn.start``).

    Returns
    -------
    path : numpy.ndarray
        Shape ``(n_steps + 1, 2)``: the points :math:`w_0, \dots, w_n`.
    losses : numpy.ndarray
        Shape ``(n_steps + 1,)``: :math:`f(w_k)`.
    """
    if isinstance(fn, str):
        if fn not in TEST_FUNCTIONS:
            raise ValueError(f"unknown test function {fn!r}; expected one of "
                             f"{sorted(TEST_FUNCTIONS)}")
        fn = TEST_FUNCTIONS[fn]
    if not isinstance(fn, TestFunction):
        raise TypeError(f"fn must be a TestFunction or its name, got {describe(fn)}")
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be a callable params -> optimizer, got "
                        f"{describe(make_optimizer)}")
    n_steps = check_int("n_steps", n_steps, minimum=0)
    w = fn.parameter(start)
    opt = make_optimizer([w])
    if not callable(getattr(opt, "step", None)):
        raise TypeError(f"make_optimizer must return an optimizer (with step(closure)), got "
                        f"{describe(opt)}")
    closure = fn.closure(w)
    path = np.empty((n_steps + 1, 2))
    path[0] = w.data
    for k in range(n_steps):
        opt.step(closure)
        path[k + 1] = w.data
    losses = fn.f(path[:, 0], path[:, 1])
    return path, losses
