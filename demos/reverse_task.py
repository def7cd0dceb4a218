"""Train the Transformer of "Attention Is All You Need" to reverse sequences, then look inside.

The headline demo (`make demo`). A small encoder-decoder (post-LN, the paper's warm-up schedule,
label smoothing) learns to map  <s> 3 1 4 1 5 8 2 6 5  to  <s> 5 6 2 8 5 1 4 1 3  in about a
minute on two CPU cores. Every 50 steps it is checked on 500 validation sequences and the best
weights are kept; greedy decoding of 500 other held-out test sequences gives the reported exact
match (target: 100%). One held-out sequence is run forward and backward to draw:

  loss.png, accuracy.png, lr.png    training loss, validation accuracy, learning-rate schedule
  attention_cross.png               cross-attention per layer and head after training: reversing
                                    shows as an anti-diagonal (output i reads input n - i)
  attention_enc_self.png, attention_dec_self.png
                                    the encoder's and decoder's self-attention
  attention_*_grad.png              d loss / d attention weights, at step --inspect-at
  gradient_flow.png                 gradient norm per layer: residual stream vs attention vs FFN
  graph_model.png, graph_head.png   the model collapsed by module (arrow width = gradient), and
                                    one attention head op by op (.dot files without Graphviz)
  checkpoint.pt, metrics.json       the kept weights and optimizer state; the numbers
"""

from __future__ import annotations

from . import seq2seq


def main(argv=None) -> dict:
    return seq2seq.main("reverse", argv, doc=__doc__)


if __name__ == "__main__":
    main()
