"""How each kind of vertex looks, and the log-scale colour map for gradient norms.

Kinds (see ``capture.Vertex``): ``input``, ``param``, ``const``, ``output``, ``tensor`` (an
intermediate value), ``op`` (a forward op), ``grad_fn`` (a backward function) and ``module`` (a
collapsed module). Colours follow torchviz where it has one (parameters light blue, outputs
green) so its users feel at home.
"""

from __future__ import annotations

import math

from .. import errors

FONT = "Helvetica"

# Graphviz node attributes per kind.
KIND_STYLE = {
    "input": {"shape": "box", "style": "filled,rounded", "fillcolor": "#fff2cc", "color": "#b5912b"},
    "param": {"shape": "box", "style": "filled,rounded", "fillcolor": "#dae8fc", "color": "#6c8ebf"},
    "const": {"shape": "box", "style": "dashed,rounded", "color": "#999999", "fontcolor": "#555555"},
    "output": {"shape": "box", "style": "filled,rounded,bold", "fillcolor": "#d5e8d4", "color": "#4d8a3a"},
    "tensor": {"shape": "box", "style": "rounded", "color": "#888888"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#e8e8e8", "color": "#666666"},
    "grad_fn": {"shape": "box", "style": "filled", "fillcolor": "#e8e8e8", "color": "#666666"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#e1d5e7", "color": "#9673a6"},
}  # fmt: skip

# What the legend says about each kind.
KIND_MEANING = {
    "input": "input",
    "param": "parameter",
    "const": "constant",
    "output": "output",
    "tensor": "intermediate tensor",
    "op": "op",
    "grad_fn": "backward function",
    "module": "collapsed module",
}

CLUSTER_STYLE = {"style": "rounded,filled", "color": "#b0b0b0", "fillcolor": "#fafafa"}

# Gradient norms, small to large: light to dark (ColorBrewer's "Oranges").
PALETTE = ("#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#a63603", "#7f2704")
ZERO_COLOR = "#c8c8c8"  # a gradient that is exactly zero: nothing flows
MIN_PENWIDTH, MAX_PENWIDTH = 0.7, 4.0


class GradScale:
    """Maps gradient norms to a colour and a pen width on a log10 scale.

    With ``lo`` and ``hi`` the smallest and largest non-zero norms in the graph, a norm g sits at
    ``t = (log10 g - log10 lo) / (log10 hi - log10 lo)`` in [0, 1]; ``t`` picks the colour (light
    to dark) and the edge width (thin to thick). A zero norm is grey and thinnest.
    """

    def __init__(self, norms):
        known = [g for g in norms if g is not None]
        positive = [g for g in known if g > 0.0 and math.isfinite(g)]
        self.lo = min(positive) if positive else None
        self.hi = max(positive) if positive else None
        self.has_zero = any(g == 0.0 for g in known)
        self.empty = not known  # no gradient known anywhere: nothing to colour

    def position(self, g: float) -> float:
        """Where g sits between the smallest (0) and largest (1) norm, on a log scale."""
        if not math.isfinite(g):  # inf or nan: as alarming as the largest
            return 1.0
        span = math.log10(self.hi) - math.log10(self.lo)
        if span == 0.0:
            return 1.0
        return min(1.0, max(0.0, (math.log10(g) - math.log10(self.lo)) / span))

    def color(self, g: float, lightest: int = 0) -> str:
        """The palette colour of ``g``; ``lightest`` skips the palest colours (edges use 2, as
        a thin pale line on white would vanish)."""
        if g == 0.0:
            return ZERO_COLOR
        return PALETTE[lightest + round(self.position(g) * (len(PALETTE) - 1 - lightest))]

    def penwidth(self, g: float) -> float:
        if g == 0.0:
            return MIN_PENWIDTH
        return MIN_PENWIDTH + (MAX_PENWIDTH - MIN_PENWIDTH) * self.position(g)

    def text_color(self, g: float) -> str:
        """Black on the light half of the palette, white on the dark half."""
        return "#ffffff" if g != 0.0 and self.position(g) > 0.55 else "#000000"


def format_norm(g: float) -> str:
    """A gradient norm in three significant digits: ``0.0123``, ``4.56e-07``."""
    return f"{g:.3g}"


def format_shape(shape) -> str:
    """A shape as PyTorch prints a ``torch.Size``: ``[2, 3]``; a 0-d tensor as ``scalar``."""
    return errors.format_shape(shape) if shape else "scalar"
