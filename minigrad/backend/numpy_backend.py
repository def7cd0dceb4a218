"""The default backend: NumPy on the CPU.

Besides NumPy's own functions, it runs the fused kernels of ``Backend`` (GELU, layer norm,
softmax, forward and backward) its own way: NumPy makes one pass over memory per operation, so
a formula of six operations over an array larger than the cache reads and writes it six times.
Here each kernel runs its formula over blocks of about 64K elements, whose temporaries stay in
the core's cache, and can share the blocks among threads (``minigrad.set_num_threads``; NumPy's
loops release the GIL, so the threads run at the same time). Results are those of the same
formula over the whole array.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .base import INV_SQRT_2PI, SQRT_HALF, Backend

try:  # SciPy's erf is exact (installed with the dev and demos extras)
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_math_erf = np.vectorize(math.erf, otypes=[np.float64])

# Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + t (a2 + ... a5)) exp(-x^2), t = 1 / (1 + p x),
# for x >= 0, with absolute error below 1.5e-7 in exact arithmetic.
_AS_P = np.float32(0.3275911)
_AS_A = tuple(
    np.float32(a) for a in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)
)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function: exact in float64 (SciPy, else math.erf per element); in float32,
    A&S 7.1.26 in float32 arithmetic, within 6e-7 of the true value (a few float32 ulps).

    SciPy's float32 erf is not vectorised (about 40 ns an element here); this formula runs as
    a dozen vectorised NumPy passes, several times faster, which matters for GELU. The passes
    run over blocks of the array small enough for their temporaries to stay in cache.
    """
    if x.dtype == np.float64:
        return _scipy_erf(x) if _scipy_erf is not None else _math_erf(x)
    flat = np.ascontiguousarray(x, dtype=np.float32).reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _ERF_BLOCK):
        _erf_float32(flat[start : start + _ERF_BLOCK], out[start : start + _ERF_BLOCK])
    return out.reshape(x.shape)


_ERF_BLOCK = 1 << 15  # elements (128 KiB of float32): 9 ms instead of 12 for 2M elements here


def _erf_float32(x: np.ndarray, out: np.ndarray) -> None:
    """A&S 7.1.26 on a 1-d float32 block, written into ``out``."""
    ax = np.abs(x)
    _erfc_tail(ax, out)
    np.multiply(ax, ax, out=ax)
    np.negative(ax, out=ax)
    out *= np.exp(ax, out=ax)
    np.subtract(1.0, out, out=out)
    _copysign_float32(out, x, ax)


def _erfc_tail(ax: np.ndarray, out: np.ndarray) -> None:
    """out = t (a1 + t (a2 + ... + t a5)) with t = 1 / (1 + p ax), for float32 ax >= 0: A&S 7.1.26's
    erfc(ax) = out * exp(-ax^2), the exponential left to the caller."""
    t = ax * _AS_P
    t += 1.0
    np.reciprocal(t, out=t)
    np.multiply(t, _AS_A[0], out=out)
    for a in _AS_A[1:]:
        out += a
        out *= t


_SIGN_BIT, _MAGNITUDE_BITS = np.uint32(0x8000_0000), np.uint32(0x7FFF_FFFF)


def _copysign_float32(out: np.ndarray, sign_of: np.ndarray, scratch: np.ndarray) -> None:
    """out = copysign(out, sign_of) for float32 blocks, by bit operations on the IEEE words
    (NumPy's copysign has no SIMD loop; these three integer passes take two thirds of its time
    here: 42 against 64 us on 64K elements)."""
    bits, sign = out.view(np.uint32), scratch.view(np.uint32)
    np.bitwise_and(sign_of.view(np.uint32), _SIGN_BIT, out=sign)
    np.bitwise_and(bits, _MAGNITUDE_BITS, out=bits)
    np.bitwise_or(bits, sign, out=bits)


