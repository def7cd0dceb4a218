"""``minigrad.cuda``: whether a CUDA GPU is usable through CuPy, and its random seed.

As in PyTorch, the calls a program makes "just in case" (seeding, emptying the cache, asking
whether CUDA is there) are safe on a machine without a GPU: they do nothing there. Calls that
need the GPU itself (``synchronize``) raise a ``DeviceError`` that says what is missing.
"""

from __future__ import annotations

import random

from . import amp as amp  # torch.cuda.amp.GradScaler, as nanoGPT spells it
from .backend import cuda_available
from .backend import device as as_device


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return cuda_available()


def is_initialized() -> bool:
    """True once the GPU is usable (minigrad starts CUDA on the first check or use)."""
    return cuda_available()


def device_count() -> int:
    if not cuda_available():
        return 0
    return as_device("cuda").backend.xp.cuda.runtime.getDeviceCount()


def manual_seed(seed: int) -> None:
    """Seed the GPU's generator; without a usable GPU, do nothing (PyTorch's rule)."""
    if cuda_available():
        as_device("cuda").backend.seed(seed)


manual_seed_all = manual_seed  # minigrad uses one GPU, so "all" is that one


def seed() -> None:
    """Seed the GPU's generator from a random number; without a GPU, do nothing."""
    manual_seed(random.SystemRandom().randrange(2**63))


seed_all = seed


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back to the driver; without a GPU, do nothing."""
    if cuda_available():
        as_device("cuda").backend.xp.get_default_memory_pool().free_all_blocks()


def synchronize(device=None) -> None:
    """Wait for every kernel queued on the GPU to finish (raises a ``DeviceError`` without one).
    ``device`` is accepted for PyTorch's signature: minigrad uses one GPU."""
    as_device("cuda").backend.xp.cuda.Device().synchronize()
