"""``make bench``: minigrad against PyTorch's CPU eager mode, side by side in one process.

Prints a table and writes ``bench/results.json``. Every ratio is minigrad / PyTorch, from medians
of interleaved runs, so that machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

from . import breakdown, matmul, memory, overhead
from .gpt_step import build_pair
from .timing import interleaved, median_ms


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def training_steps(configs, steps: int, warmup: int, torch) -> dict:
    results = {}
    frameworks = ("minigrad", "torch") if torch is not None else ("minigrad",)
    for name in configs:
        pair = build_pair(name, frameworks=frameworks)
        losses = {fw: step() for fw, step in pair.items()}  # first step: same loss on both
        samples = interleaved(pair, steps, warmup)
        row = {f"{fw}_ms": median_ms(s) for fw, s in samples.items()}
        row["first_loss"] = losses
        if torch is not None:
            row["ratio"] = row["minigrad_ms"] / row["torch_ms"]
        results[name] = row
        print(
            f"  {name:<7} "
            + "  ".join(f"{k}={v:.2f}" for k, v in row.items() if k != "first_loss"),
            flush=True,
        )
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="tiny,small,medium")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per configuration")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--growth-steps", type=int, default=500)
    parser.add_argument("--out", default=str(Path(__file__).with_name("results.json")))
    parser.add_argument(
        "--threads", type=int, help="BLAS and PyTorch threads (default: what the libraries pick)"
    )
    args = parser.parse_args(argv)
    if args.threads and os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        # OpenBLAS reads its thread count when NumPy loads: start again with it set
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
        os.execve(sys.executable, [sys.executable, "-m", "bench.run", *sys.argv[1:]], env)
    torch = _torch()
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    if torch is None:
        print("PyTorch is not installed: minigrad alone is timed (pip install torch==2.13.0).")
    configs = args.configs.split(",")

    print("GPT training step (median ms, minigrad / PyTorch):", flush=True)
    results = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "threads": args.threads or "default",
        "steps": training_steps(configs, args.steps, args.warmup, torch),
    }
    print("Per-op overhead (small elementwise chain, forward + backward):", flush=True)
    results["overhead"] = overhead.run(torch)
    print("  " + json.dumps(results["overhead"]), flush=True)

    print("Where a minigrad step goes (largest configuration):", flush=True)
    step = build_pair(configs[-1], frameworks=("minigrad",))["minigrad"]
    step()
    results["profile"] = breakdown.summarize(step.forward_backward, step.update)
    results["blas"] = matmul.peak_gflops(torch)
    print("  " + json.dumps(results["profile"]["share"]), flush=True)
    print(
        f"  matmul in the step: {results['profile']['matmul_gflops']:.1f} GFLOP/s; "
        f"peak {json.dumps(results['blas'])}",
        flush=True,
    )

    print("Memory:", flush=True)
    results["memory"] = {}
    for name in configs:
        row = {f"minigrad_{k}": v for k, v in memory.step_memory_mib("minigrad", name).items()}
        if torch is not None:
            row.update({f"torch_{k}": v for k, v in memory.step_memory_mib("torch", name).items()})
            row["peak_ratio"] = row["minigrad_peak_mib"] / row["torch_peak_mib"]
        results["memory"][name] = row
        print(f"  {name:<7} " + "  ".join(f"{k}={v:.1f}" for k, v in row.items()), flush=True)
    results["growth"] = memory.growth_kib("tiny", 10, args.growth_steps)
    print("  growth: " + json.dumps(results["growth"]), flush=True)

    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
