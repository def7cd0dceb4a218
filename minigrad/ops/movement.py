"""Ops that move data without doing arithmetic: reshape, permute, expand, index, cat, flip."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import unbroadcast


class Reshape(Function):
    """y = x with a new shape (a view when memory allows).   dx = dy reshaped back"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.inputs[0].shape),)


class Permute(Function):
    """y = x with its axes reordered (a view).   dx = dy with the inverse order"""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.save(dims)
        return ctx.xp.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        (dims,) = ctx.saved
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        return (g.permute(*inverse),)


class Expand(Function):
    """y = x broadcast to a larger shape (a read-only view).   dx = dy summed over the copies"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (unbroadcast(g, ctx.inputs[0].shape),)


class Contiguous(Function):
    """y = a C-ordered copy of x.   dx = dy"""

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.ascontiguousarray(x)

    @staticmethod
    def backward(ctx, g):
        return (g,)


class Clone(Function):
    """y = a C-ordered copy of x.   dx = dy"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()  # ndarray.copy() is C-ordered by default (NumPy and CuPy)

    @staticmethod
    def backward(ctx, g):
        return (g,)


class ToDevice(Function):
    """y = x copied to another device.   dx = dy copied back"""

    @staticmethod
    def forward(ctx, x, device):
        host = ctx.backend.to_numpy(x)
        return device.backend.asarray(host, host.dtype)

    @staticmethod
    def backward(ctx, g):
        return (g.to(ctx.inputs[0].device),)

    @classmethod
    def apply(cls, x, device):
        out = super().apply(x, device=device)
        out._device = device
        return out


class Flip(Function):
    """y = x reversed along dims (a copy, as in PyTorch).   dx = dy reversed along the same dims"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.save(dims)
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        (dims,) = ctx.saved
        return (g.flip(dims),)


class Index(Function):
    """y = x[index] with integer arrays or masks (a copy).   dx = zeros with dy scatter-added at index"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.save(index)
        return x[index]

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved
        return (IndexAdd.apply(g, shape=ctx.inputs[0].shape, index=index),)


class Slice(Index):
    """y = x[index] with ints, slices, None and Ellipsis (a view).   dx = zeros with dy at index"""

    is_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.save(index)
        parts = index if isinstance(index, tuple) else (index,)
        # a trailing ``...`` keeps x[i, j] a 0-d view (NumPy would return a scalar copy)
        return x[parts if Ellipsis in parts else parts + (Ellipsis,)]


class IndexAdd(Function):
    """y = zeros(shape) with g added at index (repeats accumulate).   dg = dy[index]

    The adjoint of indexing: the backward of ``x[index]`` and, through its own backward,
    indexing again, so gradients of any order flow through indexing.
    """

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.save(index)
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if is_basic_index(index):
            out[index] = g
        else:
            ctx.backend.scatter_add(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gy):
        (index,) = ctx.saved
        return (gy[index],)


class IndexPut(Function):
    """y = x with y[index] = v (out of place).   dx = dy with dy[index] = 0,  dv = dy[index] summed to v"""

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.save(index)
        out = x.copy()
        target = out[index]
        lead = v.ndim - target.ndim  # v may have extra leading size-1 axes, as in PyTorch
        if lead > 0 and all(n == 1 for n in v.shape[:lead]):
            v = v.reshape(v.shape[lead:])
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        x, v = ctx.inputs
        (index,) = ctx.saved
        gx = IndexPut.apply(g, g.new_zeros(()), index=index) if x.requires_grad else None
        gv = None
        if v.requires_grad:
            gv = g[index]
            if v.ndim > gv.ndim:  # v may have extra leading size-1 axes, as in PyTorch
                gv = gv.reshape((1,) * (v.ndim - gv.ndim) + gv.shape)
            gv = unbroadcast(gv, v.shape)
        return gx, gv


class Cat(Function):
    """y = the inputs joined along dim.   each dx_i = the slice of dy that came from x_i"""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.save(dim)
        return ctx.xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (dim,) = ctx.saved
        grads, start = [], 0
        for t in ctx.inputs:
            size = t.shape[dim]
            grads.append(g.narrow(dim, start, size) if t.requires_grad else None)
            start += size
        return tuple(grads)


def put_back(view_node, base, view):
    """``base`` with ``view``'s values where the view op ``view_node`` took them from.

    After an in-place change to a view, this is the viewed tensor's new value, recorded so
    that gradients reach both the old base (outside the view) and the new view values.
    """
    if view_node.fn is Slice:
        (index,) = view_node.saved
        return IndexPut.apply(base, view, index=index)
    if view_node.fn is Permute:
        (dims,) = view_node.saved
        return view.permute(*sorted(range(len(dims)), key=dims.__getitem__))
    # Reshape, or an Expand that only added size-1 axes (writes to real expansions are refused):
    # the view holds exactly base's elements
    return view.reshape(base.shape)


def is_basic_index(index) -> bool:
    """Whether ``index`` selects a view (ints, slices, None, Ellipsis) rather than a copy."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)
