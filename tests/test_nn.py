"""nn.Module, nn.Parameter, layers, containers, nn.init and clip_grad_norm_, and the
PyTorch-style GPT of examples/ run on minigrad and against PyTorch."""

import copy
import math

import numpy as np
import pytest
from torch_support import import_torch

import examples
import minigrad
import minigrad.nn as nn
from minigrad.autograd.grad_mode import STATE
from minigrad.errors import StateDictError

GPT = examples.load("minigrad")


def small_gpt(**overrides):
    minigrad.manual_seed(0)
    return GPT.GPT(GPT.GPTConfig(**overrides))


def torch_gpt_and_copy(torch, dtype=None):
    """A PyTorch GPT from the same source, and a minigrad GPT holding the same weights."""
    torch_models = examples.load("torch")
    torch.manual_seed(0)
    reference = torch_models.GPT(torch_models.GPTConfig())
    ours = small_gpt()
    if dtype is not None:
        reference.to(getattr(torch, dtype))
        ours.to(getattr(minigrad, dtype))
    ours.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    return reference, ours


def batches(n, config, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        idx = rng.integers(0, config.vocab_size, (3, config.block_size))
        targets = rng.integers(0, config.vocab_size, (3, config.block_size))
        targets[0, :4] = -1  # ignored positions
        yield idx, targets


# ---- Parameter ---------------------------------------------------------------------------------
def test_parameter_is_a_tensor_that_requires_grad_and_shares_memory():
    t = minigrad.zeros(3)
    p = nn.Parameter(t)
    assert isinstance(p, nn.Parameter) and isinstance(p, minigrad.Tensor)
    assert p.requires_grad and p.is_leaf
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    t.fill_(2.0)
    assert p.tolist() == [2.0, 2.0, 2.0]
    assert type(p * 2) is minigrad.Tensor
    assert repr(p).startswith("Parameter containing:\ntensor([2., 2., 2.], requires_grad=True)")


def test_deepcopy_of_a_module_keeps_devices_and_gives_independent_weights():
    model = nn.Linear(3, 2)
    clone = copy.deepcopy(model)
    assert clone.weight is not model.weight and clone.weight.device is model.weight.device
    with minigrad.no_grad():
        clone.weight.fill_(0.0)
    assert model.weight.abs().sum().item() > 0
    clone(minigrad.randn(4, 3)).sum().backward()  # the copy still runs


# ---- registration and naming -------------------------------------------------------------------
def test_named_modules_use_pytorch_names():
    names = [name for name, _ in small_gpt().named_modules()]
    assert names[:6] == [
        "",
        "transformer",
        "transformer.wte",
        "transformer.wpe",
        "transformer.drop",
        "transformer.h",
    ]
    assert "transformer.h.0.attn" in names and "transformer.h.1.mlp.c_proj" in names
    assert names[-1] == "lm_head"


def test_tied_weight_is_listed_once_under_its_first_name():
    model = small_gpt()
    assert model.lm_head.weight is model.transformer.wte.weight
    names = [n for n, _ in model.named_parameters()]
    assert "transformer.wte.weight" in names and "lm_head.weight" not in names
    assert len(names) == len({id(p) for p in model.parameters()}) == len(list(model.parameters()))
    assert "lm_head.weight" in [n for n, _ in model.named_parameters(remove_duplicate=False)]
    assert {"transformer.wte.weight", "lm_head.weight"} <= set(model.state_dict())


def test_state_dict_keys_and_named_modules_equal_pytorchs():
    torch = import_torch()
    reference = examples.load("torch").GPT(examples.load("torch").GPTConfig())
    ours = small_gpt()
    assert list(ours.state_dict()) == list(reference.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in reference.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in reference.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in reference.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in reference.named_children()]
    assert repr(ours) == repr(reference)
    assert ours.get_num_params() == reference.get_num_params()
    assert torch.is_tensor(reference.lm_head.weight)


def test_assignment_rules():
    m = nn.Module()
    m.w = nn.Parameter(minigrad.ones(2))
    m.child = nn.Linear(2, 2)
    m.register_buffer("running", minigrad.zeros(2))
    m.register_buffer("scratch", minigrad.zeros(2), persistent=False)
    assert list(m._parameters) == ["w"] and list(m._modules) == ["child"]
    assert set(m.state_dict()) == {"w", "running", "child.weight", "child.bias"}
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = minigrad.ones(2)
    m.running = minigrad.ones(2)  # a buffer takes a new tensor
    assert m.running.tolist() == [1.0, 1.0]
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("training", minigrad.ones(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", minigrad.ones(1))
    m.w = None
    assert m.w is None and [n for n, _ in m.named_parameters()] == ["child.weight", "child.bias"]
    del m.child
    assert not hasattr(m, "child")

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigrad.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_children_modules_and_apply():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    assert [type(m).__name__ for m in model.children()] == ["Linear", "ReLU", "Sequential"]
    assert len(list(model.modules())) == 5
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
    assert model(minigrad.randn(4, 2)).shape == (4, 1)
    assert list(model.parameters(recurse=False)) == []


def test_train_eval_reach_every_module_and_switch_dropout():
    model = small_gpt(dropout=0.5)
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    x = minigrad.randn(100)
    drop = model.transformer.drop
    assert drop(x) is x
    model.train()
    zeros = (drop(x) == 0).sum().item()
    assert 20 < zeros < 80
    with pytest.raises(ValueError):
        model.train("yes")


def test_zero_grad_drops_or_zeroes():
    model = nn.Linear(3, 2)
    model(minigrad.randn(4, 3)).sum().backward()
    grad = model.weight.grad
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is grad and grad.abs().sum().item() == 0
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


# ---- state dicts -------------------------------------------------------------------------------
def test_load_state_dict_lists_every_problem_and_changes_nothing():
    model = small_gpt()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    sd = {k: v * 0 for k, v in model.state_dict().items()}
    del sd["transformer.h.0.ln_1.bias"]
    del sd["transformer.wpe.weight"]
    sd["transformer.h.0.extra"] = minigrad.zeros(1)
    sd["lm_head.weight"] = minigrad.zeros(3, 3)
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(sd)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for GPT:")
    assert (
        'Missing key(s) in state_dict: "transformer.wpe.weight", "transformer.h.0.ln_1.bias".'
        in message
    )
    assert 'Unexpected key(s) in state_dict: "transformer.h.0.extra".' in message
    assert "size mismatch for lm_head.weight: copying a param with shape [3, 3]" in message
    assert "the shape in current model is [32, 16]" in message
    assert all(np.array_equal(v.numpy(), before[k]) for k, v in model.state_dict().items())


def test_load_state_dict_non_strict_reports_keys_and_copies_the_rest():
    model = nn.Linear(2, 2)
    result = model.load_state_dict(
        {"weight": minigrad.ones(2, 2), "other": minigrad.ones(1)}, strict=False
    )
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    assert repr(result) == "IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['other'])"
    assert model.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    # a notebook cell that ends with a full load shows PyTorch's line
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(StateDictError, match="expected a Tensor"):
        model.load_state_dict({"weight": [[1.0, 1.0]] * 2, "bias": minigrad.ones(2)})


def test_state_dict_round_trip_keeps_values_and_tying():
    a, b = small_gpt(), small_gpt()
    with minigrad.no_grad():
        for p in b.parameters():
            p.fill_(0.5)
    b.load_state_dict(a.state_dict())
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), name
    assert b.lm_head.weight is b.transformer.wte.weight


# ---- calls, hooks, scope -----------------------------------------------------------------------
def test_call_pushes_the_module_scope_and_restores_it():
    inner = nn.Linear(2, 2)
    outer = nn.Sequential(inner)
    out = outer(minigrad.randn(1, 2))
    assert out.grad_fn.scope == (outer, inner)
    assert STATE.scope == ()

    class Failing(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Failing()(1)
    assert STATE.scope == ()


def test_forward_hooks_see_and_can_replace_values():
    model = nn.Linear(2, 2)
    calls = []
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = model.register_forward_hook(lambda m, args, out: calls.append((m, out)) or out + 1)
    out = model(minigrad.randn(1, 2))
    assert calls[0][0] is model
    expected = model.bias.detach() + 1
    assert np.allclose(out.detach().numpy(), expected.numpy())
    pre.remove()
    post.remove()
    x = minigrad.randn(1, 2)
    assert np.allclose(
        model(x).detach().numpy(), (x @ model.weight.detach().T + model.bias.detach()).numpy()
    )
    assert len(calls) == 1


# ---- devices and dtypes ------------------------------------------------------------------------
def test_to_dtype_keeps_parameter_objects_and_converts_buffers():
    model = small_gpt()
    params = list(model.parameters())
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1)
    assert model.to(minigrad.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.dtype is minigrad.float64 for p in model.parameters())
    assert model.transformer.h[0].attn.bias.dtype is minigrad.float64
    idx = minigrad.randint(0, 32, (2, 8))
    _, loss = model(idx, idx)
    loss.backward()
    before = model.lm_head.weight.detach().numpy().copy()
    optimizer.step()
    assert not np.array_equal(before, model.lm_head.weight.detach().numpy())
    assert model.float().lm_head.weight.dtype is minigrad.float32
    assert model.lm_head.weight.grad.dtype is minigrad.float32
    with pytest.raises(TypeError, match="floating point"):
        model.to(minigrad.int64)


# ---- layers ------------------------------------------------------------------------------------
def test_linear_embedding_layernorm_defaults_follow_pytorch_distributions():
    minigrad.manual_seed(0)
    lin = nn.Linear(400, 300)
    w = lin.weight.detach().numpy()
    bound = 1 / math.sqrt(400)
    assert np.abs(w).max() <= bound and np.abs(lin.bias.detach().numpy()).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    emb = nn.Embedding(500, 200).weight.detach().numpy()
    assert abs(emb.mean()) < 0.01 and abs(emb.std() - 1) < 0.01
    ln = nn.LayerNorm((2, 3))
    assert ln.weight.tolist() == [[1.0] * 3] * 2 and ln.bias.tolist() == [[0.0] * 3] * 2
    assert nn.LayerNorm(3, elementwise_affine=False).weight is None
    assert nn.LayerNorm(3, bias=False).bias is None
    assert nn.Linear(2, 2, bias=False).bias is None


def test_embedding_padding_row_starts_at_zero_and_gets_no_gradient():
    emb = nn.Embedding(5, 3, padding_idx=-1)
    assert emb.padding_idx == 4 and emb.weight[4].tolist() == [0.0, 0.0, 0.0]
    with minigrad.no_grad():
        emb.weight[4] = 7.0
    idx = minigrad.tensor([[4, 1, 4], [0, 4, 1]])
    out = emb(idx)
    assert out[0, 0].tolist() == [7.0, 7.0, 7.0]  # the row is read as it is
    (out * out).sum().backward()
    grad = emb.weight.grad.numpy()
    assert np.all(grad[4] == 0) and np.all(grad[1] != 0)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(3, 2, padding_idx=3)


def test_layers_against_pytorch():
    torch = import_torch()
    x = np.random.default_rng(0).standard_normal((2, 5, 6))
    pairs = [
        (nn.Linear(6, 4), torch.nn.Linear(6, 4)),
        (nn.LayerNorm(6), torch.nn.LayerNorm(6)),
        (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
        (nn.GELU(), torch.nn.GELU()),
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.SiLU(), torch.nn.SiLU()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
        (nn.Flatten(), torch.nn.Flatten()),
        (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
        (nn.Unflatten(2, (2, 3)), torch.nn.Unflatten(2, (2, 3))),
        (nn.Identity(3, k=1), torch.nn.Identity(3, k=1)),
    ]
    for ours, ref in pairs:
        ref.double()
        ours.double().load_state_dict(
            {k: minigrad.tensor(v.numpy()) for k, v in ref.state_dict().items()}
        )
        assert repr(ours) == repr(ref)
        xt = torch.tensor(x, requires_grad=True)
        xm = minigrad.tensor(x, requires_grad=True)
        (ref(xt) ** 2).sum().backward()
        (ours(xm) ** 2).sum().backward()
        assert np.allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-12), repr(ours)
        for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
            assert np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, atol=1e-12), name


def _loss_pairs(torch, rng):
    """(minigrad loss module, PyTorch's, input, target) with inputs the loss is meant for."""
    logits = rng.standard_normal((4, 5))
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    probs = np.exp(rng.standard_normal((4, 5)))
    probs /= probs.sum(1, keepdims=True)
    probs[0, 1] = 0.0  # a zero target probability counts for nothing in KL
    classes = np.array([1, 0, 4, 2])
    bits = (rng.random((4, 5)) > 0.5).astype(float)
    cases = [
        ("MSELoss", dict(), logits, probs),
        ("MSELoss", dict(reduction="sum"), logits, probs),
        ("MSELoss", dict(reduction="none"), logits, probs),
        ("CrossEntropyLoss", dict(), logits, classes),
        ("CrossEntropyLoss", dict(ignore_index=0, label_smoothing=0.1), logits, classes),
        ("CrossEntropyLoss", dict(reduction="sum"), logits, probs),
        ("NLLLoss", dict(), logp, classes),
        ("NLLLoss", dict(reduction="none"), logp, classes),
        ("KLDivLoss", dict(reduction="sum"), logp, probs),
        ("KLDivLoss", dict(reduction="batchmean"), logp, probs),
        ("KLDivLoss", dict(reduction="mean", log_target=True), logp, np.log(probs + 0.1)),
        ("BCEWithLogitsLoss", dict(), logits, bits),
        ("BCEWithLogitsLoss", dict(reduction="sum", pos_weight=3.0), logits, bits),
    ]
    for name, options, x, target in cases:
        ours_opts = {k: minigrad.tensor(v) if k == "pos_weight" else v for k, v in options.items()}
        ref_opts = {k: torch.tensor(v) if k == "pos_weight" else v for k, v in options.items()}
        yield (getattr(nn, name)(**ours_opts), getattr(torch.nn, name)(**ref_opts), x, target)


@pytest.mark.filterwarnings("ignore:.*reduction. 'mean' divides")  # kl_div warns, as PyTorch's
def test_loss_modules_against_pytorch():
    torch = import_torch()
    for ours, ref, x, target in _loss_pairs(torch, np.random.default_rng(0)):
        xm, xt = minigrad.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, want = ours(xm, minigrad.tensor(target)), ref(xt, torch.tensor(target))
        (out * out).sum().backward()
        (want * want).sum().backward()
        assert np.allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-10), repr(ref)
        assert np.allclose(xm.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12), repr(ref)


@pytest.mark.parametrize("name", ["MSELoss", "CrossEntropyLoss", "KLDivLoss", "BCEWithLogitsLoss"])
@pytest.mark.parametrize(
    "legacy", [dict(reduce=False), dict(size_average=False), dict(size_average=True, reduce=True)]
)
def test_deprecated_size_average_and_reduce_decide_the_reduction_as_in_pytorch(name, legacy):
    torch = import_torch()
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as ours:
        loss = getattr(nn, name)(**legacy)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated") as ref:
        want = getattr(torch.nn, name)(**legacy)
    assert loss.reduction == want.reduction
    assert str(ours[0].message) == str(ref[0].message)


@pytest.mark.filterwarnings("ignore:.*reduction. 'mean' divides")
def test_functional_losses_read_the_deprecated_reduction_arguments():
    torch = import_torch()
    x, target = np.log(np.full((2, 3), 0.2)), np.full((2, 3), 0.5)
    for fn in ("kl_div", "binary_cross_entropy_with_logits"):
        with pytest.warns(UserWarning, match="reduction='none'"):
            out = getattr(nn.functional, fn)(
                minigrad.tensor(x), minigrad.tensor(target), reduce=False
            )
        with pytest.warns(UserWarning, match="reduction='none'"):
            want = getattr(torch.nn.functional, fn)(
                torch.tensor(x), torch.tensor(target), reduce=False
            )
        assert out.shape == (2, 3) and np.allclose(out.numpy(), want.numpy(), rtol=1e-12), fn


def test_containers():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    blocks.append(nn.ReLU())
    assert len(blocks) == 4 and isinstance(blocks[-1], nn.ReLU)
    assert [type(b).__name__ for b in blocks[1:3]] == ["Linear", "Linear"]
    del blocks[0]
    assert list(blocks._modules) == ["0", "1", "2"]
    blocks.insert(0, nn.Tanh())
    assert isinstance(blocks[0], nn.Tanh) and len(blocks) == 4
    with pytest.raises(IndexError):
        blocks[4]
    assert repr(blocks).splitlines()[1:3] == [
        "  (0): Tanh()",
        "  (1-2): 2 x Linear(in_features=2, out_features=2, bias=True)",
    ]
    heads = nn.ModuleDict({"a": nn.Linear(2, 3)})
    heads["b"] = nn.Linear(2, 1)
    assert list(heads) == ["a", "b"] and "a" in heads and len(heads) == 2
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert heads.pop("a") is not None and list(heads.keys()) == ["b"]
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    seq.append(nn.Linear(3, 1))
    assert seq(minigrad.randn(5, 2)).shape == (5, 1)
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2


# ---- init and clip_grad_norm_ ------------------------------------------------------------------
def test_init_functions_fill_in_place_without_recording():
    minigrad.manual_seed(1)
    w = nn.Parameter(minigrad.empty(200, 300))
    for fn, check in [
        (lambda t: nn.init.xavier_uniform_(t), lambda a: np.abs(a).max() <= math.sqrt(6 / 500)),
        (lambda t: nn.init.xavier_normal_(t), lambda a: abs(a.std() - math.sqrt(2 / 500)) < 3e-3),
        (lambda t: nn.init.kaiming_uniform_(t), lambda a: np.abs(a).max() <= math.sqrt(6 / 300)),
        (
            lambda t: nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
            lambda a: abs(a.std() - math.sqrt(2 / 200)) < 3e-3,
        ),
        (
            lambda t: nn.init.trunc_normal_(t, std=0.5, a=-0.6, b=0.4),
            lambda a: a.min() >= -0.6 and a.max() <= 0.4,
        ),
        (lambda t: nn.init.uniform_(t, -2, -1), lambda a: a.min() >= -2 and a.max() < -1),
        (lambda t: nn.init.normal_(t, 3.0, 0.1), lambda a: abs(a.mean() - 3) < 0.01),
        (lambda t: nn.init.constant_(t, 0.25), lambda a: np.all(a == 0.25)),
        (lambda t: nn.init.zeros_(t), lambda a: np.all(a == 0)),
        (lambda t: nn.init.ones_(t), lambda a: np.all(a == 1)),
    ]:
        assert fn(w) is w and w.grad_fn is None and w.requires_grad
        assert check(w.detach().numpy())
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(minigrad.empty(3))


def test_trunc_normal_has_the_truncated_mean():
    minigrad.manual_seed(2)
    t = nn.init.trunc_normal_(minigrad.empty(200_000, dtype=minigrad.float64), a=0.0, b=10.0)
    assert t.min().item() >= 0 and abs(t.mean().item() - math.sqrt(2 / math.pi)) < 0.01


def test_fans_and_gains_equal_pytorchs():
    torch = import_torch()
    for shape in [(3, 4), (5, 2, 3), (2, 3, 4, 5)]:
        ours = nn.init._calculate_fan_in_and_fan_out(minigrad.empty(*shape))
        assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for name, param in [("linear", None), ("tanh", None), ("relu", None), ("leaky_relu", 0.2),
                        ("leaky_relu", None), ("selu", None), ("sigmoid", None)]:  # fmt: skip
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param)
        )


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_against_pytorch(norm_type):
    torch = import_torch()
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,), (2, 2)]]
    ours, ref = [], []
    for g in grads:
        p = nn.Parameter(minigrad.zeros(*g.shape, dtype=minigrad.float64))
        p.grad = minigrad.tensor(g)
        q = torch.zeros(*g.shape, dtype=torch.float64, requires_grad=True)
        q.grad = torch.tensor(g)
        ours.append(p)
        ref.append(q)
    total = nn.utils.clip_grad_norm_(ours, 1.5, norm_type)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, 1.5, norm_type)
    assert total.item() == pytest.approx(ref_total.item(), rel=1e-12)
    for p, q in zip(ours, ref):
        assert np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-12, atol=0)
    small = nn.Parameter(minigrad.zeros(2))
    small.grad = minigrad.tensor([0.3, 0.4])
    assert nn.utils.clip_grad_norm_(small, 10.0).item() == pytest.approx(0.5)
    assert small.grad.tolist() == pytest.approx([0.3, 0.4])


