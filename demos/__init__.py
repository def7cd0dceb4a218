"""Runnable demos: tiny transformers trained in minutes on a CPU, and a look inside them.

Each demo is ``python -m demos.<name>`` with ``--help``, ``--steps``, ``--seed``, ``--device`` and
``--out`` (default ``runs/<name>/``):

- ``reverse_task`` / ``copy_task``: the encoder-decoder of "Attention Is All You Need" on synthetic
  sequences, with attention maps, attention gradients, gradient flow and computation graphs.
- ``sort_task`` / ``addition``: a GPT that sorts digits or adds numbers.
- ``char_lm``: a character-level GPT on any text file.
- ``attention_study``: where the gradient goes inside attention, step by step.
- ``graph_gallery``: the computation graphs people ask to see.

They need the ``demos`` extra (matplotlib, tqdm): ``pip install -e ".[demos]"``.
"""
