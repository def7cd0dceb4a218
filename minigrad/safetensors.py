"""Weights in the safetensors format, with the interface of ``safetensors.torch``: a model's
weights move between minigrad and PyTorch in one call each way.

    from minigrad.safetensors import save_model     # PyTorch side:
    save_model(model, "model.safetensors")         #   from safetensors.torch import load_model
                                                   #   load_model(torch_model, "model.safetensors")

safetensors (Hugging Face's format) holds a JSON header naming each tensor's dtype, shape and
byte range, then the raw bytes: loading reads data only and never runs code. The files are
written and read with the ``safetensors`` package's NumPy API (``pip install safetensors``, or
the ``interop`` extra), so they are the files ``safetensors.torch`` writes and reads.

Tensors that share memory (tied weights) cannot be stored twice. ``save_file`` refuses them;
``save_model`` keeps one name per shared tensor, the first in sorted order among those covering
the whole memory, and records each dropped name in the metadata (``{dropped: kept}``);
``load_model`` knows the model ties them and fills both. These are safetensors.torch's rules,
so a file saved from either library loads into the same model class in the other.

dtypes: minigrad stores float32, float64, int64 and bool, which round-trip exactly. Files from
elsewhere holding float16 load as float32 and narrower integers as int64; bfloat16 (which NumPy
cannot hold) is refused with an error naming the tensors.
"""

from __future__ import annotations

import os

import numpy as np

from . import creation
from .errors import ArgumentError, CheckpointError, DTypeError, StateDictError
from .tensor import Tensor

try:
    import safetensors
    import safetensors.numpy
except ImportError:  # pragma: no cover - depends on the environment
    safetensors = None

_INSTALL_HINT = (
    "minigrad.safetensors needs the safetensors package: `pip install safetensors` (or "
    '`pip install -e ".[interop]"`)'
)
_NUMPY_CANNOT_HOLD = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4"}


def _library():
    if safetensors is None:
        raise ImportError(_INSTALL_HINT)
    return safetensors.numpy


# ---- tensors <-> NumPy arrays --------------------------------------------------------------
def _host_arrays(tensors: dict, op: str) -> dict:
    """``tensors`` as contiguous host arrays, after the checks safetensors.torch makes."""
    if not isinstance(tensors, dict):
        raise DTypeError(f"{op}: expected a dict of [str, Tensor] but received {type(tensors)}")
    for name, t in tensors.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise DTypeError(
                f"{op}: key {name!r} is invalid: expected a str naming a minigrad Tensor, but "
                f"received {type(t).__name__}"
            )
    shared = [sorted(group) for group in _shared_groups(tensors) if len(group) > 1]
    if shared:
        raise ArgumentError(
            f"{op}: some tensors share memory, which would store them twice and load them "
            f"untied: {shared}. Save a model with `save_model`, which keeps one name per shared "
            f"tensor"
        )
    for name, t in tensors.items():
        if not t.is_contiguous():
            raise ArgumentError(
                f"{op}: you are trying to save a non contiguous tensor: `{name}`, which is not "
                f"allowed: call `.contiguous()` on it first (or save_model(..., "
                f"force_contiguous=True))"
            )
    return {name: np.asarray(t.detach().cpu().numpy(), order="C") for name, t in tensors.items()}


def _tensors(arrays: dict, device) -> dict:
    """Host arrays read from a file as minigrad tensors on ``device`` (each its own memory)."""
    out = {}
    for name, array in arrays.items():
        if not array.flags.writeable:  # arrays over the file's bytes: give each its own copy
            array = array.copy()
        out[name] = creation.from_numpy(array).to(device)
    return out


