"""The autograd engine's semantics, as PyTorch defines them: accumulation, graph lifetime,
higher-order gradients, grad modes, hooks, in-place ops and version counters."""

import gc
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given
from strategies import arrays, leaf, shapes

import minigrad
from minigrad import AutogradError
from minigrad.autograd import grad
from minigrad.autograd.graph import Op


@pytest.fixture
def no_gc():
    """Run with the cycle collector off: only reference counting may free memory."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


# ---- the backward pass -------------------------------------------------------------------------
def test_a_chain_of_ten_thousand_ops_backprops_without_recursion():
    x = leaf(np.array(0.5))
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**10_000, rtol=1e-9)


@given(a=arrays(shapes()))
def test_a_tensor_used_twice_gets_both_contributions(a):
    x = leaf(a)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 2.0))
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * a, rtol=1e-15)


def test_diamond_graph_accumulates_every_path():
    x = leaf(np.array(3.0))
    y = x * x  # 9, dy/dx = 6
    z = y + y.exp() * x + y.sin()  # dz/dy = 1 + x e^y + cos y, dz/dx (direct) = e^y
    z.backward()
    expected = (1 + 3 * np.exp(9) + np.cos(9)) * 6 + np.exp(9)
    np.testing.assert_allclose(x.grad.item(), expected, rtol=1e-12)


def test_gradients_accumulate_across_backward_calls():
    x = leaf(np.array([1.0, 2.0]))
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])


class _SumRowsOp(Op):
    """A new kernel with a bug in its backward, as a learner might write one: ``mode`` says
    which (a gradient shaped like the output, or one gradient too many)."""

    @staticmethod
    def forward(ctx, x, mode):
        ctx.mode = mode
        return x.sum(axis=1)

    @staticmethod
    def backward(ctx, g):
        return (g,) if ctx.mode == "shape" else (g, g)


@pytest.mark.parametrize(
    "mode, words",
    [("shape", r"_SumRowsOpBackward returned an invalid gradient at index 0 - got \[2\]"),
     ("count", r"_SumRowsOpBackward returned an incorrect number of gradients \(expected 1, got 2\)")],
)  # fmt: skip
def test_a_kernel_whose_backward_returns_a_wrong_gradient_is_named(mode, words):
    """The engine checks every backward's gradients (count and shapes), so a kernel's bug is an
    error naming it, not a silent broadcast into the input's gradient."""
    x = minigrad.randn(2, 3, requires_grad=True)
    with pytest.raises(AutogradError, match=words):
        _SumRowsOp.apply(x, mode=mode).sum().backward()


def test_second_backward_through_a_freed_graph_names_retain_graph():
    x = leaf(np.array([1.0, 2.0]))
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(AutogradError, match="retain_graph"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf(np.array([1.0, 2.0]))
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = leaf(np.ones((2, 3)))
    y = x * 2
    with pytest.raises(AutogradError, match="scalar"):
        y.backward()
    y.backward(gradient=minigrad.from_numpy(np.arange(6.0).reshape(2, 3)))
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.arange(6.0).reshape(2, 3))
    with pytest.raises(AutogradError, match="shape"):
        (x * 2).backward(gradient=minigrad.ones(3, dtype=minigrad.float64))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(AutogradError, match="does not require grad"):
        minigrad.ones(2).sum().backward()


def test_leaves_get_grad_and_intermediates_do_not():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    y.sum().backward()
    assert x.is_leaf and not y.is_leaf
    assert y.grad is None
    assert x.grad is not None and x.grad.grad_fn is None


# ---- autograd.grad and higher orders ----------------------------------------------------------
@given(a=arrays((3,)), w=arrays((3,)), v=arrays((3,)))
def test_hessian_vector_product_matches_the_analytic_hessian(a, w, v):
    # f(x) = sum(x^3) + (w . x)^2 + sum(sin x);  H = diag(6x - sin x) + 2 w w^T
    x = leaf(a)
    wt = leaf(w, requires_grad=False)
    f = (x**3).sum() + ((x * wt).sum()) ** 2 + x.sin().sum()
    (g,) = grad(f, x, create_graph=True)
    np.testing.assert_allclose(
        g.detach().numpy(), 3 * a**2 + 2 * (w @ a) * w + np.cos(a), rtol=1e-12
    )
    (hv,) = grad((g * leaf(v, requires_grad=False)).sum(), x)
    hessian = np.diag(6 * a - np.sin(a)) + 2 * np.outer(w, w)
    np.testing.assert_allclose(hv.numpy(), hessian @ v, rtol=1e-10, atol=1e-12)


