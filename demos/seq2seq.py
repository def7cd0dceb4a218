"""The encoder-decoder demos (``reverse_task``, ``copy_task``): train, decode, and look inside.

The model is the Transformer of "Attention Is All You Need" at toy size: post-LN layers, the
paper's learning-rate schedule (``noam``: linear warm-up, then 1/sqrt(step) decay), Adam with
betas (0.9, 0.98), and label smoothing. Sequences are ``[<s>, x_1, ..., x_n]`` with x_i drawn from
the content symbols (``transformer.data``); the decoder is trained with teacher forcing and tested
by greedy decoding of held-out sequences that never appear in training.

Adam at the floor of the label-smoothed loss takes steps of about the learning rate whatever the
(tiny) gradient, and now and then knocks a converged model off its solution for a few dozen steps
(accuracy.png shows such dips). So, as usual in practice, the demo checks a validation set every
``--eval-every`` steps and keeps the best weights; a separate test set, also never trained on,
gives the reported accuracy.

To look inside, one held-out sequence goes through the model with every attention module keeping
its weights (``store_attention``) and the gradient of the loss with respect to them: at step
``--inspect-at``, while the model is learning, for the gradients (d loss / d attention weights,
gradient flow per layer, the model graph coloured by gradient), and after training for the
attention maps the model ended up with.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

import minigrad
import minigrad.viz as viz
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.optim import Adam
from minigrad.optim.lr_scheduler import noam
from transformer import MultiHeadAttention, Transformer, data

from . import common

TASKS = {"reverse": data.reverse_task, "copy": data.copy_task}
MAP_NOTE = {
    "reverse": "output position i reads input position n - i: an anti-diagonal",
    "copy": "output position i reads input position i: a diagonal",
}


def add_arguments(parser) -> None:
    """The model, data and schedule flags of the encoder-decoder demos."""
    p = parser.add_argument_group("task and model")
    p.add_argument("--length", type=int, default=10, help="sequence length incl. <s>")
    p.add_argument("--vocab", type=int, default=11, help="vocabulary incl. pad, <s>")
    p.add_argument("--d-model", type=int, default=64, help="model width")
    p.add_argument("--heads", type=int, default=4, help="attention heads")
    p.add_argument("--layers", type=int, default=2, help="encoder and decoder layers")
    p.add_argument("--d-ff", type=int, default=128, help="feed-forward width")
    p.add_argument("--dropout", type=float, default=0.0, help="dropout")
    p.add_argument("--batch", type=int, default=128, help="sequences per step")
    p.add_argument("--warmup", type=int, default=200, help="noam warm-up steps")
    p.add_argument("--factor", type=float, default=0.5, help="noam factor")
    p.add_argument("--smoothing", type=float, default=0.1, help="label smoothing")
    p.add_argument("--test-size", type=int, default=500, help="test and validation sequences")
    p.add_argument(
        "--eval-every", type=int, default=50,
        help="steps between validation checks; the best weights are kept",
    )  # fmt: skip
    p.add_argument(
        "--inspect-at", type=int, default=100,
        help="step at which to record attention gradients and gradient flow",
    )  # fmt: skip


def main(task: str, argv=None, doc: str | None = None, steps: int = 600) -> dict:
    """Run the ``task`` demo ("reverse" or "copy"); returns the metrics it writes."""
    parser = common.parser(f"{task}_task", doc, steps=steps)
    add_arguments(parser)
    args = parser.parse_args(argv)
    run, _, device = common.setup(args)
    common.note_missing_dot()
    make_batch = TASKS[task]

    spec = model_spec(args, task)
    model = Transformer(**spec["kwargs"]).to(device)
    init_attention_like_pytorch(model)
    optimizer = Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = noam(optimizer, d_model=args.d_model, warmup=args.warmup, factor=args.factor)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"{task} task: Transformer (post-LN, {args.layers}+{args.layers} layers, d_model "
        f"{args.d_model}, {args.heads} heads, {n_params:,} parameters) on sequences of "
        f"{args.length - 1} symbols from {args.vocab - 2}"
    )

    # Two held-out sets, never trained on: validation picks the weights to keep, test scores them.
    test_src, test_tgt = make_batch(args.test_size, args.length, args.vocab, device=device)
    val_src, val_tgt = make_batch(args.test_size, args.length, args.vocab, device=device)
    held_out = {row.tobytes() for t in (test_src, val_src) for row in t.numpy()}
    example = test_src[:1], test_tgt[:1]
    inspect_step = max(1, min(args.inspect_at, args.steps))
    inspected = {}  # the step and gradient norms of the inspection
    checks = {"step": [], "exact match": [], "token accuracy": []}
    best = {"step": 0, "score": (-1.0, -1.0), "weights": None}

    def at_step(step: int) -> None:
        if step == inspect_step:
            norms = inspect_gradients(model, run, *example, args.smoothing, step, task)
            inspected.update(step=step, per_layer=norms)
        if step % args.eval_every == 0 or step == args.steps:
            model.eval()
            score = evaluate(model, val_src, val_tgt)[:2]
            model.train()
            for key, value in zip(checks, (step, *score)):
                checks[key].append(value)
            if score >= best["score"]:  # ties go to the later, longer-trained weights
                weights = {k: v.clone() for k, v in model.state_dict().items()}
                best.update(step=step, score=score, weights=weights)

    losses, lrs, train_seconds = train(
        model, optimizer, scheduler, make_batch, args, held_out, f"train {task}", at_step
    )

    if best["weights"] is not None:
        model.load_state_dict(best["weights"])
        print(
            f"kept the weights of step {best['step']}: validation exact match "
            f"{best['score'][0]:.1%} (the best of the checks every {args.eval_every} steps)"
        )
    model.eval()
    exact, per_token, decoded = evaluate(model, test_src, test_tgt)
    print(f"held-out exact match: {exact:.1%} of {args.test_size} ({per_token:.1%} of tokens)")
    for s, t, d in list(zip(test_src, test_tgt, decoded))[:3]:
        verdict = "ok" if d.equal(t) else "expected " + " ".join(token_labels(t))
        print(f"  {' '.join(token_labels(s))}  ->  {' '.join(token_labels(d))}  {verdict}")

    floor = smoothing_floor(args.smoothing, args.vocab)
    steps_axis = np.arange(1, args.steps + 1)
    common.plot_curves(
        run.path("loss.png"), {"train loss": (steps_axis, losses)},
        title=f"{task} task: training loss (label smoothing {args.smoothing})",
        hline=(floor, f"lowest possible with smoothing: {floor:.3f}"),
    )  # fmt: skip
    run.record("loss.png", "training loss curve")
    common.plot_curves(
        run.path("accuracy.png"), {k: (checks["step"], v) for k, v in checks.items() if k != "step"},
        title=f"{task} task: validation accuracy (greedy decoding); kept step {best['step']}",
        ylabel="accuracy",
    )  # fmt: skip
    run.record("accuracy.png", f"validation accuracy every {args.eval_every} steps")
    common.plot_curves(run.path("lr.png"), {"noam": (steps_axis, lrs)}, "learning rate", "lr")
    run.record("lr.png", "learning-rate schedule (warm-up, then 1/sqrt(step))")
    draw_attention(model, run, *example, task)
    common.save_explorer(
        run,
        model,
        lambda: sequence_loss(model, *example, args.smoothing),
        explorer_tokens(*example),
    )
    if not inspected:  # --steps 0: look at the untrained model
        norms = inspect_gradients(model, run, *example, args.smoothing, 0, task)
        inspected.update(step=0, per_layer=norms)
    common.save_graph(
        run, head_graph(model, *example, args.smoothing), "graph_head",
        "decoder layer 0's masked self-attention op by op, coloured by the gradient of the loss",
    )  # fmt: skip

    config = common.flags(args)
    common.save_checkpoint(
        run.path("checkpoint.pt"), model, optimizer, args.steps, config=config, model_spec=spec
    )
    run.record("checkpoint.pt", "the kept weights, optimizer state and model spec (demos.load)")
    metrics = {
        "task": task,
        "exact_match": exact,
        "token_accuracy": per_token,
        "test_size": args.test_size,
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
        "loss_floor": floor,
        "train_seconds": round(train_seconds, 2),
        "steps": args.steps,
        "parameters": n_params,
        "seed": args.seed,
        "gradient_norms": inspected,
        "validation_during_training": checks,
        "kept_step": best["step"],
        "config": config,
        "model_spec": spec,
    }
    run.save_metrics(metrics)
    run.report()
    return metrics


def model_spec(args, task: str) -> dict:
    """How to rebuild the model (``Transformer(**spec["kwargs"])``) and decode with it; saved
    in the checkpoint so that ``demos.load`` needs nothing else."""
    kwargs = dict(
        src_vocab=args.vocab, tgt_vocab=args.vocab, d_model=args.d_model, n_heads=args.heads,
        n_layers=args.layers, d_ff=args.d_ff, dropout=args.dropout, norm_first=False,
        max_len=args.length,
    )  # fmt: skip
    decoding = {"start_id": data.START_ID, "max_len": args.length, "pad_id": data.PAD_ID}
    return {"class": "Transformer", "task": task, "kwargs": kwargs, "decoding": decoding}


def init_attention_like_pytorch(model) -> None:
    """Initialise every attention's projections as PyTorch's ``nn.MultiheadAttention`` does.

    PyTorch keeps W_q, W_k, W_v stacked in one (3 d, d) ``in_proj_weight`` and Xavier-initialises
    that: uniform with bound sqrt(6 / (d + 3 d)), sqrt(2) smaller than Xavier on each (d, d)
    matrix alone (what ``Transformer`` does, like the Annotated Transformer); its in-projection
    and output biases start at 0. At this model's size the difference matters: with the larger
    q/k/v weights, training on this task spikes and oscillates after it has converged (in
    PyTorch too, with the same setup), and with these it settles.
    """
    for m in model.modules():
        if isinstance(m, MultiHeadAttention):
            bound = math.sqrt(6.0 / (4 * m.d_model))
            for proj in (m.q_proj, m.k_proj, m.v_proj):
                nn.init.uniform_(proj.weight, -bound, bound)
            for proj in (m.q_proj, m.k_proj, m.v_proj, m.out_proj):
                nn.init.zeros_(proj.bias)


def train(model, optimizer, scheduler, make_batch, args, held_out: set, desc: str, at_step=None):
    """``args.steps`` steps of teacher forcing on fresh batches; (losses, learning rates, seconds).

    ``at_step(step)``, if given, runs after each step (for inspecting the model mid-training).
    """
    device = next(model.parameters()).device
    losses, lrs = [], []
    progress = common.Progress(args.steps, desc)
    for step in range(1, args.steps + 1):
        src, tgt = unseen(make_batch(args.batch, args.length, args.vocab, device=device), held_out)
        loss = sequence_loss(model, src, tgt, args.smoothing)
        lrs.append(common.optimize(loss, optimizer, scheduler))
        losses.append(loss.item())
        progress.step(losses[-1], lrs[-1], tokens=src.numel() + tgt.numel())
        if at_step is not None:
            at_step(step)
    progress.close()
    return losses, lrs, progress.elapsed


def smoothing_floor(eps: float, vocab: int) -> float:
    """The least cross entropy against a smoothed target: its entropy.

    The target puts 1 - eps + eps / V on the right token and eps / V on each other one; no model
    can do better than predicting exactly that.
    """
    probs = np.full(vocab, eps / vocab)
    probs[0] += 1.0 - eps
    probs = probs[probs > 0]
    return float(-(probs * np.log(probs)).sum())


def unseen(batch, held_out: set) -> tuple:
    """Drop the rows of a (src, tgt) batch whose source is a held-out test sequence."""
    src, tgt = batch
    keep = np.array([row.tobytes() not in held_out for row in src.numpy()])
    if keep.all():
        return src, tgt
    index = minigrad.tensor(np.flatnonzero(keep), device=src.device)
    return src[index], tgt[index]


def sequence_loss(model, src, tgt, smoothing: float):
    """Teacher forcing: read tgt[:, :-1], predict tgt[:, 1:]; label-smoothed cross entropy."""
    logits = model(src, tgt[:, :-1])
    vocab = logits.shape[-1]
    return F.cross_entropy(
        logits.reshape(-1, vocab), tgt[:, 1:].reshape(-1), label_smoothing=smoothing
    )


def evaluate(model, src, tgt) -> tuple[float, float, minigrad.Tensor]:
    """Greedy-decode ``src``; (exact-match rate, per-token accuracy, decoded sequences)."""
    decoded = model.greedy_decode(src, max_len=tgt.shape[1], start_id=data.START_ID)
    hits = (decoded == tgt).numpy()[:, 1:]
    return float(hits.all(axis=1).mean()), float(hits.mean()), decoded


# --------------------------------------------------------------------------- looking inside

KINDS = {  # kind of attention: (file name, queries from the target?, keys from the target?)
    "encoder self-attention": ("enc_self", False, False),
    "decoder self-attention": ("dec_self", True, True),
    "cross-attention": ("cross", True, False),
}
CAUSAL_NOTE = "causal: query i reads keys 0..i only; the crossed cells are masked (weight 0)"
DS_NOTE = (
    "dP = dO Vᵀ does not know the mask, so masked cells have a colour; dS = P ⊙ (dP − rowsum(dP ⊙ P))"
    " is 0 wherever P is 0: a masked key receives no gradient"
)


def caption(kind: str, task: str) -> str:
    """What the weights of this kind of attention show once the model has learned ``task``."""
    if kind == "cross-attention":
        return MAP_NOTE[task]
    if kind == "decoder self-attention":
        return CAUSAL_NOTE
    return "every input position may read every other (no mask)"


def attention_modules(model) -> dict[str, list[MultiHeadAttention]]:
    """The model's attention modules by kind, each list ordered by layer."""
    return {
        "encoder self-attention": [layer.self_attn for layer in model.encoder.layers],
        "decoder self-attention": [layer.self_attn for layer in model.decoder.layers],
        "cross-attention": [layer.cross_attn for layer in model.decoder.layers],
    }


