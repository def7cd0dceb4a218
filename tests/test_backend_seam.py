"""The backend seam: every op family, forward and backward, gives the CPU's results off the CPU.

Each case runs twice from the same host data: once on the CPU and once on ``other_device``
(the "strict" stand-in for CuPy, see ``strict_backend.py``, and "cuda" where a GPU is usable).
Outputs and the gradients of a weighted sum of the outputs must agree. On "strict" any code that
converts a device array to NumPy implicitly, or calls NumPy on it, raises, so a passing run means
the op stayed behind the seam.
"""

from __future__ import annotations

import numpy as np
import pytest
import strict_backend

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck

# Strict is NumPy underneath, so it must agree to rounding; CUDA kernels sum in other orders.
TOLERANCE = {"strict": dict(rtol=1e-6, atol=1e-7), "cuda": dict(rtol=2e-4, atol=2e-5)}


# ---- inputs: each spec draws a host array from a seeded generator --------------------------------
def floats(*shape, positive=False):
    """float32 normals (requires grad); ``positive`` shifts them into [0.5, ...) for log/sqrt."""

    def draw(rng):
        x = rng.standard_normal(shape).astype(np.float32)
        return (np.abs(x) + np.float32(0.5) if positive else x), True

    return draw


def ints(high, *shape):
    """int64 values in [0, high): indices, targets."""
    return lambda rng: (rng.integers(0, high, shape), False)


def mask(*shape):
    """A random boolean mask."""
    return lambda rng: (rng.random(shape) < 0.5, False)


def grid(*shape):
    """float32 values on a 0.25 grid with ties, for sort/max/argmax (ties broken the same way)."""
    return lambda rng: (rng.integers(-4, 4, shape).astype(np.float32) / 4, True)


def run(fn, specs, device):
    """Outputs of ``fn`` and the gradients of sum(outputs * fixed weights), as host arrays."""
    rng = np.random.default_rng(0)
    drawn = [spec(rng) for spec in specs]
    inputs = [minigrad.tensor(a, device=device, requires_grad=g) for a, g in drawn]
    minigrad.manual_seed(0)
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    loss = None
    for o in outs:
        if isinstance(o, minigrad.Tensor) and o.requires_grad:
            weight = minigrad.tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=device)
            term = (o * weight).sum()
            loss = term if loss is None else loss + term
    if loss is not None:
        loss.backward()
    values = [o.detach().cpu().numpy() if isinstance(o, minigrad.Tensor) else o for o in outs]
    grads = [t.grad.cpu().numpy() for t in inputs if t.grad is not None]
    return values, grads


def assert_same(expected, got, device):
    assert len(expected) == len(got)
    for e, g in zip(expected, got):
        if isinstance(e, np.ndarray):
            assert isinstance(g, np.ndarray) and g.dtype == e.dtype and g.shape == e.shape
            if e.dtype.kind == "f":
                np.testing.assert_allclose(g, e, **TOLERANCE[device.split(":")[0]])
            else:
                np.testing.assert_array_equal(g, e)
        else:
            assert g == e


def on(t):
    """Factory keywords that put a new tensor on ``t``'s device: ``minigrad.zeros(3, **on(t))``."""
    return {"device": t.device}


def _setitem_basic(x, v):
    y = x * 1.0
    y[1:, ::2] = v
    return y


def _setitem_advanced(x, v, i):
    y = x * 1.0
    y[i] = v
    return y


def _setitem_mask(x, m):
    y = x * 1.0
    y[m] = 0.0
    return y


def _inplace_chain(x, y):
    z = x * 1.0
    z.add_(y).mul_(2.0).sub_(y, alpha=0.5).div_(3.0).clamp_(-1.0, 1.0)
    z.masked_fill_(y > 1.0, 0.25)
    return z


def _copy_fill(x):
    z = x * 1.0
    z[0].fill_(2.0)
    z[1].zero_()
    w = minigrad.zeros(x.shape, device=x.device)
    w.copy_(z)
    return w * x


def _sdpa_bool_mask(q, k, v, m):
    return F.scaled_dot_product_attention(
        q, k, v, attn_mask=m | minigrad.eye(5, dtype=bool, **on(q))
    )