# ---- the PyTorch-style GPT ---------------------------------------------------------------------
def test_gpt_trains_and_generates_on_minigrad():
    model = small_gpt()
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.95))
    assert [len(g["params"]) for g in optimizer.param_groups] == [8, 20]
    idx = minigrad.tensor([[i % 7 for i in range(16)]] * 4)
    losses = []
    for _ in range(30):
        _, loss = model(idx, idx)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    out = model.generate(idx[:1, :3], max_new_tokens=20, top_k=3)
    assert out.shape == (1, 23) and out.dtype is minigrad.int64
    assert out.grad_fn is None and out.max().item() < 32


@pytest.mark.parametrize(
    "dtype, loss_tol, grad_tol, param_tol",
    [("float32", 1e-5, 1e-6, 1e-4), ("float64", 1e-12, 1e-14, 1e-11)],
)
@pytest.mark.parametrize("flash", [True, False], ids=["fused-attention", "explicit-attention"])
def test_gpt_matches_pytorch(dtype, loss_tol, grad_tol, param_tol, flash):
    torch = import_torch()
    reference, ours = torch_gpt_and_copy(torch, dtype)
    for model in (reference, ours):
        for block in model.transformer.h:
            block.attn.flash = flash
    ref_opt = reference.configure_optimizers(0.1, 1e-2, (0.9, 0.95))
    our_opt = ours.configure_optimizers(0.1, 1e-2, (0.9, 0.95))
    for idx, targets in batches(5, ours.config):
        _, ref_loss = reference(torch.tensor(idx), torch.tensor(targets))
        _, our_loss = ours(minigrad.tensor(idx), minigrad.tensor(targets))
        assert abs(ref_loss.item() - our_loss.item()) < loss_tol
        ref_opt.zero_grad()
        our_opt.zero_grad()
        ref_loss.backward()
        our_loss.backward()
        for (name, p), q in zip(ours.named_parameters(), reference.parameters()):
            assert np.abs(p.grad.numpy() - q.grad.numpy()).max() < grad_tol, name
        ref_opt.step()
        our_opt.step()
    for (name, p), q in zip(ours.named_parameters(), reference.parameters()):
        assert np.abs(p.detach().numpy() - q.detach().numpy()).max() < param_tol, name
