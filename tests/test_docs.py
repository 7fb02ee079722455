"""The documentation stays true to the code: every scenario field is documented,
and the README's commands and figures are present."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fields_doc_is_generated_from_the_schema():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_field_docs.py")], capture_output=True, text=True, check=True
    ).stdout
    assert (ROOT / "docs" / "fields.md").read_text() == out, "run scripts/make_field_docs.py > docs/fields.md"


def test_readme_names_both_commands_and_the_json_fields():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    for key in ("license_required", "licensing_policy", "authorizations", "missing_facts", "overlaps"):
        assert key in readme


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# --- moved from test_render.py: the API page ---
import pytest  # noqa: E402

import pyrules  # noqa: E402


def test_public_api_has_docstrings_and_pdoc_renders_it(tmp_path):
    """Every name of pyrules.__all__ and each public method of Determination is documented;
    pdoc (make docs) renders the package page with them."""
    import inspect

    for name in pyrules.__all__:
        assert inspect.getdoc(getattr(pyrules, name)), name
    for cls in (pyrules.Determination, pyrules.Engine, pyrules.Scenario):
        for name, member in inspect.getmembers(cls, lambda m: inspect.isfunction(m) or isinstance(m, property)):
            if not name.startswith("_"):
                assert inspect.getdoc(member), f"{cls.__name__}.{name}"
    pdoc = pytest.importorskip("pdoc")
    pdoc.pdoc("pyrules", output_directory=tmp_path)
    page = (tmp_path / "pyrules.html").read_text()
    assert "evaluate" in page and "Determination" in page
