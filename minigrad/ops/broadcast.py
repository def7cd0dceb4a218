"""Broadcasting, and its adjoint: summing a gradient back to the shape of its input."""

from __future__ import annotations

from ..errors import ShapeError, format_shape


def broadcast_shapes(*shapes, op: str = "broadcast") -> tuple[int, ...]:
    """The shape NumPy/PyTorch broadcasting gives, or a ShapeError naming ``op`` and the shapes."""
    ndim = max(len(s) for s in shapes)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            listed = " and ".join(format_shape(s) for s in shapes)
            # ``from None``: when this explains a backend's ValueError, show only this error
            raise ShapeError(
                f"{op}: shapes {listed} cannot be broadcast together (dimension {axis} has sizes "
                f"{sorted(sizes)})"
            ) from None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes broadcasting added or stretched, so that it has ``shape``.

    If ``x`` of shape ``shape`` was broadcast to ``grad.shape`` in the forward pass, every element
    of ``x`` was used once per copy, so its gradient is the sum over the copies:
    leading axes that broadcasting prepended, and axes where ``x`` had size 1.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(dim=axes, keepdim=True).reshape(shape)
