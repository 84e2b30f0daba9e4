r"""KAN against an MLP of the package at equal parameter count (Liu et al. 2024, §3.1).

Liu et al., *KAN: Kolmogorov–Arnold Networks* (2024), §3.1 "Toy datasets" and figure 3.1:
five functions that have smooth Kolmogorov–Arnold representations,

.. math::

    J_0(20x), \qquad \exp(\sin\pi x + y^2), \qquad xy, \qquad
    \exp\Bigl(\tfrac1{100}\sum_{i=1}^{100}\sin^2\tfrac{\pi x_i}{2}\Bigr), \qquad
    \exp\Bigl(\tfrac12\bigl(\sin\pi(x_1^2 + x_2^2) + \sin\pi(x_3^2 + x_4^2)\bigr)\Bigr),

fitted by KANs of the "true" shape on the grid schedule :math:`G = 3, 5, 10, \dots, 1000`
(200 L-BFGS steps per grid) and by MLPs "with different depths and widths" (the text names
neither, nor the MLPs' activation), both trained with L-BFGS for 1800 steps; the claim is
that the KANs' test RMSE falls almost like the theory's :math:`N^{-4}` in the number of
parameters :math:`N`, while the MLPs' scale slowly and plateau quickly.

This module gives the functions (:data:`PAPER_FUNCTIONS`; :func:`bessel_j0` computes
:math:`J_0` with NumPy alone), MLP widths with a parameter count close to a KAN's
(:func:`mlp_widths`), and a runner (:func:`compare`) that trains both families with the same
optimizer and the same number of steps and returns the test RMSE per model, per parameter
budget and per seed. The book runs it small (a few hundred points, a few tens of steps);
what it measures is what *those* settings give.

**The data.** The paper's text gives no domain or sample size for §3.1; its code's
``create_dataset`` draws :math:`x` uniformly from :math:`[-1, 1]^d`, 1000 training and 1000
test points by default, and its §2.4 experiment states 1000 training points. The domain
here is :math:`[-1, 1]^d` too (:func:`lecturenn.kan_scaling.make_dataset`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_choice,
    check_int,
    check_positive,
    check_rng,
    describe,
)
from lecturenn.kan import KAN
from lecturenn.kan_scaling import make_dataset, rmse, toy_function
from lecturenn.losses import SquaredError
from lecturenn.optim import LBFGS, Adam

__all__ = [
    "bessel_j0",
    "j0_trapezoid_intervals",
    "bessel_function",
    "product_function",
    "high_dim_function",
    "four_variable_function",
    "PaperFunction",
    "PAPER_FUNCTIONS",
    "mlp_n_params",
    "mlp_widths",
    "train_counted",
    "compare",
]

_J0_TOL = 1e-17  # the bound on the trapezoid rule's error that j0_trapezoid_intervals aims at


def _j0_error_bound(x_max: float, m: int) -> float:
    # 2 sum_{l>=1} |J_{2ml}(x)| <= 2 sum_l (x/2)^{2ml}/(2ml)!, dominated by its first term
    # (a factor 2 covers the rest once that term is below 1/2, which the caller ensures)
    if x_max == 0.0:
        return 0.0
    n = 2 * m
    return 4.0 * math.exp(n * math.log(x_max / 2.0) - math.lgamma(n + 1.0))


def j0_trapezoid_intervals(x_max: float, tol: float = _J0_TOL) -> int:
    r"""The number :math:`m` of trapezoid intervals that makes :func:`bessel_j0` accurate to
    ``tol`` on :math:`|x| \le x_\mathrm{max}`.

    The smallest :math:`m \ge 4` with :math:`4\,(x_\mathrm{max}/2)^{2m}/(2m)! \le
    \mathrm{tol}` and :math:`2m > x_\mathrm{max}` (see :func:`bessel_j0` for the error
    formula this bounds): :math:`m = 30` for :math:`x_\mathrm{max} = 20`.
    """
    x_max = check_positive("x_max", x_max, strict=False)
    tol = check_positive("tol", tol)
    m = max(4, int(math.ceil(x_max / 2.0)) + 1)
    while _j0_error_bound(x_max, m) > tol:
        m += 1
    return m


def bessel_j0(x, n_intervals: int | None = None) -> np.ndarray:
    r"""The Bessel function :math:`J_0`, elementwise, by the trapezoid rule on its integral.

    Bessel's integral :math:`J_0(x) = \frac1\pi\int_0^\pi \cos(x\sin\theta)\,d\theta` is
    evaluated with :math:`m` equal intervals,
    :math:`T_m(x) = \frac1m\bigl(\tfrac12 g(0) + \sum_{j=1}^{m-1} g(\theta_j) +
    \tfrac12 g(\pi)\bigr)`, :math:`\theta_j = j\pi/m`, :math:`g(\theta) = \cos(x\sin\theta)`.
    The integrand has period :math:`\pi` in :math:`\theta`, and the Jacobi–Anger expansion
    :math:`\cos(x\sin\theta) = J_0(x) + 2\sum_{n\ge1} J_{2n}(x)\cos 2n\theta` makes the
    error exact: the rule averages :math:`\cos 2n\theta` to 1 when :math:`m` divides
    :math:`n` and to 0 otherwise, so

    .. math::

        T_m(x) = J_0(x) + 2\sum_{l\ge1} J_{2ml}(x), \qquad
        |T_m(x) - J_0(x)| \lesssim 2\,\frac{(|x|/2)^{2m}}{(2m)!},

    falling faster than exponentially in :math:`m` once :math:`2m > |x|` (the bound
    :math:`|J_n(x)| \le (|x|/2)^n/n!`). ``tests/test_kan_compare.py`` checks the values against
    ``scipy.special.j0`` and the error formula against ``scipy.special.jv`` (SciPy is a test
    dependency only).

    Parameters
    ----------
    x : array_like
        Real, finite.
    n_intervals : int, optional
        :math:`m`; by default :func:`j0_trapezoid_intervals` of :math:`\max|x|` (error below
        :math:`10^{-17}`, so the result is :math:`J_0` to rounding).
    """
    x = as_float_array("x", x)
    x_max = float(np.max(np.abs(x))) if x.size else 0.0
    m = (j0_trapezoid_intervals(x_max) if n_intervals is None
         else check_int("n_intervals", n_intervals, minimum=1))
    theta = np.linspace(0.0, np.pi, m + 1)
    w = np.full(m + 1, 1.0 / m)
    w[0] = w[-1] = 0.5 / m
    g = np.cos(np.multiply.outer(x, np.sin(theta)))
    return g @ w


def _columns(name, X, n_var):
    X = as_float_array("X", X, ndim=2)
    if X.shape[1] != n_var:
        raise ValueError(f"{name} takes (n, {n_var}) points, got shape {X.shape}")
    return X


def bessel_function(X) -> np.ndarray:
    r"""§3.1 (1): :math:`f(x) = J_0(20x)`, ``(n, 1) -> (n, 1)``; a :math:`[1, 1]` KAN (one
    spline)."""
    X = _columns("bessel_function", X, 1)
    return bessel_j0(20.0 * X)


def product_function(X) -> np.ndarray:
    r"""§3.1 (3): :math:`f(x, y) = xy`, ``(n, 2) -> (n, 1)``; a :math:`[2, 2, 1]` KAN:
    :math:`xy = \tfrac14\bigl((x + y)^2 - (x - y)^2\bigr)`."""
    X = _columns("product_function", X, 2)
    return X[:, :1] * X[:, 1:]


def high_dim_function(X) -> np.ndarray:
    r"""§3.1 (4): :math:`f = \exp\bigl(\frac1{100}\sum_{i=1}^{100}\sin^2\frac{\pi x_i}{2}\bigr)`,
    ``(n, 100) -> (n, 1)``; a :math:`[100, 1, 1]` KAN."""
    X = _columns("high_dim_function", X, 100)
    return np.exp(np.mean(np.sin(0.5 * np.pi * X) ** 2, axis=1, keepdims=True))


def four_variable_function(X) -> np.ndarray:
    r"""§3.1 (5): :math:`f = \exp\bigl(\frac12(\sin\pi(x_1^2 + x_2^2) + \sin\pi(x_3^2 +
    x_4^2))\bigr)`, ``(n, 4) -> (n, 1)``.

    A :math:`[4, 2, 1, 1]` KAN represents it exactly (squares into two nodes,
    :math:`\tfrac12\sin\pi u` from each into one, :math:`\exp` out of it); the paper names
    :math:`[4, 4, 2, 1]` in its list of examples and :math:`[4, 2, 2, 1]` in the text below
    it, both larger than needed. :data:`PAPER_FUNCTIONS` uses :math:`[4, 2, 2, 1]`: with the
    short training of the book the minimal :math:`[4, 2, 1, 1]` stays in a poor local
    minimum for two of the seeds 0, 1, 2 (test RMSE 0.25 and 0.42 after 100 L-BFGS steps at
    :math:`G = 5`, 500 points), :math:`[4, 2, 2, 1]` for none of them (below 0.02).
    """
    X = _columns("four_variable_function", X, 4)
    u = X[:, 0] ** 2 + X[:, 1] ** 2
    v = X[:, 2] ** 2 + X[:, 3] ** 2
    return np.exp(0.5 * (np.sin(np.pi * u) + np.sin(np.pi * v)))[:, None]


@dataclass(frozen=True)
class PaperFunction:
    r"""One function of §3.1.

    Attributes
    ----------
    name : str
    f : callable
        ``(n, n_var) -> (n, 1)``.
    n_var : int
    kan_shape : tuple of int
        The KAN shape that represents ``f`` exactly (used by :func:`compare`).
    formula : str
        LaTeX.
    """

    name: str
    f: Callable
    n_var: int
    kan_shape: tuple
    formula: str


#: The five functions of §3.1 by name, with the KAN shapes :func:`compare` uses.
PAPER_FUNCTIONS = {p.name: p for p in (
    PaperFunction("bessel", bessel_function, 1, (1, 1), r"J_0(20x)"),
    PaperFunction("toy", toy_function, 2, (2, 1, 1), r"\exp(\sin\pi x + y^2)"),
    PaperFunction("product", product_function, 2, (2, 2, 1), r"xy"),
    PaperFunction("high_dim", high_dim_function, 100, (100, 1, 1),
                  r"\exp(\frac{1}{100}\sum_{i=1}^{100}\sin^2\frac{\pi x_i}{2})"),
    PaperFunction("four_variable", four_variable_function, 4, (4, 2, 2, 1),
                  r"\exp(\frac12(\sin\pi(x_1^2+x_2^2) + \sin\pi(x_3^2+x_4^2)))"),
)}


def mlp_n_params(widths) -> int:
    r"""The trainable numbers of an MLP ``[H_0, ..., H_L]`` (weights and thresholds):
    :math:`\sum_{l=1}^{L} (H_{l-1} + 1) H_l`, what ``Network(widths).n_params`` counts."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"widths must be a list of at least two widths, got {describe(widths)}")
    widths = [check_int(f"widths[{i}]", h, minimum=1) for i, h in enumerate(widths)]
    return sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=False))


