"""Shared test support: Hypothesis strategies for op inputs, and the op-case tables' machinery.

Strategies draw NumPy float64 arrays (the reference side) that the tests turn into minigrad or
PyTorch tensors with the same values and the same memory layout:

- ``shapes``: 0-d to 4-d, sides 1-5, with a cap on the element count so that full-Jacobian
  gradient checks (one backward pass per output element) stay fast.
- ``broadcastable``: shapes that broadcast together, with size-1 axes and missing leading axes.
- ``arrays``: values of a chosen kind (see ``KINDS``) in a possibly non-contiguous layout: a
  transposed view of data drawn in permuted order, or a strided view (every second element).
- ``Case``: one row of an op table: how to draw its inputs, how to call it on minigrad or torch
  (the same code, since minigrad follows PyTorch's API), and a NumPy reference.

Values avoid the points where an op is not differentiable, because finite differences there
disagree with any one-sided derivative: logs and roots see values >= 0.1, and ops with kinks
(abs, relu, clamp, max, sort, ...) see values on a grid that never hits 0, a clamp bound, or
each other (``"distinct"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck

MAX_NUMEL = 24  # per drawn tensor; a full Jacobian is then at most 24 x 24
MAX_SIDE = 5

# The grid of "distinct" values: k * 0.1 + 0.037, so never 0, never a multiple of 0.05 (clamp
# bounds in the tables are), and any two differ by at least 0.1 - far beyond gradcheck's eps.
GRID_STEP = 0.1
GRID_OFFSET = 0.037
# A second grid, halfway between the first one's points: a value from each never tie.
GRID_OFFSET_B = 0.087

KINDS = {
    "smooth": st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False),
    "positive": st.floats(0.1, 3.0, allow_nan=False, allow_infinity=False),
    "nonzero": st.one_of(st.floats(0.1, 2.0), st.floats(-2.0, -0.1)),
    "distinct": st.integers(-25, 24).map(lambda k: k * GRID_STEP + GRID_OFFSET),
    "distinct_b": st.integers(-25, 24).map(lambda k: k * GRID_STEP + GRID_OFFSET_B),
}


# ---- shapes -------------------------------------------------------------------------------------
@st.composite
def shapes(draw, min_dims=0, max_dims=4, min_side=1, max_side=MAX_SIDE, max_numel=MAX_NUMEL):
    """A shape of ``min_dims``..``max_dims`` axes, each ``min_side``..``max_side`` long.

    Sides are drawn one by one within what the element budget leaves, so large ranks come out
    with small sides rather than being rejected.
    """
    ndim = draw(st.integers(min_dims, max_dims))
    shape, numel = [], 1
    for i in range(ndim):
        rest = ndim - i - 1  # axes still to come need at least min_side each
        room = max_numel // (numel * min_side**rest)
        side = draw(st.integers(min_side, max(min_side, min(max_side, room))))
        shape.append(side)
        numel *= side
    return tuple(shape)


@st.composite
def broadcastable(draw, n=2, min_dims=0, max_dims=4, max_numel=MAX_NUMEL):
    """``n`` shapes that broadcast together, and the shape they broadcast to.

    Each operand is the result shape with some leading axes dropped and some axes set to 1.
    """
    result = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_numel=max_numel))
    operands = []
    for _ in range(n):
        lead = draw(st.integers(0, len(result)))
        ones = draw(st.lists(st.booleans(), min_size=len(result), max_size=len(result)))
        operands.append(tuple(1 if one else s for one, s in zip(ones, result))[lead:])
    full = tuple(np.broadcast_shapes(*operands)) if operands else ()
    return tuple(operands), full


# ---- values and layouts -------------------------------------------------------------------------
def _relayout(array: np.ndarray, layout: str, order) -> np.ndarray:
    """The same values as ``array`` in the memory layout named ``layout``."""
    if layout == "permuted":
        # draw the data in permuted axis order, then view it back: a transposed (non-C) layout
        inverse = np.argsort(order)
        return np.ascontiguousarray(array.transpose(order)).transpose(inverse)
    if layout == "strided":
        # every second element of a bigger buffer along each axis
        big = np.zeros(tuple(2 * n for n in array.shape), dtype=array.dtype)
        view = big[tuple(slice(None, None, 2) for _ in array.shape)]
        view[...] = array
        return view
    return np.ascontiguousarray(array)


@st.composite
def layouts(draw, array: np.ndarray) -> np.ndarray:
    """``array``'s values, C-contiguous, transposed or strided (0-d arrays stay as they are)."""
    if array.ndim == 0:
        return array
    layout = draw(st.sampled_from(["contiguous", "permuted", "strided"]))
    order = draw(st.permutations(range(array.ndim)))
    return _relayout(array, layout, order)


@st.composite
def arrays(draw, shape, kind="smooth", contiguous=False) -> np.ndarray:
    """A float64 array of ``shape`` with values of ``kind`` (a key of ``KINDS``).

    ``"distinct"`` values are also unique within the array, so reductions have no ties.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    unique = kind.startswith("distinct")
    array = draw(hnp.arrays(np.float64, shape, elements=KINDS[kind], unique=unique))
    return array if contiguous else draw(layouts(array))


def leaf(array, requires_grad=True) -> minigrad.Tensor:
    """A float64 minigrad leaf with ``array``'s values *and* memory layout (strides kept)."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        array = array.astype(np.float64, copy=False)
        return minigrad.from_numpy(array).requires_grad_(requires_grad)
    return minigrad.from_numpy(array)


