"""``minigrad.nn.functional`` (F): activations, normalisation, embedding, dropout, losses and
scaled dot-product attention, against NumPy references, gradcheck and gradgradcheck.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Case, Example, arrays, leaf, numpy_erf, one, op_tests, shapes

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradgradcheck


def _seeded(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))


def _np_log_softmax(a, axis):
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# ---- activations, linear, layer norm -----------------------------------------------------------
def _np_gelu(a):
    return 0.5 * a * (1.0 + numpy_erf(a / math.sqrt(2.0)))


def _np_gelu_tanh(a):
    return 0.5 * a * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * a**3)))


@st.composite
def _linear(draw, bias=True):
    batch = draw(shapes(max_dims=2, max_numel=4))
    n_in, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    parts = [draw(arrays(batch + (n_in,))), draw(arrays((n_out, n_in)))]
    if bias:
        parts.append(draw(arrays((n_out,))))
    return Example(tuple(parts))


@st.composite
def _layer_norm(draw, affine=True):
    x = draw(arrays(shapes(min_dims=1)))
    k = draw(st.integers(1, x.ndim))
    normalized = x.shape[x.ndim - k :]
    parts = [x]
    if affine:
        parts += [draw(arrays(normalized)), draw(arrays(normalized))]
    return Example(tuple(parts), {"normalized_shape": normalized})


def _np_layer_norm(x, weight=None, bias=None, normalized_shape=()):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    out = centred / np.sqrt((centred**2).mean(axis=axes, keepdims=True) + 1e-5)
    return out if weight is None else out * weight + bias


@st.composite
def _along(draw):
    a = draw(arrays(shapes()))
    rank = max(a.ndim, 1)
    return Example((a,), {"dim": draw(st.integers(-rank, rank - 1))})


def _np_softmax(a, dim):
    return np.exp(_np_log_softmax(a, None if a.ndim == 0 else dim))


ACTIVATION_CASES = [
    Case(
        "linear",
        _linear(),
        lambda m, x, w, b: m.nn.functional.linear(x, w, b),
        lambda x, w, b: x @ w.T + b,
    ),
    Case(
        "linear_no_bias",
        _linear(bias=False),
        lambda m, x, w: m.nn.functional.linear(x, w),
        lambda x, w: x @ w.T,
    ),
    Case(
        "relu", one("distinct"), lambda m, x: m.nn.functional.relu(x), lambda a: np.maximum(a, 0.0)
    ),
    Case("gelu", one(), lambda m, x: m.nn.functional.gelu(x), _np_gelu),
    Case(
        "gelu_tanh", one(), lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), _np_gelu_tanh
    ),
    Case("silu", one(), lambda m, x: m.nn.functional.silu(x), lambda a: a / (1.0 + np.exp(-a))),
    Case("F.softmax", _along(), lambda m, x, dim: m.nn.functional.softmax(x, dim), _np_softmax),
    Case(
        "F.log_softmax",
        _along(),
        lambda m, x, dim: m.nn.functional.log_softmax(x, dim=dim),
        lambda a, dim: _np_log_softmax(a, None if a.ndim == 0 else dim),
    ),
    Case(
        "layer_norm",
        _layer_norm(),
        lambda m, x, w, b, normalized_shape: m.nn.functional.layer_norm(x, normalized_shape, w, b),
        _np_layer_norm,
        atol=1e-9,
    ),
    Case(
        "layer_norm_plain",
        _layer_norm(affine=False),
        lambda m, x, normalized_shape: m.nn.functional.layer_norm(x, normalized_shape),
        lambda x, normalized_shape: _np_layer_norm(x, normalized_shape=normalized_shape),
        atol=1e-9,
    ),
]


# ---- embedding and dropout ---------------------------------------------------------------------
@st.composite
def _embedding(draw, padding=False):
    rows, dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    ids = _seeded(draw).integers(0, rows, draw(shapes(max_dims=2, max_numel=6)))
    params = {"ids": ids}
    if padding:
        params["padding_idx"] = draw(st.integers(0, rows - 1))
    return Example((draw(arrays((rows, dim))),), params)


EMBEDDING_CASES = [
    Case(
        "embedding",
        _embedding(),
        lambda m, w, ids: m.nn.functional.embedding(m.tensor(ids), w),
        lambda w, ids: w[ids],
    ),
    Case(
        "embedding_padding_idx",
        _embedding(padding=True),
        lambda m, w, ids, padding_idx: m.nn.functional.embedding(
            m.tensor(ids), w, padding_idx=padding_idx
        ),
        lambda w, ids, padding_idx: w[ids],
        gradcheck=False,  # the padding row's gradient is zero by design
    ),
    Case("dropout_p0", one(), lambda m, x: m.nn.functional.dropout(x, p=0.0), lambda a: a),
    Case(
        "dropout_eval",
        one(),
        lambda m, x: m.nn.functional.dropout(x, 0.5, training=False),
        lambda a: a,
    ),
]


# ---- losses ------------------------------------------------------------------------------------
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@st.composite
def _classification(draw, probabilities=False, ignore=True):
    """Logits of shape (C,), (N, C) or (N, C, d), and targets for them."""
    layout = draw(st.sampled_from(["C", "NC", "NCd"]))
    n, c, d = draw(st.integers(1, 3)), draw(st.integers(2, 4)), draw(st.integers(1, 2))
    shape = {"C": (c,), "NC": (n, c), "NCd": (n, c, d)}[layout]
    logits = draw(arrays(shape))
    rng = _seeded(draw)
    params = {"reduction": draw(REDUCTIONS), "label_smoothing": draw(st.sampled_from([0.0, 0.1]))}
    if probabilities:
        target = rng.random(shape)
        axis = 0 if len(shape) == 1 else 1
        return Example((logits, target / target.sum(axis=axis, keepdims=True)), params)
    target = rng.integers(0, c, shape[:1] + shape[2:] if len(shape) > 1 else ())
    if ignore and target.ndim and draw(st.booleans(), label="ignore"):
        target.flat[0] = -100  # at least one target stays valid when there are several
        if target.size == 1:
            target.flat[0] = 0
    return Example((logits,), dict(params, target=target))


def _np_cross_entropy(logits, target, reduction, label_smoothing, ignore_index=-100):
    axis = 0 if logits.ndim == 1 else 1
    logp = _np_log_softmax(logits, axis)
    n_classes = logits.shape[axis]
    if np.asarray(target).dtype.kind == "f":
        smoothed = target * (1 - label_smoothing) + label_smoothing / n_classes
        loss = -(smoothed * logp).sum(axis=axis)
        return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]
    valid = target != ignore_index
    picked = np.take_along_axis(logp, np.expand_dims(np.where(valid, target, 0), axis), axis)
    loss = -(1 - label_smoothing) * picked.squeeze(axis) - label_smoothing * logp.mean(axis=axis)
    loss = np.where(valid, loss, 0.0)
    if reduction == "mean":
        return loss.sum() / valid.sum()
    return {"sum": loss.sum(), "none": loss}[reduction]


def _np_nll(logp, target, reduction, label_smoothing):
    axis = 0 if logp.ndim == 1 else 1
    valid = target != -100
    picked = np.take_along_axis(logp, np.expand_dims(np.where(valid, target, 0), axis), axis)
    loss = np.where(valid, -picked.squeeze(axis), 0.0)
    if reduction == "mean":
        return loss.sum() / valid.sum()
    return {"sum": loss.sum(), "none": loss}[reduction]


@st.composite
def _mse(draw):
    shape = draw(shapes())
    return Example((draw(arrays(shape)), draw(arrays(shape))), {"reduction": draw(REDUCTIONS)})


LOSS_CASES = [
    Case(
        "cross_entropy",
        _classification(),
        lambda m, x, target, reduction, label_smoothing: m.nn.functional.cross_entropy(
            x, m.tensor(target), reduction=reduction, label_smoothing=label_smoothing
        ),
        _np_cross_entropy,
    ),
    Case(
        "cross_entropy_probabilities",
        _classification(probabilities=True),
        lambda m, x, target, reduction, label_smoothing: m.nn.functional.cross_entropy(
            x, target, reduction=reduction, label_smoothing=label_smoothing
        ),
        _np_cross_entropy,
    ),
    Case(
        "nll_loss",
        _classification(),
        lambda m, x, target, reduction, label_smoothing: m.nn.functional.nll_loss(
            x, m.tensor(target), reduction=reduction
        ),
        _np_nll,
    ),
    Case(
        "mse_loss",
        _mse(),
        lambda m, x, y, reduction: m.nn.functional.mse_loss(x, y, reduction=reduction),
        lambda a, b, reduction: {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](
            (a - b) ** 2
        ),
    ),
]


# ---- scaled dot-product attention -------------------------------------------------------------
@st.composite
def _attention(draw, mask):
    """q (B.., L, E), k (B.., S, E), v (B.., S, Ev) and a mask of kind ``mask``."""
    batch = draw(st.sampled_from([(), (1,), (2,), (2, 1)]))
    L, S, E, Ev = (draw(st.integers(1, 3)) for _ in range(4))
    q, k, v = (draw(arrays(batch + s)) for s in [(L, E), (S, E), (S, Ev)])
    params = {"scale": draw(st.sampled_from([None, 0.7]))}
    rng = _seeded(draw)
    if mask == "bool":
        allowed = rng.random((L, S)) < 0.6
        allowed[np.arange(L), rng.integers(0, S, L)] = True  # each query sees at least one key
        params["mask"] = allowed
    elif mask == "float":
        params["mask"] = rng.uniform(-1.0, 1.0, (L, S))
    return Example((q, k, v), params)


def _sdpa(m, q, k, v, scale, mask=None, is_causal=False):
    attn_mask = None if mask is None else m.tensor(mask)
    return m.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )


def _np_sdpa(q, k, v, scale, mask=None, is_causal=False):
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if is_causal:
        mask = np.tril(np.ones(scores.shape[-2:], dtype=bool))
    if mask is not None and mask.dtype == bool:
        scores = np.where(mask, scores, -np.inf)
    elif mask is not None:
        scores = scores + mask
    return np.exp(_np_log_softmax(scores, -1)) @ v


ATTENTION_CASES = [
    Case("sdpa", _attention(None), _sdpa, _np_sdpa),
    Case("sdpa_bool_mask", _attention("bool"), _sdpa, _np_sdpa),
    Case("sdpa_float_mask", _attention("float"), _sdpa, _np_sdpa),
    Case(
        "sdpa_causal",
        _attention(None),
        lambda m, q, k, v, scale: _sdpa(m, q, k, v, scale, is_causal=True),
        lambda q, k, v, scale: _np_sdpa(q, k, v, scale, is_causal=True),
    ),
]

CASES = ACTIVATION_CASES + EMBEDDING_CASES + LOSS_CASES + ATTENTION_CASES

test_op, test_gradgradcheck, test_float32 = op_tests(CASES)


# ---- behaviour beyond values -------------------------------------------------------------------
@given(
    a=arrays(shapes(min_dims=1), "nonzero"),
    p=st.sampled_from([0.2, 0.5, 0.8]),
    seed=st.integers(0, 99),
)
def test_dropout_gradient_is_the_mask_times_the_scale(a, p, seed):
    x = leaf(a)
    minigrad.manual_seed(seed)
    y = F.dropout(x, p)
    kept = y.detach().numpy() != 0.0
    np.testing.assert_allclose(y.detach().numpy(), np.where(kept, a / (1 - p), 0.0), rtol=1e-12)
    g = np.random.default_rng(seed).standard_normal(a.shape)
    y.backward(minigrad.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), kept * g / (1 - p), rtol=1e-12)
    minigrad.manual_seed(seed)  # the same seed draws the same mask
    np.testing.assert_array_equal(F.dropout(x, p).detach().numpy() != 0.0, kept)


def test_dropout_drops_about_p_of_the_elements():
    minigrad.manual_seed(0)
    y = F.dropout(minigrad.ones(100, 100), 0.3)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - 0.3) < 0.02  # 10000 draws: 4.4 standard deviations
    np.testing.assert_allclose(y.numpy()[y.numpy() != 0], 1.0 / 0.7, rtol=1e-6)
    assert (F.dropout(minigrad.ones(3), 1.0) == 0).all().item()
    with pytest.raises(ValueError, match="dropout"):
        F.dropout(minigrad.ones(3), 1.5)


@given(data=st.data())
def test_one_hot(data):
    num = data.draw(st.integers(1, 5))
    ids = data.draw(st.lists(st.integers(0, num - 1), max_size=6))
    out = F.one_hot(minigrad.tensor(ids, dtype=minigrad.int64), num)
    assert out.dtype is minigrad.int64
    np.testing.assert_array_equal(
        out.numpy(), np.eye(num, dtype=np.int64)[ids].reshape(len(ids), num)
    )
    if ids:
        assert F.one_hot(minigrad.tensor(ids)).shape == (len(ids), max(ids) + 1)


def test_embedding_padding_row_gets_no_gradient():
    w = leaf(np.arange(6.0).reshape(3, 2))
    out = F.embedding(minigrad.tensor([0, 2, 2, 1]), w, padding_idx=2)
    np.testing.assert_array_equal(out.detach().numpy(), np.arange(6.0).reshape(3, 2)[[0, 2, 2, 1]])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0, 1.0], [1.0, 1.0], [0.0, 0.0]])


def test_cross_entropy_ignores_targets_and_refuses_bad_ones():
    logits = leaf(np.array([[2.0, 0.0], [0.0, 2.0]]))
    loss = F.cross_entropy(logits, minigrad.tensor([0, -100]))
    np.testing.assert_allclose(loss.item(), np.log(1 + np.exp(-2.0)))
    loss.backward()
    np.testing.assert_array_equal(logits.grad.numpy()[1], [0.0, 0.0])  # ignored row: no gradient
    with pytest.raises(minigrad.IndexOutOfRange, match="Target 2"):
        F.cross_entropy(logits, minigrad.tensor([0, 2]))
    with pytest.raises(minigrad.DTypeError, match="int64"):
        F.cross_entropy(logits, minigrad.tensor([True, False]))
    with pytest.raises(minigrad.ShapeError, match="probability targets"):
        F.cross_entropy(logits, minigrad.tensor([0.0, 1.0]).reshape(2, 1))


def test_attention_row_with_no_key_gives_zero_and_finite_gradients():
    q, k, v = (leaf(np.random.default_rng(i).standard_normal((2, 3))) for i in range(3))
    mask = minigrad.tensor([[True, False], [False, False]])  # query 1 may attend to nothing
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(out.detach().numpy()[1], [0.0, 0.0, 0.0])
    out.sum().backward()
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()
    np.testing.assert_array_equal(q.grad.numpy()[1], [0.0, 0.0, 0.0])
    assert gradgradcheck(
        lambda *t: F.scaled_dot_product_attention(*t, attn_mask=mask), (q, k, v), seed=0
    )


def test_attention_mask_errors():
    q = minigrad.zeros(2, 3)
    with pytest.raises(minigrad.ShapeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=minigrad.ones(3, 2, dtype=minigrad.bool))
    with pytest.raises(ValueError):
        F.scaled_dot_product_attention(q, q, q, attn_mask=minigrad.ones(2, 2), is_causal=True)


@pytest.mark.torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)])
def test_class_weights_match_pytorch(shape, label_smoothing, reduction):
    """``weight=`` in cross_entropy (indices and probabilities) and nll_loss: values and
    gradients as PyTorch's, with an ignored target among the indices."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    target.reshape(-1)[0] = -100
    probs = rng.random(shape)
    probs /= probs.sum(1, keepdims=True)
    weight = rng.random(shape[1]) + 0.5
    calls = [
        lambda lib, x, w: lib.nn.functional.cross_entropy(
            x, lib.tensor(target), weight=w, reduction=reduction, label_smoothing=label_smoothing
        ),
        lambda lib, x, w: lib.nn.functional.cross_entropy(
            x, lib.tensor(probs), weight=w, reduction=reduction, label_smoothing=label_smoothing
        ),
        lambda lib, x, w: lib.nn.functional.nll_loss(
            x.log_softmax(1), lib.tensor(target), weight=w, reduction=reduction
        ),
    ]
    for call in calls:
        results = []
        for lib in (minigrad, torch):
            xs = lib.tensor(x, requires_grad=True)
            loss = call(lib, xs, lib.tensor(weight))
            loss.sum().backward()
            results.append((loss.detach().numpy(), xs.grad.numpy()))
        (got, got_grad), (want, want_grad) = results
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-9, atol=1e-12)