def mlp_widths(n_in: int, n_out: int, depth: int, target: int, rtol: float = 0.2) -> list[int]:
    r"""Widths ``[n_in, h, ..., h, n_out]`` of an MLP with ``depth`` layers (weight matrices)
    whose parameter count is the closest to ``target``.

    With :math:`L` = ``depth`` and :math:`L - 1` hidden layers of width :math:`h`, the count is

    .. math::

        N(h) = (n_\mathrm{in} + 1)h + (L - 2)(h + 1)h + (h + 1)n_\mathrm{out}

    (for :math:`L = 1` there is no hidden layer and :math:`N = (n_\mathrm{in}+1)n_\mathrm{out}`).
    :math:`N` increases with :math:`h`, so the :math:`h \ge 1` closest to the target is one of
    the two integers around the positive root of :math:`N(h) = \mathrm{target}`.

    Parameters
    ----------
    n_in, n_out : int
        The input and output widths.
    depth : int
        :math:`L`, the number of weight matrices (the paper's "depth").
    target : int
        The parameter count to match, e.g. a KAN's ``n_params``.
    rtol : float, optional
        The relative tolerance, 0.2 by default: at the book's budgets of tens of parameters
        the counts of consecutive widths differ by 10-30%, so a closer match often does not
        exist.

    Raises
    ------
    ValueError
        If no width brings :math:`N` within ``rtol`` (relative) of ``target``: at small targets
        the steps of :math:`N(h)` are coarse, and an MLP has at least :math:`N(1)` numbers.
    """
    n_in = check_int("n_in", n_in, minimum=1)
    n_out = check_int("n_out", n_out, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    target = check_int("target", target, minimum=1)
    rtol = check_positive("rtol", rtol, strict=False)
    if depth == 1:
        cands = [[n_in, n_out]]
    else:
        a = depth - 2  # N(h) = a h^2 + b h + n_out
        b = n_in + 1 + a + n_out
        c = n_out - target
        root = (-c / b) if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
        hs = {max(1, int(math.floor(root))), max(1, int(math.ceil(root)))}
        cands = [[n_in] + [h] * (depth - 1) + [n_out] for h in sorted(hs)]
    best = min(cands, key=lambda w: (abs(mlp_n_params(w) - target), mlp_n_params(w)))
    got = mlp_n_params(best)
    if abs(got - target) > rtol * target:
        raise ValueError(f"target: no MLP of depth {depth} with {n_in} inputs and {n_out} outputs "
                         f"has within rtol = {rtol:g} of {target} parameters (the closest, "
                         f"{best}, has {got})")
    return best


def train_counted(net, X, y, steps: int, optimizer: str = "lbfgs", lr=None) -> int:
    r"""Full-batch training on the squared error; returns the number of gradient evaluations.

    The optimizers of :func:`lecturenn.kan_scaling.train`: ``"lbfgs"`` is
    :class:`lecturenn.optim.LBFGS` with history 10, ``max_iter`` 20, the backtracking line
    search and no early stop (tolerances :math:`10^{-32}`), so **one step is 20 L-BFGS
    iterations**, each one closure call plus one per halving of the line search; ``"adam"``
    is one Adam update per step (``lr`` 0.01 by default). The count returned is the number of
    closure calls, one forward and one backward pass over the training set each.
    """
    steps = check_int("steps", steps, minimum=0)
    optimizer = check_choice("optimizer", optimizer, ("lbfgs", "adam"))
    loss = SquaredError()
    if optimizer == "lbfgs":
        opt = LBFGS(net.parameters(), lr=1.0 if lr is None else lr, history_size=10,
                    line_search="backtracking", tolerance_grad=1e-32, tolerance_change=1e-32)
    else:
        opt = Adam(net.parameters(), lr=0.01 if lr is None else lr)
    calls = [0]

    def closure():
        calls[0] += 1
        return net.loss_and_grad(X, y, loss)

    for _ in range(steps):
        opt.step(closure)
    return calls[0]


def _function(fn):
    if isinstance(fn, str):
        if fn not in PAPER_FUNCTIONS:
            raise ValueError(f"fn: unknown function {fn!r}; expected one of "
                             f"{sorted(PAPER_FUNCTIONS)} or a PaperFunction")
        return PAPER_FUNCTIONS[fn]
    if not isinstance(fn, PaperFunction):
        raise TypeError(f"fn must be a name of PAPER_FUNCTIONS or a PaperFunction, got "
                        f"{describe(fn)}")
    return fn


def _int_list(name, values, minimum, what):
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, range, np.ndarray)) \
            or (isinstance(values, np.ndarray) and values.ndim != 1):
        raise TypeError(f"{name} must be a list of ints, got {describe(values)}")
    out = [check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(values)]
    if not out:
        raise ValueError(f"{name} must name at least one {what}")
    return out


