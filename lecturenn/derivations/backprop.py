r"""Derivations of the BackProp chapter, in SymPy; the tests assert them, the notebook shows them.

* Activations and losses: their derivatives are checked in :mod:`lecturenn.derivations.activations`
  and :mod:`lecturenn.derivations.losses` (their names stay importable from here).
* The BackProp recurrence: :func:`symbolic_network` builds a small network (2–3–2 by
  default) with **arbitrary** activations :math:`\sigma^1, \sigma^2` and an **arbitrary**
  loss :math:`\mathcal{L}(a_1, \dots, a_M)` (undefined SymPy functions);
  :func:`check_backprop_recurrence` proves that the recurrence of the slides gives the
  same gradient as differentiating the superposition directly
  (``simplify(direct - recurrence) == 0`` for every weight), with the sum over the real
  neurons :math:`h \ge 1` (the slides' :math:`h = 0` is a misprinted range: see the
  erratum of the BackProp chapter).
* :func:`lambdify_gradient` turns the concrete network (sigmoid hidden layer, tanh
  output, squared loss) into numeric functions to compare with :mod:`lecturenn` in
  float64 (:func:`compare_with_lecturenn`).
* :func:`check_matrix_form` — the slide's :math:`x^l = \sigma^l(W^l x^{l-1})` versus the
  shape :math:`(H_{l-1}+1)\times H_l` of :math:`W^l`.
* The cost claim of «Алгоритм BackProp: преимущества и недостатки»:
  :func:`backprop_cost` and :func:`finite_difference_cost` count multiply-adds (symbolic
  in the widths), :func:`count_backprop_ops` and :func:`count_finite_difference_ops` run
  the slide's scalar algorithm with a counter, :func:`check_backprop_cost_identity` proves
  that BackProp needs exactly :math:`3\dim w - H_0H_1` multiply-adds, and
  :func:`cost_orders` takes the limits that give :math:`O(\dim w)` versus
  :math:`O(\dim^2 w)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from lecturenn._validation import check_choice, check_int, describe
from lecturenn.derivations.activations import (
    S,
    check_relu_family_derivatives,
    check_sigmoid_derivative,
    check_sigmoid_stable_form,
    check_sigmoid_via_tanh,
    check_tanh_derivative,
    sigmoid_expr,
)
from lecturenn.derivations.losses import (
    a_sym,
    c_sym,
    check_loss_derivative,
    check_softmax_cross_entropy_gradient,
    loss_expressions,
    y_sym,
)

__all__ = [
    "SymbolicNetwork",
    "symbolic_network",
    "direct_gradient",
    "recurrence_gradient",
    "check_backprop_recurrence",
    "concrete_network",
    "lambdify_gradient",
    "compare_with_lecturenn",
    "check_matrix_form",
    "dim_w",
    "backprop_cost",
    "finite_difference_cost",
    "count_backprop_ops",
    "count_finite_difference_ops",
    "check_backprop_cost_identity",
    "cost_orders",
    # moved to lecturenn.derivations.activations and .losses, importable from here as before
    "sigmoid_expr",
    "check_sigmoid_derivative",
    "check_tanh_derivative",
    "check_sigmoid_via_tanh",
    "check_sigmoid_stable_form",
    "check_relu_family_derivatives",
    "loss_expressions",
    "check_loss_derivative",
    "check_softmax_cross_entropy_gradient",
    "S",
    "a_sym",
    "y_sym",
    "c_sym",
]


# ---------------------------------------------------------------------------------------
# The BackProp recurrence on a symbolic network
# ---------------------------------------------------------------------------------------
@dataclass
class SymbolicNetwork:
    r"""A small fully connected network in SymPy, in the slide's notation.

    Attributes
    ----------
    sizes : tuple of int
        :math:`(H_0, \dots, H_L)`.
    W : list of sympy.Matrix
        ``W[l-1]`` is :math:`W^l`, shape :math:`(H_{l-1}+1)\times H_l`, entries
        :math:`w^l_{kh}` (row :math:`k = 0` multiplies :math:`x_0 = -1`).
    x : list of list
        ``x[l][k]`` is :math:`x^l_k` with ``x[l][0] = -1``; ``x[0]`` holds the input symbols.
    S : list of list
        ``S[l][h-1]`` is :math:`S^l_h` (``S[0]`` is empty).
    y : list
        Target symbols.
    sigma : list
        ``sigma[l-1]`` is the activation of layer :math:`l` (a SymPy function class).
    loss : sympy expression
        :math:`\mathcal{L}(x^L_1, \dots, x^L_M)`.
    loss_fn : callable
        Builds the loss from the outputs (used by :func:`recurrence_gradient`).
    """

    sizes: tuple
    W: list
    x: list
    S: list
    y: list
    sigma: list
    loss: sp.Expr
    loss_fn: Callable

    @property
    def weights(self) -> list[sp.Symbol]:
        """All weight symbols, layer by layer, row-major."""
        return [w for Wl in self.W for w in Wl]


def symbolic_network(sizes: Sequence[int] = (2, 3, 2), sigma=None, loss=None) -> SymbolicNetwork:
    r"""Build the network :math:`x^l_h = \sigma^l(S^l_h)` in SymPy.

    Here :math:`S^l_h = \sum_{k=0}^{H_{l-1}} w^l_{kh}x^{l-1}_k` with :math:`x^{l-1}_0 = -1`.

    Parameters
    ----------
    sizes : sequence of int
        :math:`(H_0, \dots, H_L)`.
    sigma : list, optional
        One SymPy function per layer; default: undefined functions :math:`\sigma^1, \dots`
        (so the result holds for **any** differentiable activation).
    loss : callable, optional
        ``loss(outputs, targets) -> expr``; default: an undefined function
        :math:`\mathcal{L}(x^L_1, \dots, x^L_M)` (any differentiable loss).
    """
    sizes = _widths(sizes)
    L = len(sizes) - 1
    if sigma is None:
        sigma = [sp.Function(f"sigma^{l}") for l in range(1, L + 1)]
    targets = [sp.Symbol(f"y_{m}", real=True) for m in range(1, sizes[-1] + 1)]
    if loss is None:
        Lf = sp.Function("mathcal{L}")

        def loss(out, _y):
            return Lf(*out)

    W = [sp.Matrix(sizes[l - 1] + 1, sizes[l],
                   lambda k, h, l=l: sp.Symbol(f"w^{l}_{{{k},{h + 1}}}", real=True))
         for l in range(1, L + 1)]
    x = [[sp.Integer(-1)] + [sp.Symbol(f"x_{j}", real=True) for j in range(1, sizes[0] + 1)]]
    Ss: list = [[]]
    for l in range(1, L + 1):
        Sl = [sum((W[l - 1][k, h] * x[l - 1][k] for k in range(sizes[l - 1] + 1)), sp.Integer(0))
              for h in range(sizes[l])]
        Ss.append(Sl)
        x.append([sp.Integer(-1)] + [sigma[l - 1](s) for s in Sl])
    return SymbolicNetwork(sizes, W, x, Ss, targets, list(sigma),
                           loss(x[L][1:], targets), loss)


def direct_gradient(net: SymbolicNetwork) -> dict:
    r""":math:`\partial\mathcal{L}/\partial w` for all weights, by differentiating directly."""
    return {w: sp.diff(net.loss, w) for w in net.weights}


def _z(sigma, s):
    t = sp.Dummy("t")
    return sp.diff(sigma(t), t).subs(t, s)


def _slide_backward_term(eps, z, w):
    return eps * z * w


def recurrence_gradient(net: SymbolicNetwork,
                        backward_term: Callable = _slide_backward_term) -> dict:
    r"""The gradient by the slides' recurrence.

    .. math::

        \varepsilon^L_m = \frac{\partial\mathcal{L}}{\partial x^L_m}, \quad
        \varepsilon^{l-1}_k = \sum_{h=1}^{H_l} \varepsilon^l_h z^l_h w^l_{kh}, \quad
        \frac{\partial\mathcal{L}}{\partial w^l_{kh}} = \varepsilon^l_h z^l_h x^{l-1}_k.

    The sum runs over the neurons :math:`h = 1, \dots, H_l`; the slides' :math:`h = 0`
    would be the constant :math:`x^l_0 = -1`, which has no weights :math:`w^l_{k0}` and
    does not depend on :math:`x^{l-1}`.

    Parameters
    ----------
    net : SymbolicNetwork
    backward_term : callable, optional
        ``backward_term(eps, z, w)`` is the summand of the backward recurrence,
        :math:`\varepsilon^l_h z^l_h w^l_{kh}` by default. Another one gives a wrong
        recurrence to show that :func:`check_backprop_recurrence` rejects it (for example
        ``lambda eps, z, w: eps * w``, the derivative :math:`z` forgotten).
    """
    L = len(net.sizes) - 1
    outs = net.x[L][1:]
    o = [sp.Symbol(f"o_{m}") for m in range(len(outs))]
    Lo = net.loss_fn(o, net.y)
    eps = {L: [sp.diff(Lo, om).subs(dict(zip(o, outs, strict=True))) for om in o]}
    z = {l: [_z(net.sigma[l - 1], s) for s in net.S[l]] for l in range(1, L + 1)}
    for l in range(L, 1, -1):
        H_prev = net.sizes[l - 1]
        new = []
        for k in range(1, H_prev + 1):
            term = sum((backward_term(eps[l][h], z[l][h], net.W[l - 1][k, h])
                        for h in range(net.sizes[l])), sp.Integer(0))
            new.append(term)
        eps[l - 1] = new
    grads = {}
    for l in range(1, L + 1):
        Wl = net.W[l - 1]
        for k in range(Wl.rows):
            for h in range(Wl.cols):
                grads[Wl[k, h]] = eps[l][h] * z[l][h] * net.x[l - 1][k]
    return grads


def check_backprop_recurrence(net: SymbolicNetwork | None = None,
                              backward_term: Callable = _slide_backward_term) -> bool:
    r"""Prove ``simplify(direct - recurrence) == 0`` for every weight of ``net``.

    With the default network (2–3–2, arbitrary activations and loss) this is the
    BackProp theorem of the slides for that architecture; the recurrence is
    :func:`recurrence_gradient` with the summand ``backward_term(eps, z, w)``, by default
    :math:`\varepsilon^l_h z^l_h w^l_{kh}`. A wrong summand makes the check return False:
    ``check_backprop_recurrence(backward_term=lambda eps, z, w: eps * w)`` (the derivative
    :math:`z^l_h` left out of the recurrence) is False.

    A difference that ``expand`` does not reduce to 0 is first evaluated at one concrete
    point, with concrete smooth functions in place of the undefined ones: a clearly nonzero
    value is a counterexample (False at once); otherwise ``simplify`` decides.

    Parameters
    ----------
    net : SymbolicNetwork, optional
        Default: ``symbolic_network((2, 3, 2))``.
    backward_term : callable, optional
        Passed to :func:`recurrence_gradient`.
    """
    net = symbolic_network() if net is None else net
    d = direct_gradient(net)
    r = recurrence_gradient(net, backward_term=backward_term)
    for w in net.weights:
        diff = sp.expand(d[w] - r[w])  # enough when both sides use the same z objects
        if diff == 0:
            continue
        witness = _numeric_value(diff)  # fast and decisive when clearly nonzero
        if witness is not None and abs(witness) > 1e-8:
            return False
        if sp.simplify(diff) != 0:
            return False
    return True


def _numeric_value(expr, seed: int = 0) -> complex | None:
    r"""``expr`` at one concrete point: a counterexample when it is far from 0.

    Every symbol gets a random value in :math:`[-1, 1]`, and every undefined function
    (:math:`\sigma^l`, :math:`\mathcal{L}`) a concrete smooth one,
    :math:`\sum_j \bigl(\sin(t_j + \tfrac{j}{3}) + t_j^2/(j+1)\bigr) + \tfrac15\prod_j t_j`.
    A clearly nonzero value means the identity fails for that activation and loss (so it
    is not an identity); ``None`` when the value is not a number.
    """
    gen = np.random.default_rng(seed)
    expr = expr.subs({s: sp.Float(gen.uniform(-1, 1))
                      for s in sorted(expr.free_symbols, key=str)})
    for f, k in {a.func: len(a.args) for a in expr.atoms(AppliedUndef)}.items():
        t = sp.symbols(f"t_1:{k + 1}")
        body = sum((sp.sin(tj + sp.Rational(j, 3)) + tj**2 / (j + 1)
                    for j, tj in enumerate(t, start=1)), sp.Integer(0)) + sp.Mul(*t) / 5
        expr = expr.subs(f, sp.Lambda(t, body))
    value = expr.doit().rewrite(sp.exp).evalf()
    return complex(value) if value.is_number and not value.has(sp.Function) else None


# ---------------------------------------------------------------------------------------
# Concrete network and the numeric comparison
# ---------------------------------------------------------------------------------------
class _Sigmoid(sp.Function):
    """The sigmoid as a SymPy function whose derivative is :math:`\\sigma(1-\\sigma)`."""

    def fdiff(self, argindex=1):
        s = _Sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))


def concrete_network(sizes: Sequence[int] = (2, 3, 2)) -> SymbolicNetwork:
    r"""The network with sigmoid hidden layers, a tanh output layer and the squared loss.

    The sigmoid's derivative is given as :math:`\sigma(1-\sigma)` (proved by
    :func:`check_sigmoid_derivative`), which keeps the expressions small.
    """
    sizes = _widths(sizes)
    L = len(sizes) - 1
    sig = [_Sigmoid] * (L - 1) + [sp.tanh]

    def sq(out, y):
        return sp.Rational(1, 2) * sum(((a - t) ** 2 for a, t in zip(out, y, strict=True)),
                                       sp.Integer(0))

    return symbolic_network(sizes, sigma=sig, loss=sq)


def lambdify_gradient(net: SymbolicNetwork | None = None, method: str = "direct") -> Callable:
    r"""Numeric gradient of a concrete symbolic network.

    Returns ``f(x, y, Ws) -> list of arrays`` (one gradient matrix per layer, the shapes of
    the :math:`W^l`) for one object ``x`` (length :math:`H_0`) and target ``y``;
    ``method`` is ``"direct"`` (SymPy's derivative of the superposition) or
    ``"recurrence"``.
    """
    net = concrete_network() if net is None else net
    check_choice("method", method, ("direct", "recurrence"))
    grads = direct_gradient(net) if method == "direct" else recurrence_gradient(net)
    args = list(net.x[0][1:]) + list(net.y) + net.weights
    exprs = [grads[w].rewrite(sp.exp) for w in net.weights]
    f = sp.lambdify(args, exprs, modules="numpy")

    def grad(x, y, Ws):
        flat = [float(v) for v in x] + [float(v) for v in y]
        flat += [float(v) for Wl in Ws for v in np.asarray(Wl).reshape(-1)]
        vals = np.array(f(*flat), dtype=np.float64)
        out, i = [], 0
        for Wl in Ws:
            size = np.asarray(Wl).size
            out.append(vals[i:i + size].reshape(np.asarray(Wl).shape))
            i += size
        return out

    return grad


def compare_with_lecturenn(n_points: int = 5, seed: int = 0, sizes=(2, 3, 2)) -> float:
    r"""Max relative error between the SymPy gradient and :class:`lecturenn.network.Network`.

    At ``n_points`` random weights, inputs and targets (float64), for the concrete network
    of :func:`concrete_network` (sigmoid hidden, tanh output, squared loss, one object).
    """
    from lecturenn.layers import Dense
    from lecturenn.losses import SquaredError
    from lecturenn.network import Network

    n_points = check_int("n_points", n_points, minimum=1)  # comparing at no point is no check
    sizes = _widths(sizes)
    rng = np.random.default_rng(seed)
    sym = concrete_network(sizes)
    g = lambdify_gradient(sym)
    L = len(sizes) - 1
    worst = 0.0
    for _ in range(n_points):
        layers = [Dense(sizes[l - 1], sizes[l], "sigmoid" if l < L else "tanh", rng=rng)
                  for l in range(1, L + 1)]
        for lay in layers:
            lay.W.data[...] = rng.normal(size=lay.W.data.shape)
        net = Network(layers)
        x = rng.normal(size=sizes[0])
        y = rng.normal(size=sizes[-1])
        net.loss_and_grad(x[None, :], y[None, :], SquaredError())
        ref = g(x, y, [lay.W.data for lay in layers])
        for lay, r in zip(layers, ref, strict=True):
            err = np.abs(lay.W.grad - r) / np.maximum(np.abs(r), 1e-300)
            worst = max(worst, float(np.max(err)))
    return worst


# ---------------------------------------------------------------------------------------
# The matrix form of the slide
# ---------------------------------------------------------------------------------------
def check_matrix_form(H_prev: int = 2, H: int = 3) -> dict[str, bool]:
    r"""Which matrix product matches the coordinate formula :math:`S_h = \sum_k w_{kh} x_k`?

    With :math:`W` of shape :math:`(H_{l-1}+1)\times H_l` (slide «Обобщение: полносвязная
    нейронная сеть с L слоями») and :math:`x^{l-1}` a column of length :math:`H_{l-1}+1`:

    * ``"W x defined"``: the slide's :math:`W^l x^{l-1}` can be formed (False unless
      :math:`H_l = H_{l-1}+1`; and even then it is not :math:`S`);
    * ``"W x equals S"``: it equals the coordinate formula;
    * ``"W^T x equals S"``: :math:`(W^l)^\top x^{l-1}` equals it (True).
    """
    H_prev = check_int("H_prev", H_prev, minimum=1)
    H = check_int("H", H, minimum=1)
    W = sp.Matrix(H_prev + 1, H, lambda k, h: sp.Symbol(f"w_{{{k},{h + 1}}}"))
    x = sp.Matrix([sp.Integer(-1)] + [sp.Symbol(f"x_{j}") for j in range(1, H_prev + 1)])
    S_coord = sp.Matrix([sum(W[k, h] * x[k] for k in range(H_prev + 1)) for h in range(H)])
    try:
        Wx = W * x
        defined = True
        equals = Wx.shape == S_coord.shape and sp.simplify(Wx - S_coord) == sp.zeros(H, 1)
    except sp.ShapeError:
        defined, equals = False, False
    WTx = W.T * x
    return {"W x defined": defined, "W x equals S": bool(equals),
            "W^T x equals S": sp.simplify(WTx - S_coord) == sp.zeros(H, 1)}


# ---------------------------------------------------------------------------------------
# Cost: O(dim w) versus O(dim^2 w)
# ---------------------------------------------------------------------------------------
def _widths(sizes) -> tuple[int, ...]:
    """``sizes`` as a tuple of at least two widths, each an int ``>= 1``."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be a sequence of widths (H_0, ..., H_L), got "
                        f"{describe(sizes)}")
    out = tuple(check_int(f"sizes[{i}]", h, minimum=1) for i, h in enumerate(sizes))
    if len(out) < 2:
        raise ValueError(f"sizes must hold at least two widths (H_0, H_1), got {out}")
    return out


