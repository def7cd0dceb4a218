"""Check analytic gradients against numeric ones, as ``torch.autograd.gradcheck`` does.

For ``y = fn(x_1, ..., x_k)`` the analytic Jacobian row for output element o comes from one
backward pass with a one-hot cotangent; the numeric column for input element i comes from central
differences (fn(x + eps e_i) - fn(x - eps e_i)) / (2 eps). Both are computed in float64. With
``fast_mode`` only the projection u^T J v on random vectors is compared, which needs one backward
pass and two forward passes per input instead of one per element.
"""

from __future__ import annotations

import numpy as np

from ..errors import AutogradError
from .engine import grad as autograd_grad
from .tensor_base import TensorBase


class GradcheckError(AutogradError):
    """Analytic and numeric gradients disagree."""


def _as_tuple(x):
    return x if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    return tuple(o for o in _as_tuple(fn(*inputs)) if isinstance(o, TensorBase))


def gradcheck(
    fn,
    inputs,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    fast_mode=False,
    seed=None,
    raise_exception=True,
    check_backward_reentrant=True,
    check_zero_cotangent=True,
) -> bool:
    """True if ``fn``'s gradients at ``inputs`` match finite differences; else raise (or False).

    ``inputs`` is a tensor or a tuple of them; those with ``requires_grad`` are checked and must be
    float64. The inputs' memory is perturbed in place and restored while differences are taken. A failure names the output, the input, the worst element and both values.
    """
    inputs = tuple(_as_tuple(inputs))
    diff = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    if not diff:
        raise GradcheckError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype.name != "float64":
            raise GradcheckError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; gradcheck needs float64 inputs "
                f"(finite differences in float32 are too coarse)"
            )
    rng = np.random.default_rng(seed)
    try:
        outputs = _outputs(fn, inputs)
        for o_idx, out in enumerate(outputs):
            if not out.requires_grad:
                continue
            if fast_mode:
                _check_projection(fn, inputs, diff, o_idx, out, eps, atol, rtol, rng)
            else:
                _check_full(fn, inputs, diff, o_idx, out, eps, atol, rtol)
            if check_backward_reentrant:
                _check_reentrant(inputs, diff, o_idx, out, rng)
            if check_zero_cotangent:
                _check_zero(inputs, diff, o_idx, out)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _host(t) -> np.ndarray:
    return t.device.backend.to_numpy(t._data)


def _numeric_column(fn, inputs, i, flat_index, o_idx, eps) -> np.ndarray:
    """d out / d inputs[i].flat[flat_index] by central differences (inputs changed and restored)."""
    x = inputs[i]
    # index the array itself: reshape(-1) of a non-contiguous input would perturb a copy
    where = np.unravel_index(flat_index, x.shape)
    original = float(x._data[where])
    x._data[where] = original + eps
    plus = _host(_outputs(fn, inputs)[o_idx]).astype(np.float64).reshape(-1)
    x._data[where] = original - eps
    minus = _host(_outputs(fn, inputs)[o_idx]).astype(np.float64).reshape(-1)
    x._data[where] = original
    return (plus - minus) / (2 * eps)


def _analytic_row(inputs, diff, out, cotangent):
    """One backward pass with the given cotangent: the gradients of every checked input."""
    g = out._wrap(out.device.backend.asarray(cotangent.reshape(out.shape), out._data.dtype))
    grads = autograd_grad(out, [inputs[i] for i in diff], g, retain_graph=True, allow_unused=True)
    return [np.zeros(inputs[i].shape) if gi is None else _host(gi) for i, gi in zip(diff, grads)]


def _compare(analytic, numeric, atol, rtol, o_idx, i, what):
    # "not close" rather than "far": a NaN or inf on either side is a mismatch too
    bad = ~(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    if bad.any():
        worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), analytic.shape)
        raise GradcheckError(
            f"Jacobian mismatch for output {o_idx} with respect to input {i} ({what}):\n"
            f"worst at {tuple(int(w) for w in worst)}: analytic {analytic[worst]:.10g}, "
            f"numeric {numeric[worst]:.10g}\n"
            f"analytic:\n{analytic}\nnumeric:\n{numeric}"
        )


