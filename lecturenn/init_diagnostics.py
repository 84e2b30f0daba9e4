r"""The measurements behind the figures of the initialisation chapter, reproduced small.

* :func:`layer_statistics`: per hidden layer, the activations :math:`x^l` and the
  back-propagated gradients :math:`\partial Q/\partial S^l` of a network at its initial
  weights (Glorot and Bengio 2010, Fig. 6 and 7: the standard initialisation
  :math:`U(\pm1/\sqrt{H_{l-1}})` against the normalized one).
* :func:`jacobian_singular_values`: the singular values of the layer Jacobians
  :math:`J^l = \partial x^l/\partial x^{l-1} = \operatorname{diag}(\sigma'(S^l))\,(W^l_{1:})^\top`
  (Glorot and Bengio: average about 0.5 for the standard init, 0.8 for the normalized).
* :func:`signal_second_moments`: :math:`\mathbb{E}(x^l)^2` through a deep network (He et al.
  2015, §2.2, 30 layers): ReLU layers with :math:`\sqrt{2/n}` against :math:`\sqrt{1/n}`.
* :func:`product_singular_values`: the singular values of :math:`W_L\cdots W_1` for random
  Gaussian against orthogonal factors (Saxe, McClelland and Ganguli 2014).
* :func:`deep_linear_learning_time`: full-batch gradient descent on a deep linear network,
  the epochs until the loss falls below a threshold, against the depth (Saxe et al.).
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import (
    as_float_array,
    check_callable,
    check_int,
    check_int_sequence,
    check_positive,
    check_rng,
    describe,
)
from lecturenn.layers import Dense
from lecturenn.network import Network

__all__ = [
    "layer_statistics",
    "jacobian_singular_values",
    "signal_second_moments",
    "product_singular_values",
    "deep_linear_learning_time",
    "mean_activations_during_training",
]


def _check_net(net):
    if not isinstance(net, Network) or not all(isinstance(la, Dense) for la in net.layers):
        raise TypeError(f"net must be a Network of Dense layers, got {describe(net)}")
    return net


def _check_objects(X, y, x_name="X", y_name="y"):
    """``X`` as a finite 2-d float array and ``y`` with one entry per row (names in errors)."""
    X = as_float_array(x_name, X, ndim=2)
    n_y = len(as_float_array(y_name, y, ndim=(1, 2)))
    if n_y != X.shape[0]:
        raise ValueError(f"{y_name} has {n_y} entries but {x_name} has {X.shape[0]} rows")
    return X, np.asarray(y)


def layer_statistics(net, X, y, loss="cross_entropy") -> dict:
    r"""Per layer :math:`l = 1, \dots, L`: the outputs :math:`x^l` and the gradients of :math:`S^l`.

    Returns ``{"x": [...], "grad_S": [...], "x_std": array, "grad_S_std": array}``, with
    ``x[l-1]`` the outputs :math:`x^l` (all objects and units flattened), ``grad_S[l-1]`` the
    per-object gradients :math:`\varepsilon^l_{ih} z^l_{ih}` of the weighted sums, and their
    standard deviations. Glorot and Bengio (2010) plot these as histograms per layer (their
    Fig. 6 and 7). One BackProp pass (:meth:`lecturenn.network.Network.backprop_trace`).
    """
    X, y = _check_objects(X, y)
    tr = _check_net(net).backprop_trace(X, y, loss)
    L = len(net.layers)
    xs = [tr.x[l].ravel() for l in range(1, L + 1)]
    gs = [(tr.eps[l] * tr.z[l]).ravel() for l in range(1, L + 1)]
    return {"x": xs, "grad_S": gs, "x_std": np.array([v.std() for v in xs]),
            "grad_S_std": np.array([v.std() for v in gs])}


def jacobian_singular_values(net, X) -> list:
    r"""Singular values of the Jacobians :math:`J^l_i = \operatorname{diag}(z^l_i)(W^l_{1:})^\top`.

    Returns one array per layer :math:`l = 1, \dots, L`, of shape ``(n, min(H_{l-1}, H_l))``.
    Glorot and Bengio (2010) report the average singular value of these Jacobians.
    """
    tr = _check_net(net).forward_trace(as_float_array("X", X, ndim=2))
    out = []
    for l, layer in enumerate(net.layers, start=1):
        W = layer.W.data[1:]  # (H_{l-1}, H_l)
        J = tr.z[l][:, :, None] * W.T[None, :, :]  # (n, H_l, H_{l-1})
        out.append(np.linalg.svd(J, compute_uv=False))
    return out


def signal_second_moments(net, X) -> np.ndarray:
    r""":math:`\mathbb{E}(x^l)^2` for :math:`l = 0, \dots, L` (the mean over objects and units)."""
    tr = _check_net(net).forward_trace(as_float_array("X", X, ndim=2))
    return np.array([np.mean(v**2) for v in tr.x])


def product_singular_values(init, n, depths, rng=0) -> dict:
    r"""Singular values of :math:`P_L = W_L\cdots W_1` for each depth :math:`L` in ``depths``.

    ``init(n, n, rng=...)`` draws one :math:`n\times n` factor (e.g.
    :func:`lecturenn.init.lecun_normal`, :math:`N(0, 1/n)`, or
    :func:`lecturenn.init.orthogonal`). One chain of factors is drawn, and the product is
    read off at each depth. Returns ``{L: singular values, descending}``.
    """
    check_callable("init", init, "init(n_in, n_out, rng) -> array")
    n = check_int("n", n, minimum=1)
    depths = sorted(set(check_int_sequence("depths", depths, minimum=1)))
    gen = check_rng(rng)
    P, out = np.eye(n), {}
    for L in range(1, depths[-1] + 1):
        P = as_float_array("init(n, n)", init(n, n, rng=gen), ndim=2) @ P
        if L in depths:
            out[L] = np.linalg.svd(P, compute_uv=False)
    return out


def deep_linear_learning_time(init, depth, X, Y, lr=0.05, tol=0.1, max_epochs=2000,
                              rng=0) -> int:
    r"""Epochs of full-batch gradient descent until a deep linear network reaches ``tol``.

    The network :math:`\hat Y = X W_1 \cdots W_{depth}` (no thresholds, no nonlinearity;
    square factors drawn by ``init(n, n, rng=...)``, :math:`n` the width of ``X`` and
    ``Y``) minimises :math:`\frac{1}{2n_{obj}}\|\hat Y - Y\|^2`; the result is the first epoch
    at which this loss, divided by its value for :math:`\hat Y = 0`, is below ``tol``
    (``max_epochs + 1`` if it never is). Saxe et al. (2014): with orthogonal factors
    (and with pre-training) the time hardly grows with the depth; with scaled Gaussian ones it
    does.
    """
    check_callable("init", init, "init(n_in, n_out, rng) -> array")
    X = as_float_array("X", X, ndim=2)
    Y = as_float_array("Y", Y, ndim=2)
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape (square layers), got {X.shape} "
                         f"and {Y.shape}")
    depth = check_int("depth", depth, minimum=1)
    lr = check_positive("lr", lr)
    tol = check_positive("tol", tol)
    max_epochs = check_int("max_epochs", max_epochs, minimum=1)
    gen = check_rng(rng)
    m, n = X.shape
    Ws = [as_float_array("init(n, n)", init(n, n, rng=gen), ndim=2) for _ in range(depth)]
    base = 0.5 * np.sum(Y**2) / m
    for epoch in range(max_epochs + 1):
        loss, grads = _deep_linear_loss_and_grads(Ws, X, Y)
        if not np.isfinite(loss):
            return max_epochs + 1
        if loss / base < tol:
            return epoch
        for W, g in zip(Ws, grads, strict=True):
            W -= lr * g
    return max_epochs + 1


def _deep_linear_loss_and_grads(Ws, X, Y):
    r""":math:`Q = \frac{1}{2m}\|XW_1\cdots W_L - Y\|^2` and :math:`\partial Q/\partial W_l`.

    BackProp of the linear chain: with :math:`h_0 = X`, :math:`h_l = h_{l-1}W_l` and
    :math:`G_L = (h_L - Y)/m`, the gradient is :math:`h_{l-1}^\top G_l` and
    :math:`G_{l-1} = G_l W_l^\top`. Trusts its input (the caller checked it); checked by
    finite differences and against torch autograd in the tests.
    """
    hs = [X]
    for W in Ws:
        hs.append(hs[-1] @ W)
    R = hs[-1] - Y
    m = X.shape[0]
    loss = 0.5 * np.sum(R**2) / m
    G = R / m
    grads = [None] * len(Ws)
    for l in range(len(Ws) - 1, -1, -1):
        grads[l] = hs[l].T @ G
        G = G @ Ws[l].T
    return loss, grads


def mean_activations_during_training(net, X, y, X_probe, optimizer, epochs: int, every: int = 1,
                                     batch_size: int = 10, rng=0,
                                     loss="cross_entropy") -> dict:
    r"""The mean activation of every hidden layer on probe objects, recorded during training.

    Glorot and Bengio (2010, their Fig. 2) train a network of four sigmoid hidden layers with
    the standard initialisation and plot the mean of each layer's outputs :math:`x^l` on
    fixed test objects: the top hidden layer saturates at 0 early in training while the
    lower ones stay near 0.5. This function records :math:`\operatorname{mean}_{i,h} x^l_{ih}`
    of every hidden :class:`~lecturenn.layers.Dense` layer at the initial weights and after
    every ``every`` epochs of :func:`lecturenn.training.fit` (one random sequence of batches
    through all the calls), in inference mode.

    Returns
    -------
    dict
        ``"epoch"`` (0, every, ..., epochs) and ``"mean"``, an array ``(records, hidden layers)``.
    """
    from lecturenn.training import fit  # training imports network: imported when used

    net = _check_net(net)
    X, y = _check_objects(X, y)
    epochs = check_int("epochs", epochs, minimum=1)
    every = check_int("every", every, minimum=1)
    if epochs % every:
        raise ValueError(f"every={every} must divide epochs={epochs}")
    hidden = [i for i, lay in enumerate(net.layers) if isinstance(lay, Dense)][:-1]
    if not hidden:
        raise ValueError("net has no hidden Dense layer")
    probe = net._check_input(X_probe, name="X_probe")
    gen = check_rng(rng)

    def means():
        h, out = probe, []
        for i, lay in enumerate(net.layers):
            h = lay.forward(h, train=False)
            if i in hidden:
                out.append(float(h.mean()))
        return out

    epochs_rec, rec = [0], [means()]
    for k in range(1, epochs // every + 1):
        fit(net, X, y, loss, optimizer, epochs=every, batch_size=batch_size, rng=gen)
        epochs_rec.append(k * every)
        rec.append(means())
    return {"epoch": np.array(epochs_rec), "mean": np.array(rec)}
