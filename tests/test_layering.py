"""The package's layers, read from its imports: the core imports nothing above it, no module
imports in a circle, and no module takes another's private names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import deltaprop

ROOT = Path(deltaprop.__file__).parent
#: The four equations and what they are made of (and the input scaling a network applies); with the argument checks they use.
CORE = {"deltaprop.activations", "deltaprop.costs", "deltaprop.penalty", "deltaprop.scaling", "deltaprop.backprop", "deltaprop.network"}
BELOW_CORE = {"deltaprop.validation"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def imports(name: str) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import in ``name``'s source, at any
    depth (inside functions and ``if TYPE_CHECKING:`` too), relative ones resolved."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.startswith("deltaprop")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if not target.startswith("deltaprop"):
                continue
            names = [alias.name for alias in node.names if f"{target}.{alias.name}" not in MODULES]
            found += [(f"{target}.{a.name}", []) for a in node.names if f"{target}.{a.name}" in MODULES]
            found += [(target, names)] if names else []
    return found


GRAPH = {name: sorted({target for target, _ in imports(name) if target in MODULES and target != name}) for name in MODULES}


def test_the_graph_is_read_from_real_imports():
    """The test would catch nothing if it read no edges."""
    assert "deltaprop.backprop" in GRAPH["deltaprop.network"]
    assert "deltaprop.training.trainer" in GRAPH["deltaprop.training.callbacks"]
    assert len(MODULES) > 40


@pytest.mark.parametrize("name", sorted(CORE | BELOW_CORE))
def test_the_core_imports_nothing_above_it(name):
    allowed = CORE | BELOW_CORE if name in CORE else set()
    assert set(GRAPH[name]) <= allowed, f"{name} imports {sorted(set(GRAPH[name]) - allowed)}"


def test_no_module_imports_in_a_circle():
    """Every import cycle, found by a depth-first search over the module graph."""
    cycles, state = [], {}

    def visit(name, path):
        state[name] = "open"
        for target in GRAPH[name]:
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in GRAPH:
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_module_takes_another_modules_private_names():
    taken = [
        (name, target, n)
        for name in MODULES
        for target, names in imports(name)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert taken == []


def test_the_data_set_loaders_are_imported_on_first_use():
    import subprocess
    import sys

    code = "import sys, deltaprop as dp; a = 'deltaprop.datasets' in sys.modules; dp.datasets.load; print(a, 'deltaprop.datasets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
