"""Memory: graphs are freed by reference counting alone, and training holds steady memory.

A ``Node`` points to its inputs but never to its output, so a graph has no reference cycles:
dropping the last tensor of a graph frees it at once, without Python's cyclic garbage collector.
Every test here runs with that collector disabled, so any cycle would show up as a leak.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref

import pytest

import minigrad
from minigrad import nn
from minigrad.autograd import Node, detect_anomaly
from minigrad.nn import functional as F
from transformer.models import GPT, GPTConfig


@pytest.fixture
def no_cyclic_gc():
    """Disable the cyclic collector, and start from a clean heap."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    yield
    if was_enabled:
        gc.enable()


def live(kind) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def tiny_gpt():
    minigrad.manual_seed(0)
    config = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.0)
    model = GPT(config)
    return model, model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3)


# ---- the graph is freed --------------------------------------------------------------------------
def test_saved_values_are_freed_by_backward_even_while_the_loss_lives(no_cyclic_gc):
    x = minigrad.randn(64, 64, requires_grad=True)
    y = x.exp()  # ExpBackward keeps y's array for backward
    saved = weakref.ref(y._data)
    loss = (y * 2.0).sum()
    del y
    assert saved() is not None  # the graph holds it until backward
    loss.backward()
    assert saved() is None  # released by backward; loss and its nodes still exist
    assert loss.grad_fn is not None


def test_dropping_the_output_frees_every_node_and_intermediate(no_cyclic_gc):
    x = minigrad.randn(8, 8, requires_grad=True)
    h = (x @ x).tanh()
    out = F.softmax(h * 3.0, -1).log().sum()
    refs = [weakref.ref(t) for t in (h, out)] + [weakref.ref(out.grad_fn)]
    nodes = []
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        nodes.append(weakref.ref(node))
        stack += [t.grad_fn for t in node.inputs if t.grad_fn is not None]
    assert len(nodes) >= 6
    out.backward()
    del h, out, node, stack
    assert all(r() is None for r in refs + nodes)
    assert x.grad is not None


def test_retained_graph_is_freed_when_dropped(no_cyclic_gc):
    x = minigrad.randn(5, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None


@pytest.mark.parametrize("mode", ["plain", "retain_graph", "create_graph", "anomaly", "hook"])
def test_no_reference_cycles_between_nodes_and_tensors(no_cyclic_gc, mode):
    """Whatever backward is asked to do, the objects of one GPT step die by refcount alone."""
    model, opt = tiny_gpt()
    idx = minigrad.randint(0, 16, (2, 8))
    gc.collect()  # what the model's construction left behind is not ours to judge
    nodes_before = live(Node)

    def step():
        logits, loss = model(idx, idx)
        if mode == "retain_graph":
            loss.backward(retain_graph=True)
        elif mode == "create_graph":  # grads as outputs, then a second-order term
            w = model.lm_head.weight
            (g,) = minigrad.autograd.grad(loss, [w], create_graph=True)
            (g * g).sum().backward()
        elif mode == "anomaly":
            with detect_anomaly():
                loss.backward()
        elif mode == "hook":
            logits.retain_grad()
            logits.register_hook(lambda g: g * 1.0)
            loss.backward()
        else:
            loss.backward()
        opt.step()
        opt.zero_grad()

    step()
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what the collector finds, to look at it
    try:
        gc.collect()
        ours = [o for o in gc.garbage if isinstance(o, (minigrad.Tensor, Node))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert ours == [], f"{len(ours)} tensors/nodes were only reachable through cycles"
    assert live(Node) == nodes_before


# ---- a training loop holds steady memory ---------------------------------------------------------
# Memory is measured with tracemalloc, which sees Python objects and NumPy's buffers alike. Two
# things grow at first without being leaks: the interpreter's free lists (tuples and floats it
# keeps for reuse, up to a cap), and, right after tracing starts, arrays that replace untraced
# ones (each step's fresh .grad). So the loop warms up untraced, settles traced for a few steps,
# and only then is measured: from there, one leaked tensor per step (~270 bytes) adds 27 KiB
# over 100 steps, and one kept graph per step adds ~90 KiB each step.
LEAK_LIMIT = 16 * 1024  # bytes over the measured steps
SETTLE_STEPS = 10
MEASURED_STEPS = 100


def gpt_step(model, opt, idx, kept=None):
    def step():
        logits, loss = model(idx, idx)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if kept is not None:
            kept.append(loss)  # the leak the control test plants: each step's graph

    return step


def traced_growth(step, measured=MEASURED_STEPS) -> int:
    """Bytes still allocated after ``measured`` steps that were allocated during them."""
    tracemalloc.start()
    try:
        for _ in range(SETTLE_STEPS):
            step()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(measured):
            step()
        return tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()


def test_500_gpt_training_steps_hold_steady_memory(no_cyclic_gc):
    model, opt = tiny_gpt()
    idx = minigrad.randint(0, 16, (4, 8))
    step = gpt_step(model, opt, idx)
    for _ in range(10):
        step()
    counts = (live(minigrad.Tensor), live(Node))
    for _ in range(500 - 10 - SETTLE_STEPS - MEASURED_STEPS):
        step()
    growth = traced_growth(step)
    assert (live(minigrad.Tensor), live(Node)) == counts  # step 10 vs step 500: nothing new lives
    assert growth < LEAK_LIMIT, f"{growth} bytes kept over {MEASURED_STEPS} steps"
    _, loss = model(idx, idx)
    assert loss.item() < 1.0  # it did train (the loss starts near log(16) = 2.8)


def test_the_memory_check_catches_a_kept_graph(no_cyclic_gc):
    """Control: the same measurement, with each step's loss (and so its graph) kept alive."""
    model, opt = tiny_gpt()
    idx = minigrad.randint(0, 16, (4, 8))
    kept = []
    growth = traced_growth(gpt_step(model, opt, idx, kept), measured=10)
    assert growth > 10 * LEAK_LIMIT


def test_mlp_training_holds_steady_memory(no_cyclic_gc):
    """The same for nn.Sequential and SGD with momentum: no leak outside the transformer code."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 4))
    opt = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = minigrad.randn(16, 8), minigrad.randint(0, 4, (16,))

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    for _ in range(1000):  # small graphs fill the free lists slowly
        step()
    growth = traced_growth(step)
    assert growth < LEAK_LIMIT, f"{growth} bytes kept over {MEASURED_STEPS} steps"