@contextlib.contextmanager
def storing_attention(model):
    """Make every attention module keep its weights (and their gradient) while inside."""
    modules = [m for mods in attention_modules(model).values() for m in mods]
    for m in modules:
        m.store_attention = True
    try:
        yield attention_modules(model)
    finally:
        for m in modules:
            m.store_attention, m.attention = False, None


def plot_attention(run, modules, src, tgt, grad: bool, title_note: str, task: str) -> None:
    """Heatmaps of every kind of attention (weights, or their gradients), layers x heads.

    The decoder's self-attention is causal: its masked cells are marked, and its gradient
    picture shows dS, the gradient of the scores, beside dP for every head."""
    labels = {False: token_labels(src[0]), True: token_labels(tgt[0, :-1])}
    for kind, mods in modules.items():
        name, queries_from_tgt, keys_from_tgt = KINDS[kind]
        weights = np.stack([m.attention.detach().numpy()[0] for m in mods])  # (layers, H, L, S)
        maps, titles, note = weights, None, None if grad else caption(kind, task)
        masked = None
        if kind == "decoder self-attention":
            masked = ~np.tril(np.ones(weights.shape[-2:], dtype=bool))
        if grad:
            maps = np.stack([m.attention.grad.numpy()[0] for m in mods])  # dP
            if masked is not None:
                ds = weights * (maps - (maps * weights).sum(-1, keepdims=True))
                maps = np.stack([maps, ds], axis=2).reshape(ds.shape[0], -1, *ds.shape[2:])
                titles = [[f"layer {r} head {c // 2}: {('dP', 'dS')[c % 2]}"
                           for c in range(maps.shape[1])] for r in range(maps.shape[0])]  # fmt: skip
                note = DS_NOTE
        file = f"attention_{name}{'_grad' if grad else ''}.png"
        what = f"d loss / d {kind} weights" if grad else f"{kind} weights"
        common.plot_heatmaps(
            run.path(file), maps, f"{what}{title_note}",
            x_ticks=labels[keys_from_tgt], y_ticks=labels[queries_from_tgt], diverging=grad,
            masked=masked, panel_titles=titles, note=note,
        )  # fmt: skip
        run.record(file, f"{what}, every layer and head" + (" (dP beside dS)" if titles else ""))


