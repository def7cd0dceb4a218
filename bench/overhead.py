"""Per-op overhead: a chain of small elementwise ops, recorded, forward and backward.

On 16x16 tensors the arithmetic is negligible, so the time per op is the framework's own cost:
argument checks, graph recording, and the backward pass's bookkeeping.
"""

from __future__ import annotations

from .timing import interleaved, median_ms

CHAIN = 100  # repetitions of (mul, add, tanh)
OPS_PER_CHAIN = 3 * CHAIN + 1  # + the final sum


def _chain(x):
    y = x
    for _ in range(CHAIN):
        y = (y * 1.0001 + 0.0001).tanh()
    return y.sum()


def run(torch, steps: int = 20, warmup: int = 3) -> dict:
    import minigrad

    xm = minigrad.randn(16, 16, requires_grad=True)
    fns = {"minigrad": lambda: _chain(xm).backward()}
    if torch is not None:
        xt = torch.randn(16, 16, requires_grad=True)
        fns["torch"] = lambda: _chain(xt).backward()
    samples = interleaved(fns, steps, warmup)
    per_op = {name: 1e3 * median_ms(s) / OPS_PER_CHAIN for name, s in samples.items()}
    result = {"minigrad_us_per_op": per_op["minigrad"]}
    if "torch" in per_op:
        result["torch_us_per_op"] = per_op["torch"]
        result["ratio"] = per_op["minigrad"] / per_op["torch"]
    return result
