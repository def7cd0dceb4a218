"""PyTorch names that teaching code uses: formatting, ``type``, the small dtypes and their
promotion, legacy constructors, ``inference_mode``, ``pow`` with a number base and the
``__torch_function__`` protocol; each compared with PyTorch where it is installed."""

import itertools

import numpy as np
import pytest
from torch_support import import_torch

import minigrad

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _name(dtype) -> str:
    return str(dtype).split(".")[-1]


@pytest.mark.torch
@pytest.mark.parametrize("a, b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promotion_of_every_dtype_pair_matches_pytorch(a, b):
    torch = import_torch()

    def program(lib):
        x = lib.tensor([1, 0], dtype=getattr(lib, a))
        y = lib.tensor([1, 1], dtype=getattr(lib, b))
        zero_d = lib.tensor(1, dtype=getattr(lib, b))
        return [
            _name(d) for d in ((x + y).dtype, (x * 2).dtype, (y + 2.5).dtype, (x + zero_d).dtype)
        ]

    assert program(minigrad) == program(torch)


@pytest.mark.torch
def test_uint8_arithmetic_wraps_and_masks_index_as_pytorch():
    torch = import_torch()

    def program(lib):
        t = lib.tensor([250, 3, 7], dtype=lib.uint8)
        x = lib.tensor([1.0, 2.0, 3.0])
        mask = lib.tensor([1, 0, 1], dtype=lib.uint8)
        return [
            (t + 10).tolist(),
            _name((t + 10).dtype),
            (t.sum()).item(),
            _name(t.sum().dtype),
            x[mask.bool()].tolist(),
            _name(t.float().dtype),
            _name(x.byte().dtype),
            _name(x.int().dtype),
            _name(x.half().dtype),
            _name(x.short().dtype),
            _name(x.char().dtype),
        ]

    assert program(minigrad) == program(torch)


@pytest.mark.torch
def test_format_type_and_legacy_constructors_match_pytorch():
    torch = import_torch()

    def program(lib):
        loss = lib.tensor(1.23456)
        mask = lib.triu(lib.ones((1, 3, 3)), diagonal=1).type(lib.uint8) == 0
        return [
            f"{loss:.4f} {lib.tensor(2.5):>7f} {lib.tensor(3):d} {lib.tensor(True)}",
            mask.tolist(),
            _name(lib.tensor([True, False]).type(lib.float).dtype),
            _name(lib.tensor([1]).type(lib.DoubleTensor).dtype),
            lib.tensor([1.5]).type().split(".")[-1],
            lib.tensor([1], dtype=lib.uint8).type().split(".")[-1],
            lib.LongTensor([[0, 1, 2]]).tolist(),
            _name(lib.LongTensor([[0, 1, 2]]).dtype),
            _name(lib.FloatTensor([0, 0.5]).dtype),
            list(lib.FloatTensor(2, 3).shape),
            _name(lib.ByteTensor([1, 2]).dtype),
            _name(lib.BoolTensor([True]).dtype),
            _name(lib.IntTensor([1]).dtype),
            _name(lib.DoubleTensor([1]).dtype),
            isinstance(lib.zeros(2), lib.FloatTensor),
            isinstance(lib.zeros(2), lib.LongTensor),
        ]

    assert program(minigrad) == program(torch)


def test_format_of_a_tensor_with_elements_needs_an_empty_spec():
    t = minigrad.tensor([1.0, 2.0])
    assert f"{t}" == str(t)
    with pytest.raises(TypeError):
        f"{t:.2f}"
    assert minigrad.tensor([1.5]).type() == "minigrad.FloatTensor"
    with pytest.raises(minigrad.DTypeError, match="invalid type"):
        t.type("torch.NoSuchTensor")


@pytest.mark.torch
def test_inference_mode_as_context_and_decorator_matches_pytorch():
    torch = import_torch()

    def program(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.inference_mode():
            inside = (x * 2).requires_grad, lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            disabled = (x * 2).requires_grad

        @lib.inference_mode()
        def called():
            return (x * 2).requires_grad

        @lib.inference_mode
        def bare():
            return (x * 2).requires_grad

        return [inside, disabled, called(), bare(), (x * 2).requires_grad]

    assert program(minigrad) == program(torch)


@pytest.mark.torch
def test_pow_with_a_number_base_matches_pytorch():
    torch = import_torch()
    values = np.array([0.5, -1.0, 2.0])
    got = minigrad.tensor(values, requires_grad=True)
    want = torch.tensor(values, requires_grad=True)
    out, ref = minigrad.pow(2.0, got), torch.pow(2.0, want)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-15)


@pytest.mark.torch
def test_torch_function_protocol_of_tensor_like_types():
    """The notes' ScalarTensor: a type that is not a tensor handles the module functions."""
    torch = import_torch()
    calls = []

    class ScalarTensor:
        def __init__(self, n, value):
            self.n, self.value = n, value

        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            calls.append(func.__name__)
            if func.__name__ != "mean":
                return NotImplemented
            return float(args[0].value) / args[0].n

    assert minigrad.mean(ScalarTensor(5, 2)) == torch.mean(ScalarTensor(5, 2)) == 0.4
    assert calls == ["mean", "mean"]


@pytest.mark.torch
def test_in_place_scatter_and_index_fill_match_pytorch():
    torch = import_torch()
    rng = np.random.default_rng(1)
    base, src = rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    index = np.array([[2, 0, 1, 2], [0, 1, 2, 1]])

    def program(lib):
        x = lib.tensor(base, requires_grad=True)
        s = lib.tensor(src, requires_grad=True)
        y = x * 1
        y.scatter_(0, lib.tensor(index[:1]), s[:1])
        y.scatter_add_(0, lib.tensor(index), s)
        y.index_fill_(1, lib.tensor([3]), -1.0)
        (y * y).sum().backward()
        return [y.detach().numpy(), x.grad.numpy(), s.grad.numpy()]

    for got, want in zip(program(minigrad), program(torch)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


ERRORS = [
    # (program, minigrad's error class, words its message holds)
    (
        lambda lib: lib.zeros(2, 3).scatter(1, lib.tensor([[0.5]]), 1.0),
        minigrad.DTypeError,
        "scatter.*int64 for index",
    ),
    (
        lambda lib: lib.zeros(2, 3).scatter(1, lib.tensor([[3]]), 1.0),
        minigrad.IndexOutOfRange,
        "index 3 is out of bounds for dimension 1 with size 3",
    ),
    (
        lambda lib: lib.zeros(2, 3).scatter(1, lib.tensor([0]), 1.0),
        minigrad.ShapeError,
        r"same number of dimensions.*index \[1\], self \[2, 3\]",
    ),
    (
        lambda lib: lib.zeros(2, 3).scatter(0, lib.tensor([[0, 1, 0, 1]]), lib.zeros(1, 4)),
        minigrad.ShapeError,
        r"Expected index \[1, 4\] to be smaller than self \[2, 3\]",
    ),
    (
        lambda lib: lib.zeros(2, 3).scatter_add(0, lib.tensor([[0]]), lib.zeros(1, 1).double()),
        minigrad.DTypeError,
        "self.dtype to be equal to src.dtype",
    ),
    (
        lambda lib: lib.zeros(2, 3).index_fill(1, lib.tensor([[0]]), 1.0),
        minigrad.ShapeError,
        "Index is supposed to be a vector",
    ),
    (
        lambda lib: lib.zeros(2, 3).roll((1, 2), 0),
        minigrad.ArgumentError,
        "shifts and dimensions must align",
    ),
    (lambda lib: lib.zeros(2, 3).roll(1, 2), minigrad.DimError, "roll"),
    (
        lambda lib: lib.zeros(2, 3).mm(lib.zeros(2)),
        minigrad.ShapeError,
        r"mm: .*\[2, 3\] and \[2\]",
    ),
]


@pytest.mark.torch
@pytest.mark.parametrize("program, error, words", ERRORS)
def test_bad_arguments_raise_clear_errors_where_pytorch_raises(program, error, words):
    torch = import_torch()
    with pytest.raises(error, match=words):
        program(minigrad)
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)):
        program(torch)
