"""The explorer page's generation (``viz.explore``), without a browser: the data it embeds must
be the tensors' own values, gradients and attention maps, and the page must be self-contained."""

from __future__ import annotations

import base64
import json
import re
import shutil

import numpy as np
import pytest
from explorer_models import TOKENS, H, T, recorded_pass, reference_attention

import minigrad
import minigrad.viz as viz
from minigrad import ArgumentError, nn
from minigrad.autograd.graph import Op
from minigrad.ops.elementwise import Mul
from minigrad.ops.fused import LayerNorm
from minigrad.viz.explorer import data
from transformer import MultiHeadAttention
from transformer.masks import padding_mask

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot not installed")


def page_data(explorer) -> dict:
    text = re.search(r'id="explorer-data">(.*?)</script>', explorer.html, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def decoded(text: str, shape) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").reshape(shape)


@pytest.fixture(scope="module")
def tiny():
    model, x, w, loss = recorded_pass()
    page = viz.explore(loss, model=model, depth=1, tokens=TOKENS) if shutil.which("dot") else None
    return model, x, w, loss, page


# --------------------------------------------------------------------------- arrays


def test_element_cap_fills_the_budget():
    sizes = [10, 100, 1000, 5000]
    assert data.element_cap(sizes, 10_000) == 5000  # everything fits: nothing cropped
    cap = data.element_cap(sizes, 2000)
    assert sum(min(n, cap) for n in sizes) <= 2000 < sum(min(n, cap + 1) for n in sizes)
    assert data.element_cap(sizes, 10) == data.MIN_CAP  # never below the floor


def test_crop_keeps_the_last_dimensions_whole():
    assert data.crop_shape((128, 64), 1024) == [16, 64]
    assert data.crop_shape((3, 4), 100) == [3, 4]
    assert data.crop_shape((2, 5000), 1024) == [1, 1024]
    assert data.crop_shape((), 10) == []


def test_array_record_crops_data_but_not_statistics():
    a = np.arange(300, dtype=np.float32).reshape(3, 100) - 150.0
    rec = data.array_record(a, 150)
    assert rec["crop"] == [1, 100]
    np.testing.assert_array_equal(decoded(rec["data"], rec["crop"]), a[:1])
    assert rec["stats"]["norm"] == pytest.approx(np.linalg.norm(a.astype(np.float64)))
    assert rec["stats"]["min"] == -150.0 and rec["stats"]["max"] == 149.0
    assert sum(rec["hist"]["counts"]) == 300


def test_formulas_come_from_the_docstrings():
    mul = data.formulas(Mul)
    assert mul["forward"] == "z = a * b."
    assert mul["backward"] == "da = dz * b, db = dz * a"
    norm = data.formulas(LayerNorm)
    assert norm["forward"].startswith("Layer norm with its affine map as one node")
    assert norm["backward"].startswith("dxhat = dy * w")


def _ops(cls=Op):
    for sub in cls.__subclasses__():
        yield sub
        yield from _ops(sub)


def test_every_drawn_op_has_a_forward_and_a_backward_formula():
    """The details panel shows them for any of minigrad's ops a graph can hold (base classes
    and the ops that tests define aside)."""
    ops = sorted({op for op in _ops() if op.differentiable and not op.__name__.startswith("_")
                  and op.__module__.startswith("minigrad.")}, key=lambda op: op.__name__)  # fmt: skip
    assert len(ops) > 40
    for op in ops:
        f = data.formulas(op)
        assert " = " in f["forward"] and data.GRADIENT_FORMULA.search(f["backward"]), (op, f)


# --------------------------------------------------------------------------- the page


@needs_dot
def test_page_is_self_contained(tiny):
    html = tiny[4].html
    assert "<script src" not in html and "<link" not in html
    urls = set(re.findall(r"https?://[^\s\"')]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # an XML namespace name, never fetched
    assert "<iframe srcdoc=" in tiny[4]._repr_html_()


@needs_dot
def test_parameters_carry_their_values_and_gradients(tiny):
    model, _, _, _, page = tiny
    d = page_data(page)
    by_title = {n["title"]: (vid, n) for vid, n in d["nodes"].items()}
    vid, node = by_title["head.weight"]
    assert node["kind"] == "param" and node["shape"] == [8, 8] and node["module"] == "head"
    rec = d["tensors"][vid]
    np.testing.assert_array_equal(
        decoded(rec["value"]["data"], [8, 8]), model.head.weight.detach().numpy()
    )
    np.testing.assert_array_equal(
        decoded(rec["grad"]["data"], [8, 8]), model.head.weight.grad.numpy()
    )
    assert rec["grad"]["stats"]["norm"] == pytest.approx(
        np.linalg.norm(model.head.weight.grad.numpy()), rel=1e-6
    )


@needs_dot
def test_ops_carry_formulas_values_and_gradient_flow(tiny):
    _, _, w, loss, page = tiny
    d = page_data(page)
    (out_id,) = [k for k, n in d["nodes"].items() if n["kind"] == "output"]
    out = d["nodes"][out_id]
    assert d["nodes"][out["made_by"]]["op"] == "Sum"  # the op vertex that made the output
    assert d["tensors"][out_id]["value"]["stats"]["mean"] == pytest.approx(loss.item(), rel=1e-6)
    (mul_id,) = [
        k for k, n in d["nodes"].items() if n.get("op") == "Mul" and n["shape"] == [1, T, 8]
    ]
    mul = d["nodes"][mul_id]
    assert mul["forward"] == "z = a * b."
    # d loss / d (model(x)) = w: the gradient Mul sent to its input 0
    assert mul["inputs"][0]["grad"] == pytest.approx(np.linalg.norm(w.numpy()), rel=1e-5)
    assert d["kept"] == {"values": True, "intermediate_values": True, "gradients": True}


@needs_dot
def test_every_module_call_has_a_view_where_it_is_open(tiny):
    d = page_data(tiny[4])
    for cid, m in d["modules"].items():
        assert cid in d["views"][m["view"]]["open"]
    ids_in_views = {n[0] for v in d["views"] for n in v["nodes"]}
    assert {k for k, n in d["nodes"].items() if n["kind"] == "op"} <= ids_in_views  # down to ops
    start = d["views"][d["depth"]]
    assert all(d["modules"][c]["depth"] <= 1 for c in start["open"])


@needs_dot
def test_attention_maps_match_a_numpy_reference(tiny):
    model, x, w, _, page = tiny
    (att,) = page_data(page)["attention"]
    p, dp = reference_attention(model, x, w)
    assert att["name"] == "attn" and att["heads"] == H and att["queries"] == TOKENS
    np.testing.assert_allclose(decoded(att["weights"], (H, T, T)), p, atol=1e-5)
    np.testing.assert_allclose(decoded(att["grad"], (H, T, T)), dp, rtol=1e-4, atol=1e-5)
    masked = decoded(att["masked"], (H, T, T)).astype(bool)
    np.testing.assert_array_equal(
        masked, np.broadcast_to(np.triu(np.ones((T, T), bool), 1), (H, T, T))
    )


@needs_dot
def test_kept_attention_weights_and_padding_mask():
    minigrad.manual_seed(1)
    mha = MultiHeadAttention(8, 2, store_attention=True)
    x = minigrad.randn(2, 3, 8)
    tokens = minigrad.tensor([[5, 6, 0], [7, 0, 0]])
    mask = padding_mask(tokens, 0)
    with viz.record_gradients():
        loss = mha(x, x, x, mask).square().sum()
        loss.backward(retain_graph=True)
    (att,) = page_data(viz.explore(loss, model=mha, sample=1))["attention"]
    assert att["sample"] == 1 and att["queries"] == ["0", "1", "2"]
    np.testing.assert_allclose(
        decoded(att["weights"], (2, 3, 3)), mha.attention.detach().numpy()[1], atol=1e-6
    )
    np.testing.assert_allclose(
        decoded(att["grad"], (2, 3, 3)), mha.attention.grad.numpy()[1], atol=1e-6
    )
    masked = decoded(att["masked"], (2, 3, 3)).astype(bool)
    np.testing.assert_array_equal(masked[0], np.array([[0, 1, 1]] * 3, bool))


@needs_dot
def test_without_retain_graph_only_leaves_keep_values():
    model, _, _, loss = recorded_pass(retain=False)
    d = page_data(viz.explore(loss, model=model))
    assert d["kept"]["values"] and not d["kept"]["intermediate_values"]
    assert d["kept"]["gradients"]


@needs_dot
def test_large_tensors_are_cropped_to_the_budget(tiny):
    model, _, _, loss, _ = tiny
    d = page_data(viz.explore(loss, model=model, max_elements=500))
    for rec in d["tensors"].values():
        for part in (rec["value"], rec["grad"]):
            if part is not None:
                assert np.prod(part["crop"]) <= data.MIN_CAP
    (vid,) = [k for k, n in d["nodes"].items() if n["title"] == "attn.c_attn.weight"]
    stats = d["tensors"][vid]["value"]["stats"]
    assert stats["count"] == 24 * 8
    assert stats["norm"] == pytest.approx(
        np.linalg.norm(model.attn.c_attn.weight.detach().numpy()), rel=1e-6
    )


@needs_dot
def test_writes_the_file(tiny, tmp_path):
    model, _, _, loss, _ = tiny
    path = tmp_path / "explorer.html"
    page = viz.explore(loss, model=model, path=path)
    assert path.read_text(encoding="utf-8") == page.html


def test_bad_arguments_are_named(tiny):
    model, _, _, loss, _ = tiny
    with pytest.raises(ArgumentError, match="explore: depth"):
        viz.explore(loss, model=model, depth=-1)
    with pytest.raises(ArgumentError, match="explore: max_elements"):
        viz.explore(loss, model=model, max_elements=0)


@needs_dot
def test_tokens_of_the_wrong_length_are_named(tiny):
    model, _, _, loss, _ = tiny
    with pytest.raises(
        ArgumentError, match="attn has 4 queries, but the tokens given for it have 2"
    ):
        viz.explore(loss, model=model, tokens=["a", "b"])


@needs_dot
def test_a_graph_without_modules():
    a = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a.name = "a"
    with viz.record_gradients():
        y = (a.exp() * 2.0).sum()
        y.backward(retain_graph=True)
    d = page_data(viz.explore(y))
    assert d["modules"] == {} and len(d["views"]) == 1 and d["attention"] == []
    (exp_id,) = [k for k, n in d["nodes"].items() if n.get("op") == "Exp"]
    assert d["nodes"][exp_id]["forward"] == "y = exp(x)."
    np.testing.assert_allclose(
        decoded(d["tensors"][exp_id]["value"]["data"], [3]), np.exp([1, 2, 3]), rtol=1e-6
    )
    np.testing.assert_allclose(decoded(d["tensors"][exp_id]["grad"]["data"], [3]), [2, 2, 2])


@needs_dot
def test_an_arrow_between_modules_carrying_two_tensors():
    class Split(nn.Module):
        def forward(self, x):
            return x * 2.0, x.sum(-1)

    class Join(nn.Module):
        def forward(self, a, b):
            return a.sum() + b.sum()

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.split, self.join = Split(), Join()

        def forward(self, x):
            return self.join(*self.split(x))

    model = Model()
    x = minigrad.ones(2, 3, requires_grad=True)
    with viz.record_gradients():
        loss = model(x)
        loss.backward(retain_graph=True)
    d = page_data(viz.explore(loss, model=model, depth=1))
    ids = {m["name"]: cid for cid, m in d["modules"].items()}
    (edge,) = [e for e in d["views"][1]["edges"] if e[:2] == [ids["split"], ids["join"]]]
    assert edge[3] == pytest.approx(np.sqrt(6 + 2))  # |ones(2, 3)|^2 + |ones(2)|^2, together


def test_without_dot_the_error_says_how_to_install_it(tiny, monkeypatch):
    model, _, _, loss, _ = tiny
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
        viz.explore(loss, model=model)


@needs_dot
def test_sample_out_of_range_is_named(tiny):
    model, _, _, loss, _ = tiny
    with pytest.raises(
        ArgumentError, match="explore: sample 1 is out of range for attn's batch of 1"
    ):
        viz.explore(loss, model=model, sample=1)
