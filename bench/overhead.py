"""Per-op overhead: a chain of small elementwise ops, recorded, forward and backward.

On 16x16 tensors the arithmetic is negligible, so the time per op is the framework's own cost:
argument checks, graph recording, and the backward pass's bookkeeping. Each framework is timed in
a process of its own (``python -m bench.overhead FRAMEWORK`` prints microseconds per op).

``breakdown()`` (``python -m bench.overhead --breakdown``) splits minigrad's cost per op into
rungs, each timed on its own, without a profiler's distortion: the array work alone (the chain and
its backward in NumPy), the forward under ``no_grad`` (dispatch: Tensor method, type promotion,
``Function.apply``, wrapping the output), recording the graph, and the backward pass; then
cProfile's own-time shares of the functions that take the most.
"""

from __future__ import annotations

import cProfile
import importlib
import json
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from .timing import in_fresh_process

CHAIN = 100  # repetitions of (mul, add, tanh)
OPS_PER_CHAIN = 3 * CHAIN + 1  # + the final sum


def _chain(x):
    y = x
    for _ in range(CHAIN):
        y = (y * 1.0001 + 0.0001).tanh()
    return y.sum()


def _numpy_forward(x):
    """The chain's forward array work by hand; returns every tanh output (backward needs them)."""
    ys = []
    y = x
    for _ in range(CHAIN):
        y = np.tanh(y * np.float32(1.0001) + np.float32(0.0001))
        ys.append(y)
    return ys


def _numpy_backward(ys):
    """The chain's backward array work by hand: dx = dy * (1 - y^2) * 1.0001, per link."""
    g = np.ones_like(ys[-1])
    for y in reversed(ys):
        g = g * (1.0 - y * y)
        g = g * np.float32(1.0001)
    return g


def _us_per_op(fn, steps: int = 30, warmup: int = 5) -> float:
    """Median microseconds per op of the chain, from ``steps`` timed calls of ``fn``."""
    seconds = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        fn()
        if i >= warmup:
            seconds.append(time.perf_counter() - start)
    return 1e6 * statistics.median(seconds) / OPS_PER_CHAIN


def us_per_op(framework: str) -> float:
    """Microseconds per recorded op, forward and backward, of ``framework`` (imported here)."""
    lib = importlib.import_module(framework)
    x = lib.randn(16, 16, requires_grad=True)
    return _us_per_op(lambda: _chain(x).backward())


def breakdown(top: int = 12) -> dict:
    """Where minigrad's time per op goes (see the module docstring), in microseconds."""
    import minigrad

    x = minigrad.randn(16, 16, requires_grad=True)
    xa = x.detach().numpy()

    def no_grad_forward():
        with minigrad.no_grad():
            _chain(x)

    ys = _numpy_forward(xa)
    rungs = {
        "array_forward": _us_per_op(lambda: _numpy_forward(xa)),
        "array_backward": _us_per_op(lambda: _numpy_backward(ys)),
        "forward_no_grad": _us_per_op(no_grad_forward),
        "forward_recorded": _us_per_op(lambda: _chain(x)),
        "forward_backward": _us_per_op(lambda: _chain(x).backward()),
    }
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(20):
        _chain(x).backward()
    profile.disable()
    stats = pstats.Stats(profile).stats  # {(file, line, name): (calls, _, own, cumulative, _)}
    total = sum(own for _, _, own, _, _ in stats.values())
    ranked = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    return {
        "us_per_op": {
            "array work, forward and backward (NumPy alone)": rungs["array_forward"]
            + rungs["array_backward"],
            "forward dispatch (Tensor method to array op, under no_grad)": rungs["forward_no_grad"]
            - rungs["array_forward"],
            "graph recording (and freeing)": rungs["forward_recorded"] - rungs["forward_no_grad"],
            "backward pass bookkeeping": rungs["forward_backward"]
            - rungs["forward_recorded"]
            - rungs["array_backward"],
            "total, forward and backward": rungs["forward_backward"],
        },
        "profile_own_time_share": {
            f"{Path(file).name}:{name}": own / total
            for (file, _, name), (_, _, own, _, _) in ranked
        },
    }


def run(frameworks=("minigrad", "torch")) -> dict:
    """Microseconds per op of each framework, each measured in a fresh process."""
    result = {f"{fw}_us_per_op": in_fresh_process("bench.overhead", fw) for fw in frameworks}
    if "torch_us_per_op" in result:
        result["ratio"] = result["minigrad_us_per_op"] / result["torch_us_per_op"]
    return result


if __name__ == "__main__":
    if sys.argv[1] == "--breakdown":
        print(json.dumps(breakdown(), indent=2))
    else:
        print(json.dumps(us_per_op(sys.argv[1])))
