"""Datasets: what a ``DataLoader`` reads samples from.

A map-style dataset (``Dataset``) gives sample ``i`` as ``dataset[i]`` and its size as
``len(dataset)``; an ``IterableDataset`` gives its samples one after another from ``iter``.
``TensorDataset`` holds tensors sliced along their first dimension; ``Subset``, ``ConcatDataset``,
``ChainDataset`` and ``random_split`` build datasets from others.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings

from ... import creation
from ...errors import ArgumentError, IndexOutOfRange, ShapeError, format_shape
from ...tensor import Tensor


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and, for samplers that need
    the size (shuffling, batching with ``len``), ``__len__``. ``a + b`` concatenates two."""

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``. A ``DataLoader`` reads it in order
    (no sampler, no shuffling). ``a + b`` chains two streams."""

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample ``i`` is ``tuple(t[i] for t in tensors)``: tensors of equal first dimension, such
    as inputs and targets."""

    def __init__(self, *tensors: Tensor):
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if not tensors or len(set(sizes)) != 1 or sizes[0] is None:
            shapes = ", ".join(format_shape(t.shape) for t in tensors)
            raise ShapeError(
                f"TensorDataset: Size mismatch between tensors: every tensor needs the same "
                f"first dimension (the samples), got shapes {shapes or 'none'}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list) -> list:
        """A batch of samples at once, through the dataset's own ``__getitems__`` if it has one."""
        return fetch_samples(self.dataset, [self.indices[i] for i in indices])

    def __len__(self) -> int:
        return len(self.indices)


def fetch_samples(dataset, indices: list) -> list:
    """The samples of ``dataset`` at ``indices``, in one call where it offers ``__getitems__``."""
    getitems = getattr(dataset, "__getitems__", None)
    if callable(getitems):
        return getitems(indices)
    return [dataset[i] for i in indices]


class ConcatDataset(Dataset):
    """Map-style datasets one after another: index ``i`` falls in the first dataset whose
    cumulative size exceeds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ArgumentError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ArgumentError(
                    "ConcatDataset does not support IterableDataset (use ChainDataset)"
                )
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        n = len(self)
        if index < 0:
            if -index > n:
                raise ArgumentError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"(index {index}, length {n})"
                )
            index += n
        if index >= n:
            raise IndexOutOfRange(f"ConcatDataset: index {index} is out of range (length {n})")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def random_split(dataset, lengths, generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``.

    ``lengths`` are sizes summing to ``len(dataset)``, or fractions summing to 1: then each
    gets floor(fraction * n) samples and the samples left over go one each to the first splits,
    in order. ``generator`` (a ``minigrad.Generator``) makes the split reproducible; without one
    it draws from the global generator.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _lengths_of_fractions(lengths, n)
    if sum(lengths) != n:
        raise ArgumentError(
            f"random_split: Sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n})!"
        )
    order = creation.randperm(n, generator=generator).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - k : end]) for k, end in zip(lengths, ends)]


def _lengths_of_fractions(fractions: list, n: int) -> list[int]:
    for i, frac in enumerate(fractions):
        if not 0 <= frac <= 1:
            raise ArgumentError(f"random_split: Fraction at index {i} is not between 0 and 1")
    lengths = [math.floor(n * frac) for frac in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return lengths
