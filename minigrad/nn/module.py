"""``nn.Module``: the base class of layers and models, with PyTorch's interface.

A Module keeps what it owns in three ordered dicts, filled by attribute assignment:

- ``_parameters``: the ``Parameter`` objects assigned to it (``self.weight = Parameter(...)``),
- ``_buffers``: tensors registered with ``register_buffer`` (state that is saved but not trained),
- ``_modules``: the sub-modules assigned to it (``self.attn = Attention(...)``).

Everything that walks a model (``named_parameters``, ``state_dict``, ``to``, ``train``) recurses
through ``_modules``, and names things by their attribute path: ``"transformer.h.0.attn.weight"``.
"""

from __future__ import annotations

import itertools
from collections import namedtuple

from .. import dtypes
from ..autograd.grad_mode import STATE, no_grad
from ..backend import cuda_spec
from ..errors import ArgumentError, DTypeError, StateDictError, format_shape
from ..tensor import Tensor
from ..tensor_api.conversion import to_args
from .parameter import Parameter


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys the module expected but did not get, and the
    keys it got but has no place for. Prints as PyTorch's does when both are empty."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


_REGISTERED = (  # (store, what it holds, what may be assigned to its names)
    ("_parameters", "parameter", "nn.Parameter"),
    ("_modules", "child module", "nn.Module"),
    ("_buffers", "buffer", "Tensor"),
)


