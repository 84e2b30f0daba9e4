r"""Small data sets the reader can see: toy two-class problems in the plane and 8×8 digits.

Every generator takes ``rng=`` (a ``numpy.random.Generator`` or an int seed) and returns
``(X, y)`` with ``X`` of shape ``(n, 2)`` (batch-first, float64, or float32 with
``dtype=numpy.float32`` for a float32 network) and ``y`` of shape ``(n,)``.
The two classes are labelled ``0``/``1`` (``labels="01"``, the default: class indices, as
:class:`lecturenn.losses.SoftmaxCrossEntropy` with two outputs expects) or ``-1``/``+1``
(``labels="pm1"``, the convention of the lecture's linear classifiers
:math:`a(x) = \operatorname{sign}\langle w, x\rangle` and of the margin losses
:class:`lecturenn.losses.LogisticLoss` and :class:`lecturenn.losses.HingeLoss`, which need it).

- :func:`xor` — the problem a single neuron cannot solve (slide «Ограниченность линейных
  моделей: функция XOR»), noisy copies of the four corners of the unit square;
- :func:`two_moons`, :func:`circles`, :func:`spirals` — problems that need a hidden layer,
  in increasing order of difficulty;
- :func:`load_digits` — the 8×8 handwritten digits (1797 images, 10 classes) that ship inside
  scikit-learn, split into train and test and scaled to :math:`[0, 1]`;
- :func:`train_test_split` and :func:`one_hot` — the two helpers every experiment needs.

Only numpy is used; scikit-learn is imported lazily by :func:`load_digits` alone, for its
bundled copy of the digits (no download).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_float_dtype,
    check_in_range,
    check_int,
    check_numeric_dtype,
    check_positive,
    check_rng,
    describe,
    first_nonfinite,
)

__all__ = [
    "Split",
    "xor",
    "two_moons",
    "circles",
    "spirals",
    "load_digits",
    "train_test_split",
    "one_hot",
    "MAX_TURNS",
]


class Split(NamedTuple):
    """A train/test split; unpacks as ``X_train, X_test, y_train, y_test``."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


# --------------------------------------------------------------------------- checks


def _check_labels(labels) -> str:
    if not isinstance(labels, str) or labels not in ("01", "pm1"):
        raise ValueError(
            f"labels must be '01' (classes 0 and 1) or 'pm1' (classes -1 and +1), "
            f"got {describe(labels)}"
        )
    return labels


def _finish(X: np.ndarray, cls: np.ndarray, labels: str, rng: np.random.Generator, dtype,
            culprit: str):
    """Shuffle the objects and encode the class indices 0/1 as asked.

    The points must be finite in ``dtype``: a noise of 1e308 overflows float64, one of 1e39
    overflows float32; ``culprit`` names the arguments that can cause it.
    """
    order = rng.permutation(len(X))
    X, cls = X[order], cls[order]
    y = cls.astype(np.int64) if labels == "01" else (2 * cls - 1).astype(np.int64)
    with np.errstate(over="ignore"):
        X = np.ascontiguousarray(X, dtype=dtype)
    bad = first_nonfinite(X)
    if bad is not None:
        raise ValueError(f"{culprit} gives points that are not finite in {np.dtype(dtype)} "
                         f"({bad[1]} at index {bad[0]}): choose a smaller value")
    return X, y


def _split_counts(n: int) -> tuple[int, int]:
    return n // 2, n - n // 2


# --------------------------------------------------------------------------- toy problems


