"""Anomaly detection: find the op whose backward first produced NaN or Inf.

Inside ``detect_anomaly()`` every recorded op remembers where in the user's code it was created;
the backward pass checks each gradient it computes and, at the first non-finite one, raises an
error naming the op and showing that place.
"""

from __future__ import annotations

import os
import traceback

from ..errors import AutogradError
from .grad_mode import STATE


class detect_anomaly:
    """Context manager: check every gradient for NaN/Inf and report the forward op that made it."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = STATE.anomaly
        STATE.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self.prev


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off for the rest of the program."""
    STATE.anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _where_created(trace) -> str:
    """The user's frames that led to the op (up to four, innermost last), then the chain of
    minigrad functions below them that recorded it."""
    if not trace:
        return "  (not recorded: the forward ran outside detect_anomaly)\n"
    inside = [frame.filename.startswith(_PACKAGE_DIR) for frame in trace]
    last = max((i for i, flag in enumerate(inside) if not flag), default=len(trace) - 1)
    shown = "".join(traceback.format_list(trace[max(0, last - 3) : last + 1]))
    internal = [frame.name for frame in trace[last + 1 :]]
    return shown + (f"  inside minigrad: {' -> '.join(internal)}\n" if internal else "")


def anomaly_error(node, index: int) -> AutogradError:
    """The error for a non-finite gradient that ``node`` sent to its input ``index``."""
    where = _where_created(node.trace)
    return AutogradError(
        f"Function '{node.name}' returned nan or inf values in its {index}th output (the gradient "
        f"of input {index}, shape {list(node.inputs[index].shape)}).\n"
        f"The forward op was created at:\n{where}"
    )
