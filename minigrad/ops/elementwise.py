"""Elementwise ops. Binary ops broadcast; each input's gradient is summed back to its shape."""

from __future__ import annotations

import math

from ..autograd.graph import Op
from .broadcast import unbroadcast


def select(keep, g):
    """``g`` where ``keep`` holds, else 0: a select, not a product with a 0/1 mask, so an inf or
    NaN gradient sends 0 (not NaN) where the mask sends nothing, as PyTorch's backward does."""
    return g.where(keep, g.new_zeros(()))


def _binary_grads(ctx, ga, gb):
    """Reduce each gradient to its input's shape (broadcasting's adjoint); ``None`` for the
    inputs that need no gradient."""
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(ga, a.shape) if need_a else None,
        unbroadcast(gb, b.shape) if need_b else None,
    )


class Add(Op):
    """z = a + b.   da = dz,  db = dz"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return _binary_grads(ctx, g, g)


class Sub(Op):
    """z = a - b.   da = dz,  db = -dz"""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return _binary_grads(ctx, g, -g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """z = a * b.   da = dz * b,  db = dz * a"""

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return _binary_grads(ctx, g * b if need_a else None, g * a if need_b else None)


class Div(Op):
    """z = a / b.   da = dz / b,  db = -dz * a / b^2"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return _binary_grads(ctx, g / b if need_a else None, -g * a / (b * b) if need_b else None)


def ieee_power(xp, a, b):
    """``a ** b`` elementwise by IEEE 754's pow, as PyTorch computes a power by a tensor. NumPy's
    ``power`` takes an exponent of 0.5 that it repeats (a 0-d or broadcast array) as ``sqrt``,
    which differs at -inf (NaN, not inf) and -0 (-0, not 0); ``float_power`` has no such
    shortcut (it computes in float64, then the result is rounded back to the inputs' dtype)."""
    if a.dtype.kind != "f":
        return a**b
    return xp.float_power(a, b).astype(a.dtype, copy=False)


class Pow(Op):
    """z = a ** b (a tensor exponent).   da = dz * b * a^(b-1) (0 where b = 0),
    db = dz * (z * log(a), 0 where a = 0 and b >= 0): PyTorch's values where the formulas give
    0 * inf (``x ** 0`` at x = 0). As in PyTorch, da is selected, db's factor is selected and
    then multiplied by dz (a NaN or inf dz gives NaN there)."""

    @staticmethod
    def forward(ctx, a, b):
        z = ieee_power(ctx.xp, a, b)
        # z only for b's gradient: PyTorch saves no output for a constant exponent (x ** 2), so
        # an in-place op on z is fine then
        ctx.save_for_backward(a, b, z if ctx.needs_input_grad[1] else None)
        return z

    @staticmethod
    def backward(ctx, g):
        a, b, z = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = select(b != 0, g * b * a ** (b - 1)) if need_a else None
        gb = g * select(~((a == 0) & (b >= 0)), z * a.log()) if need_b else None
        return _binary_grads(ctx, ga, gb)


class PowScalar(Op):
    """z = x ** c for a number c.   dx = dz * c * x^(c-1) (0 where c = 0), the power taken by the
    same rule. As in PyTorch, x ** 0.5 is sqrt(x) and x ** -0.5 is 1 / sqrt(x): NaN at -inf
    (IEEE pow gives inf and 0), and -0 and -inf at -0 (pow: 0 and inf)."""

    @staticmethod
    def forward(ctx, x, exponent):
        ctx.exponent = exponent
        ctx.save_for_backward(x)
        if exponent == 0.5:
            return ctx.xp.sqrt(x)
        if exponent == -0.5:
            return 1.0 / ctx.xp.sqrt(x)
        return x**exponent

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        c = ctx.exponent
        return (x.new_zeros(x.shape) if c == 0 else g * (x ** (c - 1) * c),)


def _pick_grads(ctx, g, a_loses, b_loses):
    """Gradients of max/min: each input gets dz unless it lost; ties get dz / 2 each. Where an
    input is NaN neither loses (NaN propagates), so both get dz, as in PyTorch."""
    a, b = ctx.saved_tensors
    shared = g.where(a != b, g * 0.5)
    return _binary_grads(ctx, select(~a_loses(a, b), shared), select(~b_loses(a, b), shared))


class Maximum(Op):
    """z = max(a, b).   da = dz where a > b, dz / 2 where a = b, else 0 (db likewise)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _pick_grads(ctx, g, lambda a, b: a < b, lambda a, b: a > b)


class Minimum(Op):
    """z = min(a, b).   da = dz where a < b, dz / 2 where a = b, else 0 (db likewise)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _pick_grads(ctx, g, lambda a, b: a > b, lambda a, b: a < b)


class Where(Op):
    """z = cond ? a : b   (cond is a bool tensor).   da = dz * cond,  db = dz * !cond"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)  # a's and b's values are not needed (masked_fill_ overwrites b)
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, a, b = ctx.inputs
        _, need_a, need_b = ctx.needs_input_grad
        zero = g.new_zeros(())
        ga = unbroadcast(g.where(cond, zero), a.shape) if need_a else None
        gb = unbroadcast(zero.where(cond, g), b.shape) if need_b else None
        return None, ga, gb


class Neg(Op):
    """y = -x.   dx = -dy"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return (-g,)


