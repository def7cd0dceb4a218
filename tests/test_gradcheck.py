"""``gradcheck`` / ``gradgradcheck`` themselves: they pass correct ops and catch broken ones.

Each broken op below is a small ``Op`` with one deliberate mistake; the checker must
catch it and say where (output, input, worst element, both values).
"""

import numpy as np
import pytest
from hypothesis import given
from strategies import arrays, leaf, shapes

import minigrad
from minigrad.autograd import Op, gradcheck, gradgradcheck
from minigrad.autograd.gradcheck import GradcheckError


class Cube(Op):
    """y = x^3.   dx = 3 x^2 dy (correct)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * 3.0 * x * x,)


class WrongCube(Cube):
    """The derivative off by a factor at one element: only that element's column is wrong."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        scale = np.ones(x.shape)
        scale.reshape(-1)[-1] = 1.5
        return (g * 3.0 * x * x * minigrad.from_numpy(scale),)


class FrozenCube(Cube):
    """The right first derivative, but computed from a constant: its own derivative is lost."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * ctx.constant(3.0 * x.detach().numpy() ** 2),)


class NoisyCube(Cube):
    """A backward that differs from run to run (tiny noise): not reentrant."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        noise = np.random.default_rng().standard_normal(x.shape) * 1e-9
        return (g * 3.0 * x * x + minigrad.from_numpy(noise),)


class LeakyCube(Cube):
    """A backward that sends a gradient even for a zero cotangent."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return (g * 3.0 * x * x + 1e-3,)


class NanCube(Cube):
    """A backward that returns NaN for one element."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        bad = np.zeros(x.shape)
        bad.reshape(-1)[0] = np.nan
        return (g * 3.0 * x * x + minigrad.from_numpy(bad),)


class WrongMulB(Op):
    """z = a * b with a wrong gradient for b only."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a * 1.01


def _x(shape=(2, 3)):
    return leaf(np.linspace(-1.0, 1.2, int(np.prod(shape))).reshape(shape))


def test_correct_ops_pass():
    x = _x()
    assert gradcheck(Cube.apply, x)
    assert gradcheck(Cube.apply, x, fast_mode=True, seed=0)
    assert gradgradcheck(Cube.apply, x, seed=0)


def test_a_wrong_derivative_is_caught_and_located():
    x = _x()
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongCube.apply, x)
    message = str(info.value)
    assert "output 0" in message and "input 0" in message
    assert "(5, 5)" in message  # the worst entry: output 5 / input 5, the one scaled element
    analytic, numeric = 1.5 * 3 * 1.2**2, 3 * 1.2**2
    assert f"analytic {analytic:.10g}" in message and f"numeric {numeric:.10g}" in message


def test_fast_mode_catches_it_too():
    with pytest.raises(GradcheckError, match="fast mode"):
        gradcheck(WrongCube.apply, _x(), fast_mode=True, seed=0)


def test_the_wrong_input_is_named():
    a, b = _x(), _x() + 2.0
    b = leaf(b.detach().numpy())
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(WrongMulB.apply, (a, b))


def test_the_wrong_output_is_named():
    x = _x()
    with pytest.raises(GradcheckError, match="output 1"):
        gradcheck(lambda t: (Cube.apply(t), WrongCube.apply(t)), x)


def test_raise_exception_false_returns_false():
    assert gradcheck(WrongCube.apply, _x(), raise_exception=False) is False


def test_a_lost_second_derivative_passes_gradcheck_but_not_gradgradcheck():
    x = _x()
    assert gradcheck(FrozenCube.apply, x)
    with pytest.raises(GradcheckError):
        gradgradcheck(FrozenCube.apply, x, seed=0)


def test_a_nan_gradient_is_a_mismatch():
    with pytest.raises(GradcheckError, match="analytic nan"):
        gradcheck(NanCube.apply, _x())


def test_a_non_reentrant_backward_is_caught():
    with pytest.raises(GradcheckError, match="reentrant"):
        gradcheck(NoisyCube.apply, _x(), atol=1e-5)


def test_a_gradient_from_a_zero_cotangent_is_caught():
    with pytest.raises(GradcheckError, match="zero grad_output"):
        gradcheck(LeakyCube.apply, _x(), atol=1e-2)


def test_only_float64_inputs_and_at_least_one_requiring_grad():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(Cube.apply, minigrad.ones(3, requires_grad=True))
    with pytest.raises(GradcheckError, match="requires grad"):
        gradcheck(Cube.apply, leaf(np.ones(3), requires_grad=False))


@given(a=arrays(shapes(min_dims=1), "nonzero"))
def test_inputs_of_any_layout_are_perturbed_in_place_and_restored(a):
    x = leaf(a)  # a transposed or strided view when the layout says so
    before = a.copy()
    assert gradcheck(Cube.apply, x)
    np.testing.assert_array_equal(a, before)
    with pytest.raises(GradcheckError):
        gradcheck(WrongCube.apply, x)


def test_outputs_that_alias_their_inputs():
    # the gradient of x + 0 w.r.t. x is its cotangent itself: gradgradcheck then differentiates
    # a function whose output *is* one of its inputs
    x = _x()
    assert gradgradcheck(lambda t: t + 0.0, x, seed=0)
    assert gradgradcheck(lambda t: t.reshape(-1), x, seed=0, fast_mode=True)
