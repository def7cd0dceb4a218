"""Reductions. ``dims`` is always a tuple of non-negative axes (normalised by the caller)."""

from __future__ import annotations

from ..autograd.function import Function
from .elementwise import select


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


def peak(xp, x, dims):
    """max of x over ``dims``, kept as size-1 axes: the shift that keeps exp from overflowing in
    softmax and logsumexp. Over an empty axis it is -inf, the identity of max (NumPy refuses)."""
    axes = tuple(d for d in dims if d < x.ndim)  # dim 0 of a 0-d tensor reduces nothing
    if any(x.shape[d] == 0 for d in axes):
        return xp.full(_keepdim_shape(x.shape, axes), -xp.inf, dtype=x.dtype)
    return xp.max(x, axis=axes, keepdims=True)


class _Extreme(Function):
    """Shared backward of amax / amin: the gradient is split equally among tied extremes.

    ``nan_hits``: a NaN result takes its gradient from the NaN inputs (``max()`` / ``min()`` of
    all elements in PyTorch); otherwise NaN == NaN is false and the gradient is NaN (``amax``).
    """

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_inputs()
        dims, nan_hits = ctx.saved
        keep = _keepdim_shape(x.shape, dims)
        y = ctx.output().reshape(keep)
        hit = x == y
        if nan_hits:
            hit = hit | (x.isnan() & y.isnan())
        hit = hit.to(g.dtype)
        return (g.reshape(keep) * hit / hit.sum(dim=dims, keepdim=True),)


class Amax(_Extreme):
    """y = max of x over dims.   dx = dy at the maxima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, nan_hits=False):
        ctx.save(dims, nan_hits)
        return ctx.xp.max(x, axis=dims, keepdims=keepdim)


class Amin(_Extreme):
    """y = min of x over dims.   dx = dy at the minima (split equally between ties), else 0"""

    @staticmethod
    def forward(ctx, x, dims, keepdim, nan_hits=False):
        ctx.save(dims, nan_hits)
        return ctx.xp.min(x, axis=dims, keepdims=keepdim)


class Norm(Function):
    """y = (sum |x|^p)^(1/p) over dims (p > 0).   dx = dy * x |x|^(p-2) / y^(p-1), and 0 where
    y = 0: PyTorch's subgradient at the origin (the formula gives 0 / 0 there)."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = ctx.xp
        ctx.save(p, dims)
        if p == 2:
            return xp.sqrt(xp.sum(x * x, axis=dims, keepdims=keepdim))
        return xp.sum(xp.abs(x) ** p, axis=dims, keepdims=keepdim) ** (1.0 / p)

    @staticmethod
    def backward(ctx, g):
        p, dims = ctx.saved
        (x,) = ctx.saved_inputs()
        keep = _keepdim_shape(x.shape, dims)
        y = ctx.output().reshape(keep)
        if p == 2:
            dx = g.reshape(keep) * x / y
        else:
            dx = g.reshape(keep) * x * x.abs() ** (p - 2) / y ** (p - 1)
        return (select(y != 0, dx),)


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