def xor(n: int = 200, noise: float = 0.15, rng=0, *, labels: str = "01", dtype=np.float64):
    r"""Noisy XOR: the four corners of the unit square, opposite corners in one class.

    Object :math:`i` is a corner :math:`c_i \in \{0, 1\}^2` plus Gaussian noise,
    :math:`x_i = c_i + \xi_i`, :math:`\xi_i \sim \mathcal N(0, \text{noise}^2 I)`, and its class
    is :math:`c_{i1} \oplus c_{i2}`. The corners are used equally often (up to one object).
    Slide «Ограниченность линейных моделей: функция XOR»: no line separates the classes.

    Parameters
    ----------
    n : int, optional
        Number of objects, at least 4.
    noise : float, optional
        Standard deviation of the noise, ``>= 0``.
    rng : numpy.random.Generator or int, optional
        Source of randomness.
    labels : {"01", "pm1"}, optional
        Class labels 0/1 or -1/+1.
    dtype : numpy dtype, optional
        The dtype of ``X``: float64 (default) or float32. The points are computed in
        float64 and then converted, so both dtypes hold the same points (rounded).

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``.
    y : numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> X, y = xor(8, noise=0.0, rng=0)
    >>> bool(((X[:, 0] != X[:, 1]) == (y == 1)).all())
    True
    """
    n = check_int("n", n, minimum=4)
    noise = check_positive("noise", noise, strict=False)
    labels = _check_labels(labels)
    dtype = check_float_dtype("dtype", dtype)
    rng = check_rng(rng)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    with np.errstate(over="ignore", invalid="ignore"):
        X = corners[which] + noise * rng.standard_normal((n, 2))
    cls = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    return _finish(X, cls, labels, rng, dtype, f"noise={noise!r}")


def two_moons(n: int = 200, noise: float = 0.1, rng=0, *, labels: str = "01", dtype=np.float64):
    r"""Two interleaving half circles.

    Class 0: :math:`(\cos t, \sin t)`; class 1: :math:`(1 - \cos t, \tfrac12 - \sin t)`, with
    :math:`t` evenly spaced on :math:`[0, \pi]`, plus Gaussian noise of standard deviation
    ``noise`` (the construction of scikit-learn's ``make_moons``).

    Parameters
    ----------
    n : int, optional
        Number of objects, at least 2 (``n // 2`` in class 0, the rest in class 1).
    noise : float, optional
        Standard deviation of the noise, ``>= 0``.
    rng : numpy.random.Generator or int, optional
        Source of randomness.
    labels : {"01", "pm1"}, optional
        Class labels 0/1 or -1/+1.
    dtype : numpy dtype, optional
        The dtype of ``X``: float64 (default) or float32. The points are computed in
        float64 and then converted, so both dtypes hold the same points (rounded).

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``.
    y : numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> X, y = two_moons(6, noise=0.0, rng=0)
    >>> X.shape, sorted(y.tolist())
    ((6, 2), [0, 0, 0, 1, 1, 1])
    """
    n = check_int("n", n, minimum=2)
    noise = check_positive("noise", noise, strict=False)
    labels = _check_labels(labels)
    dtype = check_float_dtype("dtype", dtype)
    rng = check_rng(rng)
    n0, n1 = _split_counts(n)
    t0 = np.linspace(0.0, np.pi, n0)
    t1 = np.linspace(0.0, np.pi, n1)
    X = np.vstack([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])
    with np.errstate(over="ignore", invalid="ignore"):
        X = X + noise * rng.standard_normal(X.shape)
    cls = np.repeat([0, 1], [n0, n1])
    return _finish(X, cls, labels, rng, dtype, f"noise={noise!r}")


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, rng=0, *,
            labels: str = "01", dtype=np.float64):
    r"""Two concentric circles: class 0 on the unit circle, class 1 inside, at radius ``factor``.

    The angles are evenly spaced on :math:`[0, 2\pi)`; Gaussian noise of standard deviation
    ``noise`` is added to both coordinates.

    Parameters
    ----------
    n : int, optional
        Number of objects, at least 2 (``n // 2`` on the outer circle).
    noise : float, optional
        Standard deviation of the noise, ``>= 0``.
    factor : float, optional
        Radius of the inner circle, in the open interval ``(0, 1)``.
    rng : numpy.random.Generator or int, optional
        Source of randomness.
    labels : {"01", "pm1"}, optional
        Class labels 0/1 or -1/+1.
    dtype : numpy dtype, optional
        The dtype of ``X``: float64 (default) or float32. The points are computed in
        float64 and then converted, so both dtypes hold the same points (rounded).

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``.
    y : numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = circles(8, noise=0.0, factor=0.5, rng=0)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 6)[np.argsort(y, kind="stable")].tolist()
    [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    """
    n = check_int("n", n, minimum=2)
    noise = check_positive("noise", noise, strict=False)
    factor = check_in_range("factor", factor, 0.0, 1.0, closed_low=False, closed_high=False)
    labels = _check_labels(labels)
    dtype = check_float_dtype("dtype", dtype)
    rng = check_rng(rng)
    n0, n1 = _split_counts(n)
    a0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    a1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(a0), np.sin(a0)]),
        factor * np.column_stack([np.cos(a1), np.sin(a1)]),
    ])
    with np.errstate(over="ignore", invalid="ignore"):
        X = X + noise * rng.standard_normal(X.shape)
    cls = np.repeat([0, 1], [n0, n1])
    return _finish(X, cls, labels, rng, dtype, f"noise={noise!r}")


