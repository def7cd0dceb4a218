"""minigrad's exceptions.

Each subclasses the built-in exception a PyTorch user would already catch, so ``except
RuntimeError`` keeps working, while ``except minigrad.MinigradError`` catches all of ours.
Messages name the op and the shapes, dtypes or devices involved.
"""


class MinigradError(Exception):
    """Base class of every error minigrad raises on purpose."""


class ShapeError(MinigradError, RuntimeError):
    """Shapes that do not fit the op: matmul, broadcast, cat, view, masks."""


class DimError(MinigradError, IndexError):
    """A dimension index outside ``[-ndim, ndim)``."""


class IndexOutOfRange(MinigradError, IndexError, RuntimeError):
    """An index outside the tensor's extent.

    PyTorch raises ``IndexError`` for indexing and ``RuntimeError`` for out-of-range indices
    inside ops (gather, narrow, one_hot), so both ``except`` clauses catch it.
    """


class DTypeError(MinigradError, TypeError, RuntimeError):
    """A dtype the op cannot take (gradients of integers, float indices, ...).

    Python raises ``TypeError`` for a value of the wrong type and PyTorch raises ``RuntimeError``
    for most dtype problems, so both ``except`` clauses catch it.
    """


class ArgumentError(MinigradError, ValueError, RuntimeError):
    """An argument value the op cannot take: a probability outside [0, 1], a zero step, an
    unknown mode. PyTorch raises ``ValueError`` for some of these and ``RuntimeError`` for
    others, so both ``except`` clauses catch it.
    """


class DeviceError(MinigradError, RuntimeError):
    """Tensors on different devices in one op, or a device that is not available."""


class AutogradError(MinigradError, RuntimeError):
    """Misuse of the autograd engine: freed graphs, in-place changes, non-scalar backward."""


class NotOverridden(MinigradError, NotImplementedError):
    """A base class's method that a subclass must define (``Optimizer.step``), called on a
    subclass that did not (PyTorch raises ``NotImplementedError`` there)."""


class CheckpointError(MinigradError, ValueError):
    """A file that is not a minigrad checkpoint, or one that is truncated or corrupt."""


class StateDictError(MinigradError, RuntimeError):
    """Missing, unexpected or mis-shaped keys in ``load_state_dict``."""


def format_shape(shape) -> str:
    """``(2, 3)`` printed as PyTorch prints sizes: ``[2, 3]``."""
    return "[" + ", ".join(str(s) for s in shape) + "]"


def normalize_dim(dim: int, ndim: int, op: str, scalar_ok: bool = True) -> int:
    """Map a possibly negative ``dim`` into ``[0, ndim)``, or raise a DimError naming ``op``.

    A 0-d tensor accepts dim 0 and -1 (as in PyTorch), unless ``scalar_ok`` is False: ops that
    take a slice along the dim (split, narrow, select, unbind, ...) need a real axis.
    """
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, checked first
        return dim % ndim
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise DTypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    if ndim == 0 and not scalar_ok:
        raise DimError(
            f"{op}: Dimension specified as {dim} but tensor has no dimensions (it cannot be "
            f"applied to a 0-dim tensor)"
        )
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise DimError(
            f"{op}: Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
            f"but got {dim})"
        )
    return dim % rank


def normalize_dims(dim, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes; ``None`` means all axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    axes = tuple(sorted({normalize_dim(d, ndim, op) for d in dims}))
    if len(axes) != len(dims):
        raise DimError(f"{op}: dim {dim} appears multiple times in the list of dims")
    return tuple(a for a in axes if a < ndim)  # dim 0 of a 0-d tensor reduces nothing
