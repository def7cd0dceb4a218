"""The Tensor API outside autograd: factories, dtypes and PyTorch's promotion, conversions,
metadata and ``repr`` (compared with PyTorch's where torch is installed)."""

import itertools
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import shapes

import minigrad


# ---- factories ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "factory, value", [(minigrad.zeros, 0.0), (minigrad.ones, 1.0), (minigrad.empty, 0.0)]
)
@given(shape=shapes())
def test_constant_factories(factory, value, shape):
    for args in (shape, (shape,), (list(shape),)):
        t = factory(*args)
        assert t.shape == shape and t.dtype is minigrad.float32
        np.testing.assert_array_equal(t.numpy(), np.full(shape, value))
    assert factory(shape, dtype=minigrad.int64).dtype is minigrad.int64
    assert factory(shape, requires_grad=True).requires_grad


def test_full_infers_its_dtype_from_the_fill_value():
    assert minigrad.full((2,), 1.5).dtype is minigrad.float32
    assert minigrad.full((2,), 3).dtype is minigrad.int64
    assert minigrad.full((2,), True).dtype is minigrad.bool
    np.testing.assert_array_equal(minigrad.full((2, 1), 7).numpy(), [[7], [7]])
    assert minigrad.full((2,), 3, dtype=minigrad.float64).dtype is minigrad.float64


@pytest.mark.parametrize(
    "args, expected, dtype",
    [
        ((5,), np.arange(5), minigrad.int64),
        ((2, 7, 2), np.arange(2, 7, 2), minigrad.int64),
        ((5.0,), np.arange(5.0), minigrad.float32),
        ((0, 1, 0.25), np.arange(0, 1, 0.25), minigrad.float32),
        ((3, -2, -1), np.arange(3, -2, -1), minigrad.int64),
        ((3, 3), np.arange(0), minigrad.int64),
    ],
)
def test_arange(args, expected, dtype):
    t = minigrad.arange(*args)
    assert t.dtype is dtype
    np.testing.assert_allclose(t.numpy(), expected)


def test_linspace_and_eye():
    np.testing.assert_allclose(minigrad.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1.0])
    assert minigrad.linspace(0, 1, 5).dtype is minigrad.float32
    np.testing.assert_array_equal(minigrad.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(minigrad.eye(2, 3).numpy(), np.eye(2, 3))


@given(shape=shapes(), seed=st.integers(0, 2**31 - 1))
def test_random_factories_are_reproducible_with_manual_seed(shape, seed):
    def draw():
        minigrad.manual_seed(seed)
        return (
            minigrad.rand(*shape).numpy(),
            minigrad.randn(shape).numpy(),
            minigrad.randint(-3, 4, shape).numpy(),
            minigrad.randint(5, shape).numpy(),
        )

    first, second = draw(), draw()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    u, n, i, j = first
    assert u.dtype == np.float32 and n.dtype == np.float32 and i.dtype == np.int64
    assert ((0 <= u) & (u < 1)).all() and ((-3 <= i) & (i < 4)).all() and ((0 <= j) & (j < 5)).all()


def test_random_factories_have_the_right_distribution():
    minigrad.manual_seed(0)
    u, n = minigrad.rand(20000).numpy(), minigrad.randn(20000).numpy()
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    assert set(minigrad.randint(0, 3, (1000,)).tolist()) == {0, 1, 2}


def test_randint_takes_pytorchs_argument_forms():
    """randint(high, size), randint(high, size=...), randint(high=..., size=...) and
    randint(low, high, size) as in PyTorch (minGPT's sort dataset uses the second)."""
    forms = [
        lambda: minigrad.randint(3, (50,)),
        lambda: minigrad.randint(3, size=(50,)),
        lambda: minigrad.randint(high=3, size=[50]),
        lambda: minigrad.randint(0, 3, (50,)),
        lambda: minigrad.randint(low=0, high=3, size=(50,)),
    ]
    for form in forms:
        minigrad.manual_seed(0)
        drawn = form()
        assert drawn.shape == (50,) and drawn.dtype is minigrad.int64
        assert set(drawn.tolist()) == {0, 1, 2}
    for incomplete in (lambda: minigrad.randint(3), lambda: minigrad.randint(size=(3,))):
        with pytest.raises(TypeError, match="needs high and size"):
            incomplete()


def test_a_generator_draws_its_own_stream():
    """rand, randn, randint and multinomial take ``generator=`` (the lectures' makemore
    notebooks seed one): a Generator seeded like the global stream draws the same numbers, and
    drawing from it leaves the global stream alone."""
    probs = minigrad.tensor([[0.1, 0.9], [0.5, 0.5]])
    minigrad.manual_seed(5)
    want = [
        minigrad.randn(3, 4),
        minigrad.rand(5),
        minigrad.randint(0, 9, (6,)),
        minigrad.multinomial(probs, 3, replacement=True),
    ]
    minigrad.manual_seed(123)
    g = minigrad.Generator().manual_seed(5)
    got = [
        minigrad.randn((3, 4), generator=g),
        minigrad.rand(5, generator=g),
        minigrad.randint(0, 9, (6,), generator=g),
        minigrad.multinomial(probs, 3, replacement=True, generator=g),
    ]
    for a, b in zip(got, want):
        assert a.dtype is b.dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())

    minigrad.manual_seed(7)
    alone = minigrad.randn(4)
    minigrad.manual_seed(7)
    minigrad.randn(10, generator=minigrad.Generator())
    np.testing.assert_array_equal(minigrad.randn(4).numpy(), alone.numpy())


