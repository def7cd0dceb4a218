"""Fuzz: random sequences of ops on random shapes, valid or not, against a NumPy reference.

Each step draws an op and its arguments (dims, shapes, indices, second operands) from ranges
that include invalid values: incompatible shapes, dims out of range, wrong element counts,
indices past the end. A reference written from PyTorch's rules computes the float64 result with
NumPy, or says the call is invalid. Then minigrad must

- return the reference's values (and shape, and float64) when the call is valid;
- raise a ``minigrad.errors.MinigradError`` when it is not;
- never raise anything else: no raw NumPy ``ValueError`` / ``IndexError`` / ``TypeError``.

The chain starts from a leaf that requires grad, so every op is also recorded; at the end a
backward pass must run and give the leaf a gradient of its shape.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from strategies import arrays, leaf

import minigrad
from minigrad.errors import MinigradError

MAX_STEPS = 8


def shapes(max_dims=3):
    """Shapes of 0 to ``max_dims`` axes with sides 1 to 4."""
    return st.lists(st.integers(1, 4), max_size=max_dims).map(tuple)


class Invalid(Exception):
    """The reference's verdict: PyTorch refuses this call."""


def torch_dim(dim: int, ndim: int) -> int | None:
    """PyTorch's dim rule: ``dim`` in [-rank, rank) with rank = max(ndim, 1); the axis it names
    (None for a 0-d tensor, which has no axis to act on)."""
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise Invalid(f"dim {dim} for {ndim}-d")
    return dim % rank if ndim else None


def broadcast(*shapes_) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes_))
    except ValueError:
        raise Invalid(f"shapes {shapes_} do not broadcast") from None


# ---- the ops: draw arguments, then call minigrad and the reference ----------------------------
UNARY = {
    "neg": (lambda t: -t, np.negative),
    "abs": (lambda t: t.abs(), np.abs),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sin": (lambda t: t.sin(), np.sin),
    "relu": (lambda t: t.relu(), lambda a: np.maximum(a, 0.0)),
    "exp": (lambda t: t.exp(), np.exp),
    "square": (lambda t: t * t, np.square),
}

BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "maximum": (lambda a, b: a.maximum(b), np.maximum),
}


def related_shape(draw, shape):
    """A second operand's shape: usually a broadcasting relative of ``shape``, sometimes random."""
    if draw(st.booleans()):
        return draw(shapes(max_dims=4))
    lead = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else n for n in shape[lead:])


def step_unary(draw, t):
    name = draw(st.sampled_from(sorted(UNARY)))
    fn, ref = UNARY[name]
    return name, fn, ref


def step_binary(draw, t):
    name = draw(st.sampled_from(sorted(BINARY)))
    fn, ref = BINARY[name]
    other = draw(arrays(related_shape(draw, t.shape), "smooth"))
    reverse = draw(st.booleans())

    def run(x):
        o = leaf(other, requires_grad=False)
        return fn(o, x) if reverse else fn(x, o)

    def reference(a):
        broadcast(a.shape, other.shape)
        return ref(other, a) if reverse else ref(a, other)

    return f"{name} {other.shape} reverse={reverse}", run, reference


def step_reduce(draw, t):
    name = draw(st.sampled_from(["sum", "mean", "amax", "softmax"]))
    ndim = t.ndim
    dim = draw(st.none() | st.integers(-ndim - 2, ndim + 1))
    if name == "softmax" and dim is None:
        dim = -1
    keepdim = draw(st.booleans())

    def run(x):
        if name == "softmax":
            return x.softmax(dim)
        return getattr(x, name)(dim, keepdim=keepdim)

    def reference(a):
        axis = None if dim is None else torch_dim(dim, a.ndim)
        if name == "softmax":
            if a.ndim == 0:
                return np.ones_like(a)
            e = np.exp(a - a.max(axis=axis, keepdims=True))
            return e / e.sum(axis=axis, keepdims=True)
        f = {"sum": np.sum, "mean": np.mean, "amax": np.max}[name]
        return a.copy() if a.ndim == 0 else f(a, axis=axis, keepdims=keepdim)

    return f"{name} dim={dim} keepdim={keepdim}", run, reference


