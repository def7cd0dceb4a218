"""Walking the recorded graph into a plain data model: vertices, edges and module clusters.

The engine's graph is made of ``Node`` objects that point to their input tensors; a node never
points to its output. So, walking back from the outputs:

- every op is a ``Node``, and its output tensor is represented by the node too (its shape and
  dtype are ``node.out_meta``, kept even after backward has freed the node's arrays);
- every leaf (an input, a parameter, a constant) is a Tensor found in some ``node.inputs``;
- ``node.scope`` is the chain of modules whose ``forward`` was running when the op was
  recorded, outermost first: it places the op in nested module clusters.

The walk is an explicit stack (no recursion), so a chain of any length can be drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dtypes import from_numpy
from ..errors import ArgumentError
from ..nn.parameter import Parameter
from ..tensor import Tensor
from . import flow


@dataclass(eq=False)
class Vertex:
    """One box, ellipse or module node of the drawing.

    ``kind`` is one of ``input``, ``param``, ``const``, ``output``, ``tensor`` (intermediate),
    ``op``, ``grad_fn`` or ``module`` (see ``style.KIND_STYLE``). ``path`` is the key of the
    cluster the vertex is drawn in (``()`` for the top level). ``grad`` is the norm of the
    gradient of the tensor it stands for (None when unknown). ``notes`` are extra label lines.
    """

    id: str
    kind: str
    title: str
    shape: tuple | None = None
    dtype: str | None = None
    path: tuple = ()
    grad: float | None = None
    summary: str | None = None
    notes: list = field(default_factory=list)
    represents: tuple | None = None  # a collapsed module: the key of the cluster it replaces
    module: object = None  # a collapsed module: the module object
    repeat: int = 1  # "x N" when identical module calls were folded into this one
    source: object = None  # the Node (op, or op output) or leaf Tensor it stands for


@dataclass(eq=False)
class Edge:
    """An arrow. ``slot`` is the operand position it feeds (shown when an op has several).

    ``carries`` is the id of the tensor vertex whose value (forward) or gradient (backward)
    travels along the edge; ``grads`` are the recorded gradient arrays of that tensor along this
    edge (several when edges were merged), summed before taking the norm.
    """

    src: str
    dst: str
    slot: int | None
    carries: str
    shape: tuple
    grads: list = field(default_factory=list)

    @property
    def grad(self) -> float | None:
        return flow.norm(self.grads)


@dataclass(eq=False)
class Cluster:
    """A module's call, drawn as a ``cluster_`` subgraph. ``key`` is the chain of module ids
    from the outermost module down to this one; ``qualname`` is the module's name as
    ``model.named_modules()`` gives it (``"h.0.attn"``; ``""`` for the model itself)."""

    key: tuple
    module: object
    qualname: str
    repeat: int = 1  # folded: this cluster stands for itself and repeat - 1 identical siblings
    last_qualname: str | None = None  # folded: the name of the last sibling it stands for

    @property
    def class_name(self) -> str:
        return type(self.module).__name__

    @property
    def parent(self) -> tuple:
        """The key of the calling module's cluster (``()``: the top level)."""
        return self.key[:-1]


@dataclass(eq=False)
class GraphModel:
    """What ``draw`` renders: vertices (in drawing order), edges and clusters."""

    vertices: dict = field(default_factory=dict)  # id -> Vertex
    edges: list = field(default_factory=list)
    clusters: dict = field(default_factory=dict)  # key -> Cluster
    backward: bool = False

    def add(self, vertex: Vertex) -> Vertex:
        self.vertices[vertex.id] = vertex
        return vertex

    def count(self, kind: str) -> int:
        return sum(1 for v in self.vertices.values() if v.kind == kind)


def topological_order(roots) -> list:
    """The nodes reachable from ``roots`` (Nodes), each after all the nodes it reads from.

    Iterative depth-first search: a stack of (node, next input to visit).
    """
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, 0)]
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.next_functions[i]  # the input's grad_fn when the op ran
                if child is not None and child not in seen:
                    seen.add(child)
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


class _Names:
    """Qualified names of modules and of their parameters and buffers.

    From ``model.named_modules()`` / ``named_parameters()`` / ``named_buffers()`` when a model is
    given, otherwise from the outermost module of each op's scope, so that ``draw(loss)`` names
    things even without ``model=``.
    """

    def __init__(self, model, nodes):
        roots = [model] if model is not None else _outermost_modules(nodes)
        self.modules: dict = {}  # id(module) -> qualified name
        self.tensors: dict = {}  # id(tensor) -> (qualified name, "param" | "const")
        self.buffer_arrays: dict = {}  # id(a buffer's array) -> the buffer's qualified name
        for root in roots:
            for name, m in root.named_modules():
                self.modules.setdefault(id(m), name)
            for name, p in root.named_parameters():
                self.tensors.setdefault(id(p), (name, "param"))
            for name, b in root.named_buffers():
                self.tensors.setdefault(id(b), (name, "const"))
                self.buffer_arrays.setdefault(id(b._data), name)

    def buffer_of(self, t: Tensor) -> str | None:
        """The name of the buffer that ``t`` is a slice of (``self.pe[:T]``), if any: such a
        slice needs no gradient, so no op was recorded and it looks like a new leaf."""
        base = getattr(t._data, "base", None)
        return None if base is None else self.buffer_arrays.get(id(base))

    def module(self, m) -> str:
        """The module's qualified name; its class name if it is not part of the model."""
        return self.modules.get(id(m), type(m).__name__)


