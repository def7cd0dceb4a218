"""Indices as users write them (ints, slices, lists, tensors, masks) turned into backend terms,
with PyTorch's rules where NumPy's differ."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd import function
from .errors import DeviceError, DTypeError, format_shape
from .ops import movement


def to_raw_index(index, x):
    """Translate an index into backend terms: tensors and lists become arrays, floats are refused."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, function._tensor_type):  # a minigrad Tensor (tensor.py imports us)
            if p.dtype is dtypes.float32 or p.dtype is dtypes.float64:
                raise DTypeError(
                    f"tensors used as indices must be long, int, byte or bool tensors, got {p.dtype}"
                )
            if p._device is x._device:
                out.append(p._data)
            elif p._device.type == "cpu":  # host indices are copied to the device, as in PyTorch
                out.append(x._device.backend.asarray(p._data, p._data.dtype))
            else:
                raise DeviceError(
                    f"indices should be either on cpu or on the same device as the indexed tensor "
                    f"({x.device}), got {p.device}"
                )
        elif isinstance(p, (list, np.ndarray)):
            arr = np.asarray(p)
            if arr.dtype.kind not in "iub" and arr.size:
                raise DTypeError(
                    f"tensors used as indices must be integers or booleans, got {arr.dtype}"
                )
            out.append(x._device.backend.asarray(arr, arr.dtype if arr.size else np.int64))
        elif isinstance(p, (float, np.floating)):
            raise DTypeError(
                f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(p).__name__})"
            )
        elif isinstance(p, np.integer):
            out.append(int(p))
        else:
            out.append(p)
    return tuple(out) if isinstance(index, tuple) else out[0]


def mixes_ints_and_arrays(index) -> bool:
    """Whether a raw index has both int parts and index arrays (see ``ints_first``)."""
    return (
        isinstance(index, tuple)
        and not movement.is_basic_index(index)
        and any(isinstance(p, int) for p in index)
    )


def ints_first(index) -> tuple[tuple, tuple]:
    """Split an index with ints and index arrays into the ints (a view) and the rest.

    PyTorch applies ints first (as select), then the index arrays; NumPy counts ints as index
    arrays too, which can move the result's axes: for x of shape (2, 3, 4), x[0, :, [1, 2]] is
    (3, 2) in PyTorch but (2, 3) in NumPy. ``x[first][rest]`` is PyTorch's result.
    """
    first = []
    for p in index:
        if isinstance(p, int) or p is Ellipsis:
            first.append(p)
        elif p is not None:  # a slice or an index array (a mask spans mask.ndim axes)
            mask = not isinstance(p, slice) and p.dtype.kind == "b"
            first += [slice(None)] * (p.ndim if mask else 1)
    return tuple(first), tuple(p for p in index if not isinstance(p, int))


def describe_index(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return (
        "["
        + ", ".join(
            f"array{format_shape(p.shape)}" if hasattr(p, "shape") else repr(p) for p in parts
        )
        + "]"
    )
