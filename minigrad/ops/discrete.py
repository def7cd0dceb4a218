"""Kernels whose output carries no gradient: comparisons, logic and bit ops, integer division,
predicates (isnan, all, ...), arg-reductions and sort orders.

They run through ``Op.apply`` like every other op (so they check devices and go through the
backend seam) and record nothing: ``differentiable = False``. Their outputs are bools or
indices, or (``//``, ``%``) piecewise constant, so there is no gradient to define.
"""

from __future__ import annotations

import numpy as np

from ..autograd.graph import Op


class _Ufunc(Op):
    """One elementwise function of the array namespace, named by ``ufunc``."""

    differentiable = False
    ufunc: str

    @classmethod
    def forward(cls, ctx, *arrays):
        return getattr(ctx.xp, cls.ufunc)(*arrays)


class Eq(_Ufunc):
    """a == b"""

    ufunc = "equal"


class Ne(_Ufunc):
    """a != b"""

    ufunc = "not_equal"


class Lt(_Ufunc):
    """a < b"""

    ufunc = "less"


class Le(_Ufunc):
    """a <= b"""

    ufunc = "less_equal"


class Gt(_Ufunc):
    """a > b"""

    ufunc = "greater"


class Ge(_Ufunc):
    """a >= b"""

    ufunc = "greater_equal"


class LogicalAnd(_Ufunc):
    """a and b (nonzero is true)"""

    ufunc = "logical_and"


class LogicalOr(_Ufunc):
    """a or b"""

    ufunc = "logical_or"


class LogicalXor(_Ufunc):
    """a xor b"""

    ufunc = "logical_xor"


class LogicalNot(_Ufunc):
    """not x"""

    ufunc = "logical_not"


class BitwiseAnd(_Ufunc):
    """a & b"""

    ufunc = "bitwise_and"


class BitwiseOr(_Ufunc):
    """a | b"""

    ufunc = "bitwise_or"


class BitwiseXor(_Ufunc):
    """a ^ b"""

    ufunc = "bitwise_xor"


class BitwiseNot(_Ufunc):
    """~x"""

    ufunc = "invert"


class FloorDivide(_Ufunc):
    """a // b, rounded towards -inf"""

    ufunc = "floor_divide"


class Remainder(_Ufunc):
    """a % b, with the sign of b"""

    ufunc = "remainder"


class IsNan(_Ufunc):
    """x is NaN"""

    ufunc = "isnan"


class IsInf(_Ufunc):
    """x is +inf or -inf"""

    ufunc = "isinf"


class IsFinite(_Ufunc):
    """x is neither NaN nor infinite"""

    ufunc = "isfinite"


class All(Op):
    """Whether every element over dims is nonzero."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return ctx.xp.all(x, axis=dims, keepdims=keepdim)


class Any(Op):
    """Whether some element over dims is nonzero."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        return ctx.xp.any(x, axis=dims, keepdims=keepdim)


class _ArgReduce(Op):
    """The index of the extreme element along ``dim`` (of the flattened tensor when None)."""

    differentiable = False
    reducer: str

    @classmethod
    def forward(cls, ctx, x, dim, keepdim):
        find = getattr(ctx.xp, cls.reducer)
        if dim is None:
            out = find(x.reshape(-1)).astype(np.int64)
            return out.reshape((1,) * x.ndim) if keepdim else out
        data = x if x.ndim else x.reshape(1)
        out = find(data, axis=dim, keepdims=keepdim).astype(np.int64)
        return out if x.ndim else out.reshape(())


class Argmax(_ArgReduce):
    """The index of the largest element (the first, among ties)."""

    reducer = "argmax"


class Argmin(_ArgReduce):
    """The index of the smallest element (the first, among ties)."""

    reducer = "argmin"


class Argsort(Op):
    """The order that sorts x along dim (stable: ties keep their order; NaN counts as the
    largest value, as in PyTorch)."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dim, descending):
        xp = ctx.xp
        if descending:
            # reversed, sorted ascending (NaN last), reversed back: descending with NaN first
            # and ties still in their original order
            order = (
                x.shape[dim]
                - 1
                - xp.flip(xp.argsort(xp.flip(x, dim), axis=dim, kind="stable"), dim)
            )
        else:
            order = xp.argsort(x, axis=dim, kind="stable")
        return order.astype(np.int64)


class Nonzero(Op):
    """The indices of the nonzero elements, one row per element in C order: (n, ndim) int64."""

    differentiable = False

    @staticmethod
    def forward(ctx, x):
        return ctx.xp.argwhere(x).astype(np.int64, copy=False)


class Unique(Op):
    """x's distinct elements in ascending order (with ``dim``, its distinct slices along that
    axis); ``part`` picks one of NumPy's three results: "values", "inverse" (each element's or
    slice's index among them, in x's shape or along ``dim``) or "counts". NaNs stay apart, as
    in PyTorch."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, dim, part):
        found = ctx.xp.unique(
            x,
            return_inverse=part == "inverse",
            return_counts=part == "counts",
            axis=dim,
            equal_nan=False,
        )
        if part == "values":
            return found
        if part == "inverse":
            return found[1].reshape(x.shape if dim is None else -1).astype(np.int64, copy=False)
        return found[1].astype(np.int64, copy=False)


class Histogram(Op):
    """Counts of x's elements in ``bins`` equal bins over ``range`` (default: x's min and max),
    or between the edges ``bins`` (an array), with optional weights; ``part`` picks one of
    NumPy's two results, "hist" or "bin_edges", both in x's dtype."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, *weight, bins, range, density, part):
        hist, edges = ctx.xp.histogram(
            x, bins=bins, range=range, weights=weight[0] if weight else None, density=density
        )
        return (hist if part == "hist" else edges).astype(x.dtype, copy=False)


class Bincount(Op):
    """How many times each value 0, 1, ..., max(x) occurs in the 1-d integer x (at least
    ``minlength`` counts), or the sum of the weights of its occurrences."""

    differentiable = False

    @staticmethod
    def forward(ctx, x, *weights, minlength):
        counts = ctx.xp.bincount(x, weights[0] if weights else None, minlength=minlength)
        return counts if not weights else counts.astype(weights[0].dtype, copy=False)


class ArrayEqual(Op):
    """Whether a and b have the same shape and elements (a 0-d bool)."""

    differentiable = False

    @staticmethod
    def forward(ctx, a, b):
        return ctx.xp.asarray(ctx.xp.array_equal(a, b))


class IsClose(Op):
    """|a - b| <= atol + rtol * |b|, elementwise; infinities of one sign are close, NaNs only
    to each other and only with ``equal_nan``."""

    differentiable = False

    @staticmethod
    def forward(ctx, a, b, rtol, atol, equal_nan):
        return ctx.xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
