"""Reducing Tensor methods: sums and means, extremes and their indices, sorting, softmax."""

from __future__ import annotations

import builtins
import functools
import math
from collections import namedtuple

from .. import dtypes
from ..autograd.tensor_base import TensorBase
from ..errors import (
    ArgumentError,
    DimError,
    DTypeError,
    IndexOutOfRange,
    ShapeError,
    format_shape,
    normalize_dim,
    normalize_dims,
)
from ..ops import discrete, fused, reduce

values_indices = namedtuple("values_indices", ["values", "indices"])
histogram_result = namedtuple("histogram", ["hist", "bin_edges"])


def _accepts_keepdims(method):
    """``keepdims=`` (NumPy's spelling) for ``keepdim=``: PyTorch's reductions take both."""

    @functools.wraps(method)
    def reduction(self, *args, keepdims=None, **kwargs):
        if keepdims is not None:
            kwargs["keepdim"] = keepdims
        return method(self, *args, **kwargs)

    return reduction


class ReduceMixin:
    """``sum``, ``mean``, ``var``, ``amax``, ``max(dim)``, ``argmax``, ``sort``, ``softmax``, ..."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    @_accepts_keepdims
    def sum(self, dim=None, keepdim=False, dtype=None) -> TensorBase:
        x = self if dtype is None else self.to(dtype)
        if x.dtype is dtypes.bool_:
            x = x.long()
        return reduce.Sum.apply(x, dims=normalize_dims(dim, x.ndim, "sum"), keepdim=keepdim)

    @_accepts_keepdims
    def mean(self, dim=None, keepdim=False) -> TensorBase:
        if not self.is_floating_point():
            raise DTypeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {self.dtype}"
            )
        dims = normalize_dims(dim, self.ndim, "mean")
        count = math.prod(self.shape[d] for d in dims)
        return reduce.Sum.apply(self, dims=dims, keepdim=keepdim) / count

    @_accepts_keepdims
    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> TensorBase:
        """Variance: sum((x - mean)^2) / (N - correction); ``unbiased=False`` means correction 0."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = normalize_dims(dim, self.ndim, "var")
        count = math.prod(self.shape[d] for d in dims)
        centred = self - self.mean(dims, keepdim=True)
        return (centred * centred).sum(dims, keepdim=keepdim) / builtins.max(count - correction, 0)

    @_accepts_keepdims
    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> TensorBase:
        """sqrt(var): the 2-norm of the centred values / sqrt(N - correction), so that constant
        values get the norm's gradient at the origin, 0 (as in PyTorch), not 0 / 0."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = normalize_dims(dim, self.ndim, "std")
        dof = math.prod(self.shape[d] for d in dims) - correction
        if dof <= 0:  # no degrees of freedom: NaN, with NaN gradients, as in PyTorch
            return self.var(dims, keepdim=keepdim, correction=correction).sqrt()
        centred = self - self.mean(dims, keepdim=True)
        return reduce.Norm.apply(centred, p=2, dims=dims, keepdim=keepdim) / math.sqrt(dof)

    @_accepts_keepdims
    def norm(self, p=2, dim=None, keepdim=False) -> TensorBase:
        """The p-norm over ``dim`` (all elements by default): (sum |x|^p)^(1/p), max |x| for
        p = inf. ``p="fro"`` is the 2-norm of all the elements."""
        if p == "fro":
            p = 2
        dims = normalize_dims(dim, self.ndim, "norm")
        if p == float("inf"):
            return self.abs().amax(dims, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(dims, keepdim=keepdim)
        return reduce.Norm.apply(self, p=p, dims=dims, keepdim=keepdim)

    @_accepts_keepdims
    def amax(self, dim=None, keepdim=False) -> TensorBase:
        return reduce.Amax.apply(self, dims=self._reduce_dims(dim, "amax"), keepdim=keepdim)

    @_accepts_keepdims
    def amin(self, dim=None, keepdim=False) -> TensorBase:
        return reduce.Amin.apply(self, dims=self._reduce_dims(dim, "amin"), keepdim=keepdim)

    def _reduce_dims(self, dim, op: str) -> tuple[int, ...]:
        """The dims of a reduction without an identity (max, min): none may be empty. As in
        PyTorch, an empty dim is an IndexError (DimError), except that an empty tensor reduced
        whole by max, min, amax or amin is a RuntimeError (ShapeError)."""
        dims = normalize_dims(dim, self.ndim, op)
        for d in dims:
            if self.shape[d] == 0:
                error = ShapeError if dim is None and not op.startswith("arg") else DimError
                raise error(
                    f"{op}(): Expected reduction dim {d} to have non-zero size "
                    f"(input shape {format_shape(self.shape)}); specify a non-empty dim"
                )
        return dims

    @_accepts_keepdims
    def max(self, dim=None, keepdim=False):
        """``max()`` of all elements, ``max(dim)`` as (values, indices), or ``max(other)``."""
        return self._extreme(dim, keepdim, largest=True)

    @_accepts_keepdims
    def min(self, dim=None, keepdim=False):
        """``min()`` of all elements, ``min(dim)`` as (values, indices), or ``min(other)``."""
        return self._extreme(dim, keepdim, largest=False)

    def _extreme(self, dim, keepdim, largest):
        if isinstance(dim, TensorBase):
            return self.maximum(dim) if largest else self.minimum(dim)
        op, name = (reduce.Amax, "max") if largest else (reduce.Amin, "min")
        if dim is None:  # a NaN result takes its gradient from the NaNs (PyTorch's max())
            return op.apply(self, dims=self._reduce_dims(None, name), keepdim=False, nan_hits=True)
        self._reduce_dims(normalize_dim(dim, self.ndim, name), name)  # errors name max or min
        indices = (self.argmax if largest else self.argmin)(dim, keepdim=True)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values_indices(values, indices)

    @_accepts_keepdims
    def argmax(self, dim=None, keepdim=False) -> TensorBase:
        return self._arg_extreme(discrete.Argmax, dim, keepdim, "argmax")

    @_accepts_keepdims
    def argmin(self, dim=None, keepdim=False) -> TensorBase:
        return self._arg_extreme(discrete.Argmin, dim, keepdim, "argmin")

    def _arg_extreme(self, op, dim, keepdim, name) -> TensorBase:
        self._reduce_dims(dim, name)
        axis = None if dim is None else normalize_dim(dim, self.ndim, name)
        return op.apply(self, dim=axis, keepdim=keepdim)

    @_accepts_keepdims
    def all(self, dim=None, keepdim=False) -> TensorBase:
        return discrete.All.apply(self, dims=normalize_dims(dim, self.ndim, "all"), keepdim=keepdim)

    @_accepts_keepdims
    def any(self, dim=None, keepdim=False) -> TensorBase:
        return discrete.Any.apply(self, dims=normalize_dims(dim, self.ndim, "any"), keepdim=keepdim)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) along ``dim``; values are gathered, so gradients flow through them.
        The sort is always stable (ties keep their order): with ``stable=False`` PyTorch may put
        ties in any order, so this is one of its allowed results."""
        d = normalize_dim(dim, self.ndim, "sort")
        if self.ndim == 0:  # a new tensor (not this one), as in PyTorch
            return values_indices(self.clone(), self._like(0, dtypes.int64))
        indices = discrete.Argsort.apply(self, dim=d, descending=descending)
        return values_indices(self.gather(d, indices), indices)

    def argsort(self, dim=-1, descending=False, *, stable=False) -> TensorBase:
        return self.sort(dim, descending, stable=stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) entries along ``dim`` as (values, indices)."""
        d = normalize_dim(dim, self.ndim, "topk")
        size = self.shape[d] if self.ndim else 1
        if not 0 <= k <= size:
            raise IndexOutOfRange(
                f"topk: selected index k={k} out of range for dimension of size {size}"
            )
        if self.ndim == 0:  # its one element, whatever k, as in PyTorch
            return self.sort()
        values, indices = self.sort(d, descending=largest)
        return values_indices(values.narrow(d, 0, k), indices.narrow(d, 0, k))

    def histogram(self, bins=100, *, range=None, weight=None, density=False):
        """(hist, bin_edges): counts (or weights, or with ``density`` a density) of the elements
        in ``bins`` equal bins over ``range`` (default: the min and max), or between the edges
        given as a 1-d tensor ``bins``. Floating tensors only; not differentiable."""
        if not self.is_floating_point():
            raise DTypeError(f"histogram: input must be a floating point tensor, got {self.dtype}")
        edges = bins._data if isinstance(bins, TensorBase) else bins
        inputs = (self,) if weight is None else (self, weight)
        found = [
            discrete.Histogram.apply(*inputs, bins=edges, range=range, density=density, part=part)
            for part in ("hist", "bin_edges")
        ]
        return histogram_result(*found)

    def bincount(self, weights=None, minlength: int = 0) -> TensorBase:
        """Counts of each value 0..max of a 1-d tensor of non-negative integers (int64), or the
        sums of ``weights`` at each value (float32 weights give float32, others float64)."""
        if self.ndim != 1 or self.is_floating_point() or self.dtype is dtypes.bool_:
            raise DTypeError(
                f"bincount only supports 1-d non-negative integral inputs, got a "
                f"{format_shape(self.shape)} tensor of {self.dtype}"
            )
        if self.numel() and self.min().item() < 0:
            raise ArgumentError("bincount only supports 1-d non-negative integral inputs")
        if weights is None:
            return discrete.Bincount.apply(self, minlength=minlength)
        if weights.dtype is not dtypes.float32:
            weights = weights.to(dtypes.float64)
        return discrete.Bincount.apply(self, weights, minlength=minlength)

    @_accepts_keepdims
    def logsumexp(self, dim, keepdim=False) -> TensorBase:
        """log(sum(exp(x))) computed stably as m + log(sum(exp(x - m))), m = max(x) held constant."""
        dims = normalize_dims(dim, self.ndim, "logsumexp")
        m = self._wrap(reduce.peak(self._xp, self._data, dims))
        m = m.masked_fill(m.isinf(), 0.0)
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def softmax(self, dim) -> TensorBase:
        return fused.Softmax.apply(self._floating(), dim=normalize_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim) -> TensorBase:
        return fused.LogSoftmax.apply(
            self._floating(), dim=normalize_dim(dim, self.ndim, "log_softmax")
        )

    def cumsum(self, dim) -> TensorBase:
        axis = normalize_dim(dim, self.ndim, "cumsum")
        if self.ndim == 0:
            return self.reshape(1).cumsum(0).reshape(())
        return reduce.Cumsum.apply(self.long() if self.dtype is dtypes.bool_ else self, dim=axis)