# (id, fn, input specs). Cases with outputs that carry no gradient still check values.
CASES = [
    # elementwise, with broadcasting, promotion and Python scalars on both sides
    ("add", lambda a, b: a + b, [floats(3, 4), floats(4)]),
    ("sub", lambda a, b: a - b, [floats(3, 1), floats(1, 4)]),
    ("mul", lambda a, b: a * b, [floats(2, 3, 4), floats(3, 1)]),
    ("div", lambda a, b: a / b, [floats(3, 4), floats(4, positive=True)]),
    ("scalars", lambda a: (2.0 - a) * 3 + 1.5 / (a * a + 1.0) - a / 2, [floats(5)]),
    ("pow", lambda a, b: a**b + a**2 + 2.0**b, [floats(3, 4, positive=True), floats(3, 4)]),
    ("neg_abs_sign", lambda a: (-a).abs() + a.sign() * a, [floats(4, 3)]),
    ("exp_log", lambda a: a.exp() + a.log(), [floats(6, positive=True)]),
    ("sqrt_rsqrt", lambda a: a.sqrt() * a.rsqrt().square(), [floats(6, positive=True)]),
    ("tanh_sigmoid_relu", lambda a: a.tanh() + a.sigmoid() * a.relu(), [floats(3, 5)]),
    ("sin_cos_erf", lambda a: a.sin() * a.cos() + a.erf(), [floats(7)]),
    ("clamp", lambda a: a.clamp(-0.5, 0.7) + a.clamp(min=0.1) + a.clip(max=0.2), [floats(9)]),
    ("clamp_tensor", lambda a, lo: a.clamp(min=lo), [floats(3, 4), floats(4)]),
    ("maximum_minimum", lambda a, b: a.maximum(b) + minigrad.minimum(a, b), [floats(5), floats(5)]),
    ("where", lambda c, a, b: minigrad.where(c, a, b), [mask(3, 4), floats(3, 4), floats(4)]),
    ("where_scalar", lambda c, a: minigrad.where(c, a, 0.0), [mask(4), floats(4)]),
    ("masked_fill", lambda a, m: a.masked_fill(m, -1.0), [floats(3, 4), mask(4)]),
    ("int_to_float", lambda a, i: a * i + i / 2 + (i + 1).float(), [floats(2, 3), ints(5, 2, 3)]),
    ("cast", lambda a: a.double().exp().float() + a.long(), [floats(4)]),
    (
        "compare",
        lambda a, b: ((a < b) | (a >= 0.5), a == a, a != b, (a > b) & ~(a <= 0)),
        [floats(3, 3), floats(3, 3)],
    ),
    (
        "logical",
        lambda m, n: (m.logical_and(n), m.logical_or(n), m.logical_xor(n), m.logical_not(), m ^ n),
        [mask(6), mask(6)],
    ),
    (
        "isfinite",
        lambda a: (
            a.masked_fill(a > 0, float("inf")).isinf(),
            minigrad.where(a > 0, a, float("nan")).isnan(),
            a.isfinite(),
        ),
        [floats(4)],
    ),
    ("floordiv_mod", lambda i, j: (i // (j + 1), i % (j + 1), i // 2), [ints(9, 5), ints(3, 5)]),
    # reductions
    ("sum", lambda a: (a.sum(), a.sum(1), a.sum((0, 2), keepdim=True)), [floats(2, 3, 4)]),
    (
        "sum_int_bool",
        lambda i, m: (i.sum(), m.sum(0), i.sum(dtype=minigrad.float32)),
        [ints(5, 3, 4), mask(3, 4)],
    ),
    (
        "mean_var_std",
        lambda a: (a.mean(), a.mean(-1), a.var(0), a.std(1, correction=0)),
        [floats(4, 5)],
    ),
    ("amax_amin", lambda a: (a.amax(), a.amax(1), a.amin(0, keepdim=True)), [grid(4, 6)]),
    ("max_min_dim", lambda a: (*a.max(1), *a.min(0, keepdim=True), a.max(), a.min()), [grid(4, 6)]),
    ("argmax_argmin", lambda a: (a.argmax(), a.argmax(1), a.argmin(0, keepdim=True)), [grid(4, 6)]),
    ("logsumexp", lambda a: a.logsumexp(1) + a.logsumexp((0, 1)), [floats(3, 5)]),
    ("softmax", lambda a: (a.softmax(-1), a.log_softmax(0), F.softmax(a, 1)), [floats(4, 6)]),
    ("cumsum", lambda a, i: (a.cumsum(1), i.cumsum(0)), [floats(3, 4), ints(4, 5)]),
    ("all_any", lambda m: (m.all(), m.any(1), m.all(0, keepdim=True)), [mask(4, 5)]),
    (
        "sort_topk",
        lambda a: (*a.sort(1), *a.sort(0, descending=True), *a.topk(2), a.argsort(1)),
        [grid(4, 5)],
    ),
    (
        "equal_allclose",
        lambda a, b: (a.equal(a), a.equal(b), a.allclose(a + 1e-9), a.allclose(b)),
        [floats(3), floats(3)],
    ),
    # movement
    (
        "reshape_view",
        lambda a: a.reshape(4, 6) * a.view(2, 12).reshape(4, 6) + a.flatten()[:, None].sum(),
        [floats(2, 3, 4)],
    ),
    ("flatten_unflatten", lambda a: a.flatten(1).unflatten(1, (4, 3)), [floats(2, 3, 4)]),
    (
        "permute_transpose",
        lambda a: (a.permute(2, 0, 1), a.transpose(0, 2), a.mT, a[0].T, a[0].t()),
        [floats(2, 3, 4)],
    ),
    ("squeeze_unsqueeze", lambda a: a.unsqueeze(0).squeeze(2).unsqueeze(-1) * 2, [floats(3, 1, 4)]),
    ("expand_repeat", lambda a: a.expand(2, 3, 4) + a.repeat(2, 1, 4), [floats(3, 1)]),
    ("flip", lambda a: a.flip(0) * a.flip(0, 1), [floats(3, 4)]),
    (
        "split_chunk_unbind",
        lambda a: (*a.split(2, 1), *a.chunk(2, 0), *a.unbind(0), a.narrow(1, 1, 2)),
        [floats(4, 5)],
    ),
    (
        "cat_stack",
        lambda a, b: (minigrad.cat([a, b], 1), minigrad.stack([a, a * b[:, :3]], 0)),
        [floats(2, 3), floats(2, 4)],
    ),
    ("contiguous_clone", lambda a: a.T.contiguous() * a.T.clone(), [floats(3, 4)]),
    ("tril_triu", lambda a: a.tril() + a.triu(1) * 2, [floats(4, 5)]),
    # indexing: basic, advanced (repeated indices accumulate in backward), masks, setitem
    ("slice_index", lambda a: a[1:, ::2] + a[-1, None, ...][..., 1:4:2], [floats(3, 4)]),
    ("int_tensor_index", lambda a, i: a[i] + a[:, i[:4]].sum(), [floats(4, 3), ints(3, 7)]),
    ("pair_index", lambda a, i, j: a[i, j], [floats(4, 5), ints(4, 6), ints(5, 6)]),
    ("list_index", lambda a: a[[0, 2, 2]] + a[:, [1, 1, 0]].sum(), [floats(3, 3)]),
    ("mask_index", lambda a, m: a[m], [floats(3, 4), mask(3, 4)]),
    (
        "gather_index_select",
        lambda a, i: a.gather(1, i) + a.index_select(1, i[0]),
        [floats(3, 4), ints(4, 3, 4)],
    ),
    (
        "scatter_index_fill",
        lambda a, s, i: (
            a.scatter(1, i, s) + a.scatter_add(1, i, s) + a.scatter(0, i[:1], -1.0),
            a.index_fill(1, i[0], 0.5),
        ),
        [floats(3, 4), floats(3, 4), ints(3, 3, 4)],
    ),
    ("roll", lambda a: a.roll(1, 0) + a.roll((-1, 2), (1, 0)) + a.roll(5), [floats(3, 4)]),
    ("nonzero", lambda a: ((a > 0).nonzero(), *(a > 0).nonzero(as_tuple=True)), [floats(3, 4)]),
    (
        "mm_bmm_mv_dot_outer",
        lambda a, b: (a.mm(b.T), minigrad.bmm(a[None], b.T[None]), a.mv(b[0]), a[0].dot(b[1])),
        [floats(3, 4), floats(2, 4)],
    ),
    ("setitem_basic", _setitem_basic, [floats(3, 4), floats(2)]),
    ("setitem_advanced", _setitem_advanced, [floats(5, 3), floats(3), ints(5, 2)]),
    ("setitem_mask", _setitem_mask, [floats(3, 4), mask(3, 4)]),
    ("inplace", _inplace_chain, [floats(3, 4), floats(3, 4)]),
    ("copy_fill_zero", _copy_fill, [floats(3, 4)]),
    # matrix products
    ("matmul", lambda a, b: a @ b, [floats(3, 4), floats(4, 5)]),
    ("matmul_batched", lambda a, b: minigrad.matmul(a, b), [floats(2, 1, 3, 4), floats(3, 4, 2)]),
    (
        "matmul_vectors",
        lambda a, b, v: (v @ a, a @ b[:, 0], b[:, 0] @ b[:, 1], minigrad.mm(a, b)),
        [floats(3, 4), floats(4, 2), floats(3)],
    ),
    # nn.functional
    (
        "linear",
        lambda x, w, b: F.linear(x, w, b) + F.linear(x, w),
        [floats(2, 3, 4), floats(5, 4), floats(5)],
    ),
    ("gelu", lambda a: F.gelu(a) + F.gelu(a, approximate="tanh") * 2, [floats(4, 6)]),
    ("relu_silu_tanh", lambda a: F.relu(a) + F.silu(a) + F.tanh(a) + F.sigmoid(a), [floats(7)]),
    (
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (5,), w, b),
        [floats(2, 3, 5), floats(5), floats(5)],
    ),
    ("layer_norm_2d", lambda x: F.layer_norm(x, (3, 5), eps=1e-3), [floats(2, 3, 5)]),
    (
        "embedding",
        lambda i, w: F.embedding(i, w) + F.embedding(i, w, padding_idx=1),
        [ints(6, 3, 4), floats(6, 5)],
    ),
    ("one_hot", lambda i: (F.one_hot(i), F.one_hot(i, 7)), [ints(5, 8)]),
    (
        "cross_entropy",
        lambda x, t: (
            F.cross_entropy(x, t),
            F.cross_entropy(x, t, reduction="none"),
            F.cross_entropy(x, t, label_smoothing=0.1),
        ),
        [floats(6, 5), ints(5, 6)],
    ),
    (
        "cross_entropy_3d_ignore",
        lambda x, t: F.cross_entropy(x, t.masked_fill(t == 0, -100)),
        [floats(2, 5, 3), ints(5, 2, 3)],
    ),
    (
        "cross_entropy_probs",
        lambda x, p: F.cross_entropy(x, p.softmax(-1), reduction="sum"),
        [floats(4, 5), floats(4, 5)],
    ),
    (
        "nll_mse",
        lambda x, t, y: (F.nll_loss(x.log_softmax(1), t), F.mse_loss(x, y)),
        [floats(4, 5), ints(5, 4), floats(4, 5)],
    ),
    (
        "sdpa",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
        [floats(2, 5, 4), floats(2, 6, 4), floats(2, 6, 3)],
    ),
    (
        "sdpa_causal",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.3),
        [floats(2, 2, 5, 4), floats(2, 2, 5, 4), floats(2, 2, 5, 4)],
    ),
    ("sdpa_bool_mask", _sdpa_bool_mask, [floats(5, 4), floats(5, 4), floats(5, 4), mask(5, 5)]),
    (
        "sdpa_float_mask",
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
        [floats(5, 4), floats(5, 4), floats(5, 4), floats(5, 5)],
    ),
    # factories on the device, mixed with inputs so their values are checked
    (
        "factories",
        lambda a: (
            a + minigrad.ones(3, **on(a)) + minigrad.full((3,), 2.0, **on(a)),
            minigrad.zeros_like(a) + minigrad.arange(3, **on(a)),
            minigrad.linspace(0, 1, 5, **on(a)),
            minigrad.eye(3, 2, **on(a)),
            minigrad.arange(1, 2, 0.25, **on(a)),
            minigrad.full_like(a, 7),
            a.new_zeros(2) + a.new_ones(2) + a.new_full((2,), 3.0),
            a.new_tensor([1.0, 2.0]),
            minigrad.empty(2, 2, **on(a)).shape,
        ),
        [floats(3)],
    ),
]


