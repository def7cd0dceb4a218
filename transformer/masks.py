"""Attention masks: boolean tensors where True means "this query may attend to this key".

This is the convention of ``F.scaled_dot_product_attention``: a False entry becomes -inf in the
scores before the softmax, so that key gets weight exactly 0. Masks broadcast against the scores,
whose shape is (batch, heads, queries, keys), so a mask only needs the dimensions it varies over:

    causal_mask(T)              (T, T)         the same for every sequence and head
    padding_mask(tokens, pad)   (B, 1, 1, S)   one row of keys per sequence, for all queries
    target_mask(tokens, pad)    (B, 1, T, T)   both at once, for a decoder's padded targets

Beware the two conventions in the wild: PyTorch's ``nn.MultiheadAttention`` takes ``attn_mask`` and
``key_padding_mask`` where True means the opposite (*not* allowed). Convert with ``~mask``.
"""

from __future__ import annotations

import minigrad
from minigrad import Tensor


def causal_mask(size: int, offset: int = 0, device=None) -> Tensor:
    """(size, size + offset) bool: query i may attend to key j iff j <= i + offset.

    With ``offset = 0`` this is the lower triangle, True on and below the diagonal (the Annotated
    Transformer's ``subsequent_mask``; ``torch.tril(torch.ones(T, T))`` in nanoGPT). Position i sees
    itself and the past, never the future. For size 4 (``1`` = may attend)::

                  key 0 1 2 3
        query 0       1 0 0 0
        query 1       1 1 0 0
        query 2       1 1 1 0
        query 3       1 1 1 1

    ``offset`` is for decoding with a cache of ``offset`` earlier keys: the ``size`` new queries
    sit at positions offset .. offset + size - 1, so the triangle shifts right. For size 2, offset
    3 (2 new tokens after 3 cached ones)::

                  key 0 1 2 3 4
        query 3       1 1 1 1 0
        query 4       1 1 1 1 1
    """
    queries = minigrad.arange(size, device=device).unsqueeze(1) + offset
    keys = minigrad.arange(size + offset, device=device).unsqueeze(0)
    return keys <= queries


def padding_mask(tokens: Tensor, pad_id: int) -> Tensor:
    """(B, 1, 1, S) bool: True at the keys that are real tokens, False at padding.

    The two singleton dimensions broadcast over heads and queries: every query of sequence b may
    attend to exactly the non-pad keys of sequence b. For ``tokens = [[5, 7, 0, 0]]``, pad 0, each
    of the (any number of) queries gets the same row::

                  key 0 1 2 3
        any query     1 1 0 0
    """
    return (tokens != pad_id).unsqueeze(1).unsqueeze(2)


def target_mask(tokens: Tensor, pad_id: int) -> Tensor:
    """(B, 1, T, T) bool: the decoder's self-attention mask, causal *and* not padding.

    For ``tokens = [[1, 6, 0]]``, pad 0: causal (lower triangle) and'ed with the key row 1 1 0::

                  key 0 1 2
        query 0       1 0 0
        query 1       1 1 0
        query 2       1 1 0      (a pad query still attends to real keys: no all -inf row)
    """
    return combine(
        padding_mask(tokens, pad_id), causal_mask(tokens.shape[-1], device=tokens.device)
    )


def combine(*masks: Tensor | None) -> Tensor | None:
    """The logical AND of boolean masks, broadcast together; ``None`` entries are skipped.

    A key is allowed only if every mask allows it. Returns None if all masks are None (attend
    everywhere).
    """
    present = [m for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out
