"""The machine's matrix-product speed: NumPy's BLAS (what minigrad uses) and PyTorch's, each
measured in a process of its own (``python -m bench.matmul numpy|torch`` prints GFLOP/s)."""

from __future__ import annotations

import json
import sys

import numpy as np

from .timing import in_fresh_process, median_ms, timed


def gflops(framework: str, n: int = 2048, steps: int = 5) -> float:
    """GFLOP/s of an n x n float32 matrix product, in this process."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    if framework == "torch":
        import torch

        a, b = torch.from_numpy(a), torch.from_numpy(b)
    a @ b  # warm-up
    seconds = [timed(lambda: a @ b) for _ in range(steps)]
    return 2 * n**3 / (median_ms(seconds) / 1e3) / 1e9


def peak_gflops(frameworks=("numpy", "torch")) -> dict:
    """``{framework_gflops: ...}``, each framework in a fresh process."""
    return {f"{fw}_gflops": in_fresh_process("bench.matmul", fw) for fw in frameworks}


if __name__ == "__main__":
    print(json.dumps(gflops(sys.argv[1])))
