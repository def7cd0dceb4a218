"""``Tensor``: an n-d array on a device, with the graph node that made it.

Every method here is a thin front door: it checks and normalises its arguments (dims, scalars,
dtypes, shapes) so that errors name the op and the shapes, then hands the arrays to one
``Function`` in ``minigrad.ops``, where each op's forward and backward sit side by side.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from . import dtypes, indexing, printing
from .autograd import engine, function
from .autograd.function import VersionCounter
from .autograd.grad_mode import STATE
from .backend import CPU, Device, cuda_spec
from .backend import device as as_device
from .errors import (
    ArgumentError,
    AutogradError,
    DTypeError,
    IndexOutOfRange,
    ShapeError,
    format_shape,
    normalize_dim,
    normalize_dims,
)
from .ops import elementwise as ew
from .ops import linalg, movement, nn, reduce
from .ops.broadcast import broadcast_shapes

values_indices = namedtuple("values_indices", ["values", "indices"])


class Tensor:
    """An n-d array that can record the ops applied to it, for reverse-mode differentiation.

    ``grad_fn`` is the ``Node`` of the op that produced this tensor (``None`` for leaves);
    ``grad`` receives the gradient of ``backward()`` for leaves that require grad.
    """

    __slots__ = (
        "_data",
        "_device",
        "_requires_grad",
        "grad",
        "grad_fn",
        "_version",
        "_hooks",
        "name",
        "__weakref__",
    )
    __array_priority__ = 1000  # NumPy scalars defer to our reflected operators (np.float32(2) * t)

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        dev = (
            as_device(device)
            if device is not None
            else (data._device if isinstance(data, Tensor) else CPU)
        )
        self._data = _to_array(data, dtype, dev)
        self._device = dev
        self._requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._version = VersionCounter()
        self._hooks = None
        self.name = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data, device: Device, grad_fn=None, requires_grad=False) -> Tensor:
        """Wrap a backend array without copying or checking: the fast path every op uses."""
        if isinstance(data, np.generic):  # NumPy gives scalars for 0-d results; CuPy gives arrays
            data = np.asarray(data)  # an array, so that in-place writes and views work on it
        t = object.__new__(cls)
        t._data = data
        t._device = device
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = grad_fn
        t._version = VersionCounter()
        t._hooks = None
        t.name = None
        return t

    # ---- metadata ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy(self._data.dtype)

    @property
    def device(self) -> Device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[normalize_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return math.prod(self.shape)

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_contiguous(self) -> bool:
        return bool(self._data.flags.c_contiguous)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    # ---- autograd ------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.grad_fn is not None:
            raise AutogradError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if flag and not self.is_floating_point():
            raise DTypeError(
                f"Only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves it came from."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """The same data (shared memory, shared version counter), cut from the graph."""
        t = Tensor._make(self._data, self._device)
        t._version = self._version
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> Tensor:
        """A detached view of the same memory (PyTorch's ``.data``)."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor) -> None:
        if value.shape != self.shape:
            raise ShapeError(
                f"data: cannot assign a tensor of shape {format_shape(value.shape)} to one of "
                f"shape {format_shape(self.shape)}"
            )
        self._data = value._data

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise AutogradError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn.pre_hooks is None:
                self.grad_fn.pre_hooks = []
            hooks = self.grad_fn.pre_hooks
        # retain_grad's hook stays last, so that .grad shows what the other hooks made of it
        last_retains = bool(hooks) and hasattr(hooks[-1], "retains")
        hooks.insert(len(hooks) - last_retains, hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf tensor in ``.grad`` after backward (once)."""
        if self.grad_fn is None:
            return
        for hook in self.grad_fn.pre_hooks or ():
            if getattr(hook, "retains", lambda: None)() is self:
                return
        self.register_hook(engine.retain_grad_hook(self))

    # ---- conversion ----------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._device.backend.to_numpy(self._data)

    def item(self):
        if self.numel() != 1:
            raise ShapeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return self._device.backend.to_numpy(self._data).reshape(()).item()

    def tolist(self):
        return self._device.backend.to_numpy(self._data).tolist()

    def __float__(self) -> float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ShapeError(f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return builtins.bool(self.item())

    def __index__(self) -> int:
        if self.dtype is not dtypes.int64 or self.numel() != 1:
            raise DTypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def to(self, *args, **kwargs) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        device, dtype = to_args(args, kwargs)
        out = self
        if device is not None and as_device(device) is not self._device:
            out = movement.ToDevice.apply(out, device=as_device(device))
        if dtype is not None and dtypes.to_dtype(dtype).np != out._data.dtype:
            out = ew.Cast.apply(out, dtype=dtypes.to_dtype(dtype).np)
        return out

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int64)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        return self.to(cuda_spec(device))

    def clone(self) -> Tensor:
        """A C-ordered copy with its own memory; gradients flow back to the original."""
        return movement.Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self if self.is_contiguous() else movement.Contiguous.apply(self)

    def __repr__(self) -> str:
        return printing.format_tensor(self)

    # ---- construction helpers ------------------------------------------------------------------
    def _like(self, value, dtype=None) -> Tensor:
        """A constant tensor of ``value`` on this tensor's device (a Python scalar or array)."""
        np_dtype = self._data.dtype if dtype is None else dtype.np
        return Tensor._make(self._device.backend.asarray(value, np_dtype), self._device)

    def new_tensor(self, data, dtype=None) -> Tensor:
        return Tensor(data, dtype=dtype or self.dtype, device=self._device)

    def new_zeros(self, *size, dtype=None) -> Tensor:
        return self._like(self._xp.zeros(_shape_arg(size), (dtype or self.dtype).np), dtype)

    def new_ones(self, *size, dtype=None) -> Tensor:
        return self._like(self._xp.ones(_shape_arg(size), (dtype or self.dtype).np), dtype)

    def new_full(self, size, fill_value, dtype=None) -> Tensor:
        return self._like(
            self._xp.full(_shape_arg((size,)), fill_value, (dtype or self.dtype).np), dtype
        )

    def new_empty(self, *size, dtype=None) -> Tensor:
        return self.new_zeros(*size, dtype=dtype)

    @property
    def _xp(self):
        return self._device.backend.xp

    # ---- arithmetic ----------------------------------------------------------------------------
    def _binary(self, fn, other, reverse=False) -> Tensor:
        """Apply a broadcasting binary op after PyTorch's type promotion."""
        a, b = _promote(self, other)
        if reverse:
            a, b = b, a
        try:
            return fn.apply(a, b)
        except ValueError:
            broadcast_shapes(a.shape, b.shape, op=fn.__name__.lower())
            raise

    def __add__(self, other):
        return self._binary(ew.Add, other)

    def __radd__(self, other):
        return self._binary(ew.Add, other, reverse=True)

    def __sub__(self, other):
        return self._binary(ew.Sub, other)

    def __rsub__(self, other):
        return self._binary(ew.Sub, other, reverse=True)

    def __mul__(self, other):
        return self._binary(ew.Mul, other)

    def __rmul__(self, other):
        return self._binary(ew.Mul, other, reverse=True)

    def __truediv__(self, other):
        return self._float_operands(other)._binary(ew.Div, other)

    def __rtruediv__(self, other):
        return self._float_operands(other)._binary(ew.Div, other, reverse=True)

    def __pow__(self, other):
        return self._binary(ew.Pow, other)

    def __rpow__(self, other):
        return self._binary(ew.Pow, other, reverse=True)

    def __neg__(self):
        return ew.Neg.apply(self)

    def __matmul__(self, other):
        return self.matmul(other)

    def __rmatmul__(self, other):
        return Tensor(other, device=self._device).matmul(self)

    def __floordiv__(self, other):
        return self._compare(other, self._xp.floor_divide)

    def __mod__(self, other):
        return self._compare(other, self._xp.remainder)

    def _float_operands(self, other) -> Tensor:
        """True division of integers gives floats, as in PyTorch."""
        if self.is_floating_point() or (isinstance(other, Tensor) and other.is_floating_point()):
            return self
        return self.to(dtypes.get_default_dtype())

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def maximum(self, other) -> Tensor:
        return self._binary(ew.Maximum, other)

    def minimum(self, other) -> Tensor:
        return self._binary(ew.Minimum, other)

    def exp(self) -> Tensor:
        return ew.Exp.apply(self._floating())

    def log(self) -> Tensor:
        return ew.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        return ew.Sqrt.apply(self._floating())

    def rsqrt(self) -> Tensor:
        return ew.Rsqrt.apply(self._floating())

    def abs(self) -> Tensor:
        return ew.Abs.apply(self)

    def sign(self) -> Tensor:
        return ew.Sign.apply(self)

    def tanh(self) -> Tensor:
        return ew.Tanh.apply(self._floating())

    def sigmoid(self) -> Tensor:
        return ew.Sigmoid.apply(self._floating())

    def relu(self) -> Tensor:
        return ew.Relu.apply(self)

    def sin(self) -> Tensor:
        return ew.Sin.apply(self._floating())

    def cos(self) -> Tensor:
        return ew.Cos.apply(self._floating())

    def erf(self) -> Tensor:
        return ew.Erf.apply(self._floating())

    def square(self) -> Tensor:
        return self * self

    def clamp(self, min=None, max=None) -> Tensor:
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        # float bounds make an integer tensor float (the default dtype), as in PyTorch
        target = dtypes.result_type(self, *(b for b in (min, max) if b is not None))
        return ew.Clamp.apply(self.to(target), lo=min, hi=max)

    clip = clamp

    def where(self, condition, other) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (``torch.where(cond, self, other)``)."""
        return where(condition, self, other)

    def _floating(self) -> Tensor:
        """Integer inputs of transcendental ops become the default float dtype, as in PyTorch."""
        return self if self.is_floating_point() else self.to(dtypes.get_default_dtype())

    # ---- comparisons and logic (no gradient) ---------------------------------------------------
    def _compare(self, other, ufunc) -> Tensor:
        """An elementwise op without a gradient (comparisons, logic, ``//``, ``%``)."""
        if not isinstance(other, _OPERAND_TYPES):
            return NotImplemented
        a, b = _promote(self, other)
        if a._device is not b._device:
            raise function.device_mismatch(ufunc.__name__, a._device, b._device)
        try:
            return Tensor._make(ufunc(a._data, b._data), self._device)
        except ValueError:
            broadcast_shapes(a.shape, b.shape, op=ufunc.__name__)
            raise

    def __eq__(self, other):
        return self._compare(other, self._xp.equal)

    def __ne__(self, other):
        return self._compare(other, self._xp.not_equal)

    def __lt__(self, other):
        return self._compare(other, self._xp.less)

    def __le__(self, other):
        return self._compare(other, self._xp.less_equal)

    def __gt__(self, other):
        return self._compare(other, self._xp.greater)

    def __ge__(self, other):
        return self._compare(other, self._xp.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def logical_and(self, other):
        return self._compare(other, self._xp.logical_and)

    def logical_or(self, other):
        return self._compare(other, self._xp.logical_or)

    def logical_xor(self, other):
        return self._compare(other, self._xp.logical_xor)

    def logical_not(self):
        return Tensor._make(self._xp.logical_not(self._data), self._device)

    def __and__(self, other):
        return self._compare(other, self._xp.bitwise_and)

    def __or__(self, other):
        return self._compare(other, self._xp.bitwise_or)

    def __xor__(self, other):
        return self._compare(other, self._xp.bitwise_xor)

    def __invert__(self):
        return Tensor._make(self._xp.invert(self._data), self._device)

    def isnan(self) -> Tensor:
        return Tensor._make(self._xp.isnan(self._data), self._device)

    def isinf(self) -> Tensor:
        return Tensor._make(self._xp.isinf(self._data), self._device)

    def isfinite(self) -> Tensor:
        return Tensor._make(self._xp.isfinite(self._data), self._device)

    def all(self, dim=None, keepdim=False) -> Tensor:
        axes = normalize_dims(dim, self.ndim, "all")
        return Tensor._make(self._xp.all(self._data, axis=axes, keepdims=keepdim), self._device)

    def any(self, dim=None, keepdim=False) -> Tensor:
        axes = normalize_dims(dim, self.ndim, "any")
        return Tensor._make(self._xp.any(self._data, axis=axes, keepdims=keepdim), self._device)

    def equal(self, other: Tensor) -> bool:
        if other._device is not self._device:
            raise function.device_mismatch("equal", self._device, other._device)
        return self.shape == other.shape and builtins.bool(
            self._xp.array_equal(self._data, other._data)
        )

    def allclose(self, other: Tensor, rtol=1e-5, atol=1e-8) -> bool:
        if other._device is not self._device:
            raise function.device_mismatch("allclose", self._device, other._device)
        return builtins.bool(self._xp.allclose(self._data, other._data, rtol=rtol, atol=atol))

    # ---- reductions ----------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, dtype=None) -> Tensor:
        x = self if dtype is None else self.to(dtype)
        if x.dtype is dtypes.bool_:
            x = x.long()
        return reduce.Sum.apply(x, dims=normalize_dims(dim, x.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False) -> Tensor:
        if not self.is_floating_point():
            raise DTypeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {self.dtype}"
            )
        dims = normalize_dims(dim, self.ndim, "mean")
        count = math.prod(self.shape[d] for d in dims)
        return reduce.Sum.apply(self, dims=dims, keepdim=keepdim) / count

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
        """Variance: sum((x - mean)^2) / (N - correction); ``unbiased=False`` means correction 0."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = normalize_dims(dim, self.ndim, "var")
        count = math.prod(self.shape[d] for d in dims)
        centred = self - self.mean(dims, keepdim=True)
        return (centred * centred).sum(dims, keepdim=keepdim) / builtins.max(count - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
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

    def norm(self, p=2, dim=None, keepdim=False) -> Tensor:
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

    def amax(self, dim=None, keepdim=False) -> Tensor:
        return reduce.Amax.apply(self, dims=self._reduce_dims(dim, "amax"), keepdim=keepdim)

    def amin(self, dim=None, keepdim=False) -> Tensor:
        return reduce.Amin.apply(self, dims=self._reduce_dims(dim, "amin"), keepdim=keepdim)

    def _reduce_dims(self, dim, op: str) -> tuple[int, ...]:
        """The dims of a reduction without an identity (max, min): none may be empty."""
        dims = normalize_dims(dim, self.ndim, op)
        for d in dims:
            if self.shape[d] == 0:
                raise ShapeError(
                    f"{op}(): Expected reduction dim {d} to have non-zero size "
                    f"(input shape {format_shape(self.shape)}); specify a non-empty dim"
                )
        return dims

    def max(self, dim=None, keepdim=False):
        """``max()`` of all elements, ``max(dim)`` as (values, indices), or ``max(other)``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        if dim is None:
            return reduce.Amax.apply(
                self, dims=self._reduce_dims(None, "max"), keepdim=False, nan_hits=True
            )
        indices = self.argmax(dim, keepdim=True)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values_indices(values, indices)

    def min(self, dim=None, keepdim=False):
        """``min()`` of all elements, ``min(dim)`` as (values, indices), or ``min(other)``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        if dim is None:
            return reduce.Amin.apply(
                self, dims=self._reduce_dims(None, "min"), keepdim=False, nan_hits=True
            )
        indices = self.argmin(dim, keepdim=True)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        return values_indices(values, indices)

    def argmax(self, dim=None, keepdim=False) -> Tensor:
        return self._arg_extreme(self._xp.argmax, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False) -> Tensor:
        return self._arg_extreme(self._xp.argmin, dim, keepdim, "argmin")

    def _arg_extreme(self, fn, dim, keepdim, op) -> Tensor:
        self._reduce_dims(dim, op)
        if dim is None:
            out = fn(self._data.reshape(-1)).astype(np.int64)
            if keepdim:
                out = out.reshape((1,) * self.ndim)
            return Tensor._make(out, self._device)
        axis = normalize_dim(dim, self.ndim, op)
        data = self._data if self.ndim else self._data.reshape(1)
        out = fn(data, axis=axis, keepdims=keepdim).astype(np.int64)
        return Tensor._make(out if self.ndim else out.reshape(()), self._device)

    def sort(self, dim=-1, descending=False):
        """(values, indices) along ``dim``; values are gathered, so gradients flow through them."""
        d = normalize_dim(dim, self.ndim, "sort")
        if self.ndim == 0:
            return values_indices(self, self._like(0, dtypes.int64))
        xp = self._xp
        if descending:
            # reversed, sorted ascending (NaN last), reversed back: descending with NaN first
            # (PyTorch's order: NaN is the largest) and ties still in their original order
            n = self.shape[d]
            order = n - 1 - xp.flip(xp.argsort(xp.flip(self._data, d), axis=d, kind="stable"), d)
        else:
            order = xp.argsort(self._data, axis=d, kind="stable")
        order = order.astype(np.int64)
        indices = Tensor._make(order, self._device)
        return values_indices(self.gather(d, indices), indices)

    def argsort(self, dim=-1, descending=False) -> Tensor:
        return self.sort(dim, descending).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) entries along ``dim`` as (values, indices)."""
        d = normalize_dim(dim, self.ndim, "topk")
        size = self.shape[d] if self.ndim else 1
        if not 0 <= k <= size:
            raise IndexOutOfRange(
                f"topk: selected index k={k} out of range for dimension of size {size}"
            )
        values, indices = self.sort(d, descending=largest)
        return values_indices(values.narrow(d, 0, k), indices.narrow(d, 0, k))

    def logsumexp(self, dim, keepdim=False) -> Tensor:
        """log(sum(exp(x))) computed stably as m + log(sum(exp(x - m))), m = max(x) held constant."""
        dims = normalize_dims(dim, self.ndim, "logsumexp")
        m = self._like(reduce.peak(self._xp, self._data, dims))
        m = m.masked_fill(m.isinf(), 0.0)
        out = (self - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims)

    def softmax(self, dim) -> Tensor:
        return nn.Softmax.apply(self._floating(), dim=normalize_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim) -> Tensor:
        return nn.LogSoftmax.apply(
            self._floating(), dim=normalize_dim(dim, self.ndim, "log_softmax")
        )

    def cumsum(self, dim) -> Tensor:
        axis = normalize_dim(dim, self.ndim, "cumsum")
        if self.ndim == 0:
            return self.reshape(1).cumsum(0).reshape(())
        return reduce.Cumsum.apply(self.long() if self.dtype is dtypes.bool_ else self, dim=axis)

    # ---- shape ---------------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor:
        shape = _infer_shape(_shape_arg(shape), self.numel(), "reshape", self.shape)
        if shape == self.shape:
            return self
        return movement.Reshape.apply(self, shape=shape)

    def view(self, *shape) -> Tensor:
        """Like ``reshape``, but only when no copy is needed; otherwise a clear error."""
        if len(shape) == 1 and isinstance(shape[0], dtypes.dtype):
            raise DTypeError("view(dtype) is not supported; use .to(dtype)")
        shape = _infer_shape(_shape_arg(shape), self.numel(), "view", self.shape)
        probe = self._data.view()
        try:
            probe.shape = shape
        except AttributeError:
            raise ShapeError(
                f"view size is not compatible with input tensor's size and stride (at least one "
                f"dimension spans across two contiguous subspaces): cannot view a tensor of shape "
                f"{format_shape(self.shape)} with strides {self._data.strides} as "
                f"{format_shape(shape)}. Use .reshape(...) instead."
            ) from None
        return self if shape == self.shape else movement.Reshape.apply(self, shape=shape)

    def view_as(self, other: Tensor) -> Tensor:
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start = normalize_dim(start_dim, self.ndim, "flatten")
        end = normalize_dim(end_dim, self.ndim, "flatten")
        if start > end:
            raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = (
            self.shape[:start] + (math.prod(self.shape[start : end + 1]),) + self.shape[end + 1 :]
        )
        return self.reshape(shape)

    def unflatten(self, dim, sizes) -> Tensor:
        d = normalize_dim(dim, self.ndim, "unflatten")
        sizes = _infer_shape(tuple(sizes), self.shape[d], "unflatten", (self.shape[d],))
        return self.reshape(self.shape[:d] + sizes + self.shape[d + 1 :])

    def permute(self, *dims) -> Tensor:
        dims = _shape_arg(dims)
        if len(dims) != self.ndim:
            raise ShapeError(
                f"permute(sparse_coo): number of dimensions in the tensor input does not match "
                f"the length of the desired ordering of dimensions i.e. input.dim() = {self.ndim} "
                f"is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(normalize_dim(d, self.ndim, "permute") for d in dims)
        if len(set(dims)) != len(dims):
            raise ShapeError(f"permute(): duplicate dims are not allowed, got {dims}")
        if dims == tuple(range(self.ndim)):
            return self
        return movement.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1) -> Tensor:
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        d0 = normalize_dim(dim0, self.ndim, "transpose")
        d1 = normalize_dim(dim1, self.ndim, "transpose")
        order = list(range(self.ndim))
        order[d0], order[d1] = order[d1], order[d0]
        return self.permute(order)

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ShapeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        if self.ndim < 2:
            raise ShapeError(
                f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor."
            )
        return self.transpose(-2, -1)

    def squeeze(self, dim=None) -> Tensor:
        dims = normalize_dims(dim, self.ndim, "squeeze")
        shape = tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim) -> Tensor:
        d = normalize_dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes) -> Tensor:
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        shape = tuple(
            self.shape[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes)
        )
        for i in range(self.ndim):
            have, want = self.shape[i], shape[lead + i]
            if have != want and have != 1:
                raise ShapeError(
                    f"expand: the expanded size of the tensor ({want}) must match the existing "
                    f"size ({have}) at non-singleton dimension {lead + i}. Target sizes: "
                    f"{format_shape(sizes)}. Tensor sizes: {format_shape(self.shape)}"
                )
        if shape == self.shape:
            return self
        return movement.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes) -> Tensor:
        """Tile the tensor: built from unsqueeze, expand and reshape, so it needs no backward."""
        sizes = _shape_arg(sizes)
        if len(sizes) < self.ndim:
            raise ShapeError(
                "repeat: Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        interleaved = []
        for n in x.shape:
            interleaved += [1, n]
        x = x.reshape(interleaved)
        target = []
        for r, n in zip(sizes, x.shape[1::2]):
            target += [r, n]
        return x.expand(target).reshape(tuple(r * n for r, n in zip(sizes, x.shape[1::2])))

    def flip(self, *dims) -> Tensor:
        dims = tuple(normalize_dim(d, self.ndim, "flip") for d in _shape_arg(dims))
        return movement.Flip.apply(self, dims=dims)

    def narrow(self, dim, start, length) -> Tensor:
        d = normalize_dim(dim, self.ndim, "narrow")
        size = self.shape[d]
        if not -size <= start <= size:
            raise IndexOutOfRange(
                f"narrow(): start ({start}) is out of range for dimension {d} of size {size}"
            )
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise IndexOutOfRange(
                f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({size}) "
                f"of dimension {d} (tensor shape {format_shape(self.shape)})"
            )
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            if step <= 0:
                raise ArgumentError(f"split: split_size must be positive, got {step}")
            sizes = [builtins.min(step, n - i) for i in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ShapeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                    f"size at dimension {d}), but got split_sizes={sizes}"
                )
        out, start = [], 0
        for size in sizes:
            out.append(self.narrow(d, start, size))
            start += size
        return tuple(out)

    def chunk(self, chunks, dim=0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim, "chunk")
        if chunks <= 0:
            raise ArgumentError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        return self.split(builtins.max(1, -(-self.shape[d] // chunks)), d)

    def unbind(self, dim=0) -> tuple[Tensor, ...]:
        d = normalize_dim(dim, self.ndim, "unbind")
        return tuple(self.select(d, i) for i in range(self.shape[d]))

    def select(self, dim, index) -> Tensor:
        d = normalize_dim(dim, self.ndim, "select")
        return self[(slice(None),) * d + (index,)]

    # ---- indexing ------------------------------------------------------------------------------
    def __getitem__(self, index) -> Tensor:
        index = indexing.to_raw_index(index, self)
        if indexing.mixes_ints_and_arrays(index):
            first, rest = indexing.ints_first(index)
            return self[first][rest]
        op = movement.Slice if movement.is_basic_index(index) else movement.Index
        try:
            return op.apply(self, index=index)
        except IndexError as exc:
            raise IndexOutOfRange(
                f"index {indexing.describe_index(index)} is out of bounds for a tensor of shape "
                f"{format_shape(self.shape)} ({exc})"
            ) from None

    def __setitem__(self, index, value) -> None:
        index = indexing.to_raw_index(index, self)
        if indexing.mixes_ints_and_arrays(index):
            first, rest = indexing.ints_first(index)
            self[first][rest] = value  # a write through a view of this tensor
            return
        if not isinstance(value, Tensor):
            value = self._like(value)
        else:  # values from another device are copied over, as in PyTorch
            value = value.to(self._device, self.dtype)
        recording = STATE.grad_enabled and (self.requires_grad or value.requires_grad)
        try:
            if recording:
                result = movement.IndexPut.apply(self._alias(), value, index=index)
            else:
                self._check_inplace("__setitem__")
                self._data[index] = value._data
        except IndexError as exc:
            raise IndexOutOfRange(
                f"index {indexing.describe_index(index)} is out of bounds for a tensor of shape "
                f"{format_shape(self.shape)} ({exc})"
            ) from None
        except ValueError:
            raise ShapeError(
                f"__setitem__: shape mismatch: value tensor of shape {format_shape(value.shape)} "
                f"cannot be broadcast to indexing result of shape "
                f"{format_shape(self._data[index].shape)}"
            ) from None
        if recording:
            self._assign(result, "__setitem__")
        else:
            self._version.value += 1

    def gather(self, dim, index: Tensor) -> Tensor:
        """``out[i][j][k] = self[index[i][j][k]][j][k]`` (for dim 0), as in PyTorch."""
        d = normalize_dim(dim, self.ndim, "gather")
        if not isinstance(index, Tensor) or index.dtype is not dtypes.int64:
            raise DTypeError("gather(): Expected dtype int64 for index")
        if index.ndim != self.ndim:
            raise ShapeError(
                f"gather(): Index tensor must have the same number of dimensions as input tensor "
                f"(index {format_shape(index.shape)}, input {format_shape(self.shape)})"
            )
        if self.ndim == 0:  # a 0-d tensor has one element along its dim 0, as in PyTorch
            return self.reshape(1).gather(0, index.reshape(1)).reshape(())
        grids = list(
            self._xp.meshgrid(
                *[self._xp.arange(n) for n in index.shape], indexing="ij", sparse=True
            )
        )
        grids[d] = index._data
        try:
            return self[tuple(Tensor._make(g, self._device) for g in grids)]
        except IndexOutOfRange:
            raise IndexOutOfRange(
                f"gather(): index out of bounds for input of shape {format_shape(self.shape)}: "
                f"index values must be in [0, {self.shape[d]}) along dim {d}, and the index's "
                f"shape {format_shape(index.shape)} must not exceed the input's in other dims"
            ) from None

    def index_select(self, dim, index: Tensor) -> Tensor:
        d = normalize_dim(dim, self.ndim, "index_select")
        if index.ndim > 1:
            raise ShapeError("index_select(): Index is supposed to be a vector")
        return self[(slice(None),) * d + (index.reshape(-1),)]

    def masked_fill(self, mask: Tensor, value) -> Tensor:
        """``value`` where ``mask`` is True, else ``self``; ``mask`` must broadcast to ``self``."""
        _check_mask(mask, self, "masked_fill")
        value = value.to(self.dtype) if isinstance(value, Tensor) else self._like(value)
        return where(mask, value, self)

    def tril(self, diagonal=0) -> Tensor:
        return self._triangle(diagonal, lower=True)

    def triu(self, diagonal=0) -> Tensor:
        return self._triangle(diagonal, lower=False)

    def _triangle(self, diagonal, lower) -> Tensor:
        if self.ndim < 2:
            raise ShapeError(
                f"{'tril' if lower else 'triu'}: input tensor must have at least 2 dimensions"
            )
        rows, cols = self.shape[-2:]
        xp = self._xp
        keep = xp.tri(rows, cols, diagonal, dtype=bool)
        if not lower:
            keep = ~xp.tri(rows, cols, diagonal - 1, dtype=bool)
        return self.masked_fill(Tensor._make(~keep, self._device), 0)

    # ---- matrix product ------------------------------------------------------------------------
    def matmul(self, other) -> Tensor:
        """Matrix product with NumPy's rules: 1-d operands are lifted to matrices and dropped after."""
        if not isinstance(other, Tensor):
            other = Tensor(other, device=self._device)
        a, b = _promote(self, other)
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                "matmul: both arguments to matmul need to be at least 1D, but they are "
                f"{a.ndim}D and {b.ndim}D"
            )
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        if a2.shape[-1] != b2.shape[-2]:
            raise ShapeError(
                f"matmul: mat1 and mat2 shapes cannot be multiplied "
                f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})"
            )
        out = self._batched_matmul(a, b, a2, b2)
        if a.ndim == 1:  # drop the lifted axes: a's row first, so 1-d @ 1-d gives a 0-d result
            out = out.squeeze(-2)
        if b.ndim == 1:
            out = out.squeeze(-1)
        return out

    @staticmethod
    def _batched_matmul(a, b, a2, b2) -> Tensor:
        """Matmul over broadcast batch axes, with an error naming both shapes when they clash."""
        try:
            return linalg.Matmul.apply(a2, b2)
        except ValueError:
            broadcast_shapes(
                a2.shape[:-2],
                b2.shape[:-2],
                op=f"matmul: batch dimensions of {format_shape(a.shape)} and {format_shape(b.shape)}",
            )
            raise

    # ---- in-place ops --------------------------------------------------------------------------
    def _check_inplace(self, op: str) -> None:
        if self._requires_grad and self.grad_fn is None and STATE.grad_enabled:
            raise AutogradError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation. "
                f"Wrap the update in `with minigrad.no_grad():`."
            )
        # an expanded view repeats an element along a stride-0 axis (CuPy has no read-only flag)
        if any(s == 0 and n > 1 for s, n in zip(self._data.strides, self.shape)):
            raise AutogradError(
                f"{op}: unsupported operation: more than one element of the written-to tensor "
                f"refers to a single memory location (an expanded view). Please clone() the "
                f"tensor before performing the operation."
            )
        if not getattr(getattr(self._data, "flags", None), "writeable", True):
            raise AutogradError(
                f"{op}: the tensor's memory is read-only (from_numpy shares a NumPy array that "
                f"is not writeable). Please clone() the tensor before performing the operation."
            )
        base = self._viewed_base()
        if base is not None:  # writing to a view writes to the tensor it views
            base._check_inplace(op)

    def _viewed_base(self) -> Tensor | None:
        """The tensor this one is a recorded view of (``y`` for ``y[0]``), if they share memory."""
        node = self.grad_fn
        if node is None or not node.fn.is_view or node.released:
            return None
        base = node.inputs[0]
        return base if base._version is self._version else None

    def _alias(self) -> Tensor:
        """Another Tensor object for this tensor's current place in the graph (same memory)."""
        t = Tensor._make(self._data, self._device, self.grad_fn, self._requires_grad)
        t._version = self._version
        return t

    def _assign(self, result: Tensor, op: str) -> Tensor:
        """Write ``result`` into this tensor's memory; if it was recorded, take its graph place.

        If this tensor is a view (``y[0]``, ``y.T``, ...), the tensor it views changed too, so
        that one takes a new graph place as well: its old value with the view's new one put back.
        """
        self._check_inplace(op)
        if result.shape != self.shape:
            raise ShapeError(
                f"{op}: output with shape {format_shape(self.shape)} doesn't match the broadcast "
                f"shape {format_shape(result.shape)}"
            )
        view_of, base = self.grad_fn, self._viewed_base()
        self._data[...] = result._data
        self._version.value += 1
        if result.grad_fn is not None:
            self.grad_fn = result.grad_fn
            self._requires_grad = True
            result.grad_fn.out_data = self._data
            result.grad_fn.out_version = (self._version, self._version.value)
            if base is not None:
                base._assign(movement.put_back(view_of, base._alias(), self), op)
        return self

    def _inplace(self, op: str, compute) -> Tensor:
        """Run ``compute(x)`` on this tensor's current value and store the result in place."""
        recording = STATE.grad_enabled and self._requires_grad
        self._check_inplace(op)
        return self._assign(compute(self._alias() if recording else self.detach()), op)

    def add_(self, other, alpha=1) -> Tensor:
        return self._inplace("add_", lambda x: x + (other if alpha == 1 else other * alpha))

    def sub_(self, other, alpha=1) -> Tensor:
        return self._inplace("sub_", lambda x: x - (other if alpha == 1 else other * alpha))

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", lambda x: x * other)

    def div_(self, other) -> Tensor:
        return self._inplace("div_", lambda x: x / other)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace("clamp_", lambda x: x.clamp(min, max))

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace("masked_fill_", lambda x: x.masked_fill(mask, value))

    def copy_(self, src) -> Tensor:
        src = src if isinstance(src, Tensor) else self._like(src)
        if broadcast_shapes(src.shape, self.shape, op="copy_") != self.shape:
            raise ShapeError(
                f"copy_: the source's shape {format_shape(src.shape)} cannot be broadcast to the "
                f"destination's shape {format_shape(self.shape)}"
            )
        return self._inplace("copy_", lambda x: src.to(x.dtype).to(x.device).expand(x.shape))

    def fill_(self, value) -> Tensor:
        if STATE.grad_enabled and self._requires_grad:
            return self._inplace("fill_", lambda x: x * 0 + value)
        self._check_inplace("fill_")
        self._data[...] = value._data if isinstance(value, Tensor) else value
        self._version.value += 1
        return self

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def uniform_(self, a=0.0, b=1.0) -> Tensor:
        sample = self._device.backend.uniform(self.shape, self._data.dtype)
        return self.fill_(self._like(sample * (b - a) + a))

    def normal_(self, mean=0.0, std=1.0) -> Tensor:
        sample = self._device.backend.normal(self.shape, self._data.dtype)
        return self.fill_(self._like(sample * std + mean))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_


function._tensor_type = Tensor


# ---- module-level ops (torch.where, torch.cat, ...) -----------------------------------------------
def where(condition, input, other) -> Tensor:
    """``input`` where ``condition`` is True, else ``other``; all three broadcast together."""
    ref = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    if not isinstance(condition, Tensor):
        condition = ref._like(condition, dtypes.bool_)
    if condition.dtype is not dtypes.bool_:
        raise DTypeError(
            f"where: expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}"
        )
    a, b = _promote(input, other, ref)
    try:
        return ew.Where.apply(condition, a, b)
    except ValueError:
        broadcast_shapes(condition.shape, a.shape, b.shape, op="where")
        raise


def cat(tensors, dim=0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError("cat(): zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dim(dim, first.ndim, "cat")
    target = dtypes.result_type(*tensors)
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim:
            raise ShapeError(
                f"cat(): Tensors must have same number of dimensions: got {first.ndim} and "
                f"{t.ndim} (shapes {format_shape(first.shape)} and {format_shape(t.shape)} for "
                f"tensors number 0 and {i} in the list)"
            )
        if any(n != m for j, (n, m) in enumerate(zip(t.shape, first.shape)) if j != d):
            raise ShapeError(
                f"cat(): Sizes of tensors must match except in dimension {d}. Expected sizes "
                f"{format_shape(first.shape)} (except dim {d}) but got {format_shape(t.shape)} "
                f"for tensor number {i} in the list."
            )
    return movement.Cat.apply(*[t.to(target) for t in tensors], dim=d)


def stack(tensors, dim=0) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ArgumentError("stack(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ShapeError(
                f"stack expects each tensor to be equal size, but got {format_shape(tensors[0].shape)} "
                f"at entry 0 and {format_shape(t.shape)} at entry {i}"
            )
    d = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], d)


# ---- helpers ----------------------------------------------------------------------------------
def to_args(args, kwargs) -> tuple:
    """The ``(device, dtype)`` that ``to(...)`` asks for (either may be None): positional dtypes,
    devices or a tensor (whose device and dtype are taken), or ``device=`` / ``dtype=``."""
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, Device)):
            device = a
        else:
            dtype = a
    return device, dtype


