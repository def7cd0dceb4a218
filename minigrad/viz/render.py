"""From the data model to Graphviz: DOT text, and rendering it with the ``dot`` program.

The DOT text (``graph.source``) is built in pure Python and needs nothing installed. Turning it
into a picture needs Graphviz's ``dot`` program; ``Graph`` checks for it before anything else and
says how to install it when it is missing, instead of failing deep inside a subprocess call.
"""

from __future__ import annotations

import html
import os
import shutil

import graphviz

from ..errors import ArgumentError, MinigradError
from . import style
from .capture import GraphModel, Vertex
from .style import GradScale, format_norm, format_shape

RANKDIRS = ("TB", "LR", "BT", "RL")


class GraphvizNotFound(MinigradError, graphviz.ExecutableNotFound):
    """Graphviz's layout program (``dot``) is not installed, so a graph cannot be rendered.

    Also a ``graphviz.ExecutableNotFound`` (a ``RuntimeError``), so existing handlers catch it.
    """

    def __init__(self, message: str):
        RuntimeError.__init__(self, message)


def require_graphviz(engine: str = "dot") -> None:
    """Raise ``GraphvizNotFound``, with install instructions, unless ``engine`` is on PATH."""
    if shutil.which(engine) is None:
        raise GraphvizNotFound(
            f"minigrad.viz: rendering a graph needs Graphviz's '{engine}' program, which is not "
            f"on PATH. Install Graphviz: 'apt-get install graphviz' (Debian/Ubuntu), "
            f"'brew install graphviz' (macOS), 'conda install -c conda-forge graphviz' (conda) or "
            f"see https://graphviz.org/download/. The DOT text needs nothing: graph.source"
        )


class Graph(graphviz.Digraph):
    """A ``graphviz.Digraph`` that checks for the ``dot`` program before rendering.

    Everything of ``graphviz.Digraph`` works as usual: ``.source`` (DOT text, no Graphviz
    needed), ``.render(...)``, ``.pipe(...)``, ``.view()``, and inline display in Jupyter.
    ``draw`` also sets ``graph_model``, the ``GraphModel`` the picture was made from.
    """

    graph_model = None

    def pipe(self, *args, **kwargs):
        require_graphviz(kwargs.get("engine") or self.engine)
        return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        require_graphviz(kwargs.get("engine") or self.engine)
        return super().render(*args, **kwargs)


def render_to(graph: graphviz.Digraph, path, format: str | None = None) -> str:
    """Render ``graph`` to the file ``path`` (svg, png, pdf, ...: from its suffix unless
    ``format`` says) and return the path. Checks for ``dot`` first."""
    path = os.fspath(path)
    fmt = format or os.path.splitext(path)[1].lstrip(".").lower()
    if not fmt:
        raise ArgumentError(f"render_to: cannot tell the format of {path!r}; pass format='svg'")
    require_graphviz(graph.engine)
    data = graph.pipe(format=fmt)
    with open(path, "wb") as f:
        f.write(data)
    return path


