"""Saving and loading network weights as ``.npz`` files, without pickle.

The file holds one array per parameter, under the parameter's name (``"layers.0.W"``,
...), plus the architecture as a JSON string under ``"__architecture__"`` (a numpy
unicode scalar, so ``numpy.load(path, allow_pickle=False)`` reads everything), and the
Boolean mask of every pruned parameter (:attr:`lecturenn.parameter.Parameter.mask`, slide
«Прореживание сети (OBD)») under ``"__mask__.<name>"``. Loading
checks the file against the model first (the architecture, then the names, shapes and
dtypes of the arrays) and changes nothing unless everything matches.

**A file is untrusted input.** It may be truncated, empty, bit-flipped, an ``.npy`` file
renamed, or written by someone else. Reading it never unpickles and never allocates more
than the archive holds: the size that each array's header claims is compared with its member
of the archive before anything is read (a stored member holds exactly its bytes, a deflated
one at most the 1032:1 that deflate can reach), and the zip checksums catch flipped bits.
Every defect is a ``ValueError`` that names the file (a missing file, a directory or a file
without read permission is the ``OSError`` of the path). :func:`load` then checks the
stored architecture (its entries and their types, and the shapes it implies, through the
model class's ``parameter_shapes``) against the stored arrays **before** it builds
anything: a record that claims ``Dense(100000, 100000)`` next to a 3×3 array is refused,
not allocated.

This module knows no model class: a model class registers itself with :func:`register_model`
under the ``"format"`` of its config (``lecturenn.network.Network`` does, as
``"lecturenn.Network"``), and :func:`load` rebuilds what the stored config names. So
``lecturenn.network`` imports this module and not the other way round.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from lecturenn._validation import check_rng, describe
from lecturenn.parameter import load_arrays

__all__ = ["save", "load_into", "load", "register_model", "MODEL_FORMATS", "ARCHITECTURE_KEY",
           "MASK_PREFIX"]

#: the key of the JSON architecture inside the ``.npz`` file
ARCHITECTURE_KEY = "__architecture__"

#: the prefix of the key of a parameter's mask (``"__mask__.layers.0.W"``)
MASK_PREFIX = "__mask__."


def _path(path) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if not p.name or str(path).endswith(("/", os.sep)):
        raise ValueError(f"path must name a file, got {str(path)!r}")
    return p if p.suffix == ".npz" else p.with_name(p.name + ".npz")


#: model classes by the ``"format"`` entry of their config (see :func:`register_model`)
MODEL_FORMATS: dict[str, type] = {}


def register_model(fmt: str):
    """Class decorator: make a model class savable and loadable under the config format ``fmt``.

    The class must have ``config()`` (a JSON-serialisable dict whose ``"format"`` is
    ``fmt``), a class method ``from_config(cfg, rng=...)`` and ``named_parameters()``.
    It should also have a class method ``parameter_shapes(cfg)`` returning the parameters'
    names and shapes that ``from_config(cfg)`` would create, without creating them (or
    ``None`` if it cannot tell): :func:`load` compares them with the file's arrays before it
    builds the model (see :meth:`lecturenn.network.Network.parameter_shapes`).
    """
    if not isinstance(fmt, str) or not fmt:
        raise TypeError(f"fmt of register_model must be a non-empty str, got {describe(fmt)}")

    def deco(cls):
        missing = [m for m in ("config", "from_config", "named_parameters")
                   if not callable(getattr(cls, m, None))]
        if not isinstance(cls, type) or missing:
            raise TypeError(f"register_model({fmt!r}) decorates a model class with config(), "
                            f"from_config() and named_parameters(), got {describe(cls)}"
                            + (f" without {missing}" if isinstance(cls, type) else ""))
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
    arrays = {name: param.data for name, param in _named_arrays(net)}
    if ARCHITECTURE_KEY in arrays:  # pragma: no cover - names are layers.<i>.<name>
        raise ValueError(f"a parameter may not be named {ARCHITECTURE_KEY!r}")
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(cfg))
    for name, param in net.named_parameters():
        if param.mask is not None:
            arrays[MASK_PREFIX + name] = param.mask
    with open(p, "wb") as fh:
        np.savez(fh, **arrays)
    return p


class _Damaged(ValueError):
    """A defect of a weights file (the message names the file)."""


#: the largest ratio of uncompressed to compressed size that deflate can reach (about
#: 1032:1); a member claiming more is damaged or hostile
_MAX_DEFLATE_RATIO = 1032


def _damaged(p: Path, what: str) -> _Damaged:
    return _Damaged(f"{str(p)!r} is not a lecturenn weights file (an .npz archive written "
                    f"by lecturenn.save), or it is damaged: {what}")


def _read(path) -> tuple[Path, dict[str, np.ndarray]]:
    """The arrays of the archive at ``path`` by name, each checked before it is read."""
    p = _path(path)
    if not p.exists():
        raise FileNotFoundError(f"no weights file {str(p)!r}")
    with open(p, "rb") as fh:  # a directory or a missing permission: the OSError of the path
        head = fh.read(6)
        if head.startswith(b"\x93NUMPY"):
            raise ValueError(str(_damaged(p, "it is an .npy file (one array, as numpy.save "
                                             "writes), not an .npz archive")))
        if not head.startswith(b"PK"):
            raise ValueError(str(_damaged(p, "the file is empty" if not head
                                          else "it is not a zip archive")))
        fh.seek(0)
        size = os.fstat(fh.fileno()).st_size
        try:
            with zipfile.ZipFile(fh) as zf:
                return p, _members(zf, p, size)
        except _Damaged as exc:
            raise ValueError(str(exc)) from None
        except Exception as exc:  # BadZipFile, EOFError, zlib.error, a bad .npy header, ...
            raise ValueError(str(_damaged(p, f"{type(exc).__name__}: {exc}"))) from exc


def _members(zf: zipfile.ZipFile, p: Path, size: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for info in zf.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise _damaged(p, f"the member {name!r} is not an .npy array")
        key = name[:-4]
        if key in out:
            raise _damaged(p, f"the array {key!r} is stored twice")
        if info.compress_type == zipfile.ZIP_STORED:
            bound = info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            bound = _MAX_DEFLATE_RATIO * info.compress_size
        else:
            raise _damaged(p, f"the array {key!r} is compressed by method "
                              f"{info.compress_type} (only stored or deflated arrays are read)")
        if info.compress_size > size or info.file_size > bound:
            raise _damaged(p, f"the array {key!r} claims {info.file_size} bytes, more than the "
                              f"archive of {size} bytes can hold")
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
            else:
                raise _damaged(p, f"the array {key!r} has .npy format version {version}")
            if dtype.hasobject:
                raise _damaged(p, f"the array {key!r} holds Python objects (it needs pickle)")
            nbytes = math.prod(shape) * dtype.itemsize
            if any(d < 0 for d in shape) or nbytes != info.file_size - member.tell():
                raise _damaged(p, f"the array {key!r} claims shape {shape} of {dtype} "
                                  f"({nbytes} bytes), but its member holds "
                                  f"{info.file_size - member.tell()} bytes")
            buf = member.read(nbytes)
            member.read()  # to the end of the member: the zip checksum is verified here
        if len(buf) != nbytes:
            raise _damaged(p, f"the array {key!r} is truncated")
        arr = np.frombuffer(buf, dtype=dtype).reshape(shape, order="F" if fortran else "C")
        out[key] = arr
    return out


def _stored_config(data: dict, p: Path) -> dict | None:
    if ARCHITECTURE_KEY not in data:
        return None
    arr = data[ARCHITECTURE_KEY]
    if arr.dtype.kind != "U" or arr.shape != ():
        raise ValueError(str(_damaged(p, f"its {ARCHITECTURE_KEY!r} entry must be a JSON "
                                         f"string, got {describe(arr)}")))
    try:
        return json.loads(str(arr))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"the architecture stored in {str(p)!r} is not valid JSON: "
                         f"{type(exc).__name__}: {exc}") from exc


def _shape_problems(shapes: dict, arrays: dict, optional=()) -> list[str]:
    """How the arrays of a file differ from the parameter shapes of its architecture
    (the names in ``optional`` may be missing)."""
    problems = []
    missing = [k for k in shapes if k not in arrays and k not in optional]
    extra = sorted(k for k in arrays if k not in shapes)
    if missing:
        problems.append(f"missing in the file: {missing}")
    if extra:
        problems.append(f"not in the architecture: {extra}")
    problems += [f"{k}: shape {arrays[k].shape} in the file, {shape} in the architecture"
                 for k, shape in shapes.items() if k in arrays and arrays[k].shape != shape]
    return problems


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
    p, data = _read(path)
    _load_checked(net, p, data, _stored_config(data, p))


def _split_masks(data: dict) -> tuple[dict, dict]:
    """The parameter arrays and the masks (by parameter name) of a file's arrays."""
    arrays = {k: v for k, v in data.items()
              if k != ARCHITECTURE_KEY and not k.startswith(MASK_PREFIX)}
    masks = {k[len(MASK_PREFIX):]: v for k, v in data.items() if k.startswith(MASK_PREFIX)}
    return arrays, masks


