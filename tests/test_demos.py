"""The demos: each runs end to end on a handful of steps and writes its outputs; the headline
demo learns on a reduced budget; runs are reproducible from their seed; --resume continues
exactly; graphs fall back to .dot files without Graphviz."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shutil

import numpy as np
import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

import demos  # noqa: E402  (after the skips: needs matplotlib)
from demos import common  # noqa: E402

SEQ2SEQ_TINY = "--d-model 16 --heads 2 --layers 1 --d-ff 32 --batch 8 --length 6 --test-size 16"
GPT_TINY = "--layers 1 --heads 2 --width 16 --batch 8 --test-size 20 --eval-every 2"
CHAR_TINY = "--layers 1 --heads 2 --width 16 --block 16 --batch 4 --eval-every 2 --eval-batches 1"

# demo -> (flags for a tiny run, files it must write); reverse_task runs in the learning test
SMOKE = {
    "copy_task": (
        f"{SEQ2SEQ_TINY} --inspect-at 2",
        ["loss.png", "lr.png", "attention_cross.png", "attention_cross_grad.png",
         "attention_enc_self.png", "attention_dec_self_grad.png", "gradient_flow.png",
         "checkpoint.pt"],
    ),
    "sort_task": (GPT_TINY, ["loss.png", "accuracy.png", "attention.png", "checkpoint.pt"]),
    "addition": (GPT_TINY, ["loss.png", "accuracy.png", "attention.png", "checkpoint.pt"]),
    "char_lm": (f"{CHAR_TINY} --sample-chars 20", ["loss.png", "samples.txt", "checkpoint.pt"]),
    "attention_study": (
        f"{SEQ2SEQ_TINY} --depth 3",
        ["gradient_path.png", "residual_gradients.png"],
    ),
    "graph_gallery": ("", []),
}  # fmt: skip
DEMOS = ["reverse_task", "illustrated", *SMOKE]
# the demos that train a transformer write its backprop explorer (laid out by Graphviz's dot)
EXPLORER = ["explorer.html"] if shutil.which("dot") else []


def run_demo(name: str, flags: str, out, steps: int = 3, seed: int = 0) -> dict:
    module = importlib.import_module(f"demos.{name}")
    argv = f"--steps {steps} --seed {seed} --out {out} {flags}".split()
    metrics = module.main(argv)
    written = "lesson.json" if name == "illustrated" else "metrics.json"
    assert json.loads((out / written).read_text()) == json.loads(json.dumps(metrics))
    return metrics


@pytest.mark.parametrize("name", list(SMOKE))
def test_demo_runs_and_writes_its_outputs(name, tmp_path, capsys):
    flags, files = SMOKE[name]
    files = files + EXPLORER
    run_demo(name, flags, tmp_path)
    for f in files:
        assert (tmp_path / f).stat().st_size > 0, f"{name} did not write {f}"
    printed = capsys.readouterr().out
    assert f"into {tmp_path}/" in printed  # the closing list of what was written, and where
    for f in files:
        assert f in printed


def test_graphs_are_rendered_or_written_as_dot(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(common, "dot_available", lambda: False)
    metrics = run_demo("graph_gallery", "", tmp_path, steps=1)
    dots = sorted(p.name for p in tmp_path.glob("*.dot"))
    assert "attention_head.dot" in dots and "gpt_gradient_flow.dot" in dots
    assert not metrics["rendered"]
    assert (tmp_path / "neuron.dot").read_text().startswith("digraph")
    printed = capsys.readouterr().out
    assert "dot -Tpng" in printed and "Graphviz's `dot` was not found" in printed


@pytest.mark.parametrize("name", DEMOS)
def test_help_names_the_common_flags(name, capsys):
    module = importlib.import_module(f"demos.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    usage = capsys.readouterr().out
    for flag in ("--steps", "--seed", "--device", "--out"):
        assert flag in usage


@pytest.mark.parametrize("name", DEMOS)
def test_help_states_the_defaults_the_parser_uses(name, capsys, monkeypatch):
    """Every default in --help is read from the parser, so the text and the code cannot differ."""
    made = []
    real = common.parser
    monkeypatch.setattr(common, "parser", lambda *a, **k: made.append(real(*a, **k)) or made[-1])
    module = importlib.import_module(f"demos.{name}")
    with pytest.raises(SystemExit):
        module.main(["--help"])
    usage = " ".join(capsys.readouterr().out.split())
    for action in made[0]._actions:
        if action.option_strings and action.default not in (None, argparse.SUPPRESS):
            if action.nargs != 0:
                shown = repr(action.default) if isinstance(action.default, str) else action.default
                assert f"(default: {shown})" in usage, action.dest
    assert re.search(r"\(default \d", usage) is None, "a default typed by hand"


def test_a_trained_gpt_loads_from_its_run_folder(tmp_path):
    run_demo("sort_task", SMOKE["sort_task"][0], tmp_path)
    trained = demos.load(tmp_path)
    assert trained.spec["class"] == "GPT" and not trained.model.training
    prompts, answer = trained.example(seed=1)
    assert answer.equal(prompts.sort(dim=1)[0])
    out = trained.decode(prompts)
    assert out.shape == (1, 12) and out[:, :6].equal(prompts)
    trained.model(out[:, :-1])
    weights = trained.model.transformer.h[0].attn.attention  # kept by the forward pass
    assert weights.shape == (1, 2, 11, 11)
    assert (
        weights.detach().numpy()[0][:, np.triu_indices(11, 1)[0], np.triu_indices(11, 1)[1]] == 0
    ).all()


def test_runs_are_reproducible_from_the_seed(tmp_path):
    flags = SMOKE["sort_task"][0]
    first = run_demo("sort_task", flags, tmp_path / "a", seed=3)
    again = run_demo("sort_task", flags, tmp_path / "b", seed=3)
    other = run_demo("sort_task", flags, tmp_path / "c", seed=4)
    assert first["final_loss"] == again["final_loss"]
    assert first["accuracy_during_training"] == again["accuracy_during_training"]
    assert first["final_loss"] != other["final_loss"]


def test_char_lm_resume_continues_exactly(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 40)
    flags = f"{CHAR_TINY} --text {text} --sample-chars 5 --decay-steps 4 --warmup 1"
    straight = run_demo("char_lm", flags, tmp_path / "straight", steps=4)
    run_demo("char_lm", flags, tmp_path / "resumed", steps=2)
    resumed = run_demo("char_lm", flags + " --resume", tmp_path / "resumed", steps=4)
    assert resumed["history"] == straight["history"]
    assert resumed["val_loss"] == straight["val_loss"]


def test_reverse_task_learns_on_a_small_budget(tmp_path, capsys):
    """The headline demo, shrunk: chance is 1/6 per token and (1/6)^5 per sequence; 100 steps
    get far beyond. It also writes every output of the full demo."""
    flags = (
        "--d-model 32 --heads 2 --layers 1 --d-ff 64 --batch 32 --length 6 --vocab 8 "
        "--factor 0.5 --warmup 40 --test-size 100 --inspect-at 50"
    )
    metrics = run_demo("reverse_task", flags, tmp_path, steps=100)
    assert metrics["token_accuracy"] > 0.6
    assert metrics["exact_match"] > 0.2
    assert set(metrics["gradient_norms"]["per_layer"]) == {"enc 0", "dec 0"}
    printed = capsys.readouterr().out
    for f in SMOKE["copy_task"][1] + ["graph_model", "graph_head", "metrics.json"]:
        assert f in printed
        assert list(tmp_path.glob(f + "*")), f

    # One call gives the model back, ready to inspect, decoding as the demo did.
    trained = demos.load(tmp_path)
    assert trained.spec["kwargs"]["norm_first"] is False and trained.spec["task"] == "reverse"
    src, tgt = trained.example(seed=5)
    decoded = trained.decode(src)
    assert decoded.shape == tgt.shape and int(decoded[0, 0]) == trained.spec["decoding"]["start_id"]
    cross = trained.model.decoder.layers[0].cross_attn.attention  # from the last decoding step
    assert cross.shape[:2] == (1, 2) and cross.shape[-1] == src.shape[1]
    with pytest.raises(FileNotFoundError, match="run the demo first"):
        demos.load(tmp_path / "nothing here")

    # The lesson's pictures are drawn from that model, and the same run draws the same numbers.
    first = run_demo("illustrated", f"--run {tmp_path}", tmp_path / "a")
    again = run_demo("illustrated", f"--run {tmp_path}", tmp_path / "b")
    assert first == again
    for f in ("positional_encoding", "qkv", "scaling", "multihead", "layer_norm", "decoding_step"):
        assert (tmp_path / "a" / f"{f}.png").stat().st_size > 0, f
    assert first["multihead"]["max_abs_diff_from_module_output"] < 1e-5  # Concat(...) W_O + b
    assert first["positional"]["largest_spread_over_positions"] < 1e-9  # PE·PE depends on k only
