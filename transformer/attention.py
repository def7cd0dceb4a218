"""Scaled dot-product attention and multi-head attention.

For queries Q (L, d_k), keys K (S, d_k) and values V (S, d_v), each query takes a weighted average
of the values, weighted by how well it matches each key::

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V          (L, S) weights times (S, d_v)

Dividing by sqrt(d_k) keeps the scores at unit variance when q and k have unit-variance entries,
so the softmax does not saturate. Multi-head attention runs h such attentions side by side on
learned projections of size d_k = d_model / h and mixes their outputs::

    head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V)
    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W^O

Shapes in this file: B batch, H heads, L queries, S keys, D head size, d_model = H * D.

- ``attention``: the formula op by op, for reading and for inspecting the weights.
- ``MultiHeadAttention``: the encoder-decoder's attention (self or cross).
- ``CausalSelfAttention`` and ``KVCache``: GPT's masked self-attention, with one fused q/k/v
  projection, and the cache that makes generation cost one step per new token.
"""

from __future__ import annotations

import math

from minigrad import ShapeError, Tensor, nn
from minigrad.errors import format_shape
from minigrad.nn import functional as F

from .masks import causal_mask, check_mask


def attention(
    query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None, dropout=None
) -> tuple[Tensor, Tensor]:
    """softmax(Q K^T / sqrt(d_k), masked) V, written out op by op. Returns (output, weights).

    query (..., L, D), key (..., S, D), value (..., S, D_v) -> output (..., L, D_v) and the
    attention weights (..., L, S), each row a probability distribution over the keys.
    ``mask`` is boolean, True = may attend, broadcastable to (..., L, S) (see ``masks``).
    ``dropout`` (a callable such as ``nn.Dropout``) is applied to the weights used for the output;
    the returned weights are the ones before dropout, i.e. the attention pattern itself.

    A query whose keys are all masked has nothing to average: its weights and its output are 0,
    and so are the gradients reaching it, exactly what ``F.scaled_dot_product_attention`` (the
    fused path, as PyTorch's) gives. ``masks.check_mask`` warns when a mask does that.

    The tensors are named for ``minigrad.viz.draw``: ``S = QK^T/sqrt(d)``, ``P = softmax(S)``, the
    detached row maximum and the blocked keys explain themselves in a graph.
    """
    _check_ranks(query, key, value)
    if mask is not None:
        check_mask(mask, query.shape[-2], key.shape[-2], "attention")
    return _attend(query, key, value, mask, dropout)


def _attend(query, key, value, mask, dropout) -> tuple[Tensor, Tensor]:
    """``attention`` after its checks (``MultiHeadAttention`` has made them already)."""
    d_k = query.shape[-1]
    scores = query @ key.mT / math.sqrt(d_k)  # (..., L, S): q_i . k_j / sqrt(d_k)
    scores.name = "S = QKᵀ/√d"
    dead = None  # rows with every key blocked
    if mask is not None:
        blocked = ~mask
        blocked.name = f"blocked keys: ~({mask.name or 'mask'})"
        scores = scores.masked_fill(blocked, float("-inf"))  # exp(-inf) = 0: no weight at all
        scores.name = "S, masked"
        dead = blocked.all(-1, keepdim=True)
        dead.name = "rows with every key blocked"
    # softmax over the keys, written out. Subtracting each row's maximum changes nothing (the
    # factor exp(-max) cancels in the ratio) but keeps exp from overflowing; the maximum is
    # detached because the result does not depend on it. A row with every key blocked has the
    # maximum -inf, and -inf - (-inf) is NaN: it is shifted by 0 instead, and its sum (0) is
    # divided as 1, so its weights are 0.
    row_max = scores.amax(-1, keepdim=True).detach()
    if dead is not None:
        row_max = row_max.masked_fill(dead, 0.0)
    row_max.name = "row max, detached (softmax shift: no gradient)"
    e = (scores - row_max).exp()
    total = e.sum(-1, keepdim=True)
    if dead is not None:
        total = total.masked_fill(dead, 1.0)
    weights = e / total  # (..., L, S), rows sum to 1 (or are all 0: no key to attend)
    weights.name = "P = softmax(S)"
    used = weights if dropout is None else dropout(weights)
    out = used @ value
    out.name = "O = PV"
    return out, weights