@pytest.mark.parametrize("fn, specs", [pytest.param(f, s, id=i) for i, f, s in CASES])
def test_op_matches_cpu(fn, specs, other_device):
    expected_values, expected_grads = run(fn, specs, "cpu")
    values, grads = run(fn, specs, other_device)
    assert_same(expected_values, values, other_device)
    assert_same(expected_grads, grads, other_device)


def test_double_backward_matches_cpu(other_device):
    """create_graph=True: backward recorded as ops on the device, then differentiated again."""

    def second_derivatives(device):
        x = minigrad.tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4), device=device)
        x.requires_grad_()
        w = minigrad.tensor(np.linspace(0.5, 1.5, 4, dtype=np.float32), device=device)
        y = F.gelu(x) + F.gelu(x, approximate="tanh") + F.layer_norm(x, (4,), w) + x.softmax(-1)
        y = y + x.tanh() * x.sigmoid() + x.exp().log_softmax(0)
        (g,) = minigrad.autograd.grad(y.sum(), x, create_graph=True)
        (g * g).sum().backward()
        return [g.detach().cpu().numpy(), x.grad.cpu().numpy()]

    assert_same(second_derivatives("cpu"), second_derivatives(other_device), other_device)


def test_gradcheck_runs_on_device(other_device):
    """gradcheck perturbs the device array in place and reads the outputs back."""
    x = minigrad.tensor(
        [[0.3, -1.2, 0.8], [1.1, 0.2, -0.4]],
        dtype=minigrad.float64,
        device=other_device,
        requires_grad=True,
    )
    assert gradcheck(lambda t: F.layer_norm(t, (3,)) * t.softmax(0), (x,))