class _HookHandle:
    __slots__ = ("hooks", "hook")

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _to_array(data, dtype, device: Device):
    """Turn user data (numbers, nested lists, NumPy arrays, tensors) into a backend array."""
    backend = device.backend
    if isinstance(data, Tensor):
        data = data._device.backend.to_numpy(data._data)
    if dtype is not None:
        target = dtypes.to_dtype(dtype)
    else:
        if isinstance(data, np.ndarray) or isinstance(data, np.generic):
            host = data
        else:
            try:
                host = np.asarray(data)
            except ValueError as exc:
                raise ShapeError(
                    f"tensor(): could not build a tensor from {type(data).__name__}: {exc}"
                ) from None
        if host.dtype == object:
            raise DTypeError(f"tensor(): could not infer dtype of {type(data).__name__}")
        target = dtypes.from_numpy(host.dtype)
        if target.is_floating_point and not isinstance(data, (np.ndarray, np.generic)):
            target = dtypes.get_default_dtype()
    try:
        if isinstance(data, np.ndarray):  # tensor() copies, as in PyTorch (from_numpy shares)
            data = np.array(data, dtype=target.np, order="C")
        return backend.asarray(data, target.np)
    except (TypeError, ValueError) as exc:
        raise DTypeError(f"tensor(): could not convert the data to {target}: {exc}") from None


