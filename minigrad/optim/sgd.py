"""Stochastic gradient descent, with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from ..errors import ArgumentError
from ..tensor import Tensor
from .optimizer import Optimizer, check_option, implementation_options


class SGD(Optimizer):
    """PyTorch's SGD. For each parameter w with gradient g, at step t:

    g = g + weight_decay * w                        (if weight_decay != 0)
    b = g                             at t = 1      (if momentum != 0)
    b = momentum * b + (1 - dampening) * g    after
    g = g + momentum * b   (nesterov)   or   g = b
    w = w - lr * g
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None):  # fmt: skip
        check_option("learning rate", lr)
        check_option("momentum value", momentum)
        check_option("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ArgumentError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize,
                        **implementation_options(foreach=foreach, differentiable=differentiable,
                                                 fused=fused))  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, param: Tensor, g, state: dict, group: dict) -> None:
        w = param._data
        momentum, weight_decay = group["momentum"], group["weight_decay"]
        if weight_decay != 0:
            g = g + weight_decay * w
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = Tensor._make(g.copy(), param.device)
            else:
                b = buf._data
                b *= momentum
                b += g if group["dampening"] == 0 else (1 - group["dampening"]) * g
            g = g + momentum * buf._data if group["nesterov"] else buf._data
        w -= group["lr"] * g
