"""The matrix product (``@``, ``matmul``), with PyTorch's rules for 1-d operands."""

from __future__ import annotations

from ..autograd.tensor_base import TensorBase
from ..errors import ShapeError, format_shape
from ..ops import linalg
from ..ops.broadcast import broadcast_shapes
from .arguments import promote


class LinalgMixin:
    """``matmul`` and ``@``."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return self._from_data(other).matmul(self)

    def matmul(self, other) -> TensorBase:
        """Matrix product with NumPy's rules: 1-d operands are lifted to matrices and dropped after."""
        if not isinstance(other, TensorBase):
            other = self._from_data(other)
        a, b = promote(self, other)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                "matmul: both arguments to matmul need to be at least 1D, but they are "
                f"{a.ndim}D and {b.ndim}D"
            )
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ShapeError(
                f"matmul: mat1 and mat2 shapes cannot be multiplied "
                f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})"
            )
        out = self._batched_matmul(a, b, a2, b2)
        if a.ndim == 1:  # drop the lifted axes: a's row first, so 1-d @ 1-d gives a 0-d result
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return out

    @staticmethod
    def _batched_matmul(a, b, a2, b2) -> TensorBase:
        """Matmul over broadcast batch axes, with an error naming both shapes when they clash."""
        try:
            return linalg.Matmul.apply(a2, b2)
        except ValueError:
            broadcast_shapes(
                a2.shape[:-2],
                b2.shape[:-2],
                op=f"matmul: batch dimensions of {format_shape(a.shape)} and {format_shape(b.shape)}",
            )
            raise
