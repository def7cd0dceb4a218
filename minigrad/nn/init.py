"""``nn.init``: fill weights in place from the distributions deep-learning papers prescribe.

Every function runs under ``no_grad``, writes into the tensor it is given and returns it, as in
PyTorch (``nn.init.normal_(module.weight, mean=0.0, std=0.02)``).

For a weight of shape ``(out, in, *kernel)``: ``fan_in = in * prod(kernel)`` and
``fan_out = out * prod(kernel)`` (``Linear.weight`` is ``(out_features, in_features)``).
"""

from __future__ import annotations

import math
import warnings

from ..autograd.grad_mode import no_grad
from ..errors import ArgumentError
from ..tensor import Tensor

_LINEAR_LIKE = (
    "linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
)  # fmt: skip


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity``:
    1 (linear, sigmoid), 5/3 (tanh), sqrt(2) (relu), sqrt(2 / (1 + slope^2)) (leaky_relu),
    3/4 (selu)."""
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ArgumentError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ArgumentError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples of U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    with no_grad():
        return tensor.normal_(mean, std)


def trunc_normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Tensor:
    """Fill with samples of N(mean, std^2) conditioned on lying in [a, b] (absolute bounds).

    Rejection sampling: draw normals, redraw those outside [a, b] until none is left. Each round
    keeps a fraction P = Phi((b - mean) / std) - Phi((a - mean) / std) of the draws.
    """
    if not a < b:
        raise ArgumentError(f"trunc_normal_: expected a < b, got a={a}, b={b}")

    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - mean) / (std * math.sqrt(2.0))))

    if cdf(b) - cdf(a) < 1e-6:
        raise ArgumentError(
            f"trunc_normal_: [{a}, {b}] holds almost none of N({mean}, {std}^2)'s mass; "
            f"choose bounds nearer the mean"
        )
    backend, xp = tensor.device.backend, tensor.device.backend.xp
    samples = backend.normal(tensor.shape, tensor._data.dtype) * std + mean
    flat = samples.reshape(-1)  # a view: redraws write into ``samples``
    redraw = xp.flatnonzero((flat < a) | (flat > b))
    while redraw.size:
        flat[redraw] = backend.normal(redraw.shape, flat.dtype) * std + mean
        redraw = redraw[(flat[redraw] < a) | (flat[redraw] > b)]
    with no_grad():
        tensor.copy_(Tensor._make(samples, tensor.device))
    return tensor


def constant_(tensor: Tensor, val: float) -> Tensor:
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He et al. (2015): U(-bound, bound) with bound = gain * sqrt(3 / fan).

    ``nn.Linear`` uses ``a = sqrt(5)``: gain = sqrt(2 / 6), so bound = 1 / sqrt(fan_in).
    """
    if tensor.numel() == 0:
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """He et al. (2015): N(0, std^2) with std = gain / sqrt(fan)."""
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def _deprecated(new):
    """PyTorch's old name of an initialiser (``kaiming_uniform`` for ``kaiming_uniform_``),
    which old code still calls: the same function, with PyTorch's FutureWarning."""
    name = new.__name__[:-1]

    def old(*args, **kwargs):
        warnings.warn(
            f"`nn.init.{name}` is now deprecated in favor of `nn.init.{new.__name__}`.",
            FutureWarning,
            stacklevel=2,
        )
        return new(*args, **kwargs)

    old.__name__ = old.__qualname__ = name
    old.__doc__ = f"Deprecated: ``{new.__name__}`` (PyTorch's old name, with its warning)."
    return old


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
