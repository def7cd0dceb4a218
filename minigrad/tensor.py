"""``Tensor``: the user-facing n-d array, assembled from its parts.

``TensorBase`` (``minigrad.autograd.tensor_base``) holds what autograd needs: storage, device,
dtype, ``grad``, ``grad_fn``, the version counter and the in-place rules. Each mixin in
``minigrad.tensor_api`` adds one family of PyTorch's methods; each method checks and normalises
its arguments, so that errors name the op and the shapes, then calls one kernel (an ``Op`` in
``minigrad.ops``), where forward and backward sit side by side.
"""

from __future__ import annotations

from .autograd.tensor_base import TensorBase
from .tensor_api.autograd_methods import AutogradMixin
from .tensor_api.conversion import ConversionMixin
from .tensor_api.elementwise import ElementwiseMixin, where
from .tensor_api.indexing import IndexingMixin
from .tensor_api.inplace import InplaceMixin
from .tensor_api.linalg import LinalgMixin
from .tensor_api.movement import MovementMixin, cat, stack
from .tensor_api.reduce import ReduceMixin

__all__ = ["Tensor", "cat", "stack", "where"]


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
