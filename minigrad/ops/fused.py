"""Fused ops for neural networks: one graph node each, with a hand-derived backward.

Each could be composed from primitives (the transformer package shows softmax that way, for
teaching); fusing them halves the work of the backward pass and keeps graphs readable. Forward
runs the backend's fused kernel. Backward runs the backend's fused backward kernel too, except
when it is itself being recorded (``create_graph=True``): then it is written in Tensor ops, so
that it has gradients of its own.
"""

from __future__ import annotations

import math

from ..autograd.grad_mode import STATE
from ..autograd.graph import Op
from ..backend.base import INV_SQRT_2PI, SQRT_HALF
from .broadcast import unbroadcast
from .elementwise import sigmoid
from .linalg import swap_last
from .reduce import peak


class Softmax(Op):
    """y = exp(x - max) / sum(exp(x - max)) along dim.   dx = y * (dy - sum(dy * y))"""

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        # contiguous whatever the input's layout, as PyTorch's (its .view works)
        y = ctx.backend.softmax(ctx.xp.asarray(x, order="C"), dim)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if not STATE.grad_enabled:
            return (ctx.constant(ctx.backend.softmax_backward(y._data, g._data, ctx.dim)),)
        return (y * (g - (g * y).sum(dim=ctx.dim, keepdim=True)),)


class LogSoftmax(Op):
    """y = x - max - log(sum(exp(x - max))) along dim.   dx = dy - exp(y) * sum(dy)"""

    @staticmethod
    def forward(ctx, x, dim):
        xp = ctx.xp
        ctx.dim = dim
        x = xp.asarray(x, order="C")  # so is the result, as PyTorch's (its .view works)
        shifted = x - peak(xp, x, (dim,))
        y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g - y.exp() * g.sum(dim=ctx.dim, keepdim=True),)


class LayerNorm(Op):
    """Layer norm with its affine map as one node: y = xhat * w + b, xhat = (x - mean) * rstd,
    rstd = 1 / sqrt(var + eps), over the trailing axes ``dims``, which w and b span.

    dxhat = dy * w,  dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
    dw = sum(dy * xhat),  db = sum(dy)  (sums over the leading axes).
    xhat is recomputed from x, mean and rstd: as in PyTorch, backward does not read the output,
    so an in-place op on it (``h.add_(1)``) is fine.
    """

    @staticmethod
    def forward(ctx, x, w, b, dims, eps):
        y, mean, rstd = ctx.backend.layer_norm(x, w, b, dims, eps)
        ctx.dims, ctx.eps = dims, eps
        ctx.save_for_backward(x, w, mean, rstd)
        return y

    @staticmethod
    def backward(ctx, g):
        dims, eps = ctx.dims, ctx.eps
        x, w, mean, rstd = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if not STATE.grad_enabled:  # a plain backward: one fused kernel on the arrays
            grads = ctx.backend.layer_norm_backward(
                g._data, x._data, w._data, mean._data, rstd._data, dims
            )
            return tuple(
                ctx.constant(d) if need else None for d, need in zip(grads, ctx.needs_input_grad)
            )
        # recorded (create_graph=True): the same formulas in Tensor ops, mean and rstd
        # recomputed from x so that they carry their own gradients
        centred = x - x.mean(dims, keepdim=True)
        rstd = ((centred * centred).mean(dims, keepdim=True) + eps).rsqrt()
        xhat = centred * rstd
        dxhat = g * w
        mean_d = dxhat.mean(dims, keepdim=True)
        mean_dh = (dxhat * xhat).mean(dims, keepdim=True)
        return (
            rstd * (dxhat - mean_d - xhat * mean_dh) if need_x else None,
            unbroadcast(g * xhat, w.shape) if need_w else None,
            unbroadcast(g, w.shape) if need_b else None,
        )


_TANH_SCALE = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


class Gelu(Op):
    """y = x * Phi(x), Phi the standard normal CDF.   dx = dy * (Phi(x) + x * phi(x))

    Forward computes the slope Phi(x) + x * phi(x) with y (the exponential in erf's formula is
    phi's too) and saves it, so backward is one product.
    ``approximate="tanh"`` uses Phi(x) ~ (1 + tanh(s (x + 0.044715 x^3))) / 2, s = sqrt(2/pi),
    and its exact derivative  dx = dy * ((1 + t) / 2 + x (1 - t^2) s (1 + 3 * 0.044715 x^2) / 2).
    """

    @staticmethod
    def forward(ctx, x, approximate):
        xp = ctx.xp
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _TANH_SCALE * (x + _TANH_CUBIC * x * x * x)
            t = xp.tanh(inner)
            ctx.save_for_backward(x, t)
            return 0.5 * x * (1.0 + t)
        y, slope = ctx.backend.gelu(x)
        ctx.save_for_backward(x, slope)
        return y

    @staticmethod
    def backward(ctx, g):
        x, saved = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = ctx.intermediate(
                saved, lambda: (_TANH_SCALE * (x + _TANH_CUBIC * x * x * x)).tanh()
            )
            slope = _TANH_SCALE * (1.0 + 3.0 * _TANH_CUBIC * x * x)
            return (g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * slope),)
        slope = ctx.intermediate(
            saved,
            lambda: 0.5 * (1.0 + (x * SQRT_HALF).erf()) + x * ((x * x * -0.5).exp() * INV_SQRT_2PI),
        )
        return (g * slope,)