def gelu_block(x: np.ndarray, y: np.ndarray, slope: np.ndarray) -> None:
    """y = x Phi(x) and slope = Phi(x) + x phi(x) for a 1-d block of float32 or float64 (the
    operations of ``Backend.gelu`` over ``erf``, in the same order, so the two agree to the bit).
    In float32, A&S's exp(-z^2) at z = x / sqrt 2 is also phi(x) sqrt(2 pi): one exp serves both."""
    z = x * SQRT_HALF
    a_and_s = x.dtype == np.float32
    if a_and_s:
        np.abs(z, out=z)  # the formula takes |z|; the sign comes back below
    np.multiply(z, z, out=slope)
    np.negative(slope, out=slope)
    np.exp(slope, out=slope)  # exp(-z^2) = exp(-x^2 / 2)
    if a_and_s:
        cdf = np.empty_like(x)
        _erfc_tail(z, cdf)
        cdf *= slope  # erfc(|z|)
        cdf *= -0.5
        cdf += 0.5  # erf(|z|) / 2
        _copysign_float32(cdf, x, z)  # erf(z) / 2
        cdf += 0.5  # Phi(x)
    else:
        cdf = erf(z)
        cdf += 1.0
        cdf *= 0.5
    np.multiply(x, cdf, out=y)
    slope *= INV_SQRT_2PI  # phi(x)
    slope *= x
    slope += cdf


_KERNEL_BLOCK = 1 << 16  # elements per block (256 KiB of float32): its temporaries stay in L2
_PARALLEL_MIN = 1 << 17  # elements: below this, starting threads costs more than it gains
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class RowBlocks:
    """Runs a kernel over blocks of rows, shared between up to ``threads`` threads.

    ``run(kernel, *arrays)`` calls ``kernel(*[a[lo:hi] for a in arrays])`` for consecutive row
    ranges [lo, hi) covering the first axis of the arrays (which all have the same length).
    The calling thread works too, and each thread takes the next block nobody has taken yet, so
    a helper thread that the operating system does not run soon (another program holds the
    other core) costs nothing: the caller takes its blocks, and withdraws the helper's task if
    it has not started, rather than wait for it.
    """

    def __init__(self, threads: int):
        self.threads = max(1, threads)
        self._pool = None
        self._pid = None  # the process that started the pool: a forked child starts its own

    def run(self, kernel, *arrays) -> None:
        rows = arrays[0].shape[0]
        row_len = arrays[0].size // rows if rows else 1
        step = max(1, _KERNEL_BLOCK // max(row_len, 1))
        starts = range(0, rows, step)
        helpers = 0 if arrays[0].size < _PARALLEL_MIN else min(self.threads, len(starts)) - 1
        claims = iter(starts)  # next() on it is atomic under the GIL: each block is taken once

        def work():
            for lo in claims:
                hi = min(lo + step, rows)
                kernel(*[a[lo:hi] for a in arrays])

        if helpers == 0:
            work()
            return
        if self._pool is None or self._pid != os.getpid():
            self._pool = ThreadPoolExecutor(self.threads - 1, thread_name_prefix="minigrad")
            self._pid = os.getpid()
        tasks = [self._pool.submit(work) for _ in range(helpers)]
        work()
        for task in tasks:
            if not task.cancel():  # started: it may still be running its last block
                task.result()


def keep_freed_memory_for_reuse() -> bool:
    """Ask glibc's malloc to keep freed array memory for the next array instead of returning it
    to the operating system.

    Every op allocates its output, and a training step frees and re-allocates the same sizes
    over and over. By default glibc serves large blocks with fresh mappings and unmaps them when
    freed, so each step page-faults on all its memory again (5,000 faults a step for a small GPT
    here, 15% of its time). Raising the mmap and trim thresholds keeps those blocks in the heap,
    much as PyTorch's caching allocator does. Returns whether the setting took (glibc only).
    """
    path = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(path)
        mallopt = libc.mallopt
    except (OSError, TypeError, AttributeError):  # not glibc: nothing to tune
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 1 << 30))


