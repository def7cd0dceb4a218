"""``TensorBase``: what autograd needs of a tensor, below every op.

A tensor's storage (a backend array), device, dtype, ``requires_grad``, ``grad``, ``grad_fn``
(the ``Node`` that made it) and version counter, and the rules for writing in place: which
tensors may be written, and how a write to a view updates the graph of the tensor it views.
The user-facing methods (arithmetic, reductions, indexing, ...) are mixins in
``minigrad.tensor_api``; ``minigrad.tensor.Tensor`` puts them together on this base.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..backend import CPU, Device
from ..backend import device as as_device
from ..errors import AutogradError, DTypeError, ShapeError, format_shape, normalize_dim
from .grad_mode import STATE
from .graph import VersionCounter


class TensorBase:
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
            else (data._device if isinstance(data, TensorBase) else CPU)
        )
        self._data = to_array(data, dtype, dev)
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
    def _make(cls, data, device: Device, grad_fn=None, requires_grad=False) -> TensorBase:
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

    def _wrap(self, data, grad_fn=None, requires_grad=False):
        """A backend array as a tensor on this tensor's device, of the class that ops on this
        tensor return: ``_make`` of its class (``Parameter._make`` gives plain Tensors)."""
        return self._make(data, self._device, grad_fn, requires_grad)

    def _like(self, value, dtype=None):
        """A constant tensor of ``value`` on this tensor's device (a Python scalar or array)."""
        np_dtype = self._data.dtype if dtype is None else dtype.np
        return self._make(self._device.backend.asarray(value, np_dtype), self._device)

    def _from_data(self, data, dtype=None):
        """User data (numbers, lists, arrays, tensors) as a constant tensor on this device."""
        return self._wrap(to_array(data, dtype, self._device))

    def _full(self, shape, value, dtype):
        """A constant tensor of ``shape`` filled with ``value``, of ``dtype``, on this device."""
        return self._wrap(self._device.backend.xp.full(shape, value, dtype.np))

    @property
    def _xp(self):
        return self._device.backend.xp

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

    def requires_grad_(self, requires_grad: bool = True) -> TensorBase:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def detach(self) -> TensorBase:
        """The same data (shared memory, shared version counter), cut from the graph."""
        t = self._wrap(self._data)
        t._version = self._version
        return t

    def detach_(self) -> TensorBase:
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> TensorBase:
        """A detached view of the same memory (PyTorch's ``.data``)."""
        return self.detach()

    @data.setter
    def data(self, value: TensorBase) -> None:
        if value.shape != self.shape:
            raise ShapeError(
                f"data: cannot assign a tensor of shape {format_shape(value.shape)} to one of "
                f"shape {format_shape(self.shape)}"
            )
        self._data = value._data

    # ---- the rules for writing in place -----------------------------------------------------------
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

    def _viewed_base(self) -> TensorBase | None:
        """The tensor this one is a recorded view of (``y`` for ``y[0]``), if they share memory."""
        node = self.grad_fn
        if node is None or not node.fn.is_view or node.released:
            return None
        base = node.inputs[0]
        return base if base._version is self._version else None

    def _alias(self) -> TensorBase:
        """Another Tensor object for this tensor's current place in the graph (same memory)."""
        t = self._wrap(self._data, self.grad_fn, self._requires_grad)
        t._version = self._version
        return t

    def _write(self, index, values, op: str) -> TensorBase:
        """Write ``values`` (an array or a scalar) into this tensor's memory at ``index``, without
        recording: the write is checked and counted (the version counter), nothing more."""
        self._check_inplace(op)
        self._data[index] = values
        self._version.value += 1
        return self

    def _assign(self, result: TensorBase, op: str) -> TensorBase:
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
                base._assign(view_of.fn.put_back(view_of, base._alias(), self), op)
        return self


def to_array(data, dtype, device: Device):
    """Turn user data (numbers, nested lists, NumPy arrays, tensors) into a backend array."""
    backend = device.backend
    if isinstance(data, TensorBase):
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
