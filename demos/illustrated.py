"""The Illustrated Transformer, drawn from a real run: each concept of the lesson, in its order.

Loads the encoder-decoder `make demo` trained (runs/reverse_task/, with demos.load; it trains one
first if that run is missing), runs one sequence through it and draws what each step computes:

  positional_encoding.png  the sinusoidal table, in this project's interleaved layout (the paper's
                           formula) and in the Illustrated Transformer's concatenated one; and the
                           dot product of two positions' encodings against their distance
  graph_positional.png     where the encoding enters the model: embedding * sqrt(d_model) + PE
  qkv.png                  self-attention as matrices, head 0 of the first encoder layer:
                           X, Q = X W_Q, K = X W_K, V = X W_V, S = Q K^T / sqrt(d_k), P, Z = P V
  scaling.png              the sqrt(d_k) experiment: with and without the scaling, how saturated
                           the softmax is and how much gradient it passes, against d_k
  multihead.png            every head's weights and output Z_h, Concat(Z_0 .. Z_h-1), W_O, and
                           the layer's output Concat(...) W_O
  layer_norm.png           one position through the first residual sublayer: x, the attention's
                           output F(x), the residual sum x + F(x), and LayerNorm of it
  decoding_step.png        one step of greedy decoding: the decoder's last state, the logits over
                           the vocabulary and their softmax
  lesson.json              the numbers these pictures show (the docs quote them from here), and
                           how far apart two equal tokens' cross-attention values are
"""

from __future__ import annotations

import json
import math

import numpy as np

import minigrad
import minigrad.viz as viz
from transformer import sinusoidal_encoding
from transformer.attention import split_heads

from . import common, reverse_task, seq2seq, trained

TABLE_POSITIONS = 50  # rows of the positional-encoding pictures
SCALING_DIMS = (4, 16, 64, 256, 1024)  # d_k values of the scaling experiment


def main(argv=None) -> dict:
    parser = common.parser("illustrated", __doc__, steps=600)
    parser.add_argument(
        "--run",
        default="runs/reverse_task",
        help="run folder of the reverse_task demo to load (trained with --steps if missing)",
    )
    args = parser.parse_args(argv)
    run, rng, device = common.setup(args)
    try:
        model_run = trained.load(args.run, device=args.device)
    except FileNotFoundError:
        print(f"no trained model in {args.run}: training one with demos.reverse_task")
        reverse_task.main(
            ["--steps", str(args.steps), "--seed", str(args.seed), "--device", args.device,
             "--out", args.run]
        )  # fmt: skip
        model_run = trained.load(args.run, device=args.device)
    model = model_run.model
    src, tgt = model_run.example(seed=args.seed)
    src, tgt = src.to(device), tgt.to(device)
    print(f"one sequence: {' '.join(seq2seq.token_labels(src[0]))}")

    numbers = {"run": args.run, "sequence": seq2seq.token_labels(src[0])}
    numbers["positional"] = positional_pictures(run, model)
    numbers["qkv"], numbers["multihead"], numbers["layer_norm"] = layer_pictures(run, model, src)
    numbers["scaling"] = scaling_experiment(run, rng, model)
    numbers["decoding"] = decoding_step(run, model, src, tgt, t=4)
    numbers["equal_tokens"] = equal_tokens(model, src)
    path = run.path("lesson.json")
    path.write_text(json.dumps(numbers, indent=2, sort_keys=True) + "\n")
    run.record(path, "the numbers the pictures show")
    run.report()
    return numbers


# --------------------------------------------------------------------------- positional encoding