def to_digraph(g: GraphModel, rankdir: str = "TB", show_grad: bool = True, legend: bool = True):
    """The Graphviz graph of ``g``: one node per vertex, nested ``cluster_`` subgraphs for the
    module calls, arrows in operand order, gradient colours, and a legend.

    Node and edge statements are written straight into the graph's ``body`` (the DOT lines
    ``graphviz`` itself keeps): every label is HTML-like and every attribute value is one of
    ours, double-quoted, so the general-purpose quoting of ``Digraph.node`` (most of the time
    spent on a big graph) is not needed.
    """
    if rankdir not in RANKDIRS:
        raise ArgumentError(f"draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    edge_grads = [e.grad for e in g.edges] if show_grad else [None] * len(g.edges)
    scale = GradScale([v.grad for v in g.vertices.values()] + edge_grads if show_grad else ())
    graph = Graph(
        "minigrad",
        graph_attr={
            "rankdir": rankdir,
            "fontname": style.FONT,
            "fontsize": "11",
            "nodesep": "0.2",
            "ranksep": "0.3",
        },
        node_attr={"fontname": style.FONT, "fontsize": "10", "margin": "0.05,0.03"},
        edge_attr={"fontname": style.FONT, "fontsize": "8", "arrowsize": "0.6"},
    )
    names: set = set()
    subgraphs = {key: _cluster_graph(c, names) for key, c in g.clusters.items()}
    kind_attrs = {k: _attrs(_kind_attrs(k)) for k in style.KIND_STYLE}
    for v in g.vertices.values():
        target = subgraphs[v.path] if v.path else graph
        label = _label(v, scale, show_grad and not scale.empty)
        target.body.append(f"\t{v.id} [label={label} {kind_attrs[v.kind]}]\n")
    # Attach each cluster to its parent, innermost first (a subgraph is copied when attached).
    for key in sorted(subgraphs, key=len, reverse=True):
        (subgraphs[key[:-1]] if len(key) > 1 else graph).subgraph(subgraphs[key])
    slot_end = "taillabel" if g.backward else "headlabel"  # the op's end of the arrow
    for e, grad in zip(g.edges, edge_grads):
        attrs = {}
        if e.slot is not None:
            attrs.update({slot_end: e.slot}, **SLOT_LABEL)
        if grad is not None and not scale.empty:
            attrs["color"] = scale.color(grad, lightest=2)
            attrs["penwidth"] = f"{scale.penwidth(grad):.2f}"
            attrs["tooltip"] = f"gradient norm {format_norm(grad)}"
        line = f"\t{e.src} -> {e.dst} [{_attrs(attrs)}]\n" if attrs else f"\t{e.src} -> {e.dst}\n"
        graph.body.append(line)
    if legend:
        _legend(graph, g, scale)
    return graph


SLOT_LABEL = {"labeldistance": "1.4", "labelangle": "-40", "labelfontcolor": "#3465a4"}


def _attrs(attrs: dict) -> str:
    """DOT attributes, each value double-quoted (our values hold no quotes or backslashes)."""
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


def _cluster_graph(c, names: set) -> graphviz.Digraph:
    """An empty subgraph named ``cluster_<qualified name>`` (Graphviz draws ``cluster_*``
    subgraphs as boxes), labelled with the module's name and class."""
    if c.repeat > 1:
        title = f"<b>{_esc(c.qualname)} … {_esc(c.last_qualname)}  ×{c.repeat}</b>  "
    else:
        title = f"<b>{_esc(c.qualname)}</b>  " if c.qualname else ""
    label = f"<{title}<i>{_esc(c.class_name)}</i>>"
    name = "cluster_" + (c.qualname or c.class_name)
    while name in names:  # the same module called from two places
        name += "'"
    names.add(name)
    sub = graphviz.Digraph(name=name)
    sub.attr(label=label, labeljust="l", fontsize="10", **style.CLUSTER_STYLE)
    return sub


def _kind_attrs(kind: str) -> dict:
    attrs = dict(style.KIND_STYLE[kind])
    if kind == "op":
        attrs["ordering"] = "in"  # operand 0 on the left
    elif kind == "grad_fn":
        attrs["ordering"] = "out"
    return attrs


def _label(v: Vertex, scale: GradScale, show_grad: bool) -> str:
    """An HTML-like label: title, notes, shape and dtype, data summary, and a gradient cell."""
    if v.kind == "op" and v.shape is None:  # its output tensor has a vertex of its own
        return f"<{_esc(v.title)}>"
    rows = []
    if v.title:
        rows.append(f"<b>{_esc(v.title)}</b>")
    rows.extend(_esc(n) for n in v.notes)
    if v.repeat > 1:
        rows.append(f"<b>×{v.repeat}</b>")
    if v.shape is not None:
        rows.append(f"{_esc(format_shape(v.shape))} {_esc(v.dtype or '')}")
    if v.summary:
        rows.append(f'<font point-size="8">{_esc(v.summary)}</font>')
    cells = [f"<tr><td>{r}</td></tr>" for r in rows]
    if show_grad and v.grad is not None:
        cells.append(
            f'<tr><td bgcolor="{scale.color(v.grad)}"><font color="{scale.text_color(v.grad)}" '
            f'point-size="8">grad {format_norm(v.grad)}</font></td></tr>'
        )
    table = "".join(cells)
    return f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">{table}</table>>'


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _legend(graph: graphviz.Digraph, g: GraphModel, scale: GradScale) -> None:
    """A box listing the kinds of vertex present, and the gradient colour scale if any."""
    kinds = [k for k in style.KIND_STYLE if any(v.kind == k for v in g.vertices.values())]
    rows = []
    for k in kinds:
        s = style.KIND_STYLE[k]
        fill = s.get("fillcolor", "#ffffff")
        rows.append(
            f'<tr><td bgcolor="{fill}" border="1" color="{s["color"]}">  </td>'
            f'<td align="left">{_esc(style.KIND_MEANING[k])}</td></tr>'
        )
    if scale.lo is not None:
        rows.append('<tr><td colspan="2" align="left"><b>gradient norm</b> (log scale)</td></tr>')
        swatches = "".join(f'<td bgcolor="{c}" width="10"> </td>' for c in style.PALETTE)
        rows.append(
            f'<tr><td colspan="2"><table border="0" cellspacing="0" cellpadding="2"><tr>'
            f"<td>{format_norm(scale.lo)}</td>{swatches}<td>{format_norm(scale.hi)}</td>"
            f"</tr></table></td></tr>"
        )
        rows.append('<tr><td colspan="2" align="left">arrow width: gradient along it</td></tr>')
    if scale.has_zero:
        rows.append(
            f'<tr><td bgcolor="{style.ZERO_COLOR}"> </td><td align="left">zero gradient</td></tr>'
        )
    if any(e.slot is not None for e in g.edges):
        rows.append(
            f'<tr><td><font color="{SLOT_LABEL["labelfontcolor"]}">0 1</font></td>'
            f'<td align="left">operand positions</td></tr>'
        )
    table = "".join(rows)
    label = f'<<table border="0" cellspacing="2" cellpadding="2">{table}</table>>'
    graph.node("legend", label, shape="note", style="filled", fillcolor="#ffffff", color="#bbbbbb")
