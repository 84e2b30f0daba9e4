"""Run the lecturenn benchmarks against PyTorch on the CPU (``make bench``).

Prints a table per benchmark and writes one JSON file per benchmark into ``_build/bench/``:
``train_step.json`` (one training step of a fully connected network) and
``optim_update.json`` (one optimizer update), ``kan_step.json`` (one Adam step of a KAN
against pykan and a PyTorch-autograd KAN layer, and the time to a train RMSE against
pykan's ``fit``, see ``bench_kan.py``). For every case the
JSON holds the median seconds of lecturenn and of the reference, the reference's name and
version, and ``ratio`` = reference seconds / lecturenn seconds (above 1: lecturenn is faster).

If ``OPENBLAS_CORETYPE`` or ``OPENBLAS_L2_SIZE`` is set (some machines set them to work
around old OpenBLAS bugs; they can select a slower kernel for a current numpy), the
benchmarks are run as given AND once more in a subprocess with both unset; the second
run's files get the suffix ``.openblas_unset``. Tests and CI never change these variables.

Usage::

    python benchmarks/run.py [--only train|optim|kan] [--quick] [--threads N]
                             [--no-openblas-compare]

``--threads N`` forces both numpy's BLAS and torch to N threads; its files get the suffix
``.threadsN``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

# `python benchmarks/run.py` puts this folder first on sys.path, so _common imports directly.
from _common import (
    OPENBLAS_VARS,
    blas_info,
    environment,
    print_table,
    setup_torch,
    write_json,
)

OPTIM_COLUMNS = [
    ("case", "name"), ("dtype", "dtype"), ("lecturenn", "lecturenn_seconds"),
    ("torch", "reference_seconds"), ("ratio", "ratio"), ("ratio p10", "ratio_p10"),
    ("goal", "goal"), ("met", "meets_goal"),
    ("max|Δw| 1st step", "first_step_max_abs_diff"),
]
# matmuls: the step's matrix products alone; bound = torch / matmuls, the best ratio possible
TRAIN_COLUMNS = OPTIM_COLUMNS[:6] + [("matmuls", "matmul_seconds"), ("bound", "ratio_bound")] \
    + OPTIM_COLUMNS[6:]


def _fmt_diffs(cases):
    for c in cases:
        c = dict(c)
        c["first_step_max_abs_diff"] = f"{c['first_step_max_abs_diff']:.1e}"
        yield c


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=("train", "optim", "kan"), default=None)
    ap.add_argument("--quick", action="store_true", help="a tenth of the timing budget")
    ap.add_argument("--threads", type=int, default=None,
                    help="force numpy's BLAS and torch to this many threads "
                         "(default: what numpy's BLAS uses)")
    ap.add_argument("--no-openblas-compare", action="store_true",
                    help="do not rerun with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset")
    args = ap.parse_args(argv)
    suffix = ".openblas_unset" if os.environ.get("LECTURENN_BENCH_UNSET") == "1" else ""
    if args.threads is not None:
        suffix += f".threads{args.threads}"

    t_start = time.perf_counter()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")
    blas = blas_info()
    torch = setup_torch(blas["num_threads"])
    env = environment(torch, blas)
    print("lecturenn benchmarks: lecturenn (numpy) vs PyTorch on the CPU, same process")
    print(f"  numpy {env['numpy']} BLAS: {blas.get('library', '?')} {blas.get('version', '')} "
          f"kernel {blas.get('architecture', '?')}, {blas['num_threads']} threads "
          f"(from {blas['source']})")
    print(f"  torch {env['torch']}: torch.set_num_threads({env['torch_threads']}) to match")
    for k in OPENBLAS_VARS:
        print(f"  {k} = {os.environ.get(k, '(not set)')}")
    if os.environ.get("LECTURENN_BENCH_UNSET") == "1":
        print("  this run UNSET OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (comparison run)")
    load = os.getloadavg()[0]
    print(f"  load average {load:.1f} on {os.cpu_count()} cores"
          + ("  WARNING: the machine is busy, timings of 2-thread runs will be noisy"
             if load > 0.75 * (os.cpu_count() or 1) else ""))
    print("  ratio = torch seconds / lecturenn seconds (> 1: lecturenn faster), medians per step;")
    print("  ratio p10 = the same for the 10th percentiles (steadier on a busy machine)")
    print("  matmuls = the training step's matrix products alone (plain NumPy); bound = torch /"
          " matmuls,\n  the ratio lecturenn would reach if the rest of its step took no time")

    scale = 0.1 if args.quick else 1.0
    failed = []
    if args.only in (None, "train"):
        import bench_train

        cases = bench_train.run(torch, budget=0.6 * scale)
        print_table("One training step (forward + backward + update)",
                    list(_fmt_diffs(cases)), TRAIN_COLUMNS)
        path = write_json("train_step", {"benchmark": "train_step", "environment": env,
                                         "cases": cases}, suffix)
        print(f"  -> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
        failed += [c["name"] + " " + c["dtype"] for c in cases if not c["meets_goal"]]
    if args.only in (None, "optim"):
        import bench_optim

        cases = bench_optim.run(torch, budget=0.25 * scale)
        print_table("One optimizer update", list(_fmt_diffs(cases)), OPTIM_COLUMNS)
        path = write_json("optim_update", {"benchmark": "optim_update", "environment": env,
                                           "cases": cases}, suffix)
        print(f"  -> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
        failed += [c["name"] + " " + c["dtype"] for c in cases if not c["meets_goal"]]

    if args.only in (None, "kan"):
        import bench_kan

        cases = bench_kan.run(torch, budget=0.6 * scale, min_steps=5 if args.quick else 15)
        refs = [r for r in ("torch_layer", "pykan", "pykan_speed") if f"ratio_{r}" in cases[0]]
        cols = [("case", "name"), ("dtype", "dtype"), ("lecturenn", "lecturenn_seconds")]
        for r in refs:
            cols += [(r, f"{r}_seconds"), (f"ratio {r}", f"ratio_{r}"),
                     ("goal", f"goal_{r}"), ("met", f"meets_goal_{r}")]
        shown = [{key: (f"{v:.2f}" if key.startswith("ratio") else
                        f"≥ {v:g}" if key.startswith("goal") else v) for key, v in c.items()}
                 for c in cases]
        print_table("One Adam step of a KAN, batch 1000, G = 5, k = 3", shown, cols)
        print("  ratio = reference seconds / lecturenn seconds (> 1: lecturenn faster), medians;"
              " p10 ratios in the JSON")
        if "pykan" not in refs:
            print("  (pykan not installed: pip install -e '.[bench]')")
        failed += [f"{c['name']} vs {r}" for c in cases for r in refs
                   if not c[f"meets_goal_{r}"]]
        seeds = (0,) if args.quick else (0, 1, 2)
        target = bench_kan.run_to_target(torch, seeds=seeds)
        rows = []
        for r in target["per_seed"]:
            row = {"seed": r["seed"]}
            for lib in ("lecturenn", "pykan"):
                if lib in r:
                    sec = r[lib]["seconds"]
                    row[f"{lib}_seconds_to"] = "not reached" if sec is None else f"{sec:.2f} s"
                    row[f"{lib}_steps"] = r[lib]["steps"]
            rows.append(row)
        med = {"seed": "median"}
        for lib in ("lecturenn", "pykan"):
            if f"{lib}_seconds" in target:
                sec = target[f"{lib}_seconds"]
                med[f"{lib}_seconds_to"] = "not reached" if sec is None else f"{sec:.2f} s"
                med[f"{lib}_steps"] = target[f"{lib}_steps"]
        if target.get("ratio_pykan") is not None:
            med["ratio"] = f"{target['ratio_pykan']:.1f}"
        rows.append(med)
        tcols = [("seed", "seed"), ("lecturenn", "lecturenn_seconds_to"),
                 ("steps", "lecturenn_steps")]
        if "pykan_seconds" in target:
            tcols += [("pykan fit", "pykan_seconds_to"), ("steps", "pykan_steps"),
                      ("ratio", "ratio")]
        print_table(f"{target['name']}: seconds and LBFGS steps (20 iterations each) to the "
                    "target", rows, tcols)
        path = write_json("kan_step", {"benchmark": "kan_step", "environment": env,
                                       "cases": cases, "to_target": target}, suffix)
        print(f"  -> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")

    print(f"\n{len(failed)} case(s) below goal" + (": " + "; ".join(failed) if failed else ""))
    print(f"total time {time.perf_counter() - t_start:.0f} s")

    if (not suffix.startswith(".openblas_unset") and not args.no_openblas_compare
            and any(os.environ.get(k) for k in OPENBLAS_VARS)):
        print("\nOPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set: rerunning with both UNSET "
              "in a subprocess (files *.openblas_unset.json) to compare")
        env2 = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        env2["LECTURENN_BENCH_UNSET"] = "1"
        cmd = [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])]
        subprocess.run(cmd, env=env2, check=False)
    # below-goal cases are reported, not an error: a benchmark is not a test
    return 0


if __name__ == "__main__":
    sys.exit(main())