def _check_ranks(query: Tensor, key: Tensor, value: Tensor) -> None:
    """query (..., L, D), key (..., S, D), value (..., S, D_v), or a ShapeError saying so."""
    shapes = f"query {format_shape(query.shape)}, key {format_shape(key.shape)}, value {format_shape(value.shape)}"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ShapeError(
            f"attention: expected query (..., L, D), key (..., S, D) and value (..., S, D_v), "
            f"each at least 2-D, got {shapes}"
        )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"attention: expected query (..., L, D), key (..., S, D) and value (..., S, D_v) "
            f"with query[-1] == key[-1] and key[-2] == value[-2], got {shapes}"
        )


class MultiHeadAttention(nn.Module):
    """Multi-head attention over (B, L, d_model) queries and (B, S, d_model) keys and values.

    Self-attention: ``mha(x, x, x, mask)``. Cross-attention (decoder over the encoder's memory):
    ``mha(y, memory, memory, src_mask)``.

    Parameters: ``q_proj``, ``k_proj``, ``v_proj`` and ``out_proj``, each an ``nn.Linear(d_model,
    d_model)``. PyTorch's ``nn.MultiheadAttention`` stores the first three stacked as one
    ``in_proj_weight`` of shape (3 d_model, d_model), rows in the order q, k, v, so its rows
    [0:d], [d:2d], [2d:3d] are our q_proj, k_proj, v_proj weights.

    ``mask``: boolean, True = may attend, broadcastable to (B, H, L, S); a 3-d (B, L, S) mask is
    given a heads dimension. Note that PyTorch's ``attn_mask`` uses the opposite convention. A
    query whose keys are all masked outputs 0 and passes no gradient, on both paths; such a mask
    warns once with its likely cause (``masks.check_mask``). Inputs that are not (batch, length,
    d_model) raise a ``ShapeError`` naming the expected shape.

    ``fused=True`` computes attention with ``F.scaled_dot_product_attention``; ``fused=False`` uses
    the op-by-op ``attention``. ``store_attention=True`` takes the op-by-op path and keeps the
    weights (B, H, L, S) of the last call in ``self.attention``; when they require grad they
    retain it, so after ``backward()`` ``self.attention.grad`` is d loss / d weights.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        store_attention: bool = False,
        fused: bool = True,
    ):
        super().__init__()
        if d_model % n_heads != 0:
            raise ShapeError(
                f"MultiHeadAttention: d_model ({d_model}) must be divisible by n_heads ({n_heads})"
            )
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.q_proj = nn.Linear(d_model, d_model, bias=bias)
        self.k_proj = nn.Linear(d_model, d_model, bias=bias)
        self.v_proj = nn.Linear(d_model, d_model, bias=bias)
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.store_attention, self.fused = store_attention, fused
        self.attention: Tensor | None = None

    def forward(
        self, query: Tensor, key: Tensor, value: Tensor, mask: Tensor | None = None
    ) -> Tensor:
        self._check_inputs(query, key, value)
        if mask is not None:
            check_mask(mask, query.shape[1], key.shape[1], type(self).__name__, stacklevel=5)
        q = split_heads(self.q_proj(query), self.n_heads)  # (B, H, L, D)
        k = split_heads(self.k_proj(key), self.n_heads)  # (B, H, S, D)
        v = split_heads(self.v_proj(value), self.n_heads)  # (B, H, S, D)
        q.name, k.name, v.name = "Q (heads split)", "K (heads split)", "V (heads split)"
        if mask is not None and mask.ndim == 3:
            name, mask = mask.name, mask.unsqueeze(1)  # (B, 1, L, S): the same for every head
            mask.name = name
        if self.fused and not self.store_attention:
            p = self.dropout.p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            out, weights = _attend(q, k, v, mask, self.dropout)
            if self.store_attention:
                weights.retain_grad()
                self.attention = weights
        heads = merge_heads(out)
        heads.name = "Concat(head_1..head_h)"
        return self.out_proj(heads)  # (B, L, d_model): Concat(...) W^O

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        """Each input (batch, length, d_model), keys and values of one length, else ShapeError."""
        for what, t in (("query", query), ("key", key), ("value", value)):
            if t.ndim != 3 or t.shape[-1] != self.d_model:
                hint = " (add the batch dimension: x.unsqueeze(0))" if t.ndim == 2 else ""
                raise ShapeError(
                    f"{type(self).__name__}: expected {what} of shape (batch, length, "
                    f"d_model={self.d_model}), got {format_shape(t.shape)}{hint}"
                )
        if key.shape[:2] != value.shape[:2] or key.shape[0] != query.shape[0]:
            raise ShapeError(
                f"{type(self).__name__}: query {format_shape(query.shape)}, key "
                f"{format_shape(key.shape)} and value {format_shape(value.shape)} need one batch "
                f"size, and key and value one length"
            )

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, n_heads={self.n_heads}, fused={self.fused}"


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    """(B, T, H * D) -> (B, H, T, D): a view, the heads become a batch dimension."""
    B, T, C = x.shape
    return x.view(B, T, n_heads, C // n_heads).transpose(1, 2)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, D) -> (B, T, H * D): Concat(head_1, ..., head_h) along the features."""
    B, H, T, D = x.shape
    return x.transpose(1, 2).reshape(B, T, H * D)


