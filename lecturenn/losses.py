r"""Loss functions :math:`\mathcal{L}` and their derivatives with respect to the network output.

Slide «Напоминание: модели классификации и регрессии»: regression losses are functions of
the error :math:`\varepsilon_i = a(x_i, w) - y_i` (:math:`\varepsilon^2`, :math:`|\varepsilon|`,
:math:`(|\varepsilon| - c)_+`), two-class losses are functions of the margin
:math:`M_i = g(x_i, w)\, y_i`, :math:`y_i \in \{-1, +1\}` (:math:`\ln(1 + e^{-M})`,
:math:`(1 - M)_+`); for :math:`M` classes the softmax cross-entropy.

**Conventions.**

* The value is the **mean over the objects of the batch** of the per-object loss
  :math:`\mathcal{L}_i`, and :math:`\mathcal{L}_i` is the **sum over the outputs** :math:`m`
  (as on the slide «Задача дифференцирования суперпозиции функций»:
  :math:`\mathcal{L}_i = \tfrac12 \sum_m (a_m(x_i) - y_{im})^2`). The gradient returned by
  :meth:`Loss.grad` is the gradient of that mean: :math:`\varepsilon^L_i / n` in the
  slide's notation.
* :class:`SquaredError` carries the factor :math:`\tfrac12` of the slide. PyTorch's
  ``MSELoss()`` is the mean of :math:`\varepsilon^2` over **all elements** (objects and
  outputs), so ``torch_mse == 2 * SquaredError() / M`` for :math:`M` outputs.
* Calling a loss, ``loss(a, y)``, and :meth:`Loss.value` and :meth:`Loss.grad` check
  their inputs as :meth:`lecturenn.network.Network.loss_and_grad` does: the output ``a``
  must have shape ``(n, M)`` and the targets ``y`` are validated and put in canonical form
  by :meth:`Loss.prepare_target` (so ``y`` of shape ``(n,)`` is a column for one output,
  not broadcast to ``(n, n)``, and a label out of range is an error).
  :meth:`Loss.value_and_grad` and :meth:`Loss.per_object` trust their inputs (they are
  the training hot path): give them targets that ``prepare_target`` returned.

The derivative of every loss is derived with SymPy in :mod:`lecturenn.derivations.backprop`.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    _DOT_FROM,
    all_finite,
    as_float_array,
    check_kwargs,
    check_positive,
    describe,
    lookup,
)
from lecturenn.activations import Sigmoid

__all__ = [
    "Loss",
    "SquaredError",
    "AbsoluteError",
    "EpsilonInsensitive",
    "LogisticLoss",
    "HingeLoss",
    "SoftmaxCrossEntropy",
    "get_loss",
    "LOSSES",
]


class Loss:
    """Base class of a loss. Subclasses implement :meth:`per_object` and :meth:`value_and_grad`.

    Attributes
    ----------
    kind : str
        ``"regression"`` (targets are real numbers), ``"margin"`` (two classes,
        targets :math:`\\pm1`) or ``"multiclass"`` (integer class labels).
    """

    name = "loss"
    kind = "regression"

    # -- validation at the API boundary ------------------------------------------------
    def prepare_target(self, y, output_shape: tuple[int, int], dtype=np.float64, *,
                       name: str = "y") -> np.ndarray:
        r"""Validate targets ``y`` for an output of shape ``(n, M)``; return them in canonical form.

        The canonical form is an ``(n, M)`` array of ``dtype`` for regression, an ``(n, 1)``
        array of :math:`\pm1` of ``dtype`` for the margin losses and ``(n,)`` integer labels
        for :class:`SoftmaxCrossEntropy`. Targets are converted to the dtype of the output
        (float64 targets of a float32 network become float32, labels exactly): they are
        only compared with the output, and the gradient stays in the network's dtype. An
        input ``X`` of another float dtype is an error instead
        (:meth:`lecturenn.network.Network.forward`): a float64 ``X`` would silently turn
        the whole forward pass of a float32 network into float64.

        ``name`` is the name of the targets in the error messages (``"y_val"``).

        Raises
        ------
        TypeError
            Non-numeric targets.
        ValueError
            Wrong number of objects or outputs, non-finite values, labels out of range.
        """
        raise NotImplementedError

    def _checked(self, a, y) -> tuple[np.ndarray, np.ndarray]:
        """``a`` as a finite ``(n, M)`` floating array and ``y`` prepared for it."""
        a = as_float_array("a (the network output)", a, ndim=2, dtype="floating")
        return a, self.prepare_target(y, a.shape, a.dtype)

    # -- the math ------------------------------------------------------------------------
    def per_object(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        r"""The per-object losses :math:`\mathcal{L}_i`, shape ``(n,)``.

        Unchecked: ``y`` must come from :meth:`Loss.prepare_target` (use :meth:`Loss.value`
        otherwise).
        """
        raise NotImplementedError

    def value_and_grad(self, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        r"""The mean loss and its gradient :math:`\partial Q/\partial a` (shaped like ``a``).

        The hot path of training, unchecked: ``a`` must be an ``(n, M)`` float array and
        ``y`` come from :meth:`Loss.prepare_target` (use :meth:`Loss.value` and
        :meth:`Loss.grad` otherwise).
        """
        raise NotImplementedError

    #: ``True`` for a piecewise-linear loss (absolute, insensitive, hinge): its second
    #: derivatives over the outputs are 0 almost everywhere, so Optimal Brain Damage, whose
    #: saliences start from them, refuses it (:func:`lecturenn.pruning.hessian_diagonal`)
    piecewise_linear: bool = False

    def hessian_diag(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        r"""The second derivatives :math:`\partial^2 Q/\partial a_{im}^2` (shaped like ``a``).

        :math:`Q = \frac1n\sum_i\mathcal{L}_i`, so the result carries the factor
        :math:`1/n`, as :meth:`value_and_grad` does. It starts the second backward pass of
        Optimal Brain Damage (:func:`lecturenn.pruning.hessian_diagonal`). Where the loss
        is piecewise linear (absolute, insensitive, hinge; ``piecewise_linear``) it is 0:
        the second derivative almost everywhere (a kink has none); Optimal Brain Damage
        refuses these losses. Unchecked, as :meth:`value_and_grad`.
        Derived in :func:`lecturenn.derivations.pruning.check_loss_second_derivatives`.
        """
        raise NotImplementedError

    def hessian_vector(self, a: np.ndarray, y: np.ndarray, v: np.ndarray) -> np.ndarray:
        r"""The product of the Hessian of :math:`Q` over the outputs with ``v``, object by object.

        :math:`\bigl(\sum_{m'} \partial^2 Q/\partial a_{im}\partial a_{im'}\, v_{im'}\bigr)_{im}`
        (the objects do not mix: :math:`\mathcal{L}_i` depends on :math:`a_i` only). The
        output end of Pearlmutter's :math:`\mathcal{R}`-operator
        (:func:`lecturenn.pruning.hessian_vector_product`). For every loss but the softmax
        cross-entropy the Hessian over the outputs is diagonal, so this is
        ``hessian_diag(a, y) * v``. Unchecked, as :meth:`value_and_grad`.
        """
        return self.hessian_diag(a, y) * v

    def value(self, a, y) -> float:
        """The mean loss over the batch, with ``a`` and ``y`` checked (:meth:`prepare_target`)."""
        a, y = self._checked(a, y)
        return float(np.mean(self.per_object(a, y)))

    def grad(self, a, y) -> np.ndarray:
        r"""The gradient of the mean loss with respect to the output ``a`` (checked inputs)."""
        return self.value_and_grad(*self._checked(a, y))[1]

    def __call__(self, a, y) -> float:
        """``loss(a, y)`` is :meth:`value`: the mean loss, with ``a`` and ``y`` checked."""
        return self.value(a, y)

    def config(self) -> dict:
        """A JSON-serialisable description from which :func:`get_loss` rebuilds the loss."""
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_n(y, n, name="y"):
    if y.shape[0] != n:
        raise ValueError(f"{name} has {y.shape[0]} objects but the network output has {n}")


def _numeric(name, y):
    try:
        y = np.asarray(y)
    except ValueError as exc:  # ragged lists
        raise TypeError(f"{name} must be a numeric array (rows of equal length), got "
                        f"{describe(y)}") from exc
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.integer)
                               or np.issubdtype(y.dtype, np.floating)):
        raise TypeError(f"{name} must be a real numeric array, got {describe(y)}")
    if y.ndim == 0:
        raise ValueError(f"{name} must be an array with one entry per object, got a scalar")
    if y.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {y.shape}")
    return y


class _Regression(Loss):
    kind = "regression"

    def prepare_target(self, y, output_shape, dtype=np.float64, *, name="y"):
        n, m = output_shape
        if type(y) is np.ndarray and y.dtype == dtype and y.shape == output_shape and n:
            if not (np.count_nonzero(np.isfinite(y)) == y.size if y.size < _DOT_FROM
                    else all_finite(y)):  # all_finite, inlined
                raise ValueError(f"{name} must be finite, got NaN or infinity")
            return y  # fast path: already canonical
        y = _numeric(name, y)
        if y.ndim == 1 and m == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != m:
            raise ValueError(
                f"{name} for {type(self).__name__} must have shape (n, {m}) to match the "
                f"network output" + (" (or (n,))" if m == 1 else "") + f", got {y.shape}"
            )
        _check_n(y, n, name)
        y = y.astype(dtype, copy=False)
        if not all_finite(y):
            raise ValueError(f"{name} must be finite, got NaN or infinity")
        return y


class SquaredError(_Regression):
    r"""Squared error with the slide's factor one half.

    .. math::

        \mathcal{L}_i = \tfrac12 \sum_{m=1}^M \varepsilon_{im}^2, \quad
        \varepsilon_{im} = a_m(x_i) - y_{im}, \qquad
        \frac{\partial \mathcal{L}_i}{\partial a_m} = \varepsilon_{im}.

    Slides «Задача дифференцирования суперпозиции функций» and «Рекуррентное вычисление
    частных производных» (where :math:`\partial\mathcal{L}_i/\partial x^L_m = \varepsilon^L_{im}`).
    Relation to PyTorch: ``torch.nn.MSELoss()(a, y) == 2 * SquaredError()(a, y) / M``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1.0], [3.0]])              # outputs of a network with M = 1
    >>> SquaredError()(a, np.array([0.0, 1.0]))   # (1/2)(1^2 + 2^2) / 2; y may be (n,)
    1.25
    >>> SquaredError().grad(a, [0.0, 1.0])        # epsilon / n
    array([[0.5],
           [1. ]])
    """

    name = "squared"

    def per_object(self, a, y):
        e = a - y
        return 0.5 * np.einsum("ij,ij->i", e, e)

    def value_and_grad(self, a, y):
        e = a - y
        n = a.shape[0]
        val = 0.5 * float(np.vdot(e, e)) / n
        e *= 1.0 / n
        return val, e


    def hessian_diag(self, a, y):
        # d^2/da^2 of (1/2)(a - y)^2 is 1; the mean over n objects: 1/n
        return np.full_like(a, 1.0 / a.shape[0])


class AbsoluteError(_Regression):
    r"""Absolute error :math:`\mathcal{L}_i = \sum_m |\varepsilon_{im}|`.

    The derivative :math:`\operatorname{sign}\varepsilon` (0 at :math:`\varepsilon = 0`).
    """

    name = "absolute"
    piecewise_linear = True

    def per_object(self, a, y):
        return np.abs(a - y).sum(axis=1)

    def value_and_grad(self, a, y):
        e = a - y
        n = a.shape[0]
        val = float(np.abs(e).sum()) / n
        g = np.sign(e)
        g *= 1.0 / n
        return val, g


    def hessian_diag(self, a, y):
        return np.zeros_like(a)  # |e| is linear on each side of its kink


class EpsilonInsensitive(_Regression):
    r"""Vapnik's insensitive loss :math:`\mathcal{L}_i = \sum_m (|\varepsilon_{im}| - c)_+`.

    The derivative is :math:`\operatorname{sign}(\varepsilon)\,[|\varepsilon| > c]`.

    Parameters
    ----------
    c : float
        The width of the insensitive zone, :math:`c \ge 0`.
    """

    name = "epsilon_insensitive"
    piecewise_linear = True

    def __init__(self, c: float = 0.1) -> None:
        self.c = check_positive("c", c, strict=False)

    def per_object(self, a, y):
        return np.maximum(np.abs(a - y) - self.c, 0).sum(axis=1)

    def value_and_grad(self, a, y):
        e = a - y
        n = a.shape[0]
        ae = np.abs(e)
        val = float(np.maximum(ae - self.c, 0).sum()) / n
        g = np.sign(e)
        g[ae <= self.c] = 0
        g *= 1.0 / n
        return val, g

    def hessian_diag(self, a, y):
        return np.zeros_like(a)  # piecewise linear

    def config(self):
        return {"name": self.name, "c": self.c}

    def __repr__(self):
        return f"EpsilonInsensitive(c={self.c})"


class _Margin(Loss):
    kind = "margin"

    def prepare_target(self, y, output_shape, dtype=np.float64, *, name="y"):
        n, m = output_shape
        if m != 1:
            raise ValueError(
                f"{type(self).__name__} is a two-class margin loss: the network must have 1 output "
                f"g(x), got {m} outputs (use SoftmaxCrossEntropy for {m} classes)"
            )
        y = _numeric(name, y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"{name} for {type(self).__name__} must have shape (n,) or (n, 1), got {y.shape}"
            )
        _check_n(y, n, name)
        bad = (y != 1) & (y != -1)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"{name} for {type(self).__name__} must be -1 or +1 (margin M = g(x) y), "
                f"got {y[i].item()!r} at index {i}"
                + (" (for 0/1 labels pass 2 * y - 1, or labels='pm1' to lecturenn.data)"
                   if np.all((y == 0) | (y == 1)) else "")
            )
        return y.astype(dtype).reshape(-1, 1)


class LogisticLoss(_Margin):
    r"""Logistic loss of the margin :math:`M_i = g(x_i)\,y_i`, :math:`y_i \in \{-1, +1\}`.

    .. math::

        \mathcal{L}_i = \ln\bigl(1 + e^{-M_i}\bigr), \qquad
        \frac{\partial \mathcal{L}_i}{\partial g} = -y_i\,\sigma(-M_i).

    The value is computed with ``logaddexp``, the derivative with the package's sigmoid
    :class:`lecturenn.activations.Sigmoid` (through :math:`e^{-|M|} \le 1`): both are
    finite for any finite margin, and :math:`\sigma(-M)` keeps its relative accuracy in
    both tails (at :math:`M = 40` the derivative is :math:`-4.2\cdot10^{-18}`, where the
    form :math:`\tfrac12(1 - \tanh\tfrac M2)` gives 0).
    Slide «Напоминание: модели классификации и регрессии».

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[0.0], [2.0]])              # scores g(x) of a network with one output
    >>> round(LogisticLoss()(g, [1, -1]), 4)      # (ln 2 + ln(1 + e^2)) / 2
    1.41
    >>> LogisticLoss()(g, [1, 0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: y for LogisticLoss must be -1 or +1 (margin M = g(x) y), got 0 at index 1 ...
    """

    name = "logistic"
    _sigmoid = Sigmoid()

    def per_object(self, a, y):
        return np.logaddexp(0, -(a * y))[:, 0]

    def value_and_grad(self, a, y):
        m = a * y
        n = a.shape[0]
        val = float(np.logaddexp(0, -m).sum()) / n
        np.negative(m, out=m)
        s = self._sigmoid.value(m)  # sigma(-M)
        s *= y
        s *= -1.0 / n  # = -y sigma(-M) / n
        return val, s


    def hessian_diag(self, a, y):
        # d^2/dg^2 ln(1 + e^{-g y}) = y^2 sigma(M) sigma(-M) = sigma(M) sigma(-M), y = +-1
        m = a * y
        s = self._sigmoid.value(m)
        s *= self._sigmoid.value(-m)
        s *= 1.0 / a.shape[0]
        return s


class HingeLoss(_Margin):
    r"""Hinge loss :math:`\mathcal{L}_i = (1 - M_i)_+`; derivative :math:`-y_i [M_i < 1]`."""

    name = "hinge"
    piecewise_linear = True

    def per_object(self, a, y):
        return np.maximum(1 - a * y, 0)[:, 0]

    def value_and_grad(self, a, y):
        m = a * y
        n = a.shape[0]
        val = float(np.maximum(1 - m, 0).sum()) / n
        g = np.where(m < 1, -y, 0).astype(a.dtype, copy=False)
        g *= 1.0 / n
        return val, g


    def hessian_diag(self, a, y):
        return np.zeros_like(a)  # piecewise linear


class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy for :math:`M` classes with integer labels :math:`y_i \in \{0..M-1\}`.

    The network outputs the scores (logits) :math:`a_m`; the loss applies the softmax:

    .. math::

        p_{im} = \frac{e^{a_{im}}}{\sum_k e^{a_{ik}}}, \qquad
        \mathcal{L}_i = -\ln p_{i y_i} = \ln\sum_k e^{a_{ik}} - a_{i y_i}, \qquad
        \frac{\partial \mathcal{L}_i}{\partial a_{im}} = p_{im} - [m = y_i].

    Log-sum-exp with the maximum subtracted: finite for any finite scores. Matches
    ``torch.nn.CrossEntropyLoss()`` (mean over the batch).

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> round(SoftmaxCrossEntropy()(logits, [0, 2]), 4)   # (ln(1 + 2/e^2) + ln 3) / 2
    0.6691
    >>> SoftmaxCrossEntropy().probabilities(logits).round(3)
    array([[0.787, 0.107, 0.107],
           [0.333, 0.333, 0.333]])
    """

    name = "cross_entropy"
    kind = "multiclass"

    def prepare_target(self, y, output_shape, dtype=np.float64, *, name="y"):
        n, m = output_shape
        if (type(y) is np.ndarray and y.dtype == np.intp and y.shape == (n,) and n and m >= 2
                and not (y.view(np.uintp) >= m).any()):  # negative labels wrap to huge values
            return y  # fast path: already canonical and in range
        if m < 2:
            raise ValueError(
                f"SoftmaxCrossEntropy needs a network with M >= 2 outputs, got {m} "
                "(for two classes with one output use LogisticLoss)"
            )
        y = _numeric(name, y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1:
            raise ValueError(
                f"{name} for SoftmaxCrossEntropy must be integer class labels of shape (n,), "
                f"got {y.shape}"
            )
        _check_n(y, n, name)
        if not np.issubdtype(y.dtype, np.integer):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise TypeError(
                    f"{name} for SoftmaxCrossEntropy must be integer class labels, got "
                    f"{describe(y)} with non-integer values"
                )
        bad = (y < 0) | (y >= m)
        if np.any(bad):
            i = int(np.argmax(bad))
            raise ValueError(
                f"class label {name}[{i}] = {y[i].item()!r} is out of range: the network has "
                f"M = {m} outputs, so labels must be in 0..{m - 1}"
            )
        return y.astype(np.intp)

    @staticmethod
    def _shifted(a):
        return a - a.max(axis=1, keepdims=True)

    def per_object(self, a, y):
        s = self._shifted(a)
        lse = np.log(np.exp(s).sum(axis=1))
        return lse - s[np.arange(a.shape[0]), y]

    def value_and_grad(self, a, y):
        n, m = a.shape
        s = self._shifted(a)
        p = np.exp(s)
        z = p.sum(axis=1, keepdims=True)
        flat = np.arange(0, n * m, m) + y  # positions of a_{i, y_i} in the flattened array
        val = float(np.log(z).sum() - s.ravel().take(flat).sum()) / n
        z *= n
        np.reciprocal(z, out=z)
        p *= z  # p_im / n
        p.ravel()[flat] -= 1.0 / n
        return val, p

    def hessian_diag(self, a, y):
        # d^2 L_i / da_im da_im' = p_im ([m = m'] - p_im'); the diagonal p (1 - p)
        p = np.exp(self._shifted(a))
        p /= p.sum(axis=1, keepdims=True)
        return p * (1.0 - p) / a.shape[0]

    def hessian_vector(self, a, y, v):
        # (diag(p) - p p^T) v per object: p * v - p (p . v)
        p = np.exp(self._shifted(a))
        p /= p.sum(axis=1, keepdims=True)
        pv = p * v
        return (pv - p * pv.sum(axis=1, keepdims=True)) / a.shape[0]

    def probabilities(self, a) -> np.ndarray:
        """The softmax :math:`p_{im}` of the scores ``a``, shape ``(n, M)``."""
        s = self._shifted(as_float_array("a (the scores)", a, ndim=2, dtype="floating"))
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        return p


#: loss names accepted by :func:`get_loss`. There is deliberately no ``"mse"``: the lecture's
#: squared loss is :math:`\tfrac12\sum_m \varepsilon_m^2`, not the mean squared error, and
#: ``"mse"``/``"mae"`` are the names of the metrics of :func:`lecturenn.training.fit`.
LOSSES = {
    "squared": SquaredError,
    "squared_error": SquaredError,
    "absolute": AbsoluteError,
    "absolute_error": AbsoluteError,
    "epsilon_insensitive": EpsilonInsensitive,
    "logistic": LogisticLoss,
    "log": LogisticLoss,
    "hinge": HingeLoss,
    "cross_entropy": SoftmaxCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "ce": SoftmaxCrossEntropy,
}


def get_loss(spec) -> Loss:
    """Turn a name, a config dict or a :class:`Loss` into a :class:`Loss`.

    Parameters
    ----------
    spec : str, dict or Loss
        A name: ``"squared"``, ``"absolute"``, ``"epsilon_insensitive"``,
        ``"logistic"``, ``"hinge"``, ``"cross_entropy"`` (``"ce"``), see :data:`LOSSES`;
        a dict ``{"name": ..., **kwargs}`` as :meth:`Loss.config` returns; or a loss,
        returned as it is.

    Returns
    -------
    Loss
    """
    if isinstance(spec, Loss):
        return spec
    cls, kwargs = lookup("loss", spec, LOSSES, "a Loss")
    check_kwargs(f"loss {describe(spec)}", cls, kwargs)
    return cls(**kwargs)
