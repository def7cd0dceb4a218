"""Ops that move data without doing arithmetic: reshape, permute, expand, index, cat, flip, copy.

The view ops (``is_view``) also say how to write a view back into the tensor it views
(``put_back``), which in-place writes to a view use to update the viewed tensor's graph.
"""

from __future__ import annotations

import math

from ..autograd.graph import Op
from ..autograd.tensor_base import put_values
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
    """y = x broadcast to a larger shape (a view).   dx = dy summed over the copies

    A real expansion repeats elements (a read-only view); one that only adds size-1 axes
    repeats nothing, so it stays writable, as in PyTorch.
    """

    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        if x.size == math.prod(shape):
            return x.reshape(shape)  # only size-1 axes added: a view NumPy can always make
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
        out = x[index]
        return out if out.flags.c_contiguous else out.copy()  # a new tensor is contiguous

    @staticmethod
    def backward(ctx, g):
        return (IndexAdd.apply(g, shape=ctx.in_shape, index=ctx.index),)

    @staticmethod
    def accumulate_grad(ctx, g, into) -> None:
        """into[index] += dy: backward's scatter, added into x's gradient in place."""
        if is_basic_index(ctx.index):
            into[ctx.index] += g  # a basic index names each element once
        else:
            ctx.backend.scatter_add(into, ctx.index, g)


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
        ctx.index, ctx.in_shape = along(ctx.xp, index, dim), x.shape
        return x[ctx.index]


def along(xp, index, dim) -> tuple:
    """The advanced index that ``gather`` and ``scatter`` use: for every position p of
    ``index``, the place p with its ``dim`` coordinate replaced by ``index[p]``."""
    grids = list(xp.meshgrid(*[xp.arange(n) for n in index.shape], indexing="ij", sparse=True))
    grids[dim] = index
    return tuple(grids)


def _leading(shape) -> tuple:
    """The basic index of the first ``shape`` elements along each axis (``src[:2, :3]``)."""
    return tuple(slice(0, n) for n in shape)


class Scatter(Op):
    """y = x with y[index[i][j]][j] = src[i][j] along dim 0 (likewise for other dims).
    dx = dy with zeros at the written places,  dsrc = dy gathered at them (zeros past index)

    ``src`` may be larger than ``index``; its leading ``index.shape`` block is used. With
    repeated indices, which write wins is undefined (as in PyTorch); tests use distinct ones.
    """

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.index, ctx.dim, ctx.src_shape = index, dim, src.shape
        out = x.copy()
        out[along(ctx.xp, index, dim)] = src[_leading(index.shape)] if src.ndim else src
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        index = ctx.constant(ctx.index)
        gx = g.scatter(ctx.dim, index, 0.0) if need_x else None
        return gx, _source_grad(ctx, g, index) if need_src else None


class ScatterAdd(Op):
    """y = x with y[index[i][j]][j] += src[i][j] along dim 0 (likewise for other dims; repeats
    accumulate).   dx = dy,  dsrc = dy gathered at the written places (zeros past index)"""

    @staticmethod
    def forward(ctx, x, src, index, dim):
        ctx.index, ctx.dim, ctx.src_shape = index, dim, src.shape
        out = x.copy()
        ctx.backend.scatter_add(out, along(ctx.xp, index, dim), src[_leading(index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        gsrc = _source_grad(ctx, g, ctx.constant(ctx.index)) if need_src else None
        return g if need_x else None, gsrc


def _source_grad(ctx, g, index):
    """The gradient of scatter's ``src``: ``g`` gathered where src's elements went, and zero
    for the elements of src past ``index``'s shape."""
    picked = g.gather(ctx.dim, index)
    if picked.shape == ctx.src_shape:
        return picked
    return IndexAdd.apply(picked, shape=ctx.src_shape, index=_leading(index.shape))


class Roll(Op):
    """y = x shifted by ``shifts`` along ``dims``, wrapping around (all elements, flattened,
    when ``dims`` is None).   dx = dy rolled back by -shifts"""

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return (g.roll(back, ctx.dims),)


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
        put_values(out, index, v)
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_v = ctx.needs_input_grad
        gx = IndexPut.apply(g, g.new_zeros(()), index=ctx.index) if need_x else None
        gv = None
        if need_v:
            gv = Index.apply(g, index=ctx.index)  # the backend index, as forward wrote it
            v_ndim = len(ctx.v_shape)
            if v_ndim > gv.ndim:  # v may have extra leading size-1 axes, as in PyTorch
                gv = gv.reshape((1,) * (v_ndim - gv.ndim) + gv.shape)
            gv = unbroadcast(gv, ctx.v_shape)
        return gx, gv


class Overwrite(Op):
    """y = src broadcast to x's shape (``copy_``, ``fill_``, ``zero_``).   dx = 0,  dsrc = dy
    summed back to src's shape. x's gradient is zeros, not dy * 0, so an inf gradient does not
    become NaN."""

    @staticmethod
    def forward(ctx, x, src):
        ctx.x_shape, ctx.src_shape = x.shape, src.shape
        return ctx.xp.broadcast_to(src, x.shape).copy()

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        gx = g.new_zeros(ctx.x_shape) if need_x else None
        return gx, unbroadcast(g, ctx.src_shape) if need_src else None


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
