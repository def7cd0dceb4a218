"""``minigrad.nn.functional`` (imported as ``F``): the functions of PyTorch's ``torch.nn.functional``
that transformers use. Softmax, log-softmax, layer norm and GELU are single fused graph nodes
(``minigrad.ops.fused``); the rest are composed from Tensor ops.
"""

from __future__ import annotations

import math
import warnings

from .. import dtypes
from ..errors import ArgumentError, DTypeError, IndexOutOfRange, ShapeError, format_shape
from ..ops import fused, linalg
from ..ops.broadcast import broadcast_shapes
from ..tensor import Tensor, cat, stack, where


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x W^T + b, with W of shape (out_features, in_features): one graph node
    (``LinearBackward``). A 1-d weight, or a bias of another shape than (out_features,) that
    broadcasts, takes the product and the sum as two ops, as in PyTorch."""
    operands = {"input": input, "weight": weight} | ({} if bias is None else {"bias": bias})
    for name, t in operands.items():
        if not isinstance(t, Tensor):
            raise DTypeError(f"linear(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if input.shape[-1:] != weight.shape[-1:]:
        raise ShapeError(
            f"linear: mat1 and mat2 shapes cannot be multiplied (input {format_shape(input.shape)} "
            f"and weight^T {format_shape(weight.shape[::-1])}): input's last dimension must equal "
            f"in_features = {weight.shape[-1]}"
        )
    if len({t.dtype for t in operands.values()}) > 1:
        raise DTypeError(
            "linear: expected input, weight and bias to have the same dtype, but got "
            + ", ".join(f"{name} {t.dtype}" for name, t in operands.items())
        )
    if weight.ndim == 2 and (bias is None or bias.shape == weight.shape[:1]):
        return linalg.Linear.apply(*operands.values())
    out = input @ (weight.mT if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0); ``inplace=True`` writes the result into ``input`` and returns it."""
    return input._inplace("relu_", Tensor.relu) if inplace else input.relu()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x): exact with ``approximate="none"``, the tanh formula with ``"tanh"``."""
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return fused.Gelu.apply(input._floating(), approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x); ``inplace=True`` writes the result into ``input`` and returns it."""
    if inplace:  # backward needs x, which the write replaces: compute from a copy of it
        return input._inplace("silu_", lambda x: silu(x.clone()))
    return fused.Silu.apply(input._floating())


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)


def layer_norm(
    input: Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5
) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias, statistics over the last len(normalized_shape) dims."""
    normalized_shape = (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    )
    k = len(normalized_shape)
    if k == 0:
        raise ShapeError(
            "layer_norm: Expected normalized_shape to be at least 1-dimensional, i.e., "
            "containing at least one element, but got normalized_shape = []"
        )
    if input.shape[input.ndim - k :] != normalized_shape or k > input.ndim:
        raise ShapeError(
            f"layer_norm: Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(map(str, normalized_shape))}], but got input of size {format_shape(input.shape)}"
        )
    dims = tuple(range(input.ndim - k, input.ndim))
    # a missing weight or bias is the identity's: ones, zeros (constants, so no gradient)
    weight = _layer_norm_param(weight, "weight", 1.0, input, normalized_shape)
    bias = _layer_norm_param(bias, "bias", 0.0, input, normalized_shape)
    return fused.LayerNorm.apply(input, weight, bias, dims=dims, eps=eps)


def _layer_norm_param(param, name: str, identity: float, input: Tensor, normalized_shape):
    """layer_norm's weight or bias, checked against the input; ``identity`` fills a missing one."""
    if param is None:
        return input._full(normalized_shape, identity, input.dtype)
    if param.shape != normalized_shape:
        raise ShapeError(
            f"layer_norm: Expected {name} to be of same shape as normalized_shape, but got {name} "
            f"of shape {format_shape(param.shape)} and normalized_shape = {list(normalized_shape)}"
        )
    if param.dtype != input.dtype:
        raise DTypeError(
            f"layer_norm: mixed dtype: expected {name} to have dtype {input.dtype} like the "
            f"input, but got {param.dtype}"
        )
    return param