class Silu(Op):
    """y = x * s, s = sigmoid(x).   dx = dy * (s * (1 + x * (1 - s))): the derivative is formed
    before it multiplies dy, as in PyTorch's kernel, so an infinite dy gives an infinite dx
    (the product rule's two terms, dy * s + dy * x * s * (1 - s), would give inf - inf)."""

    @staticmethod
    def forward(ctx, x):
        s = sigmoid(ctx.xp, x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, saved = ctx.saved_tensors
        s = ctx.intermediate(saved, x.sigmoid)
        return (g * (s * (1.0 + x * (1.0 - s))),)


class Attention(Op):
    """Scaled dot-product attention as one node: y = P V,  P = softmax(Q K^T * scale + mask).

    With S = Q K^T * scale + mask and dP = dy V^T:
    dV = P^T dy,  dS = P * (dP - rowsum(dP * P)),  dQ = dS K * scale,  dK = dS^T Q * scale.

    ``mask`` is a backend array: boolean (True = may attend) or float (added to the scores).
    """

    @staticmethod
    def forward(ctx, q, k, v, mask, scale):
        xp = ctx.xp
        scores = xp.matmul(q, swap_last(xp, k))
        scores *= scale
        if mask is not None:
            if mask.dtype == bool:
                xp.copyto(scores, float("-inf"), where=~mask)
            else:
                scores += mask
        # a row whose keys are all masked (-inf) gets weights 0, not NaN, as in PyTorch: its
        # peak is clamped to a finite value, and its sum of 0 divides as 1 (others sum to >= 1)
        scores -= xp.maximum(xp.max(scores, axis=-1, keepdims=True), xp.finfo(scores.dtype).min)
        weights = xp.exp(scores, out=scores)
        weights /= xp.maximum(xp.sum(weights, axis=-1, keepdims=True), 1.0)
        ctx.mask, ctx.scale = mask, scale
        ctx.save_for_backward(q, k, v, weights)
        return xp.matmul(weights, v)

    @staticmethod
    def backward(ctx, g):
        mask, scale = ctx.mask, ctx.scale
        q, k, v, weights = ctx.saved_tensors
        need_q, need_k, need_v = ctx.needs_input_grad
        if STATE.grad_enabled:  # recorded: Tensor ops, with P recomputed so it has gradients
            p = attention_weights(q, k, ctx, mask, scale)
            dp = g @ v.mT
            ds = p * (dp - (dp * p).sum(dim=-1, keepdim=True)) * scale
            return (
                unbroadcast(ds @ k, q.shape) if need_q else None,
                unbroadcast(ds.mT @ q, k.shape) if need_k else None,
                unbroadcast(p.mT @ g, v.shape) if need_v else None,
            )
        # a plain backward: the products and the softmax kernel on the arrays
        xp, dy, p = ctx.xp, g._data, weights._data
        ds = ctx.backend.softmax_backward(p, xp.matmul(dy, swap_last(xp, v._data)), -1, scale)
        grads = (
            xp.matmul(ds, k._data) if need_q else None,
            xp.matmul(swap_last(xp, ds), q._data) if need_k else None,
            xp.matmul(swap_last(xp, p), dy) if need_v else None,
        )
        return tuple(
            None if d is None else unbroadcast(ctx.constant(d), t.shape)
            for d, t in zip(grads, (q, k, v))
        )


def attention_weights(q, k, ctx, mask, scale):
    """P = softmax(Q K^T * scale + mask) in Tensor ops (for gradients of gradients)."""
    scores = (q @ k.mT) * scale
    if mask is not None:
        m = ctx.constant(mask)
        scores = scores.masked_fill(~m, float("-inf")) if mask.dtype == bool else scores + m
    return attention_softmax(scores)


def attention_softmax(scores):
    """softmax over the last axis, with weights 0 (not NaN) in rows whose scores are all -inf
    (a query with no key to attend), as PyTorch's attention gives; gradients stay finite."""
    dead = (scores == float("-inf")).all(dim=-1, keepdim=True)
    return scores.masked_fill(dead, 0.0).softmax(-1).masked_fill(dead, 0.0)
