"""The transformer layers against PyTorch's: weights copied over, values and gradients compared.

Everything runs in float64 with dropout 0. PyTorch's masks mean "not allowed" where ours mean
"may attend", so each mask is passed to torch inverted.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from transformer import DecoderLayer, EncoderLayer, MultiHeadAttention, causal_mask, padding_mask

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

D_MODEL, N_HEADS, D_FF = 8, 2, 12


def our_names(torch_tensors: dict) -> dict[str, np.ndarray]:
    """Rename PyTorch's parameters (or their gradients) to ours, as float64 NumPy arrays.

    ``in_proj_weight`` (3d, d) is q, k and v stacked; PyTorch's encoder and decoder layers call
    the cross-attention ``multihead_attn``, the feed-forward ``linear1``/``linear2`` and the
    norms ``norm1``.. in sublayer order.
    """
    out = {}
    for name, value in torch_tensors.items():
        value = value.detach().numpy()
        name = name.replace("multihead_attn.", "cross_attn.")
        if name.startswith("linear"):
            name = "feed_forward." + name
        if name.startswith("norm"):
            name = f"sublayers.{int(name[4]) - 1}.norm" + name[5:]
        prefix, _, last = name.rpartition("in_proj_")
        if last in ("weight", "bias"):
            for part, chunk in zip("qkv", np.split(value, 3)):
                out[f"{prefix}{part}_proj.{last}"] = chunk
        else:
            out[name] = value
    return out


def copy_weights(ours, theirs) -> None:
    state = {k: minigrad.tensor(v) for k, v in our_names(theirs.state_dict()).items()}
    ours.load_state_dict(state)


def assert_same_grads(ours, theirs) -> None:
    expected = our_names({n: p.grad for n, p in theirs.named_parameters()})
    got = {n: p.grad.numpy() for n, p in ours.named_parameters()}
    assert got.keys() == expected.keys()
    for name in got:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-9, atol=1e-11, err_msg=name)


def pair(*shape):
    """The same random float64 input as a minigrad and a torch tensor, both requiring grad."""
    data = np.random.default_rng(sum(shape)).standard_normal(shape)
    ours = minigrad.tensor(data, requires_grad=True)
    return ours, torch.tensor(data, requires_grad=True)


def backward_both(out, out_torch):
    """Backpropagate the same random projection of both outputs; check the values first."""
    np.testing.assert_allclose(out.detach().numpy(), out_torch.detach().numpy(), rtol=1e-9,
                               atol=1e-11)  # fmt: skip
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * minigrad.tensor(weights)).sum().backward()
    (out_torch * torch.tensor(weights)).sum().backward()


def assert_same(a, b):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


SRC_TOKENS = [[3, 4, 5, 0, 0], [3, 4, 5, 6, 7]]  # the first sequence has two pads


@pytest.mark.parametrize("kind", ["self_causal", "cross_padded", "no_mask"])
def test_multi_head_attention_matches_torch(kind):
    mha = MultiHeadAttention(D_MODEL, N_HEADS, store_attention=True).to(minigrad.float64)
    ref = torch.nn.MultiheadAttention(D_MODEL, N_HEADS, batch_first=True).double()
    copy_weights(mha, ref)
    x, x_t = pair(2, 4, D_MODEL)
    if kind == "self_causal":
        (kv, kv_t), mask = (x, x_t), causal_mask(4)
        torch_masks = dict(attn_mask=torch.tensor(~mask.numpy()))
    else:
        kv, kv_t = pair(2, 5, D_MODEL)
        mask = padding_mask(minigrad.tensor(SRC_TOKENS), 0) if kind == "cross_padded" else None
        pads = None if mask is None else torch.tensor(~mask.numpy()[:, 0, 0])
        torch_masks = dict(key_padding_mask=pads)
    out = mha(x, kv, kv, mask)
    out_t, weights_t = ref(x_t, kv_t, kv_t, **torch_masks, average_attn_weights=False)
    assert_same(mha.attention.detach(), weights_t.detach())
    backward_both(out, out_t)
    assert_same_grads(mha, ref)
    assert_same(x.grad, x_t.grad)
    if kind != "self_causal":
        assert_same(kv.grad, kv_t.grad)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(norm_first, activation):
    layer = EncoderLayer(D_MODEL, N_HEADS, D_FF, 0.0, activation, norm_first).to(minigrad.float64)
    ref = torch.nn.TransformerEncoderLayer(
        D_MODEL, N_HEADS, D_FF, dropout=0.0, activation=activation, batch_first=True,
        norm_first=norm_first,
    ).double()  # fmt: skip
    copy_weights(layer, ref)
    x, x_t = pair(2, 5, D_MODEL)
    mask = padding_mask(minigrad.tensor(SRC_TOKENS), 0)
    out_t = ref(x_t, src_key_padding_mask=torch.tensor(~mask.numpy()[:, 0, 0]))
    backward_both(layer(x, mask), out_t)
    assert_same_grads(layer, ref)
    assert_same(x.grad, x_t.grad)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(norm_first):
    layer = DecoderLayer(D_MODEL, N_HEADS, D_FF, 0.0, "relu", norm_first).to(minigrad.float64)
    ref = torch.nn.TransformerDecoderLayer(
        D_MODEL, N_HEADS, D_FF, dropout=0.0, batch_first=True, norm_first=norm_first
    ).double()
    copy_weights(layer, ref)
    y, y_t = pair(2, 4, D_MODEL)
    memory, memory_t = pair(2, 5, D_MODEL)
    src_mask = padding_mask(minigrad.tensor(SRC_TOKENS), 0)
    out_t = ref(
        y_t, memory_t, tgt_mask=torch.tensor(~causal_mask(4).numpy()),
        memory_key_padding_mask=torch.tensor(~src_mask.numpy()[:, 0, 0]),
    )  # fmt: skip
    backward_both(layer(y, memory, src_mask, causal_mask(4)), out_t)
    assert_same_grads(layer, ref)
    assert_same(y.grad, y_t.grad)
    assert_same(memory.grad, memory_t.grad)
