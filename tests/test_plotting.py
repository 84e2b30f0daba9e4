"""The book's plotting style and the decision-region figure."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lecturenn.plotting import (
    BOOK_STYLE,
    COLORS,
    grid_points,
    plot_decision_regions,
    use_book_style,
)


def test_use_book_style_sets_the_rc_params():
    with matplotlib.rc_context():
        use_book_style()
        for key, value in BOOK_STYLE.items():
            got = matplotlib.rcParams[key]
            assert (list(got) if isinstance(got, (list, tuple)) else got) == (
                list(value) if isinstance(value, tuple) else value
            ), key
        colors = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
        assert colors == list(COLORS)


def test_grid_points_cover_the_rectangle():
    xx, yy, pts = grid_points((0, 1), (-1, 1), resolution=5)
    assert xx.shape == yy.shape == (5, 5)
    assert pts.shape == (25, 2)
    assert pts[:, 0].min() == 0 and pts[:, 0].max() == 1
    assert pts[:, 1].min() == -1 and pts[:, 1].max() == 1
    with pytest.raises(ValueError, match="resolution must be >= 2"):
        grid_points((0, 1), (0, 1), resolution=1)


def test_plot_decision_regions_labels_axes_and_legend():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    y = np.array([0, 0, 0, 1])
    fig, ax = plt.subplots()
    plot_decision_regions(ax, lambda p: p.sum(axis=1) - 1.5, X, y, labels=("0", "1"))
    assert ax.get_xlabel() == "$x^1$" and ax.get_ylabel() == "$x^2$"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1"]
    plt.close(fig)
