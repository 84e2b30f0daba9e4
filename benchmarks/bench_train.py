"""One training step of a fully connected network: lecturenn vs PyTorch on the CPU.

A step is forward, backward and one optimizer update (plain SGD or Adam) on a fixed batch:

- lecturenn: ``net.loss_and_grad(X, y, loss)`` then ``opt.step()``;
- torch: ``opt.zero_grad(); loss_fn(model(X), y).backward(); opt.step()``.

Both start from the same weights (copied from the lecturenn network into the torch model,
the bias row of the slide's :math:`W^l`, multiplied by :math:`x_0 = -1`, becoming torch's
``bias``), use the same loss (half squared error for one output, softmax cross-entropy
with integer labels for ten), the same batch and the same dtype. Before timing, one step
of each from the same point is compared: the largest difference of the weights after it
is reported (``first_step_max_abs_diff``), so we know both sides compute the same thing.
"""

from __future__ import annotations

import numpy as np
from _common import time_alternating

# (layer sizes, batch, hidden activation, small?)
ARCHS = (
    ((2, 16, 16, 1), 32, "tanh", True),
    ((64, 128, 128, 10), 64, "tanh", True),
    ((64, 256, 256, 10), 256, "relu", False),
    ((784, 512, 512, 10), 128, "relu", False),
)
DTYPES = ("float64", "float32")
OPTIMIZERS = ("SGD", "Adam")
# networks with dropout after every hidden layer: (layer sizes, batch, activation, small?, p)
DROPOUT_ARCHS = (
    ((64, 128, 128, 10), 64, "tanh", True, 0.5),
)
# networks with a BatchNorm before every hidden nonlinearity: (layer sizes, batch, activation,
# small?); lecturenn's batchnorm_network(sizes, "before") against Linear, BatchNorm1d, ReLU
BATCHNORM_ARCHS = (
    ((64, 128, 128, 10), 64, "relu", True),
)


def goal_of(small: bool, dtype: str) -> float:
    """The targets of the brief: >= 3 on small networks, >= 1 in float64, >= 0.8 otherwise."""
    if small:
        return 3.0
    return 1.0 if dtype == "float64" else 0.8


