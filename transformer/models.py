"""Whole models: the encoder-decoder Transformer of "Attention Is All You Need", and GPT.

Transformer (for sequence-to-sequence tasks: translation, copying, reversing)::

    src (B, S) -> embed * sqrt(d) + PE -> Encoder (N x EncoderLayer) -> memory (B, S, d)
    tgt (B, T) -> embed * sqrt(d) + PE -> Decoder (N x DecoderLayer, attends to memory)
               -> generator Linear(d, tgt_vocab) -> logits (B, T, tgt_vocab)

GPT (decoder-only language model, as nanoGPT; the layer and parameter names are GPT-2's)::

    idx (B, T) -> wte(idx) + wpe(positions) -> dropout -> n_layer x Block -> ln_f -> lm_head
    Block: x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))          (pre-LN)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import minigrad
from minigrad import ShapeError, Tensor, nn
from minigrad.nn import functional as F

from .attention import CausalSelfAttention, KVCache
from .layers import DecoderLayer, EncoderLayer
from .masks import causal_mask
from .positional import LearnedPositionalEmbedding, SinusoidalPositionalEncoding


class _LayerStack(nn.Module):
    """``n_layers`` copies of ``layer_type``, then a final LayerNorm if pre-LN (``norm_first``).

    With pre-LN each layer adds un-normalised updates to x, so the stack's output is normalised
    once at the end; post-LN layers already end in a LayerNorm.
    """

    layer_type: type[nn.Module]

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        n_layers: int,
        d_ff: int,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
    ):
        super().__init__()
        args = (d_model, n_heads, d_ff, dropout, activation, norm_first)
        self.layers = nn.ModuleList([self.layer_type(*args) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d_model) if norm_first else None

    def run(self, x: Tensor, *layer_args) -> Tensor:
        for layer in self.layers:
            x = layer(x, *layer_args)
        return x if self.norm is None else self.norm(x)


class Encoder(_LayerStack):
    """x (B, S, d_model) -> n_layers EncoderLayers (-> LayerNorm if pre-LN) -> memory."""

    layer_type = EncoderLayer

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        return self.run(x, mask)


class Decoder(_LayerStack):
    """y (B, T, d_model) -> n_layers DecoderLayers over memory (-> LayerNorm if pre-LN)."""

    layer_type = DecoderLayer

    def forward(
        self,
        y: Tensor,
        memory: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
    ) -> Tensor:
        return self.run(y, memory, src_mask, tgt_mask)


class Transformer(nn.Module):
    """The encoder-decoder Transformer. ``forward(src, tgt) -> logits (B, T, tgt_vocab)``.

    Masks are boolean, True = may attend (see ``transformer.masks``):

    - ``src_mask``: which source positions may be attended to, usually
      ``padding_mask(src, pad_id)`` (B, 1, 1, S); None = all of them.
    - ``tgt_mask``: the decoder's self-attention mask; None means ``causal_mask(T)``, so the
      decoder can never see the tokens it must predict. With padded targets pass
      ``target_mask(tgt, pad_id)`` (causal and padding).

    Embeddings: token embeddings times sqrt(d_model) plus the sinusoidal encoding, then dropout
    (one ``positional`` module serves both sides). ``tie_embeddings`` makes the output layer use
    the target embedding matrix (and the source embedding too when the vocabularies have the same
    size), as the paper does. Weights with 2 or more dimensions start Xavier-uniform, as in the
    Annotated Transformer.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        d_model: int = 512,
        n_heads: int = 8,
        n_layers: int = 6,
        d_ff: int = 2048,
        dropout: float = 0.1,
        norm_first: bool = False,
        tie_embeddings: bool = False,
        max_len: int = 5000,
        activation: str = "relu",
    ):
        super().__init__()
        self.src_embed = nn.Embedding(src_vocab, d_model)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model)
        self.positional = SinusoidalPositionalEncoding(d_model, max_len, dropout)
        layer_args = (d_model, n_heads, n_layers, d_ff, dropout, activation, norm_first)
        self.encoder = Encoder(*layer_args)
        self.decoder = Decoder(*layer_args)
        self.generator = nn.Linear(d_model, tgt_vocab)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        if tie_embeddings:
            self.generator.weight = self.tgt_embed.weight
            if src_vocab == tgt_vocab:
                self.src_embed.weight = self.tgt_embed.weight

    def encode(self, src: Tensor, src_mask: Tensor | None = None) -> Tensor:
        """src (B, S) token ids -> memory (B, S, d_model)."""
        return self.encoder(self.positional(self.src_embed(src)), src_mask)

    def decode(
        self,
        tgt: Tensor,
        memory: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
    ) -> Tensor:
        """tgt (B, T) token ids and memory (B, S, d_model) -> decoder states (B, T, d_model).

        Apply ``generator`` to get logits. ``tgt_mask`` None means ``causal_mask(T)``.
        """
        if tgt_mask is None:
            tgt_mask = causal_mask(tgt.shape[1], device=tgt.device)
        return self.decoder(self.positional(self.tgt_embed(tgt)), memory, src_mask, tgt_mask)

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
    ) -> Tensor:
        """Teacher forcing: logits (B, T, tgt_vocab), row t predicting the token after tgt[:, t]."""
        return self.generator(self.decode(tgt, self.encode(src, src_mask), src_mask, tgt_mask))

    @minigrad.no_grad()
    def greedy_decode(
        self,
        src: Tensor,
        max_len: int,
        start_id: int,
        end_id: int | None = None,
        src_mask: Tensor | None = None,
    ) -> Tensor:
        """Decode a batch, each step appending the most likely next token. -> (B, <= max_len).

        The source is encoded once; the output starts with ``start_id`` and has ``max_len``
        tokens, fewer if every sequence has produced ``end_id`` (a finished sequence is padded
        with ``end_id``). Call ``model.eval()`` first so dropout is off.
        """
        memory = self.encode(src, src_mask)
        ys = minigrad.full((src.shape[0], 1), start_id, dtype=minigrad.int64, device=src.device)
        done = minigrad.zeros(src.shape[0], dtype=minigrad.bool, device=src.device)
        for _ in range(max_len - 1):
            last = self.decode(ys, memory, src_mask)[:, -1]  # (B, d_model)
            next_token = self.generator(last).argmax(-1)  # (B,)
            if end_id is not None:
                next_token = next_token.masked_fill(done, end_id)
                done = done | (next_token == end_id)
            ys = minigrad.cat([ys, next_token.unsqueeze(1)], dim=1)
            if end_id is not None and bool(done.all()):
                break
        return ys


