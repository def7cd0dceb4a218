"""The Transformer of "Attention Is All You Need" and a GPT, built on minigrad, written to be read.

masks.py       causal_mask, padding_mask, target_mask, combine   (True = may attend), and
               check_mask, which warns (MaskWarning) about masks that block whole query rows
positional.py  sinusoidal_encoding, SinusoidalPositionalEncoding, LearnedPositionalEmbedding
attention.py   attention (op by op), MultiHeadAttention, CausalSelfAttention, KVCache
layers.py      FeedForward, Residual (pre-/post-LN), EncoderLayer, DecoderLayer
models.py      Encoder, Decoder, Transformer, GPTConfig, GPT
data.py        synthetic tasks: copy, reverse, sort, addition
"""

from .attention import CausalSelfAttention, KVCache, MultiHeadAttention, attention
from .layers import DecoderLayer, EncoderLayer, FeedForward, Residual
from .masks import causal_mask, combine, padding_mask, target_mask
from .models import GPT, Block, Decoder, Encoder, GPTConfig, Transformer
from .positional import (
    LearnedPositionalEmbedding,
    SinusoidalPositionalEncoding,
    sinusoidal_encoding,
)

__all__ = [
    "GPT",
    "Block",
    "CausalSelfAttention",
    "Decoder",
    "DecoderLayer",
    "Encoder",
    "EncoderLayer",
    "FeedForward",
    "GPTConfig",
    "KVCache",
    "LearnedPositionalEmbedding",
    "MultiHeadAttention",
    "Residual",
    "SinusoidalPositionalEncoding",
    "Transformer",
    "attention",
    "causal_mask",
    "combine",
    "padding_mask",
    "sinusoidal_encoding",
    "target_mask",
]
