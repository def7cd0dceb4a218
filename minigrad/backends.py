"""``minigrad.backends``: the switches PyTorch programs set on ``torch.backends``, answered for
minigrad (its own array backends are ``minigrad.backend``).

Training scripts ask ``torch.backends.mps.is_available()`` to pick a device and set flags such
as ``torch.backends.cuda.matmul.allow_tf32 = True`` or ``torch.backends.cudnn.benchmark = True``
to speed up a GPU. minigrad has no Apple GPU backend and no cuDNN, and its matrix products are
always computed in full float32 (NumPy's BLAS, CuPy's default), so the questions answer False and
the flags keep the values a program sets, with PyTorch's defaults, and change nothing.
"""

from __future__ import annotations


class _Mps:
    """Apple's Metal backend, which minigrad does not have."""

    @staticmethod
    def is_available() -> bool:
        return False

    @staticmethod
    def is_built() -> bool:
        return False


class _Matmul:
    allow_tf32 = False  # PyTorch's default: TF32 products off


class _Cuda:
    matmul = _Matmul()


class _Cudnn:
    allow_tf32 = True  # PyTorch's defaults
    benchmark = False
    deterministic = False
    enabled = True

    @staticmethod
    def is_available() -> bool:
        return False


mps = _Mps()
cuda = _Cuda()
cudnn = _Cudnn()