def test_reductions_take_numpys_keepdims_spelling():
    x = minigrad.arange(6.0).reshape(2, 3)
    assert x.sum(1, keepdims=True).shape == (2, 1)
    assert minigrad.mean(x, dim=0, keepdims=True).shape == (1, 3)
    assert x.max(1, keepdims=True).values.shape == (2, 1)
    assert x.std(0, keepdims=True).shape == (1, 3)
    assert x.amax(1, keepdims=False).shape == (2,)


def test_float32_sums_stay_accurate_over_many_rows():
    """A float32 mean over the rows of a tall tensor (a BatchNorm's statistics over a whole
    training set) is accumulated in float64: NumPy's row-by-row float32 sum was 5.6e-6 off."""
    x = (np.random.default_rng(0).standard_normal((17773, 200)) * 3 + 5).astype(np.float32)
    exact = x.astype(np.float64)
    t = minigrad.from_numpy(x)
    for got, want in [
        (t.mean(0), exact.mean(0)),
        (t.var(0), exact.var(0, ddof=1)),
        (t.std(0), exact.std(0, ddof=1)),
        (t.norm(), np.linalg.norm(exact)),
    ]:
        assert got.dtype is minigrad.float32
        assert np.max(np.abs(got.numpy() - want) / np.abs(want)) < 3e-7


def test_numpy_reads_a_tensor_through_its_array_protocol():
    """``np.asarray(t)`` shares a CPU tensor's memory; ``copy=True`` copies; ``copy=False``
    refuses a conversion it cannot make without a copy (NumPy's protocol); a tensor that
    requires grad is refused, as by ``numpy()``."""
    x = minigrad.tensor([1.0, 2.0])
    assert np.shares_memory(np.asarray(x), x.numpy())
    assert not np.shares_memory(np.array(x, copy=True), x.numpy())
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    with pytest.raises(ValueError, match="cannot be viewed"):
        np.asarray(x, dtype=np.float64, copy=False)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(minigrad.ones(2, requires_grad=True))


def test_out_writes_into_the_given_tensor():
    """``torch.add(x, y, out=result)`` (the 60-minute blitz) writes into ``result`` and returns
    it; an integer result goes into a float ``out`` as in PyTorch."""
    x, result = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]), minigrad.zeros(2, 2)
    assert minigrad.add(x, x, out=result) is result
    assert result.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert minigrad.matmul(x, x.T, out=result).tolist() == [[5.0, 11.0], [11.0, 25.0]]
    assert minigrad.mul(minigrad.arange(2), 3, out=minigrad.zeros(2)).tolist() == [0.0, 3.0]


def test_variable_is_a_detached_tensor_sharing_memory():
    from minigrad.autograd import Variable

    a = minigrad.ones(2)
    v = Variable(a, requires_grad=True)
    assert v.requires_grad and not a.requires_grad and v.grad_fn is None
    a.add_(1.0)
    assert v.tolist() == [2.0, 2.0]  # the same memory
    w = Variable(v * 2)
    assert not w.requires_grad and w.grad_fn is None


