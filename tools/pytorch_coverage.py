"""Measure which PyTorch names of well-known teaching code minigrad supports.

The table ``NAMES`` lists every ``torch.*``, ``torch.nn.*``, ``torch.nn.functional.*`` and Tensor
name used by the programs in ``SOURCES`` (read by hand; the table says where each name is used).
Each entry has a probe: a small program written once against a library namespace ``lib``,
run on PyTorch and on minigrad with the same inputs. The outcome is

    supported          the probe runs on minigrad and gives PyTorch's values
    difference         the same, with a difference documented in the entry (which)
    missing            the probe raises on minigrad (the error is recorded)
    mismatch           it runs but the values differ (a bug: the tests fail on it)
    out of scope       CUDA-, compile-, distributed-specific, or another package's name

    python tools/pytorch_coverage.py            # writes docs/pytorch-coverage.md, prints a summary
    python tools/pytorch_coverage.py --check    # exit 1 if the committed table is out of date

``tests/test_coverage.py`` runs every probe as a test against PyTorch.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import math
import os
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "pytorch-coverage.md"

SOURCES = {
    "E": "Learning PyTorch with Examples (pytorch/tutorials: beginner_source/examples_tensor, "
    "examples_autograd, examples_nn)",
    "B": "Build the Neural Network (beginner_source/basics/buildmodel_tutorial.py)",
    "A": "Automatic Differentiation with torch.autograd (basics/autogradqs_tutorial.py)",
    "O": "Optimizing Model Parameters (basics/optimization_tutorial.py)",
    "C": "Defining new autograd functions (examples_autograd/polynomial_custom_function.py)",
    "X": "Extending PyTorch (pytorch/pytorch: docs/source/notes/extending.rst)",
    "T": "The Annotated Transformer (harvardnlp/annotated-transformer)",
    "L": "The lecture's character GPT and bigram model (karpathy/ng-video-lecture: gpt.py, "
    "bigram.py)",
    "M": "makemore, the character-level name generator (karpathy/makemore: makemore.py)",
    "N": "nanoGPT (karpathy/nanoGPT: model.py, train.py)",
    "G": "minGPT (karpathy/minGPT: mingpt/model.py, mingpt/trainer.py, projects/adder/adder.py, "
    "demo.ipynb's sort dataset)",
    "Z": "Neural Networks: Zero to Hero, the micrograd lecture and makemore parts 1 to 5 "
    "(karpathy/nn-zero-to-hero: lectures/micrograd, lectures/makemore)",
    "K": "build-nanogpt, GPT-2 reproduced (karpathy/build-nanogpt: train_gpt2.py)",
    "J": "Attention Is All You Need in PyTorch (jadore801120/attention-is-all-you-need-pytorch: "
    "transformer/*.py, train.py)",
    "H": "A transformer implementation (hyunwoongko/transformer: models/, train.py)",
    "U": "UvA deep learning tutorial 6, Transformers and multi-head attention "
    "(Lightning-AI/tutorials: Transformers_MHAttention.py)",
    "R": "Build a Large Language Model (From Scratch) (rasbt/LLMs-from-scratch: chapters 3 to 7)",
    "F": "former, Peter Bloem's transformers (pbloem/former: former/, experiments/)",
    "Y": "Llama from scratch (bkitano/llama-from-scratch)",
    "D": "A transformer from scratch (aladdinpersson/Machine-Learning-Collection: "
    "ML/Pytorch/more_advanced/transformer_from_scratch)",
    "P": "Deep Learning with PyTorch: A 60 Minute Blitz (pytorch/tutorials: "
    "beginner_source/blitz/tensor_tutorial.py, autograd_tutorial.py)",
}

_rng = np.random.default_rng(0)
A = _rng.standard_normal((3, 4))
B = _rng.standard_normal((4, 2))
V = _rng.standard_normal(4)
X3 = _rng.standard_normal((3, 2, 3))
QKV = _rng.standard_normal((2, 3, 6))
P = np.exp(_rng.standard_normal((2, 5)))
LOGP = np.log(P / P.sum(1, keepdims=True))
CLASSES = np.array([3, 0])


@dataclasses.dataclass
class Name:
    """One PyTorch name: where it is used, a probe, and what is known about it."""

    name: str
    sources: str  # keys of SOURCES
    probe: object = None  # probe(lib) -> value compared between the libraries
    difference: str = ""  # a documented difference (the probe checks what agrees)
    scope: str = ""  # why it is out of scope (CUDA-specific, ...), if it is
    core: bool = True  # when missing: needs core work (kernels, Tensor methods, autograd)


# ---- probe helpers -----------------------------------------------------------------------------
def grads(lib, fn, *arrays):
    """fn's value on float64 leaves made of ``arrays``, and the leaves' gradients of its sum."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out, [leaf.grad for leaf in leaves]


def legendre(lib):
    """The custom Function of the "Defining new autograd functions" tutorial."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return 0.5 * (5 * input**3 - 3 * input)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2 - 1)

    return LegendrePolynomial3


def linear_function(lib):
    """The LinearFunction of the Extending PyTorch notes (needs_input_grad, optional bias)."""

    class LinearFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    return LinearFunction


def mul_constant(lib, materialize=True):
    """The MulConstant Function of the notes: a non-tensor argument kept on ctx."""

    class MulConstant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant):
            ctx.set_materialize_grads(materialize)
            ctx.constant = constant
            return tensor * constant

        @staticmethod
        def backward(ctx, grad_output):
            if grad_output is None:
                return None, None
            return grad_output * ctx.constant, None

    return MulConstant


def polynomial_step(lib, model_fn, optimizer_fn, steps=3):
    """The tutorials' training loop on y = sin(x): loss after ``steps`` optimizer steps."""
    x = lib.linspace(-math.pi, math.pi, 50, dtype=lib.float64)
    y = lib.sin(x)
    lib.manual_seed(0)
    model = model_fn(lib)
    for p, value in zip(model.parameters(), (0.1, -0.2, 0.3, 0.05, 0.5, 0.7)):
        with lib.no_grad():
            p.fill_(value)
    optimizer = optimizer_fn(lib, model)
    loss_fn = lib.nn.MSELoss(reduction="sum")
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return [p.detach() for p in model.parameters()]


def cubic_model(lib):
    """``nn.Sequential(Linear(3, 1), Flatten(0, 1))`` on (x, x^2, x^3), as in the tutorials."""
    powers = lib.tensor([1, 2, 3])
    model = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.Flatten(0, 1)).double()
    return lambda_module(lib, lambda x: model(x.unsqueeze(-1).pow(powers)), model)


