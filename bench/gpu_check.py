"""The GPU check of issue 9, prepared to run in one go on a machine with an NVIDIA GPU::

    python -m bench.gpu_check [--out PATH] [--steps 10] [--skip-tests]

It needs CuPy (``pip install -e ".[gpu]"``, or cupy-cuda13x) and PyTorch with CUDA, and takes
a few minutes, much of it CuPy compiling its kernels on first use. Three stages, the numbers
first (the JSON is rewritten after each stage, so a run cut short keeps what it measured):

1. A small GPT trained for three AdamW steps on the CPU and on the GPU from the same weights and
   batch: the losses and the first gradients must agree to float32 rounding.
2. A GPT training step (forward, loss, backward, AdamW) at the issue's size, n_layer 6, n_head 6,
   n_embd 384, block 256, batch 64, vocab 65, timed against PyTorch CUDA eager running the same
   architecture (``examples/gpt_torch_style.py``) from the same weights, both in float32 with
   TF32 off: once with PyTorch's fused attention kernel (nanoGPT's default, the target's
   reference) and once with the explicit attention minigrad computes. The first loss and
   gradients must agree.
3. ``tests/test_backend_seam.py`` and ``tests/test_devices.py`` with CUDA enabled, in the time
   left of ``--budget``: every op family, forward and backward, on the GPU against the CPU path.
   A CUDA case that is skipped counts as a failure here.

Prints a table, writes JSON (``--out``), and exits 0 when every check passes, 1 when one fails,
2 when there is no usable GPU (with the reason). ``--device cpu --small`` runs stages 2 and 3 on
the CPU with a small model: a dry run of this script on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from xml.etree import ElementTree

os.environ["CUPY_TF32"] = "0"  # before CuPy loads: float32 matmuls in full precision, as torch's

ROOT = Path(__file__).resolve().parents[1]
if not __package__:  # run as a file: import from the repository root, not from bench/
    sys.path[0] = str(ROOT)

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from bench.timing import interleaved, median_ms  # noqa: E402
from transformer.models import GPT, GPTConfig  # noqa: E402

TEST_FILES = ["tests/test_backend_seam.py", "tests/test_devices.py"]
VOCAB = 65
BENCH = dict(n_layer=6, n_head=6, n_embd=384, block_size=256, batch=64)  # the size
PARITY = dict(n_layer=2, n_head=4, n_embd=128, block_size=64, batch=8)  # CPU-friendly
SMALL = dict(n_layer=2, n_head=2, n_embd=32, block_size=16, batch=4)  # for --small dry runs
TARGET_RATIO = 1.5  # the target: minigrad within 1.5x of PyTorch eager
LOSS_RTOL, GRAD_RTOL = 1e-4, 1e-3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "gpu_results.json"))
    parser.add_argument("--steps", type=int, default=10, help="timed steps per framework")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget", type=float, default=280, help="seconds for the whole run")
    parser.add_argument("--skip-tests", action="store_true", help="skip the pytest stage")
    parser.add_argument("--device", default="cuda", help="cpu: a dry run without a GPU")
    parser.add_argument("--small", action="store_true", help="small models (for dry runs)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    if args.device == "cuda":
        reason = _cuda_unavailable()
        if reason:
            print(f"gpu_check: no usable GPU, so nothing was checked.\n  {reason}")
            return 2
    torch = _torch(args.device)
    results = {"date": datetime.date.today().isoformat(), "versions": _versions(torch)}
    results["device"] = _device_name(args.device)
    results["checks"] = {}
    print(f"gpu_check on {results['device']}: {json.dumps(results['versions'])}", flush=True)
    out = Path(args.out)

    # The stages most worth having come first; the JSON is rewritten after each, so a run cut
    # short still leaves its numbers. The tests run last, in the time that is left.
    parity_cfg, bench_cfg = (SMALL, SMALL) if args.small else (PARITY, BENCH)
    stages = [
        (
            "cpu_parity",
            "GPT, 3 AdamW steps on the CPU and on the device, same weights and batch",
            lambda: cpu_parity(args.device, parity_cfg),
        ),
        (
            "benchmark",
            f"GPT training step against PyTorch eager: {_describe(bench_cfg)}",
            lambda: benchmark(args.device, torch, bench_cfg, args.steps, args.warmup),
        ),
    ]
    if not args.skip_tests:
        stages.append(
            (
                "tests",
                f"pytest {' '.join(TEST_FILES)} (CUDA cases must run and pass)",
                lambda: run_tests(timeout=max(30.0, args.budget - (time.perf_counter() - started))),
            )
        )
    for number, (name, title, stage) in enumerate(stages, 1):
        print(f"\n{number}. {title}", flush=True)
        try:
            results[name] = stage()
        except Exception:
            results[name] = {"error": traceback.format_exc(), "ok": False}
            print("   " + results[name]["error"].replace("\n", "\n   "), flush=True)
        results["checks"][name] = results[name]["ok"]
        results["seconds"] = round(time.perf_counter() - started, 1)
        out.write_text(json.dumps(results, indent=2) + "\n")

    results["ok"] = all(results["checks"].values())
    out.write_text(json.dumps(results, indent=2) + "\n")
    _print_summary(results)
    print(f"\nwrote {out} ({results['seconds']} s)")
    return 0 if results["ok"] else 1


# ---- environment -------------------------------------------------------------------------------
def _cuda_unavailable() -> str | None:
    try:
        minigrad.device("cuda")
    except minigrad.DeviceError as exc:
        return str(exc)
    return None


def _torch(device: str):
    """PyTorch set to full float32 precision, or None where it cannot run on ``device``."""
    try:
        import torch
    except ImportError:
        return None
    if device == "cuda" and not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    return torch


def _versions(torch) -> dict:
    versions = {"minigrad": minigrad.__version__, "numpy": np.__version__}
    if minigrad.cuda.is_available():
        cupy = minigrad.device("cuda").backend.xp
        versions["cupy"] = cupy.__version__
        versions["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    if torch is not None:
        versions["torch"] = torch.__version__
    return versions


def _device_name(device: str) -> str:
    if device != "cuda":
        return f"{device} ({os.cpu_count()} cores)"
    cupy = minigrad.device("cuda").backend.xp
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def _synchronizer(device: str, torch):
    """Functions that wait for the device's queued work: (minigrad's, PyTorch's)."""
    if device != "cuda":
        return (lambda: None), (lambda: None)
    cupy = minigrad.device("cuda").backend.xp
    return cupy.cuda.get_current_stream().synchronize, (torch.cuda.synchronize if torch else None)


