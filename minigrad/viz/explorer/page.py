"""Assembling the explorer's data into one self-contained HTML file.

The page is ``static/template.html`` with the stylesheet, the script and the data written into
it: no file beside it, no server, no network. The data is a JSON document in a
``<script type="application/json">`` element (``</`` is escaped so that no string in it can
close the element early).
"""

from __future__ import annotations

import html
import json
from importlib import resources

STATIC = resources.files(__package__) / "static"


def read_static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def to_json(data: dict) -> str:
    """JSON for inlining in a ``<script>`` element (no NaN: those become null)."""
    text = json.dumps(_finite(data), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("</", "<\\/")


def _finite(x):
    """``x`` with every non-finite float replaced by None (JSON has no NaN or infinity)."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def render(data: dict, title: str) -> str:
    """The whole page as HTML text."""
    page = read_static("template.html")
    parts = {
        "{{title}}": html.escape(title),
        "{{style}}": read_static("explorer.css"),
        "{{script}}": read_static("explorer.js"),
        "{{data}}": to_json(data),
    }
    for marker, text in parts.items():
        page = page.replace(marker, text, 1)
    return page


def iframe(page: str, height: int = 760) -> str:
    """The page inside an ``<iframe srcdoc>``, for Jupyter: its script and style stay apart from
    the notebook's."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;height:{height}px;'
        f'border:1px solid #ddd" sandbox="allow-scripts"></iframe>'
    )
