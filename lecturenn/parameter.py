"""Trainable parameters: the interface between models and optimizers.

A model (a network of the BackProp chapter, a neuron, a test function of the
optimizers chapter) exposes its trainable arrays as a list of :class:`Parameter`
objects, the way ``torch.nn.Module.parameters()`` does. An optimizer receives that
list, keeps its own state per parameter (momentum ``v``, the mean square ``G``, ...)
and updates ``Parameter.data`` in place from ``Parameter.grad``.

Optimizers that need the gradient at another point than the current one (Nesterov's
look-ahead ``w - \\eta\\gamma v``, Nadam) receive a *closure*: a function of no
arguments that recomputes the loss and fills ``grad`` of every parameter at the
current values of ``data``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from lecturenn._validation import as_float_array, describe

__all__ = ["Parameter", "as_parameter_list", "zero_grad", "first_duplicate", "load_arrays"]


class Parameter:
    """A named trainable array and its gradient.

    Parameters
    ----------
    data : array_like
        The value: real and finite. A floating array is stored as it is (no copy, its dtype
        kept), integers and Booleans are converted to float64. Optimizers update it in place.
    name : str
        A name that says where the parameter lives, e.g. ``"layers.0.W"``.

    Attributes
    ----------
    data : numpy.ndarray
        The current value.
    grad : numpy.ndarray or None
        :math:`\\partial Q / \\partial w`, same shape and dtype as ``data``; ``None``
        until a backward pass (or the user) sets it.
    mask : numpy.ndarray or None
        ``None`` (every entry is trainable) or a Boolean array of the shape of ``data``
        whose ``False`` entries are deleted connections (slide «Прореживание сети (OBD)»):
        :meth:`set_mask` zeroes them, every optimizer of :mod:`lecturenn.optim` and
        :func:`lecturenn.training.fit` keep them at zero (the gradient is masked before
        the update and the value re-masked after it, so momentum, adaptive steps and
        weight decay cannot revive them), and :func:`lecturenn.serialization.save`
        stores the mask with the weights.

    Examples
    --------
    >>> import numpy as np
    >>> p = Parameter(np.zeros(3), name="w")
    >>> p.grad = np.ones(3)
    >>> p.data -= 0.1 * p.grad
    >>> p.data
    array([-0.1, -0.1, -0.1])
    """

    __slots__ = ("data", "grad", "name", "mask")

    def __init__(self, data, name: str = "param") -> None:
        if not isinstance(name, str):
            raise TypeError(f"name of Parameter must be a str, got {describe(name)}")
        # a floating array stays as it is (float32 stays float32, no copy); integers and
        # Booleans become float64; complex numbers, None, strings, NaN and inf are refused
        arr = as_float_array(f"data of Parameter {name!r}", data, dtype="floating",
                             allow_empty=True)
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.name = name
        self.mask: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def n_active(self) -> int:
        """The number of entries not deleted by :attr:`mask` (all of them without a mask)."""
        return self.data.size if self.mask is None else int(np.count_nonzero(self.mask))

    def set_mask(self, mask) -> None:
        """Keep only the entries where ``mask`` is true; zero the others (and their gradient).

        Parameters
        ----------
        mask : array_like of bool or None
            A Boolean array of the shape of ``data`` (``True`` = kept), or ``None`` to
            remove the mask (the deleted entries stay zero until training moves them).

        Raises
        ------
        TypeError
            If ``mask`` is not Boolean (0/1 integers are refused too: a float array of
            saliences passed by mistake must not become a mask).
        ValueError
            If its shape is not that of ``data``.
        """
        if mask is None:
            self.mask = None
            return
        m = np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"mask of Parameter {self.name!r} must be a Boolean array "
                            f"(True = kept), got {describe(mask)}")
        if m.shape != self.data.shape:
            raise ValueError(f"mask of Parameter {self.name!r} must have the shape "
                             f"{self.data.shape} of its data, got {m.shape}")
        self.mask = m.copy()
        self.apply_mask()

    def apply_mask(self) -> None:
        """Zero the deleted entries of ``data`` and ``grad`` (nothing without a mask)."""
        m = self.mask
        if m is None:
            return
        np.multiply(self.data, m, out=self.data)
        if self.grad is not None and self.grad.shape == m.shape:
            np.multiply(self.grad, m, out=self.grad)

    def zero_grad(self) -> None:
        """Set the gradient to zeros (allocating it on first use)."""
        if self.grad is None or self.grad.shape != self.data.shape:
            self.grad = np.zeros_like(self.data)
        else:
            self.grad.fill(0)

    def __repr__(self) -> str:
        left = "" if self.mask is None else f", active={self.n_active}"
        return (f"Parameter(name={self.name!r}, shape={self.data.shape}, "
                f"dtype={self.data.dtype}{left})")


def as_parameter_list(params) -> list[Parameter]:
    """Accept a model (with ``.parameters()``), a Parameter, or an iterable of them."""
    if isinstance(params, Parameter):
        return [params]
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be Parameter objects, not a bare numpy array; "
            "wrap it: Parameter(array, name='w')"
        )
    if not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of Parameter, got {type(params).__name__}")
    out = list(params)
    if not out:
        raise ValueError("params is empty: the optimizer has nothing to optimize")
    for i, p in enumerate(out):
        if not isinstance(p, Parameter):
            raise TypeError(f"params[{i}] must be a Parameter, got {type(p).__name__}")
    dup = first_duplicate(out)
    if dup is not None:
        i, j = dup
        raise ValueError(
            f"params[{i}] and params[{j}] are the same Parameter ({out[i].name!r}): an "
            "optimizer would update it twice per step; list every parameter once"
        )
    return out


def first_duplicate(params) -> tuple[int, int] | None:
    """The positions ``(i, j)``, ``i < j``, of the first object listed twice, or ``None``.

    Parameters are compared by identity (``is``), as ``torch.optim`` does.
    """
    seen: dict[int, int] = {}
    for j, p in enumerate(params):
        i = seen.setdefault(id(p), j)
        if i != j:
            return i, j
    return None


def load_arrays(named, state, source: str = "state_dict", what: str | None = None, *,
                apply_masks: bool = True, optional=()) -> None:
    """Copy ``state[name]`` into ``p.data`` for every ``(name, p)`` of ``named``, in place.

    Everything is checked first: the same names (none missing, none extra), numpy arrays
    of the same shapes and dtypes, finite values. If anything differs, a ``ValueError``
    lists every difference and no parameter is changed.

    The masks win: a parameter with a :attr:`Parameter.mask` keeps its deleted entries at
    zero whatever ``state`` holds there (a state saved before pruning loaded into a pruned
    network gives the pruned network those weights, not the deleted ones back; remove the
    mask with ``set_mask(None)`` first to load them). Otherwise the forward pass would use
    weights that :attr:`Parameter.n_active` says are gone.

    Parameters
    ----------
    named : list of (str, Parameter)
        The model's parameters by name, e.g. ``net.named_parameters()``.
    state : mapping
        Arrays by parameter name, e.g. from ``net.state_dict()``.
    source : str, optional
        What ``state`` is, for the error message ("missing in the <source>").
    what : str, optional
        The headline of the error message, ``"the <source>"`` by default.
    apply_masks : bool, optional
        Re-apply the masks after the copy (default). ``False`` only for a caller that sets
        new masks itself right after (:func:`lecturenn.serialization.load_into`).
    optional : collection of str, optional
        Names that ``state`` may lack: those arrays keep their values (a buffer added after
        older files were written, :attr:`lecturenn.layers.Layer.legacy_buffers`). Present,
        they are checked and copied as any other.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{source} must be a mapping name -> numpy array, got {describe(state)}")
    names = [name for name, _ in named]
    missing = sorted(set(names) - set(state) - set(optional), key=str)
    extra = sorted(set(state) - set(names), key=str)
    problems = []
    if missing:
        problems.append(f"missing in the {source}: {missing}")
    if extra:
        problems.append(f"not in the model: {extra}")
    for name, p in named:
        if name not in state:
            continue
        want, got = p.data, state[name]
        if not isinstance(got, np.ndarray):
            problems.append(f"{name}: {describe(got)} in the {source}, not a numpy array")
        elif got.shape != want.shape:
            problems.append(f"{name}: shape {got.shape} in the {source}, {want.shape} "
                            "in the model")
        elif got.dtype != want.dtype:
            problems.append(f"{name}: dtype {got.dtype} in the {source}, {want.dtype} "
                            "in the model")
        elif not np.all(np.isfinite(got)):
            problems.append(f"{name}: holds NaN or infinity in the {source}")
    if problems:
        what = f"the {source}" if what is None else what
        raise ValueError(f"{what} does not match the model (nothing was loaded): "
                         + "; ".join(problems))
    for name, p in named:
        if name not in state:  # an optional array the state lacks: kept
            continue
        p.data[...] = state[name]
        if apply_masks and getattr(p, "mask", None) is not None:
            p.apply_mask()


def zero_grad(params: Iterable[Parameter]) -> None:
    """Zero the gradients of all parameters."""
    for p in params:
        p.zero_grad()
