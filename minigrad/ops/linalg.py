"""Matrix products."""

from __future__ import annotations

from ..autograd.graph import Op
from .broadcast import unbroadcast


class Matmul(Op):
    """C = A @ B over the last two axes, batch axes broadcast.   dA = dC @ B^T,  dB = A^T @ dC

    Inputs are at least 2-d here; ``Tensor.matmul`` lifts 1-d operands to matrices first.
    A stack of matrices times one matrix, (..., n, k) @ (k, m) as in every linear layer, runs
    as a single (N, k) @ (k, m) product: NumPy would loop over the stack, and one BLAS call is
    much faster. Its weight gradient is then one product too, with no broadcast sum:
    dB = A_flat^T @ dC_flat.
    """

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        if a.ndim > 2 and b.ndim == 2:
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[-1:])
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        a_shape, b_shape = (t.shape for t in ctx.inputs)
        need_a, need_b = ctx.needs_input_grad
        ga = unbroadcast(g @ b.mT, a_shape) if need_a else None
        gb = None
        if need_b:
            if len(a_shape) > 2 and len(b_shape) == 2:
                gb = a.reshape(-1, a.shape[-1]).mT @ g.reshape(-1, g.shape[-1])
            else:
                gb = unbroadcast(a.mT @ g, b_shape)
        return ga, gb
