"""Whether ops record the graph: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

Each works as a context manager and as a decorator, as in PyTorch. Backward runs its own Tensor
ops under ``no_grad`` unless ``create_graph=True``.
"""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    """The autograd switches, read on every op. Each thread has its own (as in PyTorch): a
    ``no_grad()`` in one thread leaves recording on in the others, and a new thread starts with
    the defaults below."""

    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.scope = ()  # the modules whose forward is running, outermost first


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class set_grad_enabled:
    """Turn graph recording on or off; restores the previous setting on exit.

    Called plainly (``set_grad_enabled(False)``) it switches at once, as in PyTorch.
    """

    def __init__(self, mode: bool):
        self.prev = STATE.grad_enabled
        self.mode = bool(mode)
        STATE.grad_enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.prev

    def __call__(self, fn):
        mode = self.mode
        STATE.grad_enabled = self.prev  # used as a decorator: do not switch now

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _Switch(set_grad_enabled):
    """A fixed setting (``mode``) that takes effect on ``__enter__``, not when constructed."""

    mode: bool

    def __new__(cls, fn=None):  # ``@no_grad`` without parentheses decorates too, as in PyTorch
        return object.__new__(cls) if fn is None else cls()(fn)

    def __init__(self):
        self.prev = STATE.grad_enabled

    def __enter__(self):
        self.prev = STATE.grad_enabled
        STATE.grad_enabled = self.mode
        return self


class no_grad(_Switch):
    """Run without recording the graph (inference, optimiser updates, weight init)."""

    mode = False


class enable_grad(_Switch):
    """Record the graph again inside a ``no_grad`` region."""

    mode = True