def test_third_derivative_through_repeated_create_graph():
    x = leaf(np.array(0.7))
    y = x.tanh()
    (d1,) = grad(y, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    t = np.tanh(0.7)
    np.testing.assert_allclose(d1.item(), 1 - t**2)
    np.testing.assert_allclose(d2.item(), -2 * t * (1 - t**2))
    np.testing.assert_allclose(d3.item(), (1 - t**2) * (6 * t**2 - 2))


def test_grad_leaves_dot_grad_alone_and_checks_unused_inputs():
    x, unused = leaf(np.array(2.0)), leaf(np.array(1.0))
    y = x * x
    with pytest.raises(AutogradError, match="allow_unused"):
        grad(y, [x, unused], retain_graph=True)
    gx, gu = grad(y, [x, unused], allow_unused=True)
    assert gx.item() == 4.0 and gu is None
    assert x.grad is None and unused.grad is None


def test_grad_with_respect_to_an_intermediate():
    x = leaf(np.array([1.0, 2.0]))
    h = x * 3
    y = (h * h).sum()
    gh, gx = grad(y, [h, x])
    np.testing.assert_array_equal(gh.numpy(), [6.0, 12.0])
    np.testing.assert_array_equal(gx.numpy(), [18.0, 36.0])


def test_backward_with_create_graph_builds_differentiable_grads():
    x = leaf(np.array(3.0))
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = grad(x.grad, x)
    assert g2.item() == 18.0


# ---- grad modes --------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers():
    x = leaf(np.array(1.0))
    with minigrad.no_grad():
        assert not minigrad.is_grad_enabled()
        y = x * 2
        with minigrad.enable_grad():
            z = x * 2
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_grad_modes_as_decorators():
    x = leaf(np.array(1.0))

    @minigrad.no_grad()
    def frozen(t):
        return t * 2

    @minigrad.enable_grad()
    def recorded(t):
        return t * 2

    @minigrad.set_grad_enabled(False)
    def switched_off(t):
        return t * 2

    assert minigrad.is_grad_enabled()  # decorating switches nothing
    assert not frozen(x).requires_grad
    assert not switched_off(x).requires_grad
    with minigrad.no_grad():
        assert recorded(x).requires_grad
    assert minigrad.is_grad_enabled()


def test_bare_decorators_like_pytorch():
    x = leaf(np.array(1.0))

    @minigrad.no_grad
    def frozen(t):
        return t * 2

    @minigrad.enable_grad
    def recorded(t):
        return t * 2

    assert not frozen(x).requires_grad
    with minigrad.no_grad():
        assert recorded(x).requires_grad


def test_set_grad_enabled_switches_at_once_and_restores_as_a_context():
    x = leaf(np.array(1.0))
    try:
        minigrad.set_grad_enabled(False)
        assert not (x * 2).requires_grad
    finally:
        minigrad.set_grad_enabled(True)
    with minigrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError, match="inside"), minigrad.no_grad():
        raise ValueError("inside no_grad")
    assert minigrad.is_grad_enabled()


def test_grad_mode_anomaly_mode_and_module_scope_are_per_thread():
    """One thread sits inside no_grad(), detect_anomaly() and a module's forward while another
    records a graph: the second sees none of the first's switches (as in PyTorch)."""
    inside, recorded = threading.Event(), threading.Event()
    seen = {}

    class Waits(minigrad.nn.Module):
        def forward(self, x):
            inside.set()
            assert recorded.wait(10)
            return x * 2

    def switched_off():
        with minigrad.no_grad(), minigrad.autograd.detect_anomaly():
            seen["off"] = Waits()(leaf(np.array([1.0]))).requires_grad

    worker = threading.Thread(target=switched_off)
    worker.start()
    assert inside.wait(10)
    x = leaf(np.array([1.0, 2.0]))
    y = (x * 3).sum()
    seen["grad_enabled"] = minigrad.is_grad_enabled()
    seen["anomaly"] = minigrad.autograd.is_anomaly_enabled()
    seen["scope"] = y.grad_fn.scope
    recorded.set()
    worker.join(10)
    y.backward()
    assert seen == {"off": False, "grad_enabled": True, "anomaly": False, "scope": ()}
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# ---- hooks, retain_grad, detach ----------------------------------------------------------------
def test_leaf_hook_sees_and_replaces_the_gradient():
    x = leaf(np.array([1.0, 2.0]))
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_a_leaf_hook_sees_the_total_gradient_once():
    x = leaf(np.array([1.0, 2.0]))
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()) or g.clamp(max=1.0))
    (x * 2 + x * 3).sum().backward()
    assert len(seen) == 1  # one call with 2 + 3, as in PyTorch (not one per use of x)
    np.testing.assert_array_equal(seen[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    (gx,) = grad((x * 2 + x * 3).sum(), x)
    np.testing.assert_array_equal(gx.numpy(), [1.0, 1.0])


def test_non_leaf_hook_changes_what_flows_upstream():
    x = leaf(np.array([1.0, 2.0]))
    h = x * x
    h.register_hook(lambda g: g * 0.5)
    (h * 4).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.5 * 4 * 2 * np.array([1.0, 2.0]))


def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf(np.array([1.0, 2.0]))
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0])


