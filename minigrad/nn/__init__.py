"""Neural-network building blocks with PyTorch's interface: ``Module``, ``Parameter``, layers,
losses, containers, ``init`` and ``utils``; ``functional`` holds the functions they call."""

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (
    GELU,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
    Unflatten,
)
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, MSELoss, NLLLoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Linear", "Embedding", "LayerNorm",
    "Dropout", "GELU", "ReLU", "SiLU", "Tanh", "Sigmoid", "Softmax", "Identity", "Sequential",
    "ModuleList", "ModuleDict", "LogSoftmax", "Flatten", "Unflatten", "MSELoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "BCEWithLogitsLoss",
]  # fmt: skip
