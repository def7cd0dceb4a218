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
from ..size import Size
from .grad_mode import STATE, set_grad_enabled
from .graph import VersionCounter


class TensorBase:
    """An n-d array that can record the ops applied to it, for reverse-mode differentiation.

    ``grad_fn`` is the ``Node`` of the op that produced this tensor (``None`` for leaves), and
    ``_output_nr`` which of that node's outputs it is (0 but for custom Functions with several);
    ``grad`` receives the gradient of ``backward()`` for leaves that require grad.
    """

    __slots__ = (
        "_data",
        "_device",
        "_requires_grad",
        "grad",
        "_grad_fn",
        "_output_nr",
        "_version",
        "_view",
        "_hooks",
        "name",
        "__weakref__",
    )
    __array_priority__ = 1000  # NumPy scalars defer to our reflected operators (np.float32(2) * t)

    @classmethod
    def _build(cls, data, dtype=None, device=None, requires_grad=False) -> TensorBase:
        """A new leaf holding a copy of user data (``minigrad.tensor``): numbers, nested lists,
        NumPy arrays or tensors, on ``device`` (a tensor's own by default, else the CPU)."""
        dev = (
            as_device(device)
            if device is not None
            else (data._device if isinstance(data, TensorBase) else CPU)
        )
        t = cls._make(to_array(data, dtype, dev), dev)
        if requires_grad:
            t.requires_grad = True
        return t

    @classmethod
    def _make(cls, data, device: Device, grad_fn=None, requires_grad=False) -> TensorBase:
        """Wrap a backend array without copying or checking: the fast path every op uses, and
        the one place that sets a tensor's fields."""
        if isinstance(data, np.generic):  # NumPy gives scalars for 0-d results; CuPy gives arrays
            data = np.asarray(data)  # an array, so that in-place writes and views work on it
        t = object.__new__(cls)
        t._data = data
        t._device = device
        t._requires_grad = requires_grad
        t.grad = None
        t._grad_fn = grad_fn
        t._output_nr = 0
        t._version = VersionCounter()
        t._view = None
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
    def shape(self) -> Size:
        return Size(self._data.shape)

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
        return math.prod(self._data.shape)

    nelement = numel  # PyTorch's older name

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
    def grad_fn(self):
        """The ``Node`` that made this tensor (None for a leaf). A view whose base was written in
        place since is first remade from the base's current node (see ``graph.ViewOf``)."""
        view = self._view
        if view is not None and view.version != self._version.value:
            self._remake_view()
        return self._grad_fn

    @grad_fn.setter
    def grad_fn(self, node) -> None:
        self._grad_fn = node

    def _remake_view(self) -> None:
        """Take this view's graph place again from its base's current one (after a write)."""
        view = self._view
        if view.base._version is not self._version:  # no longer the same memory (``.data =``)
            self._view = None
            return
        if view.multi and (self._grad_fn is not None or view.base._requires_grad):
            raise AutogradError(
                "this view is one of the outputs of a function that returns multiple views "
                "(split, chunk, unbind), and its base or another view of its base has been "
                "modified inplace. Such functions do not allow the output views to be modified "
                "inplace. You should replace the inplace operation by an out-of-place one."
            )
        view.version = self._version.value
        with set_grad_enabled(view.recorded):
            fresh = view.node.fn.apply(view.base, **view.settings)
        self._grad_fn, self._requires_grad = fresh._grad_fn, fresh._requires_grad
        self._output_nr = 0

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
        self._view = None
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
    def _check_inplace(self, op: str, source=None) -> None:
        """Refuse the in-place writes PyTorch refuses, saying why. ``source``: a tensor the write
        reads, which must not overlap this one other than exactly."""
        recording = STATE.grad_enabled
        if self._requires_grad and self.grad_fn is None and recording:
            raise AutogradError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation. "
                f"Wrap the update in `with minigrad.no_grad():`."
            )
        # an expanded view repeats an element along a stride-0 axis (CuPy has no read-only flag);
        # an empty array has no elements to repeat, whatever its strides
        data = self._data
        if data.size and any(s == 0 and n > 1 for s, n in zip(data.strides, data.shape)):
            raise AutogradError(
                f"{op}: unsupported operation: more than one element of the written-to tensor "
                f"refers to a single memory location (an expanded view). Please clone() the "
                f"tensor before performing the operation."
            )
        if not getattr(getattr(data, "flags", None), "writeable", True):
            raise AutogradError(
                f"{op}: the tensor's memory is read-only (from_numpy shares a NumPy array that "
                f"is not writeable). Please clone() the tensor before performing the operation."
            )
        if isinstance(source, TensorBase):
            check_overlap(op, self._xp, data, source._data)
        base = self._viewed_base()
        if base is None:
            return
        if recording and base._requires_grad and base.grad_fn is None:
            raise AutogradError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                f"operation. Write to the leaf inside `with minigrad.no_grad():`, or clone() it."
            )
        if recording and self._view.multi and self.requires_grad:
            raise AutogradError(
                f"{op}: this view is one of several outputs of a function that returns multiple "
                f"views (split, chunk, unbind), and such views cannot be modified in place while "
                f"gradients are recorded. Use an out-of-place op, or clone() the view first."
            )
        base._check_inplace(op)  # writing to a view writes to the tensor it views

    def _viewed_base(self) -> TensorBase | None:
        """The tensor this one is a view of (``y`` for ``y[0]``), while they share memory."""
        view = self._view
        if view is None or view.base._version is not self._version:
            return None
        return view.base

    def _alias(self) -> TensorBase:
        """Another Tensor object for this tensor's current place in the graph (same memory)."""
        t = self._wrap(self._data, self.grad_fn, self._requires_grad)
        t._output_nr = self._output_nr
        t._version = self._version
        return t

    def _snapshot(self) -> TensorBase:
        """This tensor's current value in memory of its own, at its place in the graph.

        The op an in-place write records may keep its input for backward (``a.mul_(b)`` needs
        the old ``a`` for b's gradient); the write then overwrites that memory. PyTorch saves the
        old value for such ops, so backward runs; the snapshot is that saved value.
        """
        t = self._wrap(self._data.copy(), self.grad_fn, self._requires_grad)
        t._output_nr = self._output_nr
        return t

    def _write(self, index, values, op: str) -> TensorBase:
        """Write ``values`` (an array or a scalar) into this tensor's memory at ``index``, without
        recording: the write is checked and counted (the version counter), nothing more."""
        self._check_inplace(op)
        put_values(self._data, index, values)
        self._version.value += 1
        return self

    def _assign(self, result: TensorBase, op: str) -> TensorBase:
        """Write ``result`` into this tensor's memory; if it was recorded, take its graph place.

        If this tensor is a view (``y[0]``, ``y.T``, ...), the tensor it views changed too, so
        that one takes a new graph place as well: its old value with the view's new one put back.
        Other views of that tensor are remade from its new place when next used (``ViewOf``).
        """
        self._check_inplace(op)
        if result.shape != self.shape:
            raise ShapeError(
                f"{op}: output with shape {format_shape(self.shape)} doesn't match the broadcast "
                f"shape {format_shape(result.shape)}"
            )
        if not dtypes.can_cast(result.dtype, self.dtype):
            raise DTypeError(
                f"{op}: result type {result.dtype} can't be cast to the desired output type "
                f"{self.dtype}"
            )
        base = self._viewed_base()
        self._data[...] = result._data
        self._version.value += 1
        self._mark_current()
        node = result._grad_fn  # just made, so current (the property could remake a view)
        if node is not None:
            self.grad_fn = node
            self._output_nr = 0  # the write's op has one output
            self._requires_grad = True
            node.out_data = self._data
            node.out_version = (self._version, self._version.value)
            if base is not None:
                view_node = self._view.node
                base._assign(view_node.fn.put_back(view_node, base._alias(), self), op)
                # that write moved the version counter we share again; our node is still ours
                node.out_version = (self._version, self._version.value)
                self._mark_current()
        return self

    def _mark_current(self) -> None:
        """This view's graph node is up to date with its memory: nothing to remake."""
        if self._view is not None:
            self._view.version = self._version.value


