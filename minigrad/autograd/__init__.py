"""Reverse-mode automatic differentiation: the graph, the backward pass and its tools.

Dependency order inside: ``grad_mode`` -> ``graph`` (Node, Op) -> ``tensor_base`` ->
``anomaly`` -> ``engine`` -> ``gradcheck``.
"""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad, observe_backward
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck, gradgradcheck
from .graph import Node, Op

__all__ = [
    "Node",
    "Op",
    "backward",
    "grad",
    "observe_backward",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "gradcheck",
    "gradgradcheck",
]
