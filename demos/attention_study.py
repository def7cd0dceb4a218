"""Where does the gradient go inside attention? A guided study, step by step.

Part 1 trains a small encoder-decoder to reverse sequences (a minute or so).

Part 2 takes one held-out sequence and the first decoder layer's cross-attention, recomputes it op
by op inside the real forward pass (so the loss's gradient flows through every intermediate), and
follows the backward pass:

    O = P V                 dP = dO V^T                      what the loss asks of the weights
    P = softmax(S)          dS = P * (dP - rowsum(dP * P))   each row of dS sums to zero
    S = Q K^T / sqrt(d)     dQ = dS K / sqrt(d),  dK = dS^T Q / sqrt(d)

It prints each gradient's norm next to the formula and checks the formula against autograd, and
draws them per head (gradient_path.png).

Part 3 asks how much gradient reaches the early layers. The same deep encoder stack is built three
ways, pre-LN, post-LN and without residual connections, and one batch is run backward through
each at initialisation; the table shows, sublayer by sublayer from the output down, the gradient
norm arriving there and how much of it came through the identity (skip) path and how much through
the branch (residual_gradients.png).

See docs/backprop-through-attention.md for the math.
"""

from __future__ import annotations

import math

import numpy as np

import minigrad
from minigrad import nn
from minigrad.nn import functional as F
from minigrad.optim import Adam
from minigrad.optim.lr_scheduler import noam
from transformer import Encoder, SinusoidalPositionalEncoding, Transformer, data
from transformer.attention import merge_heads, split_heads

from . import common, seq2seq


def add_arguments(parser) -> None:
    seq2seq.add_arguments(parser)
    parser.set_defaults(d_model=32, heads=2, layers=2, d_ff=64, warmup=100, test_size=200)
    p = parser.add_argument_group("study")
    p.add_argument("--depth", type=int, default=16, help="encoder layers in part 3")


# --------------------------------------------------------------------------- part 2