def _outermost_modules(nodes) -> list:
    roots, seen = [], set()
    for node in nodes:
        if node.scope and id(node.scope[0]) not in seen:
            seen.add(id(node.scope[0]))
            roots.append(node.scope[0])
    return roots


class _Builder:
    """Shared by the forward and backward captures: leaves, clusters, names, gradients."""

    def __init__(self, outputs, model, nodes, backward: bool, show_data: bool):
        self.g = GraphModel(backward=backward)
        self.names = _Names(model, nodes)
        self.show_data = show_data
        self.index = {node: i for i, node in enumerate(nodes)}
        self.outputs = {t.grad_fn: t for t in outputs if t.grad_fn is not None}
        self.leaves: dict = {}  # id(tensor) -> Vertex
        self.leaf_consumers: dict = {}  # leaf vertex id -> cluster keys of the ops using it

    def path(self, scope) -> tuple:
        """The cluster key of an op recorded inside ``scope``; registers the clusters on it."""
        key = tuple(id(m) for m in scope)
        for depth in range(1, len(key) + 1):
            if key[:depth] not in self.g.clusters:
                m = scope[depth - 1]
                self.g.clusters[key[:depth]] = Cluster(key[:depth], m, self.names.module(m))
        return key

    def leaf(self, t: Tensor, consumer_path: tuple) -> Vertex:
        """The vertex of leaf tensor ``t``, created on first sight."""
        v = self.leaves.get(id(t))
        if v is None:
            name, kind = self.names.tensors.get(id(t), (t.name, None))
            buffer = None if kind else self.names.buffer_of(t)
            kind = kind or ("const" if buffer else _leaf_kind(t))
            if name is None:
                name = _scalar_text(t) if kind == "const" and t.numel() == 1 else kind
            v = self.g.add(
                Vertex(
                    f"l{len(self.leaves)}",
                    kind,
                    name,
                    shape=tuple(t.shape),
                    dtype=t.dtype.name,
                    grad=_grad_norm(t),
                    summary=self.summary(t._data),
                    notes=[f"rows of buffer {buffer}"] if buffer else [],
                    source=t,
                )
            )
            self.leaves[id(t)] = v
            self.leaf_consumers[v.id] = []
        self.leaf_consumers[v.id].append(consumer_path)
        return v

    def is_scalar_constant(self, t: Tensor) -> bool:
        """A one-element leaf that needs no gradient and has no name (the 0.5 of ``x * 0.5``):
        written into the op's label, ``Mul(·, 0.5)``, instead of getting a vertex."""
        return (
            t.grad_fn is None
            and not t.requires_grad
            and t.numel() == 1
            and t.name is None
            and id(t) not in self.names.tensors
        )

    def place_leaves(self) -> None:
        """Inputs go to the top level; parameters and constants into the innermost cluster
        that holds every op using them (a tied weight lands where both uses meet)."""
        for v in self.leaves.values():
            if v.kind in ("param", "const"):
                v.path = _common_prefix(self.leaf_consumers[v.id])

    def tensor_grad(self, node, rec: flow.NodeFlow) -> float | None:
        """Norm of the gradient of ``node``'s output: recorded, or ``.grad`` of an output."""
        g = flow.norm([rec.output])
        if g is None and node in self.outputs:
            g = _grad_norm(self.outputs[node])
        return g

    def name_tensor(self, vertex_id: str, name) -> None:
        """Title an intermediate tensor's vertex with the ``.name`` its tensor was given."""
        v = self.g.vertices[vertex_id]
        if name and not v.title:
            v.title = name

    def summary(self, array) -> str | None:
        return _summary(array) if self.show_data and array is not None else None

    def output_title(self, node) -> str:
        t = self.outputs.get(node)
        return (t.name if t is not None else None) or "output"


def capture(*outputs, model=None, backward: bool = False, show_data: bool = False) -> GraphModel:
    """Walk the graph that produced ``outputs`` into a ``GraphModel`` (nothing is collapsed).

    ``backward=False``: the forward graph, one vertex per op and one per tensor. ``backward=True``:
    the functions backward runs, from the outputs down to the leaves that receive ``.grad``.
    """
    if not outputs:
        raise ArgumentError("draw: expected at least one tensor to draw, got none")
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise ArgumentError(f"draw: output {i} must be a Tensor, got {type(t).__name__}")
    nodes = topological_order([t.grad_fn for t in outputs if t.grad_fn is not None])
    b = _Builder(outputs, model, nodes, backward, show_data)
    if backward:
        _capture_backward(b, nodes)
    else:
        _capture_forward(b, outputs, nodes)
    b.place_leaves()
    return b.g


