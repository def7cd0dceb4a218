"""The one seam between minigrad and array libraries.

A backend is a bundle of kernels behind one interface (``Backend``): the array namespace ``xp``
(NumPy's API, which CuPy mirrors) plus the few things that differ between libraries: scatter-add,
``erf``, random numbers, and moving arrays to and from the host. Ops call ``ctx.xp.exp(x)``;
nothing outside this package imports NumPy or CuPy for tensor math.

A ``Device`` names where a tensor lives (``cpu``, ``cuda:0``) and carries its backend.
"""

from __future__ import annotations

import warnings

from ..errors import ArgumentError, DeviceError
from .base import Backend
from .cupy_backend import load_cupy_backend
from .numpy_backend import NumpyBackend, RowBlocks

_BACKENDS: dict[str, Backend] = {"cpu": NumpyBackend()}
_DEVICES: dict[str, Device] = {}


class Device:
    """Where a tensor's data lives. Compare with ``==`` or by string: ``x.device == "cpu"``."""

    __slots__ = ("type", "index", "backend")

    def __init__(self, type: str, index: int | None, backend: Backend):
        self.type = type
        self.index = index
        self.backend = backend

    def __repr__(self) -> str:
        return (
            f"device(type='{self.type}'"
            + ("" if self.index is None else f", index={self.index}")
            + ")"
        )

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except DeviceError:  # "cuda" without CuPy cannot be this device
                return False
        return isinstance(other, Device) and str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    def __reduce__(self):  # devices are shared objects: copy.deepcopy(tensor) keeps identity
        return (device, (str(self),))


def register_backend(device_type: str, backend: Backend) -> None:
    """Make ``device_type`` usable as a device (the CUDA backend and the test backend use this)."""
    _BACKENDS[device_type] = backend
    for key in [k for k in _DEVICES if k.split(":")[0] == device_type]:
        del _DEVICES[key]


def device(spec="cpu") -> Device:
    """Parse ``"cpu"``, ``"cuda"``, ``"cuda:0"`` or a Device into the one shared Device object."""
    if isinstance(spec, Device):
        return spec
    if not isinstance(spec, str):
        raise DeviceError(f"expected a device such as 'cpu' or 'cuda', got {spec!r}")
    found = _DEVICES.get(spec)
    if found is not None:
        return found
    kind, _, index = spec.partition(":")
    if kind == "cuda":
        if index not in ("", "0"):
            raise DeviceError(
                f"device '{spec}': minigrad runs on one GPU, 'cuda' (cuda:0); select another GPU "
                f"with the CUDA_VISIBLE_DEVICES environment variable"
            )
        _ensure_cuda()
        index = 0
    elif index:
        raise DeviceError(f"device '{spec}': only cuda devices take an index")
    else:
        index = None
    if kind not in _BACKENDS:
        raise DeviceError(f"unknown device type '{kind}' (expected 'cpu' or 'cuda')")
    name = kind if index is None else f"{kind}:{index}"
    dev = _DEVICES.get(name) or Device(kind, index, _BACKENDS[kind])
    _DEVICES[spec] = _DEVICES[name] = dev  # one object per device: ops compare devices by identity
    return dev


def _ensure_cuda() -> None:
    if "cuda" in _BACKENDS:
        return
    _BACKENDS["cuda"] = load_cupy_backend()  # raises a DeviceError saying what is missing


def cuda_spec(device=None):
    """What ``.cuda(device)`` moves to: ``"cuda"`` by default, ``"cuda:N"`` for an index N."""
    if device is None:
        return "cuda"
    return f"cuda:{device}" if isinstance(device, int) else device


def set_num_threads(n: int) -> None:
    """Threads the CPU's fused kernels (GELU, layer norm, softmax, Adam) may share their blocks
    among. NumPy's matrix products keep their BLAS's own threads (``OPENBLAS_NUM_THREADS``,
    read when NumPy loads).

    Default 1, unlike PyTorch's intra-op threads (one per core): in a training step, BLAS's
    worker threads spin-wait on the other cores after each matrix product, and a second kernel
    thread was measured to tie or lose there. More threads pay off for large elementwise work
    with no matrix product around it."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ArgumentError(f"set_num_threads expects a positive integer, got {n!r}")
    _BACKENDS["cpu"].blocks = RowBlocks(n)


_matmul_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """PyTorch's permission for float32 matrix products to use faster, less precise units
    ("high": TF32, "medium": bfloat16). minigrad's products are always full float32, so the
    setting is kept (``get_float32_matmul_precision``) and changes nothing. Another value is
    ignored with a warning, as in PyTorch."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision!r} is not one of 'highest', 'high', or 'medium'; "
            f"set_float32_matmul_precision has no effect",
            stacklevel=2,
        )
        return
    _matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The value last given to ``set_float32_matmul_precision`` ("highest" at first)."""
    return _matmul_precision


def get_num_threads() -> int:
    """Threads the CPU's fused kernels may use (see ``set_num_threads``)."""
    return _BACKENDS["cpu"].blocks.threads


def cuda_available() -> bool:
    try:
        _ensure_cuda()
    except DeviceError:
        return False
    return True


CPU = device("cpu")

__all__ = [
    "Backend",
    "Device",
    "device",
    "register_backend",
    "cuda_available",
    "set_num_threads",
    "get_num_threads",
    "CPU",
]
