"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from ..tensor import Tensor
from .optimizer import Optimizer, check_option, implementation_options


class Adam(Optimizer):
    """PyTorch's Adam. For each parameter w with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * w                      (Adam's L2 penalty, if weight_decay != 0;
                                                       decoupled_weight_decay=True instead
                                                       does AdamW's w = w * (1 - lr * weight_decay))
        m = beta1 * m + (1 - beta1) * g               (first moment, m_0 = 0)
        v = beta2 * v + (1 - beta2) * g^2             (second moment, v_0 = 0)
        v_max = max(v_max, v)                         (amsgrad only; then v_max is used for v)
        w = w - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    ``state[p]``: ``step`` (an int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq``.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False):  # fmt: skip
        check_option("learning rate", lr)
        check_option("epsilon value", eps)
        for i, beta in enumerate(betas):
            check_option(f"beta parameter at index {i}", beta, below=1.0)
        check_option("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        **implementation_options(foreach=foreach, capturable=capturable,
                                                 differentiable=differentiable, fused=fused),
                        decoupled_weight_decay=decoupled_weight_decay)  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, param: Tensor, g, state: dict, group: dict) -> None:
        w = param._data
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        if not state:
            state.update(_zero_state(w, param.device, group["amsgrad"]))
        state["step"] += 1
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                w *= 1 - lr * weight_decay
            else:
                g = g + weight_decay * w
        v_max = state.get("max_exp_avg_sq")
        param.device.backend.adam_update(
            w, g, state["exp_avg"]._data, state["exp_avg_sq"]._data, lr=lr, beta1=beta1,
            beta2=beta2, eps=group["eps"], step=state["step"],
            v_max=None if v_max is None else v_max._data,
        )  # fmt: skip


def _zero_state(w, device, amsgrad: bool) -> dict:
    """A parameter's first Adam state: step 0 and zero moments shaped like ``w``."""
    xp = device.backend.xp
    state = {
        "step": 0,
        "exp_avg": Tensor._make(xp.zeros_like(w), device),
        "exp_avg_sq": Tensor._make(xp.zeros_like(w), device),
    }
    if amsgrad:
        state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(w), device)
    return state


class AdamW(Adam):
    """Adam with decoupled weight decay: before the Adam step, w = w * (1 - lr * weight_decay)
    (instead of adding weight_decay * w to the gradient). Default weight_decay: 0.01."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False,
                 fused=None):  # fmt: skip
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)  # fmt: skip
