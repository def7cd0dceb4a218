"""``DataLoader``: batches read from a dataset, in the order a sampler gives.

For a map-style dataset, each batch is ``collate_fn([dataset[i] for i in indices])`` for the
index lists of ``batch_sampler`` (by default ``BatchSampler(sampler, batch_size, drop_last)``,
with ``sampler`` a ``RandomSampler`` when ``shuffle`` else a ``SequentialSampler``). For an
``IterableDataset``, the samples of ``iter(dataset)`` are grouped ``batch_size`` at a time. With
``batch_size=None`` there is no batching: each sample goes through ``collate_fn`` (by default
``default_convert``) alone.

minigrad loads every batch in the main process: ``num_workers > 0`` is accepted, with a
warning, and gives the batches PyTorch's workers would (in the same order).
"""

from __future__ import annotations

import warnings

from ...errors import ArgumentError
from .collate import default_collate, default_convert
from .dataset import IterableDataset, fetch_samples
from .sampler import BatchSampler, RandomSampler, SequentialSampler, batch_count, batches


def get_worker_info():
    """Information about the current loading worker: always ``None``, since minigrad loads in
    the main process (where PyTorch's returns ``None`` too)."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches, with PyTorch's arguments and rules."""

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler=None, batch_sampler=None, num_workers: int = 0, collate_fn=None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True):  # fmt: skip
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                       multiprocessing_context)  # fmt: skip
        if pin_memory:
            warnings.warn(
                "DataLoader: 'pin_memory' argument is set as true, but minigrad does not pin "
                "host memory: batches stay in ordinary (pageable) memory.",
                stacklevel=2,
            )
        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):  # fmt: skip
                if value not in (None, False):
                    raise ArgumentError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r} (an IterableDataset gives its samples in "
                        f"its own order)"
                    )
        elif sampler is not None and shuffle:
            raise ArgumentError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ArgumentError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ArgumentError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if not iterable:
            if sampler is None:
                sampler = (
                    RandomSampler(dataset, generator=generator)
                    if shuffle
                    else SequentialSampler(dataset)
                )
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.generator = generator
        self.collate_fn = collate_fn or (
            default_collate if self._auto_collation else default_convert
        )

    @property
    def _auto_collation(self) -> bool:
        """Whether samples are grouped into batches (rather than passed on one by one)."""
        if isinstance(self.dataset, IterableDataset):
            return self.batch_size is not None
        return self.batch_sampler is not None

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            return self._iter_stream()
        if self._auto_collation:
            return (
                self.collate_fn(fetch_samples(self.dataset, indices))
                for indices in self.batch_sampler
            )
        return (self.collate_fn(self.dataset[index]) for index in self.sampler)

    def _iter_stream(self):
        if not self._auto_collation:
            return (self.collate_fn(sample) for sample in self.dataset)
        return map(self.collate_fn, batches(self.dataset, self.batch_size, self.drop_last))

    def __len__(self) -> int:
        """The number of batches (for an IterableDataset: from its ``len``, if it has one)."""
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return batch_count(n, self.batch_size, self.drop_last)
        return len(self.batch_sampler if self._auto_collation else self.sampler)


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                   multiprocessing_context) -> None:  # fmt: skip
    """Refuse the worker options PyTorch refuses; for ``num_workers > 0``, say (once per
    loader) that minigrad loads in the main process instead."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ArgumentError(
            f"DataLoader: num_workers option should be non-negative; use num_workers=0 to "
            f"disable multiprocessing (got {num_workers!r})"
        )
    if timeout < 0:
        raise ArgumentError("DataLoader: timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ArgumentError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing. "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if num_workers == 0 and multiprocessing_context is not None:
        raise ArgumentError(
            f"DataLoader: multiprocessing_context can only be used with multi-process loading "
            f"(num_workers > 0), but got num_workers={num_workers}"
        )
    if num_workers == 0 and persistent_workers:
        raise ArgumentError("DataLoader: persistent_workers option needs num_workers > 0")
    if num_workers > 0:
        warnings.warn(
            f"DataLoader: minigrad loads every batch in the main process, so num_workers="
            f"{num_workers} runs as num_workers=0: the same batches in the same order, without "
            f"worker processes (worker_init_fn is not called; get_worker_info() returns None).",
            stacklevel=3,
        )
