"""Teach a GPT to add two 2-digit numbers (minGPT's adder).

    prompt 4 5 6 7  (45 + 67)  ->  answer 2 1 1  (112, written least significant digit first)

The sum is written backwards because that is the order in which the carries are computed: each
digit depends only on the digits already known. Of the 10,000 problems, 500 are held out and never
trained on; the loss counts only the three answer positions; the target is 100% exact match on the
held-out problems.

Writes loss.png, accuracy.png (training vs held-out during training), attention.png (the
trained GPT's causal self-attention on one held-out problem, masked cells marked), checkpoint.pt,
metrics.json.
"""

from __future__ import annotations

import numpy as np

from . import common, digits


def puzzle(n_digits: int = 2) -> digits.Puzzle:
    """Every pair (a, b) below 10^n_digits, as digits; the answer is a + b's digits reversed."""
    a, b = np.divmod(np.arange(10 ** (2 * n_digits), dtype=np.int64), 10**n_digits)
    prompts = np.concatenate([to_digits(a, n_digits), to_digits(b, n_digits)], axis=1)

    def answer(p: np.ndarray) -> np.ndarray:
        total = from_digits(p[:, :n_digits]) + from_digits(p[:, n_digits:])
        return to_digits(total, n_digits + 1)[:, ::-1]

    def question(p: list) -> str:
        a, b = from_digits(np.array([p[:n_digits], p[n_digits:]]))
        return f"{a} + {b} ="

    def reply(ans: list) -> str:
        return str(from_digits(np.array([ans[::-1]]))[0])

    return digits.Puzzle("addition", 10, prompts, answer, question, reply)


def to_digits(n: np.ndarray, width: int) -> np.ndarray:
    """(B,) non-negative integers -> (B, width) decimal digits, most significant first."""
    return n[:, None] // 10 ** np.arange(width - 1, -1, -1) % 10


def from_digits(d: np.ndarray) -> np.ndarray:
    """(B, width) digits, most significant first -> (B,) integers."""
    return d @ 10 ** np.arange(d.shape[1] - 1, -1, -1)


def main(argv=None) -> dict:
    parser = common.parser("addition", __doc__, steps=2000)
    digits.add_arguments(parser, layers=2, heads=4, width=64, lr=3e-3, batch=64)
    parser.add_argument("--digits", type=int, default=2, help="digits per number")
    args = parser.parse_args(argv)
    return digits.main(puzzle(args.digits), args)


if __name__ == "__main__":
    main()
