r"""The experiments of the KAN chapter: the toy function, training, and the grid schedule.

Liu et al., *KAN: Kolmogorov–Arnold Networks* (2024), §2.3 (approximation theory: with
splines of degree :math:`k` on :math:`G` intervals a KAN of the right shape reaches an error
:math:`\propto G^{-(k+1)}`, the "scaling law" :math:`\ell \propto N^{-(k+1)}` in the number of
parameters :math:`N` at fixed shape) and §2.4 (grid extension: train on a coarse grid, refine
it, train again; their schedule :math:`G = 3, 5, 10, 20, 50, 100, \dots`).

The book runs the schedule on a small data set with few L-BFGS steps, so that the notebook
takes seconds; its measured slope is what those settings give, not the paper's number.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import as_float_array, check_choice, check_int, check_rng, describe
from lecturenn.kan import KAN, refine_network, update_network_grids
from lecturenn.losses import SquaredError
from lecturenn.optim import LBFGS, Adam

__all__ = ["toy_function", "make_dataset", "rmse", "sqrt_median_squared_error", "train",
           "grid_schedule", "scaling_over_seeds", "loglog_slope"]


def toy_function(X) -> np.ndarray:
    r"""The paper's toy function :math:`f(x, y) = \exp(\sin(\pi x) + y^2)`, ``(n, 2) -> (n, 1)``.

    It is exactly a :math:`[2, 1, 1]` KAN: :math:`\varphi_{1}(x) = \sin\pi x`,
    :math:`\varphi_2(y) = y^2` into one node, :math:`\Phi(s) = e^s` out of it.
    """
    X = as_float_array("X", X, ndim=2)
    if X.shape[1] != 2:
        raise ValueError(f"toy_function takes (n, 2) points, got shape {X.shape}")
    return np.exp(np.sin(np.pi * X[:, :1]) + X[:, 1:] ** 2)


def make_dataset(f, n_var: int, n_train: int = 1000, n_test: int = 1000, low=-1.0, high=1.0,
                 rng=0) -> dict:
    """Uniform samples of ``f`` on :math:`[\\mathrm{low}, \\mathrm{high}]^{n}`: a dict with
    ``X_train``, ``y_train``, ``X_test``, ``y_test`` (pykan's ``create_dataset`` draws the same
    way)."""
    if not callable(f):
        raise TypeError(f"f must be a callable, got {describe(f)}")
    n_var = check_int("n_var", n_var, minimum=1)
    gen = check_rng(rng)
    Xtr = gen.uniform(low, high, size=(check_int("n_train", n_train, minimum=1), n_var))
    Xte = gen.uniform(low, high, size=(check_int("n_test", n_test, minimum=1), n_var))
    ytr, yte = np.asarray(f(Xtr), dtype=float), np.asarray(f(Xte), dtype=float)
    return {"X_train": Xtr, "y_train": ytr.reshape(len(Xtr), -1),
            "X_test": Xte, "y_test": yte.reshape(len(Xte), -1)}


def rmse(net, X, y) -> float:
    r""":math:`\sqrt{\frac1n\sum_i \|a(x_i) - y_i\|^2}` (the paper's RMSE)."""
    return float(np.sqrt(np.mean((net.forward(X) - y) ** 2)))


def sqrt_median_squared_error(net, X, y) -> float:
    r""":math:`\sqrt{\operatorname{median}_i \|a(x_i) - y_i\|^2}`: the paper's second measure in
    its figure 2.3 ("sqrt(median of squared)"), insensitive to a few large errors."""
    return float(np.sqrt(np.median(np.sum((net.forward(X) - y) ** 2, axis=1))))


def train(net, X, y, steps: int, optimizer: str = "lbfgs", lr=None) -> list[float]:
    r"""Full-batch training on the squared error; the loss before every step.

    ``"lbfgs"``: :class:`lecturenn.optim.LBFGS` with the settings pykan 0.2.8's ``fit`` passes
    (history 10, ``tolerance_grad = tolerance_change = tolerance_ys = 1e-32``, so a step stops
    only on its 20 iterations or on an exact stationary point, and every pair with
    :math:`y^\top s > 10^{-32}` is kept), except the line search: a backtracking (Armijo) one
    where pykan uses strong Wolfe. ``lr`` 1 by default; one step is 20 iterations and at least
    21 gradient evaluations. ``"adam"``: ``lr`` 0.01 by default.
    """
    steps = check_int("steps", steps, minimum=0)
    optimizer = check_choice("optimizer", optimizer, ("lbfgs", "adam"))
    loss = SquaredError()
    if optimizer == "lbfgs":
        opt = LBFGS(net.parameters(), lr=1.0 if lr is None else lr, history_size=10,
                    line_search="backtracking", tolerance_grad=1e-32, tolerance_change=1e-32,
                    tolerance_ys=1e-32)
    else:
        opt = Adam(net.parameters(), lr=0.01 if lr is None else lr)
    history = []
    for _ in range(steps):
        history.append(float(opt.step(lambda: net.loss_and_grad(X, y, loss))))
    return history


def grid_schedule(widths, grids, data: dict, steps: int = 20, k: int = 3, rng=0,
                  optimizer: str = "lbfgs") -> dict:
    r"""Train a KAN on the coarsest grid, then extend the grid and train again, for each
    :math:`G` of ``grids`` (Liu et al. 2024, §2.4, figure 2.3).

    Before every extension the grids are made uniform on the range of each layer's inputs
    (:func:`lecturenn.kan.update_network_grids` with ``grid_eps = 1``) and then refined
    (:func:`lecturenn.kan.refine_network`), so each extension starts from the function
    reached on the coarser grid.

    Returns
    -------
    dict
        ``G``, ``n_params``, ``train_rmse``, ``test_rmse``, ``test_sqrt_median`` (arrays, one
        entry per grid, see :func:`sqrt_median_squared_error`) and ``net`` (the last network).
    """
    grids = [check_int(f"grids[{i}]", G, minimum=1) for i, G in enumerate(grids)]
    if not grids:
        raise ValueError("grids must name at least one grid size")
    Xtr, ytr, Xte, yte = (data[key] for key in ("X_train", "y_train", "X_test", "y_test"))
    net = KAN(widths, G=grids[0], k=k, rng=rng)
    out = {"G": [], "n_params": [], "train_rmse": [], "test_rmse": [], "test_sqrt_median": []}
    for n, G in enumerate(grids):
        if n:
            update_network_grids(net, Xtr, grid_eps=1.0)
            net = refine_network(net, G, Xtr)
        train(net, Xtr, ytr, steps, optimizer)
        out["G"].append(G)
        out["n_params"].append(net.n_params)
        out["train_rmse"].append(rmse(net, Xtr, ytr))
        out["test_rmse"].append(rmse(net, Xte, yte))
        out["test_sqrt_median"].append(sqrt_median_squared_error(net, Xte, yte))
    result = {key: np.array(v) for key, v in out.items()}
    result["net"] = net
    return result


def scaling_over_seeds(widths, grids, seeds, steps: int = 10, n_train: int = 1000,
                       n_test: int = 1000, f=None, k: int = 3, stuck_rmse: float = 0.1) -> dict:
    r""":func:`grid_schedule` once per seed (seed ``s`` draws both the data and the network), on
    ``f`` (:func:`toy_function` by default) on :math:`[-1, 1]^n`.

    Returns
    -------
    dict
        ``seeds``, ``G``, ``n_params``; ``train_rmse``, ``test_rmse``, ``test_sqrt_median`` of
        shape ``(len(seeds), len(grids))``; ``stuck``, a boolean per seed: the test RMSE never
        went below ``stuck_rmse`` (0.1, a fifth of the target's standard deviation on the toy
        function), i.e. training fell into a bad minimum on the first grid and grid extension
        never left it. Stuck seeds are reported, not dropped: a caller that fits slopes on the
        others says how many there were.
    """
    seeds = [check_int(f"seeds[{i}]", s, minimum=0) for i, s in enumerate(seeds)]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    f = toy_function if f is None else f
    n_var = widths[0] if isinstance(widths, (list, tuple)) and widths else 2
    rows = []
    for s in seeds:
        data = make_dataset(f, n_var, n_train=n_train, n_test=n_test, rng=s)
        rows.append(grid_schedule(widths, grids, data, steps=steps, k=k, rng=s))
    out = {"seeds": np.array(seeds), "G": rows[0]["G"], "n_params": rows[0]["n_params"]}
    for key in ("train_rmse", "test_rmse", "test_sqrt_median"):
        out[key] = np.array([r[key] for r in rows])
    out["stuck"] = np.all(out["test_rmse"] >= stuck_rmse, axis=1)
    return out


def loglog_slope(x, y) -> float:
    r"""The least-squares slope of :math:`\log y` against :math:`\log x`."""
    x = as_float_array("x", x, ndim=1)
    y = as_float_array("y", y, ndim=1)
    if x.shape != y.shape or len(x) < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("loglog_slope needs two positive 1-D arrays of the same length >= 2")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