#: the largest number of turns of :func:`spirals`: at :math:`10^6` turns float64 still
#: places each angle :math:`2\pi\cdot\text{turns}\cdot t` to about :math:`10^{-9}` rad;
#: at :math:`10^{15}` the rounding error of the angle is a radian and the "spiral" is noise
#: (at :math:`10^{308}` the angle overflows and the points are NaN)
MAX_TURNS = 1e6


def spirals(n: int = 200, turns: float = 1.5, noise: float = 0.03, rng=0, *,
            labels: str = "01", dtype=np.float64):
    r"""Two interleaved Archimedean spirals.

    Object :math:`i` of class :math:`c` has a parameter :math:`t_i \sim U[0.05, 1]`, radius
    :math:`r = t_i` and angle :math:`2\pi \cdot \text{turns} \cdot t_i + \pi c`; Gaussian noise of
    standard deviation ``noise`` is added. The larger ``turns``, the harder the problem: each
    extra turn needs more hidden neurons.

    Parameters
    ----------
    n : int, optional
        Number of objects, at least 2 (``n // 2`` in class 0).
    turns : float, optional
        Number of turns of each spiral, in ``(0, MAX_TURNS]`` (:data:`MAX_TURNS` = :math:`10^6`).
    noise : float, optional
        Standard deviation of the noise, ``>= 0``.
    rng : numpy.random.Generator or int, optional
        Source of randomness.
    labels : {"01", "pm1"}, optional
        Class labels 0/1 or -1/+1.
    dtype : numpy dtype, optional
        The dtype of ``X``: float64 (default) or float32. The points are computed in
        float64 and then converted, so both dtypes hold the same points (rounded).

    Returns
    -------
    X : numpy.ndarray
        Shape ``(n, 2)``, inside the disc of radius about 1.
    y : numpy.ndarray
        Shape ``(n,)``, int64.

    Examples
    --------
    >>> X, y = spirals(100, rng=0, labels="pm1")
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 2), [-1, 1])
    """
    n = check_int("n", n, minimum=2)
    turns = check_positive("turns", turns)
    if turns > MAX_TURNS:
        raise ValueError(f"turns must be <= MAX_TURNS = {MAX_TURNS:g}, got {turns!r}: beyond "
                         "it float64 cannot place the angle of a point and the spiral is noise")
    noise = check_positive("noise", noise, strict=False)
    labels = _check_labels(labels)
    dtype = check_float_dtype("dtype", dtype)
    rng = check_rng(rng)
    n0, n1 = _split_counts(n)
    cls = np.repeat([0, 1], [n0, n1])
    t = rng.uniform(0.05, 1.0, size=n)
    angle = 2 * np.pi * turns * t + np.pi * cls
    X = np.column_stack([t * np.cos(angle), t * np.sin(angle)])
    with np.errstate(over="ignore", invalid="ignore"):
        X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, cls, labels, rng, dtype, f"noise={noise!r}")


# --------------------------------------------------------------------------- helpers


