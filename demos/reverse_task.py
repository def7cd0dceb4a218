"""Train the Transformer of "Attention Is All You Need" to reverse sequences, then look inside.

The headline demo (`make demo`). A small encoder-decoder (post-LN, the paper's warm-up schedule,
label smoothing) learns to map  <s> 3 1 4 1 5 9 2 6 5  to  <s> 5 6 2 9 5 1 4 1 3  in about two
minutes on two CPU cores, and is tested by greedy decoding of 500 held-out sequences (target:
100% exact match). Then one held-out sequence is run forward and backward once more to draw:

  loss.png, lr.png                  training loss, learning-rate schedule
  attention_cross.png               cross-attention per layer and head: reversing shows as an
                                    anti-diagonal (output i reads input n - i)
  attention_enc_self.png, attention_dec_self.png, and *_grad.png for each:
                                    attention weights and d loss / d attention weights
  gradient_flow.png                 gradient norm per layer: residual stream vs attention vs FFN
  graph_model.png, graph_head.png   the model collapsed by module (arrow width = gradient),
                                    and one attention head op by op (.dot files without Graphviz)
  checkpoint.pt, metrics.json       weights and optimizer state; the numbers
"""

from __future__ import annotations

from . import seq2seq


def main(argv=None) -> dict:
    return seq2seq.main("reverse", argv, doc=__doc__)


if __name__ == "__main__":
    main()
