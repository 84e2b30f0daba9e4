"""One Adam training step of a KAN: lecturenn against pykan 0.2.8 and a PyTorch-autograd layer.

Cases (issue 15): KAN [2, 5, 1] and [4, 16, 16, 1], batch 1000, grid G = 5, k = 3, mean
squared error, Adam (lr 1e-3), float32 (pykan's default dtype). Per case the median seconds of

* lecturenn: ``lecturenn.kan.KAN`` with its hand-written BackProp;
* ``torch_layer``: a KAN layer of the same parametrization in PyTorch (the matrix-product
  formulation of efficient-kan, Cox-de Boor by recursion), differentiated by autograd;
* ``pykan``: ``kan.KAN(width, grid=5, k=3, auto_save=False)`` as constructed, and
  ``pykan_speed``: the same after ``model.speed()`` (symbolic branch and activation saving off).

``ratio_<ref>`` = reference seconds / lecturenn seconds (above 1: lecturenn is faster). pykan is
optional (``pip install pykan==0.2.8 tqdm pandas``; it declares none of its dependencies): without
it its columns are missing. What lecturenn's layer holds for the backward pass: the basis
(n, n_in, G + k) and silu(x) (n, n_in); nothing of shape (n, n_out, n_in, G + k).
"""

from __future__ import annotations

import numpy as np

from lecturenn.kan import KAN
from lecturenn.losses import SquaredError
from lecturenn.optim import Adam

CASES = [((2, 5, 1), 1000), ((4, 16, 16, 1), 1000)]
LR = 1e-3


def torch_kan(torch, net):
    """A torch module computing the same function as the lecturenn KAN ``net`` (its weights
    copied), for autograd."""
    nn = torch.nn

    class Layer(nn.Module):
        def __init__(self, lay, dtype):
            super().__init__()
            self.k = lay.k
            self.register_buffer("t", torch.tensor(lay.knots, dtype=dtype))
            self.c = nn.Parameter(torch.tensor(lay.c.data, dtype=dtype))
            self.w_b = nn.Parameter(torch.tensor(lay.w_b.data, dtype=dtype))
            self.w_s = nn.Parameter(torch.tensor(lay.w_s.data, dtype=dtype))

        def forward(self, x):
            t, k = self.t, self.k
            xe = x[..., None]
            B = ((xe >= t[:, :-1]) & (xe < t[:, 1:])).to(x.dtype)
            for p in range(1, k + 1):
                B = ((xe - t[:, : -p - 1]) / (t[:, p:-1] - t[:, : -p - 1]) * B[..., :-1]
                     + (t[:, p + 1:] - xe) / (t[:, p + 1:] - t[:, 1:-p]) * B[..., 1:])
            C = (self.w_s[:, :, None] * self.c).permute(0, 2, 1).reshape(-1, self.c.shape[1])
            return nn.functional.silu(x) @ self.w_b + B.reshape(x.shape[0], -1) @ C

    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    return nn.Sequential(*[Layer(lay, dtype) for lay in net.layers])


def build_case(torch, widths, batch, dtype="float32"):
    """The lecturenn KAN, its torch twin (same weights), the data and one step of each."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(batch, widths[0])).astype(dtype)
    y = np.sin(np.pi * X[:, :1]) * np.exp(X[:, -1:])
    y = y.astype(dtype)
    net = KAN(list(widths), G=5, k=3, rng=0, dtype=np.dtype(dtype))
    opt = Adam(net.parameters(), lr=LR)
    loss = SquaredError()

    def step_l():
        net.loss_and_grad(X, y, loss)
        opt.step()

    model = torch_kan(torch, net)
    topt = torch.optim.Adam(model.parameters(), lr=LR)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step_t():
        topt.zero_grad()
        # lecturenn's SquaredError is (1/2) mean ||a - y||^2
        out = 0.5 * ((model(Xt) - yt) ** 2).sum(dim=1).mean()
        out.backward()
        topt.step()

    return net, model, step_l, step_t, (X, y)


def first_step_diff(net, model, step_l, step_t) -> float:
    """The largest difference of the parameters after one step of each."""
    step_l()
    step_t()
    diff = 0.0
    for lay, tl in zip(net.layers, model, strict=True):
        for p, q in ((lay.c, tl.c), (lay.w_b, tl.w_b), (lay.w_s, tl.w_s)):
            diff = max(diff, float(np.max(np.abs(p.data - q.detach().numpy()))))
    return diff


def pykan_steps(torch, widths, X, y):
    """One Adam step of pykan's default model and of the same after ``speed()``, or None."""
    try:
        from kan import KAN as PyKAN
    except ImportError:
        return None
    Xt, yt = torch.tensor(X), torch.tensor(y)
    steps = {}
    for name in ("pykan", "pykan_speed"):
        torch.manual_seed(0)
        model = PyKAN(width=list(widths), grid=5, k=3, seed=0, auto_save=False)
        if name == "pykan_speed":
            model.speed()
        opt = torch.optim.Adam(model.get_params() if hasattr(model, "get_params")
                               else model.parameters(), lr=LR)

        def step(model=model, opt=opt):
            opt.zero_grad()
            out = 0.5 * ((model(Xt) - yt) ** 2).sum(dim=1).mean()
            out.backward()
            opt.step()

        steps[name] = step
    return steps


def run(torch, budget: float = 0.6) -> list[dict]:
    from _common import time_alternating

    try:
        import kan as _kan
        pykan_version = getattr(_kan, "__version__", "0.2.8?")
    except ImportError:
        pykan_version = None
    out = []
    for widths, batch in CASES:
        net, model, step_l, step_t, (X, y) = build_case(torch, widths, batch)
        fns = {"lecturenn": step_l, "torch_layer": step_t}
        extra = pykan_steps(torch, widths, X, y)
        if extra:
            fns.update(extra)
        t = time_alternating(fns, budget=budget)
        case = {"name": "KAN " + str(list(widths)), "dtype": "float32", "batch": batch,
                "lecturenn_seconds": t["lecturenn"]["median"], "pykan_version": pykan_version,
                "memory_note": ("lecturenn holds x, sigma(x) (n, n_in), the design matrix "
                                "(n, n_in (G+k+1)), W and two (k+1, n n_in) arrays")}
        for ref in fns:
            if ref == "lecturenn":
                continue
            case[f"{ref}_seconds"] = t[ref]["median"]
            case[f"ratio_{ref}"] = t[ref]["median"] / t["lecturenn"]["median"]
            case[f"ratio_p10_{ref}"] = t[ref]["p10"] / t["lecturenn"]["p10"]
        out.append(case)
    return out