def compare(fn, grids, depths=(2, 3), seeds=(0, 1, 2), steps: int = 20, n_train: int = 500,
            n_test: int = 500, k: int = 3, activation: str = "tanh", optimizer: str = "lbfgs",
            rtol: float = 0.2, data_rng=0) -> dict:
    r"""Train a KAN of ``fn``'s shape for each grid size and, beside each, MLPs of each depth
    with (nearly) the same number of parameters; the test RMSE per model, budget and seed.

    For every :math:`G` of ``grids`` the KAN ``KAN(fn.kan_shape, G, k)`` fixes the budget
    :math:`N_\mathrm{KAN} = (G + k + 2)\sum_l n_{l-1}n_l`; for every depth :math:`L` of
    ``depths`` the MLP has the widths :func:`mlp_widths` gives for that target (``activation``
    in the hidden layers, identity at the output, the package's default initialization).
    Every model of every seed is trained from its own initialization (seed :math:`s` for
    :math:`s` in ``seeds``) on the same data (drawn once with ``data_rng``), with the same
    optimizer and the same number of steps (:func:`train_counted`). Unlike the paper, the
    KANs are trained from scratch at each :math:`G`, not along a grid-extension schedule, so
    that each point has the same budget as the MLP beside it.

    Parameters
    ----------
    fn : str or PaperFunction
        A name of :data:`PAPER_FUNCTIONS` (``"bessel"``, ``"toy"``, ``"product"``,
        ``"high_dim"``, ``"four_variable"``) or a :class:`PaperFunction`.
    grids : list of int
        The KANs' grid sizes :math:`G`, one parameter budget each.
    depths : list of int, optional
        The MLPs' depths :math:`L` (weight matrices), (2, 3) by default.
    seeds : list of int, optional
        The initializations, (0, 1, 2) by default.
    steps : int, optional
        Optimizer steps for every model (:func:`train_counted`: 20 L-BFGS iterations each).
    n_train, n_test : int, optional
        Sample sizes (500 each by default; the paper's code draws 1000).
    k : int, optional
        The spline degree (3).
    activation : str, optional
        The MLPs' hidden activation (``"tanh"``; the paper's §3.1 does not say which).
    optimizer : str, optional
        ``"lbfgs"`` (the paper's) or ``"adam"``.
    rtol : float, optional
        The tolerance of :func:`mlp_widths`.
    data_rng : numpy.random.Generator or int, optional
        The random source of the data.

    Returns
    -------
    dict
        ``function`` (the name), ``grids``, ``seeds``, ``steps``, and ``models``: a dict from
        a model's label (``"KAN [1, 1]"``, ``"MLP depth 2"``, ...) to a dict with ``widths``
        (one list per budget), ``n_params`` (array, one per budget) and ``test_rmse``,
        ``train_rmse``, ``evals`` (arrays ``(len(grids), len(seeds))``; ``evals`` counts the
        gradient evaluations).
    """
    p = _function(fn)
    grids = _int_list("grids", grids, 1, "grid size")
    depths = _int_list("depths", depths, 1, "depth")
    seeds = _int_list("seeds", seeds, 0, "seed")
    steps = check_int("steps", steps, minimum=1)
    check_choice("optimizer", optimizer, ("lbfgs", "adam"))
    check_rng(data_rng)
    from lecturenn.activations import get_activation
    from lecturenn.network import Network

    get_activation(activation, n_units=1, arg="activation")
    data = make_dataset(p.f, p.n_var, n_train=n_train, n_test=n_test, rng=data_rng)
    Xtr, ytr, Xte, yte = (data[key] for key in ("X_train", "y_train", "X_test", "y_test"))
    shape = list(p.kan_shape)
    kan_label = f"KAN {shape}"
    budgets = [KAN(shape, G=G, k=k, rng=0).n_params for G in grids]
    specs = {kan_label: [None] * len(grids)}
    for d in depths:
        specs[f"MLP depth {d}"] = [mlp_widths(p.n_var, 1, d, N, rtol=rtol) for N in budgets]
    out = {"function": p.name, "grids": np.array(grids), "seeds": np.array(seeds),
           "steps": steps, "models": {}}
    for label, widths in specs.items():
        shp = (len(grids), len(seeds))
        rec = {"widths": shape if widths[0] is None else widths,
               "n_params": np.zeros(len(grids), dtype=int), "test_rmse": np.zeros(shp),
               "train_rmse": np.zeros(shp), "evals": np.zeros(shp, dtype=int)}
        for b, G in enumerate(grids):
            for j, s in enumerate(seeds):
                if widths[b] is None:
                    net = KAN(shape, G=G, k=k, rng=s)
                else:
                    net = Network(widths[b], activation=activation, rng=s)
                rec["evals"][b, j] = train_counted(net, Xtr, ytr, steps, optimizer)
                rec["n_params"][b] = net.n_params
                rec["train_rmse"][b, j] = rmse(net, Xtr, ytr)
                rec["test_rmse"][b, j] = rmse(net, Xte, yte)
        out["models"][label] = rec
    return out
