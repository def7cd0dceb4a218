"""How tensors print: PyTorch's format, so output can be compared with PyTorch's by eye."""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .autograd.tensor_base import TensorBase
from .errors import ArgumentError

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
# decimals; a tensor of more than ``threshold`` elements prints ``edgeitems`` at each end of
# every axis; ``sci_mode`` None chooses scientific notation by the values, True or False forces it
OPTIONS = dict(_PROFILES["default"], sci_mode=None)


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:  # fmt: skip
    """PyTorch's print options: a ``profile`` ("default", "short", "full") first, then each
    option given. ``sci_mode`` is always set (None: chosen by the values, as by default)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ArgumentError(f"set_printoptions: unknown profile {profile!r}")
        OPTIONS.update(_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    OPTIONS.update({k: v for k, v in given.items() if v is not None}, sci_mode=sci_mode)


def format_tensor(t: TensorBase) -> str:
    """PyTorch's style, by PyTorch's rules: ``tensor([[1.0000, 2.5000]], requires_grad=True)``.

    Floats get 4 decimals, or none ("2.") when all are whole, or scientific notation when the
    nonzero magnitudes reach 1e8, go below 1e-4 or span more than 1000x, judged on the elements
    shown. Every element is right-aligned to the widest one; a row holds
    as many as fit in 80 characters after its indentation, and a tensor of over 1000 elements
    shows the first and last 3 along each axis around "..." (``set_printoptions`` changes
    these numbers).
    """
    host = t._device.backend.to_numpy(t._data)
    if host.size == 0:
        body = "[]"
    else:
        summarize = host.size > OPTIONS["threshold"]
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
        if width + len(extra) + 2 > OPTIONS["linewidth"]:
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
        forced = OPTIONS["sci_mode"]
        self.scientific = (
            high / low > 1000 or high > 1e8 or low < 1e-4 if forced is None else forced
        )
        digits = OPTIONS["precision"]
        if self.scientific:
            self.width = max(len(f"{v:.{digits}e}") for v in values.tolist())
        elif self.whole:
            self.width = max(len(f"{v:.0f}") + 1 for v in values.tolist())
        else:
            self.width = max(len(f"{v:.{digits}f}") for v in values.tolist())

    def __call__(self, value) -> str:
        digits = OPTIONS["precision"]
        if not self.floating:
            text = str(value)
        elif self.scientific:
            text = f"{value:.{digits}e}"
        elif self.whole:
            text = f"{value:.0f}" + ("." if math.isfinite(value) else "")
        else:
            text = f"{value:.{digits}f}"
        return text.rjust(self.width)


def _summarized(a):
    """The elements a summarized tensor shows: ``edgeitems`` at each end of every axis."""
    edge = OPTIONS["edgeitems"]
    if a.shape[0] > 2 * edge:
        a = np.concatenate([a[:edge], a[-edge:]])
    return np.stack([_summarized(row) for row in a]) if a.ndim > 1 else a


def _nested(a, indent: int, summarize: bool, number: _Format) -> str:
    """``a`` as nested brackets, its rows starting ``indent`` characters in."""
    if a.ndim == 0:
        return number(a.item())
    if a.ndim == 1:
        return _row(a, indent, summarize, number)
    n, edge = a.shape[0], OPTIONS["edgeitems"]
    if summarize and n > 2 * edge:
        kept = [*range(edge), None, *range(n - edge, n)]
    else:
        kept = range(n)
    parts = ["..." if i is None else _nested(a[i], indent + 1, summarize, number) for i in kept]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _row(a, indent: int, summarize: bool, number: _Format) -> str:
    """A 1-d row, wrapped after as many elements as fit in the line after ``indent``."""
    values, edge = a.tolist(), OPTIONS["edgeitems"]
    if summarize and len(values) > 2 * edge:
        texts = [*map(number, values[:edge]), " ...", *map(number, values[-edge:])]
    else:
        texts = list(map(number, values))
    per_line = max(1, (OPTIONS["linewidth"] - indent) // (number.width + 2))
    lines = [", ".join(texts[i : i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
