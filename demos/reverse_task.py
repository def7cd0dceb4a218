"""Train the Transformer of "Attention Is All You Need" to reverse sequences, then look inside.

The headline demo (`make demo`). A small encoder-decoder (post-LN, the paper's warm-up schedule,
label smoothing) learns to map  <s> 3 1 4 1 5 8 2 6 5  to  <s> 5 6 2 8 5 1 4 1 3  in about a
minute on two idle CPU cores. Every --eval-every steps it is checked on --test-size validation
sequences and the best weights are kept; greedy decoding of --test-size other held-out test
sequences gives the reported exact match (target: 100%). One held-out sequence is run forward and backward to draw:

  loss.png, accuracy.png, lr.png    training loss, validation accuracy, learning-rate schedule
  attention_cross.png               cross-attention per layer and head after training: reversing
                                    shows as an anti-diagonal (output i reads input n - i)
  attention_enc_self.png            the encoder's self-attention (no mask)
  attention_dec_self.png            the decoder's causal self-attention, masked cells crossed
  attention_*_grad.png              d loss / d attention weights (dP) at step --inspect-at; for
                                    the decoder's self-attention dS beside dP
  gradient_flow.png                 gradient norm per layer: residual stream vs attention vs FFN
  graph_model.png, graph_head.png   the model collapsed by module (arrow width = gradient), and
                                    decoder layer 0's masked self-attention op by op, every tensor
                                    named and coloured by its gradient (.dot without Graphviz)
  checkpoint.pt, metrics.json       the kept weights, optimizer state and model spec (load them
                                    with demos.load); the numbers
"""

from __future__ import annotations

from . import seq2seq


def main(argv=None) -> dict:
    return seq2seq.main("reverse", argv, doc=__doc__)


if __name__ == "__main__":
    main()