class RemovableHandle:
    """Returned by ``register_*_hook``; ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


class Module:
    """Base class of every layer and model. Subclasses set attributes in ``__init__`` (after
    ``super().__init__()``) and define ``forward``; calling the module runs ``forward``."""

    def __init__(self):
        # Written through __dict__: our __setattr__ needs these dicts to exist already.
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}

    # ---- calling -------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """Run ``forward`` with this module pushed onto the autograd scope (so that every op it
        records knows which module made it), and run the hooks around it."""
        prev = STATE.scope
        STATE.scope = prev + (self,)
        try:
            if self._forward_pre_hooks:
                for hook in list(self._forward_pre_hooks.values()):
                    new_args = hook(self, args)
                    if new_args is not None:
                        args = new_args if isinstance(new_args, tuple) else (new_args,)
            result = self.forward(*args, **kwargs)
            if self._forward_hooks:
                for hook in list(self._forward_hooks.values()):
                    new_result = hook(self, args, result)
                    if new_result is not None:
                        result = new_result
        finally:
            STATE.scope = prev
        return result

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before ``forward``; a returned value replaces ``args``."""
        return self._add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a returned value replaces
        ``output``."""
        return self._add_hook(self._forward_hooks, hook)

    @staticmethod
    def _add_hook(hooks: dict, hook) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    # ---- attribute registration ----------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        """Parameters and modules go into ``_parameters`` / ``_modules``; an attribute already
        registered as a parameter, module or buffer can only be replaced by its kind (or None)."""
        d = self.__dict__
        if isinstance(value, (Parameter, Module)):
            kind, store = (
                ("parameter", "_parameters")
                if isinstance(value, Parameter)
                else ("module", "_modules")
            )
            if store not in d:
                raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
            self._forget(name)
            d[store][name] = value
            return
        for store, kind, expected in _REGISTERED:
            if name in d.get(store, ()):
                if value is not None and not (store == "_buffers" and isinstance(value, Tensor)):
                    raise TypeError(
                        f"cannot assign '{type(value).__name__}' as {kind} '{name}' "
                        f"({expected} or None expected)"
                    )
                d[store][name] = value
                return
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop ``name`` from wherever it is stored, before it is stored somewhere else."""
        self.__dict__.pop(name, None)
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        # Called only when normal lookup fails: parameters, buffers and modules live in dicts.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def _check_new_name(self, name, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        stores = (self._parameters, self._buffers, self._modules)
        if hasattr(self, name) and not any(name in s for s in stores):
            raise KeyError(f"attribute '{name}' already exists")

    def _register(self, store: str, kind: str, name: str, value, expected: type) -> None:
        if store not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        self._check_new_name(name, kind)
        if value is not None and not isinstance(value, expected):
            raise TypeError(
                f"cannot assign '{type(value).__name__}' object to {kind} '{name}' "
                f"({expected.__name__} or None required)"
            )
        self._forget(name)
        self.__dict__[store][name] = value

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Keep ``tensor`` as state that moves with the module (``.to``) but is not trained.
        Persistent buffers are part of ``state_dict``."""
        self._register("_buffers", "buffer", name, tensor, Tensor)
        if not persistent:
            self._non_persistent_buffers.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or a ``None`` placeholder, as ``Linear(bias=False)`` does)."""
        self._register("_parameters", "parameter", name, param, Parameter)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` as a child under ``name`` (which may be any non-dotted string)."""
        self._register("_modules", "module", name, module, Module)

    register_module = add_module

    # ---- walking the tree ----------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate=True):
        """Yield ``(name, module)`` for this module (named ``prefix``, "" at the top) and every
        module below it, depth first; a module reachable twice is listed once."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool, remove_duplicate: bool):
        """Yield ``(dotted name, tensor)`` from each module's ``store`` dict; a tensor shared by
        several modules is listed once, under the first name found."""
        if recurse:
            modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
        else:
            modules = [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield _join(module_prefix, name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        """Yield ``(name, Parameter)``, e.g. ``("transformer.h.0.attn.c_attn.weight", p)``."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True):
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True):
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def apply(self, fn) -> Module:
        """Call ``fn(module)`` on every sub-module (children first), then on this one."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients -------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and all below it (Dropout reads it)."""
        if not isinstance(mode, bool):
            raise ArgumentError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters: drop them (``None``), or fill them with zeros."""
        for param in self.parameters():
            zero_grad_of(param, set_to_none)

    # ---- state dict ----------------------------------------------------------------------------
    def state_dict(self, *, destination: dict | None = None, prefix: str = "", keep_vars=False):
        """``{dotted name: tensor}`` for every parameter and persistent buffer.

        Tied parameters appear under each of their names (they share memory), as in PyTorch.
        Values are detached views of the live tensors (``keep_vars=True`` gives the tensors).
        """
        if destination is None:
            destination = {}
        for store, skip in ((self._parameters, ()), (self._buffers, self._non_persistent_buffers)):
            for name, value in store.items():
                if value is not None and name not in skip:
                    destination[prefix + name] = value if keep_vars else value.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy the tensors of ``state_dict`` into this module's parameters and buffers.

        All keys are checked before anything is copied: on any problem (missing or unexpected
        keys when ``strict``, a value that is not a tensor, a shape that differs) a
        ``StateDictError`` lists every problem at once and the module is left unchanged.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise DTypeError(
                f"load_state_dict: Expected state_dict to be dict-like, got {type(state_dict)}."
            )
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + _quoted(missing) + ".")
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " + _quoted(unexpected) + ".")
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                problems.append(
                    f'While copying the parameter named "{key}", expected a Tensor from the '
                    f"checkpoint but received {type(value).__name__}"
                )
            elif value.shape != target.shape:
                problems.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{format_shape(value.shape)} from checkpoint, the shape in current model is "
                    f"{format_shape(target.shape)}."
                )
        if problems:
            raise StateDictError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        with no_grad():
            for key, target in own.items():
                if key in state_dict:
                    target.copy_(state_dict[key])
        return IncompatibleKeys(missing, unexpected)

    # ---- devices and dtypes --------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``, in place.

        Parameters keep their identity (their memory is replaced), so an optimizer built before
        ``to`` still holds the model's parameters. A dtype applies to floating-point tensors only.
        """
        device, dtype = to_args(args, kwargs)
        if dtype is not None:
            dtype = dtypes.to_dtype(dtype)
            if not dtype.is_floating_point:
                raise DTypeError(
                    f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
                )

        def convert(t: Tensor) -> Tensor:
            return t.to(device=device, dtype=dtype if t.is_floating_point() else None)

        return self._apply(convert)

    def _apply(self, convert) -> Module:
        """Replace every parameter's (and its gradient's) memory by ``convert(tensor)``'s, and
        every buffer by ``convert(buffer)``."""
        with no_grad():
            for module in self.modules():
                for param in module._parameters.values():
                    if param is not None:
                        _replace_memory(param, convert(param))
                        if param.grad is not None:
                            _replace_memory(param.grad, convert(param.grad))
                for name, buf in module._buffers.items():
                    if buf is not None:
                        module._buffers[name] = convert(buf)
        return self

    def float(self) -> Module:
        return self.to(dtypes.float32)

    def double(self) -> Module:
        return self.to(dtypes.float64)

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device=None) -> Module:
        return self.to(cuda_spec(device))

    # ---- printing ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (subclasses override it)."""
        return ""

    def _child_lines(self) -> list[str]:
        return [f"({name}): " + indent(repr(module), 2) for name, module in self._modules.items()]

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = self._child_lines()
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"


def zero_grad_of(param: Tensor, set_to_none: bool) -> None:
    """Drop ``param.grad`` or zero it in place (cut from any graph it was recorded in)."""
    if param.grad is None:
        return
    if set_to_none:
        param.grad = None
    else:
        param.grad.detach_()
        param.grad.zero_()


def _replace_memory(t: Tensor, new: Tensor) -> None:
    if new is t:
        return
    t._data = new._data
    t._device = new._device
    t._version.value += 1


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _quoted(keys) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def indent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (for nested module reprs)."""
    return text.replace("\n", "\n" + " " * spaces)
