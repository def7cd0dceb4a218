"""One GPT training step, run by minigrad, by PyTorch and by hand-written NumPy, on the same model
and weights, each timed in a process of its own.

The model is ``examples/gpt_torch_style.py``: nanoGPT-style PyTorch code (pre-LN blocks, GELU MLP,
weight-tied head) that ``examples.load`` runs on either library by swapping its import lines.
A step is forward, cross-entropy loss, backward and an AdamW update over parameter groups.
``bench.numpy_step`` is the same computation written directly in NumPy, without autograd.

Why a process each: after its work, a library's BLAS/OpenMP threads spin-wait for a while; timed
back to back in one process on a machine with few cores, they steal the next library's time. So
``write_setup`` saves the weights and the batch once, and ``python -m bench.gpt_step FRAMEWORK
SETUP`` times one framework alone, importing no other (a torch child never imports minigrad,
whose import changes malloc's settings for the whole process).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

CONFIGS = {
    "tiny": dict(n_layer=2, n_head=4, n_embd=64, block_size=64, batch=16),
    "small": dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch=12),
    "medium": dict(n_layer=4, n_head=4, n_embd=256, block_size=128, batch=16),
    "large": dict(n_layer=6, n_head=6, n_embd=384, block_size=256, batch=8),
}
VOCAB = 65  # tiny-shakespeare's character set
FRAMEWORKS = ("minigrad", "torch", "numpy")


def write_setup(name: str, path, seed: int = 0) -> None:
    """Save configuration ``name``'s initial weights (minigrad's seeded init) and batch to ``path``
    (an .npz file), for every framework's process to start from."""
    from examples import load

    lib = load("minigrad")
    lib.torch.manual_seed(seed)
    cfg = dict(CONFIGS[name])
    batch = cfg.pop("batch")
    model = lib.GPT(lib.GPTConfig(vocab_size=VOCAB, dropout=0.0, bias=True, **cfg))
    weights = {f"w:{k}": v.detach().numpy() for k, v in model.state_dict().items()}
    tokens = np.random.default_rng(seed).integers(0, VOCAB, size=(batch, cfg["block_size"] + 1))
    np.savez(path, config=json.dumps(CONFIGS[name]), tokens=tokens, **weights)


def read_setup(path):
    """(config dict, weights {state-dict name: array}, tokens) as ``write_setup`` saved them."""
    with np.load(path) as f:
        weights = {k[2:]: f[k] for k in f.files if k.startswith("w:")}
        return json.loads(str(f["config"])), weights, f["tokens"]


def build_step(framework: str, path, dtype=None):
    """The training step of ``framework`` ("minigrad", "torch" or "numpy") from a saved setup.

    ``dtype`` ("float32" by default, or "float64") is the numbers' precision."""
    cfg, weights, tokens = read_setup(path)
    cfg.pop("batch")
    if dtype is not None:
        weights = {k: v.astype(dtype) if v.dtype.kind == "f" else v for k, v in weights.items()}
    if framework == "numpy":
        from .numpy_step import NumpyStep

        return NumpyStep(cfg, VOCAB, weights, tokens)
    from examples import load

    lib = load(framework)
    model = lib.GPT(lib.GPTConfig(vocab_size=VOCAB, dropout=0.0, bias=True, **cfg))
    if dtype is not None:
        model.to(getattr(lib.torch, dtype))
    model.load_state_dict({k: lib.torch.tensor(v) for k, v in weights.items()})
    return TrainStep(lib, model, tokens)


def build(framework: str, name: str, seed: int = 0):
    """The training step of ``framework`` on configuration ``name``, from seed ``seed``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "setup.npz"
        write_setup(name, path, seed)
        return build_step(framework, path)


class TrainStep:
    """forward + loss + backward (``forward_backward``), then the AdamW update (``update``)."""

    def __init__(self, lib, model, tokens):
        self.model = model
        self.optimizer = model.configure_optimizers(
            weight_decay=0.1, learning_rate=6e-4, betas=(0.9, 0.95)
        )
        self.x = lib.torch.tensor(tokens[:, :-1])
        self.y = lib.torch.tensor(tokens[:, 1:])

    def forward_backward(self):
        _, loss = self.model(self.x, self.y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        return loss

    def update(self) -> None:
        self.optimizer.step()

    def __call__(self) -> float:
        loss = self.forward_backward()
        self.update()
        return loss.item()


def time_steps(step, steps: int, warmup: int) -> dict:
    """The first step's loss and the seconds of each of ``steps`` steps after ``warmup`` more."""
    first_loss = step()
    for _ in range(warmup - 1):
        step()
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return {"first_loss": first_loss, "seconds": seconds}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Time one framework's GPT training steps.")
    parser.add_argument("framework", choices=FRAMEWORKS)
    parser.add_argument("setup", help="an .npz file written by write_setup")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (at least 1)")
    parser.add_argument(
        "--threads", type=int, help="the library's threads (BLAS threads: OPENBLAS_NUM_THREADS)"
    )
    args = parser.parse_args(argv)
    if args.threads and args.framework != "numpy":
        import importlib

        importlib.import_module(args.framework).set_num_threads(args.threads)
    step = build_step(args.framework, args.setup)
    print(json.dumps(time_steps(step, args.steps, max(args.warmup, 1))))


if __name__ == "__main__":
    main()