def step_reshape(draw, t):
    numel = t.numel()
    if draw(st.booleans()):  # a valid factorisation, maybe with one -1
        target, rest = [], numel
        for _ in range(draw(st.integers(0, 3))):
            side = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
            target.append(side)
            rest //= side
        target.append(rest)
        if draw(st.booleans()):
            target[draw(st.integers(0, len(target) - 1))] = -1
    else:  # anything, valid only by chance
        target = draw(st.lists(st.integers(-2, 6), max_size=4))
    target = tuple(target)
    use_view = draw(st.booleans())

    def run(x):
        return x.view(target) if use_view else x.reshape(target)

    def reference(a):
        if target.count(-1) > 1 or any(n < -1 for n in target):
            raise Invalid(f"reshape to {target}")
        known = math.prod(n for n in target if n != -1)
        if -1 in target and known == 0:
            raise Invalid(f"reshape to {target}")
        resolved = tuple(a.size // known if n == -1 else n for n in target)
        if math.prod(resolved) != a.size:
            raise Invalid(f"reshape {a.shape} to {target}")
        memory = t.detach().numpy()  # minigrad's array, whose strides decide
        if use_view and not _viewable(memory, resolved):
            raise Invalid(f"view of {a.shape} with strides {memory.strides} as {resolved}")
        return a.reshape(resolved)

    return f"{'view' if use_view else 'reshape'} {target}", run, reference


def _viewable(a: np.ndarray, shape) -> bool:
    """Whether ``a`` can take ``shape`` without a copy (NumPy's rule, which matches PyTorch's)."""
    probe = a.view()
    try:
        probe.shape = shape
    except AttributeError:
        return False
    return True


def step_permute(draw, t):
    ndim = t.ndim
    if draw(st.booleans()):
        dims = tuple(draw(st.permutations(range(ndim))))
    else:
        dims = tuple(draw(st.lists(st.integers(-ndim - 1, ndim), max_size=ndim + 1)))

    def reference(a):
        if len(dims) != a.ndim:
            raise Invalid(f"permute {dims} of {a.ndim}-d")
        axes = [torch_dim(d, a.ndim) for d in dims]
        if len(set(axes)) != len(axes):
            raise Invalid(f"duplicate dims {dims}")
        return a.transpose(axes)

    return f"permute {dims}", lambda t: t.permute(dims), reference


def step_index(draw, t):
    shape = t.shape
    first = shape[0] if shape else 1
    kind = draw(st.sampled_from(["int", "list", "tensor", "pair"]))
    ints = st.integers(-first - 2, first + 1)
    if kind == "int":
        index = draw(ints)
    elif kind == "pair":
        second = shape[1] if len(shape) > 1 else 1
        index = (draw(ints), draw(st.integers(-second - 2, second + 1)))
    else:
        index = draw(st.lists(ints, min_size=1, max_size=4))

    def run(x):
        return x[minigrad.tensor(index)] if kind == "tensor" else x[index]

    def reference(a):
        parts = index if isinstance(index, tuple) else (index,)
        if len(parts) > a.ndim:
            raise Invalid(f"{len(parts)} indices for {a.ndim}-d")
        for axis, p in enumerate(parts):
            n = a.shape[axis]
            if any(not -n <= i < n for i in (p if isinstance(p, list) else [p])):
                raise Invalid(f"index {p} for size {n}")
        return a[np.array(index) if isinstance(index, list) else index]

    return f"index[{kind}] {index}", run, reference


def step_matmul(draw, t):
    if t.ndim and draw(st.booleans()):  # contract over the matching side
        k = t.shape[-1]
        other_shape = (k,) if draw(st.booleans()) else (k, draw(st.integers(1, 4)))
    else:
        other_shape = draw(shapes())
    other = draw(arrays(other_shape, "smooth"))
    reverse = draw(st.booleans())

    def run(x):
        o = leaf(other, requires_grad=False)
        return o @ x if reverse else x @ o

    def reference(a):
        x, y = (other, a) if reverse else (a, other)
        if x.ndim == 0 or y.ndim == 0:
            raise Invalid("matmul of a 0-d operand")
        try:
            return np.matmul(x, y)
        except ValueError:  # NumPy's matmul rules are PyTorch's: contraction and batch broadcast
            raise Invalid(f"matmul {x.shape} @ {y.shape}") from None

    return f"matmul {other_shape} reverse={reverse}", run, reference


def _magnitude(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


STEPS = [
    step_unary,
    step_binary,
    step_reduce,
    step_reshape,
    step_permute,
    step_index,
    step_matmul,
]


@settings(max_examples=150)  # cheap per example; more chains find more corners
@given(st.data())
def test_random_op_chains_match_numpy_or_raise_minigrad_errors(data):
    draw = data.draw
    start = draw(arrays(shapes(), "smooth"))
    x = leaf(start)
    t, ref = x, np.array(start)
    for _ in range(draw(st.integers(1, MAX_STEPS))):
        step = draw(st.sampled_from(STEPS))
        label, run, reference = step(draw, t)
        try:
            with np.errstate(all="ignore"):
                expected = reference(ref)
        except Invalid as why:
            note(f"{label} on {ref.shape}: invalid ({why})")
            with pytest.raises(MinigradError):
                run(t)
            continue
        note(f"{label} on {ref.shape}")
        t = run(t)  # any exception here fails the test: the call was valid
        expected = np.asarray(expected, dtype=np.float64)
        assert t.dtype is minigrad.float64, label
        assert t.shape == expected.shape, (label, t.shape, expected.shape)
        # both sides run NumPy kernels on float64, so they agree to rounding; rounding in sums
        # scales with the inputs' magnitude, not the result's (cancellation); capped where
        # squaring it would overflow (exp of exp of ...)
        scale = 1.0 + min(max(_magnitude(ref), 2.0), 1e150) ** 2
        np.testing.assert_allclose(t.detach().numpy(), expected, rtol=1e-10, atol=1e-12 * scale)
        ref = expected
    if t.requires_grad:
        t.sum().backward()
        assert x.grad is not None and x.grad.shape == x.shape


def test_invalid_calls_raise_only_minigrad_errors():
    """Spot checks of the contract, one per op family, for a readable failure if one breaks."""
    x = minigrad.randn(2, 3, dtype=minigrad.float64)
    calls = [
        lambda: x + minigrad.randn(4),
        lambda: x.sum(5),
        lambda: x.reshape(4, 2),
        lambda: x.t().view(6),
        lambda: x.permute(0, 0),
        lambda: x[[0, 9]],
        lambda: x @ minigrad.randn(2, 2),
        lambda: minigrad.tensor(1.0) @ x,
    ]
    for call in calls:
        with pytest.raises(MinigradError):
            call()