def test_class_weight_of_the_wrong_shape_is_refused():
    logits = minigrad.randn(4, 3)
    with pytest.raises(minigrad.ShapeError, match=r"cross_entropy: weight must be .*\(3,\).*\[2\]"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), weight=minigrad.ones(2))
    with pytest.raises(minigrad.ShapeError, match="nll_loss: weight must be"):
        F.nll_loss(logits, minigrad.tensor([0, 1, 2, 0]), weight=[1.0, 2.0, 3.0])


def test_inplace_activations_write_into_their_input():
    """``inplace=True`` (F.relu, F.silu, F.dropout and their layers) changes the input tensor
    itself, as in PyTorch, and gradients flow through the written values."""
    base = np.array([-1.0, 0.5, 2.0])
    sig = 1 / (1 + np.exp(-base))
    step = (base > 0).astype(float)
    for fn, expected, grad in [
        (lambda h: F.relu(h, inplace=True), np.maximum(base, 0), step),
        (lambda h: F.silu(h, inplace=True), base * sig, sig + base * sig * (1 - sig)),
        (lambda h: F.dropout(h, p=1.0, inplace=True), np.zeros(3), np.zeros(3)),
        (lambda h: minigrad.nn.ReLU(inplace=True)(h), np.maximum(base, 0), step),
    ]:
        x = leaf(base)
        h = x * 1.0
        out = fn(h)
        assert out is h
        np.testing.assert_allclose(h.detach().numpy(), expected)
        out.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), grad)
    plain = minigrad.tensor(base)
    F.relu(plain)
    np.testing.assert_array_equal(plain.numpy(), base)  # out of place by default


