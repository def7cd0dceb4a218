"""``save`` and ``load``: checkpoints of state dicts, stored without pickle.

``torch.save`` pickles, and unpickling a file can run any code it names. A minigrad checkpoint
holds only data, so loading an untrusted file cannot run code. It is a ZIP archive (uncompressed):

    MANIFEST.json     {"format": "minigrad-checkpoint", "version": 1, "root": <value>}
    tensors/0.npy     one NumPy .npy file per tensor memory, written and read with
    tensors/1.npy     allow_pickle=False
    ...

where ``<value>`` spells the saved object in JSON, every container tagged so that nothing is
ambiguous:

    null, true, false, numbers, strings           themselves (ints of any size: RNG states)
    {"float": "nan" | "inf" | "-inf"}             floats JSON cannot spell
    {"list": [v, ...]}, {"tuple": [v, ...]}       lists and tuples
    {"dict": [[key, v], ...]}                     dicts; keys are strings, numbers, bools, None
    {"tensor": i, "dtype": "float32", "shape": [2, 3], "device": "cpu",
     "requires_grad": false, "parameter": false}  a tensor, its data in tensors/i.npy

Tensors that share one memory (tied weights in a state dict) are stored once and share memory
again when loaded. ``save`` writes a temporary file next to the target, syncs it to disk and
renames it over the target, so a crash never leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import zipfile

import numpy as np

from . import dtypes
from .autograd.graph import VersionCounter
from .backend import device as as_device
from .errors import CheckpointError
from .nn.parameter import Parameter
from .tensor import Tensor

FORMAT = "minigrad-checkpoint"
VERSION = 1
MANIFEST = "MANIFEST.json"
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_KEY_TYPES = (str, int, float, bool, type(None))


# ---- save -----------------------------------------------------------------------------------
def save(obj, path) -> None:
    """Write ``obj`` (nested dicts, lists and tuples of tensors, numbers, strings, bools and
    None) to ``path`` (a str or os.PathLike), atomically. Tensors are saved as host arrays."""
    path = os.fspath(path)
    arrays: list[np.ndarray] = []
    root = _encode(obj, arrays, {}, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root}, allow_nan=False)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED) as archive:
                archive.writestr(MANIFEST, manifest)
                for i, array in enumerate(arrays):
                    with archive.open(f"tensors/{i}.npy", "w", force_zip64=True) as entry:
                        np.lib.format.write_array(entry, array, allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


def _encode(obj, arrays: list, seen: dict, where: str):
    """``obj`` as JSON-ready data; tensors' host arrays are appended to ``arrays``."""
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
        return _encode(obj.item(), arrays, seen, where)
    if isinstance(obj, Tensor):
        key = id(obj._data)
        if key not in seen:  # tensors sharing one array (tied weights) are stored once
            seen[key] = len(arrays)
            arrays.append(obj.device.backend.to_numpy(obj._data))
        return {
            "tensor": seen[key],
            "dtype": obj.dtype.name,
            "shape": list(obj.shape),
            "device": str(obj.device),
            "requires_grad": obj.requires_grad,
            "parameter": isinstance(obj, Parameter),
        }
    if isinstance(obj, (list, tuple)):
        tag = "list" if isinstance(obj, list) else "tuple"
        return {tag: [_encode(v, arrays, seen, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, _KEY_TYPES):
                raise CheckpointError(
                    f"save: dict key {k!r} in {where} is a {type(k).__name__}; checkpoint keys "
                    f"must be strings, numbers, bools or None"
                )
            items.append(
                [_encode(k, arrays, seen, where), _encode(v, arrays, seen, f"{where}[{k!r}]")]
            )
        return {"dict": items}
    hint = " (save its state_dict() instead)" if hasattr(obj, "state_dict") else ""
    raise CheckpointError(
        f"save: cannot store {where}, a {type(obj).__name__}{hint}; checkpoints hold tensors, "
        f"numbers, strings, bools, None, and dicts, lists and tuples of them"
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _sync_directory(directory: str) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- load -----------------------------------------------------------------------------------
def load(path, map_location=None, weights_only: bool | None = None):
    """Read a checkpoint written by ``save``.

    ``map_location`` (a device or its name) puts every tensor there; by default each goes back
    to the device it was saved from. ``weights_only`` is accepted for PyTorch compatibility:
    minigrad files hold only data, so loading is always weights-only. Raises
    ``CheckpointError`` naming ``path`` for anything that is not an intact minigrad checkpoint.
    """
    path = os.fspath(path)
    target = None if map_location is None else as_device(map_location)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = _read_manifest(archive, path)
            return _Reader(archive, path, target).decode(manifest["root"], "root")
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, ValueError, RecursionError) as exc:
        raise CheckpointError(
            f"{path}: not a minigrad checkpoint, or a truncated or corrupt one "
            f"({type(exc).__name__}: {exc})"
        ) from None


def _read_manifest(archive: zipfile.ZipFile, path: str) -> dict:
    if MANIFEST not in archive.namelist():
        raise CheckpointError(
            f"{path}: not a minigrad checkpoint (no {MANIFEST}; files written by torch.save "
            f"cannot be read by minigrad)"
        )
    try:
        manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupt manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(
            f"{path}: not a minigrad checkpoint (its manifest has no format '{FORMAT}')"
        )
    if manifest.get("version") != VERSION or "root" not in manifest:
        raise CheckpointError(
            f"{path}: unsupported minigrad checkpoint version {manifest.get('version')!r} "
            f"(this minigrad reads version {VERSION})"
        )
    return manifest


class _Reader:
    """Turns the manifest's values back into objects, reading each tensor file once."""

    def __init__(self, archive: zipfile.ZipFile, path: str, target):
        self.archive, self.path, self.target = archive, path, target
        self.arrays: dict = {}  # (index, device) -> (backend array, its version counter)

    def corrupt(self, where: str, what: str) -> CheckpointError:
        return CheckpointError(f"{self.path}: corrupt checkpoint: {what} at {where}")

    def decode(self, value, where: str):
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list) or not isinstance(value, dict) or len(value) == 0:
            raise self.corrupt(where, f"an untagged {type(value).__name__}")
        if "tensor" in value:
            return self.tensor(value, where)
        (tag, body), *rest = value.items()
        if rest:
            raise self.corrupt(where, f"an object with keys {sorted(value)}")
        if tag == "float" and body in _NON_FINITE:
            return _NON_FINITE[body]
        if tag in ("list", "tuple") and isinstance(body, list):
            items = [self.decode(v, f"{where}[{i}]") for i, v in enumerate(body)]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.corrupt(where, "a dict entry that is not a [key, value] pair")
                key = self.decode(pair[0], where)
                if not isinstance(key, _KEY_TYPES):
                    raise self.corrupt(where, f"a dict key of type {type(key).__name__}")
                out[key] = self.decode(pair[1], f"{where}[{key!r}]")
            return out
        raise self.corrupt(where, f"an unknown tag {tag!r}")

    def tensor(self, meta: dict, where: str) -> Tensor:
        index, dtype_name, shape = meta.get("tensor"), meta.get("dtype"), meta.get("shape")
        if not isinstance(index, int) or dtype_name not in ("float32", "float64", "int64", "bool"):
            raise self.corrupt(where, f"a tensor entry {meta}")
        dtype = dtypes.from_name(dtype_name)
        dev = self.target or as_device(meta.get("device", "cpu"))
        if (index, dev) not in self.arrays:
            host = self.read_array(index, dtype, shape, where)
            self.arrays[index, dev] = (dev.backend.asarray(host, dtype.np), VersionCounter())
        data, version = self.arrays[index, dev]
        t = Tensor._make(data, dev)
        t._version = version  # tensors of one memory share one version counter, as views do
        if meta.get("parameter"):
            return Parameter(t, requires_grad=bool(meta.get("requires_grad")))
        return t.requires_grad_() if meta.get("requires_grad") else t

    def read_array(self, index: int, dtype, shape, where: str) -> np.ndarray:
        name = f"tensors/{index}.npy"
        try:
            with self.archive.open(name) as entry:
                array = np.lib.format.read_array(entry, allow_pickle=False)
                trailing = entry.read(1)  # reading to the end also checks the CRC
        except KeyError:
            raise self.corrupt(where, f"a missing tensor file {name}") from None
        except ValueError as exc:  # a malformed header, or an object array (needs pickle)
            raise self.corrupt(where, f"an unreadable tensor file {name} ({exc})") from None
        if trailing or array.dtype != dtype.np or list(array.shape) != shape:
            raise self.corrupt(
                where,
                f"tensor file {name} holding {array.dtype} {list(array.shape)} where the manifest "
                f"says {dtype.name} {shape}",
            )
        return array
