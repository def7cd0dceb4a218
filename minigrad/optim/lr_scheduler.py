"""Learning-rate schedules: ``LambdaLR``, ``StepLR``, ``CosineAnnealingLR``,
``ReduceLROnPlateau``, and the two transformer schedules ``warmup_cosine`` and ``noam`` (both
``LambdaLR``).

A scheduler counts calls to ``step()`` in ``last_epoch`` (0 after construction) and sets each
group's ``lr`` to what ``get_lr()`` gives. The schedules here are closed-form functions of
``last_epoch`` and of each group's initial lr (``base_lrs``), so that resuming from
``state_dict()`` gives exactly the same rates. Call ``scheduler.step()`` after
``optimizer.step()``. ``ReduceLROnPlateau`` is the exception: it follows a metric, not the step
count.
"""

from __future__ import annotations

import math

from ..errors import ArgumentError, NotOverridden


class LRScheduler:
    """Base class, PyTorch's protocol: a subclass defines ``get_lr()``, the rate of every group
    at step ``self.last_epoch`` (from ``self.base_lrs``, the groups' initial rates)."""

    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in optimizer.param_groups):
            raise KeyError(
                "param 'initial_lr' is not specified in param_groups when resuming an optimizer"
            )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of each parameter group at step ``self.last_epoch``."""
        raise NotOverridden(
            f"{type(self).__name__}: an LRScheduler subclass defines get_lr(), the rate of each "
            f"group at step self.last_epoch"
        )

    def step(self, epoch: int | None = None) -> None:
        """Advance one step (or go to step ``epoch``, PyTorch's old form) and set every group's
        learning rate."""
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self._last_lr = list(self.get_lr())
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """The scheduler's counters and settings (not the optimizer, which saves itself)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler  # PyTorch's old name, which older code subclasses


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(step): one function for all groups, or a list, one per group.
    The functions are not part of ``state_dict``: rebuild the scheduler with them, then load."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ArgumentError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]


class StepLR(LRScheduler):
    """lr = base_lr * gamma ^ floor(step / step_size): decay by ``gamma`` every ``step_size``."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        decays = self.last_epoch // self.step_size
        return [base * self.gamma**decays for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * step / T_max)) / 2: half a cosine
    from base_lr down to eta_min over T_max steps (and back up after, as in PyTorch)."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        cosine = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * cosine for base in self.base_lrs]


class ReduceLROnPlateau(LRScheduler):
    """Multiply each group's lr by ``factor`` (down to ``min_lr``) once the metric passed to
    ``step(metric)`` has not improved for more than ``patience`` steps; then wait ``cooldown``
    steps before counting again. In "min" mode the metric improves when it falls below
    ``best * (1 - threshold)`` ("rel") or ``best - threshold`` ("abs"); in "max" mode when it
    rises above ``best * (1 + threshold)`` or ``best + threshold``. A reduction smaller than
    ``eps`` is skipped. PyTorch's algorithm and defaults."""

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0.0, eps: float = 1e-8):  # fmt: skip
        if factor >= 1.0:
            raise ArgumentError("Factor should be < 1.0.")
        if mode not in ("min", "max"):
            raise ArgumentError(f"mode {mode} is unknown!")
        if threshold_mode not in ("rel", "abs"):
            raise ArgumentError(f"threshold mode {threshold_mode} is unknown!")
        groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != groups:
                raise ArgumentError(f"expected {groups} min_lrs, got {len(min_lr)}")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * groups
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self, metrics) -> None:
        """Record this step's metric (a number or a one-element tensor); reduce the rates if
        it has not improved for more than ``patience`` steps."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _is_better(self, current: float) -> bool:
        best, t = self.best, self.threshold
        if self.mode == "min":
            return current < (best * (1 - t) if self.threshold_mode == "rel" else best - t)
        return current > (best * (1 + t) if self.threshold_mode == "rel" else best + t)


def warmup_cosine(optimizer, warmup_steps: int, total_steps: int, min_lr_ratio: float = 0.0):
    """Linear warmup, then cosine decay: the usual schedule for training transformers.

    Multiplier of each group's lr at step s (a ``LambdaLR``):

        (s + 1) / warmup_steps                                   for s < warmup_steps
        r + (1 - r) * (1 + cos(pi * p)) / 2,  r = min_lr_ratio,  after, where
        p = (s - warmup_steps) / (total_steps - warmup_steps), capped at 1

    so the rate climbs to the optimizer's lr at step warmup_steps - 1, then falls to
    ``min_lr_ratio * lr`` at ``total_steps`` and stays there.
    """
    if not 0 <= warmup_steps <= total_steps:
        raise ArgumentError(
            f"warmup_cosine: need 0 <= warmup_steps <= total_steps, got {warmup_steps} and "
            f"{total_steps}"
        )

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
        return min_lr_ratio + (1 - min_lr_ratio) * (1 + math.cos(math.pi * progress)) / 2

    return LambdaLR(optimizer, multiplier)


def noam(optimizer, d_model: int, warmup: int, factor: float = 1.0):
    """The schedule of "Attention Is All You Need" (Vaswani et al., 2017), as a ``LambdaLR``:

        rate(s) = factor * d_model^-0.5 * min(s^-0.5, s * warmup^-1.5),   s = step + 1

    a linear rise for ``warmup`` steps, then decay as 1 / sqrt(s). The rate multiplies the
    optimizer's lr: give the optimizer ``lr=1.0`` for the paper's rates exactly (the paper uses
    Adam with betas=(0.9, 0.98), eps=1e-9).
    """

    def rate(step: int) -> float:
        s = step + 1
        return factor * d_model**-0.5 * min(s**-0.5, s * warmup**-1.5)

    return LambdaLR(optimizer, rate)
