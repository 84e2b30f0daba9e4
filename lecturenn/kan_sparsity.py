r"""Sparsity of a KAN (Liu et al. 2024, §2.5): the regularizer with its gradient by hand, and
pruning of hidden nodes.

For a batch :math:`x_1, \dots, x_n` the **L1 norm of an edge** is the mean absolute value of its
activation, and the L1 norm and the entropy of a layer :math:`\Phi` are

.. math::

    |\varphi_{ij}|_1 = \frac1n\sum_{s=1}^n |\varphi_{ij}(x^{(s)}_i)|, \qquad
    |\Phi|_1 = \sum_{i,j}|\varphi_{ij}|_1, \qquad
    S(\Phi) = -\sum_{i,j}\frac{|\varphi_{ij}|_1}{|\Phi|_1}\log\frac{|\varphi_{ij}|_1}{|\Phi|_1}

(the paper's (2.17)–(2.19)); the training objective is
:math:`Q + \lambda\bigl(\mu_1\sum_l|\Phi_l|_1 + \mu_2\sum_l S(\Phi_l)\bigr)` ((2.20); the paper
takes :math:`\mu_1 = \mu_2 = 1`). This is the paper's text, and this module follows it.
pykan 0.2.8's ``fit`` computes something else (``MultKAN.py``, read in the 0.2.8 source): by
default ``lamb = 0``, so nothing is penalised; with ``lamb > 0`` and the default
``reg_metric='edge_forward_spline_n'`` the size of an edge is the *standard deviation* of its
numerical activation :math:`w_b\,\mathrm{silu} + w_s\,\mathrm{spline}` (the residual and the
spline; its comment "only penalize the spline part" means: not the symbolic branch), divided by
the standard deviation of the edge's input plus 0.1; the entropy is a row entropy plus a
column entropy with :math:`p = v/(\sum v + 1)` and :math:`\log_2`, weighted by
``lamb_entropy = 2``; the coefficient penalties ``lamb_coef``, ``lamb_coefdiff`` are 0 by
default.

The gradient: with :math:`a_{sij} = \varphi_{ij}(x^{(s)}_i)`,
:math:`\partial R/\partial a_{sij} = \frac{\lambda}{n}\operatorname{sign}(a_{sij})
\bigl(\mu_1 + \mu_2\,\partial S/\partial|\varphi_{ij}|_1\bigr)` with
:math:`\partial S/\partial u_{ij} = -\bigl(\log(u_{ij}/U) + S\bigr)/U`
(:math:`u = |\varphi|_1`, :math:`U = |\Phi|_1`), and from :math:`a` to the parameters and the
layer's input as in :class:`lecturenn.kan.KANLayer` (the input part is BackProp'ed into the
layers before). :math:`|a|` is not differentiable at 0: the sign there is taken as 0.
"""

from __future__ import annotations

import numpy as np

from lecturenn._validation import check_positive, describe
from lecturenn.activations import SiLU
from lecturenn.kan import KANLayer

__all__ = ["layer_regularizer", "regularized_loss_and_grad", "sparsify", "node_scores",
           "prune_nodes"]

_SILU = SiLU()


def layer_regularizer(layer: KANLayer, x, mu1: float = 1.0, mu2: float = 1.0):
    r""":math:`\mu_1|\Phi|_1 + \mu_2 S(\Phi)` of one layer on its input batch ``x`` (trusted),
    and :math:`\partial/\partial a_{sij}` of it, ``(n, n_in, n_out)``."""
    a = layer.edge_values(x)
    n = a.shape[0]
    u = np.abs(a).mean(axis=0)
    U = float(u.sum())
    if U == 0:
        return 0.0, np.zeros_like(a)
    p = u / U
    logp = np.log(np.where(p > 0, p, 1.0))
    S = float(-(p * logp).sum())
    dS_du = -(logp + S) / U
    value = mu1 * U + mu2 * S
    dR_da = np.sign(a) * (mu1 + mu2 * dS_du)[None, :, :] / n
    return value, dR_da


def _edge_backward(layer: KANLayer, x, G):
    """Gradients of :math:`\\sum_{sij} G_{sij} a_{sij}` for the layer's parameters and ``x``."""
    B, dB = layer.basis(x, derivative=True)
    base = _SILU.value(x)
    spline = np.einsum("nim,ijm->nij", B, layer.c.data)
    g_wb = np.einsum("nij,ni->ij", G, base)
    g_ws = np.einsum("nij,nij->ij", G, spline)
    g_c = layer.w_s.data[:, :, None] * np.einsum("nij,nim->ijm", G, B)
    dspline = np.einsum("nim,ijm->nij", dB, layer.c.data)
    dphi = _SILU.derivative(x)[:, :, None] * layer.w_b.data + dspline * layer.w_s.data
    g_x = np.einsum("nij,nij->ni", G, dphi)
    return g_c, g_wb, g_ws, g_x


