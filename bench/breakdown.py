"""Where the time of a training step goes.

Every op's forward is the only place minigrad touches arrays (backward is written in Tensor ops,
whose forwards run the array work), so timing each ``Op.forward`` by op splits a step into
array work per op; the optimiser's array work is timed separately; the rest is Python: argument
checks, graph recording and the backward pass's bookkeeping.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict

from minigrad.autograd.graph import Op


def _all_functions(cls=Op):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_functions(sub)


@contextlib.contextmanager
def op_timer():
    """Time every Op.forward; yields {op name: seconds} and the matmul flop count."""
    seconds: dict[str, float] = defaultdict(float)
    flops = {"matmul": 0}
    patched = []
    for fn_cls in _all_functions():
        if "forward" not in fn_cls.__dict__:
            continue
        original = fn_cls.__dict__["forward"]
        name = fn_cls.__name__

        def timed_forward(ctx, *arrays, _original=original.__func__, _name=name, **kwargs):
            start = time.perf_counter()
            out = _original(ctx, *arrays, **kwargs)
            seconds[_name] += time.perf_counter() - start
            if _name == "Matmul":
                a, b = arrays
                flops["matmul"] += 2 * math.prod(out.shape) * a.shape[-1]
            return out

        fn_cls.forward = staticmethod(timed_forward)
        patched.append((fn_cls, original))
    try:
        yield seconds, flops
    finally:
        for fn_cls, original in patched:
            fn_cls.forward = original


def summarize(step, optimizer_step, steps: int = 5) -> dict:
    """Run ``step()`` (forward + backward) and ``optimizer_step()`` ``steps`` times under the timer."""
    with op_timer() as (seconds, flops):
        total = opt = 0.0
        for _ in range(steps):
            start = time.perf_counter()
            step()
            mid = time.perf_counter()
            optimizer_step()
            end = time.perf_counter()
            total += end - start
            opt += end - mid
    matmul = seconds.get("Matmul", 0.0)
    elementwise = sum(seconds.values()) - matmul
    python = total - matmul - elementwise - opt
    return {
        "step_ms": 1e3 * total / steps,
        "share": {
            "matmul": matmul / total,
            "other_ops": elementwise / total,
            "optimizer": opt / total,
            "python": python / total,
        },
        "top_ops_ms": {
            k: 1e3 * v / steps for k, v in sorted(seconds.items(), key=lambda kv: -kv[1])[:8]
        },
        "matmul_gflops": flops["matmul"] / matmul / 1e9 if matmul else 0.0,
    }
