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
        is_classmethod = isinstance(original, classmethod)  # (cls, ctx, ...): discrete ops

        def timed_forward(*args, _original=original.__func__, _name=fn_cls.__name__, **kwargs):
            name = args[0].__name__ if isinstance(args[0], type) else _name
            start = time.perf_counter()
            out = _original(*args, **kwargs)
            seconds[name] += time.perf_counter() - start
            if name == "Matmul":
                a, b = args[1:]
                flops["matmul"] += 2 * math.prod(out.shape) * a.shape[-1]
            return out

        fn_cls.forward = (classmethod if is_classmethod else staticmethod)(timed_forward)
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
