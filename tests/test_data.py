"""Tests of lecturenn.data: shapes, labels, geometry, determinism and every error path."""

from __future__ import annotations

import numpy as np
import pytest

from lecturenn import data
from lecturenn.data import (
    circles,
    load_digits,
    one_hot,
    spirals,
    train_test_split,
    two_moons,
    xor,
)

GENERATORS = [xor, two_moons, circles, spirals]


@pytest.mark.parametrize("gen", GENERATORS)
@pytest.mark.parametrize("n", [4, 7, 200])
def test_shapes_dtypes_and_balance(gen, n):
    X, y = gen(n, rng=1)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}
    # the two classes differ in size by at most one object
    assert abs(int((y == 1).sum()) - int((y == 0).sum())) <= 1


@pytest.mark.parametrize("gen", GENERATORS)
def test_pm1_labels_are_the_same_classes(gen):
    X01, y01 = gen(50, rng=3)
    Xpm, ypm = gen(50, rng=3, labels="pm1")
    np.testing.assert_array_equal(X01, Xpm)
    np.testing.assert_array_equal(ypm, 2 * y01 - 1)
    assert set(np.unique(ypm)) == {-1, 1}


@pytest.mark.parametrize("gen", GENERATORS)
def test_seeded_and_generator_rng(gen):
    a = gen(30, rng=5)
    b = gen(30, rng=np.random.default_rng(5))
    c = gen(30, rng=6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_xor_geometry_without_noise():
    X, y = xor(40, noise=0.0, rng=0)
    assert set(map(tuple, X)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    np.testing.assert_array_equal(y, (X[:, 0] != X[:, 1]).astype(int))
    # each corner used exactly 10 times
    _, counts = np.unique(X, axis=0, return_counts=True)
    np.testing.assert_array_equal(counts, [10, 10, 10, 10])


def test_xor_is_not_linearly_separable_but_the_product_rule_is_exact():
    X, y = xor(400, noise=0.05, rng=0)
    # the rule y = [ (x1-1/2)(x2-1/2) < 0 ] classifies noisy XOR perfectly at small noise
    rule = ((X[:, 0] - 0.5) * (X[:, 1] - 0.5) < 0).astype(int)
    assert np.mean(rule == y) == 1.0
    # and the best least-squares linear classifier is near chance
    A = np.column_stack([X, np.ones(len(X))])
    w, *_ = np.linalg.lstsq(A, 2 * y - 1.0, rcond=None)
    assert np.mean((A @ w > 0) == (y == 1)) < 0.7


def test_circles_radii_without_noise():
    X, y = circles(100, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-12)


def test_moons_geometry_without_noise():
    X, y = two_moons(101, noise=0.0, rng=0)
    upper = X[y == 0]
    lower = X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-12)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()
    assert len(upper) == 50 and len(lower) == 51


def test_spirals_geometry_without_noise():
    turns = 2.0
    X, y = spirals(300, turns=turns, noise=0.0, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() >= 0.05 - 1e-12 and r.max() <= 1.0 + 1e-12
    # the angle is 2*pi*turns*r + pi*class, modulo 2*pi
    angle = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * turns * r + np.pi * y
    diff = np.angle(np.exp(1j * (angle - expected)))
    np.testing.assert_allclose(diff, 0.0, atol=1e-9)


def test_noise_scales_the_spread():
    for noise in (0.05, 0.2):
        X, y = circles(4000, noise=noise, factor=0.5, rng=0)
        r = np.hypot(X[:, 0], X[:, 1])
        # radial deviation of the outer circle is about the noise level (noise << radius)
        dev = np.std(r[y == 0] - 1.0)
        assert abs(dev - noise) < 0.15 * noise


@pytest.mark.parametrize("gen", GENERATORS)
def test_generator_errors(gen):
    with pytest.raises(TypeError, match="n must be an int"):
        gen(10.0)
    with pytest.raises(TypeError, match="n must be an int"):
        gen(True)
    with pytest.raises(ValueError, match="n must be >= "):
        gen(1)
    with pytest.raises(ValueError, match="noise must be >= 0"):
        gen(10, noise=-0.1)
    with pytest.raises(ValueError, match="labels must be '01'"):
        gen(10, labels="+-1")
    with pytest.raises(TypeError, match="rng must be"):
        gen(10, rng=None)


def test_xor_needs_four_objects():
    with pytest.raises(ValueError, match="n must be >= 4, got 3"):
        xor(3)


@pytest.mark.parametrize("factor", [0.0, 1.0, -0.5, 2.0])
def test_circles_factor_range(factor):
    with pytest.raises(ValueError, match="factor must lie in"):
        circles(10, factor=factor)


def test_spirals_turns_positive():
    with pytest.raises(ValueError, match="turns must be > 0"):
        spirals(10, turns=0)


# ------------------------------------------------------------------ train_test_split


def test_split_is_a_partition():
    X = np.arange(40).reshape(20, 2)
    y = np.arange(20)
    s = train_test_split(X, y, test_size=0.25, rng=0)
    assert s.X_test.shape == (5, 2) and s.X_train.shape == (15, 2)
    assert sorted(np.concatenate([s.y_train, s.y_test]).tolist()) == list(range(20))
    # rows stay aligned with their answers
    np.testing.assert_array_equal(s.X_train[:, 0] // 2, s.y_train)
    np.testing.assert_array_equal(s.X_test[:, 0] // 2, s.y_test)
    Xtr, Xte, ytr, yte = s  # unpacks like scikit-learn
    assert Xtr is s.X_train


def test_split_fraction_rounds_up_and_count():
    X = np.zeros((10, 1))
    y = np.zeros(10)
    assert len(train_test_split(X, y, 0.21, rng=0).X_test) == 3
    assert len(train_test_split(X, y, 4, rng=0).X_test) == 4


def test_split_deterministic():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    a = train_test_split(X, y, rng=7)
    b = train_test_split(X, y, rng=7)
    c = train_test_split(X, y, rng=8)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_test, c.y_test)


def test_split_stratified_keeps_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100)[:, None]
    s = train_test_split(X, y, 0.2, rng=0, stratify=True)
    np.testing.assert_array_equal(np.bincount(s.y_test), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(s.y_train), [48, 24, 8])


def test_split_errors():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="same number of objects"):
        train_test_split(X, np.zeros(9))
    with pytest.raises(ValueError, match="first .object. axis"):
        train_test_split(np.float64(1.0), np.zeros(1))
    with pytest.raises(ValueError, match="at least 2 objects"):
        train_test_split(np.zeros((1, 2)), np.zeros(1))
    with pytest.raises(ValueError, match="test_size must lie in"):
        train_test_split(X, np.zeros(10), test_size=1.5)
    with pytest.raises(ValueError, match="test_size must lie in"):
        train_test_split(X, np.zeros(10), test_size=0.0)
    with pytest.raises(ValueError, match=r"test_size as a count must lie in \[1, 9\]"):
        train_test_split(X, np.zeros(10), test_size=10)
    with pytest.raises(ValueError, match="both parts must be non-empty"):
        train_test_split(X, np.zeros(10), test_size=0.95)
    with pytest.raises(TypeError, match="test_size must be"):
        train_test_split(X, np.zeros(10), test_size="0.2")
    with pytest.raises(TypeError, match="stratify must be a bool"):
        train_test_split(X, np.zeros(10), stratify="yes")
    with pytest.raises(ValueError, match="stratify=True needs one-dimensional"):
        train_test_split(X, np.zeros((10, 2)), stratify=True)
    with pytest.raises(ValueError, match="stratify=True needs labels y without NaN"):
        train_test_split(X, np.r_[np.zeros(9), np.nan], stratify=True)


# ------------------------------------------------------------------ one_hot


def test_one_hot_values():
    Y = one_hot(np.array([2, 0, 1, 2]))
    np.testing.assert_array_equal(Y, np.eye(3)[[2, 0, 1, 2]])
    assert Y.dtype == np.float64
    assert one_hot([1], n_classes=4, dtype=np.float32).dtype == np.float32
    assert one_hot([1], n_classes=4).shape == (1, 4)
    assert one_hot(np.array([], dtype=int), n_classes=3).shape == (0, 3)


def test_one_hot_errors():
    with pytest.raises(TypeError, match="integer array of class indices"):
        one_hot([0.0, 1.0])
    with pytest.raises(TypeError, match="integer array of class indices"):
        one_hot([True, False])
    with pytest.raises(ValueError, match="1-dimensional"):
        one_hot([[0, 1]])
    with pytest.raises(ValueError, match="indices >= 0, got -1"):
        one_hot([0, -1])
    with pytest.raises(ValueError, match="n_classes=2 allows only 0..1"):
        one_hot([0, 2], n_classes=2)
    with pytest.raises(ValueError, match="n_classes must be given"):
        one_hot(np.array([], dtype=int))
    with pytest.raises(ValueError, match="n_classes must be >= 1"):
        one_hot([0], n_classes=0)


# ------------------------------------------------------------------ digits


def test_load_digits_split_and_scale():
    s = load_digits(test_size=0.25, rng=0)
    assert s.X_train.shape[1] == 64 and s.X_test.shape[1] == 64
    assert len(s.X_train) + len(s.X_test) == 1797
    # stratified, and still exactly ceil(0.25 * 1797) test images
    assert len(s.X_test) == 450
    for part in (s.X_train, s.X_test):
        assert part.dtype == np.float64
        assert part.min() == 0.0 and part.max() == 1.0
    # scaled by exactly 1/16: every pixel is a multiple of 1/16
    np.testing.assert_array_equal(s.X_train * 16, np.round(s.X_train * 16))
    assert set(np.unique(s.y_test)) == set(range(10))
    # stratified: every class is about a quarter in the test part
    frac = np.bincount(s.y_test) / (np.bincount(s.y_test) + np.bincount(s.y_train))
    assert np.all(np.abs(frac - 0.25) < 0.01)


def test_load_digits_matches_sklearn_and_is_seeded():
    from sklearn.datasets import load_digits as sk

    b = sk()
    s = load_digits(rng=1)
    t = load_digits(rng=1)
    np.testing.assert_array_equal(s.X_test, t.X_test)
    # every test image is one of scikit-learn's images (divided by 16) with its label
    lookup = {row.tobytes(): int(lab) for row, lab in zip(b.data / 16.0, b.target, strict=True)}
    for row, lab in zip(s.X_test[:50], s.y_test[:50], strict=True):
        assert lookup[row.tobytes()] == lab


def test_load_digits_float32_and_errors():
    s = load_digits(rng=0, dtype=np.float32)
    assert s.X_train.dtype == np.float32 and s.y_train.dtype == np.int64
    with pytest.raises(TypeError, match="dtype must be float64 or float32"):
        load_digits(dtype=np.int32)


def test_load_digits_without_sklearn(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'lecturenn\[book\]'"):
        data.load_digits()


# ------------------------------------------------------------------ audit fixes
@pytest.mark.parametrize("gen", GENERATORS)
def test_generators_give_float32_on_request(gen):
    X32, y32 = gen(20, rng=3, dtype=np.float32)
    X64, y64 = gen(20, rng=3)
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32, X64.astype(np.float32))  # the same points
    np.testing.assert_array_equal(y32, y64)
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        gen(20, dtype=int)


def test_stratified_split_has_the_documented_size():
    """Per-class rounding gave 4 test objects of 10 at 0.3 (ceil(3) = 3 is documented)."""
    X = np.arange(10)[:, None]
    y = np.repeat([0, 1], 5)
    sizes = set()
    for seed in range(6):
        s = train_test_split(X, y, 0.3, rng=seed, stratify=True)
        assert len(s.X_test) == 3 and len(s.X_train) == 7
        sizes.add(tuple(np.bincount(s.y_test, minlength=2)))
    assert sizes == {(1, 2), (2, 1)}  # the tie between the classes is broken at random
    one = train_test_split(X, y, 1, rng=0, stratify=True)  # a count of 1 used to fail
    assert len(one.X_test) == 1
    y3 = np.repeat([0, 1, 2], [7, 2, 1])
    s = train_test_split(X, y3, 0.5, rng=0, stratify=True)  # quotas 3.5, 1, 0.5
    assert len(s.X_test) == 5 and np.bincount(s.y_test, minlength=3)[1] == 1
    assert sorted(np.concatenate([s.X_train, s.X_test])[:, 0].tolist()) == list(range(10))


def test_one_hot_of_an_empty_list():
    assert one_hot([], 3).shape == (0, 3)  # "must be an integer array, got []" before
