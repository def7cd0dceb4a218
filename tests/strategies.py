"""Shared test support: Hypothesis strategies for op inputs, and the op-case tables' machinery.

Strategies draw NumPy float64 arrays (the reference side) that the tests turn into minigrad or
PyTorch tensors with the same values and the same memory layout:

- ``shapes``: 0-d to 4-d, sides 1-5, with a cap on the element count so that full-Jacobian
  gradient checks (one backward pass per output element) stay fast.
- ``broadcastable``: shapes that broadcast together, with size-1 axes and missing leading axes.
- ``arrays``: values of a chosen kind (see ``KINDS``) in a possibly non-contiguous layout: a
  transposed view of data drawn in permuted order, or a strided view (every second element).
- ``Case``: one row of an op table: how to draw its inputs, how to call it on minigrad or torch
  (the same code, since minigrad follows PyTorch's API), and a NumPy reference. ``op_tests``
  turns a table into the property tests every op gets; ``test_torch_parity`` runs the same
  tables against PyTorch.

Values avoid the points where an op is not differentiable, because finite differences there
disagree with any one-sided derivative: logs and roots see values >= 0.1, and ops with kinks
(abs, relu, clamp, max, sort, ...) see values on a grid that never hits 0, a clamp bound, or
each other (``"distinct"``).

Hypothesis draws the shape, the layout and a seed; the values come from NumPy's generator with
that seed. Drawing every element through Hypothesis would cost more than the op under test, and
the interesting structure here (rank, size-1 axes, broadcasting, strides) is in the shapes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck

MAX_NUMEL = 24  # per drawn tensor; a full Jacobian is then at most 24 x 24
MAX_SIDE = 5

# The grid of "distinct" values: k * 0.1 + 0.037, so never 0, never a multiple of 0.05 (clamp
# bounds in the tables are), and any two differ by at least 0.1 - far beyond gradcheck's eps.
GRID = np.arange(-25, 25) * 0.1 + 0.037
# A second grid, halfway between the first one's points: a value from each never tie.
GRID_B = GRID + 0.05


def _smooth(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def _positive(rng, shape):
    return rng.uniform(0.1, 3.0, shape)


def _nonzero(rng, shape):
    return rng.uniform(0.1, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _on_grid(grid):
    def draw(rng, shape):
        return rng.choice(grid, math.prod(shape), replace=False).reshape(shape)

    return draw


KINDS = {
    "smooth": _smooth,  # uniform in [-2, 2]
    "positive": _positive,  # uniform in [0.1, 3]: the domain of log, sqrt, rsqrt, pow's base
    "nonzero": _nonzero,  # |x| in [0.1, 2]: away from abs's kink and division's pole
    "distinct": _on_grid(GRID),  # unique within the array, never 0 or a multiple of 0.05
    "distinct_b": _on_grid(GRID_B),  # like "distinct"; never equal to a "distinct" value
}


# ---- shapes -------------------------------------------------------------------------------------
def _all_shapes(max_dims=4, max_side=MAX_SIDE, max_numel=MAX_NUMEL):
    """Every shape within the limits, simplest first (Hypothesis shrinks towards the start)."""
    found = [
        shape
        for ndim in range(max_dims + 1)
        for shape in itertools.product(range(1, max_side + 1), repeat=ndim)
        if math.prod(shape) <= max_numel
    ]
    return sorted(found, key=lambda s: (len(s), math.prod(s), s))


_SHAPES = _all_shapes()


def shapes(min_dims=0, max_dims=4, min_side=1, max_numel=MAX_NUMEL, numel=None):
    """A shape of ``min_dims``..``max_dims`` axes with sides ``min_side``..5 and at most
    ``max_numel`` elements (exactly ``numel`` when given)."""
    return st.sampled_from(
        [
            s
            for s in _SHAPES
            if min_dims <= len(s) <= max_dims
            and min(s, default=min_side) >= min_side
            and math.prod(s) <= max_numel
            and (numel is None or math.prod(s) == numel)
        ]
    )


@st.composite
def broadcastable(draw, n=2, min_dims=0, max_dims=4, max_numel=MAX_NUMEL):
    """``n`` shapes that broadcast together, and the shape they broadcast to.

    Each operand is the result shape with some leading axes dropped and some axes set to 1.
    """
    result = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_numel=max_numel))
    operands = []
    for _ in range(n):
        lead = draw(st.integers(0, len(result)))
        ones = draw(st.integers(0, 2 ** len(result) - 1))  # bit i set: axis i has size 1
        shape = tuple(1 if ones >> i & 1 else s for i, s in enumerate(result))
        operands.append(shape[lead:])
    return tuple(operands), tuple(np.broadcast_shapes(*operands))


# ---- values and layouts -------------------------------------------------------------------------
LAYOUTS = ("contiguous", "permuted", "strided")


def _relayout(array: np.ndarray, layout: str, order) -> np.ndarray:
    """The same values as ``array`` in the memory layout named ``layout``."""
    if layout == "permuted":
        # the data laid out in permuted axis order, viewed back: a transposed (non-C) layout
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
def arrays(draw, shape, kind="smooth", contiguous=False) -> np.ndarray:
    """A float64 array of ``shape`` (a tuple or a strategy) with values of ``kind``.

    Unless ``contiguous``, the array may be a transposed or strided view: ops must not assume
    C order. ``"distinct"`` values are unique within the array, so reductions have no ties.
    """
    if isinstance(shape, st.SearchStrategy):
        shape = draw(shape)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    array = np.asarray(KINDS[kind](rng, shape), dtype=np.float64)
    if contiguous or len(shape) == 0:
        return array
    layout = draw(st.sampled_from(LAYOUTS), label="layout")
    return _relayout(array, layout, rng.permutation(len(shape)))


def leaf(array, requires_grad=True) -> minigrad.Tensor:
    """A float64 minigrad leaf with ``array``'s values *and* memory layout (strides kept)."""
    array = np.asarray(array, dtype=np.float64)
    return minigrad.from_numpy(array).requires_grad_(requires_grad)


