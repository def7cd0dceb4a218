"""Per-op overhead: a chain of small elementwise ops, recorded, forward and backward.

On 16x16 tensors the arithmetic is negligible, so the time per op is the framework's own cost:
argument checks, graph recording, and the backward pass's bookkeeping. Each framework is timed in
a process of its own (``python -m bench.overhead FRAMEWORK`` prints microseconds per op).
"""

from __future__ import annotations

import importlib
import json
import statistics
import subprocess
import sys
import time

CHAIN = 100  # repetitions of (mul, add, tanh)
OPS_PER_CHAIN = 3 * CHAIN + 1  # + the final sum


def _chain(x):
    y = x
    for _ in range(CHAIN):
        y = (y * 1.0001 + 0.0001).tanh()
    return y.sum()


def us_per_op(framework: str, steps: int = 30, warmup: int = 5) -> float:
    """Median microseconds per recorded op of ``framework`` (imported here) over ``steps`` chains."""
    lib = importlib.import_module(framework)
    x = lib.randn(16, 16, requires_grad=True)
    seconds = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        _chain(x).backward()
        if i >= warmup:
            seconds.append(time.perf_counter() - start)
    return 1e6 * statistics.median(seconds) / OPS_PER_CHAIN


def run(frameworks=("minigrad", "torch")) -> dict:
    """Microseconds per op of each framework, each measured in a fresh process."""
    result = {}
    for framework in frameworks:
        out = subprocess.run(
            [sys.executable, "-m", "bench.overhead", framework],
            check=True,
            capture_output=True,
            text=True,
        )
        result[f"{framework}_us_per_op"] = json.loads(out.stdout)
    if "torch_us_per_op" in result:
        result["ratio"] = result["minigrad_us_per_op"] / result["torch_us_per_op"]
    return result


if __name__ == "__main__":
    print(json.dumps(us_per_op(sys.argv[1])))
