"""How tensors print: PyTorch's format, so output can be compared with PyTorch's by eye."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .autograd.tensor_base import TensorBase

LINE_WIDTH = 80
THRESHOLD = 1000  # a tensor of more elements prints only EDGE_ITEMS at each end of every axis
EDGE_ITEMS = 3
PRECISION = 4


def format_tensor(t: TensorBase) -> str:
    """PyTorch's style, by PyTorch's rules: ``tensor([[1.0000, 2.5000]], requires_grad=True)``.

    Floats get 4 decimals, or none ("2.") when all are whole, or scientific notation when the
    nonzero magnitudes reach 1e8, go below 1e-4 (not for whole numbers) or span more than 1000x,
    judged on the elements shown. Every element is right-aligned to the widest one; a row holds
    as many as fit in 80 characters after its indentation, and a tensor of over 1000 elements
    shows the first and last 3 along each axis around "...".
    """
    host = t._device.backend.to_numpy(t._data)
    if host.size == 0:
        body = "[]"
    else:
        summarize = host.size > THRESHOLD
        number = _Format(_summarized(host) if summarize else host)
        body = _nested(host, len("tensor("), summarize, number)
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
        if width + len(extra) + 2 > LINE_WIDTH:
            text += ",\n" + " " * len("tensor(") + extra
            width = len("tensor(") + len(extra)
        else:
            text += ", " + extra
            width += len(extra) + 2
    return text + ")"


class _Format:
    """How the elements print: the number format PyTorch picks from the elements shown, and
    the width they are all right-aligned to."""

    def __init__(self, shown):
        self.floating = shown.dtype.kind == "f"
        self.whole, self.scientific, self.width = True, False, 1
        if not self.floating:  # integers and bools print as Python prints them
            self.width = max(len(str(v)) for v in shown.reshape(-1).tolist())
            return
        values = shown[np.isfinite(shown) & (shown != 0)].astype(np.float64)
        if values.size == 0:
            return
        low, high = np.abs(values).min(), np.abs(values).max()
        self.whole = bool(np.all(values == np.ceil(values)))
        self.scientific = high / low > 1000 or high > 1e8 or (not self.whole and low < 1e-4)
        if self.scientific:
            self.width = max(len(f"{v:.{PRECISION}e}") for v in values.tolist())
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in values.tolist())
        else:
            self.width = max(len(f"{v:.{PRECISION}f}") for v in values.tolist())

    def __call__(self, value) -> str:
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:.{PRECISION}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _summarized(a):
    """The elements a summarized tensor shows: EDGE_ITEMS at each end of every axis."""
    if a.shape[0] > 2 * EDGE_ITEMS:
        a = np.concatenate([a[:EDGE_ITEMS], a[-EDGE_ITEMS:]])
    return np.stack([_summarized(row) for row in a]) if a.ndim > 1 else a


def _nested(a, indent: int, summarize: bool, number: _Format) -> str:
    """``a`` as nested brackets, its rows starting ``indent`` characters in."""
    if a.ndim == 0:
        return number(a.item())
    if a.ndim == 1:
        return _row(a, indent, summarize, number)
    n = a.shape[0]
    if summarize and n > 2 * EDGE_ITEMS:
        kept = [*range(EDGE_ITEMS), None, *range(n - EDGE_ITEMS, n)]
    else:
        kept = range(n)
    parts = ["..." if i is None else _nested(a[i], indent + 1, summarize, number) for i in kept]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _row(a, indent: int, summarize: bool, number: _Format) -> str:
    """A 1-d row, wrapped after as many elements as fit in the line after ``indent``."""
    values = a.tolist()
    if summarize and len(values) > 2 * EDGE_ITEMS:
        texts = [*map(number, values[:EDGE_ITEMS]), " ...", *map(number, values[-EDGE_ITEMS:])]
    else:
        texts = list(map(number, values))
    per_line = max(1, (LINE_WIDTH - indent) // (number.width + 2))
    lines = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
