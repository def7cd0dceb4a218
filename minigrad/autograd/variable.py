"""``Variable``, PyTorch's pre-0.4 wrapper around a tensor, kept so that old tutorials run.

Since PyTorch 0.4 a Variable is a Tensor; ``Variable(t, requires_grad=True)`` gives a tensor that
shares ``t``'s memory, detached from any graph ``t`` has, with ``requires_grad`` set.
"""

from __future__ import annotations

from ..errors import DTypeError
from .tensor_base import TensorBase


def Variable(data, requires_grad: bool = False) -> TensorBase:  # noqa: N802 (PyTorch's name)
    """A tensor sharing ``data``'s memory, detached, with ``requires_grad`` set."""
    if not isinstance(data, TensorBase):
        raise DTypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
    return data.detach().requires_grad_(requires_grad)
