"""Reductions. ``dims`` is always a tuple of non-negative axes (normalised by the caller)."""

from __future__ import annotations

from ..autograd.graph import Op


def _keepdim_shape(shape, dims):
    """``shape`` with each reduced axis kept as size 1."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Op):
    """y = sum of x over dims.   dx = dy broadcast back over the summed dims"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.shape = dims, x.shape
        return ctx.xp.sum(x, axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(_keepdim_shape(ctx.shape, ctx.dims)).expand(ctx.shape),)


class _Extreme(Op):
    """Shared backward of amax / amin: the gradient is split equally among tied extremes."""

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        keep = _keepdim_shape(x.shape, ctx.dims)
        hit = (x == y.reshape(keep)).to(g.dtype)
        return (g.reshape(keep) * hit / hit.sum(dim=ctx.dims, keepdim=True),)


class Amax(_Extreme):
    """y = max of x over dims.   dx = dy at the maxima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims = dims
        y = ctx.xp.max(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y


class Amin(_Extreme):
    """y = min of x over dims.   dx = dy at the minima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims = dims
        y = ctx.xp.min(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y


class Cumsum(Op):
    """y_i = x_0 + ... + x_i along dim.   dx_i = dy_i + ... + dy_last (a cumsum from the end)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return ctx.xp.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim),)
