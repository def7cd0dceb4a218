"""The recorded graph: ``Node`` (an op's place in the graph, and its ``ctx``) and ``Op``, the base
of every built-in kernel, whose ``apply`` runs the forward and records the node.

A kernel is a subclass of ``Op`` with two static methods, its forward on backend arrays and its
backward in Tensor ops, side by side::

    class Exp(Op):
        '''y = exp(x).   dx = dy * y'''

        @staticmethod
        def forward(ctx, x):
            y = ctx.xp.exp(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, dy):
            (y,) = ctx.saved_tensors
            return (dy * y,)

``forward`` receives backend arrays and returns one array. ``backward`` receives the gradient of
the output as a Tensor and returns one gradient Tensor (or ``None``) per input. Because backward is
written with Tensor ops, running it with graph recording on gives higher-order gradients, draws as
a graph of its own, and runs unchanged on every backend.

The ``ctx`` convention is PyTorch's:

- ``ctx.save_for_backward(*arrays)`` in forward; ``ctx.saved_tensors`` in backward gives them back
  as Tensors. An input's array comes back as that input and the output's array as the output,
  both checked for in-place changes since the forward; any other array comes back as a constant.
- ``ctx.needs_input_grad``: one bool per input, set before forward (so forward can save only
  what the needed gradients use; ``None`` stands for a value not saved); backward returns
  ``None`` for the inputs whose entry is False.
- settings are named attributes (``ctx.dims = dims``), never positional.

Kernels whose output carries no gradient (comparisons, argmax, ...) set ``differentiable = False``:
they run through ``apply`` like every other op and record nothing. User-defined autograd functions
(``minigrad.autograd.Function``, forward on Tensors) are a layer above this one; the engine only
needs a node's ``fn.backward(ctx, grad)``.
"""

from __future__ import annotations

import traceback
from operator import attrgetter

from ..errors import AutogradError, DeviceError
from .grad_mode import STATE

_OUTPUT = object()  # marks the op's output among its saved values
_requires_grad = attrgetter("_requires_grad")
_data = attrgetter("_data")
_version_value = attrgetter("_version.value")


class VersionCounter:
    """How many times a tensor's memory was changed in place; shared between views of it."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class ViewOf:
    """How a view was made from the tensor it views (its base), to remake it after a write.

    An in-place write to the base (or to another view of it) bumps the version counter they
    share; the view's graph node, made from the base's old node, is then stale. The view's
    ``grad_fn`` is remade from the base's current one when next read (``version`` is the
    counter's value it was last valid at), as PyTorch regenerates a view's ``grad_fn``.
    ``node`` is the view op's ctx (its settings, for ``put_back``); ``multi``: one of several
    views one call returned (``split``, ``unbind``), which PyTorch does not let an in-place op
    write while recording.
    """

    __slots__ = ("base", "node", "settings", "version", "recorded", "multi")

    def __init__(self, base, node, settings, version, recorded):
        self.base = base
        self.node = node
        self.settings = settings
        self.version = version
        self.recorded = recorded  # whether grad mode was on: the view is remade in that mode
        self.multi = False


class Node:
    """A recorded op: its kernel, its inputs in operand order, and what backward needs.

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
        "needs_input_grad",
        "backend",
        "to_save",
        "versions",
        "out_data",
        "out_meta",
        "out_version",
        "scope",
        "released",
        "__dict__",  # the op's settings, as named attributes (ctx.dims = dims)
        "__weakref__",
    )

    n_outputs = 1  # a custom Function's node may have several (autograd.function.FunctionCtx)
    # rarely set, so class-level defaults rather than slots every node fills
    pre_hooks = None  # hooks on the gradient of this node's output (Tensor.register_hook)
    trace = None  # where the op was called, kept under anomaly mode

    def __init__(self, fn, inputs, backend):
        self.fn = fn
        self.inputs = inputs
        self.backend = backend
        self.to_save = ()
        self.released = False

    @property
    def xp(self):
        """The array namespace of this op's device (NumPy, CuPy, ...)."""
        return self.backend.xp

    @property
    def name(self) -> str:
        """The op's name as shown in graphs and ``grad_fn`` (``MulBackward``)."""
        return self.fn.__name__ + "Backward"

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays for backward, read back as Tensors from ``ctx.saved_tensors``."""
        self.to_save = arrays

    def _resolve_saved(self, out, version: VersionCounter) -> None:
        """Replace each saved array that is an input's or the output's by a reference to it, so
        that backward gets that tensor back rather than a detached copy, and note the versions
        they have now, for backward to check that they were not modified in place since."""
        inputs = self.inputs
        resolved = []
        saves_input = False
        for a in self.to_save:
            if a is out:
                resolved.append(_OUTPUT)
                self.out_version = (version, version.value)
            elif a is None:  # a value this backward will not need
                resolved.append(None)
            else:
                for i, t in enumerate(inputs):
                    if a is t._data:
                        resolved.append(i)
                        saves_input = True
                        break
                else:
                    resolved.append(a)
        self.to_save = resolved
        if saves_input:
            self.versions = tuple(map(_version_value, inputs))

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved, as Tensors; inputs and the output are checked for in-place changes."""
        self._check_alive()
        saved = []
        for s in self.to_save:
            if s is None:
                saved.append(None)
            elif type(s) is int:
                saved.append(self._input(s))
            elif s is _OUTPUT:
                saved.append(self._output())
            else:
                saved.append(self.inputs[0]._wrap(s))
        return tuple(saved)

    def _input(self, i: int):
        """Input ``i``, after checking that it was not modified in place since the forward."""
        t = self.inputs[i]
        if t._version.value != self.versions[i]:
            raise AutogradError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: input {i} of {self.name}, with shape {list(t.shape)}, is at "
                f"version {t._version.value}; expected version {self.versions[i]} instead. Hint: "
                f"use an out-of-place op (x = x + y instead of x += y) before backward."
            )
        return t

    def _output(self):
        """The op's output as a Tensor attached to this node (so that double backward sees it)."""
        counter, expected = self.out_version
        if counter.value != expected:
            raise AutogradError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: the output of {self.name}, with shape "
                f"{list(self.out_data.shape)}, is at version {counter.value}; expected version "
                f"{expected} instead. Hint: use an out-of-place op (y = y * 2 instead of "
                f"y *= 2) on a tensor that backward still needs."
            )
        return self.inputs[0]._wrap(self.out_data, self, True)

    def constant(self, array):
        """Wrap an array as a Tensor on this op's device (no gradient)."""
        self._check_alive()
        return self.inputs[0]._wrap(array)

    def intermediate(self, saved, recompute):
        """A value forward computed on the way to its output, for use in backward.

        Usually ``saved``, the constant that forward saved. When backward is itself being
        recorded (``create_graph=True``), the value is recomputed from the inputs with Tensor ops
        instead, so that it carries its own gradient and higher-order derivatives stay exact.
        """
        return recompute() if STATE.grad_enabled else saved

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
        self.to_save = ()
        self.out_data = None
        self.inputs = tuple(
            [t if edge is None else None for t, edge in zip(self.inputs, self.next_functions)]
        )
        self.released = True

    def __repr__(self) -> str:
        return f"<{self.name}>"


