"""Model code written for PyTorch, run on minigrad by changing only its import lines.

``gpt_torch_style.py`` is a nanoGPT-style GPT written as PyTorch code usually is.
``load(framework)`` executes it as a fresh module; for ``"torch"`` its three import lines are
swapped for PyTorch's, which is the whole point: the same source runs on both.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

SOURCE = Path(__file__).with_name("gpt_torch_style.py")

IMPORTS = {
    "minigrad": (
        "import minigrad as torch\n"
        "import minigrad.nn as nn\n"
        "from minigrad.nn import functional as F\n"
    ),
    "torch": "import torch\nimport torch.nn as nn\nfrom torch.nn import functional as F\n",
}


def load(framework: str = "minigrad") -> types.ModuleType:
    """The GPT module's namespace (``GPT``, ``GPTConfig``, ...) built on ``framework``."""
    source = SOURCE.read_text()
    assert source.count(IMPORTS["minigrad"]) == 1, "the model file's import block changed"
    module = types.ModuleType(f"gpt_torch_style_{framework}")
    module.__file__ = str(SOURCE)
    sys.modules[module.__name__] = module  # dataclasses look the module up there
    code = compile(source.replace(IMPORTS["minigrad"], IMPORTS[framework]), str(SOURCE), "exec")
    exec(code, module.__dict__)
    return module
