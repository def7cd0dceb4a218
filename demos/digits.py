"""The GPT puzzle demos (``sort_task``, ``addition``): a prompt of digits, an answer to learn.

As in minGPT, each training sequence is a prompt followed by its answer; the model reads the
sequence minus its last token and predicts the next token everywhere, but the targets inside the
prompt are -1 (``ignore_index``), so the loss counts only the answer (``data.prompt_answer``).

Every possible problem is enumerated once and a random quarter (at most ``--test-size``) is held
out: the model never trains on them, and the reported accuracy is on them alone. A problem is
solved when greedy decoding (temperature 0) produces the whole answer exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import minigrad
from minigrad.optim.lr_scheduler import warmup_cosine
from transformer import GPT, GPTConfig, data

from . import common


@dataclass
class Puzzle:
    """A family of problems: every prompt, the answer of each, and how to print one."""

    name: str
    vocab_size: int
    prompts: np.ndarray  # (n_problems, prompt_len) int64, every possible prompt
    answer: Callable[[np.ndarray], np.ndarray]  # (B, prompt_len) -> (B, answer_len)
    question: Callable[[list], str]  # a prompt as text: "45 + 67 ="
    reply: Callable[[list], str]  # an answer as text: "112"

    @property
    def prompt_len(self) -> int:
        return self.prompts.shape[1]

    @property
    def answer_len(self) -> int:
        return self.answer(self.prompts[:1]).shape[1]


def add_arguments(parser, layers: int, heads: int, width: int, lr: float, batch: int) -> None:
    """The model and optimiser flags, with per-demo defaults."""
    p = parser.add_argument_group("model and training")
    p.add_argument("--layers", type=int, default=layers, help="GPT blocks")
    p.add_argument("--heads", type=int, default=heads, help="attention heads")
    p.add_argument("--width", type=int, default=width, help="n_embd")
    p.add_argument("--lr", type=float, default=lr, help="peak learning rate")
    p.add_argument("--batch", type=int, default=batch, help="problems per step")
    p.add_argument("--test-size", type=int, default=500, help="most held-out problems")
    p.add_argument("--eval-every", type=int, default=100, help="steps between accuracy checks")


def main(puzzle: Puzzle, args) -> dict:
    """Train a GPT on ``puzzle`` with the parsed ``args``; write the outputs; return the metrics."""
    run, rng, device = common.setup(args)
    order = rng.permutation(len(puzzle.prompts))
    n_test = min(args.test_size, len(order) // 4)
    test, train = puzzle.prompts[order[:n_test]], puzzle.prompts[order[n_test:]]

    config = GPTConfig(
        vocab_size=puzzle.vocab_size,
        block_size=puzzle.prompt_len + puzzle.answer_len - 1,
        n_layer=args.layers,
        n_head=args.heads,
        n_embd=args.width,
        dropout=0.0,
    )
    model = GPT(config).to(device)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=args.lr)
    scheduler = warmup_cosine(optimizer, warmup_steps=min(100, args.steps), total_steps=args.steps)
    print(
        f"{puzzle.name}: GPT ({args.layers} layers, {args.heads} heads, n_embd {args.width}, "
        f"{model.get_num_params():,} parameters); {len(train)} training problems, {n_test} held out"
    )

    losses, checks = [], {"step": [], "train": [], "held-out": []}
    progress = common.Progress(args.steps, f"train {puzzle.name}")
    for step in range(1, args.steps + 1):
        prompts = train[rng.integers(0, len(train), args.batch)]
        x, y = batch(puzzle, prompts, device)
        _, loss = model(x, y)
        lr = common.optimize(loss, optimizer, scheduler, clip=1.0)
        losses.append(loss.item())
        progress.step(losses[-1], lr, tokens=x.numel())
        if step % args.eval_every == 0 or step == args.steps:
            checks["step"].append(step)
            checks["train"].append(accuracy(model, puzzle, train[:n_test], device)[0])
            checks["held-out"].append(accuracy(model, puzzle, test, device)[0])
            model.train()
    progress.close()
    train_seconds = progress.elapsed

    held_out, wrong = accuracy(model, puzzle, test, device)
    train_acc, _ = accuracy(model, puzzle, train, device)
    print(f"held-out accuracy: {held_out:.1%} of {n_test}; training problems: {train_acc:.1%}")
    for prompt in test[:3]:
        print(f"  {puzzle.question(prompt.tolist())} {puzzle.reply(answer_of(puzzle, prompt))}")
    for prompt, got in wrong[:5]:
        right = puzzle.reply(answer_of(puzzle, np.array(prompt)))
        print(f"  wrong: {puzzle.question(prompt)} {puzzle.reply(got)}  (expected {right})")

    varied = test[np.argmax([len(set(p)) for p in test[:50]])]  # many distinct digits to read
    draw_attention(model, puzzle, varied, run, device)
    x, y = batch(puzzle, test[:1], device)
    common.save_explorer(run, model, lambda: model(x, y)[1], tokens=[str(t) for t in x[0].tolist()])
    steps_axis = np.arange(1, args.steps + 1)
    common.plot_curves(
        run.path("loss.png"), {"train": (steps_axis, losses)}, f"{puzzle.name}: loss"
    )
    run.record("loss.png", "training loss (answer positions only)")
    common.plot_curves(
        run.path("accuracy.png"),
        {k: (checks["step"], v) for k, v in checks.items() if k != "step"},
        f"{puzzle.name}: exact-match accuracy (greedy decoding)",
        ylabel="accuracy",
    )
    run.record("accuracy.png", "accuracy on training and held-out problems during training")
    spec = {
        "class": "GPT",
        "task": puzzle.name,
        "kwargs": vars(config),
        "decoding": {"prompt_len": puzzle.prompt_len, "answer_len": puzzle.answer_len},
    }
    common.save_checkpoint(
        run.path("checkpoint.pt"), model, optimizer, args.steps, config=common.flags(args),
        model_spec=spec,
    )  # fmt: skip
    run.record("checkpoint.pt", "model and optimizer state, model spec (demos.load)")
    metrics = {
        "task": puzzle.name,
        "held_out_accuracy": held_out,
        "train_accuracy": train_acc,
        "held_out_problems": n_test,
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
        "train_seconds": round(train_seconds, 2),
        "steps": args.steps,
        "parameters": model.get_num_params(),
        "seed": args.seed,
        "accuracy_during_training": checks,
        "config": common.flags(args),
        "model_spec": spec,
    }
    run.save_metrics(metrics)
    run.report()
    return metrics


def draw_attention(model, puzzle: Puzzle, prompt: np.ndarray, run, device) -> None:
    """The trained GPT's causal self-attention, every layer and head, on one held-out problem:
    the sequence it reads when it writes the answer (the prompt and all but the answer's last
    token), with the masked cells (keys after the query) marked."""
    x, _ = batch(puzzle, prompt[None], device)
    blocks = [block.attn for block in model.transformer.h]
    for attn in blocks:
        attn.store_attention = True
    model.eval()
    with minigrad.no_grad():
        model(x)
    weights = np.stack([attn.attention.numpy()[0] for attn in blocks])  # (layers, H, T, T)
    for attn in blocks:
        attn.store_attention, attn.attention = False, None
    labels = [str(t) for t in x[0].tolist()]
    n = puzzle.prompt_len
    labels = [f"{t}" if i < n else f"{t}'" for i, t in enumerate(labels)]
    question = f"{puzzle.question(prompt.tolist())} {puzzle.reply(answer_of(puzzle, prompt))}"
    common.plot_heatmaps(
        run.path("attention.png"), weights, f"{puzzle.name}: causal self-attention on {question!r}",
        x_ticks=labels, y_ticks=labels, masked=~np.tril(np.ones(weights.shape[-2:], dtype=bool)),
        note=f"causal: position i reads positions 0..i only; the first {n} tokens are the prompt, "
        "the primed ones the answer so far (each row predicts the next token)",
    )  # fmt: skip
    run.record("attention.png", "causal self-attention, every layer and head, one problem")


def answer_of(puzzle: Puzzle, prompt: np.ndarray) -> list:
    """The right answer to one prompt."""
    return puzzle.answer(prompt[None])[0].tolist()


def batch(puzzle: Puzzle, prompts: np.ndarray, device) -> tuple[minigrad.Tensor, minigrad.Tensor]:
    """(x, y) for next-token training, targets -1 inside the prompt."""
    answers = puzzle.answer(prompts)
    return data.prompt_answer(
        minigrad.tensor(prompts, device=device), minigrad.tensor(answers, device=device)
    )


def accuracy(model, puzzle: Puzzle, prompts: np.ndarray, device) -> tuple[float, list]:
    """Exact-match rate of greedy answers to ``prompts``, and the (prompt, wrong answer) pairs."""
    if len(prompts) == 0:
        return float("nan"), []
    model.eval()
    out = model.generate(
        minigrad.tensor(prompts, device=device), puzzle.answer_len, temperature=0.0
    )
    got = out.numpy()[:, puzzle.prompt_len :]
    right = (got == puzzle.answer(prompts)).all(axis=1)
    wrong = [(p, g) for p, g, ok in zip(prompts.tolist(), got.tolist(), right) if not ok]
    return float(right.mean()), wrong
