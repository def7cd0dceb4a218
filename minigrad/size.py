"""``minigrad.Size``: the type of ``Tensor.shape`` and ``Tensor.size()``, PyTorch's ``torch.Size``."""

from __future__ import annotations

import math


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``minigrad.Size([2, 3])`` (so that
    ``print(x.shape)`` reads as PyTorch's does), with ``numel()``, the number of elements of a
    tensor of this shape. A slice of it, or a tuple added to it, is a Size too."""

    __slots__ = ()

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"
