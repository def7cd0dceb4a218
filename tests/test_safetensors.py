"""``minigrad.safetensors``: weights move between minigrad and PyTorch through safetensors files,
in one call each way, tied weights included; the files are the ones safetensors.torch writes."""

import numpy as np
import pytest
from torch_support import import_torch

import examples
import minigrad
from minigrad import nn
from minigrad.errors import ArgumentError, CheckpointError, DTypeError, StateDictError

st = pytest.importorskip("minigrad.safetensors")
safetensors = pytest.importorskip("safetensors")

OURS = examples.load("minigrad")


def batch(config, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, config.vocab_size, (4, config.block_size)), rng.integers(
        0, config.vocab_size, (4, config.block_size)
    )


def train(lib, model, steps):
    optimizer = model.configure_optimizers(0.1, 1e-2, (0.9, 0.95))
    for step in range(steps):
        idx, targets = batch(model.config, step)
        _, loss = model(lib.tensor(idx), lib.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def outputs(lib, model):
    """Logits and loss on a held-out batch, as NumPy."""
    idx, targets = batch(model.config, 99)
    model.eval()
    with lib.no_grad():
        logits, loss = model(lib.tensor(idx), lib.tensor(targets))
    return logits.numpy(), loss.item()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_trained_here_loads_into_pytorch_and_gives_the_same_outputs(tmp_path, dtype):
    torch = import_torch()
    import safetensors.torch

    minigrad.manual_seed(0)
    ours = OURS.GPT(OURS.GPTConfig()).to(getattr(minigrad, dtype))
    train(minigrad, ours, 3)
    st.save_model(ours, tmp_path / "gpt.safetensors")

    theirs_lib = examples.load("torch")
    torch.manual_seed(1)  # different initial weights: all must come from the file
    theirs = theirs_lib.GPT(theirs_lib.GPTConfig()).to(getattr(torch, dtype))
    missing, unexpected = safetensors.torch.load_model(theirs, tmp_path / "gpt.safetensors")
    assert not missing and not unexpected
    assert theirs.lm_head.weight is theirs.transformer.wte.weight  # still tied
    (our_logits, our_loss), (ref_logits, ref_loss) = outputs(minigrad, ours), outputs(torch, theirs)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert np.abs(our_logits - ref_logits).max() < tol and abs(our_loss - ref_loss) < tol
    for name, t in theirs.state_dict().items():
        assert t.dtype == getattr(torch, dtype), name


def test_trained_in_pytorch_loads_here_and_gives_the_same_outputs(tmp_path):
    torch = import_torch()
    import safetensors.torch

    theirs_lib = examples.load("torch")
    torch.manual_seed(0)
    theirs = theirs_lib.GPT(theirs_lib.GPTConfig())
    train(torch, theirs, 3)
    safetensors.torch.save_model(theirs, tmp_path / "gpt.safetensors")

    minigrad.manual_seed(5)
    ours = OURS.GPT(OURS.GPTConfig())
    missing, unexpected = st.load_model(ours, tmp_path / "gpt.safetensors")
    assert missing == [] and unexpected == []
    assert ours.lm_head.weight is ours.transformer.wte.weight
    (our_logits, our_loss), (ref_logits, ref_loss) = outputs(minigrad, ours), outputs(torch, theirs)
    assert np.abs(our_logits - ref_logits).max() < 1e-5 and abs(our_loss - ref_loss) < 1e-5
    # and it trains on from there, the loaded parameters being the model's own
    ours.train()
    train(minigrad, ours, 1)
    assert not np.allclose(outputs(minigrad, ours)[0], our_logits)


def test_save_model_writes_the_bytes_safetensors_torch_writes(tmp_path):
    torch = import_torch()
    import safetensors.torch

    theirs_lib = examples.load("torch")
    torch.manual_seed(0)
    theirs = theirs_lib.GPT(theirs_lib.GPTConfig())
    ours = OURS.GPT(OURS.GPTConfig())
    ours.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    safetensors.torch.save_model(theirs, tmp_path / "theirs.safetensors")
    st.save_model(ours, tmp_path / "ours.safetensors")
    ours_bytes = (tmp_path / "ours.safetensors").read_bytes()
    assert ours_bytes == (tmp_path / "theirs.safetensors").read_bytes()
    user = {"a": "b", "lm_head.weight": "mine"}
    st.save_model(ours, tmp_path / "meta.safetensors", metadata=user)
    assert user == {"a": "b", "lm_head.weight": "mine"}  # the caller's dict is left as it was
    with safetensors.safe_open(tmp_path / "meta.safetensors", framework="numpy") as f:
        assert f.metadata() == {**user, "transformer.wte.weight": "lm_head.weight"}


def test_save_file_and_load_file_round_trip_every_dtype_with_metadata(tmp_path):
    torch = import_torch()
    import safetensors.torch

    tensors = {
        "f32": minigrad.randn(3, 4),
        "f64": minigrad.randn(2, dtype=minigrad.float64),
        "i64": minigrad.arange(6).reshape(2, 3),
        "bool": minigrad.tensor([True, False]),
        "scalar": minigrad.tensor(2.5),
        "empty": minigrad.zeros(0, 3),
    }
    st.save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    back = st.load_file(tmp_path / "t.safetensors")
    ref = safetensors.torch.load_file(tmp_path / "t.safetensors")
    assert sorted(back) == sorted(ref) == sorted(tensors)
    for name, t in tensors.items():
        assert back[name].dtype is t.dtype and back[name].shape == t.shape, name
        np.testing.assert_array_equal(back[name].numpy(), t.numpy())
        np.testing.assert_array_equal(ref[name].numpy(), t.numpy())
    back["f32"].add_(1.0)  # loaded tensors own writable memory
    assert st.load(st.save(tensors))["i64"].tolist() == [[0, 1, 2], [3, 4, 5]]
    from_torch = st.load(safetensors.torch.save({"w": torch.ones(2, 2)}))
    assert from_torch["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_narrow_types_widen_and_bfloat16_is_refused_by_name(tmp_path):
    torch = import_torch()
    import safetensors.torch

    safetensors.torch.save_file(
        {"half": torch.ones(2, dtype=torch.float16), "byte": torch.ones(2, dtype=torch.uint8)},
        tmp_path / "narrow.safetensors",
    )
    back = st.load_file(tmp_path / "narrow.safetensors")
    assert back["half"].dtype is minigrad.float32 and back["byte"].dtype is minigrad.int64
    safetensors.torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.st")
    with pytest.raises(DTypeError, match=r"\['w'\] are stored as \['BF16'\]"):
        st.load_file(tmp_path / "bf.st")


def test_shared_and_non_contiguous_tensors_are_refused_like_safetensors_torch():
    w = minigrad.randn(3, 4)
    with pytest.raises(ArgumentError, match=r"share memory.*\[\['a', 'b'\]\].*save_model"):
        st.save({"a": w, "b": w.detach()})
    with pytest.raises(ArgumentError, match="non contiguous tensor: `t`"):
        st.save({"t": w.T})
    halves = w.reshape(12)
    st.save({"first": halves[:6], "second": halves[6:]})  # disjoint parts do not share
    with pytest.raises(DTypeError, match="expected a dict"):
        st.save([w])


def test_load_model_is_strict_about_keys_and_leaves_the_model_unchanged(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    before = [p.detach().numpy().copy() for p in model.parameters()]
    st.save_file({"0.weight": minigrad.ones(3, 2), "extra": minigrad.ones(1)}, tmp_path / "p.st")
    with pytest.raises(
        StateDictError, match=r'(?s)Missing key\(s\).*"0.bias".*Unexpected.*"extra"'
    ):
        st.load_model(model, tmp_path / "p.st")
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)
    missing, unexpected = st.load_model(model, tmp_path / "p.st", strict=False)
    assert missing == ["0.bias", "1.bias", "1.weight"] and unexpected == ["extra"]
    assert model[0].weight.tolist() == [[1.0, 1.0]] * 3


def test_a_file_that_is_not_safetensors_is_refused(tmp_path):
    (tmp_path / "junk").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        st.load_file(tmp_path / "junk")
    with pytest.raises(FileNotFoundError):
        st.load_file(tmp_path / "missing")
