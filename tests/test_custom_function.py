"""Custom autograd Functions (``minigrad.autograd.Function``) keep PyTorch's contract.

Each pattern is one program written against a library namespace ``lib`` (``minigrad`` or
``torch``); the PyTorch-marked tests run it on both and compare every value it returns. The other
tests check minigrad's errors and its tools (gradcheck, viz) on custom Functions.
"""

import math

import numpy as np
import pytest
from torch_support import import_torch

import minigrad
from minigrad import viz
from minigrad.autograd import Function, gradcheck, gradgradcheck, once_differentiable
from minigrad.autograd.gradcheck import GradcheckError
from tools.pytorch_coverage import legendre  # the tutorial's LegendrePolynomial3

RNG = np.random.default_rng(0)
V = RNG.standard_normal(5)
A = RNG.standard_normal((3, 4))
W = RNG.standard_normal((2, 4))


# ---- the programs, each runs on either library ------------------------------------------------
def relu_program(lib):
    """The tutorial's ReLU: save_for_backward, saved_tensors, grad through a mask."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            grad = grad_output.clone()
            grad[x < 0] = 0
            return grad

    x = lib.tensor(V, requires_grad=True)
    y = MyReLU.apply(x)
    (y * y).sum().backward()
    return y, x.grad, type(y.grad_fn).__name__ if lib is not minigrad else y.grad_fn.name


def legendre_fit(lib, steps=60):
    """Fit y = sin(x) with a + b * P3(c + d x) by plain gradient descent, as the tutorial does
    (fewer points and steps): the loss and the weights after every step."""
    x = lib.linspace(-math.pi, math.pi, 200, dtype=lib.float64)
    y = lib.sin(x)
    a, b, c, d = (lib.full((), v, dtype=lib.float64, requires_grad=True) for v in (0, -1, 0, 0.3))
    P3 = legendre(lib).apply
    history = []
    for _ in range(steps):
        loss = (a + b * P3(c + d * x) - y).pow(2).sum()
        loss.backward()
        with lib.no_grad():
            for w in (a, b, c, d):
                w -= 5e-5 * w.grad
                w.grad = None
        history.append([loss.item()] + [w.item() for w in (a, b, c, d)])
    return np.array(history)


def mark_dirty_program(lib):
    """An in-place custom op: forward changes its input and says so with mark_dirty."""

    class MulTwoInPlace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    leaf = lib.tensor(V, requires_grad=True)
    x = leaf * 1
    out = MulTwoInPlace.apply(x)
    (out * out).sum().backward()
    return out is x, out, leaf.grad


def sort_class(lib):
    """Several outputs, one of them non-differentiable (the sort indices)."""

    class SortWithIndices(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, grad_values, grad_indices):
            (indices,) = ctx.saved_tensors
            ctx.seen = (grad_indices.dtype.is_floating_point, grad_indices.shape)
            return grad_values.new_zeros(grad_values.shape).scatter(0, indices, grad_values)

    return SortWithIndices


def sort_program(lib):
    x = lib.tensor(V, requires_grad=True)
    values, indices = sort_class(lib).apply(x)
    (values * lib.arange(5.0, dtype=lib.float64)).sum().backward()
    # what backward got for the indices: materialized zeros of their (integer) dtype
    return values, indices, indices.requires_grad, values.requires_grad, x.grad, values.grad_fn.seen


def two_outputs_program(lib, materialize):
    """Several outputs; one unused: backward gets zeros for it, or None when not materialized."""
    seen = []

    class ExpAndSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(materialize)
            ctx.save_for_backward(x)
            return x.exp(), x * x

        @staticmethod
        def backward(ctx, g_exp, g_square):
            (x,) = ctx.saved_tensors
            seen.append((g_exp is None, g_square is None))
            grad = 0
            if g_exp is not None:
                grad = grad + g_exp * x.exp()
            if g_square is not None:
                grad = grad + g_square * 2 * x
            return grad

    x = lib.tensor(V, requires_grad=True)
    e, s = ExpAndSquare.apply(x)
    (e * 3).sum().backward()
    first = x.grad.clone()
    x.grad = None
    e, s = ExpAndSquare.apply(x)
    (e + s * s).sum().backward()
    return first, x.grad, seen


def setup_context_program(lib):
    """forward without ctx, setup_context(ctx, inputs, output) saving input and output."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(x, scale):
            return (x * scale).exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            _, scale = inputs
            ctx.scale = scale
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out * ctx.scale, None

    x = lib.tensor(V, requires_grad=True)
    y = Exp.apply(x, 0.5)
    (y * y).sum().backward()
    return y, x.grad