def draw_attention(model, run, src, tgt, task: str) -> None:
    """The trained model's attention weights on one held-out sequence."""
    with storing_attention(model) as modules, minigrad.no_grad():
        model(src, tgt[:, :-1])
        plot_attention(run, modules, src, tgt, grad=False, title_note=" (trained)", task=task)


def inspect_gradients(model, run, src, tgt, smoothing: float, step: int, task: str) -> dict:
    """One sequence forward and backward in the middle of training, everything recorded.

    Draws d loss / d attention weights for every head, the gradient-flow chart (the gradient
    norm reaching each layer's output, its attention and its feed-forward branch) and the model
    graph with arrows as thick as the gradient they carried. Returns the norms per layer.
    Parameter gradients left by this pass are cleared by the next step's ``zero_grad``.
    """
    was_training = model.training
    model.eval()  # no dropout: look at the function being learned
    branches, handles = {}, []
    for kind, stack in (("enc", model.encoder.layers), ("dec", model.decoder.layers)):
        for i, layer in enumerate(stack):
            watch = {"residual stream": layer, "self-attention": layer.self_attn}
            if kind == "dec":
                watch["cross-attention"] = layer.cross_attn
            watch["feed-forward"] = layer.feed_forward
            for branch, module in watch.items():
                hook = keep_output(branches, f"{kind} {i}", branch)
                handles.append(module.register_forward_hook(hook))
    with storing_attention(model) as modules, viz.record_gradients():
        loss = sequence_loss(model, src, tgt, smoothing)
        loss.backward()
        plot_attention(run, modules, src, tgt, grad=True, title_note=f" at step {step}", task=task)
    for h in handles:
        h.remove()
    model.train(was_training)

    norms = {
        group: {b: float(np.linalg.norm(t.grad.numpy())) for b, t in found.items()}
        for group, found in branches.items()
    }
    groups = list(norms)
    names = ["residual stream", "self-attention", "cross-attention", "feed-forward"]
    common.plot_bars(
        run.path("gradient_flow.png"), groups,
        {n: [norms[g].get(n, np.nan) for g in groups] for n in names},
        title=f"gradient norm reaching each layer's output and branches (step {step}, one sequence)",
        ylabel="||d loss / d output||",
    )  # fmt: skip
    run.record("gradient_flow.png", "gradient norm per layer: residual stream, attention, FFN")
    common.save_graph(
        run, viz.draw(loss, model=model, depth=4, tensors=False), "graph_model",
        f"the model collapsed by module, arrows as thick as the gradient they carried (step {step})",
    )  # fmt: skip
    return norms


