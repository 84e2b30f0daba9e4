"""Shared machinery of the benchmarks: threads, environment report, fair timing, output.

Fairness rules (the same for every benchmark):

- lecturenn and the reference (PyTorch on the CPU) run in the same process, on the same
  data, from the same initial values, with the same dtype;
- torch gets as many intra-op threads as numpy's BLAS uses (read with threadpoolctl);
- after a warm-up, the two sides alternate in blocks (A B A B ...), so a slow phase of the
  machine hits both; every step is timed on its own and the median is reported.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "_build" / "bench"
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def blas_info() -> dict:
    """numpy's BLAS: library, kernel (architecture) and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"source": "os.cpu_count() (threadpoolctl not installed)",
                "num_threads": os.cpu_count() or 1}
    numpy_dir = str(Path(np.__file__).resolve().parent.parent)
    blas = [d for d in threadpool_info() if d.get("user_api") == "blas"]
    # prefer the BLAS that numpy itself loaded (numpy.libs/ next to numpy/)
    mine = [d for d in blas if d.get("filepath", "").startswith(numpy_dir)
            and "numpy" in d.get("filepath", "")]
    pick = (mine or blas or [None])[0]
    if pick is None:
        return {"source": "os.cpu_count() (no BLAS seen by threadpoolctl)",
                "num_threads": os.cpu_count() or 1}
    return {
        "source": "threadpoolctl",
        "library": pick.get("internal_api"),
        "version": pick.get("version"),
        "architecture": pick.get("architecture"),
        "threading_layer": pick.get("threading_layer"),
        "num_threads": int(pick.get("num_threads") or 1),
        "filepath": Path(pick.get("filepath", "")).name,
    }


def setup_torch(threads: int):
    """Import torch, give it ``threads`` intra-op threads, no autograd anomaly checks."""
    try:
        import torch
    except ImportError as exc:
        raise SystemExit(
            "the benchmarks compare against PyTorch: pip install 'lecturenn[torch]'"
        ) from exc
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    return torch


def environment(torch, blas: dict) -> dict:
    import lecturenn

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "lecturenn": getattr(lecturenn, "__version__", "unknown"),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "blas": blas,
        "openblas_env": {k: os.environ.get(k) for k in OPENBLAS_VARS},
        "load_average_at_start": list(os.getloadavg()),
        "openblas_env_unset_by_runner": os.environ.get("LECTURENN_BENCH_UNSET") == "1",
    }


def time_alternating(
    fns: dict[str, Callable[[], object]],
    *,
    budget: float = 1.0,
    min_steps: int = 30,
    max_steps: int = 20000,
    warmup: int = 5,
    block_seconds: float = 0.05,
    max_seconds: float | None = None,
    pause: float = 0.005,
) -> dict[str, dict]:
    """Median seconds per call of each function, measured in alternating blocks.

    Each function gets ``warmup`` untimed calls, then about ``budget`` seconds of timed
    calls (at least ``min_steps``), in blocks of about ``block_seconds`` that alternate
    between the functions. Every call is timed on its own with ``perf_counter``. On a busy
    machine the estimate can be far off; the timing then stops after ``max_seconds`` of
    wall time (default ``2.5 * budget * len(fns)``) once every function has ``min_steps``.
    Besides the median, the 10th percentile ``p10`` is returned: on a busy machine, where
    other processes steal the cores in the middle of a multi-threaded call, the median
    measures the machine's load as much as the code, and ``p10`` is the steadier number.
    """
    if max_seconds is None:
        max_seconds = 2.5 * budget * len(fns)
    names = list(fns)
    est = {}
    for name in names:
        f = fns[name]
        for _ in range(warmup):
            f()
        t0 = time.perf_counter()
        f()
        est[name] = max(time.perf_counter() - t0, 1e-7)
    per_block = {n: max(1, int(block_seconds / est[n])) for n in names}
    total = {n: int(min(max(budget / est[n], min_steps), max_steps)) for n in names}
    times: dict[str, list[float]] = {n: [] for n in names}
    done = dict.fromkeys(names, 0)
    clock = time.perf_counter
    t_begin = clock()
    while any(done[n] < total[n] for n in names):
        if clock() - t_begin > max_seconds and all(done[n] >= min_steps for n in names):
            break
        for n in names:
            if done[n] >= total[n]:
                continue
            f = fns[n]
            k = min(per_block[n], total[n] - done[n])
            rec = times[n]
            # hand the cores over: the other library's worker threads (OpenBLAS pthreads,
            # torch's OpenMP team) spin for a while after their last call; a short pause and
            # two untimed calls keep that spinning out of this block's timings
            time.sleep(pause)
            f()
            f()
            block_end = clock() + 4 * block_seconds   # a stalled block stops early
            for j in range(k):
                t0 = clock()
                f()
                t1 = clock()
                rec.append(t1 - t0)
                if t1 > block_end:
                    k = j + 1
                    break
            done[n] += k
    out = {}
    for n in names:
        t = sorted(times[n])
        q = statistics.quantiles(t, n=4) if len(t) >= 4 else [t[0], t[len(t) // 2], t[-1]]
        p10 = statistics.quantiles(t, n=10)[0] if len(t) >= 10 else t[0]
        out[n] = {"median": statistics.median(t), "q1": q[0], "q3": q[2], "p10": p10,
                  "steps": len(t)}
    return out


def fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:7.1f} µs"
    if s < 1:
        return f"{s * 1e3:7.2f} ms"
    return f"{s:7.2f} s "


def print_table(title: str, cases: list[dict], columns: list[tuple[str, str]]) -> None:
    """Print ``cases`` as an aligned text table (columns: (header, key))."""
    rows = []
    for c in cases:
        row = []
        for _, key in columns:
            v = c.get(key, "")
            if key.endswith("_seconds"):
                v = fmt_seconds(v)
            elif key in ("ratio", "ratio_p10", "ratio_bound") and not isinstance(v, str):
                v = f"{v:.2f}"
            elif key == "goal":
                v = f"≥ {v:g}"
            elif isinstance(v, bool):
                v = "yes" if v else "NO"
            row.append(str(v))
        rows.append(row)
    heads = [h for h, _ in columns]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))
    print(f"\n{title}")
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    sys.stdout.flush()


def write_json(name: str, payload: dict, suffix: str = "") -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"{name}{suffix}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path