def once_differentiable_program(lib):
    """A backward marked once_differentiable (written here with NumPy) gives first gradients."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable_of(lib)
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return lib.tensor(3 * x.detach().numpy() ** 2 * grad.detach().numpy())

    x = lib.tensor(V, requires_grad=True)
    Cube.apply(x).sum().backward()
    return x.grad


def once_differentiable_of(lib):
    return lib.autograd.function.once_differentiable


def non_tensor_program(lib):
    """Tensor and non-tensor arguments mixed (a number, a string, a tuple, None, a keyword)."""

    class Affine(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale, mode, weight, shift, bias=None, power=1):
            ctx.mode, ctx.scale, ctx.power = mode, scale, power
            ctx.save_for_backward(x, weight, bias)
            out = x.mm(weight.t()) * scale[0] + shift
            return out + bias if bias is not None else out

        @staticmethod
        def backward(ctx, grad):
            x, weight, bias = ctx.saved_tensors
            gx = grad.mm(weight) * ctx.scale[0] if ctx.needs_input_grad[0] else None
            gw = grad.t().mm(x) * ctx.scale[0] if ctx.needs_input_grad[3] else None
            gb = grad.sum(0) if bias is not None and ctx.needs_input_grad[5] else None
            return gx, None, None, gw, None, gb, None

    x = lib.tensor(A, requires_grad=True)
    w = lib.tensor(W, requires_grad=True)
    b = lib.tensor(np.ones(2), requires_grad=True)
    out = Affine.apply(x, (2.0,), "mode", w, 0.5, b)
    out.pow(2).sum().backward()
    out_no_bias = Affine.apply(x, (1.0,), "mode", w, 0.0)
    return out, x.grad, w.grad, b.grad, out_no_bias


def needs_input_grad_program(lib):
    """needs_input_grad says which inputs want a gradient; backward skips the others."""
    asked = []

    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            asked.append(ctx.needs_input_grad)
            return a * b

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            need_a, need_b = ctx.needs_input_grad
            return grad * b if need_a else None, grad * a if need_b else None

    a = lib.tensor(V, requires_grad=True)
    b = lib.tensor(V * 2)
    Mul.apply(a, b).sum().backward()
    with lib.no_grad():
        Mul.apply(a, b)
    return a.grad, b.grad, asked


def double_backward_program(lib):
    """A backward written in differentiable ops has second derivatives (create_graph=True)."""
    P3 = legendre(lib).apply
    x = lib.tensor(V, requires_grad=True)
    (gx,) = lib.autograd.grad(P3(x).sum(), x, create_graph=True)
    (ggx,) = lib.autograd.grad((gx * gx).sum(), x)
    return gx, ggx


def outputs_used_apart_program(lib):
    """Each output of a several-output Function goes its own way (one written in place, one
    asked for by autograd.grad); the gradients reach the right output's slot."""

    class SinCos(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sin(), x.cos()

        @staticmethod
        def backward(ctx, g_sin, g_cos):
            (x,) = ctx.saved_tensors
            return g_sin * x.cos() - g_cos * x.sin()

    x = lib.tensor(V, requires_grad=True)
    s, c = SinCos.apply(x)
    seen = []
    c.register_hook(lambda g: seen.append(g.clone()))
    s.register_hook(lambda g: g * 10)  # replaces the gradient of the first output only
    s.retain_grad()
    c.mul_(3)  # an in-place op on the second output
    loss = (s * 2 + c * c).sum()
    (g_s,) = lib.autograd.grad(loss, s, retain_graph=True)
    loss.backward()
    return g_s, x.grad, s.grad, seen


PROGRAMS = {
    "relu": relu_program,
    "legendre_fit": legendre_fit,
    "mark_dirty": mark_dirty_program,
    "sort_outputs": sort_program,
    "two_outputs": lambda lib: two_outputs_program(lib, materialize=True),
    "two_outputs_unmaterialized": lambda lib: two_outputs_program(lib, materialize=False),
    "setup_context": setup_context_program,
    "once_differentiable": once_differentiable_program,
    "non_tensor_args": non_tensor_program,
    "needs_input_grad": needs_input_grad_program,
    "double_backward": double_backward_program,
    "outputs_used_apart": outputs_used_apart_program,
}


def _plain(value):
    """A program's result as plain data, the same for either library."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().numpy()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if type(value).__name__ == "dtype":
        return str(value).split(".")[-1]
    return value


def _assert_same(got, want, where="result"):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: {got!r} is not an array"
        assert got.shape == want.shape and got.dtype == want.dtype, (
            f"{where}: {got.dtype}{got.shape} vs PyTorch's {want.dtype}{want.shape}"
        )
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=where)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    else:
        assert got == want, f"{where}: {got!r}, PyTorch {want!r}"


@pytest.mark.torch
@pytest.mark.parametrize("name", PROGRAMS)
def test_program_matches_pytorch(name):
    torch = import_torch()
    program = PROGRAMS[name]
    _assert_same(_plain(program(minigrad)), _plain(program(torch)), name)


def test_relu_draws_under_its_class_name():
    y, _, name = relu_program(minigrad)
    assert name == "MyReLUBackward"
    assert repr(y).endswith("grad_fn=<MyReLUBackward>)")
    graph = viz.capture(y)
    titles = [v.title for v in graph.vertices.values()]
    assert "MyReLU" in titles, titles
    backward = viz.capture(y, backward=True)
    titles = [v.title for v in backward.vertices.values()]
    assert "MyReLUBackward" in titles, titles
    viz.draw(y)  # renders without error (Graphviz source; no file written)


def test_legendre_fit_descends():
    history = legendre_fit(minigrad, steps=300)
    assert history[-1, 0] < history[0, 0] / 4, history[[0, -1], 0]


def test_gradcheck_and_gradgradcheck_on_custom_functions():
    x = minigrad.tensor(V, requires_grad=True)
    P3 = legendre(minigrad).apply
    assert gradcheck(P3, (x,))
    assert gradgradcheck(P3, (x,))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, grad):
            return grad * 3

    with pytest.raises(GradcheckError):
        gradcheck(Wrong.apply, (x,))


def test_saved_tensor_modified_in_place_is_refused():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    a = minigrad.tensor(V, requires_grad=True) * 1
    y = Square.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*SquareBackward"):
        y.sum().backward()


def test_backward_returning_the_wrong_number_or_shape_names_the_function():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad

    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad[:2]

    class GradForNumber(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = minigrad.tensor(V, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"TooFewBackward returned an incorrect number of gra"):
        TooFew.apply(x, 2.0).sum().backward()
    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned an invalid gradient at"):
        BadShape.apply(x).sum().backward()
    with pytest.raises(RuntimeError, match=r"different than None at position 2"):
        GradForNumber.apply(x, 2.0).sum().backward()


def test_once_differentiable_refuses_a_second_derivative():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    x = minigrad.tensor(V, requires_grad=True)
    v = minigrad.ones(5, dtype=minigrad.float64, requires_grad=True)  # a cotangent with a graph
    (g,) = minigrad.autograd.grad(Cube.apply(x), x, v, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * V**2)
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked"):
        g.sum().backward()


def test_functions_are_called_through_apply():
    P3 = legendre(minigrad)
    with pytest.raises(RuntimeError, match="should not be instantiated"):
        P3()
    # forward may still be called directly, as a plain static method
    out = P3.forward(minigrad.autograd.FunctionCtx(None, (), None), minigrad.tensor(2.0))
    assert out.item() == 17.0


def test_mark_dirty_on_a_leaf_that_requires_grad_is_refused():
    class AddOne(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOne.apply(minigrad.tensor(V, requires_grad=True))


@pytest.mark.torch
def test_vjp_stands_for_backward_and_keywords_pass_through():
    torch = import_torch()

    def program(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, factor=1.0):
                ctx.factor = factor
                return x * factor

            @staticmethod
            def vjp(ctx, grad):
                return grad * ctx.factor, None  # factor counts as an input

        x = lib.tensor(V, requires_grad=True)
        Scale.apply(x, factor=3.0).sum().backward()
        return x.grad.numpy()

    np.testing.assert_array_equal(program(minigrad), program(torch))


def test_an_input_returned_as_is_comes_back_as_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = minigrad.tensor(V, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn.name == "IdentityBackward"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(5, 2.0))


def test_no_input_requires_grad_records_nothing():
    P3 = legendre(minigrad).apply
    y = P3(minigrad.tensor(V))
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_allclose(y.numpy(), 0.5 * (5 * V**3 - 3 * V))