class NumpyBackend(Backend):
    name = "numpy"
    xp = np

    def __init__(self):
        self._rng = np.random.Generator(np.random.PCG64(0))
        self.blocks = RowBlocks(1)  # minigrad.set_num_threads(n) shares blocks among n
        keep_freed_memory_for_reuse()

    def asarray(self, data, dtype):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, array):
        return array

    def scatter_add(self, target, index, values) -> None:
        """Rows picked by one integer array (an embedding's backward) are summed by sorting the
        indices and adding each run of equal ones with ``np.add.reduceat``: one pass over the
        values, where ``np.add.at`` costs about ten times as much. Other indices use ``add.at``."""
        if (
            isinstance(index, np.ndarray)
            and index.dtype.kind in "iu"
            and index.size
            and target.ndim
            and target.flags.c_contiguous
            and values.shape == index.shape + target.shape[1:]
        ):
            rows = index.reshape(-1) % target.shape[0]  # -1 and n - 1 are one row
            order = np.argsort(rows, kind="stable")
            rows = rows[order]
            starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
            sums = np.add.reduceat(values.reshape(rows.size, -1)[order], starts, axis=0)
            target.reshape(target.shape[0], -1)[rows[starts]] += sums
            return
        np.add.at(target, index, values)

    def erf(self, x):
        return erf(x)

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

    def sum(self, x, dims, keepdims):
        """The base's accurate sum, at about the cost of NumPy's float32 sum, for float32
        arrays in C order.

        Along the trailing axes NumPy's float32 sum is accurate already: it adds each contiguous
        run pairwise (error ~ log n). Along the leading axes it adds one row at a time, so its
        error grows with the row count (5.6e-6 relative for the mean of 17,773 rows, enough to
        show in a BatchNorm's statistics); there the rows are added in float32 in groups of
        16, and the group sums in float64. Accumulating every element in float64 instead casts
        each one first: on the 1024 x 1152 bias gradient of a linear layer, 0.71 ms here
        against 0.28 ms.
        """
        if not (
            isinstance(x, np.ndarray) and x.dtype == np.float32 and x.flags.c_contiguous and x.size
        ):
            return super().sum(x, dims, keepdims)
        k = len(dims)
        if k and _trailing(dims, x.ndim):
            total = np.add.reduce(_rows(x, k), axis=1)
        elif k and dims == tuple(range(k)):
            total = _column_sums(x.reshape(math.prod(x.shape[:k]), -1))
        else:
            return super().sum(x, dims, keepdims)
        if keepdims:
            return total.reshape(tuple(1 if i in dims else n for i, n in enumerate(x.shape)))
        return total.reshape(tuple(n for i, n in enumerate(x.shape) if i not in dims))

    # ---- fused kernels, in cache-sized blocks on a few threads (see the module docstring) -----
    def gelu(self, x):
        if not _blockable(x):
            return super().gelu(x)
        x = np.ascontiguousarray(x)
        y, slope = np.empty_like(x), np.empty_like(x)
        self.blocks.run(gelu_block, x.reshape(-1), y.reshape(-1), slope.reshape(-1))
        return y, slope

    def layer_norm(self, x, weight, bias, dims, eps):
        if not (_blockable(x, weight, bias) and _trailing(dims, x.ndim)):
            return super().layer_norm(x, weight, bias, dims, eps)
        rows = _rows(x, len(dims))
        w, b = weight.reshape(-1), bias.reshape(-1)
        y = np.empty_like(rows)
        mean, rstd = (
            np.empty((rows.shape[0], 1), rows.dtype),
            np.empty((rows.shape[0], 1), rows.dtype),
        )
        n = rows.shape[1]

        def block(xb, yb, mb, rb):
            np.add.reduce(xb, axis=1, keepdims=True, out=mb)
            mb /= n
            np.subtract(xb, mb, out=yb)
            np.add.reduce(yb * yb, axis=1, keepdims=True, out=rb)
            rb /= n
            rb += eps
            np.sqrt(rb, out=rb)
            np.divide(1.0, rb, out=rb)
            yb *= rb
            yb *= w
            yb += b

        self.blocks.run(block, rows, y, mean, rstd)
        stats_shape = x.shape[: x.ndim - len(dims)] + (1,) * len(dims)
        return y.reshape(x.shape), mean.reshape(stats_shape), rstd.reshape(stats_shape)

    def layer_norm_backward(self, g, x, weight, mean, rstd, dims):
        if not (_blockable(g, x, weight, mean, rstd) and _trailing(dims, x.ndim)):
            return super().layer_norm_backward(g, x, weight, mean, rstd, dims)
        k = len(dims)
        g2, x2 = _rows(g, k), _rows(x, k)
        m2, r2 = (
            np.ascontiguousarray(mean).reshape(-1, 1),
            np.ascontiguousarray(rstd).reshape(-1, 1),
        )
        w = weight.reshape(-1)
        dx, xhat = np.empty_like(x2), np.empty_like(x2)
        n = x2.shape[1]

        def block(gb, xb, mb, rb, ob, hb):
            np.subtract(xb, mb, out=hb)
            hb *= rb
            np.multiply(gb, w, out=ob)  # dxhat
            mean_d = np.add.reduce(ob, axis=1, keepdims=True) / n
            mean_dh = np.add.reduce(ob * hb, axis=1, keepdims=True) / n
            ob -= mean_d
            ob -= hb * mean_dh
            ob *= rb

        self.blocks.run(block, g2, x2, m2, r2, dx, xhat)
        xhat *= g2
        dweight = self.sum(xhat, (0,), False).reshape(weight.shape)
        dbias = self.sum(g2, (0,), False).reshape(weight.shape)
        return dx.reshape(x.shape), dweight, dbias

    def softmax(self, x, dim):
        if not (_blockable(x) and dim in (-1, x.ndim - 1)):
            return super().softmax(x, dim)
        rows = _rows(x, 1)
        y = np.empty_like(rows)

        def block(xb, yb):
            np.subtract(xb, np.maximum.reduce(xb, axis=1, keepdims=True), out=yb)
            np.exp(yb, out=yb)
            yb /= np.add.reduce(yb, axis=1, keepdims=True)

        self.blocks.run(block, rows, y)
        return y.reshape(x.shape)

    def softmax_backward(self, y, g, dim, scale=1.0):
        if not (_blockable(y, g) and dim in (-1, y.ndim - 1)):
            return super().softmax_backward(y, g, dim, scale)
        y2, g2 = _rows(y, 1), _rows(g, 1)
        dx = np.empty_like(y2)

        def block(yb, gb, ob):
            np.multiply(gb, yb, out=ob)
            np.subtract(gb, np.add.reduce(ob, axis=1, keepdims=True), out=ob)
            ob *= yb
            if scale != 1.0:
                ob *= scale

        self.blocks.run(block, y2, g2, dx)
        return dx.reshape(y.shape)

    def adam_update(self, w, g, m, v, *, lr, beta1, beta2, eps, step, v_max=None):
        arrays = (w, g, m, v) if v_max is None else (w, g, m, v, v_max)
        if not (_blockable(*arrays) and all(a.flags.c_contiguous for a in arrays)):
            return super().adam_update(w, g, m, v, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                       step=step, v_max=v_max)  # fmt: skip
        generic = super().adam_update

        def block(wb, gb, mb, vb, *v_max_block):
            generic(wb, gb, mb, vb, lr=lr, beta1=beta1, beta2=beta2, eps=eps, step=step,
                    v_max=v_max_block[0] if v_max_block else None)  # fmt: skip

        self.blocks.run(block, *(a.reshape(-1) for a in arrays))


