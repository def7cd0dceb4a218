"""Optimisers and learning-rate schedules: trajectories against PyTorch and against the documented
formulas, parameter groups, state dicts."""

import math

import numpy as np
import pytest
from torch_support import import_torch

import minigrad
from minigrad import nn, optim
from minigrad.errors import ArgumentError
from minigrad.optim import lr_scheduler
from tools.pytorch_coverage import cosine_warmup_class, plain_sgd_class

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, weight_decay=0.5, amsgrad=True, eps=1e-6)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.8, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.005, momentum=0.5, eps=1e-6)),
    # maximize ascends; Adam's decoupled_weight_decay is AdamW; foreach / fused change nothing
    ("SGD", dict(lr=0.1, momentum=0.9, maximize=True, foreach=False)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("AdamW", dict(lr=0.01, fused=False, foreach=None)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True, foreach=False)),
]


def initial_weights(dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)


def inputs(steps, dtype=np.float64):
    rng = np.random.default_rng(1)
    return [rng.standard_normal((3, 5)).astype(dtype) for _ in range(steps)]


def train(lib, make_optimizer, params, xs):
    """Minimise sum(tanh(x W + b)^2) with ``lib`` (minigrad or torch); returns the optimizer."""
    optimizer = make_optimizer(params)
    w, b = params
    for x in xs:
        loss = ((lib.tensor(x) @ w + b).tanh() ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return optimizer


def minigrad_params(w0, b0):
    return [nn.Parameter(minigrad.tensor(w0)), nn.Parameter(minigrad.tensor(b0))]


@pytest.mark.parametrize("name, options", CONFIGS, ids=[f"{n}-{o}" for n, o in CONFIGS])
def test_trajectory_matches_pytorch(name, options):
    torch = import_torch()
    w0, b0 = initial_weights()
    xs = inputs(20)
    ours = minigrad_params(w0, b0)
    ref = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    train(minigrad, lambda p: getattr(optim, name)(p, **options), ours, xs)
    train(torch, lambda p: getattr(torch.optim, name)(p, **options), ref, xs)
    for p, q in zip(ours, ref):
        assert np.allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-11, atol=1e-12)


def test_float32_trajectory_stays_within_float32_precision_of_pytorch():
    torch = import_torch()
    w0, b0 = initial_weights(np.float32)
    xs = inputs(20, np.float32)
    ours = minigrad_params(w0, b0)
    ref = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    train(minigrad, lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1), ours, xs)
    train(torch, lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), ref, xs)
    for p, q in zip(ours, ref):
        assert p.dtype is minigrad.float32
        assert np.allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def reference_adam(w, grads, lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad):
    """Adam / AdamW exactly as PyTorch documents them, in plain NumPy."""
    m, v, v_max = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, grad_fn in enumerate(grads, start=1):
        g = grad_fn(w)
        if weight_decay and decoupled:
            w = w * (1 - lr * weight_decay)
        elif weight_decay:
            g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta1**t)
        v_hat = (v_max if amsgrad else v) / (1 - beta2**t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
    return w


def reference_sgd(w, grads, lr, momentum, dampening, weight_decay, nesterov):
    """SGD exactly as PyTorch documents it, in plain NumPy."""
    b = None
    for grad_fn in grads:
        g = grad_fn(w) + weight_decay * w
        if momentum:
            b = g if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        w = w - lr * g
    return w


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
def test_adam_follows_the_documented_formulas(cls, amsgrad):
    target = np.linspace(-1, 1, 6)
    grads = [lambda w, k=k: (w - target) * (1 + 0.3 * np.sin(k)) for k in range(25)]
    w0 = np.cos(np.arange(6.0))
    p = nn.Parameter(minigrad.tensor(w0))
    optimizer = cls([p], lr=0.05, betas=(0.85, 0.99), eps=1e-7, weight_decay=0.2, amsgrad=amsgrad)
    for grad_fn in grads:
        p.grad = minigrad.tensor(grad_fn(p.detach().numpy()))
        optimizer.step()
    expected = reference_adam(w0, grads, 0.05, 0.85, 0.99, 1e-7, 0.2, cls is optim.AdamW, amsgrad)
    assert np.allclose(p.detach().numpy(), expected, rtol=1e-12, atol=1e-14)
    assert optimizer.state[p]["step"] == 25


@pytest.mark.parametrize(
    "options",
    [
        dict(momentum=0.0),
        dict(momentum=0.9),
        dict(momentum=0.9, nesterov=True, weight_decay=0.1),
        dict(momentum=0.5, dampening=0.5, weight_decay=0.01),
    ],  # fmt: skip
)
def test_sgd_follows_the_documented_formulas(options):
    grads = [lambda w, k=k: w**3 - k * 0.1 for k in range(15)]
    w0 = np.linspace(-1, 1, 5)
    p = nn.Parameter(minigrad.tensor(w0))
    optimizer = optim.SGD([p], lr=0.1, **options)
    for grad_fn in grads:
        p.grad = minigrad.tensor(grad_fn(p.detach().numpy()))
        optimizer.step()
    full = dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False) | options
    expected = reference_sgd(w0, grads, 0.1, **full)
    assert np.allclose(p.detach().numpy(), expected, rtol=1e-12, atol=1e-14)


