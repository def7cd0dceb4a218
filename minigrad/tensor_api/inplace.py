"""In-place Tensor methods (``add_``, ``copy_``, ``fill_``, ``normal_``, ``+=``, ...): each
computes the new value out of place, then writes it through ``TensorBase._assign``, which
applies the rules for in-place writes and views."""

from __future__ import annotations

from ..autograd.grad_mode import STATE
from ..autograd.tensor_base import TensorBase
from ..errors import ShapeError, format_shape
from ..ops.broadcast import broadcast_shapes
from ..ops.movement import Overwrite


class InplaceMixin:
    """``add_``, ``sub_``, ``mul_``, ``div_``, ``clamp_``, ``masked_fill_``, ``copy_``, ``fill_``, ..."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def _inplace(self, op: str, compute, source=None) -> TensorBase:
        """Run ``compute(x)`` on this tensor's current value and store the result in place.

        When recording (this tensor or ``source`` requires grad), ``x`` is a snapshot of the
        value (``TensorBase._snapshot``), so that the recorded op keeps the input its backward
        may need (``a.mul_(b)``: b's gradient reads the old a). ``source``: the other tensor the
        op reads, which must not partly overlap this one.
        """
        recording = STATE.grad_enabled and (
            self._requires_grad or (isinstance(source, TensorBase) and source._requires_grad)
        )
        self._check_inplace(op, source)
        return self._assign(compute(self._snapshot() if recording else self.detach()), op)

    def add_(self, other, alpha=1) -> TensorBase:
        return self._inplace(
            "add_", lambda x: x + (other if alpha == 1 else other * alpha), source=other
        )

    def sub_(self, other, alpha=1) -> TensorBase:
        return self._inplace(
            "sub_", lambda x: x - (other if alpha == 1 else other * alpha), source=other
        )

    def mul_(self, other) -> TensorBase:
        return self._inplace("mul_", lambda x: x * other, source=other)

    def div_(self, other) -> TensorBase:
        return self._inplace("div_", lambda x: x / other, source=other)

    def clamp_(self, min=None, max=None) -> TensorBase:
        return self._inplace("clamp_", lambda x: x.clamp(min, max))

    def masked_fill_(self, mask, value) -> TensorBase:
        # the value is a number or a 0-d tensor, read before the write (as in PyTorch)
        return self._inplace("masked_fill_", lambda x: x.masked_fill(mask, value))

    def scatter_(self, dim, index, src=None, value=None) -> TensorBase:
        return self._inplace("scatter_", lambda x: x.scatter(dim, index, src, value))

    def scatter_add_(self, dim, index, src) -> TensorBase:
        return self._inplace("scatter_add_", lambda x: x.scatter_add(dim, index, src))

    def index_fill_(self, dim, index, value) -> TensorBase:
        return self._inplace("index_fill_", lambda x: x.index_fill(dim, index, value))

    def copy_(self, src) -> TensorBase:
        src = src if isinstance(src, TensorBase) else self._like(src)
        if broadcast_shapes(src.shape, self.shape, op="copy_") != self.shape:
            raise ShapeError(
                f"copy_: the source's shape {format_shape(src.shape)} cannot be broadcast to the "
                f"destination's shape {format_shape(self.shape)}"
            )
        return self._overwrite("copy_", src)

    def _overwrite(self, op: str, src) -> TensorBase:
        """Every element replaced by ``src`` (broadcast): dself = 0, dsrc = dy summed back.
        Without recording, a plain checked write."""
        src = src.to(self.device, self.dtype)
        if not (STATE.grad_enabled and (self._requires_grad or src._requires_grad)):
            self._check_inplace(op, src)
            return self._write(..., src._data, op)
        return self._inplace(op, lambda x: Overwrite.apply(x, src), source=src)

    def fill_(self, value) -> TensorBase:
        """Every element set to ``value``: a copy, not ``x * 0 + value`` (which turns an inf
        gradient into NaN); the old value gets gradient 0, as in PyTorch."""
        if not isinstance(value, TensorBase):
            value = self._like(value)
        elif value.ndim != 0:
            raise ShapeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions"
            )
        return self._overwrite("fill_", value)

    def zero_(self) -> TensorBase:
        return self._overwrite("zero_", self._like(0))

    def uniform_(self, a=0.0, b=1.0) -> TensorBase:
        sample = self._device.backend.uniform(self.shape, self._data.dtype)
        return self._overwrite("uniform_", self._like(sample * (b - a) + a))

    def normal_(self, mean=0.0, std=1.0) -> TensorBase:
        sample = self._device.backend.normal(self.shape, self._data.dtype)
        return self._overwrite("normal_", self._like(sample * std + mean))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
