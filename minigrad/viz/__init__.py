"""``minigrad.viz``: draw computation graphs with Graphviz.

    import minigrad.viz as viz

    viz.draw(loss)                                # the forward graph: tensors and ops
    viz.draw(loss, model=model, depth=2)          # module calls nested deeper than 2: boxes
    viz.draw(loss, backward=True)                 # the functions backward runs
    viz.render_to(viz.draw(loss), "graph.svg")    # needs Graphviz's `dot` program

``draw`` returns a ``graphviz.Digraph``: ``.source`` is its DOT text (no Graphviz needed),
``.render()`` / ``render_to()`` make svg, png or pdf files, and Jupyter shows it inline.

**What is drawn.** The forward graph has one vertex per tensor and one per op. Tensors show their
name (a parameter's or buffer's name in the model, or ``tensor.name`` if you set one, on any
tensor: an input, an intermediate value such as ``scores``, an output), shape and dtype, and
with ``show_data=True`` min / mean / max. The transformer package names the tensors a learner
did not make (the positional encoding, the softmax's detached row maximum, the blocked keys of a
mask), so they explain themselves. An intermediate tensor's name is read from the graph, which
``backward()`` frees: draw before it, or run it inside ``record_gradients()``, which keeps them.
Inputs, parameters, constants, outputs and ops each have their own style, explained by a legend. Arrows into an op are drawn in operand order and
numbered when the op has several (``a @ b``: 0 is ``a``); ``a + a`` gets two arrows. Scalar
constants are written into their op's label instead of getting a vertex: ``x * 0.5`` draws as
``Mul(·, 0.5)``. With ``tensors=False`` each intermediate tensor is drawn inside the op that
made it, which halves the number of vertices.

**Modules.** Every op remembers the modules whose ``forward`` was running (``Node.scope``), so
ops are grouped into nested ``cluster_`` subgraphs labelled with the names
``model.named_modules()`` gives (``h.0.attn``). ``depth=k`` keeps k levels of module calls open
and draws each call one level deeper as a single vertex with its class, the shapes going in and
out, and its parameter count (the model itself is depth 1; ``depth=0`` shows it as one box).
``fold_repeats=True`` shows a chain of identical calls (the blocks of a transformer) once, "×N".

**Gradients.** After ``loss.backward()`` leaves are coloured by the norm of their ``.grad``, on
a log scale. For the full picture, record the backward pass::

    with viz.record_gradients():
        loss.backward()
    viz.draw(loss, model=model, depth=2)

and every tensor is coloured by the norm of its gradient, and every arrow is as thick as the
gradient that flowed back along it, so one sees how much gradient reaches each layer through
the residual stream and how much through attention. Where several arrows were merged into one
(into a collapsed module), its gradient is the sum of theirs. Before any backward, nothing is
coloured. The record holds the gradient arrays (about the size of the activations) for as long
as the graph lives.

**Backward graph.** ``draw(loss, backward=True)`` draws the functions the backward pass runs
(``MulBackward``, ...), from the output down to the leaves whose ``.grad`` they accumulate
into, as torchviz does. A gradient computed with ``create_graph=True`` is an ordinary tensor
with its own graph, and ``draw(grad)`` draws it.

**Explorer.** ``explore(loss, model=model, path="explorer.html")`` writes one HTML page in which
every vertex can be clicked for its value, its gradient and its op's formulas, with an attention
view per layer and head (see ``minigrad.viz.explorer``).

**Big graphs.** Everything walks the graph with an explicit stack, so a chain of 10,000 ops
draws. ``max_nodes`` refuses, with a clear message, to produce a graph larger than that.
"""

from __future__ import annotations

from ..errors import MinigradError
from . import simplify
from .capture import Cluster, Edge, GraphModel, Vertex, capture
from .explorer import Explorer, explore
from .flow import record_gradients
from .render import Graph, GraphvizNotFound, render_to, require_graphviz, to_digraph
from .simplify import collapse, fold_repeats, merge_tensors


class GraphTooLarge(MinigradError, ValueError):
    """The drawing would have more nodes than ``draw(max_nodes=...)`` allows."""


def draw(
    *outputs,
    model=None,
    depth=None,
    backward=False,
    show_data=False,
    show_grad=True,
    rankdir="TB",
    max_nodes=None,
    fold_repeats=False,
    tensors=True,
    legend=True,
) -> Graph:
    """Draw the graph that computed ``outputs`` (see the module docstring).

    Args:
        outputs: the tensors to draw back from (a loss, logits, a gradient...).
        model: the ``nn.Module`` whose ``named_modules()`` / ``named_parameters()`` name clusters
            and parameters. Optional: without it, names come from the outermost module each op
            ran in.
        depth: keep this many levels of module calls open; deeper calls become single boxes.
        backward: draw the functions backward runs instead of the forward ops.
        show_data: show min / mean / max of each tensor (for intermediate tensors, only while
            the graph still holds them: before backward, or after ``retain_graph=True``).
        show_grad: colour by gradient norm when gradients are known.
        rankdir: ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        max_nodes: raise ``GraphTooLarge`` if the drawing would have more vertices.
        fold_repeats: draw a chain of identical module calls once, marked "×N".
        tensors: give intermediate tensors vertices of their own; with False, each is drawn
            inside the op that made it (half the vertices, for big graphs).
        legend: add a legend of the vertex styles and the gradient scale.
    """
    g = capture(*outputs, model=model, backward=backward, show_data=show_data)
    if not tensors:
        g = simplify.merge_tensors(g)
    if depth is not None:
        g = collapse(g, depth)
    if fold_repeats:
        g = simplify.fold_repeats(g)
    if max_nodes is not None and len(g.vertices) > max_nodes:
        raise GraphTooLarge(
            f"draw: the drawing would have {len(g.vertices)} nodes, more than "
            f"max_nodes={max_nodes}. "
            f"Collapse modules with depth=1 or depth=2, draw a smaller part (draw an "
            f"intermediate tensor instead of the loss), or raise max_nodes."
        )
    graph = to_digraph(g, rankdir=rankdir, show_grad=show_grad, legend=legend)
    graph.graph_model = g
    return graph


__all__ = [
    "draw",
    "explore",
    "Explorer",
    "capture",
    "collapse",
    "fold_repeats",
    "merge_tensors",
    "record_gradients",
    "render_to",
    "require_graphviz",
    "to_digraph",
    "Graph",
    "GraphModel",
    "Vertex",
    "Edge",
    "Cluster",
    "GraphTooLarge",
    "GraphvizNotFound",
]
