"""Reductions. ``dims`` is always a tuple of non-negative axes (normalised by the caller)."""

from __future__ import annotations

from ..autograd.function import Function


def _keepdim_shape(shape, dims):
    """``shape`` with each reduced axis kept as size 1."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over dims.   dx = dy broadcast back over the summed dims"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save(dims)
        return ctx.xp.sum(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        (dims,) = ctx.saved
        shape = ctx.inputs[0].shape
        return (g.reshape(_keepdim_shape(shape, dims)).expand(shape),)


class _Extreme(Function):
    """Shared backward of amax / amin: the gradient is split equally among tied extremes."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        (dims,) = ctx.saved
        keep = _keepdim_shape(x.shape, dims)
        hit = (x == ctx.output().reshape(keep)).to(g.dtype)
        return (g.reshape(keep) * hit / hit.sum(dim=dims, keepdim=True),)


class Amax(_Extreme):
    """y = max of x over dims.   dx = dy at the maxima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save(dims)
        return ctx.xp.max(x, axis=dims, keepdims=keepdim)


class Amin(_Extreme):
    """y = min of x over dims.   dx = dy at the minima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.save(dims)
        return ctx.xp.min(x, axis=dims, keepdims=keepdim)


class Cumsum(Function):
    """y_i = x_0 + ... + x_i along dim.   dx_i = dy_i + ... + dy_last (a cumsum from the end)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.save(dim)
        return ctx.xp.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (dim,) = ctx.saved
        return (g.flip(dim).cumsum(dim).flip(dim),)
