"""PyTorch for the parity tests, where it is installed."""

import pytest


def import_torch():
    """PyTorch, or skip the test where it is not installed. On one thread: these models are tiny,
    and on a small shared CI machine its thread pool makes them several times slower."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    return torch
