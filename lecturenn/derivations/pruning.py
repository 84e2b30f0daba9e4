r"""Optimal Brain Damage in SymPy: the salience, the losses' second derivatives, the recurrence.

Slides «Прореживание сети (OBD — Optimal Brain Damage)» (LeCun, Denker and Solla 1989).

* :func:`salience` and :func:`check_salience`: deleting one weight, :math:`\delta = -w_k
  e_k`, in the expansion :math:`Q(w+\delta) = Q + g^\top\delta + \tfrac12\delta^\top
  H\delta` of a quadratic :math:`Q` changes it by :math:`-g_k w_k + \tfrac12 h_{kk} w_k^2`:
  at a minimum (:math:`g = 0`) by :math:`\tfrac12 h_{kk}w_k^2`, the paper's :math:`s_k`.
  The slide's :math:`w_{kh}^2\,\partial^2Q/\partial w_{kh}^2` fails the check (twice it).
* :func:`check_diagonal_sum`: the slide's :math:`\delta^\top Q''\delta =
  \sum\delta_{kh}^2\,\partial^2 Q/\partial w_{kh}^2` holds for every :math:`\delta` only
  when the Hessian is diagonal (the heuristic), and a single deletion needs no heuristic.
* :func:`check_loss_second_derivatives`, :func:`check_softmax_hessian`: the second
  derivatives over the outputs used by :meth:`lecturenn.losses.Loss.hessian_diag`.
* :func:`check_recurrence`: the paper's second backward pass on a
  network with symbolic weights and symbolic activations: exact for a network with one
  hidden layer and one output, off by the cross terms of the units of a layer otherwise.
* :func:`network_hessian`: the Hessian of a small network's loss by ``sympy.hessian``,
  evaluated at numbers (the tests compare :func:`lecturenn.pruning.hessian` with it).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from lecturenn._validation import check_choice
from lecturenn.derivations.activations import sigmoid_expr
from lecturenn.derivations.losses import a_sym, loss_expressions, y_sym

__all__ = [
    "salience",
    "check_salience",
    "check_diagonal_sum",
    "second_derivatives_claimed",
    "check_loss_second_derivatives",
    "check_softmax_hessian",
    "check_recurrence",
    "network_hessian",
]


def salience(n: int = 3, k: int = 0) -> sp.Expr:
    r"""The change of a quadratic :math:`Q` in :math:`n` weights when :math:`w_k` is set to zero.

    :math:`Q(w) = Q_0 + g^\top(w - w^*) + \tfrac12 (w - w^*)^\top H (w - w^*)` expanded at
    :math:`w^* = w` is the slide's expansion with its first-order term; the result,
    :math:`Q(w - w_k e_k) - Q(w)`, is a polynomial in :math:`g_k, h_{kk}, w_k`.
    """
    w = sp.symbols(f"w0:{n}", real=True)
    g = sp.symbols(f"g0:{n}", real=True)
    H = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"h{min(i, j)}{max(i, j)}", real=True))
    d = sp.Matrix([-w[i] if i == k else 0 for i in range(n)])
    Q0 = sp.Symbol("Q0", real=True)
    after = Q0 + (sp.Matrix(g).T * d)[0] + sp.Rational(1, 2) * (d.T * H * d)[0]
    return sp.expand(after - Q0)


def check_salience(claimed=None, at_minimum: bool = True) -> bool:
    r"""Prove that deleting :math:`w_k` at a minimum costs :math:`\tfrac12 h_{kk}w_k^2`.

    ``claimed(w, h, g)`` (sympy symbols of :math:`w_k, h_{kk}, g_k`) replaces the
    formula; the slide's ``lambda w, h, g: w**2 * h`` returns False. With
    ``at_minimum=False`` the claimed formula must include the first-order term
    :math:`-g_k w_k`.
    """
    for n, k in ((1, 0), (3, 0), (3, 2)):
        delta = salience(n, k)
        w, h, g = sp.Symbol(f"w{k}", real=True), sp.Symbol(f"h{k}{k}", real=True), \
            sp.Symbol(f"g{k}", real=True)
        if at_minimum:
            delta = delta.subs({sp.Symbol(f"g{i}", real=True): 0 for i in range(n)})
        cl = (sp.Rational(1, 2) * h * w**2 - (0 if at_minimum else g * w)) if claimed is None \
            else claimed(w, h, g)
        if sp.expand(delta - cl) != 0:
            return False
    return True


def check_diagonal_sum(n: int = 3) -> bool:
    r"""The slide's :math:`\delta^\top Q''\delta = \sum_k \delta_k^2 h_{kk}` and where it holds.

    Returns True if (a) for a general symmetric :math:`H` the difference is
    :math:`2\sum_{k<k'} h_{kk'}\delta_k\delta_{k'}` (so the sum is right iff the
    off-diagonal entries vanish: the slide's heuristic), and (b) for a single deletion
    (one nonzero :math:`\delta_k`) it is exact whatever :math:`H` is.
    """
    d = sp.symbols(f"d0:{n}", real=True)
    H = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"h{min(i, j)}{max(i, j)}", real=True))
    dv = sp.Matrix(d)
    full = sp.expand((dv.T * H * dv)[0])
    slide = sum(d[k] ** 2 * H[k, k] for k in range(n))
    cross = 2 * sum(H[i, j] * d[i] * d[j] for i in range(n) for j in range(i + 1, n))
    if sp.expand(full - slide - cross) != 0:
        return False
    single = {d[i]: 0 for i in range(1, n)}
    return sp.expand((full - slide).subs(single)) == 0


def second_derivatives_claimed() -> dict[str, sp.Expr]:
    r"""The second derivatives :math:`\partial^2\mathcal{L}/\partial a^2` the code uses.

    As :meth:`lecturenn.losses.Loss.hessian_diag` computes them.

    Per object, before the factor :math:`1/n`: 1 for the squared error, 0 for the
    piecewise-linear losses (on each side of a kink), :math:`\sigma(M)\sigma(-M)` for the
    logistic loss of the margin :math:`M = ay`.
    """
    M = a_sym * y_sym
    return {"squared": sp.Integer(1), "absolute": sp.Integer(0),
            "epsilon_insensitive": sp.Integer(0),
            "logistic": sigmoid_expr(M) * sigmoid_expr(-M), "hinge": sp.Integer(0)}


def check_loss_second_derivatives(name: str, claimed=None) -> bool:
    r"""Prove the second derivative of a loss over the output on every side of its kinks.

    ``name`` is a key of :func:`lecturenn.derivations.losses.loss_expressions`;
    ``claimed`` replaces the code's formula (:func:`second_derivatives_claimed`).
    """
    losses = loss_expressions()
    spec = losses[check_choice("name", name, tuple(losses))]
    cl = second_derivatives_claimed()[name] if claimed is None else claimed
    d2 = sp.diff(spec["L"], a_sym, 2)
    for reg in spec["regions"]:
        diff = sp.simplify((d2 - cl).subs(reg).rewrite(sp.exp))
        if diff != 0:
            return False
    return True


def check_softmax_hessian(M: int = 3, claimed=None) -> bool:
    r"""Prove :math:`\partial^2\mathcal{L}/\partial a_m\partial a_{m'} = p_m([m = m'] - p_{m'})`.

    For :math:`\mathcal{L} = \ln\sum_k e^{a_k} - a_y` and every label :math:`y`: the
    Hessian of the softmax cross-entropy over the scores, which does not depend on
    :math:`y` and is not diagonal (:meth:`lecturenn.losses.SoftmaxCrossEntropy.hessian_vector`
    uses it whole; ``hessian_diag`` its diagonal :math:`p_m(1 - p_m)`). ``claimed(p, m, m2)``
    replaces the formula.
    """
    a = sp.symbols(f"a_0:{M}", real=True)
    Z = sum(sp.exp(ak) for ak in a)
    p = [sp.exp(ak) / Z for ak in a]
    cl = (lambda p, m, m2: p[m] * ((1 if m == m2 else 0) - p[m2])) if claimed is None \
        else claimed
    for y in range(M):
        L = sp.log(Z) - a[y]
        for m in range(M):
            for m2 in range(M):
                if sp.simplify(sp.diff(L, a[m], a[m2]) - cl(p, m, m2)) != 0:
                    return False
    return True


def _symbolic_net(sizes, f):
    """A network with symbolic weights (thresholds in row 0, input x_0 = -1)."""
    x = [sp.Symbol(f"x{j}", real=True) for j in range(1, sizes[0] + 1)]
    Ws, S_all = [], []
    h = x
    for l in range(1, len(sizes)):
        W = sp.Matrix(sizes[l - 1] + 1, sizes[l],
                      lambda k, j, l=l: sp.Symbol(f"w{l}_{k}{j + 1}", real=True))
        S = [-W[0, j] + sum(W[k + 1, j] * h[k] for k in range(sizes[l - 1]))
             for j in range(sizes[l])]
        Ws.append(W)
        S_all.append(S)
        h = [f(s) for s in S] if l < len(sizes) - 1 else S  # identity output
    return x, Ws, S_all, h


def check_recurrence(sizes=(2, 2, 1), layer: int = 0, unit: tuple = (1, 1),
                     approximation: str = "diagonal") -> bool:
    r"""The paper's second backward pass against ``sympy.diff``, with a symbolic activation.

    A network of the given widths with symbolic weights, an undefined activation
    :math:`f` in the hidden layers (so :math:`f'` and :math:`f''` stay symbols), identity
    outputs and the squared loss :math:`\tfrac12\sum_m(a_m - y_m)^2` of one object. Returns
    True if :math:`\partial^2\mathcal{L}/\partial (w^l_{kh})^2` of the weight ``unit = (k,
    h)`` of layer ``layer`` (0-based) equals the recurrence of the paper

    .. math::

        \frac{\partial^2\mathcal{L}}{\partial w_{kh}^2} = x_k^2\,D_h,\quad
        D^L_m = 1,\quad
        D^l_h = f'(S^l_h)^2\sum_{m} (w^{l+1}_{hm})^2 D^{l+1}_m + f''(S^l_h)\,
        \frac{\partial\mathcal{L}}{\partial x^l_h},

    (``"levenberg-marquardt"``: without the :math:`f''` term). For ``(2, 2, 1)`` the
    ``"diagonal"`` recurrence is exact; for ``(2, 2, 2, 1)`` and the first layer it is
    not (the cross terms of the second hidden layer's units): the check returns False,
    which the tests assert.
    """
    approximation = check_choice("approximation", approximation,
                                 ("diagonal", "levenberg-marquardt"))
    f = sp.Function("f")
    t = sp.Dummy("t")
    x, Ws, S_all, out = _symbolic_net(list(sizes), f)
    ys = [sp.Symbol(f"y{m}", real=True) for m in range(len(out))]
    L = sp.Rational(1, 2) * sum((o - yy) ** 2 for o, yy in zip(out, ys, strict=True))
    k, h = unit
    w = Ws[layer][k, h - 1]
    exact = sp.diff(L, w, 2)
    # the recurrence, from the output down to `layer`
    n_layers = len(Ws)
    D = [sp.Integer(1) for _ in out]                      # d2L/dS^L_m^2 (identity output)
    G = [o - yy for o, yy in zip(out, ys, strict=True)]   # dL/dS^L_m
    for l in range(n_layers - 1, layer, -1):              # to the layer below, l-1
        W = Ws[l]
        S_below = S_all[l - 1]
        newD, newG = [], []
        for j, s in enumerate(S_below):
            f1 = sp.Subs(sp.Derivative(f(t), t), t, s)       # f'(S), as sympy.diff writes it
            f2 = sp.Subs(sp.Derivative(f(t), (t, 2)), t, s)  # f''(S)
            gx = sum(W[j + 1, m] * G[m] for m in range(len(G)))      # dL/dx_j
            dx = sum(W[j + 1, m] ** 2 * D[m] for m in range(len(D)))  # diag of d2L/dx_j^2
            d = f1 ** 2 * dx + (f2 * gx if approximation == "diagonal" else 0)
            newD.append(d)
            newG.append(f1 * gx)
        D, G = newD, newG
    inputs = [-1] + (x if layer == 0 else [f(s) for s in S_all[layer - 1]])
    rec = inputs[k] ** 2 * D[h - 1]
    return sp.expand(exact - rec) == 0


def network_hessian(Ws, X, y, activation: str = "tanh", loss: str = "squared") -> np.ndarray:
    r"""The Hessian of :math:`Q = \frac1n\sum_i\mathcal{L}_i` over the weights by ``sympy.hessian``.

    ``Ws`` are the weight matrices (numbers; row 0 the thresholds), ``X`` the objects,
    ``y`` the targets; hidden activation ``"tanh"`` or ``"sigmoid"``, identity output,
    loss ``"squared"`` (:math:`\tfrac12\sum_m\varepsilon_m^2`) or ``"logistic"``
    (:math:`\ln(1 + e^{-ay})`, one output). The weights are symbols while differentiating
    and numbers afterwards; the order of the coordinates is that of
    :func:`lecturenn.pruning.hessian` (layer by layer, each matrix row by row).
    """
    activation = check_choice("activation", activation, ("tanh", "sigmoid"))
    loss = check_choice("loss", loss, ("squared", "logistic"))
    act = sp.tanh if activation == "tanh" else (lambda s: 1 / (1 + sp.exp(-s)))
    syms, mats = [], []
    for li, W in enumerate(Ws):
        W = np.asarray(W, dtype=float)
        M = sp.Matrix(W.shape[0], W.shape[1],
                      lambda k, j, li=li: sp.Symbol(f"v{li}_{k}_{j}", real=True))
        mats.append(M)
        syms += [M[k, j] for k in range(W.shape[0]) for j in range(W.shape[1])]
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(X.shape[0], -1)
    # the loss of one object with symbolic inputs and targets, differentiated once
    xs = sp.symbols(f"x0:{X.shape[1]}", real=True)
    ts = sp.symbols(f"t0:{y.shape[1]}", real=True)
    h = list(xs)
    for li, M in enumerate(mats):
        S = [-M[0, j] + sum(M[k + 1, j] * h[k] for k in range(len(h)))
             for j in range(M.shape[1])]
        h = [act(s) for s in S] if li < len(mats) - 1 else S
    if loss == "squared":
        L = sp.Rational(1, 2) * sum((h[m] - ts[m]) ** 2 for m in range(len(h)))
    else:
        L = sp.log(1 + sp.exp(-h[0] * ts[0]))
    f = sp.lambdify([*syms, *xs, *ts], sp.hessian(L, syms), "numpy")
    w = [float(v) for v in np.concatenate([np.ravel(W) for W in Ws])]
    return sum(np.array(f(*w, *X[i], *y[i]), dtype=float)
               for i in range(X.shape[0])) / X.shape[0]
