"""Bad and hostile input, and the limits of pyrules/inputs/limits.py: whatever the input,
no traceback, no silent overflow, no hang; bad input is refused with exit code 2 and a
message naming the field (or line and column), each limit tested at and just past it.

tests/test_fuzz.py fuzzes every input format; the limits of the ledger, of whatif
questions and of regime files are tested in test_ledger.py, test_whatif.py and
test_regime.py. The CLI runs in this process (helpers.cli_run): an unexpected
exception fails the test with its traceback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from helpers import QUERIES, ask_error, cli_run, run, scenario, write_file as write
from pyrules.errors import InputError
from pyrules.inputs import limits
from pyrules.inputs.loader import loads
from pyrules.inputs.model import Scenario, _check_ownership, parse_big


# --- moved from test_reliability.py: bad input of the wrong type, too long or too deep ---
@pytest.mark.parametrize("eccn", [["3A090.a"], {"a": 1}, 3])
def test_eccn_of_the_wrong_type_is_exit_2_naming_the_field(tmp_path, eccn):
    err = ask_error(tmp_path, scenario(items=[{"eccn": eccn, "quantity": 1}]))
    assert "items[0].eccn" in err


def test_5000_digit_quantity_json_is_exit_2(tmp_path):
    text = json.dumps(scenario()).replace('"quantity": 100', '"quantity": ' + "9" * 5000)
    err = ask_error(tmp_path, text)
    assert "items[0].quantity" in err and len(err) < 500


def test_5000_digit_quantity_scn_is_exit_2(tmp_path):
    text = (
        "scenario\n on 2025-06-01\n export from US to DE\n consignee B\n ship "
        + "9" * 5000
        + " x H100-SXM\n entity B located DE headquartered DE\nend\n"
    )
    err = ask_error(tmp_path, text, "s.scn")
    assert "items[0].quantity" in err and len(err) < 500


def test_json_nested_100000_deep_is_exit_2(tmp_path):
    err = ask_error(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert "nested more than 100 levels" in err


def test_json_depth_limit_at_and_past():
    """limits.MAX_JSON_DEPTH: 100 levels are read, 101 are refused."""
    depth = limits.MAX_JSON_DEPTH
    assert loads("[" * depth + "]" * depth) is not None
    with pytest.raises(InputError, match="nested more than 100"):
        loads("[" * (depth + 1) + "]" * (depth + 1))
    with pytest.raises(InputError, match="nested more than 100"):
        loads('{"a":' * (depth + 1) + "1" + "}" * (depth + 1))


def test_file_size_limit_at_and_past(tmp_path, monkeypatch):
    """limits.MAX_FILE_BYTES (100,000,000; here the size of a bundled scenario): a file
    of that size is read, one byte more is refused before it is read."""
    src = (QUERIES / "india_cloud_chinese_parent.json").read_text(encoding="utf-8")
    p = write(tmp_path, "s.json", src)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", p.stat().st_size)
    assert cli_run("ask", p)[0] == 0
    p.write_text(src + " ", encoding="utf-8")
    rc, _, err = cli_run("ask", p)
    assert rc == 2 and "the largest accepted has" in err


def test_scn_line_limit_at_and_past(tmp_path, monkeypatch):
    """limits.MAX_SCN_LINES: a 100,000-entity .scn is refused at once (it took 180 s);
    at the limit (lowered here) a file is read."""
    body = "".join(f" entity E{i} located DE\n" for i in range(100_000))
    text = "scenario\n on 2025-06-01\n export from US to DE\n consignee E0\n ship 1 x H100-SXM\n" + body + "end\n"
    t0 = time.perf_counter()
    err = ask_error(tmp_path, text, "big.scn")
    assert time.perf_counter() - t0 < 5 and "at most 5,000" in err
    small = (
        "scenario\n on 2025-06-01\n export from US to DE\n consignee B\n ship 1 x H100-SXM\n"
        " entity B located DE headquartered DE\nend\n"
    )
    monkeypatch.setattr(limits, "MAX_SCN_LINES", small.count("\n"))
    assert cli_run("ask", write(tmp_path, "s.scn", small))[0] == 0
    assert cli_run("ask", write(tmp_path, "t.scn", small + "# one more\n"))[0] == 2


# --- moved from test_reliability.py: names with control characters ---
def test_nul_in_an_entity_name_used_as_a_key_is_refused(tmp_path):
    """'HoldCo\\u0000x' merged into 'HoldCo' inside clingo and changed the policy."""
    s = scenario(
        entities={
            "Buyer": {"located": "DE", "headquartered": "DE", "parent": "HoldCo"},
            "HoldCo": {"headquartered": "DE"},
            "HoldCo\u0000x": {"headquartered": "CN"},
        }
    )
    err = ask_error(tmp_path, s)
    assert "NUL" in err and "\\x00" in err and "\x00" not in err


@pytest.mark.parametrize("where", ["scenario", "consignee", "chip", "parent"])
def test_control_characters_in_names_are_refused_and_shown_escaped(tmp_path, where):
    bad = "Ev\u001b[31mil\u0007"
    s = scenario()
    if where == "scenario":
        s["scenario"] = bad
    elif where == "consignee":
        s["transaction"]["consignee"] = bad
    elif where == "chip":
        s["items"][0]["chip"] = bad
    else:
        s["entities"]["Buyer"]["parent"] = bad
    err = ask_error(tmp_path, s)
    assert "\x1b" not in err and "\x07" not in err and "\\x1b" in err


def test_bidi_override_in_a_name_is_refused():
    with pytest.raises(InputError, match="control character \\\\u202e"):
        Scenario.from_dict(scenario(consignee="Buyer\u202eoCdloH"))


def test_messages_escape_unprintable_characters():
    e = InputError("unknown field 'a\u202eb\nc'", field="x\u0000")
    assert str(e) == "field 'x\\x00': unknown field 'a\\u202eb\\nc'"


# --- moved from test_reliability.py: numbers: size, text length, floats ---
@pytest.mark.parametrize("text", ["10^99999999", "1e99999999", "1e999999", "9" * 5000, "1" + "0" * 30])
def test_huge_numbers_are_refused_at_once(text):
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="too large|at most 100 characters"):
        parse_big(text, "facts.x")
    assert time.perf_counter() - t0 < 0.5


def test_number_limit_at_and_past():
    """limits.MAX_NUMBER_DIGITS: 10^30 - 1 is the largest number, in every written form."""
    top = 10**30 - 1
    assert parse_big(str(top), "x") == top
    assert parse_big(f"{top:,}", "x") == top
    assert parse_big("9.99999999999999999999999999999e29", "x") == top
    assert parse_big("10^29", "x") == 10**29
    for past in (str(top + 1), "1e30", "10^30", top + 1):
        with pytest.raises(InputError, match="the largest number accepted is 999,999"):
            parse_big(past, "x")


def test_number_text_length_at_and_past():
    """limits.MAX_NUMBER_CHARS: a number is written with at most 100 characters."""
    assert parse_big("0" * 99 + "7", "x") == 7
    with pytest.raises(InputError, match="at most 100 characters"):
        parse_big("0" * 100 + "7", "x")


def test_float_from_python_is_read_as_written():
    assert parse_big(1e26, "x") == 10**26
    assert parse_big(2.5e25, "x") == 25 * 10**24


# --- moved from test_reliability.py: ownership chains and the number of entities ---
def chain(links: int) -> dict:
    ents = {"E0": {"located": "DE", "headquartered": "DE"}}
    for i in range(1, links + 1):
        ents[f"E{i}"] = {"parent": f"E{i - 1}"}
    return ents


def test_ownership_chain_depth_at_and_past():
    """limits.MAX_OWNERSHIP_DEPTH: a chain of 1,000 links is accepted (and evaluated); 1,001
    links are refused naming the entity."""
    n = limits.MAX_OWNERSHIP_DEPTH
    s = scenario(consignee=f"E{n}", entities=chain(n))
    assert run(s).license_required is not None
    with pytest.raises(InputError, match=f"more than {n:,} links|more than {n} links") as exc:
        Scenario.from_dict(scenario(consignee=f"E{n + 1}", entities=chain(n + 1)))
    assert exc.value.field == f"entities.E{n + 1}.parent"


def test_10000_deep_chain_refused_at_once(tmp_path):
    t0 = time.perf_counter()
    err = ask_error(tmp_path, scenario(consignee="E9999", entities=chain(9999)))
    assert time.perf_counter() - t0 < 3 and "more than 1000 links" in err


def test_cycle_check_is_linear():
    """100 chains of 100 links (10,000 entities): checked in well under a second (the
    check was quadratic in the chain length), and a cycle is still found and named."""
    ents = {}
    for c in range(100):
        ents[f"C{c}_0"] = {}
        for i in range(1, 100):
            ents[f"C{c}_{i}"] = {"parent": f"C{c}_{i - 1}"}
    t0 = time.perf_counter()
    _check_ownership(ents, "")
    assert time.perf_counter() - t0 < 0.5
    ents["C5_0"]["parent"] = "C5_99"
    with pytest.raises(InputError, match="ownership cycle: .*C5_0"):
        _check_ownership(ents, "")


def test_entity_count_at_and_past():
    """limits.MAX_ENTITIES: 10,000 entities are accepted, 10,001 refused."""
    ents = {f"E{i}": {"located": "DE"} for i in range(limits.MAX_ENTITIES)}
    Scenario.from_dict(scenario(consignee="E0", entities=ents))
    ents["one more"] = {}
    with pytest.raises(InputError, match="at most 10,000"):
        Scenario.from_dict(scenario(consignee="E0", entities=ents))


# --- moved from test_reliability.py: README.md states the limits ---
def test_readme_states_the_limits():
    """README.md's Limits section gives the figures of pyrules/limits.py."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for value in (
        limits.MAX_FILE_BYTES,
        limits.MAX_SCN_LINES,
        limits.MAX_LEDGER_ROWS,
        limits.MAX_ITEMS,
        limits.MAX_ENTITIES,
        limits.MAX_CHANGE_COST,
    ):
        assert f"{value:,}" in section, value
    for value in (
        limits.MAX_JSON_DEPTH,
        limits.MAX_OWNERSHIP_DEPTH,
        limits.MAX_NUMBER_CHARS,
        limits.MAX_CHANGES,
        limits.MAX_REGIME_INT,
        limits.MAX_QUANTITY_COMBINATIONS,
    ):
        assert f"{value:,}" in section, value
    assert "10^30 - 1" in section
