"""The machine's matrix-product speed: NumPy's BLAS (what minigrad uses) and PyTorch's."""

from __future__ import annotations

import numpy as np

from .timing import interleaved, median_ms


def peak_gflops(torch=None, n: int = 2048, steps: int = 5) -> dict:
    """GFLOP/s of an n x n float32 matrix product."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    fns = {"numpy": lambda: a @ b}
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: ta @ tb
    samples = interleaved(fns, steps, warmup=1)
    flop = 2 * n**3
    return {f"{name}_gflops": flop / (median_ms(s) / 1e3) / 1e9 for name, s in samples.items()}