def regularized_loss_and_grad(net, X, y, loss, lamb: float, mu1: float = 1.0, mu2: float = 1.0):
    r""":math:`Q + \lambda\sum_l(\mu_1|\Phi_l|_1 + \mu_2S(\Phi_l))` of a KAN on a batch, and the
    gradient of the whole objective in every ``p.grad``.

    ``net`` is a :class:`lecturenn.network.Network` of :class:`lecturenn.kan.KANLayer`;
    ``loss`` a :class:`lecturenn.losses.Loss`. Returns the objective.
    """
    layers = getattr(net, "layers", None)
    if layers is None or not all(isinstance(lay, KANLayer) for lay in layers):
        raise TypeError(f"regularized_loss_and_grad needs a Network of KANLayer, got "
                        f"{describe(net)}")
    lamb = check_positive("lamb", lamb, strict=False)
    mu1 = check_positive("mu1", mu1, strict=False)
    mu2 = check_positive("mu2", mu2, strict=False)
    X = net._check_input(X)
    inputs = [X]
    for lay in layers:
        inputs.append(lay.forward(inputs[-1], train=True))
    out = inputs[-1]
    yb = loss.prepare_target(y, out.shape, out.dtype)
    q, g = loss.value_and_grad(out, yb)
    q = float(q)
    total = q
    for l in range(len(layers) - 1, -1, -1):
        lay, xin = layers[l], inputs[l]
        lay.forward(xin, train=True)  # the cache of this layer's own input
        g_in = lay.backward(g, need_input_grad=True)
        if lamb > 0:
            r, dR_da = layer_regularizer(lay, xin, mu1, mu2)
            total += lamb * r
            g_c, g_wb, g_ws, g_x = _edge_backward(lay, xin, lamb * dR_da)
            lay.c.grad = lay.c.grad + g_c
            lay.w_b.grad = lay.w_b.grad + g_wb
            lay.w_s.grad = lay.w_s.grad + g_ws
            g_in = g_in + g_x
        g = g_in
    return total


def node_scores(net, X) -> list[np.ndarray]:
    r"""The importance of every hidden node on a batch: the smaller of its largest incoming and
    its largest outgoing edge score :math:`|\varphi_{ij}|_1` (the paper's rule, §2.5: a node
    is kept when both exceed the threshold; pykan 0.2.8's ``prune_node`` uses instead the
    attribution scores of its ``attribute()``, propagated back from the outputs through the
    standard deviations of the edges).

    Returns one array per hidden layer, of its width.
    """
    from lecturenn.kan import kan_inputs

    layers = _kan_layers(net)
    h = kan_inputs(net, X)
    scores = [lay.edge_scores(x) for lay, x in zip(layers, h, strict=True)]
    return [np.minimum(scores[l].max(axis=0), scores[l + 1].max(axis=1))
            for l in range(len(layers) - 1)]


def _kan_layers(net):
    layers = getattr(net, "layers", None)
    if layers is None or not all(isinstance(lay, KANLayer) for lay in layers):
        raise TypeError(f"a Network of KANLayer is needed, got {describe(net)}")
    return layers


def _subset(layer: KANLayer, rows, cols) -> KANLayer:
    new = KANLayer(len(rows), len(cols), G=layer.G, k=layer.k, grid_range=layer.grid_range,
                   init=layer.init, noise_scale=layer.noise_scale,
                   knots=layer.knots[rows], dtype=layer.dtype)
    new.c.data = layer.c.data[np.ix_(rows, cols)].copy()
    new.w_b.data = layer.w_b.data[np.ix_(rows, cols)].copy()
    new.w_s.data = layer.w_s.data[np.ix_(rows, cols)].copy()
    return new


def prune_nodes(net, X, threshold: float = 1e-2):
    r"""A new KAN without the hidden nodes whose importance (:func:`node_scores`) is below
    ``threshold`` (the paper's and pykan's default 1e-2): a node is kept only if some edge
    into it **and** some edge out of it carry an activation of mean size at least
    ``threshold`` (the paper's §2.5 rule; pykan 0.2.8 prunes by attribution scores).

    The pruned network computes the original one minus the removed nodes' contributions; in
    mean absolute value over ``X`` the change of an output is at most the sum of the removed
    nodes' outgoing edge scores (pointwise it can be larger).
    """
    from lecturenn.network import Network

    layers = _kan_layers(net)
    threshold = check_positive("threshold", threshold, strict=False)
    keep = [np.arange(layers[0].n_in)]
    for s in node_scores(net, X):
        kept = np.flatnonzero(s >= threshold)
        if kept.size == 0:
            kept = np.array([int(np.argmax(s))])  # a layer keeps at least one node
        keep.append(kept)
    keep.append(np.arange(layers[-1].n_out))
    return Network([_subset(lay, keep[l], keep[l + 1]) for l, lay in enumerate(layers)])


def sparsify(net, X, y, loss, lamb: float = 0.01, steps: int = 20, mu1: float = 1.0,
             mu2: float = 1.0, grid_updates=(0, 5, 10)):
    r"""Train a KAN on the regularized objective with L-BFGS (the paper's §2.5 recipe, small):
    ``steps`` L-BFGS steps of :func:`regularized_loss_and_grad`, the grids made uniform on each
    layer's inputs before the steps named in ``grid_updates``. Returns the network (in place).
    """
    from lecturenn.kan import update_network_grids
    from lecturenn.optim import LBFGS

    _kan_layers(net)
    opt = None
    for s in range(steps):
        if opt is None or s in grid_updates:
            update_network_grids(net, X, grid_eps=1.0)
            opt = LBFGS(net.parameters(), history_size=10, line_search="backtracking",
                        tolerance_grad=1e-32, tolerance_change=1e-32, tolerance_ys=1e-32)
        opt.step(lambda: regularized_loss_and_grad(net, X, y, loss, lamb, mu1, mu2))
    return net
