"""Factories: tensors made from data, constants, ranges and random draws (PyTorch's names)."""

from __future__ import annotations

import math

from . import dtypes
from .backend import _BACKENDS, CPU
from .backend import device as as_device
from .errors import ArgumentError, DTypeError, ShapeError
from .tensor import Tensor, legacy_tensor
from .tensor_api.arguments import size_arg


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, NumPy arrays, tensors)."""
    return Tensor._build(data, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor._build(data, dtype, device)


def from_numpy(array) -> Tensor:
    """A CPU tensor sharing memory with the NumPy array (NumPy types PyTorch lacks, such as
    uint16, are converted to int64, which copies)."""
    target = dtypes.from_numpy(array.dtype)
    return Tensor._make(CPU.backend.asarray(array, target.np), CPU)


def _new(array_fn, size, dtype, device, requires_grad, float_default=True) -> Tensor:
    """Run ``array_fn(xp, shape, np_dtype)`` on the device's backend and wrap the result."""
    dev = as_device(device) if device is not None else CPU
    d = (
        dtypes.to_dtype(dtype)
        if dtype is not None
        else (dtypes.get_default_dtype() if float_default else dtypes.int64)
    )
    t = Tensor._make(array_fn(dev.backend, size_arg(size), d.np), dev)
    return t.requires_grad_() if requires_grad else t


def _size(args: tuple, size) -> tuple:
    """A factory's size, given positionally (``zeros(2, 3)``, ``zeros((2, 3))``) or as
    ``size=(2, 3)``."""
    if size is None:
        return args
    if args:
        raise ArgumentError(f"the size was given twice: {args!r} and size={size!r}")
    return (size,)