def test_retain_grad_sees_what_the_hooks_made_of_the_gradient():
    x = leaf(np.array([1.0, 2.0]))
    h = x + 0.0
    h.retain_grad()
    h.retain_grad()  # a second call changes nothing
    h.register_hook(lambda g: g * 2)  # registered later, but runs before .grad is kept
    h.sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_detach_cuts_the_graph_but_shares_memory():
    x = leaf(np.array([1.0, 2.0]))
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None
    (x * d).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])  # d counted as a constant
    with minigrad.no_grad():
        d.mul_(2)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 4.0])


def test_requires_grad_only_for_floating_leaves():
    with pytest.raises(minigrad.DTypeError, match="floating point"):
        minigrad.arange(3).requires_grad_()
    y = leaf(np.ones(2)) * 2
    with pytest.raises(AutogradError, match="leaf"):
        y.requires_grad = False
    with pytest.raises(AutogradError):
        minigrad.ones(2).register_hook(lambda g: g)


# ---- in-place ops and version counters ---------------------------------------------------------
def test_in_place_change_of_a_saved_tensor_is_caught():
    x = leaf(np.array([1.0, 2.0]))
    h = x * 1.0
    y = (h * h).sum()  # saves h
    with minigrad.no_grad():
        h.mul_(2)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_in_place_change_of_a_saved_output_is_caught():
    x = leaf(np.array([1.0, 2.0]))
    e = x.exp()  # backward reads its output
    e.add_(1)
    with pytest.raises(AutogradError, match="inplace"):
        e.sum().backward()


def test_in_place_on_a_leaf_that_requires_grad():
    x = leaf(np.array([1.0, 2.0]))
    with pytest.raises(AutogradError, match="leaf"):
        x.add_(1)
    with pytest.raises(AutogradError, match="leaf"):
        x[0] = 5.0
    with minigrad.no_grad():
        x.add_(1)
        x[1] = 7.0
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 7.0])
    assert x.is_leaf and x.requires_grad


def test_in_place_on_an_intermediate_rebases_the_graph():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    y.add_(1)
    y.mul_(3)  # y = 3 (2x + 1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])
    assert y.grad_fn.name == "MulBackward"


def test_in_place_op_reading_its_own_target():
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    y.add_(y)  # y = 4x: both operands are y as it was before the op
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])
    y = x * 2
    y.mul_(y)  # mul's backward needs the old y, which the op overwrote: PyTorch raises too
    with pytest.raises(AutogradError, match="inplace"):
        y.sum().backward()


def test_earlier_uses_of_a_tensor_keep_its_old_graph_place():
    # z was computed from y before y changed in place; z's gradient must not pass through the
    # in-place op (mul's backward does not need y's value, so nothing raises)
    x = leaf(np.array([1.0, 2.0]))
    y = x * 2
    z = y * 3
    y.mul_(10)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_setitem_on_an_intermediate_rebases_the_graph():
    x = leaf(np.array([1.0, 2.0, 3.0]))
    y = x * 2
    y[1] = 0.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 2.0])


def test_in_place_through_a_view_bumps_the_base_version():
    x = leaf(np.array([1.0, 2.0]))
    h = x * 1.0
    y = (h * h).sum()
    h[0].mul_(3)  # a view of h: the base's version moves too
    with pytest.raises(AutogradError, match="inplace"):
        y.backward()


