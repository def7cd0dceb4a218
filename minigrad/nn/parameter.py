"""``nn.Parameter``: a Tensor that a Module treats as one of its learnable weights."""

from __future__ import annotations

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor marked as a module's parameter: assigning it to a Module attribute registers it.

    ``Parameter(t)`` shares ``t``'s memory (and its version counter), as in PyTorch, and requires
    grad by default. Ops on a Parameter return plain Tensors.
    """

    __slots__ = ()  # Tensor uses __slots__; the subclass adds no fields

    def __new__(cls, data=None, requires_grad: bool = True):
        source = data if isinstance(data, Tensor) else Tensor._build([] if data is None else data)
        param = Tensor._make(source._data, source._device)
        param.__class__ = cls  # the same fields (slots): PyTorch's Tensor.as_subclass
        param._version = source._version
        param.requires_grad = requires_grad
        return param

    def __init__(self, data=None, requires_grad: bool = True):
        """Everything is set up by ``__new__`` (this stops ``Tensor.__init__`` from running)."""

    @classmethod
    def _make(cls, data, device, grad_fn=None, requires_grad=False) -> Tensor:
        """Ops on a Parameter return plain Tensors, as in PyTorch."""
        return Tensor._make(data, device, grad_fn, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
