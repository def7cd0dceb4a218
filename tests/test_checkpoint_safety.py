"""Checkpoints are safe: a crash mid-save keeps the old file, loading never runs code, and a
resumed training continues bit for bit.

- ``save`` writes a temporary file next to the target and renames it over the target only when
  complete, so a process killed at any point of the write leaves the previous checkpoint intact.
- ``load`` reads JSON and ``.npy`` files with ``allow_pickle=False``: a file carrying a pickle
  payload is refused with ``CheckpointError`` and the payload never runs.
- Saving model, optimiser, scheduler and random-generator state, and loading them into fresh
  objects, continues training exactly as if it had never stopped.
"""

from __future__ import annotations

import io
import json
import pickle
import signal
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import minigrad
from minigrad.errors import CheckpointError
from minigrad.optim import lr_scheduler
from transformer.models import GPT, GPTConfig


def old_checkpoint(path) -> dict:
    """Write a small 'previous' checkpoint to ``path``; return what it holds, as arrays."""
    state = {"step": 100, "weight": minigrad.arange(12).reshape(3, 4).float()}
    minigrad.save(state, path)
    return {"step": 100, "weight": state["weight"].numpy()}


def assert_intact(path, expected: dict) -> None:
    loaded = minigrad.load(path)
    assert loaded["step"] == expected["step"]
    np.testing.assert_array_equal(loaded["weight"].numpy(), expected["weight"])