def keep_output(store: dict, group: str, branch: str):
    """A forward hook that keeps a module's output, with its gradient retained, in store."""

    def hook(module, args, output):
        output.retain_grad()
        store.setdefault(group, {})[branch] = output

    return hook


def token_labels(tokens) -> list[str]:
    """Axis labels for a sequence: '<s>' for the start token, the symbol number otherwise."""
    return ["<s>" if t == data.START_ID else str(t - 2) for t in tokens.tolist()]


def explorer_tokens(src, tgt) -> dict:
    """Token labels of every attention of the explorer page (``viz.explore``'s ``tokens``): the
    encoder reads the source, the decoder the target, cross-attention the one over the other."""
    src_labels, tgt_labels = token_labels(src[0]), token_labels(tgt[0, :-1])
    return {"encoder": src_labels, "decoder": tgt_labels, "*cross_attn": (tgt_labels, src_labels)}


def head_graph(model, src, tgt, smoothing: float):
    """The first decoder layer's masked self-attention on one sequence, op by op, coloured by the
    gradient of the real loss.

    The whole loss runs forward and backward inside ``record_gradients`` with every attention on
    its op-by-op path; the drawing goes back from that attention's output to the target tokens,
    so it shows the embedding, the positional encoding, Q, K, V, the scores, the causal mask, the
    softmax (with its detached row maximum), the concatenated heads and W_O, each by its name.
    Gradients left over from training are cleared first.
    """
    model.zero_grad()
    mha = model.decoder.layers[0].self_attn
    kept = {}
    handle = mha.register_forward_hook(lambda module, args, output: kept.update(out=output))
    with storing_attention(model), viz.record_gradients():
        sequence_loss(model, src, tgt, smoothing).backward()
    handle.remove()
    model.zero_grad()
    out = kept["out"]
    out.name = "decoder.layers.0.self_attn output"
    return viz.draw(out, model=model)
