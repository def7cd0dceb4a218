"""Tensor methods as module-level functions, PyTorch style: ``minigrad.exp(x)`` is ``x.exp()``."""

from __future__ import annotations

from .tensor import Tensor


def _from_method(name: str):
    def fn(input: Tensor, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``minigrad.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


_METHODS = """
    abs add sub mul div pow neg exp log sqrt rsqrt sign tanh sigmoid relu sin cos erf square
    clamp clip maximum minimum sum mean var std norm amax amin max min argmax argmin logsumexp
    softmax log_softmax cumsum sort argsort topk reshape permute transpose swapaxes squeeze
    unsqueeze flatten unflatten split chunk unbind flip narrow select gather index_select
    masked_fill matmul tril triu isnan isinf isfinite allclose equal logical_and logical_or
    logical_xor logical_not eq ne lt le gt ge all any numel clone detach t movedim moveaxis
""".split()

for _name in _METHODS:
    globals()[_name] = _from_method(_name)

mm = bmm = _from_method("matmul")

__all__ = [*_METHODS, "mm", "bmm"]
