"""``python -m minigrad.viz --out DIR``: render the gallery of graphs into DIR (svg and png)."""

from __future__ import annotations

import argparse
import sys

from .gallery import GALLERY, render_gallery
from .render import GraphvizNotFound, require_graphviz


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minigrad.viz", description="Render minigrad's gallery of graphs."
    )
    parser.add_argument("--out", required=True, help="folder to write the pictures into")
    parser.add_argument(
        "--format", action="append", help="svg, png, pdf... (repeatable; default: svg and png)"
    )
    parser.add_argument(
        "names", nargs="*", help=f"entries to render (default: all of {list(GALLERY)})"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in GALLERY]
    if unknown:
        parser.error(f"unknown gallery entries {unknown}; choose from {list(GALLERY)}")
    try:
        require_graphviz()
    except GraphvizNotFound as e:
        print(e, file=sys.stderr)
        return 1
    for path in render_gallery(args.out, tuple(args.format or ("svg", "png")), args.names):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
