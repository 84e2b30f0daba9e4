"""KAN benchmarks: lecturenn against pykan 0.2.8 and a PyTorch-autograd KAN layer (issue 15).

**One Adam step** (``run``). KAN [2, 5, 1] and [4, 16, 16, 1], batch 1000, grid G = 5, k = 3,
mean squared error, Adam (lr 1e-3), float32 (pykan's default dtype). Per case the median
seconds of

* lecturenn: ``lecturenn.kan.KAN`` with its hand-written BackProp;
* ``torch_layer``: a KAN layer of the same parametrization in PyTorch (the matrix-product
  formulation of efficient-kan, Cox-de Boor by recursion), differentiated by autograd;
* ``pykan``: ``kan.KAN(width, grid=5, k=3, auto_save=False)`` as constructed, and
  ``pykan_speed``: the same after ``model.speed()`` (symbolic branch and activation saving off).

``ratio_<ref>`` = reference seconds / lecturenn seconds (above 1: lecturenn is faster), with the
issue's goals: at least 5 against pykan, 2 against pykan after ``speed()``, 1.5 against the
torch layer (``goal_<ref>``, ``meets_goal_<ref>``).

**Time to a train RMSE** (``run_to_target``). The paper's toy function exp(sin(pi x) + y^2),
1000 training and 1000 test points uniform on [-1, 1]^2 (the same float32 arrays for both),
KAN [2, 5, 1], G = 5, k = 3, each library's pykan-style initialisation (lecturenn
``init="pykan", noise_scale=0.3``), trained until the train RMSE is at most ``TARGET_RMSE``
(1e-2, which both reach in under 20 steps on every seed we tried):

* pykan: ``model.fit(dataset)`` with its defaults: LBFGS (its copy of torch's, history 10,
  strong-Wolfe line search, up to 20 iterations per step), the grid updated from the
  training inputs every 5 steps before step 50, and a test-set evaluation per step; it is
  stopped at the first step whose train RMSE (``fit``'s own, from its last closure call) is at
  or below the target (a ``metrics`` callback of ``fit`` reads it and ends the run);
* lecturenn: ``optim.LBFGS`` with the same settings (history 10, up to 20 iterations per step,
  no tolerance stop) but a backtracking (Armijo) line search, the same grid-update schedule
  (``update_network_grids``, grid_eps 0.02), and the train RMSE by a forward pass after
  every step (inside the timing, as pykan's test evaluation is inside its).

A "step" is one ``LBFGS.step`` (up to 20 iterations) in both. Seeds 0, 1, 2 (data and
initialisation); reported: seconds and steps to the target per seed and library, the medians,
and ``ratio`` = median pykan seconds / median lecturenn seconds.

pykan is optional (``pip install -e ".[bench]"``; it declares none of its dependencies, the
``bench`` extra lists them): without it its columns are missing. What lecturenn's layer
holds for the backward pass: x and sigma(x) (n, n_in), the design matrix (n, n_in (G+k+1)),
the weight matrix and two (k+1, n n_in) arrays; nothing of shape (n, n_out, n_in, G + k).
"""

from __future__ import annotations

import sys

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


def import_pykan():
    """pykan's ``kan`` module (its progress bars off), or None if it is not installed."""
    try:
        import kan
    except ImportError:
        return None
    mod = sys.modules["kan.MultKAN"]  # the module (``kan.MultKAN`` is also the class)
    if not getattr(mod, "_bench_quiet", False):  # fit() draws a tqdm bar: switch it off
        bar = mod.tqdm
        mod.tqdm = lambda *args, **kwargs: bar(*args, **{**kwargs, "disable": True})
        mod._bench_quiet = True
    return kan


