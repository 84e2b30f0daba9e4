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

__all__ = ["toy_function", "make_dataset", "rmse", "train", "grid_schedule", "loglog_slope"]


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


def train(net, X, y, steps: int, optimizer: str = "lbfgs", lr=None) -> list[float]:
    r"""Full-batch training on the squared error; the loss before every step.

    ``"lbfgs"``: :class:`lecturenn.optim.LBFGS` with pykan's settings (history 10, stopping
    only on the iteration count; a backtracking line search where pykan uses strong Wolfe),
    ``lr`` 1 by default; one step is up to 20 iterations. ``"adam"``: ``lr`` 0.01 by default.
    """
    steps = check_int("steps", steps, minimum=0)
    optimizer = check_choice("optimizer", optimizer, ("lbfgs", "adam"))
    loss = SquaredError()
    if optimizer == "lbfgs":
        opt = LBFGS(net.parameters(), lr=1.0 if lr is None else lr, history_size=10,
                    line_search="backtracking", tolerance_grad=1e-32, tolerance_change=1e-32)
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
        ``G``, ``n_params``, ``train_rmse``, ``test_rmse`` (arrays, one entry per grid) and
        ``net`` (the last network).
    """
    grids = [check_int(f"grids[{i}]", G, minimum=1) for i, G in enumerate(grids)]
    if not grids:
        raise ValueError("grids must name at least one grid size")
    Xtr, ytr, Xte, yte = (data[key] for key in ("X_train", "y_train", "X_test", "y_test"))
    net = KAN(widths, G=grids[0], k=k, rng=rng)
    out = {"G": [], "n_params": [], "train_rmse": [], "test_rmse": []}
    for n, G in enumerate(grids):
        if n:
            update_network_grids(net, Xtr, grid_eps=1.0)
            net = refine_network(net, G, Xtr)
        train(net, Xtr, ytr, steps, optimizer)
        out["G"].append(G)
        out["n_params"].append(net.n_params)
        out["train_rmse"].append(rmse(net, Xtr, ytr))
        out["test_rmse"].append(rmse(net, Xte, yte))
    result = {key: np.array(v) for key, v in out.items()}
    result["net"] = net
    return result


def loglog_slope(x, y) -> float:
    r"""The least-squares slope of :math:`\log y` against :math:`\log x`."""
    x = as_float_array("x", x, ndim=1)
    y = as_float_array("y", y, ndim=1)
    if x.shape != y.shape or len(x) < 2 or np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("loglog_slope needs two positive 1-D arrays of the same length >= 2")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