def test_like_factories_keep_shape_and_dtype():
    x = minigrad.arange(6).reshape(2, 3)
    for like in (minigrad.zeros_like, minigrad.ones_like, minigrad.empty_like):
        assert like(x).shape == (2, 3) and like(x).dtype is minigrad.int64
    assert minigrad.full_like(x, 4).tolist() == [[4, 4, 4], [4, 4, 4]]
    f = minigrad.zeros(2, 3, dtype=minigrad.float64)
    for like in (minigrad.rand_like, minigrad.randn_like):
        assert like(f).shape == (2, 3) and like(f).dtype is minigrad.float64
    assert minigrad.ones_like(x, dtype=minigrad.float32).dtype is minigrad.float32


def test_module_level_tril_triu_cat_stack_where():
    x = minigrad.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(minigrad.tril(x).numpy(), np.tril(np.arange(1, 10).reshape(3, 3)))
    np.testing.assert_array_equal(
        minigrad.triu(x, 1).numpy(), np.triu(np.arange(1, 10).reshape(3, 3), 1)
    )
    both = minigrad.cat([minigrad.ones(2, dtype=minigrad.int64), minigrad.zeros(1)])
    assert both.dtype is minigrad.float32 and both.tolist() == [1.0, 1.0, 0.0]
    assert minigrad.stack([minigrad.ones(2), minigrad.zeros(2)], dim=1).shape == (2, 2)
    picked = minigrad.where(minigrad.tensor([True, False]), minigrad.tensor([1.0, 2.0]), 0.0)
    assert picked.tolist() == [1.0, 0.0] and picked.dtype is minigrad.float32


# ---- data in, data out -------------------------------------------------------------------------
def test_tensor_infers_dtypes_like_pytorch():
    assert minigrad.tensor([1.0, 2.0]).dtype is minigrad.float32
    assert minigrad.tensor([1, 2]).dtype is minigrad.int64
    assert minigrad.tensor([True]).dtype is minigrad.bool
    assert minigrad.tensor(np.zeros(2)).dtype is minigrad.float64  # a NumPy array keeps its dtype
    assert minigrad.tensor(np.zeros(2, dtype=np.float32)).dtype is minigrad.float32
    assert minigrad.tensor(3).dtype is minigrad.int64 and minigrad.tensor(3).ndim == 0
    with pytest.raises(minigrad.ShapeError):
        minigrad.tensor([[1, 2], [3]])


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3)
    copied, shared = minigrad.tensor(a), minigrad.from_numpy(a)
    a[0] = 5.0
    assert copied.tolist() == [0.0, 0.0, 0.0]
    assert shared.tolist() == [5.0, 0.0, 0.0]
    again = minigrad.tensor(copied)
    with minigrad.no_grad():
        copied.add_(1)
    assert again.tolist() == [0.0, 0.0, 0.0]


