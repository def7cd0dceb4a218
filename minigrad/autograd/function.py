"""User-defined autograd functions: ``minigrad.autograd.Function``, with PyTorch's contract.

A subclass writes ``forward`` and ``backward`` with Tensor ops::

    class MyReLU(Function):
        @staticmethod
        def forward(ctx, x):                  # x is a Tensor; nothing here is recorded
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):       # one gradient per output
            (x,) = ctx.saved_tensors
            return grad_output * (x > 0)      # one gradient per forward argument

    y = MyReLU.apply(x)                       # y.grad_fn is <MyReLUBackward>

The built-in kernels (``graph.Op``) work on backend arrays; a ``Function`` works on Tensors, so
it is a separate class, as in PyTorch. Both record a ``Node`` that the engine runs the same way:
here a ``FunctionCtx`` (a ``Node`` with the rest of PyTorch's ctx API), whose ``fn`` adapts the
engine's call to the Function's ``backward``. Because ``backward`` runs Tensor ops, it is
recorded under ``create_graph=True`` and custom Functions have second derivatives for free.

A Function may take any mix of tensor and non-tensor arguments (only tensors get gradients) and
return several outputs. The engine sends a node with several outputs one gradient per output
(``FunctionCtx.n_outputs``); outputs that got none are passed to ``backward`` as zeros, or as
``None`` after ``ctx.set_materialize_grads(False)``.
"""

from __future__ import annotations

import functools
import inspect
import traceback

from ..errors import AutogradError, DeviceError
from .grad_mode import STATE, no_grad
from .graph import Node, device_mismatch
from .tensor_base import TensorBase


