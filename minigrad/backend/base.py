"""The interface every backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class Backend(ABC):
    """A bundle of array kernels.

    ``xp`` is an array namespace with NumPy's API (``numpy`` itself, ``cupy``, or the strict test
    namespace). The methods below are the operations whose spelling differs between libraries.
    """

    name: str
    xp: Any

    @abstractmethod
    def asarray(self, data, dtype):
        """An array of ``data`` with NumPy dtype ``dtype`` on this backend's device."""

    @abstractmethod
    def to_numpy(self, array):
        """A host NumPy array with the same values (a copy for device memory)."""

    @abstractmethod
    def scatter_add(self, target, index, values) -> None:
        """``target[index] += values`` where repeated indices accumulate, in place."""

    @abstractmethod
    def erf(self, x):
        """The error function, elementwise."""

    # random numbers: one generator per backend, seeded by manual_seed
    @abstractmethod
    def seed(self, seed: int) -> None:
        """Restart the generator from ``seed``."""

    @abstractmethod
    def uniform(self, shape, dtype):
        """Samples of U[0, 1)."""

    @abstractmethod
    def normal(self, shape, dtype):
        """Samples of N(0, 1)."""

    @abstractmethod
    def integers(self, low: int, high: int, shape):
        """Samples of the integers in [low, high), as int64."""

    @abstractmethod
    def get_rng_state(self) -> dict:
        """The generator's state, as plain Python data."""

    @abstractmethod
    def set_rng_state(self, state: dict) -> None:
        """Restore a state returned by ``get_rng_state``."""
