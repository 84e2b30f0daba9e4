"""Saving and loading network weights as ``.npz`` files, without pickle.

The file holds one array per parameter, under the parameter's name (``"layers.0.W"``,
...), plus the architecture as a JSON string under ``"__architecture__"`` (a numpy
unicode scalar, so ``numpy.load(path, allow_pickle=False)`` reads everything). Loading
checks the file against the model first (the architecture, then the names, shapes and
dtypes of the arrays) and changes nothing unless everything matches.

This module knows no model class: a model class registers itself with :func:`register_model`
under the ``"format"`` of its config (``lecturenn.network.Network`` does, as
``"lecturenn.Network"``), and :func:`load` rebuilds what the stored config names. So
``lecturenn.network`` imports this module and not the other way round.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from lecturenn._validation import describe
from lecturenn.parameter import load_arrays

__all__ = ["save", "load_into", "load", "register_model", "MODEL_FORMATS", "ARCHITECTURE_KEY"]

#: the key of the JSON architecture inside the ``.npz`` file
ARCHITECTURE_KEY = "__architecture__"


def _path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


#: model classes by the ``"format"`` entry of their config (see :func:`register_model`)
MODEL_FORMATS: dict[str, type] = {}


def register_model(fmt: str):
    """Class decorator: make a model class savable and loadable under the config format ``fmt``.

    The class must have ``config()`` (a JSON-serialisable dict whose ``"format"`` is
    ``fmt``), a class method ``from_config(cfg, rng=...)`` and ``named_parameters()``.
    """
    def deco(cls):
        MODEL_FORMATS[fmt] = cls
        return cls
    return deco


def _model_names() -> str:
    return " or ".join(f"{c.__module__}.{c.__qualname__}" for c in MODEL_FORMATS.values())


def _model(net, where: str):
    """The registered class of ``net``, or a TypeError naming what was expected."""
    for cls in MODEL_FORMATS.values():
        if isinstance(net, cls):
            return cls
    raise TypeError(f"net of {where} must be a {_model_names()}, got {describe(net)}")


def _json_config(net) -> dict:
    """``net.config()`` as it reads back from the file (tuples become lists, and so on)."""
    return json.loads(json.dumps(net.config()))


def save(net, path) -> Path:
    """Write the weights and the architecture of ``net`` to ``path`` (``.npz`` appended if missing).

    Parameters
    ----------
    net : lecturenn.network.Network
        The network; its layers and activations must be ones that :func:`load` can
        rebuild (a custom activation registered in
        :data:`lecturenn.activations.ACTIVATIONS`, a custom layer with
        :func:`lecturenn.layers.register_layer`).
    path : str or os.PathLike
        The file; ``.npz`` is appended if the name does not end with it.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ValueError
        If :func:`load` could not rebuild the architecture (then nothing is written).
    """
    model = _model(net, "save")
    p = _path(path)
    cfg = _json_config(net)
    try:
        model.from_config(cfg)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"cannot save {net!r}: load() could not rebuild its architecture ({exc}); register "
            "a custom activation in lecturenn.activations.ACTIVATIONS under its name, and a "
            "custom layer with lecturenn.layers.register_layer"
        ) from exc
    arrays = {name: param.data for name, param in net.named_parameters()}
    if ARCHITECTURE_KEY in arrays:  # pragma: no cover - names are layers.<i>.<name>
        raise ValueError(f"a parameter may not be named {ARCHITECTURE_KEY!r}")
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(cfg))
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


def _stored_config(data: dict, path) -> dict | None:
    if ARCHITECTURE_KEY not in data:
        return None
    try:
        return json.loads(str(data[ARCHITECTURE_KEY]))
    except json.JSONDecodeError as exc:
        raise ValueError(f"the architecture stored in {str(_path(path))!r} is not valid JSON: "
                         f"{exc}") from exc


def _config_diff(saved, model, where: str = "") -> list[str]:
    """The differences of two configs, each as ``"<where>: <saved> in the file, ..."``."""
    both_dicts = isinstance(saved, dict) and isinstance(model, dict)
    if both_dicts and all(saved.get(k) == model.get(k) for k in ("name", "type")):
        out = []  # the same kind of activation or layer: compare entry by entry
        for key in sorted(set(saved) | set(model), key=str):
            at = f"{where}.{key}" if where else str(key)
            if key not in saved:
                out.append(f"{at}: absent in the file, {model[key]!r} in the model")
            elif key not in model:
                out.append(f"{at}: {saved[key]!r} in the file, absent in the model")
            else:
                out += _config_diff(saved[key], model[key], at)
        return out
    if isinstance(saved, list) and isinstance(model, list):
        if len(saved) != len(model):
            return [f"{where}: {len(saved)} in the file, {len(model)} in the model"]
        return [d for i, (a, b) in enumerate(zip(saved, model, strict=True))
                for d in _config_diff(a, b, f"{where}[{i}]")]
    return [] if saved == model else [f"{where}: {saved!r} in the file, {model!r} in the model"]


def load_into(net, path) -> None:
    """Load weights saved by :func:`save` into ``net`` in place (the Parameter objects stay).

    Parameters
    ----------
    net : lecturenn.network.Network
        The network to fill; its architecture must be the one stored in the file (if the
        file stores one).
    path : str or os.PathLike
        A file written by :func:`save` (``.npz`` appended if missing).

    Raises
    ------
    ValueError
        If the architecture stored in the file differs from ``net.config()`` (a width, an
        activation, the dtype: every difference is named), or the file's parameter names
        differ from the model's (missing or extra names), a shape differs, a dtype differs,
        or a value is not finite. Nothing is loaded in that case.
    """
    _model(net, "load_into")
    data = _read(path)
    where = f"the weights file {str(_path(path))!r}"
    cfg = _stored_config(data, path)
    data.pop(ARCHITECTURE_KEY, None)
    if cfg is not None:
        diff = _config_diff(cfg, _json_config(net))
        if diff:
            raise ValueError(f"{where} holds another architecture than the model (nothing was "
                             "loaded): " + "; ".join(diff))
    load_arrays(net.named_parameters(), data, "file", what=where)


def load(path, rng=0):
    """Rebuild a model (a :class:`lecturenn.network.Network`) from a file written by :func:`save`.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save` (``.npz`` appended if missing).
    rng : numpy.random.Generator or int, optional
        Only used to initialise the network before the stored weights overwrite every
        parameter, so it does not change the result.

    Returns
    -------
    lecturenn.network.Network
        The network with the stored architecture and weights (generally: an instance of the
        class registered with :func:`register_model` under the stored config's format).
    """
    data = _read(path)
    cfg = _stored_config(data, path)
    if cfg is None:
        raise ValueError(f"{str(_path(path))!r} holds no architecture ({ARCHITECTURE_KEY!r}); "
                         "build the network yourself and use load_into(net, path)")
    fmt = cfg.get("format") if isinstance(cfg, dict) else None
    cls = MODEL_FORMATS.get(fmt) if isinstance(fmt, str) else None
    if cls is None:
        raise ValueError(f"the architecture stored in {str(_path(path))!r} has the format "
                         f"{fmt!r}; known formats: {sorted(MODEL_FORMATS)}")
    net = cls.from_config(cfg, rng=rng)
    load_into(net, path)
    return net
