"""``viz.explore``: a backprop explorer for a real model, as one HTML file that opens from disk.

    import minigrad.viz as viz

    with viz.record_gradients():           # keep the gradient that reaches every tensor
        loss.backward(retain_graph=True)   # keep every forward value for the page
    viz.explore(loss, model=model, path="explorer.html")

Open ``explorer.html`` in a browser (it needs no server and no network), or show the returned
``Explorer`` in Jupyter. In the page:

- the computation graph, collapsed to modules at ``depth``; click a module to open it, down to
  single ops, and click an open module's name to close it again. Vertices and arrows are coloured
  by the norm of the gradient that reached them;
- click any vertex for its name, module, shape and dtype; its value and its gradient as heatmaps
  of 2-D slices (a selector picks the other dimensions) and histograms; the op's forward and
  backward formulas (from its docstring); and the gradient's norm beside the norms of the
  gradients the op sent to its inputs, so you see where the gradient shrinks or grows;
- "play backward" lights the vertices up in the order the backward pass reaches them, and the
  search box finds a parameter or module by name;
- an attention view for every attention layer and head: the tokens on both sides, the weights as
  a heatmap and as lines from each query to the keys it reads, a toggle for the gradient of the
  loss with respect to the weights, masked cells crossed out.

Without ``retain_graph=True`` backward frees the intermediate values, and the page shows only
parameters and inputs; without ``record_gradients`` it shows only the parameters' ``.grad``.
Large tensors are cropped to fit ``max_elements`` (their statistics and histograms still cover
every element). Laying out the graph needs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import os

from ...errors import ArgumentError
from ..capture import capture
from ..simplify import merge_tensors
from . import data, layout, page

DEFAULT_MAX_ELEMENTS = 450_000


class Explorer:
    """An explorer page: ``.html`` is its text, ``.save(path)`` writes it, and Jupyter shows it
    inline (in an iframe)."""

    def __init__(self, html: str):
        self.html = html

    def save(self, path) -> str:
        """Write the page to ``path`` (a ``.html`` file) and return the path."""
        path = os.fspath(path)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)
        return path

    def _repr_html_(self) -> str:
        return page.iframe(self.html)

    def __repr__(self) -> str:
        return f"<Explorer page, {len(self.html.encode()) / 1e6:.2f} MB>"


def explore(
    *outputs,
    model=None,
    depth: int = 2,
    tokens=None,
    sample: int = 0,
    path=None,
    title: str | None = None,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
) -> Explorer:
    """Make the explorer page of the graph that computed ``outputs`` (see the module docstring).

    Args:
        outputs: the tensors to explore back from (usually the loss).
        model: the ``nn.Module`` whose names label modules and parameters (optional).
        depth: how many levels of module calls are open at first (the model itself is 1).
        tokens: labels for the attention view: a list (every attention's queries and keys), or
            a dict from module-name patterns to a list or a (queries, keys) pair, e.g.
            ``{"encoder": src, "decoder": tgt, "*cross_attn": (tgt, src)}`` (the last matching
            pattern wins). Positions are numbered where none is given.
        sample: the batch element the attention view shows.
        path: also write the page there.
        title: the page's title (default: the model's class name).
        max_elements: how many tensor elements the page stores in all, values and gradients
            together; bigger tensors are cropped to their leading block.
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ArgumentError(f"explore: depth must be a non-negative int, got {depth!r}")
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 0:
        raise ArgumentError(f"explore: sample must be a non-negative int, got {sample!r}")
    if not isinstance(max_elements, int) or isinstance(max_elements, bool) or max_elements < 1:
        raise ArgumentError(f"explore: max_elements must be a positive int, got {max_elements!r}")
    g = merge_tensors(capture(*outputs, model=model))
    ids = layout.cluster_ids(g)
    names = {key: c.qualname for key, c in g.clusters.items()}
    cap = data.element_cap(data.array_sizes(g), max_elements)
    nodes, tensors = data.node_records(g, names, cap)
    views, lines, own, boxes = layout.views(g, depth)
    modules = _module_records(g, ids, own, boxes, nodes)
    for vid, text in lines.items():
        (nodes[vid] if vid in nodes else modules[vid])["lines"] = text
    name = title or (type(model).__name__ if model is not None else "minigrad graph")
    content = {
        "title": name,
        # views come first by depth, so this is also the index of the view shown first
        "depth": min(depth, layout.deepest_depth(g)),
        "nodes": nodes,
        "tensors": tensors,
        "modules": modules,
        "views": views,
        "attention": data.attention_maps(g, model, names, tokens, sample),
        "kept": {
            "values": any(t["value"] is not None for t in tensors.values()),
            "intermediate_values": any(
                nodes[k]["kind"] in ("op", "output") and t["value"] is not None
                for k, t in tensors.items()
            ),
            "gradients": any(t["grad"] is not None for t in tensors.values()),
        },
    }
    explorer = Explorer(page.render(content, f"{name}: backprop explorer"))
    if path is not None:
        explorer.save(path)
    return explorer


def _module_records(g, ids: dict, own: dict, boxes: dict, nodes: dict) -> dict:
    """What the page knows about each module call, by its stable id: names, class, parameter
    count, caller, depth, its own view, and (from a view where it is collapsed) the gradient
    norms of what comes out of it and of what it sends back to its inputs."""
    modules = {}
    for key, c in g.clusters.items():
        cid = ids[key]
        inside = [nodes[v.id]["order"] for v in g.vertices.values() if v.path[: len(key)] == key]
        modules[cid] = {
            "name": c.qualname or c.class_name,
            "short": layout.short_name(g, key),
            "label": layout.cluster_label(g, key),
            "class": c.class_name,
            "params": sum(p.numel() for p in c.module.parameters()),
            "parent": ids.get(key[:-1]),
            "depth": len(key),
            "view": own[cid],
            "order": max(inside),  # backward reaches a module with its last op
        }
        if cid in boxes:
            view, box = boxes[cid]
            modules[cid]["grad"] = box.grad
            modules[cid]["inputs"] = [
                {"id": e.carries, "grad": e.grad} for e in view.edges if e.dst == box.id
            ]
            modules[cid]["outputs"] = [
                {"id": e.carries, "grad": e.grad} for e in view.edges if e.src == box.id
            ]
    return modules


__all__ = ["explore", "Explorer"]
