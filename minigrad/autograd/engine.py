"""Reverse-mode differentiation over the recorded graph: ``backward`` and ``grad``.

The pass visits nodes in topological order without recursion, so a chain of any depth works:

1. Walk from the outputs' nodes to every node they depend on and count, for each node, how many
   edges lead into it from nodes that will send it a gradient.
2. Start from the outputs. A node runs its backward once every consumer has sent its
   contribution (its count reaches zero); contributions from several consumers are summed, so a
   tensor used twice gets both.
3. Gradients that reach leaves are accumulated into ``.grad`` (``backward``) or returned
   (``grad``). Unless ``retain_graph``, each node frees its saved values after it has run.
"""

from __future__ import annotations

import contextlib
import weakref

from ..errors import AutogradError, format_shape
from .anomaly import anomaly_error
from .grad_mode import STATE, set_grad_enabled
from .tensor_base import TensorBase

_observers: list = []


@contextlib.contextmanager
def observe_backward(fn):
    """Call ``fn(node, grad_output, grad_inputs)`` for each node a backward pass runs.

    Graph rendering uses this to draw how much gradient flowed along each edge.
    """
    _observers.append(fn)
    try:
        yield
    finally:
        _observers.remove(fn)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    roots = _roots(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    targets = None if inputs is None else _as_tuple(inputs)
    _run(roots, retain_graph, create_graph, targets, accumulate=True)


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """Return d(outputs)/d(inputs) as a tuple, without touching any ``.grad``."""
    roots = _roots(outputs, grad_outputs, "grad")
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise AutogradError(
                f"grad: input {i} (shape {format_shape(t.shape)}) does not require grad"
            )
    if retain_graph is None:
        retain_graph = create_graph
    found = _run(roots, retain_graph, create_graph, inputs, accumulate=False)
    result = tuple(found.get(i) for i in range(len(inputs)))
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise AutogradError(
                f"grad: one of the differentiated Tensors (input {i}, shape "
                f"{format_shape(inputs[i].shape)}) appears to not have been used in the graph. "
                f"Set allow_unused=True if this is the desired behavior."
            )
    return result


def _as_tuple(x):
    return (x,) if isinstance(x, TensorBase) else tuple(x)


def _roots(tensors, grads, caller):
    """Pair each output with the gradient it starts from (1 for a scalar)."""
    tensors = _as_tuple(tensors)
    grads = (
        [None] * len(tensors)
        if grads is None
        else list(_as_tuple(grads) if isinstance(grads, TensorBase) else grads)
    )
    if len(grads) != len(tensors):
        raise AutogradError(f"{caller}: got {len(tensors)} tensors but {len(grads)} gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise AutogradError(
                f"{caller}: element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t.numel() != 1:
                raise AutogradError(
                    f"{caller}: grad can be implicitly created only for scalar outputs, but the "
                    f"output has shape {format_shape(t.shape)}; pass gradient= (a tensor of that shape)"
                )
            g = t._wrap(t._xp.ones(t.shape, t._data.dtype))
        elif not isinstance(g, TensorBase):
            g = t._from_data(g, t.dtype)
        if g.shape != t.shape:
            raise AutogradError(
                f"{caller}: Mismatch in shape: grad_output[{i}] has a shape of "
                f"{format_shape(g.shape)} and output[{i}] has a shape of {format_shape(t.shape)}."
            )
        roots.append((t, g))
    return roots


def _collect(roots):
    """Every node reachable from the roots, and how many graph edges point into each."""
    dependents: dict = {}
    stack = [t.grad_fn for t, _ in roots if t.grad_fn is not None]
    for node in stack:
        dependents.setdefault(node, 0)
    while stack:
        node = stack.pop()
        for child in node.next_functions:
            if child is None:
                continue
            if child in dependents:
                dependents[child] += 1
            else:
                dependents[child] = 1
                stack.append(child)
    return dependents


def _run(roots, retain_graph, create_graph, targets, accumulate):
    """The backward pass. Returns ``{index in targets: gradient}`` for ``grad``."""
    target_nodes, target_leaves = {}, {}
    for i, t in enumerate(targets or ()):
        if t.grad_fn is None:
            target_leaves[id(t)] = i
        else:
            target_nodes[t.grad_fn] = i
    found: dict = {}
    # id(leaf) -> [leaf, gradient summed so far]: a leaf's hooks and .grad see its total
    # gradient once, after the pass, as in PyTorch (not one call per use of the leaf)
    pending: dict = {}

    def deliver_to_leaf(leaf, g):
        entry = pending.get(id(leaf))
        if entry is None:
            pending[id(leaf)] = [leaf, g]
        else:
            entry[1] = entry[1] + g

    def deliver(leaf, g):
        for hook in leaf._hooks or ():
            out = hook(g)
            if out is not None:
                g = out
        if targets is None:
            _accumulate_leaf(leaf, g, create_graph)
            return
        i = target_leaves.get(id(leaf))
        if i is None:
            return
        if accumulate:
            _accumulate_leaf(leaf, g, create_graph)
        else:
            found[i] = g if i not in found else found[i] + g

    grads: dict = {}  # node -> its gradient; a list, one per output, for a node with several
    for t, g in roots:
        node = t.grad_fn
        if node is None:
            deliver_to_leaf(t, g)
        elif node.n_outputs == 1:
            grads[node] = grads[node] + g if node in grads else g
        else:
            _send_to_output(grads, node, t, g)
    dependents = _collect(roots)
    ready = [node for node, n in dependents.items() if n == 0]
    # A plain pass adds the gradient of a slice (or other indexing) straight into a buffer for
    # its input's gradient (``Op.accumulate_grad``), rather than a zero-filled copy of the input
    # per slice that is then summed: the pieces of ``split`` cost one pass, not a pass each.
    # ``owned``: the nodes whose gradient is such a buffer, allocated here and held nowhere else.
    anomaly = STATE.anomaly
    scatter = not create_graph and not anomaly and not _observers
    owned: set = set()

    with set_grad_enabled(create_graph):
        while ready:
            node = ready.pop()
            g = grads.pop(node, None)
            owned.discard(node)
            if g is not None:
                if node.pre_hooks:
                    g = _hooked(node, g)
                i = target_nodes.get(node)
                if i is not None:
                    found[i] = g if node.n_outputs == 1 else g[node.output_slot(targets[i])]
                if node.released:
                    node._check_alive()  # raises: this graph was freed by an earlier backward
                if scatter and node.fn.accumulate_grad is not None and _scatters(node):
                    _scatter_into_input(node, g, grads, owned)
                    grads_in = (None,)
                else:
                    grads_in = node.fn.backward(node, g)
                    if len(grads_in) != len(node.inputs):
                        raise _wrong_count(node, grads_in)
                    if anomaly:
                        _check_finite(node, grads_in)
                for fn in _observers:  # for a node with several outputs, the first with a gradient
                    fn(
                        node,
                        g if node.n_outputs == 1 else next(x for x in g if x is not None),
                        grads_in,
                    )
            else:
                grads_in = (None,) * len(node.inputs)
            for child, t, gi in zip(node.next_functions, node.inputs, grads_in):
                if gi is not None and gi._data.shape != t._data.shape:
                    raise _wrong_shape(node, grads_in)
                if child is None:
                    if gi is not None and t._requires_grad and t.grad_fn is None:
                        deliver_to_leaf(t, gi)
                    continue
                if gi is not None:
                    if child.n_outputs == 1:
                        so_far = grads.get(child)
                        grads[child] = gi if so_far is None else so_far + gi
                        owned.discard(child)
                    else:
                        _send_to_output(grads, child, t, gi)
                remaining = dependents[child] - 1
                dependents[child] = remaining
                if remaining == 0:
                    ready.append(child)
            if not retain_graph:
                node.release()
        for leaf, g in pending.values():
            deliver(leaf, g)
    return found


def _scatters(node) -> bool:
    """Whether ``node`` (one input) can add its gradient into its input's: that input was
    computed by an op with one output, so it has a gradient slot of its own."""
    child = node.next_functions[0]
    return child is not None and child.n_outputs == 1


def _scatter_into_input(node, g, grads, owned) -> None:
    """Add ``node``'s input gradient into the buffer that collects its input's gradient,
    starting one (zeros, plus whatever gradient arrived before) if this pass holds none."""
    child, x = node.next_functions[0], node.inputs[0]
    buffer = grads.get(child)
    if child not in owned:
        zeros = node.xp.zeros(x.shape, dtype=g._data.dtype)
        if buffer is not None:
            zeros += buffer._data
        buffer = grads[child] = node.constant(zeros)
        owned.add(child)
    node.fn.accumulate_grad(node, g._data, buffer._data)


def _hooked(node, g):
    """The gradient after the node's pre-hooks. A node with several outputs keeps them per
    output (``{slot: hooks}``), and each output's hooks see that output's gradient."""
    if node.n_outputs == 1:
        return _apply_hooks(node.pre_hooks, g)
    return [
        g_k if g_k is None or k not in node.pre_hooks else _apply_hooks(node.pre_hooks[k], g_k)
        for k, g_k in enumerate(g)
    ]


def _apply_hooks(hooks, g):
    for hook in hooks:
        out = hook(g)
        if out is not None:
            g = out
    return g


def _send_to_output(grads, node, tensor, g) -> None:
    """Add ``g``, the gradient of ``tensor``, to the gradients of ``node``'s outputs (a node with
    several outputs: a custom Function's), in the slot of the output ``tensor`` is."""
    slots = grads.get(node)
    if slots is None:
        slots = grads[node] = [None] * node.n_outputs
    k = node.output_slot(tensor)
    slots[k] = g if slots[k] is None else slots[k] + g


def _accumulate_leaf(leaf, g, create_graph) -> None:
    """``leaf.grad += g``; a fresh ``.grad`` gets its own memory (``g`` may be a broadcast view)."""
    if create_graph:
        leaf.grad = g if leaf.grad is None else leaf.grad + g
    elif leaf.grad is None:
        leaf.grad = g.detach().clone()
    else:
        leaf.grad._data += g._data
        leaf.grad._version.value += 1


def _wrong_count(node, grads_in) -> AutogradError:
    return AutogradError(
        f"function {node.name} returned an incorrect number of gradients (expected "
        f"{len(node.inputs)}, got {len(grads_in)})"
    )


def _wrong_shape(node, grads_in) -> AutogradError:
    """The error for the first gradient whose shape is not its input's."""
    i, g, t = next(
        (i, g, t)
        for i, (g, t) in enumerate(zip(grads_in, node.inputs))
        if g is not None and g._data.shape != t._data.shape
    )
    return AutogradError(
        f"Function {node.name} returned an invalid gradient at index {i} - got "
        f"{format_shape(g.shape)} but expected shape compatible with {format_shape(t.shape)}"
    )


def _check_finite(node, grads_in) -> None:
    """Under anomaly mode, each gradient a backward returns must be finite."""
    for i, g in enumerate(grads_in):
        if g is not None and not bool(node.xp.isfinite(g._data).all()):
            raise anomaly_error(node, i)


def retain_grad_hook(tensor):
    """A pre-hook that stores the gradient reaching ``tensor`` in ``tensor.grad`` (retain_grad).

    ``Tensor.register_hook`` keeps it after the tensor's other hooks, so ``.grad`` holds the
    gradient as they left it, as in PyTorch. ``hook.retains`` is a weak reference to the tensor.
    """
    ref = weakref.ref(tensor)

    def hook(g):
        t = ref()
        if t is not None:
            t.grad = g if t.grad is None else t.grad + g
        return None

    hook.retains = ref
    return hook