def pykan_steps(torch, widths, X, y):
    """One Adam step of pykan's default model and of the same after ``speed()``, or None."""
    kan = import_pykan()
    if kan is None:
        return None
    Xt, yt = torch.tensor(X), torch.tensor(y)
    steps = {}
    for name in ("pykan", "pykan_speed"):
        torch.manual_seed(0)
        model = kan.KAN(width=list(widths), grid=5, k=3, seed=0, auto_save=False)
        if name == "pykan_speed":
            model.speed()
        opt = torch.optim.Adam(model.get_params(), lr=LR)

        def step(model=model, opt=opt):
            opt.zero_grad()
            out = 0.5 * ((model(Xt) - yt) ** 2).sum(dim=1).mean()
            out.backward()
            opt.step()

        steps[name] = step
    return steps


GOALS = {"pykan": 5.0, "pykan_speed": 2.0, "torch_layer": 1.5}


def run(torch, budget: float = 0.6, min_steps: int = 15) -> list[dict]:
    from _common import time_alternating

    kan = import_pykan()
    pykan_version = None if kan is None else getattr(kan, "__version__", "0.2.8?")
    out = []
    for widths, batch in CASES:
        net, model, step_l, step_t, (X, y) = build_case(torch, widths, batch)
        fns = {"lecturenn": step_l, "torch_layer": step_t}
        extra = pykan_steps(torch, widths, X, y)
        if extra:
            fns.update(extra)
        t = time_alternating(fns, budget=budget, min_steps=min_steps)
        case = {"name": "KAN " + str(list(widths)), "dtype": "float32", "batch": batch,
                "lecturenn_seconds": t["lecturenn"]["median"],
                "lecturenn_p10_seconds": t["lecturenn"]["p10"],
                "lecturenn_steps_timed": t["lecturenn"]["steps"],
                "pykan_version": pykan_version,
                "memory_note": ("lecturenn holds x, sigma(x) (n, n_in), the design matrix "
                                "(n, n_in (G+k+1)), W and two (k+1, n n_in) arrays")}
        for ref in fns:
            if ref == "lecturenn":
                continue
            ratio = t[ref]["median"] / t["lecturenn"]["median"]
            case[f"{ref}_seconds"] = t[ref]["median"]
            case[f"{ref}_p10_seconds"] = t[ref]["p10"]
            case[f"ratio_{ref}"] = ratio
            case[f"ratio_p10_{ref}"] = t[ref]["p10"] / t["lecturenn"]["p10"]
            case[f"goal_{ref}"] = GOALS[ref]
            case[f"meets_goal_{ref}"] = bool(ratio >= GOALS[ref])
        out.append(case)
    return out


# ---------------------------------------------------------------------- time to a train RMSE

TARGET_RMSE = 1e-2
WIDTHS_TO_TARGET = (2, 5, 1)
GRID_UPDATE_EVERY, GRID_UPDATE_STOP = 5, 50  # pykan fit's defaults: 50 / grid_update_num 10


class _Reached(Exception):
    """Raised from inside pykan's fit when its train RMSE reaches the target."""


def toy_data(seed: int, n: int = 1000):
    """The toy function on [-1, 1]^2: 1000 train and 1000 test points, float32."""
    from lecturenn.kan_scaling import toy_function

    rng = np.random.default_rng(seed)
    Xtr = rng.uniform(-1, 1, size=(n, 2))
    Xte = rng.uniform(-1, 1, size=(n, 2))
    return (Xtr.astype(np.float32), toy_function(Xtr).astype(np.float32),
            Xte.astype(np.float32), toy_function(Xte).astype(np.float32))