def _sizes_symbols(sizes):
    if isinstance(sizes, (int, np.integer)) and not isinstance(sizes, bool):
        L = check_int("L (the number of layers)", sizes, minimum=1)
        return sp.symbols(f"H_0:{L + 1}", positive=True, integer=True)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"sizes must be widths (numbers or SymPy symbols) or an int L, got "
                        f"{describe(sizes)}")
    out = tuple(h if isinstance(h, sp.Basic)
                else sp.Integer(check_int(f"sizes[{i}]", h, minimum=1))
                for i, h in enumerate(sizes))
    if len(out) < 2:
        raise ValueError(f"sizes must hold at least two widths (H_0, H_1), got {out}")
    return out


def dim_w(sizes):
    r""":math:`\dim w = \sum_{l=1}^{L} (H_{l-1}+1) H_l`.

    ``sizes`` is a list of widths (numbers or SymPy symbols) or an int :math:`L` (then the
    symbols :math:`H_0, \dots, H_L` are used).
    """
    H = _sizes_symbols(sizes)
    return sp.expand(sum(((H[l - 1] + 1) * H[l] for l in range(1, len(H))), sp.Integer(0)))


def backprop_cost(sizes) -> dict:
    r"""Multiply-adds of one gradient by BackProp (one object), term by term.

    * forward :math:`S^l = x^{l-1}W^l`: :math:`\sum_l (H_{l-1}+1)H_l = \dim w`;
    * products :math:`\varepsilon^l_h z^l_h`: :math:`\sum_l H_l`;
    * the recurrence :math:`\varepsilon^{l-1}`: :math:`\sum_{l=2}^{L} H_{l-1}H_l`;
    * the gradient :math:`\varepsilon^l_h z^l_h x^{l-1}_k`: :math:`\dim w`.

    (Activation and loss evaluations, :math:`\sum_l H_l + H_L` calls, are counted
    separately under ``"function calls"``.) Returns a dict of SymPy expressions, with
    ``"total"`` the sum of the multiply-adds.
    """
    H = _sizes_symbols(sizes)
    L = len(H) - 1
    dw = dim_w(H)
    parts = {
        "forward": dw,
        "eps*z": sp.expand(sum(H[1:], sp.Integer(0))),
        "recurrence": sp.expand(sum((H[l - 1] * H[l] for l in range(2, L + 1)), sp.Integer(0))),
        "gradient": dw,
    }
    parts["total"] = sp.expand(sum(parts.values(), sp.Integer(0)))
    parts["function calls"] = sp.expand(sum(H[1:], sp.Integer(0)) + H[L])
    return parts


