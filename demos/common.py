"""What every demo shares: the command line, seeding, the run directory, the progress bar, plots,
``metrics.json``, checkpoints, graph rendering and the backprop explorer page.

A demo's ``main(argv=None)`` reads like this::

    parser = common.parser("reverse_task", __doc__, steps=600)
    parser.add_argument("--d-model", type=int, default=64)
    args = parser.parse_args(argv)
    run, rng, device = common.setup(args)        # seeds minigrad and NumPy, makes runs/<name>/
    progress = common.Progress(args.steps, "train")
    for step in range(args.steps):
        ...
        progress.step(loss=loss.item(), lr=lr, tokens=batch_tokens)
    progress.close()
    common.plot_curves(run.path("loss.png"), {"train": (steps, losses)}, title="loss")
    run.record("loss.png", "training loss curve")
    run.save_metrics({...})
    run.report()                                 # prints what was written, and where

Plots use matplotlib's headless ``Agg`` backend, so demos run without a display.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import minigrad
import minigrad.viz as viz
from minigrad.errors import DeviceError
from minigrad.nn.utils import clip_grad_norm_

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise SystemExit(
        f"the demos need matplotlib and tqdm ({missing}); install them with "
        f"`pip install -e '.[demos]'` (or `make demo`, which does it for you)"
    ) from missing


# --------------------------------------------------------------------------- command line and setup


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """``--help`` keeps the module docstring's layout, and each flag's line ends with the default
    the parser really uses (read from it, so the text cannot drift from the code). Flags without
    a default (None) or switches say nothing more."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default in (None, argparse.SUPPRESS) or action.nargs == 0:
            return text
        shown = "%(default)r" if isinstance(action.default, str) else "%(default)s"
        return f"{text} (default: {shown})"


def parser(name: str, doc: str | None, steps: int) -> argparse.ArgumentParser:
    """An ArgumentParser with the flags every demo takes: --steps, --seed, --device, --out.

    ``doc`` (the demo module's docstring) becomes the ``--help`` text; ``steps`` is the default
    number of training steps. Demos add their own flags (model sizes and so on) to the result.
    """
    p = argparse.ArgumentParser(
        prog=f"python -m demos.{name}",
        description=doc,
        formatter_class=HelpFormatter,
    )
    p.add_argument("--steps", type=int, default=steps, help="training steps")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (cuda needs CuPy)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("runs") / name,
        help="directory for plots, checkpoint and metrics.json",
    )
    return p


def flags(args: argparse.Namespace) -> dict:
    """The parsed flags as JSON-friendly values (paths as strings), for metrics and checkpoints."""
    plain = (int, float, str, bool, type(None))
    return {k: (v if isinstance(v, plain) else str(v)) for k, v in vars(args).items()}


def setup(args: argparse.Namespace) -> tuple[Run, np.random.Generator, minigrad.Device]:
    """Seed everything from ``args.seed``, resolve ``args.device``, create ``args.out``.

    minigrad's generator (parameter initialisation, dropout, sampling, and the data of
    ``transformer.data``) is seeded with ``minigrad.manual_seed``; demos that draw their own data
    use the returned NumPy Generator. Either way a run is reproduced exactly by its seed.
    """
    if args.steps < 0:
        raise SystemExit(f"--steps must be >= 0, got {args.steps}")
    try:
        device = minigrad.device(args.device)
    except DeviceError as err:
        raise SystemExit(f"--device {args.device}: {err}") from err
    minigrad.manual_seed(args.seed)
    return Run(args.out), np.random.default_rng(args.seed), device


class Run:
    """The run directory and a list of what the demo wrote there, printed at the end."""

    def __init__(self, out: Path | str):
        self.dir = Path(out)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.written: list[tuple[Path, str]] = []

    def path(self, name: str) -> Path:
        """``name`` inside the run directory (subdirectories are created)."""
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def record(self, name: str | Path, what: str) -> None:
        """Note that file ``name`` holds ``what``: a path inside the run directory (as ``path``
        returns), or a name relative to it."""
        p = Path(name)
        inside = p.is_absolute() or p.parts[: len(self.dir.parts)] == self.dir.parts
        self.written.append((p if inside else self.dir / p, what))

    def save_metrics(self, metrics: dict) -> Path:
        """Write ``metrics.json`` (sorted keys, indented) and record it."""
        path = self.path("metrics.json")
        path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        self.record(path, "metrics (accuracy, losses, timings, configuration)")
        return path

    def report(self) -> None:
        """Print every recorded file with what it holds."""
        print(f"\nwrote {len(self.written)} files into {self.dir}/")
        width = max((len(str(p)) for p, _ in self.written), default=0)
        for p, what in self.written:
            print(f"  {str(p):<{width}}  {what}")


# --------------------------------------------------------------------------- progress