def test_step_writes_in_place_without_recording_and_skips_parameters_without_gradients():
    a, b = nn.Parameter(minigrad.ones(3)), nn.Parameter(minigrad.ones(2))
    optimizer = optim.Adam([a, b], lr=0.1)
    memory, version = a._data, a._version.value
    (a * a).sum().backward()
    loss = optimizer.step(closure=lambda: minigrad.tensor(1.5))
    assert loss.item() == 1.5
    assert a._data is memory and a._version.value == version + 1
    assert a.grad_fn is None and a.requires_grad and a.tolist() != [1.0, 1.0, 1.0]
    assert b.tolist() == [1.0, 1.0] and b not in optimizer.state
    assert optimizer.state[a]["exp_avg"].device is a.device


def test_param_groups_take_their_own_options_and_the_defaults():
    a, b = nn.Parameter(minigrad.zeros(2)), nn.Parameter(minigrad.zeros(2))
    optimizer = optim.SGD([{"params": [a]}, {"params": b, "lr": 1.0}], lr=0.1, momentum=0.5)
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 1.0]
    assert all(g["momentum"] == 0.5 for g in optimizer.param_groups)
    a.grad, b.grad = minigrad.ones(2), minigrad.ones(2)
    optimizer.step()
    assert a.tolist() == pytest.approx([-0.1, -0.1]) and b.tolist() == pytest.approx([-1.0, -1.0])
    c = nn.Parameter(minigrad.zeros(1))
    optimizer.add_param_group({"params": [c], "momentum": 0.0})
    assert optimizer.param_groups[2]["lr"] == 0.1 and optimizer.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ArgumentError, match="more than once"):
        optimizer.add_param_group({"params": [a]})
    optimizer.zero_grad()
    assert a.grad is None and b.grad is None
    assert repr(optimizer).splitlines()[:3] == ["SGD (", "Parameter Group 0", "    dampening: 0.0"]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_signatures_and_defaults_are_pytorchs(name):
    """Code that builds an optimizer by inspecting its signature (nanoGPT's and build-nanogpt's
    ``'fused' in inspect.signature(torch.optim.AdamW).parameters``) sees PyTorch's."""
    import inspect

    torch = import_torch()
    ours, theirs = getattr(optim, name), getattr(torch.optim, name)
    assert list(inspect.signature(ours).parameters) == list(inspect.signature(theirs).parameters)
    made = ours([nn.Parameter(minigrad.zeros(2))]).defaults
    assert made == theirs([torch.nn.Parameter(torch.zeros(2))]).defaults


