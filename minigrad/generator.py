"""``Generator``: a random-number generator of its own, for draws that must be reproducible
whatever else the program draws (``DataLoader(shuffle=True, generator=g)``,
``random_split(..., generator=g)``, ``randn(..., generator=g)``, ``multinomial(..., generator=g)``).

Each Generator holds a NumPy PCG64 bit generator, the algorithm of minigrad's global CPU
generator, so ``Generator().manual_seed(s)`` and ``minigrad.manual_seed(s)`` start the same
stream. Its state is PCG64's, a dict of plain Python data (PyTorch's is a uint8 tensor).
"""

from __future__ import annotations

import random

import numpy as np

from .backend import device as as_device
from .errors import ArgumentError, DTypeError

DEFAULT_SEED = 67280421310721  # the initial seed of a fresh torch.Generator()


class Generator:
    """An independent CPU random-number generator, seeded with ``manual_seed``."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        if self.device.type != "cpu":
            raise ArgumentError(
                f"Generator: minigrad's generators draw on the CPU, got device '{self.device}'; "
                f"create it with Generator() (or device='cpu')"
            )
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator itself."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise DTypeError(f"manual_seed expected an int, got {type(seed).__name__}")
        self._initial_seed = int(seed) % 2**64  # PyTorch reads seeds as unsigned 64-bit
        self._rng = np.random.Generator(np.random.PCG64(self._initial_seed))
        return self

    def seed(self) -> int:
        """Restart from a seed taken from the operating system's entropy; returns that seed."""
        seed = random.SystemRandom().randrange(2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream was last started from."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The generator's state, to restart from later with ``set_state``."""
        return self._rng.bit_generator.state

    def set_state(self, new_state: dict) -> Generator:
        if not isinstance(new_state, dict):
            raise DTypeError(
                f"Generator.set_state: expected a state returned by get_state() (a dict), got "
                f"{type(new_state).__name__}"
            )
        self._rng.bit_generator.state = new_state
        return self

    # ---- draws, as host NumPy arrays (the factories wrap them) --------------------------------
    def permutation(self, n: int) -> np.ndarray:
        """A uniformly random permutation of 0 .. n-1, as int64."""
        return self._rng.permutation(n).astype(np.int64, copy=False)

    def integers(self, low: int, high: int, shape) -> np.ndarray:
        """Integers drawn uniformly from [low, high), as int64."""
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def uniform(self, shape, dtype) -> np.ndarray:
        """Samples of U[0, 1), as the backends draw them."""
        return self._rng.random(shape, dtype=dtype)

    def normal(self, shape, dtype) -> np.ndarray:
        """Samples of N(0, 1), as the backends draw them."""
        return self._rng.standard_normal(shape, dtype=dtype)

    def __repr__(self) -> str:
        return f"<minigrad.Generator object, device='{self.device}'>"
