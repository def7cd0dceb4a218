"""Synthetic tasks small enough to learn on a CPU in minutes, as batches of int64 tensors.

Encoder-decoder tasks return ``(src, tgt)``, both (B, length), tokens 0 = padding (never
produced here), 1 = start, 2 .. vocab_size - 1 = content. Train with teacher forcing: the decoder
reads ``tgt[:, :-1]`` and predicts ``tgt[:, 1:]``::

    logits = model(src, tgt[:, :-1], tgt_mask=causal_mask(length - 1))
    loss = F.cross_entropy(logits.reshape(-1, vocab_size), tgt[:, 1:].reshape(-1))

- ``copy_task``: tgt = src (the Annotated Transformer's first example).
- ``reverse_task``: tgt is src's content reversed.

Decoder-only tasks (for ``GPT``) return ``(x, y)`` as in minGPT: one sequence of prompt then
answer, x = sequence[:-1] the input, y = sequence[1:] the next-token targets, with the targets
inside the prompt set to -1 (``ignore_index``) so only the answer is learned:

- ``sort_task``: prompt ``length`` digits, answer the same digits sorted.
- ``addition_task``: prompt a and b (``n_digits`` each), answer a + b with its digits reversed.
"""

from __future__ import annotations

import minigrad
from minigrad import Tensor

PAD_ID = 0
START_ID = 1


def copy_task(
    batch_size: int, length: int = 10, vocab_size: int = 11, device=None
) -> tuple[Tensor, Tensor]:
    """src = tgt = [1, x_1, ..., x_{length-1}], x_i uniform in 2 .. vocab_size - 1."""
    src = _with_start(minigrad.randint(2, vocab_size, (batch_size, length - 1), device=device))
    return src, src.clone()


def reverse_task(
    batch_size: int, length: int = 10, vocab_size: int = 11, device=None
) -> tuple[Tensor, Tensor]:
    """src = [1, x_1, ..., x_{n}], tgt = [1, x_n, ..., x_1], n = length - 1."""
    content = minigrad.randint(2, vocab_size, (batch_size, length - 1), device=device)
    return _with_start(content), _with_start(content.flip(1))


def _with_start(content: Tensor) -> Tensor:
    start = minigrad.full(
        (content.shape[0], 1), START_ID, dtype=minigrad.int64, device=content.device
    )
    return minigrad.cat([start, content], dim=1)


def sort_task(
    batch_size: int, length: int = 6, num_digits: int = 3, device=None
) -> tuple[Tensor, Tensor]:
    """minGPT's sort demo: prompt ``length`` digits in 0 .. num_digits - 1, answer them sorted.

    x and y are (B, 2 length - 1). For length 3, prompt 2 0 1 and answer 0 1 2::

        sequence  2  0  1  0  1  2
        x         2  0  1  0  1
        y        -1 -1  0  1  2
    """
    prompt = minigrad.randint(0, num_digits, (batch_size, length), device=device)
    answer, _ = prompt.sort(dim=1)
    return prompt_answer(prompt, answer)


def addition_task(batch_size: int, n_digits: int = 2, device=None) -> tuple[Tensor, Tensor]:
    """minGPT's adder: digits of a, of b (``n_digits`` each, zero-padded), then of a + b reversed.

    The sum has ``n_digits + 1`` digits and is written least significant first, the order in
    which carries are computed. 45 + 67 = 112 with 2 digits is the sequence 4 5 6 7 2 1 1; the
    targets of the first 2 n_digits - 1 positions are -1. Vocabulary: the digits 0 .. 9.
    """
    a = minigrad.randint(0, 10**n_digits, (batch_size,), device=device)
    b = minigrad.randint(0, 10**n_digits, (batch_size,), device=device)
    prompt = minigrad.cat([digits(a, n_digits), digits(b, n_digits)], dim=1)
    return prompt_answer(prompt, digits(a + b, n_digits + 1).flip(1))


def digits(n: Tensor, width: int) -> Tensor:
    """(B,) non-negative integers -> (B, width) decimal digits, most significant first."""
    powers = 10 ** minigrad.arange(width - 1, -1, -1, device=n.device)  # 10^(w-1), ..., 10, 1
    return (n.unsqueeze(1) // powers) % 10


def prompt_answer(prompt: Tensor, answer: Tensor) -> tuple[Tensor, Tensor]:
    """(x, y) for next-token training on ``prompt`` followed by ``answer``, loss on the answer only.

    y[t] is the token after x[t]; the first prompt_length - 1 targets (still inside the prompt)
    are -1, so ``F.cross_entropy(..., ignore_index=-1)`` skips them.
    """
    sequence = minigrad.cat([prompt, answer], dim=1)
    x = sequence[:, :-1]
    y = sequence[:, 1:].clone()
    y[:, : prompt.shape[1] - 1] = -1
    return x, y
