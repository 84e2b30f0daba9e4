"""Checks of user input shared by all modules.

Every public function of :mod:`lecturenn` validates what it is given and raises an
exception that names the argument, the value (or its shape) and what was expected.
Nothing is silently clipped or coerced.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "all_finite",
    "first_nonfinite",
    "check_finite",
    "nonfinite_parameter",
    "check_parameters_finite",
    "as_float_array",
    "as_batch",
    "as_binary_array",
    "check_shape",
    "check_layer_array",
    "check_config_entries",
    "check_int",
    "check_int_sequence",
    "check_real",
    "check_bool",
    "check_positive",
    "check_in_range",
    "check_rng",
    "check_float_dtype",
    "check_numeric_dtype",
    "check_choice",
    "check_callable",
    "check_file_like",
    "check_kwargs",
    "describe",
    "lookup",
]


def describe(value) -> str:
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


#: below this many entries counting ``numpy.isfinite(arr)`` is the faster test; above it, one
#: BLAS dot product (two to three times faster on large arrays, no Boolean temporary)
_DOT_FROM = 8192


def all_finite(arr: np.ndarray) -> bool:
    r"""True iff every entry of the numeric array ``arr`` is finite (no NaN, no infinity).

    Integer and Boolean arrays are always finite. A small floating array is tested by
    ``numpy.count_nonzero(numpy.isfinite(arr)) == arr.size`` (half the time of
    ``numpy.isfinite(arr).all()`` on a batch of 64 numbers); a large one by the sum of
    squares :math:`\sum_j x_j^2`
    (one BLAS dot product), which is finite exactly when every entry is, unless the squares
    overflow (entries above about :math:`10^{154}` in float64), and only then are the
    entries looked at one by one.
    """
    kind = arr.dtype.kind
    if kind not in "fc":
        return True
    if arr.size < _DOT_FROM or kind == "c":
        return np.count_nonzero(np.isfinite(arr)) == arr.size
    flat = arr.reshape(-1)
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.dot(flat, flat)
    return math.isfinite(total) or bool(np.isfinite(arr).all())


def first_nonfinite(arr: np.ndarray):
    """``(index, value)`` of the first NaN or infinity of ``arr`` (C order), or ``None``."""
    if all_finite(arr):
        return None
    idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
    return idx, arr[idx]


def check_finite(name: str, arr: np.ndarray) -> np.ndarray:
    """A ``ValueError`` naming ``name``, the value and its index if ``arr`` holds NaN or inf."""
    bad = first_nonfinite(arr)
    if bad is not None:
        idx, value = bad
        raise ValueError(f"{name} must be finite, got {value} at index {idx}")
    return arr


def nonfinite_parameter(params) -> str | None:
    """A description of the first parameter (anything with ``.name`` and ``.data``) holding
    NaN or infinity, e.g. ``"parameter 'layers.0.W' holds nan at index (0, 1)"``; or ``None``.

    The optimizers and the training loops use it to name the cause when a loss or a gradient
    is not finite, and to check the weights once before the first step.
    """
    for p in params:
        bad = first_nonfinite(np.asarray(p.data))
        if bad is not None:
            idx, value = bad
            return f"parameter {p.name!r} holds {value} at index {idx}"
    return None


def check_parameters_finite(params, where: str) -> None:
    """Raise a ``ValueError`` naming the first parameter that holds NaN or infinity.

    ``where`` says what cannot start from it (``"fit"``, ``"SGD.step"``, ...). One pass over
    every parameter: call it once before a loop, not at every step.
    """
    bad = nonfinite_parameter(params)
    if bad is not None:
        raise ValueError(f"{bad}: {where} needs finite weights (a NaN or an infinity put in "
                         "by hand, or left by an earlier run that diverged)")


def as_float_array(
    name: str,
    value,
    *,
    ndim: int | Sequence[int] | None = None,
    dtype=np.float64,
    allow_empty: bool = False,
    finite: bool = True,
) -> np.ndarray:
    """Convert ``value`` to a floating array, checking its rank and values.

    ``dtype`` is the dtype of the result. ``None`` keeps the dtype of ``value`` (integers
    stay integers, Booleans become integers); ``"floating"`` keeps a floating dtype
    (float32 stays float32) and converts integers and Booleans to float64.

    Raises
    ------
    TypeError
        If ``value`` is not numeric (strings, objects, complex numbers).
    ValueError
        If the rank is not ``ndim``, the array is empty, or it holds NaN/inf.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be a numeric array (rows of equal length), got {describe(value)}"
        ) from exc
    if isinstance(dtype, str) and dtype == "floating":
        dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    if arr.dtype == bool:  # with dtype=None, Booleans become the integers 0 and 1
        arr = arr.astype(np.int64 if dtype is None else dtype)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        shown = describe(value) if isinstance(value, np.ndarray) else (
            f"{describe(value)} (dtype {arr.dtype})")
        raise TypeError(f"{name} must be a real numeric array, got {shown}")
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(d) for d in allowed)
            raise ValueError(
                f"{name} must be a {want}-dimensional array, got shape {arr.shape}"
            )
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite:
        check_finite(name, arr)
    return arr


