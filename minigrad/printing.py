"""How tensors print: PyTorch's format, so output can be compared with PyTorch's by eye."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd.tensor_base import TensorBase


def format_tensor(t: TensorBase) -> str:
    """PyTorch's style: ``tensor([[1.0000, 2.5000]], requires_grad=True)``.

    Floats get 4 decimals, or none ("2.") when all are whole, or scientific notation when the
    nonzero magnitudes reach 1e8, go below 1e-4 or span more than 1000x. Elements are
    right-aligned to the widest one and lines wrap at 80 characters, as PyTorch prints them.
    """
    host = t._device.backend.to_numpy(t._data)
    if host.dtype.kind == "f":
        finite = host[np.isfinite(host)]
        nonzero = np.abs(finite[finite != 0])
        whole = bool(np.all(finite == np.round(finite)))
        sci = nonzero.size > 0 and (
            nonzero.max() > 1e8 or nonzero.min() < 1e-4 or nonzero.max() / nonzero.min() > 1000
        )
        if sci:
            body = _aligned(host, "float_kind", "{:.4e}".format)
        elif whole:
            body = _aligned(host, "float_kind", lambda v: f"{v:.0f}." if np.isfinite(v) else str(v))
        else:
            body = _aligned(host, "float_kind", "{:.4f}".format)
    elif host.dtype == np.bool_:
        body = _aligned(host, "bool", str)
    else:
        body = np.array2string(host, **_ARRAY_TEXT)
    extras = []
    if t._device.type != "cpu":
        extras.append(f"device='{t._device}'")
    if host.size == 0 and host.ndim != 1:
        extras.append(f"size={tuple(host.shape)}")
    implied = (
        (dtypes.get_default_dtype(),)
        if host.size == 0
        else (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)
    )
    if t.dtype not in implied:
        extras.append(f"dtype={t.dtype}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    text = "tensor(" + body
    width = len(text) - text.rfind("\n") + 1  # PyTorch's measure of the last line (2 over)
    for extra in extras:  # a suffix that would pass 80 characters starts a new line
        if width + len(extra) + 2 > 80:
            text += ",\n" + " " * len("tensor(") + extra
            width = len("tensor(") + len(extra)
        else:
            text += ", " + extra
            width += len(extra) + 2
    return text + ")"


_ARRAY_TEXT = {"separator": ", ", "prefix": "tensor(", "threshold": 1000, "max_line_width": 80}


def _aligned(host, kind: str, fmt) -> str:
    """``host`` as text with each element formatted by ``fmt`` and right-aligned to the widest
    one shown (a first pass measures the elements that the second pass prints)."""
    widths = [0]

    def measure(v):
        text = fmt(v)
        widths.append(len(text))
        return text

    np.array2string(host, formatter={kind: measure}, **_ARRAY_TEXT)
    width = max(widths)
    return np.array2string(host, formatter={kind: lambda v: fmt(v).rjust(width)}, **_ARRAY_TEXT)