_OPERAND_TYPES = (Tensor, int, builtins.float, builtins.bool, np.generic, np.ndarray, list)


def _promote(a, b, ref=None):
    """Both operands as tensors of the dtype PyTorch's promotion gives."""
    # the common case first: a floating tensor and a Python number keep the tensor's dtype
    if type(b) in (builtins.float, int) and isinstance(a, Tensor) and a._data.dtype.kind == "f":
        return a, a._like(b)
    if type(a) in (builtins.float, int) and isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return b._like(a), b
    if not isinstance(a, _OPERAND_TYPES) or not isinstance(b, _OPERAND_TYPES):
        raise DTypeError(
            f"unsupported operand type(s) for a tensor op: '{type(a).__name__}' and "
            f"'{type(b).__name__}' (expected tensors, numbers or lists)"
        )
    if ref is None:
        ref = a if isinstance(a, Tensor) else b
    if isinstance(a, (list, np.ndarray)):
        a = Tensor(a, device=ref._device)
    if isinstance(b, (list, np.ndarray)):
        b = Tensor(b, device=ref._device)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a._data.dtype == b._data.dtype:
            return a, b
        target = dtypes.result_type(a, b)
        return a.to(target), b.to(target)
    target = dtypes.result_type(a, b)
    a = a.to(target) if isinstance(a, Tensor) else ref._like(a, target)
    b = b.to(target) if isinstance(b, Tensor) else ref._like(b, target)
    return a, b


