"""The benchmarks compare like with like: same network, loss, batch and update in both libraries.

Speed itself is never tested (that is `make bench`); this checks that a benchmark case of lecturenn
and its PyTorch twin make the same first step, so a ratio compares the same computation.
"""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

# the benchmarks folder is not a package: its modules import each other by plain name
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench_train = importlib.import_module("bench_train")


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize(
    ("sizes", "batch", "activation"),
    [((2, 16, 16, 1), 32, "tanh"), ((64, 128, 128, 10), 64, "tanh"), ((20, 32, 10), 16, "relu")],
)
def test_first_step_of_lecturenn_and_torch_agree(sizes, batch, activation, opt_name):
    net, model, step_l, step_t = bench_train.build_case(
        torch, sizes, batch, activation, "float64", opt_name
    )
    before = [p.data.copy() for p in net.parameters()]
    diff = bench_train.first_step_diff(net, model, step_l, step_t)
    moved = max(np.max(np.abs(p.data - b)) for p, b in zip(net.parameters(), before, strict=True))
    assert moved > 1e-6          # the step did something
    assert diff < 1e-12 * max(1.0, moved) + 1e-15
