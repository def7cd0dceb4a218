"""The CUDA backend: CuPy on an NVIDIA GPU. Imported only when a ``cuda`` device is asked for.

CuPy mirrors NumPy's API, so ``xp`` is the ``cupy`` module itself; this class only spells the few
operations whose names differ (``cupy.add.at``, ``cupyx.scipy.special.erf``, CuPy's random
generator, ``cupy.asnumpy``).
"""

from __future__ import annotations

from ..errors import DeviceError
from .base import Backend

_INSTALL_HINT = (
    'install it with `pip install -e ".[gpu]"`, which brings cupy-cuda12x for a CUDA 12 driver '
    "(for a CUDA 13 driver, `pip install cupy-cuda13x` instead)"
)


def load_cupy_backend() -> Backend:
    """The CuPy backend, or a DeviceError that says whether CuPy or the GPU is missing."""
    try:
        import cupy
    except ImportError:
        raise DeviceError(
            f"device 'cuda' needs CuPy, which is not installed: {_INSTALL_HINT}"
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDARuntimeError when no driver is present
        raise DeviceError(
            f"device 'cuda': CuPy is installed but no CUDA GPU is usable ({exc}); check the "
            f"NVIDIA driver with `nvidia-smi`, and that the CuPy wheel matches its CUDA version "
            f"(cupy-cuda12x or cupy-cuda13x)"
        ) from None
    if count == 0:
        raise DeviceError("device 'cuda': CuPy is installed but no CUDA GPU was found")
    try:  # CuPy compiles its kernels on first use, with NVRTC from the CUDA Toolkit
        (cupy.ones(2, dtype=cupy.float32) * 2).sum()
    except Exception as exc:
        raise DeviceError(
            f"device 'cuda': CuPy sees a GPU but cannot run kernels on it ({exc}); without a "
            f"CUDA Toolkit, install CuPy with its toolkit libraries: "
            f'`pip install "cupy-cuda12x[ctk]"` (or cupy-cuda13x[ctk])'
        ) from None
    return CupyBackend(cupy)


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self, cupy):
        import cupyx.scipy.special

        self.xp = cupy
        self._erf = cupyx.scipy.special.erf
        self._rng = cupy.random.RandomState(0)

    def asarray(self, data, dtype):
        if isinstance(data, (bool, int, float)):  # a fill kernel: no copy from the host
            return self.xp.full((), data, dtype=dtype)
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return self.xp.asnumpy(array)

    def scatter_add(self, target, index, values) -> None:
        self.xp.add.at(target, index, values)  # atomic adds: repeated indices accumulate

    def erf(self, x):
        return self._erf(x)

    def seed(self, seed: int) -> None:
        self._rng = self.xp.random.RandomState(seed)

    def uniform(self, shape, dtype):
        return self._rng.random_sample(shape, dtype=dtype)

    def normal(self, shape, dtype):
        return self._rng.standard_normal(shape, dtype=dtype)

    def integers(self, low, high, shape):
        return self._rng.randint(low, high, size=shape, dtype=self.xp.int64)

    def get_rng_state(self) -> dict:
        raise DeviceError("saving the RNG state of device 'cuda' is not supported; reseed instead")

    def set_rng_state(self, state: dict) -> None:
        raise DeviceError(
            "restoring the RNG state of device 'cuda' is not supported; reseed instead"
        )
