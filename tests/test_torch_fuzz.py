"""Differential fuzzing against PyTorch (see ``fuzz_programs``): random programs of 3-8 ops must
give PyTorch's values, gradients (NaN and inf positions included) and errors.

The CI profile runs a fixed set of programs; ``MINIGRAD_FUZZ_EXAMPLES=10000`` runs that many
with Hypothesis (stopping at, and shrinking, the first disagreement). To count all the
disagreements of a long run by kind instead: ``PYTHONPATH=. python tests/fuzz_programs.py 10000``.

A failing example prints its program as PyTorch source. Shrinking it re-runs programs on both
libraries thousands of times (minutes), so it is off unless ``MINIGRAD_FUZZ_SHRINK=1``.
"""

from __future__ import annotations

import os

import pytest
from fuzz_programs import Disagreement, HypothesisChooser, draw_program, known_difference
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from torch_support import import_torch

pytestmark = pytest.mark.torch

EXAMPLES = int(os.environ.get("MINIGRAD_FUZZ_EXAMPLES", "150"))
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("MINIGRAD_FUZZ_SHRINK") else []
)


@settings(
    max_examples=EXAMPLES,
    derandomize="MINIGRAD_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_programs_match_pytorch(data):
    import_torch()
    try:
        draw_program(HypothesisChooser(data))
    except Disagreement as disagreement:
        known = known_difference(disagreement)
        if known is None:
            note(disagreement.program.source())
            raise
        note(f"a deliberate difference: {known}")  # documented in docs/pytorch-differences.md
