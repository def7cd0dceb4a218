"""Where the time of a training step goes.

minigrad touches arrays only inside ops: an ``Op.forward``, or an ``Op.backward`` that works on
the arrays directly (a plain backward of the fused ops and of matmul). A backward written in
Tensor ops runs further ops, whose time is theirs. So timing every forward and backward by op,
each net of the timed calls nested in it, splits a step into array work per op; the optimiser's
array work is timed separately; the rest is Python: argument checks, graph recording and the
backward pass's bookkeeping.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict

from minigrad.autograd.graph import Op

# the ops whose time is matrix products ("matmul" below); a Linear's bias add and sum ride along
PRODUCTS = ("Matmul", "Linear")


def _all_functions(cls=Op):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_functions(sub)


@contextlib.contextmanager
def op_timer():
    """Time every op's forward and backward, each net of the timed calls inside it; yields
    {op name: seconds} and the matmul flop count."""
    seconds: dict[str, float] = defaultdict(float)
    flops = {"matmul": 0}
    nested = [0.0]  # time of the timed calls inside the one running, per level
    patched = []

    def timed(original, name_of, count_flops):
        def run(*args, **kwargs):
            nested.append(0.0)
            flops_before = flops["matmul"]
            start = time.perf_counter()
            out = original(*args, **kwargs)
            elapsed = time.perf_counter() - start
            inner = nested.pop()
            seconds[name_of(args)] += elapsed - inner
            nested[-1] += elapsed
            if flops["matmul"] == flops_before:  # not counted by the matmuls nested in it
                count_flops(args, out)
            return out

        return run

    def matmul_flops(args, out):
        if isinstance(out, tuple):  # backward: one product per input that wanted a gradient
            ctx = args[0]
            shape = ctx.out_meta[0]
            products = sum(ctx.needs_input_grad[:2])  # a Linear's bias gradient is a sum
            flops["matmul"] += products * 2 * math.prod(shape) * ctx.inputs[0].shape[-1]
        else:
            flops["matmul"] += 2 * math.prod(out.shape) * args[1].shape[-1]

    for fn_cls in _all_functions():
        count = matmul_flops if fn_cls.__name__ in PRODUCTS else lambda args, out: None
        for kind in ("forward", "backward"):
            original = fn_cls.__dict__.get(kind)
            if original is None:
                continue
            wrapper = classmethod if isinstance(original, classmethod) else staticmethod

            def name_of(args, _name=fn_cls.__name__):  # a classmethod forward gets its class
                return args[0].__name__ if isinstance(args[0], type) else _name

            setattr(fn_cls, kind, wrapper(timed(original.__func__, name_of, count)))
            patched.append((fn_cls, kind, original))
    try:
        yield seconds, flops
    finally:
        for fn_cls, kind, original in patched:
            setattr(fn_cls, kind, original)


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
    matmul = sum(seconds.get(name, 0.0) for name in PRODUCTS)
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
