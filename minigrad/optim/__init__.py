"""Optimisers (``SGD``, ``Adam``, ``AdamW``, ``RMSprop``) and learning-rate schedules
(``lr_scheduler``), with PyTorch's interface."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
