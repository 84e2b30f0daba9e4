"""Saving and loading network weights as ``.npz`` files, without pickle.

The file holds one array per parameter, under the parameter's name (``"layers.0.W"``,
...), plus the architecture as a JSON string under ``"__architecture__"`` (a numpy
unicode scalar, so ``numpy.load(path, allow_pickle=False)`` reads everything). Loading
checks the file against the model first (names, shapes, dtypes) and changes nothing
unless everything matches.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["save", "load_into", "load", "ARCHITECTURE_KEY"]

#: the key of the JSON architecture inside the ``.npz`` file
ARCHITECTURE_KEY = "__architecture__"


def _path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


def save(net, path) -> Path:
    """Write the weights and the architecture of ``net`` to ``path`` (``.npz`` appended if missing).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    p = _path(path)
    arrays = {name: param.data for name, param in net.named_parameters().items()}
    if ARCHITECTURE_KEY in arrays:  # pragma: no cover - names are layers.<i>.<name>
        raise ValueError(f"a parameter may not be named {ARCHITECTURE_KEY!r}")
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(net.config()))
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    return p


def _read(path) -> dict[str, np.ndarray]:
    p = _path(path)
    if not p.exists():
        raise FileNotFoundError(f"no weights file {str(p)!r}")
    try:
        with np.load(p, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except ValueError as exc:
        raise ValueError(f"{str(p)!r} is not a lecturenn weights file "
                         f"(it needs pickle or is damaged): {exc}") from exc


def load_into(net, path) -> None:
    """Load weights saved by :func:`save` into ``net`` in place (the Parameter objects stay).

    Raises
    ------
    ValueError
        If the file's parameter names differ from the model's (missing or extra names), a
        shape differs, or a dtype differs. Nothing is loaded in that case.
    """
    data = _read(path)
    data.pop(ARCHITECTURE_KEY, None)
    named = net.named_parameters()
    missing = sorted(set(named) - set(data))
    extra = sorted(set(data) - set(named))
    problems = []
    if missing:
        problems.append(f"missing in the file: {missing}")
    if extra:
        problems.append(f"not in the model: {extra}")
    for name in sorted(set(named) & set(data)):
        want, got = named[name].data, data[name]
        if got.shape != want.shape:
            problems.append(f"{name}: shape {got.shape} in the file, {want.shape} in the model")
        elif got.dtype != want.dtype:
            problems.append(f"{name}: dtype {got.dtype} in the file, {want.dtype} in the model")
    if problems:
        raise ValueError(f"the weights file {str(_path(path))!r} does not match the model "
                         "(nothing was loaded): " + "; ".join(problems))
    for name, param in named.items():
        param.data[...] = data[name]


def load(path, rng=0):
    """Rebuild a :class:`lecturenn.network.Network` from a file written by :func:`save`."""
    from lecturenn.network import Network

    data = _read(path)
    if ARCHITECTURE_KEY not in data:
        raise ValueError(f"{str(_path(path))!r} holds no architecture ({ARCHITECTURE_KEY!r}); "
                         "build the network yourself and use load_into(net, path)")
    try:
        cfg = json.loads(str(data[ARCHITECTURE_KEY]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the architecture stored in {str(_path(path))!r} is not valid JSON: "
                         f"{exc}") from exc
    net = Network.from_config(cfg, rng=rng)
    load_into(net, path)
    return net
