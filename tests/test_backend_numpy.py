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
