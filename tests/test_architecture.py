"""The package's import structure, read from the source (so it cannot go stale).

Imports run one way: each part of minigrad imports only the parts below it (see the layer list,
drawn in docs/design.md), so the import graph has no cycle. No import is placed inside a
function to dodge a cycle (only optional third-party libraries are imported late), and no module
patches a global of another module after import.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("minigrad", "transformer")

# The layers, lowest first. A unit (a top-level module or subpackage) may import units of lower
# layers only. A new module must be placed here.
LAYERS = [
    {"minigrad.errors", "minigrad.size", "minigrad.amp"},
    {"minigrad.dtypes"},
    {"minigrad.backend"},
    {"minigrad.autograd", "minigrad.backends", "minigrad.cuda", "minigrad.generator"},
    {"minigrad.ops", "minigrad.printing"},
    {"minigrad.tensor_api"},
    {"minigrad.tensor"},
    {"minigrad.creation", "minigrad.functions", "minigrad.linalg"},
    {"minigrad.nn"},
    {
        "minigrad.optim",
        "minigrad.serialization",
        "minigrad.safetensors",
        "minigrad.utils",
        "minigrad.distributions",
    },
    {"minigrad"},  # the package's front door, minigrad/__init__.py
    {"transformer"},
    {"minigrad.viz"},  # draws minigrad and transformer models
]


def _modules() -> dict[str, Path]:
    """Every module of the shipped packages, by dotted name (a package by its own name)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path):
    """(imported module, ast node) for each import of a minigrad or transformer module."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from pkg import sub`` imports the submodule pkg.sub
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
            targets = subs or [base]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                yield target, node


def _unit(module: str) -> str:
    """The layer unit a module belongs to: its top-level module or subpackage of minigrad."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "minigrad" and len(parts) > 1 else parts[0]


def _rank(unit: str) -> int:
    for i, layer in enumerate(LAYERS):
        if unit in layer:
            return i
    raise AssertionError(f"{unit} is in no layer: place it in tests/test_architecture.py LAYERS")


def test_every_unit_has_a_layer():
    for module in MODULES:
        _rank(_unit(module))


def test_imports_only_go_down_the_layers():
    upward = []
    for name, path in MODULES.items():
        unit = _unit(name)
        for target, node in _imports(name, path):
            other = _unit(target)
            if other != unit and _rank(other) >= _rank(unit):
                upward.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {target}")
    assert not upward, "imports that go up (or sideways) the layers:\n" + "\n".join(upward)


def test_the_module_import_graph_is_acyclic():
    graph = defaultdict(set)
    for name, path in MODULES.items():
        for target, _ in _imports(name, path):
            if target in MODULES and target != name:
                graph[name].add(target)
    state, cycle = {}, []

    def visit(m, stack):
        state[m] = "open"
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                cycle.extend(stack[stack.index(n) :] + [n])
                return True
            if n not in state and visit(n, stack + [n]):
                return True
        state[m] = "done"
        return False

    for m in sorted(MODULES):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, "import cycle: " + " -> ".join(cycle)


def test_no_import_of_the_project_inside_a_function():
    late = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(), str(path))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = ast.Module(body=fn.body, type_ignores=[])
                for node in ast.walk(body):
                    relative = isinstance(node, ast.ImportFrom) and node.level
                    if relative or _imports_project(node):
                        late.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not late, "imports of minigrad/transformer inside functions:\n" + "\n".join(
        sorted(set(late))
    )


def _imports_project(node) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] in PACKAGES for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in PACKAGES
    return False


def test_no_module_patches_another_modules_globals():
    patched = []
    for path in MODULES.values():
        tree = ast.parse(path.read_text(), str(path))
        imported = set()
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            for t in targets:
                if (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id in imported
                    and t.value.id[:1].islower()  # a module, not a class
                ):
                    patched.append(f"{path.relative_to(ROOT)}:{node.lineno} sets {ast.unparse(t)}")
    assert not patched, "module globals set from outside:\n" + "\n".join(patched)
