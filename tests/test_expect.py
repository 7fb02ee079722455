"""Cases that state their outcome (pyrules.expect, ``pyrules test``): the bundled corpus
passes, a wrong expectation fails with a readable difference, and the scenario language
carries the same expectations as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyrules.cli import main
from pyrules.errors import InputError
from pyrules.modes.expect import compare, report, run_cases
from pyrules.inputs.language import parse_text, to_text
from pyrules.inputs.model import Scenario

from helpers import scenario

QUERIES = Path(__file__).resolve().parent.parent / "queries"


def test_every_bundled_case_states_its_outcome_and_meets_it(capsys):
    """The corpus in queries/: every scenario has an 'expect' and the answer meets it."""
    assert main(["test", str(QUERIES), "--require-expect"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    passed = int(last.split()[0])
    assert last == f"{passed} passed, 0 failed" and passed >= 75


def _case(tmp_path, expect, **overrides) -> Path:
    s = scenario(**overrides)
    s["expect"] = expect
    path = tmp_path / "case.json"
    path.write_text(json.dumps(s))
    return path


def test_a_met_expectation_passes(tmp_path):
    """H100s to a German company (742.6(a)(6)(iii); AIA 740.27): licence required, AIA weighed."""
    path = _case(
        tmp_path, {"license_required": True, "obligations": ["keep_records"], "authorizations": {"AIA": {"failed": []}}}
    )
    [result] = run_cases([path])
    assert result.passed, result.differences


def test_a_wrong_expectation_fails_with_the_difference_in_words(tmp_path, capsys):
    path = _case(
        tmp_path,
        {
            "license_required": False,
            "licensing_policy": "policy_of_denial",
            "authorizations": {"LPP": {"available": True, "failed": ["no_such_condition"]}, "XYZ": {"available": True}},
            "obligations": ["no_such_obligation"],
        },
    )
    [result] = run_cases([path])
    text = "\n".join(result.differences)
    assert "license_required: expected false, got true" in text
    assert 'licensing_policy: expected "policy_of_denial"' in text
    assert "authorizations.LPP.failed: expected to include 'no_such_condition'" in text
    assert "authorizations.XYZ: expected it to be weighed" in text
    assert 'obligations: expected to include "no_such_obligation"' in text
    assert report([result]).endswith("0 passed, 1 failed")
    assert main(["test", str(path)]) == 1
    assert capsys.readouterr().out.strip().endswith("0 passed, 1 failed")


def test_a_field_the_answer_lacks_is_reported():
    assert compare({"no_such_field": 1}, {"license_required": True}) == ["no_such_field: the answer has no such field"]


def test_a_case_without_expectation_fails_only_when_required(tmp_path):
    s = scenario()
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(s))
    assert run_cases([path]) == []
    [result] = run_cases([path], require_expect=True)
    assert not result.passed


@pytest.mark.parametrize(
    "expect,field",
    [
        ([1], "expect"),
        ({"authorizations": []}, "expect.authorizations"),
        ({"authorizations": {"LPP": {"avail": True}}}, "expect.authorizations.LPP.avail"),
        ({"authorizations": {"LPP": {"available": "yes"}}}, "expect.authorizations.LPP.available"),
        ({"authorizations": {"LPP": {"failed": "lpp_annual_limit"}}}, "expect.authorizations.LPP.failed"),
        ({"notes": [{"a": 1}]}, "expect.notes"),
        ({"license_required": {"a": 1}}, "expect.license_required"),
    ],
)
def test_a_malformed_expectation_is_an_input_error_naming_the_field(expect, field):
    s = scenario()
    s["expect"] = expect
    with pytest.raises(InputError) as exc:
        Scenario.from_dict(s)
    assert exc.value.field == field


def test_a_malformed_expectation_exits_2(tmp_path, capsys):
    path = _case(tmp_path, {"authorizations": {"LPP": {"available": "maybe"}}})
    assert main(["test", str(path)]) == 2
    assert "expect.authorizations.LPP.available" in capsys.readouterr().err


SCN = """scenario "expectations in the language"
  on 2025-06-01
  export from US to DE
  consignee Buyer
  ship 10 x H100-SXM
  entity Buyer located DE headquartered DE
  expect license_required = yes
  expect authorized = undecided
  expect notes includes "not formally rescinded"
  expect authorization AIA available = undecided
  expect authorization LPP failed includes lpp_annual_limit
end
"""


def test_the_language_states_expectations_as_json_does():
    [s] = parse_text(SCN)
    assert s["expect"] == {
        "license_required": True,
        "authorized": None,
        "notes": ["not formally rescinded"],
        "authorizations": {"AIA": {"available": None}, "LPP": {"failed": ["lpp_annual_limit"]}},
    }
    assert parse_text(to_text(s)) == [s]


@pytest.mark.parametrize(
    "line,message,lineno",
    [
        ("expect authorization LPP avail = yes", "'available', 'failed' or 'undecided'", 7),
        ("expect license_required = yes\n  expect license_required = no", "duplicate expectation", 8),
        ("expect authorizations = yes", "expect authorization NAME", 7),
    ],
)
def test_bad_expect_lines_name_their_line(line, message, lineno):
    text = SCN.replace("  expect license_required = yes\n", f"  {line}\n")
    with pytest.raises(InputError) as exc:
        parse_text(text)
    assert message in str(exc.value) and exc.value.line == lineno
