"""The default backend: NumPy on the CPU."""

from __future__ import annotations

import math

import numpy as np

from .base import Backend

try:  # SciPy's erf is exact and vectorised (installed with the dev and demos extras)
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_math_erf = np.vectorize(math.erf, otypes=[np.float64])

# Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + t (a2 + ... a5)) exp(-x^2), t = 1 / (1 + p x),
# for x >= 0, with absolute error below 1.5e-7 (the resolution of float32 near 1).
_AS_P = 0.3275911
_AS_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def erf_without_scipy(x: np.ndarray) -> np.ndarray:
    """erf for when SciPy is missing: exact (math.erf) in float64, A&S 7.1.26 in float32."""
    if x.dtype == np.float64:
        return _math_erf(x)
    ax = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + _AS_P * ax)
    poly = _AS_A[0]
    for a in _AS_A[1:]:
        poly = poly * t + a
    y = 1.0 - poly * t * np.exp(-ax * ax)
    return np.copysign(y, x).astype(x.dtype)


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
        return _scipy_erf(x) if _scipy_erf is not None else erf_without_scipy(x)

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