def finite_difference_cost(sizes) -> dict:
    r"""Multiply-adds of one gradient by central finite differences.

    :math:`2\dim w` forward passes of :math:`\dim w` multiply-adds each:
    ``"total"`` :math:`= 2\dim^2 w`. (Plus :math:`2\dim w` times the function calls of a
    forward pass.)
    """
    H = _sizes_symbols(sizes)
    dw = dim_w(H)
    return {"forward passes": 2 * dw, "total": sp.expand(2 * dw * dw),
            "function calls": sp.expand(2 * dw * (sum(H[1:], sp.Integer(0)) + H[-1]))}


class _Counter:
    def __init__(self):
        self.n = 0


def _scalar_forward(Ws, x, cnt):
    xs = [[-1.0] + list(x)]
    Ss = [None]
    for Wl in Ws:
        prev = xs[-1]
        Sl = []
        for h in range(Wl.shape[1]):
            s = 0.0
            for k in range(Wl.shape[0]):
                s += Wl[k, h] * prev[k]
                cnt.n += 1
            Sl.append(s)
        Ss.append(Sl)
        xs.append([-1.0] + [float(np.tanh(s)) for s in Sl])
    return Ss, xs


def _scalar_loss(xs, y):
    return 0.5 * sum((a - t) ** 2 for a, t in zip(xs[-1][1:], y, strict=True))