def embedding(input: Tensor, weight: Tensor, padding_idx=None) -> Tensor:
    """Rows of ``weight`` picked by the integer tensor ``input``: out[..., :] = weight[input[...]].

    Entries equal to ``padding_idx`` still read their row, but send it no gradient (PyTorch's rule).
    """
    if input.dtype is not dtypes.int64:
        raise DTypeError(
            f"embedding: Expected tensor for argument #1 'indices' to have scalar type Long; but "
            f"got {input.dtype} instead"
        )
    _check_range(input, weight.shape[0], "embedding", "index")
    out = weight[input]
    if padding_idx is not None:
        out = where((input == padding_idx).unsqueeze(-1), out.detach(), out)
    return out


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (when training);
    ``inplace=True`` writes the result into ``input`` and returns it."""
    if not 0.0 <= p <= 1.0:
        raise ArgumentError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        scale = input._like(0.0)
    else:
        keep = input.device.backend.uniform(input.shape, input._data.dtype) >= p
        scale = input._like(keep * (1.0 / (1.0 - p)))
    return input._inplace("dropout_", lambda x: x * scale) if inplace else input * scale


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 class ids (...) -> int64 (..., num_classes): out[..., c] = 1 if tensor[...] == c
    else 0; ``num_classes=-1`` means max(tensor) + 1. Not differentiable (integer output)."""
    if tensor.dtype is not dtypes.int64:
        raise DTypeError("one_hot is only applicable to index tensor (int64)")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1 if tensor.numel() else 0
    _check_range(tensor, num_classes, "one_hot", "class values")
    xp = tensor._xp
    return Tensor._make(
        (tensor._data[..., None] == xp.arange(num_classes)).astype("int64"), tensor.device
    )


def _check_range(index: Tensor, size: int, op: str, what: str, ignore=None) -> None:
    """Refuse indices outside [0, size) (except ``ignore``), naming the offending value."""
    if index.numel() == 0:
        return
    data = index._data if ignore is None else index._data[index._data != ignore]
    if data.size == 0:
        return
    lo, hi = int(data.min()), int(data.max())
    if lo < 0 or hi >= size:
        bad = lo if lo < 0 else hi
        raise IndexOutOfRange(
            f"{op}: {what} {bad} is out of bounds: expected values in [0, {size})"
        )


