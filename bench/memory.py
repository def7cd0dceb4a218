"""Memory of a training step: peak resident memory per framework, and growth over many steps.

Peak memory is measured in a fresh child process per framework (``ru_maxrss`` after the steps
minus the resident size once the libraries are imported), so one library's allocations cannot
hide the other's. Growth is measured with tracemalloc, which sees every NumPy allocation.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tracemalloc


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() // 1024


def peak_step_memory_mib(framework: str, config: str, steps: int = 3) -> float:
    """MiB of resident memory a training step adds on top of the imported libraries."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", framework, config, str(steps)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)["peak_mib"]


def growth_kib(config: str = "tiny", early: int = 10, late: int = 500) -> dict:
    """Traced memory after ``early`` steps and after ``late`` steps of minigrad training."""
    from .gpt_step import build_pair

    step = build_pair(config, frameworks=("minigrad",))["minigrad"]
    tracemalloc.start()
    try:
        for _ in range(early):
            step()
        at_early = tracemalloc.get_traced_memory()[0]
        for _ in range(late - early):
            step()
        at_late = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return {
        f"after_{early}_kib": at_early / 1024,
        f"after_{late}_kib": at_late / 1024,
        "growth_kib": (at_late - at_early) / 1024,
    }


def _child(framework: str, config: str, steps: int) -> None:
    import torch  # noqa: F401

    import minigrad  # noqa: F401  (both libraries imported in both children: same baseline)

    from .gpt_step import build_pair

    base = _rss_kib()
    step = build_pair(config, frameworks=(framework,))[framework]
    for _ in range(steps):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mib": (peak - base) / 1024}))


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