# ---- atomic save ------------------------------------------------------------------------------
# The child process saves a large checkpoint over the old one and SIGKILLs itself at one point
# of the write: no exception handler, no cleanup, as with a power cut or the OOM killer.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import minigrad

    path, kill_at = sys.argv[1], sys.argv[2]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if kill_at == "mid-data":  # after the first of several tensor files has been written
        real_write = np.lib.format.write_array

        def write_then_die(fp, array, **kwargs):
            real_write(fp, array, **kwargs)
            fp.flush()
            die()

        np.lib.format.write_array = write_then_die
    elif kill_at == "before-rename":  # everything written and synced, not yet renamed
        os.replace = lambda src, dst: die()
    big = {f"layer{i}": minigrad.randn(256, 1024) for i in range(4)}  # 4 MiB of data
    minigrad.save({"step": 200, "weights": big}, path)
    """
)


@pytest.mark.parametrize("kill_at", ["mid-data", "before-rename"])
def test_a_save_killed_mid_write_leaves_the_old_checkpoint_intact(tmp_path, kill_at):
    path = tmp_path / "model.ckpt"
    expected = old_checkpoint(path)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), kill_at],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    leftovers = [p for p in tmp_path.iterdir() if p != path]
    assert leftovers and leftovers[0].stat().st_size > 0  # it really died part-way through
    assert_intact(path, expected)


def test_a_save_that_fails_removes_its_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    expected = old_checkpoint(path)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np.lib.format, "write_array", disk_full)
    with pytest.raises(OSError, match="No space left"):
        minigrad.save({"weight": minigrad.randn(10)}, path)
    monkeypatch.undo()
    assert sorted(tmp_path.iterdir()) == [path]
    assert_intact(path, expected)


def test_a_completed_save_replaces_the_old_checkpoint(tmp_path):
    path = tmp_path / "model.ckpt"
    old_checkpoint(path)
    minigrad.save({"step": 101, "weight": minigrad.zeros(3, 4)}, path)
    assert_intact(path, {"step": 101, "weight": np.zeros((3, 4), np.float32)})
    assert sorted(tmp_path.iterdir()) == [path]


# ---- load never runs code ---------------------------------------------------------------------
class Payload:
    """Unpickling this object creates the file ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def npy_with_pickle(payload) -> bytes:
    """A .npy file of dtype object: its data is a pickle."""
    buffer = io.BytesIO()
    np.save(buffer, np.array([payload, 1], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def zip_bytes(files: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def manifest(root) -> str:
    return json.dumps({"format": "minigrad-checkpoint", "version": 1, "root": root})


TENSOR_0 = {"tensor": 0, "dtype": "float32", "shape": [2], "device": "cpu"}
CRAFTED = {
    "a plain pickle": lambda payload: pickle.dumps({"weight": payload}),
    "a torch-style zip with data.pkl": lambda payload: zip_bytes(
        {"archive/data.pkl": pickle.dumps(payload), "archive/version": "3"}
    ),
    "a minigrad zip whose tensor is a pickled object array": lambda payload: zip_bytes(
        {"MANIFEST.json": manifest(TENSOR_0), "tensors/0.npy": npy_with_pickle(payload)}
    ),
    "a minigrad zip whose manifest names a class": lambda payload: zip_bytes(
        {"MANIFEST.json": manifest({"__reduce__": ["builtins.open", ["marker", "w"]]})}
    ),
}


@pytest.mark.parametrize("kind", CRAFTED)
def test_load_refuses_a_pickle_payload_and_never_runs_it(tmp_path, kind):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "evil.ckpt"
    path.write_bytes(CRAFTED[kind](Payload(marker)))
    with pytest.raises(CheckpointError) as info:
        minigrad.load(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_the_payload_is_live(tmp_path):
    """Control: the same payload does run when unpickled, so the test above is meaningful."""
    marker = tmp_path / "payload-ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


# ---- bit-for-bit resume -----------------------------------------------------------------------
STEPS = 8


def make_run(seed: int):
    """A tiny GPT with dropout (so the random generator matters), AdamW and warmup-cosine."""
    minigrad.manual_seed(seed)
    config = GPTConfig(vocab_size=16, block_size=8, n_layer=1, n_head=2, n_embd=16, dropout=0.1)
    model = GPT(config)
    opt = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-2)
    sched = lr_scheduler.warmup_cosine(opt, warmup_steps=3, total_steps=STEPS)
    return model, opt, sched


def train(model, opt, sched, steps: int) -> None:
    for _ in range(steps):
        batch = minigrad.randint(0, 16, (4, 8))  # data drawn from the generator too
        _, loss = model(batch, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def test_resume_from_checkpoint_is_bit_for_bit(tmp_path):
    straight = make_run(seed=0)
    train(*straight, STEPS)

    first = make_run(seed=0)
    train(*first, STEPS // 2)
    model, opt, sched = first
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "scheduler": sched.state_dict(),
        "rng": minigrad.get_rng_state(),
    }
    minigrad.save(checkpoint, tmp_path / "resume.ckpt")
    del first, model, opt, sched, checkpoint

    model, opt, sched = make_run(seed=123)  # fresh objects, different weights and generator
    minigrad.manual_seed(999)
    state = minigrad.load(tmp_path / "resume.ckpt")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    sched.load_state_dict(state["scheduler"])
    minigrad.set_rng_state(state["rng"])
    train(model, opt, sched, STEPS - STEPS // 2)

    expected = dict(straight[0].named_parameters())
    resumed = dict(model.named_parameters())
    assert expected.keys() == resumed.keys()
    for name, p in resumed.items():
        assert np.array_equal(p.detach().numpy(), expected[name].detach().numpy()), name
    assert opt.param_groups[0]["lr"] == straight[1].param_groups[0]["lr"]


def test_resume_without_the_generator_state_differs(tmp_path):
    """Control: leaving out the random state changes the run, so the test above can fail."""
    straight = make_run(seed=0)
    train(*straight, STEPS)
    model, opt, sched = make_run(seed=0)
    train(model, opt, sched, STEPS // 2)
    minigrad.manual_seed(999)  # as if the generator state had not been restored
    train(model, opt, sched, STEPS - STEPS // 2)
    differs = [
        not np.array_equal(p.detach().numpy(), q.detach().numpy())
        for p, q in zip(model.parameters(), straight[0].parameters())
    ]
    assert any(differs)
