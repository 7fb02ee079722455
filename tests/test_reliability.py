"""Issue 12: no traceback, no lost row, no silent overflow, no hang, whatever the input.

Each class of defect the fuzzing found has a test here at its root (the limits of
pyrules/limits.py each at and past the limit); tests/test_fuzz.py fuzzes every input
format. The CLI runs in this process (pyrules.cli.main): an unexpected exception
fails the test with its traceback.
"""
from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

import pytest

from helpers import auth, failed, run, scenario
from pyrules import cli
from pyrules.inputs import limits
from pyrules.errors import InputError
from pyrules.inputs.loader import loads
from pyrules.inputs.model import Scenario, _check_ownership, parse_big

QUERIES = Path(__file__).resolve().parent.parent / "queries"


def cli_run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, content) -> Path:
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return p


def ask_error(tmp_path, s, name="s.json") -> str:
    rc, out, err = cli_run("ask", "--json", write(tmp_path, name, s))
    assert rc == 2, (out, err)
    assert "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- tracebacks
@pytest.mark.parametrize("eccn", [["3A090.a"], {"a": 1}, 3])
def test_eccn_of_the_wrong_type_is_exit_2_naming_the_field(tmp_path, eccn):
    err = ask_error(tmp_path, scenario(items=[{"eccn": eccn, "quantity": 1}]))
    assert "items[0].eccn" in err


def test_5000_digit_quantity_json_is_exit_2(tmp_path):
    text = json.dumps(scenario()).replace('"quantity": 100', '"quantity": ' + "9" * 5000)
    err = ask_error(tmp_path, text)
    assert "items[0].quantity" in err and len(err) < 500


def test_5000_digit_quantity_scn_is_exit_2(tmp_path):
    text = ("scenario\n on 2025-06-01\n export from US to DE\n consignee B\n ship " + "9" * 5000
            + " x H100-SXM\n entity B located DE headquartered DE\nend\n")
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


@pytest.mark.parametrize("change, needle", [
    ({"fact": "headquartered", "entity": ["Buyer"]}, "may_change[0].entity"),
    ({"fact": "fact", "name": {"x": 1}}, "may_change[0].name"),
    ({"fact": ["destination"]}, "may_change[0].fact"),
])
def test_whatif_change_of_the_wrong_type_is_exit_2(tmp_path, change, needle):
    s = scenario(questions=[{"goal": "authorized", "may_change": [change]}])
    rc, out, err = cli_run("whatif", write(tmp_path, "q.json", s))
    assert rc == 2 and needle in err, err
    assert ask_error(tmp_path, s) and needle in ask_error(tmp_path, s)


@pytest.mark.parametrize("costs, needle", [
    ([1], "questions[0].costs"),
    ({"destination": 10**30}, "questions[0].costs.destination"),
    ({"destination": -5}, "questions[0].costs.destination"),
    ({"destination": "2"}, "questions[0].costs.destination"),
])
def test_whatif_costs_wrong_type_huge_or_negative_are_exit_2(tmp_path, costs, needle):
    s = scenario(questions=[{"goal": "authorized", "costs": costs, "may_change": [{"fact": "destination"}]}])
    rc, out, err = cli_run("whatif", write(tmp_path, "q.json", s))
    assert rc == 2 and needle in err, err


def test_whatif_cost_limit_at_and_past():
    """limits.MAX_CHANGE_COST: a cost of 1,000,000 is accepted, 1,000,001 refused."""
    from pyrules.modes.whatif import check_costs
    check_costs({"destination": limits.MAX_CHANGE_COST})
    with pytest.raises(InputError, match="0 to 1,000,000"):
        check_costs({"destination": limits.MAX_CHANGE_COST + 1})


def test_whatif_number_of_changes_at_and_past():
    """limits.MAX_CHANGES: a question names at most 200 changes."""
    from pyrules.modes.whatif import check_changes
    check_changes([{"fact": "destination"}] * limits.MAX_CHANGES)
    with pytest.raises(InputError, match="at most 200"):
        check_changes([{"fact": "destination"}] * (limits.MAX_CHANGES + 1))


