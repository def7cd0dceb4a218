"""minigrad.viz: the captured graph (exact vertices and edges), module clusters, collapsing,
folding, gradient colouring, backward graphs, deep graphs, and rendering with and without `dot`."""

from __future__ import annotations

import math
import re
import shutil

import graphviz
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
import minigrad.viz as viz
from minigrad import nn
from minigrad.autograd import observe_backward
from minigrad.errors import ArgumentError

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def kinds(g) -> dict:
    counts: dict = {}
    for v in g.vertices.values():
        counts[v.kind] = counts.get(v.kind, 0) + 1
    return counts


def edge_list(g) -> list:
    return [(e.src, e.dst, e.slot) for e in g.edges]


def by_title(g, title):
    (v,) = [v for v in g.vertices.values() if v.title == title]
    return v


def dot_counts(graph) -> tuple[int, int]:
    """(node statements, edge statements) in the DOT text, legend excluded."""
    lines = graph.source.splitlines()
    edges = sum(1 for s in lines if " -> " in s)
    nodes = sum(1 for s in lines if re.match(r"\s*[a-z]+\d+ \[", s))
    return nodes, edges


def named(value, name, requires_grad=True):
    t = mg.tensor(value, requires_grad=requires_grad)
    t.name = name
    return t


# ---- the forward graph ---------------------------------------------------------------------


def test_small_graph_exact_vertices_and_edges():
    a, b = named([1.0, 2.0], "a"), named([3.0, -1.0], "b")
    c = a * b
    d = (c + a).sum()
    g = viz.capture(d)
    assert kinds(g) == {"input": 2, "op": 3, "tensor": 2, "output": 1}
    assert edge_list(g) == [
        ("l0", "op0", 0),  # a * b
        ("l1", "op0", 1),
        ("op0", "t0", None),
        ("t0", "op1", 0),  # c + a
        ("l0", "op1", 1),
        ("op1", "t1", None),
        ("t1", "op2", None),  # sum
        ("op2", "t2", None),
    ]
    assert [g.vertices[i].title for i in ("l0", "l1", "op0", "op1", "op2")] == [
        "a",
        "b",
        "Mul",
        "Add",
        "Sum",
    ]
    assert g.vertices["t2"].shape == () and g.vertices["t0"].shape == (2,)
    assert g.vertices["t2"].dtype == "float32"
    graph = viz.draw(d)
    assert dot_counts(graph) == (8, 8)
    assert "legend" in graph.source


def test_operand_order_matmul_left_and_right():
    a = named(np.ones((2, 3)), "left")
    b = named(np.ones((3, 4)), "right")
    g = viz.capture(a @ b)
    slots = {g.vertices[e.src].title: e.slot for e in g.edges if e.dst == "op0"}
    assert slots == {"left": 0, "right": 1}
    source = viz.draw(b.T @ a.T).source
    # b.T is computed first, so it is operand 0 of the matmul
    assert 't0 -> op2 [headlabel="0"' in source
    assert 't1 -> op2 [headlabel="1"' in source


def test_a_plus_a_draws_two_edges():
    a = named([1.0, 2.0], "a")
    g = viz.capture(a + a)
    assert edge_list(g) == [("l0", "op0", 0), ("l0", "op0", 1), ("op0", "t0", None)]
    assert viz.draw(a + a).source.count("l0 -> op0") == 2


def test_graph_edges_are_those_recorded_when_the_op_ran():
    x = named([1.0, 2.0], "x")
    y = x * 2.0
    z = y * 3.0
    y.add_(1.0)  # y now has a new grad_fn; z still reads the y made by the first Mul
    assert [v.title for v in viz.capture(z).vertices.values() if v.kind == "op"] == [
        "Mul(·, 2)",
        "Mul(·, 3)",
    ]
    y.add_(y)  # an op that reads its own target must not loop the drawing
    assert kinds(viz.capture(y))["op"] == 3  # Mul, Add, Add