def _describe(cfg: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in cfg.items()) + f", vocab {VOCAB}, float32, no TF32"


# ---- stage 1: the test files with CUDA enabled ---------------------------------------------------
def run_tests(timeout: float = 240) -> dict:
    missing = [m for m in ("pytest", "hypothesis") if importlib.util.find_spec(m) is None]
    if missing:
        error = f"the tests need {' and '.join(missing)}: pip install pytest hypothesis"
        print(f"   {error}")
        return {"error": error, "ok": False}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        command = [
            sys.executable,
            "-m",
            "pytest",
            *TEST_FILES,
            "-q",
            "-rs",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
        ]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        seconds = time.perf_counter() - start
        print("   " + "\n   ".join(done.stdout.strip().splitlines()[-15:]), flush=True)
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        cuda = dict(counts)
        for case in ElementTree.parse(report).iter("testcase"):
            outcome = "passed"
            if case.find("skipped") is not None:
                outcome = "skipped"
            elif case.find("failure") is not None or case.find("error") is not None:
                outcome = "failed"
            counts[outcome] += 1
            if "[cuda" in case.get("name", ""):
                cuda[outcome] += 1
    ok = done.returncode == 0 and cuda["passed"] > 0 and cuda["skipped"] == 0
    return {**counts, "cuda": cuda, "seconds": round(seconds, 1), "ok": ok}


