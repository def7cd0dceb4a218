"""The NumPy backend's blocked, threaded kernels give what the generic formulas give.

``Backend`` writes each fused kernel once in ``xp`` calls; ``NumpyBackend`` runs the same formulas
over cache-sized blocks of rows split between threads. Shapes here cover one block, many blocks,
several threads (over ``_PARALLEL_MIN`` elements), ragged last blocks, and the fallbacks.
"""

import numpy as np
import pytest

from minigrad.backend import numpy_backend as nb
from minigrad.backend.base import Backend

BLOCKED = nb.NumpyBackend()
BLOCKED.blocks = nb.RowBlocks(3)  # more threads than rows in some cases; odd split elsewhere


class Generic(nb.NumpyBackend):
    """NumPy with the base class's unblocked kernels."""

    sum = Backend.sum
    gelu = Backend.gelu
    layer_norm = Backend.layer_norm
    layer_norm_backward = Backend.layer_norm_backward
    softmax = Backend.softmax
    softmax_backward = Backend.softmax_backward
    adam_update = Backend.adam_update


GENERIC = Generic()
SHAPES = [(7,), (3, 5), (4, 1000, 33), (2, 3, 97, 257), (300, 1537)]
TOL = {np.float32: dict(rtol=2e-6, atol=2e-7), np.float64: dict(rtol=1e-13, atol=1e-15)}


@pytest.fixture(params=[np.float32, np.float64])
def dtype(request):
    return request.param


