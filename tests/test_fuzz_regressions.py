"""Regression tests for the causes the differential fuzzer found (docs/pytorch-differences.md).

One test per cause, each a minimal program; the expected numbers are PyTorch's (checked with
PyTorch 2.13 when written). They run without PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.errors import ArgumentError, AutogradError, DimError, MinigradError, ShapeError

INF = float("inf")


def leaf(values):
    return minigrad.tensor(values, dtype=minigrad.float64, requires_grad=True)


def grad_of(x):
    return x.grad.numpy()


# ---- in-place ops keep what their backward needs -------------------------------------------------
def test_inplace_mul_by_a_tensor_that_requires_grad_backpropagates():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a = x * 1.0
    a.mul_(y)  # y's gradient needs the old a: kept, as in PyTorch
    (a * a).sum().backward()
    np.testing.assert_allclose(grad_of(x), [18.0, 64.0])  # 2 x y^2
    np.testing.assert_allclose(grad_of(y), [6.0, 32.0])  # 2 x^2 y


def test_inplace_mul_of_a_constant_by_a_tensor_that_requires_grad_backpropagates():
    y = leaf([3.0, 4.0])
    a = minigrad.tensor([1.0, 2.0], dtype=minigrad.float64)  # needs no grad itself
    a.mul_(y)  # y's gradient reads the old a, kept as in PyTorch
    a.sum().backward()
    np.testing.assert_allclose(grad_of(y), [1.0, 2.0])


def test_inplace_on_a_layer_norm_output_backpropagates():
    x = leaf([[1.0, 2.0, 4.0]])
    h = F.layer_norm(x, (3,))
    h.add_(1.0)  # layer norm's backward does not read its output
    (h * minigrad.tensor([[1.0, 2.0, 3.0]], dtype=minigrad.float64)).sum().backward()
    assert np.isfinite(grad_of(x)).all() and abs(grad_of(x).sum()) < 1e-9


def test_inplace_on_a_tensor_with_an_empty_dim_is_not_an_expanded_view():
    x = leaf(np.zeros((0, 3)))
    a = x * 1.0
    a.add_(1.0)
    a.sum().backward()
    assert x.grad.shape == (0, 3)


# ---- views see in-place writes to their base ------------------------------------------------------
def test_view_taken_before_a_write_to_its_base_sees_the_write_in_its_gradient():
    x = leaf([1.0, 2.0, 3.0])
    b = x * 1.0
    v = b.unsqueeze(0)
    b.mul_(2.0)
    (v * minigrad.tensor([[1.0, 2.0, 3.0]], dtype=minigrad.float64)).sum().backward()
    np.testing.assert_allclose(grad_of(x), [2.0, 4.0, 6.0])


def test_view_sees_an_indexed_write_to_its_base():
    x = leaf([1.0, 2.0, 3.0])
    b = x * 1.0
    v = b.unsqueeze(0)
    b[[0, 1]] = 1.5 * b[[0, 1]].detach()
    (v * minigrad.tensor([[1.0, 2.0, 3.0]], dtype=minigrad.float64)).sum().backward()
    np.testing.assert_allclose(grad_of(x), [0.0, 0.0, 3.0])


def test_sibling_view_sees_a_write_through_another_view():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    b = x * 1.0
    row, col = b[0], b[:, 1]
    row.mul_(10.0)  # b[0, 1] is also col[0]
    col.sum().backward()
    np.testing.assert_allclose(grad_of(x), [[0.0, 10.0], [0.0, 1.0]])


def test_overwriting_with_a_constant_cuts_the_old_graph():
    x = leaf([1.0, 2.0])
    b = x * 3.0
    b.copy_(minigrad.tensor([5.0, 6.0], dtype=minigrad.float64))
    (b * b).sum().backward()
    np.testing.assert_allclose(grad_of(x), [0.0, 0.0])  # a gradient of zeros, not None


# ---- zero-filling does not multiply ---------------------------------------------------------------
@pytest.mark.parametrize(
    "fill", [lambda t: t.zero_(), lambda t: t.fill_(2.0)], ids=["zero_", "fill_"]
)
def test_filling_gives_a_zero_gradient_even_under_an_infinite_one(fill):
    x = leaf([1.0, 2.0])
    b = x * 1.0
    fill(b)
    (b * INF).sum().backward()  # the gradient reaching b is inf; x gets 0, not inf * 0 = NaN
    np.testing.assert_array_equal(grad_of(x), [0.0, 0.0])


def test_fill_with_a_tensor_sends_the_summed_gradient_to_it():
    x, value = leaf([1.0, 2.0, 3.0]), leaf(2.0)
    b = x * 1.0
    b.fill_(value)
    b.sum().backward()
    np.testing.assert_array_equal(grad_of(value), 3.0)


# ---- what PyTorch refuses is refused, saying why --------------------------------------------------
def test_negative_slice_steps_are_refused():
    with pytest.raises(ArgumentError, match="step must be greater than zero"):
        minigrad.arange(4)[::-1]


def test_inplace_on_a_view_of_a_leaf_that_requires_grad_is_refused():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(AutogradError, match="view of a leaf Variable"):
        x[0].mul_(2.0)
    with pytest.raises(AutogradError, match="view of a leaf Variable"):
        x.unsqueeze(0).zero_()
    with minigrad.no_grad():
        x[0].mul_(2.0)  # fine without recording, as in PyTorch
    np.testing.assert_array_equal(x.detach().numpy()[0], [2.0, 4.0])


@pytest.mark.parametrize(
    "pieces",
    [lambda t: t.split(1), lambda t: t.chunk(2), lambda t: t.unbind(0)],
    ids=["split", "chunk", "unbind"],
)
def test_inplace_on_outputs_of_split_and_unbind_is_refused_while_recording(pieces):
    b = leaf([[1.0, 2.0], [3.0, 4.0]]) * 1.0
    with pytest.raises(AutogradError, match="multiple"):
        pieces(b)[0].mul_(2.0)
    plain = minigrad.ones(2, 2)
    pieces(plain)[0].mul_(2.0)  # nothing recorded: fine, as in PyTorch
    assert plain.sum().item() == 6.0


def test_self_overlapping_writes_are_refused():
    v = minigrad.arange(4.0)
    with pytest.raises(AutogradError, match="single memory location"):
        v[[0, 1, 2, 3]] = v
    with pytest.raises(AutogradError, match="single memory location"):
        v[1:] = v[:-1]
    with pytest.raises(AutogradError, match="single memory location"):
        v.unsqueeze(0).add_(v)
    v.add_(v)  # exactly the same elements: fine
    v[0] = v[3]  # disjoint: fine
    np.testing.assert_array_equal(v.numpy(), [6.0, 2.0, 4.0, 6.0])


# each (shape of v, statement, whether PyTorch refuses it as a self-overlapping write)
SETITEM_OVERLAPS = [
    ((1, 1), "v[..., 0] = v", True),  # v broadcast from one element: stride 0, not v[..., 0]
    ((1, 1), "v[0] = v", True),
    ((1,), "v[0] = v", False),  # v loses its leading 1: exactly v[0]
    ((1, 2, 1), "w = v.movedim(2, 1); w[-1] = w", True),  # expanded w: strides (2, 1), not (1, 1)
    ((1, 3), "v[...] = v[0]", False),
    ((3,), "v[:] = v[0]", False),  # a 0-d value is read first (a fill)
    ((3,), "v[:] = v[0:1]", False),  # broadcast: not dense, so not judged
    ((1, 1), "v[0] = v.t()", True),
    ((3,), "v[1:] = v[:-1]", True),
    ((1,), "v[v >= 0] = v", False),  # one element through one mask: read first (masked_fill_)
    ((1, 1, 1), "v[v >= 0] = v", False),
    ((2, 2), "v[0, v[0] >= 0] = v[0, 0]", False),
    ((), "v[v >= 0] = v", True),  # a 0-d mask indexes as a list of indices
    ((2,), "v[v >= 0] = v", True),
    ((1,), "v[[0]] = v", True),
    ((2,), "v[[0]] = v[1]", True),
    ((1, 0), "v[v > 0] = v", False),  # the value loses its leading 1 as a view: another tensor
    ((0,), "v[[]] = v", True),  # the very same (empty) tensor
]


@pytest.mark.parametrize(("shape", "statement", "refused"), SETITEM_OVERLAPS)
def test_setitem_overlap_follows_pytorchs_rules(shape, statement, refused):
    v = minigrad.zeros(shape, dtype=minigrad.float64)
    if refused:
        with pytest.raises(AutogradError, match="single memory location"):
            exec(statement, {"v": v})  # noqa: S102 - the statements above
    else:
        exec(statement, {"v": v})  # noqa: S102


def test_masked_fill_takes_a_0_d_value_read_before_the_write():
    v = minigrad.tensor([1.0, 2.0, 3.0])
    v.masked_fill_(v > 1.5, v[0])  # PyTorch reads the 0-d value first: no overlap
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0, 1.0])
    with pytest.raises(ShapeError, match="0-dimensional value tensor"):
        v.masked_fill(v > 0, v[:1])


def test_a_split_output_is_unusable_while_recording_after_a_write_to_its_base():
    b = leaf([[1.0, 2.0], [3.0, 4.0]]) * 1.0
    row = b.chunk(2)[1]
    b[1:] = 1.5  # PyTorch cannot remake the graph place of one of several views
    for _ in range(2):  # every time, not only the first
        with pytest.raises(AutogradError, match="multiple views"):
            row * 2.0
    with minigrad.no_grad():
        np.testing.assert_array_equal((row * 2.0).numpy(), [[3.0, 3.0]])
    plain = minigrad.ones(2, 2)
    piece = plain.chunk(2)[1]
    plain[1:] = 2.0  # nothing requires grad: fine
    assert (piece + 1.0).sum().item() == 6.0


# ---- empty and 0-d tensors work wherever PyTorch's do ---------------------------------------------
def test_empty_and_zero_d_movement():
    empty = minigrad.zeros(0, 3)
    assert [p.shape for p in empty.split(2)] == [(0, 3)]
    assert [p.shape for p in empty.chunk(3)] == [(0, 3)] * 3
    assert empty.amax(dim=1).shape == (0,)
    assert empty.max(dim=1).values.shape == (0,)
    assert minigrad.zeros(3, 0).softmax(-1).shape == (3, 0)
    scalar = minigrad.tensor(2.0)
    assert scalar.flip(0).item() == 2.0
    assert scalar.mT.item() == 2.0
    assert scalar.index_select(0, minigrad.tensor([0])).item() == 2.0
    for op in (lambda t: t.split(1), lambda t: t.narrow(0, 0, 1), lambda t: t.unbind(0)):
        with pytest.raises(DimError, match="no dimensions"):
            op(scalar)
    with pytest.raises(MinigradError, match="normalized_shape"):
        F.layer_norm(minigrad.ones(2), ())


def test_index_select_is_contiguous_and_masked_fill_broadcasts_the_input():
    x = minigrad.arange(6.0).reshape(2, 3)
    picked = x.index_select(1, minigrad.tensor([2, 0]))
    assert picked.is_contiguous() and picked.view(4).shape == (4,)
    filled = minigrad.zeros(3).masked_fill(minigrad.ones(2, 3, dtype=minigrad.bool), 1.0)
    assert filled.shape == (2, 3) and filled.sum().item() == 6.0


@pytest.mark.parametrize(
    "op",
    [lambda t: t.softmax(0), lambda t: F.log_softmax(t, 1), lambda t: t.cumsum(0)],
    ids=["softmax", "log_softmax", "cumsum"],
)
def test_softmax_and_cumsum_of_a_transposed_tensor_are_contiguous(op):
    out = op(minigrad.ones(3, 2).mT)  # as PyTorch's: a view of them works
    assert out.is_contiguous() and out.view(-1).shape == (6,)


def test_movedim():
    x = minigrad.zeros(2, 3, 4)
    assert x.movedim(0, -1).shape == (3, 4, 2)
    assert minigrad.movedim(x, (0, 1), (1, 0)).shape == (3, 2, 4)


def test_inplace_on_a_power_with_a_constant_exponent_backpropagates():
    x = leaf([1.0, 2.0])
    z = (x * 1.0) ** 2  # PyTorch keeps no output for a constant exponent
    z.add_(1.0)
    z.sum().backward()
    np.testing.assert_allclose(grad_of(x), [2.0, 4.0])


def test_an_expand_that_only_adds_size_1_axes_is_writable():
    b = leaf([[1.0], [2.0]]) * 1.0
    v = b.expand(1, 2, 1)  # nothing repeated: PyTorch lets it be written
    v.fill_(3.0)
    np.testing.assert_array_equal(b.detach().numpy(), [[3.0], [3.0]])


# ---- a masked write's backward indexes the gradient as forward indexed the tensor ---------------
@pytest.mark.parametrize("rows", [0, 2])
def test_masked_write_backpropagates_also_when_the_mask_selects_nothing(rows):
    """``y[m] = y[m] * 2``: the value's gradient is ``g[m]``, taken with the same backend index
    as the write (an empty (0, 3) mask once came back as a (1, 1, 3) gradient)."""
    x = leaf(np.arange(rows * 3.0).reshape(rows, 3))
    y = x * 1.0
    m = y > 2
    y[m] = y[m] * 2
    y.sum().backward()
    expected = np.where(np.arange(rows * 3.0).reshape(rows, 3) > 2, 2.0, 1.0)
    np.testing.assert_array_equal(grad_of(x), expected)


def test_sort_takes_pytorchs_stable_flag():
    x = minigrad.tensor([2.0, 1.0, 2.0, 1.0])
    assert x.sort(descending=True, stable=True).indices.tolist() == [0, 2, 1, 3]
    assert x.argsort(stable=False).tolist() == [1, 3, 0, 2]  # stable anyway: an allowed order
