"""Making big graphs readable: collapsing deep modules, folding repeated blocks, drawing
intermediate tensors inside their ops (``merge_tensors``).

Each takes a ``GraphModel`` and returns a new one (the input is left as it was); none recurses.

**Depth.** ``depth`` counts nested module *calls*: the model is at depth 1, the modules its
``forward`` calls are at depth 2, and so on (containers such as ``ModuleList`` never run, so they
do not count). ``collapse(g, depth=k)`` keeps the clusters of depth <= k and replaces each module
call of depth k + 1, with everything inside it, by one vertex showing the module's class, the
shapes going in and out, and its parameter count. ``depth=0`` collapses the whole model.
Inputs (always drawn at the top level) and outputs stay in sight.

**Repeats.** ``fold_repeats(g)`` finds runs of consecutive sibling module calls that are
identical (same class, same parameter count, the same ops on the same shapes in the same order),
keeps the first and marks it "x N". Arrows into any call of the run now point at the first one
(their gradients add up: the folded call stands for all N); arrows that left the last call leave
the first one; arrows between the calls of the run disappear.
"""

from __future__ import annotations

import dataclasses
import math

from ..errors import ArgumentError
from .capture import Edge, GraphModel, Vertex
from .style import format_shape


def collapse(g: GraphModel, depth: int, expanded=frozenset()) -> GraphModel:
    """Replace every module call nested deeper than ``depth`` by one vertex (see module doc).

    ``expanded``: cluster keys to keep open below ``depth`` as well (each with its callers), so
    that one module can be opened while its neighbours stay boxes.
    """
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 0:
        raise ArgumentError(f"draw: depth must be a non-negative int or None, got {depth!r}")

    def open_levels(path: tuple) -> int:
        """How many leading calls of ``path`` are drawn open."""
        n = min(depth, len(path))
        while n < len(path) and path[: n + 1] in expanded:
            n += 1
        return n

    out = GraphModel(backward=g.backward)
    out.clusters = {k: c for k, c in g.clusters.items() if open_levels(k) == len(k)}
    into_box: dict = {}  # id of an absorbed vertex -> id of its module vertex
    boxes: dict = {}  # cluster key -> module Vertex
    for v in g.vertices.values():
        n = open_levels(v.path)
        if n == len(v.path):
            out.add(v)
        elif v.kind == "output":  # stays in sight, in the deepest cluster still drawn
            out.add(dataclasses.replace(v, path=v.path[:n]))
        else:
            key = v.path[: n + 1]
            if key not in boxes:
                boxes[key] = out.add(_module_vertex(g.clusters[key], len(boxes)))
            into_box[v.id] = boxes[key].id
    out.edges = _reroute(g.edges, into_box, carries={}, keep_slots=False, backward=g.backward)
    for box in boxes.values():
        _describe_module(box, out.edges, g)
    return out


def _module_vertex(cluster, n: int) -> Vertex:
    return Vertex(
        f"m{n}",
        "module",
        cluster.qualname or cluster.class_name,
        path=cluster.key[:-1],
        represents=cluster.key,
        module=cluster.module,
        notes=[cluster.class_name, f"{_param_count(cluster.module):,} params"],
    )


def _param_count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def _describe_module(box: Vertex, edges: list, g: GraphModel) -> None:
    """Add the shapes flowing in and out of ``box``, and the gradient norm of what comes out of
    it in the forward pass (in a backward graph: of the gradients it receives)."""
    ins = _distinct_tensors(e for e in edges if e.dst == box.id)
    outs = _distinct_tensors(e for e in edges if e.src == box.id)
    shapes_in = ", ".join(format_shape(e.shape) for e in ins) or "nothing"
    shapes_out = ", ".join(format_shape(e.shape) for e in outs) or "nothing"
    box.notes.append(f"{shapes_in} → {shapes_out}")
    grads = [g.vertices[e.carries].grad for e in (ins if g.backward else outs)]
    grads = [x for x in grads if x is not None]
    # The norm of all those gradients taken together (as one long vector).
    box.grad = math.sqrt(sum(x * x for x in grads)) if grads else None


def _distinct_tensors(edges) -> list:
    seen, out = set(), []
    for e in edges:
        if e.carries not in seen:
            seen.add(e.carries)
            out.append(e)
    return out


def _reroute(edges, ends: dict, carries: dict, keep_slots: bool, backward: bool) -> list:
    """Move edge ends through ``ends`` (and carried tensors through ``carries``), drop edges that
    now start and end at one vertex, and merge edges that now join the same two vertices with
    the same tensor: their gradients add up. The operand slot belongs to the op end of an edge
    (its head in a forward graph, its tail in a backward one); unless ``keep_slots``, it is lost
    when that end moved into a collapsed module."""
    merged: dict = {}
    for e in edges:
        s, d = ends.get(e.src, e.src), ends.get(e.dst, e.dst)
        if s == d:
            continue
        op_end_kept = s == e.src if backward else d == e.dst
        slot = e.slot if keep_slots or op_end_kept else None
        key = (s, d, slot, carries.get(e.carries, e.carries))
        if key in merged:
            merged[key].grads = merged[key].grads + e.grads
        else:
            merged[key] = Edge(s, d, slot, key[3], e.shape, list(e.grads))
    return list(merged.values())