@pytest.mark.parametrize("regime, needle", [
    ({"tiers": {"AE": [1]}}, "tiers.AE"),
    ({"tiers": {"AE": 1.5}}, "tiers.AE"),
    ({"tiers": {"AE": "1"}}, "tiers.AE"),
    ({"tiers": [["AE", 1]]}, "tiers"),
    ({"params": {"tier2_allocation_tpp": "1e30"}}, "params.tier2_allocation_tpp"),
    ({"params": {"assurance_multiplier_percent": [200]}}, "params.assurance_multiplier_percent"),
    ({"regime": "x\u001b[2J"}, "regime"),
])
def test_hostile_regime_file_is_exit_2(tmp_path, regime, needle):
    rc, out, err = cli_run("compare", "--regime", write(tmp_path, "r.json", regime),
                           QUERIES / "india_cloud_chinese_parent.json")
    assert rc == 2 and needle in err, err
    assert "\x1b" not in err


def test_regime_allocation_near_10_30_is_exact(tmp_path):
    """742.6(b)(10): an allocation of 9 x 10^29 (the high bound 200% of it is 1.8 x 10^30,
    past the five-limb range) is computed exactly, not a traceback."""
    regime = {"params": {"tier2_allocation_tpp": "9e29"}}
    rc, out, err = cli_run("compare", "--json", "--regime", write(tmp_path, "r.json", regime),
                           QUERIES / "india_cloud_chinese_parent.json")
    assert rc == 0, err


def test_regime_plain_parameter_at_and_past_its_limit(tmp_path):
    """limits.MAX_REGIME_INT: a percentage of 2,000 is accepted, 2,001 refused (the KB's
    limb products of kb/model_weights.lp stay 32-bit)."""
    from pyrules.modes.regime import Regime
    assert Regime.from_dict({"params": {"derived_added_share_percent": 2000}}).params
    with pytest.raises(InputError, match="between 0 and 2,000"):
        Regime.from_dict({"params": {"derived_added_share_percent": 2001}})


# ----------------------------------------------------------------------------- ledger rows
def ledger(tmp_path, name, text, fmt="jsonl") -> list[dict]:
    rc, out, err = cli_run("ledger", write(tmp_path, name, text), "--format", fmt)
    rows = [json.loads(line) for line in out.splitlines()]
    # the summary goes to stderr; the exit code is 2 exactly when a row is an error row
    assert "Ledger summary" in err
    assert rc == (2 if any(r.get("error") for r in rows) else 0), err
    return rows


CSV_HEAD = "id,date,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity\n"
GOOD = "2025-06-01,US,DE,Buyer,DE,DE,H100-SXM,10"


def test_ledger_bad_csv_rows_each_give_an_error_row_and_lose_no_other(tmp_path):
    text = (CSV_HEAD
            + f"r1,{GOOD}\n"
            + "r2,2025-06-01\n"                                        # short row (line 3)
            + "r3,2025-06-01,US,DE,Buyer,DE,DE,H100-SXM,²\n"           # superscript two (line 4)
            + 'r4,2025-06-01,US,DE,"Buy\ner",DE,DE,H100-SXM,5\n'       # quoted newline (lines 5-6)
            + f"r5,{GOOD}\n"                                           # line 7
            + 'r6,2025-06-01,US,DE,"Buyer,DE,DE,H100-SXM,1\n'          # unterminated quote (line 8)
            + f"r7,{GOOD}\n")                                          # line 9
    rows = ledger(tmp_path, "l.csv", text)
    by = {r["line"]: r for r in rows}
    assert sorted(by) == [2, 3, 4, 5, 7, 8, 9]
    assert by[2]["id"] == "r1" and by[2]["error"] is None
    assert "line 3" in by[3]["error"] and "header has 9 columns" in by[3]["error"] and by[3]["id"] == "r2"
    assert "line 4, column 42, field 'quantity'" in by[4]["error"]
    assert "line 5, column 21, field 'consignee'" in by[5]["error"]      # the name holds a line break
    assert by[7]["id"] == "r5" and by[7]["error"] is None                  # its physical line
    assert "line 8, column 21" in by[8]["error"] and "unterminated" in by[8]["error"]
    assert by[9]["id"] == "r7" and by[9]["error"] is None