def dense_weights(net) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight of shape (out, in), bias of shape (out,)) for each layer, in torch's convention.

    lecturenn stores the slide's :math:`W^l` of shape :math:`(H_{l-1}+1) \\times H_l` with
    the bias in row 0 multiplied by :math:`x_0 = -1`; then
    :math:`S = x W = x_{1:} W_{1:} - W_0`, so torch's weight is :math:`W_{1:}^\\top` and its
    bias is :math:`-W_0`.
    """
    out = []
    for layer in net.layers:
        W = getattr(layer, "W", None)
        if W is None:
            continue
        W = W.data
        out.append((W[1:].T.copy(), -W[0].copy()))
    return out


def make_torch_model(torch, weights, activation: str, dtype, dropout: float | None = None,
                     batchnorm: bool = False):
    """nn.Sequential of Linear and activation modules (and nn.Dropout(dropout) after every
    hidden activation, if given; nn.BatchNorm1d before every hidden activation if
    ``batchnorm``) with the given weights."""
    nn = torch.nn
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
    mods = []
    for i, (W, b) in enumerate(weights):
        lin = nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            lin.bias.copy_(torch.from_numpy(np.ascontiguousarray(b)))
        mods.append(lin)
        if i < len(weights) - 1:
            if batchnorm:
                mods.append(nn.BatchNorm1d(W.shape[0], eps=1e-5, momentum=0.1, dtype=dtype))
            mods.append(act())
            if dropout is not None:
                mods.append(nn.Dropout(dropout))
    return nn.Sequential(*mods)


def build_case(torch, sizes, batch, activation, dtype_name, opt_name, seed=0, dropout=None,
               batchnorm=False):
    """The lecturenn network and its torch twin, with a step function each.

    ``dropout=p`` builds both with dropout after every hidden layer
    (:func:`lecturenn.dropout.dropout_network`, ``nn.Dropout(p)``, both in training mode):
    each side then draws its own masks at every step, which is part of the cost timed.
    ``batchnorm=True`` puts a batch normalization before every hidden nonlinearity
    (:func:`lecturenn.batchnorm.batchnorm_network` with ``"before"``, ``nn.BatchNorm1d``), both
    in training mode (batch statistics, running statistics updated at every step).
    """
    from lecturenn import optim
    from lecturenn.batchnorm import batchnorm_network
    from lecturenn.dropout import dropout_network
    from lecturenn.losses import SoftmaxCrossEntropy, SquaredError
    from lecturenn.network import Network

    dtype = np.dtype(dtype_name)
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype_name]
    rng = np.random.default_rng(seed)
    if batchnorm:
        net = batchnorm_network(list(sizes), "before", activation, rng=seed, dtype=dtype).train()
    elif dropout is None:
        net = Network(list(sizes), activation=activation, output="identity", rng=seed,
                      dtype=dtype)
    else:
        net = dropout_network(list(sizes), p=dropout, activation=activation, output="identity",
                              rng=seed, dtype=dtype).train()
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    model = make_torch_model(torch, dense_weights(net), activation, tdtype, dropout,
                             batchnorm).train()
    Xt = torch.from_numpy(X.copy())
    if sizes[-1] == 1:
        y = rng.standard_normal((batch, 1)).astype(dtype)
        loss_l = SquaredError()
        yt = torch.from_numpy(y.copy())

        def loss_t(a, t):
            return 0.5 * ((a - t) ** 2).mean()
    else:
        y = rng.integers(0, sizes[-1], size=batch)
        loss_l = SoftmaxCrossEntropy()
        yt = torch.from_numpy(y.astype(np.int64))
        loss_t = torch.nn.CrossEntropyLoss()
    if opt_name == "SGD":
        opt_l = optim.SGD(net.parameters(), lr=0.01)
        opt_t = torch.optim.SGD(model.parameters(), lr=0.01)
    else:
        opt_l = optim.Adam(net.parameters(), lr=1e-3)
        opt_t = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step_l():
        net.loss_and_grad(X, y, loss_l)
        opt_l.step()

    def step_t():
        opt_t.zero_grad()
        loss = loss_t(model(Xt), yt)
        loss.backward()
        opt_t.step()

    return net, model, step_l, step_t


def matmul_floor(net, X):
    """The matrix products of one step alone, done by plain NumPy on arrays of the step's shapes.

    Forward :math:`S^l = x^{l-1} W^l` for every layer, the weight gradients
    :math:`(x^{l-1})^\\top \\delta^l`, and the backward products :math:`\\delta^l (W^l)^\\top`
    for every layer but the first: the BLAS work any implementation of the step does. Its time
    bounds the ratio from above: ``torch seconds / matmul seconds`` is the ratio lecturenn would
    reach if everything else in its step took no time.
    """
    rng = np.random.default_rng(1)
    dt = X.dtype
    shapes = [(layer.n_in, layer.n_out) for layer in net.layers if hasattr(layer, "W")]
    Ws = [rng.standard_normal(s).astype(dt) for s in shapes]
    xs = [X] + [rng.standard_normal((X.shape[0], n_out)).astype(dt) for _, n_out in shapes[:-1]]
    deltas = [rng.standard_normal((X.shape[0], n_out)).astype(dt) for _, n_out in shapes]
    grads = [np.empty(s, dtype=dt) for s in shapes]

    def products():
        for x, W in zip(xs, Ws, strict=True):
            x @ W
        for x, d, g in zip(xs, deltas, grads, strict=True):
            np.matmul(x.T, d, out=g)
        for d, W in zip(deltas[1:], Ws[1:], strict=True):
            d @ W.T

    return products


def first_step_diff(net, model, step_l, step_t) -> float:
    """The largest difference of the weights after one step of each side from the same point.

    With dropout, torch's step runs first and the masks its ``nn.Dropout`` modules drew (read
    by forward hooks: the kept entries are the nonzero outputs) are given to lecturenn's
    dropout layers for its step, so both compute the same thinned network.
    """
    from lecturenn.dropout import Dropout

    ours_drop = [lay for lay in net.layers if isinstance(lay, Dropout)]
    if ours_drop:
        theirs_drop = [m for m in model if type(m).__name__ == "Dropout"]
        masks = []
        hooks = [m.register_forward_hook(
            lambda mod, inp, out: masks.append((out != 0).numpy().copy()))
            for m in theirs_drop]
        step_t()
        for h in hooks:
            h.remove()
        for lay, mask in zip(ours_drop, masks, strict=True):
            lay.set_mask(mask)
        step_l()
        for lay in ours_drop:
            lay.set_mask(None)
    else:
        step_l()
        step_t()
    ours = dense_weights(net)
    theirs = [(m.weight.detach().numpy(), m.bias.detach().numpy())
              for m in model if type(m).__name__ == "Linear"]
    return float(max(
        max(np.max(np.abs(a - c)), np.max(np.abs(b - d)))
        for (a, b), (c, d) in zip(ours, theirs, strict=True)
    ))


def run(torch, *, budget: float = 1.0) -> list[dict]:
    from lecturenn import optim

    opts = [o for o in OPTIMIZERS if hasattr(optim, o)]
    if len(opts) < len(OPTIMIZERS):
        print(f"  (lecturenn.optim lacks {sorted(set(OPTIMIZERS) - set(opts))}: skipped)")
    cases = []
    plain = [(sizes, batch, act, small, None, False) for sizes, batch, act, small in ARCHS]
    drop = [(*case, False) for case in DROPOUT_ARCHS]
    bn = [(sizes, batch, act, small, None, True) for sizes, batch, act, small in BATCHNORM_ARCHS]
    for sizes, batch, act, small, p, with_bn in plain + drop + bn:
        for dtype in DTYPES:
            for opt_name in opts:
                net, model, step_l, step_t = build_case(torch, sizes, batch, act, dtype, opt_name,
                                                        dropout=p, batchnorm=with_bn)
                diff = first_step_diff(net, model, step_l, step_t)
                X = np.zeros((batch, sizes[0]), dtype=dtype)
                res = time_alternating({"lecturenn": step_l, "torch": step_t,
                                        "matmuls": matmul_floor(net, X)}, budget=budget)
                ln, tr = res["lecturenn"]["median"], res["torch"]["median"]
                mm = res["matmuls"]["median"]
                ratio = tr / ln
                goal = goal_of(small, dtype)
                arch = "-".join(map(str, sizes))
                drop = ("" if p is None else f" dropout {p:g}") + (" batchnorm" if with_bn else "")
                cases.append({
                    "name": f"{arch} b{batch} {act}{drop} {opt_name}",
                    "architecture": list(sizes),
                    "batch": batch,
                    "activation": act,
                    "dropout": p,
                    "batchnorm": with_bn,
                    "loss": "half squared error" if sizes[-1] == 1 else "softmax cross-entropy",
                    "optimizer": opt_name,
                    "dtype": dtype,
                    "dim_w": int(sum(q.size for q in net.parameters())),
                    "lecturenn_seconds": ln,
                    "reference_seconds": tr,
                    "reference": ("torch (nn.Sequential with nn.BatchNorm1d, autograd, torch.optim)"
                                  if with_bn else
                                  "torch (nn.Sequential, autograd, torch.optim)" if p is None else
                                  "torch (nn.Sequential with nn.Dropout, autograd, torch.optim)"),
                    "reference_version": torch.__version__,
                    "ratio": ratio,
                    "matmul_seconds": mm,
                    "ratio_bound": tr / mm,
                    "lecturenn_p10_seconds": res["lecturenn"]["p10"],
                    "reference_p10_seconds": res["torch"]["p10"],
                    "ratio_p10": res["torch"]["p10"] / res["lecturenn"]["p10"],
                    "goal": goal,
                    "meets_goal": ratio >= goal,
                    "steps": {"lecturenn": res["lecturenn"]["steps"],
                              "torch": res["torch"]["steps"]},
                    "quartiles": {"lecturenn": [res["lecturenn"]["q1"], res["lecturenn"]["q3"]],
                                  "torch": [res["torch"]["q1"], res["torch"]["q3"]]},
                    "first_step_max_abs_diff": diff,
                })
    return cases
