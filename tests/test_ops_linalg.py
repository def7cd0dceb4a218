"""Matrix products: 1-d and 2-d operands, and batches whose batch axes broadcast."""

import numpy as np
import pytest
from hypothesis import strategies as st
from strategies import Case, Example, arrays, broadcastable, leaf, op_tests

import minigrad


@st.composite
def _matmul(draw, left, right):
    """Operands of ``left @ right``; each is "vector", "matrix" or "batch" (batch axes broadcast)."""
    n, k, m = (draw(st.integers(1, 3), label=name) for name in "nkm")
    (batch_a, batch_b), _ = draw(broadcastable(2, min_dims=1, max_dims=2, max_numel=4))
    shapes = {
        "vector": ((k,), (k,)),
        "matrix": ((n, k), (k, m)),
        "batch": (batch_a + (n, k), batch_b + (k, m)),
    }
    return Example((draw(arrays(shapes[left][0])), draw(arrays(shapes[right][1]))))


@st.composite
def _bmm(draw):
    b, n, k, m = (draw(st.integers(1, 3), label=name) for name in "bnkm")
    return Example((draw(arrays((b, n, k))), draw(arrays((b, k, m)))))


# equations of attention code and the general forms: contraction, sums, outer products,
# three operands, "..." broadcast between operands, a size-1 axis broadcast against a longer one
EQUATIONS = ["bqd,bkd->bqk", "nhql,nlhd->nqhd", "ij,jk", "ij->j", "ij->", "i,j->ij",
             "bi,bj,bk->ijk", "...ij,...jk", "...d,d->...", "ij,ij->ij", "ba"]  # fmt: skip


@st.composite
def _einsum(draw):
    """An equation and operands that fit it: a length per letter, "..." as one or two leading
    axes (one operand's shorter), and now and then a size-1 axis in the second operand."""
    equation = draw(st.sampled_from(EQUATIONS))
    size = {c: draw(st.integers(1, 3), label=c) for c in sorted(set(equation) - set(".,->"))}
    leading = draw(st.sampled_from([((2,), (2,)), ((2, 3), (3,)), ((1, 2), (3, 2))]))
    shapes = []
    for i, subs in enumerate(equation.partition("->")[0].split(",")):
        shape = tuple(size[c] for c in subs.replace("...", ""))
        if i == 1 and subs and draw(st.booleans(), label="broadcast a size-1 axis"):
            shape = (1,) + shape[1:]
        shapes.append((leading[i] if "..." in subs else ()) + shape)
    return Example(tuple(draw(arrays(shape)) for shape in shapes), {"equation": equation})


KINDS = ["vector", "matrix", "batch"]

CASES = [
    Case(f"{left}@{right}", _matmul(left, right), lambda m, a, b: a @ b, np.matmul)
    for left in KINDS
    for right in KINDS
] + [
    Case("matmul_function", _matmul("batch", "matrix"), lambda m, a, b: m.matmul(a, b), np.matmul),
    Case("mm", _matmul("matrix", "matrix"), lambda m, a, b: a.mm(b), np.matmul),
    Case("mv", _matmul("matrix", "vector"), lambda m, a, b: m.mv(a, b), np.matmul),
    Case("dot", _matmul("vector", "vector"), lambda m, a, b: a.dot(b), np.dot),
    Case("outer", _matmul("vector", "vector"), lambda m, a, b: m.outer(a, b), np.outer),
    Case("bmm", _bmm(), lambda m, a, b: m.bmm(a, b), np.matmul),
    Case(
        "einsum",
        _einsum(),
        lambda m, *xs, equation: m.einsum(equation, *xs),
        lambda *a, equation: np.einsum(equation, *a),
    ),
]

test_op, test_gradgradcheck, test_float32 = op_tests(CASES)


def test_matmul_shape_errors_name_both_shapes():
    a, b = minigrad.zeros(2, 3), minigrad.zeros(4, 5)
    with pytest.raises(minigrad.ShapeError, match=r"2x3.*4x5"):
        a @ b
    with pytest.raises(minigrad.ShapeError, match="1D"):
        minigrad.zeros(()) @ a


def test_matmul_gradients_by_hand():
    a = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    b = leaf(np.array([[5.0], [6.0]]))
    (a @ b).sum().backward()
    # d(sum(AB))/dA = 1 B^T, d/dB = A^T 1
    np.testing.assert_array_equal(a.grad.numpy(), [[5.0, 6.0], [5.0, 6.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [[4.0], [6.0]])


def test_rank_checked_products_refuse_other_ranks():
    m = minigrad.zeros(2, 3)
    with pytest.raises(minigrad.ShapeError, match="mm: expected a 2-D and a 2-D tensor"):
        m.mm(minigrad.zeros(3))
    with pytest.raises(minigrad.ShapeError, match="bmm"):
        minigrad.bmm(m, m)
    with pytest.raises(minigrad.ShapeError, match="dot: inconsistent tensor size"):
        minigrad.zeros(2).dot(minigrad.zeros(3))
    with pytest.raises(minigrad.DTypeError, match="same dtype"):
        m.mm(minigrad.zeros(3, 2, dtype=minigrad.float64))
