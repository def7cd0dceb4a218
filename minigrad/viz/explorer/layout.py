"""The graph views of the explorer page, laid out by Graphviz when the page is made.

A view is the graph with some module calls drawn open (as boxes around their ops) and the others
collapsed to a single vertex. The page cannot run Graphviz, so every view it can show is laid out
in advance, all in one run of ``dot -Tjson0``:

- one view per depth, 0 (the whole model as one box) to the deepest call (every op), for the
  depth selector;
- one view per module call K: the chosen depth, with K and the calls around it open. Clicking a
  collapsed module goes to its view; clicking an open module's label goes back to its caller's.

Positions are converted to SVG coordinates (y down, points = pixels at 100%) and rounded, edges
to SVG path text, so the page only draws.
"""

from __future__ import annotations

import json
import math
import subprocess

from .. import flow
from ..capture import GraphModel, Vertex
from ..render import require_graphviz
from ..simplify import collapse
from ..style import format_shape

FONT_SIZE = 10  # the page draws labels at this size, in the same font family


def cluster_ids(g: GraphModel) -> dict:
    """A stable id (``c0``, ``c1``, ...) for every module call, the same in every view."""
    return {key: f"c{i}" for i, key in enumerate(g.clusters)}


def view_specs(g: GraphModel, depth: int) -> tuple[list, dict]:
    """The open sets of every view (see the module doc), and for each module call the index of
    its own view. Views with the same open set are laid out once."""
    deepest = deepest_depth(g)
    specs, index = [], {}

    def view(open_keys: frozenset) -> int:
        if open_keys not in index:
            index[open_keys] = len(specs)
            specs.append(open_keys)
        return index[open_keys]

    for d in range(deepest + 1):
        view(frozenset(k for k in g.clusters if len(k) <= d))
    base = frozenset(k for k in g.clusters if len(k) <= depth)
    own = {}
    for key in g.clusters:
        own[key] = view(base | {key[:n] for n in range(1, len(key) + 1)})
    return specs, own


def label_lines(v: Vertex, g: GraphModel) -> list:
    """The lines of text drawn in a vertex: what it is, then its shape. A module is named
    relative to the module that calls it (``self_attn`` inside ``encoder.layers.0``)."""
    lines = [v.title] if v.title else []
    if v.kind == "module":
        lines = [short_name(g, v.represents)] + v.notes
    elif v.shape is not None:
        lines.append(format_shape(v.shape))
    return lines or [v.kind]


def short_name(g: GraphModel, key: tuple) -> str:
    """A module call's name relative to its caller's (``self_attn`` inside ``encoder.layers.0``)."""
    c = g.clusters[key]
    caller = g.clusters[key[:-1]].qualname if key[:-1] in g.clusters else ""
    if caller and c.qualname.startswith(caller + "."):
        return c.qualname[len(caller) + 1 :]
    return c.qualname or c.class_name


def cluster_label(g: GraphModel, key: tuple) -> str:
    """The label of an open module call; the page closes the call when it is clicked."""
    return f"⊟ {short_name(g, key)} ({g.clusters[key].class_name})"


SHAPES = {"op": "ellipse", "module": "box3d"}


def to_dot(g: GraphModel, ids: dict, lines: dict) -> str:
    """DOT text of one view: plain text labels, one nested ``cluster_`` subgraph per open call."""
    children: dict = {}
    for key in g.clusters:
        children.setdefault(key[:-1], []).append(key)
    members: dict = {}
    for v in g.vertices.values():
        members.setdefault(v.path, []).append(v)
    out = [
        "digraph {",
        f'node [fontname="Helvetica" fontsize={FONT_SIZE} shape=box margin="0.08,0.04"];',
        'graph [nodesep=0.25 ranksep=0.3 fontname="Helvetica" fontsize=10];',
    ]

    def write(path: tuple) -> None:
        for v in members.get(path, []):
            vid = vertex_id(g, ids, v.id)
            text = "\\n".join(_esc(line) for line in lines[vid])
            out.append(f'"{vid}" [label="{text}" shape={SHAPES.get(v.kind, "box")}];')
        for key in children.get(path, []):
            label = _esc(cluster_label(g, key))
            out.append(f'subgraph "cluster_{ids[key]}" {{ label="{label}" labeljust=l;')
            write(key)
            out.append("}")

    write(())
    for src, dst in edge_norms(g, ids):
        out.append(f'"{src}" -> "{dst}";')
    out.append("}")
    return "\n".join(out)


def vertex_id(g: GraphModel, ids: dict, vid: str) -> str:
    """The page's id of a vertex: a collapsed module's is its call's stable id."""
    return ids.get(g.vertices[vid].represents, vid)


