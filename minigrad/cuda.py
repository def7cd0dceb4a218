"""``minigrad.cuda``: whether a CUDA GPU is usable through CuPy, and its random seed."""

from __future__ import annotations

from .backend import cuda_available, device


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return cuda_available()


def device_count() -> int:
    if not cuda_available():
        return 0
    return device("cuda").backend.xp.cuda.runtime.getDeviceCount()


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator (raises a clear error when no GPU is usable)."""
    device("cuda").backend.seed(seed)


manual_seed_all = manual_seed