def put_values(out, index, values) -> None:
    """``out[index] = values``, where ``values`` may have extra leading size-1 axes."""
    if hasattr(values, "ndim"):
        values = drop_leading_ones(values, out[index].ndim)
    out[index] = values


def drop_leading_ones(values, ndim: int = 0):
    """``values`` without its leading size-1 axes, keeping at least ``ndim`` axes: a view, or
    ``values`` itself if there are none to drop. PyTorch drops them from a value it writes into an
    indexed place (and reads the value so before it checks it for overlap)."""
    ones = 0
    while ones < values.ndim - ndim and values.shape[ones] == 1:
        ones += 1
    return values.reshape(values.shape[ones:]) if ones else values


def check_overlap(op: str, xp, dst, src, exact_ok=True) -> None:
    """Refuse a write whose source overlaps the destination's memory (the result would depend on
    the order of the element writes), as PyTorch does; ``exact_ok``: a source that is exactly
    the destination (same elements in the same layout) is fine, as in ``x.add_(x)``.

    As in PyTorch, only dense layouts are judged (it lets the others through), and the same
    layout means the same strides, those of size-1 axes included.
    """
    if dst is src:  # the very same array (even an empty one)
        same = True
    elif not (_dense(dst) and _dense(src)) or not xp.may_share_memory(dst, src):
        return
    else:
        same = (dst.shape, dst.strides) == (src.shape, src.strides) and xp.may_share_memory(
            _first(dst), _first(src)
        )
    if not (same and exact_ok):
        raise AutogradError(
            f"{op}: unsupported operation: some elements of the input tensor and the written-to "
            f"tensor refer to a single memory location. Please clone() the tensor before "
            f"performing the operation."
        )


def _dense(array) -> bool:
    """Whether an array's elements fill their memory range without gaps or repeats."""
    if array.size == 0:
        return False
    span = sum((n - 1) * abs(s) for n, s in zip(array.shape, array.strides))
    return span + array.itemsize == array.size * array.itemsize


def _first(array):
    """An array's first element, as a one-element view."""
    return array[(slice(0, 1),) * array.ndim] if array.ndim else array


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
