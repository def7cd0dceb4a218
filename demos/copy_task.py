"""Train the Transformer of "Attention Is All You Need" to copy sequences (the Annotated
Transformer's first example), then look inside.

Vocabulary 11 (padding, <s>, nine symbols), length 10: the decoder must reproduce the input, and
greedy decoding of 500 held-out sequences is scored by exact match (target: 100%). The outputs are
those of `reverse_task` (see its --help); here the cross-attention is a diagonal: output position
i reads input position i.
"""

from __future__ import annotations

from . import seq2seq


def main(argv=None) -> dict:
    return seq2seq.main("copy", argv, doc=__doc__)


if __name__ == "__main__":
    main()
