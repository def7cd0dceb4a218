"""A test backend that keeps minigrad honest about its backend seam.

minigrad promises that all tensor math goes through ``device.backend`` (``ctx.xp``,
``ctx.backend``), so that the same engine runs on CuPy arrays. CI has no GPU, so this module
provides a stand-in device, ``"strict"``, whose arrays behave like CuPy's where it matters:

- ``StrictArray`` wraps a NumPy array but is not one. Like ``cupy.ndarray`` it refuses implicit
  conversion: ``np.asarray(a)`` and ``np.exp(a)`` raise ``TypeError``, and mixing it with a NumPy
  array in an operator or an ``xp`` function raises too. ``StrictBackend.to_numpy`` is the only
  door back to the host.
- ``StrictNamespace`` (the backend's ``xp``) mirrors the NumPy functions: it unwraps the arguments,
  calls NumPy and wraps the results, turning NumPy scalars into 0-d arrays as CuPy does.
- Reading a value on the host (``float(a)``, ``bool(a)``, ``a.item()``, ``a.tolist()``, ``repr``)
  works, as on CuPy, but each read is counted in ``host_reads``: on a GPU every such read waits for
  the device, so tests can assert that a training step does not read back what it need not.

Any code in minigrad that calls ``np.*`` on a tensor's array, or lets NumPy convert one
implicitly, fails on this device. Arithmetic is NumPy's own, so results equal the CPU path bit
for bit, and the random generator is the CPU backend's, so seeded draws agree too.
"""

from __future__ import annotations

import collections
import operator
import types

import numpy as np

from minigrad.backend import _BACKENDS, Backend, register_backend
from minigrad.backend.numpy_backend import NumpyBackend

host_reads: collections.Counter = collections.Counter()
"""How many times a strict array was read on the host, by kind (``"item"``, ``"bool"``, ...)."""


def _refuse_host_array(value, where: str):
    raise TypeError(
        f"strict device: a host NumPy array ({value.dtype}, shape {value.shape}) was passed to "
        f"{where}; move host data to the device with backend.asarray first (CuPy refuses this too)"
    )


def _unwrap(value, where: str):
    """The NumPy data inside ``value`` (recursing into tuples, lists and dicts)."""
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, np.ndarray):
        _refuse_host_array(value, where)
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v, where) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, where) for k, v in value.items()}
    return value


def _wrap(value):
    """Wrap NumPy results as strict arrays; NumPy scalars become 0-d arrays, as in CuPy."""
    if isinstance(value, np.ndarray):
        return StrictArray(value)
    if isinstance(value, np.generic):
        return StrictArray(np.asarray(value))
    if isinstance(value, (tuple, list)):
        return type(value)(_wrap(v) for v in value)
    return value


def _operand(value, op: str):
    """The NumPy form of an operator's other operand, or None when the operator should defer."""
    if isinstance(value, StrictArray):
        return value._a
    if isinstance(value, np.ndarray):
        _refuse_host_array(value, f"operator {op}")
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return value
    return None


class _Flags:
    """The memory-layout flags CuPy arrays have (CuPy has no ``writeable`` flag)."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray):
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = a.base is None


class StrictArray:
    """A NumPy array on the "strict" device: usable like a CuPy array, never as a NumPy one."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # np.exp(a) raises TypeError; np.float32(2) * a defers to __rmul__
    __hash__ = None  # arrays are unhashable

    def __init__(self, array: np.ndarray):
        self._a = array

    # ---- refusing implicit conversion ------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "strict device: implicit conversion to a NumPy array is not allowed (CuPy refuses it "
            "too); use device.backend.to_numpy(array)"
        )

    def __array_function__(self, func, types, args, kwargs):
        return NotImplemented  # so np.concatenate([a]) and friends raise TypeError

    def __getattr__(self, name):
        if name.startswith("__") or name == "_a":  # never hand out __array_interface__, ...
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            where = f"StrictArray.{name}"
            return _wrap(attr(*_unwrap(args, where), **_unwrap(kwargs, where)))

        return method

    # ---- metadata ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._a.shape

    @shape.setter
    def shape(self, value) -> None:
        self._a.shape = value  # raises AttributeError when a copy would be needed, like CuPy

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def flags(self) -> _Flags:
        return _Flags(self._a)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (_wrap(row) for row in self._a)

    # ---- host reads (allowed, as on CuPy, but counted) ----------------------------------------
    def _read(self, kind: str) -> np.ndarray:
        host_reads[kind] += 1
        return self._a

    def item(self, *args):
        return self._read("item").item(*args)

    def tolist(self):
        return self._read("tolist").tolist()

    def __bool__(self) -> bool:
        return bool(self._read("bool"))

    def __int__(self) -> int:
        return int(self._read("int"))

    def __float__(self) -> float:
        return float(self._read("float"))

    def __repr__(self) -> str:
        return "strict_" + repr(self._read("repr"))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(self._read("format"), spec)

    # ---- indexing ----------------------------------------------------------------------------
    def __getitem__(self, index):
        return _wrap(self._a[_unwrap(index, "an index")])

    def __setitem__(self, index, value) -> None:
        self._a[_unwrap(index, "an index")] = _unwrap(value, "__setitem__")


