"""``minigrad.amp``: mixed precision's loss scaler, ``GradScaler``, as PyTorch's behaves on a
machine without CUDA: disabled.

Scaling the loss keeps float16 gradients from underflowing. minigrad has no float16 autocast
(it trains in float32 or float64), so there is nothing to scale: ``scale(loss)`` is the loss,
``step(optimizer)`` is ``optimizer.step()``, and the rest does nothing. nanoGPT's ``train.py``
makes one whatever the device (``torch.cuda.amp.GradScaler(enabled=(dtype == 'float16'))``).
"""

from __future__ import annotations

import warnings


class GradScaler:
    """PyTorch's ``GradScaler`` (``torch.amp`` and ``torch.cuda.amp``), always disabled; asking
    for it enabled warns, as PyTorch warns without CUDA."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):  # fmt: skip
        if enabled:
            warnings.warn(
                "GradScaler is enabled, but minigrad has no float16 autocast to scale the loss "
                "for. Disabling.",
                stacklevel=2,
            )

    def is_enabled(self) -> bool:
        return False

    def scale(self, outputs):
        """The loss (or losses) as given: disabled, nothing is scaled."""
        return outputs

    def unscale_(self, optimizer) -> None:
        """Nothing to undo: the gradients were never scaled."""

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)``."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        """Nothing to adjust."""

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Nothing to restore (a disabled scaler's state is empty)."""
