"""Samplers: the order in which a ``DataLoader`` reads a map-style dataset.

A sampler is an iterable of dataset indices (``BatchSampler``: of lists of indices, one list per
batch). Random samplers draw from their ``generator`` (a ``minigrad.Generator``); without one,
each pass draws a fresh seed from the global generator, so ``minigrad.manual_seed`` makes the
whole run reproducible, as in PyTorch.
"""

from __future__ import annotations

from ... import creation
from ...errors import ArgumentError, DTypeError
from ...generator import Generator

_CHUNK = 32  # samples with replacement are drawn this many at a time, as PyTorch does


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and, if they know it, ``__len__``."""

    def __init__(self, data_source=None):
        """``data_source`` is accepted for PyTorch's signature; the base class keeps nothing."""


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


def _pass_generator(generator: Generator | None) -> Generator:
    """``generator``, or a fresh one seeded from the global generator (for one pass)."""
    if generator is not None:
        return generator
    seed = int(creation.randint(0, 2**63 - 1, ()).item())
    return Generator().manual_seed(seed)


def _check_positive_int(op: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArgumentError(
            f"{op}: {name} should be a positive integer value, but got {name}={value!r}"
        )


def _check_bool(op: str, name: str, value, error: type) -> None:
    """PyTorch raises TypeError for ``replacement`` and ValueError for ``drop_last``."""
    if not isinstance(value, bool):
        raise error(f"{op}: {name} should be a boolean value, but got {name}={value!r}")


class RandomSampler(Sampler):
    """Indices in random order: a permutation of the dataset per pass (as many passes as
    ``num_samples`` needs), or, with ``replacement``, ``num_samples`` independent uniform draws."""

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None):  # fmt: skip
        _check_bool("RandomSampler", "replacement", replacement, DTypeError)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _check_positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self) -> int:
        """The number of indices a pass yields: the dataset's size unless given."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, total = len(self.data_source), self.num_samples
        generator = _pass_generator(self.generator)
        if self.replacement:
            for _ in range(total // _CHUNK):
                yield from creation.randint(0, n, (_CHUNK,), generator=generator).tolist()
            yield from creation.randint(0, n, (total % _CHUNK,), generator=generator).tolist()
            return
        for _ in range(total // n):
            yield from creation.randperm(n, generator=generator).tolist()
        yield from creation.randperm(n, generator=generator).tolist()[: total % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a random order each pass."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        order = creation.randperm(len(self.indices), generator=_pass_generator(self.generator))
        for i in order.tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``; the last, shorter list is
    kept unless ``drop_last``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        _check_positive_int("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last, ArgumentError)
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        return batches(self.sampler, self.batch_size, self.drop_last)

    def __len__(self) -> int:
        return batch_count(len(self.sampler), self.batch_size, self.drop_last)


def batches(items, batch_size: int, drop_last: bool):
    """The items of an iterable in lists of ``batch_size``; the last, shorter list is kept unless
    ``drop_last``."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch and not drop_last:
        yield batch


def batch_count(n: int, batch_size: int, drop_last: bool) -> int:
    """How many lists ``batches`` makes of ``n`` items: ceil(n / batch_size), or floor with
    ``drop_last``."""
    full, rest = divmod(n, batch_size)
    return full + (1 if rest and not drop_last else 0)