@dataclass
class GPTConfig:
    """GPT's sizes. ``block_size``: the longest context (the learned positions).
    ``bias``: biases in the Linear and LayerNorm layers (GPT-2 has them)."""

    vocab_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    bias: bool = True


class MLP(nn.Module):
    """x -> dropout(c_proj(gelu(c_fc(x)))), n_embd -> 4 n_embd -> n_embd (exact GELU)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x))))


class Block(nn.Module):
    """Pre-LN transformer block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config.n_embd, config.n_head, config.dropout, config.bias)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A decoder-only language model, following nanoGPT.

    ``forward(idx, targets=None)`` -> ``(logits, loss)``:

    - with ``targets`` (B, T): logits for every position (B, T, vocab) and the mean cross-entropy
      over the targets that are not -1;
    - without: logits for the last position only (B, 1, vocab) and loss None; generation needs
      no more, and skipping the other T - 1 rows of the vocabulary projection saves most of it.

    The output layer ``lm_head`` shares its weight with the token embedding ``wte`` (weight
    tying). Initialisation as GPT-2: Linear and Embedding weights N(0, 0.02), biases 0, and the
    projections that write into the residual stream (``c_proj``) N(0, 0.02 / sqrt(2 n_layer)):
    at the start, the 2 n_layer additions to the residual together have the variance of one.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config.vocab_size, config.n_embd),
                wpe=LearnedPositionalEmbedding(config.block_size, config.n_embd),
                drop=nn.Dropout(config.dropout),
                h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
                ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
            )
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight
        self.apply(self._init_weights)
        residual_std = 0.02 / math.sqrt(2 * config.n_layer)
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=residual_std)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def get_num_params(self, non_embedding: bool = True) -> int:
        """Parameters counted once (the tied wte/lm_head matrix once); by default without the
        position table, as nanoGPT reports."""
        n = sum(p.numel() for p in self.parameters())
        return n - self.transformer.wpe.weight.numel() if non_embedding else n

    def forward(
        self, idx: Tensor, targets: Tensor | None = None, cache: list[KVCache] | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """idx (B, T) token ids -> (logits, loss); see the class docstring.

        ``cache`` (from ``new_cache``) continues a sequence: idx holds the tokens after the
        ``cache[0].length`` already seen, and gets the positions after them.
        """
        B, T = idx.shape
        start = 0 if cache is None else cache[0].length
        if start + T > self.config.block_size:
            raise ShapeError(
                f"GPT: cannot forward {start + T} positions ({start} cached + {T} new), the "
                f"block size is only {self.config.block_size}"
            )
        x = self.transformer.drop(self.transformer.wpe(self.transformer.wte(idx), start))
        for i, block in enumerate(self.transformer.h):
            x = block(x, None if cache is None else cache[i])
        x = self.transformer.ln_f(x)
        if targets is None:
            return self.lm_head(x[:, -1:]), None
        logits = self.lm_head(x)
        loss = F.cross_entropy(logits.view(B * T, -1), targets.reshape(B * T), ignore_index=-1)
        return logits, loss

    def new_cache(self) -> list[KVCache]:
        """One empty ``KVCache`` per block, each holding up to ``block_size`` positions."""
        return [KVCache(self.config.block_size) for _ in range(self.config.n_layer)]

    def configure_optimizers(
        self, weight_decay: float, learning_rate: float, betas: tuple[float, float] = (0.9, 0.95)
    ):
        """AdamW decaying the 2-d parameters only (matrices and embeddings), as nanoGPT: biases
        and LayerNorm gains are left alone."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        return minigrad.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @minigrad.no_grad()
    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        use_cache: bool = True,
    ) -> Tensor:
        """Append ``max_new_tokens`` sampled tokens to idx (B, T); returns (B, T + max_new_tokens).

        Each step samples from softmax(logits / temperature), restricted to the ``top_k`` most
        likely tokens if given; ``temperature=0`` takes the most likely token (greedy).

        With ``use_cache`` the prompt is run once, filling a ``KVCache`` per layer, and each
        further step feeds only the newest token. The context is the last ``block_size`` tokens,
        as without the cache. Once the sequence outgrows the cache, the window must slide, and a
        cache cannot slide: positions are absolute, so every cached key would change. Each such
        step rebuilds the cache from the last ``block_size`` tokens, costing what an uncached step
        costs. The tokens are the same either way, up to floating-point rounding (the two paths
        sum in different orders). Call ``model.eval()`` first so dropout is off.
        """
        block_size = self.config.block_size
        cache = None
        for _ in range(max_new_tokens):
            if not use_cache:
                logits, _ = self(idx[:, -block_size:])
            elif cache is None or cache[0].length == block_size:
                cache = self.new_cache()  # (re)fill from the current window
                logits, _ = self(idx[:, -block_size:], cache=cache)
            else:
                logits, _ = self(idx[:, -1:], cache=cache)  # one new token, one step
            idx = minigrad.cat([idx, sample(logits[:, -1], temperature, top_k)], dim=1)
        return idx


def sample(logits: Tensor, temperature: float = 1.0, top_k: int | None = None) -> Tensor:
    """(B, vocab) logits -> (B, 1) token ids drawn from softmax(logits / temperature).

    ``top_k`` keeps only the k largest logits (the rest get probability 0); ``temperature=0``
    returns the argmax.
    """
    if temperature == 0.0:
        return logits.argmax(-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        kth_largest = logits.topk(min(top_k, logits.shape[-1]))[0][:, -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth_largest, float("-inf"))
    return minigrad.multinomial(logits.softmax(-1), num_samples=1)