@st.composite
def dims(draw, ndim, allow_none=True, allow_tuple=True):
    """A reduction ``dim`` for ``ndim`` axes: None, an int (maybe negative) or a tuple of ints."""
    rank = max(ndim, 1)  # a 0-d tensor takes dim 0 or -1, as in PyTorch
    choices = [st.integers(-rank, rank - 1)]
    if allow_none:
        choices.append(st.none())
    if allow_tuple and ndim > 0:
        axes = st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim)
        choices.append(axes.filter(lambda a: len({d % ndim for d in a}) == len(a)).map(tuple))
    return draw(st.one_of(*choices))


def np_axis(array: np.ndarray, dim):
    """A minigrad/PyTorch ``dim`` as NumPy's ``axis`` (a 0-d array's dim 0 means all axes)."""
    return None if array.ndim == 0 else dim


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
    differentiable; ``gradcheck=False`` skips the numeric checks for ops whose gradient is
    not the derivative by design (PyTorch's ``padding_idx``), leaving them to the parity test.
    ``atol`` / ``rtol`` bound the forward's difference from the reference.
    """

    name: str
    draw: st.SearchStrategy
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None
    grad: bool = True
    gradcheck: bool = True
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
    return example(
        st.tuples(arrays(shapes() if shape is None else shape, kind)), **param_strategies
    )


@st.composite
def reduction(draw, kind="smooth", min_dims=0, allow_none=True, allow_tuple=True, **params):
    """An ``Example`` of one array with a ``dim`` and a ``keepdim`` to reduce it by."""
    array = draw(arrays(shapes(min_dims=min_dims), kind))
    dim = draw(dims(array.ndim, allow_none, allow_tuple), label="dim")
    keepdim = draw(st.booleans(), label="keepdim")
    return Example((array,), dict(dim=dim, keepdim=keepdim, **draw(st.fixed_dictionaries(params))))


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


def check_float32(case: Case, ex: Example) -> None:
    """In float32, the op's float outputs and its gradients stay float32 (nothing upcasts)."""
    leaves = tuple(
        minigrad.from_numpy(a.astype(np.float32)).requires_grad_(case.grad) for a in ex.arrays
    )
    outs = as_outputs(case.fn(minigrad, *leaves, **ex.params))
    for i, out in enumerate(outs):
        assert not out.is_floating_point() or out.dtype is minigrad.float32, f"output {i}"
    wanted = [o for o in outs if o.requires_grad]
    if case.grad and wanted:
        cotangents = [minigrad.ones_like(o) for o in wanted]
        for i, g in enumerate(
            minigrad.autograd.grad(wanted, leaves, cotangents, allow_unused=True)
        ):
            assert g is None or g.dtype is minigrad.float32, f"gradient of input {i}: {g.dtype}"


def numpy_erf(x):
    """The error function, elementwise (the NumPy side of gelu's reference)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def op_tests(cases, gradgrad_examples=8, float32_examples=4):
    """The property tests of an op table, for a test module to bind at top level.

    ``test_op`` compares each drawn example's values with the NumPy reference and its full
    Jacobian with central differences; ``test_gradgradcheck`` checks second derivatives, on
    fewer examples (each runs the op's recorded backward many times); ``test_float32`` checks
    that float32 inputs give float32 outputs and gradients.
    """

    @pytest.mark.parametrize("case", cases, ids=str)
    @given(data=st.data())
    def test_op(case, data):
        ex = data.draw(case.draw, label="example")
        if case.ref is not None:
            check_forward(case, ex)
        if case.grad and case.gradcheck:
            check_gradcheck(case, ex)

    @pytest.mark.parametrize("case", [c for c in cases if c.grad and c.gradcheck], ids=str)
    @settings(max_examples=gradgrad_examples)
    @given(data=st.data())
    def test_gradgradcheck(case, data):
        check_gradgradcheck(case, data.draw(case.draw, label="example"))

    @pytest.mark.parametrize("case", cases, ids=str)
    @settings(max_examples=float32_examples)
    @given(data=st.data())
    def test_float32(case, data):
        check_float32(case, data.draw(case.draw, label="example"))

    return test_op, test_gradgradcheck, test_float32