def _mask_problems(named, masks: dict) -> list[str]:
    """How the stored masks differ from the model's parameters (names, shapes, dtype)."""
    shapes = {name: p.data.shape for name, p in named}
    problems = []
    for name, m in masks.items():
        if name not in shapes:
            problems.append(f"a mask for {name!r}, which is not a parameter of the model")
        elif m.dtype != np.bool_:
            problems.append(f"the mask of {name} has dtype {m.dtype}, not bool")
        elif m.shape != shapes[name]:
            problems.append(f"the mask of {name} has shape {m.shape}, the parameter "
                            f"{shapes[name]}")
    return problems


def _load_checked(net, p: Path, data: dict, cfg) -> None:
    """Compare the stored architecture with ``net.config()``, then copy the arrays in."""
    where = f"the weights file {str(p)!r}"
    data, masks = _split_masks(data)
    if cfg is not None:
        diff = _config_diff(cfg, _json_config(net))
        if diff:
            raise ValueError(f"{where} holds another architecture than the model (nothing was "
                             "loaded): " + "; ".join(diff))
    named = net.named_parameters()
    problems = _mask_problems(named, masks)
    if problems:
        raise ValueError(f"{where} does not match the model (nothing was loaded): "
                         + "; ".join(problems))
    # the file's masks replace the model's (none: unpruned), so the old ones are not applied
    load_arrays(_named_arrays(net), data, "file", what=where, apply_masks=False,
                optional=_legacy_names(type(net), _json_config(net)))
    for name, param in named:
        param.set_mask(masks.get(name))


