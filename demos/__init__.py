"""Runnable demos: tiny transformers trained in minutes on a CPU, and a look inside them.

Each demo is ``python -m demos.<name>`` with ``--help``, ``--steps``, ``--seed``, ``--device`` and
``--out`` (default ``runs/<name>/``):

- ``reverse_task`` / ``copy_task``: the encoder-decoder of "Attention Is All You Need" on synthetic
  sequences, with attention maps, attention gradients, gradient flow and computation graphs.
- ``sort_task`` / ``addition``: a GPT that sorts digits or adds numbers.
- ``char_lm``: a character-level GPT on any text file.
- ``attention_study``: where the gradient goes inside attention, step by step.
- ``illustrated``: every concept of The Illustrated Transformer, drawn from the trained
  ``reverse_task`` model (docs/illustrated-transformer.md).
- ``graph_gallery``: the computation graphs people ask to see.

``demos.load(run_dir)`` gives back a demo's trained model from its run folder, ready to inspect
(``demos/trained.py``).

They need the ``demos`` extra (matplotlib, tqdm): ``pip install -e ".[demos]"``.

The demos run NumPy's BLAS on one thread unless the environment says otherwise
(``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``). Their matrices are small,
so a second thread gains little, and BLAS threads wait for each other by spinning: when the cores
are busy with anything else, a threaded matrix product of this size can take 50 times longer.
This only takes effect when ``demos`` is imported before NumPy (``python -m demos.<name>`` does).
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
del _variable


from .trained import load  # noqa: E402  (after the thread settings above)
