"""Neural-network building blocks with PyTorch's interface: ``Module``, ``Parameter``, layers,
containers, ``init`` and ``utils``; ``functional`` holds the functions they call."""

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, Sequential
from .layers import (
    GELU,
    Dropout,
    Embedding,
    Identity,
    LayerNorm,
    Linear,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
)
from .module import Module
from .parameter import Parameter

__all__ = [
    "functional", "init", "utils", "Module", "Parameter", "Linear", "Embedding", "LayerNorm",
    "Dropout", "GELU", "ReLU", "SiLU", "Tanh", "Sigmoid", "Softmax", "Identity", "Sequential",
    "ModuleList", "ModuleDict",
]  # fmt: skip