class FunctionCtx(Node):
    """The ``ctx`` of a custom Function: a graph node plus PyTorch's ctx methods.

    Saved tensors are kept as tensors with the version they had when forward returned;
    reading ``saved_tensors`` raises PyTorch's error if one was modified in place since.
    """

    def __init__(self, backward_of, inputs, backend):
        super().__init__(backward_of, inputs, backend)
        self.materialize_grads = True
        self.dirty = ()
        self.non_differentiable = ()

    # ---- the ctx API used in forward -------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (or ``None``) for backward, read back from ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, TensorBase):
                raise AutogradError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}"
                )
        self.to_save = tensors

    def mark_dirty(self, *tensors) -> None:
        """Say that forward modified these input tensors in place (and returns them)."""
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Say that these outputs get no gradient (indices, masks); they do not require grad."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether backward gets zeros (True, the default) or ``None`` for outputs with no gradient."""
        self.materialize_grads = bool(value)

    # ---- what backward reads ---------------------------------------------------------------
    def _resolve_saved(self, outputs) -> None:
        """Note what each saved tensor is: an input (by index), an output (by index) or another
        tensor, with the version it has now, so that backward can check it was not changed."""
        resolved = []
        for t in self.to_save:
            if t is None:
                resolved.append(None)
            elif any(t is x for x in self.inputs) and not _is_in(t, self.dirty):
                resolved.append(("input", _index(t, self.inputs)))
            elif _is_in(t, outputs):
                k = _index(t, outputs)
                resolved.append(("output", k, t._version, t._version.value))
            else:
                resolved.append(("other", t, t._version.value))
        self.to_save = resolved

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved; each is checked for in-place changes since the forward."""
        self._check_alive()
        return tuple(self._saved(s) for s in self.to_save)

    def _saved(self, entry):
        if entry is None:
            return None
        if entry[0] == "input":
            return self._input(entry[1])
        if entry[0] == "output":
            _, k, counter, expected = entry
            self._check_version(counter, expected, f"output {k}", self.out_datas[k].shape)
            # attached to this node, so that double backward reaches the inputs through it
            return self.inputs[0]._wrap(self.out_datas[k], self, True)
        _, t, expected = entry
        self._check_version(t._version, expected, "a saved tensor", t.shape)
        return t

    def _check_version(self, counter, expected, what, shape) -> None:
        if counter.value != expected:
            raise AutogradError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {what} of {self.name}, with shape {list(shape)}, is at "
                f"version {counter.value}; expected version {expected} instead. Hint: use an "
                f"out-of-place op (x = x + y instead of x += y) before backward."
            )

    def output_slot(self, t) -> int:
        """Which of this node's outputs ``t`` is (as PyTorch's ``output_nr``: set when forward
        returned it, kept by the tensors that stand at its place in the graph)."""
        return t._output_nr

    def release(self) -> None:
        super().release()
        self.out_datas = ()


def _index(t, tensors) -> int:
    return next(i for i, x in enumerate(tensors) if x is t)


def _is_in(t, tensors) -> bool:
    return any(t is x for x in tensors)


class BackwardOf:
    """A Function's ``fn`` on its node: what the engine calls to run the Function's backward.

    It takes the engine's gradient (one tensor, or a list with one entry per output), gives the
    Function's ``backward`` one argument per output, and returns one gradient per tensor input,
    after checking that ``backward`` returned one per forward argument.
    """

    is_view = False
    accumulate_grad = None

    def __init__(self, function):
        self.function = function
        self.__name__ = function.__name__

    def backward(self, ctx, grads):
        grads = grads if ctx.n_outputs > 1 else [grads]
        if ctx.materialize_grads:
            grads = [
                ctx.inputs[0]._wrap(ctx.xp.zeros(*meta)) if g is None and meta else g
                for g, meta in zip(grads, ctx.out_metas)
            ]
        backward = self.function.backward
        if backward is Function.backward and self.function.vjp is not Function.vjp:
            backward = self.function.vjp
        result = backward(ctx, *grads)
        result = result if isinstance(result, tuple) else (result,)
        n_args = len(ctx.needs_input_grad)
        if len(result) < n_args or any(g is not None for g in result[n_args:]):
            raise AutogradError(
                f"function {ctx.name} returned an incorrect number of gradients (expected "
                f"{n_args}, got {len(result)})"
            )
        out = []
        for i, g in enumerate(result[:n_args]):
            slot = ctx.arg_slots[i]
            if slot is None:
                if g is not None:
                    raise AutogradError(
                        f"function {ctx.name} returned a gradient different than None at "
                        f"position {i + 1}, but the corresponding forward input was not a Variable"
                    )
                continue
            if g is not None and not isinstance(g, TensorBase):
                raise AutogradError(
                    f"function {ctx.name} returned a {type(g).__name__} as the gradient at "
                    f"position {i + 1}; expected a Tensor or None"
                )
            x = ctx.inputs[slot]
            if g is not None and g.dtype is not x.dtype:
                g = g.to(x.dtype)
            out.append(g if ctx.needs_input_grad[i] else None)
        return tuple(out)


class Function:
    """Base class of user-defined autograd functions (see the module docstring).

    Subclasses define ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)`` as
    static methods; or ``forward(*args, **kwargs)`` without ctx plus
    ``setup_context(ctx, inputs, output)``. Call them through ``apply``.
    """

    def __init__(self, *args, **kwargs):
        raise AutogradError(
            f"{type(self).__name__} should not be instantiated: the methods of an autograd "
            f"Function are static; call {type(self).__name__}.apply(...) instead"
        )

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise AutogradError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise AutogradError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise AutogradError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` without recording; if an input requires grad, make the outputs this
        Function's node, whose backward is the Function's ``backward``."""
        if kwargs:  # keyword arguments count as inputs in their positions, as in PyTorch
            args, kwargs = _bind(cls, args, kwargs)
        inputs = tuple(a for a in args if isinstance(a, TensorBase))
        if not inputs:
            return cls._forward(None, args, kwargs)
        device = inputs[0]._device
        for t in inputs:
            if t._device is not device:
                raise device_mismatch(cls.__name__, device, t._device)
        record = STATE.grad_enabled and any(t._requires_grad for t in inputs)
        ctx = FunctionCtx(BackwardOf(cls), inputs, device.backend)
        ctx.needs_input_grad = tuple(isinstance(a, TensorBase) and a._requires_grad for a in args)
        ctx.arg_slots = [_index(a, inputs) if isinstance(a, TensorBase) else None for a in args]
        edges = [t.grad_fn for t in inputs]  # before forward: a dirty input gets a new grad_fn
        result = cls._forward(ctx, args, kwargs)
        return _record(ctx, edges, result) if record else result

    @classmethod
    def _forward(cls, ctx, args, kwargs):
        """The user's forward (and setup_context), run without recording."""
        with no_grad():
            if cls.setup_context is Function.setup_context:
                return cls.forward(
                    ctx if ctx is not None else FunctionCtx(None, (), None), *args, **kwargs
                )
            result = cls.forward(*args, **kwargs)
            if ctx is not None:
                cls.setup_context(ctx, args, result)
            return result


