"""The default backend: NumPy on the CPU."""

from __future__ import annotations

import math

import numpy as np

from .base import Backend

try:  # SciPy's erf is exact and vectorised; without SciPy we fall back to math.erf per element
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_math_erf = np.vectorize(math.erf, otypes=[np.float64])


class NumpyBackend(Backend):
    name = "numpy"
    xp = np

    def __init__(self):
        self._rng = np.random.Generator(np.random.PCG64(0))

    def asarray(self, data, dtype):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array

    def scatter_add(self, target, index, values) -> None:
        np.add.at(target, index, values)

    def erf(self, x):
        if _scipy_erf is not None:
            return _scipy_erf(x)
        return _math_erf(x).astype(x.dtype, copy=False)

    def seed(self, seed: int) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def uniform(self, shape, dtype):
        return self._rng.random(shape, dtype=dtype)

    def normal(self, shape, dtype):
        return self._rng.standard_normal(shape, dtype=dtype)

    def integers(self, low, high, shape):
        return self._rng.integers(low, high, size=shape, dtype=np.int64)

    def get_rng_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        self._rng.bit_generator.state = state
