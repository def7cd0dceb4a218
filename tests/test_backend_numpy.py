"""The NumPy backend's own kernels."""

import math

import numpy as np

from minigrad.backend import numpy_backend
from minigrad.backend.numpy_backend import erf


def test_erf_is_exact_in_float64_with_and_without_scipy(monkeypatch):
    x = np.linspace(-5.0, 5.0, 2001)
    expected = np.array([math.erf(v) for v in x])
    assert np.allclose(erf(x), expected, rtol=1e-15, atol=1e-16)
    monkeypatch.setattr(numpy_backend, "_scipy_erf", None)
    assert np.array_equal(erf(x), expected)


def test_erf_float32_is_within_a_few_ulps():
    x = np.linspace(-6.0, 6.0, 200001)
    expected = np.array([math.erf(v) for v in x])
    got = erf(x.astype(np.float32))
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() < 6e-7
    assert np.array_equal(np.sign(got), np.sign(expected))


def test_erf_float32_keeps_the_sign_of_zero_and_the_limits():
    # the sign is set by bit operations on the float32 words, as np.copysign would set it
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1e-30, 1e-30], dtype=np.float32)
    got = erf(x)
    assert np.array_equal(np.signbit(got), [False, True, False, True, False, True, False])
    assert np.array_equal(got[2:4], [1.0, -1.0]) and np.isnan(got[4])