def _binary(op, name: str):
    def forward(self, other):
        b = _operand(other, name)
        return NotImplemented if b is None else _wrap(op(self._a, b))

    def reflected(self, other):
        b = _operand(other, name)
        return NotImplemented if b is None else _wrap(op(b, self._a))

    def inplace(self, other):
        b = _operand(other, name)
        if b is None:
            return NotImplemented
        self._a = op(self._a, b, out=self._a) if isinstance(op, np.ufunc) else op(self._a, b)
        return self

    return forward, reflected, inplace


_BINARY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "truediv": np.true_divide,
    "floordiv": np.floor_divide,
    "mod": np.remainder,
    "pow": np.power,
    "matmul": np.matmul,
    "and": np.bitwise_and,
    "or": np.bitwise_or,
    "xor": np.bitwise_xor,
}
for _name, _op in _BINARY.items():
    _f, _r, _i = _binary(_op, _name)
    setattr(StrictArray, f"__{_name}__", _f)
    setattr(StrictArray, f"__r{_name}__", _r)
    if _name != "matmul":
        setattr(StrictArray, f"__i{_name}__", _i)

_COMPARISONS = {
    "eq": np.equal,
    "ne": np.not_equal,
    "lt": np.less,
    "le": np.less_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
}
for _name, _op in _COMPARISONS.items():
    setattr(StrictArray, f"__{_name}__", _binary(_op, _name)[0])

_UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": abs, "invert": operator.invert}
for _name, _op in _UNARY.items():
    setattr(StrictArray, f"__{_name}__", lambda self, _op=_op: _wrap(_op(self._a)))


class StrictNamespace:
    """The strict backend's ``xp``: NumPy's functions, taking and returning strict arrays.

    ``xp.asarray`` and ``xp.array`` accept host data (as ``cupy.asarray`` does, by copying it to
    the device); every other function refuses NumPy arrays. Submodules (``xp.linalg``) are
    wrapped alike, except ``xp.random``: random numbers come from the backend
    (``backend.uniform`` ...), so that ``manual_seed`` reaches them.
    """

    ndarray = StrictArray

    def __init__(self, module=np):
        self._module = module
        self._cache: dict[str, object] = {}

    def asarray(self, data, dtype=None, order=None):
        if isinstance(data, StrictArray):
            return StrictArray(np.asarray(data._a, dtype=dtype, order=order))
        # a copy: device memory is not host memory
        return StrictArray(np.array(data, dtype=dtype, order=order))

    array = asarray

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        found = self._cache.get(name)
        if found is not None:
            return found
        if name == "random":
            raise AttributeError(
                "strict device: xp.random is not part of the backend seam (random numbers come "
                "from backend.uniform / normal / integers)"
            )
        attr = getattr(self._module, name)
        if isinstance(attr, types.ModuleType):
            found = self._cache[name] = StrictNamespace(attr)
            return found
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes (xp.float32) and constants (xp.inf)

        def function(*args, **kwargs):
            where = f"xp.{name}"
            return _wrap(attr(*_unwrap(args, where), **_unwrap(kwargs, where)))

        function.__name__ = name
        self._cache[name] = function
        return function


class StrictBackend(Backend):
    """NumPy kernels behind a CuPy-like wall: see the module docstring."""

    name = "strict"

    def __init__(self):
        self.xp = StrictNamespace()
        self._host = NumpyBackend()  # the CPU's kernels and random generator

    def asarray(self, data, dtype):
        return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        if not isinstance(array, StrictArray):
            raise TypeError(f"strict device: to_numpy expects a StrictArray, got {type(array)}")
        host_reads["to_numpy"] += 1
        return array._a.copy()

    def scatter_add(self, target, index, values) -> None:
        self._host.scatter_add(target._a, _unwrap(index, "scatter_add"), _unwrap(values, "add"))

    def erf(self, x):
        return _wrap(self._host.erf(x._a))

    def sum(self, x, dims, keepdims):
        return _wrap(self._host.sum(x._a, dims, keepdims))  # the CPU's summation order

    def seed(self, seed: int) -> None:
        self._host.seed(seed)

    def uniform(self, shape, dtype):
        return StrictArray(self._host.uniform(shape, dtype))

    def normal(self, shape, dtype):
        return StrictArray(self._host.normal(shape, dtype))

    def integers(self, low, high, shape):
        return StrictArray(self._host.integers(low, high, shape))

    def get_rng_state(self) -> dict:
        return self._host.get_rng_state()

    def set_rng_state(self, state: dict) -> None:
        self._host.set_rng_state(state)


def register() -> None:
    """Make ``device="strict"`` available (once: re-registering would make a second Device)."""
    if "strict" not in _BACKENDS:
        register_backend("strict", StrictBackend())
