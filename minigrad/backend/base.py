"""The interface every backend implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

SQRT_HALF = math.sqrt(0.5)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Backend(ABC):
    """A bundle of array kernels.

    ``xp`` is an array namespace with NumPy's API (``numpy`` itself, ``cupy``, or the strict test
    namespace). The abstract methods are the operations whose spelling differs between
    libraries. The kernels after them (an accurate sum; GELU with its slope; layer norm and
    softmax, forward and backward) are written once here in ``xp`` calls; a backend may replace
    them with faster ones (the NumPy backend runs the fused ones in cache-sized blocks on a few
    threads). The fused kernels take and return arrays of one floating dtype.
    """

    name: str
    xp: Any

    @abstractmethod
    def asarray(self, data, dtype):
        """An array of ``data`` with NumPy dtype ``dtype`` on this backend's device."""

    @abstractmethod
    def to_numpy(self, array):
        """A host NumPy array with the same values (a copy for device memory)."""

    @abstractmethod
    def scatter_add(self, target, index, values) -> None:
        """``target[index] += values`` where repeated indices accumulate, in place."""

    @abstractmethod
    def erf(self, x):
        """The error function, elementwise."""

    # random numbers: one generator per backend, seeded by manual_seed
    @abstractmethod
    def seed(self, seed: int) -> None:
        """Restart the generator from ``seed``."""

    @abstractmethod
    def uniform(self, shape, dtype):
        """Samples of U[0, 1)."""

    @abstractmethod
    def normal(self, shape, dtype):
        """Samples of N(0, 1)."""

    @abstractmethod
    def integers(self, low: int, high: int, shape):
        """Samples of the integers in [low, high), as int64."""

    @abstractmethod
    def get_rng_state(self) -> dict:
        """The generator's state, as plain Python data."""

    @abstractmethod
    def set_rng_state(self, state: dict) -> None:
        """Restore a state returned by ``get_rng_state``."""

    # ---- kernels written once here in xp calls, which a backend may replace -------------------
    def sum(self, x, dims: tuple, keepdims: bool):
        """The sum of ``x`` over the axes ``dims`` (sorted, non-negative), in ``x``'s dtype. A
        float32 sum is accumulated in float64 (a float16 one in float32) and rounded once, so
        its error does not grow with the number of terms."""
        xp = self.xp
        if x.dtype.kind != "f" or x.dtype.itemsize == 8:
            return xp.sum(x, axis=dims, keepdims=keepdims)
        wider = "float64" if x.dtype.itemsize == 4 else "float32"
        return xp.sum(x, axis=dims, keepdims=keepdims, dtype=wider).astype(x.dtype, copy=False)

    def gelu(self, x):
        """(y, slope): y = x * Phi(x) and its derivative slope = Phi(x) + x * phi(x), where
        Phi(x) = (1 + erf(x / sqrt 2)) / 2 and phi(x) = exp(-x^2 / 2) / sqrt(2 pi). Forward
        returns the slope so that backward is one product, dx = dy * slope."""
        xp = self.xp
        z = x * SQRT_HALF
        cdf = self.erf(z).astype(x.dtype, copy=False)
        cdf += 1.0
        cdf *= 0.5
        pdf = xp.exp(-(z * z)) * INV_SQRT_2PI
        return x * cdf, cdf + x * pdf

    def layer_norm(self, x, weight, bias, dims: tuple, eps: float):
        """(y, mean, rstd) over the trailing axes ``dims``, which ``weight`` and ``bias`` span:
        y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps) (mean and rstd keep
        the axes ``dims``, with length 1)."""
        xp = self.xp
        mean = xp.mean(x, axis=dims, keepdims=True)
        y = x - mean
        rstd = 1.0 / xp.sqrt(xp.mean(y * y, axis=dims, keepdims=True) + eps)
        y *= rstd
        y *= weight
        y += bias
        return y, mean, rstd

    def layer_norm_backward(self, g, x, weight, mean, rstd, dims: tuple):
        """(dx, dweight, dbias): with xhat = (x - mean) * rstd and dxhat = g * weight,
        dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) (means over ``dims``),
        dweight = sum(g * xhat) and dbias = sum(g) over the other axes."""
        xp = self.xp
        rows = tuple(range(x.ndim - len(dims)))
        xhat = (x - mean) * rstd
        dxhat = g * weight
        dx = dxhat - xp.mean(dxhat, axis=dims, keepdims=True)
        dx -= xhat * xp.mean(dxhat * xhat, axis=dims, keepdims=True)
        dx *= rstd
        return dx, self.sum(g * xhat, rows, False), self.sum(g, rows, False)

    def softmax(self, x, dim: int):
        """y = exp(x - max) / sum(exp(x - max)) along the axis ``dim``."""
        xp = self.xp
        if x.size == 0:  # nothing to normalise (NumPy's max refuses an empty axis)
            return xp.empty_like(x)
        e = xp.exp(x - xp.max(x, axis=dim, keepdims=True))
        e /= xp.sum(e, axis=dim, keepdims=True)
        return e

    def softmax_backward(self, y, g, dim: int, scale: float = 1.0):
        """dx = scale * y * (g - sum(g * y)) along the axis ``dim`` (``scale`` folds in a factor
        that multiplied the softmax's input, as attention's 1 / sqrt(d) does)."""
        xp = self.xp
        dx = g - xp.sum(g * y, axis=dim, keepdims=True)
        dx *= y
        if scale != 1.0:
            dx *= scale
        return dx

    def adam_update(self, w, g, m, v, *, lr, beta1, beta2, eps, step, v_max=None):
        """One Adam step in place, at step ``step`` (1, 2, ...):
        m += (1 - beta1) (g - m);  v = beta2 v + (1 - beta2) g^2;  (amsgrad: v_max = max(v_max, v),
        used for v);  w -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
        ``w``, ``g``, ``m``, ``v`` (and ``v_max``) have one shape and dtype."""
        xp = self.xp
        scratch = xp.empty_like(w)
        xp.subtract(g, m, out=scratch)  # m's update in the form PyTorch computes (lerp)
        scratch *= 1 - beta1
        m += scratch
        v *= beta2
        xp.multiply(g, 1 - beta2, out=scratch)
        scratch *= g
        v += scratch
        if v_max is not None:
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        xp.sqrt(v, out=scratch)
        scratch /= math.sqrt(1 - beta2**step)
        scratch += eps
        xp.divide(m, scratch, out=scratch)
        scratch *= -lr / (1 - beta1**step)
        w += scratch
