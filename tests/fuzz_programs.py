"""Differential fuzzing against PyTorch: random programs, written once, run on both libraries.

A program is PyTorch source, one statement per op::

    v0 = torch.tensor(a0, requires_grad=True)      # float64 inputs (maybe size-0, 0-d, NaN/inf)
    v1 = v0.relu()
    v2 = v1.unsqueeze(0)
    v1.mul_(c0)                                    # in-place on an intermediate; v2 views it
    v3 = F.softmax(v2.masked_fill(c1, float('-inf')), dim=-1)

Each statement is drawn from the shapes of the values made so far, then executed twice: with
``torch`` and ``F`` bound to PyTorch, and bound to minigrad (the imports swapped, nothing else).
After each statement, and once more at the end (views must see later writes to their base),
the values must agree; where PyTorch raises, minigrad must raise a ``MinigradError``. At the
end a backward pass from the last value that requires grad runs on both, and every input's
gradient must agree, NaN and inf positions included.

Drawing goes through a ``Chooser``, so the same drawing code serves Hypothesis (which shrinks a
failing program to a small one) and a plain seeded generator (``survey``, which runs thousands
of programs and counts the disagreements by kind instead of stopping at the first).
"""

from __future__ import annotations

import math
import random
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as minigrad_F
from minigrad.errors import MinigradError


# ---- choosers: where the random decisions come from ---------------------------------------------
class HypothesisChooser:
    """Decisions drawn by Hypothesis (``st.data()``), so that failures shrink."""

    def __init__(self, data):
        self.data = data

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(st.integers(lo, hi))

    def seed(self) -> int:
        return self.data.draw(st.integers(0, 2**32 - 1))


