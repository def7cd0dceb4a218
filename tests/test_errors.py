"""Bad inputs across the API: each raises one of minigrad's errors, with a message that teaches.

One row per mistake a learner makes. Each row says:

- ``call(m, F)``: the mistake, written once for both libraries (``m`` is ``minigrad`` or ``torch``,
  ``F`` its ``nn.functional``), since minigrad follows PyTorch's API;
- ``error``: the minigrad class it must raise, and ``builtin``: the built-in exception a PyTorch
  user would catch (``except RuntimeError``), which the error must also be an instance of;
- ``words``: what the message must contain: the op's name and the shapes, dtypes or devices.

The error must come from minigrad's own checks: one clean traceback, not a NumPy error re-raised
(its ``__context__`` is suppressed). When PyTorch is installed, the same call on torch must raise
too, of the same built-in class unless the row records where PyTorch differs.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import strict_backend

import minigrad
import minigrad.nn.functional as MF
from minigrad.errors import (
    ArgumentError,
    AutogradError,
    CheckpointError,
    DeviceError,
    DimError,
    DTypeError,
    IndexOutOfRange,
    MinigradError,
    ShapeError,
    StateDictError,
)

SAME = "same"  # torch raises the row's builtin class


@dataclass
class Row:
    id: str
    call: Callable[[Any, Any], Any]
    error: type
    builtin: type
    words: tuple[str, ...]
    torch: Any = SAME  # SAME, another builtin class torch raises instead, or a reason to skip


def row(id, call, error, builtin, words, torch=SAME) -> Row:
    return Row(id, call, error, builtin, tuple(words), torch)


# ---- calls that need more than one expression ------------------------------------------------
def backward_twice(m, F):
    y = m.randn(3, requires_grad=True).exp().sum()
    y.backward()
    y.backward()


def grad_of_unused(m, F):
    used, unused = m.randn(3, requires_grad=True), m.randn(3, requires_grad=True)
    m.autograd.grad((used * 2).sum(), [used, unused])


def set_requires_grad_on_result(m, F):
    y = m.randn(3, requires_grad=True) * 2
    y.requires_grad = False


def mixed_devices(m, F):
    strict_backend.register()
    return m.randn(3) + m.randn(3, device="strict")


def index_on_other_device(m, F):
    strict_backend.register()
    return m.randn(3)[m.tensor([0], device="strict")]


def read_only_array():
    array = np.arange(3.0)
    array.flags.writeable = False
    return array


def sdpa(mask):
    """Attention over (batch 1, 4 positions, 8 features) with ``mask(m)`` as attn_mask."""

    def call(m, F):
        q = m.randn(1, 4, 8)
        return F.scaled_dot_product_attention(q, q, q, attn_mask=mask(m))

    return call


def load_state_dict_with_every_problem(m, F):
    """Two keys missing, two unexpected, one of the wrong shape: all five must be listed."""
    model = m.nn.Sequential(m.nn.Linear(3, 2), m.nn.Linear(2, 2))
    state = {"0.weight": m.randn(3, 3), "0.bias": m.randn(2), "extra.a": m.ones(1)}
    model.load_state_dict({**state, "extra.b": m.ones(1)})


def load_file(content: bytes):
    """A call that loads a file holding ``content`` as a checkpoint."""

    def call(m, F):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "model.ckpt")
            with open(path, "wb") as f:
                f.write(content)
            return m.load(path)

    return call


def good_checkpoint() -> bytes:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "good.ckpt")
        minigrad.save({"w": minigrad.arange(1000).float()}, path)
        with open(path, "rb") as f:
            return f.read()


GOOD = good_checkpoint()
FLIPPED = bytearray(GOOD)
FLIPPED[len(GOOD) // 2] ^= 0xFF  # a byte inside the tensor data: the CRC catches it


def save_a_module(m, F):
    with tempfile.TemporaryDirectory() as directory:
        m.save(m.nn.Linear(2, 2), os.path.join(directory, "model.ckpt"))


ROWS = [
    # ---- matmul ------------------------------------------------------------------------------
    row("matmul 1-d", lambda m, F: m.randn(3) @ m.randn(4), ShapeError, RuntimeError,
        ["matmul", "(3 and 4)"]),
    row("matmul 2-d", lambda m, F: m.randn(2, 3) @ m.randn(4, 5), ShapeError, RuntimeError,
        ["matmul", "2x3 and 4x5"]),
    row("matmul 1-d @ 2-d", lambda m, F: m.randn(3) @ m.randn(4, 5), ShapeError, RuntimeError,
        ["matmul", "4x5"]),
    row("matmul 0-d", lambda m, F: m.tensor(2.0) @ m.randn(3), ShapeError, RuntimeError,
        ["matmul", "1D", "0D"]),
    row("matmul batched", lambda m, F: m.randn(2, 3, 4) @ m.randn(3, 4, 5), ShapeError,
        RuntimeError, ["matmul", "batch", "[2, 3, 4]", "[3, 4, 5]"]),
    row("matmul broadcast batch", lambda m, F: m.randn(2, 2, 3, 4) @ m.randn(3, 4, 5),
        ShapeError, RuntimeError, ["matmul", "batch", "[2, 2, 3, 4]", "[3, 4, 5]"]),
    # ---- broadcasting ------------------------------------------------------------------------
    row("add", lambda m, F: m.randn(2, 3) + m.randn(4), ShapeError, RuntimeError,
        ["add", "[2, 3]", "[4]"]),
    row("sub", lambda m, F: m.randn(2, 3) - m.randn(3, 2), ShapeError, RuntimeError,
        ["sub", "[2, 3]", "[3, 2]"]),
    row("mul", lambda m, F: m.randn(2, 3) * m.randn(2, 1, 4), ShapeError, RuntimeError,
        ["mul", "[2, 3]", "[2, 1, 4]"]),
    row("div", lambda m, F: m.randn(5) / m.randn(4), ShapeError, RuntimeError,
        ["div", "[5]", "[4]"]),
    row("comparison", lambda m, F: m.randn(3) < m.randn(2), ShapeError, RuntimeError,
        ["less", "[3]", "[2]"]),
    row("where shapes", lambda m, F: m.where(m.ones(3, dtype=m.bool), m.randn(4), m.randn(3)),
        ShapeError, RuntimeError, ["where", "[3]", "[4]"]),
    row("where condition dtype", lambda m, F: m.where(m.ones(3), m.randn(3), m.randn(3)),
        DTypeError, RuntimeError, ["where", "bool", "float32"]),
    row("operand of another type", lambda m, F: m.randn(3) + "a", DTypeError, TypeError,
        ["'Tensor'", "'str'"]),
    # ---- cat and stack -----------------------------------------------------------------------
    row("cat ranks", lambda m, F: m.cat([m.randn(2, 3), m.randn(3)]), ShapeError, RuntimeError,
        ["cat", "same number of dimensions", "[2, 3]", "[3]"]),
    row("cat sizes", lambda m, F: m.cat([m.randn(2, 3), m.randn(2, 4)]), ShapeError,
        RuntimeError, ["cat", "[2, 3]", "[2, 4]", "tensor number 1"]),
    row("cat empty list", lambda m, F: m.cat([]), ArgumentError, ValueError,
        ["cat", "non-empty"]),
    row("stack shapes", lambda m, F: m.stack([m.randn(2, 3), m.randn(3, 2)]), ShapeError,
        RuntimeError, ["stack", "[2, 3]", "[3, 2]"]),
    # ---- view and reshape --------------------------------------------------------------------
    row("view of a transpose", lambda m, F: m.randn(2, 3).t().view(6), ShapeError, RuntimeError,
        ["view", "stride", "[3, 2]", "[6]", ".reshape("]),
    row("view size", lambda m, F: m.randn(2, 3).view(4), ShapeError, RuntimeError,
        ["view", "[4]", "size 6"]),
    row("reshape size", lambda m, F: m.randn(2, 3).reshape(4, 2), ShapeError, RuntimeError,
        ["reshape", "[4, 2]", "size 6"]),
    row("reshape two -1", lambda m, F: m.randn(2, 3).reshape(-1, -1), ShapeError, RuntimeError,
        ["reshape", "only one dimension can be inferred"]),
    row("reshape negative", lambda m, F: m.randn(6).reshape(-2, -3), ShapeError, RuntimeError,
        ["reshape", "[-2, -3]"]),
    # ---- masks -------------------------------------------------------------------------------
    row("masked_fill float mask", lambda m, F: m.randn(2, 3).masked_fill(m.ones(2, 3), 0.0),
        DTypeError, RuntimeError, ["masked_fill", "bool", "float32"]),
    row("masked_fill mask shape",
        lambda m, F: m.randn(2, 3).masked_fill(m.ones(3, 2, dtype=m.bool), 0.0), ShapeError,
        RuntimeError, ["masked_fill", "[3, 2]", "[2, 3]"]),
    row("attention mask shape", sdpa(lambda m: m.ones(3, 3, dtype=m.bool)), ShapeError,
        RuntimeError, ["scaled_dot_product_attention", "attn_mask", "[3, 3]", "[1, 4, 4]"]),
    row("attention mask dtype", sdpa(lambda m: m.ones(4, 4, dtype=m.int64)), DTypeError,
        RuntimeError, ["scaled_dot_product_attention", "attn_mask", "int64"]),
    row("attention query/key features",
        lambda m, F: F.scaled_dot_product_attention(m.randn(4, 8), m.randn(4, 7), m.randn(4, 8)),
        ShapeError, RuntimeError, ["scaled_dot_product_attention", "[4, 8]", "[4, 7]"]),
    # ---- dims --------------------------------------------------------------------------------
    row("sum dim", lambda m, F: m.randn(2, 3).sum(2), DimError, IndexError,
        ["sum", "[-2, 1]", "got 2"]),
    row("softmax dim", lambda m, F: m.randn(2, 3).softmax(-3), DimError, IndexError,
        ["softmax", "[-2, 1]", "got -3"]),
    row("transpose dim", lambda m, F: m.randn(2, 3).transpose(0, 2), DimError, IndexError,
        ["transpose", "got 2"]),
    row("squeeze dim", lambda m, F: m.randn(2, 3).squeeze(5), DimError, IndexError,
        ["squeeze", "got 5"]),
    row("unsqueeze dim", lambda m, F: m.randn(2, 3).unsqueeze(4), DimError, IndexError,
        ["unsqueeze", "[-3, 2]", "got 4"]),
    row("cat dim", lambda m, F: m.cat([m.randn(2, 3)], dim=2), DimError, IndexError,
        ["cat", "got 2"]),
    row("gather dim", lambda m, F: m.randn(2, 3).gather(3, m.zeros(2, 3, dtype=m.int64)),
        DimError, IndexError, ["gather", "got 3"]),
    row("argmax dim", lambda m, F: m.randn(2, 3).argmax(-3), DimError, IndexError,
        ["argmax", "got -3"]),
    # ---- indices -----------------------------------------------------------------------------
    row("int index", lambda m, F: m.randn(2, 3)[5], IndexOutOfRange, IndexError,
        ["index [5]", "[2, 3]"]),
    row("negative index", lambda m, F: m.randn(2, 3)[0, -4], IndexOutOfRange, IndexError,
        ["index [0, -4]", "[2, 3]"]),
    row("list index", lambda m, F: m.randn(2, 3)[[0, 7]], IndexOutOfRange, IndexError,
        ["7", "[2, 3]"]),
    row("tensor index", lambda m, F: m.randn(2, 3)[m.tensor([0, 2])], IndexOutOfRange,
        IndexError, ["2", "[2, 3]"]),
    row("too many indices", lambda m, F: m.randn(2, 3)[0, 0, 0], IndexOutOfRange, IndexError,
        ["[0, 0, 0]", "[2, 3]", "too many indices"]),
    row("index tensors of two lengths", lambda m, F: m.randn(9, 3)[m.arange(4), m.zeros(9).long()],
        IndexOutOfRange, IndexError, ["shape mismatch", "[4], [9]"]),
    row("legacy constructor of a number", lambda m, F: m.Tensor(2.5), DTypeError, TypeError,
        ["Tensor()", "must be a sequence", "float"]),
    row("float index", lambda m, F: m.randn(2, 3)[1.0], DTypeError, TypeError,
        ["valid indices", "float"], torch=IndexError),
    row("float tensor index", lambda m, F: m.randn(2, 3)[m.tensor([0.0, 1.0])], DTypeError,
        TypeError, ["long", "float32"], torch=IndexError),
    row("gather index", lambda m, F: m.randn(2, 3).gather(1, m.full((2, 3), 5)),
        IndexOutOfRange, RuntimeError, ["gather", "[0, 3)", "[2, 3]"]),
    row("index_select index", lambda m, F: m.randn(5).index_select(0, m.tensor([9])),
        IndexOutOfRange, IndexError, ["9", "[5]"]),
    row("setitem index", lambda m, F: m.randn(2, 3).__setitem__(5, 1.0), IndexOutOfRange,
        IndexError, ["index [5]", "[2, 3]"]),
    row("setitem value shape", lambda m, F: m.randn(2, 3).__setitem__(0, m.randn(4)),
        ShapeError, RuntimeError, ["[4]", "[3]"]),
    row("narrow", lambda m, F: m.randn(5).narrow(0, 3, 4), IndexOutOfRange, RuntimeError,
        ["narrow", "start (3) + length (4)", "size (5)"]),
    row("topk k", lambda m, F: m.randn(5).topk(6), IndexOutOfRange, RuntimeError,
        ["topk", "k=6", "size 5"]),
    # ---- dtypes ------------------------------------------------------------------------------
    row("requires_grad int tensor", lambda m, F: m.tensor([1, 2], requires_grad=True),
        DTypeError, RuntimeError, ["floating point", "int64"]),
    row("requires_grad_ int tensor", lambda m, F: m.arange(3).requires_grad_(), DTypeError,
        RuntimeError, ["floating point", "int64"]),
    row("mean of integers", lambda m, F: m.arange(3).mean(), DTypeError, RuntimeError,
        ["mean", "int64"]),
    row("shape of floats", lambda m, F: m.zeros(2.5), DTypeError, TypeError, ["2.5"]),
    # ---- losses and embeddings ---------------------------------------------------------------
    row("cross_entropy float targets shape",
        lambda m, F: F.cross_entropy(m.randn(4, 3), m.randn(4)), ShapeError, RuntimeError,
        ["cross_entropy", "[4]", "[4, 3]"]),
    row("cross_entropy bool targets",
        lambda m, F: F.cross_entropy(m.randn(4, 3), m.ones(4, dtype=m.bool)), DTypeError,
        RuntimeError, ["cross_entropy", "int64", "bool"]),
    row("cross_entropy target too large",
        lambda m, F: F.cross_entropy(m.randn(4, 3), m.tensor([0, 1, 3, 0])), IndexOutOfRange,
        IndexError, ["cross_entropy", "Target 3", "[0, 3)"]),
    row("cross_entropy negative target",
        lambda m, F: F.cross_entropy(m.randn(4, 3), m.tensor([0, 1, -1, 0])), IndexOutOfRange,
        IndexError, ["cross_entropy", "Target -1", "[0, 3)"]),
    row("cross_entropy target not ignore_index",
        lambda m, F: F.cross_entropy(m.randn(2, 3), m.tensor([-1, -2]), ignore_index=-1),
        IndexOutOfRange, IndexError, ["cross_entropy", "Target -2"]),
    row("cross_entropy target shape",
        lambda m, F: F.cross_entropy(m.randn(4, 3), m.tensor([0, 1, 2])), ShapeError,
        RuntimeError, ["cross_entropy", "[4]", "[3]"], torch=ValueError),
    row("loss reduction", lambda m, F: F.mse_loss(m.randn(3), m.randn(3), reduction="avg"),
        ArgumentError, ValueError, ["mse_loss", "'avg'"]),
    row("mse_loss shapes", lambda m, F: F.mse_loss(m.randn(3), m.randn(3, 1)), ShapeError,
        RuntimeError, ["mse_loss", "[3]", "[3, 1]"],
        torch="torch broadcasts with a UserWarning; minigrad refuses"),
    row("embedding index", lambda m, F: F.embedding(m.tensor([0, 10]), m.randn(5, 3)),
        IndexOutOfRange, IndexError, ["embedding", "10", "[0, 5)"]),
    row("embedding float indices", lambda m, F: F.embedding(m.tensor([0.0, 1.0]), m.randn(5, 3)),
        DTypeError, RuntimeError, ["embedding", "Long", "float32"]),
    row("one_hot class", lambda m, F: F.one_hot(m.tensor([0, 5]), 3), IndexOutOfRange,
        RuntimeError, ["one_hot", "5", "[0, 3)"]),
    # ---- autograd ----------------------------------------------------------------------------
    row("backward non-scalar", lambda m, F: (m.randn(3, requires_grad=True) * 2).backward(),
        AutogradError, RuntimeError, ["scalar outputs", "[3]", "gradient="]),
    row("backward gradient shape",
        lambda m, F: (m.randn(3, requires_grad=True) * 2).backward(m.ones(2)), AutogradError,
        RuntimeError, ["Mismatch in shape", "[2]", "[3]"]),
    row("backward without grad", lambda m, F: m.randn(3).sum().backward(), AutogradError,
        RuntimeError, ["does not require grad"]),
    row("backward twice", backward_twice, AutogradError, RuntimeError,
        ["second time", "retain_graph=True"]),
    row("grad of an unused input", grad_of_unused, AutogradError, RuntimeError,
        ["input 1", "not have been used", "allow_unused=True"]),
    row("requires_grad of a result", set_requires_grad_on_result, AutogradError, RuntimeError,
        ["leaf", "detach()"]),
    row("in-place on a leaf", lambda m, F: m.randn(3, requires_grad=True).add_(1),
        AutogradError, RuntimeError, ["add_", "leaf", "no_grad"]),
    row("numpy() with grad", lambda m, F: m.randn(3, requires_grad=True).numpy(), AutogradError,
        RuntimeError, ["numpy()", "detach().numpy()"]),
    row("item() of many", lambda m, F: m.randn(3).item(), ShapeError, RuntimeError,
        ["3 elements", "Scalar"]),
    row("bool() of many", lambda m, F: bool(m.randn(3)), ShapeError, RuntimeError,
        ["3 elements", "ambiguous"]),
    # ---- devices -----------------------------------------------------------------------------
    row("device mismatch", mixed_devices, DeviceError, RuntimeError,
        ["Add", "same device", "cpu", "strict"], torch="torch has no 'strict' test device"),
    row("index on another device", index_on_other_device, DeviceError, RuntimeError,
        ["indices", "cpu", "strict"], torch="torch has no 'strict' test device"),
    row("unknown device", lambda m, F: m.randn(3).to("tpu"), DeviceError, RuntimeError,
        ["'tpu'", "'cpu' or 'cuda'"]),
    row("unknown device in a factory", lambda m, F: m.zeros(3, device="gpu"), DeviceError,
        RuntimeError, ["'gpu'"]),
    # ---- functional arguments ----------------------------------------------------------------
    row("dropout p", lambda m, F: F.dropout(m.randn(3), p=1.5), ArgumentError, ValueError,
        ["dropout", "between 0 and 1", "1.5"]),
    row("gelu approximate", lambda m, F: F.gelu(m.randn(3), approximate="fast"), ArgumentError,
        RuntimeError, ["gelu", "'none' or 'tanh'", "'fast'"]),
    row("layer_norm shape", lambda m, F: F.layer_norm(m.randn(2, 3), (4,)), ShapeError,
        RuntimeError, ["layer_norm", "[4]", "[2, 3]"]),
    row("layer_norm rank", lambda m, F: F.layer_norm(m.randn(3), (2, 3)), ShapeError,
        RuntimeError, ["layer_norm", "[2, 3]", "[3]"]),
    row("linear in_features", lambda m, F: F.linear(m.randn(2, 3), m.randn(5, 4)), ShapeError,
        RuntimeError, ["linear", "[2, 3]", "in_features = 4"]),
    row("matmul dtypes", lambda m, F: m.zeros(2, 3, 3) @ m.ones(2, 3, 4, dtype=m.float64),
        DTypeError, RuntimeError, ["matmul", "same dtype", "float32", "float64"]),
    row("matmul of a list", lambda m, F: m.ones(2, 3).matmul([[1.0], [2.0], [3.0]]), DTypeError,
        TypeError, ["matmul()", "'other'", "list"]),
    row("out= of another shape", lambda m, F: m.add(m.ones(3), 1, out=m.zeros(2)), ShapeError,
        RuntimeError, ["add()", "[2]", "[3]"], torch="PyTorch resizes out= with a warning"),
    row("out= of an integer dtype", lambda m, F: m.add(m.ones(3), 1.5, out=m.zeros(3, dtype=m.int64)),
        DTypeError, RuntimeError, ["add()", "float32", "int64", "can't be cast"]),
    row("out= under autograd", lambda m, F: m.mul(m.ones(3, requires_grad=True), 2, out=m.zeros(3)),
        AutogradError, RuntimeError, ["mul()", "out=", "automatic differentiation"]),
    row("in-place float into int", lambda m, F: m.ones(3, dtype=m.int64).add_(1.5), DTypeError,
        RuntimeError, ["add_", "can't be cast", "int64"]),
    row("in-place int into bool", lambda m, F: m.ones(2, dtype=m.bool).add_(1), DTypeError,
        RuntimeError, ["add_", "can't be cast", "bool"]),
    row("linear dtypes", lambda m, F: F.linear(m.randn(2, 3), m.randn(4, 3, dtype=m.float64)),
        DTypeError, RuntimeError, ["linear", "same dtype", "float32", "float64"]),
    row("linear input not a tensor", lambda m, F: F.linear([1.0, 2.0, 3.0], m.randn(4, 3)),
        DTypeError, TypeError, ["linear()", "'input'", "list"]),
    row("clamp without bounds", lambda m, F: m.randn(3).clamp(), ArgumentError, RuntimeError,
        ["clamp", "min", "max"]),
    row("max(dim) with a bool dim", lambda m, F: m.randn(2, 3).max(dim=True), DTypeError,
        TypeError, ["max", "int", "bool"]),
    row("max(dim) over an empty dim", lambda m, F: m.zeros(0, 3).max(dim=0), DimError, IndexError,
        ["max()", "dim 0", "non-zero size", "[0, 3]"]),
    row("amax(dim) over an empty dim", lambda m, F: m.zeros(0, 3).amax(dim=0), DimError,
        IndexError, ["amax()", "dim 0", "non-zero size"]),
    row("argmax() of an empty tensor", lambda m, F: m.zeros(0, 3).argmax(), DimError, IndexError,
        ["argmax()", "non-zero size"]),
    row("min() of an empty tensor", lambda m, F: m.zeros(0, 3).min(), ShapeError, RuntimeError,
        ["min()", "non-zero size"]),
    # ---- shape arguments ---------------------------------------------------------------------
    row("expand size", lambda m, F: m.randn(2, 3).expand(2, 4), ShapeError, RuntimeError,
        ["expand", "(4)", "(3)", "[2, 4]", "[2, 3]"]),
    row("expand rank", lambda m, F: m.randn(2, 3).expand(3), ShapeError, RuntimeError,
        ["expand", "(1)", "(2)"]),
    row("permute length", lambda m, F: m.randn(2, 3).permute(0), ShapeError, RuntimeError,
        ["permute", "input.dim() = 2", "len(dims) = 1"]),
    row("permute duplicates", lambda m, F: m.randn(2, 3).permute(0, 0), ShapeError,
        RuntimeError, ["permute", "duplicate", "(0, 0)"]),
    row("split sizes", lambda m, F: m.randn(5).split([2, 2]), ShapeError, RuntimeError,
        ["split", "sum exactly to 5", "[2, 2]"]),
    row("split size zero", lambda m, F: m.randn(5).split(0), ArgumentError, RuntimeError,
        ["split", "0"]),
    row("chunk zero", lambda m, F: m.randn(5).chunk(0), ArgumentError, RuntimeError,
        ["chunk", "0"]),
    row("flatten dims", lambda m, F: m.randn(2, 3, 4).flatten(2, 1), ShapeError, RuntimeError,
        ["flatten", "start_dim", "end_dim"]),
    row("copy_ shape", lambda m, F: m.randn(2, 3).copy_(m.randn(4)), ShapeError, RuntimeError,
        ["copy_", "[4]", "[2, 3]"]),
    row("in-place on read-only memory", lambda m, F: m.from_numpy(read_only_array()).add_(1),
        AutogradError, RuntimeError, ["add_", "read-only", "clone()"],
        torch="torch warns on a read-only array and writes anyway"),
    row("in-place broadcast", lambda m, F: m.randn(3).add_(m.randn(2, 3)), ShapeError,
        RuntimeError, ["add_", "[3]", "[2, 3]"]),
    # ---- factories ---------------------------------------------------------------------------
    row("multinomial negative", lambda m, F: m.multinomial(m.tensor([0.5, -0.1]), 1),
        ArgumentError, RuntimeError, ["multinomial", "< 0"]),
    row("multinomial zero sum", lambda m, F: m.multinomial(m.tensor([0.0, 0.0]), 1),
        ArgumentError, RuntimeError, ["multinomial", "sum of probabilities"]),
    row("multinomial too many", lambda m, F: m.multinomial(m.tensor([0.5, 0.5]), 3),
        ArgumentError, RuntimeError, ["multinomial", "(3)", "(2)", "without replacement"]),
    row("randint low >= high", lambda m, F: m.randint(5, 5, (3,)), ArgumentError, RuntimeError,
        ["randint", "low=5", "high=5"]),
    row("arange step 0", lambda m, F: m.arange(0, 5, 0), ArgumentError, RuntimeError,
        ["arange", "step"]),
    row("zeros negative size", lambda m, F: m.zeros(2, -1), ShapeError, RuntimeError,
        ["negative dimension", "[2, -1]"]),
    row("eye negative size", lambda m, F: m.eye(-1), ShapeError, RuntimeError, ["eye", "-1"]),
    row("linspace negative steps", lambda m, F: m.linspace(0, 1, -1), ArgumentError,
        RuntimeError, ["linspace", "non-negative"]),
    row("ragged nested list", lambda m, F: m.tensor([[1, 2], [3]]), ShapeError, RuntimeError,
        ["tensor()", "list"], torch=ValueError),
    # ---- modules, optimisers, checkpoints -----------------------------------------------------
    row("load_state_dict problems", load_state_dict_with_every_problem, StateDictError,
        RuntimeError, ["Sequential", 'Missing key(s) in state_dict: "1.weight", "1.bias"',
                       'Unexpected key(s) in state_dict: "extra.a", "extra.b"',
                       "size mismatch for 0.weight", "[3, 3]", "[2, 3]"]),
    row("load_state_dict given a non-dict", lambda m, F: m.nn.Linear(2, 2).load_state_dict(3),
        DTypeError, TypeError, ["state_dict", "dict-like", "int"]),
    row("ModuleList indexed by a str", lambda m, F: m.nn.ModuleList([m.nn.ReLU()])["a"],
        DTypeError, TypeError, ["'str' object cannot be interpreted as an integer"]),
    row("kl_div reduction", lambda m, F: F.kl_div(m.zeros(3), m.ones(3), reduction="avg"),
        ArgumentError, ValueError, ["kl_div", "batchmean", "avg"]),
    row("nn.Linear input", lambda m, F: m.nn.Linear(3, 2)(m.randn(4, 5)), ShapeError,
        RuntimeError, ["linear", "[4, 5]", "in_features = 3"]),
    row("nn.Embedding index", lambda m, F: m.nn.Embedding(5, 3)(m.tensor([7])), IndexOutOfRange,
        IndexError, ["embedding", "7", "[0, 5)"]),
    row("nn.LayerNorm shape", lambda m, F: m.nn.LayerNorm(4)(m.randn(2, 3)), ShapeError,
        RuntimeError, ["layer_norm", "[4]", "[2, 3]"]),
    row("nn.Dropout p", lambda m, F: m.nn.Dropout(p=2.0), ArgumentError, ValueError,
        ["dropout", "2.0"]),
    row("optimizer given a module", lambda m, F: m.optim.SGD(m.nn.Linear(2, 2), lr=0.1),
        DTypeError, TypeError, ["iterable", "Linear", "model.parameters()"]),
    row("optimizer given a number", lambda m, F: m.optim.SGD(5, lr=0.1), DTypeError, TypeError,
        ["iterable", "int"]),
    row("optimizer given non-tensors", lambda m, F: m.optim.SGD([1.0], lr=0.1), DTypeError,
        TypeError, ["Tensors", "float"]),
    row("negative learning rate",
        lambda m, F: m.optim.SGD(m.nn.Linear(2, 2).parameters(), lr=-0.1), ArgumentError,
        ValueError, ["learning rate", "-0.1"]),
    row("Adam beta", lambda m, F: m.optim.Adam(m.nn.Linear(2, 2).parameters(), betas=(1.5, 0.9)),
        ArgumentError, ValueError, ["beta", "1.5"]),
    row("load a text file", load_file(b"hello, world"), CheckpointError, ValueError,
        ["model.ckpt", "not a minigrad checkpoint"], torch="torch.load unpickles"),
    row("load a pickle", load_file(pickle.dumps({"w": [1.0]})), CheckpointError, ValueError,
        ["model.ckpt", "not a minigrad checkpoint"], torch="torch.load unpickles"),
    row("load a truncated checkpoint", load_file(GOOD[: len(GOOD) // 2]), CheckpointError,
        ValueError, ["model.ckpt", "truncated or corrupt"], torch="torch.load unpickles"),
    row("load a corrupt checkpoint", load_file(bytes(FLIPPED)), CheckpointError, ValueError,
        ["model.ckpt", "corrupt", "CRC"], torch="torch.load unpickles"),
    row("save a module", save_a_module, CheckpointError, ValueError,
        ["Linear", "state_dict()"], torch="torch.save pickles modules"),
]  # fmt: skip


@pytest.mark.parametrize("r", ROWS, ids=[r.id for r in ROWS])
def test_bad_input_raises_a_clear_minigrad_error(r: Row):
    assert issubclass(r.error, MinigradError) and issubclass(r.error, r.builtin)
    with pytest.raises(r.error) as info:
        r.call(minigrad, MF)
    exc = info.value
    assert isinstance(exc, r.builtin)
    message = str(exc)
    missing = [w for w in r.words if w not in message]
    assert not missing, f"message {message!r} lacks {missing}"
    # one clean traceback: not a backend error re-raised inside an except block
    assert exc.__context__ is None or exc.__suppress_context__, repr(exc.__context__)


TORCH_ROWS = [r for r in ROWS if not isinstance(r.torch, str) or r.torch == SAME]


@pytest.mark.torch
@pytest.mark.parametrize("r", TORCH_ROWS, ids=[r.id for r in TORCH_ROWS])
def test_pytorch_raises_the_same_builtin(r: Row):
    """The rows are PyTorch mistakes too, and ``except <builtin>`` catches them in both."""
    torch = pytest.importorskip("torch")
    expected = r.builtin if r.torch == SAME else r.torch
    with pytest.raises(expected):
        r.call(torch, torch.nn.functional)


def test_table_is_large_and_ids_are_unique():
    assert len(ROWS) >= 50
    assert len({r.id for r in ROWS}) == len(ROWS)


@pytest.mark.skipif(minigrad.cuda.is_available(), reason="CuPy and a GPU are present")
def test_cuda_without_cupy_says_how_to_install():
    with pytest.raises(DeviceError) as info:
        minigrad.randn(3).cuda()
    assert isinstance(info.value, RuntimeError)
    assert "cuda" in str(info.value) and "pip install" in str(info.value)