def test_ledger_cell_on_a_continuation_line_is_located(tmp_path):
    """The column of a cell after a quoted newline names its own physical line."""
    text = CSV_HEAD + 'r1,2025-06-01,US,DE,Buyer,"DE\n",DE,H100-SXM,x\nr2,' + GOOD + "\n"
    rows = ledger(tmp_path, "l.csv", text)
    assert "line 3, column 15, field 'quantity'" in rows[0]["error"], rows[0]["error"]
    assert rows[0]["line"] == 2 and rows[1]["line"] == 4 and rows[1]["error"] is None


def test_ledger_jsonl_bad_lines_each_give_an_error_row(tmp_path):
    good = json.dumps({"id": "ok", **scenario()})
    lines = [good.replace('"ok"', '"a"'),
             json.dumps({"id": ["x"], **scenario()}),
             "[" * 100_000 + "]" * 100_000,
             "{not json",
             "42",
             json.dumps({"id": 7, **scenario()}),
             good.replace('"ok"', '"b\\u2028c"'),      # a line separator inside a string
             good]
    rows = ledger(tmp_path, "l.jsonl", "\n".join(lines) + "\n")
    by = {r["line"]: r for r in rows}
    assert sorted(by) == list(range(1, 9))
    assert by[1]["error"] is None and by[6]["error"] is None and by[6]["id"] == "7"
    assert "field 'id'" in by[2]["error"]
    assert "nested more than 100" in by[3]["error"]
    assert "line 4, column 2" in by[4]["error"]
    assert "expected a JSON object" in by[5]["error"]
    assert "field 'id'" in by[7]["error"]                  # an id must be printable
    assert by[8]["error"] is None


def test_ledger_rows_limit_at_and_past(tmp_path, monkeypatch):
    """limits.MAX_LEDGER_ROWS (1,000,000; here lowered to 3): 3 rows are decided, a
    fourth refuses the ledger (exit 2) before any row is decided."""
    monkeypatch.setattr(limits, "MAX_LEDGER_ROWS", 3)
    rows = "".join(f"r{i},{GOOD}\n" for i in range(3))
    assert len(ledger(tmp_path, "l.csv", CSV_HEAD + rows)) == 3
    rc, out, err = cli_run("ledger", write(tmp_path, "m.csv", CSV_HEAD + rows + f"r9,{GOOD}\n"))
    assert rc == 2 and "more than 3 rows" in err and out == ""
    jl = "".join(json.dumps({"id": f"r{i}", **scenario()}) + "\n" for i in range(4))
    rc, out, err = cli_run("ledger", write(tmp_path, "m.jsonl", jl))
    assert rc == 2 and "more than 3 rows" in err


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
    small = "scenario\n on 2025-06-01\n export from US to DE\n consignee B\n ship 1 x H100-SXM\n" \
            " entity B located DE headquartered DE\nend\n"
    monkeypatch.setattr(limits, "MAX_SCN_LINES", small.count("\n"))
    assert cli_run("ask", write(tmp_path, "s.scn", small))[0] == 0
    assert cli_run("ask", write(tmp_path, "t.scn", small + "# one more\n"))[0] == 2


