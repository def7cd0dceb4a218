"""Devices: parsing and comparing them, errors that name both devices when tensors are mixed,
and a clear message when "cuda" is asked for without CuPy or without a GPU.

The "cuda"-without-CuPy cases simulate the missing pieces (a ``None`` entry in ``sys.modules``
makes ``import cupy`` fail; a stand-in module reports no GPU), so they run, and mean the same,
on machines with and without a GPU.
"""

from __future__ import annotations

import copy
import pickle
import sys
import types

import numpy as np
import pytest

import minigrad
import minigrad.backend as backend
import minigrad.nn.functional as F
from minigrad import DeviceError


@pytest.fixture
def cuda_forgotten(monkeypatch):
    """Forget any loaded CUDA backend for one test; the registries are restored afterwards."""
    saved = dict(backend._BACKENDS), dict(backend._DEVICES)
    backend._BACKENDS.pop("cuda", None)
    for key in [k for k in backend._DEVICES if k.startswith("cuda")]:
        del backend._DEVICES[key]
    yield monkeypatch
    for registry, before in zip((backend._BACKENDS, backend._DEVICES), saved):
        registry.clear()
        registry.update(before)


def _fake_cupy(device_count):
    """A module that looks like CuPy to the loader but has no usable GPU."""

    def get_device_count():
        if isinstance(device_count, Exception):
            raise device_count
        return device_count

    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime))


def _numpy_as_cupy():
    """A stand-in for the ``cupy`` and ``cupyx.scipy.special`` modules made of NumPy, offering
    the CuPy calls the CUDA backend makes, with CuPy's signatures (see CuPy's API reference)."""
    cupy = types.ModuleType("cupy")
    cupy.__dict__.update({k: getattr(np, k) for k in dir(np) if not k.startswith("_")})
    cupy.asnumpy = np.array
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

    class RandomState:  # cupy.random.RandomState: draws take size and dtype
        def __init__(self, seed):
            self._gen = np.random.default_rng(seed)  # the CPU backend's generator

        def random_sample(self, size, dtype):
            return self._gen.random(size, dtype=dtype)

        def standard_normal(self, size, dtype):
            return self._gen.standard_normal(size, dtype=dtype)

        def randint(self, low, high, size, dtype):
            return self._gen.integers(low, high, size, dtype=dtype)

    cupy.random = types.SimpleNamespace(RandomState=RandomState)
    special = types.SimpleNamespace(erf=minigrad.device("cpu").backend.erf)
    cupyx = types.SimpleNamespace(scipy=types.SimpleNamespace(special=special))
    modules = {"cupy": cupy, "cupyx": cupyx, "cupyx.scipy": cupyx.scipy}
    return {**modules, "cupyx.scipy.special": special}


# ---- parsing and comparing -------------------------------------------------------------------
def test_device_objects_are_shared_and_compare_by_name():
    cpu = minigrad.device("cpu")
    assert cpu is minigrad.device("cpu") is minigrad.device(cpu) is minigrad.zeros(1).device
    assert cpu == "cpu" and cpu != "strict" and cpu == minigrad.device("cpu")
    assert str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    assert {cpu: 1}[minigrad.device("cpu")] == 1 and cpu != 3
    strict = minigrad.device("strict")
    assert strict.type == "strict" and strict.index is None and strict != cpu
    assert copy.deepcopy(strict) is strict and pickle.loads(pickle.dumps(cpu)) is cpu


def test_comparing_with_a_device_that_cannot_exist_is_false(cuda_forgotten):
    cuda_forgotten.setitem(sys.modules, "cupy", None)
    x = minigrad.zeros(2)
    assert x.device != "cuda" and not (x.device == "cuda:0") and x.device != "tpu"
    assert not x.is_cuda


@pytest.mark.parametrize(
    "spec, words",
    [
        ("tpu", ["unknown device type 'tpu'", "'cpu' or 'cuda'"]),
        ("cpu:0", ["device 'cpu:0'", "only cuda devices take an index"]),
        (3, ["expected a device such as 'cpu' or 'cuda', got 3"]),
    ],
)
def test_bad_device_specs_are_refused_clearly(spec, words):
    with pytest.raises(DeviceError) as info:
        minigrad.zeros(2, device=spec)
    for w in words:
        assert w in str(info.value)


