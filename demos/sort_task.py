"""Teach a GPT to sort: minGPT's demo, six digits from {0, 1, 2} in, the same digits sorted out.

    prompt 2 0 1 1 0 2  ->  answer 0 0 1 1 2 2

There are 3^6 = 729 possible prompts; a quarter is held out and never trained on. The loss counts
only the six answer positions. A small GPT (pre-LN, as nanoGPT) reaches 100% exact match on the
held-out prompts in a minute or two on two CPU cores.

Writes loss.png, accuracy.png (training vs held-out during training), attention.png (the
trained GPT's causal self-attention on one held-out problem, masked cells marked), checkpoint.pt,
metrics.json.
"""

from __future__ import annotations

import itertools

import numpy as np

from . import common, digits


def puzzle(length: int = 6, num_digits: int = 3) -> digits.Puzzle:
    """Every prompt of ``length`` digits below ``num_digits``; the answer is the prompt sorted."""
    prompts = np.array(list(itertools.product(range(num_digits), repeat=length)), dtype=np.int64)
    return digits.Puzzle(
        name="sort",
        vocab_size=num_digits,
        prompts=prompts,
        answer=lambda p: np.sort(p, axis=1),
        question=lambda p: f"sort {' '.join(map(str, p))} ->",
        reply=lambda a: " ".join(map(str, a)),
    )


def main(argv=None) -> dict:
    parser = common.parser("sort_task", __doc__, steps=1000)
    digits.add_arguments(parser, layers=2, heads=4, width=64, lr=3e-3, batch=64)
    parser.add_argument("--length", type=int, default=6, help="digits to sort")
    parser.add_argument("--num-digits", type=int, default=3, help="digit range")
    args = parser.parse_args(argv)
    return digits.main(puzzle(args.length, args.num_digits), args)


if __name__ == "__main__":
    main()