class RandomChooser:
    """Decisions from a seeded ``random.Random``: fast, for surveys of many programs."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def seed(self) -> int:
        return self.rng.getrandbits(32)


def pick(ch, options):
    return options[ch.integer(0, len(options) - 1)]


def chance(ch, percent: int) -> bool:
    return ch.integer(0, 99) < percent


# ---- values -------------------------------------------------------------------------------------
SPECIALS = (math.nan, math.inf, -math.inf, 0.0)


def draw_values(ch, shape, dtype=np.float64) -> np.ndarray:
    """An array of ``shape``: smooth, on a coarse grid (ties and zeros), or with NaN/inf/0 spots."""
    rng = np.random.default_rng(ch.seed())
    kind = pick(ch, ["smooth", "smooth", "grid", "special"])
    a = rng.uniform(-2.0, 2.0, shape)
    if kind == "grid":
        a = np.round(a * 2.0) / 2.0
    elif kind == "special" and a.size:
        spots = rng.integers(0, a.size, size=rng.integers(1, 3))
        a.reshape(-1)[spots] = rng.choice(SPECIALS, size=spots.size)
    return a.astype(dtype)


def draw_shape(ch, max_dims=3) -> tuple[int, ...]:
    """0 to ``max_dims`` axes of sides 1-4; now and then one side is 0 (an empty tensor)."""
    shape = [ch.integer(1, 4) for _ in range(ch.integer(0, max_dims))]
    if shape and chance(ch, 10):
        shape[ch.integer(0, len(shape) - 1)] = 0
    return tuple(shape)


def relative_shape(ch, shape) -> tuple[int, ...]:
    """A shape that broadcasts with ``shape`` (leading axes dropped, some set to 1), or now and
    then any shape (maybe one that does not broadcast)."""
    if chance(ch, 10):
        return draw_shape(ch)
    lead = ch.integer(0, len(shape))
    return tuple(1 if chance(ch, 30) else n for n in shape[lead:])


def literal(x) -> str:
    """Python source for a number (``float('inf')`` for infinities, ``float('nan')``)."""
    if isinstance(x, float) and not math.isfinite(x):
        return f"float({str(x)!r})"
    return repr(x)


# ---- the program being drawn --------------------------------------------------------------------
@dataclass
class Value:
    """A named value of the program, as PyTorch computed it."""

    name: str
    shape: tuple
    floating: bool
    requires_grad: bool
    is_leaf: bool


@dataclass
class Program:
    """The statements so far, their constants, and what each library made of them."""

    inputs: dict = field(default_factory=dict)  # name -> float64 array (leaves)
    constants: dict = field(default_factory=dict)  # name -> array (no grad)
    lines: list = field(default_factory=list)
    values: list = field(default_factory=list)  # Value, in order of creation

    def constant(self, array) -> str:
        name = f"c{len(self.constants)}"
        self.constants[name] = np.asarray(array)
        return name

    def source(self) -> str:
        """The program as runnable PyTorch code (constants shown by shape and values)."""
        out = [
            "import torch",
            "import torch.nn.functional as F",
            "from numpy import array, nan, inf",
        ]
        for name, a in {**self.inputs, **self.constants}.items():
            text = np.array2string(a, separator=", ", threshold=10**6, floatmode="unique")
            out.append(
                f"{name} = torch.tensor({text}, dtype=torch.{a.dtype})".replace("bool_", "bool")
            )
            if name in self.inputs:
                out[-1] = out[-1][:-1] + ", requires_grad=True)"
        return "\n".join(out + self.lines)

    def operand(self, ch, want=None) -> Value | None:
        """A value to use as an operand: recent ones more often; ``want`` filters."""
        options = [v for v in self.values if v.floating and (want is None or want(v))]
        if not options:
            return None
        if chance(ch, 50):
            return options[-1]
        return pick(ch, options)


# ---- the ops: each returns one statement of source, or None when it does not apply -------------
UNARY = [
    "{x}.neg()",
    "{x}.abs()",
    "{x}.relu()",
    "F.relu({x})",
    "{x}.tanh()",
    "{x}.sigmoid()",
    "{x}.exp()",
    "{x}.log()",
    "{x}.sqrt()",
    "{x}.rsqrt()",
    "{x}.sin()",
    "{x}.sign()",
    "{x}.erf()",
    "{x}.square()",
    "{x} ** 0",
    "{x} ** 2",
    "{x} ** 0.5",
    "{x}.clamp(min=-0.5, max=1.0)",
    "{x}.clamp(min=0.0)",
    "{x}.clamp(max=0.5)",
    "F.gelu({x})",
    "F.gelu({x}, approximate='tanh')",
    "F.silu({x})",
]


def op_unary(ch, p):
    x = p.operand(ch)
    return x and pick(ch, UNARY).format(x=x.name)


def second_operand(ch, p, shape) -> str:
    """Another value of the program, a new constant of a related shape, or a Python number."""
    kind = ch.integer(0, 5)
    if kind == 0:
        return literal(pick(ch, [2.0, -1.5, 0.0, 0.5, math.inf]))
    if kind <= 2:
        other = p.operand(ch)
        if other is not None:
            return other.name
    return p.constant(draw_values(ch, relative_shape(ch, shape)))


BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / {b}", "torch.maximum({a}, {b})",
          "torch.minimum({a}, {b})", "{a}.pow({b})"]  # fmt: skip


def op_binary(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    a, b = x.name, second_operand(ch, p, x.shape)
    if chance(ch, 30):
        a, b = b, a
    template = pick(ch, BINARY)
    if template.startswith("torch."):
        a, b = as_tensor(a), as_tensor(b)
    elif template.startswith("{a}."):  # a number has no methods
        a = as_tensor(a)
    return template.format(a=a, b=b)


def is_number(source: str) -> bool:
    return not source[0].isalpha() or source.startswith("float(")


def as_tensor(source: str) -> str:
    """A number's source wrapped as a 0-d float64 tensor (for ops that take only tensors)."""
    return f"torch.tensor({source}, dtype=torch.float64)" if is_number(source) else source


