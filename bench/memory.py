"""Memory of a training step: peak resident memory per framework, and growth over many steps.

Memory is measured in a fresh child process per framework, so one library cannot hide the
other's, from the peak resident size (VmHWM, which Linux lets a process reset):

- ``peak_mib``: the peak above the resident size once the libraries are imported: model,
  optimiser state, activations, gradients, and whatever the library allocates lazily;
- ``step_mib``: the peak of later steps above the resident size between steps: what one step
  allocates anew (a caching allocator, like PyTorch's, keeps it resident and shows little here).
Growth is measured with tracemalloc, which sees every NumPy allocation.
"""

from __future__ import annotations

import gc
import json
import sys
import tempfile
import tracemalloc
from pathlib import Path

from .timing import in_fresh_process


def _status_kib(field: str) -> int:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak() -> None:
    """Make VmHWM (the peak resident size) start again from the current size (Linux)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def step_memory_mib(framework: str, config: str, steps: int = 3) -> dict:
    """``peak_mib`` and ``step_mib`` (see the module docstring) of ``framework``'s training."""
    return in_fresh_process("bench.memory", framework, config, steps)


def growth_kib(config: str = "tiny", early: int = 10, late: int = 500) -> dict:
    """Traced memory after ``early`` steps and after ``late`` steps of minigrad training."""
    from .gpt_step import build

    step = build("minigrad", config)
    tracemalloc.start()
    try:
        for _ in range(early):
            step()
        gc.collect()  # readings without garbage that merely awaits the cyclic collector
        at_early = tracemalloc.get_traced_memory()[0]
        for _ in range(late - early):
            step()
        gc.collect()
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

    from .gpt_step import build_step, write_setup

    with tempfile.TemporaryDirectory() as tmp:
        setup = Path(tmp) / "setup.npz"
        write_setup(config, setup)  # weights made by minigrad: before the baseline reading
        gc.collect()
        _reset_peak()
        imported = _status_kib("VmRSS")
        step = build_step(framework, setup)
    step()  # the first step creates the optimiser state and warms up the library
    total = _status_kib("VmHWM") - imported
    _reset_peak()
    steady = _status_kib("VmRSS")
    for _ in range(steps):
        step()
    transient = _status_kib("VmHWM") - steady
    print(
        json.dumps(
            {
                "peak_mib": max(total, steady + transient - imported) / 1024,
                "step_mib": transient / 1024,
            }
        )
    )


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2], int(sys.argv[3]))
