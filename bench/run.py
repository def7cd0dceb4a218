"""``make bench``: minigrad against PyTorch's CPU eager mode and a hand-written NumPy step.

Each framework's training steps are timed in a process of its own (see ``bench.gpt_step`` for
why), started ``--repeats`` times per configuration in rotating order, so that slow drifts of the
machine hit every framework alike. A framework's time is the median of its processes' medians;
its spread is (slowest - fastest) / median over those processes. Ratios are minigrad / PyTorch
and minigrad / NumPy step. Writes ``bench/results.json`` and a README-ready ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import statistics
import tempfile
from pathlib import Path

from . import breakdown, matmul, memory, overhead
from .gpt_step import CONFIGS, build
from .timing import in_fresh_process

# timed steps per process: fewer on the larger models keep `make bench` near 10 minutes
STEPS = {"tiny": 20, "small": 15, "medium": 6, "large": 3}
HERE = Path(__file__).parent


def _framework_steps(framework, setup, steps, warmup, threads) -> dict:
    args = [framework, setup, "--steps", steps, "--warmup", warmup]
    env = dict(os.environ)
    if threads:  # OpenBLAS reads its thread count when NumPy loads
        args += ["--threads", threads]
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    return in_fresh_process("bench.gpt_step", *args, env=env)


def training_steps(name: str, frameworks, repeats: int, steps: int, warmup: int,
                   threads=None) -> dict:  # fmt: skip
    """One configuration: every framework ``repeats`` times, each run in a fresh process."""
    from .gpt_step import write_setup

    runs = {fw: [] for fw in frameworks}
    first_loss = {}
    with tempfile.TemporaryDirectory() as tmp:
        setup = Path(tmp) / f"{name}.npz"
        write_setup(name, setup)
        for r in range(repeats):
            order = frameworks[r % len(frameworks) :] + frameworks[: r % len(frameworks)]
            for fw in order:
                result = _framework_steps(fw, setup, steps, warmup, threads)
                runs[fw].append(1e3 * statistics.median(result["seconds"]))
                first_loss[fw] = result["first_loss"]
    row = {"steps_per_run": steps, "first_loss": first_loss}
    for fw, ms in runs.items():
        mid = statistics.median(ms)
        row[fw] = {"ms": mid, "runs_ms": ms, "spread": (max(ms) - min(ms)) / mid}
    for other in ("torch", "numpy"):
        if other in row:
            row[f"minigrad_per_{other}"] = row["minigrad"]["ms"] / row[other]["ms"]
    return row


def markdown_table(results: dict) -> str:
    """The README's table: median step times with their spread, and the ratios."""
    load = ", ".join(f"{x:.1f}" for x in results["load_average"])
    lines = [
        f"Measured {results['date']} on {results['machine']} (load average {load} at the "
        f"start), {results['repeats']} processes per framework, threads: {results['threads']}.",
        "",
        "| configuration | minigrad | PyTorch | NumPy step | minigrad / PyTorch | minigrad / NumPy |",
        "| --- | --- | --- | --- | --- | --- |",
    ]

    def cell(row, fw):
        if fw not in row:
            return "-"
        return f"{row[fw]['ms']:.0f} ms (±{50 * row[fw]['spread']:.0f}%)"

    for name, row in results["steps"].items():
        c = CONFIGS[name]
        label = (
            f"{name}: {c['n_layer']} layers, {c['n_head']} heads, {c['n_embd']} wide, "
            f"block {c['block_size']}, batch {c['batch']}"
        )
        ratios = [
            f"{row[k]:.2f}" if k in row else "-"
            for k in ("minigrad_per_torch", "minigrad_per_numpy")
        ]
        lines.append(
            f"| {label} | {cell(row, 'minigrad')} | {cell(row, 'torch')} | {cell(row, 'numpy')} "
            f"| {' | '.join(ratios)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--repeats", type=int, default=3, help="processes per framework")
    parser.add_argument("--steps", type=int, help="timed steps per process (default: by size)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--growth-steps", type=int, default=500)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--threads", type=int, help="threads of every library, BLAS included (default: theirs)"
    )
    parser.add_argument("--out", default=str(HERE / "results.json"))
    args = parser.parse_args(argv)
    has_torch = importlib.util.find_spec("torch") is not None  # never imported here
    frameworks = ["minigrad", "torch", "numpy"] if has_torch else ["minigrad", "numpy"]
    if not has_torch:
        print("PyTorch is not installed: it is left out (pip install torch==2.13.0).")
    configs = args.configs.split(",")

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average": os.getloadavg(),
        "method": "each framework in its own process; median of per-process medians",
        "repeats": args.repeats,
        "threads": args.threads or "default",
        "steps": {},
    }
    print("GPT training step (ms: median of per-process medians, ±half the spread):", flush=True)
    for name in configs:
        steps = args.steps or STEPS.get(name, 5)
        row = training_steps(name, frameworks, args.repeats, steps, args.warmup, args.threads)
        results["steps"][name] = row
        print(
            f"  {name:<7} "
            + "  ".join(
                f"{fw}={row[fw]['ms']:.1f} (runs {row[fw]['runs_ms']})" for fw in frameworks
            )
            + "".join(f"  {k}={v:.2f}" for k, v in row.items() if k.startswith("minigrad_per")),
            flush=True,
        )

    print("Per-op overhead (small elementwise chain, forward + backward):", flush=True)
    results["overhead"] = overhead.run(("minigrad", "torch") if has_torch else ("minigrad",))
    print("  " + json.dumps(results["overhead"]), flush=True)

    print(f"Where a minigrad step goes ({configs[-1]}):", flush=True)
    step = build("minigrad", configs[-1])
    step()
    results["profile"] = breakdown.summarize(step.forward_backward, step.update, steps=2)
    results["blas"] = matmul.peak_gflops(("numpy", "torch") if has_torch else ("numpy",))
    print("  " + json.dumps(results["profile"]["share"]), flush=True)
    print(
        f"  matmul in the step: {results['profile']['matmul_gflops']:.1f} GFLOP/s; "
        f"peak {json.dumps(results['blas'])}",
        flush=True,
    )

    if not args.skip_memory:
        print("Memory:", flush=True)
        results["memory"] = {}
        for name in configs:
            row = {f"minigrad_{k}": v for k, v in memory.step_memory_mib("minigrad", name).items()}
            if has_torch:
                row.update(
                    {f"torch_{k}": v for k, v in memory.step_memory_mib("torch", name).items()}
                )
                row["peak_ratio"] = row["minigrad_peak_mib"] / row["torch_peak_mib"]
            results["memory"][name] = row
            print(f"  {name:<7} " + "  ".join(f"{k}={v:.1f}" for k, v in row.items()), flush=True)
        results["growth"] = memory.growth_kib("tiny", 10, args.growth_steps)
        print("  growth: " + json.dumps(results["growth"]), flush=True)

    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    table = markdown_table(results)
    Path(args.out).with_suffix(".md").write_text(table)
    print(table + f"wrote {args.out}")


if __name__ == "__main__":
    main()
