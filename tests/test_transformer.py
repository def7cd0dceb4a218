"""Tests of the transformer package: masks, positions, attention, layers, models, generation.

Parity with PyTorch's own layers is in test_transformer_parity.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad.autograd import gradcheck
from minigrad.nn import functional as F
from transformer import (
    GPT,
    DecoderLayer,
    EncoderLayer,
    GPTConfig,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
    Transformer,
    attention,
    causal_mask,
    combine,
    padding_mask,
    sinusoidal_encoding,
    target_mask,
)
from transformer.data import addition_task, copy_task, reverse_task, sort_task
from transformer.masks import MaskWarning


@pytest.fixture(autouse=True)
def _seed():
    minigrad.manual_seed(0)


def as_int(mask):
    return mask.numpy().astype(int).tolist()


def npy(t):
    return t.detach().numpy()


# ---- masks -------------------------------------------------------------------------------------


def test_causal_mask_is_the_lower_triangle():
    assert as_int(causal_mask(3)) == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


def test_causal_mask_with_offset_lets_new_queries_see_the_cache():
    assert as_int(causal_mask(2, offset=3)) == [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]
    assert as_int(causal_mask(1, offset=2)) == [[1, 1, 1]]


@pytest.mark.parametrize("size, offset", [(-1, 0), (2, -1)])
def test_causal_mask_refuses_negative_sizes(size, offset):
    with pytest.raises(minigrad.ShapeError, match=f"size={size}, offset={offset}"):
        causal_mask(size, offset=offset)


def test_padding_mask_hides_pad_keys_for_every_query():
    mask = padding_mask(minigrad.tensor([[5, 7, 0, 0], [3, 0, 0, 0]]), pad_id=0)
    assert mask.shape == (2, 1, 1, 4)
    assert as_int(mask) == [[[[1, 1, 0, 0]]], [[[1, 0, 0, 0]]]]


def test_target_mask_is_causal_and_padding():
    mask = target_mask(minigrad.tensor([[1, 6, 0]]), pad_id=0)
    assert mask.shape == (1, 1, 3, 3)
    assert as_int(mask[0, 0]) == [[1, 0, 0], [1, 1, 0], [1, 1, 0]]


def test_combine_ands_broadcasts_and_skips_none():
    pad = padding_mask(minigrad.tensor([[4, 0]]), 0)
    assert as_int(combine(pad, None, causal_mask(2))) == [[[[1, 0], [1, 0]]]]
    assert combine(None, None) is None


# ---- positional encodings ----------------------------------------------------------------------


@pytest.mark.parametrize("d_model", [6, 5])
def test_sinusoidal_encoding_is_the_papers_formula(d_model):
    pe = sinusoidal_encoding(7, d_model, dtype=minigrad.float64).numpy()
    expected = np.zeros((7, d_model))
    for pos in range(7):
        for col in range(d_model):
            i2 = col - col % 2  # the "2i" of the column's pair
            angle = pos / 10000 ** (i2 / d_model)
            expected[pos, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    np.testing.assert_allclose(pe, expected, rtol=0, atol=1e-12)


def test_sinusoidal_module_scales_adds_and_keeps_a_buffer():
    module = SinusoidalPositionalEncoding(d_model=4, max_len=10, dropout=0.0)
    assert list(module.parameters()) == []
    assert "pe" in module.state_dict()
    x = minigrad.randn(2, 3, 4)
    expected = x.numpy() * 2.0 + sinusoidal_encoding(10, 4).numpy()[5:8]
    np.testing.assert_allclose(module(x, start=5).numpy(), expected, rtol=1e-6)
    with pytest.raises(minigrad.ShapeError, match="max_len"):
        module(minigrad.randn(1, 11, 4))


# ---- attention ---------------------------------------------------------------------------------


def test_op_by_op_attention_matches_the_fused_function():
    q, k, v = minigrad.randn(2, 3, 4, 5), minigrad.randn(2, 3, 6, 5), minigrad.randn(2, 3, 6, 2)
    mask = padding_mask(minigrad.tensor([[1, 2, 3, 0, 0, 0], [1, 2, 3, 4, 5, 6]]), 0)
    out, weights = attention(q, k, v, mask)
    fused = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_allclose(out.numpy(), fused.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, rtol=1e-6)
    assert (weights[0, :, :, 3:].numpy() == 0).all()  # masked keys get no weight at all


def attention_both_ways(q, k, v, mask):
    """(output, dq, dk, dv) of the op-by-op and the fused attention, for one loss."""
    results = []
    for path in ("op by op", "fused"):
        leaves = [t.detach().requires_grad_() for t in (q, k, v)]
        if path == "fused":
            out = F.scaled_dot_product_attention(*leaves, attn_mask=mask)
        else:
            out = attention(*leaves, mask)[0]
        (out * out.detach().cos()).sum().backward()
        results.append([npy(out)] + [t.grad.numpy() for t in leaves])
    return results


@pytest.mark.parametrize("seed", range(4))
def test_both_attention_paths_agree_with_fully_masked_query_rows(seed):
    """A query with no key to attend outputs 0 and sends 0 gradient, on both paths, with no
    NumPy RuntimeWarning (invalid value, divide by zero) on the way."""
    rng = np.random.default_rng(seed)
    q, k, v = (minigrad.tensor(rng.standard_normal((2, 3, n, 4)), dtype=minigrad.float32)
               for n in (5, 6, 6))  # fmt: skip
    mask = rng.random((2, 1, 5, 6)) < 0.4
    mask[0, 0, 1] = mask[1, 0, 4] = False  # two queries with every key blocked
    mask = minigrad.tensor(mask)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", MaskWarning)
        op_by_op, fused = attention_both_ways(q, k, v, mask)
    for a, b in zip(op_by_op, fused):
        assert np.isfinite(a).all()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (op_by_op[0][0, :, 1] == 0).all() and (op_by_op[0][1, :, 4] == 0).all()
    assert (op_by_op[1][0, :, 1] == 0).all()  # no gradient reaches the query that saw nothing


def test_multi_head_attention_paths_agree_with_fully_masked_rows():
    fused = MultiHeadAttention(d_model=8, n_heads=2)
    stored = MultiHeadAttention(d_model=8, n_heads=2, store_attention=True)
    stored.load_state_dict(fused.state_dict())
    x = minigrad.randn(2, 4, 8)
    mask = padding_mask(minigrad.tensor([[0, 0, 0, 0], [1, 2, 0, 0]]), 0)  # sequence 0: all pad
    with pytest.warns(MaskWarning, match="blocks every key"):
        a = fused(x, x, x, mask)
    with pytest.warns(MaskWarning):
        b = stored(x, x, x, mask)
    np.testing.assert_allclose(npy(a), npy(b), rtol=1e-5, atol=1e-6)
    assert (npy(stored.attention)[0] == 0).all()


def test_an_inverted_causal_mask_warns_and_says_so():
    mha = MultiHeadAttention(d_model=8, n_heads=2)
    x = minigrad.randn(1, 4, 8)
    with pytest.warns(MaskWarning, match=r"~causal_mask.*pass causal_mask\(T\)"):
        mha(x, x, x, ~causal_mask(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", MaskWarning)
        mha(x, x, x, causal_mask(4))  # the right masks are silent
        y = x.unsqueeze(1)  # (B, H, T, D)
        attention(y, y, y, target_mask(minigrad.tensor([[1, 6, 0, 0]]), 0))


@pytest.mark.parametrize(
    "shapes, expected",
    [
        (((4, 8), (4, 8), (4, 8)), r"query of shape \(batch, length, d_model=8\), got \[4, 8\] \(add"),
        (((1, 4, 6), (1, 4, 8), (1, 4, 8)), r"query of shape .* got \[1, 4, 6\]"),
        (((1, 4, 8), (1, 5, 8), (1, 3, 8)), r"key and value one length"),
    ],
)  # fmt: skip
def test_multi_head_attention_names_the_expected_shape(shapes, expected):
    mha = MultiHeadAttention(d_model=8, n_heads=2)
    with pytest.raises(minigrad.ShapeError, match=expected):
        mha(*(minigrad.randn(*s) for s in shapes))


def test_attention_rejects_wrong_ranks_and_masks_clearly():
    q = minigrad.randn(4, 8)
    with pytest.raises(minigrad.ShapeError, match=r"at least 2-D, got query \[8\]"):
        attention(q[0], q, q)
    with pytest.raises(minigrad.ShapeError, match=r"key\[-2\] == value\[-2\]"):
        attention(q, q, q[:3])
    with pytest.raises(minigrad.DTypeError, match="mask must be a bool tensor"):
        attention(q, q, q, minigrad.zeros(4, 4))
    with pytest.raises(minigrad.ShapeError, match=r"does not fit 4 queries and 4 keys"):
        attention(q, q, q, causal_mask(3))


def test_stored_attention_weights_retain_their_gradient():
    mha = MultiHeadAttention(d_model=8, n_heads=2, store_attention=True)
    x, memory = minigrad.randn(3, 4, 8), minigrad.randn(3, 5, 8)
    mha(x, memory, memory).sum().backward()
    assert mha.attention.shape == (3, 2, 4, 5)
    assert mha.attention.grad.shape == (3, 2, 4, 5)
    assert float(mha.attention.grad.abs().sum()) > 0
    # The stored pattern is that of the fused path's output.
    fused = MultiHeadAttention(d_model=8, n_heads=2)
    fused.load_state_dict(mha.state_dict())
    np.testing.assert_allclose(
        npy(fused(x, memory, memory)),
        npy(mha(x, memory, memory)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_mha_names_the_bad_head_count():
    with pytest.raises(minigrad.ShapeError, match="divisible"):
        MultiHeadAttention(d_model=10, n_heads=3)


# ---- gradient checks of whole layers (float64) ------------------------------------------------


def check_module_gradients(module, fn, *inputs, fast_mode=True):
    """gradcheck ``fn`` with respect to its inputs and every parameter of ``module``.

    The parameters are passed as extra inputs, which gradcheck perturbs in place, so ``fn`` sees
    them through the module. Whole layers use ``fast_mode`` (random projections of the Jacobian)
    to stay fast; attention is checked element by element.
    """
    params = tuple(module.parameters())
    wrapped = lambda *args: fn(*args[: len(inputs)])  # noqa: E731
    assert gradcheck(wrapped, inputs + params, fast_mode=fast_mode)


def float64_input(*shape):
    return minigrad.randn(*shape, dtype=minigrad.float64, requires_grad=True)


def test_gradcheck_multi_head_attention():
    mha = MultiHeadAttention(d_model=4, n_heads=2).to(minigrad.float64)
    x, memory = float64_input(2, 3, 4), float64_input(2, 5, 4)
    mask = padding_mask(minigrad.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]), 0)
    check_module_gradients(mha, lambda q, kv: mha(q, kv, kv, mask), x, memory, fast_mode=False)


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_encoder_layer(norm_first):
    layer = EncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first)
    layer = layer.to(minigrad.float64)
    check_module_gradients(layer, lambda x: layer(x, causal_mask(3)), float64_input(2, 3, 4))


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_decoder_layer(norm_first):
    layer = DecoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first).to(minigrad.float64)
    src_mask = padding_mask(minigrad.tensor([[1, 1, 0, 0], [1, 1, 1, 1]]), 0)
    check_module_gradients(
        layer,
        lambda y, m: layer(y, m, src_mask, causal_mask(3)),
        float64_input(2, 3, 4),
        float64_input(2, 4, 4),
    )


# ---- causality and padding ---------------------------------------------------------------------


def tiny_gpt(block_size=8, dtype=minigrad.float32):
    config = GPTConfig(vocab_size=13, block_size=block_size, n_layer=2, n_head=2, n_embd=16)
    return GPT(config).to(dtype).eval()


def tiny_transformer(norm_first=False):
    return Transformer(
        11, 11, d_model=16, n_heads=2, n_layers=2, d_ff=32, dropout=0.0, norm_first=norm_first
    ).eval()


def test_gpt_outputs_do_not_depend_on_later_tokens():
    model = tiny_gpt()
    idx = minigrad.randint(0, 13, (2, 8))
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 13
    before, _ = model(idx, targets=idx)
    after, _ = model(changed, targets=idx)
    np.testing.assert_allclose(npy(after[:, :5]), npy(before[:, :5]), rtol=0, atol=1e-6)
    assert not np.allclose(npy(after[:, 5:]), npy(before[:, 5:]))


def test_gpt_gradient_to_later_positions_is_exactly_zero():
    model = tiny_gpt()
    x = minigrad.randn(2, 8, 16, requires_grad=True)  # stands for the input embeddings
    h = x
    for block in model.transformer.h:
        h = block(h)
    model.lm_head(model.transformer.ln_f(h))[:, 4].sum().backward()
    grad = x.grad.numpy()
    assert (grad[:, 5:] == 0).all()
    assert (np.abs(grad[:, :5]).sum(-1) > 0).all()


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_is_causal_in_values_and_gradients(norm_first):
    model = tiny_transformer(norm_first)
    memory = model.encode(minigrad.randint(2, 11, (2, 5)))
    y = minigrad.randn(2, 6, 16, requires_grad=True)
    out = model.decoder(y, memory, tgt_mask=causal_mask(6))
    # A random projection: with pre-LN, the plain sum of a LayerNorm output is constant.
    (out[:, 2] * minigrad.randn(16)).sum().backward()
    assert (y.grad.numpy()[:, 3:] == 0).all()
    assert (np.abs(y.grad.numpy()[:, :3]).sum(-1) > 0).all()
    tgt = minigrad.randint(2, 11, (2, 6))
    changed = tgt.clone()
    changed[:, 3:] = 1
    src = minigrad.randint(2, 11, (2, 5))
    np.testing.assert_allclose(
        npy(model(src, changed)[:, :3]),
        npy(model(src, tgt)[:, :3]),
        rtol=0,
        atol=1e-6,
    )


def test_appending_source_padding_changes_no_decoder_output():
    model = tiny_transformer()
    src = minigrad.randint(2, 11, (2, 5))
    padded = minigrad.cat([src, minigrad.zeros(2, 3, dtype=minigrad.int64)], dim=1)
    tgt = minigrad.randint(2, 11, (2, 4))
    plain = model(src, tgt, src_mask=padding_mask(src, 0))
    with_pads = model(padded, tgt, src_mask=padding_mask(padded, 0))
    np.testing.assert_allclose(npy(with_pads), npy(plain), atol=1e-5)


# ---- GPT: loss, cache, generation --------------------------------------------------------------


def test_gpt_loss_ignores_minus_one_and_last_position_logits():
    model = tiny_gpt()
    x, y = sort_task(4, length=4, num_digits=3)
    logits, loss = model(x, y)
    assert logits.shape == (4, 7, 13)
    valid = y.numpy() != -1
    logp = npy(logits.log_softmax(-1))
    picked = np.take_along_axis(logp, np.where(valid, y.numpy(), 0)[..., None], -1)[..., 0]
    np.testing.assert_allclose(float(loss), -picked[valid].mean(), rtol=1e-5)
    last, none = model(x)
    assert none is None and last.shape == (4, 1, 13)
    np.testing.assert_allclose(npy(last)[:, 0], npy(logits)[:, -1], atol=1e-5)


def test_gpt_init_scales_the_residual_projections():
    model = GPT(GPTConfig(vocab_size=50, block_size=8, n_layer=8, n_head=2, n_embd=64))
    assert model.lm_head.weight is model.transformer.wte.weight
    c_proj = model.transformer.h[0].mlp.c_proj.weight.detach().numpy()
    c_fc = model.transformer.h[0].mlp.c_fc.weight.detach().numpy()
    assert abs(c_proj.std() - 0.02 / math.sqrt(16)) < 0.001
    assert abs(c_fc.std() - 0.02) < 0.002


def test_feeding_a_sequence_in_pieces_through_the_cache_gives_the_same_logits():
    model = tiny_gpt(dtype=minigrad.float64)
    idx = minigrad.randint(0, 13, (2, 7))
    whole, _ = model(idx, targets=idx)
    cache = model.new_cache()
    pieces = [(0, 3), (3, 5), (5, 6), (6, 7)]  # a prompt, a 2-token chunk, then single tokens
    with minigrad.no_grad():
        for start, end in pieces:
            last, _ = model(idx[:, start:end], cache=cache)
            np.testing.assert_allclose(
                npy(last)[:, 0], npy(whole)[:, end - 1], rtol=1e-10, atol=1e-12
            )
    assert cache[0].length == 7
    with pytest.raises(minigrad.ShapeError, match="block size"):
        model(idx[:, :2], cache=cache)


@pytest.mark.parametrize("sampling", [dict(temperature=0.0), dict(top_k=1)])
def test_cached_generation_gives_the_tokens_of_uncached_generation(sampling):
    model = tiny_gpt(block_size=6, dtype=minigrad.float64)
    prompt = minigrad.randint(0, 13, (3, 2))
    cached = model.generate(prompt, max_new_tokens=10, **sampling)  # past the block size
    uncached = model.generate(prompt, max_new_tokens=10, use_cache=False, **sampling)
    assert cached.shape == (3, 12)
    assert cached.tolist() == uncached.tolist()
    assert cached[:, :2].tolist() == prompt.tolist()


def test_top_k_sampling_draws_only_from_the_k_most_likely():
    model = tiny_gpt()
    prompt = minigrad.zeros(64, 1, dtype=minigrad.int64)
    logits, _ = model(prompt[:1])
    allowed = set(logits[0, 0].topk(3)[1].tolist())
    drawn = model.generate(prompt, max_new_tokens=1, top_k=3)[:, 1].tolist()
    assert set(drawn) <= allowed and len(set(drawn)) > 1


# ---- encoder-decoder ---------------------------------------------------------------------------


def test_greedy_decode_starts_with_start_and_pads_after_end():
    model = tiny_transformer()
    src = minigrad.randint(2, 11, (3, 5))
    out = model.greedy_decode(src, max_len=6, start_id=1)
    assert out.shape == (3, 6) and out[:, 0].tolist() == [1, 1, 1]
    # Every sequence ends at once when end_id is whatever token the model emits first.
    first = out[:, 1].tolist()
    stopped = model.greedy_decode(src[:1], max_len=6, start_id=1, end_id=first[0])
    assert stopped.tolist() == [[1, first[0]]]


def test_tied_embeddings_share_one_matrix():
    model = Transformer(11, 11, d_model=8, n_heads=2, n_layers=1, d_ff=16, tie_embeddings=True)
    assert model.generator.weight is model.tgt_embed.weight is model.src_embed.weight


def test_a_tiny_transformer_learns_the_copy_task():
    minigrad.manual_seed(0)
    model = Transformer(11, 11, d_model=32, n_heads=2, n_layers=1, d_ff=64, dropout=0.0)
    optimizer = minigrad.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(150):
        src, tgt = copy_task(32, length=6)
        logits = model(src, tgt[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 11), tgt[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss) < 0.3 * math.log(11)  # chance is log 11 ~ 2.4


# ---- data --------------------------------------------------------------------------------------


def test_seq2seq_tasks():
    src, tgt = copy_task(4, length=6)
    assert src.shape == (4, 6) and src.tolist() == tgt.tolist()
    assert src[:, 0].tolist() == [1] * 4 and int(src[:, 1:].min()) >= 2
    src, tgt = reverse_task(4, length=6)
    assert tgt[:, 1:].tolist() == src[:, 1:].flip(1).tolist()


def test_sort_task_targets_the_sorted_digits_only():
    x, y = sort_task(5, length=4, num_digits=3)
    assert x.shape == y.shape == (5, 7)
    assert (y[:, :3].numpy() == -1).all()
    np.testing.assert_array_equal(y[:, 3:].numpy(), np.sort(x[:, :4].numpy(), axis=1))


def test_addition_task_writes_the_sum_reversed():
    x, y = addition_task(6, n_digits=2)
    seq = np.concatenate([x.numpy(), y.numpy()[:, -1:]], axis=1)
    a, b = seq[:, 0] * 10 + seq[:, 1], seq[:, 2] * 10 + seq[:, 3]
    np.testing.assert_array_equal(seq[:, 4] + 10 * seq[:, 5] + 100 * seq[:, 6], a + b)
    assert (y[:, :3].numpy() == -1).all()