@st.composite
def dims(draw, ndim, allow_none=True, allow_tuple=True):
    """A reduction ``dim`` for a tensor of ``ndim`` axes: None, an int (maybe negative) or a tuple."""
    rank = max(ndim, 1)
    choices = [st.integers(-rank, rank - 1)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple and ndim > 0:
        axes = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
        choices.append(axes.map(tuple))
    return draw(st.one_of(*choices))


# ---- op tables ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    """One drawn input: float arrays (the differentiable inputs) and keyword parameters."""

    arrays: tuple
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One op to test: ``fn(lib, *tensors, **params)`` with ``lib`` = minigrad or torch.

    ``draw`` is a strategy of ``Example``; ``ref(*arrays, **params)`` is the NumPy reference
    (or None when another test covers the values). ``grad`` says whether the op is
    differentiable; ``atol`` / ``rtol`` bound the forward's difference from the reference.
    """

    name: str
    draw: st.SearchStrategy
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None
    grad: bool = True
    atol: float = 1e-10
    rtol: float = 1e-10

    def __str__(self) -> str:
        return self.name


def example(array_tuples, **param_strategies) -> st.SearchStrategy:
    """An ``Example`` strategy from a strategy of array tuples and strategies of parameters."""
    return st.builds(
        lambda arrs, params: Example(tuple(arrs), params),
        array_tuples,
        st.fixed_dictionaries(param_strategies),
    )


def one(kind="smooth", shape=None, **param_strategies) -> st.SearchStrategy:
    """An ``Example`` of a single array of ``kind`` (any shape unless given) and parameters."""
    return example(st.tuples(arrays(shape or shapes(), kind)), **param_strategies)


@st.composite
def broadcast_arrays(draw, *kinds, min_dims=0, max_dims=4):
    """One array per kind, with shapes that broadcast together."""
    operand_shapes, _ = draw(broadcastable(len(kinds), min_dims=min_dims, max_dims=max_dims))
    return tuple(draw(arrays(s, k)) for s, k in zip(operand_shapes, kinds))


def as_outputs(out) -> tuple:
    """An op's result as a tuple of tensors (ops such as ``split`` return several)."""
    if isinstance(out, (tuple, list)):
        return tuple(out)
    return (out,)


def run_minigrad(case: Case, ex: Example, requires_grad=True):
    """The op on fresh minigrad leaves: (leaves, outputs)."""
    leaves = tuple(leaf(a, requires_grad) for a in ex.arrays)
    return leaves, as_outputs(case.fn(minigrad, *leaves, **ex.params))


def check_forward(case: Case, ex: Example) -> None:
    """minigrad's values equal the NumPy reference's."""
    _, outs = run_minigrad(case, ex, requires_grad=False)
    expected = as_outputs(case.ref(*ex.arrays, **ex.params))
    assert len(outs) == len(expected), f"{case}: {len(outs)} outputs, expected {len(expected)}"
    for out, want in zip(outs, expected):
        want = np.asarray(want)
        got = out.numpy()
        assert got.shape == want.shape, f"{case}: shape {got.shape}, expected {want.shape}"
        np.testing.assert_allclose(got, want, rtol=case.rtol, atol=case.atol, err_msg=str(case))


def _bound(case: Case, ex: Example):
    """The op as a function of its tensors only, with the drawn parameters bound."""
    return lambda *tensors: case.fn(minigrad, *tensors, **ex.params)


def check_gradcheck(case: Case, ex: Example) -> None:
    """The full Jacobian equals central differences in float64."""
    leaves = tuple(leaf(a) for a in ex.arrays)
    assert gradcheck(_bound(case, ex), leaves, seed=0)


def check_gradgradcheck(case: Case, ex: Example) -> None:
    """Second derivatives (through the recorded backward) equal central differences.

    Inputs and cotangents together can exceed a few dozen elements; the projected (fast) check
    keeps that cheap while still covering every input.
    """
    leaves = tuple(leaf(a) for a in ex.arrays)
    fn = _bound(case, ex)
    size = sum(t.numel() for t in leaves) + sum(o.numel() for o in as_outputs(fn(*leaves)))
    assert gradgradcheck(fn, leaves, seed=0, fast_mode=size > 16)


def numpy_erf(x):
    """The error function, elementwise (the NumPy side of gelu's reference)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def op_tests(cases, gradgrad_examples=10):
    """The three property tests of an op table, for a test module to bind at top level.

    ``test_forward`` compares with the NumPy reference, ``test_gradcheck`` checks the full
    Jacobian, ``test_gradgradcheck`` the second derivatives (with fewer examples: each one runs
    the op's backward, recorded, many times).
    """
    with_ref = [c for c in cases if c.ref is not None]
    differentiable = [c for c in cases if c.grad]

    @pytest.mark.parametrize("case", with_ref, ids=str)
    @given(data=st.data())
    def test_forward(case, data):
        check_forward(case, data.draw(case.draw, label="example"))

    @pytest.mark.parametrize("case", differentiable, ids=str)
    @given(data=st.data())
    def test_gradcheck(case, data):
        check_gradcheck(case, data.draw(case.draw, label="example"))

    @pytest.mark.parametrize("case", differentiable, ids=str)
    @settings(max_examples=gradgrad_examples)
    @given(data=st.data())
    def test_gradgradcheck(case, data):
        check_gradgradcheck(case, data.draw(case.draw, label="example"))

    return test_forward, test_gradcheck, test_gradgradcheck
