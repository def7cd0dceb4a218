"""Ops that move data without doing arithmetic: reshape, permute, expand, index, cat, flip, copy.

The view ops (``is_view``) also say how to write a view back into the tensor it views
(``put_back``), which in-place writes to a view use to update the viewed tensor's graph.
"""

from __future__ import annotations

from ..autograd.graph import Op
from .broadcast import unbroadcast


class Reshape(Op):
    """y = x with a new shape (a view when memory allows).   dx = dy reshaped back"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return (g.reshape(ctx.in_shape),)

    @staticmethod
    def put_back(view_node, base, view):
        """The view holds exactly base's elements."""
        return view.reshape(base.shape)


class Permute(Op):
    """y = x with its axes reordered (a view).   dx = dy with the inverse order"""

    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.transpose(x, dims)

    @staticmethod
    def backward(ctx, g):
        return (g.permute(*_inverse(ctx.dims)),)

    @staticmethod
    def put_back(view_node, base, view):
        return view.permute(*_inverse(view_node.dims))


def _inverse(dims) -> list[int]:
    """The permutation that undoes ``dims``."""
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return inverse


class Expand(Op):
    """y = x broadcast to a larger shape (a read-only view).   dx = dy summed over the copies"""

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return (unbroadcast(g, ctx.in_shape),)

    # Writes to real expansions are refused; one that only added size-1 axes holds base's elements.
    put_back = Reshape.put_back


class Clone(Op):
    """y = a C-ordered copy of x (``clone()``, and ``contiguous()`` of a strided tensor).   dx = dy"""

    @staticmethod
    def forward(ctx, x):
        return x.copy()  # ndarray.copy() is C-ordered by default (NumPy and CuPy)

    @staticmethod
    def backward(ctx, g):
        return (g,)


class ToDevice(Op):
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


class Flip(Op):
    """y = x reversed along dims (a copy, as in PyTorch).   dx = dy reversed along the same dims"""

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return (g.flip(ctx.dims),)


class Index(Op):
    """y = x[index] with integer arrays or masks (a copy).   dx = zeros with dy scatter-added at index"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.in_shape = index, x.shape
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return (IndexAdd.apply(g, shape=ctx.in_shape, index=ctx.index),)


class Slice(Index):
    """y = x[index] with ints, slices, None and Ellipsis (a view).   dx = zeros with dy at index"""

    is_view = True

    @staticmethod
    def forward(ctx, x, index):
        ctx.index, ctx.in_shape = index, x.shape
        parts = index if isinstance(index, tuple) else (index,)
        # a trailing ``...`` keeps x[i, j] a 0-d view (NumPy would return a scalar copy)
        return x[parts if Ellipsis in parts else parts + (Ellipsis,)]

    @staticmethod
    def put_back(view_node, base, view):
        return IndexPut.apply(base, view, index=view_node.index)


class Gather(Index):
    """y[i][j][k] = x[index[i][j][k]][j][k] along dim 0 (likewise for other dims; a copy).
    dx = zeros with dy scatter-added at the gathered places"""

    @staticmethod
    def forward(ctx, x, index, dim):
        xp = ctx.xp
        grids = list(xp.meshgrid(*[xp.arange(n) for n in index.shape], indexing="ij", sparse=True))
        grids[dim] = index
        ctx.index, ctx.in_shape = tuple(grids), x.shape
        return x[ctx.index]


class IndexAdd(Op):
    """y = zeros(shape) with g added at index (repeats accumulate).   dg = dy[index]

    The adjoint of indexing: the backward of ``x[index]`` and, through its own backward,
    indexing again, so gradients of any order flow through indexing.
    """

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if is_basic_index(index):
            out[index] = g
        else:
            ctx.backend.scatter_add(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gy):
        return (gy[ctx.index],)


class IndexPut(Op):
    """y = x with y[index] = v (out of place).   dx = dy with dy[index] = 0,  dv = dy[index] summed to v"""

    @staticmethod
    def forward(ctx, x, v, index):
        ctx.index, ctx.v_shape = index, v.shape
        out = x.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad
        gx = IndexPut.apply(g, g.new_zeros(()), index=ctx.index) if need_x else None
        gv = None
        if need_v:
            gv = g[ctx.index]
            v_ndim = len(ctx.v_shape)
            if v_ndim > gv.ndim:  # v may have extra leading size-1 axes, as in PyTorch
                gv = gv.reshape((1,) * (v_ndim - gv.ndim) + gv.shape)
            gv = unbroadcast(gv, ctx.v_shape)
        return gx, gv


class Cat(Op):
    """y = the inputs joined along dim.   each dx_i = the slice of dy that came from x_i"""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.sizes = dim, [a.shape[dim] for a in arrays]
        return ctx.xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad):
            grads.append(g.narrow(ctx.dim, start, size) if needed else None)
            start += size
        return tuple(grads)


def is_basic_index(index) -> bool:
    """Whether ``index`` selects a view (ints, slices, None, Ellipsis) rather than a copy."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)
