"""What the explorer page knows about each tensor, op, module and attention map, as JSON-ready data.

**Arrays** travel as base64 text of little-endian float32 (the page decodes them into a
``Float32Array``), so a value shown in the page is the tensor's value rounded to float32.

**Large tensors** are cropped to their leading block (``a[:r, :c]``: the first rows of a matrix,
the first matrices of a batch), keeping the last two dimensions whole where possible, because a
heatmap of a contiguous block still means something where a random sample would not. How many
elements each array keeps is decided for the whole page at once (``element_cap``): small arrays
are kept whole and the big ones share what is left of the budget. Statistics (min, max, mean,
std, norm) and the histogram are always computed on the whole tensor, in float64.
"""

from __future__ import annotations

import base64
import inspect
import math
import re
from fnmatch import fnmatch

import numpy as np

from ...errors import ArgumentError
from ...nn import Module
from ...ops.fused import Attention as FusedAttention
from ...tensor import Tensor
from .. import flow
from ..capture import GraphModel, Vertex

HIST_BINS = 24
GRADIENT_FORMULA = re.compile(r"\bd\w+ = ")  # "dx = ...", "dV = ..." in an op's docstring
BACKWARD_START = re.compile(r" {3,}(?=d\w+ = )")  # the gap before the first one on a line
MIN_CAP = 64  # even a page over budget shows this many elements of each array


# --------------------------------------------------------------------------- arrays


def encode(array: np.ndarray) -> str:
    """An array as base64 text of its little-endian float32 values (C order)."""
    return base64.b64encode(np.ascontiguousarray(array, dtype="<f4").tobytes()).decode("ascii")