# ---- files and bytes -----------------------------------------------------------------------
def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` (a dict from names to contiguous tensors that share no memory) to
    ``filename``, with optional ``metadata`` (a dict of strings)."""
    _library().save_file(_host_arrays(tensors, "save_file"), filename, metadata=metadata)


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (as ``save_file`` would write them)."""
    return _library().save(_host_arrays(tensors, "save"), metadata=metadata)


def load_file(filename, device="cpu") -> dict:
    """The tensors stored in ``filename``, on ``device``."""
    filename = os.fspath(filename)
    library = _library()
    try:
        with safetensors.safe_open(filename, framework="numpy") as f:
            dtypes = {name: f.get_slice(name).get_dtype() for name in f.keys()}
        _refuse_unsupported(dtypes, filename)
        arrays = library.load_file(filename)
    except safetensors.SafetensorError as exc:
        raise CheckpointError(
            f"{filename}: not a safetensors file, or a corrupt one ({exc})"
        ) from None
    return _tensors(arrays, device)


def load(data: bytes) -> dict:
    """The tensors stored in safetensors ``data`` (bytes), on the CPU."""
    library = _library()
    try:
        arrays = library.load(data)
    except safetensors.SafetensorError as exc:
        raise CheckpointError(f"load: not safetensors data, or corrupt ({exc})") from None
    except TypeError as exc:  # NumPy cannot hold the dtype (bfloat16, float8)
        raise DTypeError(f"load: {exc}; minigrad stores float32, float64, int64 and bool") from None
    return _tensors(arrays, "cpu")


def _refuse_unsupported(dtypes: dict, filename: str) -> None:
    bad = {name: dt for name, dt in dtypes.items() if dt in _NUMPY_CANNOT_HOLD}
    if bad:
        raise DTypeError(
            f"{filename}: tensors {sorted(bad)} are stored as {sorted(set(bad.values()))}, which "
            f"minigrad cannot hold (it stores float32, float64, int64 and bool); convert them "
            f"before saving, e.g. in PyTorch: {{k: v.float() for k, v in state_dict.items()}}"
        )


# ---- models: tied weights ------------------------------------------------------------------
def save_model(
    model, filename, metadata: dict | None = None, force_contiguous: bool = True
) -> None:
    """Save ``model.state_dict()`` to ``filename``, each shared tensor under one name (see the
    module's notes); ``force_contiguous`` packs non-contiguous tensors instead of refusing them."""
    state_dict = model.state_dict()
    for kept, dropped in _names_to_drop(state_dict).items():
        for name in dropped:
            metadata = {name: kept, **(metadata or {})}  # the caller's own entries win
            del state_dict[name]
    if force_contiguous:
        state_dict = {name: t.contiguous() for name, t in state_dict.items()}
    save_file(state_dict, filename, metadata=metadata)


def load_model(model, filename, strict: bool = True, device="cpu") -> tuple[list, list]:
    """Load ``filename`` into ``model``; returns ``(missing, unexpected)`` key lists.

    A tensor the model shares under several names needs only one of them in the file (a file
    holding more counts them as unexpected, as safetensors.torch does). With ``strict``, any
    missing or unexpected key raises a ``StateDictError`` listing them all, before anything
    is copied.
    """
    state_dict = load_file(filename, device=device)
    own = model.state_dict()
    tied = _names_to_drop(own, preferred=set(state_dict))
    dropped = {name for names in tied.values() for name in names}
    missing = sorted(k for k in own if k not in state_dict and k not in dropped)
    unexpected = [k for k in state_dict if k not in own] + sorted(dropped & set(state_dict))
    if strict and (missing or unexpected):
        problems = [f"Error(s) in loading state_dict for {type(model).__name__}:"]
        if missing:
            problems.append("Missing key(s) in state_dict: " + _quoted(missing))
        if unexpected:
            problems.append("Unexpected key(s) in state_dict: " + _quoted(sorted(unexpected)))
        raise StateDictError("\n    ".join(problems))
    model.load_state_dict(state_dict, strict=False)
    return missing, unexpected


def _quoted(names) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _names_to_drop(state_dict: dict, preferred: set | None = None) -> dict[str, list[str]]:
    """For each group of names sharing memory: the name to keep -> the names to drop.

    The kept name covers the whole memory and is the first in sorted order, among
    ``preferred`` names first (on load: the names the file holds).
    """
    drop = {}
    for group in _shared_groups(state_dict):
        if len(group) < 2:
            continue
        complete = sorted(name for name in group if _covers_its_memory(state_dict[name]))
        if not complete:
            raise ArgumentError(
                f"save_model: the tensors {sorted(group)} share memory, but none covers all of "
                f"it; refusing to store a part of an array as if it were the whole"
            )
        keep = next((name for name in complete if name in (preferred or ())), complete[0])
        drop[keep] = sorted(name for name in group if name != keep)
    return drop


def _root(t: Tensor):
    """The array that owns ``t``'s memory (``t``'s own array unless it is a view)."""
    array = t._data
    while isinstance(array.base, type(array)):
        array = array.base
    return array


def _covers_its_memory(t: Tensor) -> bool:
    root = _root(t)
    return t._data is root or (t._data.nbytes == root.nbytes and t.is_contiguous())


def _byte_span(t: Tensor) -> tuple[int, int]:
    """The addresses [start, stop) of the bytes ``t`` reaches (on the CPU; off it, the whole
    root array's memory, as an approximation that counts any two views as overlapping)."""
    array = t._data
    if not isinstance(array, np.ndarray):
        return (0, _root(t).nbytes)
    start = array.__array_interface__["data"][0]
    reach = [stride * (n - 1) for stride, n in zip(array.strides, array.shape)]
    low = start + sum(r for r in reach if r < 0)
    return low, start + sum(r for r in reach if r > 0) + array.itemsize


def _shared_groups(tensors: dict) -> list[set[str]]:
    """Names whose tensors overlap in memory, grouped (views of disjoint parts of one array do
    not share)."""
    by_root: dict[tuple, list[str]] = {}
    for name, t in tensors.items():
        if t.numel():
            by_root.setdefault((str(t.device), id(_root(t))), []).append(name)
    groups = []
    for names in by_root.values():
        spans = sorted((*_byte_span(tensors[name]), name) for name in names)
        last_stop = None
        for start, stop, name in spans:
            if last_stop is not None and start < last_stop:
                groups[-1].add(name)
            else:
                groups.append({name})
            last_stop = max(stop, last_stop or stop)
    return groups
