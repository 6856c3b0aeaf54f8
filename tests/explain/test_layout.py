"""The explain package's layering: one concept a module, no cycle, the computation in one place.

Only ``numbers`` imports the computation (backprop, network, gradcheck, optimizers); the
renderers see blocks only (no numbers, no sections); no module takes another's private names.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

PACKAGE = Path(importlib.import_module("deltaprop.explain").__file__).parent  # dp.explain is the function
COMPUTATION = {"backprop", "network", "gradcheck", "optimizers"}
RENDERERS = {"render_text", "render_markdown", "render_html"}


def imports() -> dict[str, list[tuple[str, list[str]]]]:
    """Per module of the package: (the deltaprop module imported, the names taken from it), every import at any depth."""
    out = {}
    for path in sorted(PACKAGE.glob("*.py")):
        found = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = "deltaprop.explain" if node.level == 1 else "deltaprop"
                found.append((f"{base}.{node.module}" if node.module else base, [a.name for a in node.names]))
            elif isinstance(node, ast.ImportFrom) and node.module.startswith("deltaprop"):
                found.append((node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(a.name, []) for a in node.names if a.name.startswith("deltaprop")]
        out[path.stem] = found
    return out


def test_only_numbers_imports_the_computation():
    for module, found in imports().items():
        reached = {name.rsplit(".", 1)[-1] for name, _ in found if not name.startswith("deltaprop.explain")}
        assert reached <= (COMPUTATION if module == "numbers" else set()), module


def test_the_renderers_see_blocks_only():
    for module in RENDERERS:
        inside = {name.rsplit(".", 1)[-1] for name, _ in imports()[module]}
        assert inside <= {"blocks", "formula", "prose", "render_text"}, module


def test_no_module_takes_another_modules_private_names():
    for module, found in imports().items():
        taken = [name for _, names in found for name in names if name.startswith("_")]
        assert taken == [], module


def test_no_import_cycle_in_the_package():
    graph = {m: {n.rsplit(".", 1)[-1] for n, _ in found if n.startswith("deltaprop.explain.")} for m, found in imports().items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo += graph.get(m, ())
        return seen

    assert [m for m in graph if m in reach(m)] == []
