"""``Tensor``: the user-facing n-d array, assembled from its parts.

``TensorBase`` (``minigrad.autograd.tensor_base``) holds what autograd needs: storage, device,
dtype, ``grad``, ``grad_fn``, the version counter and the in-place rules. Each mixin in
``minigrad.tensor_api`` adds one family of PyTorch's methods; each method checks and normalises
its arguments, so that errors name the op and the shapes, then calls one kernel (an ``Op`` in
``minigrad.ops``), where forward and backward sit side by side.
"""

from __future__ import annotations

from .autograd.tensor_base import TensorBase
from .backend import CPU
from .backend import device as as_device
from .dtypes import get_default_dtype
from .errors import DTypeError
from .tensor_api.arguments import size_arg
from .tensor_api.autograd_methods import AutogradMixin
from .tensor_api.conversion import ConversionMixin
from .tensor_api.elementwise import ElementwiseMixin, where
from .tensor_api.indexing import IndexingMixin
from .tensor_api.inplace import InplaceMixin
from .tensor_api.linalg import LinalgMixin, einsum
from .tensor_api.movement import MovementMixin, cat, stack
from .tensor_api.reduce import ReduceMixin

__all__ = ["Tensor", "cat", "einsum", "legacy_tensor", "stack", "where"]


class Tensor(
    TensorBase,
    AutogradMixin,
    ConversionMixin,
    ElementwiseMixin,
    ReduceMixin,
    MovementMixin,
    IndexingMixin,
    LinalgMixin,
    InplaceMixin,
):
    """An n-d array that can record the ops applied to it, for reverse-mode differentiation.

    ``grad_fn`` is the ``Node`` of the op that produced this tensor (``None`` for leaves);
    ``grad`` receives the gradient of ``backward()`` for leaves that require grad.
    """

    __slots__ = ()

    def __new__(cls, *args, device=None):
        """``Tensor(...)`` is PyTorch's legacy constructor ``torch.Tensor(...)``, in the default
        floating dtype (see ``legacy_tensor``). ``minigrad.tensor(data)`` keeps the data's dtype
        and takes ``requires_grad``."""
        return legacy_tensor(get_default_dtype(), "Tensor", args, device)

    def __init__(self, *args, device=None):
        """Everything is done by ``__new__``."""


def legacy_tensor(dtype, name: str, args: tuple, device=None) -> Tensor:
    """PyTorch's legacy constructors, ``torch.Tensor(...)`` and ``torch.FloatTensor(...)``:
    ``(2, 3)`` is a size (zeros: minigrad hands out no uninitialised memory), ``()`` an empty
    tensor, a sequence or array is data held in ``dtype``, and a tensor of ``dtype`` is aliased
    (a view of all of it: it shares memory, and gradients flow through it)."""
    if all(type(n) is int for n in args):
        dev = as_device(device) if device is not None else CPU
        return Tensor._make(dev.backend.xp.zeros(size_arg(args or (0,)), dtype.np), dev)
    if len(args) > 1:
        raise DTypeError(
            f"{name}(): expected a size (integers) or one sequence of data, got {args!r}"
        )
    (data,) = args
    if isinstance(data, TensorBase):
        if data.dtype is not dtype:
            raise DTypeError(f"{name}(): expected a tensor of dtype {dtype}, got {data.dtype}")
        return data[...]
    if isinstance(data, (bool, int, float, complex, str, bytes)):
        raise DTypeError(f"{name}(): data must be a sequence (got {type(data).__name__})")
    return Tensor._build(data, dtype, device)