def op_where(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    cond = p.constant(draw_values(ch, relative_shape(ch, x.shape)) > 0)
    other = as_tensor(second_operand(ch, p, x.shape))
    return f"torch.where({cond}, {x.name}, {other})"


def draw_dim(ch, ndim, allow_none=True, allow_tuple=True):
    """A dim for ``ndim`` axes: mostly valid, sometimes out of range, None or a tuple."""
    rank = max(ndim, 1)
    kind = ch.integer(0, 9)
    if kind == 0 and allow_none:
        return None
    if kind == 1 and allow_tuple and ndim >= 2:
        first = ch.integer(0, ndim - 1)
        return (first, (first + ch.integer(1, ndim - 1)) % ndim - ndim)
    if kind == 2:
        return pick(ch, [rank, -rank - 1])
    return ch.integer(-rank, rank - 1)


def op_reduce(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    name = pick(ch, ["sum", "mean", "amax", "amin", "std", "var", "norm", "logsumexp"])
    dim = draw_dim(ch, len(x.shape), allow_none=name != "logsumexp")
    keepdim = chance(ch, 30)
    if dim is None:
        return f"{x.name}.{name}()"
    return f"{x.name}.{name}(dim={dim!r}, keepdim={keepdim})"


def op_extreme(ch, p):
    """max/min/sort/topk along a dim: values (differentiable) or indices."""
    x = p.operand(ch)
    if x is None:
        return None
    ndim = len(x.shape)
    dim = draw_dim(ch, ndim, allow_none=False, allow_tuple=False)
    part = pick(ch, [0, 0, 1])
    kind = ch.integer(0, 5)
    if kind == 0:
        return f"{x.name}.{pick(ch, ['max', 'min'])}()"
    if kind <= 2:
        return f"{x.name}.{pick(ch, ['max', 'min'])}(dim={dim}, keepdim={chance(ch, 30)})[{part}]"
    if kind <= 4:
        return f"{x.name}.sort(dim={dim}, descending={chance(ch, 50)})[{part}]"
    size = x.shape[dim % ndim] if ndim and -ndim <= dim < ndim else 1
    return f"{x.name}.topk({ch.integer(0, size)}, dim={dim})[{part}]"


def op_softmax(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    dim = draw_dim(ch, len(x.shape), allow_none=False, allow_tuple=False)
    fn = pick(ch, ["F.softmax", "F.log_softmax"])
    if chance(ch, 40) and x.shape:  # a mask with fully masked rows
        mask = draw_values(ch, relative_shape(ch, x.shape)) > 0.5
        if mask.ndim and mask.shape[-1]:
            mask[..., 0] = True
            mask.reshape(-1, mask.shape[-1])[::2] = True  # every other row fully masked
        return f"{fn}({x.name}.masked_fill({p.constant(mask)}, float('-inf')), dim={dim})"
    return f"{fn}({x.name}, dim={dim})"


def op_cumsum(ch, p):
    x = p.operand(ch)
    return x and f"{x.name}.cumsum(dim={draw_dim(ch, len(x.shape), False, False)})"


def factorisation(ch, numel) -> list:
    """Sides whose product is ``numel`` (one maybe -1)."""
    target, rest = [], numel
    for _ in range(ch.integer(0, 3)):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0] or [0]
        side = pick(ch, divisors)
        target.append(side)
        rest = rest // side if side else rest
    target.append(rest)
    if chance(ch, 40):
        target[ch.integer(0, len(target) - 1)] = -1
    return target


def op_reshape(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    numel = math.prod(x.shape)
    target = factorisation(ch, numel) if chance(ch, 85) else [ch.integer(-1, 5)]
    return f"{x.name}.{pick(ch, ['reshape', 'view'])}({tuple(target)!r})"


def op_axes(ch, p):
    """Movement ops that reorder or add/remove axes (views in PyTorch)."""
    x = p.operand(ch)
    if x is None:
        return None
    n = len(x.shape)
    d = draw_dim(ch, n, allow_none=False, allow_tuple=False)
    e = draw_dim(ch, n, allow_none=False, allow_tuple=False)
    perm = list(range(n))
    random.Random(ch.seed()).shuffle(perm)
    options = [
        f"{x.name}.permute({tuple(perm)!r})",
        f"{x.name}.transpose({d}, {e})",
        f"{x.name}.unsqueeze({ch.integer(-n - 1, n)})",
        f"{x.name}.squeeze()",
        f"{x.name}.squeeze({d})",
        f"{x.name}.flip({d})",
        f"{x.name}.movedim({d}, {e})",
        f"{x.name}.mT",
        f"{x.name}.t()",
        f"{x.name}.flatten()",
        f"{x.name}.contiguous()",
        f"{x.name}.clone()",
        f"{x.name}.detach()",
    ]
    if n:
        side = x.shape[d % n] if -n <= d < n else 1
        options.append(f"{x.name}.unflatten({d}, {tuple(factorisation(ch, side))!r})")
        big = tuple(pick(ch, [m, 3]) if m == 1 else m for m in x.shape)
        options.append(f"{x.name}.expand({(ch.integer(1, 2),) * chance(ch, 30) + big!r})")
    return pick(ch, options)


def op_slice(ch, p):
    """Views by basic indexing, narrow, select, split, chunk, unbind."""
    x = p.operand(ch)
    if x is None:
        return None
    n = len(x.shape)
    d = draw_dim(ch, n, allow_none=False, allow_tuple=False)
    size = x.shape[d % n] if n and -n <= d < n else 1
    i = ch.integer(-size - 1, size)
    k = ch.integer(0, 2)
    start = ch.integer(0, size)
    piece = pick(ch, [slice(1, None), slice(None, -1), slice(None, None, 2), slice(None, None, -1)])
    text = f"{piece.start or ''}:{piece.stop or ''}" + (f":{piece.step}" if piece.step else "")
    options = [
        f"{x.name}[{i}]",
        f"{x.name}[..., {i}]",
        f"{x.name}[{text}]",
        f"{x.name}[None]",
        f"{x.name}.narrow({d}, {start}, {ch.integer(0, size - start)})",
        f"{x.name}.select({d}, {i})",
        f"{x.name}.split({ch.integer(1, 3)}, dim={d})[{k}]",
        f"{x.name}.split({[start, size - start]}, dim={d})[{k % 2}]",
        f"{x.name}.chunk({ch.integer(1, 3)}, dim={d})[{k}]",
        f"{x.name}.unbind({d})[{k}]",
    ]
    return pick(ch, options)


def op_gather(ch, p):
    """Advanced indexing (copies): lists, tensors, masks, index_select, gather."""
    x = p.operand(ch)
    if x is None:
        return None
    n = len(x.shape)
    first = x.shape[0] if n else 1
    rows = [ch.integer(-first, first) for _ in range(ch.integer(0, 3))]
    d = draw_dim(ch, n, allow_none=False, allow_tuple=False)
    size = x.shape[d % n] if n and -n <= d < n else 1
    picks = np.array([ch.integer(0, max(size - 1, 0)) for _ in range(ch.integer(0, 3))], np.int64)
    options = [
        f"{x.name}[{rows}]",
        f"{x.name}[{p.constant(np.array(rows, dtype=np.int64))}]",
        f"{x.name}[{x.name} > 0]",
        f"{x.name}.index_select({d}, {p.constant(picks)})",
    ]
    if n:
        shape = list(x.shape)
        shape[d % n if -n <= d < n else 0] = ch.integer(1, 3)
        index = np.random.default_rng(ch.seed()).integers(0, max(size, 1), shape)
        options.append(f"{x.name}.gather({d}, {p.constant(index)})")
    return pick(ch, options)


def op_join(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    y = p.operand(ch, lambda v: len(v.shape) == len(x.shape)) or x
    d = draw_dim(ch, len(x.shape), allow_none=False, allow_tuple=False)
    return pick(
        ch,
        [
            f"torch.cat([{x.name}, {y.name}], dim={d})",
            f"torch.stack([{x.name}, {y.name}], dim={d})",
        ],
    )


def op_matmul(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    if x.shape and chance(ch, 80):
        k = x.shape[-1]
        shape = pick(ch, [(k,), (k, ch.integer(0, 3)), (ch.integer(1, 2), k, ch.integer(1, 3))])
    else:
        shape = draw_shape(ch)
    other = p.operand(ch, lambda v: v.shape == shape) if chance(ch, 30) else None
    b = other.name if other else p.constant(draw_values(ch, shape))
    return f"{x.name} @ {b}" if chance(ch, 70) else f"{b} @ {x.name}"


def op_layer_norm(ch, p):
    x = p.operand(ch)
    if x is None:
        return None
    k = ch.integer(0, len(x.shape))
    shape = tuple(x.shape[len(x.shape) - k :])
    if chance(ch, 10):
        shape = draw_shape(ch, 2)
    args = f"{x.name}, {shape!r}"
    if chance(ch, 40):
        args += f", {p.constant(draw_values(ch, shape))}, {p.constant(draw_values(ch, shape))}"
    return f"F.layer_norm({args})"


def op_cross_entropy(ch, p):
    x = p.operand(ch, lambda v: 1 <= len(v.shape) <= 3)
    if x is None:
        return None
    classes = x.shape[1] if len(x.shape) >= 2 else x.shape[0]
    target_shape = x.shape[:1] + x.shape[2:] if len(x.shape) >= 2 else ()
    rng = np.random.default_rng(ch.seed())
    target = rng.integers(0, max(classes, 1), target_shape)
    extra = ""
    if chance(ch, 30) and target.size:
        target.reshape(-1)[0] = -100  # an ignored position
    if chance(ch, 30):
        extra += f", label_smoothing={pick(ch, [0.1, 0.5])}"
    if chance(ch, 30):
        extra += f", reduction={pick(ch, ['sum', 'none'])!r}"
    return f"F.cross_entropy({x.name}, {p.constant(target.astype(np.int64))}{extra})"


def op_inplace(ch, p):
    """An in-place op on a value (or a view of one); the statement's result is the written tensor."""
    x = p.operand(ch)
    if x is None:
        return None
    target = x.name
    if chance(ch, 30) and x.shape:  # write through a view
        target = pick(
            ch,
            [
                f"{x.name}[0]",
                f"{x.name}.unsqueeze(0)",
                f"{x.name}.mT" if len(x.shape) >= 2 else f"{x.name}[1:]",
                f"{x.name}.view(-1)",
            ],
        )
    other = second_operand(ch, p, x.shape)
    mask = p.constant(draw_values(ch, relative_shape(ch, x.shape)) > 0)
    ops = [
        f"{target}.add_({other})",
        f"{target}.sub_({other})",
        f"{target}.mul_({other})",
        f"{target}.div_({other})",
        f"{target}.zero_()",
        f"{target}.fill_({literal(pick(ch, [1.5, 0.0, -math.inf]))})",
        f"{target}.clamp_(min=-0.5, max=1.0)",
        f"{target}.masked_fill_({mask}, {literal(pick(ch, [0.0, -math.inf, 2.0]))})",
        f"{target}.copy_({x.name + '.detach() * 2' if is_number(other) else other})",
    ]
    return pick(ch, ops)


def op_setitem(ch, p):
    """``x[index] = value``: a statement; the program goes on with ``x``."""
    x = p.operand(ch, lambda v: len(v.shape) >= 1)
    if x is None:
        return None
    first = x.shape[0]
    index = pick(
        ch,
        [
            f"{ch.integer(-first, first)}",
            "1:",
            f"[{ch.integer(0, first)}, 0]",
            "..., 0",
            f"{x.name} > 0",
        ],
    )
    value = pick(
        ch,
        [
            "1.5",
            f"{x.name}[{index}].detach() * 2",
            f"{x.name}[{index}] * 2",
            second_operand(ch, p, ()),
        ],
    )
    if chance(ch, 10):
        value = x.name  # maybe self-overlapping
    return f"{x.name}[{index}] = {value}"


OPS = [
    (op_unary, 12),
    (op_binary, 12),
    (op_where, 3),
    (op_reduce, 8),
    (op_extreme, 5),
    (op_softmax, 6),
    (op_cumsum, 2),
    (op_reshape, 5),
    (op_axes, 8),
    (op_slice, 8),
    (op_gather, 5),
    (op_join, 3),
    (op_matmul, 6),
    (op_layer_norm, 4),
    (op_cross_entropy, 3),
    (op_inplace, 12),
    (op_setitem, 5),
]
_WEIGHTED = [op for op, w in OPS for _ in range(w)]


# ---- running: both libraries, side by side ------------------------------------------------------
def _torch():
    import torch

    torch.set_num_threads(1)
    return torch


class Disagreement(AssertionError):
    """minigrad and PyTorch differ; ``kind`` groups similar ones in a survey."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


def _execute(statement: str, namespace: dict):
    """Run one statement; returns the exception it raised, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                exec(statement, namespace)  # noqa: S102 - the program is our own drawn source
    except Exception as exc:  # noqa: BLE001 - every exception is compared with PyTorch's
        return exc
    return None


def _op_of(statement: str) -> str:
    """A short name for the op of a statement, for grouping: the in-place method if there is
    one (``.mul_``), else the first function or method called (``F.softmax``, ``.sum``)."""
    if "] = " in statement:
        return "__setitem__"
    rhs = statement.split(" = ", 1)[-1]
    if " @ " in rhs:
        return "@"
    if " ** " in rhs:
        return "**"
    calls = re.findall(r"((?:F|torch)\.\w+|\.\w+)\(", rhs)
    inplace = [c for c in calls if c.endswith("_")]
    if inplace or calls:
        return (inplace or calls)[0]
    return re.findall(r"\[.*\]|\.\w+|[-+*/]", rhs)[0] if rhs[:1].isalpha() else rhs


def compare_arrays(label: str, got: np.ndarray, want: np.ndarray, rtol=1e-6, atol=1e-9) -> None:
    """Same shape, dtype, NaN and inf positions (and signs), and finite values close to
    ``want``'s (``atol`` is relative to its largest finite magnitude); else a ``Disagreement``."""
    if got.shape != want.shape:
        raise Disagreement("shape", f"{label}: minigrad {got.shape}, torch {want.shape}")
    if got.dtype != want.dtype:
        raise Disagreement("dtype", f"{label}: minigrad {got.dtype}, torch {want.dtype}")
    if got.dtype.kind != "f":
        if not np.array_equal(got, want):
            raise Disagreement("value", f"{label}: minigrad {got}, torch {want}")
        return
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    if not np.array_equal(nan_g, nan_w):
        # "nan vs inf": the same places are non-finite, but one has NaN where the other has inf
        same_places = np.array_equal(np.isfinite(got), np.isfinite(want))
        kind = "nan vs inf" if same_places else "nan"
        raise Disagreement(kind, f"{label}: minigrad\n{got}\ntorch\n{want}")
    inf_g, inf_w = np.isinf(got), np.isinf(want)
    if not np.array_equal(inf_g, inf_w):
        raise Disagreement("inf", f"{label}: minigrad\n{got}\ntorch\n{want}")
    if not np.array_equal(got[inf_g], want[inf_w]):
        raise Disagreement("inf sign", f"{label}: minigrad\n{got}\ntorch\n{want}")
    finite = np.isfinite(want)
    scale = float(np.abs(want[finite]).max()) if finite.any() else 0.0
    if not np.allclose(got[finite], want[finite], rtol=rtol, atol=atol * (1.0 + scale)):
        raise Disagreement("value", f"{label}: minigrad\n{got}\ntorch\n{want}")


def _same_python_error(err_t, err_m) -> bool:
    """Both raised the same plain Python error (not a library's), with the same message."""
    return (
        err_t is not None
        and type(err_t) is type(err_m)
        and type(err_t).__module__ == "builtins"
        and str(err_t) == str(err_m)
    )


class Twin:
    """A program's namespaces in PyTorch and in minigrad, run statement by statement."""

    def __init__(self, program: Program):
        torch = _torch()
        self.torch = torch
        self.program = program
        self.ns_torch = {"torch": torch, "F": torch.nn.functional, "float": float}
        self.ns_mini = {"torch": minigrad, "F": minigrad_F, "float": float}

    def add_input(self, name: str, array: np.ndarray) -> None:
        self.program.inputs[name] = array
        self.ns_torch[name] = self.torch.tensor(array, requires_grad=True)
        self.ns_mini[name] = minigrad.tensor(array, requires_grad=True)
        self._record(name)

    def _sync_constants(self) -> None:
        for name, a in self.program.constants.items():
            if name not in self.ns_torch:
                self.ns_torch[name] = self.torch.tensor(a)
                self.ns_mini[name] = minigrad.tensor(a)

    def _record(self, name: str) -> None:
        t = self.ns_torch[name]
        if isinstance(t, self.torch.Tensor):
            self.program.values.append(
                Value(name, tuple(t.shape), t.is_floating_point(), t.requires_grad, t.is_leaf)
            )

    def run(self, expression: str) -> None:
        """Run ``v{k} = expression`` (or a statement such as ``x[i] = y``) on both, and compare."""
        self._sync_constants()
        if " = " in expression and "[" in expression.split(" = ")[0]:  # a __setitem__
            statement, name = expression, expression.split("[")[0]
        else:
            name = f"v{len(self.program.values)}"
            statement = f"{name} = {expression}"
        self.program.lines.append(statement)
        err_t = _execute(statement, self.ns_torch)
        err_m = _execute(statement, self.ns_mini)
        op = _op_of(statement)
        if _same_python_error(err_t, err_m):  # e.g. a tuple of pieces indexed past its end
            self.program.lines[-1] += "  # raises"
            return
        if err_t is not None:
            if err_m is None:
                raise Disagreement(
                    f"accepted {op}", f"torch raised {type(err_t).__name__}: {err_t}"
                )
            if not isinstance(err_m, MinigradError):
                raise Disagreement(f"raw error {op}", f"{type(err_m).__name__}: {err_m}")
            self.program.lines[-1] += "  # raises"
            return
        if err_m is not None:
            raise Disagreement(f"raises {op}", f"{type(err_m).__name__}: {err_m}")
        self._check_value(name, op)
        if not any(v.name == name for v in self.program.values):
            self._record(name)

    def _check_value(self, name: str, op: str) -> None:
        t, m = self.ns_torch[name], self.ns_mini[name]
        if not isinstance(t, self.torch.Tensor):
            return
        if not isinstance(m, minigrad.Tensor):
            raise Disagreement(f"type {op}", f"{name}: minigrad gave {type(m).__name__}")
        if m.requires_grad != t.requires_grad:
            raise Disagreement(f"requires_grad {op}", f"{name}: minigrad {m.requires_grad}")
        try:
            compare_arrays(name, m.detach().numpy(), t.detach().numpy())
        except Disagreement as d:
            raise Disagreement(f"{d.kind} {op}", str(d)) from None

    def check_all(self) -> None:
        """Every value again: in-place writes since must show in both (views of written bases)."""
        for v in self.program.values:
            self._check_value(v.name, "(stale view)")

    def check_backward(self, cotangent_seed: int) -> None:
        """Backward from the last value that requires grad; every input's gradient must agree."""
        last = next((v for v in reversed(self.program.values) if v.requires_grad), None)
        if last is None:
            return
        t = self.ns_torch[last.name]
        rng = np.random.default_rng(cotangent_seed)
        cot = rng.uniform(-1.0, 1.0, tuple(t.shape))
        self.ns_torch["g"], self.ns_mini["g"] = self.torch.tensor(cot), minigrad.tensor(cot)
        statement = f"{last.name}.backward(g)"
        self.program.lines.append(f"g = torch.tensor(<uniform {tuple(t.shape)}>)\n{statement}")
        err_t = _execute(statement, self.ns_torch)
        err_m = _execute(statement, self.ns_mini)
        if err_t is not None:
            if err_m is None:
                raise Disagreement("accepted backward", f"torch raised: {err_t}")
            if not isinstance(err_m, MinigradError):
                raise Disagreement("raw error backward", f"{type(err_m).__name__}: {err_m}")
            return
        if err_m is not None:
            raise Disagreement("raises backward", f"{type(err_m).__name__}: {err_m}")
        for name in self.program.inputs:
            gt, gm = self.ns_torch[name].grad, self.ns_mini[name].grad
            if (gt is None) != (gm is None):
                raise Disagreement("grad None", f"{name}.grad: torch {gt}, minigrad {gm}")
            if gt is not None:
                try:
                    compare_arrays(f"{name}.grad", gm.numpy(), gt.numpy())
                except Disagreement as d:
                    raise Disagreement(f"grad {d.kind}", str(d)) from None


def draw_program(ch, min_ops=3, max_ops=8) -> Program:
    """Draw a program and run it on both libraries as it is drawn.

    Raises ``Disagreement`` (with the program so far as ``.program``) where they differ.
    """
    twin = Twin(Program())
    try:
        shape = draw_shape(ch)
        for i in range(ch.integer(1, 3)):
            values = draw_values(ch, shape if i == 0 else relative_shape(ch, shape))
            twin.add_input(f"x{i}", values)
        for _ in range(ch.integer(min_ops, max_ops)):
            expression = None
            while expression is None:
                expression = pick(ch, _WEIGHTED)(ch, twin.program)
            twin.run(expression)
        twin.check_all()
        twin.check_backward(ch.seed())
    except Disagreement as d:
        d.program = twin.program
        raise
    return twin.program


@dataclass(frozen=True)
class Known:
    """A deliberate difference from PyTorch (docs/pytorch-differences.md): ``matches`` tells its
    disagreements (by kind, message and program source) from bugs."""

    name: str
    matches: object  # (kind, message, source) -> bool


KNOWN = [
    Known(
        "PyTorch refuses backward where a tensor its node saved (but this gradient does not "
        "read) was modified in place; minigrad checks the tensors its backward reads",
        lambda kind, msg, src: kind == "accepted backward" and "inplace operation" in msg,
    ),
    Known(
        "the order among tied values of topk and of sort(stable=False) (PyTorch's is "
        "unspecified; minigrad's sort is stable)",
        lambda kind, msg, src: (
            (".topk(" in src and kind in ("value .topk", "grad value"))
            or (".sort(" in src and kind == "grad value")
            or (kind == "value .sort" and src.rstrip().endswith(")[1]"))  # the indices
        ),
    ),
    Known(
        "in-place writes PyTorch lets into an expanded view: fill_ and zero_ (the same value "
        "written several times, so it skips the check) and, with a deprecation warning, "
        "masked_fill_ and writes through index arrays; minigrad refuses every in-place op there",
        lambda kind, msg, src: (
            kind in ("raises .fill_", "raises .zero_", "raises .masked_fill_", "raises __setitem__")
            and "(an expanded view)" in msg
        ),
    ),
    Known(
        "the sign of an infinite result that comes from a signed zero (relu(-0.0) is -0.0 in "
        "PyTorch, 0.0 in minigrad)",
        lambda kind, msg, src: kind.startswith(("inf sign", "grad inf sign")),
    ),
    Known(
        "layer norm's input gradient under an infinite upstream gradient: minigrad arranges "
        "the formula around the centred values, PyTorch's kernel around the raw input, where "
        "some of the same infinities meet as inf - inf (NaN)",
        lambda kind, msg, src: kind == "grad nan vs inf" and "F.layer_norm(" in src,
    ),
    Known(
        "gradients of var/std with no degrees of freedom (N - correction <= 0): NaN in "
        "minigrad, NaN or inf in PyTorch",
        lambda kind, msg, src: kind.startswith("grad") and (".var(" in src or ".std(" in src),
    ),
    Known(
        "cross_entropy over no classes with one extra dim, (N, 0, d): PyTorch reshapes it to "
        "(N, 0, 1, -1), where -1 cannot be inferred, and refuses it with a size mismatch",
        lambda kind, msg, src: (
            kind == "accepted F.cross_entropy"
            and "size mismatch (got input: [" in msg
            and ", 0, 0, 0]" in msg
        ),
    ),
    Known(
        "cat skips 1-d empty tensors in PyTorch (a legacy rule); minigrad checks their dims",
        lambda kind, msg, src: kind == "raises torch.cat" and "Dimension out of range" in msg,
    ),
    Known(
        "indices are checked even when the result is empty (PyTorch reads nothing, checks "
        "nothing): out-of-range indices or class targets on a size-0 tensor raise",
        lambda kind, msg, src: (
            kind.startswith(("raises [", "raises __setitem__", "raises F.cross_entropy"))
            and "out of bounds" in msg
            and ", 0" in msg
        ),
    ),
]


def known_difference(d: Disagreement) -> str | None:
    """The documented deliberate difference a disagreement is, or None (a bug)."""
    source = d.program.source()
    for known in KNOWN:
        if known.matches(d.kind, str(d), source):
            return known.name
    return None


def survey(n: int, seed: int = 0) -> dict:
    """Run ``n`` programs from seeded choosers; count the disagreements by kind, with the first
    program of each kind as its example."""
    found: dict = {}
    for i in range(n):
        try:
            draw_program(RandomChooser(seed * 1_000_003 + i))
        except Disagreement as d:
            known = known_difference(d)
            entry = found.setdefault(f"deliberate: {known}" if known else d.kind, [0, None])
            entry[0] += 1
            if entry[1] is None or len(d.program.lines) < entry[1].count("\n"):
                entry[1] = f"{d.program.source()}\n# {d}"
    return found


def main() -> None:
    """``PYTHONPATH=. python tests/fuzz_programs.py N [SEED] [--examples]`` (from the repository
    root, so that its minigrad is the one imported): survey N programs, print the counts."""
    import sys
    import time

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n, seed = int(args[0]) if args else 1000, int(args[1]) if len(args) > 1 else 0
    start = time.perf_counter()
    found = survey(n, seed)
    total = sum(count for count, _ in found.values())
    bugs = sum(count for kind, (count, _) in found.items() if not kind.startswith("deliberate"))
    print(
        f"{n} programs (seed {seed}) in {time.perf_counter() - start:.0f} s: {total} disagree, "
        f"{total - bugs} of them by a deliberate difference, {bugs} not"
    )
    ranked = sorted(found.items(), key=lambda kv: -kv[1][0])
    for kind, (count, _) in ranked:
        print(f"{count:6d}  {kind}")
    if "--examples" in sys.argv:
        for kind, (count, example) in ranked:
            print(f"\n==== {kind} ({count})\n{example}")


if __name__ == "__main__":
    main()
