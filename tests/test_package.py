"""The package as a user meets it: what `import lecturenn` gives and what it costs."""

import subprocess
import sys
import tomllib
from pathlib import Path

import lecturenn

ROOT = Path(__file__).resolve().parents[1]


def test_import_needs_numpy_only():
    code = (
        "import sys, lecturenn\n"
        "heavy = [m for m in ('sympy', 'matplotlib', 'torch', 'sklearn', 'scipy', 'IPython')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import lecturenn pulled in: {out.stdout.strip()}"


def test_modules_are_attributes_and_heavy_ones_load_on_first_use():
    code = (
        "import sys, lecturenn as ln\n"
        "assert ln.data.xor()[0].shape[1] == 2 and ln.optim.Adam and ln.testfunctions\n"
        "assert 'matplotlib' not in sys.modules and 'sympy' not in sys.modules\n"
        "assert callable(ln.plotting.plot_decision_regions)  # matplotlib: only when drawing\n"
        "assert ln.derivations.backprop and 'sympy' in sys.modules\n"
        "assert {'plotting', 'derivations', 'data'} <= set(dir(ln))\n"
        "try:\n"
        "    ln.no_such_module\n"
        "except AttributeError as e:\n"
        "    assert 'no_such_module' in str(e)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_all_names_exist_and_version_matches_pyproject():
    for name in lecturenn.__all__:
        assert hasattr(lecturenn, name), name
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert lecturenn.__version__ == meta["project"]["version"]


def test_runtime_dependencies_are_numpy_and_sympy_with_lower_bounds_only():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert sorted(d.split(">=")[0] for d in deps) == ["numpy", "sympy"]
    assert all(">=" in d and "<" not in d and "==" not in d for d in deps)


def test_top_level_exports_every_activation_and_evaluate():
    from lecturenn.activations import Identity, LeakyReLU
    from lecturenn.training import evaluate

    assert lecturenn.LeakyReLU is LeakyReLU and lecturenn.Identity is Identity
    assert lecturenn.evaluate is evaluate
    assert {"LeakyReLU", "Identity", "evaluate"} <= set(lecturenn.__all__)