def test_metadata_and_conversions():
    x = minigrad.arange(6.0).reshape(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.dim() == x.ndim == 2 and x.numel() == x.nelement() == 6 and len(x) == 2
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x[1, 2].item() == 5.0 and isinstance(x[1, 2].item(), float)
    assert float(x[0, 1]) == 1.0 and int(x[1, 1]) == 4
    out = x.numpy()
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    assert x.double().dtype is minigrad.float64 and x.long().dtype is minigrad.int64
    assert x.to(minigrad.float64).float().dtype is minigrad.float32
    assert x.bool().tolist() == [[False, True, True], [True, True, True]]
    assert x.to("cpu") is x and x.to(minigrad.float32) is x
    with pytest.raises(minigrad.ShapeError):
        x.item()
    with pytest.raises(minigrad.DimError):
        x.size(2)


def test_numpy_of_a_tensor_that_requires_grad_raises():
    x = minigrad.ones(2, requires_grad=True)
    with pytest.raises(minigrad.AutogradError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 1.0]


def test_numpy_of_a_0d_result_is_an_array():
    out = minigrad.ones(3).sum().numpy()
    assert isinstance(out, np.ndarray) and out.shape == ()


# ---- dtype promotion ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: minigrad.ones(2) * 2.5, minigrad.float32),  # a Python float never upcasts
        (lambda: minigrad.ones(2, dtype=minigrad.int64) * 2.5, minigrad.float32),
        (lambda: minigrad.ones(2, dtype=minigrad.int64) * 2, minigrad.int64),
        (lambda: minigrad.ones(2, dtype=minigrad.int64) + minigrad.ones(2), minigrad.float32),
        (lambda: minigrad.ones(2) + minigrad.ones(2, dtype=minigrad.float64), minigrad.float64),
        # a 0-d tensor of the same category does not upcast a dimensioned one ...
        (lambda: minigrad.ones(2) + minigrad.tensor(1.0, dtype=minigrad.float64), minigrad.float32),
        # ... but one of a higher category decides
        (
            lambda: minigrad.arange(2) + minigrad.tensor(1.0, dtype=minigrad.float64),
            minigrad.float64,
        ),
        (lambda: minigrad.ones(2, dtype=minigrad.bool) + 1, minigrad.int64),
        (lambda: minigrad.arange(3) / 2, minigrad.float32),
        (lambda: minigrad.ones(2, dtype=minigrad.float64) * 2.5, minigrad.float64),
    ],
)
def test_promotion_examples(make, expected):
    assert make().dtype is expected


_OPERANDS = {
    "True": lambda lib: True,
    "2": lambda lib: 2,
    "2.5": lambda lib: 2.5,
    **{
        f"{name}[{'0-d' if ndim == 0 else '1-d'}]": (
            lambda lib, name=name, ndim=ndim: lib.ones((2,) * ndim, dtype=getattr(lib, name))
        )
        for name in ("bool", "int64", "float32", "float64")
        for ndim in (0, 1)
    },
}


@pytest.mark.torch
@pytest.mark.parametrize("a, b", list(itertools.product(_OPERANDS, repeat=2)))
def test_promotion_matches_pytorch_for_every_operand_pair(a, b):
    torch = pytest.importorskip("torch")
    left_t, right_t = _OPERANDS[a](torch), _OPERANDS[b](torch)
    if not isinstance(left_t, torch.Tensor) and not isinstance(right_t, torch.Tensor):
        return  # two Python scalars: no tensor op
    left_m, right_m = _OPERANDS[a](minigrad), _OPERANDS[b](minigrad)
    for op in (lambda x, y: x + y, lambda x, y: x * y, lambda x, y: x - y):
        try:
            want = op(left_t, right_t).dtype
        except RuntimeError:
            continue  # PyTorch refuses bool subtraction
        assert str(op(left_m, right_m).dtype).split(".")[-1] == str(want).split(".")[-1], (a, b)


# ---- repr --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, text",
    [
        (lambda: minigrad.tensor([1.0, 2.5, -3.0]), "tensor([ 1.0000,  2.5000, -3.0000])"),
        (
            lambda: minigrad.tensor([[1.0, 2.0], [3.0, 4.0]]),
            "tensor([[1., 2.],\n        [3., 4.]])",
        ),
        (lambda: minigrad.tensor([1, 2, 30]), "tensor([ 1,  2, 30])"),
        (lambda: minigrad.tensor([True, False]), "tensor([ True, False])"),
        (lambda: minigrad.tensor([True]), "tensor([True])"),
        (lambda: minigrad.tensor([1.0], requires_grad=True), "tensor([1.], requires_grad=True)"),
        (
            lambda: minigrad.tensor([1.0, 2.0], dtype=minigrad.float64),
            "tensor([1., 2.], dtype=minigrad.float64)",
        ),
        (lambda: minigrad.tensor(3.5), "tensor(3.5000)"),
        (lambda: minigrad.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
        (lambda: minigrad.tensor([0.001, 10.0]), "tensor([1.0000e-03, 1.0000e+01])"),
        (lambda: minigrad.zeros(0), "tensor([])"),
        (
            lambda: minigrad.zeros(0, 3, dtype=minigrad.int64),
            "tensor([], size=(0, 3), dtype=minigrad.int64)",
        ),
        (
            lambda: minigrad.tensor([1.0], requires_grad=True) * 2,
            "tensor([2.], grad_fn=<MulBackward>)",
        ),
    ],
)
def test_repr(make, text):
    assert repr(make()) == text