@pytest.mark.parametrize("pad", [(1, 2), (0, 0, 2, 1), (-1, 1), (1, -2, 1, 0), (2, 0, 0, 0, 1, 1)])
def test_pad_matches_pytorch_with_gradients(pad):
    from torch_support import import_torch

    torch = import_torch()
    a = np.arange(24.0).reshape(2, 3, 4)
    ours, ref = leaf(a), torch.tensor(a, requires_grad=True)
    out, want = F.pad(ours, pad, value=-1.5), torch.nn.functional.pad(ref, pad, value=-1.5)
    np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
    weights = np.random.default_rng(0).standard_normal(want.shape)
    (out * minigrad.tensor(weights)).sum().backward()
    (want * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), ref.grad.numpy())
    assert gradgradcheck(lambda t: F.pad(t, pad) ** 2, (leaf(a[:1, :2, :3]),), seed=0)


def test_pad_refuses_what_it_cannot_do():
    x = minigrad.zeros(2, 3)
    with pytest.raises(ValueError, match="mode 'reflect' is not supported"):
        F.pad(x, (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="padding length must be even"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(RuntimeError, match="leaves a negative size"):
        F.pad(x, (-2, -2))


def test_linear_bias_gradient_stays_accurate_over_many_rows():
    """A linear layer's bias gradient sums dy over every row; in float32 that sum accumulates
    in float64, as ``Tensor.sum`` does (a row-by-row float32 sum drifts with the row count)."""
    rng = np.random.default_rng(0)
    x = minigrad.from_numpy(rng.standard_normal((20000, 3)).astype(np.float32))
    w = minigrad.zeros(4, 3, requires_grad=True)
    b = minigrad.zeros(4, requires_grad=True)
    dy = (rng.standard_normal((20000, 4)) + 5).astype(np.float32)
    F.linear(x, w, b).backward(minigrad.from_numpy(dy))
    exact = dy.astype(np.float64).sum(0)
    assert np.max(np.abs(b.grad.numpy() - exact) / exact) < 3e-7
