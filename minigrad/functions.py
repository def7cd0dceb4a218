"""Tensor methods as module-level functions, PyTorch style: ``minigrad.exp(x)`` is ``x.exp()``.

A first argument that is not a Tensor but has a ``__torch_function__`` method (PyTorch's protocol
for tensor-like types, from its "Extending PyTorch" notes) handles the call itself:
``minigrad.mean(obj)`` returns ``obj.__torch_function__(minigrad.mean, (type(obj),), (obj,), {})``.
"""

from __future__ import annotations

from .tensor import Tensor


def _from_method(name: str):
    def fn(input: Tensor, *args, **kwargs):
        if not isinstance(input, Tensor) and hasattr(input, "__torch_function__"):
            return input.__torch_function__(fn, (type(input),), (input, *args), kwargs)
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``minigrad.{name}(x, ...)`` is ``x.{name}(...)``."
    return fn


_METHODS = """
    abs add sub mul div neg exp log log2 log10 sqrt rsqrt sign tanh sigmoid relu sin cos erf square
    clamp clip maximum minimum sum mean var std norm amax amin max min argmax argmin logsumexp
    softmax log_softmax cumsum sort argsort topk reshape permute transpose swapaxes squeeze
    unsqueeze flatten unflatten split chunk unbind flip roll narrow select gather scatter
    scatter_add index_select index_fill masked_fill nonzero argwhere matmul mm bmm mv dot outer
    tril triu isnan isinf isfinite allclose equal logical_and logical_or logical_xor logical_not
    eq ne lt le gt ge all any numel clone detach t movedim moveaxis unique histogram
""".split()

for _name in _METHODS:
    globals()[_name] = _from_method(_name)

_tensor_pow = _from_method("pow")


def pow(input, exponent):  # noqa: A001  (torch.pow)
    """``input ** exponent``; ``input`` may be a number (``minigrad.pow(2.0, t)``)."""
    if isinstance(input, (int, float)) and isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    return _tensor_pow(input, exponent)


__all__ = [*_METHODS, "pow"]