def _blockable(*arrays) -> bool:
    """Whether the blocked kernels take these arrays: float32 or float64 NumPy arrays of one
    dtype, at least 1-d and not empty (the generic kernels handle the rest)."""
    dtype = arrays[0].dtype
    return dtype in _FLOATS and all(
        isinstance(a, np.ndarray) and a.dtype == dtype and a.ndim > 0 and a.size > 0 for a in arrays
    )


_ROWS_PER_GROUP = 16


def _column_sums(rows):
    """The column sums of a C-contiguous float32 matrix: each group of 16 rows added in float32
    (one row at a time, NumPy's order), the group sums in float64, rounded once at the end.
    Groups of 16 cost no more than groups of 64 here, and err about half as much."""
    n, width = rows.shape
    whole = n - n % _ROWS_PER_GROUP
    groups = np.add.reduce(rows[:whole].reshape(-1, _ROWS_PER_GROUP, width), axis=1)
    total = np.add.reduce(groups, axis=0, dtype=np.float64)
    if whole < n:
        total += np.add.reduce(rows[whole:], axis=0, dtype=np.float64)
    return total.astype(np.float32)


def _trailing(dims, ndim: int) -> bool:
    """Whether the axes ``dims`` are the last ``len(dims)`` axes."""
    return tuple(d % ndim for d in dims) == tuple(range(ndim - len(dims), ndim))


def _rows(a, k: int):
    """``a`` as a C-contiguous 2-d array: its leading axes by its last ``k`` (copied only when
    it is not contiguous)."""
    return np.ascontiguousarray(a).reshape(-1, math.prod(a.shape[a.ndim - k :]))
