"""Reductions. ``dims`` is always a tuple of non-negative axes (normalised by the caller)."""

from __future__ import annotations

from ..autograd.graph import Op
from .elementwise import select


def _keepdim_shape(shape, dims):
    """``shape`` with each reduced axis kept as size 1."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class Sum(Op):
    """y = sum of x over dims.   dx = dy broadcast back over the summed dims"""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.dims, ctx.shape = dims, x.shape
        return ctx.backend.sum(x, dims, keepdim)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(_keepdim_shape(ctx.shape, ctx.dims)).expand(ctx.shape),)


def peak(xp, x, dims):
    """max of x over ``dims``, kept as size-1 axes: the shift that keeps exp from overflowing in
    softmax and logsumexp. Over an empty axis it is -inf, the identity of max (NumPy refuses)."""
    axes = tuple(d for d in dims if d < x.ndim)  # dim 0 of a 0-d tensor reduces nothing
    if any(x.shape[d] == 0 for d in axes):
        return xp.full(_keepdim_shape(x.shape, axes), -xp.inf, dtype=x.dtype)
    return xp.max(x, axis=axes, keepdims=True)


class _Extreme(Op):
    """amax / amin over dims; the gradient is split equally among tied extremes.

    ``nan_hits`` is PyTorch's ``max()`` / ``min()`` of all elements: a NaN result takes its
    gradient from the NaN inputs, and the others get 0 by a select. Otherwise (``amax``) the
    gradient is multiplied by the 0/1 mask, as PyTorch does there: NaN == NaN is false, and an
    inf or NaN gradient makes NaN at the other places.
    """

    reducer: str  # the backend's reduction, "max" or "min"

    @classmethod
    def forward(cls, ctx, x, dims, keepdim, nan_hits=False):
        ctx.dims, ctx.nan_hits = dims, nan_hits
        y = getattr(ctx.xp, cls.reducer)(x, axis=dims, keepdims=keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        keep = _keepdim_shape(x.shape, ctx.dims)
        y, g = y.reshape(keep), g.reshape(keep)
        hit = x == y
        if ctx.nan_hits:
            hit = hit | (x.isnan() & y.isnan())
            count = hit.to(g.dtype).sum(dim=ctx.dims, keepdim=True)
            return (select(hit, (g / count).expand(x.shape)),)
        hit = hit.to(g.dtype)
        return (g * hit / hit.sum(dim=ctx.dims, keepdim=True),)


class Amax(_Extreme):
    """y = max of x over dims.   dx = dy at the maxima (split equally between ties), else 0"""

    reducer = "max"


class Amin(_Extreme):
    """y = min of x over dims.   dx = dy at the minima (split equally between ties), else 0"""

    reducer = "min"


class Norm(Op):
    """y = (sum |x|^p)^(1/p) over dims (p > 0).   dx = sign(x) |x|^(p-1) * dy / y^(p-1), with
    0 for dy / y^(p-1) where y = 0 (PyTorch's subgradient at the origin: the formula gives
    0 / 0) and for sign(x) |x|^(p-1) where x = 0. As in PyTorch, for p = 2 the factor x / y is
    the one masked, then multiplied by dy (a NaN dy stays NaN at the origin)."""

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = ctx.xp
        ctx.p, ctx.dims = p, dims
        if p == 2:
            y = xp.sqrt(ctx.backend.sum(x * x, dims, keepdim))
        else:
            y = ctx.backend.sum(xp.abs(x) ** p, dims, keepdim) ** (1.0 / p)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        p = ctx.p
        keep = _keepdim_shape(x.shape, ctx.dims)
        y, g = y.reshape(keep), g.reshape(keep)
        if p == 2:
            return (g * select(y != 0, x / y),)
        scaled = select(x != 0, x.sign() * x.abs() ** (p - 1))
        return (scaled * select(y != 0, g / y ** (p - 1)),)


class Cumsum(Op):
    """y_i = x_0 + ... + x_i along dim.   dx_i = dy_i + ... + dy_last (a cumsum from the end)"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        # contiguous whatever the input's layout, as PyTorch's (its .view works)
        return ctx.xp.cumsum(ctx.xp.asarray(x, order="C"), axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim),)