def lambda_module(lib, fn, inner):
    """A Module whose forward is ``fn`` and whose parameters are ``inner``'s."""

    class Wrapped(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return fn(x)

    return Wrapped()


def polynomial_module(lib):
    """The Polynomial3 of the tutorials: four scalar Parameters."""

    class Polynomial3(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = lib.nn.Parameter(lib.randn((), dtype=lib.float64))
            self.b = lib.nn.Parameter(lib.randn((), dtype=lib.float64))
            self.c = lib.nn.Parameter(lib.randn((), dtype=lib.float64))
            self.d = lib.nn.Parameter(lib.randn((), dtype=lib.float64))

        def forward(self, x):
            return self.a + self.b * x + self.c * x**2 + self.d * x**3

    return Polynomial3()


def mlp(lib):
    """The FashionMNIST network of "Build the Neural Network", shrunk."""

    class NeuralNetwork(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = lib.nn.Flatten()
            self.linear_relu_stack = lib.nn.Sequential(
                lib.nn.Linear(6, 5), lib.nn.ReLU(), lib.nn.Linear(5, 3)
            )

        def forward(self, x):
            return self.linear_relu_stack(self.flatten(x))

    return NeuralNetwork()


def with_weights(lib, module, seed=1):
    """``module`` in float64 with weights drawn from NumPy (the same in both libraries)."""
    module = module.double()
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for p in module.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
    return module


def module_output(lib, make, x=None, train=False):
    """Output and input gradient of ``make(lib)`` (weights from NumPy) on ``x``."""
    module = with_weights(lib, make(lib))
    module.train(train)
    return grads(lib, module, A if x is None else x)


def saved_and_loaded(lib):
    """A state dict through lib.save / lib.load (each library reading its own file)."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "model.pt")
        model = with_weights(lib, lib.nn.Linear(4, 2))
        lib.save(model.state_dict(), path)
        fresh = lib.nn.Linear(4, 2).double()
        fresh.load_state_dict(lib.load(path))
        return fresh(lib.tensor(A))


def data_loading(lib):
    """makemore/minGPT-style loading: a Dataset, RandomSampler with replacement, DataLoader."""

    class Squares(lib.utils.data.Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return lib.tensor([i, i * i]), lib.tensor(i % 2)

    loader = lib.utils.data.DataLoader(Squares(), batch_size=4, shuffle=False)
    batches = [(x, y) for x, y in loader]
    return len(loader), batches


def plain_sgd_class(lib):
    """The "write your own optimizer" pattern of tutorials: a subclass of ``lib.optim.Optimizer``
    that only overrides ``step``, updating each parameter in place under ``no_grad``."""

    class PlainSGD(lib.optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, dict(lr=lr))

        @lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.add_(p.grad, alpha=-group["lr"])

    return PlainSGD


def custom_optimizer(lib):
    """One step of ``plain_sgd_class`` on sum(w^2)."""
    w = lib.tensor(V, requires_grad=True)
    optimizer = plain_sgd_class(lib)([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.step()
    return w.detach()


def tensor_subclass(lib):
    """The notes' ``__torch_function__`` protocol: a tensor-like type handled by torch.mean."""

    class ScalarTensor:
        def __init__(self, n, value):
            self.n, self.value = n, value

        def __torch_function__(self, func, types, args=(), kwargs=None):
            return float(args[0].value) / args[0].n

    return lib.mean(ScalarTensor(5, 2))


def _subclass_add(lib):
    sub = type("SubTensor", (lib.Tensor,), {})([0.0, 2.0])
    out = lib.add(sub, lib.tensor([1.0, 1.0]))
    return isinstance(sub, lib.Tensor), isinstance(out, lib.Tensor), out


def _nanogpt_generate_filter(lib):
    logits = lib.tensor(A)
    v, _ = lib.topk(logits, 2)
    logits[logits < v[:, [-1]]] = -float("Inf")
    return logits


def _tensor_format(lib):
    loss = lib.tensor(1.23456)
    return f"{loss:.4f} {lib.tensor(2.5):>7f}"


def _greedy_decode_step(lib):
    prob = lib.tensor(P)
    _, next_word = lib.max(prob, dim=1)
    next_word = next_word.data[0]
    ys = lib.zeros(1, 1).type_as(lib.tensor([[1]])).fill_(7)
    return lib.cat([ys, lib.zeros(1, 1).type_as(ys).fill_(next_word)], dim=1)


def _subsequent_mask(lib):
    mask = lib.triu(lib.ones((1, 4, 4)), diagonal=1).type(lib.uint8)
    return mask == 0


def _positional_encoding(lib):
    d_model, max_len = 6, 5
    pe = lib.zeros(max_len, d_model)
    position = lib.arange(0, max_len).unsqueeze(1)
    div_term = lib.exp(lib.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
    pe[:, 0::2] = lib.sin(position * div_term)
    pe[:, 1::2] = lib.cos(position * div_term)
    return pe.unsqueeze(0)[:, :3].requires_grad_(False)


def _layer_norm_by_hand(lib):
    x = lib.tensor(A)
    return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-6)


def _get_batch(lib):
    data = lib.arange(20)
    lib.manual_seed(0)
    ix = lib.randint(len(data) - 4, (3,))
    x = lib.stack([data[i : i + 4] for i in ix])
    y = lib.stack([data[i + 1 : i + 5] for i in ix])
    return (y - x).tolist(), x.shape


def _char_dataset_item(lib):
    ix = lib.tensor([5, 6, 7], dtype=lib.long)
    x = lib.zeros(6, dtype=lib.long)
    y = lib.zeros(6, dtype=lib.long)
    x[1 : 1 + len(ix)] = ix
    y[: len(ix)] = ix
    y[len(ix) + 1 :] = -1
    return x, y


def _estimate_loss(lib):
    losses = lib.zeros(3)
    for k in range(3):
        losses[k] = lib.tensor(float(k) + 0.5).item()
    return losses.mean()


def _roll_context(lib):
    idx = lib.tensor([[1, 2, 3], [4, 5, 6]])
    idx = lib.roll(idx, 1, 1)
    idx[:, 0] = 9
    return idx


def _kv_split(lib):
    qkv = lib.tensor(QKV)
    q, k, v = qkv.split(2, dim=2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    mask = lib.tril(lib.ones(3, 3)).view(1, 3, 3)
    att = att.masked_fill(mask[:, :3, :3] == 0, float("-inf"))
    return (lib.nn.functional.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(2, -1)


def _inference_mode(lib):
    x = lib.tensor(V, requires_grad=True)
    with lib.inference_mode():
        y = x * 2
    return y.requires_grad


def _no_grad(lib):
    x = lib.tensor(V, requires_grad=True)
    with lib.no_grad():
        y = x * 2

    @lib.no_grad()
    def doubled(t):
        return t * 2

    return y.requires_grad, doubled(x).requires_grad, (x * 2).requires_grad


def _in_place_update(lib):
    a = lib.tensor(V, requires_grad=True)
    (a * a).sum().backward()
    with lib.no_grad():
        a -= 0.1 * a.grad
        a.grad = None
    return a.detach(), a.grad is None


def _backward_twice(lib):
    inp = lib.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(lib.ones_like(out), retain_graph=True)
    first = inp.grad.clone()
    out.backward(lib.ones_like(out), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    return first, second, inp.grad


def _register_hook(lib):
    x = lib.tensor(V, requires_grad=True)
    x.register_hook(lambda g: g * 3)
    (x * x).sum().backward()
    return x.grad


def _module_buffers_and_repr(lib):
    class Head(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.key = lib.nn.Linear(4, 2, bias=False)
            self.register_buffer("tril", lib.tril(lib.ones(3, 3)))
            self.register_parameter("bias", None)

        def extra_repr(self):
            return "head_size=2"

    head = Head()
    names = [n for n, _ in head.named_parameters()] + [n for n, _ in head.named_buffers()]
    return repr(head).replace("torch.", ""), names, list(head.state_dict())


def _module_tree(lib):
    model = lib.nn.ModuleDict(
        dict(wte=lib.nn.Embedding(5, 4), h=lib.nn.ModuleList([lib.nn.LayerNorm(4)]))
    )
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    return [n for n, _ in model.named_modules()], seen, len(list(model.parameters()))


def _init_functions(lib):
    w = lib.empty(3, 4)
    lib.nn.init.zeros_(w)
    z = w.clone()
    lib.nn.init.ones_(w)
    lib.manual_seed(0)
    lib.nn.init.normal_(w, mean=0.0, std=0.02)
    normal_ok = bool(w.abs().max() < 0.2)
    lib.nn.init.xavier_uniform_(w)
    bound = math.sqrt(6 / (3 + 4))
    return z, normal_ok, bool(w.abs().max() <= bound)


def _uniform_data(lib):
    w = lib.nn.Parameter(lib.empty(3, 2))
    w.data.uniform_(-0.1, 0.1)
    return bool((w.abs() <= 0.1).all()), w.requires_grad


def _train_eval(lib):
    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Dropout(0.5))
    model.eval()
    flags = [m.training for m in model.modules()]
    model.train()
    return flags, [m.training for m in model.modules()]


def _state_dict_round_trip(lib):
    model = with_weights(lib, lib.nn.Linear(4, 2))
    other = lib.nn.Linear(4, 2).double()
    other.load_state_dict(model.state_dict())
    return other(lib.tensor(A))


def _zero_grad(lib):
    model = with_weights(lib, lib.nn.Linear(4, 2))
    model(lib.tensor(A)).sum().backward()
    model.zero_grad(set_to_none=True)
    return [p.grad for p in model.parameters()]


def _clip_grad_norm(lib):
    model = with_weights(lib, lib.nn.Linear(4, 2))
    (model(lib.tensor(A)) ** 2).sum().backward()
    total = lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    return total, [p.grad for p in model.parameters()]


def cosine_warmup_class(lib):
    """The UvA tutorial's scheduler: a subclass of ``_LRScheduler`` that defines ``get_lr``."""

    class CosineWarmup(lib.optim.lr_scheduler._LRScheduler):
        def __init__(self, optimizer, warmup, max_iters):
            self.warmup, self.max_iters = warmup, max_iters
            super().__init__(optimizer)

        def get_lr(self):
            factor = 0.5 * (1 + math.cos(math.pi * self.last_epoch / self.max_iters))
            if self.last_epoch <= self.warmup:
                factor *= self.last_epoch / self.warmup
            return [base * factor for base in self.base_lrs]

    return CosineWarmup


def _cosine_warmup_subclass(lib):
    optimizer = lib.optim.SGD([lib.tensor(V, requires_grad=True)], lr=0.5)
    scheduler = cosine_warmup_class(lib)(optimizer, warmup=2, max_iters=6)
    rates = []
    for _ in range(6):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def _plateau(lib):
    """hyunwoongko's ReduceLROnPlateau on a validation loss that stalls."""
    optimizer = lib.optim.Adam([lib.tensor(V, requires_grad=True)], lr=1e-3)
    scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.9, patience=1)
    rates = []
    for loss in (3.0, 2.5, 2.6, 2.55, 2.7, 2.4, 2.45, 2.5):
        scheduler.step(lib.tensor(loss))
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


def _old_init_names(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        lib.manual_seed(0)
        w = lib.nn.init.xavier_normal(lib.empty(3, 4))
        lib.nn.init.kaiming_uniform(w)
        lib.nn.init.constant(w, 0.5)
    return w


def _legacy_constructor(lib):
    """``torch.Tensor(data)`` holds floats whatever the data; ``torch.Tensor(2, 3)`` is a size."""
    return [lib.Tensor([[1, 2, 3], [4, 5, 6]]), lib.Tensor([True]), lib.Tensor(2, 3).shape,
            lib.Tensor().shape]  # fmt: skip


def _as_numpy(lib):
    """matplotlib's ``plt.imshow(N)`` and ``plt.hist(t)`` start with ``np.asarray``."""
    arrays = [np.asarray(lib.zeros((2, 3), dtype=lib.int32)), np.asarray(lib.tensor(A))]
    return [(str(a.dtype), a.tolist()) for a in arrays]


def _backend_switches(lib):
    """The device check and GPU switches scripts set at the top (no effect on a CPU)."""
    matmul = lib.backends.cuda.matmul
    before = matmul.allow_tf32
    matmul.allow_tf32 = True
    after = matmul.allow_tf32
    matmul.allow_tf32 = before
    return [lib.backends.mps.is_available(), before, after, lib.backends.cudnn.allow_tf32]


def _matmul_precision(lib):
    """build-nanogpt's ``torch.set_float32_matmul_precision('high')``, then set back."""
    set_high = lib.set_float32_matmul_precision("high")
    got = lib.get_float32_matmul_precision()
    lib.set_float32_matmul_precision("highest")
    return [set_high, got, lib.get_float32_matmul_precision()]


def _print_options(lib):
    """The book's ``torch.set_printoptions(sci_mode=False)``, then PyTorch's defaults again."""
    x = lib.tensor([1e-5, 0.5, 3.0])
    lib.set_printoptions(sci_mode=False)
    plain = repr(x)
    lib.set_printoptions(precision=2)
    short = repr(x)
    lib.set_printoptions(profile="default")
    return [plain, short, repr(x)]


def _scaled_step(lib):
    """nanoGPT's update through ``torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))``,
    disabled in float32: scale, backward, unscale_, clip, step, update."""
    w = lib.tensor(V, requires_grad=True)
    optimizer = lib.optim.AdamW([w], lr=0.1)
    scaler = lib.cuda.amp.GradScaler(enabled=False)
    scaler.scale((w * w).sum()).backward()
    scaler.unscale_(optimizer)
    lib.nn.utils.clip_grad_norm_([w], 1.0)
    scaler.step(optimizer)
    scaler.update()
    return [w.detach(), scaler.get_scale(), scaler.is_enabled()]


def _optimizer_steps(lib, make):
    return polynomial_step(lib, polynomial_module, make)


def _lambda_lr(lib):
    w = lib.tensor(V, requires_grad=True)
    optimizer = lib.optim.Adam([w], lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = lib.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (step + 1))
    rates = []
    for _ in range(3):
        (w * w).sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    return rates, w.detach()


def _custom_functions(lib, kind):
    """The patterns of the notes and the tutorial, by ``kind``."""
    F = lib.autograd.Function
    if kind == "apply":
        return grads(lib, legendre(lib).apply, V)
    if kind == "linear":
        return grads(lib, linear_function(lib).apply, A, B.T, np.ones(2))
    if kind == "non-tensor":
        return grads(lib, lambda t: mul_constant(lib).apply(t, 2.5), V)
    if kind == "materialize":
        return grads(lib, lambda t: mul_constant(lib, materialize=False).apply(t, 2.5), V)
    if kind == "gradcheck":
        inputs = (
            lib.tensor(A, requires_grad=True),
            lib.tensor(B.T, requires_grad=True),
        )
        return lib.autograd.gradcheck(linear_function(lib).apply, inputs, eps=1e-6, atol=1e-4)
    if kind == "gradgradcheck":
        return lib.autograd.gradgradcheck(legendre(lib).apply, (lib.tensor(V, requires_grad=True),))

    if kind == "mark_dirty":

        class AddOneInPlace(F):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad

        a = lib.tensor(V, requires_grad=True)
        b = a.clone()
        out = AddOneInPlace.apply(b)
        (out * out).sum().backward()
        return out, a.grad
    if kind == "mark_non_differentiable":

        class SortWithIndices(F):
            @staticmethod
            def forward(ctx, x):
                values, indices = x.sort()
                ctx.mark_non_differentiable(indices)
                ctx.save_for_backward(indices)
                return values, indices

            @staticmethod
            def backward(ctx, grad_values, grad_indices):
                (indices,) = ctx.saved_tensors
                grad = grad_values.new_zeros(grad_values.shape)
                return grad.scatter(0, indices, grad_values)

        x = lib.tensor(V, requires_grad=True)
        values, indices = SortWithIndices.apply(x)
        (values * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        return values, indices, indices.requires_grad, x.grad
    if kind == "once_differentiable":
        from_module = lib.autograd.function.once_differentiable

        class Square(F):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            @from_module
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        return grads(lib, Square.apply, V)
    if kind == "setup_context":

        class Cube(F):
            @staticmethod
            def forward(x):
                return x**3

            @staticmethod
            def setup_context(ctx, inputs, output):
                (x,) = inputs
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 3 * x**2 * grad

        return grads(lib, Cube.apply, V)
    raise ValueError(kind)


def _loss(lib, name, x, target, **options):
    fn = getattr(lib.nn, name)(**options)
    return grads(lib, lambda t: fn(t, lib.tensor(target)), x)


# ---- the table -------------------------------------------------------------------------------
CUDA = "CUDA-specific"
COMPILE = "compile-specific"
DISTRIBUTED = "distributed-specific"


def _names() -> list[Name]:
    F = "nn.functional"
    return [
        # -- torch: creation ------------------------------------------------------------------
        Name("torch.tensor", "ELMT", lambda t: t.tensor([[1, 2], [3, 4]], dtype=t.long)),
        Name("torch.Tensor (the legacy constructor)", "Z", _legacy_constructor),
        Name("torch.pi, torch.inf, torch.nan, torch.e", "R", lambda t: [t.pi, -t.inf, t.e]),
        Name(
            "torch.zeros / ones / randn (size=)",
            "F",
            lambda t: [
                t.zeros(size=(3,), dtype=t.long),
                t.ones(size=(2, 1)),
                t.randn(size=(2,)).shape,
            ],
        ),
        Name(
            "torch.triu_indices / tril_indices",
            "F",
            lambda t: [t.triu_indices(3, 3, offset=1), t.tril_indices(3, 4, -1)],
        ),
        Name("torch.set_printoptions", "R", _print_options),
        Name("np.asarray(tensor) (Tensor.__array__)", "Z", _as_numpy),
        Name("torch.linspace", "EC", lambda t: t.linspace(-math.pi, math.pi, 7)),
        Name("torch.zeros", "ALMNT", lambda t: t.zeros(2, 3, dtype=t.long)),
        Name("torch.ones", "ALMNT", lambda t: t.ones((2, 3))),
        Name("torch.full", "C", lambda t: t.full((), -1.0, dtype=t.float64)),
        Name("torch.empty", "XT", lambda t: t.empty(2, 3).shape),
        Name("torch.eye", "AX", lambda t: t.eye(4, 5)),
        Name("torch.arange", "LMNT", lambda t: t.arange(0, 6, 2, dtype=t.long)),
        Name("torch.ones_like", "A", lambda t: t.ones_like(t.tensor(A))),
        Name("torch.from_numpy", "N", lambda t: t.from_numpy(np.arange(4))),
        Name("torch.as_tensor", "X", lambda t: t.as_tensor(A)),
        Name("torch.tril", "LMN", lambda t: t.tril(t.ones(3, 3))),
        Name("torch.triu", "T", lambda t: t.triu(t.ones(3, 3), diagonal=1)),
        Name("torch.LongTensor", "T", lambda t: t.LongTensor([[0, 1, 2]])),
        Name("torch.FloatTensor", "T", lambda t: t.FloatTensor([[0, 0.5, 0.25]])),
        # -- torch: random --------------------------------------------------------------------
        Name(
            "torch.manual_seed",
            "LMN",
            lambda t: (t.manual_seed(3), t.rand(4))[1].shape,
            difference="returns None; PyTorch returns the default Generator. Seeds give "
            "reproducible draws, not PyTorch's numbers",
        ),
        Name("torch.randn", "EAX", lambda t: t.randn((), dtype=t.float64).shape),
        Name(
            "torch.rand", "B", lambda t: bool((t.rand(1, 28) >= 0).all() and (t.rand(3) < 1).all())
        ),
        Name("torch.randint", "LT", lambda t: _get_batch(t)),
        Name(
            "torch.randint (high, size=)",
            "G",
            lambda t: [t.randint(5, size=(4,)).shape, t.randint(high=5, size=(2, 3)).dtype],
        ),
        Name("torch.randperm", "M", lambda t: sorted(t.randperm(6).tolist())),
        Name(
            "torch.randn / torch.multinomial (generator=)",
            "Z",
            lambda t: [
                t.randn((2, 3), generator=t.Generator().manual_seed(1)).shape,
                t.multinomial(t.tensor([[0.0, 1.0]]), 2, replacement=True, generator=t.Generator()),
            ],
        ),
        Name("torch.histogram", "Z", lambda t: t.histogram(t.tensor(A).float(), bins=4)),
        Name(
            "torch.add / torch.matmul (out=)",
            "P",
            lambda t: [
                t.add(t.tensor(A), t.tensor(A), out=t.zeros(3, 4, dtype=t.float64)),
                t.matmul(t.tensor(A), t.tensor(B), out=t.zeros(3, 2, dtype=t.float64)),
            ],
        ),
        Name(
            "torch.autograd.Variable",
            "P",
            lambda t: grads(
                t, lambda x: (t.autograd.Variable(x.detach(), requires_grad=True) * x).sum(), V
            ),
        ),
        Name(
            "torch.multinomial",
            "LNGM",
            lambda t: t.multinomial(t.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), 1),
        ),
        # -- torch: math ----------------------------------------------------------------------
        Name("torch.sin", "ECT", lambda t: grads(t, t.sin, V)),
        Name("torch.cos", "T", lambda t: grads(t, t.cos, V)),
        Name("torch.exp", "T", lambda t: grads(t, t.exp, V)),
        Name("torch.tanh", "MG", lambda t: grads(t, t.tanh, V)),
        Name("torch.relu", "N", lambda t: grads(t, t.relu, V)),
        Name("torch.pow", "NMG", lambda t: grads(t, lambda x: t.pow(x, 3.0), V)),
        Name("torch.pow (a scalar base)", "N", lambda t: grads(t, lambda x: t.pow(2.0, x), V)),
        Name("torch.matmul", "AT", lambda t: grads(t, t.matmul, A, B)),
        Name("torch.cat", "LMNGT", lambda t: grads(t, lambda a, b: t.cat((a, b), dim=0), A, A)),
        Name("torch.stack", "LT", lambda t: grads(t, lambda a, b: t.stack([a, b], 1), V, V)),
        Name("torch.topk", "NGM", lambda t: t.topk(t.tensor(A), 2)),
        Name("torch.max", "T", lambda t: tuple(t.max(t.tensor(P), dim=1))),
        Name("torch.mean", "X", lambda t: t.mean(t.tensor(A))),
        Name("torch.add", "X", lambda t: t.add(t.tensor(A), t.tensor(A))),
        Name("torch.mul", "X", lambda t: t.mul(t.tensor(A), 3)),
        Name("torch.nonzero", "T", lambda t: t.nonzero(t.tensor([0, 3, 0, 1]))),
        Name("torch.roll", "M", _roll_context),
        # -- torch: dtypes, devices, modes -------------------------------------------------------
        Name("torch.float", "ECO", lambda t: t.zeros(1, dtype=t.float).dtype),
        Name("torch.long", "LMN", lambda t: t.zeros(1, dtype=t.long).dtype),
        Name("torch.double", "X", lambda t: t.zeros(1, dtype=t.double).dtype),
        Name("torch.int64", "T", lambda t: t.zeros(1, dtype=t.int64).dtype),
        Name("torch.uint8", "T", lambda t: t.tensor([0, 255], dtype=t.uint8)),
        Name("Tensor.type (a mask as uint8)", "T", _subsequent_mask),
        Name("torch.device", "EC", lambda t: str(t.device("cpu"))),
        Name("torch.no_grad", "ECALMNGT", _no_grad),
        Name(
            "torch.backends.mps.is_available, cudnn and cuda.matmul.allow_tf32",
            "BKN",
            _backend_switches,
        ),
        Name("torch.set_float32_matmul_precision", "K", _matmul_precision),
        Name(
            "torch.inference_mode",
            "M",
            _inference_mode,
            difference="works as no_grad: tensors made inside are ordinary tensors that do not "
            "require grad (PyTorch marks them as inference tensors, refused later by autograd)",
        ),
        Name(
            "torch.save",
            "MNT",
            saved_and_loaded,
            difference="minigrad writes its own pickle-free format: files do not move between "
            "the libraries this way (use minigrad.safetensors)",
        ),
        Name(
            "torch.load",
            "MNT",
            saved_and_loaded,
            difference="reads minigrad's own format only (see torch.save)",
        ),
        Name("torch.cuda.is_available", "BLMNG", lambda t: t.cuda.is_available() in (True, False)),
        Name("torch.cuda.manual_seed_all", "M", lambda t: t.cuda.manual_seed_all(0)),
        Name("torch.cuda.empty_cache", "T", lambda t: t.cuda.empty_cache()),
        # -- torch.autograd -------------------------------------------------------------------
        Name("torch.autograd.Function", "CX", lambda t: _custom_functions(t, "apply")),
        Name(
            "Function.apply (several inputs, optional None)",
            "X",
            lambda t: _custom_functions(t, "linear"),
        ),
        Name(
            "ctx.save_for_backward / ctx.saved_tensors",
            "CX",
            lambda t: _custom_functions(t, "apply"),
        ),
        Name("ctx.needs_input_grad", "X", lambda t: _custom_functions(t, "linear")),
        Name(
            "Function with a non-tensor argument", "X", lambda t: _custom_functions(t, "non-tensor")
        ),
        Name("ctx.set_materialize_grads", "X", lambda t: _custom_functions(t, "materialize")),
        Name("ctx.mark_dirty", "X", lambda t: _custom_functions(t, "mark_dirty")),
        Name(
            "ctx.mark_non_differentiable",
            "X",
            lambda t: _custom_functions(t, "mark_non_differentiable"),
        ),
        Name(
            "torch.autograd.function.once_differentiable",
            "X",
            lambda t: _custom_functions(t, "once_differentiable"),
        ),
        Name("Function.setup_context", "X", lambda t: _custom_functions(t, "setup_context")),
        Name(
            "torch.autograd.gradcheck (of a custom Function)",
            "X",
            lambda t: _custom_functions(t, "gradcheck"),
        ),
        Name(
            "torch.autograd.gradgradcheck (of a custom Function)",
            "X",
            lambda t: _custom_functions(t, "gradgradcheck"),
        ),
        Name(
            "__torch_function__ (tensor-like types)",
            "X",
            tensor_subclass,
            difference="the module functions (minigrad.mean(obj), ...) dispatch to a non-tensor "
            "first argument's __torch_function__; Tensor subclasses and other argument positions "
            "do not",
        ),
        # -- Tensor ---------------------------------------------------------------------------
        Name("Tensor.pow", "EC", lambda t: grads(t, lambda x: x.pow(2).sum(), V)),
        Name("Tensor.sum", "ECO", lambda t: grads(t, lambda x: x.sum(0), A)),
        Name("Tensor.mean", "LT", lambda t: grads(t, lambda x: x.mean(-1, keepdim=True), A)),
        Name("Tensor.std", "T", lambda t: grads(t, lambda x: x.std(-1, keepdim=True), A)),
        Name("Tensor.mean / std (a LayerNorm by hand)", "T", _layer_norm_by_hand),
        Name("Tensor.norm", "N", lambda t: grads(t, lambda x: x.norm(2, dim=-1, keepdim=True), A)),
        Name("Tensor.max (dim)", "NT", lambda t: tuple(t.tensor(A).max(dim=1, keepdim=True))),
        Name("Tensor.argmax", "BO", lambda t: t.tensor(A).argmax(1)),
        Name("Tensor.softmax", "T", lambda t: grads(t, lambda x: x.softmax(dim=-1) ** 2, A)),
        Name("Tensor.log", "T", lambda t: grads(t, lambda x: x.log(), P)),
        Name("Tensor.exp", "T", lambda t: grads(t, lambda x: x.exp(), V)),
        Name("Tensor.clamp", "E", lambda t: grads(t, lambda x: x.clamp(min=0), V)),
        Name("Tensor.item", "ECLMO", lambda t: t.tensor(A).sum().item()),
        Name("Tensor.tolist", "LM", lambda t: t.tensor([[1, 2], [3, 4]]).tolist()),
        Name("Tensor.__format__", "LM", _tensor_format),
        Name("Tensor.backward (gradient=, retain_graph=)", "A", _backward_twice),
        Name("Tensor.grad", "ECA", _in_place_update),
        Name(
            "Tensor.requires_grad / requires_grad_",
            "AT",
            lambda t: (
                t.tensor(V).requires_grad_(True).requires_grad,
                t.tensor(V).requires_grad_(False).requires_grad,
            ),
        ),
        Name(
            "Tensor.grad_fn",
            "A",
            lambda t: (t.tensor(V, requires_grad=True) * 2).grad_fn is not None,
            difference="nodes print as <MulBackward>; PyTorch's as <MulBackward0 object at 0x...>",
        ),
        Name(
            "Tensor.detach", "AT", lambda t: t.tensor(V, requires_grad=True).detach().requires_grad
        ),
        Name("Tensor.register_hook", "X", _register_hook),
        Name("Tensor.t", "AX", lambda t: grads(t, lambda x: x.t(), A)),
        Name("Tensor.mm", "EX", lambda t: grads(t, lambda a, b: a.mm(b), A, B)),
        Name("Tensor.__matmul__", "LNGM", lambda t: grads(t, lambda a, b: a @ b, A, B)),
        Name("Tensor.unsqueeze", "EXT", lambda t: grads(t, lambda x: x.unsqueeze(-1) * 2, V)),
        Name("Tensor.squeeze", "T", lambda t: t.tensor([[1], [2]]).squeeze()),
        Name(
            "Tensor.expand / expand_as",
            "XM",
            lambda t: grads(
                t, lambda x: x.unsqueeze(0).expand(3, -1) + x.expand_as(t.tensor(A)), V
            ),
        ),
        Name("Tensor.view", "LNGMT", lambda t: grads(t, lambda x: x.view(2, 6), A)),
        Name("Tensor.transpose", "LNGMT", lambda t: grads(t, lambda x: x.transpose(0, 1), A)),
        Name("Tensor.contiguous", "NGMT", lambda t: t.tensor(A).t().contiguous().view(-1)),
        Name("Tensor.split", "NGM", _kv_split),
        Name("Tensor.masked_fill", "LNGMT", _kv_split),
        Name(
            "torch.bincount",
            "R",
            lambda t: [
                t.bincount(t.tensor([0, 3, 3, 7])),
                t.bincount(t.tensor([1, 1]), t.tensor(V[:2])),
            ],
        ),
        Name(
            "torch.isclose",
            "Y",
            lambda t: t.isclose(
                t.tensor([1.0, math.nan, math.inf, 2.0]), t.tensor([1.0, math.nan, math.inf, 2.1])
            ),
        ),
        Name(
            "torch.linalg.norm / vector_norm",
            "Y",
            lambda t: grads(
                t,
                lambda x: t.linalg.norm(x, dim=(1, 2)) + t.linalg.vector_norm(x, ord=1, dim=(1, 2)),
                QKV,
            ),
        ),
        Name(
            "torch.distributions.Categorical (log_prob, entropy)",
            "F",
            lambda t: grads(
                t,
                lambda x: (
                    t.distributions.Categorical(logits=x).log_prob(t.tensor([0, 1]))
                    + t.distributions.Categorical(logits=x).entropy()
                ),
                A[:2],
            ),
        ),
        Name(
            "torch.einsum",
            "DFR",
            lambda t: grads(t, lambda q, k: t.einsum("bqd,bkd->bqk", q, k), QKV, QKV[:, :2]),
        ),
        Name(
            "torch.addmm",
            "F",
            lambda t: grads(
                t, lambda b, m1, m2: t.addmm(b, m1, m2, beta=0.5, alpha=2.0), V[:2], A, B
            ),
        ),
        Name(
            "Tensor.masked_select / torch.masked_select",
            "J",
            lambda t: grads(t, lambda x: t.masked_select(x, x > 0) * 2, A),
        ),
        Name(
            "torch.flip (dims=)",
            "U",
            lambda t: grads(t, lambda x: t.flip(x, dims=(0,)) * t.tensor(B), B),
        ),
        Name(
            "torch.where(condition) (one argument)",
            "U",
            lambda t: t.where(t.tensor([[0, 3], [0, 5]]) != 0),
        ),
        Name(
            "Tensor.reshape (a one-element tensor as a length)",
            "U",
            lambda t: t.arange(6).reshape(t.tensor([1, 2]).max() + 1, -1),
        ),
        Name(
            "Tensor.size / Tensor.shape",
            "BNLM",
            lambda t: (tuple(t.tensor(A).size()), t.tensor(A).size(-1), tuple(t.tensor(A).shape)),
        ),
        Name(
            "torch.Size (what .shape is: its numel(), slices, and how it prints)",
            "YZ",
            lambda t: [
                t.tensor(A).shape.numel(),
                repr(t.zeros(16630, 3).shape).split(".")[-1],
                type(t.tensor(A).size()).__name__,
                t.ones(2, 3, 4).shape[1:].numel(),  # a slice is a Size (llama-from-scratch)
                repr(t.ones(2, 3).size()[:-1] + (5,)).split(".")[-1],
            ],
        ),
        Name("Tensor.dim", "NT", lambda t: t.tensor(A).dim()),
        Name("Tensor.numel", "LNGM", lambda t: t.tensor(A).numel()),
        Name("Tensor.nelement", "G", lambda t: t.tensor(A).nelement()),
        Name("Tensor.sum (keepdims=)", "Z", lambda t: t.tensor(A).sum(1, keepdims=True)),
        Name("Tensor.log10", "Z", lambda t: grads(t, lambda x: x.log10(), np.abs(V) + 0.5)),
        Name(
            "Tensor.unique",
            "G",
            lambda t: t.tensor([[3, 1], [3, 2]]).unique(return_inverse=True, return_counts=True),
        ),
        Name("Tensor.device", "NM", lambda t: str(t.tensor(A).device)),
        Name(
            "Tensor.to (device, non_blocking=)",
            "LMN",
            lambda t: t.tensor(A).to("cpu", non_blocking=True),
        ),
        Name("Tensor.float", "T", lambda t: t.tensor([1, 2]).float()),
        Name(
            "Tensor.type (dtype)",
            "OT",
            lambda t: t.tensor([True, False]).type(t.float),
            difference="with no argument it names minigrad's type ('minigrad.FloatTensor')",
        ),
        Name("Tensor.type_as", "T", _greedy_decode_step),
        Name("Tensor.data", "TX", lambda t: t.tensor(V, requires_grad=True).data.requires_grad),
        Name("Tensor.fill_", "T", lambda t: t.zeros(2, 2).fill_(0.25)),
        Name("Tensor.zero_", "A", lambda t: t.ones(2).zero_()),
        Name("Tensor.uniform_", "X", _uniform_data),
        Name("Tensor.copy_", "N", lambda t: t.zeros(3, 4, dtype=t.float64).copy_(t.tensor(A))),
        Name("Tensor.clone", "ET", lambda t: grads(t, lambda x: x.clone() * 2, V)),
        Name(
            "Tensor.scatter_", "T", lambda t: t.zeros(2, 5).scatter_(1, t.tensor([[3], [0]]), 0.9)
        ),
        Name(
            "Tensor.index_fill_", "T", lambda t: t.zeros(3, 2).index_fill_(0, t.tensor([0, 2]), 1.5)
        ),
        Name(
            "Tensor.__getitem__ (slices, lists, tensors)",
            "BLNGMT",
            lambda t: (t.tensor(A)[:2], t.tensor(A)[:, [-1]], t.tensor(A)[t.tensor([2, 0])]),
        ),
        Name(
            "Tensor.__setitem__ (slices, steps, masks)",
            "LMNGT",
            lambda t: (_char_dataset_item(t), _positional_encoding(t), _nanogpt_generate_filter(t)),
        ),
        Name("Tensor.__index__ / __iter__ (indexing with tensor elements)", "L", _get_batch),
        Name("Tensor.__isub__ / __iadd__ (under no_grad)", "EX", _in_place_update),
        Name(
            "Tensor comparisons (==, !=, <) and & (masks)",
            "LNGT",
            lambda t: ((t.tensor(A) > 0) & (t.tensor(A) != 1), t.tensor([1, 2]) == 2),
        ),
        Name("Tensor.__setitem__ of a scalar into a float tensor", "L", _estimate_loss),
        Name(
            "Tensor subclass (class SubTensor(torch.Tensor))",
            "X",
            _subclass_add,
            difference="ops on a subclass return plain Tensors, not the subclass",
        ),
        # -- torch.nn -------------------------------------------------------------------------
        Name(
            "nn.Module (subclass, forward, __call__)", "EBOX", lambda t: module_output(t, mlp, X3)
        ),
        Name(
            "nn.Parameter",
            "EXNM",
            lambda t: polynomial_step(
                t, polynomial_module, lambda lib, m: lib.optim.SGD(m.parameters(), lr=1e-3)
            ),
        ),
        Name("nn.Linear", "EBOLNGMT", lambda t: module_output(t, lambda lib: lib.nn.Linear(4, 2))),
        Name(
            "nn.Linear (bias=False)",
            "LNG",
            lambda t: module_output(t, lambda lib: lib.nn.Linear(4, 2, bias=False)),
        ),
        Name("nn.ReLU", "BOL", lambda t: module_output(t, lambda lib: lib.nn.ReLU())),
        Name("nn.GELU", "N", lambda t: module_output(t, lambda lib: lib.nn.GELU())),
        Name("nn.Sequential", "EBOL", lambda t: module_output(t, mlp, X3)),
        Name(
            "nn.Flatten",
            "EBO",
            lambda t: polynomial_step(
                t, cubic_model, lambda lib, m: lib.optim.SGD(m.parameters(), lr=1e-4)
            ),
        ),
        Name("nn.Softmax", "B", lambda t: module_output(t, lambda lib: lib.nn.Softmax(dim=1))),
        Name(
            "nn.LogSoftmax", "O", lambda t: module_output(t, lambda lib: lib.nn.LogSoftmax(dim=1))
        ),
        Name(
            "nn.Embedding",
            "LNGMT",
            lambda t: with_weights(t, t.nn.Embedding(5, 3))(t.tensor([[1, 4], [0, 0]])),
        ),
        Name("nn.LayerNorm", "LGM", lambda t: module_output(t, lambda lib: lib.nn.LayerNorm(4))),
        Name("nn.Dropout", "LNGT", lambda t: module_output(t, lambda lib: lib.nn.Dropout(0.2))),
        Name("nn.ModuleList / nn.ModuleDict", "LNGMT", _module_tree),
        Name(
            "nn.Module.register_buffer / register_parameter / extra_repr",
            "LNX",
            _module_buffers_and_repr,
        ),
        Name("nn.Module.apply / named_modules / parameters", "NGM", _module_tree),
        Name("nn.Module.train / eval", "OL", _train_eval),
        Name("nn.Module.state_dict / load_state_dict", "MNT", _state_dict_round_trip),
        Name("nn.Module.zero_grad (set_to_none=)", "EM", _zero_grad),
        Name("nn.Module.to / double", "BL", lambda t: module_output(t, mlp, X3)),
        Name("nn.MSELoss", "EO", lambda t: _loss(t, "MSELoss", A, A * 0.5, reduction="sum")),
        Name("nn.CrossEntropyLoss", "O", lambda t: _loss(t, "CrossEntropyLoss", P, CLASSES)),
        Name("nn.NLLLoss", "O", lambda t: _loss(t, "NLLLoss", LOGP, CLASSES)),
        Name(
            "nn.KLDivLoss",
            "T",
            lambda t: _loss(t, "KLDivLoss", LOGP, np.exp(LOGP[::-1]), reduction="sum"),
        ),
        Name("nn.init.normal_ / zeros_ / ones_ / xavier_uniform_", "NGMT", _init_functions),
        Name(
            "nn.init.xavier_normal / kaiming_uniform / constant (old names)",
            "HJ",
            _old_init_names,
            difference="minigrad's random numbers are not PyTorch's: the probe compares the "
            "constant fill",
        ),
        Name("nn.utils.clip_grad_norm_", "NGM", _clip_grad_norm),
        # -- torch.nn.functional ----------------------------------------------------------------
        Name(
            f"{F}.softmax",
            "LNGM",
            lambda t: grads(t, lambda x: t.nn.functional.softmax(x, dim=-1) ** 2, A),
        ),
        Name(
            f"{F}.log_softmax",
            "T",
            lambda t: grads(t, lambda x: t.nn.functional.log_softmax(x, dim=-1) ** 2, A),
        ),
        Name(
            f"{F}.cross_entropy",
            "LNGM",
            lambda t: grads(
                t, lambda x: t.nn.functional.cross_entropy(x, t.tensor([3, -1]), ignore_index=-1), P
            ),
        ),
        Name(
            f"{F}.layer_norm",
            "N",
            lambda t: grads(t, lambda x: t.nn.functional.layer_norm(x, (4,)) ** 2, A),
        ),
        Name(
            f"{F}.scaled_dot_product_attention",
            "N",
            lambda t: grads(
                t,
                lambda q: (
                    t.nn.functional.scaled_dot_product_attention(q, q, q, is_causal=True) ** 2
                ),
                A,
            ),
        ),
        Name(
            f"{F}.binary_cross_entropy_with_logits",
            "A",
            lambda t: grads(
                t,
                lambda z: t.nn.functional.binary_cross_entropy_with_logits(
                    z, t.zeros(3, 4, dtype=t.float64)
                ),
                A,
            ),
        ),
        Name(
            f"{F}.pad",
            "T",
            lambda t: grads(t, lambda x: t.nn.functional.pad(x, (1, 2), value=0.5) ** 2, V),
        ),
        Name(
            f"{F}.tanh / {F}.sigmoid",
            "M",
            lambda t: grads(t, lambda x: t.nn.functional.tanh(x) * t.nn.functional.sigmoid(x), V),
        ),
        # -- torch.optim ----------------------------------------------------------------------
        Name(
            "optim.SGD",
            "EO",
            lambda t: _optimizer_steps(t, lambda lib, m: lib.optim.SGD(m.parameters(), lr=1e-3)),
        ),
        Name(
            "optim.SGD (momentum)",
            "E",
            lambda t: _optimizer_steps(
                t, lambda lib, m: lib.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9)
            ),
        ),
        Name(
            "optim.RMSprop",
            "E",
            lambda t: _optimizer_steps(
                t, lambda lib, m: lib.optim.RMSprop(m.parameters(), lr=1e-3)
            ),
        ),
        Name(
            "optim.Adam",
            "T",
            lambda t: _optimizer_steps(
                t,
                lambda lib, m: lib.optim.Adam(m.parameters(), lr=1e-2, betas=(0.9, 0.98), eps=1e-9),
            ),
        ),
        Name(
            "optim.AdamW",
            "LNGM",
            lambda t: _optimizer_steps(
                t,
                lambda lib, m: lib.optim.AdamW(
                    [
                        {"params": list(m.parameters())[:2], "weight_decay": 0.1},
                        {"params": list(m.parameters())[2:], "weight_decay": 0.0},
                    ],
                    lr=1e-2,
                    betas=(0.9, 0.95),
                ),
            ),
        ),
        Name("optim.Optimizer (subclass overriding step)", "X", custom_optimizer, core=False),
        Name(
            "optim.AdamW (its signature, read by inspect; fused=, foreach=)",
            "K",
            lambda t: [
                list(inspect.signature(t.optim.AdamW).parameters),
                _optimizer_steps(
                    t, lambda lib, m: lib.optim.AdamW(m.parameters(), lr=1e-2, fused=False)
                ),
            ],
        ),
        Name(
            "optim.Adam (maximize=, decoupled_weight_decay=)",
            "K",
            lambda t: _optimizer_steps(
                t,
                lambda lib, m: lib.optim.Adam(
                    m.parameters(), lr=1e-2, maximize=True, decoupled_weight_decay=True
                ),
            ),
        ),
        Name("torch.cuda.amp.GradScaler (disabled, as on a CPU)", "N", _scaled_step),
        Name("optim.lr_scheduler.LambdaLR", "T", _lambda_lr),
        Name(
            "optim.lr_scheduler._LRScheduler (a subclass defining get_lr)",
            "U",
            _cosine_warmup_subclass,
        ),  # fmt: skip
        Name("optim.lr_scheduler.ReduceLROnPlateau", "H", _plateau),
        # -- torch.utils.data -----------------------------------------------------------------
        Name("utils.data.Dataset / DataLoader", "BOMG", data_loading),
        Name(
            "utils.data.RandomSampler (replacement, num_samples)",
            "MG",
            lambda t: len(
                t.utils.data.RandomSampler(range(5), replacement=True, num_samples=int(1e10))
            ),
        ),
        # -- out of scope ---------------------------------------------------------------------
        Name("torch.cuda.synchronize", "M", scope=CUDA),
        Name("Tensor.cuda / Module.cuda", "T", scope=CUDA),
        Name("Tensor.pin_memory", "N", scope=CUDA),
        Name("torch.amp.autocast, torch.float16, torch.bfloat16", "N", scope=CUDA),
        Name("torch.cuda.is_bf16_supported", "N", scope=CUDA),
        Name("torch.accelerator", "B", scope="GPU-specific"),
        Name("torch.compile", "N", scope=COMPILE),
        Name("torch.distributed, DistributedDataParallel", "NT", scope=DISTRIBUTED),
        Name("torch.utils.data.distributed.DistributedSampler", "T", scope=DISTRIBUTED),
        Name("torch.multiprocessing.spawn", "T", scope=DISTRIBUTED),
        Name("torch.utils.tensorboard.SummaryWriter", "M", scope="another package (TensorBoard)"),
        Name("torchvision datasets and transforms", "BO", scope="another package (torchvision)"),
    ]


NAMES = _names()


# ---- running the probes -----------------------------------------------------------------------
def plain(value):
    """A probe's value as plain Python and NumPy data, the same for either library."""
    kind = type(value).__name__
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a tensor of either library
        array = value.detach().cpu().numpy()
        return ("tensor", str(value.dtype).split(".")[-1], array.shape, array)
    if kind == "dtype":
        return ("dtype", str(value).split(".")[-1])
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def same(ours, ref) -> bool:
    """Equal structure, dtypes and shapes; values equal to float rounding."""
    if isinstance(ref, tuple) and ref and ref[0] == "tensor":
        if not (isinstance(ours, tuple) and ours and ours[0] == "tensor"):
            return False
        if ours[1] != ref[1] or ours[2] != ref[2]:
            return False
        if ref[3].dtype.kind in "fc":
            return np.allclose(ours[3], ref[3], rtol=1e-5, atol=1e-6, equal_nan=True)
        return np.array_equal(ours[3], ref[3])
    if isinstance(ref, list):
        return isinstance(ours, list) and len(ours) == len(ref) and all(map(same, ours, ref))
    if isinstance(ref, float) and isinstance(ours, float):
        return math.isclose(ours, ref, rel_tol=1e-6, abs_tol=1e-9) or ours == ref
    return type(ours) is type(ref) and ours == ref


def run_probe(entry: Name, lib):
    """The probe's plain value on ``lib``; warnings (PyTorch's deprecations) are silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plain(entry.probe(lib))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 140 else text[:137] + "..."
    return f"{type(exc).__name__}: {text}"


@dataclasses.dataclass
class Outcome:
    entry: Name
    status: str  # supported, difference, missing, mismatch, out of scope
    detail: str = ""


def measure(entry: Name, torch, minigrad) -> Outcome:
    if entry.scope:
        return Outcome(entry, "out of scope", entry.scope)
    ref = run_probe(entry, torch)
    try:
        ours = run_probe(entry, minigrad)
    except Exception as exc:  # noqa: BLE001 - every failure is the measurement
        return Outcome(entry, "missing", first_line(exc))
    if not same(ours, ref):
        return Outcome(entry, "mismatch", "runs, but the values differ from PyTorch's")
    if entry.difference:
        return Outcome(entry, "difference", entry.difference)
    return Outcome(entry, "supported")


# ---- the report -------------------------------------------------------------------------------
_ORDER = ["supported", "difference", "missing", "mismatch", "out of scope"]
_LABEL = {
    "supported": "supported",
    "difference": "supported, with a difference",
    "missing": "not supported",
    "mismatch": "WRONG VALUES",
    "out of scope": "out of scope",
}


def report(outcomes: list[Outcome]) -> str:
    counts = Counter(o.status for o in outcomes)
    in_scope = len(outcomes) - counts["out of scope"]
    lines = [
        "# PyTorch coverage: the names teaching code uses",
        "",
        "Generated by `python tools/pytorch_coverage.py` (do not edit by hand). Each name below",
        "is used by at least one of the programs listed at the end; its probe, a small program",
        "written once against `torch`, runs on PyTorch and on minigrad with the same inputs and",
        "the values are compared (`tests/test_coverage.py` runs the same probes).",
        "",
        f"**{len(outcomes)} names**: {in_scope} in scope, of which "
        f"{counts['supported']} supported, {counts['difference']} supported with a difference, "
        f"{counts['missing']} not supported"
        + (f", {counts['mismatch']} with WRONG VALUES" if counts["mismatch"] else "")
        + f"; {counts['out of scope']} out of scope (CUDA-, compile- or distributed-specific, or "
        "another package's).",
        "",
        "| name | used in | status | note |",
        "| --- | --- | --- | --- |",
    ]
    for status in _ORDER:
        for o in outcomes:
            if o.status == status:
                note = o.detail.replace("|", "\\|")
                lines.append(
                    f"| `{o.entry.name}` | {o.entry.sources} | {_LABEL[status]} | {note} |"
                )
    lines += ["", "Programs read (the keys of the second column):", ""]
    lines += [f"- **{key}**: {text}" for key, text in SOURCES.items()]
    missing = [o.entry for o in outcomes if o.status == "missing"]
    for core, what in (
        (True, "core work (kernels, Tensor methods, autograd)"),
        (False, "nn/optim"),
    ):
        names = [f"`{entry.name}`" for entry in missing if entry.core == core]
        if names:
            lines += ["", f"Not supported yet, needing {what}: " + ", ".join(names) + "."]
    return "\n".join(lines) + "\n"


def measure_all() -> list[Outcome]:
    import torch

    import minigrad

    torch.set_num_threads(1)
    return [measure(entry, torch, minigrad) for entry in NAMES]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args(argv)
    outcomes = measure_all()
    text = report(outcomes)
    counts = Counter(o.status for o in outcomes)
    print(", ".join(f"{_LABEL[s]}: {counts[s]}" for s in _ORDER), f"(of {len(outcomes)} names)")
    for o in outcomes:
        if o.status in ("missing", "mismatch"):
            print(f"  {_LABEL[o.status]}: {o.entry.name}  [{o.detail}]")
    if args.check:
        current = DOC.read_text() if DOC.exists() else ""
        if current != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python tools/pytorch_coverage.py")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere: import this checkout
    with contextlib.suppress(BrokenPipeError):
        sys.exit(main())