# ----------------------------------------------------------------------------- arithmetic
def lpp_case(**kw):
    return scenario(authorization_claimed="LPP", **kw,
                    facts={"lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True})


def test_740_29_lpp_limit_with_4300_item_lines_is_exact():
    """740.29 (LPP, 26,900,000 TPP a year): 4,300 lines of 999,999 TPP are 4,299,995,700 TPP,
    far over the limit (the 32-bit #sum of the limbs made it 5,028,404 and LPP available)."""
    d = run(lpp_case(items=[{"eccn": "3A090.a", "tpp": 999_999, "quantity": 1}] * 4300))
    (tpp,) = [a for a in d.atoms if a.name == "shipment_tpp"]
    from pyrules.engine.arithmetic import from_big
    assert from_big(tpp.arguments[0]) == 4300 * 999_999
    assert "lpp_annual_limit" in failed(d, "LPP")


def test_740_29_lpp_limit_item_count_at_and_past():
    """limits.MAX_ITEMS: 10,000 item lines are accepted and their largest totals (10^8 units
    of 2,000,000 TPP each: limbs of 999,999 below) sum exactly in kb/arithmetic.lp;
    10,001 lines are refused."""
    import clingo
    from pyrules.engine import kb
    from pyrules.engine.arithmetic import Arithmetic, big, from_big
    Scenario.from_dict(scenario(items=[{"chip": "H100-SXM", "quantity": 1}] * limits.MAX_ITEMS))
    line = 2 * 10**14 - 1
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb.kb_dir() / "arithmetic.lp").read_text(encoding="utf-8") + "\n#show total/2.")
    with ctl.backend() as b:
        for i in range(limits.MAX_ITEMS):
            b.add_rule([b.add_atom(clingo.Function("addend", [clingo.Function("k"), clingo.Number(i), big(line)]))])
    ctl.ground([("base", [])], context=Arithmetic())
    totals = []
    ctl.solve(on_model=lambda m: totals.extend(m.symbols(shown=True)))
    assert from_big(totals[0].arguments[1]) == limits.MAX_ITEMS * line
    with pytest.raises(InputError, match="at most 10,000"):
        Scenario.from_dict(scenario(items=[{"chip": "H100-SXM", "quantity": 1}] * (limits.MAX_ITEMS + 1)))


UVEU_FACTS = ("uveu_total_compute_tpp", "uveu_tier2_compute_tpp", "uveu_country_compute_tpp",
              "uveu_outside_us_compute_tpp")


@pytest.mark.parametrize("value", ["1e28", "999,999,999,999,999,999,999,999,999,999"])
def test_748_15_uveu_shares_of_huge_totals_are_exact(value):
    """748.15 UVEU shares: totals of 10^28 and 10^30 - 1 (accepted inputs) are compared
    as exactly 100 x share and percent x total (past 10^30), not a traceback."""
    d = run(scenario(to="IN", authorization_claimed="UVEU", facts=dict.fromkeys(UVEU_FACTS, value),
                     entities={"Buyer": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}}))
    assert auth(d, "UVEU")["available"] is not None or auth(d, "UVEU")["undecided_conditions"]


def test_4e091_bare_json_1e26_reads_as_the_string_1e26(tmp_path):
    """ECCN 4E091 (10^26 operations): a bare JSON 1e26 is exactly 10^26 and decides as the
    string "1e26" does (it was read as the float 1.00000000000000004e26, above 10^26, so
    the weights counted as controlled while the string did not); a bare number just
    below or just above 10^26 (equal to 10^26 as a binary float) stays below or above."""
    got = {}
    for ops in ("1e26", "99999999999999999e9", "1.0000000000000001e26", "10^26"):
        for bare in (True, False):
            s = scenario(items=[{"model_weights": "M", "training_ops": ops, "published": False,
                                 "derived_from_published": False}])
            text = json.dumps(s)
            if bare and "^" not in ops:
                text = text.replace(f'"{ops}"', ops)
            rc, out, err = cli_run("ask", "--json", write(tmp_path, "m.json", text))
            assert rc == 0, err
            got[(ops, bare)] = [c["eccn"] for c in json.loads(out)["controls"]]
    assert got[("1e26", True)] == got[("1e26", False)] == got[("10^26", False)]
    assert got[("99999999999999999e9", True)] == got[("99999999999999999e9", False)] == []
    assert got[("1.0000000000000001e26", True)] == got[("1.0000000000000001e26", False)] == ["4E091"]


