"""Elementwise Tensor methods: arithmetic with PyTorch's type promotion, math functions,
comparisons and logic (no gradient), and ``where``."""

from __future__ import annotations

from .. import dtypes
from ..autograd.tensor_base import TensorBase
from ..errors import ArgumentError, DTypeError
from ..ops import discrete
from ..ops import elementwise as ew
from ..ops.broadcast import broadcast_shapes
from .arguments import OPERAND_TYPES, promote

_NOT_GIVEN = object()  # where(condition) alone


class ElementwiseMixin:
    """``+ - * / **``, ``exp``, ``tanh``, ``clamp``, ``==``, ``logical_and``, ``isnan``, ..."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def _binary(self, fn, other, reverse=False) -> TensorBase:
        """Apply a broadcasting binary op after PyTorch's type promotion."""
        a, b = promote(self, other)
        if reverse:
            a, b = b, a
        try:
            return fn.apply(a, b)
        except ValueError:
            broadcast_shapes(a.shape, b.shape, op=fn.__name__.lower())
            raise

    def __add__(self, other):
        return self._binary(ew.Add, other)

    def __radd__(self, other):
        return self._binary(ew.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ew.Sub, other)

    def __rsub__(self, other):
        return self._binary(ew.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ew.Mul, other)

    def __rmul__(self, other):
        return self._binary(ew.Mul, other, reverse=True)

    def __truediv__(self, other):
        return self._float_operands(other)._binary(ew.Div, other)

    def __rtruediv__(self, other):
        return self._float_operands(other)._binary(ew.Div, other, reverse=True)

    def __pow__(self, other):
        if type(other) in (float, int) and self._data.dtype.kind == "f":
            return ew.PowScalar.apply(self, exponent=other)  # PyTorch's pow(Tensor, Scalar)
        return self._binary(ew.Pow, other)

    def __rpow__(self, other):
        return self._binary(ew.Pow, other, reverse=True)

    def __neg__(self):
        return ew.Neg.apply(self)

    def _float_operands(self, other) -> TensorBase:
        """True division of integers gives floats, as in PyTorch."""
        if self.is_floating_point() or (
            isinstance(other, TensorBase) and other.is_floating_point()
        ):
            return self
        return self.to(dtypes.get_default_dtype())

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def maximum(self, other) -> TensorBase:
        return self._binary(ew.Maximum, other)

    def minimum(self, other) -> TensorBase:
        return self._binary(ew.Minimum, other)

    def exp(self) -> TensorBase:
        return ew.Exp.apply(self._floating())

    def log(self) -> TensorBase:
        return ew.Log.apply(self._floating())

    def log2(self) -> TensorBase:
        return ew.Log2.apply(self._floating())

    def log10(self) -> TensorBase:
        return ew.Log10.apply(self._floating())

    def sqrt(self) -> TensorBase:
        return ew.Sqrt.apply(self._floating())

    def rsqrt(self) -> TensorBase:
        return ew.Rsqrt.apply(self._floating())

    def abs(self) -> TensorBase:
        return ew.Abs.apply(self)

    def sign(self) -> TensorBase:
        return ew.Sign.apply(self)

    def tanh(self) -> TensorBase:
        return ew.Tanh.apply(self._floating())

    def sigmoid(self) -> TensorBase:
        return ew.Sigmoid.apply(self._floating())

    def relu(self) -> TensorBase:
        return ew.Relu.apply(self)

    def sin(self) -> TensorBase:
        return ew.Sin.apply(self._floating())

    def cos(self) -> TensorBase:
        return ew.Cos.apply(self._floating())

    def erf(self) -> TensorBase:
        return ew.Erf.apply(self._floating())

    def square(self) -> TensorBase:
        return self * self

    def clamp(self, min=None, max=None) -> TensorBase:
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        # float bounds make an integer tensor float (the default dtype), as in PyTorch
        target = dtypes.result_type(self, *(b for b in (min, max) if b is not None))
        return ew.Clamp.apply(self.to(target), lo=min, hi=max)

    clip = clamp

    def where(self, condition, other) -> TensorBase:
        """``self`` where ``condition`` holds, else ``other`` (``torch.where(cond, self, other)``)."""
        return where(condition, self, other)

    def _floating(self) -> TensorBase:
        """Integer inputs of transcendental ops become the default float dtype, as in PyTorch."""
        return self if self.is_floating_point() else self.to(dtypes.get_default_dtype())

    def _discrete(self, op, other, operator=False):
        """A binary op without a gradient (comparisons, logic, bit ops, ``//``, ``%``), ``other``
        promoted with ``self`` as for arithmetic. Any other operand is a TypeError, as in
        PyTorch: raised here by named methods, by Python for operators (which return
        ``NotImplemented``, so that ``t == "a"`` is False as for any two unrelated objects)."""
        if not isinstance(other, OPERAND_TYPES):
            if operator:
                return NotImplemented
            raise DTypeError(
                f"{op.ufunc}(): argument 'other' must be Tensor or Number, not {type(other).__name__}"
            )
        a, b = promote(self, other)
        try:
            return op.apply(a, b)
        except ValueError:
            broadcast_shapes(a.shape, b.shape, op=op.ufunc)
            raise

    def eq(self, other):
        return self._discrete(discrete.Eq, other)

    def ne(self, other):
        return self._discrete(discrete.Ne, other)

    def lt(self, other):
        return self._discrete(discrete.Lt, other)

    def le(self, other):
        return self._discrete(discrete.Le, other)

    def gt(self, other):
        return self._discrete(discrete.Gt, other)

    def ge(self, other):
        return self._discrete(discrete.Ge, other)

    def __eq__(self, other):
        return self._discrete(discrete.Eq, other, operator=True)

    def __ne__(self, other):
        return self._discrete(discrete.Ne, other, operator=True)

    def __lt__(self, other):
        return self._discrete(discrete.Lt, other, operator=True)

    def __le__(self, other):
        return self._discrete(discrete.Le, other, operator=True)

    def __gt__(self, other):
        return self._discrete(discrete.Gt, other, operator=True)

    def __ge__(self, other):
        return self._discrete(discrete.Ge, other, operator=True)

    def logical_and(self, other):
        return self._discrete(discrete.LogicalAnd, other)

    def logical_or(self, other):
        return self._discrete(discrete.LogicalOr, other)

    def logical_xor(self, other):
        return self._discrete(discrete.LogicalXor, other)

    def logical_not(self):
        return discrete.LogicalNot.apply(self)

    def __and__(self, other):
        return self._discrete(discrete.BitwiseAnd, other, operator=True)

    def __or__(self, other):
        return self._discrete(discrete.BitwiseOr, other, operator=True)

    def __xor__(self, other):
        return self._discrete(discrete.BitwiseXor, other, operator=True)

    def __invert__(self):
        return discrete.BitwiseNot.apply(self)

    def __floordiv__(self, other):
        return self._discrete(discrete.FloorDivide, other, operator=True)

    def __mod__(self, other):
        return self._discrete(discrete.Remainder, other, operator=True)

    def isnan(self) -> TensorBase:
        return discrete.IsNan.apply(self)

    def isinf(self) -> TensorBase:
        return discrete.IsInf.apply(self)

    def isfinite(self) -> TensorBase:
        return discrete.IsFinite.apply(self)

    def equal(self, other: TensorBase) -> bool:
        """Whether both have the same shape and elements."""
        return self.shape == other.shape and discrete.ArrayEqual.apply(self, other).item()

    def isclose(self, other: TensorBase, rtol=1e-5, atol=1e-8, equal_nan=False) -> TensorBase:
        """Where |self - other| <= atol + rtol * |other| (a bool tensor; both of one dtype)."""
        if not isinstance(other, TensorBase) or other.dtype is not self.dtype:
            got = other.dtype if isinstance(other, TensorBase) else type(other).__name__
            raise DTypeError(f"isclose: expected both inputs of dtype {self.dtype}, got {got}")
        try:
            return discrete.IsClose.apply(self, other, rtol=rtol, atol=atol, equal_nan=equal_nan)
        except ValueError:
            broadcast_shapes(self.shape, other.shape, op="isclose")
            raise

    def allclose(self, other: TensorBase, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
        return self.isclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan).all().item()


def where(condition, input=_NOT_GIVEN, other=_NOT_GIVEN):
    """``input`` where ``condition`` is True, else ``other``; all three broadcast together.
    ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``, as in PyTorch."""
    if input is _NOT_GIVEN and other is _NOT_GIVEN:
        if not isinstance(condition, TensorBase):
            raise DTypeError(f"where(condition): expected a tensor, got {type(condition).__name__}")
        return condition.nonzero(as_tuple=True)
    if input is _NOT_GIVEN or other is _NOT_GIVEN:
        raise ArgumentError("where() takes a condition alone, or a condition, input and other")
    ref = (
        input
        if isinstance(input, TensorBase)
        else other
        if isinstance(other, TensorBase)
        else condition
    )
    if not isinstance(condition, TensorBase):
        condition = ref._like(condition, dtypes.bool_)
    if condition.dtype is not dtypes.bool_:
        raise DTypeError(
            f"where: expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}"
        )
    a, b = promote(input, other, ref)
    try:
        return ew.Where.apply(condition, a, b)
    except ValueError:
        broadcast_shapes(condition.shape, a.shape, b.shape, op="where")
        raise
