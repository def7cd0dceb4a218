"""Elementwise ops: values against NumPy, gradcheck and gradgradcheck, under Hypothesis.

Binary ops see broadcast-compatible shapes (size-1 axes, missing leading axes, 0-d operands);
every input may be a non-contiguous view. Python scalars appear on both sides of each operator.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import Case, broadcast_arrays, example, leaf, numpy_erf, one, op_tests, shapes

import minigrad


def _pair(kind_a="smooth", kind_b="smooth"):
    return example(broadcast_arrays(kind_a, kind_b))


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


CASES = [
    # tensor (op) tensor, broadcasting
    Case("add", _pair(), lambda m, a, b: a + b, np.add),
    Case("sub", _pair(), lambda m, a, b: a - b, np.subtract),
    Case("mul", _pair(), lambda m, a, b: a * b, np.multiply),
    Case("div", _pair("smooth", "nonzero"), lambda m, a, b: a / b, np.divide),
    Case("pow", _pair("positive", "smooth"), lambda m, a, b: a**b, np.power),
    Case("maximum", _pair("distinct", "distinct_b"), lambda m, a, b: a.maximum(b), np.maximum),
    Case("minimum", _pair("distinct", "distinct_b"), lambda m, a, b: m.minimum(a, b), np.minimum),
    Case("add_method", _pair(), lambda m, a, b: m.add(a, b), np.add),
    # tensor (op) Python scalar, both orders
    Case("add_scalar", one(), lambda m, x: x + 2.5, lambda a: a + 2.5),
    Case("radd_scalar", one(), lambda m, x: 2.5 + x, lambda a: 2.5 + a),
    Case("sub_scalar", one(), lambda m, x: x - 1.5, lambda a: a - 1.5),
    Case("rsub_scalar", one(), lambda m, x: 1.5 - x, lambda a: 1.5 - a),
    Case("mul_scalar", one(), lambda m, x: x * -2.0, lambda a: a * -2.0),
    Case("rmul_scalar", one(), lambda m, x: 3 * x, lambda a: 3 * a),
    Case("div_scalar", one(), lambda m, x: x / 1.7, lambda a: a / 1.7),
    Case("rdiv_scalar", one("nonzero"), lambda m, x: 1.7 / x, lambda a: 1.7 / a),
    Case("pow_int", one(), lambda m, x: x**3, lambda a: a**3),
    Case("pow_two", one(), lambda m, x: x**2, lambda a: a**2),
    Case("pow_half", one("positive"), lambda m, x: x**0.5, np.sqrt),
    Case("pow_neg", one("positive"), lambda m, x: x**-1.5, lambda a: a**-1.5),
    Case("rpow_scalar", one(), lambda m, x: 2.0**x, lambda a: 2.0**a),
    Case("neg", one(), lambda m, x: -x, np.negative),
    # unary
    Case("exp", one(), lambda m, x: m.exp(x), np.exp),
    Case("log", one("positive"), lambda m, x: x.log(), np.log),
    Case("log2", one("positive"), lambda m, x: x.log2(), np.log2),
    Case("log10", one("positive"), lambda m, x: m.log10(x), np.log10),
    Case("sqrt", one("positive"), lambda m, x: x.sqrt(), np.sqrt),
    Case("rsqrt", one("positive"), lambda m, x: x.rsqrt(), lambda a: 1.0 / np.sqrt(a)),
    Case("abs", one("nonzero"), lambda m, x: x.abs(), np.abs),
    Case("tanh", one(), lambda m, x: x.tanh(), np.tanh),
    Case("sigmoid", one(), lambda m, x: x.sigmoid(), _sigmoid),
    Case("relu", one("distinct"), lambda m, x: x.relu(), lambda a: np.maximum(a, 0.0)),
    Case("sin", one(), lambda m, x: x.sin(), np.sin),
    Case("cos", one(), lambda m, x: x.cos(), np.cos),
    Case("erf", one(), lambda m, x: x.erf(), numpy_erf),
    Case("square", one(), lambda m, x: x.square(), np.square),
    Case(
        "clamp",
        one("distinct"),
        lambda m, x: x.clamp(-0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
    ),
    Case("clamp_min", one("distinct"), lambda m, x: x.clamp(min=0.2), lambda a: np.maximum(a, 0.2)),
    Case(
        "clamp_max", one("distinct"), lambda m, x: x.clamp(max=-0.3), lambda a: np.minimum(a, -0.3)
    ),
    Case(
        "clamp_tensor_bounds",
        example(broadcast_arrays("distinct", "distinct_b")),
        lambda m, x, lo: x.clamp(min=lo),
        np.maximum,
    ),
    Case(
        "composite",
        _pair("positive", "smooth"),
        lambda m, a, b: (a.log() * b.sigmoid() - (a / (1.0 + b * b)).sqrt()).tanh(),
        lambda a, b: np.tanh(np.log(a) * _sigmoid(b) - np.sqrt(a / (1.0 + b * b))),
    ),
]

test_op, test_gradgradcheck, test_float32 = op_tests(CASES)


# ---- ties, kinks and the no-gradient ops ---------------------------------------------------------
def test_maximum_minimum_split_ties_equally():
    a = leaf(np.array([1.0, 2.0, 3.0]))
    b = leaf(np.array([1.0, 0.0, 3.0]))
    (a.maximum(b) + a.minimum(b)).sum().backward()
    # at a tie max and min each send half to each side, as PyTorch does
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 1.0])
    a.grad = b.grad = None
    a.maximum(b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(b.grad.numpy(), [0.5, 0.0, 0.5])


def test_abs_relu_clamp_gradient_at_the_kink():
    x = leaf(np.array([-1.0, 0.0, 1.0]))
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, 0.0, 1.0])
    x.grad = None
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])
    x.grad = None
    # clamp passes the gradient at its bounds (min <= x <= max), as PyTorch does
    x.clamp(-1.0, 0.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])


@given(ab=broadcast_arrays("distinct", "distinct_b"))
def test_comparisons_and_logic_give_bool_without_grad(ab):
    a, b = leaf(ab[0]), leaf(ab[1])
    for op, ref in [
        (lambda x, y: x < y, np.less),
        (lambda x, y: x <= y, np.less_equal),
        (lambda x, y: x > y, np.greater),
        (lambda x, y: x >= y, np.greater_equal),
        (lambda x, y: x == y, np.equal),
        (lambda x, y: x != y, np.not_equal),
        (lambda x, y: (x > 0).logical_and(y > 0), lambda p, q: (p > 0) & (q > 0)),
        (lambda x, y: (x > 0).logical_or(y > 0), lambda p, q: (p > 0) | (q > 0)),
        (lambda x, y: (x > 0).logical_xor(y > 0), lambda p, q: (p > 0) ^ (q > 0)),
    ]:
        out = op(a, b)
        assert out.dtype is minigrad.bool
        assert not out.requires_grad and out.grad_fn is None
        np.testing.assert_array_equal(out.numpy(), ref(ab[0], ab[1]))
    np.testing.assert_array_equal((a > 0).logical_not().numpy(), ~(ab[0] > 0))


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.exp(),
        lambda x: x.sqrt(),
        lambda x: x.sigmoid(),
        lambda x: x / 2,
        lambda x: x * 0.5,
        lambda x: x.clamp(min=1.5),
    ],
)
@given(shape=shapes())
def test_integer_inputs_become_float(op, shape):
    x = minigrad.arange(1, 1 + int(np.prod(shape))).reshape(shape)
    out = op(x)
    assert out.dtype is minigrad.float32
    np.testing.assert_allclose(out.numpy(), op(x.double()).numpy(), rtol=1e-6)


@given(x=st.floats(-700, 700))
def test_sigmoid_is_stable_at_large_magnitudes(x):
    out = leaf(np.array([x, -x, 40.0, -800.0])).sigmoid()
    assert np.isfinite(out.detach().numpy()).all()
    np.testing.assert_allclose(out.detach().numpy()[:2], _sigmoid(np.array([x, -x])), rtol=1e-12)
