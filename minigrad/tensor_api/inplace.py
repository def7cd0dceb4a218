"""In-place Tensor methods (``add_``, ``copy_``, ``fill_``, ``normal_``, ``+=``, ...): each
computes the new value out of place, then writes it through ``TensorBase._assign``, which
applies the rules for in-place writes and views."""

from __future__ import annotations

from ..autograd.grad_mode import STATE
from ..autograd.tensor_base import TensorBase
from ..errors import ShapeError, format_shape
from ..ops.broadcast import broadcast_shapes


class InplaceMixin:
    """``add_``, ``sub_``, ``mul_``, ``div_``, ``clamp_``, ``masked_fill_``, ``copy_``, ``fill_``, ..."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def _inplace(self, op: str, compute) -> TensorBase:
        """Run ``compute(x)`` on this tensor's current value and store the result in place."""
        recording = STATE.grad_enabled and self._requires_grad
        self._check_inplace(op)
        return self._assign(compute(self._alias() if recording else self.detach()), op)

    def add_(self, other, alpha=1) -> TensorBase:
        return self._inplace("add_", lambda x: x + (other if alpha == 1 else other * alpha))

    def sub_(self, other, alpha=1) -> TensorBase:
        return self._inplace("sub_", lambda x: x - (other if alpha == 1 else other * alpha))

    def mul_(self, other) -> TensorBase:
        return self._inplace("mul_", lambda x: x * other)

    def div_(self, other) -> TensorBase:
        return self._inplace("div_", lambda x: x / other)

    def clamp_(self, min=None, max=None) -> TensorBase:
        return self._inplace("clamp_", lambda x: x.clamp(min, max))

    def masked_fill_(self, mask, value) -> TensorBase:
        return self._inplace("masked_fill_", lambda x: x.masked_fill(mask, value))

    def copy_(self, src) -> TensorBase:
        src = src if isinstance(src, TensorBase) else self._like(src)
        if broadcast_shapes(src.shape, self.shape, op="copy_") != self.shape:
            raise ShapeError(
                f"copy_: the source's shape {format_shape(src.shape)} cannot be broadcast to the "
                f"destination's shape {format_shape(self.shape)}"
            )
        return self._inplace("copy_", lambda x: src.to(x.dtype).to(x.device).expand(x.shape))

    def fill_(self, value) -> TensorBase:
        if STATE.grad_enabled and self._requires_grad:
            return self._inplace("fill_", lambda x: x * 0 + value)
        return self._write(..., value._data if isinstance(value, TensorBase) else value, "fill_")

    def zero_(self) -> TensorBase:
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0) -> TensorBase:
        sample = self._device.backend.uniform(self.shape, self._data.dtype)
        return self.fill_(self._like(sample * (b - a) + a))

    def normal_(self, mean=0.0, std=1.0) -> TensorBase:
        sample = self._device.backend.normal(self.shape, self._data.dtype)
        return self.fill_(self._like(sample * std + mean))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
