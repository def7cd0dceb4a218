"""Load a demo's trained model from its run folder, ready to look inside: one call.

    from demos import load

    trained = load("runs/reverse_task")              # what `make demo` wrote
    src, tgt = trained.example()                     # a sequence of the task, batch of 1
    out = trained.decode(src)                        # greedy decoding with the run's settings
    weights = trained.model.decoder.layers[0].cross_attn.attention    # (1, heads, L, S)

The checkpoint holds the weights and the model's spec (the class, every constructor argument,
pre- or post-LN included, and how to decode: the start token, the length), so nothing has to be
read from the demo's source. The model comes back in eval mode with ``store_attention`` on in
every attention module: after any forward pass, each keeps its weights P in ``.attention``, and
after a backward pass their gradient dP in ``.attention.grad``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad
from minigrad.errors import CheckpointError
from transformer import GPT, GPTConfig, Transformer, data

CLASSES = {"Transformer": Transformer, "GPT": lambda **kwargs: GPT(GPTConfig(**kwargs))}


@dataclass
class Trained:
    """A demo's model as it was trained, with the settings its run used."""

    model: minigrad.nn.Module
    spec: dict  # {"class", "task", "kwargs", "decoding"}
    config: dict  # the demo's flags
    step: int  # training steps run

    def decode(self, inputs: minigrad.Tensor) -> minigrad.Tensor:
        """Greedy decoding as the demo tests it: an encoder-decoder from the start token to the
        run's length; a GPT appends the answer's tokens to each prompt (temperature 0)."""
        decoding = self.spec["decoding"]
        with minigrad.no_grad():
            if self.spec["class"] == "Transformer":
                return self.model.greedy_decode(
                    inputs, max_len=decoding["max_len"], start_id=decoding["start_id"]
                )
            return self.model.generate(inputs, decoding["answer_len"], temperature=0.0)

    def example(self, seed: int = 0) -> tuple[minigrad.Tensor, minigrad.Tensor]:
        """One problem of the run's task, drawn with ``seed``, as a batch of one: (source,
        target) of an encoder-decoder, (prompt, answer) of a GPT. For an encoder-decoder this
        reseeds minigrad's global generator (``minigrad.manual_seed(seed)``)."""
        if self.spec["class"] == "GPT":
            puzzle = self.puzzle()
            prompt = puzzle.prompts[np.random.default_rng(seed).integers(len(puzzle.prompts))]
            answer = puzzle.answer(prompt[None])
            return minigrad.tensor(prompt[None]), minigrad.tensor(answer)
        task = getattr(data, f"{self.spec['task']}_task")
        minigrad.manual_seed(seed)
        decoding, vocab = self.spec["decoding"], self.spec["kwargs"]["src_vocab"]
        return task(1, decoding["max_len"], vocab)

    def puzzle(self):
        """A GPT demo's family of problems, as its run's flags built it."""
        from . import addition, sort_task  # these need matplotlib; `import demos` does not

        if self.spec["task"] == "sort":
            return sort_task.puzzle(self.config["length"], self.config["num_digits"])
        return addition.puzzle(self.config["digits"])


def load(run_dir, device="cpu") -> Trained:
    """The model saved in ``run_dir/checkpoint.pt``, rebuilt from its spec, in eval mode, with
    ``store_attention`` on everywhere (see the module docstring)."""
    path = Path(run_dir) / "checkpoint.pt"
    if not path.exists():
        raise FileNotFoundError(
            f"demos.load: no checkpoint.pt in {run_dir}; run the demo first (`make demo` writes "
            f"runs/reverse_task/)"
        )
    state = minigrad.load(path, map_location=device)
    spec = state.get("model_spec")
    if spec is None or spec.get("class") not in CLASSES:
        raise CheckpointError(
            f"demos.load: {path} has no model spec; it was written by an older demo, run it again"
        )
    model = CLASSES[spec["class"]](**spec["kwargs"]).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    for module in model.modules():
        if hasattr(module, "store_attention"):
            module.store_attention = True
    return Trained(model, spec, state["config"], state["step"])
