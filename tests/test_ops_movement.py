"""Ops that move data: shape ops, indexing (read and write), gather/scatter, joins and masks.

Indices are drawn per axis: ints (negative too), slices with steps, None, Ellipsis, and one
advanced index (an int list with repeats, an int tensor, or a boolean mask). Repeated indices
must accumulate their gradients.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    Case,
    Example,
    arrays,
    broadcastable,
    leaf,
    one,
    op_tests,
    shapes,
)

import minigrad

MAX_OUT = 48  # cap on outputs that grow (expand, repeat): one backward pass per element


def _seeded(draw):
    """A NumPy generator seeded by Hypothesis, for index arrays and masks."""
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))


def _signed(draw, d, ndim):
    """``d`` or its negative alias ``d - ndim``."""
    return d - ndim if draw(st.booleans()) else d


# ---- shape ops ---------------------------------------------------------------------------------
@st.composite
def _reshape(draw, contiguous=False):
    a = draw(arrays(shapes(), contiguous=contiguous))
    shape = list(draw(shapes(numel=a.size)))
    if shape and draw(st.booleans(), label="infer"):
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return Example((a,), {"shape": tuple(shape)})


@st.composite
def _permute(draw):
    a = draw(arrays(shapes()))
    order = draw(st.permutations(range(a.ndim)))
    return Example((a,), {"dims": tuple(_signed(draw, d, a.ndim) for d in order)})


@st.composite
def _two_dims(draw, min_dims=0):
    a = draw(arrays(shapes(min_dims=min_dims)))
    rank = max(a.ndim, 1)
    d = st.integers(-rank, rank - 1)
    return Example((a,), {"dim0": draw(d), "dim1": draw(d)})


@st.composite
def _unsqueeze(draw):
    a = draw(arrays(shapes(max_dims=3)))
    return Example((a,), {"dim": draw(st.integers(-a.ndim - 1, a.ndim))})


@st.composite
def _expand(draw):
    a = draw(arrays(shapes(max_dims=3)))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = [draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1])) for n in a.shape]
    target = tuple(lead + sizes)
    full = [abs(s) if s != -1 else n for s, n in zip(sizes, a.shape)]
    if math.prod(lead + full) > MAX_OUT:
        target = a.shape
    return Example((a,), {"sizes": target})


@st.composite
def _flatten(draw):
    a = draw(arrays(shapes()))
    rank = max(a.ndim, 1)
    start = draw(st.integers(0, rank - 1))
    end = draw(st.integers(start, rank - 1))
    return Example((a,), {"start": _signed(draw, start, rank), "end": _signed(draw, end, rank)})


@st.composite
def _split(draw):
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    if draw(st.booleans(), label="sections"):
        cuts = sorted(draw(st.lists(st.integers(0, n), max_size=3)))
        sizes = [b - e for b, e in zip([*cuts, n], [0, *cuts])]
        return Example((a,), {"split": sizes, "dim": dim})
    return Example((a,), {"split": draw(st.integers(1, n + 1)), "dim": dim})


def _np_split(a, split, dim):
    n = a.shape[dim]
    sizes = split if isinstance(split, list) else [min(split, n - i) for i in range(0, n, split)]
    return np.split(a, np.cumsum(sizes)[:-1], axis=dim)


@st.composite
def _chunk(draw):
    a = draw(arrays(shapes(min_dims=1)))
    return Example(
        (a,), {"chunks": draw(st.integers(1, 6)), "dim": draw(st.integers(-a.ndim, a.ndim - 1))}
    )


def _np_chunk(a, chunks, dim):
    step = max(1, -(-a.shape[dim] // chunks))
    return _np_split(a, step, dim)


@st.composite
def _repeat(draw):
    a = draw(arrays(shapes(max_dims=3)))
    reps = draw(st.lists(st.integers(1, 3), min_size=a.ndim, max_size=a.ndim + 2))
    if a.size * math.prod(reps) > MAX_OUT:
        reps = [1] * len(reps)
    return Example((a,), {"sizes": tuple(reps)})


@st.composite
def _flip(draw):
    a = draw(arrays(shapes(min_dims=1)))
    axes = draw(st.lists(st.integers(0, a.ndim - 1), unique=True))
    return Example((a,), {"dims": tuple(_signed(draw, d, a.ndim) for d in axes)})


@st.composite
def _narrow(draw):
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    start = draw(st.integers(0, a.shape[dim]))
    length = draw(st.integers(0, a.shape[dim] - start))
    return Example((a,), {"dim": dim, "start": start, "length": length})


@st.composite
def _select(draw):
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    n = a.shape[dim]
    return Example((a,), {"dim": dim, "index": draw(st.integers(-n, n - 1))})


def _np_flatten(a, start, end):
    if a.ndim == 0:
        return a.reshape(1)
    start, end = start % a.ndim, end % a.ndim
    return a.reshape(a.shape[:start] + (-1,) + a.shape[end + 1 :])


def _np_expand(a, sizes):
    lead = len(sizes) - a.ndim
    full = [n if s == -1 else s for s, n in zip(sizes, (None,) * lead + a.shape)]
    return np.broadcast_to(a, full)


def _np_squeeze(a, dim):
    if dim is None:
        return np.squeeze(a)
    axes = (dim,) if isinstance(dim, int) else dim
    return np.squeeze(a, tuple(d % max(a.ndim, 1) for d in axes if a.ndim and a.shape[d] == 1))


@st.composite
def _squeeze(draw):
    a = draw(arrays(shapes(max_dims=4)))
    rank = max(a.ndim, 1)
    dim = draw(
        st.none()
        | st.integers(-rank, rank - 1)
        | st.lists(st.integers(0, rank - 1), unique=True, min_size=1).map(tuple),
        label="dim",
    )
    return Example((a,), {"dim": dim})


def _np_transpose(a, dim0, dim1):
    return np.swapaxes(a, dim0, dim1) if a.ndim else a


SHAPE_CASES = [
    Case(
        "reshape",
        _reshape(),
        lambda m, x, shape: x.reshape(shape),
        lambda a, shape: a.reshape(shape),
    ),
    Case(
        "view",
        _reshape(contiguous=True),
        lambda m, x, shape: x.view(shape),
        lambda a, shape: a.reshape(shape),
    ),
    Case(
        "permute", _permute(), lambda m, x, dims: x.permute(dims), lambda a, dims: a.transpose(dims)
    ),
    Case("transpose", _two_dims(), lambda m, x, dim0, dim1: x.transpose(dim0, dim1), _np_transpose),
    Case("T", one(shape=shapes(min_dims=2, max_dims=2)), lambda m, x: x.T, lambda a: a.T),
    Case("mT", one(shape=shapes(min_dims=2)), lambda m, x: x.mT, lambda a: np.swapaxes(a, -1, -2)),
    Case("contiguous", one(), lambda m, x: x.contiguous(), lambda a: a),
    Case(
        "squeeze",
        _squeeze(),
        lambda m, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
        _np_squeeze,
    ),
    Case(
        "unsqueeze",
        _unsqueeze(),
        lambda m, x, dim: x.unsqueeze(dim),
        lambda a, dim: np.expand_dims(a, dim),
    ),
    Case("expand", _expand(), lambda m, x, sizes: x.expand(sizes), _np_expand),
    Case(
        "expand_as",
        _expand(),
        lambda m, x, sizes: x.expand_as(m.zeros(_np_expand(np.zeros(x.shape), sizes).shape)),
        _np_expand,
    ),
    Case("flatten", _flatten(), lambda m, x, start, end: x.flatten(start, end), _np_flatten),
    Case("split", _split(), lambda m, x, split, dim: x.split(split, dim), _np_split),
    Case("chunk", _chunk(), lambda m, x, chunks, dim: x.chunk(chunks, dim), _np_chunk),
    Case(
        "repeat",
        _repeat(),
        lambda m, x, sizes: x.repeat(sizes),
        lambda a, sizes: np.tile(a, sizes),
    ),
    Case(
        "flip",
        _flip(),
        lambda m, x, dims: x.flip(dims),
        lambda a, dims: np.flip(a, dims) if dims else a,
    ),
    Case(
        "flip_dims_keyword",
        _flip(),
        lambda m, x, dims: m.flip(x, dims=dims),
        lambda a, dims: np.flip(a, dims) if dims else a,
    ),
    Case(
        "narrow",
        _narrow(),
        lambda m, x, dim, start, length: x.narrow(dim, start, length),
        lambda a, dim, start, length: np.take(a, np.arange(start, start + length), axis=dim),
    ),
    Case(
        "select",
        _select(),
        lambda m, x, dim, index: x.select(dim, index),
        lambda a, dim, index: np.take(a, index, dim),
    ),
    Case(
        "unbind",
        _select(),
        lambda m, x, dim, index: x.unbind(dim),
        lambda a, dim, index: tuple(np.moveaxis(a, dim, 0)),
    ),
]


# ---- indexing ----------------------------------------------------------------------------------
BASIC = ("int", "slice")
ADVANCED = ("list", "array", "mask")


def _axis_index(draw, rng, n, kinds, repeats):
    """One axis's part of an index, of one of ``kinds``: an int, a slice, an int list, an int
    array or a boolean mask (``repeats``: index lists and arrays may repeat entries)."""
    kind = draw(st.sampled_from(kinds), label="part")
    if kind == "int":
        return draw(st.integers(-n, n - 1))
    if kind == "slice":
        bound = st.none() | st.integers(-n - 1, n + 1)
        return slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3)))
    if kind == "mask":
        return rng.random(n) < 0.5
    size = draw(st.integers(1, 4)) if repeats else draw(st.integers(1, n))
    picked = (
        rng.integers(-n, n, size)
        if repeats
        else rng.permutation(n)[:size] - n * rng.integers(0, 2, size)
    )
    if kind == "list":
        return [int(i) for i in picked]
    return picked.reshape(draw(st.sampled_from([(size,), (1, size)])))


@st.composite
def _index(draw, shape, advanced=True, repeats=True):
    """An index for ``shape``: leading parts, maybe ``...`` and trailing parts, maybe ``None``s.

    At most one advanced part, and then no int parts: NumPy treats ints next to an index array
    as index arrays too, while PyTorch applies them first (``_ints_and_array``).
    """
    rng = _seeded(draw)
    ndim = len(shape)
    lead = draw(st.integers(0, ndim))
    trail = draw(st.integers(0, ndim - lead)) if draw(st.booleans(), label="ellipsis") else None
    axes = list(range(lead)) + ([] if trail is None else list(range(ndim - trail, ndim)))
    adv_axis = draw(st.sampled_from(axes)) if advanced and axes and draw(st.booleans()) else None
    parts = []
    for axis in axes:
        if axis == adv_axis:
            parts.append(_axis_index(draw, rng, shape[axis], ADVANCED, repeats))
        else:
            part = _axis_index(draw, rng, shape[axis], BASIC, repeats)
            parts.append(
                slice(None, None, 2) if adv_axis is not None and isinstance(part, int) else part
            )
    if trail is not None:
        parts.insert(lead, Ellipsis)
    for _ in range(draw(st.integers(0, 2), label="nones")):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if len(parts) == 1 and draw(st.booleans(), label="bare"):
        return parts[0]
    return tuple(parts)


@st.composite
def _ints_and_array(draw, value=False):
    """``x[i, :, array]``: an int, later a slice, later an index array; other axes basic.

    NumPy is no reference here: it treats the int as an index array too and, as a slice
    separates the two, moves the indexed axes to the front. PyTorch applies the int first, so
    only the parity test checks the values. With ``value``, also a value to assign there
    (and no repeated indices, whose assignment order is undefined).
    """
    a = draw(arrays(shapes(min_dims=3)))
    rng = _seeded(draw)
    at_int, at_slice, at_array = sorted(draw(st.permutations(range(a.ndim)))[:3])
    kinds = {at_int: ("int",), at_slice: ("slice",), at_array: ADVANCED}
    index = tuple(
        _axis_index(draw, rng, n, kinds.get(axis, BASIC), not value)
        for axis, n in enumerate(a.shape)
    )
    if not value:
        return Example((a,), {"index": index})
    ints = tuple(p if isinstance(p, int) else slice(None) for p in index)
    target = a[ints][tuple(p for p in index if not isinstance(p, int))].shape  # PyTorch's
    return Example((a, draw(arrays(target))), {"index": index})


def _as_index(m, index):
    """An index with its NumPy arrays turned into tensors of library ``m`` (lists stay lists)."""
    if isinstance(index, tuple):
        return tuple(_as_index(m, p) for p in index)
    return m.tensor(index) if isinstance(index, np.ndarray) else index


@st.composite
def _getitem(draw):
    a = draw(arrays(shapes(min_dims=1)))
    return Example((a,), {"index": draw(_index(a.shape), label="index")})


@st.composite
def _getitem_mask(draw):
    a = draw(arrays(shapes(min_dims=1)))
    return Example((a,), {"index": _seeded(draw).random(a.shape) < 0.5})


@st.composite
def _getitem_two_arrays(draw):
    """``x[i, j]`` with two int arrays that broadcast together (repeats allowed)."""
    a = draw(arrays(shapes(min_dims=2)))
    rng = _seeded(draw)
    (si, sj), _ = draw(broadcastable(2, min_dims=1, max_dims=2, max_numel=6))
    i = rng.integers(-a.shape[0], a.shape[0], si)
    j = rng.integers(0, a.shape[1], sj)
    return Example((a,), {"index": (i, j)})


@st.composite
def _setitem(draw, scalar=False):
    """``y = x.clone(); y[index] = v`` with v broadcastable to ``y[index]`` (no repeats)."""
    a = draw(arrays(shapes(min_dims=1)))
    index = draw(_index(a.shape, repeats=False), label="index")
    target = a[index].shape
    if scalar:
        return Example((a,), {"index": index})
    lead = draw(st.integers(0, len(target)))
    ones = draw(st.lists(st.booleans(), min_size=len(target), max_size=len(target)))
    v_shape = tuple(1 if o else n for o, n in zip(ones, target))[lead:]
    return Example((a, draw(arrays(v_shape))), {"index": index})


def _setitem_fn(m, x, v, index):
    y = x.clone()
    y[_as_index(m, index)] = v
    return y


def _setitem_ref(a, v, index):
    y = a.copy()
    y[index] = v
    return y


def _setitem_into_constant(m, v, index, shape):
    y = m.zeros(shape, dtype=v.dtype)
    y[_as_index(m, index)] = v
    return y


@st.composite
def _into_constant(draw):
    ex = draw(_setitem())
    return Example(ex.arrays[1:], dict(ex.params, shape=ex.arrays[0].shape))


def _scalar_set(m, x, index):
    y = x * 1.0
    y[_as_index(m, index)] = 0.25
    return y


def _scalar_set_ref(a, index):
    y = a.copy()
    y[index] = 0.25
    return y


INDEX_CASES = [
    Case(
        "getitem", _getitem(), lambda m, x, index: x[_as_index(m, index)], lambda a, index: a[index]
    ),
    Case(
        "getitem_ints_and_array",
        _ints_and_array(),
        lambda m, x, index: x[_as_index(m, index)],
        None,
    ),
    Case(
        "getitem_mask",
        _getitem_mask(),
        lambda m, x, index: x[m.tensor(index)],
        lambda a, index: a[index],
    ),
    Case(
        "getitem_two_arrays",
        _getitem_two_arrays(),
        lambda m, x, index: x[_as_index(m, index)],
        lambda a, index: a[index],
    ),
    Case("setitem", _setitem(), _setitem_fn, _setitem_ref),
    Case("setitem_scalar", _setitem(scalar=True), _scalar_set, _scalar_set_ref),
    Case(
        "setitem_into_constant",
        _into_constant(),
        _setitem_into_constant,
        lambda v, index, shape: _setitem_ref(np.zeros(shape), v, index),
    ),
    Case("setitem_ints_and_array", _ints_and_array(value=True), _setitem_fn, None),
]


# ---- gather, masks, joins ------------------------------------------------------------------------
@st.composite
def _gather(draw):
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    shape = tuple(
        draw(st.integers(1, 4)) if i == dim % a.ndim else draw(st.integers(1, n))
        for i, n in enumerate(a.shape)
    )
    index = _seeded(draw).integers(0, a.shape[dim], shape)
    return Example((a,), {"dim": dim, "index": index})


@st.composite
def _index_select(draw):
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    size = draw(st.integers(0, 4))
    return Example((a,), {"dim": dim, "index": _seeded(draw).integers(0, a.shape[dim], size)})


@st.composite
def _masked(draw, tensor_value=False):
    (mask_shape, x_shape), full = draw(broadcastable(2))
    a = draw(arrays(full))
    mask = _seeded(draw).random(draw(st.sampled_from([mask_shape, full]))) < 0.5
    extra = (draw(arrays(())),) if tensor_value else ()
    return Example((a, *extra), {"mask": mask})


@st.composite
def _joined(draw, same_shape):
    base = draw(shapes(min_dims=1, max_numel=8))
    dim = draw(st.integers(-len(base), len(base) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        shape = list(base)
        if not same_shape:
            shape[dim] = draw(st.integers(1, 3))
        parts.append(draw(arrays(tuple(shape))))
    if same_shape:
        dim = draw(st.integers(-len(base) - 1, len(base)))
    return Example(tuple(parts), {"dim": dim})


@st.composite
def _where(draw):
    (c, a, b), _ = draw(broadcastable(3))
    cond = _seeded(draw).random(c) < 0.5
    return Example((draw(arrays(a)), draw(arrays(b))), {"cond": cond})


@st.composite
def _triangle(draw):
    a = draw(arrays(shapes(min_dims=2)))
    return Example((a,), {"diagonal": draw(st.integers(-3, 3))})


def _np_gather(a, dim, index):
    return (
        np.take_along_axis(a, index, dim) if index.shape == a.shape else _slow_gather(a, dim, index)
    )


def _slow_gather(a, dim, index):
    out = np.empty(index.shape)
    for pos in np.ndindex(index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = a[tuple(src)]
    return out


@st.composite
def _scatter(draw, tensor_src=True, repeats=False):
    """x, an index no larger than x (but along ``dim``), and src of the index's shape. Unless
    ``repeats``, no place is written twice (which write wins is undefined in PyTorch)."""
    a = draw(arrays(shapes(min_dims=1)))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    d = dim % a.ndim
    shape = tuple(draw(st.integers(1, n)) for n in a.shape)
    rng = _seeded(draw)
    if repeats:
        index = rng.integers(0, a.shape[d], shape)
    else:  # along dim, each line of the index is part of a permutation
        lines = np.moveaxis(np.empty(shape, dtype=np.int64), d, -1)
        for pos in np.ndindex(lines.shape[:-1]):
            lines[pos] = rng.permutation(a.shape[d])[: shape[d]]
        index = np.moveaxis(lines, -1, d).copy()
    src = (draw(arrays(shape)),) if tensor_src else ()
    return Example((a, *src), {"dim": dim, "index": index})


def _np_index_fill(a, dim, index, value):
    out = a.copy()
    out[(slice(None),) * (dim % a.ndim) + (index,)] = value
    return out


def _np_scatter(a, src, dim, index, add=False):
    out = a.copy()
    for pos in np.ndindex(index.shape):
        dst = list(pos)
        dst[dim % a.ndim] = index[pos]
        value = src if np.ndim(src) == 0 else src[pos]
        out[tuple(dst)] = out[tuple(dst)] + value if add else value
    return out


@st.composite
def _roll(draw):
    a = draw(arrays(shapes()))
    if a.ndim == 0 or draw(st.booleans(), label="flat"):
        return Example((a,), {"shifts": draw(st.integers(-7, 7)), "dims": None})
    dims = draw(st.lists(st.integers(-a.ndim, a.ndim - 1), min_size=1, max_size=a.ndim))
    dims = tuple(dict.fromkeys(d % a.ndim for d in dims))
    shifts = tuple(draw(st.integers(-7, 7)) for _ in dims)
    return Example((a,), {"shifts": shifts, "dims": dims})


@st.composite
def _with_zeros(draw):
    a = draw(arrays(shapes()))
    return Example((np.where(_seeded(draw).random(a.shape) < 0.4, 0.0, a),))


@st.composite
def _repeats(draw, with_dim=False):
    """An array with repeated values (rounded), and for ``with_dim`` an axis of at least one."""
    a = np.asarray(np.round(draw(arrays(shapes(min_dims=1 if with_dim else 0)))))
    if not with_dim:
        return Example((a,))
    return Example((a,), {"dim": draw(st.integers(0, a.ndim - 1))})


def _np_unique(a, dim=None):
    values, inverse, counts = np.unique(
        a, return_inverse=True, return_counts=True, axis=dim, equal_nan=False
    )
    return values, inverse.reshape(a.shape if dim is None else -1), counts


def _np_tri(fn):
    return lambda a, diagonal: fn(np.ones(a.shape[-2:]), diagonal).astype(bool) * a


JOIN_CASES = [
    Case(
        "gather",
        _gather(),
        lambda m, x, dim, index: x.gather(dim, m.tensor(index)),
        lambda a, dim, index: _np_gather(a, dim % a.ndim, index),
    ),
    Case(
        "scatter",
        _scatter(),
        lambda m, x, src, dim, index: x.scatter(dim, m.tensor(index), src),
        lambda a, src, dim, index: _np_scatter(a, src, dim, index),
    ),
    Case(
        "scatter_value",
        _scatter(tensor_src=False),
        lambda m, x, dim, index: x.scatter(dim, m.tensor(index), -0.5),
        lambda a, dim, index: _np_scatter(a, -0.5, dim, index),
    ),
    Case(
        "scatter_add",
        _scatter(repeats=True),
        lambda m, x, src, dim, index: m.scatter_add(x, dim, m.tensor(index), src),
        lambda a, src, dim, index: _np_scatter(a, src, dim, index, add=True),
    ),
    Case(
        "index_fill",
        _index_select(),
        lambda m, x, dim, index: x.index_fill(dim, m.tensor(index), 0.25),
        lambda a, dim, index: _np_index_fill(a, dim, index, 0.25),
    ),
    Case(
        "roll",
        _roll(),
        lambda m, x, shifts, dims: m.roll(x, shifts, dims),
        lambda a, shifts, dims: np.roll(a, shifts, dims),
    ),
    Case(
        "nonzero",
        _with_zeros(),
        lambda m, x: (x.nonzero(), *m.nonzero(x, as_tuple=True), *m.where(x != 0)),
        lambda a: (np.argwhere(a), *[*np.nonzero(a.reshape(-1) if a.ndim == 0 else a)] * 2),
        grad=False,
    ),
    Case(
        "unique",
        _repeats(),
        lambda m, x: x.unique(return_inverse=True, return_counts=True),
        _np_unique,
        grad=False,
    ),
    Case(
        "unique_dim",
        _repeats(with_dim=True),
        lambda m, x, dim: m.unique(x, dim=dim, return_inverse=True, return_counts=True),
        _np_unique,
        grad=False,
    ),
    Case(
        "index_select",
        _index_select(),
        lambda m, x, dim, index: x.index_select(dim, m.tensor(index)),
        lambda a, dim, index: np.take(a, index, axis=dim),
    ),
    Case(
        "masked_fill",
        _masked(),
        lambda m, x, mask: x.masked_fill(m.tensor(mask), -0.75),
        lambda a, mask: np.where(mask, -0.75, a),
    ),
    Case(
        "masked_select",
        _masked(),
        lambda m, x, mask: x.masked_select(m.tensor(mask)),
        lambda a, mask: np.broadcast_to(a, np.broadcast_shapes(a.shape, mask.shape))[
            np.broadcast_to(mask, np.broadcast_shapes(a.shape, mask.shape))
        ],
    ),
    Case(
        "masked_fill_tensor_value",
        _masked(tensor_value=True),
        lambda m, x, v, mask: x.masked_fill(m.tensor(mask), v),
        lambda a, v, mask: np.where(mask, v, a),
    ),
    Case(
        "cat",
        _joined(False),
        lambda m, *xs, dim: m.cat(xs, dim),
        lambda *a, dim: np.concatenate(a, dim),
    ),
    Case(
        "stack",
        _joined(True),
        lambda m, *xs, dim: m.stack(xs, dim=dim),
        lambda *a, dim: np.stack(a, dim),
    ),
    Case(
        "where",
        _where(),
        lambda m, a, b, cond: m.where(m.tensor(cond), a, b),
        lambda a, b, cond: np.where(cond, a, b),
    ),
    Case("tril", _triangle(), lambda m, x, diagonal: x.tril(diagonal), _np_tri(np.tril)),
    Case("triu", _triangle(), lambda m, x, diagonal: m.triu(x, diagonal), _np_tri(np.triu)),
]

CASES = SHAPE_CASES + INDEX_CASES + JOIN_CASES

test_op, test_gradgradcheck, test_float32 = op_tests(CASES)


# ---- semantics beyond values -------------------------------------------------------------------
def test_repeated_indices_accumulate_gradients():
    x = leaf(np.arange(4.0))
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0, 0.0])
    x.grad = None
    x[minigrad.tensor([[1, 1], [1, 3]])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 3.0, 0.0, 1.0])
    x.grad = None
    x.index_select(0, minigrad.tensor([2, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 2.0, 0.0])


def test_int_and_array_index_applies_ints_first_like_pytorch():
    # NumPy would move the array's axis to the front ((2, 3)); PyTorch selects with the int first
    x = leaf(np.arange(24.0).reshape(2, 3, 4))
    out = x[0, :, [1, 2]]
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(
        out.detach().numpy(), np.arange(24.0).reshape(2, 3, 4)[0][:, [1, 2]]
    )
    out.sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[0, :, 1:3] = 1.0
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_views_share_memory_and_version():
    base = minigrad.zeros(2, 3)
    for view in (base[0], base[:, 1], base.view(6), base.T, base.unsqueeze(0), base[..., None]):
        before = base._version.value
        with minigrad.no_grad():
            view.add_(1.0)
        assert base._version.value > before
    # +1 everywhere from four whole-tensor views, and row 0 and column 1 once more
    np.testing.assert_array_equal(base.numpy(), [[5.0, 6.0, 5.0], [4.0, 5.0, 4.0]])


def test_an_element_is_a_view_too():
    x = minigrad.zeros(2, 3)
    with minigrad.no_grad():
        x[1, 2].add_(5.0)
        x[0][1].fill_(2.0)
    assert x.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 5.0]]


def test_a_reshape_that_copies_does_not_share_the_version_counter():
    x = leaf(np.arange(6.0).reshape(3, 2).T)  # transposed: reshape(-1) must copy
    h = x * 1.0
    y = (h * h).sum()  # saves h
    flat = h.reshape(-1)
    with minigrad.no_grad():
        flat.add_(1.0)  # changes the copy only
    np.testing.assert_array_equal(h.detach().numpy(), np.arange(6.0).reshape(3, 2).T)
    y.backward()  # h was not modified: no version error, as in PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(6.0).reshape(3, 2).T)


def test_view_of_a_non_contiguous_tensor_refuses_and_names_reshape():
    x = minigrad.zeros(3, 4).T
    with pytest.raises(minigrad.ShapeError, match="reshape"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_setitem_gradient_reaches_both_sides():
    x = leaf(np.ones((2, 3)))
    v = leaf(np.array([2.0, 3.0]))
    y = x * 1.0
    y[:, 1] = v
    (y * leaf(np.arange(6.0).reshape(2, 3), requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 2.0], [3.0, 0.0, 5.0]])
    np.testing.assert_array_equal(v.grad.numpy(), [1.0, 4.0])


def test_index_errors_name_the_shape():
    x = minigrad.zeros(2, 3)
    with pytest.raises(minigrad.IndexOutOfRange, match=r"\[2, 3\]"):
        x[5]
    with pytest.raises(minigrad.DTypeError):
        x[minigrad.tensor([0.0])]


@given(ex=_reshape())
def test_reshape_round_trips(ex):
    (a,) = ex.arrays
    x = leaf(a, requires_grad=False)
    np.testing.assert_array_equal(x.reshape(ex.params["shape"]).reshape(a.shape).numpy(), a)


@given(a=arrays(shapes(min_dims=1)), data=st.data())
def test_split_pieces_cat_back(a, data):
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = leaf(a, requires_grad=False)
    pieces = x.split(data.draw(st.integers(1, a.shape[dim])), dim)
    np.testing.assert_array_equal(minigrad.cat(pieces, dim).numpy(), a)
    np.testing.assert_array_equal(minigrad.stack(x.unbind(dim), dim).numpy(), a)