def as_batch(name: str, X, n_features: int, dtype=None, *, where: str = "",
             owner: str = "the model", finite: bool = True) -> np.ndarray:
    """Check a batch ``X`` of shape ``(n, n_features)`` with ``n >= 1`` for a model of ``dtype``.

    Integers and Booleans are converted to ``dtype``; a floating ``X`` of another dtype is a
    ``TypeError`` (converting float64 data to a float32 model silently would hide a choice
    of precision). ``dtype=None`` accepts any floating dtype. ``where`` names the place in
    the shape error (``"layer 0 (Dense(2, 3, ...))"``), ``owner`` the model in the dtype
    error.
    """
    arr = as_float_array(name, X, dtype=None, allow_empty=True, finite=False)
    if dtype is None:
        dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)
    dtype = np.dtype(dtype)
    if np.issubdtype(arr.dtype, np.floating) and arr.dtype != dtype:
        raise TypeError(
            f"{name} has dtype {arr.dtype} but {owner} has dtype {dtype}; "
            f"convert it explicitly: {name}.astype(np.{dtype})"
        )
    arr = arr.astype(dtype, copy=False)
    if arr.ndim != 2 or arr.shape[1] != n_features:
        place = f" of {where}" if where else ""
        raise ValueError(
            f"{name}{place} must have shape (n, {n_features}), got {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is an empty batch (0 objects)")
    if finite:
        check_finite(name, arr)
    return arr


def as_binary_array(name: str, value, *, ndim: int | Sequence[int] | None = None) -> np.ndarray:
    """Convert ``value`` to an integer array of zeros and ones.

    Booleans and the numbers 0 and 1 are accepted; anything else (2, 0.5, -1) is a
    ``ValueError`` naming the first offending value and its index.
    """
    arr = as_float_array(name, value, ndim=ndim, dtype=None)
    bad = (arr != 0) & (arr != 1)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must be Boolean (0/1 or False/True), got {arr[idx].item()!r} at index {idx}"
        )
    return arr.astype(np.int64)


def _shape_matches(shape: tuple, expected: tuple) -> bool:
    return len(shape) == len(expected) and all(
        e is None or e == s for e, s in zip(expected, shape, strict=False))


def check_shape(name: str, arr: np.ndarray, expected: tuple, *, where: str = "") -> None:
    """Check ``arr.shape`` against ``expected``; ``None`` in ``expected`` matches any size."""
    if not _shape_matches(arr.shape, expected):
        shown = "(" + ", ".join("n" if e is None else str(e) for e in expected)
        shown += ",)" if len(expected) == 1 else ")"
        place = f" in {where}" if where else ""
        raise ValueError(f"{name}{place} must have shape {shown}, got {arr.shape}")