class KVCache:
    """The keys and values one attention layer has seen, for generating a token at a time.

    Without a cache, generating token t+1 re-runs the model over all t tokens. But the keys and
    values of tokens 0..t-1 do not change when token t arrives (causal attention: position i never
    looks right), so each layer can keep them and compute k, v only for the new token. A step then
    costs one query against the cached keys: O(t) instead of O(t^2) attention work.

    Buffers of shape (B, H, max_len, D) are allocated on the first ``update``; ``length`` counts
    the positions filled. Meant for inference under ``no_grad``.
    """

    def __init__(self, max_len: int):
        self.max_len = max_len
        self.length = 0
        self.keys: Tensor | None = None
        self.values: Tensor | None = None

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append (B, H, T, D) keys and values; return all keys and values so far, (B, H, length, D)."""
        B, H, T, D = k.shape
        if self.keys is None:
            self.keys = k.new_zeros(B, H, self.max_len, D)
            self.values = v.new_zeros(B, H, self.max_len, D)
        if self.length + T > self.max_len:
            raise ShapeError(
                f"KVCache: cannot add {T} positions to {self.length} cached ones: the cache holds "
                f"max_len = {self.max_len}"
            )
        end = self.length + T
        self.keys[:, :, self.length : end] = k
        self.values[:, :, self.length : end] = v
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]


class CausalSelfAttention(nn.Module):
    """GPT's masked multi-head self-attention over (B, T, n_embd), as in nanoGPT.

    ``c_attn`` is one Linear(n_embd, 3 n_embd) computing q, k and v in a single matrix product
    (split afterwards by views); ``c_proj`` is the output projection W^O. Query t attends to keys
    0..t (``is_causal``). Dropout: on the attention weights and on the output (the residual
    branch), both only in training.

    With ``cache`` (a ``KVCache``), the new tokens' keys and values are appended to the cache and
    the T new queries attend to all cached keys up to their own position (``causal_mask`` with an
    offset), so feeding a sequence in pieces gives the outputs of feeding it whole.

    ``store_attention = True`` takes the op-by-op path of ``attention`` and keeps the causal
    weights (B, H, T, S) of the last call in ``self.attention`` (retaining their gradient), as
    ``MultiHeadAttention`` does.
    """

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        if n_embd % n_head != 0:
            raise ShapeError(
                f"CausalSelfAttention: n_embd ({n_embd}) must be divisible by n_head ({n_head})"
            )
        self.n_embd, self.n_head = n_embd, n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout_p = dropout
        self.resid_dropout = nn.Dropout(dropout)
        self.store_attention = False
        self.attention: Tensor | None = None

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        if x.ndim != 3 or x.shape[-1] != self.n_embd:
            raise ShapeError(
                f"CausalSelfAttention: expected x of shape (batch, length, n_embd={self.n_embd}), "
                f"got {format_shape(x.shape)}"
            )
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # each (B, T, n_embd), views
        q, k, v = (split_heads(t, self.n_head) for t in (q, k, v))  # each (B, H, T, D)
        if cache is not None:
            k, v = cache.update(k, v)  # (B, H, S, D): cached keys then the new ones
        T, S = q.shape[2], k.shape[2]
        p = self.attn_dropout_p if self.training else 0.0
        if self.store_attention:
            dropout = (lambda w: F.dropout(w, p)) if p > 0.0 else None
            mask = causal_mask(T, offset=S - T, device=x.device)
            y, weights = _attend(q, k, v, mask, dropout)
            weights.retain_grad()
            self.attention = weights
        elif S == T:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:
            mask = causal_mask(T, offset=S - T, device=x.device)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        return self.resid_dropout(self.c_proj(merge_heads(y)))
