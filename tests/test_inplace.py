"""In-place safety: version counters, the saved-tensor check in backward, and in-place rules.

Every in-place write bumps the tensor's version counter, shared with all views of the same
memory. An op that saves a tensor for backward remembers its version; if the version changed by
the time backward needs the tensor, backward refuses (the gradient would silently be wrong).
"""

from __future__ import annotations

import numpy as np
import pytest
import strict_backend

import minigrad
from minigrad.errors import AutogradError

INPLACE = {
    "add_": lambda t: t.add_(1.0),
    "sub_": lambda t: t.sub_(1.0),
    "mul_": lambda t: t.mul_(2.0),
    "div_": lambda t: t.div_(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "copy_": lambda t: t.copy_(minigrad.ones(t.shape)),
    "masked_fill_": lambda t: t.masked_fill_(minigrad.ones(t.shape, dtype=minigrad.bool), 0.0),
    "__setitem__": lambda t: t.__setitem__(0, 5.0),
    "clamp_": lambda t: t.clamp_(-0.5, 0.5),
    "+=": lambda t: t.__iadd__(1.0),
}


@pytest.mark.parametrize("op", INPLACE, ids=list(INPLACE))
def test_each_inplace_op_bumps_the_version(op):
    x = minigrad.randn(3, 4)
    before = x._version.value
    INPLACE[op](x)
    assert x._version.value == before + 1


@pytest.mark.parametrize("op", INPLACE, ids=list(INPLACE))
def test_inplace_op_on_a_recorded_tensor_bumps_and_records(op):
    w = minigrad.randn(3, 4, requires_grad=True)
    x = w * 1.0
    before = x._version.value
    INPLACE[op](x)
    assert x._version.value == before + 1
    x.sum().backward()  # the in-place op took x's place in the graph
    assert w.grad is not None and w.grad.shape == w.shape


def test_gradient_through_inplace_ops_is_right():
    w = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x = w * 2.0
    x.mul_(3.0)
    x.add_(1.0)
    x.clamp_(-100.0, 10.0)  # 6 * 3 + 1 = 19 is clipped: no gradient there
    x.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [6.0, 6.0, 0.0])


@pytest.mark.parametrize(
    "make_view",
    [
        lambda x: x[0],
        lambda x: x.view(12),
        lambda x: x.t(),
        lambda x: x.reshape(2, 6),
        lambda x: x[:, 1:3],
        lambda x: x.detach(),
        lambda x: x.unsqueeze(0),
    ],
    ids=["index", "view", "t", "reshape", "slice", "detach", "unsqueeze"],
)
def test_views_share_the_version_counter(make_view):
    x = minigrad.randn(3, 4)
    v = make_view(x)
    v.add_(1.0)
    assert x._version.value == 1 and v._version.value == 1
    x.mul_(2.0)
    assert v._version.value == 2


def test_copies_do_not_share_the_version_counter():
    x = minigrad.randn(3, 4)
    for copy in (x.clone(), x + 0, x.t().contiguous(), x[[0, 1]]):
        copy.add_(1.0)
    assert x._version.value == 0


# ---- backward refuses tensors modified after they were saved ----------------------------------
def modified_exp_output():
    x = minigrad.randn(3, requires_grad=True)
    y = x.exp()  # backward: dx = dy * y, so it needs y
    y.add_(1.0)
    return y.sum(), "ExpBackward"


def modified_mul_input():
    a = minigrad.randn(3)
    b = minigrad.randn(3, requires_grad=True)
    y = a * b  # backward: db = dy * a, so it needs a
    a.mul_(2.0)
    return y.sum(), "MulBackward"


def modified_softmax_output():
    x = minigrad.randn(2, 3, requires_grad=True)
    y = x.softmax(-1)  # backward: dx = y * (dy - sum(dy * y)), so it needs y
    y.mul_(2.0)
    return y.sum(), "SoftmaxBackward"


def modified_view_of_saved():
    a = minigrad.randn(3, 4)
    b = minigrad.randn(3, 4, requires_grad=True)
    y = a * b
    a[0].fill_(0.0)  # a view of a: the shared counter catches it
    return y.sum(), "MulBackward"


def modified_through_setitem():
    w = minigrad.randn(3, 4, requires_grad=True)
    x = w * 1.0
    y = x.exp() * x  # MulBackward saves x
    x[1, 1] = 0.0
    return y.sum(), "MulBackward"


@pytest.mark.parametrize(
    "build",
    [
        modified_exp_output,
        modified_mul_input,
        modified_softmax_output,
        modified_view_of_saved,
        modified_through_setitem,
    ],
)
def test_backward_refuses_a_saved_tensor_modified_in_place(build):
    loss, op = build()
    with pytest.raises(AutogradError) as info:
        loss.backward()
    message = str(info.value)
    assert "modified by an inplace operation" in message
    assert op in message
    assert "version 1" in message and "expected version 0" in message
    assert "Hint" in message


def test_modifying_a_tensor_backward_does_not_need_is_fine():
    w = minigrad.randn(3, requires_grad=True)
    x = w * 1.0
    y = x + 1.0  # AddBackward needs neither operand
    x.add_(1.0)
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones(3))


def test_modifying_after_backward_is_fine():
    w = minigrad.randn(3, requires_grad=True)
    y = w.exp()
    y.sum().backward()
    y.detach().zero_()
    assert w.grad is not None


# ---- leaves and optimiser updates ------------------------------------------------------------
@pytest.mark.parametrize("op", INPLACE, ids=list(INPLACE))
def test_inplace_on_a_leaf_that_requires_grad_raises(op):
    w = minigrad.randn(3, 4, requires_grad=True)
    with pytest.raises(AutogradError, match="leaf"):
        INPLACE[op](w)
    assert w._version.value == 0


def test_optimiser_style_update_under_no_grad():
    w = minigrad.randn(3, requires_grad=True)
    start = w.detach().numpy().copy()
    (w * w).sum().backward()
    with minigrad.no_grad():
        w.sub_(0.1 * w.grad)
        w.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), start - 0.1 * 2 * start, rtol=1e-6)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w._version.value == 1
    (w * 3.0).sum().backward()  # the leaf still works for the next step
    np.testing.assert_allclose(w.grad.numpy(), np.full(3, 3.0))


def test_update_under_no_grad_is_caught_by_an_old_graph():
    """A graph built before the update saved the old value; backward through it refuses."""
    w = minigrad.randn(3, requires_grad=True)
    loss = (w * w).sum()
    with minigrad.no_grad():
        w.add_(1.0)
    with pytest.raises(AutogradError, match="MulBackward"):
        loss.backward()


# ---- expanded views -------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["cpu", "strict"])
@pytest.mark.parametrize("op", ["add_", "zero_", "__setitem__", "copy_"])
def test_inplace_on_an_expanded_view_raises(device, op):
    strict_backend.register()
    x = minigrad.randn(3, 1, device=device).expand(3, 4)
    with pytest.raises(AutogradError) as info:
        INPLACE[op](x)
    assert "expanded view" in str(info.value) and "clone()" in str(info.value)


def test_inplace_on_a_clone_of_an_expanded_view_works():
    x = minigrad.randn(3, 1).expand(3, 4).clone()
    x.add_(1.0)
    assert x._version.value == 1
