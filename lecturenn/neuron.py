r"""The McCulloch--Pitts neuron: a linear model of classification.

Slide «Искусственный нейрон — линейная модель классификации» (the artificial neuron), after
W. S. McCulloch and W. Pitts (1943):

.. math::

    a(x, w) = \sigma\Bigl(\sum_{j=1}^{n} w_j f_j(x) - w_0\Bigr),

where :math:`f_j(x)` are the features of the object :math:`x`, :math:`w_j` their weights,
:math:`w_0` the activation threshold and :math:`\sigma` the activation function.

Two activations are provided:

* :func:`heaviside`, the threshold function :math:`\sigma(s) = [s > 0]` (Iverson bracket).
  **Convention at zero:** :math:`[0 > 0] = 0`, i.e. a neuron whose weighted sum equals its
  threshold exactly does *not* fire. This is the strict inequality written on the slides
  («Нейронная реализация булевых функций», «Ограниченность линейных моделей: функция XOR»).
* :func:`sigmoid`, the logistic function :math:`\sigma(s) = 1/(1 + e^{-s})`, the smooth
  activation used from the BackProp chapter on.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lecturenn._validation import as_float_array, check_shape, describe
from lecturenn.activations import Sigmoid
from lecturenn.parameter import Parameter

__all__ = ["heaviside", "sigmoid", "Neuron"]


def heaviside(s) -> np.ndarray:
    r"""The threshold activation :math:`\sigma(s) = [s > 0]`.

    Parameters
    ----------
    s : array_like
        Real numbers (any shape).

    Returns
    -------
    numpy.ndarray
        Integer array of zeros and ones of the shape of ``s``; ``heaviside(0) == 0``.

    Notes
    -----
    The value at zero follows the strict inequality of the slides: :math:`[0 > 0] = 0`.
    (``numpy.heaviside`` lets the caller choose this value; here it is fixed.)

    Examples
    --------
    >>> heaviside([-1.0, 0.0, 0.5])
    array([0, 0, 1])
    """
    arr = as_float_array("s", s, ndim=None, allow_empty=True)
    return (arr > 0).astype(np.int64)


def sigmoid(s) -> np.ndarray:
    r"""The logistic activation :math:`\sigma(s) = \dfrac{1}{1 + e^{-s}}`.

    Computed without overflow: :math:`e^{-s}` is evaluated only for :math:`s \ge 0`
    and :math:`e^{s}/(1+e^{s})` for :math:`s < 0`. This is the activation
    :class:`lecturenn.activations.Sigmoid` of the multilayer networks: one implementation
    for the whole package.

    Parameters
    ----------
    s : array_like
        Real numbers (any shape).

    Returns
    -------
    numpy.ndarray
        Values in :math:`(0, 1)`; rounding gives exactly 1 for :math:`s \gtrsim 37` and
        exactly 0 only below about :math:`-745` (where :math:`e^{s}` underflows). The dtype
        of a floating ``s`` is kept (float32 stays float32); integers give float64.

    Examples
    --------
    >>> float(sigmoid(0.0))
    0.5
    """
    arr = as_float_array("s", s, ndim=None, dtype="floating", allow_empty=True)
    return np.asarray(_SIGMOID.value(arr))


_SIGMOID = Sigmoid()

_ACTIVATIONS: dict[str, Callable] = {"threshold": heaviside, "sigmoid": sigmoid}


class Neuron:
    r"""A single McCulloch--Pitts neuron :math:`a(x, w) = \sigma(\langle w, f(x)\rangle - w_0)`.

    Slide «Искусственный нейрон — линейная модель классификации».

    Parameters
    ----------
    w : array_like
        The weights :math:`w_1, \dots, w_n` of the features, shape ``(n_features,)``.
    w0 : float
        The threshold :math:`w_0` (subtracted from the weighted sum).
    activation : str or callable, optional
        :math:`\sigma`: ``"threshold"`` (default) is :func:`heaviside`, :math:`[s > 0]`;
        ``"sigmoid"`` is :func:`sigmoid`; or any callable on arrays.
    features : callable, optional
        The feature map :math:`x \mapsto (f_1(x), \dots, f_n(x))`, applied to a batch of
        shape ``(n_objects, d)`` and returning ``(n_objects, n_features)``. By default the
        features are the coordinates of :math:`x` themselves.

    Attributes
    ----------
    w : lecturenn.parameter.Parameter
        The weights, shape ``(n_features,)``.
    w0 : lecturenn.parameter.Parameter
        The threshold, shape ``()``.

    Examples
    --------
    The conjunction :math:`x^1 \wedge x^2 = [x^1 + x^2 - 3/2 > 0]`:

    >>> import numpy as np
    >>> AND = Neuron([1, 1], 1.5)
    >>> AND(np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))
    array([0, 0, 0, 1])
    """

    def __init__(self, w, w0, activation="threshold", features: Callable | None = None):
        w_arr = as_float_array("w", w, ndim=1)
        w0_arr = as_float_array("w0", w0, ndim=0)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"activation must be one of {sorted(_ACTIVATIONS)} or a callable, "
                    f"got {activation!r}"
                )
            self.activation_name = activation
            self.activation = _ACTIVATIONS[activation]
        elif callable(activation):
            self.activation_name = getattr(activation, "__name__", "custom")
            self.activation = activation
        else:
            raise TypeError(
                f"activation must be a string or a callable, got {describe(activation)}"
            )
        if features is not None and not callable(features):
            raise TypeError(f"features must be a callable or None, got {describe(features)}")
        self.features = features
        self.w = Parameter(w_arr.copy(), name="w")
        self.w0 = Parameter(w0_arr.copy(), name="w0")

    @property
    def n_features(self) -> int:
        """The number :math:`n` of features (the length of ``w``)."""
        return int(self.w.data.shape[0])

    def parameters(self) -> list[Parameter]:
        """The trainable arrays ``[w, w0]``."""
        return [self.w, self.w0]

    def feature_matrix(self, X) -> np.ndarray:
        r"""The matrix :math:`F = (f_j(x_i))` of shape ``(n_objects, n_features)``."""
        X = as_float_array("X", X, ndim=2)
        F = X if self.features is None else as_float_array(
            "features(X)", self.features(X), ndim=2)
        # the number of rows is X's own; only features(X) could get it wrong
        check_shape("X" if self.features is None else "features(X)", F,
                    (None if self.features is None else X.shape[0], self.n_features),
                    where=f"a neuron with {self.n_features} weights")
        return F

    def score(self, X) -> np.ndarray:
        r"""The weighted sum minus the threshold, :math:`s(x) = \sum_j w_j f_j(x) - w_0`.

        Parameters
        ----------
        X : array_like
            Objects, shape ``(n_objects, d)``.

        Returns
        -------
        numpy.ndarray
            Shape ``(n_objects,)``.
        """
        F = self.feature_matrix(X)
        return F @ self.w.data - self.w0.data

    def __call__(self, X) -> np.ndarray:
        r"""The output :math:`a(x, w) = \sigma(s(x))` for every object, shape ``(n_objects,)``."""
        return self.activation(self.score(X))

    def __repr__(self) -> str:
        w = ", ".join(f"{v:g}" for v in self.w.data)
        return f"Neuron(w=[{w}], w0={float(self.w0.data):g}, activation={self.activation_name!r})"
