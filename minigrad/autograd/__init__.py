"""Reverse-mode automatic differentiation: the graph, the backward pass and its tools.

Dependency order inside: ``grad_mode`` -> ``graph`` (Node, Op) -> ``tensor_base`` ->
``anomaly`` -> ``engine`` -> ``function`` (custom Functions) -> ``gradcheck``; ``variable``
(PyTorch's legacy ``Variable``) needs only ``tensor_base``.
"""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad, observe_backward
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node, Op
from .variable import Variable

__all__ = [
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "Node",
    "Op",
    "backward",
    "grad",
    "observe_backward",
    "no_grad",
    "inference_mode",
    "is_inference_mode_enabled",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "gradcheck",
    "gradgradcheck",
    "Variable",
]