def test_float_from_python_is_read_as_written():
    assert parse_big(1e26, "x") == 10**26
    assert parse_big(2.5e25, "x") == 25 * 10**24


# ----------------------------------------------------------------------------- names
def test_nul_in_an_entity_name_used_as_a_key_is_refused(tmp_path):
    """'HoldCo\\u0000x' merged into 'HoldCo' inside clingo and changed the policy."""
    s = scenario(entities={"Buyer": {"located": "DE", "headquartered": "DE", "parent": "HoldCo"},
                           "HoldCo": {"headquartered": "DE"}, "HoldCo\u0000x": {"headquartered": "CN"}})
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


# ----------------------------------------------------------------------------- numbers and hangs
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


def test_readme_states_the_limits():
    """README.md's Limits section gives the figures of pyrules/limits.py."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for value in (limits.MAX_FILE_BYTES, limits.MAX_SCN_LINES, limits.MAX_LEDGER_ROWS, limits.MAX_ITEMS,
                  limits.MAX_ENTITIES, limits.MAX_CHANGE_COST):
        assert f"{value:,}" in section, value
    for value in (limits.MAX_JSON_DEPTH, limits.MAX_OWNERSHIP_DEPTH, limits.MAX_NUMBER_CHARS,
                  limits.MAX_CHANGES, limits.MAX_REGIME_INT, limits.MAX_QUANTITY_COMBINATIONS):
        assert f"{value:,}" in section, value
    assert "10^30 - 1" in section


def test_whatif_quantity_combinations_at_and_past(monkeypatch):
    """limits.MAX_QUANTITY_COMBINATIONS (256; here lowered): a question whose quantities
    have as many combinations of candidate values as the limit is answered, one more
    is refused (each combination is a solve: 2^200 would never end)."""
    from pyrules.modes import whatif
    raw = json.loads((QUERIES / "whatif_lpp_over_limit.json").read_text(encoding="utf-8"))
    raw.pop("questions")
    raw["items"] = [{"chip": "H100-SXM", "quantity": 1000}, {"chip": "H100-SXM", "quantity": 1000}]
    s = Scenario.from_dict(raw)
    changes = [{"fact": "quantity", "item": 1}, {"fact": "quantity", "item": 2}]
    p = whatif._Problem(s, "lpp", changes, None)
    combos = 1
    for v in p.vars:
        combos *= 1 + len(v.alts)
    assert combos > 1
    monkeypatch.setattr(limits, "MAX_QUANTITY_COMBINATIONS", combos)
    assert whatif.repairs(s, "lpp", changes).reachable
    monkeypatch.setattr(limits, "MAX_QUANTITY_COMBINATIONS", combos - 1)
    with pytest.raises(InputError, match="combinations of candidate values"):
        whatif.repairs(s, "lpp", changes)


def test_parse_prints_a_scenario_with_a_huge_unread_number(tmp_path):
    """A bare 1e400 where no field reads it (a question's goal) is kept as written, and
    'pyrules parse' prints it instead of failing to serialise it."""
    text = json.dumps(scenario(questions=[{"goal": "GOAL"}])).replace('"GOAL"', "1e400")
    rc, out, err = cli_run("parse", write(tmp_path, "s.json", text))
    assert rc == 0, err
    assert json.loads(out)["questions"][0]["goal"] == "1E+400"


def test_ledger_header_with_trailing_commas(tmp_path):
    """A spreadsheet's trailing commas (columns without a name) are ignored while their
    cells are empty; a value under no name is an error row naming its line and column."""
    head = CSV_HEAD.rstrip("\n") + ",,\n"
    rows = ledger(tmp_path, "l.csv", head + f"r1,{GOOD},,\nr2,{GOOD},x,\n")
    assert rows[0]["error"] is None
    assert "line 3, column 45" in rows[1]["error"] and "which the header does not name" in rows[1]["error"]
