"""One plotting style for the whole book, and the figures every chapter draws.

Matplotlib is not a run-time dependency of :mod:`lecturenn`; it comes with the
``book`` extra (``pip install lecturenn[book]``). This module imports it lazily, so
``import lecturenn`` never needs it.

Use :func:`use_book_style` once at the top of a notebook; every figure after it has
readable font sizes, a light grid and a colour cycle that survives black-and-white
printing. Axes are always labelled and legends always say what a line is.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecturenn._validation import as_float_array, check_callable, check_int, check_real, describe

__all__ = ["use_book_style", "BOOK_STYLE", "COLORS", "plot_decision_regions", "grid_points"]

#: The book's colour cycle (blue, orange, green, red, purple, brown), colour-blind safe.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")

#: The rcParams the book sets.
BOOK_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 2.0,
    "image.cmap": "RdBu_r",
    "svg.hashsalt": "lecturenn",  # deterministic SVG ids
}


def _pyplot():
    try:
        import matplotlib
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "lecturenn.plotting needs matplotlib: pip install 'lecturenn[book]'"
        ) from exc
    return matplotlib, plt


def use_book_style() -> None:
    """Apply the book's plotting style to all following matplotlib figures."""
    matplotlib, _ = _pyplot()
    from cycler import cycler

    matplotlib.rcParams.update(BOOK_STYLE)
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(COLORS))


def grid_points(xlim, ylim, resolution: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid over a rectangle: ``(xx, yy, points)``, ``points`` of shape ``(r*r, 2)``.

    ``xlim`` and ``ylim`` are pairs of finite numbers, ``resolution`` an int ``>= 2``.
    """
    resolution = check_int("resolution", resolution, minimum=2)
    (x0, x1), (y0, y1) = _limits("xlim", xlim), _limits("ylim", ylim)
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def _limits(name: str, lim) -> tuple[float, float]:
    if isinstance(lim, (str, bytes)) or not hasattr(lim, "__len__") or len(lim) != 2:
        raise TypeError(f"{name} must be a pair (low, high) of numbers, got {describe(lim)}")
    low, high = (check_real(f"{name}[{i}]", v) for i, v in enumerate(lim))
    if not low < high:
        raise ValueError(f"{name} must have low < high, got {tuple(lim)}")
    return low, high


def plot_decision_regions(
    ax,
    predict: Callable[[np.ndarray], np.ndarray],
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    xlim=(-0.5, 1.5),
    ylim=(-0.5, 1.5),
    resolution: int = 200,
    levels=None,
    alpha: float = 0.35,
    labels=("class 0", "class 1"),
    xlabel: str = "$x^1$",
    ylabel: str = "$x^2$",
):
    """Shade the regions of a two-dimensional classifier and draw the objects on top.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    predict : callable
        Maps an array of points of shape ``(n, 2)`` to scores or labels of shape ``(n,)``.
    X, y : array_like, optional
        Objects of shape ``(n, 2)`` and their labels (two classes, any two values).
    """
    check_callable("predict", predict, "a callable mapping points (n, 2) to scores (n,)")
    xx, yy, pts = grid_points(xlim, ylim, resolution)
    zz = as_float_array("predict(points)", predict(pts), finite=False)
    if zz.size != pts.shape[0] or zz.ndim > 2:
        raise ValueError(f"predict(points) must give one score per point, shape "
                         f"({pts.shape[0]},), got {zz.shape}")
    zz = zz.reshape(xx.shape)
    cs = ax.contourf(xx, yy, zz, levels=levels if levels is not None else 20, alpha=alpha,
                     cmap="RdBu_r")
    if X is not None and y is not None:
        X = as_float_array("X", X, ndim=2)
        y = np.asarray(y)
        if X.shape[1] != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"X must have shape (n, 2) and y shape (n,), got X {X.shape} and "
                             f"y {y.shape}")
        classes = np.unique(y)
        markers = ("o", "s", "^", "D", "v", "P")
        for i, c in enumerate(classes):
            pts_c = X[y == c]
            label = labels[i] if i < len(labels) else f"class {c}"
            ax.scatter(pts_c[:, 0], pts_c[:, 1], s=40, marker=markers[i % len(markers)],
                       color=COLORS[[0, 3, 2, 4, 1, 5][i % 6]], edgecolor="k", label=label,
                       zorder=3)
        ax.legend(loc="best")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return cs
