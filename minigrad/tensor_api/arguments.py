"""Arguments as Tensor methods receive them, normalised: operands under PyTorch's type
promotion, shape arguments (``f(2, 3)`` or ``f((2, 3))``), ``-1`` in shapes, boolean masks."""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import dtypes
from ..autograd.tensor_base import TensorBase
from ..errors import DTypeError, ShapeError, format_shape
from ..ops.broadcast import broadcast_shapes

OPERAND_TYPES = (TensorBase, int, builtins.float, builtins.bool, np.generic, np.ndarray, list)


def promote(a, b, ref=None):
    """Both operands as tensors of the dtype PyTorch's promotion gives."""
    # the common cases first: two tensors of one dtype; a floating tensor and a Python number
    # (the tensor's dtype)
    if isinstance(b, TensorBase) and isinstance(a, TensorBase) and a._data.dtype == b._data.dtype:
        return a, b
    if type(b) in (builtins.float, int) and isinstance(a, TensorBase) and a._data.dtype.kind == "f":
        return a, a._like(b)
    if type(a) in (builtins.float, int) and isinstance(b, TensorBase) and b._data.dtype.kind == "f":
        return b._like(a), b
    if not isinstance(a, OPERAND_TYPES) or not isinstance(b, OPERAND_TYPES):
        raise DTypeError(
            f"unsupported operand type(s) for a tensor op: '{type(a).__name__}' and "
            f"'{type(b).__name__}' (expected tensors, numbers or lists)"
        )
    if ref is None:
        ref = a if isinstance(a, TensorBase) else b
    if isinstance(a, (list, np.ndarray)):
        a = ref._from_data(a)
    if isinstance(b, (list, np.ndarray)):
        b = ref._from_data(b)
    if isinstance(a, TensorBase) and isinstance(b, TensorBase):
        if a._data.dtype == b._data.dtype:
            return a, b
        target = dtypes.result_type(a, b)
        return a.to(target), b.to(target)
    target = dtypes.result_type(a, b)
    a = a.to(target) if isinstance(a, TensorBase) else ref._like(a, target)
    b = b.to(target) if isinstance(b, TensorBase) else ref._like(b, target)
    return a, b


def shape_arg(args) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``. A length may be any integer: a
    Python or NumPy int, or a one-element integer tensor (``x.max() + 1``), as in PyTorch."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if all(type(n) is int for n in args):
        return tuple(args)
    try:
        if not any(isinstance(n, bool) for n in args):  # an int to Python, but not a length
            return tuple(operator.index(n) for n in args)
    except (TypeError, DTypeError):
        pass
    raise DTypeError(f"expected a sequence of integers as a shape, got {args!r}")


def size_arg(args) -> tuple[int, ...]:
    """The size of a new tensor, in ``shape_arg``'s forms; no length may be negative."""
    shape = shape_arg(args)
    if any(n < 0 for n in shape):
        raise ShapeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def infer_shape(shape, numel, op, old_shape) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape and check that the element count matches."""
    if shape.count(-1) > 1:
        raise ShapeError(f"{op}: only one dimension can be inferred")
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise ShapeError(
                f"{op}: shape '{format_shape(shape)}' is invalid for input of size {numel}"
            )
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if math.prod(shape) != numel or any(n < 0 for n in shape):
        raise ShapeError(
            f"{op}: shape '{format_shape(shape)}' is invalid for input of size {numel} "
            f"(input shape {format_shape(old_shape)})"
        )
    return shape


def check_mask(mask, x: TensorBase, op: str) -> tuple[int, ...]:
    """A boolean mask that broadcasts with ``x``; returns the shape they broadcast to (the
    result's; an in-place fill then refuses a shape other than ``x``'s, as in PyTorch)."""
    if not isinstance(mask, TensorBase) or mask.dtype is not dtypes.bool_:
        got = mask.dtype if isinstance(mask, TensorBase) else type(mask).__name__
        raise DTypeError(f"{op} only supports boolean masks, but got mask with dtype {got}")
    return broadcast_shapes(mask.shape, x.shape, op=op)
