"""`pyrules coverage` and `pyrules schema`: the coverage statement lives in kb/coverage.lp
(Python renders it), and the JSON Schemas published in docs/schema/ are what the command
prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pyrules.engine import kb
from pyrules.cli import main
from pyrules.output.coverage import coverage, coverage_line

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.provision("other_exceptions_kept")
def test_coverage_740_2_a_9_ii_other_exceptions_only_flagged():
    """740.2(a)(9)(ii) keeps some other licence exceptions (TMP, RPL, GOV): not weighed, flagged."""
    c = coverage()
    other = next(f for f in c["flagged"] if f["id"] == "other_exceptions")
    assert other["citation"] == "15 CFR 740.2(a)(9)(ii)"
    assert "TMP" in other["text"]
    assert "part 744 end uses" in coverage_line()


def test_coverage_modelled_is_the_provision_registry_and_rule_text_date():
    c = coverage()
    assert {m["id"] for m in c["modelled"]} == set(kb.provisions())
    assert c["rule_text"]["date"] == "2026-07-23"


def test_coverage_statement_is_in_the_kb_not_in_python():
    """The flagged list is KB data: each id appears in kb/coverage.lp."""
    text = (kb.kb_dir() / "coverage.lp").read_text()
    for f in coverage()["flagged"]:
        assert f"coverage_flagged({f['id']}," in text


def test_cli_coverage_text_and_json(capsys):
    assert main(["coverage"]) == 0
    out = capsys.readouterr().out
    assert "Only flagged" in out and "15 CFR 740.2(a)(9)(ii)" in out
    assert main(["coverage", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["format_version"] == 1


def test_cli_schema_prints_the_published_schemas(capsys):
    for name in ("scenario", "determination"):
        assert main(["schema", name]) == 0
        assert capsys.readouterr().out == (ROOT / "docs" / "schema" / f"{name}.json").read_text(), (
            f"regenerate: pyrules schema {name} > docs/schema/{name}.json"
        )


def test_cli_serve_bad_port_is_exit_2():
    r = subprocess.run(
        [sys.executable, "-m", "pyrules.cli", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2 and "--port" in r.stderr
