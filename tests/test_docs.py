"""What the docs say is what the runs wrote: every number they quote is the one in the JSON that
`make lesson` copied into docs/img/ with the pictures, and every picture they show exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"
ILLUSTRATED = "docs/illustrated-transformer.md"
BACKPROP = "docs/backprop-through-attention.md"


def figure(file: str, *keys):
    value = json.loads((IMG / file).read_text())
    for key in keys:
        value = value[key]
    return value


def residual_norms() -> list[float]:
    layers = figure("reverse_task.json", "gradient_norms", "per_layer").values()
    return [branches["residual stream"] for branches in layers]


# (document, the text it must contain, built from the run's numbers)
QUOTES = [
    ("README.md", lambda: f"({figure('reverse_task.json', 'exact_match'):.0%} exact match)"),
    ("README.md", lambda: f"{figure('reverse_task.json', 'train_seconds'):.0f} s (reverse)"),
    ("README.md", lambda: "{:.0%} held out; training 35 s idle, {:.0f} s shared".format(
        figure("sort_task.json", "held_out_accuracy"), figure("sort_task.json", "train_seconds"))),
    ("README.md", lambda: f"25 s idle, {figure('attention_study.json', 'train_seconds'):.0f} s shared"),
    (ILLUSTRATED, lambda: f"{figure('reverse_task.json', 'exact_match'):.0%} exact match on 500"),
    (ILLUSTRATED, lambda: f"({figure('sort_task.json', 'held_out_accuracy'):.0%} of held-out"),
    (ILLUSTRATED, lambda: "largest weight of a row is {:.2f} on average ({:.2f} with it)".format(
        figure("lesson.json", "scaling", "unscaled", "16", "largest_weight"),
        figure("lesson.json", "scaling", "scaled", "16", "largest_weight"))),
    (ILLUSTRATED, lambda: "`‖dS‖/‖dP‖` = {:.3f} of the gradient ({:.3f} with it)".format(
        figure("lesson.json", "scaling", "unscaled", "16", "gradient_gain"),
        figure("lesson.json", "scaling", "scaled", "16", "gradient_gain"))),
    (ILLUSTRATED, lambda: "nearly one-hot ({:.2f}) and the gain falls to {:.3f}".format(
        figure("lesson.json", "scaling", "unscaled", "1024", "largest_weight"),
        figure("lesson.json", "scaling", "unscaled", "1024", "gradient_gain"))),
    (ILLUSTRATED, lambda: "own output (largest difference: {:.1g})".format(
        figure("lesson.json", "multihead", "max_abs_diff_from_module_output"))),
    (ILLUSTRATED, lambda: "the largest difference is {:.0e}".format(
        figure("lesson.json", "positional", "largest_spread_over_positions"))),
    (ILLUSTRATED, lambda: "d/2 = {:.0f} at `k` = 0 and falls with distance ({:.1f} at `k` = 1, "
        "{:.1f} at `k` = 10)".format(*(figure("lesson.json", "positional", "dot_at_distance", k)
                                        for k in ("0", "1", "10")))),
    (ILLUSTRATED, lambda: "√64 = {:.0f}".format(figure("lesson.json", "positional", "embedding_scale"))),
    (ILLUSTRATED, lambda: "mean {:.2f} and standard deviation {:.2f} here".format(
        *(figure("lesson.json", "layer_norm", "z = x + F(x)", k) for k in ("mean", "std")))),
    (ILLUSTRATED, lambda: "after `γ` and `β`, {:.3f} and {:.3f}".format(
        *(figure("lesson.json", "layer_norm", "LayerNorm(z) = γ (z - mean) / std + β", k)
          for k in ("mean", "std")))),
    (ILLUSTRATED, lambda: "written `{}`".format(figure("lesson.json", "decoding", "prefix"))),
    (ILLUSTRATED, lambda: "It writes {} with probability {:.3f} (the right answer is {}; the "
        "runner-up is {} with {:.1g})".format(
        *(figure("lesson.json", "decoding", k) for k in ("predicted", "probability", "expected",
                                                          "runner_up", "runner_up_probability")))),
    (ILLUSTRATED, lambda: "`{}`".format(" ".join(figure("lesson.json", "sequence")))),
    (BACKPROP, lambda: "the two {}s of its sequence".format(
        figure("lesson.json", "equal_tokens", "symbol"))),
    (BACKPROP, lambda: "differ by {:.0%} of their norm, against {:.0%}".format(
        figure("lesson.json", "equal_tokens", "cross_attention_values"),
        figure("lesson.json", "equal_tokens", "embedding_plus_pe"))),
    (BACKPROP, lambda: "step 100, when {:.0%} of the validation tokens".format(
        figure("reverse_task.json", "validation_during_training", "token accuracy")[
            figure("reverse_task.json", "validation_during_training", "step").index(100)])),
    (BACKPROP, lambda: f"similar size ({min(residual_norms()):.2f} to {max(residual_norms()):.2f} for this"),
    (BACKPROP, lambda: "({:.2f} against {:.2f})".format(
        *(figure("reverse_task.json", "gradient_norms", "per_layer", "dec 0", k)
          for k in ("cross-attention", "self-attention")))),
]  # fmt: skip


def study(variant: str, layer: int, what: str = "at input") -> str:
    """A gradient norm of attention_study's part 3 as the doc writes it: 2.9e-3."""
    depth = figure("attention_study.json", "config")["depth"]
    row = figure("attention_study.json", "residual_study", variant)[2 * (depth - 1 - layer) + 1]
    return f"{row[what]:.1e}".replace("e-0", "e-")


QUOTES += [
    (BACKPROP, lambda: f"same norm, {study('pre-LN', 15)}, at the input of every layer"),
    (BACKPROP, lambda: f"drifts from {study('post-LN', 15)} at layer 15 to {study('post-LN', 1)} at layer 1"),
    (BACKPROP, lambda: f"Then it drops to {study('post-LN', 0)} into the embeddings"),
    (BACKPROP, lambda: f"the norm falls from {study('no residual', 15)} at layer 15 to "
                       f"{study('no residual', 1, 'via branch')} at layer 1 and "
                       f"{study('no residual', 0)} into the embeddings"),
]  # fmt: skip


@pytest.mark.parametrize("doc, quote", QUOTES)
def test_the_docs_quote_the_numbers_the_runs_wrote(doc, quote):
    text = " ".join((ROOT / doc).read_text().split())
    assert quote() in text


@pytest.mark.parametrize("doc", ["README.md", ILLUSTRATED, BACKPROP])
def test_every_picture_the_docs_show_exists(doc):
    path = ROOT / doc
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)|<img src=\"([^\"]+)\"", path.read_text())
    assert shown
    for link in (a or b for a, b in shown):
        assert (path.parent / link).is_file(), f"{doc} shows {link}, which does not exist"
