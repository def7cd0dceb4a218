"""Small models for the explorer's tests, and NumPy references for their attention maps."""

from __future__ import annotations

import numpy as np

import minigrad
import minigrad.viz as viz
from minigrad import nn
from transformer import CausalSelfAttention

T, C, H = 4, 8, 2  # tokens, width, heads
TOKENS = ["the", "cat", "sat", "down"]


class Tiny(nn.Module):
    """Causal self-attention (fused: ``F.scaled_dot_product_attention``) and a linear head."""

    def __init__(self):
        super().__init__()
        self.attn = CausalSelfAttention(C, H)
        self.head = nn.Linear(C, C)

    def forward(self, x):
        return self.head(self.attn(x))


def recorded_pass(retain: bool = True, record: bool = True):
    """(model, x, w, loss) after ``loss = (model(x) * w).sum()`` and its backward pass."""
    minigrad.manual_seed(0)
    model = Tiny()
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((1, T, C)).astype(np.float32))
    x.name = "x"
    w = minigrad.tensor(rng.standard_normal((1, T, C)).astype(np.float32))
    loss = (model(x) * w).sum()
    if record:
        with viz.record_gradients():
            loss.backward(retain_graph=retain)
    else:
        loss.backward(retain_graph=retain)
    return model, x, w, loss


def reference_attention(model: Tiny, x, w) -> tuple[np.ndarray, np.ndarray]:
    """The attention weights P (H, T, T) of ``model.attn`` on ``x``, and d loss / d P, in NumPy.

    loss = sum(head(c_proj(merge(P V))) * w), so d loss / d (merged heads) = w W_head W_proj and
    for head h, dP_h = dO_h V_h^T.
    """
    a = model.attn
    x = x.numpy()[0].astype(np.float64)
    qkv = x @ a.c_attn.weight.detach().numpy().T + a.c_attn.bias.detach().numpy()
    q, k, v = (
        qkv[:, i * C : (i + 1) * C].reshape(T, H, C // H).transpose(1, 0, 2) for i in range(3)
    )
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(C // H)
    scores = np.where(np.tril(np.ones((T, T), bool)), scores, -np.inf)
    p = np.exp(scores - scores.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    d_merged = w.numpy()[0] @ model.head.weight.detach().numpy() @ a.c_proj.weight.detach().numpy()
    d_out = d_merged.reshape(T, H, C // H).transpose(1, 0, 2)
    return p, d_out @ v.transpose(0, 2, 1)
