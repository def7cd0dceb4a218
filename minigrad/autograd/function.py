"""``Function``: one op, its forward on raw arrays and its backward in Tensor ops, side by side.

An op is a subclass of ``Function`` with two static methods::

    class Exp(Function):
        '''y = exp(x).   dx = dy * y'''

        @staticmethod
        def forward(ctx, x):
            return ctx.xp.exp(x)

        @staticmethod
        def backward(ctx, dy):
            return (dy * ctx.output(),)

``forward`` receives backend arrays and returns one array. ``backward`` receives the gradient of
the output as a Tensor and returns one gradient Tensor (or ``None``) per input. Because backward is
written with Tensor ops, running it with graph recording on gives higher-order gradients, draws as
a graph of its own, and runs unchanged on every backend.

``ctx`` is the op's ``Node`` in the graph. Forward may keep values for backward with
``ctx.save(...)``; backward reads them as ``ctx.saved``, reads the inputs with
``ctx.saved_inputs()`` (checked for in-place changes since the forward), and the output with
``ctx.output()``.
"""

from __future__ import annotations

import traceback

from ..errors import AutogradError, DeviceError
from .grad_mode import STATE


class VersionCounter:
    """How many times a tensor's memory was changed in place; shared between views of it."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Node:
    """A recorded op: its Function, its inputs in operand order, and what backward needs.

    Nodes point only backwards (to their inputs), never to their output tensor, so the graph has
    no reference cycles and is freed by reference counting as soon as the output is dropped.

    ``next_functions`` holds each input's ``grad_fn`` as it was when the op ran: an in-place op
    later gives that tensor a new ``grad_fn``, but this op's gradient must still flow to the
    old one (as in PyTorch, whose graph edges also point to nodes, not tensors).
    """

    __slots__ = (
        "fn",
        "inputs",
        "next_functions",
        "backend",
        "saved",
        "versions",
        "out_data",
        "out_meta",
        "out_version",
        "scope",
        "trace",
        "pre_hooks",
        "released",
        "__weakref__",
    )

    def __init__(self, fn, inputs, backend):
        self.fn = fn
        self.inputs = inputs
        self.backend = backend
        self.saved = ()
        self.pre_hooks = None
        self.released = False

    @property
    def xp(self):
        """The array namespace of this op's device (NumPy, CuPy, ...)."""
        return self.backend.xp

    @property
    def name(self) -> str:
        """The op's name as shown in graphs and ``grad_fn`` (``MulBackward``)."""
        return self.fn.__name__ + "Backward"

    def save(self, *values) -> None:
        """Keep arrays or Python values for backward (read back as ``ctx.saved``)."""
        self.saved = values

    def needs_grad(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient; backward may skip the ones that do not."""
        return self.inputs[i].requires_grad

    def saved_inputs(self):
        """The op's inputs, after checking that none was modified in place since the forward."""
        return tuple(self.saved_input(i) for i in range(len(self.inputs)))

    def saved_input(self, i: int):
        """Input ``i``, after checking that it was not modified in place since the forward."""
        self._check_alive()
        t = self.inputs[i]
        if t._version.value != self.versions[i]:
            raise AutogradError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: input {i} of {self.name}, with shape {list(t.shape)}, is at "
                f"version {t._version.value}; expected version {self.versions[i]} instead. Hint: "
                f"use an out-of-place op (x = x + y instead of x += y) before backward."
            )
        return t

    def output(self):
        """The op's output as a Tensor attached to this node (so that double backward sees it)."""
        self._check_alive()
        counter, expected = self.out_version
        if counter.value != expected:
            raise AutogradError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: the output of {self.name}, with shape "
                f"{list(self.out_data.shape)}, is at version {counter.value}; expected version "
                f"{expected} instead. Hint: use an out-of-place op (y = y * 2 instead of "
                f"y *= 2) on a tensor that backward still needs."
            )
        return _tensor_type._make(self.out_data, self.inputs[0]._device, self, True)

    def constant(self, array):
        """Wrap an array saved by forward as a Tensor on this op's device (no gradient)."""
        self._check_alive()
        return _tensor_type._make(array, self.inputs[0]._device, None, False)

    def intermediate(self, array, recompute):
        """A value forward computed on the way to its output, for use in backward.

        Usually the array forward saved, as a constant. When backward is itself being recorded
        (``create_graph=True``), the value is recomputed from the inputs with Tensor ops instead,
        so that it carries its own gradient and higher-order derivatives stay exact.
        """
        return recompute() if STATE.grad_enabled else self.constant(array)

    def _check_alive(self) -> None:
        if self.released:
            raise AutogradError(
                f"Trying to backward through the graph a second time (or directly access saved "
                f"tensors after they have already been freed) at {self.name}. Specify "
                f"retain_graph=True if you need to backward through the graph a second time."
            )

    def release(self) -> None:
        """Free what only backward needed: saved values, the output, and the inputs that other
        ops computed (activations). Leaves stay; so does the structure (``next_functions`` and
        each node's ``out_meta``), so the graph can still be drawn after backward."""
        self.saved = ()
        self.out_data = None
        self.inputs = tuple(
            t if edge is None else None for t, edge in zip(self.inputs, self.next_functions)
        )
        self.released = True

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Function:
    """Base class of every differentiable op (see the module docstring)."""

    differentiable = True  # False for ops whose output carries no gradient (argmax, comparisons)
    is_view = False  # True when the output shares memory with input 0 (and its version counter)

    # Subclasses define:
    #   forward(ctx, *arrays, **kwargs) -> array
    #   backward(ctx, grad: Tensor) -> tuple of (Tensor | None), one per input

    @classmethod
    def apply(cls, *inputs, **kwargs):
        """Run forward on the inputs' arrays and, when gradients are wanted, record the node."""
        device = inputs[0]._device
        wants_grad = False
        for t in inputs:
            if t._device is not device:
                raise device_mismatch(cls.__name__, device, t._device)
            wants_grad = wants_grad or t._requires_grad
        ctx = Node(cls, inputs, device.backend)
        out = cls.forward(ctx, *[t._data for t in inputs], **kwargs)
        record = wants_grad and STATE.grad_enabled and cls.differentiable
        result = _tensor_type._make(out, device, ctx if record else None, record)
        if cls.is_view and device.backend.xp.may_share_memory(out, inputs[0]._data):
            result._version = inputs[0]._version  # a copy (reshape of a transpose) has its own
        if record:
            ctx.next_functions = [t.grad_fn for t in inputs]
            ctx.versions = tuple([t._version.value for t in inputs])
            ctx.out_data = out
            ctx.out_meta = (out.shape, out.dtype)  # kept after release(), for graph drawing
            ctx.out_version = (result._version, result._version.value)
            ctx.scope = STATE.scope
            ctx.trace = traceback.extract_stack()[:-1] if STATE.anomaly else None
        return result


def device_mismatch(op: str, first, second) -> DeviceError:
    """The error for tensors on two devices in one op (PyTorch's wording, prefixed by the op)."""
    return DeviceError(
        f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
        f"{first} and {second}!"
    )


_tensor_type = (
    None  # minigrad.tensor.Tensor; that module sets it when it loads (it imports this one)
)
