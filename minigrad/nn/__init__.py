"""Neural-network building blocks with PyTorch's interface."""

from . import functional

__all__ = ["functional"]
