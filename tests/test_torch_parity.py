"""Every op in the op tables gives PyTorch's values and gradients, in float64.

The tables (``test_ops_*.py``, ``test_functional.py``) write each op once, as code that runs on
either library, so the same drawn inputs go through minigrad and torch. Gradients are compared
for a random cotangent on every output. PyTorch's semantics are the reference: where NumPy and
PyTorch differ (integer and array indices together, ``padding_idx``), only this test checks the
values.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import as_outputs, run_minigrad

import minigrad

torch = pytest.importorskip("torch")

import test_functional  # noqa: E402
import test_ops_elementwise  # noqa: E402
import test_ops_linalg  # noqa: E402
import test_ops_movement  # noqa: E402
import test_ops_reduce  # noqa: E402

CASES = (
    test_ops_elementwise.CASES
    + test_ops_reduce.CASES
    + test_ops_movement.CASES
    + test_ops_linalg.CASES
    + test_functional.CASES
)
RTOL, ATOL = 1e-9, 1e-11


def _close(got, want, what):
    want = want.detach().numpy()
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch {want.shape}"
    if want.dtype == np.bool_ or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.torch
@pytest.mark.parametrize("case", CASES, ids=str)
@settings(max_examples=8)
@given(data=st.data())
def test_values_and_gradients_match_pytorch(case, data):
    ex = data.draw(case.draw, label="example")
    leaves, outs = run_minigrad(case, ex, requires_grad=case.grad)
    t_leaves = [torch.from_numpy(a).requires_grad_(case.grad) for a in ex.arrays]
    t_outs = as_outputs(case.fn(torch, *t_leaves, **ex.params))
    assert len(outs) == len(t_outs)
    for i, (out, t_out) in enumerate(zip(outs, t_outs)):
        _close(out.detach().numpy(), t_out, f"{case}: output {i}")
    if not case.grad:
        return
    pairs = [(o, t) for o, t in zip(outs, t_outs) if t.requires_grad]
    rng = np.random.default_rng(0)
    cotangents = [rng.standard_normal(t.shape) for _, t in pairs]
    got = minigrad.autograd.grad(
        [o for o, _ in pairs],
        leaves,
        [minigrad.from_numpy(c) for c in cotangents],
        allow_unused=True,
    )
    want = torch.autograd.grad(
        [t for _, t in pairs],
        t_leaves,
        [torch.from_numpy(c) for c in cotangents],
        allow_unused=True,
    )
    for i, (g, w, leaf) in enumerate(zip(got, want, t_leaves)):
        g = np.zeros(leaf.shape) if g is None else g.numpy()
        _close(g, torch.zeros_like(leaf) if w is None else w, f"{case}: gradient of input {i}")