def _check_full(fn, inputs, diff, o_idx, out, eps, atol, rtol):
    n_out = out.numel()
    for k, i in enumerate(diff):
        n_in = inputs[i].numel()
        numeric = np.zeros((n_out, n_in))
        for j in range(n_in):
            numeric[:, j] = _numeric_column(fn, inputs, i, j, o_idx, eps)
        analytic = np.zeros((n_out, n_in))
        for r in range(n_out):
            onehot = np.zeros(n_out)
            onehot[r] = 1.0
            analytic[r] = _analytic_row(inputs, diff, out, onehot)[k].reshape(-1)
        _compare(analytic, numeric, atol, rtol, o_idx, i, "full Jacobian")


def _check_projection(fn, inputs, diff, o_idx, out, eps, atol, rtol, rng):
    """Compare u^T J v: analytic via one backward with u, numeric via one directional difference."""
    u = rng.standard_normal(out.numel())
    grads = _analytic_row(inputs, diff, out, u)
    for k, i in enumerate(diff):
        x = inputs[i]
        v = rng.standard_normal(x.shape)
        analytic = float(np.sum(grads[k] * v))
        original = x._data.copy()
        # astype copies: an output may share memory with the input being perturbed
        x._data[...] = original + eps * v
        plus = _host(_outputs(fn, inputs)[o_idx]).astype(np.float64).reshape(-1)
        x._data[...] = original - eps * v
        minus = _host(_outputs(fn, inputs)[o_idx]).astype(np.float64).reshape(-1)
        x._data[...] = original
        numeric = float(u @ (plus - minus) / (2 * eps))
        _compare(
            np.array([analytic]), np.array([numeric]), atol, rtol, o_idx, i, "fast mode u^T J v"
        )


def _check_reentrant(inputs, diff, o_idx, out, rng):
    u = rng.standard_normal(out.numel())
    first = _analytic_row(inputs, diff, out, u)
    second = _analytic_row(inputs, diff, out, u)
    for k, (a, b) in enumerate(zip(first, second)):
        if not np.array_equal(a, b, equal_nan=True):  # NaNs are the forward's, not reentrancy
            raise GradcheckError(
                f"Backward is not reentrant for input {diff[k]}: two backward passes with the same "
                f"grad_output gave different gradients (max difference {np.abs(a - b).max():.3g})"
            )


def _check_zero(inputs, diff, o_idx, out):
    for k, g in enumerate(_analytic_row(inputs, diff, out, np.zeros(out.numel()))):
        if np.any(g != 0):
            raise GradcheckError(f"a zero grad_output gave a nonzero gradient for input {diff[k]}")


def gradgradcheck(
    fn,
    inputs,
    grad_outputs=None,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    fast_mode=False,
    seed=None,
    raise_exception=True,
) -> bool:
    """gradcheck of the function that maps (inputs, cotangents) to ``fn``'s input gradients.

    That function is built with ``create_graph=True``, so this checks second derivatives. Random
    cotangents are drawn when ``grad_outputs`` is None; they are inputs of the checked function
    too, so the check covers the backward pass's dependence on its incoming gradient.
    """
    inputs = tuple(_as_tuple(inputs))
    diff = [i for i, t in enumerate(inputs) if isinstance(t, TensorBase) and t.requires_grad]
    rng = np.random.default_rng(seed)
    outputs = [o for o in _outputs(fn, inputs) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(
            o._from_data(rng.standard_normal(o.shape), "float64").requires_grad_() for o in outputs
        )
    grad_outputs = tuple(_as_tuple(grad_outputs))

    def first_derivatives(*args):
        xs, gs = args[: len(inputs)], args[len(inputs) :]
        outs = [o for o in _outputs(fn, xs) if o.requires_grad]
        grads = autograd_grad(outs, [xs[i] for i in diff], gs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        fast_mode=fast_mode,
        seed=seed,
        raise_exception=raise_exception,
        check_zero_cotangent=False,
    )