def _same_repr(mine: str, theirs: str) -> bool:
    """Equal but for the library's name, PyTorch's numbered grad_fn names, and where a suffix
    wraps ("minigrad." is longer than "torch.", so a line can pass 80 characters sooner)."""

    def normal(text):
        return re.sub(r",\s*\n\s+(?=[a-z_]+=)", ", ", text).replace("minigrad.", "torch.")

    return normal(mine).replace("Backward>", "Backward0>") == normal(theirs)


@pytest.mark.torch
@given(
    shape=shapes(),
    scale=st.sampled_from([1e-6, 1e-2, 1.0, 1e3, 1e9]),
    whole=st.booleans(),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 2**16),
)
def test_float_repr_matches_pytorch(shape, scale, whole, dtype, seed):
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(seed).standard_normal(shape) * scale
    if whole:
        values = np.round(values) + 0.0  # + 0.0: PyTorch aligns -0. differently
    values = values.astype(dtype)
    assert _same_repr(repr(minigrad.tensor(values)), repr(torch.tensor(values)))


@pytest.mark.torch
@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.tensor([[1, -20], [300, 4]]),
        lambda lib: lib.tensor([[True], [False]]),
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
        lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
        lambda lib: lib.tensor([1.5, float("nan"), -float("inf")]),
        lambda lib: lib.zeros(2, 0, requires_grad=True),
        lambda lib: lib.arange(30.0) / 7,
        # rows that wrap: as many elements as fit in 80 characters after the indentation
        lambda lib: lib.tensor(np.eye(27)[[1, 5, 9]]),
        lambda lib: lib.arange(90.0).reshape(3, 30) / 7,
        lambda lib: lib.tensor(np.arange(120).reshape(3, 40) * 37 % 1000),
        # over 1000 elements: the corners around "...", the format chosen from those alone
        lambda lib: lib.tensor(np.linspace(-1, 1, 4900).reshape(70, 70)),
        lambda lib: lib.tensor(np.where(np.arange(2000) == 1000, 1e-5, 0.5)),
        lambda lib: lib.arange(2000),
        lambda lib: lib.tensor(np.arange(6000.0).reshape(10, 20, 30) - 3000),
    ],
)
def test_repr_matches_pytorch(make):
    torch = pytest.importorskip("torch")
    assert _same_repr(repr(make(minigrad)), repr(make(torch)))


@pytest.mark.parametrize("p", [1, 2, 3, float("inf"), "fro"])
@pytest.mark.parametrize("dim", [None, 0, (0, 1)])
def test_norm_matches_numpy_and_passes_gradcheck(p, dim):
    data = np.random.default_rng(0).standard_normal((3, 4)) + 0.5
    x = minigrad.tensor(data, requires_grad=True)
    axis = dim if dim is not None else None
    order = {"fro": 2}.get(p, p)
    flat = data if axis is not None else data.reshape(-1)
    if order == float("inf"):
        expected = np.abs(flat).max(axis=axis if axis is not None else 0)
    else:
        expected = (np.abs(flat) ** order).sum(axis=axis if axis is not None else 0) ** (1 / order)
    np.testing.assert_allclose(x.norm(p, dim).detach().numpy(), expected, rtol=1e-12)
    assert minigrad.autograd.gradcheck(lambda t: t.norm(p, dim), x)


def test_a_non_tensor_non_number_operand_is_a_type_error():
    """As in PyTorch: named methods raise TypeError naming the op and the operand's type;
    operators leave it to Python (TypeError, and == / != compare as unrelated objects)."""
    x = minigrad.ones(2)
    for method in ("logical_and", "logical_or", "logical_xor", "eq", "lt", "maximum"):
        with pytest.raises(TypeError, match="str"):
            getattr(x, method)("x")
    for apply in (
        lambda: x < "a",
        lambda: x & "a",
        lambda: x // "a",
        lambda: x % "a",
        lambda: x + "a",
        lambda: x * object(),
    ):
        with pytest.raises(TypeError):
            apply()
    assert (x == "a") is False
    assert (x != "a") is True