def lecturenn_to_target(seed, data, target=TARGET_RMSE, max_steps=50):
    """Seconds and LBFGS steps until the train RMSE is at most ``target`` (None if never)."""
    import time

    from lecturenn.kan import update_network_grids
    from lecturenn.optim import LBFGS

    Xtr, ytr, _, _ = data
    net = KAN(list(WIDTHS_TO_TARGET), G=5, k=3, init="pykan", noise_scale=0.3, rng=seed,
              dtype=np.float32)
    opt = LBFGS(net.parameters(), lr=1.0, history_size=10, line_search="backtracking",
                tolerance_grad=1e-32, tolerance_change=1e-32)
    loss = SquaredError()
    t0 = time.perf_counter()
    rmse = float("nan")
    for step in range(max_steps):
        if step % GRID_UPDATE_EVERY == 0 and step < GRID_UPDATE_STOP:
            update_network_grids(net, Xtr, grid_eps=0.02)
        opt.step(lambda: net.loss_and_grad(Xtr, ytr, loss, check=False))
        rmse = float(np.sqrt(np.mean((net.forward(Xtr) - ytr) ** 2)))
        if rmse <= target:
            return {"seconds": time.perf_counter() - t0, "steps": step + 1, "rmse": rmse,
                    "gradient_evaluations": opt.n_evals}
    return {"seconds": None, "steps": None, "rmse": rmse, "gradient_evaluations": opt.n_evals}


def pykan_to_target(torch, kan, seed, data, target=TARGET_RMSE, max_steps=50):
    """The same for pykan's ``fit`` with its defaults, stopped at the target."""
    import time

    fit_module = sys.modules["kan.MultKAN"]
    Xtr, ytr, Xte, yte = data
    dataset = {"train_input": torch.tensor(Xtr), "train_label": torch.tensor(ytr),
               "test_input": torch.tensor(Xte), "test_label": torch.tensor(yte)}
    # KAN(seed=) seeds torch, numpy's global generator (fit's np.random.choice) and random
    model = kan.KAN(width=list(WIDTHS_TO_TARGET), grid=5, k=3, seed=seed, auto_save=False)
    record = []
    t0 = time.perf_counter()

    def reached():  # fit calls it after every step; fit's train loss is a module global
        now = time.perf_counter()
        rmse = float(torch.sqrt(fit_module.train_loss.detach()))
        record.append((now - t0, rmse))
        if rmse <= target:
            raise _Reached
        return torch.tensor(0.0)

    try:
        model.fit(dataset, steps=max_steps, metrics=[reached])
    except _Reached:
        seconds, rmse = record[-1]
        return {"seconds": seconds, "steps": len(record), "rmse": rmse}
    return {"seconds": None, "steps": None, "rmse": record[-1][1] if record else None}


def run_to_target(torch, seeds=(0, 1, 2), target=TARGET_RMSE, max_steps=50) -> dict:
    """The time-to-target case (see the module docstring)."""
    import statistics

    kan = import_pykan()
    per_seed = []
    for seed in seeds:
        data = toy_data(seed)
        row = {"seed": seed, "lecturenn": lecturenn_to_target(seed, data, target, max_steps)}
        if kan is not None:
            row["pykan"] = pykan_to_target(torch, kan, seed, data, target, max_steps)
        per_seed.append(row)
    case = {"name": f"KAN {list(WIDTHS_TO_TARGET)} to train RMSE {target:g}",
            "function": "exp(sin(pi x) + y^2)", "dtype": "float32", "n_train": 1000,
            "G": 5, "k": 3, "target_rmse": target, "max_steps": max_steps,
            "seeds": list(seeds), "per_seed": per_seed,
            "step": "one LBFGS.step: up to 20 iterations (pykan fit's default)"}
    libs = ["lecturenn"] + (["pykan"] if kan is not None else [])
    for lib in libs:
        secs = [r[lib]["seconds"] for r in per_seed]
        steps = [r[lib]["steps"] for r in per_seed]
        reached = all(v is not None for v in secs)
        case[f"{lib}_seconds"] = statistics.median(secs) if reached else None
        case[f"{lib}_steps"] = statistics.median(steps) if reached else None
        case[f"{lib}_reached_all"] = reached
    if kan is not None:
        both = case["lecturenn_seconds"] is not None and case["pykan_seconds"] is not None
        case["ratio_pykan"] = case["pykan_seconds"] / case["lecturenn_seconds"] if both else None
    return case