def test_scalar_constants_are_written_into_the_op_label():
    x = named([1.0, 2.0], "x")
    g = viz.capture(2.0 - x * 0.5)
    assert [v.title for v in g.vertices.values() if v.kind == "op"] == ["Mul(·, 0.5)", "Sub(2, ·)"]
    assert kinds(g) == {"input": 1, "op": 2, "tensor": 1, "output": 1}


def test_masks_and_named_tensors():
    x = named(np.ones((2, 2)), "x")
    mask = mg.tensor([[True, False], [True, True]])
    y = x.masked_fill(mask, 0.0)
    g = viz.capture(y)
    assert kinds(g) == {"input": 1, "const": 1, "op": 1, "output": 1}
    y.name = "y"
    assert by_title(viz.capture(y), "y").kind == "output"


def named_attention():
    """softmax(q k^T) v with every intermediate tensor named, as a learner would."""
    q, k, v = (named(np.random.default_rng(i).standard_normal((3, 2)), n) for i, n in
               enumerate("QKV"))  # fmt: skip
    scores = q @ k.mT
    scores.name = "S"
    weights = scores.softmax(-1)
    weights.name = "P"
    out = weights @ v
    out.name = "O"
    return out


def test_names_of_intermediate_tensors_are_drawn_before_and_after_a_recorded_backward():
    out = named_attention()
    titles = {v.title for v in viz.capture(out).vertices.values() if v.kind == "tensor"}
    assert titles == {"", "S", "P"}  # kᵀ is unnamed
    with viz.record_gradients():  # backward frees the intermediate tensors; the record keeps names
        out.sum().backward()
    g = viz.capture(out)
    assert {v.title: v.kind for v in g.vertices.values() if v.title in ("S", "P", "O")} == {
        "S": "tensor", "P": "tensor", "O": "output"}  # fmt: skip
    assert by_title(g, "P").grad is not None  # and coloured by the gradient that reached it
    merged = viz.merge_tensors(g)
    assert [v.notes for v in merged.vertices.values() if v.kind == "op"] == [[], ["S"], ["P"], []]


def test_the_transformer_names_what_the_learner_did_not_make():
    from transformer import Transformer

    model = Transformer(6, 6, d_model=8, n_heads=2, n_layers=1, d_ff=16, dropout=0.0, max_len=5)
    for m in model.modules():
        m.store_attention = True  # the op-by-op path
    src = mg.randint(0, 6, (1, 5))
    logits = model(src, src)
    titles = {v.title for v in viz.capture(logits, model=model).vertices.values()}
    for name in ("positional encoding PE[0:5]", "row max, detached (softmax shift: no gradient)",
                 "blocked keys: ~(causal mask)", "P = softmax(S)", "Q (heads split)",
                 "Concat(head_1..head_h)"):  # fmt: skip
        assert name in titles, name
    g = viz.capture(logits, model=model)
    tables = [v for v in g.vertices.values() if v.title == "positional encoding PE[0:5]"]
    assert len(tables) == 2  # the source's and the target's
    for pe in tables:
        assert pe.kind == "const" and pe.notes == ["rows of buffer positional.pe"]


def test_show_data_summaries():
    x = named([1.0, 2.0, 6.0], "x")
    y = (x * 2.0).sum()
    g = viz.capture(y, show_data=True)
    assert g.vertices["l0"].summary == "min 1  mean 3  max 6"
    assert g.vertices["t1"].summary == "value 18"
    assert viz.capture(y).vertices["l0"].summary is None
    y.backward()  # frees the intermediate arrays; shapes stay (Node.out_meta)
    g = viz.capture(y, show_data=True)
    assert g.vertices["t0"].summary is None and g.vertices["t0"].shape == (3,)


@st.composite
def programs(draw):
    """A random program over 2x2 tensors: each step applies an op to earlier values."""
    n_leaves = draw(st.integers(1, 3))
    steps = []
    for k in range(draw(st.integers(1, 12))):
        op = draw(st.sampled_from(["add", "mul", "matmul", "tanh", "scale"]))
        i = draw(st.integers(0, n_leaves + k - 1))
        j = draw(st.integers(0, n_leaves + k - 1))
        steps.append((op, i, j))
    return n_leaves, steps


