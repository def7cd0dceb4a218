"""Tensor methods as module-level functions, PyTorch style: ``minigrad.exp(x)`` is ``x.exp()``.

A first argument that is not a Tensor but has a ``__torch_function__`` method (PyTorch's protocol
for tensor-like types, from its "Extending PyTorch" notes) handles the call itself:
``minigrad.mean(obj)`` returns ``obj.__torch_function__(minigrad.mean, (type(obj),), (obj,), {})``.
"""

from __future__ import annotations

from .autograd.grad_mode import STATE
from .errors import AutogradError, DTypeError
from .tensor import Tensor


def _from_method(name: str):
    def fn(input: Tensor, *args, **kwargs):
        if not isinstance(input, Tensor) and hasattr(input, "__torch_function__"):
            return input.__torch_function__(fn, (type(input),), (input, *args), kwargs)
        out = kwargs.pop("out", None)
        result = getattr(input, name)(*args, **kwargs)
        return result if out is None else _write_out(name, result, out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``minigrad.{name}(x, ...)`` is ``x.{name}(...)``; ``out=`` writes into a tensor."
    return fn


def _write_out(op: str, result, out):
    """PyTorch's ``out=``: the result written into ``out`` (by the checks of any in-place
    write: same shape, a dtype that can hold it), which is returned. Not recorded, as in
    PyTorch; ``out`` must already have the result's shape (PyTorch would resize it)."""
    if isinstance(result, tuple):
        raise DTypeError(f"{op}(): out= takes one tensor; {op} returns several")
    if not isinstance(out, Tensor):
        raise DTypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if STATE.grad_enabled and (result.requires_grad or out.requires_grad):
        raise AutogradError(
            f"{op}(): functions with out=... arguments don't support automatic differentiation, "
            f"but one of the arguments requires grad."
        )
    return out._assign(result, f"{op}()")


_METHODS = """
    abs add sub mul div neg exp log log2 log10 sqrt rsqrt sign tanh sigmoid relu sin cos erf square
    clamp clip maximum minimum sum mean var std norm amax amin max min argmax argmin logsumexp
    softmax log_softmax cumsum sort argsort topk reshape permute transpose swapaxes squeeze
    unsqueeze flatten unflatten split chunk unbind flip roll narrow select gather scatter
    scatter_add index_select index_fill masked_fill masked_select nonzero argwhere matmul mm bmm mv
    dot outer tril triu isnan isinf isfinite isclose allclose equal logical_and logical_or logical_xor
    logical_not eq ne lt le gt ge all any numel clone detach t movedim moveaxis unique histogram
    bincount
""".split()

for _name in _METHODS:
    globals()[_name] = _from_method(_name)

_tensor_pow = _from_method("pow")


def pow(input, exponent):  # noqa: A001  (torch.pow)
    """``input ** exponent``; ``input`` may be a number (``minigrad.pow(2.0, t)``)."""
    if isinstance(input, (int, float)) and isinstance(exponent, Tensor):
        return exponent.__rpow__(input)
    return _tensor_pow(input, exponent)


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``, as PyTorch's ``addmm`` (a bias plus a product)."""
    product = mat1 @ mat2
    return (input if beta == 1 else input * beta) + (product if alpha == 1 else product * alpha)


__all__ = [*_METHODS, "pow", "addmm"]
