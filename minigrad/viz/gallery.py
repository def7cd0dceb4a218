"""A gallery of rendered graphs, for the README: ``python -m minigrad.viz --out docs/img``.

Each entry builds a small model or expression, runs it (and, where the picture shows gradients,
its backward pass inside ``record_gradients()``) and returns the drawing. Everything is seeded,
so the pictures are the same on every run.
"""

from __future__ import annotations

import math
import os

import minigrad
from minigrad import nn
from transformer import GPT, EncoderLayer, GPTConfig

from . import draw, record_gradients, render_to


def neuron():
    """micrograd's neuron, tanh(x1 w1 + x2 w2 + b), with values and gradients."""
    x1, x2 = _named(2.0, "x1"), _named(0.0, "x2")
    w1, w2 = _named(-3.0, "w1", param=True), _named(1.0, "w2", param=True)
    b = _named(6.8813735870195432, "b", param=True)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.name = "o"
    with record_gradients():
        o.backward()
    return draw(o, show_data=True, rankdir="LR")


def neuron_backward():
    """The same neuron's backward graph: the functions backward runs, as torchviz draws."""
    x = _named([2.0, 0.0], "x")
    w = _named([-3.0, 1.0], "w", param=True)
    b = _named(6.8813735870195432, "b", param=True)
    o = ((x * w).sum() + b).tanh()
    o.name = "o"
    with record_gradients():
        o.backward()
    return draw(o, backward=True)


class AttentionHead(nn.Module):
    """One causal self-attention head, written op by op:
    softmax(mask(q k^T / sqrt(d_head))) v, with q, k, v linear projections of x."""

    def __init__(self, d_model: int, d_head: int):
        super().__init__()
        self.query = nn.Linear(d_model, d_head, bias=False)
        self.key = nn.Linear(d_model, d_head, bias=False)
        self.value = nn.Linear(d_model, d_head, bias=False)

    def forward(self, x):
        T, d_head = x.shape[-2], self.query.out_features
        q, k, v = self.query(x), self.key(x), self.value(x)
        scores = q @ k.mT
        scaled = scores * (1.0 / math.sqrt(d_head))
        causal = minigrad.ones(T, T, dtype=minigrad.bool).tril()
        causal.name = "causal mask"
        masked = scaled.masked_fill(~causal, float("-inf"))
        weights = masked.softmax(-1)
        return weights @ v


def attention_head():
    """A single causal attention head on 4 positions, with the gradient that flows back."""
    minigrad.manual_seed(0)
    head = AttentionHead(d_model=8, d_head=4)
    x = minigrad.randn(1, 4, 8, requires_grad=True)  # tracked, so its reshapes are drawn
    x.name = "x"
    out = head(x)
    out.name = "attention"
    with record_gradients():
        (out * out).mean().backward()
    return draw(out, model=head)


def encoder_layer():
    """A transformer encoder layer (self-attention and feed-forward, each in a residual
    sublayer), collapsed to depth 2: the sublayers open, what they call as boxes."""
    minigrad.manual_seed(0)
    layer = EncoderLayer(d_model=16, n_heads=2, d_ff=32, dropout=0.0)
    x = minigrad.randn(2, 5, 16, requires_grad=True)
    x.name = "x"
    y = layer(x)
    y.name = "y"
    return draw(y, model=layer, depth=2)


def softmax_backward():
    """The graph of softmax's gradient: dL/dx = y * (g - sum(g * y)), with g = dL/dy. Computed
    with create_graph=True, the gradient is a tensor with a graph of its own."""
    x = _named([[1.0, 2.0, 0.5]], "x", requires_grad=True)
    g = _named([[0.3, -1.0, 0.2]], "g (dL/dy)")
    y = x.softmax(-1)
    (dx,) = minigrad.autograd.grad(y, x, grad_outputs=g, create_graph=True)
    dx.name = "dL/dx"
    return draw(dx)


def gpt_gradient_flow():
    """A 2-layer GPT's training graph (loss from tokens) collapsed to depth 2, coloured by the
    gradient that reached each tensor and each arrow."""
    minigrad.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=32, block_size=16, n_layer=2, n_head=2, n_embd=32))
    tokens = minigrad.randint(0, 32, (4, 17))
    _, loss = model(tokens[:, :-1], tokens[:, 1:])  # predict each next token
    loss.name = "loss"
    with record_gradients():
        loss.backward()
    return draw(loss, model=model, depth=2, tensors=False)


GALLERY = {
    "neuron": neuron,
    "neuron_backward": neuron_backward,
    "attention_head": attention_head,
    "encoder_layer": encoder_layer,
    "softmax_backward": softmax_backward,
    "gpt_gradient_flow": gpt_gradient_flow,
}


def render_gallery(out_dir, formats=("svg", "png"), names=None) -> list:
    """Render the gallery (or the entries ``names``) into ``out_dir``; return the file paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for name in names or GALLERY:
        graph = GALLERY[name]()
        for fmt in formats:
            paths.append(render_to(graph, os.path.join(out_dir, f"{name}.{fmt}")))
    return paths


def _named(value, name: str, param: bool = False, requires_grad: bool = False):
    """A tensor (a Parameter if ``param``) that graphs label ``name``."""
    t = minigrad.tensor(value, requires_grad=requires_grad)
    if param:
        t = nn.Parameter(t)
    t.name = name
    return t
