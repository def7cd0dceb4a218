"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time


def median_ms(samples: list[float]) -> float:
    return 1e3 * statistics.median(samples)


def timed(fn) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(fns: dict, steps: int, warmup: int) -> dict[str, list[float]]:
    """Time each function ``steps`` times, alternating between them so that machine noise hits
    all of them alike; the first ``warmup`` rounds are discarded. (On a CPU, libraries timed in
    one process steal each other's time through their idle threads: see ``bench.gpt_step``.)"""
    samples = {name: [] for name in fns}
    for i in range(warmup + steps):
        for name, fn in fns.items():
            t = timed(fn)
            if i >= warmup:
                samples[name].append(t)
    return samples