def check_layer_array(name: str, value, expected: tuple, layer, method: str,
                      note: str = "") -> np.ndarray:
    """Check an array given to ``layer.method`` (``forward``, ``backward``) on its hot path.

    ``value`` must be a ``numpy.ndarray`` (a ``TypeError`` naming ``name`` and
    ``<class>.<method>`` otherwise) of shape ``expected`` (``None`` matches any size; a
    ``ValueError`` naming ``name``, ``repr(layer)``, the method, the shape expected and the one
    got, with ``note`` after the place). Nothing is converted, copied or checked for NaN (a
    layer's ``forward`` and ``backward`` trust their values: :class:`lecturenn.network.Network`
    checks a batch at the door), and the layer's ``repr`` is built only for the error.

    Examples
    --------
    >>> check_layer_array("x", np.zeros((2, 3)), (None, 3), "Layer", "forward").shape
    (2, 3)
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} of {type(layer).__name__}.{method} must be a numpy array, got "
                        f"{describe(value)}")
    if not _shape_matches(value.shape, expected):
        check_shape(name, value, expected, where=f"{layer!r}.{method}{note}")
    return value


def check_config_entries(owner: str, cfg, allowed: Sequence[str], required: Sequence[str] = (),
                         *, article: str | None = None) -> None:
    """Check the keys of a config dict ``cfg`` of ``owner`` (``"BatchNorm"``, ``"Network"``).

    Every key must be one of ``allowed`` (a ``ValueError`` lists the entries allowed and the
    others got, so that no weight or argument is smuggled in by a saved record), and every one
    of ``required`` must be there (a ``ValueError`` names the first one missing). ``article``
    starts the first message (``"a"``, ``"an"`` by the owner's first letter, unless given).

    Examples
    --------
    >>> check_config_entries("Dropout", {"n_units": 3}, ("n_units", "p"), ("n_units",))
    """
    bad = sorted(str(k) for k in cfg if k not in allowed)
    if bad:
        if article is None:
            article = "an" if owner[:1] in "AEIOU" else "a"
        raise ValueError(f"{article} {owner} config has the entries {list(allowed)}, got "
                         f"{bad} besides")
    for key in required:
        if key not in cfg:
            raise ValueError(f"the {owner} config has no {key!r} entry: {describe(cfg)}")


def _is_real(value) -> bool:
    return not isinstance(value, bool) and isinstance(
        value, (int, float, np.integer, np.floating))


def check_int(name: str, value, *, minimum: int | None = None) -> int:
    """Check that ``value`` is an integer (not a bool, not a float) ``>= minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {int(value)}")
    return int(value)


def check_int_sequence(name: str, values, *, minimum: int | None = None,
                       allow_empty: bool = False) -> list[int]:
    """Check that ``values`` is a list, tuple, range or 1-d integer array of ints ``>= minimum``.

    Entries are checked by :func:`check_int` and named ``name[i]``; a scalar, a string or a
    set is refused with a ``TypeError`` that names ``name``.
    """
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise TypeError(f"{name} must be a sequence of ints, got {describe(values)}")
        values = values.tolist()
    if not isinstance(values, (list, tuple, range)):
        raise TypeError(f"{name} must be a sequence of ints (a list, tuple or range), "
                        f"got {describe(values)}")
    out = [check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(values)]
    if not out and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return out


def check_real(name: str, value, *, finite: bool = True) -> float:
    """Check that a scalar (or a 0-d array) is a real number, finite unless ``finite=False``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    v = float(value)
    if finite and not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def check_bool(name: str, value) -> bool:
    """Check that ``value`` is ``True`` or ``False`` (no truthiness of strings or numbers)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_float_dtype(name: str, dtype) -> np.dtype:
    """Check that ``dtype`` is float32 or float64 (the dtypes of trainable arrays)."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be float32 or float64, got {describe(dtype)}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def check_numeric_dtype(name: str, dtype) -> np.dtype:
    """Check that ``dtype`` is a real numeric dtype: Boolean, integer or floating.

    Strings, objects, complex numbers and structured dtypes are a ``TypeError``.
    """
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric dtype (bool, an integer or a float type), "
                        f"got {describe(dtype)}") from exc
    if dt.kind not in "biuf" or dt.fields is not None or dt.subdtype is not None:
        raise TypeError(f"{name} must be a numeric dtype (bool, an integer or a float type), "
                        f"got {dt}")
    return dt


def check_choice(name: str, value, allowed: Sequence[str]) -> str:
    """Check that ``value`` is one of the strings ``allowed`` (a ``TypeError`` if not a str)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {tuple(allowed)}, got {describe(value)}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


def check_callable(name: str, value, what: str = "a callable"):
    """Check that ``value`` is callable; ``what`` says how it is called (``"f(x) -> float"``)."""
    if not callable(value):
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    return value


def check_file_like(name: str, value):
    """Check that ``value`` has a ``write`` method (a text file, ``sys.stdout``, a StringIO)."""
    if not callable(getattr(value, "write", None)):
        raise TypeError(f"{name} must be a file-like object with a write() method (e.g. "
                        f"sys.stdout or open(path, 'w')), got {describe(value)}")
    return value


def check_kwargs(what: str, func, kwargs: dict, reserved: Sequence[str] = ()) -> None:
    """Check that the keyword arguments ``kwargs`` (from a config dict) are accepted by ``func``.

    ``reserved`` are arguments the caller passes itself (``n_units``, ``rng``, ``dtype``), so
    a config may not set them. A ``TypeError`` names the unknown keys and the accepted ones,
    before anything is built (instead of Python's "unexpected keyword argument").
    """
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return
    params = sig.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = None
    else:
        accepted = [p.name for p in params if p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
    bad = [k for k in kwargs if not isinstance(k, str) or k in reserved
           or (accepted is not None and k not in accepted)]
    if bad:
        allowed = [] if accepted is None else [a for a in accepted if a not in reserved]
        raise TypeError(f"{what} takes the arguments {allowed}, got {sorted(map(str, bad))}"
                        + (f" ({', '.join(reserved)} are set by the caller)" if reserved else ""))


def check_positive(name: str, value, *, strict: bool = True) -> float:
    """Check that a scalar hyper-parameter is a finite number > 0 (or >= 0)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    v = float(value)
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0, got {value!r}")
    return v


def check_in_range(
    name: str, value, low: float, high: float, *, closed_low=True, closed_high=False
) -> float:
    """Check that a scalar lies in an interval, ``[low, high)`` by default."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a real number, got {describe(value)}")
    v = float(value)
    above = v >= low if closed_low else v > low
    below = v <= high if closed_high else v < high
    if not (np.isfinite(v) and above and below):
        interval = ("[" if closed_low else "(") + f"{low}, {high}" + ("]" if closed_high else ")")
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return v


def check_rng(rng) -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an integer seed; never global state."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng seed must be a non-negative integer, got {int(rng)}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator or an int seed, got {describe(rng)}; "
        "use numpy.random.default_rng(seed)"
    )


def lookup(kind: str, spec, registry: dict, instance_hint: str, arg: str | None = None):
    """Resolve a name or a config dict ``{"name": ..., **kwargs}`` against a registry.

    Returns ``(cls, kwargs)``. ``kind`` ("activation", "loss") and ``instance_hint``
    ("an Activation") only shape the error messages; ``arg`` is the name of the argument
    that was given (``"output"``; ``kind`` by default).
    """
    arg = kind if arg is None else arg
    kwargs = {}
    if isinstance(spec, dict):
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        if "name" not in spec:
            raise ValueError(f"{arg} given as a dict needs a 'name' entry (one of "
                             f"{sorted(registry)}), got {describe(spec)}")
        spec = spec["name"]
    if not isinstance(spec, str):
        raise TypeError(
            f"{arg} must be a name (one of {sorted(registry)}) or {instance_hint}, "
            f"got {describe(spec)}"
        )
    key = spec.lower()
    if key not in registry:
        where = "" if arg == kind else f" for {arg}"
        raise ValueError(f"unknown {kind} {spec!r}{where}; expected one of {sorted(registry)}")
    return registry[key], kwargs