def train_test_split(X, y, test_size: float | int = 0.25, rng=0, *, stratify: bool = False):
    r"""Split objects into a training and a test set at random.

    Parameters
    ----------
    X : array_like
        Objects, shape ``(n, ...)`` (batch-first).
    y : array_like
        Answers, shape ``(n,)`` or ``(n, M)``.
    test_size : float or int, optional
        The fraction of the objects in the test set, in ``(0, 1)``, or their number, in
        ``[1, n - 1]``. A fraction gives :math:`\lceil \text{test\_size}\cdot n\rceil` objects.
    rng : numpy.random.Generator or int, optional
        Source of randomness.
    stratify : bool, optional
        If true (``y`` must then be one-dimensional, without NaN), the test set takes from
        every class :math:`c` of :math:`n_c` objects its share
        :math:`n_{\text{test}}\, n_c / n` rounded down, and the objects still missing from
        the classes with the largest remainders (ties broken at random), so both parts keep
        the class proportions and the test set has exactly the size above.

    Returns
    -------
    Split
        ``(X_train, X_test, y_train, y_test)``, copies of rows of ``X`` and ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> s = train_test_split(np.arange(20).reshape(10, 2), np.arange(10), test_size=0.3, rng=0)
    >>> s.X_train.shape, s.X_test.shape
    ((7, 2), (3, 2))
    """
    X = _as_array("X", X)
    y = _as_array("y", y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            "X and y must have a first (object) axis, "
            f"got X of shape {X.shape}, y of shape {y.shape}"
        )
    n = X.shape[0]
    if y.shape[0] != n:
        raise ValueError(
            f"X and y must have the same number of objects, got X of shape {X.shape} "
            f"and y of shape {y.shape}"
        )
    if n < 2:
        raise ValueError(f"X must have at least 2 objects to split, got shape {X.shape}")
    n_test = _n_test(test_size, n)
    if not isinstance(stratify, (bool, np.bool_)):
        raise TypeError(f"stratify must be a bool, got {describe(stratify)}")
    rng = check_rng(rng)
    if not stratify:
        order = rng.permutation(n)
        test, train = order[:n_test], order[n_test:]
    else:
        if y.ndim != 1:
            raise ValueError(f"stratify=True needs one-dimensional labels y, got shape {y.shape}")
        if np.issubdtype(y.dtype, np.floating) and not np.all(np.isfinite(y)):
            raise ValueError("stratify=True needs labels y without NaN or infinity")
        classes, cls = np.unique(y, return_inverse=True)
        counts = np.bincount(cls, minlength=len(classes))
        quota = counts * (n_test / n)
        k = np.floor(quota).astype(np.int64)
        # the objects still missing go to the largest remainders, ties in random order
        order = np.lexsort((rng.random(len(k)), -(quota - k)))
        k[order[:n_test - k.sum()]] += 1
        test_parts, train_parts = [], []
        for c in range(len(classes)):
            idx = np.flatnonzero(cls == c)
            idx = idx[rng.permutation(len(idx))]
            test_parts.append(idx[:k[c]])
            train_parts.append(idx[k[c]:])
        test = np.concatenate(test_parts)
        train = np.concatenate(train_parts)
        test = test[rng.permutation(len(test))]
        train = train[rng.permutation(len(train))]
    return Split(X[train], X[test], y[train], y[test])


def _as_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value)
    except ValueError as exc:  # ragged lists
        raise TypeError(f"{name} must be an array (rows of equal length), got "
                        f"{describe(value)}") from exc


def _n_test(test_size, n: int) -> int:
    if isinstance(test_size, bool) or not isinstance(
        test_size, (int, float, np.integer, np.floating)
    ):
        raise TypeError(f"test_size must be a float in (0, 1) or an int, got {describe(test_size)}")
    if isinstance(test_size, (int, np.integer)):
        if not 1 <= int(test_size) <= n - 1:
            raise ValueError(f"test_size as a count must lie in [1, {n - 1}], got {test_size!r}")
        return int(test_size)
    frac = check_in_range("test_size", test_size, 0.0, 1.0, closed_low=False)
    k = int(np.ceil(frac * n))
    if not 1 <= k <= n - 1:
        raise ValueError(
            f"test_size={test_size!r} gives {k} test objects out of {n}; "
            "both parts must be non-empty"
        )
    return k


