"""Reductions, softmax and the order statistics (max/min with indices, sort, topk, argmax).

Each op sees ``dim`` as None, an int (negative too) or a tuple, with and without ``keepdim``.
Ops that pick elements (amax, max, sort, topk, ...) see distinct values: with ties the
derivative is not defined, and finite differences would disagree with any choice.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Case, Example, arrays, leaf, np_axis, op_tests, reduction, shapes

import minigrad


def _np_reduce(fn):
    """A NumPy reduction called the way the tables call minigrad's: (a, dim, keepdim)."""
    return lambda a, dim, keepdim: fn(a, axis=np_axis(a, dim), keepdims=keepdim)


def _reduced_count(shape, dim) -> int:
    if dim is None or not shape:
        return math.prod(shape)
    axes = (dim,) if isinstance(dim, int) else dim
    return math.prod(shape[d] for d in axes)


@st.composite
def _variance(draw, kind="smooth", min_count=1):
    """A var/std example: ``dim``, ``keepdim`` and a correction smaller than the count."""
    ex = draw(
        reduction(kind).filter(
            lambda e: _reduced_count(e.arrays[0].shape, e.params["dim"]) >= min_count
        )
    )
    count = _reduced_count(ex.arrays[0].shape, ex.params["dim"])
    correction = draw(st.integers(0, min(2, count - 1)), label="correction")
    return Example(ex.arrays, dict(ex.params, correction=correction))


def _np_var(a, dim, keepdim, correction):
    return np.var(a, axis=np_axis(a, dim), ddof=correction, keepdims=keepdim)


@st.composite
def _along(draw, kind="smooth", min_dims=0, **params):
    """One array and a single ``dim`` (softmax, sort, max(dim), ...)."""
    array = draw(arrays(shapes(min_dims=min_dims), kind))
    rank = max(array.ndim, 1)
    dim = draw(st.integers(-rank, rank - 1), label="dim")
    return Example((array,), dict(dim=dim, **draw(st.fixed_dictionaries(params))))


@st.composite
def _topk(draw):
    ex = draw(_along("distinct", min_dims=1, largest=st.booleans()))
    k = draw(st.integers(0, ex.arrays[0].shape[ex.params["dim"]]), label="k")
    return Example(ex.arrays, dict(ex.params, k=k))