def test_seeded_draws_match_cpu():
    """The strict device shares the CPU's generator, so seeded draws agree element for element."""

    def draws(device):
        minigrad.manual_seed(7)
        p = minigrad.tensor([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]], device=device)
        x = minigrad.ones(4, 5, device=device, requires_grad=True)
        y = F.dropout(x, 0.3)
        y.sum().backward()
        out = [
            minigrad.rand(2, 3, device=device),
            minigrad.randn(3, device=device, dtype=minigrad.float64),
            minigrad.randint(0, 10, (4,), device=device),
            minigrad.randperm(6, device=device),
            minigrad.multinomial(p, 2),
            minigrad.multinomial(p, 4, replacement=True),
            minigrad.rand_like(p),
            minigrad.empty(3, device=device).uniform_(-1, 1),
            minigrad.empty(3, device=device).normal_(2, 3),
            y.detach(),
            x.grad,
        ]
        return [t.cpu().numpy() for t in out]

    assert_same(draws("cpu"), draws("strict"), "strict")


def test_random_ops_follow_their_distribution(other_device):
    """Any device (its generator may differ from the CPU's): draws have the right support and
    moments, dropout keeps and scales exactly the elements whose gradient it passes."""
    minigrad.manual_seed(0)
    u = minigrad.rand(20000, device=other_device)
    n = minigrad.randn(20000, device=other_device)
    assert u.device == other_device and n.dtype is minigrad.float32
    assert 0.0 <= u.min().item() and u.max().item() < 1.0 and abs(u.mean().item() - 0.5) < 0.02
    assert abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1.0) < 0.05
    r = minigrad.randint(3, 7, (1000,), device=other_device)
    assert r.dtype is minigrad.int64 and set(np.unique(r.cpu().numpy())) == {3, 4, 5, 6}
    assert sorted(minigrad.randperm(10, device=other_device).tolist()) == list(range(10))
    x = minigrad.ones(50, 40, device=other_device, requires_grad=True)
    y = F.dropout(x, 0.25)
    y.sum().backward()
    kept = y.detach().cpu().numpy() != 0
    np.testing.assert_allclose(y.detach().cpu().numpy()[kept], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(x.grad.cpu().numpy() != 0, kept)
    assert 0.65 < kept.mean() < 0.85
    picks = minigrad.multinomial(minigrad.tensor([0.0, 1.0, 0.0], device=other_device), 5, True)
    assert picks.tolist() == [1] * 5


def test_conversions_and_repr(other_device):
    x = minigrad.tensor([[1.5, -2.0], [0.25, 4.0]], device=other_device, requires_grad=True)
    assert x.device == other_device and x.is_cuda == (other_device.startswith("cuda"))
    host = x.detach().numpy()
    assert isinstance(host, np.ndarray) and host.tolist() == [[1.5, -2.0], [0.25, 4.0]]
    assert x.tolist() == [[1.5, -2.0], [0.25, 4.0]]
    assert x[1, 1].item() == 4.0 and float(x[0, 0]) == 1.5 and int(x[1, 1]) == 4
    assert bool(x[0, 0] > 0) and not bool(x[0, 1] > 0)
    on_cpu = minigrad.tensor(host, requires_grad=True)
    suffix = f"device='{minigrad.device(other_device)}', requires_grad=True)"
    assert repr(x) == repr(on_cpu).replace("requires_grad=True)", suffix)
    back = x.cpu()
    assert back.device == "cpu" and back.to(other_device).device == other_device
    (back * back).sum().backward()  # the copy to the CPU is differentiable
    np.testing.assert_array_equal(x.grad.cpu().numpy(), 2 * host)
    i = minigrad.tensor(3, device=other_device)
    assert [10, 20, 30, 40][i] == 40 and x.to(minigrad.float64).to("cpu").dtype is minigrad.float64
    assert x.to(other_device) is x and minigrad.tensor(x, device="cpu").device == "cpu"


def test_host_data_mixes_into_device_ops(other_device):
    """Python numbers, lists, NumPy scalars and arrays on either side are moved to the device
    (not by ``@``, which takes only tensors, as in PyTorch)."""
    x = minigrad.tensor([1.0, 2.0, 3.0], device=other_device)
    outs = [x + [1.0, 1.0, 1.0], np.float32(2) * x, x * np.arange(3), x[np.int64(1)]]
    expected = [[2, 3, 4], [2, 4, 6], [0, 2, 6], 2]
    for out, want in zip(outs, expected):
        assert out.device == other_device and out.tolist() == want
    for host in ([1.0, 2.0, 3.0], np.arange(3.0)):
        with pytest.raises(TypeError, match="unsupported operand"):
            host @ x
    y = minigrad.zeros(3, device=other_device)
    y[minigrad.tensor([0, 2])] = 5.0  # a CPU index tensor works on any device, as in PyTorch
    y[np.array([1])] = minigrad.tensor([7.0], device=other_device)
    assert y.tolist() == [5.0, 7.0, 5.0]


def test_strict_arrays_refuse_numpy():
    """The guard itself: what a CuPy array refuses, the strict array refuses."""
    a = minigrad.ones(2, 3, device="strict")._data
    for attempt in (np.asarray, np.exp, lambda v: np.concatenate([v, v]), lambda v: v + np.ones(3)):
        with pytest.raises(TypeError):
            attempt(a)
    xp = minigrad.device("strict").backend.xp
    with pytest.raises(TypeError, match="host NumPy array"):
        xp.maximum(a, np.zeros(3))
    with pytest.raises(AttributeError, match="random numbers come from backend"):
        xp.random.rand(3)


def test_forward_backward_reads_nothing_back():
    """A transformer-like step runs without device-to-host reads except index range checks
    (embedding and cross_entropy validate their indices; each check reads min and max)."""
    minigrad.manual_seed(0)
    idx = minigrad.randint(0, 11, (2, 6), device="strict")
    emb = minigrad.randn(11, 8, device="strict", requires_grad=True)
    w = minigrad.randn(8, 8, device="strict", requires_grad=True)
    strict_backend.host_reads.clear()
    h = F.embedding(idx, emb)
    h = F.layer_norm(h, (8,))
    q = F.linear(h, w).unflatten(-1, (2, 4)).transpose(1, 2)
    a = F.scaled_dot_product_attention(q, q, q, is_causal=True).transpose(1, 2).flatten(2)
    logits = F.linear(F.gelu(a + h), emb)
    loss = F.cross_entropy(logits.flatten(0, 1), idx.flatten())
    loss.backward()
    assert dict(strict_backend.host_reads) == {"int": 4}


# ---- models and optimizers off the CPU -------------------------------------------------------
def _gpt_training(device, optimizer_name, dropout):
    """Two training steps and a sampled continuation of a tiny GPT moved to ``device``:
    ([losses, tokens, *parameters], the strict device's host reads in each step)."""
    from transformer.models import GPT, GPTConfig

    minigrad.manual_seed(0)
    config = GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16, dropout=dropout)
    model = GPT(config).to(device)  # initialised on the CPU, so the same weights everywhere
    if optimizer_name == "adamw":
        optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-2)
    else:
        optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    data = minigrad.randint(0, 11, (3, 9)).to(device)
    minigrad.manual_seed(1)  # dropout and sampling draw from the device's generator from here on
    losses, reads = [], []
    for _ in range(2):
        strict_backend.host_reads.clear()
        _, loss = model(data[:, :-1], data[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        minigrad.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        reads.append(dict(strict_backend.host_reads))
        losses.append(loss.item())
    for p in model.parameters():
        assert p.device == device and p.grad.device == device
    for state in optimizer.state.values():
        assert all(v.device == device for v in state.values() if isinstance(v, minigrad.Tensor))
    model.eval()
    tokens = model.generate(data[:, :3], 4, temperature=0.8, top_k=5)
    params = [p.detach().cpu().numpy() for p in model.parameters()]
    return [np.array(losses), tokens.cpu().numpy(), *params], reads


@pytest.mark.parametrize("optimizer_name", ["adamw", "sgd"])
def test_gpt_training_step_matches_cpu(other_device, optimizer_name):
    """Module.to, dropout, AdamW / SGD, clip_grad_norm_ and sampling give the CPU's numbers.

    On "strict" (the CPU's generator) everything agrees, and a training step reads back only
    the 4 numbers of the index range checks (embedding, cross_entropy): on a GPU any other
    read would stall the queue of kernels. CUDA has its own generator, so there dropout is off,
    sampled tokens are not compared, and AdamW's parameters are not either: its first update
    is lr * sign(gradient), which rounding can flip where a gradient is nearly zero."""
    pytest.importorskip("transformer.models")
    same_generator = other_device == "strict"
    dropout = 0.1 if same_generator else 0.0
    expected, _ = _gpt_training("cpu", optimizer_name, dropout)
    got, reads = _gpt_training(other_device, optimizer_name, dropout)
    if same_generator:
        assert_same(expected, got, other_device)
        assert reads == [{"int": 4}, {"int": 4}]
    else:
        compared = 1 if optimizer_name == "adamw" else len(expected)
        assert_same(expected[:1] + expected[2:compared], got[:1] + got[2:compared], other_device)
        assert got[1].shape == (3, 7) and ((0 <= got[1]) & (got[1] < 11)).all()


def test_checkpoints_move_between_devices(other_device, tmp_path):
    """save writes host arrays; load puts them back where they were, or at map_location."""
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], device=other_device)
    path = tmp_path / "x.pt"
    minigrad.save({"x": x, "rows": [x[0], x[1]]}, path)
    same = minigrad.load(path)
    on_cpu = minigrad.load(path, map_location="cpu")
    assert same["x"].device == other_device and on_cpu["x"].device == "cpu"
    assert on_cpu["rows"][1].tolist() == [3.0, 4.0] and same["x"].tolist() == x.tolist()
    assert minigrad.load(path, map_location=other_device)["rows"][0].device == other_device