def _legacy_names(cls, cfg) -> list[str]:
    """The arrays that older files of ``cfg`` may lack (the model class's
    ``legacy_array_names``, if it has one)."""
    names_of = getattr(cls, "legacy_array_names", None)
    return [] if names_of is None else names_of(cfg)


def _named_arrays(net) -> list:
    """What a file holds: the parameters, then the buffers (running statistics) if any."""
    named = getattr(net, "named_arrays", None)
    return named() if callable(named) else net.named_parameters()


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

    Raises
    ------
    ValueError
        If the file is damaged (truncated, empty, bit-flipped, not an ``.npz`` archive), its
        architecture is not valid (an unknown entry, a width that is not an int ``>= 1``,
        ...) or does not match its arrays (names, shapes, dtypes), or an array is not
        finite. The message names the file; nothing is built from a record that does not
        match its arrays.
    OSError
        If the path cannot be read (no such file, a directory, no permission).

    Notes
    -----
    A file may lack the buffers that the model class names in ``legacy_array_names`` (the
    ``num_batches_tracked`` of a :class:`~lecturenn.batchnorm.BatchNorm`, which files saved
    before it existed do not hold): they keep the values of the network just built (a
    count of 0, as PyTorch gives an old ``BatchNorm`` state dict); :func:`load_into` keeps
    the model's own.
    """
    gen = check_rng(rng)  # the caller's argument: its error is not the file's
    p, data = _read(path)
    cfg = _stored_config(data, p)
    if cfg is None:
        raise ValueError(f"{str(p)!r} holds no architecture ({ARCHITECTURE_KEY!r}); "
                         "build the network yourself and use load_into(net, path)")
    fmt = cfg.get("format") if isinstance(cfg, dict) else None
    cls = MODEL_FORMATS.get(fmt) if isinstance(fmt, str) else None
    if cls is None:
        raise ValueError(f"the architecture stored in {str(p)!r} has the format "
                         f"{describe(fmt)}; known formats: {sorted(MODEL_FORMATS)}")
    shapes_of = getattr(cls, "parameter_shapes", None)
    try:
        shapes = None if shapes_of is None else shapes_of(cfg)
        if shapes is not None:
            problems = _shape_problems(shapes, _split_masks(data)[0], _legacy_names(cls, cfg))
            if problems:
                raise ValueError("the arrays do not match it: " + "; ".join(problems))
        net = cls.from_config(cfg, rng=gen)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the architecture stored in {str(p)!r} is not valid (nothing was "
                         f"built): {exc}") from exc
    _load_checked(net, p, data, cfg)
    return net
