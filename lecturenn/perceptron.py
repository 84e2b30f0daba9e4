r"""Rosenblatt's perceptron and its error-correction rule; Novikoff's bound.

Slide «Перцептрон Розенблатта (1957)»: learning by error correction (F. Rosenblatt,
1958; *Principles of Neurodynamics*, 1962). Checked against A. B. J. Novikoff,
"On convergence proofs on perceptrons" (1962).

**Augmented vectors.** The threshold is absorbed into the weights:
:math:`\tilde x = (x^1, \dots, x^n, -1)`, :math:`\tilde w = (w_1, \dots, w_n, w_0)`, so that
:math:`\langle \tilde w, \tilde x\rangle = \sum_j w_j x^j - w_0` and the separating hyperplane
passes through the origin of :math:`\mathbb{R}^{n+1}`.

**The rule.** Labels :math:`y_i \in \{-1, +1\}` (0/1 labels are mapped to :math:`-1/+1`).
Start from :math:`\tilde w = 0`; go over the objects; whenever
:math:`y_i \langle \tilde w, \tilde x_i\rangle \le 0` (an error, the boundary counted as an
error) make a correction

.. math::

    \tilde w \leftarrow \tilde w + \eta\, y_i \tilde x_i .

Stop after an epoch without corrections.

**Novikoff's theorem.** If some unit vector :math:`u` satisfies
:math:`y_i\langle u, \tilde x_i\rangle \ge \gamma > 0` for all :math:`i`, and
:math:`\|\tilde x_i\| \le R`, then the number of corrections is at most :math:`(R/\gamma)^2`,
for any :math:`\eta > 0` and any order of the objects.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_bool,
    check_int,
    check_positive,
    check_rng,
    check_shape,
)
from lecturenn.neuron import Neuron
from lecturenn.parameter import Parameter

__all__ = [
    "augment",
    "as_signed_labels",
    "Perceptron",
    "novikoff_bound",
    "max_margin_direction",
]


def augment(X) -> np.ndarray:
    r"""Append the constant feature :math:`-1`: :math:`\tilde x = (x, -1)`, shape ``(n, d+1)``.

    Parameters
    ----------
    X : array_like
        Objects, shape ``(n, d)``, finite.

    Returns
    -------
    numpy.ndarray
        The augmented objects :math:`\tilde x_i`, float64, shape ``(n, d + 1)``.
    """
    X = as_float_array("X", X, ndim=2)
    return np.column_stack([X, -np.ones(X.shape[0])])


def as_signed_labels(y, n_objects: int | None = None) -> np.ndarray:
    r"""Labels in :math:`\{-1,+1\}`; labels in :math:`\{0, 1\}` are mapped by
    :math:`y \mapsto 2y-1`.

    Parameters
    ----------
    y : array_like
        Labels, shape ``(n,)``, all in :math:`\{-1,+1\}` or all in :math:`\{0,1\}`.
    n_objects : int, optional
        The expected number of labels (the number of rows of ``X``).

    Returns
    -------
    numpy.ndarray
        The labels :math:`\pm1`, int64, shape ``(n,)``.

    Raises
    ------
    ValueError
        For any other value, for a mixture such as ``{-1, 0, 1}``, or for another length
        than ``n_objects``.
    """
    y = as_float_array("y", y, ndim=1)
    if n_objects is not None:
        n_objects = check_int("n_objects", n_objects, minimum=1)
        if y.shape != (n_objects,):
            raise ValueError(
                f"y must hold one label per row of X: shape ({n_objects},), got {y.shape}"
            )
    values = set(np.unique(y).tolist())
    if values <= {-1.0, 1.0}:
        return y.astype(np.int64)
    if values <= {0.0, 1.0}:
        return (2 * y - 1).astype(np.int64)
    raise ValueError(
        f"y must hold labels in {{-1, +1}} or in {{0, 1}}, got the values {sorted(values)}"
    )


class Perceptron:
    r"""Rosenblatt's perceptron trained by the error-correction rule.

    Parameters
    ----------
    eta : float, optional
        The step :math:`\eta > 0` (default 1; started from :math:`\tilde w = 0` it only rescales
        the weights, the sequence of corrections does not depend on it).
    max_epochs : int, optional
        The maximal number of passes over the sample (default 100).
    shuffle : bool, optional
        Visit the objects in a new random order every epoch (default ``True``); with
        ``False`` the order is ``0, 1, ..., l-1`` every epoch.
    detect_cycles : bool, optional
        With ``shuffle=False`` the algorithm is deterministic, so if the weight vector at the
        start of an epoch equals the one at the start of an earlier epoch, it will repeat
        forever: stop and record the cycle (default ``True``).

    Attributes
    ----------
    w : lecturenn.parameter.Parameter
        The weights :math:`w_1, \dots, w_n`.
    w0 : lecturenn.parameter.Parameter
        The threshold :math:`w_0`.
    weights_history_ : numpy.ndarray
        The augmented weight vector :math:`\tilde w = (w, w_0)` before the first correction
        and after every correction, shape ``(n_corrections_ + 1, n + 1)``.
    corrections_ : numpy.ndarray
        ``(epoch, object index)`` of every correction, shape ``(n_corrections_, 2)``.
    n_corrections_ : int
        The number of corrections.
    n_epochs_ : int
        The number of epochs run.
    converged_ : bool
        ``True`` if the last epoch made no correction (all objects strictly correct).
    cycle_ : tuple of int or None
        ``(first_epoch, period)`` if a cycle of the weights was detected, else ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> p = Perceptron(shuffle=False).fit(X, [0, 0, 0, 1], rng=0)
    >>> p.converged_, p.predict(X).tolist()
    (True, [0, 0, 0, 1])
    """

    def __init__(self, eta: float = 1.0, max_epochs: int = 100, shuffle: bool = True,
                 detect_cycles: bool = True):
        self.eta = check_positive("eta", eta)
        self.max_epochs = check_int("max_epochs", max_epochs, minimum=1)
        self.shuffle = check_bool("shuffle", shuffle)
        self.detect_cycles = check_bool("detect_cycles", detect_cycles)
        self.w: Parameter | None = None
        self.w0: Parameter | None = None

    def parameters(self) -> list[Parameter]:
        """The trainable arrays ``[w, w0]`` (after :meth:`fit`)."""
        self._check_fitted()
        return [self.w, self.w0]

    def fit(self, X, y, rng=0) -> Perceptron:
        r"""Run the error-correction rule from :math:`\tilde w = 0`.

        Parameters
        ----------
        X : array_like
            Objects, shape ``(n_objects, n_features)``.
        y : array_like
            Labels in :math:`\{-1,+1\}` or :math:`\{0,1\}`, shape ``(n_objects,)``.
        rng : numpy.random.Generator or int, optional
            The source of the random order of the objects (used if ``shuffle``).

        Returns
        -------
        Perceptron
            ``self``.
        """
        Xa = augment(X)
        ys = as_signed_labels(y, Xa.shape[0])
        rng = check_rng(rng)
        n_obj, dim = Xa.shape
        w = np.zeros(dim)
        history = [w.copy()]
        corrections = []
        starts: dict[bytes, int] = {}
        self.converged_, self.cycle_ = False, None
        epoch = 0
        for epoch in range(1, self.max_epochs + 1):
            if self.detect_cycles and not self.shuffle:
                key = w.tobytes()
                if key in starts:
                    self.cycle_ = (starts[key], epoch - starts[key])
                    epoch -= 1
                    break
                starts[key] = epoch
            order = rng.permutation(n_obj) if self.shuffle else range(n_obj)
            made = 0
            for i in order:
                if ys[i] * (Xa[i] @ w) <= 0:
                    w = w + self.eta * ys[i] * Xa[i]
                    history.append(w.copy())
                    corrections.append((epoch, int(i)))
                    made += 1
            if made == 0:
                self.converged_ = True
                break
        self.n_epochs_ = epoch
        self.weights_history_ = np.array(history)
        self.corrections_ = np.array(corrections, dtype=np.int64).reshape(-1, 2)
        self.n_corrections_ = len(corrections)
        self.w = Parameter(w[:-1].copy(), name="w")
        self.w0 = Parameter(np.array(w[-1]), name="w0")
        return self

    def _check_fitted(self) -> None:
        if self.w is None:
            raise RuntimeError("this Perceptron is not fitted yet: call fit(X, y) first")

    def decision_function(self, X) -> np.ndarray:
        r"""The score :math:`\sum_j w_j x^j - w_0`, shape ``(n_objects,)``."""
        return self.as_neuron().score(X)

    def predict(self, X) -> np.ndarray:
        r"""The class :math:`[\sum_j w_j x^j - w_0 > 0] \in \{0, 1\}`, shape ``(n_objects,)``."""
        return self.as_neuron()(X)

    def as_neuron(self) -> Neuron:
        """The learnt threshold :class:`~lecturenn.neuron.Neuron`."""
        self._check_fitted()
        return Neuron(self.w.data, self.w0.data)

    def __repr__(self) -> str:
        fitted = "" if self.w is None else f", fitted on {self.w.data.shape[0]} features"
        return (f"Perceptron(eta={self.eta:g}, max_epochs={self.max_epochs}, "
                f"shuffle={self.shuffle}{fitted})")


def novikoff_bound(X, y, u) -> dict:
    r"""Novikoff's bound :math:`(R/\gamma)^2` for a given separator :math:`u` of the augmented data.

    Parameters
    ----------
    X : array_like
        Objects, shape ``(n_objects, n_features)``; they are augmented with :math:`-1`.
    y : array_like
        Labels in :math:`\{-1,+1\}` or :math:`\{0,1\}`.
    u : array_like
        An augmented weight vector :math:`(w, w_0)`, shape ``(n_features + 1,)``; it is
        normalised to unit length.

    Returns
    -------
    dict
        ``R`` :math:`= \max_i \|\tilde x_i\|`,
        ``gamma`` :math:`= \min_i y_i\langle u,\tilde x_i\rangle/\|u\|` and
        ``bound`` :math:`= (R/\gamma)^2`. If ``u`` is a separator, ``gamma`` is a lower
        bound on the best margin, so ``bound`` is at least the bound of the theorem with the
        best margin and is also valid.

    Raises
    ------
    ValueError
        If ``u`` does not separate the data (``gamma <= 0``).
    """
    Xa = augment(X)
    ys = as_signed_labels(y, Xa.shape[0])
    u = as_float_array("u", u, ndim=1)
    check_shape("u", u, (Xa.shape[1],), where="novikoff_bound (augmented weights (w, w0))")
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("u must be a nonzero vector, got all zeros")
    gamma = float(np.min(ys * (Xa @ u)) / norm) + 0.0  # + 0.0: a margin -0.0 reads 0
    if gamma <= 0:
        raise ValueError(f"u does not separate the data: its margin is {gamma:.4g} <= 0")
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    return {"R": R, "gamma": gamma, "bound": (R / gamma) ** 2}


def max_margin_direction(X, y, *, tol: float = 1e-10, max_iter: int = 100_000) -> dict:
    r"""The maximum-margin hyperplane through the origin of the augmented space.

    Solves the hard-margin SVM without bias on :math:`\tilde x_i`:
    :math:`\min \tfrac12\|v\|^2` subject to :math:`y_i\langle v, \tilde x_i\rangle \ge 1`, by
    coordinate ascent on its dual
    :math:`D(\alpha) = \sum_i \alpha_i - \tfrac12\|\sum_i \alpha_i y_i \tilde x_i\|^2`,
    :math:`\alpha \ge 0` (no equality constraint, since there is no bias).
    The best margin is :math:`\gamma^* = 1/\|v^*\|`.

    Parameters
    ----------
    X : array_like
        Objects, shape ``(n_objects, n_features)``; they are augmented with :math:`-1`.
    y : array_like
        Labels in :math:`\{-1,+1\}` or :math:`\{0,1\}`.
    tol : float, optional
        Stop when a sweep changes no :math:`\alpha_i` by more than ``tol`` (> 0).
    max_iter : int, optional
        The maximal number of sweeps (>= 1).

    Returns
    -------
    dict
        ``u`` (unit vector), ``gamma_lower`` :math:`= \min_i y_i\langle u, \tilde x_i\rangle`
        (the margin of the returned ``u``, a certified lower bound on :math:`\gamma^*`),
        ``gamma_upper`` :math:`= 1/\sqrt{2 D(\alpha)}` (a certified upper bound, by weak
        duality :math:`\tfrac12\|v^*\|^2 \ge D(\alpha)`), ``alpha`` (the final multipliers,
        :math:`\alpha \ge 0`, with :math:`v = \sum_i \alpha_i y_i \tilde x_i`) and ``n_iter``.

    Raises
    ------
    ValueError
        If the data are not linearly separable through the origin, or only with a margin
        :math:`\gamma^* < 10^{-3} R` (Novikoff's bound would exceed :math:`10^6`
        corrections). Then :math:`\alpha` grows without bound while :math:`v` stays
        bounded, and every sweep certifies :math:`\gamma^* \le \|v\| / \sum_i \alpha_i`:
        for the best unit separator :math:`u^*`,
        :math:`\|v\| \ge \langle u^*, v\rangle = \sum_i \alpha_i y_i\langle u^*, \tilde x_i\rangle
        \ge \gamma^* \sum_i \alpha_i`.
    """
    tol = check_positive("tol", tol)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    Xa = augment(X)
    ys = as_signed_labels(y, Xa.shape[0])
    Z = Xa * ys[:, None]
    sq = np.einsum("ij,ij->i", Z, Z)
    R = float(np.sqrt(sq.max()))
    alpha = np.zeros(Z.shape[0])
    v = np.zeros(Z.shape[1])
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        change = 0.0
        for i in range(Z.shape[0]):
            new = max(0.0, alpha[i] + (1.0 - Z[i] @ v) / sq[i])
            d = new - alpha[i]
            if d != 0.0:
                v += d * Z[i]
                alpha[i] = new
                change = max(change, abs(d))
        if change < tol:
            break
        a_sum = alpha.sum()
        if np.linalg.norm(v) < 1e-3 * R * a_sum:
            raise ValueError(
                "the data are not linearly separable through the origin, or only with a margin "
                f"gamma* <= |v| / sum(alpha) = {np.linalg.norm(v) / a_sum:.3g} < 1e-3 R "
                f"(R = {R:.4g}; Novikoff's bound would exceed 10^6 corrections): the SVM dual "
                f"diverges (after {n_iter} sweeps)"
            )
    norm = np.linalg.norm(v)
    margins = Z @ v
    if norm == 0 or np.min(margins) <= 0:
        raise ValueError("the data are not linearly separable through the origin")
    u = v / norm
    dual = float(alpha.sum() - 0.5 * v @ v)
    return {"u": u, "gamma_lower": float(np.min(margins) / norm),
            "gamma_upper": float(1.0 / np.sqrt(2.0 * dual)), "alpha": alpha, "n_iter": n_iter}
