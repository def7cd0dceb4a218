"""Recording the gradient that flows along every edge of the graph during a backward pass.

``backward`` never keeps the gradients of intermediate tensors. To draw gradient flow, run it
inside ``record_gradients()``: every node the pass runs reports, through
``autograd.observe_backward``, the gradient of its output (``grad_output``) and the gradient it
sends to each of its inputs (``grad_inputs``). We keep them in a table keyed by weak references
to the nodes, so the record lives exactly as long as the graph: dropping the loss frees both.

The record holds gradient arrays, not just their norms, so that a drawing which merges several
edges into one (a collapsed module fed by the same tensor in three places) can show the norm of
their sum, which is the gradient that tensor really receives from that module.
"""

from __future__ import annotations

import contextlib
import math
import weakref

from ..autograd import observe_backward

# Node -> NodeFlow. Weak keys: the record disappears with the graph it describes.
_FLOWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class NodeFlow:
    """The gradient of one node's output and the gradients it sent to its inputs (arrays), and
    the ``.name`` each input had: backward frees the computed inputs, and with them the names a
    drawing shows."""

    __slots__ = ("output", "inputs", "names")

    def __init__(self, output, inputs, names=()):
        self.output = output
        self.inputs = inputs
        self.names = names

    def input(self, slot: int):
        """The gradient sent to input ``slot``, or None."""
        return self.inputs[slot] if self.inputs else None

    def name(self, slot: int):
        """The ``.name`` input ``slot`` had when backward ran, or None."""
        return self.names[slot] if self.names else None


NOTHING = NodeFlow(None, ())  # what an unrecorded node reports


@contextlib.contextmanager
def record_gradients():
    """Record, for every node a backward pass inside this block runs, the gradients it received
    and sent, so that ``draw`` can colour every tensor and size every edge by its gradient::

        with viz.record_gradients():
            loss.backward()
        viz.draw(loss, model=model)

    A node run twice (``retain_graph=True``) accumulates, as ``.grad`` does. The record costs
    memory about the size of the activations until the graph is dropped.
    """
    with observe_backward(_record):
        yield


def _record(node, grad_output, grad_inputs) -> None:
    out = grad_output._data
    ins = [None if g is None else g._data for g in grad_inputs]
    prev = _FLOWS.get(node)
    if prev is not None:
        out = prev.output + out
        ins = [_add(a, b) for a, b in zip(prev.inputs, ins)]
    names = tuple(None if t is None else t.name for t in node.inputs)
    _FLOWS[node] = NodeFlow(out, ins, names)


def _add(a, b):
    """a + b, where None counts as no gradient (zero)."""
    if a is None:
        return b
    return a if b is None else a + b


def recorded(node) -> NodeFlow:
    """What a recorded backward pass saw at ``node`` (``NOTHING`` if none ran it)."""
    return _FLOWS.get(node, NOTHING) if _FLOWS else NOTHING


def norm(arrays) -> float | None:
    """The Euclidean norm of the sum of ``arrays`` (gradients of one tensor), in float64.

    None when there is nothing to sum (no recorded gradient).
    """
    total = None
    for a in arrays:
        total = _add(total, a)
    if total is None:
        return None
    return math.sqrt(float((total.astype("float64") ** 2).sum()))
