"""Tensor methods that convert: to host values (``numpy``, ``item``), to other dtypes and
devices (``to``), copies (``clone``), new tensors on the same device (``new_zeros``), printing."""

from __future__ import annotations

import builtins

import numpy as np

from .. import dtypes, printing
from ..autograd.tensor_base import TensorBase
from ..backend import Device, cuda_spec
from ..backend import device as as_device
from ..errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ..ops import elementwise as ew
from ..ops import movement
from .arguments import shape_arg


class ConversionMixin:
    """Host values, dtype and device conversion, copies, ``new_*`` constructors, ``repr``."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise AutogradError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._device.backend.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """``np.asarray(t)``, as NumPy functions and matplotlib ask for a tensor's values:
        ``numpy()`` (so not for a tensor that requires grad), converted to ``dtype`` if given.
        NumPy's ``copy``: True always copies; False refuses when a copy cannot be avoided (a
        conversion, or a tensor off the CPU)."""
        converts = dtype is not None and np.dtype(dtype) != self._data.dtype
        if copy is False and (converts or self._device.type != "cpu"):
            raise ArgumentError(
                f"np.asarray(tensor, copy=False): a {self.dtype} tensor on {self._device} "
                f"cannot be viewed as a NumPy array of dtype {np.dtype(dtype or self._data.dtype)}"
            )
        array = self.numpy()
        if converts:
            return array.astype(dtype)
        return array.copy() if copy else array

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

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its Python number (``f"{loss:.4f}"``); others as ``str``
        with an empty spec (a spec is a TypeError), as in PyTorch."""
        if self.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self.numel() != 1:
            raise DTypeError(
                "only integer tensors of a single element can be converted to an index"
            )
        return int(self.item())

    def to(self, *args, **kwargs) -> TensorBase:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        device, dtype = to_args(args, kwargs)
        out = self
        if device is not None and as_device(device) is not self._device:
            out = movement.ToDevice.apply(out, device=as_device(device))
        if dtype is not None and dtypes.to_dtype(dtype).np != out._data.dtype:
            out = ew.Cast.apply(out, dtype=dtypes.to_dtype(dtype).np)
        return out

    def float(self) -> TensorBase:
        return self.to(dtypes.float32)

    def double(self) -> TensorBase:
        return self.to(dtypes.float64)

    def long(self) -> TensorBase:
        return self.to(dtypes.int64)

    def int(self) -> TensorBase:
        return self.to(dtypes.int32)

    def half(self) -> TensorBase:
        return self.to(dtypes.float16)

    def short(self) -> TensorBase:
        return self.to(dtypes.int16)

    def char(self) -> TensorBase:
        return self.to(dtypes.int8)

    def byte(self) -> TensorBase:
        return self.to(dtypes.uint8)

    def bool(self) -> TensorBase:
        return self.to(dtypes.bool_)

    def type(self, dtype=None):
        """With no argument, the type's name as PyTorch spells it (``'minigrad.FloatTensor'``);
        otherwise the tensor converted to ``dtype`` (a dtype, a type name, or a legacy type
        such as ``minigrad.LongTensor``)."""
        if dtype is None:
            where = "minigrad.cuda." if self._device.type == "cuda" else "minigrad."
            return where + dtypes.legacy_name(self.dtype)
        if isinstance(dtype, str):
            dtype = dtypes.from_legacy_name(dtype.rpartition(".")[2])
        return self.to(getattr(dtype, "dtype", dtype))

    def type_as(self, other: TensorBase) -> TensorBase:
        return self.to(other.dtype)

    def cpu(self) -> TensorBase:
        return self.to("cpu")

    def cuda(self, device=None) -> TensorBase:
        return self.to(cuda_spec(device))

    def clone(self) -> TensorBase:
        """A C-ordered copy with its own memory; gradients flow back to the original."""
        return movement.Clone.apply(self)

    def contiguous(self) -> TensorBase:
        return self if self.is_contiguous() else movement.Clone.apply(self)

    def __repr__(self) -> str:
        return printing.format_tensor(self)

    def new_tensor(self, data, dtype=None) -> TensorBase:
        return self._from_data(data, dtype or self.dtype)

    def new_zeros(self, *size, dtype=None) -> TensorBase:
        return self._full(shape_arg(size), 0, dtype or self.dtype)

    def new_ones(self, *size, dtype=None) -> TensorBase:
        return self._full(shape_arg(size), 1, dtype or self.dtype)

    def new_full(self, size, fill_value, dtype=None) -> TensorBase:
        return self._full(shape_arg((size,)), fill_value, dtype or self.dtype)

    def new_empty(self, *size, dtype=None) -> TensorBase:
        return self.new_zeros(*size, dtype=dtype)


def to_args(args, kwargs) -> tuple:
    """The ``(device, dtype)`` that ``to(...)`` asks for (either may be None): positional dtypes,
    devices or a tensor (whose device and dtype are taken), or ``device=`` / ``dtype=``."""
    dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, TensorBase):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, Device)):
            device = a
        else:
            dtype = a
    return device, dtype
