"""Matrix products."""

from __future__ import annotations

from ..autograd.function import Function
from .broadcast import unbroadcast


class Matmul(Function):
    """C = A @ B over the last two axes, batch axes broadcast.   dA = dC @ B^T,  dB = A^T @ dC

    Inputs are at least 2-d here; ``Tensor.matmul`` lifts 1-d operands to matrices first.
    """

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_inputs()
        ga = unbroadcast(g @ b.mT, a.shape) if a.requires_grad else None
        gb = unbroadcast(a.mT @ g, b.shape) if b.requires_grad else None
        return ga, gb
