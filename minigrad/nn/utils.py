"""``nn.utils.clip_grad_norm_``: rescale gradients whose overall norm is too large."""

from __future__ import annotations

from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0) -> Tensor:
    """Scale all gradients by ``min(1, max_norm / (total_norm + 1e-6))``, in place.

    ``total_norm`` is the ``norm_type``-norm of all gradients taken together as one vector: the
    norm of the per-tensor norms (``inf`` gives the largest absolute entry). Returns it as a
    0-d tensor, computed before clipping, as PyTorch does.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._build(0.0)
    device = grads[0].device
    xp = device.backend.xp
    norms = xp.stack([xp.linalg.norm(g._data.reshape(-1), norm_type) for g in grads])
    total = xp.linalg.norm(norms, norm_type)
    scale = xp.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    for g in grads:
        xp.multiply(g._data, scale, out=g._data)
        g._version.value += 1
    return Tensor._make(total, device)
