"""Containers: ``Sequential``, ``ModuleList`` and ``ModuleDict``.

They register the modules they hold as children, so their parameters are found by
``parameters()`` and named by position or key: ``h.0.attn.weight``, ``transformer.wte.weight``.
"""

from __future__ import annotations

from collections import OrderedDict

from ..errors import DTypeError, IndexOutOfRange
from .module import Module, indent


def _position(index: int, length: int, container: str) -> int:
    """``index`` (possibly negative) as a position in ``[0, length)``."""
    if not hasattr(index, "__index__"):
        raise DTypeError(
            f"{container}: '{type(index).__name__}' object cannot be interpreted as an integer "
            f"(index with an int or a slice)"
        )
    index = index.__index__()
    if not -length <= index < length:
        raise IndexOutOfRange(f"{container}: index {index} is out of range (length {length})")
    return index % length


class ModuleList(Module):
    """A list of modules, registered as children named "0", "1", ..."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[str(_position(index, len(self), "ModuleList"))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_position(index, len(self), "ModuleList")), module)

    def __delitem__(self, index) -> None:
        kept = list(self._modules.values())
        del kept[index if isinstance(index, slice) else _position(index, len(self), "ModuleList")]
        self._modules.clear()
        self.extend(kept)  # renumber, so that names stay "0", "1", ...

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules) -> ModuleList:
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._modules.clear()
        self.extend(modules)

    def _child_lines(self) -> list[str]:
        """Runs of identical modules print once: ``(0-11): 12 x Block(...)``, as in PyTorch."""
        runs: list[list] = []  # [first index, last index, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            head = f"({first})" if first == last else f"({first}-{last}): {last - first + 1} x"
            lines.append(head + (": " if first == last else " ") + indent(text, 2))
        return lines


class ModuleDict(Module):
    """A dict of modules, registered as children under their keys (insertion order kept)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key: str) -> bool:
        return key in self._modules

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        """Add modules from a mapping or from an iterable of ``(key, module)`` pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, module in pairs:
            self[key] = module


class Sequential(Module):
    """Modules applied one after another: ``Sequential(a, b)(x) == b(a(x))``.

    Built from modules (named "0", "1", ...) or from an ``OrderedDict`` of named modules.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self:
            input = module(input)
        return input

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[_position(index, len(items), "Sequential")][1]

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self