# ---- stage 2: the GPU against the CPU path --------------------------------------------------------
def _batch(cfg: dict, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random token ids: inputs (batch, block) and the next-token targets, contiguous."""
    tokens = np.random.default_rng(seed).integers(0, VOCAB, (cfg["batch"], cfg["block_size"] + 1))
    return np.ascontiguousarray(tokens[:, :-1]), np.ascontiguousarray(tokens[:, 1:])


def _minigrad_gpt(cfg: dict, device: str) -> GPT:
    """transformer.GPT with seeded weights (initialised on the CPU, then moved to ``device``)."""
    minigrad.manual_seed(0)
    sizes = {k: v for k, v in cfg.items() if k != "batch"}
    return GPT(GPTConfig(vocab_size=VOCAB, dropout=0.0, **sizes)).to(device)


def _relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """max |got - expected|, relative to the largest |expected| (gradients have many near-0s)."""
    scale = max(float(np.abs(expected).max()), 1e-12)
    return float(np.abs(got.astype(np.float64) - expected).max()) / scale


def _compare(first: dict, second: dict) -> dict:
    """Loss and gradient agreement between two runs of ``_train``."""
    losses = [abs(a - b) / abs(b) for a, b in zip(first["losses"], second["losses"])]
    grads = {name: _relative_error(first["grads"][name], g) for name, g in second["grads"].items()}
    worst = max(grads, key=grads.get)
    ok = losses[0] <= LOSS_RTOL and max(losses) <= 10 * LOSS_RTOL and grads[worst] <= GRAD_RTOL
    return {"loss_rel_diff": losses, "grad_rel_err": grads[worst], "worst_grad": worst, "ok": ok}


def _train(model, optimizer, batch, device, steps: int) -> dict:
    """``steps`` AdamW steps on one batch: the losses and the first step's gradients (host)."""
    x, y = (minigrad.tensor(a, device=device) for a in batch)
    losses, grads = [], None
    for _ in range(steps):
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        if grads is None:
            grads = {n: p.grad.cpu().numpy() for n, p in model.named_parameters()}
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "grads": grads}


def cpu_parity(device: str, cfg: dict) -> dict:
    batch = _batch(cfg)
    runs = {}
    for where in ("cpu", device):
        model = _minigrad_gpt(cfg, where)
        optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=1e-3)
        runs[where] = _train(model, optimizer, batch, where, steps=3)
    result = _compare(runs[device], runs["cpu"])
    print(
        f"   losses cpu {np.round(runs['cpu']['losses'], 6).tolist()} / {device} "
        f"{np.round(runs[device]['losses'], 6).tolist()}; worst gradient error "
        f"{result['grad_rel_err']:.2e} ({result['worst_grad']})",
        flush=True,
    )
    return result


# ---- stage 3: timing against PyTorch --------------------------------------------------------------
def _torch_gpt_module():
    """The PyTorch build of the torch-style GPT file, ``examples/gpt_torch_style.py``."""
    from examples import load

    return load("torch")


def _torch_copy(torch, model: GPT, cfg: dict, device: str, fused: bool):
    """The same architecture in PyTorch, holding ``model``'s weights, on ``device``; ``fused``
    attention is PyTorch's scaled_dot_product_attention kernel (nanoGPT's default), otherwise
    the explicit matmul / mask / softmax / matmul that minigrad runs."""
    lib = _torch_gpt_module()
    sizes = {k: v for k, v in cfg.items() if k != "batch"}
    reference = lib.GPT(lib.GPTConfig(vocab_size=VOCAB, dropout=0.0, bias=True, **sizes))
    state = {k: torch.from_numpy(v.detach().cpu().numpy()) for k, v in model.state_dict().items()}
    missing, unexpected = reference.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("attn.bias") for k in missing), (missing, unexpected)
    for block in reference.transformer.h:
        block.attn.flash = fused
    return reference.to(device)


def _training_step(model, optimizer, x, y, sync):
    """One timed step, written once for both libraries (they share PyTorch's API)."""

    def step():
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        sync()  # wait for the GPU: the step is done when its kernels are

    return step


