"""``minigrad.Size``: the type of ``Tensor.shape`` and ``Tensor.size()``, PyTorch's ``torch.Size``."""

from __future__ import annotations

import math


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as ``minigrad.Size([2, 3])`` (so that
    ``print(x.shape)`` reads as PyTorch's does), with ``numel()``, the number of elements of a
    tensor of this shape. Slicing or adding to it gives a plain tuple."""

    __slots__ = ()

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"minigrad.Size({list(self)})"