def edge_norms(g: GraphModel, ids: dict) -> dict:
    """One arrow per pair of vertices (page ids) -> the norm of the gradients along it, taken
    together (several tensors may go from one collapsed module to another); None if unknown."""
    carried: dict = {}
    for e in g.edges:
        pair = (vertex_id(g, ids, e.src), vertex_id(g, ids, e.dst))
        carried.setdefault(pair, {}).setdefault(e.carries, []).extend(e.grads)
    out = {}
    for pair, by_tensor in carried.items():
        norms = [flow.norm(grads) for grads in by_tensor.values()]
        known = [n for n in norms if n is not None]
        out[pair] = math.sqrt(sum(n * n for n in known)) if known else None
    return out


def _esc(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def layout_all(sources: list) -> list:
    """Run ``dot -Tjson0`` once on all the views; one parsed JSON object per view."""
    require_graphviz("dot")
    result = subprocess.run(
        ["dot", "-Tjson0"], input="\n".join(sources), capture_output=True, text=True, check=True
    )
    decoder, text, pos, out = json.JSONDecoder(), result.stdout, 0, []
    while len(out) < len(sources):
        while text[pos].isspace():
            pos += 1
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
    return out


def view_record(layout: dict, g: GraphModel, ids: dict) -> dict:
    """A laid-out view in page form: size, vertices as [id, x, y, width, height] (centre, in
    pixels), clusters as [id, x0, y0, x1, y1] and edges as [source, target, SVG path,
    gradient norm]."""
    _, _, width, height = (float(x) for x in layout["bb"].split(","))
    by_gvid, nodes, clusters = {}, [], []
    for obj in layout.get("objects", []):
        if "nodes" in obj or obj["name"].startswith("cluster_"):
            x0, y0, x1, y1 = (float(x) for x in obj["bb"].split(","))
            cid = obj["name"][len("cluster_") :]
            clusters.append([cid, round(x0), round(height - y1), round(x1), round(height - y0)])
            continue
        x, y = (float(a) for a in obj["pos"].split(","))
        w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
        by_gvid[obj["_gvid"]] = obj["name"]
        nodes.append([obj["name"], round(x, 1), round(height - y, 1), round(w, 1), round(h, 1)])
    norms = edge_norms(g, ids)
    edges = []
    for e in layout.get("edges", []):
        src, dst = by_gvid[e["tail"]], by_gvid[e["head"]]
        edges.append([src, dst, _svg_path(e["pos"], height), norms[(src, dst)]])
    return {
        "w": round(width),
        "h": round(height),
        "nodes": nodes,
        "clusters": clusters,
        "edges": edges,
    }


def _svg_path(pos: str, height: float) -> str:
    """Graphviz's spline (``e,x,y p0 p1 p2 p3 ...``: cubic Bezier pieces, then the arrow tip)
    as SVG path text, y flipped; the path ends at the arrow's tip."""
    tip, points = None, []
    for part in pos.split():
        if part.startswith("e,"):
            tip = part[2:]
        elif not part.startswith("s,"):
            points.append(part)
    pts = [_point(p, height) for p in points]
    d = f"M{pts[0]}"
    for i in range(1, len(pts) - 2, 3):
        d += f"C{pts[i]} {pts[i + 1]} {pts[i + 2]}"
    if tip is not None:
        d += f"L{_point(tip, height)}"
    return d


def _point(text: str, height: float) -> str:
    x, y = (float(a) for a in text.split(","))
    return f"{x:.0f},{height - y:.0f}"


def views(g: GraphModel, depth: int) -> tuple[list, dict, dict, dict]:
    """Lay out every view of ``g`` (tensors already merged into their ops).

    Returns the views (page form, each with the ids of its open module calls), the label lines
    of every vertex id, and for each module call id the index of its own view and the edges
    into and out of its collapsed vertex, as ``(view, box vertex)`` of the first view that
    shows it collapsed.
    """
    ids = cluster_ids(g)
    specs, own = view_specs(g, depth)
    graphs = []
    lines: dict = {}
    boxes: dict = {}  # module call id -> (collapsed view, its vertex) where first seen collapsed
    for open_keys in specs:
        view = collapse(g, 0, expanded=open_keys)
        for v in view.vertices.values():
            vid = vertex_id(view, ids, v.id)
            if vid not in lines:
                lines[vid] = label_lines(v, g)
                if v.kind == "module":
                    boxes[vid] = (view, v)
        graphs.append(view)
    layouts = layout_all([to_dot(view, ids, lines) for view in graphs])
    records = []
    for open_keys, view, layout in zip(specs, graphs, layouts):
        rec = view_record(layout, view, ids)
        rec["open"] = sorted(ids[k] for k in open_keys)
        rec["focus"] = None
        records.append(rec)
    for key, i in own.items():
        if i > deepest_depth(g):  # a view of its own, not one of the depth views
            records[i]["focus"] = ids[key]
    return records, lines, {ids[k]: i for k, i in own.items()}, boxes


def deepest_depth(g: GraphModel) -> int:
    """The depth of the most deeply nested module call (0 without modules)."""
    return max((len(k) for k in g.clusters), default=0)
