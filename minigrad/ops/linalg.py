"""Matrix products."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import unbroadcast


class Matmul(Function):
    """C = A @ B over the last two axes, batch axes broadcast.   dA = dC @ B^T,  dB = A^T @ dC

    Inputs are at least 2-d here; ``Tensor.matmul`` lifts 1-d operands to matrices first.
    A stack of matrices times one matrix, (..., n, k) @ (k, m) as in every linear layer, runs
    as a single (N, k) @ (k, m) product: NumPy would loop over the stack, and one BLAS call is
    much faster. Its weight gradient is then one product too, with no broadcast sum:
    dB = A_flat^T @ dC_flat.
    """

    @staticmethod
    def forward(ctx, a, b):
        if a.ndim > 2 and b.ndim == 2:
            return (a.reshape(-1, a.shape[-1]) @ b).reshape(a.shape[:-1] + b.shape[-1:])
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        ga = unbroadcast(g @ ctx.saved_input(1).mT, a.shape) if a.requires_grad else None
        gb = None
        if b.requires_grad:
            a = ctx.saved_input(0)
            if a.ndim > 2 and b.ndim == 2:
                gb = a.reshape(-1, a.shape[-1]).mT @ g.reshape(-1, g.shape[-1])
            else:
                gb = unbroadcast(a.mT @ g, b.shape)
        return ga, gb
