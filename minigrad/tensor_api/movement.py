"""Tensor methods that change shape or order without arithmetic: reshape, permute, expand,
split, flip, ..., and ``cat`` / ``stack``."""

from __future__ import annotations

import builtins
import math

from .. import dtypes
from ..autograd.tensor_base import TensorBase
from ..errors import (
    ArgumentError,
    DimError,
    DTypeError,
    IndexOutOfRange,
    ShapeError,
    format_shape,
    normalize_dim,
    normalize_dims,
)
from ..ops import movement
from .arguments import infer_shape, shape_arg


class MovementMixin:
    """``reshape``, ``view``, ``permute``, ``transpose``, ``expand``, ``split``, ``chunk``, ..."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def reshape(self, *shape) -> TensorBase:
        shape = infer_shape(shape_arg(shape), self.numel(), "reshape", self.shape)
        if shape == self.shape:
            return self
        return movement.Reshape.apply(self, shape=shape)

    def view(self, *shape) -> TensorBase:
        """Like ``reshape``, but only when no copy is needed; otherwise a clear error."""
        if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
            raise DTypeError("view(dtype) is not supported; use .to(dtype)")
        shape = infer_shape(shape_arg(shape), self.numel(), "view", self.shape)
        probe = self._data.view()
        try:
            probe.shape = shape
        except AttributeError:
            raise ShapeError(
                f"view size is not compatible with input tensor's size and stride (at least one "
                f"dimension spans across two contiguous subspaces): cannot view a tensor of shape "
                f"{format_shape(self.shape)} with strides {self._data.strides} as "
                f"{format_shape(shape)}. Use .reshape(...) instead."
            ) from None
        return self if shape == self.shape else movement.Reshape.apply(self, shape=shape)

    def view_as(self, other: TensorBase) -> TensorBase:
        return self.view(other.shape)

    def reshape_as(self, other: TensorBase) -> TensorBase:
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1) -> TensorBase:
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim, "flatten")
        end = normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = (
            self.shape[:start] + (math.prod(self.shape[start : end + 1]),) + self.shape[end + 1 :]
        )
        return self.reshape(shape)

    def unflatten(self, dim, sizes) -> TensorBase:
        d = normalize_dim(dim, self.ndim, "unflatten", scalar_ok=False)
        sizes = infer_shape(tuple(sizes), self.shape[d], "unflatten", (self.shape[d],))
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    def permute(self, *dims) -> TensorBase:
        dims = shape_arg(dims)
        if len(dims) != self.ndim:
            raise ShapeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                f"is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(normalize_dim(d, self.ndim, "permute") for d in dims)
        if len(set(dims)) != len(dims):
            raise ShapeError(f"permute(): duplicate dims are not allowed, got {dims}")
        if dims == tuple(range(self.ndim)):
            return self
        return movement.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1) -> TensorBase:
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        d0 = normalize_dim(dim0, self.ndim, "transpose")
        d1 = normalize_dim(dim1, self.ndim, "transpose")
        order = list(range(self.ndim))
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(order)

    swapaxes = transpose

    def t(self) -> TensorBase:
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> TensorBase:
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> TensorBase:
        if self.ndim == 0:  # deprecated in PyTorch, where it is the identity
            return self
        if self.ndim < 2:
            raise ShapeError(
                f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def squeeze(self, dim=None) -> TensorBase:
        dims = normalize_dims(dim, self.ndim, "squeeze")
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim) -> TensorBase:
        d = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes) -> TensorBase:
        sizes = shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        shape = tuple(
            self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes)
        )
        for i in range(self.ndim):
            have, want = self.shape[i], shape[lead + i]
            if have != want and have != 1:
                raise ShapeError(
                    f"expand: the expanded size of the tensor ({want}) must match the existing "
                    f"size ({have}) at non-singleton dimension {lead + i}. Target sizes: "
                    f"{format_shape(sizes)}. Tensor sizes: {format_shape(self.shape)}"
                )
        if shape == self.shape:
            return self
        return movement.Expand.apply(self, shape=shape)

    def expand_as(self, other: TensorBase) -> TensorBase:
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes) -> TensorBase:
        """Tile the tensor: built from unsqueeze, expand and reshape, so it needs no backward."""
        sizes = shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(
                "repeat: Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        interleaved = []
        for n in x.shape:
            interleaved += [1, n]
        x = x.reshape(interleaved)
        target = []
        for r, n in zip(sizes, x.shape[1::2]):
            target += [r, n]
        return x.expand(target).reshape(tuple(r * n for r, n in zip(sizes, x.shape[1::2])))

    def flip(self, *args, dims=None) -> TensorBase:
        """Reverse the order of elements along the given dims: ``flip(0, 1)``, ``flip((0, 1))``
        or ``flip(dims=(0, 1))`` (``torch.flip(x, dims=...)``)."""
        if dims is not None:
            if args:
                raise ArgumentError(f"flip(): dims given twice, as {args!r} and dims={dims!r}")
            args = (dims,)
        return movement.Flip.apply(self, dims=normalize_dims(shape_arg(args), self.ndim, "flip"))

    def movedim(self, source, destination) -> TensorBase:
        """Move the axes ``source`` (an int or a sequence) to the places ``destination``."""
        source = (source,) if isinstance(source, int) else tuple(source)
        destination = (destination,) if isinstance(destination, int) else tuple(destination)
        if len(source) != len(destination):
            raise ArgumentError(
                f"movedim: Invalid source or destination dims: source ({list(source)} dims) "
                f"should contain the same number of dims as destination ({list(destination)} dims)"
            )
        src = [normalize_dim(d, self.ndim, "movedim") for d in source]
        dst = [normalize_dim(d, self.ndim, "movedim") for d in destination]
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise DimError(f"movedim: repeated dim in source {source} or destination {destination}")
        if self.ndim == 0:
            return self
        order = [None] * self.ndim
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(d for d in range(self.ndim) if d not in src)
        return self.permute([next(rest) if o is None else o for o in order])

    moveaxis = movedim

    def roll(self, shifts, dims=None) -> TensorBase:
        """Shift the elements along ``dims`` (the flattened tensor when None), wrapping around."""
        if dims is None:
            if not isinstance(shifts, int):
                raise ArgumentError(f"roll: with dims=None, shifts must be one int, got {shifts!r}")
            return movement.Roll.apply(self, shifts=shifts, dims=None)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise ArgumentError(
                f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
            )
        dims = tuple(normalize_dim(d, self.ndim, "roll") for d in dims)
        return movement.Roll.apply(self, shifts=shifts, dims=dims)

    def narrow(self, dim, start, length) -> TensorBase:
        d = normalize_dim(dim, self.ndim, "narrow", scalar_ok=False)
        size = self.shape[d]
        if not -size <= start <= size:
            raise IndexOutOfRange(
                f"narrow(): start ({start}) is out of range for dimension {d} of size {size}"
            )
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise IndexOutOfRange(
                f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}) "
                f"of dimension {d} (tensor shape {format_shape(self.shape)})"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0) -> tuple[TensorBase, ...]:
        d = normalize_dim(dim, self.ndim, "split", scalar_ok=False)
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ArgumentError(f"split: split_size must be positive, got {step}")
            # an empty dim still gives one (empty) piece, as in PyTorch
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ShapeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        out, start = [], 0
        for size in sizes:
            out.append(self.narrow(d, start, size))
            start += size
        return _several_views(out)

    def chunk(self, chunks, dim=0) -> tuple[TensorBase, ...]:
        d = normalize_dim(dim, self.ndim, "chunk", scalar_ok=False)
        if chunks <= 0:
            raise ArgumentError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.shape[d] == 0:  # PyTorch gives ``chunks`` empty pieces
            return self.split([0] * chunks, d)
        return self.split(-(-self.shape[d] // chunks), d)

    def unbind(self, dim=0) -> tuple[TensorBase, ...]:
        d = normalize_dim(dim, self.ndim, "unbind", scalar_ok=False)
        return _several_views([self.select(d, i) for i in range(self.shape[d])])

    def select(self, dim, index) -> TensorBase:
        d = normalize_dim(dim, self.ndim, "select", scalar_ok=False)
        return self[(slice(None),) * d + (index,)]


def cat(tensors, dim=0) -> TensorBase:
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError("cat(): zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dim(dim, first.ndim, "cat")
    target = dtypes.result_type(*tensors)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim:
            raise ShapeError(
                f"cat(): Tensors must have same number of dimensions: got {first.ndim} and "
                f"{t.ndim} (shapes {format_shape(first.shape)} and {format_shape(t.shape)} for "
                f"tensors number 0 and {i} in the list)"
            )
        if any(n != m for j, (n, m) in enumerate(zip(t.shape, first.shape)) if j != d):
            raise ShapeError(
                f"cat(): Sizes of tensors must match except in dimension {d}. Expected sizes "
                f"{format_shape(first.shape)} (except dim {d}) but got {format_shape(t.shape)} "
                f"for tensor number {i} in the list."
            )
    return movement.Cat.apply(*[t.to(target) for t in tensors], dim=d)


def stack(tensors, dim=0) -> TensorBase:
    """Join tensors of one shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("stack(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(
                f"stack expects each tensor to be equal size, but got {format_shape(tensors[0].shape)} "
                f"at entry 0 and {format_shape(t.shape)} at entry {i}"
            )
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], d)


def _several_views(views) -> tuple[TensorBase, ...]:
    """The views one call returns (split, unbind), marked so that in-place writes to them are
    refused while recording, as in PyTorch (see ``graph.ViewOf.multi``)."""
    for v in views:
        if v._view is not None:
            v._view.multi = True
    return tuple(views)
