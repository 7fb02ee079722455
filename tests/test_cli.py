"""The command line `pyrules ask` and the bundled core scenarios in queries/ (each
checked against 15 CFR 742.6(a)(6)(iii) and 742.6(b)(10))."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import scenario
from helpers import cli_subprocess as pyrules, write_file as write

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
REQUIRED_KEYS = {
    "scenario",
    "as_of",
    "license_required",
    "controls",
    "licensing_policy",
    "authorizations",
    "obligations",
    "overlaps",
    "missing_facts",
    "rule_status",
    "citations",
}


@pytest.fixture(scope="module")
def core_outputs() -> dict[str, dict]:
    """`pyrules ask queries/core_*.json --json`, keyed by file stem."""
    files = sorted(QUERIES.glob("core_*.json"))
    r = pyrules("ask", *files, "--json")
    assert r.returncode == 0, r.stderr
    out = {}
    for line in r.stdout.splitlines():
        obj = json.loads(line)
        out[Path(obj["file"]).stem] = obj
    return out


def test_cli_ask_queries_dir_json_one_object_per_scenario_exit_0():
    """742.6(a)(6)(iii)/742.6(b)(10) output contract: `pyrules ask queries/ --json` prints one JSON
    object per scenario with the required keys and exits 0."""
    r = pyrules("ask", "queries/", "--json")
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    n_json = 0
    for f in sorted(QUERIES.glob("*.json")):
        data = json.loads(f.read_text())
        n_json += len(data) if isinstance(data, list) else 1
    assert len(lines) >= n_json >= 12
    for ln in lines:
        obj = json.loads(ln)
        assert REQUIRED_KEYS <= set(obj)
        assert obj["license_required"] in (True, False, None)
        assert obj["licensing_policy"] in (
            "presumption_of_approval",
            "presumption_of_denial",
            "policy_of_denial",
            "case_by_case",
            None,
        )  # case by case: earlier controls, 91 FR 1684
    assert "Traceback" not in r.stderr


def test_cli_ask_text_output_exit_0():
    """742.6(a)(6)(iii): the readable form names the requirement and its citation."""
    r = pyrules("ask", QUERIES / "core_tier3_destination.json")
    assert r.returncode == 0, r.stderr
    assert "Licence required: yes" in r.stdout
    assert "15 CFR 742.6(a)(6)(iii)" in r.stdout
    assert "presumption of denial" in r.stdout


def test_cli_at_least_12_core_scenarios(core_outputs):
    """Issue 2: at least 12 core scenarios in queries/."""
    assert len(core_outputs) >= 12


# stem -> (license_required, licensing_policy, extra check)
EXPECTED = {
    "core_tier1_destination": (True, "presumption_of_approval"),
    "core_tier2_destination": (True, "presumption_of_approval"),
    "core_tier3_destination": (True, "presumption_of_denial"),
    "core_tier1_headquarters": (True, "presumption_of_approval"),
    "core_tier2_headquarters": (True, "presumption_of_approval"),
    "core_tier3_headquarters": (True, "presumption_of_denial"),
    "core_tier1_parent": (True, "presumption_of_approval"),
    "core_tier2_parent": (True, "presumption_of_approval"),
    "core_tier3_parent": (True, "presumption_of_denial"),
    "core_hong_kong": (True, "presumption_of_denial"),
    "core_macau": (True, "presumption_of_denial"),
    "core_burma": (True, "presumption_of_denial"),
    "core_ownership_chain": (True, "presumption_of_denial"),
    "core_chip_from_specs": (True, "presumption_of_approval"),
    "core_allocation_exhausted": (True, "policy_of_denial"),
    "core_missing_die_area": (None, None),
    "core_overlap_tier1_location_tier3_parent": (True, None),
    "core_deemed_export": (False, None),
    # Before 2025-05-15 the earlier controls govern: H100s to Germany need no licence.
    "core_before_compliance_date": (False, None),
}


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_742_6_b_10_core_scenario_outcome(core_outputs, stem):
    """742.6(a)(6)(iii) and 742.6(b)(10): each bundled core scenario gives its expected outcome."""
    obj = core_outputs[stem]
    assert (obj["license_required"], obj["licensing_policy"]) == EXPECTED[stem]
    policy_provs = {c["provision"] for c in obj["policy_candidates"]}
    if stem == "core_tier2_destination" or stem.startswith("core_tier2_") or stem == "core_allocation_exhausted":
        assert policy_provs == {"policy_chips_tier2"}
    if stem in ("core_tier1_headquarters", "core_tier1_parent"):
        assert policy_provs == {"policy_chips_tier1"}
    if stem == "core_hong_kong":
        assert "hong_kong_as_china" in {n["id"] for n in obj["notes"]}
    if stem == "core_burma":
        assert "burma_in_d5" in {n["id"] for n in obj["notes"]}
    if stem == "core_missing_die_area":
        assert "item_die_area(1)" in obj["missing_facts"]
    if stem == "core_overlap_tier1_location_tier3_parent":
        assert len(obj["overlaps"]) == 1 and obj["overlaps"][0]["resolved_by_reading"] is False
        assert len(obj["overlaps"][0]["citations"]) == 2
    if stem == "core_chip_from_specs":
        assert [i["eccn"] for i in obj["items"]] == ["3A090.a", "3A090.b"]
    if stem == "core_before_compliance_date":
        assert obj["rule_status"]["compliance_required"] is False
    if stem == "core_allocation_exhausted":
        assert "allocation_exhaustion" in obj["readings_that_matter"]


def test_cli_bad_json_exit_2_with_line_and_column(tmp_path):
    """Input contract: invalid JSON exits 2 and names the line and column, without a traceback."""
    f = write(tmp_path, "bad.json", '{"scenario": "x",\n  "date": "2025-06-01",\n  "items": [,]}\n')
    r = pyrules("ask", f)
    assert r.returncode == 2
    assert "line 3" in r.stderr and "column" in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


def test_cli_unknown_field_exit_2_naming_field(tmp_path):
    """Input contract: an unknown field exits 2 and names it."""
    s = scenario()
    s["transaction"]["destination_country"] = "DE"
    r = pyrules("ask", write(tmp_path, "unknown.json", s))
    assert r.returncode == 2
    assert "destination_country" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "mutate, needle",
    [
        (lambda s: s["transaction"].update(to="XX"), "transaction.to"),
        (lambda s: s.update(date="2025-02-30"), "date"),
        (lambda s: s["items"][0].update(chip="NoSuchChip"), "items[0].chip"),
        (lambda s: s["items"][0].update(quantity=-1), "items[0].quantity"),
        (lambda s: s["facts"].update(tier2_allocation_used_tpp="lots"), "facts.tier2_allocation_used_tpp"),
    ],
)
def test_cli_bad_values_exit_2_naming_field(tmp_path, mutate, needle):
    """Input contract: bad values exit 2 naming the field path; no traceback."""
    s = scenario()
    mutate(s)
    r = pyrules("ask", write(tmp_path, "bad.json", s))
    assert r.returncode == 2, r.stdout
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_missing_file_exit_2(tmp_path):
    """Input contract: a missing file exits 2, no traceback."""
    r = pyrules("ask", tmp_path / "nope.json")
    assert r.returncode == 2
    assert "nope.json" in r.stderr and "Traceback" not in r.stderr


def test_cli_as_of_changes_the_date():
    """90 FR 4544: --as-of replaces the scenario's date (before 2023-11-17: indeterminate;
    2024-12-31: the earlier controls, no licence to Germany; 2025-03-01: compliance not yet required)."""
    f = QUERIES / "core_tier1_destination.json"
    base = json.loads(pyrules("ask", f, "--json").stdout)
    assert base["as_of"] == "2025-06-01" and base["license_required"] is True
    early = pyrules("ask", f, "--json", "--as-of", "2024-12-31")
    assert early.returncode == 0
    e = json.loads(early.stdout)
    assert e["as_of"] == "2024-12-31" and e["license_required"] is False
    earliest = json.loads(pyrules("ask", f, "--json", "--as-of", "2023-11-16").stdout)
    assert earliest["license_required"] is None
    mid = json.loads(pyrules("ask", f, "--json", "--as-of", "2025-03-01").stdout)
    assert mid["rule_status"]["compliance_required"] is False
    bad = pyrules("ask", f, "--as-of", "yesterday")
    assert bad.returncode == 2 and "--as-of" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_reading_option_resolves_overlap():
    """742.6(b)(10): --reading tier_overlap=tier3_prevails resolves the reported overlap."""
    f = QUERIES / "core_overlap_tier1_location_tier3_parent.json"
    d = json.loads(pyrules("ask", f, "--json", "--reading", "tier_overlap=tier3_prevails").stdout)
    assert d["licensing_policy"] == "presumption_of_denial"
    assert d["overlaps"]
    bad = pyrules("ask", f, "--reading", "tier_overlap=whoever")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_cli_list_of_scenarios_in_one_file(tmp_path):
    """742.6(b)(10): a JSON file may hold a list of scenarios; each gets its own object."""
    f = write(tmp_path, "two.json", [scenario(to="DE"), scenario(to="CN", entities={"Buyer": {"headquartered": "CN"}})])
    r = pyrules("ask", f, "--json")
    assert r.returncode == 0, r.stderr
    pols = [json.loads(x)["licensing_policy"] for x in r.stdout.splitlines()]
    assert pols == ["presumption_of_approval", "presumption_of_denial"]


def test_cli_runs_from_another_directory(tmp_path):
    """Packaging: the installed CLI finds its knowledge base from any working directory."""
    r = pyrules("ask", QUERIES / "core_tier1_destination.json", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["license_required"] is True


# --- moved from test_reliability.py: pyrules parse ---
from helpers import cli_run, cli_subprocess  # noqa: E402


def test_parse_prints_a_scenario_with_a_huge_unread_number(tmp_path):
    """A bare 1e400 where no field reads it (a question's goal) is kept as written, and
    'pyrules parse' prints it instead of failing to serialise it."""
    text = json.dumps(scenario(questions=[{"goal": "GOAL"}])).replace('"GOAL"', "1e400")
    rc, out, err = cli_run("parse", write(tmp_path, "s.json", text))
    assert rc == 0, err
    assert json.loads(out)["questions"][0]["goal"] == "1E+400"


# --- moved from test_spec_coverage.py: bad input exits 2 with a message, never a traceback ---
def test_cli_ask_empty_directory_exit_2(tmp_path):
    """A directory with no scenario file is bad input, not a silent success."""
    r = cli_subprocess("ask", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(tmp_path) in r.stderr and "no .json or .scn" in r.stderr


def test_cli_list_file_names_the_bad_element(tmp_path):
    """In a file holding a list of scenarios, the error names the element."""
    f = tmp_path / "list.json"
    f.write_text("[1, 2]", encoding="utf-8")
    r = cli_subprocess("ask", f)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "[0]" in r.stderr


def test_cli_ledger_not_utf8_exit_2_naming_file(tmp_path):
    """A ledger that is not UTF-8 text is bad input naming the file."""
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00id,date\n")
    r = cli_subprocess("ledger", f)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bin.csv" in r.stderr and "UTF-8" in r.stderr


def test_cli_unusable_path_is_exit_2(monkeypatch, capsys):
    """A path the user gave that cannot be read or written (e.g. check --witness-dir in a
    directory that does not exist) exits 2 naming the path, not with a traceback."""
    from pyrules import cli

    def boom(args):
        raise FileNotFoundError(2, "No such file or directory", "/nonexistent/witnesses")

    monkeypatch.setitem(cli.COMMANDS, "check", boom)
    assert cli.main(["check"]) == 2
    assert "/nonexistent/witnesses" in capsys.readouterr().err


def test_ask_rejects_a_bad_whatif_question_with_exit_2(tmp_path):
    """pyrules ask checks a scenario's questions (issue 4): a bad goal is an input error naming the field."""
    import json as _json
    import subprocess as _sp
    import sys as _sys

    p = tmp_path / "q.json"
    p.write_text(
        _json.dumps(
            {
                "scenario": "x",
                "date": "2025-06-01",
                "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "B"},
                "items": [{"chip": "H100-SXM", "quantity": 1}],
                "entities": {"B": {"located": "DE", "headquartered": "DE"}},
                "questions": [{"goal": "flying", "may_change": []}],
            }
        )
    )
    out = _sp.run([_sys.executable, "-m", "pyrules.cli", "ask", str(p)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "questions[0].goal" in out.stderr and "Traceback" not in out.stderr
