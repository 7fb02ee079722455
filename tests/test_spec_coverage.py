"""Statements of the specification that had no test of their own (review of issues 2-5),
and the CLI's handling of bad input that no other test reached."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import auth, failed, run, scenario

ROOT = Path(__file__).resolve().parent.parent
DESIGNER = {"headquartered": "US", "status": {"approved_ic_designer": True}}
AIA_FACTS = {"eccn_furnished": True, "aia_certification_obtained": True}


def note_ids(d) -> set[str]:
    return {n["id"] for n in d.notes}


# --- 15 CFR 740.27: AIA covers reexports and in-country transfers too ---------------------------

@pytest.mark.parametrize("action,origin", [("reexport", "FR"), ("in_country_transfer", "DE")])
def test_740_27_aia_chips_available_for_reexport_and_in_country_transfer(action, origin):
    """740.27: AIA authorizes the export, reexport and in-country transfer of advanced chips to a
    consignee located and headquartered (with its ultimate parent) in Tier 1."""
    s = scenario(action=action, to="DE", items=[{"chip": "H100-SXM", "quantity": 100, "designer": "Nv",
                                                  "foreign_produced": False}],
                 entities={"Buyer": {"located": "DE", "headquartered": "DE"}, "Nv": copy.deepcopy(DESIGNER)},
                 facts=AIA_FACTS)
    s["transaction"]["from"] = origin
    d = run(s)
    assert d.license_required is True
    a = auth(d, "AIA")
    assert a["available"] is True, (a["failed_conditions"], a["undecided_conditions"])
    assert d.authorized is True


# --- 15 CFR 740.29 with 742.6(b)(10): LPP does not draw on the country allocation ---------------

def test_740_29_lpp_shipments_not_counted_against_tier2_allocation_note():
    """740.29 / 742.6(b)(10): an LPP shipment to a Tier 2 country says that it does not count
    against the country's TPP allocation; without LPP the note is absent."""
    lpp_ok = scenario(to="IN", items=[{"chip": "H100-SXM", "quantity": 100}],
                      entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
                      facts={"lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True})
    d = run(lpp_ok)
    assert auth(d, "LPP")["available"] is True
    assert "lpp_outside_allocation" in note_ids(d)
    no_lpp = copy.deepcopy(lpp_ok)
    no_lpp["transaction"]["via_distributor"] = True
    d2 = run(no_lpp)
    assert auth(d2, "LPP")["available"] is False
    assert "lpp_outside_allocation" not in note_ids(d2)


# --- 15 CFR 748.15: a UVEU has no TPP limit ----------------------------------------------------

def test_748_15_uveu_receives_chips_without_any_tpp_limit():
    """748.15: a UVEU may receive advanced chips without a TPP limit (only the shares of its
    compute by country bind): 1,000,000 H100 (15,832,000,000 TPP, beyond the Tier 2 allocation,
    the LPP limit and the whole NVEU table) to a listed US UVEU in India, within its shares."""
    d = run(scenario(to="IN", consignee="Cloud",
                     entities={"Cloud": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}},
                     items=[{"chip": "H100-SXM", "quantity": 1_000_000}],
                     facts={"data_center_owner_and_operator_veu": True, "uveu_site_listed": True,
                            "uveu_total_compute_tpp": "1,000,000,000,000",
                            "uveu_tier2_compute_tpp": "100,000,000,000",
                            "uveu_country_compute_tpp": "20,000,000,000",
                            "uveu_outside_us_compute_tpp": "300,000,000,000",
                            "lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True}))
    assert d.shipment_tpp == 15_832_000_000
    a = auth(d, "UVEU")
    assert a["available"] is True, (a["failed_conditions"], a["undecided_conditions"])
    assert "veu_outside_country_allocation" in note_ids(d)
    assert "lpp_annual_limit" in failed(d, "LPP")          # the same shipment is far over LPP's limit


# --- Jupyter: determinations render as HTML tables (issue 5) -----------------------------------

def test_determination_renders_as_html_table_and_escapes_user_text():
    """A determination renders as an HTML table in Jupyter with the licence answer, the
    authorizations and their citations; user text (the scenario's name) is escaped."""
    s = scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}})
    s["scenario"] = "<script>alert(1)</script> & co"
    html = run(s)._repr_html_()
    assert "<table>" in html and "Licence required" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "LPP" in html and "15 CFR 740.29" in html


# --- CLI: bad input exits 2 with a message, never a traceback ----------------------------------

def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "pyrules.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_ask_empty_directory_exit_2(tmp_path):
    """A directory with no scenario file is bad input, not a silent success."""
    r = _cli("ask", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(tmp_path) in r.stderr and "no .json or .scn" in r.stderr


def test_cli_list_file_names_the_bad_element(tmp_path):
    """In a file holding a list of scenarios, the error names the element."""
    f = tmp_path / "list.json"
    f.write_text("[1, 2]", encoding="utf-8")
    r = _cli("ask", f)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "[0]" in r.stderr


def test_cli_ledger_not_utf8_exit_2_naming_file(tmp_path):
    """A ledger that is not UTF-8 text is bad input naming the file."""
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00id,date\n")
    r = _cli("ledger", f)
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


def test_html_lists_failed_and_undecided_conditions_on_separate_lines():
    """The HTML 'why not' cell separates the failed conditions from the undecided ones."""
    s = scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
                 via_distributor=True)            # LPP fails (distributor), certification unknown
    d = run(s)
    lpp = auth(d, "LPP")
    assert lpp["failed_conditions"] and lpp["undecided_conditions"]
    html = d._repr_html_()
    row = next(line for line in html.splitlines() if line.startswith("<tr><td>LPP"))
    assert row.count("<br>") == len(lpp["failed_conditions"]) + len(lpp["undecided_conditions"]) - 1


def test_ask_rejects_a_bad_whatif_question_with_exit_2(tmp_path):
    """pyrules ask checks a scenario's questions (issue 4): a bad goal is an input error naming the field."""
    import json as _json
    import subprocess as _sp
    import sys as _sys
    p = tmp_path / "q.json"
    p.write_text(_json.dumps({"scenario": "x", "date": "2025-06-01",
                              "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "B"},
                              "items": [{"chip": "H100-SXM", "quantity": 1}],
                              "entities": {"B": {"located": "DE", "headquartered": "DE"}},
                              "questions": [{"goal": "flying", "may_change": []}]}))
    out = _sp.run([_sys.executable, "-m", "pyrules.cli", "ask", str(p)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "questions[0].goal" in out.stderr and "Traceback" not in out.stderr


def test_732_supp3_para28_training_purpose_without_iaas_fact_names_the_missing_fact():
    """Red flag 28 (Supp. No. 3 to part 732, para 28): whether the exporter provides the
    computing service must be known for a training purpose; it is named, not assumed."""
    import pyrules
    s = {"scenario": "training, IaaS unknown", "date": "2025-06-01",
         "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "C", "purpose": "training"},
         "items": [], "entities": {"C": {"located": "IN", "headquartered": "IN"}},
         "facts": {"planned_training_ops": "2e26"}}
    d = pyrules.evaluate(s)
    assert "iaas_provider" in d.missing_facts
    s["facts"]["iaas_provider"] = True
    d = pyrules.evaluate(s)
    assert "iaas_provider" not in d.missing_facts
    assert [r["flag"] for r in d.red_flags] == ["rf28"]


def test_no_item_lines_is_an_input_error_naming_items():
    """742.6(a)(6)(iii), (a)(13): a transaction with no item lines is an input error naming
    'items' (it never answers 'no licence' for want of anything to judge); exit code 2."""
    import subprocess as _sp
    import sys as _sys
    import json as _json
    import tempfile as _tf
    import os as _os
    import pyrules
    s = {"scenario": "nothing", "date": "2025-06-01",
         "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "B"},
         "entities": {"B": {"located": "DE", "headquartered": "DE"}}}
    for items in (None, []):
        if items is not None:
            s["items"] = items
        with pytest.raises(pyrules.InputError) as exc:
            pyrules.evaluate(s)
        assert exc.value.field == "items"
    with _tf.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        _json.dump(s, fh)
    try:
        out = _sp.run([_sys.executable, "-m", "pyrules.cli", "ask", fh.name], capture_output=True, text=True)
    finally:
        _os.unlink(fh.name)
    assert out.returncode == 2 and "items" in out.stderr and "Traceback" not in out.stderr


def test_reading_defaults_in_python_match_the_knowledge_base():
    """The readings offered for input (pyrules/schema.py READINGS, first = default) are
    exactly the KB's reading_topic/2 defaults and reading_alternative/2 choices."""
    import clingo
    from pyrules.engine import kb
    from pyrules.inputs import schema
    from pyrules.engine.arithmetic import Arithmetic
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], kb.kb_text())
    ctl.ground([("base", [])], context=Arithmetic())
    defaults, choices = {}, {}
    for a in ctl.symbolic_atoms.by_signature("reading_topic", 2):
        defaults[a.symbol.arguments[0].name] = a.symbol.arguments[1].name
    for a in ctl.symbolic_atoms.by_signature("reading_alternative", 2):
        choices.setdefault(a.symbol.arguments[0].name, set()).add(a.symbol.arguments[1].name)
    assert set(schema.READINGS) == set(defaults) == set(choices)
    for topic, offered in schema.READINGS.items():
        assert offered[0] == defaults[topic], topic
        assert set(offered) == choices[topic], topic


def test_742_6_b_10_assurance_multiplier_is_exact_under_a_regime():
    """742.6(b)(10) allocation with assurances under a regime multiplier of 150%:
    1,185,000,000 TPP exactly (no integer truncation of the percentage)."""
    import pyrules
    from pyrules.modes.regime import Regime
    regime = Regime.from_dict({"regime": "x", "params": {"assurance_multiplier_percent": 150}})
    def s(used):
        return {"scenario": "t", "date": "2025-06-01",
                "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "B"},
                "items": [{"eccn": "3A090.a", "tpp": 1_000_000, "quantity": 1}],
                "entities": {"B": {"located": "IN", "headquartered": "IN"}},
                "facts": {"tier2_allocation_used_tpp": used, "government_assurances": True}}
    assert pyrules.evaluate(s(1_184_000_000), regime=regime).licensing_policy == "presumption_of_approval"
    assert pyrules.evaluate(s(1_184_000_001), regime=regime).licensing_policy == "policy_of_denial"