# ---- mixing devices --------------------------------------------------------------------------
MIXED = [
    ("add", lambda a, b: a + b),
    ("mul reflected", lambda a, b: b * a),
    ("matmul", lambda a, b: a @ b),
    ("cat", lambda a, b: minigrad.cat([a, b])),
    ("where", lambda a, b: minigrad.where(a > 0, a, b)),
    ("maximum", lambda a, b: a.maximum(b)),
    ("compare", lambda a, b: a < b),
    ("logical", lambda a, b: (a > 0).logical_and(b > 0)),
    ("floordiv", lambda a, b: a // b),
    ("equal", lambda a, b: a.equal(b)),
    ("allclose", lambda a, b: a.allclose(b)),
]


@pytest.mark.parametrize("op", [pytest.param(f, id=i) for i, f in MIXED])
def test_mixing_devices_in_one_op_names_both(op):
    a = minigrad.ones(3, device="cpu")
    b = minigrad.ones(3, device="strict")
    for x, y in ((a, b), (b, a)):
        with pytest.raises(DeviceError) as info:
            op(x, y)
        message = str(info.value)
        assert "cpu" in message and "strict" in message and "same device" in message


def test_indices_on_another_device_are_refused_unless_on_the_cpu():
    x = minigrad.arange(6, device="cpu").float()
    with pytest.raises(DeviceError, match="indices should be either on cpu or on the same device"):
        x[minigrad.tensor([1, 2], device="strict")]
    y = minigrad.arange(6, device="strict").float()
    assert y[minigrad.tensor([1, 2])].tolist() == [1.0, 2.0]  # a CPU index is moved, as in PyTorch


def test_setitem_and_copy_take_values_from_another_device():
    """As in PyTorch, assignment copies across devices (and stays differentiable)."""
    x = minigrad.zeros(4, device="strict")
    v = minigrad.tensor([1.0, 2.0], requires_grad=True)
    x[1:3] = v
    y = minigrad.zeros(4, device="strict").copy_(x.cpu() * 2)
    assert y.device == "strict" and y.tolist() == [0.0, 2.0, 4.0, 0.0]
    y.sum().backward()
    assert v.grad.device == "cpu" and v.grad.tolist() == [2.0, 2.0]


# ---- asking for CUDA where it cannot work ------------------------------------------------------
def _cuda_attempts():
    x = minigrad.ones(2)
    return [
        lambda: minigrad.zeros(2, device="cuda"),
        lambda: minigrad.tensor([1.0], device="cuda:0"),
        lambda: x.cuda(),
        lambda: x.to("cuda"),
        lambda: minigrad.cuda.synchronize(),
    ]


def _calls_safe_without_a_gpu():
    """The calls PyTorch documents as safe (doing nothing) where CUDA is not available."""
    cuda = minigrad.cuda
    return [
        lambda: cuda.manual_seed(0),
        lambda: cuda.manual_seed_all(0),
        cuda.seed,
        cuda.seed_all,
        cuda.empty_cache,
    ]


def test_cuda_without_cupy_says_what_to_install(cuda_forgotten):
    cuda_forgotten.setitem(sys.modules, "cupy", None)  # `import cupy` now raises ImportError
    assert minigrad.cuda.is_available() is False and minigrad.cuda.device_count() == 0
    assert minigrad.cuda.is_initialized() is False
    before = minigrad.get_rng_state()
    for call in _calls_safe_without_a_gpu():
        assert call() is None
    assert minigrad.get_rng_state() == before  # the CPU generator was left alone
    for attempt in _cuda_attempts():
        with pytest.raises(DeviceError) as info:
            attempt()
        message = str(info.value)
        assert "needs CuPy, which is not installed" in message
        assert 'pip install -e ".[gpu]"' in message and "cupy-cuda12x" in message
        assert "cupy-cuda13x" in message


@pytest.mark.parametrize(
    "runtime, words",
    [
        (
            RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"),
            "no CUDA GPU is usable",
        ),
        (0, "no CUDA GPU was found"),
    ],
)
def test_cuda_with_cupy_but_no_gpu_says_the_gpu_is_missing(cuda_forgotten, runtime, words):
    cuda_forgotten.setitem(sys.modules, "cupy", _fake_cupy(runtime))
    assert minigrad.cuda.is_available() is False
    for call in _calls_safe_without_a_gpu():
        assert call() is None
    for attempt in _cuda_attempts():
        with pytest.raises(DeviceError) as info:
            attempt()
        assert "CuPy is installed but" in str(info.value) and words in str(info.value)


def test_a_second_gpu_is_refused_clearly():
    with pytest.raises(DeviceError, match="runs on one GPU.*CUDA_VISIBLE_DEVICES"):
        minigrad.zeros(2, device="cuda:1")


# ---- on a GPU ------------------------------------------------------------------------------
def test_cuda_device_when_available(cuda):
    """Runs where CuPy sees a GPU (the fixture skips it elsewhere, saying what is missing)."""
    assert minigrad.cuda.is_available() and minigrad.cuda.device_count() >= 1
    x = minigrad.tensor([1.0, 2.0]).cuda()
    assert x.is_cuda and x.device == "cuda" and x.device == "cuda:0"
    assert x.device is minigrad.device("cuda") is minigrad.device("cuda:0")
    assert str(x.device) == "cuda:0" and repr(x.device) == "device(type='cuda', index=0)"
    assert isinstance(x.numpy(), np.ndarray) and (x * 2).cpu().tolist() == [2.0, 4.0]
    minigrad.cuda.manual_seed(3)
    first = minigrad.randn(5, device="cuda").tolist()
    minigrad.manual_seed(3)  # seeds every backend in use, the GPU's included
    assert minigrad.randn(5, device="cuda").tolist() == first
    with pytest.raises(DeviceError, match="reseed instead"):
        minigrad.device("cuda").backend.get_rng_state()


def test_cuda_backend_runs_a_training_step_on_a_numpy_stand_in_for_cupy(cuda_forgotten):
    """The CUDA backend's own code (loading, scatter-add, erf, random draws, host copies) runs
    in CI against NumPy dressed as CuPy. Its generator is the CPU's, so the draws match; its
    float32 sums accumulate in float64 (the base backend's), the CPU's in its own order, so
    results agree to float32 rounding."""
    for name, module in _numpy_as_cupy().items():
        cuda_forgotten.setitem(sys.modules, name, module)
    assert minigrad.cuda.is_available() and minigrad.cuda.device_count() == 1

    def step(device):
        minigrad.manual_seed(1)
        idx = minigrad.randint(0, 7, (2, 5), device=device)
        emb = minigrad.randn(7, 6, device=device, requires_grad=True)
        h = F.dropout(F.gelu(F.embedding(idx, emb)), 0.2) + minigrad.rand(6, device=device)
        loss = F.cross_entropy(h.flatten(0, 1) @ emb.T, idx.flatten())
        loss.backward()
        return loss.item(), emb.grad.cpu().numpy(), idx.device

    loss, grad, where = step("cuda")
    expected_loss, expected_grad, _ = step("cpu")
    assert where == "cuda:0" and minigrad.device("cuda") is minigrad.device("cuda:0")
    assert loss == pytest.approx(expected_loss, rel=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6, atol=1e-7)
