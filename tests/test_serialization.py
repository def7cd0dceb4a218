"""minigrad.save / minigrad.load: round trips, resumed training, and refusal of anything that is
not an intact minigrad checkpoint (never unpickling)."""

import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from torch_support import import_torch

import examples
import minigrad
from minigrad import nn, optim
from minigrad.errors import CheckpointError

GPT = examples.load("minigrad")


def test_nested_values_round_trip_with_their_types(tmp_path):
    weights = minigrad.randn(3, 4)
    obj = {
        "tensors": [
            weights,
            minigrad.tensor(2.5, dtype=minigrad.float64),
            minigrad.tensor([1, 2]),
            minigrad.tensor([True, False]),
            minigrad.zeros(0, 3),
        ],  # fmt: skip
        "numbers": (1, -2.5, float("nan"), float("inf"), -float("inf"), 2**200, np.float32(0.5)),
        7: {"nested": {None: "none key", 1.5: [], True: ()}},
        "text": 'quotes " and \\ and ünïcödé',
        "flags": [True, False, None],
        "grad": nn.Parameter(minigrad.ones(2)),
        "rng": minigrad.get_rng_state(),
    }
    minigrad.save(obj, tmp_path / "ck")
    out = minigrad.load(tmp_path / "ck")
    assert list(out) == ["tensors", "numbers", 7, "text", "flags", "grad", "rng"]
    for a, b in zip(out["tensors"], obj["tensors"]):
        assert a.dtype is b.dtype and a.shape == b.shape and np.array_equal(a.numpy(), b.numpy())
        assert not a.requires_grad
    numbers = out["numbers"]
    assert isinstance(numbers, tuple) and numbers[:2] == (1, -2.5) and math.isnan(numbers[2])
    assert numbers[3:] == (math.inf, -math.inf, 2**200, 0.5)
    assert out[7] == {"nested": {None: "none key", 1.5: [], True: ()}}
    assert out["text"] == obj["text"] and out["flags"] == [True, False, None]
    assert isinstance(out["grad"], nn.Parameter) and out["grad"].requires_grad
    assert out["rng"] == obj["rng"]


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_like, st.lists(st.integers(1, 4), max_size=3))
def test_any_nested_structure_round_trips(tmp_path_factory, value, shape):
    path = tmp_path_factory.mktemp("prop") / "ck"
    tensor = minigrad.arange(math.prod(shape), dtype=minigrad.float64).reshape(*shape)
    minigrad.save({"value": value, "tensor": tensor}, path)
    out = minigrad.load(path)
    assert out["value"] == value
    assert np.array_equal(out["tensor"].numpy(), tensor.numpy())


def test_model_state_dict_round_trip_keeps_tied_weights_shared(tmp_path):
    minigrad.manual_seed(0)
    model = GPT.GPT(GPT.GPTConfig())
    minigrad.save(model.state_dict(), tmp_path / "model.ckpt")
    sd = minigrad.load(tmp_path / "model.ckpt")
    assert list(sd) == list(model.state_dict())
    assert sd["lm_head.weight"]._data is sd["transformer.wte.weight"]._data
    minigrad.manual_seed(1)
    fresh = GPT.GPT(GPT.GPTConfig())
    fresh.load_state_dict(sd)
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    with zipfile.ZipFile(tmp_path / "model.ckpt") as archive:  # the tied matrix is stored once
        assert len(archive.namelist()) == 1 + len(
            {id(t._data) for t in model.state_dict().values()}
        )


def test_map_location_places_tensors(tmp_path):
    minigrad.save({"w": minigrad.ones(2)}, tmp_path / "ck")
    out = minigrad.load(tmp_path / "ck", map_location="cpu", weights_only=True)
    assert out["w"].device == "cpu" and out["w"].tolist() == [1.0, 1.0]


def test_resumed_training_continues_exactly(tmp_path):
    config = GPT.GPTConfig(dropout=0.1)  # dropout draws from the RNG: its state must be saved
    idx = minigrad.tensor([[i % 5 for i in range(16)]] * 2)

    def setup():
        model = GPT.GPT(config)
        opt = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-2, betas=(0.9, 0.95))
        sched = optim.lr_scheduler.warmup_cosine(opt, warmup_steps=2, total_steps=8)
        return model, opt, sched

    def train(model, opt, sched, steps):
        losses = []
        for _ in range(steps):
            _, loss = model(idx, idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(loss.item())
        return losses

    minigrad.manual_seed(0)
    model, opt, sched = setup()
    expected = train(model, opt, sched, 6)
    final = {k: v.numpy().copy() for k, v in model.state_dict().items()}

    minigrad.manual_seed(0)
    model, opt, sched = setup()
    first = train(model, opt, sched, 3)
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                  "scheduler": sched.state_dict(), "rng": minigrad.get_rng_state(), "step": 3}  # fmt: skip
    minigrad.save(checkpoint, tmp_path / "ckpt.mg")
    del model, opt, sched

    minigrad.manual_seed(123)  # a different state, and differently initialised objects
    model, opt, sched = setup()
    loaded = minigrad.load(tmp_path / "ckpt.mg")
    model.load_state_dict(loaded["model"])
    opt.load_state_dict(loaded["optimizer"])
    sched.load_state_dict(loaded["scheduler"])
    minigrad.set_rng_state(loaded["rng"])
    assert loaded["step"] == 3
    rest = train(model, opt, sched, 3)

    assert first + rest == expected
    for name, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), final[name]), name


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "ck"
    minigrad.save({"old": 1}, path)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", fail)
    with pytest.raises(OSError, match="disk full"):
        minigrad.save({"new": minigrad.ones(3)}, str(path))
    assert minigrad.load(path) == {"old": 1}
    assert os.listdir(tmp_path) == ["ck"]  # no temporary file left behind


