"""The benchmark's hand-written NumPy step (bench/numpy_step.py) computes what minigrad computes.

Both start from the same float64 weights and batch (the "small" configuration); the loss, every
parameter's gradient and the weights after one AdamW update must agree to float64 rounding, so
that minigrad's time divided by the NumPy step's is the cost of the engine and nothing else.
"""

import numpy as np
import pytest

from bench.gpt_step import build_step, write_setup


@pytest.fixture(scope="module")
def steps(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "small.npz"
    write_setup("small", path)
    return build_step("minigrad", path, dtype="float64"), build_step("numpy", path, dtype="float64")


def test_numpy_step_matches_minigrad(steps):
    ours, reference = steps
    loss = ours.forward_backward().item()
    assert reference.forward_backward() == pytest.approx(loss, rel=1e-12)
    named = dict(ours.model.named_parameters())
    assert set(named) == set(reference.grads)
    for name, p in named.items():
        expected = p.grad.numpy()
        np.testing.assert_allclose(
            reference.grads[name], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max(),
            err_msg=name,
        )  # fmt: skip
    ours.update()
    reference.update()
    for name, p in named.items():
        np.testing.assert_allclose(reference.params[name], p.detach().numpy(), rtol=1e-12,
                                   atol=1e-13, err_msg=name)  # fmt: skip
