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


# Adam in float32 is left out: its first step eta*g/(|g| + eps) turns the float32 rounding of a
# gradient entry near eps = 1e-8 (both libraries sum in another order) into a step difference of
# up to eta * |dg| / eps, about 1e-5 here, which no fixed tolerance separates from a real error.
@pytest.mark.parametrize(("opt_name", "dtype"),
                         [("SGD", "float64"), ("Adam", "float64"), ("SGD", "float32")])
def test_first_step_with_dropout_agrees_with_torch(opt_name, dtype):
    """The dropout row: torch's masks (read by hooks) given to lecturenn's dropout layers make
    the first steps agree (float64 to 1e-12 of the step, float32 SGD to 1e-5)."""
    torch.manual_seed(0)  # torch's masks: the same run every time
    net, model, step_l, step_t = bench_train.build_case(
        torch, (64, 128, 128, 10), 64, "tanh", dtype, opt_name, dropout=0.5
    )
    assert sum(type(m).__name__ == "Dropout" for m in model) == 2 and model.training
    before = [p.data.copy() for p in net.parameters()]
    diff = bench_train.first_step_diff(net, model, step_l, step_t)
    moved = max(np.max(np.abs(p.data - b)) for p, b in zip(net.parameters(), before, strict=True))
    assert moved > 1e-6
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert diff < tol * max(1.0, moved) + 1e-15
    drops = [lay for lay in net.layers if type(lay).__name__ == "Dropout"]
    assert all(lay.fixed_mask is None for lay in drops)  # random masks again for the timing
    # the check can fail: each side with its own random masks makes a different first step
    net2, model2, step_l2, step_t2 = bench_train.build_case(
        torch, (64, 128, 128, 10), 64, "tanh", dtype, opt_name, dropout=0.5
    )
    step_l2()
    step_t2()
    theirs = [m.weight.detach().numpy() for m in model2 if hasattr(m, "weight")]
    ours = [W for W, _ in bench_train.dense_weights(net2)]
    other = max(np.max(np.abs(a - b)) for a, b in zip(ours, theirs, strict=True))
    assert other > 10 * (tol * max(1.0, moved) + 1e-15) and other > 0.05 * moved


@pytest.mark.parametrize(("opt_name", "dtype"), [("SGD", "float64"), ("Adam", "float64")])
def test_first_step_with_batchnorm_agrees_with_torch(opt_name, dtype):
    """The batch-normalization row: Linear, BatchNorm1d, ReLU in torch against
    batchnorm_network(sizes, "before"): the same first step (float64; SGD to 1e-12 of the step,
    Adam to 1e-9, see below), and the same running statistics after it."""
    net, model, step_l, step_t = bench_train.build_case(
        torch, (64, 128, 128, 10), 64, "relu", dtype, opt_name, batchnorm=True
    )
    assert sum(type(m).__name__ == "BatchNorm1d" for m in model) == 2 and model.training
    before = [p.data.copy() for p in net.parameters()]
    diff = bench_train.first_step_diff(net, model, step_l, step_t)
    moved = max(np.max(np.abs(p.data - b)) for p, b in zip(net.parameters(), before, strict=True))
    assert moved > 1e-6
    # the thresholds of the Dense layers before a BatchNorm have gradient exactly 0 (the mean
    # subtraction cancels them); both libraries compute rounding noise of about 1e-17 there,
    # which Adam's first step eta * g / (|g| + eps) turns into up to eta * 1e-17 / 1e-8 = 1e-12
    # (measured 2e-12): Adam is compared to 1e-9, SGD to 1e-12 of the step
    tol = 1e-12 if opt_name == "SGD" else 1e-9
    assert diff < tol * max(1.0, moved) + 1e-15
    ours = [lay for lay in net.layers if type(lay).__name__ == "BatchNorm"]
    theirs = [m for m in model if type(m).__name__ == "BatchNorm1d"]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.running_var.data, b.running_var.numpy(), rtol=1e-12)
        np.testing.assert_allclose(a.gamma.data, b.weight.detach().numpy(), rtol=1e-12)
    # the check can fail: the torch twin with its BatchNorm1d modules replaced by identities
    # makes another first step
    net2, model2, step_l2, step_t2 = bench_train.build_case(
        torch, (64, 128, 128, 10), 64, "relu", dtype, opt_name, batchnorm=True
    )
    for k, m in enumerate(model2):
        if type(m).__name__ == "BatchNorm1d":
            model2[k] = torch.nn.Identity()
    other = bench_train.first_step_diff(net2, model2, step_l2, step_t2)
    assert other > 1e3 * (tol * max(1.0, moved) + 1e-15)
bench_kan = importlib.import_module("bench_kan")


@pytest.mark.parametrize("widths", [(2, 5, 1), (4, 16, 16, 1)])
def test_kan_first_step_of_lecturenn_and_the_torch_layer_agree(widths):
    """The KAN rows compare the same computation: lecturenn's KAN and the PyTorch-autograd
    layer of the benchmark, same weights, make the same first Adam step (float64)."""
    net, model, step_l, step_t, _ = bench_kan.build_case(torch, widths, 200, "float64")
    before = [p.data.copy() for p in net.parameters()]
    diff = bench_kan.first_step_diff(net, model, step_l, step_t)
    moved = max(np.max(np.abs(p.data - b)) for p, b in zip(net.parameters(), before, strict=True))
    assert moved > 1e-6
    # Adam's first step is lr * g/(|g| + eps): a gradient entry of the order of eps = 1e-8
    # would turn a rounding difference into a visible one; here none is that small, and
    # 1e-10 of the step bounds what float64 rounding leaves
    assert diff < 1e-10 * moved, diff