def merge_tensors(g: GraphModel) -> GraphModel:
    """Draw each intermediate tensor inside the op that produced it: the op's vertex takes the
    tensor's name, shape, dtype, data summary and gradient, and the arrows that left the tensor leave
    the op. Inputs, parameters and outputs keep their own vertices."""
    into_op = {e.dst: e.src for e in g.edges if g.vertices[e.dst].kind == "tensor"}
    made = {op: g.vertices[t] for t, op in into_op.items()}
    out = GraphModel(backward=g.backward, clusters=dict(g.clusters))
    for v in g.vertices.values():
        if v.id in made:
            t = made[v.id]
            notes = [*v.notes, t.title] if t.title else v.notes  # the tensor's name, if any
            v = dataclasses.replace(
                v, shape=t.shape, dtype=t.dtype, grad=t.grad, summary=t.summary, notes=notes
            )
        if v.id not in into_op:
            out.add(v)
    out.edges = _reroute(g.edges, into_op, carries=into_op, keep_slots=True, backward=g.backward)
    return out


def fold_repeats(g: GraphModel) -> GraphModel:
    """Show each run of identical sibling module calls once, marked "x N" (see module doc)."""
    members = _members(g)
    out = GraphModel(backward=g.backward, clusters=dict(g.clusters))
    to_first: dict = {}  # id of a vertex in a later call of a run -> its match in the first call
    place: dict = {}  # id of a vertex in a run -> (run number, which call of the run)
    renamed: dict = {}  # id -> the vertex redrawn with "x N"
    for number, run in enumerate(_runs(g, members)):
        first = members[run[0]]
        for j, key in enumerate(run):
            for a, b in zip(members[key], first):
                place[a.id] = (number, j)
                if j:
                    to_first[a.id] = b.id
            if j:
                for k in [k for k in out.clusters if k[: len(key)] == key]:
                    del out.clusters[k]
        if run[0] in g.clusters:
            out.clusters[run[0]] = dataclasses.replace(
                g.clusters[run[0]], repeat=len(run), last_qualname=g.clusters[run[-1]].qualname
            )
        else:  # a collapsed module
            last = members[run[-1]][0].title
            box = first[0]
            renamed[box.id] = dataclasses.replace(
                box, title=f"{box.title} … {last}", repeat=len(run), notes=list(box.notes)
            )
    for v in g.vertices.values():
        if v.id not in to_first:
            out.add(renamed.get(v.id, v))

    def within_run(e) -> bool:
        """Both ends in one run, at least one of them in a call that is folded away."""
        a, b = place.get(e.src), place.get(e.dst)
        return a is not None and b is not None and a[0] == b[0] and bool(a[1] or b[1])

    kept = [e for e in g.edges if not within_run(e)]
    out.edges = _reroute(kept, to_first, carries=to_first, keep_slots=True, backward=g.backward)
    return out


def _members(g: GraphModel) -> dict:
    """For each module call (cluster key), the vertices drawn inside it, in drawing order; a
    collapsed module is the one member of the call it stands for."""
    found: dict = {key: [] for key in g.clusters}
    for v in g.vertices.values():
        if v.represents is not None:
            found[v.represents] = [v]
        for n in range(1, len(v.path) + 1):
            found[v.path[:n]].append(v)
    return found


def _runs(g: GraphModel, members: dict) -> list:
    """Runs (lists of two or more cluster keys) of sibling calls that are identical and chained
    (each call reads something the previous one produced). Runs nested inside a call of another
    run are left as they are."""
    order = {v.id: i for i, v in enumerate(g.vertices.values())}
    feeds = _feeds(g)
    siblings: dict = {}
    for key, vs in members.items():
        if vs:
            siblings.setdefault(key[:-1], []).append(key)
    runs = []
    for keys in siblings.values():
        keys.sort(key=lambda k: order[members[k][0].id])
        signatures = [_signature(g, k, members) for k in keys]
        start = 0
        for i in range(1, len(keys) + 1):
            chained = i < len(keys) and (keys[i - 1], keys[i]) in feeds
            if not chained or signatures[i] != signatures[start]:
                if i - start > 1:
                    runs.append(keys[start:i])
                start = i
    accepted, taken = [], []
    for run in sorted(runs, key=lambda r: len(r[0])):
        if not any(run[0][: len(t)] == t for t in taken):
            accepted.append(run)
            taken.extend(run)
    return accepted


def _feeds(g: GraphModel) -> set:
    """Pairs (a, b) of sibling module calls such that an edge goes from inside a to inside b."""

    def calls(v: Vertex) -> list:
        keys = [v.path[:n] for n in range(1, len(v.path) + 1)]
        return keys + [v.represents] if v.represents is not None else keys

    pairs = set()
    for e in g.edges:
        for a, b in zip(calls(g.vertices[e.src]), calls(g.vertices[e.dst])):
            if a != b and a[:-1] == b[:-1]:
                pairs.add((a, b))
    return pairs


def _signature(g: GraphModel, key: tuple, members: dict) -> tuple:
    """What must match for two module calls to count as repeats of one another: the module's
    class and parameter count, and the kinds, ops, shapes and nesting of everything inside,
    with the edges between them."""
    vs = members[key]
    position = {v.id: i for i, v in enumerate(vs)}
    inside = tuple(
        (position[e.src], position[e.dst], e.slot)
        for e in g.edges
        if e.src in position and e.dst in position
    )
    module = g.clusters[key].module if key in g.clusters else vs[0].module
    contents = tuple(
        (
            v.kind,
            v.title if v.kind in ("op", "grad_fn") else None,
            tuple(v.notes) if v.kind == "module" else None,
            v.shape,
            v.dtype,
            len(v.path) - len(key),
        )
        for v in vs
    )
    return type(module).__name__, _param_count(module), contents, inside