def count_backprop_ops(sizes: Sequence[int], seed: int = 0) -> tuple[int, list]:
    r"""Run the slide's BackProp for one object with scalar loops, counting multiply-adds.

    A tanh network with the squared loss and random weights. Returns the count and the
    gradient (one array per layer) so the count belongs to a computation that is right.
    """
    sizes = _widths(sizes)
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(sizes[l - 1] + 1, sizes[l])) for l in range(1, len(sizes))]
    x = rng.normal(size=sizes[0])
    y = rng.normal(size=sizes[-1])
    cnt = _Counter()
    Ss, xs = _scalar_forward(Ws, x, cnt)
    L = len(Ws)
    eps = {L: [a - t for a, t in zip(xs[L][1:], y, strict=True)]}
    z = {l: [1 - xs[l][h + 1] ** 2 for h in range(len(Ss[l]))] for l in range(1, L + 1)}
    ez = {}
    for l in range(L, 0, -1):
        ez[l] = []
        for h in range(sizes[l]):
            ez[l].append(eps[l][h] * z[l][h])
            cnt.n += 1
        if l > 1:
            eps[l - 1] = []
            for k in range(1, sizes[l - 1] + 1):
                s = 0.0
                for h in range(sizes[l]):
                    s += ez[l][h] * Ws[l - 1][k, h]
                    cnt.n += 1
                eps[l - 1].append(s)
    grads = []
    for l in range(1, L + 1):
        g = np.zeros_like(Ws[l - 1])
        for k in range(sizes[l - 1] + 1):
            for h in range(sizes[l]):
                g[k, h] = ez[l][h] * xs[l - 1][k]
                cnt.n += 1
        grads.append(g)
    return cnt.n, grads