def _np_softmax(a, dim):
    axis = np_axis(a, dim)
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _np_log_softmax(a, dim):
    axis = np_axis(a, dim)
    shifted = a - np.max(a, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _np_logsumexp(a, dim, keepdim):
    return np.log(np.sum(np.exp(a), axis=np_axis(a, dim), keepdims=keepdim))


def _np_extreme_along(pick, arg):
    """max(dim)/min(dim) as (values, indices), for 0-d inputs too."""

    def ref(a, dim, keepdim):
        if a.ndim == 0:
            return a, np.array(0)
        idx = np.expand_dims(arg(a, axis=dim), dim)
        vals = np.take_along_axis(a, idx, dim)
        return (vals, idx) if keepdim else (vals.squeeze(dim), idx.squeeze(dim))

    return ref


def _np_sort(a, dim, descending):
    if a.ndim == 0:
        return a, np.array(0)
    idx = np.argsort(-a if descending else a, axis=dim, kind="stable")
    return np.take_along_axis(a, idx, dim), idx


def _np_topk(a, dim, largest, k):
    vals, idx = _np_sort(a, dim, largest)
    keep = tuple(slice(None) if i != dim % a.ndim else slice(0, k) for i in range(a.ndim))
    return vals[keep], idx[keep]


@st.composite
def _histogram(draw):
    a = draw(arrays(st.tuples(st.integers(1, 12))))
    return Example((a,), {"bins": draw(st.integers(1, 6))})


def _np_histogram(a, bins):
    return tuple(r.astype(a.dtype) for r in np.histogram(a, bins))


CASES = [
    Case(
        "histogram",
        _histogram(),
        lambda m, x, bins: tuple(m.histogram(x, bins)),
        _np_histogram,
        grad=False,
    ),
    Case("sum", reduction(), lambda m, x, dim, keepdim: x.sum(dim, keepdim), _np_reduce(np.sum)),
    Case(
        "sum_all", reduction(), lambda m, x, dim, keepdim: m.sum(x), lambda a, dim, keepdim: a.sum()
    ),
    Case(
        "mean",
        reduction(),
        lambda m, x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim),
        _np_reduce(np.mean),
    ),
    Case(
        "var",
        _variance(),
        lambda m, x, dim, keepdim, correction: x.var(
            dim=dim, correction=correction, keepdim=keepdim
        ),
        _np_var,
    ),
    Case(
        "var_unbiased_flag",
        _variance(min_count=2),
        lambda m, x, dim, keepdim, correction: x.var(
            dim=dim, unbiased=correction == 1, keepdim=keepdim
        ),
        lambda a, dim, keepdim, correction: _np_var(a, dim, keepdim, int(correction == 1)),
    ),
    Case(
        "std",
        _variance("distinct", min_count=2),
        lambda m, x, dim, keepdim, correction: x.std(
            dim=dim, correction=correction, keepdim=keepdim
        ),
        lambda a, dim, keepdim, correction: np.sqrt(_np_var(a, dim, keepdim, correction)),
    ),
    Case(
        "std_default",
        reduction("distinct", allow_tuple=False).filter(
            lambda e: _reduced_count(e.arrays[0].shape, e.params["dim"]) >= 2
        ),
        lambda m, x, dim, keepdim: x.std() if dim is None else x.std(dim),
        lambda a, dim, keepdim: np.std(a, axis=np_axis(a, dim), ddof=1),
    ),
    Case(
        "amax",
        reduction("distinct"),
        lambda m, x, dim, keepdim: x.amax(dim, keepdim),
        _np_reduce(np.max),
    ),
    Case(
        "amin",
        reduction("distinct"),
        lambda m, x, dim, keepdim: m.amin(x, dim=dim, keepdim=keepdim),
        _np_reduce(np.min),
    ),
    Case(
        "max_all",
        reduction("distinct"),
        lambda m, x, dim, keepdim: x.max(),
        lambda a, dim, keepdim: a.max(),
    ),
    Case(
        "min_all",
        reduction("distinct"),
        lambda m, x, dim, keepdim: m.min(x),
        lambda a, dim, keepdim: a.min(),
    ),
    Case(
        "max_dim",
        reduction("distinct", allow_none=False, allow_tuple=False),
        lambda m, x, dim, keepdim: x.max(dim, keepdim=keepdim),
        _np_extreme_along(np.max, np.argmax),
    ),
    Case(
        "min_dim",
        reduction("distinct", allow_none=False, allow_tuple=False),
        lambda m, x, dim, keepdim: x.min(dim=dim, keepdim=keepdim),
        _np_extreme_along(np.min, np.argmin),
    ),
    Case(
        "argmax",
        reduction("distinct", allow_tuple=False),
        lambda m, x, dim, keepdim: x.argmax(dim, keepdim=keepdim),
        lambda a, dim, keepdim: _np_arg(np.argmax, a, dim, keepdim),
        grad=False,
    ),
    Case(
        "argmin",
        reduction("distinct", allow_tuple=False),
        lambda m, x, dim, keepdim: m.argmin(x, dim=dim, keepdim=keepdim),
        lambda a, dim, keepdim: _np_arg(np.argmin, a, dim, keepdim),
        grad=False,
    ),
    Case(
        "logsumexp",
        reduction(allow_none=False),
        lambda m, x, dim, keepdim: x.logsumexp(dim, keepdim=keepdim),
        _np_logsumexp,
    ),
    Case(
        "cumsum",
        _along(),
        lambda m, x, dim: x.cumsum(dim),
        lambda a, dim: np.cumsum(a, axis=dim) if a.ndim else a,
    ),
    Case("softmax", _along(), lambda m, x, dim: x.softmax(dim), _np_softmax),
    Case("log_softmax", _along(), lambda m, x, dim: m.log_softmax(x, dim), _np_log_softmax),
    Case(
        "sort",
        _along("distinct", descending=st.booleans()),
        lambda m, x, dim, descending: x.sort(dim=dim, descending=descending),
        _np_sort,
    ),
    Case(
        "topk",
        _topk(),
        lambda m, x, dim, largest, k: x.topk(k, dim=dim, largest=largest),
        _np_topk,
    ),
]

test_op, test_gradgradcheck, test_float32 = op_tests(CASES)