class Exp(Op):
    """y = exp(x).   dx = dy * y"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y,)


class Log(Op):
    """y = log(x).   dx = dy / x"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g / x,)


class _LogBase(Op):
    """y = log_b(x) by the backend's own function for base b.   dx = dy / (x ln b)"""

    function: str  # the xp function, "log2" or "log10"
    ln_base: float

    @classmethod
    def forward(cls, ctx, x):
        ctx.save_for_backward(x)
        return getattr(ctx.xp, cls.function)(x)

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        return (g / (x * cls.ln_base),)


class Log2(_LogBase):
    """y = log2(x).   dx = dy / (x ln 2)"""

    function, ln_base = "log2", math.log(2.0)


class Log10(_LogBase):
    """y = log10(x).   dx = dy / (x ln 10)"""

    function, ln_base = "log10", math.log(10.0)


class Sqrt(Op):
    """y = sqrt(x).   dx = dy / (2 y)"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g / (y * 2.0),)


class Rsqrt(Op):
    """y = 1 / sqrt(x).   dx = -dy * y^3 / 2"""

    @staticmethod
    def forward(ctx, x):
        y = 1.0 / ctx.xp.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * y * y * y * -0.5,)


class Abs(Op):
    """y = |x|.   dx = dy * sign(x)   (0 at x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * x.sign(),)


class Sign(Op):
    """y = sign(x) (0 at NaN, as in PyTorch).   dx = 0"""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        return xp.where(xp.isnan(x), 0, xp.sign(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return (g.new_zeros(g.shape),)


class Tanh(Op):
    """y = tanh(x).   dx = dy * (1 - y^2)"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (TanhBackward.apply(g, y),)


class TanhBackward(Op):
    """z = dy * (1 - y^2).   d(dy) = dz * (1 - y^2),  dy_ = -2 dz * dy * y

    tanh's gradient as one op (PyTorch's ``tanh_backward``): one call and one pass instead of
    three, and an op of its own for double backward."""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g * (1 - y * y)

    @staticmethod
    def backward(ctx, dz):
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (dz * (1.0 - y * y) if need_g else None, dz * g * y * -2.0 if need_y else None)


def sigmoid(xp, x):
    """1 / (1 + exp(-x)) without overflow: exp(-|x|) on both sides of 0 (it is at most 1)."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


class Sigmoid(Op):
    """y = 1 / (1 + exp(-x)).   dx = dy * y * (1 - y)"""

    @staticmethod
    def forward(ctx, x):
        y = sigmoid(ctx.xp, x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (SigmoidBackward.apply(g, y),)


class SigmoidBackward(Op):
    """z = dy * (1 - y) * y.   d(dy) = dz * (1 - y) * y,  dy_ = dz * dy * (1 - 2y)

    sigmoid's gradient as one op (PyTorch's ``sigmoid_backward``), as ``TanhBackward``."""

    @staticmethod
    def forward(ctx, g, y):
        ctx.save_for_backward(g, y)
        return g * (1 - y) * y

    @staticmethod
    def backward(ctx, dz):
        g, y = ctx.saved_tensors
        need_g, need_y = ctx.needs_input_grad
        return (
            dz * (1.0 - y) * y if need_g else None,
            dz * g * (1.0 - 2.0 * y) if need_y else None,
        )


class Relu(Op):
    """y = max(x, 0).   dx = dy, except 0 where x <= 0 (so a NaN passes its gradient, as in
    PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        y = ctx.xp.maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (select(~(y <= 0), g),)


class Sin(Op):
    """y = sin(x).   dx = dy * cos(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * x.cos(),)


class Cos(Op):
    """y = cos(x).   dx = -dy * sin(x)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (-g * x.sin(),)


class Erf(Op):
    """y = erf(x).   dx = dy * 2/sqrt(pi) * exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.erf(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * (-(x * x)).exp() * 1.1283791670955126,)


class Clamp(Op):
    """y = min(max(x, lo), hi).   dx = dy where lo <= x <= hi, else 0"""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        xp = ctx.xp
        inside = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save_for_backward(inside)
        return xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved_tensors
        return (select(inside, g),)


class Triangle(Op):
    """y = x on and below (``lower``) or above the ``diagonal``-th diagonal of the last two axes,
    else 0.   dx = dy masked the same way"""

    @staticmethod
    def forward(ctx, x, diagonal, lower):
        xp = ctx.xp
        rows, cols = x.shape[-2:]
        keep = xp.tri(rows, cols, diagonal, dtype=bool)
        if not lower:
            keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
        ctx.save_for_backward(keep)
        return xp.where(keep, x, xp.zeros((), dtype=x.dtype))

    @staticmethod
    def backward(ctx, g):
        (keep,) = ctx.saved_tensors
        return (g.where(keep, g.new_zeros(())),)


class Cast(Op):
    """y = x converted to another dtype.   dx = dy converted back"""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.inputs[0].dtype),)
