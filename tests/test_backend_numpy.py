"""The NumPy backend's own kernels."""

import math

import numpy as np

from minigrad.backend.numpy_backend import erf_without_scipy


def test_erf_fallback_is_exact_in_float64():
    x = np.linspace(-5.0, 5.0, 2001)
    expected = np.array([math.erf(v) for v in x])
    assert np.array_equal(erf_without_scipy(x), expected)


def test_erf_fallback_is_within_float32_resolution():
    x = np.linspace(-6.0, 6.0, 20001)
    expected = np.array([math.erf(v) for v in x])
    got = erf_without_scipy(x.astype(np.float32))
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() < 2.5e-7
    assert np.array_equal(np.sign(got), np.sign(expected))
