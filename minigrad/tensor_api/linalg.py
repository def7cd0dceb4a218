"""The matrix product (``@``, ``matmul``), with PyTorch's rules for 1-d operands and dtypes."""

from __future__ import annotations

import collections
import string

from ..autograd.tensor_base import TensorBase
from ..errors import ArgumentError, DTypeError, ShapeError, format_shape
from ..ops import linalg
from ..ops.broadcast import broadcast_shapes


class LinalgMixin:
    """``matmul`` and ``@``; ``mm``, ``bmm``, ``mv``, ``dot``, ``outer`` (matmul with the
    operands' ranks checked)."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return NotImplemented  # list @ tensor is a TypeError, as in PyTorch (only tensors multiply)

    def matmul(self, other) -> TensorBase:
        """Matrix product with NumPy's rules: 1-d operands are lifted to matrices and dropped after.
        Both operands must be tensors of one dtype (no promotion, as in PyTorch)."""
        if not isinstance(other, TensorBase):
            raise DTypeError(
                f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}"
            )
        _check_dtypes("matmul", self, other)
        a, b = self, other
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

    def mm(self, mat2) -> TensorBase:
        _check_ranks("mm", self, mat2, 2, 2)
        return self.matmul(mat2)

    def bmm(self, mat2) -> TensorBase:
        _check_ranks("bmm", self, mat2, 3, 3)
        if self.shape[0] != mat2.shape[0]:
            raise ShapeError(
                f"bmm: batch1 and batch2 must have same number of batches, got "
                f"{self.shape[0]} and {mat2.shape[0]}"
            )
        return self.matmul(mat2)

    def mv(self, vec) -> TensorBase:
        _check_ranks("mv", self, vec, 2, 1)
        return self.matmul(vec)

    def dot(self, other) -> TensorBase:
        _check_ranks("dot", self, other, 1, 1)
        if self.shape != other.shape:
            raise ShapeError(
                f"dot: inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                f"[{other.shape[0]}] to have the same number of elements, but got "
                f"{self.shape[0]} and {other.shape[0]} elements respectively"
            )
        return self.matmul(other)

    def outer(self, vec2) -> TensorBase:
        """``out[i][j] = self[i] * vec2[j]``."""
        _check_ranks("outer", self, vec2, 1, 1)
        return self.unsqueeze(1) * vec2.unsqueeze(0)

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


def _check_ranks(op, a, b, rank_a, rank_b) -> None:
    """The ranks ``mm`` (2, 2), ``bmm`` (3, 3), ``mv`` (2, 1), ``dot`` / ``outer`` (1, 1) need,
    and the same dtype (these do not promote, as in PyTorch)."""
    if not isinstance(b, TensorBase):
        raise DTypeError(f"{op}(): argument must be Tensor, not {type(b).__name__}")
    if a.ndim != rank_a or b.ndim != rank_b:
        raise ShapeError(
            f"{op}: expected a {rank_a}-D and a {rank_b}-D tensor, got shapes "
            f"{format_shape(a.shape)} and {format_shape(b.shape)}"
        )
    _check_dtypes(op, a, b)


def einsum(equation: str, *operands) -> TensorBase:
    """Einstein summation, PyTorch's ``torch.einsum("bqd,bkd->bqk", q, k)`` (the operands may
    also come as one list). Each letter names an axis; the axes whose letters the output
    (after "->") lacks are summed over. "..." stands for the leading axes not named, broadcast
    between the operands. Without "->" the output is "..." and then the letters used once, in
    alphabetical order. A letter may not repeat within one operand (a diagonal or a trace)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, TensorBase) for t in operands):
        raise DTypeError("einsum(): the operands must be tensors")
    for t in operands[1:]:
        _check_dtypes("einsum()", operands[0], t)
    inputs, arrow, output = equation.replace(" ", "").partition("->")
    named = inputs.split(",")
    if len(named) != len(operands):
        raise ArgumentError(
            f"einsum(): the equation {equation!r} has {len(named)} operands, {len(operands)} given"
        )
    spare = [c for c in string.ascii_letters if c not in equation]  # letters for "..."
    unnamed = [t.ndim - len(s.replace("...", "")) for s, t in zip(named, operands)]
    rank = max((n for s, n in zip(named, unnamed) if "..." in s), default=0)
    subscripts = []
    for i, (s, t, n) in enumerate(zip(named, operands, unnamed)):
        letters = s.replace("...", "")
        if not letters.isalpha() and letters or s.count("...") > 1:
            raise ArgumentError(f"einsum(): operand {i}'s subscripts {s!r} must be letters")
        if n < 0 or (n and "..." not in s):
            raise ShapeError(
                f"einsum(): operand {i} has {t.ndim} dimensions but its subscripts {s!r} name "
                f"{len(letters)}"
            )
        if len(set(letters)) != len(letters):
            raise ArgumentError(
                f"einsum(): operand {i}'s subscripts {s!r} repeat a letter (a diagonal or a "
                f"trace), which minigrad's einsum does not take (PyTorch's does)"
            )
        subscripts.append(s.replace("...", "".join(spare[rank - n : rank])))
    ellipsis = "".join(spare[:rank])
    if arrow:
        output = output.replace("...", ellipsis)
    else:
        counts = collections.Counter("".join(named).replace("...", ""))
        output = ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    if not output.isalpha() and output or len(set(output)) != len(output):
        raise ArgumentError(f"einsum(): the output subscripts {output!r} must be distinct letters")
    if set(output) - set("".join(subscripts)):
        raise ArgumentError(f"einsum(): output subscripts {output!r} that no operand has")
    try:
        return linalg.Einsum.apply(*operands, subscripts=tuple(subscripts), output=output)
    except ValueError as exc:
        raise ShapeError(f"einsum(): operands of shapes "
                         f"{', '.join(format_shape(t.shape) for t in operands)} do not fit "
                         f"{equation!r} ({exc})") from None  # fmt: skip


def _check_dtypes(op, a, b) -> None:
    """Matrix products take two tensors of one dtype: PyTorch does not promote them."""
    if a.dtype is not b.dtype:
        raise DTypeError(
            f"{op}: expected both tensors to have the same dtype, but got {a.dtype} and {b.dtype}"
        )