def _capture_forward(b: _Builder, outputs, nodes) -> None:
    g = b.g
    for t in outputs:
        if t.grad_fn is None:
            b.leaf(t, ())
    for i, node in enumerate(nodes):
        path = b.path(node.scope)
        rec = flow.recorded(node)
        multi = len(node.inputs) > 1
        operands = []  # how the op's label shows each operand: "·", or a scalar constant
        for slot, child in enumerate(node.next_functions):
            if child is not None:  # an op's output (its tensor may be freed: use the op's meta)
                src, shape = f"t{b.index[child]}", tuple(child.out_meta[0])
                b.name_tensor(src, _input_name(node, slot, rec))
            else:
                t = node.inputs[slot]
                if b.is_scalar_constant(t):
                    operands.append(_scalar_text(t))
                    continue
                src, shape = b.leaf(t, path).id, t.shape
            operands.append("·")
            gradient = [rec.input(slot)]
            g.edges.append(Edge(src, f"op{i}", slot if multi else None, src, shape, gradient))
        title = node.fn.__name__
        if "·" in operands and len(operands) > operands.count("·"):
            title += "(" + ", ".join(operands) + ")"
        g.add(Vertex(f"op{i}", "op", title, path=path, source=node))
        shape, dtype = node.out_meta
        g.add(
            Vertex(
                f"t{i}",
                "output" if node in b.outputs else "tensor",
                b.output_title(node) if node in b.outputs else "",
                shape=tuple(shape),
                dtype=_dtype_name(dtype),
                path=path,
                grad=b.tensor_grad(node, rec),
                summary=b.summary(node.out_data),
                source=node,
            )
        )
        g.edges.append(Edge(f"op{i}", f"t{i}", None, f"t{i}", tuple(shape), [rec.output]))


def _capture_backward(b: _Builder, nodes) -> None:
    """Backward functions in the order backward runs them: outputs first, leaves last."""
    g = b.g
    for node, t in b.outputs.items():
        i = b.index[node]
        title = b.output_title(node)
        v = g.add(Vertex(f"o{i}", "output", title, tuple(t.shape), t.dtype.name))
        rec = flow.recorded(node)
        v.grad = b.tensor_grad(node, rec)
        g.edges.append(Edge(v.id, f"g{i}", None, f"g{i}", tuple(t.shape), [rec.output]))
    for i in reversed(range(len(nodes))):
        node = nodes[i]
        path = b.path(node.scope)
        rec = flow.recorded(node)
        shape, dtype = node.out_meta
        g.add(
            Vertex(
                f"g{i}",
                "grad_fn",
                node.name,
                shape=tuple(shape),
                dtype=_dtype_name(dtype),
                path=path,
                grad=flow.norm([rec.output]),
            )
        )
        multi = len(node.inputs) > 1
        for slot, t in enumerate(node.inputs):
            child = node.next_functions[slot]
            if child is None and not t.requires_grad:
                continue  # backward sends nothing there
            if child is None:
                leaf = b.leaf(t, path)
                leaf.notes = ["AccumulateGrad"]
                dst, shape = leaf.id, tuple(t.shape)
            else:
                dst, shape = f"g{b.index[child]}", tuple(child.out_meta[0])
            g.edges.append(
                Edge(f"g{i}", dst, slot if multi else None, dst, shape, [rec.input(slot)])
            )


def _input_name(node, slot: int, rec: flow.NodeFlow):
    """The ``.name`` of ``node``'s input ``slot``: from the tensor while the graph holds it, else
    as a recorded backward pass saw it (backward frees the inputs that ops computed)."""
    t = node.inputs[slot]
    return t.name if t is not None else rec.name(slot)


def _leaf_kind(t: Tensor) -> str:
    """A Parameter is a parameter. A boolean mask or an unnamed scalar that needs no gradient is
    a constant (attention builds a causal mask, ``x * 0.5`` wraps 0.5 in a tensor). The rest,
    named scalars included (micrograd's x1 and x2), are inputs."""
    if isinstance(t, Parameter):
        return "param"
    if not t.requires_grad and (t.dtype.name == "bool" or (t.numel() == 1 and t.name is None)):
        return "const"
    return "input"


def _common_prefix(paths) -> tuple:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        for j in range(n):
            if p[j] != first[j]:
                n = j
                break
    return first[:n]


def _grad_norm(t: Tensor) -> float | None:
    return None if t.grad is None else flow.norm([t.grad._data])


def _dtype_name(np_dtype) -> str:
    return from_numpy(np_dtype).name


def _scalar_text(t: Tensor) -> str:
    return f"{t._data.reshape(-1)[0].item():.4g}"


def _summary(array) -> str:
    """``min / mean / max`` of an array (the value itself for a single element)."""
    if array.size == 0:
        return "empty"
    if array.size == 1:
        return f"value {array.reshape(-1)[0].item():.4g}"
    a = array.astype("float64")
    lo, mean, hi = float(a.min()), float(a.mean()), float(a.max())
    return f"min {lo:.3g}  mean {mean:.3g}  max {hi:.3g}"
