"""Indexing Tensor methods: ``t[index]``, ``t[index] = value``, ``gather``, ``masked_fill``,
``tril`` / ``triu``; and the translation of indices as users write them into backend terms,
with PyTorch's rules where NumPy's differ."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import STATE
from ..autograd.graph import device_mismatch
from ..autograd.tensor_base import TensorBase
from ..errors import (
    DeviceError,
    DTypeError,
    IndexOutOfRange,
    ShapeError,
    format_shape,
    normalize_dim,
)
from ..ops import elementwise as ew
from ..ops import movement
from .arguments import check_mask
from .elementwise import where


class IndexingMixin:
    """``__getitem__``, ``__setitem__``, ``gather``, ``index_select``, ``masked_fill``, ``tril``."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def __getitem__(self, index) -> TensorBase:
        index = to_raw_index(index, self)
        if mixes_ints_and_arrays(index):
            first, rest = ints_first(index)
            return self[first][rest]
        op = movement.Slice if movement.is_basic_index(index) else movement.Index
        try:
            return op.apply(self, index=index)
        except IndexError as exc:
            raise IndexOutOfRange(
                f"index {describe_index(index)} is out of bounds for a tensor of shape "
                f"{format_shape(self.shape)} ({exc})"
            ) from None

    def __setitem__(self, index, value) -> None:
        index = to_raw_index(index, self)
        if mixes_ints_and_arrays(index):
            first, rest = ints_first(index)
            self[first][rest] = value  # a write through a view of this tensor
            return
        if not isinstance(value, TensorBase):
            value = self._like(value)
        else:  # values from another device are copied over, as in PyTorch
            value = value.to(self._device, self.dtype)
        recording = STATE.grad_enabled and (self.requires_grad or value.requires_grad)
        try:
            if recording:
                result = movement.IndexPut.apply(self._alias(), value, index=index)
            else:
                self._write(index, value._data, "__setitem__")
        except IndexError as exc:
            raise IndexOutOfRange(
                f"index {describe_index(index)} is out of bounds for a tensor of shape "
                f"{format_shape(self.shape)} ({exc})"
            ) from None
        except ValueError:
            raise ShapeError(
                f"__setitem__: shape mismatch: value tensor of shape {format_shape(value.shape)} "
                f"cannot be broadcast to indexing result of shape "
                f"{format_shape(self._data[index].shape)}"
            ) from None
        if recording:
            self._assign(result, "__setitem__")

    def gather(self, dim, index: TensorBase) -> TensorBase:
        """``out[i][j][k] = self[index[i][j][k]][j][k]`` (for dim 0), as in PyTorch."""
        d = normalize_dim(dim, self.ndim, "gather")
        if not isinstance(index, TensorBase) or index.dtype is not dtypes.int64:
            raise DTypeError("gather(): Expected dtype int64 for index")
        if index.ndim != self.ndim:
            raise ShapeError(
                f"gather(): Index tensor must have the same number of dimensions as input tensor "
                f"(index {format_shape(index.shape)}, input {format_shape(self.shape)})"
            )
        if self.ndim == 0:  # a 0-d tensor has one element along its dim 0, as in PyTorch
            return self.reshape(1).gather(0, index.reshape(1)).reshape(())
        if index._device is not self._device:
            raise device_mismatch("gather", self._device, index._device)
        try:
            return movement.Gather.apply(self, index=index._data, dim=d)
        except IndexError:
            raise IndexOutOfRange(
                f"gather(): index out of bounds for input of shape {format_shape(self.shape)}: "
                f"index values must be in [0, {self.shape[d]}) along dim {d}, and the index's "
                f"shape {format_shape(index.shape)} must not exceed the input's in other dims"
            ) from None

    def index_select(self, dim, index: TensorBase) -> TensorBase:
        d = normalize_dim(dim, self.ndim, "index_select")
        if index.ndim > 1:
            raise ShapeError("index_select(): Index is supposed to be a vector")
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_fill(self, mask: TensorBase, value) -> TensorBase:
        """``value`` where ``mask`` is True, else ``self``; ``mask`` must broadcast to ``self``."""
        check_mask(mask, self, "masked_fill")
        value = value.to(self.dtype) if isinstance(value, TensorBase) else self._like(value)
        return where(mask, value, self)

    def tril(self, diagonal=0) -> TensorBase:
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal=0) -> TensorBase:
        return self._triangle(diagonal, lower=False)

    def _triangle(self, diagonal, lower) -> TensorBase:
        if self.ndim < 2:
            raise ShapeError(
                f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions"
            )
        return ew.Triangle.apply(self, diagonal=diagonal, lower=lower)


def to_raw_index(index, x):
    """Translate an index into backend terms: tensors and lists become arrays, floats are refused."""
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, TensorBase):
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
