"""Indexing Tensor methods: ``t[index]``, ``t[index] = value``, ``gather``, ``masked_fill``,
``tril`` / ``triu``; and the translation of indices as users write them into backend terms,
with PyTorch's rules where NumPy's differ."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import STATE
from ..autograd.graph import device_mismatch
from ..autograd.tensor_base import TensorBase, check_overlap, drop_leading_ones
from ..errors import (
    ArgumentError,
    DeviceError,
    DTypeError,
    IndexOutOfRange,
    ShapeError,
    format_shape,
    normalize_dim,
)
from ..ops import discrete, movement
from ..ops import elementwise as ew
from ..ops.broadcast import broadcast_shapes
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
            raise index_error(index, self.shape, exc) from None

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
            check_setitem_overlap(self._xp, self._data, index, value._data)
            if recording:
                result = movement.IndexPut.apply(self._alias(), value, index=index)
            else:
                self._write(index, value._data, "__setitem__")
        except IndexError as exc:
            raise index_error(index, self.shape, exc) from None
        except (ValueError, TypeError):
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

    def scatter(self, dim, index: TensorBase, src=None, value=None) -> TensorBase:
        """``out[index[i][j]][j] = src[i][j]`` for dim 0 (likewise for other dims); ``src`` may
        be a number (``value``). Out of place; ``scatter_`` writes in place."""
        if (src is None) == (value is None):
            raise ArgumentError("scatter(): expected exactly one of 'src' and 'value'")
        d, index, src = self._scatter_args("scatter", dim, index, value if src is None else src)
        return movement.Scatter.apply(self, src, index=index, dim=d)

    def scatter_add(self, dim, index: TensorBase, src: TensorBase) -> TensorBase:
        """``out[index[i][j]][j] += src[i][j]`` for dim 0 (likewise for other dims); repeated
        indices accumulate."""
        if not isinstance(src, TensorBase):
            raise TypeError(
                f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}"
            )
        d, index, src = self._scatter_args("scatter_add", dim, index, src)
        return movement.ScatterAdd.apply(self, src, index=index, dim=d)

    def _scatter_args(self, op, dim, index, src) -> tuple:
        """Check scatter's arguments as PyTorch does; the dim, the index array and ``src`` as
        a tensor (a number becomes a 0-d one of this tensor's dtype)."""
        d = normalize_dim(dim, self.ndim, op)
        if not isinstance(index, TensorBase) or index.dtype is not dtypes.int64:
            raise DTypeError(f"{op}(): Expected dtype int64 for index")
        if not isinstance(src, TensorBase):
            src = self._like(src)
        elif src.dtype is not self.dtype:
            raise DTypeError(
                f"{op}(): Expected self.dtype to be equal to src.dtype (got {self.dtype} and "
                f"{src.dtype})"
            )
        for t in (index, src):
            if t._device is not self._device:
                raise device_mismatch(op, self._device, t._device)
        if index.ndim != self.ndim or (src.ndim and src.ndim != self.ndim):
            raise ShapeError(
                f"{op}(): Index tensor must have the same number of dimensions as self tensor "
                f"(index {format_shape(index.shape)}, self {format_shape(self.shape)}, src "
                f"{format_shape(src.shape)})"
            )
        too_big = any(
            (i != d and n > self.shape[i]) or (src.ndim and n > src.shape[i])
            for i, n in enumerate(index.shape)
        )
        if too_big:
            raise ShapeError(
                f"{op}(): Expected index {format_shape(index.shape)} to be smaller than self "
                f"{format_shape(self.shape)} apart from dimension {d} and to be smaller size "
                f"than src {format_shape(src.shape)}"
            )
        if index.numel():
            low, high = index.min().item(), index.max().item()
            if low < 0 or high >= self.shape[d]:
                raise IndexOutOfRange(
                    f"{op}(): index {low if low < 0 else high} is out of bounds for dimension "
                    f"{d} with size {self.shape[d]}"
                )
        if self.ndim == 0:  # one element along its dim 0, as in PyTorch
            return d, index._data.reshape(()), src
        return d, index._data, src

    def index_fill(self, dim, index: TensorBase, value) -> TensorBase:
        """``self`` with the entries at ``index`` along ``dim`` set to ``value``."""
        d = normalize_dim(dim, self.ndim, "index_fill")
        if not isinstance(index, TensorBase) or index.dtype is not dtypes.int64:
            raise DTypeError("index_fill(): Expected dtype int64 for index")
        if index.ndim > 1:
            raise ShapeError("index_fill(): Index is supposed to be a vector")
        if isinstance(value, TensorBase):
            if value.ndim:
                raise ShapeError(
                    f"index_fill_ only supports a 0-dimensional value tensor, but got tensor "
                    f"with {value.ndim} dimension(s)"
                )
            value = value.to(self.dtype)
        else:
            value = self._like(value)
        where = (slice(None),) * d + (index.reshape(-1),) if self.ndim else index.reshape(())
        return movement.IndexPut.apply(self, value, index=to_raw_index(where, self))

    def nonzero(self, as_tuple=False):
        """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with
        ``as_tuple`` one 1-d tensor per dim (what ``t[t.nonzero(as_tuple=True)]`` takes)."""
        found = discrete.Nonzero.apply(self.reshape(1) if as_tuple and self.ndim == 0 else self)
        return found.unbind(1) if as_tuple else found

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct elements in ascending order (``sorted=False`` too, one of the orders
        PyTorch allows), or along ``dim`` the distinct slices; with ``return_inverse`` and
        ``return_counts`` also each element's index among them and how often each occurs
        (int64). Not differentiable."""
        d = None if dim is None else normalize_dim(dim, self.ndim, "unique", scalar_ok=False)
        parts = ["values"] + ["inverse"] * return_inverse + ["counts"] * return_counts
        found = tuple(discrete.Unique.apply(self, dim=d, part=part) for part in parts)
        return found if len(found) > 1 else found[0]

    def argwhere(self) -> TensorBase:
        return discrete.Nonzero.apply(self)

    def index_select(self, dim, index: TensorBase) -> TensorBase:
        d = normalize_dim(dim, self.ndim, "index_select")
        if index.ndim > 1:
            raise ShapeError("index_select(): Index is supposed to be a vector")
        if self.ndim == 0:  # a 0-d tensor has one element along its dim 0, as in PyTorch
            return self.reshape(1)[index.reshape(-1)].reshape(())
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_fill(self, mask: TensorBase, value) -> TensorBase:
        """``value`` where ``mask`` is True, else ``self``; the result has the shape ``mask``
        and ``self`` broadcast to, as in PyTorch."""
        check_mask(mask, self, "masked_fill")
        if isinstance(value, TensorBase) and value.ndim:
            raise ShapeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        value = value.to(self.dtype) if isinstance(value, TensorBase) else self._like(value)
        return where(mask, value, self)

    def masked_select(self, mask: TensorBase) -> TensorBase:
        """The elements where ``mask`` is True, as a 1-d tensor (``self`` and ``mask`` broadcast
        together first, as in PyTorch); the gradient goes back to the selected elements."""
        shape = check_mask(mask, self, "masked_select")
        return self.expand(shape)[mask.expand(shape)]

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
            if p.dtype.is_floating_point:
                raise DTypeError(
                    f"tensors used as indices must be long, int, byte or bool tensors, got {p.dtype}"
                )
            if p.dtype is dtypes.uint8:  # a byte tensor indexes as a mask, as in PyTorch
                p = p.bool()
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
        elif isinstance(p, slice) and p.step is not None and p.step <= 0:
            raise ArgumentError(f"step must be greater than zero (got the slice {p})")
        else:
            out.append(p)
    return tuple(out) if isinstance(index, tuple) else out[0]


def check_setitem_overlap(xp, data, index, value) -> None:
    """Refuse ``data[index] = value`` where ``value`` shares memory with ``data`` as PyTorch does.

    A view index (ints, slices) writes like ``copy_`` into the view: a 0-d value is read first
    (a fill); a value of another shape loses its leading size-1 axes and is expanded to the
    view's shape (with PyTorch's strides, ``_expanded``); then a source that overlaps the view
    other than exactly is refused. Index arrays write like ``index_put_``, which refuses a
    source that overlaps at all, except where a single mask (of 1 or more axes) writes a
    one-element value: that value is read first (``masked_fill_``). Either way the value loses
    its leading size-1 axes first, as a view: an empty value then is another tensor, which
    overlaps nothing (an empty tensor written into itself as it is is refused).
    """
    if movement.is_basic_index(index):
        target = data[index]
        if value.shape == target.shape:
            check_overlap("__setitem__", xp, target, value)
        elif value.ndim:
            source = _expanded(xp, drop_leading_ones(value), target.shape)
            check_overlap("__setitem__", xp, target, source)
        return
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [p for p in parts if not (p is None or p is Ellipsis or isinstance(p, slice))]
    single_mask = len(arrays) == 1 and arrays[0].dtype.kind == "b" and arrays[0].ndim > 0
    if not (single_mask and value.size == 1):
        check_overlap("__setitem__", xp, data, drop_leading_ones(value), exact_ok=False)


def _expanded(xp, array, shape):
    """A view of ``array`` broadcast to ``shape``, with the strides PyTorch's
    ``expand`` gives: 0 on each axis it repeats; on a new size-1 axis, the size of the axis
    after it times that axis's stride (0 if there is none). So a single element expanded to
    one or more axes has stride 0 on each, and is never exactly a view of that shape."""
    if array.ndim > len(shape):
        raise ValueError(f"cannot broadcast {array.shape} to {shape}")
    strides, inner = [], 0
    for i in range(1, len(shape) + 1):  # from the last axis
        j = array.ndim - i
        if j < 0:  # a new axis
            stride = inner if shape[-i] == 1 else 0
        elif array.shape[j] == shape[-i]:
            stride = array.strides[j]
        elif array.shape[j] == 1:
            stride = 0
        else:
            raise ValueError(f"cannot broadcast {array.shape} to {shape}")
        strides.append(stride)
        inner = shape[-i] * stride
    # only read, for the overlap check (CuPy's as_strided has no ``writeable`` flag)
    return xp.lib.stride_tricks.as_strided(array, shape, tuple(reversed(strides)))


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


def index_error(index, shape, exc) -> IndexOutOfRange:
    """The error for an index the backend refused (``exc``): index tensors whose shapes do not
    broadcast together (a mask counts as its number of True values), as PyTorch words it, or
    else an index out of range."""
    parts = index if isinstance(index, tuple) else (index,)
    shapes = [(int(p.sum()),) if p.dtype == bool else p.shape for p in parts if hasattr(p, "shape")]
    try:
        if shapes:
            broadcast_shapes(*shapes, op="index")
    except ShapeError:
        return IndexOutOfRange(
            f"shape mismatch: indexing tensors could not be broadcast together with shapes "
            f"{', '.join(format_shape(s) for s in shapes)}"
        )
    return IndexOutOfRange(
        f"index {describe_index(index)} is out of bounds for a tensor of shape "
        f"{format_shape(shape)} ({exc})"
    )


def describe_index(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return (
        "["
        + ", ".join(
            f"array{format_shape(p.shape)}" if hasattr(p, "shape") else repr(p) for p in parts
        )
        + "]"
    )