class Recorder:
    """Replaces one MultiHeadAttention's output by the same computation written op by op,
    keeping Q, K, V, the scores S and the weights P with their gradients retained."""

    def __init__(self, mha):
        self.mha = mha
        self.kept: dict[str, minigrad.Tensor] = {}

    def __call__(self, mha, args, output):
        query, key, value, mask = (list(args) + [None])[:4]
        q = split_heads(mha.q_proj(query), mha.n_heads)  # (B, H, L, D)
        k = split_heads(mha.k_proj(key), mha.n_heads)  # (B, H, S, D)
        v = split_heads(mha.v_proj(value), mha.n_heads)
        scores = q @ k.mT / math.sqrt(mha.head_dim)  # (B, H, L, S)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = scores.softmax(-1)
        out = weights @ v
        self.kept = {"Q": q, "K": k, "V": v, "S": scores, "P": weights, "O": out}
        for t in self.kept.values():
            t.retain_grad()
        return mha.out_proj(merge_heads(out))

    def arrays(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """name -> (value, gradient) of the first sequence in the batch, (H, ...) each, in
        float64, so that formulas evaluated on them are exact up to the model's float32 rounding."""
        return {
            n: (t.detach().numpy()[0].astype(np.float64), t.grad.numpy()[0].astype(np.float64))
            for n, t in self.kept.items()
        }


def gradient_path(model, run, src, tgt, smoothing: float) -> list[dict]:
    """Part 2: follow d loss back through one cross-attention; print, check and draw it."""
    mha = model.decoder.layers[0].cross_attn
    recorder = Recorder(mha)
    handle = mha.register_forward_hook(recorder)
    model.eval()
    loss = seq2seq.sequence_loss(model, src, tgt, smoothing)
    loss.backward()
    handle.remove()
    a = recorder.arrays()
    scale = 1.0 / math.sqrt(mha.head_dim)
    (p, dp), (q, dq), (k, dk), (v, _), (_, ds), (_, do) = (
        a[n] for n in ("P", "Q", "K", "V", "S", "O")
    )
    formulas = {
        "dP": ("dO V^T", do @ v.swapaxes(-1, -2), dp),
        "dS": ("P * (dP - rowsum(dP * P))", p * (dp - (dp * p).sum(-1, keepdims=True)), ds),
        "dQ": ("dS K / sqrt(d)", ds @ k * scale, dq),
        "dK": ("dS^T Q / sqrt(d)", ds.swapaxes(-1, -2) @ q * scale, dk),
    }
    rows = []
    print(
        f"\npart 2: the backward pass through decoder layer 0's cross-attention, loss {loss.item():.4f}"
    )
    print(
        f"  {'gradient':<9}{'shape (per head)':<18}{'norm':>10}  {'formula':<28}{'max |autograd - formula|':>26}"
    )
    for name, (formula, by_hand, by_autograd) in formulas.items():
        diff = float(np.abs(by_hand - by_autograd).max())
        norm = float(np.linalg.norm(by_autograd))
        shape = "x".join(map(str, by_autograd.shape[1:]))
        rows.append({"gradient": name, "norm": norm, "formula": formula, "max_abs_diff": diff})
        print(f"  {name:<9}{shape:<18}{norm:>10.3e}  {formula:<28}{diff:>26.1e}")
    row_sums = float(np.abs(ds.sum(-1)).max())
    print(f"  every row of dS sums to zero: largest |row sum| = {row_sums:.1e}")
    rows.append({"gradient": "dS row sums", "max_abs": row_sums})

    src_labels = seq2seq.token_labels(src[0])
    tgt_labels = seq2seq.token_labels(tgt[0, :-1])
    panels = [  # title, (H, rows, cols) array, diverging?, x labels, x axis, y axis
        ("P = softmax(S)", p, False, src_labels, "key", "query"),
        ("dP = dO V^T", dp, True, src_labels, "key", "query"),
        ("dS (softmax backward)", ds, True, src_labels, "key", "query"),
        ("dQ = dS K / sqrt(d)", dq, True, None, "feature", "query"),
        ("dK^T = (dS^T Q)^T / sqrt(d)", dk.swapaxes(-1, -2), True, src_labels, "key", "feature"),
    ]
    plot_gradient_path(run.path("gradient_path.png"), panels, tgt_labels)
    run.record("gradient_path.png", "P, dP, dS, dQ, dK per head of one cross-attention")
    return rows


def plot_gradient_path(path, panels, query_labels) -> None:
    """One row per head, one column per stage of the backward pass."""
    plt = common.plt
    heads = panels[0][1].shape[0]
    fig, axes = plt.subplots(
        heads, len(panels), figsize=(3.2 * len(panels), 3.6 * heads), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for c, (title, array, diverging, x_labels, xlabel, ylabel) in enumerate(panels):
        for h in range(heads):
            ax = axes[h][c]
            common.show_map(ax, array[h], diverging, f"{title}\nhead {h}", aspect="auto")
            common.label_axes(ax, x_labels, query_labels if ylabel == "query" else None)
            ax.set_xlabel(xlabel, fontsize=8)
            ax.set_ylabel(ylabel, fontsize=8)
    fig.suptitle(
        "one cross-attention, backwards: from the weights to the queries and keys\n"
        "(blue: negative gradient, a descent step raises the entry; red: lowers it)"
    )
    common.save_figure(fig, path)


# --------------------------------------------------------------------------- part 3


class WithoutSkip(nn.Module):
    """A sublayer with its LayerNorm but no residual connection: x -> norm(sublayer(x))."""

    def __init__(self, d_model: int):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)

    def forward(self, x, sublayer):
        return self.norm(sublayer(x))


class DeepEncoder(nn.Module):
    """Embedding, sinusoidal positions, an ``Encoder`` stack and a per-position classifier."""

    def __init__(self, vocab: int, d_model: int, heads: int, depth: int, d_ff: int, variant: str):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.positional = SinusoidalPositionalEncoding(d_model, 64, 0.0)
        self.encoder = Encoder(d_model, heads, depth, d_ff, 0.0, norm_first=variant == "pre-LN")
        if variant == "no residual":
            for layer in self.encoder.layers:
                layer.sublayers = nn.ModuleList([WithoutSkip(d_model) for _ in layer.sublayers])
        self.head = nn.Linear(d_model, vocab)

    def forward(self, src):
        return self.head(self.encoder(self.positional(self.embed(src))))


VARIANTS = ("pre-LN", "post-LN", "no residual")


def residual_study(args, device, rng) -> dict:
    """Part 3: gradient norms through each sublayer of three deep encoders at initialisation.

    For a sublayer with input x, output y and (post-LN) pre-norm sum z = x + F(x): the gradient
    arriving at its output is dy; what reaches x is dx = (identity part) + (branch part), the
    identity part being dy (pre-LN), dz (post-LN) or nothing (no residual).
    """
    src, tgt = data.reverse_task(args.batch, args.length, args.vocab, device=device)
    table = {}
    for variant in VARIANTS:
        minigrad.manual_seed(int(rng.integers(2**31)))
        model = DeepEncoder(args.vocab, args.d_model, args.heads, args.depth, args.d_ff, variant)
        model.to(device)
        seen, handles = [], []
        for layer in model.encoder.layers:
            for sub in layer.sublayers:
                handles.append(sub.register_forward_hook(keep_in_out(seen, sub)))
                handles.append(sub.norm.register_forward_pre_hook(keep_norm_input(seen, sub)))
        logits = model(src)
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), tgt.reshape(-1))
        loss.backward()
        for h in handles:
            h.remove()
        table[variant] = [
            split_gradient(entry, variant) for entry in reversed(seen_by_sublayer(seen))
        ]
    return table


def keep_in_out(seen: list, sub):
    def hook(module, args, output):
        x = args[0]
        for t in (x, output):
            t.retain_grad()
        seen.append((sub, "io", x, output))

    return hook


def keep_norm_input(seen: list, sub):
    def hook(module, args):
        args[0].retain_grad()
        seen.append((sub, "norm_in", args[0], None))

    return hook