def _data(shape, dtype, seed=0, scale=3.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


def _close(a, b, dtype):
    assert a.dtype == b.dtype == dtype and a.shape == b.shape
    np.testing.assert_allclose(a, b, **TOL[dtype])


@pytest.mark.parametrize(
    "shape, dims",
    [((7,), (0,)), ((130, 3), (0,)), ((300, 1537), (0,)), ((300, 1537), (1,)),
     ((4, 1000, 33), (0, 1)), ((4, 1000, 33), (1, 2)), ((4, 1000, 33), (0, 2)),
     ((2, 3, 97, 257), (0, 1, 2, 3))],
)  # fmt: skip
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum(shape, dims, keepdims, dtype):
    """Leading axes (grouped rows), trailing axes (pairwise), others and all (the generic sum)."""
    x = _data(shape, dtype) + 1.0
    _close(BLOCKED.sum(x, dims, keepdims), GENERIC.sum(x, dims, keepdims), dtype)
    xt = x.T  # not C-contiguous: the generic sum
    axes = tuple(xt.ndim - 1 - d for d in reversed(dims))
    _close(BLOCKED.sum(xt, axes, keepdims), GENERIC.sum(xt, axes, keepdims), dtype)


@pytest.mark.parametrize("shape", SHAPES)
def test_gelu(shape, dtype):
    x = _data(shape, dtype)
    (y, slope), (y0, slope0) = BLOCKED.gelu(x), GENERIC.gelu(x)
    _close(y, y0, dtype)
    _close(slope, slope0, dtype)


@pytest.mark.parametrize(
    "shape, k", [(shape, k) for shape in SHAPES for k in (1, 2) if k <= len(shape)]
)
def test_layer_norm(shape, k, dtype):
    dims = tuple(range(len(shape) - k, len(shape)))
    x, g = _data(shape, dtype) + 1.5, _data(shape, dtype, 1)
    w, b = _data(shape[-k:], dtype, 2), _data(shape[-k:], dtype, 3)
    ours, generic = BLOCKED.layer_norm(x, w, b, dims, 1e-5), GENERIC.layer_norm(x, w, b, dims, 1e-5)
    _, mean, rstd = generic
    backward = (BLOCKED.layer_norm_backward(g, x, w, mean, rstd, dims),
                GENERIC.layer_norm_backward(g, x, w, mean, rstd, dims))  # fmt: skip
    for a, a0 in zip(ours + backward[0][:1], generic + backward[1][:1]):  # y, mean, rstd, dx
        _close(a, a0, dtype)
    # dw and db sum over the rows, in another order: their error is relative to the sum of
    # the terms' magnitudes (the sums themselves may cancel to near 0)
    rows = tuple(range(len(shape) - k))
    xhat = (x - mean) * rstd
    for a, a0, terms in zip(backward[0][1:], backward[1][1:], (g * xhat, g)):
        assert a.dtype == a0.dtype == dtype and a.shape == a0.shape
        bound = TOL[dtype]["rtol"] * np.abs(terms).sum(axis=rows, dtype=np.float64)
        assert np.all(np.abs(a.astype(np.float64) - a0) <= bound)


@pytest.mark.parametrize("shape", SHAPES)
def test_softmax(shape, dtype):
    x, g = _data(shape, dtype), _data(shape, dtype, 1)
    y, y0 = BLOCKED.softmax(x, x.ndim - 1), GENERIC.softmax(x, x.ndim - 1)
    _close(y, y0, dtype)
    _close(BLOCKED.softmax_backward(y, g, -1, 0.125),
           GENERIC.softmax_backward(y0, g, -1, 0.125), dtype)  # fmt: skip


@pytest.mark.parametrize("size", [10, 300_001])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_update(size, amsgrad, dtype):
    results = []
    for backend in (BLOCKED, GENERIC):
        w, g, m = (_data(size, dtype, seed) for seed in range(3))
        v, v_max = _data(size, dtype, 3) ** 2, _data(size, dtype, 4) ** 2
        backend.adam_update(w, g, m, v, lr=1e-3, beta1=0.9, beta2=0.95, eps=1e-8, step=3,
                            v_max=v_max if amsgrad else None)  # fmt: skip
        results.append((w, m, v, v_max))
    for ours, expected in zip(*results):
        _close(ours, expected, dtype)


def test_fallbacks_for_other_axes_layouts_and_dtypes():
    x = _data((6, 40, 50), np.float32)
    # not the last axis, a transposed (non-contiguous) input, float16
    _close(BLOCKED.softmax(x, 1), GENERIC.softmax(x, 1), np.float32)
    xt = x.transpose(2, 0, 1)
    _close(BLOCKED.softmax(xt, 2), GENERIC.softmax(xt, 2), np.float32)
    half = x.astype(np.float16)
    assert BLOCKED.gelu(half)[0].dtype == np.float16
    ones, zeros = np.ones(50, np.float16), np.zeros(50, np.float16)
    assert BLOCKED.layer_norm(half, ones, zeros, (2,), 1e-5)[0].dtype == np.float16


def test_rows_cover_every_block_once():
    seen = np.zeros(300_007, dtype=np.int64)  # over _PARALLEL_MIN: split between threads

    def mark(block):
        block += 1

    for threads in (1, 2, 5):
        nb.RowBlocks(threads).run(mark, seen)
    assert (seen == 3).all()


def test_set_num_threads():
    import minigrad

    before = minigrad.get_num_threads()
    try:
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
        x = minigrad.randn(400, 400)
        expected = minigrad.tensor(GENERIC.softmax(x.numpy(), 1))
        assert minigrad.allclose(x.softmax(-1), expected)
    finally:
        minigrad.set_num_threads(before)
    with pytest.raises(RuntimeError, match="positive integer"):
        minigrad.set_num_threads(0)


def _softmax_rows(x):
    return BLOCKED.softmax(x, 1)


def test_blocks_run_in_a_forked_child_after_the_parent_used_threads():
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    x = _data((400, 1000), np.float32)
    expected = GENERIC.softmax(x, 1)
    _close(BLOCKED.softmax(x, 1), expected, np.float32)  # the parent's pool is running
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply_async(_softmax_rows, (x,)).get(timeout=60)
    _close(result, expected, np.float32)


@pytest.mark.parametrize("index_shape", [(50,), (4, 30)])
@pytest.mark.parametrize("row_shape", [(), (3,), (2, 5)])
def test_scatter_add_sums_repeated_and_negative_rows(index_shape, row_shape, dtype):
    rng = np.random.default_rng(0)
    index = rng.integers(-7, 7, size=index_shape)  # repeats, and -k naming row 7 - k
    values = _data(index_shape + row_shape, dtype)
    ours, expected = np.ones((7,) + row_shape, dtype), np.ones((7,) + row_shape, dtype)
    BLOCKED.scatter_add(ours, index, values)
    np.add.at(expected, index, values)
    # the same sums in another order: float32 rounding differs a little
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else TOL[dtype]
    np.testing.assert_allclose(ours, expected, **tol)
