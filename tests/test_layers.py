"""The layers of pyrules (docs/architecture.md): a module imports only from its own layer
or the layers below it, and no modules import each other in a circle. Read from the
source with ``ast`` (imports inside functions count too), so a cycle cannot come back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pyrules"

# Bottom up. The KB's text and self-description (engine/kb.py) and exact arithmetic are
# read by every layer, so they sit with the errors at the ground; the engine runs clingo
# on the input's facts and returns a Determination, so it stands above inputs and output.
BASE = {"pyrules.errors", "pyrules.engine.kb", "pyrules.engine.arithmetic"}
LAYERS = ["base", "inputs", "output", "engine", "modes", "interfaces"]


def layer(module: str) -> str:
    if module in BASE:
        return "base"
    if module == "pyrules" or module == "pyrules.cli" or module.startswith("pyrules.web"):
        return "interfaces"
    for name in ("inputs", "output", "engine", "modes"):
        if module == f"pyrules.{name}" or module.startswith(f"pyrules.{name}."):
            return name
    raise AssertionError(f"{module} is in no layer: place it in tests/test_layers.py and docs/architecture.md")


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_of(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(module: str) -> list[tuple[str, int]]:
    """(imported pyrules module, line) for every import in the module, at any depth."""
    return imports_in(MODULES[module].read_text(encoding="utf-8"))


def imports_in(source: str) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "pyrules"]
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] == "pyrules"
        ):
            for a in node.names:  # "from pyrules.engine import kb" imports the module kb
                sub = f"{node.module}.{a.name}"
                out.append((sub if sub in MODULES else node.module, node.lineno))
    return [(m, line) for m, line in out if m in MODULES]


def test_every_module_has_a_layer():
    assert {layer(m) for m in MODULES} <= set(LAYERS)
    assert "pyrules.modes.explain" in MODULES and "pyrules.engine.control" in MODULES


def upward(module: str, found: list[tuple[str, int]]) -> list[str]:
    rank = LAYERS.index(layer(module))
    return [f"line {line}: {target} ({layer(target)})" for target, line in found if LAYERS.index(layer(target)) > rank]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_higher_layer(module):
    bad = upward(module, imports(module))
    assert not bad, f"{module} ({layer(module)}) imports from a higher layer: {bad}"


def test_no_import_cycles():
    graph = {m: {t for t, _ in imports(m) if t != m} for m in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                return path[path.index(t) :] + [t]
            if t not in state and (found := visit(t)):
                return found
        state[m] = 2
        path.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_check_sees_an_upward_import_even_inside_a_function():
    source = "from pyrules.engine import kb\n\ndef f():\n    from pyrules.modes.explain import explain_scenario\n"
    found = imports_in(source)
    assert found == [("pyrules.engine.kb", 1), ("pyrules.modes.explain", 4)]
    assert upward("pyrules.inputs.model", found) == ["line 4: pyrules.modes.explain (modes)"]
    assert upward("pyrules.cli", found) == []