def _shape_arg(args) -> tuple[int, ...]:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise DTypeError(f"expected a sequence of integers as a shape, got {args!r}")
    return tuple(int(n) for n in args)


def _infer_shape(shape, numel, op, old_shape) -> tuple[int, ...]:
    """Resolve one ``-1`` in a requested shape and check that the element count matches."""
    if shape.count(-1) > 1:
        raise ShapeError(f"{op}: only one dimension can be inferred")
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise ShapeError(
                f"{op}: shape '{format_shape(shape)}' is invalid for input of size {numel}"
            )
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if math.prod(shape) != numel or any(n < 0 for n in shape):
        raise ShapeError(
            f"{op}: shape '{format_shape(shape)}' is invalid for input of size {numel} "
            f"(input shape {format_shape(old_shape)})"
        )
    return shape


def _check_mask(mask, x: Tensor, op: str) -> None:
    if not isinstance(mask, Tensor) or mask.dtype is not dtypes.bool_:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"{op} only supports boolean masks, but got mask with dtype {got}")
    if broadcast_shapes(mask.shape, x.shape, op=op) != x.shape:
        raise ShapeError(
            f"{op}: the shape of the mask {format_shape(mask.shape)} must be broadcastable to "
            f"the shape of the tensor {format_shape(x.shape)}"
        )
