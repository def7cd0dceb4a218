"""``minigrad.distributions``: ``Categorical``, the distribution a model's next-token
probabilities define (``torch.distributions.Categorical``: sample, log-probability, entropy)."""

from __future__ import annotations

import math

import numpy as np

from .creation import arange, full, multinomial
from .errors import ArgumentError, ShapeError
from .ops.broadcast import broadcast_shapes
from .size import Size
from .tensor import Tensor


class Categorical:
    """Categorical distributions over the last axis of ``probs`` (non-negative weights,
    normalised here) or of ``logits`` (log-weights), one of the two; the leading axes are a
    batch of distributions.

    probs = softmax(logits);  logits = log(probs), with probs clamped to [eps, 1 - eps] so that
    a zero probability has a finite logit (eps: the dtype's machine epsilon), as in PyTorch.
    Both keep their graph: ``log_prob`` and ``entropy`` have gradients (a policy gradient).
    """

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None):  # fmt: skip
        if (probs is None) == (logits is None):
            raise ArgumentError("Either `probs` or `logits` must be specified, but not both.")
        given = probs if probs is not None else logits
        if not isinstance(given, Tensor) or given.ndim < 1:
            raise ShapeError(
                "Categorical: probs or logits must be a tensor with at least one dimension "
                "(the categories are its last)"
            )
        eps = np.finfo(given.dtype.np).eps
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(eps, 1 - eps).log()
            valid = bool(((self.probs >= 0) & self.probs.isfinite()).all())
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
            valid = not bool(logits.isnan().any())
        if validate_args is not False and not valid:
            name = "probs" if probs is not None else "logits"
            raise ArgumentError(
                f"Expected parameter {name} (Tensor of shape {tuple(given.shape)}) of "
                f"distribution {self!r} to satisfy its constraint ("
                f"{'non-negative, finite weights with a positive sum' if probs is not None else 'no NaN'})"
            )

    @property
    def batch_shape(self) -> Size:
        return Size(self.probs.shape[:-1])

    @property
    def event_shape(self) -> Size:
        return Size(())

    @property
    def param_shape(self) -> Size:
        return self.probs.shape

    @property
    def mean(self) -> Tensor:
        """Undefined for categories (NaN), as in PyTorch."""
        return full(self.batch_shape, math.nan, dtype=self.probs.dtype, device=self.probs.device)

    variance = mean

    def sample(self, sample_shape=()) -> Tensor:
        """Category indices (int64) of shape ``sample_shape + batch_shape``, drawn with
        replacement from each distribution of the batch."""
        shape = Size(sample_shape)
        rows = self.probs.detach().reshape(-1, self.probs.shape[-1])
        draws = multinomial(rows, shape.numel(), replacement=True)  # (rows, n)
        return draws.T.reshape(shape + self.batch_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        """log p(value): the normalised logit of each category index in ``value``, which
        broadcasts with the batch."""
        index = value.long().unsqueeze(-1)
        shape = broadcast_shapes(index.shape[:-1], self.batch_shape, op="Categorical.log_prob")
        events = self.logits.shape[-1]
        return (
            self.logits.expand(shape + (events,)).gather(-1, index.expand(shape + (1,))).squeeze(-1)
        )

    def entropy(self) -> Tensor:
        """-sum p log p over the categories (0 log 0 = 0: logits are clamped, as in PyTorch)."""
        floor = float(np.finfo(self.logits.dtype.np).min)
        return -(self.logits.clamp(min=floor) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every category index, shaped (categories, 1, ...) or expanded over the batch."""
        events = self.probs.shape[-1]
        values = arange(events, device=self.probs.device).reshape(
            (events,) + (1,) * len(self.batch_shape)
        )
        return values.expand((events,) + self.batch_shape) if expand else values

    def __repr__(self) -> str:
        return f"Categorical(probs: {self.probs.shape}, logits: {self.logits.shape})"
