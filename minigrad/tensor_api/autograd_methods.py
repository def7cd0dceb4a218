"""Tensor methods that drive autograd: ``backward``, hooks, ``retain_grad``."""

from __future__ import annotations

from ..autograd import engine
from ..errors import AutogradError


class AutogradMixin:
    """``backward()``, ``register_hook()``, ``retain_grad()``."""

    __slots__ = ()  # Tensor keeps its fields in slots (autograd.tensor_base)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves it came from."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

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


class _HookHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook off again."""

    __slots__ = ("hooks", "hook")

    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)
