"""Attention masks: boolean tensors where True means "this query may attend to this key".

This is the convention of ``F.scaled_dot_product_attention``: a False entry becomes -inf in the
scores before the softmax, so that key gets weight exactly 0. Masks broadcast against the scores,
whose shape is (batch, heads, queries, keys), so a mask only needs the dimensions it varies over:

    causal_mask(T)              (T, T)         the same for every sequence and head
    padding_mask(tokens, pad)   (B, 1, 1, S)   one row of keys per sequence, for all queries
    target_mask(tokens, pad)    (B, 1, T, T)   both at once, for a decoder's padded targets

Each mask is named (``tensor.name``), so that graphs drawn with ``minigrad.viz`` say which
mask a ``masked_fill`` applies. Beware the two conventions in the wild: PyTorch's
``nn.MultiheadAttention`` takes ``attn_mask`` and ``key_padding_mask`` where True means the
opposite (*not* allowed). Convert with ``~mask``.
"""

from __future__ import annotations

import warnings

import minigrad
from minigrad import DTypeError, ShapeError, Tensor
from minigrad.errors import format_shape


class MaskWarning(UserWarning):
    """A mask that runs but is probably not the one meant (see ``check_mask``)."""


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
    if size < 0 or offset < 0:
        raise ShapeError(
            f"causal_mask: size and offset must be non-negative, got size={size}, offset={offset}"
        )
    queries = minigrad.arange(size, device=device).unsqueeze(1) + offset
    keys = minigrad.arange(size + offset, device=device).unsqueeze(0)
    mask = keys <= queries
    mask.name = "causal mask"
    return mask


def padding_mask(tokens: Tensor, pad_id: int) -> Tensor:
    """(B, 1, 1, S) bool: True at the keys that are real tokens, False at padding.

    The two singleton dimensions broadcast over heads and queries: every query of sequence b may
    attend to exactly the non-pad keys of sequence b. For ``tokens = [[5, 7, 0, 0]]``, pad 0, each
    of the (any number of) queries gets the same row::

                  key 0 1 2 3
        any query     1 1 0 0
    """
    mask = (tokens != pad_id).unsqueeze(1).unsqueeze(2)
    mask.name = "padding mask"
    return mask


def target_mask(tokens: Tensor, pad_id: int) -> Tensor:
    """(B, 1, T, T) bool: the decoder's self-attention mask, causal *and* not padding.

    For ``tokens = [[1, 6, 0]]``, pad 0: causal (lower triangle) and'ed with the key row 1 1 0::

                  key 0 1 2
        query 0       1 0 0
        query 1       1 1 0
        query 2       1 1 0      (a pad query still attends to real keys: no all -inf row)
    """
    mask = combine(
        padding_mask(tokens, pad_id), causal_mask(tokens.shape[-1], device=tokens.device)
    )
    mask.name = "causal and padding mask"
    return mask


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


def check_mask(mask: Tensor, queries: int, keys: int, who: str, stacklevel: int = 3) -> None:
    """Check an attention mask for ``queries`` x ``keys`` scores before it is used.

    Raises a ``DTypeError`` for a mask that is not boolean and a ``ShapeError`` for one whose last
    two dimensions do not broadcast to (queries, keys). Warns (``MaskWarning``, once per call
    site, as Python shows warnings) when the mask blocks every key of some query, since that
    query then attends to nothing and its output is 0. The usual cause is a mask in PyTorch's
    convention (True = blocked) where this package's (True = may attend) is expected; a mask that
    is exactly ``~causal_mask`` is named as such. ``stacklevel`` points the warning at the
    caller's line, as in ``warnings.warn``.
    """
    if not isinstance(mask, Tensor) or mask.dtype is not minigrad.bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(
            f"{who}: mask must be a bool tensor (True = may attend), got {got}; for an additive "
            f"float mask of 0 and -inf, pass mask == 0"
        )
    if mask.ndim < 2 or any(m not in (1, n) for m, n in zip(mask.shape[-2:], (queries, keys))):
        raise ShapeError(
            f"{who}: mask of shape {format_shape(mask.shape)} does not fit {queries} queries and "
            f"{keys} keys: its last two dimensions must broadcast to ({queries}, {keys})"
        )
    if bool(mask.any(-1).all()):
        return
    if queries == keys > 1 and mask.shape[-2:] == (queries, keys):
        inverted = bool((mask == ~causal_mask(queries, device=mask.device)).all())
    else:
        inverted = False
    if inverted:
        cause = (
            "it is ~causal_mask: True above the diagonal, where PyTorch's attn_mask marks the "
            "keys to block. Here True means may attend: pass causal_mask(T) itself"
        )
    else:
        cause = (
            "those queries attend to nothing and output 0. If the mask marks the keys to block "
            "(PyTorch's attn_mask and key_padding_mask convention), invert it with ~mask; here "
            "True means may attend"
        )
    warnings.warn(
        f"{who}: the mask of shape {format_shape(mask.shape)} blocks every key for some "
        f"queries; {cause}",
        MaskWarning,
        stacklevel=stacklevel,
    )
