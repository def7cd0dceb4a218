"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time


def median_ms(samples: list[float]) -> float:
    return 1e3 * statistics.median(samples)


def timed(fn) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def in_fresh_process(module: str, *args, env=None):
    """Run ``python -m module args...`` in a new process and return the JSON it prints: each
    library measured alone, with no other library's threads or allocator settings around."""
    command = [sys.executable, "-m", module, *map(str, args)]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


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
