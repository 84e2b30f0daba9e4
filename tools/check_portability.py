"""Run the suite under other CPU kernels and thread counts, as another machine would.

    python tools/check_portability.py                 # nbval over every chapter notebook
    python tools/check_portability.py --unit          # the unit tests too (slower)
    python tools/check_portability.py book/kan.ipynb  # some notebooks or test files only

A result that is the same on this machine run after run can still differ on another one:
NumPy's OpenBLAS picks its kernels by the CPU model, PyTorch picks its vector code by the CPU's
capability, and sums split across threads are added in another order. Each of these can be
forced on one machine, so this script runs the same pytest command once per setting below and
reports which setting failed what. A test or a stored notebook output that passes under every
setting does not depend on these choices. It is a tool for authors (``make portability``), not
a stage of ``make test``: it runs the suite several times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, environment). OPENBLAS_CORETYPE forces OpenBLAS's kernels (Prescott: SSE3 only,
# Haswell: AVX2, SkylakeX: AVX-512); ATEN_CPU_CAPABILITY forces PyTorch's vector code
# (default: no explicit vectors); the thread counts change how BLAS splits its sums.
SETTINGS: list[tuple[str, dict[str, str]]] = [
    ("as is, 2 threads", {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}),
    ("1 thread", {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}),
    ("SSE3 kernels, torch scalar", {"OPENBLAS_CORETYPE": "Prescott",
                                    "ATEN_CPU_CAPABILITY": "default"}),
    ("AVX2 kernels, torch avx2", {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"}),
    ("AVX-512 kernels, 1 thread", {"OPENBLAS_CORETYPE": "SkylakeX",
                                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="test files or notebooks (default: book/)")
    parser.add_argument("--unit", action="store_true", help="also run tests/")
    args = parser.parse_args(argv)
    paths = args.paths or (["book", "tests"] if args.unit else ["book"])
    # notebooks and unit tests in separate pytest runs, as `make test` runs them (in one run,
    # a unit test that draws with matplotlib changes what nbval sees in the notebooks)
    notebooks = [p for p in paths if p == "book" or p.endswith(".ipynb")]
    groups = [g for g in (notebooks, [p for p in paths if p not in notebooks]) if g]
    failed = []
    for name, extra in SETTINGS:
        env = {k: v for k, v in os.environ.items()
               if k not in ("OPENBLAS_CORETYPE", "ATEN_CPU_CAPABILITY")}
        env.update(extra)
        for group in groups:
            cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *group]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
            tail = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
            print(f"{name:28s} {' '.join(group)[:24]:24s} {time.perf_counter() - t0:6.0f} s  "
                  f"{tail}", flush=True)
            if proc.returncode != 0:
                failed.append(f"{name}: {' '.join(group)}")
                print(proc.stdout[-4000:], proc.stderr[-2000:], sep="\n")
    print("portability check " + ("passed" if not failed else f"FAILED under: {failed}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