def benchmark(device: str, torch, cfg: dict, steps: int, warmup: int) -> dict:
    batch = _batch(cfg, seed=1)
    model = _minigrad_gpt(cfg, device)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=6e-4, betas=(0.9, 0.95))
    ours = _train(model, optimizer, batch, device, steps=1)  # also compiles the kernels
    sync, torch_sync = _synchronizer(device, torch)
    x, y = (minigrad.tensor(a, device=device) for a in batch)

    steps_fns = {"minigrad": _training_step(model, optimizer, x, y, sync)}
    result = {"config": {**cfg, "vocab": VOCAB}}
    if torch is not None:
        tx, ty = (torch.from_numpy(a).to(device) for a in batch)
        for name, fused in (("torch", True), ("torch_explicit", False)):
            reference = _torch_copy(torch, _minigrad_gpt(cfg, "cpu"), cfg, device, fused)
            torch_optimizer = reference.configure_optimizers(0.1, 6e-4, (0.9, 0.95))
            steps_fns[name] = _training_step(reference, torch_optimizer, tx, ty, torch_sync)
        _, loss = reference(tx, ty)  # the explicit one: the same computation as minigrad's
        loss.backward()
        grads = {n: p.grad.detach().cpu().numpy() for n, p in reference.named_parameters()}
        theirs = {"losses": [loss.item()], "grads": grads}
        result["torch_parity"] = _compare({**ours, "losses": ours["losses"][:1]}, theirs)
        parity = result["torch_parity"]
        print(
            f"   first loss minigrad {ours['losses'][0]:.6f} / torch {theirs['losses'][0]:.6f}; "
            f"worst gradient error {parity['grad_rel_err']:.2e} ({parity['worst_grad']})",
            flush=True,
        )
    samples = interleaved(steps_fns, steps, warmup)
    tokens_per_step = x.numel()
    for name, times in samples.items():
        ms = median_ms(times)
        result[f"{name}_ms"] = round(ms, 2)
        result[f"{name}_tokens_per_s"] = round(tokens_per_step / ms * 1e3)
    if torch is not None:
        result["ratio"] = round(result["minigrad_ms"] / result["torch_ms"], 3)
        result["ratio_explicit"] = round(result["minigrad_ms"] / result["torch_explicit_ms"], 3)
        result["target_met"] = result["ratio"] <= TARGET_RATIO
    result["minigrad_phases_ms"] = _phases(model, optimizer, x, y, sync)
    result["ok"] = result["torch_parity"]["ok"] if torch is not None else True
    if device == "cuda":
        pool = minigrad.device("cuda").backend.xp.get_default_memory_pool()
        result["minigrad_pool_mib"] = round(pool.total_bytes() / 2**20)
        if torch is not None:
            result["torch_peak_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
    return result


def _phases(model, optimizer, x, y, sync, repeats: int = 3) -> dict:
    """Median time of forward (with the loss), backward and the optimizer step, each synced."""
    times = {"forward": [], "backward": [], "optimizer": []}
    for _ in range(repeats):
        start = time.perf_counter()
        _, loss = model(x, y)
        sync()
        mid = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        sync()
        end = time.perf_counter()
        optimizer.step()
        sync()
        times["forward"].append(mid - start)
        times["backward"].append(end - mid)
        times["optimizer"].append(time.perf_counter() - end)
    return {phase: round(median_ms(t), 2) for phase, t in times.items()}


def _print_summary(results: dict) -> None:
    bench = results.get("benchmark", {})
    if "minigrad_ms" in bench:
        print(f"\n{'GPT training step':<32}{'median ms':>10}{'tokens/s':>10}{'minigrad / it':>15}")
        labels = (
            ("minigrad", "minigrad"),
            ("torch", "PyTorch eager, fused attention"),
            ("torch_explicit", "PyTorch eager, explicit attn."),
        )
        for key, label in labels:
            if f"{key}_ms" in bench:
                ratio = bench["minigrad_ms"] / bench[f"{key}_ms"]
                print(
                    f"{label:<32}{bench[f'{key}_ms']:>10.2f}{bench[f'{key}_tokens_per_s']:>10}"
                    f"{ratio:>15.2f}"
                )
        if "target_met" in bench:
            verdict = "met" if bench["target_met"] else "missed"
            print(f"target: minigrad within {TARGET_RATIO}x of PyTorch eager (fused): {verdict}")
        print(f"minigrad phases (ms): {json.dumps(bench['minigrad_phases_ms'])}")
    for name, ok in results["checks"].items():
        print(f"check {name:<12} {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    sys.exit(main())
