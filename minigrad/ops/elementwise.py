"""Elementwise ops. Binary ops broadcast; each input's gradient is summed back to its shape."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import unbroadcast


def select(keep, g):
    """``g`` where ``keep`` holds, else 0: a select, not a product with a 0/1 mask, so an inf or
    NaN gradient sends 0 (not NaN) where the mask sends nothing, as PyTorch's backward does."""
    return g.where(keep, g.new_zeros(()))


def _binary_grads(ctx, ga, gb):
    """Reduce each gradient to its input's shape, skipping inputs that do not need one."""
    a, b = ctx.inputs
    return (
        unbroadcast(ga, a.shape) if ga is not None and a.requires_grad else None,
        unbroadcast(gb, b.shape) if gb is not None and b.requires_grad else None,
    )


class Add(Function):
    """z = a + b.   da = dz,  db = dz"""

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return _binary_grads(ctx, g, g)


class Sub(Function):
    """z = a - b.   da = dz,  db = -dz"""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return _binary_grads(ctx, g, -g if ctx.needs_grad(1) else None)


class Mul(Function):
    """z = a * b.   da = dz * b,  db = dz * a"""

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        ga = g * ctx.saved_input(1) if a.requires_grad else None
        gb = g * ctx.saved_input(0) if b.requires_grad else None
        return _binary_grads(ctx, ga, gb)


class Div(Function):
    """z = a / b.   da = dz / b,  db = -dz * a / b^2"""

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        ga = g / ctx.saved_input(1) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            b = ctx.saved_input(1)
            gb = -g * ctx.saved_input(0) / (b * b)
        return _binary_grads(ctx, ga, gb)


class Pow(Function):
    """z = a ** b.   da = dz * b * a^(b-1) (0 where b = 0),  db = dz * z * log(a) (0 where a = 0
    and b >= 0): PyTorch's values where the formulas give 0 * inf (``x ** 0`` at x = 0)."""

    @staticmethod
    def forward(ctx, a, b):
        return a**b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_inputs()
        ga = select(b != 0, g * b * a ** (b - 1)) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            gb = select(~((a == 0) & (b >= 0)), g * ctx.output() * a.log())
        return _binary_grads(ctx, ga, gb)


def _pick_grads(ctx, g, a_loses, b_loses):
    """Gradients of max/min: each input gets dz unless it lost; ties get dz / 2 each. Where an
    input is NaN neither loses (NaN propagates), so both get dz, as in PyTorch."""
    a, b = ctx.saved_inputs()
    shared = g.where(a != b, g * 0.5)
    return _binary_grads(ctx, select(~a_loses(a, b), shared), select(~b_loses(a, b), shared))


class Maximum(Function):
    """z = max(a, b).   da = dz where a > b, dz / 2 where a = b, else 0 (db likewise)"""

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _pick_grads(ctx, g, lambda a, b: a < b, lambda a, b: a > b)


class Minimum(Function):
    """z = min(a, b).   da = dz where a < b, dz / 2 where a = b, else 0 (db likewise)"""

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        return _pick_grads(ctx, g, lambda a, b: a > b, lambda a, b: a < b)


class Where(Function):
    """z = cond ? a : b   (cond is a bool tensor).   da = dz * cond,  db = dz * !cond"""

    @staticmethod
    def forward(ctx, cond, a, b):
        return ctx.xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = ctx.saved_input(0)  # a's and b's values are not needed (masked_fill_ overwrites b)
        a, b = ctx.inputs[1:]
        zero = g.new_zeros(())
        ga = unbroadcast(g.where(cond, zero), a.shape) if a.requires_grad else None
        gb = unbroadcast(zero.where(cond, g), b.shape) if b.requires_grad else None
        return None, ga, gb


class Neg(Function):
    """y = -x.   dx = -dy"""

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return (-g,)


class Exp(Function):
    """y = exp(x).   dx = dy * y"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.exp(x)

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.output(),)


class Log(Function):
    """y = log(x).   dx = dy / x"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        return (g / x,)


class Sqrt(Function):
    """y = sqrt(x).   dx = dy / (2 y)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sqrt(x)

    @staticmethod
    def backward(ctx, g):
        return (g / (ctx.output() * 2.0),)


class Rsqrt(Function):
    """y = 1 / sqrt(x).   dx = -dy * y^3 / 2"""

    @staticmethod
    def forward(ctx, x):
        return 1.0 / ctx.xp.sqrt(x)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return (g * y * y * y * -0.5,)


class Abs(Function):
    """y = |x|.   dx = dy * sign(x)   (0 at x = 0, as in PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        return (g * x.sign(),)


class Sign(Function):
    """y = sign(x) (0 at NaN, as in PyTorch).   dx = 0"""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        return xp.where(xp.isnan(x), 0, xp.sign(x)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return (g.new_zeros(g.shape),)


class Tanh(Function):
    """y = tanh(x).   dx = dy * (1 - y^2)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.tanh(x)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return (g * (1.0 - y * y),)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)).   dx = dy * y * (1 - y)"""

    @staticmethod
    def forward(ctx, x):
        xp = ctx.xp
        # exp of a non-positive number never overflows: use exp(-|x|) on both sides
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        y = ctx.output()
        return (g * y * (1.0 - y),)


class Relu(Function):
    """y = max(x, 0).   dx = dy, except 0 where x <= 0 (so a NaN passes its gradient, as in
    PyTorch)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        return (select(~(ctx.output() <= 0), g),)


class Sin(Function):
    """y = sin(x).   dx = dy * cos(x)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        return (g * x.cos(),)


class Cos(Function):
    """y = cos(x).   dx = -dy * sin(x)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        return (-g * x.sin(),)


class Erf(Function):
    """y = erf(x).   dx = dy * 2/sqrt(pi) * exp(-x^2)"""

    @staticmethod
    def forward(ctx, x):
        return ctx.backend.erf(x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        return (g * (-(x * x)).exp() * 1.1283791670955126,)


class Clamp(Function):
    """y = min(max(x, lo), hi).   dx = dy where lo <= x <= hi, else 0"""

    @staticmethod
    def forward(ctx, x, lo=None, hi=None):
        xp = ctx.xp
        inside = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            inside &= x >= lo
        if hi is not None:
            inside &= x <= hi
        ctx.save(inside)
        return xp.clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        (inside,) = ctx.saved
        return (select(ctx.constant(inside), g),)


class Cast(Function):
    """y = x converted to another dtype.   dx = dy converted back"""

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.inputs[0].dtype),)