def zeros(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new(
        lambda b, s, d: b.xp.zeros(s, dtype=d), _size(args, size), dtype, device, requires_grad
    )


def ones(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _new(
        lambda b, s, d: b.xp.ones(s, dtype=d), _size(args, size), dtype, device, requires_grad
    )


def empty(*args, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Like ``zeros``: minigrad never hands out uninitialised memory."""
    return zeros(*args, size=size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None and not isinstance(fill_value, float):
        dtype = dtypes.bool_ if isinstance(fill_value, bool) else dtypes.int64
    return _new(
        lambda b, s, d: b.xp.full(s, fill_value, dtype=d), (size,), dtype, device, requires_grad
    )


def _draw(backend, generator, kind: str, *args, dtype):
    """Draw ``kind`` ("uniform", "normal" or "integers") from the device's generator, or from
    ``generator`` (a ``minigrad.Generator``, on the host), as an array of ``dtype`` on the
    device."""
    source = backend if generator is None else generator
    return backend.asarray(getattr(source, kind)(*args), dtype)


def rand(*args, size=None, generator=None, dtype=None, device=None,
         requires_grad=False) -> Tensor:  # fmt: skip
    """Uniform samples from [0, 1)."""
    return _new(
        lambda b, s, d: _draw(b, generator, "uniform", s, d, dtype=d),
        _size(args, size), dtype, device, requires_grad,
    )  # fmt: skip


def randn(*args, size=None, generator=None, dtype=None, device=None,
          requires_grad=False) -> Tensor:  # fmt: skip
    """Standard normal samples."""
    return _new(
        lambda b, s, d: _draw(b, generator, "normal", s, d, dtype=d),
        _size(args, size), dtype, device, requires_grad,
    )  # fmt: skip


def randint(low=None, high=None, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Integers drawn uniformly from [low, high), from ``generator`` (a ``minigrad.Generator``)
    when one is given. As in PyTorch, ``randint(high, size)``, ``randint(high, size=size)`` and
    ``randint(high=high, size=size)`` take low = 0."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = None, low, high
    if high is None:  # randint(high, size=size): the one bound given is high
        low, high = None, low
    if low is None:
        low = 0
    if high is None or size is None:
        raise TypeError(
            "randint() needs high and size: randint(low, high, size) or randint(high, size)"
        )
    if high <= low:
        raise ArgumentError(f"randint(): expected low < high, but got low={low} and high={high}")
    return _new(
        lambda b, s, d: _draw(b, generator, "integers", low, high, s, dtype=d),
        (tuple(size),),
        dtype,
        device,
        False,
        float_default=False,
    )


def randperm(n, *, generator=None, device=None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (drawn from ``generator`` when one is given)."""
    if generator is not None:
        return tensor(generator.permutation(n), device=device)
    return rand(n, dtype=dtypes.float64, device=device).argsort()


def multinomial(probs: Tensor, num_samples: int, replacement: bool = False, *, generator=None):
    """Draw category indices from each row of (unnormalised) probabilities (with ``generator``'s
    uniform draws when one is given).

    With replacement, each draw inverts the row's cumulative distribution at a uniform sample.
    Without, it uses the Gumbel-top-k trick: the k largest of log(p) + Gumbel noise are a
    draw of k distinct categories with the right probabilities.
    """
    if probs.ndim not in (1, 2):
        raise ShapeError(f"multinomial: prob_dist must be 1 or 2 dim, got {probs.ndim}")
    rows = probs.reshape(1, -1) if probs.ndim == 1 else probs
    n_cat = rows.shape[-1]
    if not replacement and num_samples > n_cat:
        raise ArgumentError(
            f"multinomial: cannot sample n_sample ({num_samples}) > prob_dist.size(-1) ({n_cat}) "
            f"samples without replacement"
        )
    p = rows.detach().double()
    if bool((p < 0).any()) or not bool(p.isfinite().all()):
        raise ArgumentError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    if bool((p.sum(-1) <= 0).any()):
        raise ArgumentError(
            "multinomial: invalid multinomial distribution (sum of probabilities <= 0)"
        )
    if not replacement and bool(((p > 0).sum(-1) < num_samples).any()):
        raise ArgumentError(
            f"multinomial: invalid multinomial distribution (with replacement=False, not enough "
            f"non-negative category to sample {num_samples} of them)"
        )
    backend = p.device.backend
    if replacement or num_samples == 1:
        cdf = p.cumsum(-1)
        u = Tensor._make(
            _draw(backend, generator, "uniform", (p.shape[0], num_samples), "float64",
                  dtype="float64"),
            p.device,
        )  # fmt: skip
        u = u * cdf[:, -1:]
        xp = backend.xp
        idx = xp.stack([xp.searchsorted(c, v, side="right") for c, v in zip(cdf._data, u._data)])
        out = Tensor._make(xp.minimum(idx, n_cat - 1).astype("int64"), p.device)
    else:
        u = Tensor._make(
            _draw(backend, generator, "uniform", p.shape, "float64", dtype="float64"), p.device
        )
        gumbel = -(-(u.clamp(min=1e-300)).log()).log()
        log_p = p.clamp(min=1e-300).log().masked_fill(p == 0, float("-inf"))
        out = (log_p + gumbel).topk(num_samples, dim=-1).indices
    return out.reshape(-1) if probs.ndim == 1 else out


def _like(factory):
    """``factory_like(t, ...)``: ``factory`` with ``t``'s shape, and its dtype and device by default."""

    def like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
        return factory(
            t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
        )

    like.__name__ = like.__qualname__ = f"{factory.__name__}_like"
    like.__doc__ = f"``{factory.__name__}`` shaped like ``t`` (and of its dtype and device)."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(
        t.shape,
        fill_value,
        dtype=dtype or t.dtype,
        device=device or t.device,
        requires_grad=requires_grad,
    )


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; integers unless any is a float."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ArgumentError("arange(): step must be nonzero")
    if dtype is None:
        floating = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if floating else dtypes.int64
    count = max(0, math.ceil((end - start) / step))
    return _new(
        lambda b, s, d: (b.xp.arange(count, dtype="float64") * step + start).astype(d),
        (),
        dtype,
        device,
        requires_grad,
    )


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise ArgumentError("linspace(): number of steps must be non-negative")
    return _new(
        lambda b, s, d: b.xp.linspace(start, end, steps, dtype="float64").astype(d),
        (),
        dtype,
        device,
        requires_grad,
    )


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    if n < 0 or (m is not None and m < 0):
        raise ShapeError(f"eye(): n and m must be greater or equal to 0, got n={n}, m={m}")
    return _new(lambda b, s, d: b.xp.eye(n, m, dtype=d), (), dtype, device, requires_grad)


def tril_indices(row: int, col: int, offset: int = 0, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the lower triangle of a row x col matrix, on and below the
    diagonal ``offset``, as a (2, N) tensor (rows first, in row-major order)."""
    return _triangle_indices(row, col, offset, dtype, device, lower=True)


def triu_indices(row: int, col: int, offset: int = 0, dtype=None, device=None) -> Tensor:
    """The (row, column) indices of the upper triangle, on and above the diagonal ``offset``."""
    return _triangle_indices(row, col, offset, dtype, device, lower=False)


def _triangle_indices(row, col, offset, dtype, device, lower: bool) -> Tensor:
    if row < 0 or col < 0:
        raise ShapeError(f"{'tril' if lower else 'triu'}_indices: row and col must be >= 0, "
                         f"got {row} and {col}")  # fmt: skip
    pick = "tril_indices" if lower else "triu_indices"
    return _new(
        lambda b, s, d: b.xp.stack(getattr(b.xp, pick)(row, offset, col)).astype(d),
        (), dtype, device, False, float_default=False,
    )  # fmt: skip


def manual_seed(seed: int) -> None:
    """Seed the random generator of every backend in use (CPU, and CUDA when loaded)."""
    if not isinstance(seed, int):
        raise DTypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    for backend in _BACKENDS.values():
        backend.seed(seed)


def get_rng_state() -> dict:
    """The CPU generator's state, for checkpoints."""
    return CPU.backend.get_rng_state()


def set_rng_state(state: dict) -> None:
    CPU.backend.set_rng_state(state)


class LegacyTensorType:
    """PyTorch's legacy constructors: ``LongTensor([[0, 1]])`` holds the data as int64,
    ``FloatTensor(2, 3)`` is a (2, 3) float32 tensor (of zeros: minigrad hands out no
    uninitialised memory), ``FloatTensor()`` is empty, ``FloatTensor(t)`` aliases a float32
    tensor t (sharing its memory; gradients flow through it); ``isinstance(t, FloatTensor)``
    tests a CPU tensor's dtype. ``Tensor(...)`` is the one of the default floating dtype."""

    def __init__(self, dtype: dtypes.dtype, name: str | None = None):
        self.dtype = dtype
        self.__name__ = name or dtypes.legacy_name(dtype)

    def __call__(self, *args, device=None) -> Tensor:
        return legacy_tensor(self.dtype, self.__name__, args, device)

    def __instancecheck__(self, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is self.dtype and obj.device.type == "cpu"

    def __repr__(self) -> str:
        return f"<class 'minigrad.{self.__name__}'>"


FloatTensor = LegacyTensorType(dtypes.float32)
DoubleTensor = LegacyTensorType(dtypes.float64)
HalfTensor = LegacyTensorType(dtypes.float16)
LongTensor = LegacyTensorType(dtypes.int64)
IntTensor = LegacyTensorType(dtypes.int32)
ShortTensor = LegacyTensorType(dtypes.int16)
CharTensor = LegacyTensorType(dtypes.int8)
ByteTensor = LegacyTensorType(dtypes.uint8)
BoolTensor = LegacyTensorType(dtypes.bool_)
