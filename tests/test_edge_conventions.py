"""PyTorch's conventions at the edges, row by row: values and gradients in float32 and float64.

Each row is an op at a point where the math leaves a choice: a kink (abs, relu, clamp at its
bounds), a tie (max, amax, sort, maximum), a special value (0 for ``x ** 0`` and norms, NaN,
inf), a degenerate input (the std of constant values, empty tensors). PyTorch's choice is the
reference: the row runs on both libraries from the same inputs, then values and input gradients
must agree, NaN and inf positions included. Where PyTorch raises, minigrad must raise a
``MinigradError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fuzz_programs import compare_arrays
from torch_support import import_torch

import minigrad
from minigrad.errors import MinigradError

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::RuntimeWarning")]

INF, NAN = float("inf"), float("nan")


@dataclass(frozen=True)
class Edge:
    """``fn(lib, *leaves)`` on leaves made from ``inputs``; ``lib`` is torch or minigrad."""

    name: str
    fn: Callable[..., Any]
    inputs: tuple
    grad: bool = True

    def __str__(self) -> str:
        return self.name


def F(lib):
    return lib.nn.functional


def _zero_then_scale(lib, x):
    """zero_() on a recorded tensor, then a use whose gradient is infinite."""
    y = x * 1.0
    y.zero_()
    return (y + 1.0) * INF


def _fill_then_scale(lib, x):
    y = x.exp()
    y.fill_(2.0)
    return y * INF


EDGES = [
    # powers and roots at 0
    Edge("x ** 0 at 0", lambda lib, x: x**0, ([0.0, 1.0, -2.0],)),
    Edge("x ** 2 at 0", lambda lib, x: x**2, ([0.0, -0.0, 3.0],)),
    Edge("x ** 0.5 at 0", lambda lib, x: x**0.5, ([0.0, 4.0],)),
    Edge("x ** 1 at 0", lambda lib, x: x**1, ([0.0, -1.0],)),
    Edge("sqrt at 0", lambda lib, x: x.sqrt(), ([0.0, 1.0],)),
    Edge("rsqrt at 0", lambda lib, x: x.rsqrt(), ([0.0, -0.0, 1.0],)),
    # a number exponent of +-0.5 is sqrt / rsqrt in PyTorch (NaN at -inf); a tensor's is pow
    Edge("x ** 0.5 at -inf", lambda lib, x: x**0.5, ([-INF, INF, 4.0],)),
    Edge("x ** -0.5 at -inf and -0", lambda lib, x: x**-0.5, ([-INF, -0.0, 4.0],)),
    Edge(
        "pow by a 0-d tensor 0.5 at -inf",
        lambda lib, x: x.pow(lib.tensor(0.5, dtype=x.dtype)),
        ([-INF, -0.0, 4.0],),
    ),
    Edge(
        "pow by a broadcast exponent at -inf",
        lambda lib, x, y: x.pow(y),
        ([[-INF, -INF], [-0.0, 9.0]], [[0.5], [-0.5]]),
    ),
    Edge(
        "pow's exponent gradient at base 0 under an inf gradient",
        lambda lib, x, y: x.pow(y) * INF,
        ([0.0, 2.0], [1.0, 0.5]),
    ),
    # norms at zero
    Edge("norm() of zeros", lambda lib, x: x.norm(), ([0.0, 0.0, 0.0],)),
    Edge("norm(dim) with a zero row", lambda lib, x: x.norm(dim=1), ([[0.0, 0.0], [3.0, 4.0]],)),
    Edge("norm(p=1) at 0", lambda lib, x: x.norm(p=1), ([0.0, 2.0, -1.0],)),
    Edge("norm(p=inf) with ties", lambda lib, x: x.norm(p=INF), ([3.0, -3.0, 1.0],)),
    Edge("norm(p=3) at 0", lambda lib, x: x.norm(p=3), ([0.0, 0.0],)),
    Edge("norm(p=1.5) with a zero", lambda lib, x: x.norm(p=1.5), ([0.0, 2.0, -1.0],)),
    Edge("norm(p=0.5) with a zero", lambda lib, x: x.norm(p=0.5), ([0.0, 2.0, -1.0],)),
    Edge(
        "norm(dim) of a zero row under a NaN gradient",
        lambda lib, x: x.norm(dim=1) * lib.tensor([NAN, 1.0], dtype=x.dtype),
        ([[0.0, 0.0], [3.0, 4.0]],),
    ),
    # kinks
    Edge("abs at 0", lambda lib, x: x.abs(), ([0.0, -0.0, 2.0, -2.0],)),
    Edge("relu at 0", lambda lib, x: x.relu(), ([0.0, -0.0, 1.0, -1.0],)),
    Edge("relu at nan", lambda lib, x: x.relu(), ([NAN, 1.0],)),
    Edge("clamp at its bounds", lambda lib, x: x.clamp(0.0, 1.0), ([0.0, 1.0, 0.5, 2.0, -1.0],)),
    Edge("clamp at nan", lambda lib, x: x.clamp(0.0, 1.0), ([NAN, 0.5],)),
    Edge("clamp(min) only", lambda lib, x: x.clamp(min=0.0), ([0.0, -1.0, 1.0],)),
    Edge("sign at 0 and nan", lambda lib, x: x.sign(), ([0.0, -0.0, NAN, -3.0, INF],)),
    # ties
    Edge("max() with ties", lambda lib, x: x.max(), ([1.0, 3.0, 3.0],)),
    Edge("min() with ties", lambda lib, x: x.min(), ([1.0, 1.0, 3.0],)),
    Edge(
        "amax(dim) with ties", lambda lib, x: x.amax(dim=1), ([[2.0, 2.0, 1.0], [0.0, 5.0, 5.0]],)
    ),
    Edge("amin over all dims with ties", lambda lib, x: x.amin(), ([[1.0, 1.0], [1.0, 2.0]],)),
    Edge(
        "max(dim) with ties", lambda lib, x: x.max(dim=1)[0], ([[2.0, 2.0, 1.0], [5.0, 0.0, 5.0]],)
    ),
    Edge(
        "max(dim) indices with ties",
        lambda lib, x: x.max(dim=1)[1],
        ([[2.0, 2.0], [1.0, 1.0]],),
        False,
    ),
    Edge("min(dim) with ties", lambda lib, x: x.min(dim=0)[0], ([[1.0, 2.0], [1.0, 0.0]],)),
    Edge(
        "sort with ties",
        lambda lib, x: x.sort()[0] * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=x.dtype),
        ([2.0, 1.0, 2.0, 1.0],),
    ),
    Edge(
        "sort descending with ties",
        lambda lib, x: x.sort(descending=True)[1],
        ([2.0, 1.0, 2.0, 1.0],),
        False,
    ),
    Edge("maximum ties", lambda lib, x, y: lib.maximum(x, y), ([1.0, 2.0, 3.0], [1.0, 0.0, 3.0])),
    Edge("minimum ties", lambda lib, x, y: lib.minimum(x, y), ([1.0, 2.0], [1.0, 5.0])),
    Edge("maximum with nan", lambda lib, x, y: lib.maximum(x, y), ([NAN, 1.0], [0.0, NAN])),
    Edge("max() with nan", lambda lib, x: x.max(), ([1.0, NAN, 3.0],)),
    Edge("max() under a NaN gradient", lambda lib, x: x.max() * NAN, ([1.0, 3.0, 2.0],)),
    Edge("amax() under a NaN gradient", lambda lib, x: x.amax() * NAN, ([1.0, 3.0, 2.0],)),
    Edge("amax(dim) under an inf gradient", lambda lib, x: x.amax(1) * INF, ([[1.0, 3.0, 2.0]],)),
    # degenerate statistics
    Edge("std of constant values", lambda lib, x: x.std(), ([2.0, 2.0, 2.0],)),
    Edge("std(dim) of constant rows", lambda lib, x: x.std(dim=1), ([[1.0, 1.0], [1.0, 3.0]],)),
    Edge("var of constant values", lambda lib, x: x.var(), ([5.0, 5.0],)),
    Edge("std of one value", lambda lib, x: x.std(), ([2.0],)),
    Edge(
        "layer_norm of a constant row",
        lambda lib, x: F(lib).layer_norm(x, (3,)),
        ([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]],),
    ),
    # empty tensors
    Edge("sum of empty", lambda lib, x: x.sum(), (np.zeros(0),)),
    Edge("mean of empty", lambda lib, x: x.mean(), (np.zeros((0, 3)),)),
    Edge("mean over an empty dim", lambda lib, x: x.mean(dim=0), (np.zeros((0, 3)),)),
    Edge("amax(dim) of empty rows", lambda lib, x: x.amax(dim=1), (np.zeros((0, 3)),)),
    Edge("amax() of empty", lambda lib, x: x.amax(), (np.zeros((0, 3)),)),
    Edge("max(dim) of empty rows", lambda lib, x: x.max(dim=1)[0], (np.zeros((0, 3)),)),
    Edge("max(dim) over an empty dim", lambda lib, x: x.max(dim=0)[0], (np.zeros((0, 3)),)),
    Edge("logsumexp over an empty dim", lambda lib, x: x.logsumexp(dim=0), (np.zeros((0, 3)),)),
    Edge("softmax over an empty dim", lambda lib, x: x.softmax(-1), (np.zeros((3, 0)),)),
    Edge("softmax of empty rows", lambda lib, x: x.softmax(0), (np.zeros((3, 0)),)),
    Edge("log_softmax over an empty dim", lambda lib, x: x.log_softmax(-1), (np.zeros((2, 0)),)),
    Edge(
        "cross_entropy of an empty batch",
        lambda lib, x: F(lib).cross_entropy(x, lib.zeros(0, dtype=lib.int64)),
        (np.zeros((0, 3)),),
    ),
    Edge(
        "cross_entropy with label smoothing over no classes (eps / C = inf)",
        lambda lib, x: F(lib).cross_entropy(
            x, lib.zeros(0, dtype=lib.int64), reduction="sum", label_smoothing=0.1
        ),
        (np.zeros((0, 0)),),
    ),
    Edge(
        "cross_entropy of ignored targets over no classes",
        lambda lib, x: F(lib).cross_entropy(x, lib.tensor([-100, -100]), reduction="none"),
        (np.zeros((2, 0)),),
    ),
    Edge("split of an empty dim", lambda lib, x: x.split(2, dim=0)[0], (np.zeros((0, 3)),)),
    Edge("norm of empty", lambda lib, x: x.norm(), (np.zeros((2, 0)),)),
    Edge("cumsum of empty", lambda lib, x: x.cumsum(0), (np.zeros(0),)),
    Edge(
        "matmul with an empty inner dim",
        lambda lib, x, y: x @ y,
        (np.zeros((2, 0)), np.zeros((0, 3))),
    ),
    Edge(
        "layer_norm of empty rows", lambda lib, x: F(lib).layer_norm(x, (3,)), (np.zeros((0, 3)),)
    ),
    # 0-d tensors
    Edge("flip of 0-d", lambda lib, x: x.flip(0), (2.0,)),
    Edge("softmax of 0-d", lambda lib, x: x.softmax(0), (2.0,)),
    Edge(
        "layer_norm with normalized_shape ()",
        lambda lib, x: F(lib).layer_norm(x, ()),
        ([1.0, 2.0],),
    ),
    Edge("split of 0-d", lambda lib, x: x.split(1)[0], (2.0,)),
    # NaN and inf in forward and backward
    Edge("exp at inf", lambda lib, x: x.exp(), ([INF, -INF, 0.0],)),
    Edge("log at 0", lambda lib, x: x.log(), ([0.0, -1.0, INF],)),
    Edge("tanh at inf", lambda lib, x: x.tanh(), ([INF, -INF, NAN],)),
    Edge("sigmoid at inf", lambda lib, x: x.sigmoid(), ([INF, -INF],)),
    Edge("inf times 0", lambda lib, x, y: x * y, ([INF, 0.0], [0.0, INF])),
    Edge("softmax with inf", lambda lib, x: x.softmax(-1), ([[INF, 1.0], [-INF, 1.0]],)),
    Edge(
        "softmax of a fully masked row",
        lambda lib, x: x.masked_fill(lib.tensor([[True, True], [False, True]]), -INF).softmax(-1),
        ([[1.0, 2.0], [3.0, 4.0]],),
    ),
    Edge("log_softmax with -inf", lambda lib, x: x.log_softmax(-1), ([[-INF, 1.0, 2.0]],)),
    Edge(
        "cross_entropy with a -inf logit",
        lambda lib, x: F(lib).cross_entropy(x, lib.tensor([1, 0])),
        ([[0.0, -INF], [1.0, 2.0]],),
    ),
    Edge(
        "where with nan in the other branch",
        lambda lib, x: lib.where(x > 0, x, x.log()),
        ([1.0, -1.0],),
    ),
    Edge(
        "masked_fill over inf",
        lambda lib, x: (x * INF).masked_fill(lib.tensor([True, False]), 0.0),
        ([1.0, 2.0],),
    ),
    Edge("gelu at inf", lambda lib, x: F(lib).gelu(x), ([INF, -INF, 0.0],)),
    Edge(
        "gelu tanh at inf", lambda lib, x: F(lib).gelu(x, approximate="tanh"), ([INF, -INF, 0.0],)
    ),
    Edge(
        "matmul with inf, zero cotangent rows",
        lambda lib, x, y: (x @ y)[0],
        ([[1.0, 2.0], [3.0, 4.0]], [[INF, 1.0], [0.0, 1.0]]),
    ),
    Edge(
        "matrix-vector with inf",
        lambda lib, x, y: (x @ y)[0],
        ([[1.0, 2.0], [3.0, 4.0]], [INF, 1.0]),
    ),
    Edge("silu under an inf gradient", lambda lib, x: F(lib).silu(x) * INF, ([-1.0, -0.0, 2.0],)),
    Edge("silu at inf and far below 0", lambda lib, x: F(lib).silu(x), ([-INF, -800.0, INF],)),
    Edge("zero_ does not multiply", _zero_then_scale, ([1.0, 2.0],)),
    Edge("fill_ does not multiply", _fill_then_scale, ([1.0, INF],)),
    Edge("division by zero", lambda lib, x, y: x / y, ([1.0, 0.0, -1.0], [0.0, 0.0, 0.0])),
]


def _run(lib, edge: Edge, dtype):
    """(value, gradients) of ``edge`` on ``lib``, or the exception it raised."""
    lib_dtype = lib.float32 if dtype == np.float32 else lib.float64
    leaves = [
        lib.tensor(np.asarray(a, dtype=dtype), dtype=lib_dtype, requires_grad=edge.grad)
        for a in edge.inputs
    ]
    try:
        out = edge.fn(lib, *leaves)
        value = out.detach().numpy()
        grads = None
        if edge.grad and out.requires_grad:
            # a cotangent with distinct entries, so that misrouted gradients show
            cot = np.arange(1, out.numel() + 1, dtype=dtype).reshape(tuple(out.shape))
            out.backward(lib.tensor(cot, dtype=lib_dtype))
            grads = [None if t.grad is None else t.grad.numpy() for t in leaves]
    except Exception as exc:  # noqa: BLE001 - compared with PyTorch's behaviour
        return exc
    return value, grads


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("edge", EDGES, ids=str)
def test_edge_matches_pytorch(edge, dtype):
    torch = import_torch()
    expected = _run(torch, edge, dtype)
    got = _run(minigrad, edge, dtype)
    if isinstance(expected, Exception):
        assert isinstance(got, MinigradError), f"torch raised {expected!r}; minigrad gave {got!r}"
        return
    if isinstance(got, Exception):
        raise got
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    compare_arrays(f"{edge} value", got[0], expected[0], rtol=rtol, atol=rtol)
    if expected[1] is None:
        assert got[1] is None
        return
    for i, (g, want) in enumerate(zip(got[1], expected[1])):
        assert (g is None) == (want is None), f"gradient of input {i}: {g} vs {want}"
        if want is not None:
            compare_arrays(f"{edge} grad {i}", g, want, rtol=rtol, atol=rtol)