def seen_by_sublayer(seen: list) -> list[dict]:
    """Group the hooks' records by sublayer, in forward order."""
    found: dict = {}
    for sub, kind, a, b in seen:
        entry = found.setdefault(id(sub), {})
        if kind == "io":
            entry["x"], entry["y"] = a, b
        else:
            entry["z"] = a
    return list(found.values())


def norm_of(t) -> float:
    return 0.0 if t.grad is None else float(np.linalg.norm(t.grad.numpy()))


def split_gradient(entry: dict, variant: str) -> dict:
    """The gradient at a sublayer's input, split into its identity and branch parts."""
    dx = entry["x"].grad.numpy()
    if variant == "pre-LN":
        identity = entry["y"].grad.numpy()
    elif variant == "post-LN":
        identity = entry["z"].grad.numpy()
    else:
        identity = np.zeros_like(dx)
    return {
        "at output": norm_of(entry["y"]),
        "at input": float(np.linalg.norm(dx)),
        "via identity": float(np.linalg.norm(identity)),
        "via branch": float(np.linalg.norm(dx - identity)),
    }


def print_residual_table(table: dict, depth: int) -> None:
    """One row per layer: the gradient reaching the layer's input (its attention sublayer's)."""
    print(
        f"\npart 3: gradient reaching each layer's input, {depth}-layer encoder at initialisation"
    )
    print("  ||dx|| = ||via identity + via branch||; the first row is the layer next to the output")
    print(f"  {'':<7}" + "".join(f"{v:>35}" for v in table))
    print(f"  {'layer':<7}" + f"{'||dx|| (identity, branch)':>35}" * len(table))
    for layer in reversed(range(depth)):
        r = 2 * (depth - 1 - layer) + 1  # rows run output-first, (f, a) per layer
        cells = "".join(
            f"{rows[r]['at input']:>16.2e} ({rows[r]['via identity']:.1e}, {rows[r]['via branch']:.1e})"
            for rows in table.values()
        )
        print(f"  {layer:<7}{cells}")


def plot_residual(path, table: dict, depth: int) -> None:
    plt = common.plt
    fig, ax = plt.subplots(figsize=(7, 4))
    for variant, rows in table.items():
        ax.plot(range(len(rows)), [r["at input"] for r in rows], marker="o", label=variant)
    # rows run output-first, feed-forward then attention per layer: label each layer once
    ax.set_xticks(range(1, 2 * depth, 2))
    ax.set_xticklabels([str(i) for i in reversed(range(depth))], fontsize=7)
    ax.set(
        yscale="log",
        xlabel="layer, from the output (left) down to the first (right); two sublayers each",
        ylabel="||d loss / d sublayer input||",
        title=f"gradient reaching early layers ({depth}-layer encoder, initialisation)",
    )
    ax.grid(alpha=0.3)
    ax.legend()
    common.save_figure(fig, path)


# --------------------------------------------------------------------------- main


def main(argv=None) -> dict:
    parser = common.parser("attention_study", __doc__, steps=400)
    add_arguments(parser)
    args = parser.parse_args(argv)
    run, rng, device = common.setup(args)

    print("part 1: train a small encoder-decoder to reverse sequences")
    model = Transformer(
        args.vocab, args.vocab, d_model=args.d_model, n_heads=args.heads, n_layers=args.layers,
        d_ff=args.d_ff, dropout=args.dropout, max_len=args.length,
    ).to(device)  # fmt: skip
    seq2seq.init_attention_like_pytorch(model)
    optimizer = Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    scheduler = noam(optimizer, d_model=args.d_model, warmup=args.warmup, factor=args.factor)
    test_src, test_tgt = data.reverse_task(args.test_size, args.length, args.vocab, device=device)
    held_out = {row.tobytes() for row in test_src.numpy()}
    losses, _, seconds = seq2seq.train(
        model, optimizer, scheduler, data.reverse_task, args, held_out, "train"
    )
    model.eval()
    exact, _, _ = seq2seq.evaluate(model, test_src, test_tgt)
    print(f"  held-out exact match {exact:.1%} after {args.steps} steps ({seconds:.0f} s)")

    path_rows = gradient_path(model, run, test_src[:1], test_tgt[:1], args.smoothing)
    example = test_src[:1], test_tgt[:1]
    common.save_explorer(
        run, model, lambda: seq2seq.sequence_loss(model, *example, args.smoothing),
        seq2seq.explorer_tokens(*example),
    )  # fmt: skip
    table = residual_study(args, device, rng)
    print_residual_table(table, args.depth)
    plot_residual(run.path("residual_gradients.png"), table, args.depth)
    run.record("residual_gradients.png", "gradient norm per sublayer: pre-LN, post-LN, no residual")

    metrics = {
        "exact_match": exact,
        "final_loss": float(np.mean(losses[-20:])) if losses else None,
        "train_seconds": round(seconds, 2),
        "gradient_path": path_rows,
        "residual_study": table,
        "seed": args.seed,
        "config": common.flags(args),
    }
    run.save_metrics(metrics)
    run.report()
    return metrics


if __name__ == "__main__":
    main()
