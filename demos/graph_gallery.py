"""Render the computation graphs people ask to see, with minigrad.viz.

  neuron              micrograd's neuron tanh(x1 w1 + x2 w2 + b), values and gradients
  neuron_backward     the functions its backward pass runs
  attention_head      one attention head, op by op
  encoder_layer       a transformer encoder layer, modules as clusters
  softmax_backward    the graph of softmax's backward formula (create_graph=True)
  gpt_gradient_flow   a GPT collapsed by module after --steps training steps on the sort task,
                      arrows as thick as the gradient that flowed back along them

The first five are minigrad.viz's gallery (`make gallery` renders them into docs/img); the last is
drawn here from a model trained for --steps steps, so the gradient flow is that of a model that
has started to learn. Without Graphviz's `dot` program the graphs are written as .dot files, with
the command that renders them.
"""

from __future__ import annotations

import inspect

import minigrad.viz as viz
from minigrad.optim.lr_scheduler import warmup_cosine
from minigrad.viz.gallery import GALLERY
from transformer import GPT, GPTConfig

from . import common, digits, sort_task


def trained_gpt_flow(run, steps: int, rng, device):
    """A 2-layer GPT trained ``steps`` steps on sorting; the graph of one more training step
    (and the explorer page of it)."""
    puzzle = sort_task.puzzle()
    config = GPTConfig(vocab_size=puzzle.vocab_size, block_size=11, n_layer=2, n_head=2, n_embd=32)
    model = GPT(config).to(device)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3)
    scheduler = warmup_cosine(optimizer, min(20, steps), max(steps, 1))
    progress = common.Progress(steps, "train GPT")

    def batch():
        return digits.batch(
            puzzle, puzzle.prompts[rng.integers(0, len(puzzle.prompts), 32)], device
        )

    for _ in range(steps):
        x, y = batch()
        _, loss = model(x, y)
        progress.step(loss.item(), common.optimize(loss, optimizer, scheduler, clip=1.0), x.numel())
    progress.close()
    model.zero_grad()
    x, y = batch()
    _, loss = model(x, y)
    loss.name = "loss"
    with viz.record_gradients():
        loss.backward()
    graph = viz.draw(loss, model=model, depth=2, tensors=False)
    common.save_explorer(
        run, model, lambda: model(x[:1], y[:1])[1], [str(t) for t in x[0].tolist()]
    )
    return graph, loss.item()


def main(argv=None) -> dict:
    parser = common.parser("graph_gallery", __doc__, steps=100)
    args = parser.parse_args(argv)
    run, rng, device = common.setup(args)
    common.note_missing_dot()
    for name, build in GALLERY.items():
        if name == "gpt_gradient_flow":
            continue
        first_sentence = " ".join(inspect.getdoc(build).split("\n\n")[0].split()).split(". ")[0]
        common.save_graph(run, build(), name, first_sentence.rstrip("."))
    graph, loss = trained_gpt_flow(run, args.steps, rng, device)
    common.save_graph(
        run, graph, "gpt_gradient_flow",
        f"GPT collapsed by module after {args.steps} steps (loss {loss:.3f}), gradient flow",
    )  # fmt: skip
    graphs = [p for p, _ in run.written if p.suffix in (".png", ".dot")]
    metrics = {"graphs": [str(p) for p in graphs], "gpt_loss": loss, "seed": args.seed}
    metrics["rendered"] = all(p.suffix == ".png" for p in graphs)
    run.save_metrics(metrics)
    run.report()
    return metrics


if __name__ == "__main__":
    main()