class Progress:
    """A tqdm bar over training steps that shows the loss, learning rate and tokens per second."""

    def __init__(self, total: int, desc: str = "train"):
        self.bar = tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, file=sys.stderr)
        self.tokens = 0
        self.start = time.perf_counter()

    def step(self, loss: float, lr: float, tokens: int) -> None:
        """Advance one step that processed ``tokens`` tokens and ended with ``loss``."""
        self.tokens += tokens
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        self.bar.set_postfix(
            loss=f"{loss:.4f}", lr=f"{lr:.2e}", tok_s=f"{self.tokens / elapsed:,.0f}", refresh=False
        )
        self.bar.update()

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return time.perf_counter() - self.start

    def close(self) -> None:
        self.bar.close()


# --------------------------------------------------------------------------- training


def optimize(loss, optimizer, scheduler, clip: float | None = None) -> float:
    """One update: zero the gradients, backward from ``loss``, clip the gradient norm to ``clip``
    (if given), step the optimizer, then the schedule. Returns the learning rate the step used."""
    optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], clip)
    optimizer.step()
    lr = optimizer.param_groups[0]["lr"]
    scheduler.step()
    return lr


# --------------------------------------------------------------------------- plots


def smooth(values, weight: float = 0.9) -> np.ndarray:
    """Exponential moving average, bias-corrected (like TensorBoard's smoothing slider)."""
    out, avg = np.empty(len(values)), 0.0
    for i, v in enumerate(values):
        avg = weight * avg + (1.0 - weight) * v
        out[i] = avg / (1.0 - weight ** (i + 1))
    return out


def plot_curves(
    path: Path,
    series: dict,
    title: str,
    ylabel: str = "loss",
    hline: tuple[float, str] | None = None,
) -> None:
    """One line per ``name: (steps, values)``; noisy series (> 50 points) also get a smoothed line.

    ``hline = (y, label)`` adds a dashed horizontal reference line (a loss floor, a target).
    """
    fig, ax = plt.subplots(figsize=(7, 4))
    if hline is not None:
        ax.axhline(hline[0], color="grey", linestyle="--", linewidth=1, label=hline[1])
    for name, (xs, ys) in series.items():
        if len(ys) > 50:
            (line,) = ax.plot(xs, ys, alpha=0.25, linewidth=0.8)
            ax.plot(xs, smooth(ys), color=line.get_color(), label=f"{name} (smoothed)")
        else:
            ax.plot(xs, ys, marker="o", markersize=3, label=name)
    ax.set(title=title, xlabel="step", ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def plot_heatmaps(
    path: Path,
    maps,
    title: str,
    x_ticks=None,
    y_ticks=None,
    xlabel: str = "key",
    ylabel: str = "query",
    diverging: bool = False,
    masked=None,
    panel_titles=None,
    note: str | None = None,
) -> None:
    """A grid of heatmaps: ``maps`` is (rows, cols, T, S), one row per layer, one column per head.

    Attention weights (``diverging=False``) share one colour scale from 0 to 1. Gradients
    (``diverging=True``) use a red-blue map centred on 0, each panel scaled to its own largest
    |value|, which the panel's title states (gradients of different heads differ by orders of
    magnitude, so a shared scale would leave most panels blank).

    ``masked`` (a (T, S) boolean array, True = the query may not attend to the key) marks those
    cells with a cross in every panel. ``panel_titles[r][c]`` replaces "layer r head c"; ``note``
    is printed under the grid.
    """
    maps = np.asarray(maps, dtype=np.float64)
    rows, cols = maps.shape[:2]
    size = 1.0 + 0.22 * max(maps.shape[2], maps.shape[3])
    fig, axes = plt.subplots(
        rows, cols, figsize=(size * cols + 1.0, size * rows + 0.8), squeeze=False
    )
    image = None
    for r in range(rows):
        for c in range(cols):
            ax = axes[r][c]
            name = panel_titles[r][c] if panel_titles is not None else f"layer {r} head {c}"
            image = show_map(ax, maps[r, c], diverging, name)
            label_axes(ax, x_ticks, y_ticks)
            if masked is not None:
                mark_masked(ax, masked)
            if r == rows - 1:
                ax.set_xlabel(xlabel, fontsize=8)
            if c == 0:
                ax.set_ylabel(ylabel, fontsize=8)
    if not diverging and image is not None:
        fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    lines = []
    if diverging:
        lines.append(
            "blue: negative gradient, a descent step raises this entry; red: positive, a step "
            "lowers it"
        )
    if masked is not None:
        lines.append("×: masked, the query may not attend to this key")
    if note:
        lines.append(note)
    if lines:
        fig.text(0.5, 0.0, "\n".join(lines), ha="center", va="top", fontsize=9, wrap=True)
    fig.suptitle(title)
    save_figure(fig, path)


def mark_masked(ax, masked) -> None:
    """A small cross on every masked cell ((T, S) boolean, True = may not attend)."""
    rows, cols = np.nonzero(np.asarray(masked))
    ax.scatter(cols, rows, marker="x", s=14, c="#a0a0a0", linewidths=0.7)


def show_map(ax, m: np.ndarray, diverging: bool, title: str, aspect: str = "equal"):
    """Draw one heatmap and return its image: weights on a 0..1 scale, or (``diverging``) a
    gradient on a red-blue scale centred on 0 and scaled to its largest |value|, which is added to
    the title."""
    if diverging:
        scale = float(np.abs(m).max()) or 1.0
        ax.set_title(f"{title}\nmax |g| {scale:.1e}", fontsize=8)
        return ax.imshow(m, cmap="RdBu_r", vmin=-scale, vmax=scale, aspect=aspect)
    ax.set_title(title, fontsize=8)
    return ax.imshow(m, cmap="viridis", vmin=0.0, vmax=1.0, aspect=aspect)


def label_axes(ax, x_ticks, y_ticks) -> None:
    """Label heatmap axes with tokens when given, else hide the ticks."""
    for labels, set_ticks, set_labels in (
        (x_ticks, ax.set_xticks, ax.set_xticklabels),
        (y_ticks, ax.set_yticks, ax.set_yticklabels),
    ):
        if labels is None:
            set_ticks([])
        else:
            set_ticks(range(len(labels)))
            set_labels([str(t) for t in labels], fontsize=6)


def plot_bars(path: Path, groups: list[str], series: dict, title: str, ylabel: str) -> None:
    """Grouped bars: for each group (a layer), one bar per ``name: values`` (one value per group).

    The gradient-flow chart uses it with groups = layers and series = residual stream,
    attention branch, feed-forward branch. The axis is logarithmic when the values span more
    than a factor of 20 (norms that differ by decades), else linear from 0.
    """
    values = np.array([v for vs in series.values() for v in vs], dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    log = values.size > 0 and values.max() > 20 * values.min()
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) * len(series)), 4))
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(x)
    ax.set_xticklabels(groups, rotation=30, ha="right", fontsize=8)
    ax.set(title=title, ylabel=ylabel)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def save_figure(fig, path: Path) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


