"""``minigrad.linalg``: the norms of ``torch.linalg`` (RMSNorm written with
``torch.linalg.norm(x, dim=(1, 2))``, gradient clipping by hand with ``vector_norm``)."""

from __future__ import annotations

from .errors import ArgumentError
from .tensor import Tensor


def vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False) -> Tensor:
    """The ord-norm of the elements over ``dim`` (all of them by default), as a vector's:
    (sum |x|^ord)^(1/ord), max |x| for ord = inf."""
    return x.norm(ord, dim, keepdim)


def norm(x: Tensor, ord=None, dim=None, keepdim: bool = False) -> Tensor:
    """PyTorch's ``linalg.norm``: without ``ord``, the 2-norm of the elements over ``dim`` (the
    Frobenius norm over two dims); with ``ord``, a vector norm over one dim (or of a 1-d
    tensor), or the Frobenius norm ("fro") over two dims (or of a 2-d tensor). The other
    matrix norms (nuclear, spectral, max row or column sums) are not in minigrad."""
    if ord is None:
        return x.norm(2, dim, keepdim)
    dims = (dim,) if isinstance(dim, int) else dim
    if dims is None:
        if x.ndim not in (1, 2):
            raise ArgumentError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                f"Got {x.ndim}D."
            )
        dims = tuple(range(x.ndim))
    if len(dims) == 1 and ord != "fro":
        return x.norm(ord, dims, keepdim)
    if len(dims) == 2 and ord == "fro":
        return x.norm(2, dims, keepdim)
    kind = "matrix" if len(dims) == 2 else "vector"
    raise ArgumentError(
        f"linalg.norm: ord={ord!r} over {len(dims)} dim(s) (a {kind} norm) is not supported by "
        f"minigrad; it has vector norms over one dim and the Frobenius norm over two"
    )


__all__ = ["norm", "vector_norm"]