def one_hot(y, n_classes: int | None = None, *, dtype=np.float64) -> np.ndarray:
    r"""Encode class indices as rows of the identity matrix: :math:`Y_{im} = [y_i = m]`.

    Parameters
    ----------
    y : array_like
        Class indices, a one-dimensional integer array with values in ``0..n_classes-1``.
    n_classes : int, optional
        Number of classes :math:`M`; by default ``max(y) + 1``.
    dtype : numpy dtype, optional
        Type of the result (float64 by default): a numeric dtype (bool, an integer or a
        float type).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, n_classes)``.

    Examples
    --------
    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    dtype = check_numeric_dtype("dtype", dtype)
    arr = _as_array("y", y)
    if arr.size == 0 and arr.dtype == np.float64:  # [] has no dtype of its own
        arr = arr.astype(np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"y must be an integer array of class indices, got {describe(y)}")
    if arr.ndim != 1:
        raise ValueError(f"y must be a 1-dimensional array of class indices, got shape {arr.shape}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"y must hold class indices >= 0, got {int(arr.min())}")
    if n_classes is None:
        if arr.size == 0:
            raise ValueError("n_classes must be given when y is empty")
        n_classes = int(arr.max()) + 1
    else:
        n_classes = check_int("n_classes", n_classes, minimum=1)
        if arr.size and arr.max() >= n_classes:
            raise ValueError(
                f"y holds class index {int(arr.max())}, but n_classes={n_classes} "
                f"allows only 0..{n_classes - 1}"
            )
    out = np.zeros((arr.size, n_classes), dtype=dtype)
    out[np.arange(arr.size), arr] = 1
    return out


# --------------------------------------------------------------------------- digits


def load_digits(test_size: float | int = 0.25, rng=0, *, dtype=np.float64) -> Split:
    r"""The 8×8 handwritten digits, split into train and test, pixels scaled to :math:`[0, 1]`.

    The 1797 images of the UCI «Optical Recognition of Handwritten Digits» test set, as bundled
    with scikit-learn (``sklearn.datasets.load_digits``; nothing is downloaded). Each image is
    a vector of 64 pixel intensities :math:`0, \dots, 16`; they are divided by 16, so every
    feature lies in :math:`[0, 1]`. The split is stratified: both parts keep the proportions
    of the ten classes.

    Parameters
    ----------
    test_size : float or int, optional
        Fraction (or number) of images in the test set, as in :func:`train_test_split`.
    rng : numpy.random.Generator or int, optional
        Source of randomness for the split.
    dtype : numpy dtype, optional
        float64 (default) or float32.

    Returns
    -------
    Split
        ``X_train`` of shape ``(n_train, 64)``, ``X_test`` of shape ``(n_test, 64)``, and the
        digits ``y_train``, ``y_test`` as int64 class indices ``0..9``.

    Raises
    ------
    ImportError
        If scikit-learn is not installed (it comes with ``pip install 'lecturenn[book]'``).
    """
    try:
        dtype = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"dtype must be float64 or float32, got {describe(dtype)}") from exc
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise TypeError(f"dtype must be float64 or float32, got {dtype}")
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:
        raise ImportError(
            "lecturenn.data.load_digits reads the copy of the digits bundled with "
            "scikit-learn, which is not installed: pip install 'lecturenn[book]' "
            "(or pip install scikit-learn)"
        ) from exc
    bunch = _sk_load_digits()
    X = as_float_array("digits", bunch.data, ndim=2) / 16.0
    y = np.asarray(bunch.target, dtype=np.int64)
    split = train_test_split(X.astype(dtype), y, test_size=test_size, rng=rng, stratify=True)
    return split