# --------------------------------------------------------------------------- metrics, checkpoints


def save_checkpoint(path: Path, model, optimizer, step: int, config: dict, **extra) -> None:
    """``minigrad.save`` the model and optimizer state, the step and the config needed to rebuild."""
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "config": config,
    }
    state.update(extra)
    minigrad.save(state, path)


# --------------------------------------------------------------------------- graphs


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` program is on PATH (the Python package alone cannot render)."""
    return shutil.which("dot") is not None


def save_graph(run: Run, graph, name: str, what: str) -> Path:
    """Render a ``graphviz.Digraph`` to ``name.png`` in the run directory.

    Without the ``dot`` program, write the source ``name.dot`` instead; ``run.report`` then says
    how to render it (``dot -Tpng name.dot -o name.png``).
    """
    if dot_available():
        rendered = graph.render(filename=name, directory=str(run.dir), format="png", cleanup=True)
        run.record(Path(rendered), what)
        return Path(rendered)
    path = run.path(f"{name}.dot")
    path.write_text(graph.source)
    run.record(path, f"{what} (Graphviz source: dot -Tpng {path} -o {path.with_suffix('.png')})")
    return path


def save_explorer(run: Run, model, loss_fn, tokens=None) -> Path | None:
    """Write ``explorer.html``, the backprop explorer of one more pass of ``loss_fn()`` (which
    runs the model and returns the loss), with every value and gradient recorded.

    The model is put in eval mode (no dropout) for the pass; the parameter gradients it leaves
    are cleared. ``tokens`` labels the attention view (see ``viz.explore``). Without Graphviz's
    ``dot``, which lays out the graph, nothing is written.
    """
    if not dot_available():
        print("note: explorer.html needs Graphviz's `dot` to lay out the graph; not written")
        return None
    was_training = model.training
    model.eval()
    with viz.record_gradients():
        loss = loss_fn()
        loss.backward(retain_graph=True)
    path = run.path("explorer.html")
    viz.explore(loss, model=model, tokens=tokens, path=path)
    model.zero_grad()
    model.train(was_training)
    run.record(
        path, "backprop explorer: open in a browser, click any vertex for its value and gradient"
    )
    return path


def note_missing_dot() -> None:
    """Say once, before training, that graphs will be written as .dot sources."""
    if not dot_available():
        print(
            "note: Graphviz's `dot` was not found, so computation graphs are written as .dot files;"
            " install it (apt-get install graphviz / brew install graphviz) and run the printed"
            " `dot -Tpng ...` commands to render them."
        )