def positional_pictures(run, model) -> dict:
    """The table (interleaved and concatenated), dot products against distance, and the graph of
    where the encoding is added."""
    plt = common.plt
    d = model.positional.d_model
    pe = sinusoidal_encoding(TABLE_POSITIONS, d, dtype=minigrad.float64).numpy()
    concatenated = np.concatenate([pe[:, 0::2], pe[:, 1::2]], axis=1)  # sin half | cos half
    dots = pe @ pe.T  # (positions, positions)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), layout="constrained")
    for ax, table, title in (
        (axes[0][0], pe, "this project (the paper's formula): sin, cos interleaved\n"
                         "column 2i = sin(pos / 10000^(2i/d)), column 2i+1 = cos(same)"),
        (axes[0][1], concatenated, "the Illustrated Transformer's figure: the same values,\n"
                                   "all sines first (columns 0..d/2-1), then all cosines"),
    ):  # fmt: skip
        image = ax.imshow(table, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        ax.set(title=title, xlabel="dimension", ylabel="position")
    axes[0][1].axvline(d / 2 - 0.5, color="k", linewidth=1)
    fig.colorbar(image, ax=axes[0], shrink=0.8, label="PE value")
    ax = axes[1][0]
    image = ax.imshow(dots, cmap="viridis", aspect="auto")
    ax.set(
        title="PE[p] · PE[q]: constant along every diagonal",
        xlabel="position q",
        ylabel="position p",
    )
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax = axes[1][1]
    distance = np.arange(TABLE_POSITIONS // 2)
    curves = {p: [dots[p, p + k] for k in distance] for p in (0, 10, 20)}
    for p, curve in curves.items():
        ax.plot(distance, curve, marker="o", markersize=3, label=f"from position p = {p}")
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.set(
        title="PE[p] · PE[p + k]: the three curves coincide,\nit depends on the distance k only",
        xlabel="distance k",
        ylabel="dot product",
    )
    ax.legend()
    fig.suptitle(
        f"sinusoidal positional encoding, d_model = {d}, positions 0..{TABLE_POSITIONS - 1}"
    )
    common.save_figure(fig, run.path("positional_encoding.png"))
    run.record("positional_encoding.png", "positional encoding: table two ways, dot products")

    spread = max(
        float(np.ptp([dots[p, p + k] for p in range(TABLE_POSITIONS - k)]))
        for k in range(TABLE_POSITIONS)
    )
    src = minigrad.tensor([[1, 2, 3]])
    with viz.record_gradients():
        x = model.positional(model.src_embed(src))
        x.name = "encoder input: embedding * sqrt(d_model) + PE"
        x.sum().backward()
    model.zero_grad()
    common.save_graph(
        run, viz.draw(x, model=model), "graph_positional", "where the positional encoding enters"
    )
    return {
        "d_model": d,
        "dot_at_distance": {str(k): round(float(dots[0, k]), 2) for k in (0, 1, 2, 5, 10)},
        "largest_spread_over_positions": spread,
        "embedding_scale": round(model.positional.scale, 3),
    }


# --------------------------------------------------------------------------- one layer, inside


def layer_pictures(run, model, src) -> tuple[dict, dict, dict]:
    """Q/K/V, multi-head and layer norm pictures of the first encoder layer on ``src``."""
    layer = model.encoder.layers[0]
    mha = layer.self_attn
    seen = {}

    def keep_input(name):
        def hook(module, args):
            seen[name] = args[0]

        return hook

    def keep_output(name):
        def hook(module, args, output):
            seen[name] = output

        return hook

    hooks = [
        layer.sublayers[0].register_forward_pre_hook(keep_input("x")),
        mha.register_forward_hook(keep_output("attn_out")),
        layer.sublayers[0].norm.register_forward_pre_hook(keep_input("z")),
        layer.sublayers[0].register_forward_hook(keep_output("y")),
    ]
    with minigrad.no_grad():
        model.encode(src)
        x = seen["x"]
        q, k, v = (split_heads(p(x), mha.n_heads) for p in (mha.q_proj, mha.k_proj, mha.v_proj))
    for h in hooks:
        h.remove()
    labels = seq2seq.token_labels(src[0])
    weights = mha.attention.numpy()[0]  # (H, T, T), kept by store_attention
    arrays = {n: t.numpy()[0] for n, t in (("Q", q), ("K", k), ("V", v))}  # (H, T, D) each
    qkv = qkv_picture(run, x.numpy()[0], arrays, weights, mha, labels)
    heads = multihead_picture(run, arrays, weights, mha, labels, seen["attn_out"].numpy()[0])
    norm = layer_norm_picture(run, layer.sublayers[0].norm, seen, labels)
    return qkv, heads, norm


def qkv_picture(run, x, arrays, weights, mha, labels) -> dict:
    """X, Q, K, V, S, P, Z of head 0: the Illustrated Transformer's "matrix calculation"."""
    d_k = mha.head_dim
    q, k, v = (arrays[n][0] for n in "QKV")
    scores = q @ k.T / math.sqrt(d_k)
    p = weights[0]
    panels = [
        ("X (embedded input)", x), (f"Q = X W_Q  (d_k = {d_k})", q), ("K = X W_K", k),
        ("V = X W_V", v), ("S = Q Kᵀ / √d_k", scores), ("P = softmax(S)", p), ("Z = P V", p @ v),
    ]  # fmt: skip
    plt = common.plt
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 3.6), layout="constrained")
    for ax, (title, m) in zip(axes, panels):
        scale = float(np.abs(m).max()) or 1.0
        if title.startswith("P"):
            ax.imshow(m, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        else:
            ax.imshow(m, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto")
        ax.set_title(f"{title}\n{m.shape[0]} × {m.shape[1]}", fontsize=9)
        keys = labels if m.shape[1] == len(labels) else None  # S and P: one column per key
        common.label_axes(ax, keys, labels)
    fig.suptitle(
        "self-attention as matrices: encoder layer 0, head 0 (red positive, blue negative; "
        "one row per token)"
    )
    common.save_figure(fig, run.path("qkv.png"))
    run.record("qkv.png", "X, Q, K, V, S, P, Z of one head")
    return {
        "d_k": d_k,
        "scores_std": round(float(scores.std()), 3),
        "weights_row_max_mean": round(float(p.max(-1).mean()), 3),
    }


def multihead_picture(run, arrays, weights, mha, labels, output) -> dict:
    """Each head's P and Z_h, Concat(Z_0..Z_h-1), W_O and Concat(...) W_O + b = the output."""
    heads = weights.shape[0]
    z = [weights[h] @ arrays["V"][h] for h in range(heads)]  # (T, D) each
    concat = np.concatenate(z, axis=1)  # (T, d_model)
    w_o = mha.out_proj.weight.detach().numpy().T  # (d_model in, d_model out): y = concat W_O + b
    out = concat @ w_o + mha.out_proj.bias.detach().numpy()
    plt = common.plt
    fig = plt.figure(figsize=(2.4 * heads + 1, 10), layout="constrained")
    top, middle, bottom = fig.subfigures(3, 1, height_ratios=[1, 1, 1.3])
    for h, ax in enumerate(top.subplots(1, heads)):
        ax.imshow(weights[h], cmap="viridis", vmin=0, vmax=1)
        ax.set_title(f"head {h}: P_{h}", fontsize=9)
        common.label_axes(ax, labels, labels)
    top.suptitle("each head attends in its own way (weights P_h, queries × keys)")
    scale = max(float(np.abs(m).max()) for m in z)
    for h, ax in enumerate(middle.subplots(1, heads)):
        ax.imshow(z[h], cmap="RdBu_r", vmin=-scale, vmax=scale, aspect="auto")
        ax.set_title(f"Z_{h} = P_{h} V_{h}  ({z[h].shape[0]} × {z[h].shape[1]})", fontsize=9)
        common.label_axes(ax, None, labels)
    middle.suptitle("each head's output")
    axes = bottom.subplots(1, 3, width_ratios=[1, 1, 1])
    for ax, m, title in (
        (axes[0], concat, f"Concat(Z_0 .. Z_{heads - 1})  ({concat.shape[0]} × {concat.shape[1]})"),
        (axes[1], w_o, f"W_O  ({w_o.shape[0]} × {w_o.shape[1]})"),
        (axes[2], out, f"output = Concat(...) W_O + b  ({out.shape[0]} × {out.shape[1]})"),
    ):
        s = float(np.abs(m).max())
        ax.imshow(m, cmap="RdBu_r", vmin=-s, vmax=s, aspect="auto")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    for boundary in np.arange(1, heads) * mha.head_dim - 0.5:
        axes[0].axvline(boundary, color="k", linewidth=1)
        axes[1].axhline(boundary, color="k", linewidth=1)
    bottom.suptitle(
        "concatenate the heads, multiply by W_O: head h's block of columns meets block h of "
        "W_O's rows (lines)"
    )
    fig.suptitle("multi-head attention, encoder layer 0")
    common.save_figure(fig, run.path("multihead.png"))
    run.record("multihead.png", "heads, their concatenation, W_O, the output")
    return {"heads": heads, "max_abs_diff_from_module_output": float(np.abs(out - output).max())}


def layer_norm_picture(run, norm, seen, labels, position: int = 3) -> dict:
    """One position through a post-LN sublayer: x, F(x), z = x + F(x), LayerNorm(z)."""
    rows = {
        "x: the residual stream coming in": seen["x"],
        "F(x): the self-attention's output": seen["attn_out"],
        "z = x + F(x): the residual connection adds them": seen["z"],
        "LayerNorm(z) = γ (z - mean) / std + β": seen["y"],
    }
    values = {name: t.numpy()[0, position].astype(np.float64) for name, t in rows.items()}
    z = values["z = x + F(x): the residual connection adds them"]
    normalised = (z - z.mean()) / np.sqrt(z.var() + norm.eps)
    plt = common.plt
    fig, axes = plt.subplots(
        len(values) + 1, 1, figsize=(10, 10), sharex=True, layout="constrained"
    )
    entries = list(values.items())
    entries.insert(3, ("(z - mean) / std: mean 0, standard deviation 1", normalised))
    stats = {}
    for ax, (name, v) in zip(axes, entries):
        ax.bar(np.arange(v.size), v, color=np.where(v >= 0, "#d6604d", "#4393c3"))
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(f"{name}    (mean {v.mean():+.2f}, std {v.std():.2f})", fontsize=9)
        stats[name.split(":")[0]] = {
            "mean": round(float(v.mean()), 3),
            "std": round(float(v.std()), 3),
        }
    axes[-1].set_xlabel("feature")
    fig.suptitle(
        f"the residual stream and layer norm at position {position} (token {labels[position]}), "
        "encoder layer 0 (post-LN)"
    )
    common.save_figure(fig, run.path("layer_norm.png"))
    run.record("layer_norm.png", "residual sum and layer norm of one position")
    return {"position": position, **stats}


def equal_tokens(model, src) -> dict | None:
    """How different two equal tokens' cross-attention values are, against their inputs.

    dP = dO V^T sees a key only through its value vector. In cross-attention the values are
    W_V times the encoder's output, which has mixed the whole sequence in; the encoder's input is
    only the token's embedding plus its positional encoding. Relative differences
    ||a - b|| / ||a|| of both, for the first two equal symbols of ``src`` (None if all differ).
    """
    tokens = src[0].tolist()
    pairs = [(i, j) for j in range(2, len(tokens)) for i in range(1, j) if tokens[i] == tokens[j]]
    if not pairs:
        return None
    i, j = pairs[0]
    with minigrad.no_grad():
        embedded = model.positional(model.src_embed(src))[0].numpy()
        values = model.decoder.layers[0].cross_attn.v_proj(model.encode(src))[0].numpy()

    def relative(m):
        return round(float(np.linalg.norm(m[i] - m[j]) / np.linalg.norm(m[i])), 3)

    return {
        "symbol": seq2seq.token_labels(src[0])[i],
        "positions": [i, j],
        "embedding_plus_pe": relative(embedded),
        "cross_attention_values": relative(values),
    }


# --------------------------------------------------------------------------- sqrt(d_k)


def softmax_rows(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def softmax_gain(p: np.ndarray, dp: np.ndarray) -> float:
    """||dS|| / ||dP|| through the softmax's backward, dS = P * (dP - rowsum(dP * P))."""
    ds = p * (dp - (dp * p).sum(-1, keepdims=True))
    return float(np.linalg.norm(ds) / np.linalg.norm(dp))


def scaling_experiment(run, rng, model) -> dict:
    """Scores of unit-variance q and k, with and without the 1/sqrt(d_k), for several d_k.

    For each d_k: 64 queries against the model's number of keys, entries N(0, 1) (what the
    projections give at initialisation). Measured: the spread of the scores, how saturated each
    softmax row is (its largest weight, averaged), and how much of a random upstream gradient dP
    the softmax passes back to the scores (||dS|| / ||dP||).
    """
    keys = model.positional.pe.shape[0]
    table = {"scaled": {}, "unscaled": {}}
    for d_k in SCALING_DIMS:
        q, k = rng.standard_normal((64, d_k)), rng.standard_normal((keys, d_k))
        dp = rng.standard_normal((64, keys))
        for name, scores in (("scaled", q @ k.T / math.sqrt(d_k)), ("unscaled", q @ k.T)):
            p = softmax_rows(scores)
            table[name][str(d_k)] = {
                "scores_std": round(float(scores.std()), 2),
                "largest_weight": round(float(p.max(-1).mean()), 3),
                "gradient_gain": float(f"{softmax_gain(p, dp):.3g}"),
            }
    plt = common.plt
    fig, axes = plt.subplots(1, 3, figsize=(14, 4), layout="constrained")
    for ax, measure, title in (
        (axes[0], "scores_std", "spread of the scores (std)"),
        (axes[1], "largest_weight", "softmax saturation: largest weight per row (mean)"),
        (axes[2], "gradient_gain", "gradient through the softmax: ||dS|| / ||dP||"),
    ):
        for name, style in (("scaled", "o-"), ("unscaled", "s--")):
            label = "S = QKᵀ/√d_k" if name == "scaled" else "S = QKᵀ (no scaling)"
            ys = [table[name][str(d)][measure] for d in SCALING_DIMS]
            ax.plot(SCALING_DIMS, ys, style, label=label)
        ax.set(xscale="log", xlabel="d_k", title=title)
        ax.set_xticks(SCALING_DIMS)
        ax.set_xticklabels([str(d) for d in SCALING_DIMS])
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[2].set_yscale("log")
    axes[0].legend()
    fig.suptitle(
        f"why divide by √d_k: q, k with N(0, 1) entries, 64 queries × {keys} keys, random dP"
    )
    common.save_figure(fig, run.path("scaling.png"))
    run.record("scaling.png", "softmax saturation and gradient with and without 1/sqrt(d_k)")
    return table


# --------------------------------------------------------------------------- the output


def decoding_step(run, model, src, tgt, t: int) -> dict:
    """The decoder reads <s> and the first t - 1 answer tokens; its last state goes through the
    final linear layer (the generator) and a softmax over the vocabulary."""
    with minigrad.no_grad():
        memory = model.encode(src)
        state = model.decode(tgt[:, :t], memory)[0, -1]  # (d_model,)
        logits = model.generator(state)
    state, logits = state.numpy(), logits.numpy().astype(np.float64)
    probs = softmax_rows(logits)
    vocab = ["pad", "<s>"] + [str(i) for i in range(len(logits) - 2)]
    best = int(probs.argmax())
    so_far = " ".join(seq2seq.token_labels(tgt[0, :t]))
    plt = common.plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), layout="constrained", width_ratios=[2, 1, 1])
    axes[0].bar(np.arange(state.size), state, color=np.where(state >= 0, "#d6604d", "#4393c3"))
    axes[0].set(
        title=f"decoder output at the last position ({state.size} features)", xlabel="feature"
    )
    colours = ["#999999"] * len(vocab)
    colours[best] = "#1a9850"
    axes[1].bar(vocab, logits, color=colours)
    axes[1].set(title="logits = W h + b  (final linear layer)", xlabel="token")
    axes[2].bar(vocab, probs, color=colours)
    axes[2].set(title=f"softmax: p({vocab[best]}) = {probs[best]:.3f}", xlabel="token", ylim=(0, 1))
    for ax in axes[1:]:
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"one decoding step: after {so_far!r} the model writes {vocab[best]} (argmax)")
    common.save_figure(fig, run.path("decoding_step.png"))
    run.record("decoding_step.png", "decoder state -> logits -> softmax over the vocabulary")
    runner_up = int(np.argsort(probs)[-2])
    return {
        "prefix": so_far,
        "predicted": vocab[best],
        "expected": seq2seq.token_labels(tgt[0, t : t + 1])[0],
        "probability": round(float(probs[best]), 4),
        "runner_up": vocab[runner_up],
        "runner_up_probability": float(f"{probs[runner_up]:.2g}"),
    }


if __name__ == "__main__":
    main()