def _np_arg(fn, a, dim, keepdim):
    if dim is None or a.ndim == 0:
        out = np.array(fn(a.reshape(-1)))
        return out.reshape((1,) * a.ndim) if keepdim else out
    return fn(a, axis=dim, keepdims=keepdim)


# ---- ties: how the gradient is shared -------------------------------------------------------------
def test_amax_and_max_split_ties_evenly_but_max_dim_picks_one():
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    x = leaf(data)
    x.amax(dim=1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]])
    x.grad = None
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.5, 0.5], [0.0, 0.0, 0.0]])
    x.grad = None
    values, indices = x.max(dim=1)
    values.sum().backward()
    # the index PyTorch reports for a tie is the first one; the gradient goes there alone
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_indices_carry_no_gradient():
    x = leaf(np.array([3.0, 1.0, 2.0]))
    for idx in (x.argmax(), x.max(0).indices, x.sort().indices, x.topk(2).indices):
        assert idx.dtype is minigrad.int64
        assert not idx.requires_grad


def test_var_with_too_few_elements_is_nan_or_inf_like_pytorch():
    x = leaf(np.array([2.0]), requires_grad=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert not np.isfinite(x.var().item())
    assert x.var(correction=0).item() == 0.0


def test_mean_of_integers_is_refused():
    with pytest.raises(minigrad.DTypeError, match="mean"):
        minigrad.arange(4).mean()


def test_sum_of_bool_counts():
    x = minigrad.tensor([True, False, True])
    assert x.sum().dtype is minigrad.int64
    assert x.sum().item() == 2


@given(ex=_along())
def test_softmax_rows_are_distributions(ex):
    (a,) = ex.arrays
    p = leaf(a * 50.0, requires_grad=False).softmax(ex.params["dim"]).numpy()
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=np_axis(a, ex.params["dim"])), 1.0, rtol=1e-12)


def test_logsumexp_and_softmax_are_stable_for_large_inputs():
    x = leaf(np.array([1000.0, 1000.0, -1000.0]), requires_grad=False)
    np.testing.assert_allclose(x.logsumexp(0).item(), 1000.0 + np.log(2.0))
    np.testing.assert_allclose(x.softmax(0).numpy(), [0.5, 0.5, 0.0])
    np.testing.assert_allclose(x.log_softmax(0).numpy()[:2], [-np.log(2.0)] * 2)


# ---- sampling helpers --------------------------------------------------------------------------
def test_multinomial_with_replacement_follows_the_probabilities():
    minigrad.manual_seed(0)
    probs = minigrad.tensor([0.1, 0.0, 0.6, 0.3])
    draws = minigrad.multinomial(probs, 20000, replacement=True).numpy()
    assert draws.dtype == np.int64 and draws.shape == (20000,)
    freq = np.bincount(draws, minlength=4) / draws.size
    assert freq[1] == 0.0  # a zero-probability category is never drawn
    # 20000 draws: each frequency is within 4 standard deviations of its probability
    np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=4 * np.sqrt(0.25 / 20000))


@given(rows=st.integers(1, 3), cats=st.integers(2, 6), seed=st.integers(0, 2**16))
def test_multinomial_without_replacement_draws_distinct_categories(rows, cats, seed):
    minigrad.manual_seed(seed)
    probs = minigrad.rand(rows, cats) + 0.01
    out = minigrad.multinomial(probs, cats, replacement=False).numpy()
    assert out.shape == (rows, cats)
    for row in out:
        assert sorted(row.tolist()) == list(range(cats))


def test_multinomial_is_reproducible_with_manual_seed():
    probs = minigrad.tensor([[0.2, 0.3, 0.5], [0.5, 0.5, 0.0]])
    minigrad.manual_seed(7)
    first = minigrad.multinomial(probs, 5, replacement=True).tolist()
    minigrad.manual_seed(7)
    assert minigrad.multinomial(probs, 5, replacement=True).tolist() == first


def test_multinomial_refuses_bad_probabilities():
    with pytest.raises(ValueError, match="multinomial"):
        minigrad.multinomial(minigrad.tensor([0.5, -0.1]), 1)
    with pytest.raises(ValueError, match="multinomial"):
        minigrad.multinomial(minigrad.tensor([0.5, 0.5]), 3, replacement=False)