def element_cap(sizes, budget: int) -> int:
    """The largest per-array cap c such that sum(min(n, c)) over ``sizes`` fits in ``budget``
    ("water filling": arrays smaller than c are kept whole); at least ``MIN_CAP``."""
    sizes = sorted(sizes)
    if sum(sizes) <= budget:
        return max(sizes, default=MIN_CAP)
    lo, hi = MIN_CAP, max(sizes)
    while lo < hi:  # the last c whose total fits
        mid = (lo + hi + 1) // 2
        if sum(min(n, mid) for n in sizes) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def crop_shape(shape, cap: int) -> list:
    """The leading block of ``shape`` with at most ``cap`` elements: the first dimensions are
    cut first, so the last ones (a heatmap's rows and columns) stay whole as long as they fit."""
    sizes = list(shape)
    for d in range(len(sizes)):
        rest = math.prod(sizes[d + 1 :])
        sizes[d] = min(sizes[d], max(1, cap // rest))
    return sizes


def array_record(array: np.ndarray, cap: int) -> dict:
    """The cropped data of ``array``, and statistics and a histogram of all of it."""
    full = array.astype(np.float64)
    crop = crop_shape(array.shape, cap)
    block = array[tuple(slice(0, n) for n in crop)]
    return {"crop": crop, "data": encode(block), "stats": stats(full), "hist": histogram(full)}


def stats(a: np.ndarray) -> dict:
    """min, max, mean, std (population) and Euclidean norm of the finite entries; how many are
    not finite."""
    finite = a[np.isfinite(a)]
    out = {"count": int(a.size), "nonfinite": int(a.size - finite.size)}
    if finite.size:
        out.update(
            min=float(finite.min()),
            max=float(finite.max()),
            mean=float(finite.mean()),
            std=float(finite.std()),
            norm=float(np.sqrt((finite * finite).sum())),
        )
    return out


def histogram(a: np.ndarray) -> dict | None:
    """``HIST_BINS`` equal bins between the smallest and largest finite entries."""
    finite = a[np.isfinite(a)]
    if not finite.size:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    counts, _ = np.histogram(finite, bins=HIST_BINS, range=(lo, hi) if hi > lo else None)
    return {"lo": lo, "hi": hi, "counts": counts.tolist()}


# --------------------------------------------------------------------------- the graph's tensors


def to_numpy(array, backend) -> np.ndarray | None:
    return None if array is None else np.asarray(backend.to_numpy(array))


def tensor_arrays(v: Vertex) -> tuple:
    """(value, gradient) of the tensor a vertex stands for, as NumPy arrays or None.

    An op's output value is kept by the graph until backward frees it (``retain_graph=True``
    keeps it); its gradient is known when backward ran inside ``viz.record_gradients()``. A
    leaf's value is always there and its gradient is its ``.grad``.
    """
    s = v.source
    if isinstance(s, Tensor):
        backend = s._device.backend
        grad = None if s.grad is None else s.grad._data
        return to_numpy(s._data, backend), to_numpy(grad, backend)
    if s is None:
        return None, None
    return to_numpy(s.out_data, s.backend), to_numpy(flow.recorded(s).output, s.backend)


def formulas(fn) -> dict:
    """The forward and backward formulas of an op, from its docstring.

    Ops write them as ``"z = a * b.   da = dz * b,  db = dz * a"`` (forward, three spaces,
    backward; the gap before the first ``d... =`` when there are several) on the first line, or the forward on the first line and the backward in the first
    later paragraph that has a gradient formula (``dx = ...``). ``doc`` is the whole docstring.
    """
    doc = inspect.getdoc(fn) or ""
    lines = doc.splitlines()
    first = lines[0].strip() if lines else ""
    split = BACKWARD_START.search(first) or re.search(" {3,}", first)
    if split:
        forward, backward = first[: split.start()].strip(), first[split.end() :].strip()
    else:
        forward = first
        rest = "\n".join(lines[1:]).split("\n\n")
        backward = next((p for p in rest if GRADIENT_FORMULA.search(p)), "")
    return {"forward": forward, "backward": " ".join(backward.split()), "doc": doc}


def node_records(g: GraphModel, names: dict, cap: int) -> tuple[dict, dict]:
    """Two tables keyed by vertex id: ``nodes`` (what every vertex is, for the drawing and the
    details panel) and ``tensors`` (value and gradient arrays of the vertices that hold one).

    ``order`` numbers the vertices so that each comes after everything it reads: backward
    reaches them in decreasing order.
    """
    incoming: dict = {}
    for e in g.edges:
        incoming.setdefault(e.dst, []).append(e)
    # an op whose output is drawn apart (an output of the graph) takes its shape from it
    made = {e.src: g.vertices[e.dst] for e in g.edges if g.vertices[e.dst].kind == "output"}
    nodes, tensors = {}, {}
    for order, v in enumerate(g.vertices.values()):  # a topological order: inputs first
        shaped = made.get(v.id, v)
        rec = {
            "order": order,
            "kind": v.kind,
            "title": v.title,
            "module": names.get(v.path, ""),
            "shape": None if shaped.shape is None else list(shaped.shape),
            "dtype": shaped.dtype,
            "grad": shaped.grad,
        }
        if v.kind == "output" and v.id in incoming:  # drawn apart from the op that made it
            rec["made_by"] = incoming[v.id][0].src
        elif v.kind == "op":
            fn = v.source.fn
            rec["op"] = fn.__name__
            rec.update(formulas(fn))
            rec["inputs"] = [
                {"id": e.src, "slot": e.slot, "grad": e.grad}
                for e in sorted(incoming.get(v.id, []), key=lambda e: e.slot or 0)
            ]
        nodes[v.id] = rec
        value, grad = tensor_arrays(v)
        if value is not None or grad is not None:
            tensors[v.id] = {
                "value": None if value is None else array_record(value, cap),
                "grad": None if grad is None else array_record(grad, cap),
            }
    return nodes, tensors


def array_sizes(g: GraphModel) -> list:
    """The element count of every array ``node_records`` will store (for ``element_cap``)."""
    sizes = []
    for v in g.vertices.values():
        for a in tensor_arrays(v):
            if a is not None:
                sizes.append(a.size)
    return sizes


# --------------------------------------------------------------------------- attention


def attention_maps(g: GraphModel, model, names: dict, tokens, sample: int) -> list:
    """Every attention map in the graph, for the attention view.

    Two kinds are found: fused ``scaled_dot_product_attention`` ops (``P = softmax(Q K^T * scale
    + mask)``, ``y = P V``), whose weights the op saves for its backward pass (kept after it by
    ``retain_graph=True``), and the weights a module keeps in ``module.attention``
    (``MultiHeadAttention(store_attention=True)``). The gradient of the loss with respect to the weights is ``dP = dy V^T`` for the fused op and the
    recorded gradient of the weights tensor otherwise.
    """
    maps = []
    kept = _kept_attention(model)
    for v in g.vertices.values():
        node = v.source
        if not (v.kind == "op" and node is not None and not isinstance(node, Tensor)):
            continue
        name = names.get(v.path, "") or v.title
        if node.fn is FusedAttention and node.to_save:  # saved (q, k, v, weights), and ctx.mask
            weights = to_numpy(node.to_save[-1], node.backend)
            mask = node.mask
            dy = to_numpy(flow.recorded(node).output, node.backend)
            v_t = np.swapaxes(to_numpy(node.inputs[2]._data, node.backend), -1, -2)
            grad = None if dy is None else dy @ v_t  # dP = dy V^T
            masked = None if mask is None else _masked_cells(to_numpy(mask, node.backend))
            maps.append(_attention_record(name, v.id, weights, grad, masked, tokens, sample))
        elif node in kept:
            weights = to_numpy(node.out_data, node.backend)
            if weights is None:
                continue
            grad = to_numpy(flow.recorded(node).output, node.backend)
            if grad is None and kept[node].grad is not None:
                grad = to_numpy(kept[node].grad._data, node.backend)
            masked = _masked_upstream(node, weights.shape)
            maps.append(_attention_record(name, v.id, weights, grad, masked, tokens, sample))
    if isinstance(model, Module):  # in the model's order (encoder before decoder), not the graph's
        rank = {name: i for i, (name, _) in enumerate(model.named_modules())}
        maps.sort(key=lambda m: rank.get(m["name"], len(rank)))
    return maps


def _kept_attention(model) -> dict:
    """Node -> weights tensor, for every module of ``model`` that kept its attention weights."""
    if not isinstance(model, Module):
        return {}
    found = {}
    for m in model.modules():
        t = getattr(m, "attention", None)
        if isinstance(t, Tensor) and t.grad_fn is not None:
            found[t.grad_fn] = t
    return found


def _masked_cells(mask: np.ndarray) -> np.ndarray:
    """True where a mask forbids attending: False in a boolean mask, -inf in an additive one."""
    return ~mask if mask.dtype == bool else np.isneginf(mask)


def _masked_upstream(node, shape, steps: int = 8) -> np.ndarray | None:
    """The masked cells of weights computed op by op: where the scores a few ops back (the
    ``masked_fill(~mask, -inf)`` before the softmax) are -inf. None if no such scores are kept."""
    frontier, seen = [node], set()
    for _ in range(steps):
        nxt = []
        for n in frontier:
            for child in n.next_functions:
                if child is None or child in seen:
                    continue
                seen.add(child)
                out = to_numpy(child.out_data, child.backend)
                if out is not None and out.shape == shape and np.isneginf(out).any():
                    return np.isneginf(out)
                nxt.append(child)
        frontier = nxt
    return None


def _attention_record(name, vertex_id, weights, grad, masked, tokens, sample) -> dict:
    """One attention module's maps for batch element ``sample``: weights, gradient and masked
    cells as (heads, queries, keys) arrays, with the tokens on each side."""

    w = _as_bhls(weights)
    if sample >= w.shape[0]:
        raise ArgumentError(
            f"explore: sample {sample} is out of range for {name}'s batch of {w.shape[0]}"
        )
    b = sample
    H, L, S = w.shape[1:]
    record = {
        "name": name,
        "node": vertex_id,
        "heads": H,
        "queries": _labels(tokens, name, L, 0),
        "keys": _labels(tokens, name, S, 1),
        "sample": b,
        "weights": encode(w[b]),
        "grad": None if grad is None else encode(_as_bhls(grad)[b]),
        "masked": None,
    }
    if masked is not None:
        m = np.broadcast_to(_as_bhls(masked), (w.shape[0], H, L, S))[b]
        record["masked"] = encode(m)
    return record


def _as_bhls(a: np.ndarray) -> np.ndarray:
    """Attention-shaped data as (batch, heads, queries, keys): (L, S) and (B, L, S) get the
    missing dimensions, more than two leading dimensions are flattened into the heads."""
    a = np.asarray(a)
    if a.ndim == 2:
        return a[None, None]
    if a.ndim == 3:
        return a[:, None]
    return a.reshape(a.shape[0], -1, *a.shape[-2:])


def _labels(tokens, name: str, n: int, side: int) -> list:
    """The labels of the queries (side 0) or keys (side 1) of the attention called ``name``.

    ``tokens`` is a list of labels (every attention, both sides), or a dict from module-name
    patterns to such a list or a (queries, keys) pair; the last pattern that matches wins
    (``fnmatch`` on the name, or a prefix of it: ``"encoder"`` matches
    ``"encoder.layers.0.self_attn"``). Positions are numbered where no label fits.
    """
    chosen = tokens
    if isinstance(tokens, dict):
        chosen = None
        for pattern, labels in tokens.items():
            if fnmatch(name, pattern) or name.startswith(pattern + "."):
                chosen = labels
    if isinstance(chosen, tuple):
        chosen = chosen[side]
    if chosen is None:
        return [str(i) for i in range(n)]
    if len(chosen) != n:
        raise ArgumentError(
            f"explore: {name} has {n} {('queries', 'keys')[side]}, but the tokens given for it "
            f"have {len(chosen)} labels"
        )
    return [str(t) for t in chosen]