@given(programs())
def test_random_programs_vertex_and_edge_counts(program):
    n_leaves, steps = program
    values = [mg.randn(2, 2, requires_grad=True) for _ in range(n_leaves)]
    operands = []  # per step, the value indices it reads (the scalar of "scale" is inlined)
    for op, i, j in steps:
        a, b = values[i], values[j]
        fn = {"add": a.__add__, "mul": a.__mul__, "matmul": a.__matmul__}.get(op)
        if fn is not None:
            values.append(fn(b))
            operands.append((i, j))
        else:
            values.append(a.tanh() if op == "tanh" else a * 3.0)
            operands.append((i,))
    # What the output depends on, computed from the program alone.
    needed, stack = set(), [len(values) - 1]
    while stack:
        k = stack.pop()
        if k not in needed:
            needed.add(k)
            if k >= n_leaves:
                stack.extend(operands[k - n_leaves])
    steps_used = [k for k in needed if k >= n_leaves]
    g = viz.capture(values[-1])
    assert g.count("op") == len(steps_used)
    assert g.count("input") == len(needed) - len(steps_used)
    assert g.count("tensor") + g.count("output") == len(steps_used)
    expected_edges = sum(len(operands[k - n_leaves]) + 1 for k in steps_used)
    assert len(g.edges) == expected_edges


# ---- modules ---------------------------------------------------------------------------------


