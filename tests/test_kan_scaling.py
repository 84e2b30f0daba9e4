"""The KAN chapter's experiments: the toy function, the grid schedule, the slope."""

import numpy as np
import pytest

from lecturenn import kan_scaling as KS


def test_toy_function_and_dataset():
    X = np.array([[0.5, 0.0], [0.0, 1.0], [-0.5, -1.0]])
    np.testing.assert_allclose(KS.toy_function(X)[:, 0], [np.e, np.e, 1.0], rtol=1e-15)
    d = KS.make_dataset(KS.toy_function, 2, n_train=30, n_test=20, rng=1)
    assert d["X_train"].shape == (30, 2) and d["y_test"].shape == (20, 1)
    d2 = KS.make_dataset(KS.toy_function, 2, n_train=30, n_test=20, rng=1)
    np.testing.assert_array_equal(d["X_train"], d2["X_train"])


def test_loglog_slope_recovers_a_power_law():
    x = np.array([3.0, 5.0, 10.0, 20.0])
    assert abs(KS.loglog_slope(x, 7 * x**-4.0) + 4) < 1e-12
    assert abs(KS.loglog_slope(x, 7 * x**-2.0) + 4) > 1  # the check can fail


def test_grid_schedule_errors_fall_with_the_grid():
    # a small run: 300 points, grids 3 -> 5 -> 10, 5 L-BFGS steps each
    data = KS.make_dataset(KS.toy_function, 2, n_train=300, n_test=300, rng=0)
    r = KS.grid_schedule([2, 1, 1], [3, 5, 10], data, steps=5, rng=0)
    assert list(r["G"]) == [3, 5, 10]
    assert list(r["n_params"]) == [3 * (G + 3 + 2) for G in (3, 5, 10)]
    assert np.all(np.diff(r["train_rmse"]) < 0), r["train_rmse"]
    assert r["train_rmse"][-1] < 0.1 * r["train_rmse"][0]
    assert r["net"].layers[0].G == 10


def test_train_adam_and_lbfgs():
    from lecturenn.kan import KAN

    data = KS.make_dataset(KS.toy_function, 2, n_train=100, n_test=10, rng=0)
    for opt in ("adam", "lbfgs"):
        net = KAN([2, 1, 1], G=5, rng=0)
        hist = KS.train(net, data["X_train"], data["y_train"], 5, opt)
        assert len(hist) == 5 and hist[-1] < hist[0]


@pytest.mark.parametrize("call, match", [
    (lambda: KS.toy_function(np.zeros((3, 3))), "\\(n, 2\\)"),
    (lambda: KS.make_dataset(3, 2), "callable"),
    (lambda: KS.make_dataset(KS.toy_function, 0), "n_var"),
    (lambda: KS.train(None, None, None, -1), "steps"),
    (lambda: KS.train(None, None, None, 1, "sgd"), "optimizer"),
    (lambda: KS.grid_schedule([2, 1], [], {}), "at least one"),
    (lambda: KS.loglog_slope([1.0, 2.0], [1.0, -1.0]), "positive"),
])
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_sqrt_median_is_insensitive_to_one_large_error():
    class Fixed:
        def forward(self, X):
            return np.zeros((len(X), 1))

    y = np.full((5, 1), 0.1)
    y[0] = 10.0
    assert abs(KS.sqrt_median_squared_error(Fixed(), np.zeros((5, 2)), y) - 0.1) < 1e-15
    assert KS.rmse(Fixed(), np.zeros((5, 2)), y) > 4


def test_scaling_over_seeds_reports_every_seed():
    # two seeds, grids 3 -> 5, 3 L-BFGS steps: the arrays have one row per seed, and a seed
    # is "stuck" exactly when its test RMSE never goes below the threshold
    r = KS.scaling_over_seeds([2, 1, 1], [3, 5], seeds=[0, 3], steps=3, n_train=200,
                              n_test=200)
    assert r["test_rmse"].shape == (2, 2) and r["test_sqrt_median"].shape == (2, 2)
    assert list(r["G"]) == [3, 5] and list(r["seeds"]) == [0, 3]
    np.testing.assert_array_equal(r["stuck"], np.all(r["test_rmse"] >= 0.1, axis=1))
    again = KS.scaling_over_seeds([2, 1, 1], [3, 5], seeds=[0, 3], steps=3, n_train=200,
                                  n_test=200)
    np.testing.assert_array_equal(again["test_rmse"], r["test_rmse"])  # reproducible
    with pytest.raises(ValueError, match="at least one seed"):
        KS.scaling_over_seeds([2, 1, 1], [3], seeds=[])
