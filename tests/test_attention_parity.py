"""Causal softmax attention, written with minigrad's ops and with F.scaled_dot_product_attention,
gives PyTorch's values and gradients for q, k and v in float64."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import arrays

import minigrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch


def causal_attention(lib, q, k, v):
    """softmax(q k^T / sqrt(d) with the future masked out) v, op by op."""
    T = q.shape[-2]
    scores = q @ k.mT * (1.0 / math.sqrt(q.shape[-1]))
    future = lib.ones(T, T, dtype=lib.bool).triu(1)  # True above the diagonal: keys after the query
    weights = scores.masked_fill(future, float("-inf")).softmax(dim=-1)
    return weights @ v


def _run(lib, fn, arrays_, cotangent, create_graph=False):
    """``fn`` on float64 leaves of library ``lib``: its output and the gradients for ``cotangent``
    (from a recorded backward pass, whose formulas are Tensor ops, with ``create_graph``)."""
    leaves = [lib.from_numpy(a.copy()).requires_grad_() for a in arrays_]
    out = fn(lib, *leaves)
    out.backward(lib.from_numpy(cotangent), create_graph=create_graph)
    return [out.detach().numpy()] + [t.grad.detach().numpy() for t in leaves]


def _assert_same(fn, tensors, rng):
    """minigrad and torch agree on ``fn(q, k, v)`` and on its gradients for a random cotangent,
    from minigrad's plain backward and from its recorded one."""
    q, k, v = tensors
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    cotangent = rng.standard_normal(batch + q.shape[-2:-1] + v.shape[-1:])
    theirs = _run(torch, fn, tensors, cotangent)
    for create_graph in (False, True):
        mine = _run(minigrad, fn, tensors, cotangent, create_graph)
        for name, got, want in zip(["output", "dq", "dk", "dv"], mine, theirs):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


@st.composite
def qkv(draw, same_length=True):
    batch = draw(st.sampled_from([(), (2,), (1, 2), (2, 3)]))
    T, S = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    S = T if same_length else S
    E, Ev = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    q, k = draw(arrays(batch + (T, E))), draw(arrays(batch + (S, E)))
    return q, k, draw(arrays(batch + (S, Ev)))


@given(tensors=qkv(), seed=st.integers(0, 2**16))
def test_causal_attention_from_ops_matches_pytorch(tensors, seed):
    _assert_same(causal_attention, tensors, np.random.default_rng(seed))


def test_first_query_attends_only_to_the_first_key():
    q, k, v = (np.random.default_rng(i).standard_normal((3, 2)) for i in range(3))
    out = causal_attention(minigrad, *(minigrad.from_numpy(a) for a in (q, k, v)))
    np.testing.assert_allclose(out.numpy()[0], v[0], rtol=1e-12)


@pytest.mark.parametrize(
    "mask_kind", ["none", "causal", "bool", "float", "bool_dead_row", "float_dead_row"]
)
@given(
    tensors=qkv(same_length=False), scale=st.sampled_from([None, 0.3]), seed=st.integers(0, 2**16)
)
def test_scaled_dot_product_attention_matches_pytorch(mask_kind, tensors, scale, seed):
    q, k, v = tensors
    T, S = q.shape[-2], k.shape[-2]
    rng = np.random.default_rng(seed)
    mask = None
    if mask_kind.startswith("bool"):
        mask = rng.random((T, S)) < 0.5
        mask[:, 0] = True
    elif mask_kind.startswith("float"):
        mask = rng.standard_normal((T, S))
    if mask_kind.endswith("dead_row"):  # the last query may attend to no key: PyTorch gives 0
        mask[-1] = False if mask.dtype == bool else -np.inf

    def attend(lib, q, k, v):
        attn_mask = None if mask is None else lib.from_numpy(mask)
        return lib.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, is_causal=mask_kind == "causal", scale=scale
        )

    _assert_same(attend, tensors, rng)


@given(
    batches=st.sampled_from([((2, 3), (2, 1), (1, 3)), ((2, 1), (1, 3), (3,)), ((3,), (1,), ())]),
    seed=st.integers(0, 2**16),
)
def test_attention_over_broadcast_batch_axes_matches_pytorch(batches, seed):
    # keys and values shared across heads (multi-query attention): their gradients sum over
    # the axes they were broadcast along, in a plain backward too
    rng = np.random.default_rng(seed)
    q_batch, k_batch, v_batch = batches
    tensors = [rng.standard_normal(b + (4, 3)) for b in (q_batch, k_batch, v_batch)]

    def attend(lib, q, k, v):
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)

    _assert_same(attend, tensors, rng)