def test_in_place_on_a_view_updates_the_graph_of_the_viewed_tensor():
    # the numbers are PyTorch's
    x = leaf(np.array([[1.0, 2.0], [3.0, 4.0]]))
    y = x * 2
    y[0][1] = 5.0  # a write through the view y[0]: y's element no longer depends on x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [2.0, 2.0]])

    x.grad = None
    y = x * 2
    y[0].mul_(10)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[800.0, 1600.0], [24.0, 32.0]])

    x.grad = None
    y = x * 2
    y.T[1].add_(x[0] * 3)  # a view of a view (a permute, then a row)
    (y * leaf(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=False)).sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [[2.0, 7.0], [6.0, 14.0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[8.0, 16.0], [6.0, 8.0]])

    x.grad = None
    y = x * 2
    y.view(4)[1:3].mul_(3)
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[8.0, 144.0], [216.0, 32.0]])


def test_in_place_on_a_view_of_a_leaf_that_requires_grad_is_refused_before_writing():
    x = leaf(np.array([1.0, 2.0]))
    with pytest.raises(AutogradError, match="leaf"):
        x[0].add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_in_place_on_a_0d_result():
    y = (leaf(np.array([1.0, 2.0])) * 2).sum()
    y.add_(1)
    assert y.item() == 7.0
    with minigrad.no_grad():
        s = minigrad.ones(3).sum()
        s += 1
    assert s.item() == 4.0


# ---- graph lifetime ----------------------------------------------------------------------------
def test_dropping_the_output_frees_the_graph(no_gc):
    x = leaf(np.ones(3))
    h = x.exp()
    node = weakref.ref(h.grad_fn)
    ref = weakref.ref(h)
    y = (h * 2).sum()
    del h
    assert ref() is not None  # y's graph holds it
    del y
    assert ref() is None and node() is None


def _loss_of_a_dropped_intermediate():
    """x, a weak reference to h = exp(x) (no strong one left), and y = sum(h * h)."""
    x = leaf(np.ones(3))
    h = x.exp()
    return x, weakref.ref(h), (h * h).sum()


def test_backward_frees_intermediates_while_the_output_lives(no_gc):
    x, ref, y = _loss_of_a_dropped_intermediate()
    assert ref() is not None  # y's graph holds it
    y.backward()
    assert ref() is None
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2.0) * np.ones(3))


def test_retained_graph_keeps_intermediates(no_gc):
    _, ref, y = _loss_of_a_dropped_intermediate()
    y.backward(retain_graph=True)
    assert ref() is not None


def _slice_gradients(create_graph):
    """Gradients through pieces of one tensor: split, overlapping slices, an advanced index and
    a use of the whole; the hook on h sees h's total gradient once."""
    rng = np.random.default_rng(0)
    a = minigrad.tensor(rng.standard_normal((4, 9)), requires_grad=True)
    h = a * 2.0
    seen = []
    h.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
    q, k, v = h.split(3, dim=1)
    pieces = [q, k, v, h[:, 2:7], h[1:3], h[[0, 0, 3]], h]
    weights = [minigrad.tensor(rng.standard_normal(p.shape)) for p in pieces]
    loss = sum((p * w).sum() for p, w in zip(pieces, weights))
    loss.backward(create_graph=create_graph)
    return a.grad.detach().numpy(), seen


def test_slices_add_into_one_gradient_buffer_as_their_backward_would():
    # a plain backward scatters each piece's gradient into one buffer for h (Op.accumulate_grad);
    # a recorded one runs each piece's backward (zeros with the gradient placed) and sums them
    plain, plain_seen = _slice_gradients(create_graph=False)
    recorded, recorded_seen = _slice_gradients(create_graph=True)
    np.testing.assert_allclose(plain, recorded, rtol=1e-15, atol=1e-15)
    assert len(plain_seen) == len(recorded_seen) == 1
    np.testing.assert_allclose(plain_seen[0], recorded_seen[0], rtol=1e-15, atol=1e-15)


def test_a_scattered_gradient_is_not_shared_with_a_gradient_that_passed_through():
    # h's gradient buffer is the pass's own: the gradient g that reached h + h is not written into
    a = minigrad.tensor(np.ones(4), requires_grad=True)
    b = minigrad.tensor(np.ones(4), requires_grad=True)
    h = a + b
    out = h[:2] * 3.0
    g = minigrad.tensor(np.array([1.0, 2.0]))
    out.backward(g)
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 6.0, 0.0, 0.0])
    a.grad += 1.0  # each leaf's .grad has memory of its own
    np.testing.assert_array_equal(b.grad.numpy(), [3.0, 6.0, 0.0, 0.0])