class Branches(nn.Module):
    """Two projections of one input, added: x -> a(x) + b(x)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)

    def forward(self, x):
        return self.a(x) + self.b(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(3, 3)
        self.blocks = nn.ModuleList([Branches(), Branches()])
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        x = self.inp(x).tanh()
        for block in self.blocks:
            x = block(x)
        return self.out(x)


def net_loss(seed=0):
    mg.manual_seed(seed)
    model = Net()
    x = mg.randn(4, 3, requires_grad=True)
    x.name = "x"
    return model, x, model(x).sum()


def test_cluster_names_match_named_modules():
    model, _, loss = net_loss()
    g = viz.capture(loss, model=model)
    names = {c.qualname for c in g.clusters.values()}
    ran = {n for n, m in model.named_modules() if not isinstance(m, nn.ModuleList)}
    assert names == ran
    assert "blocks.1.b" in names
    source = viz.draw(loss, model=model).source
    for name in names - {""}:
        assert f'subgraph "cluster_{name}"' in source or f"subgraph cluster_{name} " in source
    # Nesting: each cluster's parent is the module that called it.
    by_name = {c.qualname: c for c in g.clusters.values()}
    assert by_name["blocks.1.b"].parent == by_name["blocks.1"].key
    assert by_name["blocks.1"].parent == by_name[""].key
    # Without model=, the outermost module of the ops names everything the same way.
    assert {c.qualname for c in viz.capture(loss).clusters.values()} == names


def test_parameters_are_named_and_placed_in_their_module():
    model, _, loss = net_loss()
    g = viz.capture(loss, model=model)
    params = {v.title: v for v in g.vertices.values() if v.kind == "param"}
    assert set(params) == {n for n, _ in model.named_parameters()}
    w = params["blocks.0.a.weight"]
    assert g.clusters[w.path].qualname == "blocks.0.a"
    assert by_title(g, "x").path == ()  # inputs stay at the top level


def test_tied_weight_sits_where_its_uses_meet():
    model = Branches()
    model.b.weight = model.a.weight
    y = model(mg.randn(2, 3)).sum()
    g = viz.capture(y, model=model)
    tied = by_title(g, "a.weight")
    assert g.clusters[tied.path].qualname == ""
    assert sum(1 for e in g.edges if e.src == tied.id) == 2


def test_collapse_counts():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    y = model(mg.randn(5, 3))
    full = viz.capture(y, model=model)
    assert len(full.vertices) == 11 and len(full.edges) == 10  # a Linear is one op node
    # depth 1: the Sequential stays open, its three children become one vertex each
    g = viz.collapse(full, 1)
    assert kinds(g) == {"input": 1, "module": 3, "output": 1}
    assert [(g.vertices[e.src].title, g.vertices[e.dst].title) for e in g.edges] == [
        ("input", "0"),
        ("0", "1"),
        ("1", "2"),
        ("2", "output"),
    ]
    assert g.vertices["m0"].notes == ["Linear", "16 params", "[5, 3] → [5, 4]"]
    assert {c.qualname for c in g.clusters.values()} == {""}
    # depth 0: the whole model is one vertex
    g0 = viz.collapse(full, 0)
    assert kinds(g0) == {"input": 1, "module": 1, "output": 1} and len(g0.edges) == 2
    assert g0.vertices["m0"].notes[1] == "26 params"
    assert len(viz.draw(y, model=model, depth=1).graph_model.vertices) == 5
    with pytest.raises(ArgumentError, match="depth"):
        viz.draw(y, depth=-1)


def test_collapse_keeps_operand_slots_on_ops():
    model, x, loss = net_loss()
    g = viz.collapse(viz.capture(loss, model=model), 2)
    adds = [v for v in g.vertices.values() if v.title == "Add"]
    in_blocks = [v for v in adds if g.clusters[v.path].qualname.startswith("blocks")]
    assert len(in_blocks) == 2  # the a(x) + b(x) of each block: both operands are modules
    for add in in_blocks:
        sources = sorted((e.slot, g.vertices[e.src].title) for e in g.edges if e.dst == add.id)
        assert [slot for slot, _ in sources] == [0, 1]
        assert all(g.vertices[e.src].kind == "module" for e in g.edges if e.dst == add.id)


def test_merge_tensors_draws_each_intermediate_inside_its_op():
    a, b = named([1.0, 2.0], "a"), named([3.0, -4.0], "b")
    loss = (a * b + a).sum()
    with viz.record_gradients():
        loss.backward()
    full = viz.capture(loss)
    g = viz.merge_tensors(full)
    assert kinds(g) == {"input": 2, "op": 3, "output": 1}
    assert len(full.vertices) - len(g.vertices) == full.count("tensor") == 2
    assert edge_list(g) == [
        ("l0", "op0", 0),
        ("l1", "op0", 1),
        ("op0", "op1", 0),
        ("l0", "op1", 1),
        ("op1", "op2", None),
        ("op2", "t2", None),
    ]
    mul = g.vertices["op0"]
    assert mul.shape == (2,) and mul.grad == pytest.approx(full.vertices["t0"].grad)
    assert g.edges[2].grad == pytest.approx(full.edges[3].grad)
    assert "[2] float32" in viz.draw(loss, tensors=False).source


def test_fold_repeats():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 2))
    y = model(mg.randn(3, 4))
    g = viz.fold_repeats(viz.collapse(viz.capture(y, model=model), 1))
    assert kinds(g) == {"input": 1, "module": 2, "output": 1}
    folded = g.vertices["m0"]
    assert folded.repeat == 3 and folded.title == "0 … 2"
    assert [(g.vertices[e.src].title, g.vertices[e.dst].title) for e in g.edges] == [
        ("input", "0 … 2"),
        ("0 … 2", "3"),
        ("3", "output"),
    ]
    assert "×3" in viz.draw(y, model=model, depth=1, fold_repeats=True).source
    # Open clusters fold too: one cluster stands for the three calls.
    full = viz.fold_repeats(viz.capture(y, model=model))
    assert {c.qualname: c.repeat for c in full.clusters.values()} == {"": 1, "0": 3, "3": 1}
    assert full.count("op") == 2  # a Linear node in the folded cluster and one in the last


def test_parallel_identical_modules_are_not_folded():
    model, _, loss = net_loss()
    g = viz.fold_repeats(viz.collapse(viz.capture(loss, model=model), 2))
    # The two blocks are a chain of identical calls: folded. Inside, a and b are identical but
    # side by side, not a chain: both stay.
    assert {c.qualname: c.repeat for c in g.clusters.values()}["blocks.0"] == 2
    assert [v.title for v in g.vertices.values() if v.kind == "module"] == [
        "blocks.0.a",
        "blocks.0.b",
    ]
    # at depth 1, the blocks are single vertices, folded the same way
    g1 = viz.fold_repeats(viz.collapse(viz.capture(loss, model=model), 1))
    assert [v.title for v in g1.vertices.values() if v.kind == "module"] == [
        "inp",
        "blocks.0 … blocks.1",
        "out",
    ]


# ---- gradients -------------------------------------------------------------------------------


def test_gradient_colouring_absent_before_backward_and_present_after():
    a, b = named([1.0, 2.0], "a"), named([3.0, -4.0], "b")
    loss = (a * b).sum()
    before = viz.draw(loss)
    assert all(v.grad is None for v in before.graph_model.vertices.values())
    assert "penwidth" not in before.source and not re.search(r">grad \d", before.source)
    loss.backward(retain_graph=True)
    after = viz.draw(loss)
    g = after.graph_model
    assert g.vertices["l0"].grad == pytest.approx(5.0)  # |a.grad| = |b|
    assert g.vertices["l1"].grad == pytest.approx(math.sqrt(5.0))
    assert g.vertices["t0"].grad is None  # intermediate gradients need record_gradients()
    assert "grad 5" in after.source
    assert not re.search(r">grad \d", viz.draw(loss, show_grad=False).source)


def test_zero_gradients_are_grey():
    x = named([1.0, 2.0], "x")
    loss = (x * 0.0).sum()
    with viz.record_gradients():
        loss.backward()
    graph = viz.draw(loss)
    g = graph.graph_model
    assert g.vertices["l0"].grad == 0.0  # d loss / d x = 0
    assert g.vertices["t0"].grad == pytest.approx(math.sqrt(2.0))  # d loss / d (x * 0) = 1
    assert g.edges[0].grad == 0.0
    zero = viz.style.ZERO_COLOR
    assert graph.source.count(f'bgcolor="{zero}"') == 2  # x's gradient cell and the legend
    assert re.search(r'l0 -> op0 \[[^\]]* color="' + zero, graph.source)
    assert "zero gradient" in graph.source


def test_recorded_gradient_flow_on_every_edge():
    a, b = named([1.0, 2.0], "a"), named([3.0, -4.0], "b")
    c = a * b
    loss = (c * c).sum()
    with viz.record_gradients():
        loss.backward()
    g = viz.capture(loss)
    dc = 2 * np.array([3.0, -8.0])  # d loss / d c
    flows = {(e.src, e.dst, e.slot): e.grad for e in g.edges}
    assert flows[("l0", "op0", 0)] == pytest.approx(np.linalg.norm(dc * [3.0, -4.0]))
    assert flows[("l1", "op0", 1)] == pytest.approx(np.linalg.norm(dc * [1.0, 2.0]))
    # c * c: each operand receives half of c's gradient
    assert flows[("t0", "op1", 0)] == pytest.approx(np.linalg.norm(dc) / 2)
    assert g.vertices["t0"].grad == pytest.approx(np.linalg.norm(dc))
    assert g.vertices["t2"].grad == pytest.approx(1.0)
    source = viz.draw(loss).source
    assert source.count("penwidth") == len(g.edges)


def test_merged_edges_carry_the_sum_of_their_gradients():
    mg.manual_seed(1)
    model = Branches()
    x = mg.randn(2, 3, requires_grad=True)
    y = model(x)
    loss = (y * y).sum()
    with viz.record_gradients():
        loss.backward()
    full = viz.capture(loss, model=model)
    assert sum(1 for e in full.edges if e.src == by_title(full, "input").id) == 2  # a's, b's
    g = viz.collapse(full, 0)
    (into_model,) = [e for e in g.edges if e.src == by_title(g, "input").id]
    # x is used by both branches inside the model: the one merged edge carries x's whole
    # gradient, the norm of the sum of the two, not the sum of their norms
    assert into_model.grad == pytest.approx(float(np.linalg.norm(x.grad.numpy())), rel=1e-5)
    parts = [e.grad for e in full.edges if e.src == by_title(full, "input").id]
    assert into_model.grad < sum(parts)


# ---- the backward graph ----------------------------------------------------------------------


def test_backward_graph_matches_the_functions_backward_runs():
    model, x, loss = net_loss()
    g = viz.capture(loss, model=model, backward=True)
    drawn = sorted(v.title for v in g.vertices.values() if v.kind == "grad_fn")
    ran = []
    with observe_backward(lambda node, g_out, g_in: ran.append(node.name)):
        loss.backward()
    assert drawn == sorted(ran)
    assert "LinearBackward" in drawn and "TanhBackward" in drawn
    leaves = {v.title for v in g.vertices.values() if v.kind in ("param", "input")}
    assert leaves == {n for n, _ in model.named_parameters()} | {"x"}
    assert all(v.notes == ["AccumulateGrad"] for v in g.vertices.values() if v.kind == "param")


def test_backward_graph_exact_edges():
    a, b = named([1.0, 2.0], "a"), named([3.0, 4.0], "b", requires_grad=False)
    loss = (a * b).sum()
    g = viz.capture(loss, backward=True)
    assert [(v.id, v.kind, v.title) for v in g.vertices.values()] == [
        ("o1", "output", "output"),
        ("g1", "grad_fn", "SumBackward"),
        ("g0", "grad_fn", "MulBackward"),
        ("l0", "input", "a"),
    ]
    # b needs no gradient: backward sends nothing there
    assert edge_list(g) == [("o1", "g1", None), ("g1", "g0", None), ("g0", "l0", 0)]
    assert 'taillabel="0"' in viz.draw(loss, backward=True).source


def test_gradient_with_create_graph_draws_like_any_tensor():
    x = named([0.5, -1.0, 2.0], "x")
    y = (x.tanh() * x).sum()
    (dx,) = mg.autograd.grad(y, x, create_graph=True)
    g = viz.capture(dx)
    ops = [v.title for v in g.vertices.values() if v.kind == "op"]
    # tanh(x), then backward's own ops: g * tanh(x), g * x, then tanh's gradient
    # dy * (1 - y^2) as one op (as PyTorch's tanh_backward), summed
    assert ops == ["Tanh", "Mul", "Mul", "TanhBackward", "Add"]
    assert ("t2", "op3", 0) in edge_list(g)  # dy: the gradient g * x
    assert ("t0", "op3", 1) in edge_list(g)  # y: tanh's output, through which x is reached again
    assert g.count("output") == 1
    second = viz.capture(dx.sum(), backward=True)
    assert second.count("grad_fn") == len(ops) + 1


# ---- big graphs ------------------------------------------------------------------------------


def test_a_chain_of_10000_ops_draws_without_recursion():
    x = named([1.0, 2.0], "x")
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    graph = viz.draw(y)
    assert kinds(graph.graph_model) == {"input": 1, "op": 10_000, "tensor": 9_999, "output": 1}
    assert graph.source.count(" -> ") == 20_000
    assert viz.capture(y, backward=True).count("grad_fn") == 10_000


def test_max_nodes_guard():
    x = named([1.0], "x")
    y = x
    for _ in range(50):
        y = y.tanh()
    with pytest.raises(viz.GraphTooLarge, match=r"101 nodes, more than max_nodes=100"):
        viz.draw(y, max_nodes=100)
    assert len(viz.draw(y, max_nodes=101).graph_model.vertices) == 101


def test_argument_errors():
    x = named([1.0], "x")
    with pytest.raises(ArgumentError, match="rankdir"):
        viz.draw(x * 2.0, rankdir="UP")
    with pytest.raises(ArgumentError, match="at least one"):
        viz.draw()
    with pytest.raises(ArgumentError, match="must be a Tensor"):
        viz.draw([1.0])
    assert "rankdir=LR" in viz.draw(x * 2.0, rankdir="LR").source


# ---- rendering -------------------------------------------------------------------------------


@needs_dot
def test_renders_svg_and_png(tmp_path):
    model, _, loss = net_loss()
    with viz.record_gradients():
        loss.backward()
    graph = viz.draw(loss, model=model, depth=2)
    svg = viz.render_to(graph, tmp_path / "net.svg")
    text = open(svg).read()
    assert "<svg" in text and "blocks.0" in text
    png = viz.render_to(graph, tmp_path / "net.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert graph._repr_mimebundle_()["image/svg+xml"].lstrip().startswith("<?xml")


def test_clear_error_when_dot_is_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no Graphviz on it
    graph = viz.draw(named([1.0], "x") * 2.0)
    assert "Mul" in graph.source  # the DOT text needs no Graphviz
    for attempt in (
        lambda: viz.render_to(graph, tmp_path / "g.svg"),
        lambda: graph.render(tmp_path / "g", format="svg"),
        lambda: graph.pipe(format="png"),
        lambda: graph._repr_mimebundle_(),  # what Jupyter calls
    ):
        with pytest.raises(viz.GraphvizNotFound) as info:
            attempt()
        message = str(info.value)
        assert "'dot'" in message and "apt-get install graphviz" in message
        assert "brew install graphviz" in message and "conda" in message
        assert isinstance(info.value, graphviz.ExecutableNotFound)
        assert isinstance(info.value, RuntimeError)
    assert not (tmp_path / "g.svg").exists()
    from minigrad.viz.__main__ import main

    assert main(["--out", str(tmp_path / "gallery"), "neuron"]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (tmp_path / "gallery").exists()


def test_render_to_needs_a_format():
    with pytest.raises(ArgumentError, match="format"):
        viz.render_to(viz.draw(named([1.0], "x") * 2.0), "graph")


@needs_dot
def test_gallery_renders(tmp_path):
    pytest.importorskip("transformer")
    from minigrad.viz.__main__ import main

    assert main(["--out", str(tmp_path), "--format", "svg"]) == 0
    for name in viz.gallery.GALLERY:
        assert "<svg" in (tmp_path / f"{name}.svg").read_text()


def test_gpt_training_graph_collapses_to_a_readable_size():
    transformer = pytest.importorskip("transformer")
    mg.manual_seed(0)
    config = transformer.GPTConfig(vocab_size=32, block_size=16, n_layer=2, n_head=2, n_embd=32)
    model = transformer.GPT(config)
    tokens = mg.randint(0, 32, (4, 17))
    _, loss = model(tokens[:, :-1], tokens[:, 1:])
    with viz.record_gradients():
        loss.backward()
    full = viz.capture(loss, model=model)
    ran = {c.qualname for c in full.clusters.values()}
    assert "transformer.h.1.attn.c_attn" in ran and ran <= {n for n, _ in model.named_modules()}
    tied = by_title(full, "transformer.wte.weight")  # also lm_head.weight
    assert full.clusters[tied.path].qualname == ""
    g = viz.draw(loss, model=model, depth=2).graph_model
    assert len(g.vertices) < 60 and len(full.vertices) > 2 * len(g.vertices)
    assert [v.title for v in g.vertices.values() if v.kind == "module"] == [
        f"transformer.h.{i}.{m}" for i in range(2) for m in ("ln_1", "attn", "ln_2", "mlp")
    ]
    assert all(v.grad is not None for v in g.vertices.values() if v.kind == "module")


def draw_on(device):
    """Data summaries before backward, gradient norms after a recorded backward."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(device)
    x = mg.randn(5, 3).to(device).requires_grad_()
    loss = (model(x) * 0.5).sum()
    before = viz.capture(loss, model=model, show_data=True)
    with viz.record_gradients():
        loss.backward()
    after = viz.capture(loss, model=model)
    summaries = [v.summary for v in before.vertices.values()]
    tensors = [v for v in after.vertices.values() if v.kind != "op"]
    norms = [v.grad for v in tensors] + [e.grad for e in after.edges]
    return summaries, norms


def test_drawing_goes_through_the_backend_seam():
    """On the strict stand-in for CuPy (no implicit NumPy conversion) everything draws, and the
    data summaries and gradient norms equal the CPU ones."""
    summaries, norms = draw_on("strict")
    cpu_summaries, cpu_norms = draw_on("cpu")
    assert summaries == cpu_summaries and summaries[0].startswith("min ")
    assert None not in norms and norms == pytest.approx(cpu_norms)
