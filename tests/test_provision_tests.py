"""Every provision of the knowledge base has a test that names it.

The convention (tests/README.md): a test names the provisions it checks with
``@pytest.mark.provision("<id>", ...)``, the ids of the KB's provision registry
(``provision/5``, read through pyrules.engine.kb, never by parsing kb/*.lp here). The
test so marked checks the provision at a boundary (the day before and the day of a
date, the threshold and one past it, the condition just met and just not met).
"""

from __future__ import annotations

import ast
from pathlib import Path


from pyrules.engine import kb

TESTS = Path(__file__).resolve().parent

# Provisions with no test yet. Each entry is a debt: write the test (at the provision's
# boundary), mark it, and remove the id here; the test below fails while an id listed
# here has a test, so the list only shrinks.
UNTESTED: set[str] = set()


def registry() -> dict[str, str]:
    """Provision id -> citation, for every provision/5 the KB holds (kb/provisions.lp and
    the registries of later amendments alike)."""
    return {a[0].name: a[1].string for a in kb.described("provision/5")}


def _marker_ids(decorators) -> list[tuple[str, int]]:
    out = []
    for d in decorators:
        if (
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr == "provision"
            and isinstance(d.func.value, ast.Attribute)
            and d.func.value.attr == "mark"
        ):
            for a in d.args:
                assert isinstance(a, ast.Constant) and isinstance(a.value, str), (
                    f"line {d.lineno}: provision ids are written as strings"
                )
                out.append((a.value, d.lineno))
    return out


def named_provisions() -> dict[str, list[str]]:
    """Provision id -> the tests (file::name) whose provision marker names it."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for pid, _ in _marker_ids(node.decorator_list):
                    found.setdefault(pid, []).append(f"{path.name}::{node.name}")
            elif isinstance(node, ast.FunctionDef | ast.ClassDef) and _marker_ids(node.decorator_list):
                raise AssertionError(f"{path.name}:{node.lineno}: the provision marker is for test functions")
    return found


def test_the_registry_is_read_from_the_kb():
    """The KB holds a registry of its provisions, each with its citation (the set checked
    below is not empty, and holds the provisions of later amendments too)."""
    reg = registry()
    assert len(reg) >= 50 and set(kb.provisions()) <= set(reg)
    assert reg["lic_lpp"] == "15 CFR 740.29"


def test_every_provision_marker_names_a_provision_of_the_kb():
    """A provision marker with a misspelt or retired id would name nothing."""
    unknown = {pid: tests for pid, tests in named_provisions().items() if pid not in registry()}
    assert unknown == {}


def test_every_provision_of_the_kb_is_named_by_a_test():
    """Each provision of the registry is named by at least one test's provision marker,
    except those listed (with a reason) in UNTESTED."""
    named = named_provisions()
    missing = sorted(set(registry()) - set(named) - UNTESTED)
    assert missing == [], f"provisions no test names (add @pytest.mark.provision): {missing}"
    tested_now = sorted(UNTESTED & set(named))
    assert tested_now == [], f"tested now, remove from UNTESTED: {tested_now}"
    assert UNTESTED <= set(registry()), sorted(UNTESTED - set(registry()))


def test_every_registered_provision_is_cited_by_its_citation():
    """Every provision of the registry, wherever the KB declares it, is cited in answers by its
    citation, never by its id."""
    from pyrules.output.determination import citation

    wrong = {pid: citation(pid) for pid, cite in registry().items() if citation(pid) != cite}
    assert wrong == {}
