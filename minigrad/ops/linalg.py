"""Matrix products: ``Matmul`` (``@``) and ``Linear`` (a linear layer's x W^T + b as one node)."""

from __future__ import annotations

import math

from ..autograd.grad_mode import STATE
from ..autograd.graph import Op
from .broadcast import broadcast_shapes, unbroadcast


class Matmul(Op):
    """C = A @ B over the last two axes, batch axes broadcast.   dA = dC @ B^T,  dB = A^T @ dC

    Inputs are at least 2-d here; ``Tensor.matmul`` lifts 1-d operands to matrices first.
    A stack of matrices times one matrix, (..., n, k) @ (k, m) as in every linear layer, runs
    as a single (N, k) @ (k, m) product: NumPy would loop over the stack, and one BLAS call is
    much faster. Its weight gradient is then one product too, with no broadcast sum:
    dB = A_flat^T @ dC_flat. When B is a transposed matrix (a linear layer's ``W.T``), dB is
    computed as (dC_flat^T @ A_flat)^T, as PyTorch does, so that it has B's layout and W's
    gradient arrives contiguous instead of needing a transposing copy.

    A plain backward (not recorded) computes the two products on the arrays; a recorded one
    (``create_graph=True``) uses Tensor ops, so that the gradients have gradients.
    """

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.b_transposed = b.ndim == 2 and b.strides[0] < b.strides[1]
        return _product(ctx.xp, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_shape, b_shape = (t.shape for t in ctx.inputs)
        need_a, need_b = ctx.needs_input_grad
        if STATE.grad_enabled:  # recorded: Tensor ops, so that the gradients have gradients
            return (
                unbroadcast(g @ b.mT, a_shape) if need_a else None,
                unbroadcast(a.mT @ g, b_shape) if need_b else None,
            )
        xp, dc = ctx.xp, g._data
        ga = gb = None
        if need_a:
            ga = unbroadcast(ctx.constant(_product(xp, dc, swap_last(xp, b._data))), a_shape)
        if need_b:
            x = a._data
            if len(b_shape) == 2:  # one matrix for the whole stack: one product of all rows
                x, dc = _flat(x), _flat(dc)
            if ctx.b_transposed:
                gb = swap_last(xp, xp.matmul(swap_last(xp, dc), x))
            else:
                gb = xp.matmul(swap_last(xp, x), dc)
            gb = unbroadcast(ctx.constant(gb), b_shape)
        return ga, gb


class Linear(Op):
    """y = x W^T + b.   dx = dy W,  dW = dy^T x,  db = sum(dy) over the rows

    A linear layer as one node, as PyTorch's ``addmm``: W has shape (out, in), the bias b
    (out,) is optional, and the rows of x (every axis but the last) are flattened into one
    axis. So forward is one product with the transposed view of W, plus the bias added in
    place, and each gradient is one product (dW in W's own layout) or one sum over the rows.
    """

    @staticmethod
    def forward(ctx, x, w, *bias):
        need_x, need_w = ctx.needs_input_grad[:2]
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        y = _product(ctx.xp, x, swap_last(ctx.xp, w))
        if bias:
            y += bias[0]
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        need_x, need_w, *need_b = ctx.needs_input_grad
        if STATE.grad_enabled:  # recorded: Tensor ops, so that the gradients have gradients
            rows = g.reshape(-1, g.shape[-1])
            return (
                g @ w if need_x else None,
                rows.mT @ x.reshape(-1, x.shape[-1]) if need_w else None,
                *(rows.sum(0) if need else None for need in need_b),
            )
        xp, dy = ctx.xp, g._data
        rows = _flat(dy)
        grads = (
            _product(xp, dy, w._data) if need_x else None,
            xp.matmul(swap_last(xp, rows), _flat(x._data)) if need_w else None,
            *(ctx.backend.sum(rows, (0,), False) if need else None for need in need_b),
        )
        return tuple(None if d is None else ctx.constant(d) for d in grads)


class Einsum(Op):
    """y = einsum(x_1, ..., x_n).   dx_k = einsum(dy, the other x) onto x_k's letters

    ``subscripts`` name each operand's axes, a letter per axis, none repeated within one
    operand; ``output`` names y's ("bqd,bkd" into "bqk" is a batch of Q K^T). dx_k is broadcast
    along the letters only x_k has (forward summed over them), and summed where x_k was
    broadcast (a size-1 axis against a longer one)."""

    @staticmethod
    def forward(ctx, *operands, subscripts, output):
        ctx.subscripts, ctx.output = subscripts, output
        ctx.save_for_backward(*operands)
        # with several operands, let the backend plan the contraction (BLAS products where it
        # can: "bhqd,bhkd->bhqk" on 16x4x64x16 took 4.4 ms in NumPy's element loop, 0.32 ms
        # planned); one operand is only a transpose or a sum, not worth the ~20 us of planning
        equation = ",".join(subscripts) + "->" + output
        return ctx.xp.einsum(equation, *operands, optimize=len(operands) > 1)

    @staticmethod
    def backward(ctx, g):
        operands = ctx.saved_tensors
        grads = []
        for k, (x, letters) in enumerate(zip(operands, ctx.subscripts)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [j for j in range(len(operands)) if j != k]
            reachable = set(ctx.output).union(*(ctx.subscripts[j] for j in others))
            kept = "".join(c for c in letters if c in reachable)
            dx = Einsum.apply(
                g, *(operands[j] for j in others),
                subscripts=(ctx.output, *(ctx.subscripts[j] for j in others)), output=kept,
            )  # fmt: skip
            dx = dx.reshape(tuple(dx.shape[kept.index(c)] if c in kept else 1 for c in letters))
            grads.append(unbroadcast(dx.expand(broadcast_shapes(dx.shape, x.shape)), x.shape))
        return tuple(grads)


def swap_last(xp, a):
    """``a`` with its last two axes swapped (a view; the array form of ``Tensor.mT``)."""
    return xp.swapaxes(a, -1, -2)


def _product(xp, a, b):
    """a @ b; a stack of matrices times one matrix as a single product of a's rows."""
    if a.ndim > 2 and b.ndim == 2:
        return (_flat(a) @ b).reshape(a.shape[:-1] + b.shape[-1:])
    return xp.matmul(a, b)


def _flat(a):
    """The rows of ``a`` (every axis but the last) as one axis."""
    rows = math.prod(a.shape[:-1])  # not -1: NumPy cannot infer it for empty arrays
    return a.reshape(rows, a.shape[-1])
