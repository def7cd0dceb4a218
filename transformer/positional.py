"""Positional information: attention itself is blind to order, so each position gets a vector.

Two choices:

- ``sinusoidal_encoding`` / ``SinusoidalPositionalEncoding``: the fixed encoding of "Attention Is
  All You Need" (section 3.5). Nothing is learned; it is a buffer, saved in the state dict but
  not a parameter.
- ``LearnedPositionalEmbedding``: one trained vector per position (GPT-2's ``wpe``), limited to
  the ``max_len`` positions seen in training.

Both take token embeddings (batch, T, d_model) and return (batch, T, d_model), and take a
``start`` position so that incremental decoding (one new token at position ``start``) gets the
same vectors as a full forward pass.
"""

from __future__ import annotations

import math

import minigrad
from minigrad import Tensor, nn


def sinusoidal_encoding(max_len: int, d_model: int, dtype=None, device=None) -> Tensor:
    """(max_len, d_model): PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(same).

    Each pair of columns (2i, 2i+1) is a sine and cosine of one frequency, 1 / 10000^(2i/d), so
    wavelengths run geometrically from 2 pi (i = 0) to 10000 * 2 pi. PE[pos + k] is a fixed linear
    function (a rotation per pair) of PE[pos], which lets attention find relative offsets. Computed
    in float64, then cast to ``dtype`` (the default dtype if None). An odd ``d_model`` drops the
    last cosine column.
    """
    pos = minigrad.arange(max_len, dtype=minigrad.float64, device=device).unsqueeze(1)  # (L, 1)
    two_i = minigrad.arange(0, d_model, 2, dtype=minigrad.float64, device=device)  # (ceil(d/2),)
    angle = pos / 10000.0 ** (two_i / d_model)  # (L, ceil(d/2)): pos / 10000^(2i/d)
    # Interleave: column 2i holds sin, column 2i + 1 holds cos of the same angle.
    pe = minigrad.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, -1)[:, :d_model]
    return pe.to(dtype or minigrad.get_default_dtype())


class SinusoidalPositionalEncoding(nn.Module):
    """x -> dropout(x * sqrt(d_model) + PE[start : start + T]), PE from ``sinusoidal_encoding``.

    The sqrt(d_model) scaling of the token embeddings happens *here*, before the encoding is added
    (paper, section 3.4: "In the embedding layers, we multiply those weights by sqrt(d_model)"),
    so a plain ``nn.Embedding`` can feed this module. Why scale: Xavier-initialised embedding
    entries are about 1/sqrt(d_model) in size, while the encoding's entries lie in [-1, 1] and
    would drown the token's identity. Pass ``scale=False`` to add the encoding to x unscaled.

    The table is a buffer named ``pe`` of shape (max_len, d_model); the rows a forward pass adds
    are named ``positional encoding PE[start:end]`` in graphs (``minigrad.viz``).
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.1, scale: bool = True):
        super().__init__()
        self.d_model = d_model
        self.scale = math.sqrt(d_model) if scale else 1.0
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model))

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        T = x.shape[-2]
        _check_length(start + T, self.pe.shape[0], type(self).__name__)
        pe = self.pe[start : start + T]  # (T, d_model), the same for every sequence
        pe.name = f"positional encoding PE[{start}:{start + T}]"
        return self.dropout(x * self.scale + pe)


class LearnedPositionalEmbedding(nn.Embedding):
    """x -> x + W[start : start + T], W a trained (max_len, d_model) table (GPT-2's ``wpe``).

    An ``nn.Embedding`` (so its parameter is ``weight``, as in GPT-2 checkpoints) whose forward
    adds the rows of positions start .. start + T - 1 to x instead of looking up tokens. No
    scaling and no dropout here (GPT applies dropout after the sum).
    """

    def __init__(self, max_len: int, d_model: int):
        super().__init__(max_len, d_model)

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        T = x.shape[-2]
        _check_length(start + T, self.num_embeddings, type(self).__name__)
        positions = self.weight[start : start + T]
        positions.name = f"position vectors wpe[{start}:{start + T}]"
        return x + positions


def _check_length(end: int, max_len: int, who: str) -> None:
    if end > max_len:
        raise minigrad.ShapeError(
            f"{who}: positions up to {end - 1} were requested but the table has only {max_len} "
            f"positions (max_len = {max_len}); build it with a larger max_len"
        )
