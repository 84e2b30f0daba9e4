"""One optimizer update: lecturenn.optim vs torch.optim over one parameter of n elements.

The gradient is fixed (set once); each timed call is one ``opt.step()`` that reads it and
updates the parameter in place. torch's optimizers run with their defaults on the CPU
(the single-tensor implementation: ``foreach`` is only chosen by default on accelerators).
"""

from __future__ import annotations

import numpy as np
from _common import time_alternating

SIZES = (10**3, 10**5, 10**6)
DTYPES = ("float64", "float32")
GOAL = 1.0


def _pairs(torch):
    """(label, lecturenn factory, torch factory, note) for each optimizer compared."""
    from lecturenn import optim

    pairs = [("SGD", lambda ps: optim.SGD(ps, lr=0.01),
              lambda ts: torch.optim.SGD(ts, lr=0.01), "")]
    if hasattr(optim, "Momentum"):
        pairs.append((
            "Momentum", lambda ps: optim.Momentum(ps, lr=0.01, gamma=0.9),
            lambda ts: torch.optim.SGD(ts, lr=0.01 * (1 - 0.9), momentum=0.9),
            "the slide's v := gamma v + (1-gamma) g, w -= eta v equals torch's "
            "SGD(lr=eta (1-gamma), momentum=gamma): same points",
        ))
    if hasattr(optim, "Adam"):
        pairs.append(("Adam", lambda ps: optim.Adam(ps, lr=1e-3),
                      lambda ts: torch.optim.Adam(ts, lr=1e-3), ""))
    return pairs


def run(torch, *, budget: float = 0.4) -> list[dict]:
    from lecturenn.parameter import Parameter

    cases = []
    for label, make_l, make_t, note in _pairs(torch):
        for dtype in DTYPES:
            for n in SIZES:
                rng = np.random.default_rng(n)
                w0 = rng.standard_normal(n).astype(dtype)
                g0 = (1e-3 * rng.standard_normal(n)).astype(dtype)
                p = Parameter(w0.copy(), name="w")
                p.grad = g0.copy()
                opt_l = make_l([p])
                t = torch.nn.Parameter(torch.from_numpy(w0.copy()))
                t.grad = torch.from_numpy(g0.copy())
                opt_t = make_t([t])

                # same update from the same point (first step): a check that we compare
                # like with like (momentum conventions may differ, see note)
                opt_l.step()
                opt_t.step()
                diff = float(np.max(np.abs(p.data - t.detach().numpy())))

                res = time_alternating({"lecturenn": opt_l.step, "torch": opt_t.step},
                                       budget=budget, min_steps=50)
                ln, tr = res["lecturenn"]["median"], res["torch"]["median"]
                ratio = tr / ln
                cases.append({
                    "name": f"{label} n={n:.0e}".replace("e+0", "e"),
                    "optimizer": label,
                    "n": n,
                    "dtype": dtype,
                    "lecturenn_seconds": ln,
                    "reference_seconds": tr,
                    "reference": f"torch.optim.{type(opt_t).__name__}",
                    "reference_version": torch.__version__,
                    "ratio": ratio,
                    "lecturenn_p10_seconds": res["lecturenn"]["p10"],
                    "reference_p10_seconds": res["torch"]["p10"],
                    "ratio_p10": res["torch"]["p10"] / res["lecturenn"]["p10"],
                    "goal": GOAL,
                    "meets_goal": ratio >= GOAL,
                    "steps": {"lecturenn": res["lecturenn"]["steps"],
                              "torch": res["torch"]["steps"]},
                    "quartiles": {"lecturenn": [res["lecturenn"]["q1"], res["lecturenn"]["q3"]],
                                  "torch": [res["torch"]["q1"], res["torch"]["q3"]]},
                    "first_step_max_abs_diff": diff,
                    "note": note,
                })
    return cases