def count_finite_difference_ops(sizes: Sequence[int], seed: int = 0,
                                delta: float = 1e-6) -> tuple[int, list]:
    """Central finite differences with the same scalar forward pass, counting multiply-adds."""
    sizes = _widths(sizes)
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(sizes[l - 1] + 1, sizes[l])) for l in range(1, len(sizes))]
    x = rng.normal(size=sizes[0])
    y = rng.normal(size=sizes[-1])
    cnt = _Counter()
    grads = []
    for Wl in Ws:
        g = np.zeros_like(Wl)
        for idx in np.ndindex(Wl.shape):
            old = Wl[idx]
            Wl[idx] = old + delta
            fp = _scalar_loss(_scalar_forward(Ws, x, cnt)[1], y)
            Wl[idx] = old - delta
            fm = _scalar_loss(_scalar_forward(Ws, x, cnt)[1], y)
            Wl[idx] = old
            g[idx] = (fp - fm) / (2 * delta)
        grads.append(g)
    return cnt.n, grads


def check_backprop_cost_identity(L: int = 2, claimed: Callable | None = None) -> bool:
    r"""Prove that BackProp needs exactly :math:`3\dim w - H_0H_1` multiply-adds per object.

    With :math:`\dim w = \sum_{l=1}^L H_{l-1}H_l + \sum_{l=1}^L H_l`, the count of
    :func:`backprop_cost`, :math:`2\dim w + \sum_{l=2}^{L} H_{l-1}H_l + \sum_{l=1}^L H_l`,
    is :math:`3\dim w - H_0H_1 < 3\dim w`: fewer multiply-adds than three forward passes.
    Checked symbolically in the widths :math:`H_0, \dots, H_L` of an :math:`L`-layer
    network.

    Parameters
    ----------
    L : int, optional
        The number of layers, :math:`L \ge 1`.
    claimed : callable, optional
        ``claimed(H, dim_w) -> expr`` replaces the claimed count :math:`3\dim w - H_0H_1`
        (to see a wrong one, e.g. :math:`3\dim w`, fail).
    """
    H = _sizes_symbols(check_int("L (the number of layers)", L, minimum=1))
    dw = dim_w(H)
    cl = (3 * dw - H[0] * H[1]) if claimed is None else claimed(H, dw)
    return sp.expand(backprop_cost(H)["total"] - cl) == 0


def cost_orders(L: int = 2) -> dict:
    r"""The orders of growth when all widths grow together, :math:`H_l = c_l t`, :math:`t\to\infty`.

    Returns the limits of ``backprop total / dim w`` (finite: :math:`O(\dim w)`),
    ``finite differences total / dim w`` (infinite) and ``finite differences total /
    dim^2 w`` (= 2: :math:`O(\dim^2 w)`), with positive symbolic constants :math:`c_l`.
    """
    L = check_int("L (the number of layers)", L, minimum=1)
    t = sp.Symbol("t", positive=True)
    c = sp.symbols(f"c_0:{L + 1}", positive=True)
    H = [ci * t for ci in c]
    dw = dim_w(H)
    bp = backprop_cost(H)["total"]
    fd = finite_difference_cost(H)["total"]
    return {
        "backprop / dim w": sp.limit(bp / dw, t, sp.oo),
        "finite differences / dim w": sp.limit(fd / dw, t, sp.oo),
        "finite differences / dim^2 w": sp.simplify(sp.limit(fd / dw**2, t, sp.oo)),
    }
