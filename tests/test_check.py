"""The consistency checker (pyrules check): the abstract space of transactions
searched in ASP (kb/modes/check.lp), findings with witnesses that reproduce."""

from __future__ import annotations

import json

import pytest

import pyrules
from pyrules.modes.check import build_space, run_check
from pyrules.cli import main
from pyrules.modes.regime import Regime

BUDGET_SECONDS = 60


@pytest.fixture(scope="module")
def result():
    return run_check(samples=20)


def _tiers(d) -> dict:
    """Tiers of the countries a determination mentions (country_tier/2 in the output)."""
    return {
        a.arguments[0].string: a.arguments[1].number
        for a in d.atoms
        if (a.name == "country_tier" and len(a.arguments) == 2) or (a.name == "tier" and len(a.arguments) == 3)
    }


def _party_countries(w: dict) -> dict:
    """Where the consignee of a witness is located, headquartered, and its parent headquartered."""
    c = w["transaction"].get("consignee")
    ents = w.get("entities", {})
    me = ents.get(c, {})
    out = {
        "destination": w["transaction"].get("to"),
        "located": me.get("located"),
        "headquartered": me.get("headquartered"),
    }
    if me.get("parent"):
        out["ultimate_parent"] = ents.get(me["parent"], {}).get("headquartered")
    return out


def test_space_covers_the_rule_s_dimensions():
    sp = build_space()
    assert {"US", "HK", "MO"} <= set(sp.countries)
    tier_of = {}
    for c in sp.countries:
        tier_of.update(_tiers(pyrules.evaluate({"date": "2025-06-01", "transaction": {"to": c}})))
    assert {tier_of[c] for c in sp.countries} == {1, 2, 3}
    assert {"3A090.a", "4A090.a", "4E091"} <= set(sp.eccns)
    assert any(".z" in e for e in sp.eccns)
    # the day before and the day of each key date (kb/provisions.lp)
    for d in (20250113, 20250515, 20260115, 20260413):
        assert d in sp.dates
    assert 20250112 in sp.dates and 20250514 in sp.dates
    # just within and just over the LPP limit (26,900,000 TPP) at 5,000 TPP a unit
    lpp = next(g for g in sp.groups if g["label"] == "26,900,000 TPP")
    assert lpp["quantities"] == [1, 5380, 5381]


def test_742_6_b_10_checker_finds_the_tier1_tier3_overlap(result):
    """The presumptions of approval (Tier 1) and of denial (Tier 3) of 742.6(b)(10)
    both apply to some transaction; the witness shows it when evaluated."""
    f = next(f for f in result["findings"] if f["id"] == "overlap:policy_chips_tier1/policy_chips_tier3")
    assert f["known"] and f["reproduced"] is True
    assert f["citations"] == ["15 CFR 742.6(b)(10)", "15 CFR 742.6(b)(10)"]
    d = pyrules.evaluate(f["witness"])
    assert d.license_required is True
    assert [o["provisions"] for o in d.overlaps] == [["policy_chips_tier1", "policy_chips_tier3"]]
    assert d.licensing_policy is None
    tiers = _tiers(d)
    ties = {tiers[c] for c in _party_countries(f["witness"]).values() if c}
    assert {1, 3} <= ties


def test_every_witness_reproduces_its_finding(result):
    assert result["findings"], "the checker should find at least the known overlap"
    for f in result["findings"]:
        if f["witness"] is None:
            continue
        assert f["reproduced"] is True, f["id"]
        d = pyrules.evaluate(f["witness"])
        if f["kind"] == "overlap":
            assert f["id"].split(":")[1].split("/") in [o["provisions"] for o in d.overlaps]
            assert d.licensing_policy is None
        elif f["kind"] == "no_policy":
            assert d.license_required is True and d.licensing_policy is None and d.missing_facts == []
        elif f["kind"] == "tier3_reach":
            a = next(x for x in d.authorizations if x["name"] == f["detail"]["authorization"].upper())
            assert a["available"] is True
            country = _party_countries(f["witness"])[f["detail"]["tie"]]
            assert _tiers(d)[country] == 3, f["id"]
            assert not any(n["id"].startswith("tier3_route(" + f["detail"]["authorization"]) for n in d.notes)
        elif f["kind"] == "answer_sets":
            from pyrules.engine.control import default_engine
            from pyrules.inputs.facts import scenario_facts

            assert len(default_engine().models(scenario_facts(pyrules.Scenario.from_dict(f["witness"])))) != 1


def test_every_authorization_is_reachable_as_written(result):
    reach = result["authorizations_reachable"]
    assert reach and all(reach.values()), reach
    assert not [f for f in result["findings"] if f["kind"] == "never_available"]


def test_switching_lpp_off_makes_the_checker_report_it_as_never_available():
    """The 'never available' question can fail: with 740.29 switched off by a regime,
    LPP is available nowhere in the space."""
    r = run_check(samples=0, regime=Regime.from_dict({"off": ["lic_lpp"]}))
    assert r["authorizations_reachable"]["lpp"] is False
    ids = {f["id"] for f in r["findings"]}
    assert "never_available:lpp" in ids
    assert "tier3_reach:lpp/destination" not in ids


def test_sampled_scenarios_have_exactly_one_answer_set(result):
    s = result["answer_sets"]["samples"]
    assert s["sampled"] == 20 and s["exactly_one"] == 20
    assert result["answer_sets"]["structure"]["kb_statements_against_one_answer_set"] == []


def test_check_runs_within_the_time_budget(result):
    assert result["timings_seconds"]["total"] < BUDGET_SECONDS


def test_cli_check_writes_runnable_witnesses(tmp_path, capsys):
    out = tmp_path / "witnesses"
    assert main(["check", "--json", "--samples", "3", "--witness-dir", str(out)]) == 0
    res = json.loads(capsys.readouterr().out)
    files = sorted(out.glob("*.json"))
    assert len(files) == sum(1 for f in res["findings"] if f["witness"]) > 0
    assert main(["ask", "--json", *map(str, files)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.strip()]
    assert len(lines) == len(files)
    assert any(x["overlaps"] for x in lines)