def _bind(cls, args, kwargs) -> tuple:
    """``forward``'s arguments in their positions (defaults filled in before a keyword given),
    and the keyword-only ones."""
    ctx_form = cls.setup_context is Function.setup_context
    bound = inspect.signature(cls.forward).bind(*((None,) if ctx_form else ()), *args, **kwargs)
    bound.apply_defaults()
    return bound.args[1:] if ctx_form else bound.args, bound.kwargs


def _record(ctx: FunctionCtx, edges, result):
    """Make the differentiable outputs of ``result`` outputs of ``ctx`` in the graph."""
    outputs = list(result) if isinstance(result, tuple) else [result]
    tensors = [o for o in outputs if isinstance(o, TensorBase)]
    for t in ctx.dirty:
        if not any(t is x for x in ctx.inputs):
            raise AutogradError(f"{ctx.name}: mark_dirty() got a tensor that is not an input")
        if not any(t is o for o in tensors):
            raise AutogradError(
                f"{ctx.name}: some elements marked as dirty during the forward method were not "
                f"returned as output (mark_dirty() needs the modified input returned)"
            )
        t._check_inplace(ctx.name)
    if any(t._device is not ctx.inputs[0]._device for t in tensors):
        raise DeviceError(f"{ctx.name}: forward returned a tensor on another device")
    for k, o in enumerate(outputs):
        if not isinstance(o, TensorBase) or _is_in(o, ctx.non_differentiable):
            continue
        if not o.is_floating_point():
            continue  # integer outputs cannot carry a gradient
        if _is_in(o, ctx.inputs) and not _is_in(o, ctx.dirty):
            o = outputs[k] = o.detach()  # an input returned as is: a new tensor, as in PyTorch
        o.grad_fn = ctx
        o._output_nr = k
        o._requires_grad = True
    ctx.n_outputs = len(outputs)
    ctx.out_datas = [o._data if isinstance(o, TensorBase) else None for o in outputs]
    ctx.out_metas = [
        (o.shape, o._data.dtype) if isinstance(o, TensorBase) else None for o in outputs
    ]
    first = next((o for o in outputs if isinstance(o, TensorBase) and o.grad_fn is ctx), None)
    ctx.next_functions = edges
    ctx.versions = tuple(t._version.value for t in ctx.inputs)
    ctx._resolve_saved(outputs)
    ctx.out_data = None if first is None else first._data
    ctx.out_meta = (first.shape, first._data.dtype) if first is not None else ((), None)
    ctx.out_version = None
    ctx.scope = STATE.scope
    ctx.trace = traceback.extract_stack()[:-2] if STATE.anomaly else None
    # inputs returned as is were replaced by new tensors
    return tuple(outputs) if isinstance(result, tuple) else outputs[0]


def once_differentiable(backward):
    """Decorate a Function's ``backward`` that is not itself differentiable (it may use anything,
    NumPy included): it runs without recording, and differentiating it again raises."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        with no_grad():
            result = backward(ctx, *grad_outputs)
        if not STATE.grad_enabled or not any(
            isinstance(g, TensorBase) and g.requires_grad for g in grad_outputs
        ):
            return result
        results = result if isinstance(result, tuple) else (result,)
        marked = tuple(
            _OnceDifferentiated.apply(g, *grad_outputs) if isinstance(g, TensorBase) else g
            for g in results
        )
        return marked if isinstance(result, tuple) else marked[0]

    return wrapper


class _OnceDifferentiated(Function):
    """The result of a ``@once_differentiable`` backward under ``create_graph=True``: its value,
    and an error if anything differentiates through it."""

    @staticmethod
    def forward(ctx, value, *grad_outputs):
        return value.detach()

    @staticmethod
    def backward(ctx, *grads):
        raise AutogradError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )
