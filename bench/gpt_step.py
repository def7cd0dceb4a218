"""One GPT training step, run by minigrad and by PyTorch on the same model file and weights.

The model is ``examples/gpt_torch_style.py``: nanoGPT-style PyTorch code (pre-LN blocks, GELU MLP,
weight-tied head) that ``examples.load`` runs on either library by swapping its import lines.
A step is forward, cross-entropy loss, backward and an AdamW update over parameter groups.
"""

from __future__ import annotations

import numpy as np

CONFIGS = {
    "tiny": dict(n_layer=2, n_head=4, n_embd=64, block_size=64, batch=16),
    "small": dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch=12),
    "medium": dict(n_layer=4, n_head=4, n_embd=256, block_size=128, batch=16),
}
VOCAB = 65  # tiny-shakespeare's character set


def build_pair(name: str, seed: int = 0, frameworks=("minigrad", "torch")) -> dict:
    """{framework: step function} for the same model, weights and batch on each framework.

    minigrad initialises the model (seeded); the other frameworks load its state dict.
    """
    from examples import load

    cfg = dict(CONFIGS[name])
    batch = cfg.pop("batch")
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, VOCAB, size=(batch, cfg["block_size"] + 1))
    weights = None
    steps = {}
    for framework in frameworks:
        lib = load(framework)
        if framework == "minigrad":
            lib.torch.manual_seed(seed)
        model = lib.GPT(lib.GPTConfig(vocab_size=VOCAB, dropout=0.0, bias=True, **cfg))
        if weights is None:
            weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        else:
            model.load_state_dict({k: lib.torch.tensor(v) for k, v in weights.items()})
        steps[framework] = TrainStep(lib, model, tokens)
    return steps


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