class Op:
    """Base class of every built-in kernel (see the module docstring)."""

    differentiable = True  # False for ops whose output carries no gradient (argmax, comparisons)
    is_view = False  # True when the output shares memory with input 0 (and its version counter)
    accumulate_grad = None  # indexing: add dy into the input's gradient buffer (see engine)

    # Subclasses define:
    #   forward(ctx, *arrays, **settings) -> array
    #   backward(ctx, grad: Tensor) -> tuple of (Tensor | None), one per input
    # and, when is_view, put_back(view_node, base, view) -> base's new value after a write to view
    # and, for an op with one input whose backward only places dy into zeros (indexing),
    #   accumulate_grad(ctx, grad: array, into: array) -> None, adding in place what backward
    #   would return into ``into``, the array that collects the input's gradient

    @classmethod
    def apply(cls, *inputs, **settings):
        """Run forward on the inputs' arrays and, when gradients are wanted, record the node."""
        first = inputs[0]
        device = first._device
        for t in inputs:
            if t._device is not device:
                raise device_mismatch(cls.__name__, device, t._device)
        record = False
        if cls.differentiable and STATE.grad_enabled:
            needs_input_grad = tuple(map(_requires_grad, inputs))
            record = True in needs_input_grad
        ctx = Node(cls, inputs, device.backend)
        # set before forward, so that forward saves only what the needed gradients use
        ctx.needs_input_grad = needs_input_grad if record else (False,) * len(inputs)
        out = cls.forward(ctx, *map(_data, inputs), **settings)
        result = first._make(out, device, ctx if record else None, record)
        if cls.is_view and (out.size == 0 or device.backend.xp.may_share_memory(out, first._data)):
            result._version = first._version  # a copy (reshape of a transpose) has its own
            result._view = ViewOf(first, ctx, settings, result._version.value, STATE.grad_enabled)
        if record:
            # each input's grad_fn (read from the slot unless the input is a view, whose node
            # the grad_fn property may have to remake first)
            ctx.next_functions = tuple(
                [t._grad_fn if t._view is None else t.grad_fn for t in inputs]
            )
            if ctx.to_save:
                ctx._resolve_saved(out, result._version)
            ctx.out_data = out
            ctx.out_meta = (out.shape, out.dtype)  # kept after release(), for graph drawing
            ctx.scope = STATE.scope
            if STATE.anomaly:
                ctx.trace = traceback.extract_stack()[:-1]
        return result


def device_mismatch(op: str, first, second) -> DeviceError:
    """The error for tensors on two devices in one op (PyTorch's wording, prefixed by the op)."""
    return DeviceError(
        f"{op}: Expected all tensors to be on the same device, but found at least two devices, "
        f"{first} and {second}!"
    )
