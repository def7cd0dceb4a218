"""RMSprop (Hinton's lecture 6e), with PyTorch's options: centering, momentum, weight decay."""

from __future__ import annotations

from ..tensor import Tensor
from .optimizer import Optimizer, check_option, implementation_options


class RMSprop(Optimizer):
    """PyTorch's RMSprop. For each parameter w with gradient g:

        g = g + weight_decay * w                      (if weight_decay != 0)
        v = alpha * v + (1 - alpha) * g^2             (v_0 = 0)
        a = alpha * a + (1 - alpha) * g               (centered only; a_0 = 0)
        d = sqrt(v - a^2) + eps   (centered)   or   sqrt(v) + eps
        b = momentum * b + g / d,  w = w - lr * b     (if momentum > 0; b_0 = 0)
        w = w - lr * g / d                            (otherwise)

    ``state[p]``: ``step``, ``square_avg`` (v), and ``grad_avg`` (a, centered) and
    ``momentum_buffer`` (b, with momentum).
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):  # fmt: skip
        check_option("learning rate", lr)
        check_option("epsilon value", eps)
        check_option("momentum value", momentum)
        check_option("weight_decay value", weight_decay)
        check_option("alpha value", alpha)
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize,
                        **implementation_options(capturable=capturable, foreach=foreach,
                                                 differentiable=differentiable))  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, param: Tensor, g, state: dict, group: dict) -> None:
        xp = param.device.backend.xp
        w = param._data
        alpha = group["alpha"]
        if not state:
            state["step"] = 0
            state["square_avg"] = Tensor._make(xp.zeros_like(w), param.device)
            if group["momentum"] > 0:
                state["momentum_buffer"] = Tensor._make(xp.zeros_like(w), param.device)
            if group["centered"]:
                state["grad_avg"] = Tensor._make(xp.zeros_like(w), param.device)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * w
        v = state["square_avg"]._data
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            a = state["grad_avg"]._data
            a *= alpha
            a += (1 - alpha) * g
            denom = xp.sqrt(v - a * a) + group["eps"]
        else:
            denom = xp.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            b = state["momentum_buffer"]._data
            b *= group["momentum"]
            b += g / denom
            w -= group["lr"] * b
        else:
            w -= group["lr"] * g / denom
