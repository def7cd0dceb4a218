"""The building blocks of the encoder and decoder stacks, on (B, T, d_model) tensors.

An encoder layer is two sublayers, a decoder layer three, each wrapped in a residual connection
with layer normalisation (``Residual``)::

    EncoderLayer:  x -> [self-attention] -> [feed-forward]
    DecoderLayer:  y -> [masked self-attention] -> [cross-attention over memory] -> [feed-forward]

Where the normalisation sits is the one choice to make (``norm_first``):

    post-LN (the paper, norm_first=False):   x = LayerNorm(x + Dropout(sublayer(x)))
    pre-LN  (GPT-2,     norm_first=True):    x = x + Dropout(sublayer(LayerNorm(x)))

Pre-LN keeps an un-normalised path from input to output, which trains deep stacks without
learning-rate warm-up; it then needs a final LayerNorm after the last layer (``models.Encoder``
adds it). The Annotated Transformer's ``SublayerConnection`` is pre-LN although its text follows
the paper, a frequent question in its issues. PyTorch's ``nn.TransformerEncoderLayer`` has the
same ``norm_first`` switch, defaulting to post-LN; these layers match it exactly.
"""

from __future__ import annotations

from minigrad import Tensor, nn
from minigrad.nn import functional as F

from .attention import MultiHeadAttention

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class FeedForward(nn.Module):
    """FFN(x) = linear2(dropout(activation(linear1(x)))), applied to each position alone.

    d_model -> d_ff -> d_model (the paper: 512 -> 2048 -> 512, ReLU). ``activation`` is "relu" or
    "gelu". The dropout after linear2 belongs to the residual wrapper.
    """

    def __init__(self, d_model: int, d_ff: int, dropout: float = 0.1, activation: str = "relu"):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"FeedForward: activation must be 'relu' or 'gelu', got {activation!r}"
            )
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.dropout(_ACTIVATIONS[self.activation](self.linear1(x))))

    def extra_repr(self) -> str:
        return f"activation={self.activation!r}"


class Residual(nn.Module):
    """A sublayer with its residual connection, dropout and LayerNorm, pre- or post-LN.

    ``residual(x, f)`` is ``x + dropout(f(norm(x)))`` if ``norm_first`` else
    ``norm(x + dropout(f(x)))``. The sublayer is passed at call time, so attention can be given
    its mask and memory: ``residual(x, lambda h: attn(h, h, h, mask))``.
    """

    def __init__(self, d_model: int, dropout: float = 0.1, norm_first: bool = False):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)
        self.norm_first = norm_first

    def forward(self, x: Tensor, sublayer) -> Tensor:
        if self.norm_first:
            return x + self.dropout(sublayer(self.norm(x)))
        return self.norm(x + self.dropout(sublayer(x)))

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}"


class EncoderLayer(nn.Module):
    """x (B, S, d_model) -> self-attention -> feed-forward -> (B, S, d_model).

    ``mask`` (True = may attend) is usually ``masks.padding_mask(src, pad_id)``, (B, 1, 1, S).
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
    ):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, activation)
        self.sublayers = nn.ModuleList([Residual(d_model, dropout, norm_first) for _ in range(2)])

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        x = self.sublayers[0](x, lambda h: self.self_attn(h, h, h, mask))
        return self.sublayers[1](x, self.feed_forward)


class DecoderLayer(nn.Module):
    """y (B, T, d_model), memory (B, S, d_model) -> (B, T, d_model).

    Masked self-attention over the target (``tgt_mask``, causal: position t sees 0..t), then
    cross-attention whose queries come from the target and keys and values from the encoder's
    output ``memory`` (``src_mask`` hides source padding), then the feed-forward network.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
    ):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, dropout)
        self.feed_forward = FeedForward(d_model, d_ff, dropout, activation)
        self.sublayers = nn.ModuleList([Residual(d_model, dropout, norm_first) for _ in range(3)])

    def forward(
        self,
        y: Tensor,
        memory: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
    ) -> Tensor:
        y = self.sublayers[0](y, lambda h: self.self_attn(h, h, h, tgt_mask))
        y = self.sublayers[1](y, lambda h: self.cross_attn(h, memory, memory, src_mask))
        return self.sublayers[2](y, self.feed_forward)
