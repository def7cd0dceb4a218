"""Data types and PyTorch's type-promotion rule.

minigrad has PyTorch's common dtypes: ``float32`` (the default for floating data), ``float64``,
``float16``; ``int64`` (the default for integer data), ``int32``, ``int16``, ``int8``, ``uint8``;
and ``bool``. Each wraps the NumPy dtype that backends store; CuPy uses the same NumPy dtype
objects.
"""

from __future__ import annotations

import builtins

import numpy as np

from .errors import DTypeError


class dtype:
    """A tensor element type, printed the way PyTorch prints it (``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: str, is_floating_point: bool):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = is_floating_point
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"minigrad.{self.name}"

    def __reduce__(self):  # dtypes are singletons: copying or pickling keeps identity
        return (from_name, (self.name,))


float32 = dtype("float32", "float32", True)
float64 = dtype("float64", "float64", True)
float16 = dtype("float16", "float16", True)
int64 = dtype("int64", "int64", False)
int32 = dtype("int32", "int32", False)
int16 = dtype("int16", "int16", False)
int8 = dtype("int8", "int8", False)
uint8 = dtype("uint8", "uint8", False)
bool_ = dtype("bool", "bool", False)

# PyTorch's aliases: torch.float, torch.double, torch.half, torch.long, torch.int, torch.short
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_BY_NUMPY = {d.np: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}

_default_float = float32


def from_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy(np_dtype) -> dtype:
    """The minigrad dtype that stores ``np_dtype``; NumPy types PyTorch lacks widen to one."""
    np_dtype = np.dtype(np_dtype)
    found = _BY_NUMPY.get(np_dtype)
    if found is not None:
        return found
    if np_dtype.kind == "f":
        return float64 if np_dtype.itemsize > 4 else float32
    if np_dtype.kind in "iu":
        return int64
    raise DTypeError(f"minigrad does not support the NumPy dtype {np_dtype}")


# The names of PyTorch's legacy tensor types (torch.FloatTensor, ...), by dtype.
_LEGACY = {
    float32: "FloatTensor",
    float64: "DoubleTensor",
    float16: "HalfTensor",
    int64: "LongTensor",
    int32: "IntTensor",
    int16: "ShortTensor",
    int8: "CharTensor",
    uint8: "ByteTensor",
    bool_: "BoolTensor",
}
_BY_LEGACY = {name: d for d, name in _LEGACY.items()}


def legacy_name(d: dtype) -> str:
    """The legacy tensor type name of a dtype: ``FloatTensor`` for float32."""
    return _LEGACY[d]


def from_legacy_name(name: str) -> dtype:
    """The dtype of a legacy tensor type name (``"LongTensor"``), or a clear error."""
    if name not in _BY_LEGACY:
        raise DTypeError(f"invalid type: '{name}' (expected one of {', '.join(_BY_LEGACY)})")
    return _BY_LEGACY[name]


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {d!r}")
    _default_float = d


def to_dtype(d) -> dtype:
    """Accept a minigrad dtype, a NumPy dtype or a name such as ``"float64"``."""
    if isinstance(d, dtype):
        return d
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    try:
        return from_numpy(d)
    except TypeError:
        raise DTypeError(f"expected a dtype such as minigrad.float32, got {d!r}") from None


# ---- promotion --------------------------------------------------------------------------------
# PyTorch's rule: the result takes the highest *category* present (bool < integer < floating).
# Within that category, dimensioned tensors decide; if there are none of that category, 0-d tensors
# decide; if there are none of those either, Python scalars give the default dtype of the category.
# So `float32_tensor * 2.5` stays float32 and `int_tensor * 2.5` becomes float32. Two dtypes of
# one category give the smallest type that holds both (uint8 with int8 gives int16), which is
# NumPy's promote_types within a category.

_CATEGORY = {d: (2 if d.is_floating_point else 0 if d is bool_ else 1) for d in ALL}


def _category_of_scalar(value) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, builtins.int):
        return 1
    return 2


def result_type(*operands) -> dtype:
    """The dtype of an elementwise op over tensors and Python scalars, by PyTorch's rule."""
    tiers = ([], [], [])  # dimensioned tensors, 0-d tensors, scalars: (category, dtype or None)
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype):  # a tensor (NumPy values have NumPy dtypes)
            tiers[0 if op.ndim else 1].append((_CATEGORY[d], d))
        else:
            tiers[2].append((_category_of_scalar(op), None))
    top = max(cat for tier in tiers for cat, _ in tier)
    for tier in tiers:
        found = [d for cat, d in tier if cat == top]
        if found and found[0] is not None:
            result = found[0]
            for d in found[1:]:
                result = from_numpy(np.promote_types(result.np, d.np))
            return result
    return (bool_, int64, _default_float)[top]


def can_cast(source: dtype, target: dtype) -> bool:
    """Whether an op's result of dtype ``source`` may be stored into a ``target`` tensor (an
    in-place op, ``out=``): PyTorch's rule, no floating result into an integer or bool tensor,
    and nothing but bool into a bool one."""
    return _CATEGORY[source] <= _CATEGORY[target] or _CATEGORY[target] == 2