def nll_loss(
    input: Tensor, target: Tensor, weight=None, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """-weight[target[n]] * input[n, target[n]], averaged (weighted by weight[target[n]]) over
    the targets that are not ``ignore_index``."""
    weight = _class_weight(weight, input, "nll_loss")
    return _nll(input, target, weight, ignore_index, reduction, 0.0, "nll_loss")


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight=None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """-log softmax(input)[target], with optional label smoothing.

    ``input`` is (N, C) or (N, C, d1, ...) logits; ``target`` holds class indices (N, d1, ...) or
    class probabilities shaped like ``input``. With smoothing eps, the target distribution is
    (1 - eps) on the true class plus eps / C on every class. ``weight`` (C,) scales each class's
    term; with class indices the mean is taken over the weights of the targets, as in PyTorch.
    """
    if input.ndim == 0:
        raise ShapeError("cross_entropy: input must have at least one dimension (the classes)")
    class_dim = 1 if input.ndim >= 2 else 0
    weight = _class_weight(weight, input, "cross_entropy")
    logp = input.log_softmax(class_dim)
    if target.is_floating_point():
        if target.shape != input.shape:
            raise ShapeError(
                f"cross_entropy: probability targets must match the input's shape, got target "
                f"{format_shape(target.shape)} and input {format_shape(input.shape)}"
            )
        n_classes = input.shape[class_dim]
        target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
        loss = -(target * _per_class(logp, weight, class_dim)).sum(class_dim)
        return _reduce(loss, reduction, "cross_entropy")
    return _nll(logp, target, weight, ignore_index, reduction, label_smoothing, "cross_entropy")


def _class_weight(weight, input: Tensor, op: str) -> Tensor | None:
    """``weight`` checked to be one float per class (None stays None)."""
    if weight is None:
        return None
    n_classes = input.shape[1 if input.ndim >= 2 else 0] if input.ndim else 0
    if not isinstance(weight, Tensor) or weight.shape != (n_classes,):
        got = format_shape(weight.shape) if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(
            f"{op}: weight must be a tensor of shape ({n_classes},), one value per class, got {got}"
        )
    return weight.to(input.dtype)


def _per_class(logp: Tensor, weight: Tensor | None, class_dim: int) -> Tensor:
    """``logp`` with each class's entries scaled by its weight (unchanged without weights)."""
    if weight is None:
        return logp
    return logp * weight.reshape((-1,) + (1,) * (logp.ndim - class_dim - 1))


def _nll(logp: Tensor, target: Tensor, weight, ignore_index, reduction, smoothing, op) -> Tensor:
    """The shared core of nll_loss and cross_entropy over log-probabilities ``logp``."""
    if target.dtype is not dtypes.int64:
        raise DTypeError(
            f"{op}: expected target of dtype int64 (class indices) but got {target.dtype}; use "
            f"target.long(), or float targets of the input's shape for class probabilities"
        )
    class_dim = 1 if logp.ndim >= 2 else 0
    expected = logp.shape[:class_dim] + logp.shape[class_dim + 1 :]
    if target.shape != expected:
        raise ShapeError(
            f"{op}: expected target of shape {format_shape(expected)} for input of shape "
            f"{format_shape(logp.shape)}, got {format_shape(target.shape)}"
        )
    n_classes = logp.shape[class_dim]
    _check_range(target, n_classes, op, "Target", ignore=ignore_index)
    valid = target != ignore_index
    # each target's weight: weight[target], 0 where the target is ignored
    counts = valid.to(logp.dtype)
    if n_classes == 0:  # every target is ignored (checked above): the empty sum picks 0s
        picked = logp.sum(class_dim)
    else:
        safe_target = target.masked_fill(~valid, 0)
        picked = logp.gather(class_dim, safe_target.unsqueeze(class_dim)).squeeze(class_dim)
        if weight is not None:
            counts = weight[safe_target].masked_fill(~valid, 0.0)
    loss = (-picked if weight is None else -picked * counts).masked_fill(~valid, 0.0)

    def reduce(terms):  # a mean is over the targets' weights (their count without weights)
        return terms.sum() / counts.sum() if reduction == "mean" else _reduce(terms, reduction, op)

    if not smoothing:
        return reduce(loss)
    # (1 - eps) * nll + eps / C * sum over classes of -log p, each term reduced, as in PyTorch
    # (so that no classes give 0 * inf = NaN there, whatever the batch)
    spread = -_per_class(logp, weight, class_dim).sum(class_dim).masked_fill(~valid, 0.0)
    per_class = smoothing / n_classes if n_classes else math.inf
    return reduce(loss) * (1.0 - smoothing) + reduce(spread) * per_class


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """``reduction`` as PyTorch reads its deprecated ``size_average`` / ``reduce`` arguments:
    if either is given (not None), they decide, with a warning: reduce=False -> "none",
    else size_average=False -> "sum", else "mean" (a None counts as True)."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        reduction = "none"
    else:
        reduction = "sum" if size_average is False else "mean"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
        f"instead.",
        stacklevel=3,
    )
    return reduction


def _reduce(loss: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ArgumentError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """(input - target)^2, averaged or summed."""
    _check_same_shape(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction, "mse_loss")


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:  # fmt: skip
    """KL(target || exp(input)) pointwise: target * (log target - input), with 0 where target
    is 0 (``input`` holds log-probabilities; with ``log_target``, ``target`` does too:
    exp(target) * (target - input)).

    ``reduction``: "mean" averages over every element (PyTorch's default, which is not the
    KL divergence of a batch), "batchmean" divides the sum by the batch size, "sum", "none".
    ``size_average`` and ``reduce`` are PyTorch's deprecated spellings (see ``_legacy_reduction``).
    """
    _check_same_shape(input, target, "kl_div")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "batchmean", "sum", "none"):
        raise ArgumentError(
            f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}"
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:  # xlogy(t, t): log of 1 (= 0) where t == 0, so that 0 * log 0 counts as 0
        loss = target * target.masked_fill(target == 0, 1.0).log() - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction: 'mean' divides the total loss by both the batch size and the "
            "support size. 'batchmean' divides only by the batch size, and aligns with the KL "
            "div math definition.",
            stacklevel=2,
        )
    return _reduce(loss, reduction, "kl_div")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight=None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:  # fmt: skip
    """-[p * y * log sigmoid(x) + (1 - y) * log(1 - sigmoid(x))] * weight, with p = pos_weight.

    Written as (1 - y) * x + (1 + (p - 1) * y) * softplus(-x), where softplus(-x) =
    log(1 + exp(-x)) is a logsumexp over (0, -x): stable for large |x|, and its gradient is
    exactly sigmoid(x) - 1 everywhere (so d loss / dx = sigmoid(x) - y when p = 1).
    """
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    softplus_neg = stack([input.new_zeros(input.shape), -input], -1).logsumexp(-1)
    if pos_weight is not None:
        softplus_neg = softplus_neg * (1 + (pos_weight - 1) * target)
    loss = (1 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad with ``value`` (0 by default): ``pad`` = (left, right) for the last dimension, then
    (left, right) for the one before it, and so on; negative amounts crop instead.

    Composed of ``narrow`` (cropping) and ``cat`` with constant blocks, so the gradient of the
    padding is zero and the rest passes through.
    """
    if mode != "constant":
        raise ArgumentError(
            f"pad: mode {mode!r} is not supported by minigrad; use mode='constant' (with value)"
        )
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ArgumentError(
            f"pad: the padding length must be even and at most twice the input's dimensions, "
            f"got {len(pad)} for input of shape {format_shape(input.shape)}"
        )
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        if before < 0 or after < 0:
            start, stop = max(-before, 0), out.shape[dim] - max(-after, 0)
            if stop < start:
                raise ShapeError(
                    f"pad: cropping {-min(before, 0)} and {-min(after, 0)} from dimension {dim} "
                    f"of size {out.shape[dim]} leaves a negative size"
                )
            out = out.narrow(dim, start, stop - start)
        fill = 0 if value is None else value
        blocks = [out.new_full(_resized(out.shape, dim, n), fill) for n in (before,) if n > 0]
        blocks.append(out)
        blocks += [out.new_full(_resized(out.shape, dim, n), fill) for n in (after,) if n > 0]
        out = cat(blocks, dim) if len(blocks) > 1 else out
    return out


def _resized(shape: tuple, dim: int, size: int) -> tuple:
    return shape[:dim] + (size,) + shape[dim + 1 :]


def _check_same_shape(input: Tensor, target: Tensor, op: str) -> None:
    if input.shape != target.shape:
        raise ShapeError(
            f"{op}: input {format_shape(input.shape)} and target {format_shape(target.shape)} "
            f"must have the same shape (minigrad does not broadcast losses silently)"
        )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(Q K^T * scale + mask) V over (..., L, E) queries and (..., S, E) keys.

    ``attn_mask`` is boolean (True = may attend) or a float mask added to the scores; both
    broadcast to (..., L, S). ``is_causal`` lets query i attend to keys 0..i. ``scale``
    defaults to 1 / sqrt(E).
    """
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"scaled_dot_product_attention: query {format_shape(query.shape)}, key "
            f"{format_shape(key.shape)} and value {format_shape(value.shape)} do not fit: need "
            f"query[-1] == key[-1] and key[-2] == value[-2]"
        )
    if is_causal and attn_mask is not None:
        raise ArgumentError(
            "scaled_dot_product_attention: pass either attn_mask or is_causal, not both"
        )
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if is_causal:
        attn_mask = _causal_mask_like(query, L, S)
    if attn_mask is not None:
        batch = broadcast_shapes(
            query.shape[:-2], key.shape[:-2], op="scaled_dot_product_attention"
        )
        _check_attention_mask(attn_mask, batch + (L, S), "scaled_dot_product_attention")
        if attn_mask.dtype is not dtypes.bool_:
            attn_mask = attn_mask.to(query.dtype)
    if dropout_p == 0.0 and (attn_mask is None or not attn_mask.requires_grad):
        # one graph node with a hand-derived backward (ops/fused.py); the general path follows
        mask = None if attn_mask is None else attn_mask._data
        return fused.Attention.apply(query, key, value, mask=mask, scale=scale)
    scores = (query @ key.mT) * scale
    if attn_mask is not None:
        is_bool = attn_mask.dtype is dtypes.bool_
        scores = where(attn_mask, scores, float("-inf")) if is_bool else scores + attn_mask
    weights = dropout(fused.attention_softmax(scores), dropout_p)
    return weights @ value


def _causal_mask_like(ref: Tensor, L: int, S: int) -> Tensor:
    """Boolean (L, S) mask, True on and below the diagonal, on ``ref``'s device."""
    return Tensor._make(ref._xp.tri(L, S, 0, dtype=bool), ref.device)


def _check_attention_mask(mask, scores_shape, op: str) -> None:
    """A mask must be a bool or float tensor that broadcasts to the scores' shape."""
    if not isinstance(mask, Tensor):
        raise DTypeError(f"{op}: attn_mask must be a Tensor, got {type(mask).__name__}")
    try:
        fits = broadcast_shapes(mask.shape, scores_shape, op=op) == tuple(scores_shape)
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{op}: attn_mask of shape {format_shape(mask.shape)} cannot be broadcast to the "
            f"attention scores of shape {format_shape(scores_shape)} (batch..., queries, keys)"
        )
    if mask.dtype is not dtypes.bool_ and not mask.is_floating_point():
        raise DTypeError(f"{op}: attn_mask must be bool or floating point, got {mask.dtype}")
