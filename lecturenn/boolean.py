r"""Boolean functions computed by threshold neurons and two-layer threshold networks.

Slides «Нейронная реализация булевых функций» (the neural implementation of Boolean
functions) and «Ограниченность линейных моделей: функция XOR» (the limits of linear models:
XOR).

**Standard order of a truth table.** The :math:`2^n` rows of a truth table of a function of
:math:`n` variables are the binary tuples :math:`(x^1, \dots, x^n)` in lexicographic order,
:math:`x^1` being the most significant bit: for :math:`n = 2` the rows are
``(0,0), (0,1), (1,0), (1,1)``. Row :math:`k` is the binary expansion of :math:`k`.

**Weights of AND, OR, NOT.** They are the maximum-margin solutions (weights in
:math:`[-1, 1]`) of the strict inequalities that the truth table imposes on
:math:`(w_1, \dots, w_n, w_0)`, derived exactly in :mod:`lecturenn.derivations.neurons`:

.. math::

    x^1 \wedge x^2 = [x^1 + x^2 - \tfrac32 > 0], \quad
    x^1 \vee x^2 = [x^1 + x^2 - \tfrac12 > 0], \quad
    \neg x^1 = [-x^1 + \tfrac12 > 0].

**DNF compiles into a two-layer network** (:func:`compile_dnf`). For every true row
:math:`r` of the table (a minterm) one hidden neuron

.. math::

    h_r(x) = \Bigl[\sum_{j:\, r_j = 1} x^j - \sum_{j:\, r_j = 0} x^j
             - \bigl(|r| - \tfrac12\bigr) > 0\Bigr],
    \qquad |r| = \sum_j r_j,

fires exactly at :math:`x = r`; the output neuron is their disjunction
:math:`[\sum_r h_r - \tfrac12 > 0]`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecturenn._validation import (
    as_binary_array,
    as_float_array,
    check_int,
    check_shape,
    describe,
)
from lecturenn.neuron import Neuron, heaviside

__all__ = [
    "truth_table_inputs",
    "truth_table",
    "as_truth_table",
    "and_neuron",
    "or_neuron",
    "not_neuron",
    "ThresholdNetwork",
    "compile_dnf",
    "xor_features",
    "xor_feature_neuron",
    "xor_network",
]


def _check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n (the number of variables) must be an int, got {describe(n)}")
    if not 0 <= int(n) <= 20:
        raise ValueError(f"n (the number of variables) must lie in [0, 20], got {n!r}")
    return int(n)


def truth_table_inputs(n: int) -> np.ndarray:
    r"""All :math:`2^n` binary inputs in the standard order, shape ``(2**n, n)``.

    Row :math:`k` is the binary expansion of :math:`k`, :math:`x^1` the most significant bit.

    Examples
    --------
    >>> truth_table_inputs(2)
    array([[0, 0],
           [0, 1],
           [1, 0],
           [1, 1]])
    """
    n = _check_n(n)
    k = np.arange(2**n)[:, None]
    shifts = np.arange(n - 1, -1, -1)[None, :]
    return ((k >> shifts) & 1).astype(np.int64)


def truth_table(f: Callable, n: int) -> np.ndarray:
    r"""The truth table of a Boolean function given as a callable on 0/1 tuples.

    Parameters
    ----------
    f : callable
        Called as ``f(x)`` with ``x`` a tuple of ``n`` ints 0/1; must return 0/1 or a bool.
    n : int
        The number of variables.

    Returns
    -------
    numpy.ndarray
        Integer array of length ``2**n`` in the standard order.
    """
    n = _check_n(n)
    if not callable(f):
        raise TypeError(f"f must be a callable on 0/1 tuples, got {describe(f)}")
    values = []
    for row in truth_table_inputs(n):
        x = tuple(int(v) for v in row)
        try:
            values.append(f(x))
        except Exception as exc:  # say which input and how f is called
            raise ValueError(f"f failed on x = {x} (it is called with a tuple of n = {n} "
                             f"ints 0/1): {type(exc).__name__}: {exc}") from exc
    return as_binary_array("f(x) (the values of the Boolean function)", values, ndim=1)


def as_truth_table(table_or_callable, n: int) -> np.ndarray:
    r"""Validate a truth table (length :math:`2^n`, values 0/1) or tabulate a callable."""
    n = _check_n(n)
    if callable(table_or_callable):
        return truth_table(table_or_callable, n)
    table = as_binary_array("table", table_or_callable, ndim=1)
    if table.shape[0] != 2**n:
        raise ValueError(
            f"table must have 2**n = {2**n} entries for n = {n} variables, "
            f"got {table.shape[0]}"
        )
    return table


def and_neuron() -> Neuron:
    r""":math:`x^1 \wedge x^2 = [x^1 + x^2 - \tfrac32 > 0]`."""
    return Neuron([1.0, 1.0], 1.5)


def or_neuron() -> Neuron:
    r""":math:`x^1 \vee x^2 = [x^1 + x^2 - \tfrac12 > 0]`."""
    return Neuron([1.0, 1.0], 0.5)


def not_neuron() -> Neuron:
    r""":math:`\neg x^1 = [-x^1 + \tfrac12 > 0]` (one input, threshold :math:`w_0 = -\tfrac12`)."""
    return Neuron([-1.0], -0.5)


class ThresholdNetwork:
    r"""A two-layer network of threshold neurons.

    .. math::

        h_k(x) = \Bigl[\sum_{j=1}^{n} W_{kj} x^j - b_k > 0\Bigr], \quad k = 1, \dots, H;
        \qquad a(x) = \Bigl[\sum_{k=1}^{H} v_k h_k(x) - v_0 > 0\Bigr].

    Parameters
    ----------
    W : array_like
        Hidden weights, shape ``(H, n)``; ``H`` may be 0.
    b : array_like
        Hidden thresholds, shape ``(H,)``.
    v : array_like
        Output weights, shape ``(H,)``.
    v0 : float
        Output threshold.
    n_inputs : int, optional
        The number :math:`n \ge 1` of inputs; needed only when ``W`` has no columns
        (``H == 0`` given as an empty ``(0, 0)`` array). If ``W`` has columns, their number
        must be ``n_inputs``.
    """

    def __init__(self, W, b, v, v0, n_inputs: int | None = None):
        W = as_float_array("W", W, ndim=2, allow_empty=True)
        if n_inputs is not None:
            n_inputs = check_int("n_inputs", n_inputs, minimum=1)
            if W.shape == (0, 0):
                W = W.reshape(0, n_inputs)
            elif W.shape[1] != n_inputs:
                raise ValueError(f"n_inputs={n_inputs}, but W of shape {W.shape} has "
                                 f"{W.shape[1]} columns (one per input)")
        if W.shape[1] == 0:
            raise ValueError(f"W of shape {W.shape} has no columns: a network needs at least "
                             "one input (give n_inputs when W is empty)")
        b = as_float_array("b", b, ndim=1, allow_empty=True)
        v = as_float_array("v", v, ndim=1, allow_empty=True)
        check_shape("b", b, (W.shape[0],), where="ThresholdNetwork (one threshold per row of W)")
        check_shape("v", v, (W.shape[0],), where="ThresholdNetwork (one weight per hidden neuron)")
        self.W, self.b, self.v = W, b, v
        self.v0 = float(as_float_array("v0", v0, ndim=0))

    @property
    def n_hidden(self) -> int:
        """The number :math:`H` of hidden neurons."""
        return int(self.W.shape[0])

    @property
    def n_inputs(self) -> int:
        """The number :math:`n` of inputs."""
        return int(self.W.shape[1])

    def hidden(self, X) -> np.ndarray:
        """The hidden outputs :math:`h_k(x)`, shape ``(n_objects, H)``."""
        X = as_float_array("X", X, ndim=2)
        check_shape("X", X, (None, self.n_inputs),
                    where=f"a network with {self.n_inputs} inputs")
        return heaviside(X @ self.W.T - self.b)

    def __call__(self, X) -> np.ndarray:
        """The outputs :math:`a(x)`, integer array of shape ``(n_objects,)``."""
        H = self.hidden(X)
        return heaviside(H @ self.v - self.v0)

    def __repr__(self) -> str:
        return f"ThresholdNetwork(n_inputs={self.n_inputs}, n_hidden={self.n_hidden})"


def compile_dnf(table_or_callable, n: int) -> ThresholdNetwork:
    r"""Compile a Boolean function into a two-layer threshold network via its perfect DNF.

    Parameters
    ----------
    table_or_callable : array_like or callable
        A truth table of length :math:`2^n` in the standard order (see
        :func:`truth_table_inputs`), or a callable on 0/1 tuples.
    n : int
        The number of variables, at least 1.

    Returns
    -------
    ThresholdNetwork
        One hidden neuron per true row :math:`r` (a minterm of the perfect DNF),
        with weights :math:`W_{rj} = 2r_j - 1 = \pm 1` and threshold
        :math:`b_r = |r| - \tfrac12` (the number of positive literals minus one half);
        the output neuron is the OR of the hidden ones: :math:`v = (1, \dots, 1)`,
        :math:`v_0 = \tfrac12`. So :math:`H` is the number of true rows, at most :math:`2^n - 1`
        for a non-constant function.
        Constant functions get no hidden neuron: :math:`v_0 = \tfrac12` for the
        constant 0 (no true row) and :math:`v_0 = -\tfrac12` for the constant 1.

    Notes
    -----
    At :math:`x = r` the hidden sum is :math:`|r| - (|r| - \tfrac12) = \tfrac12 > 0`; at any
    :math:`x \ne r` each disagreeing coordinate lowers the sum by 1, so it is at most
    :math:`-\tfrac12`. Hence :math:`h_r(x) = [x = r]` and the output is
    :math:`\bigvee_{r:\,f(r)=1} [x = r] = f(x)`.

    Examples
    --------
    >>> net = compile_dnf([0, 1, 1, 0], 2)   # XOR
    >>> net.n_hidden
    2
    >>> net(truth_table_inputs(2))
    array([0, 1, 1, 0])
    """
    if _check_n(n) < 1:
        raise ValueError("n (the number of variables) of compile_dnf must be >= 1, got 0: "
                         "a network needs an input")
    table = as_truth_table(table_or_callable, n)
    X = truth_table_inputs(n)
    rows = X[table == 1]
    if rows.shape[0] == 2**n:  # constant 1
        return ThresholdNetwork(np.zeros((0, n)), [], [], -0.5, n_inputs=n)
    W = 2.0 * rows - 1.0
    b = rows.sum(axis=1) - 0.5
    v = np.ones(rows.shape[0])
    return ThresholdNetwork(W.reshape(-1, n), b, v, 0.5, n_inputs=n)


def xor_features(X) -> np.ndarray:
    r"""The lifted features :math:`(x^1, x^2, x^1 x^2)` of a batch of shape ``(n_objects, 2)``."""
    X = as_float_array("X", X, ndim=2)
    check_shape("X", X, (None, 2), where="xor_features")
    return np.column_stack([X, X[:, 0] * X[:, 1]])


def xor_feature_neuron() -> Neuron:
    r"""XOR with the extra feature :math:`x^1x^2`: :math:`[x^1 + x^2 - 2x^1x^2 - \tfrac12 > 0]`.

    Slide «Ограниченность линейных моделей: функция XOR», first way (feature generation).
    """
    return Neuron([1.0, 1.0, -2.0], 0.5, features=xor_features)


def xor_network() -> ThresholdNetwork:
    r"""XOR as a superposition: :math:`[(x^1 \vee x^2) - (x^1 \wedge x^2) - \tfrac12 > 0]`.

    Slide «Ограниченность линейных моделей: функция XOR», second way: the hidden layer
    is :func:`or_neuron` and :func:`and_neuron`, the output weights are :math:`(1, -1)`.
    """
    OR, AND = or_neuron(), and_neuron()
    W = np.vstack([OR.w.data, AND.w.data])
    b = np.array([float(OR.w0.data), float(AND.w0.data)])
    return ThresholdNetwork(W, b, [1.0, -1.0], 0.5)
