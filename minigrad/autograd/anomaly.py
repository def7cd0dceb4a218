"""Anomaly detection: find the op whose backward first produced NaN or Inf.

Inside ``detect_anomaly()`` every recorded op remembers where in the user's code it was created;
the backward pass checks each gradient it computes and, at the first non-finite one, raises an
error naming the op and showing that place.
"""

from __future__ import annotations

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


def anomaly_error(node, index: int) -> AutogradError:
    """The error for a non-finite gradient that ``node`` sent to its input ``index``."""
    where = (
        "".join(traceback.format_list(node.trace[-4:]))
        if node.trace
        else ("  (not recorded: the forward ran outside detect_anomaly)\n")
    )
    return AutogradError(
        f"Function '{node.name}' returned nan or inf values in its {index}th output (the gradient "
        f"of input {index}, shape {list(node.inputs[index].shape)}).\n"
        f"The forward op was created at:\n{where}"
    )