def test_bad_arguments_are_refused():
    p = nn.Parameter(minigrad.zeros(2))
    with pytest.raises(ArgumentError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ArgumentError, match="beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ArgumentError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ArgumentError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.Adam(p)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam({p})
    with pytest.raises(ArgumentError, match="non-leaf"):
        optim.Adam([p * 2])
    with pytest.raises(ArgumentError, match="capturable=True is not supported"):
        optim.AdamW([p], capturable=True)
    with pytest.raises(ArgumentError, match="differentiable=True is not supported"):
        optim.SGD([p], differentiable=True)


def test_state_dict_has_pytorchs_layout_and_resumes_exactly():
    w0, b0 = initial_weights()
    xs = inputs(10)

    def make(params):
        w, b = params
        return optim.AdamW(
            [{"params": [w]}, {"params": [b], "weight_decay": 0.0}], lr=0.01, amsgrad=True
        )

    uninterrupted = minigrad_params(w0, b0)
    train(minigrad, make, uninterrupted, xs)

    first = minigrad_params(w0, b0)
    optimizer = train(minigrad, make, first, xs[:5])
    sd = optimizer.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["weight_decay"] == 0.0 and sorted(sd["state"]) == [0, 1]
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    second = [nn.Parameter(p.detach().clone()) for p in first]
    resumed = make(second)
    resumed.load_state_dict(sd)
    assert (
        resumed.state[second[0]]["exp_avg"]._data is not optimizer.state[first[0]]["exp_avg"]._data
    )
    train(minigrad, lambda params: resumed, second, xs[5:])
    for p, q in zip(second, uninterrupted):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_load_state_dict_refuses_a_different_layout():
    a, b = nn.Parameter(minigrad.zeros(2)), nn.Parameter(minigrad.zeros(2))
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ArgumentError, match="parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ArgumentError, match="with 2 parameters"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)


def test_load_state_dict_moves_state_to_the_parameters_dtype():
    p = nn.Parameter(minigrad.ones(2, dtype=minigrad.float64))
    source = optim.Adam([nn.Parameter(minigrad.ones(2))], lr=0.1)
    source.param_groups[0]["params"][0].grad = minigrad.ones(2)
    source.step()
    target = optim.Adam([p], lr=0.5)
    target.load_state_dict(source.state_dict())
    assert target.state[p]["exp_avg"].dtype is minigrad.float64
    assert target.param_groups[0]["lr"] == 0.1 and target.param_groups[0]["params"] == [p]


# ---- schedules ---------------------------------------------------------------------------------
def sgd(lr=1.0, groups=1):
    return optim.SGD(
        [{"params": [nn.Parameter(minigrad.zeros(1))], "lr": lr * (i + 1)} for i in range(groups)]
    )


def rates(scheduler, steps):
    out = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out


def test_schedules_follow_their_formulas():
    steps = 30
    got = rates(lr_scheduler.StepLR(sgd(0.5, groups=2), step_size=7, gamma=0.3), steps)
    expected = [[0.5 * 0.3 ** (s // 7), 1.0 * 0.3 ** (s // 7)] for s in range(steps + 1)]
    assert np.allclose(got, expected, rtol=1e-14, atol=0)
    got = rates(lr_scheduler.CosineAnnealingLR(sgd(0.5), T_max=20, eta_min=0.01), steps)
    expected = [0.01 + 0.49 * (1 + math.cos(math.pi * s / 20)) / 2 for s in range(steps + 1)]
    assert [g[0] for g in got] == pytest.approx(expected)
    got = rates(lr_scheduler.LambdaLR(sgd(0.5, groups=2), [lambda s: s, lambda s: 0.9**s]), steps)
    expected = [[0.5 * s, 1.0 * 0.9**s] for s in range(steps + 1)]
    assert np.allclose(got, expected, rtol=1e-14, atol=0)


def test_warmup_cosine_rises_linearly_then_decays_to_the_floor():
    optimizer = sgd(2.0)
    got = [g[0] for g in rates(lr_scheduler.warmup_cosine(optimizer, 4, 14, min_lr_ratio=0.1), 20)]
    assert got[:4] == pytest.approx([0.5, 1.0, 1.5, 2.0])
    assert got[4] == pytest.approx(2.0) and got[9] == pytest.approx(0.2 + 1.8 * 0.5)
    assert got[14:] == pytest.approx([0.2] * 7)
    assert all(a >= b for a, b in zip(got[4:], got[5:]))


def test_noam_is_the_schedule_of_attention_is_all_you_need():
    optimizer = sgd(1.0)
    got = [
        g[0]
        for g in rates(lr_scheduler.noam(optimizer, d_model=512, warmup=4000, factor=2.0), 8000)
    ]
    for step in (0, 100, 3999, 4000, 7999):
        s = step + 1
        assert got[step] == pytest.approx(2.0 * 512**-0.5 * min(s**-0.5, s * 4000**-1.5))
    assert max(range(len(got)), key=got.__getitem__) == 3999  # peak at s = warmup


@pytest.mark.parametrize("kind", ["step", "cosine", "lambda"])
def test_schedules_match_pytorchs(kind):
    torch = import_torch()

    def build(lib, opt_module):
        params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
        opt = opt_module.SGD(
            [{"params": [params[0]], "lr": 0.3}, {"params": [params[1]], "lr": 0.1}]
        )
        schedules = opt_module.lr_scheduler
        if kind == "step":
            return schedules.StepLR(opt, step_size=5, gamma=0.5)
        if kind == "cosine":
            return schedules.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)
        return schedules.LambdaLR(opt, lambda s: 1 / (1 + s))

    ours, ref = rates(build(minigrad, optim), 30), rates(build(torch, torch.optim), 30)
    assert np.allclose(ours, ref, rtol=1e-10, atol=1e-15)


def test_a_scheduler_written_the_pytorch_way_runs_as_in_pytorch():
    """A subclass that defines ``get_lr()`` from ``last_epoch`` and ``base_lrs`` (the UvA
    tutorial's CosineWarmupScheduler subclasses the old name ``_LRScheduler``)."""
    torch = import_torch()

    def build(lib, opt_module):
        opt = opt_module.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        return cosine_warmup_class(lib)(opt, warmup=4, max_iters=20)

    ours, ref = rates(build(minigrad, optim), 25), rates(build(torch, torch.optim), 25)
    assert np.allclose(ours, ref, rtol=1e-12)

    class Unfinished(lr_scheduler.LRScheduler):
        pass

    with pytest.raises(NotImplementedError, match="defines get_lr"):
        Unfinished(sgd())


@pytest.mark.parametrize(
    "options",
    [dict(), dict(factor=0.5, patience=0), dict(patience=1, min_lr=0.3, eps=1e-3),
     dict(mode="max", patience=2, cooldown=1, threshold_mode="abs", threshold=0.1,
          min_lr=[0.01, 0.02])],
)  # fmt: skip
def test_reduce_lr_on_plateau_matches_pytorchs(options):
    torch = import_torch()
    rng = np.random.default_rng(0)
    metrics = rng.standard_normal(40).cumsum() * 0.3 - np.linspace(0, 3, 40)

    def run(lib, opt_module):
        params = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
        opt = opt_module.SGD([{"params": [params[0]], "lr": 1.0}, {"params": [params[1]]}], lr=0.5)
        plateau = opt_module.lr_scheduler.ReduceLROnPlateau(opt, **options)
        seen = []
        for m in metrics:
            plateau.step(lib.tensor(m))  # a 0-d tensor, as a validation loss
            seen.append((plateau.get_last_lr(), plateau.best, plateau.num_bad_epochs))
        return seen

    assert run(minigrad, optim) == run(torch, torch.optim)


def test_scheduler_state_dict_resumes():
    first = lr_scheduler.warmup_cosine(sgd(1.0), 3, 10)
    rates(first, 4)
    state = first.state_dict()
    assert state["last_epoch"] == 4 and "optimizer" not in state and "lr_lambdas" not in state
    second = lr_scheduler.warmup_cosine(sgd(1.0), 3, 10)
    second.load_state_dict(state)
    assert rates(second, 5) == rates(first, 5)


def test_a_subclass_that_only_overrides_step_works_like_pytorchs():
    torch = import_torch()
    w0, b0 = initial_weights()
    xs = inputs(5)
    ours = minigrad_params(w0, b0)
    ref = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    train(minigrad, lambda p: plain_sgd_class(minigrad)(p, lr=0.1), ours, xs)
    train(torch, lambda p: plain_sgd_class(torch)(p, lr=0.1), ref, xs)
    for p, q in zip(ours, ref):
        assert np.allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-12)
    assert not np.allclose(ours[0].detach().numpy(), w0)  # the weights did move


def test_the_base_class_steps_only_through_a_subclass():
    p = nn.Parameter(minigrad.ones(2))
    base = optim.Optimizer([p], dict(lr=0.1))
    assert base.step() is None  # nothing has a gradient yet
    (p * p).sum().backward()
    with pytest.raises(NotImplementedError, match="overrides step"):
        base.step()


def test_grad_scaler_is_disabled_and_says_so_when_asked_for():
    """As PyTorch's on a machine without CUDA: nanoGPT's train.py makes one enabled for its
    default float16, and its update goes through the scaler's calls."""
    with pytest.warns(UserWarning, match="no float16 autocast.*Disabling"):
        scaler = minigrad.cuda.amp.GradScaler(enabled=True)
    assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    w = nn.Parameter(minigrad.tensor([1.0, -2.0]))
    optimizer = optim.SGD([w], lr=0.5)
    loss = (w * w).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    assert w.tolist() == [0.0, 0.0]  # w - 0.5 * 2w
