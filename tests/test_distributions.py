"""``minigrad.distributions.Categorical`` against PyTorch's: parameters, log-probabilities,
entropy and their gradients, shapes of samples, and the frequencies of the draws."""

import numpy as np
import pytest
from torch_support import import_torch

import minigrad
from minigrad.distributions import Categorical

PROBS = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])  # a zero probability: a clamped logit


def _run(lib, given: str):
    """Parameters, log_prob, entropy and the gradient of both with respect to ``given``."""
    x = lib.tensor(PROBS if given == "probs" else np.log(PROBS + 0.1), requires_grad=True)
    dist = lib.distributions.Categorical(**{given: x})
    log_p = dist.log_prob(lib.tensor([[2, 0], [1, 1]]))  # a sample axis over the batch of 2
    entropy = dist.entropy()
    (log_p.sum() + entropy.sum()).backward()
    return [t.detach().numpy() for t in (dist.probs, dist.logits, log_p, entropy, x.grad)]


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_matches_pytorch(given):
    torch = import_torch()
    for ours, theirs in zip(_run(minigrad, given), _run(torch, given)):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_shapes_and_draws():
    minigrad.manual_seed(0)
    dist = Categorical(probs=minigrad.tensor(PROBS))
    assert dist.batch_shape == (2,) and dist.event_shape == () and dist.param_shape == (2, 3)
    assert dist.sample().shape == (2,) and dist.sample((4, 5)).shape == (4, 5, 2)
    assert dist.enumerate_support().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert dist.mean.isnan().all() and dist.mean.shape == (2,)
    draws = Categorical(logits=minigrad.tensor([0.0, np.log(3.0)])).sample((20000,)).numpy()
    # p = (1/4, 3/4): within 4 standard deviations of the count
    assert abs((draws == 1).mean() - 0.75) < 4 * np.sqrt(0.75 * 0.25 / 20000)


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="not both"):
        Categorical()
    with pytest.raises(ValueError, match="non-negative"):
        Categorical(probs=minigrad.tensor([-0.1, 1.1]))
    with pytest.raises(ValueError, match="no NaN"):
        Categorical(logits=minigrad.tensor([0.0, float("nan")]))
    with pytest.raises(RuntimeError, match="at least one dimension"):
        Categorical(logits=minigrad.tensor(1.0))