def test_unsupported_objects_are_refused_with_their_place(tmp_path):
    with pytest.raises(CheckpointError, match=r"obj\['model'\], a Linear \(save its state_dict"):
        minigrad.save({"model": nn.Linear(2, 2)}, tmp_path / "ck")
    with pytest.raises(CheckpointError, match=r"obj\[1\]\[0\], a set"):
        minigrad.save([1, [{1, 2}]], tmp_path / "ck")
    assert not os.listdir(tmp_path)


# ---- refusing what is not an intact checkpoint -------------------------------------------------
def write_zip(path, entries: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def manifest(root, version=1, fmt="minigrad-checkpoint"):
    return json.dumps({"format": fmt, "version": version, "root": root})


def npy_bytes(array, allow_pickle=False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


TENSOR = {"tensor": 0, "dtype": "float32", "shape": [2], "device": "cpu", "requires_grad": False}


@pytest.mark.parametrize(
    "entries, message",
    [
        ({"data.pkl": b"x"}, "no MANIFEST.json"),
        ({"MANIFEST.json": b"{not json"}, "corrupt manifest"),
        ({"MANIFEST.json": manifest(1, fmt="other")}, "not a minigrad checkpoint"),
        ({"MANIFEST.json": manifest(1, version=99)}, "unsupported minigrad checkpoint version 99"),
        ({"MANIFEST.json": manifest({"bogus": 1})}, "unknown tag 'bogus'"),
        ({"MANIFEST.json": manifest([1, 2])}, "untagged list"),
        ({"MANIFEST.json": manifest(TENSOR)}, "missing tensor file tensors/0.npy"),
        (
            {"MANIFEST.json": manifest(TENSOR), "tensors/0.npy": npy_bytes(np.zeros(3, "float32"))},
            "holding float32 \\[3\\] where the manifest says float32 \\[2\\]",
        ),
        (
            {"MANIFEST.json": manifest(TENSOR), "tensors/0.npy": b"\x93NUMPY garbage"},
            "unreadable tensor file",
        ),
    ],
)
def test_malformed_checkpoints_raise_checkpoint_error(tmp_path, entries, message):
    path = tmp_path / "bad.ckpt"
    write_zip(path, entries)
    with pytest.raises(CheckpointError, match=message) as info:
        minigrad.load(path)
    assert str(path) in str(info.value)


class _Payload:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_payload_is_never_unpickled(tmp_path):
    marker = str(tmp_path / "pwned")
    evil = np.array([_Payload(marker)], dtype=object)
    meta = dict(TENSOR, shape=[1])
    path = tmp_path / "evil.ckpt"
    write_zip(
        path, {"MANIFEST.json": manifest(meta), "tensors/0.npy": npy_bytes(evil, allow_pickle=True)}
    )
    with pytest.raises(CheckpointError, match="unreadable tensor file"):
        minigrad.load(path)
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(CheckpointError, match="not a minigrad checkpoint"):
        minigrad.load(tmp_path / "evil.pkl")
    assert not os.path.exists(marker)


def test_truncated_and_corrupted_files_raise_checkpoint_error(tmp_path):
    good = tmp_path / "good.ckpt"
    minigrad.save({"w": minigrad.randn(64), "step": 3}, good)
    data = good.read_bytes()
    for cut in (0, 10, len(data) // 2, len(data) - 1):
        (tmp_path / "cut").write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated or corrupt"):
            minigrad.load(tmp_path / "cut")
    flipped = bytearray(data)
    flipped[data.index(b"NUMPY") + 140] ^= 0xFF  # inside the tensor's values
    (tmp_path / "flip").write_bytes(bytes(flipped))
    with pytest.raises(CheckpointError, match="Bad CRC-32"):
        minigrad.load(tmp_path / "flip")
    (tmp_path / "noise").write_bytes(os.urandom(256))
    with pytest.raises(CheckpointError):
        minigrad.load(tmp_path / "noise")
    with pytest.raises(FileNotFoundError):
        minigrad.load(tmp_path / "missing")


def test_a_torch_checkpoint_is_refused(tmp_path):
    torch = import_torch()
    torch.save({"w": torch.ones(2)}, tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match="torch.save"):
        minigrad.load(tmp_path / "t.pt")
