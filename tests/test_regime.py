"""Regime what-ifs (pyrules compare --regime): a regime file changes the rule's
parameters; the knowledge base reads them through regime_tier/2, regime_param/2,
regime_date/2, regime_nveu_allocation/3 and regime_off/1 (kb/input.lp)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from clingo import Function, Number, String

from helpers import auth, failed, run, scenario
from pyrules import Scenario
from pyrules.engine.arithmetic import big
from pyrules.cli import main
from pyrules.errors import InputError
from pyrules.modes.regime import Regime, compare

ROOT = Path(__file__).resolve().parent.parent
REGIMES = ROOT / "regimes"
KB = ROOT / "kb"

# An Emirati data-center company whose country's Tier 2 allocation is used up.
UAE_EXHAUSTED = scenario(
    to="AE",
    entities={"Buyer": {"located": "AE", "headquartered": "AE"}},
    facts={"tier2_allocation_used_tpp": "790,000,000", "government_assurances": False},
)

# 2,000 H100 to a German company: 31,664,000 TPP, over the LPP limit of 26,900,000.
LPP_FACTS = {"lpp_certification_obtained": True, "lpp_prior_shipments_tpp": 0}
LPP_OVER = scenario(items=[{"chip": "H100-SXM", "quantity": 2000}], facts=LPP_FACTS)
LPP_WITHIN = scenario(items=[{"chip": "H100-SXM", "quantity": 1000}], facts=LPP_FACTS)

needs_lpp = pytest.mark.skipif(not (KB / "exception_lpp.lp").is_file(), reason="kb/exception_lpp.lp not written yet")


# ------------------------------------------------------------------ facts
def test_regime_facts_are_the_regime_predicates():
    r = Regime.from_dict(
        {
            "tiers": {"ae": 1},
            "params": {
                "lpp_annual_limit_tpp": "53,800,000",
                "model_training_ops": "1e27",
                "lpp_certification_copy_days": 45,
            },
            "dates": {"compliance": "2025-09-01"},
            "off": ["lic_lpp"],
        }
    )
    facts = set(r.facts())
    assert Function("regime_tier", [String("AE"), Number(1)]) in facts
    # parameters whose default is an n(...) number get an n(...) number ...
    assert Function("regime_param", [Function("lpp_annual_limit_tpp"), big(53_800_000)]) in facts
    assert Function("regime_param", [Function("model_training_ops"), big(10**27)]) in facts
    # ... the others a plain integer
    assert Function("regime_param", [Function("lpp_certification_copy_days"), Number(45)]) in facts
    assert Function("regime_date", [Function("compliance"), Number(20250901)]) in facts
    assert Function("regime_off", [Function("lic_lpp")]) in facts
    assert len(facts) == 6


def test_nveu_quarters_not_named_keep_the_rule_values():
    r = Regime.from_dict({"nveu_allocation": {"2025-Q1": "1,000,000,000"}})
    rows = {(f.arguments[0].number, f.arguments[1].number): f.arguments[2] for f in r.facts()}
    assert rows[(2025, 1)] == big(1_000_000_000)
    assert rows[(2025, 2)] == big(949_500_000)  # unchanged, from kb/parameters.lp
    assert rows[(2027, 4)] == big(5_064_000_000)
    assert len(rows) == 12


def test_bundled_regime_files_load():
    files = sorted(REGIMES.glob("*.json"))
    assert len(files) >= 3
    for f in files:
        r = Regime.load(f)
        assert r.facts(), f


# ------------------------------------------------------------------ outcomes
def test_742_6_b_10_moving_a_tier2_country_to_tier1_changes_the_policy():
    """A Tier 2 country with its allocation used up gets a policy of denial; moved
    to Tier 1 (742.6(b)(10), Supp. No. 5 to part 740), a presumption of approval."""
    d = run(UAE_EXHAUSTED)
    assert d.licensing_policy == "policy_of_denial"
    d2 = run(UAE_EXHAUSTED, regime=Regime.load(REGIMES / "uae_to_tier1.json"))
    assert d2.licensing_policy == "presumption_of_approval"
    assert ("policy", "policy_chips_tier1") in {(a.name, a.arguments[1].name) for a in d2.atoms if a.name == "policy"}


def test_compare_lists_the_changed_policy_and_counts_it():
    s = Scenario.from_dict(UAE_EXHAUSTED)
    base = Scenario.from_dict(scenario())  # a German buyer: AE's tier does not matter
    result = compare(Regime.load(REGIMES / "uae_to_tier1.json"), [("uae", s), ("de", base)])
    rows = {r["file"]: r for r in result["results"]}
    assert not rows["de"]["changed"] and rows["de"]["changes"] == []
    pol = [c for c in rows["uae"]["changes"] if c["what"] == "licensing_policy"]
    assert pol == [{"what": "licensing_policy", "before": "policy_of_denial", "after": "presumption_of_approval"}]
    assert result["summary"]["scenarios"] == 2 and result["summary"]["changed"] == 1
    assert result["summary"]["by_aspect"]["licensing_policy"] == 1


@needs_lpp
def test_740_29_raising_the_lpp_limit_makes_an_over_limit_shipment_available():
    """31,664,000 TPP fails the 26,900,000 limit of 740.29; under a doubled limit it is within."""
    assert "lpp_annual_limit" in failed(run(LPP_OVER), "lpp")
    d = run(LPP_OVER, regime=Regime.load(REGIMES / "lpp_doubled.json"))
    assert auth(d, "lpp")["available"] is True
    assert d.authorized is True


@needs_lpp
def test_740_29_switching_lpp_off_makes_it_unavailable():
    assert auth(run(LPP_WITHIN), "lpp")["available"] is True
    d = run(LPP_WITHIN, regime=Regime.load(REGIMES / "no_lpp.json"))
    assert auth(d, "lpp")["available"] is False
    assert failed(d, "lpp") == {"provision_in_force"}


def test_742_6_a_6_iii_switching_the_worldwide_requirement_off_means_no_licence():
    assert run(scenario()).license_required is True
    d = run(scenario(), regime=Regime.from_dict({"off": ["worldwide_chips"]}))
    assert d.license_required is False


def test_moving_the_effective_date_later_leaves_the_scenario_before_the_rule():
    """Before the (moved) effective date the earlier controls govern (kb/earlier_controls.lp):
    H100s to Germany need no licence under them; 'before_rule' now means before 2023-11-17."""
    d = run(scenario(date="2025-06-01"), regime=Regime.from_dict({"dates": {"effective": "2025-07-01"}}))
    assert d.license_required is False
    assert d.rule_status["before_rule"] is False
    assert "worldwide_chips" not in {c["provision"] for c in d.controls}
    d = run(
        scenario(date="2025-06-01"), regime=Regime.from_dict({"dates": {"advanced_computing_effective": "2025-07-01"}})
    )
    assert d.license_required is None and d.rule_status["before_rule"] is True


def test_switching_off_a_provision_the_kb_never_consults_warns():
    r = Regime.from_dict({"off": ["recordkeeping"]})
    assert any("recordkeeping" in w for w in r.warnings)
    assert Regime.from_dict({"off": ["worldwide_chips"]}).warnings == []


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "raw, field",
    [
        ({"tiers": {"XX": 1}}, "tiers.XX"),
        ({"tiers": {"AE": 4}}, "tiers.AE"),
        ({"tiers": {"AE": True}}, "tiers.AE"),
        ({"params": {"no_such_param": 1}}, "params.no_such_param"),
        ({"params": {"lpp_annual_limit_tpp": "lots"}}, "params.lpp_annual_limit_tpp"),
        ({"params": {"lpp_annual_limit_tpp": -5}}, "params.lpp_annual_limit_tpp"),
        ({"params": {"lpp_certification_copy_days": "1e27"}}, "params.lpp_certification_copy_days"),
        ({"dates": {"no_such_date": "2025-01-01"}}, "dates.no_such_date"),
        ({"dates": {"compliance": "2025-02-30"}}, "dates.compliance"),
        ({"nveu_allocation": {"2031-Q1": 5}}, "nveu_allocation.2031-Q1"),
        ({"nveu_allocation": {"Q1": 5}}, "nveu_allocation.Q1"),
        ({"off": ["no_such_provision"]}, "off[0]"),
        ({"off": "lic_lpp"}, "off"),
        ({"tier": {"AE": 1}}, "tier"),
    ],
)
def test_bad_regime_names_the_field(raw, field):
    with pytest.raises(InputError) as e:
        Regime.from_dict(raw)
    assert e.value.field == field


def test_cli_bad_regime_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"params": {"lpp_annual_limit_tpp": "lots"}}))
    q = tmp_path / "q.json"
    q.write_text(json.dumps(scenario()))
    assert main(["compare", "--regime", str(bad), str(q)]) == 2
    err = capsys.readouterr().err
    assert "params.lpp_annual_limit_tpp" in err and "bad.json" in err
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert main(["compare", "--regime", str(broken), str(q)]) == 2
    assert main(["compare", "--regime", str(tmp_path / "missing.json"), str(q)]) == 2


def test_cli_compare_json(tmp_path):
    q = tmp_path / "q.json"
    q.write_text(json.dumps([UAE_EXHAUSTED, scenario()]))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyrules.cli",
            "compare",
            "--regime",
            str(REGIMES / "uae_to_tier1.json"),
            str(q),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["summary"] == {
        "scenarios": 2,
        "changed": 1,
        "unchanged": 1,
        "by_aspect": result["summary"]["by_aspect"],
    }
    assert result["summary"]["by_aspect"]["licensing_policy"] == 1
    assert result["regime"]["changes"] == ["AE (United Arab Emirates) placed in Tier 1"]


def test_cli_compare_text(capsys):
    assert main(["compare", "--regime", str(REGIMES / "uae_to_tier1.json"), str(ROOT / "queries")]) == 0
    out = capsys.readouterr().out
    assert "Regime: UAE moved to Tier 1" in out and "Summary:" in out


def test_ask_under_a_regime_applies_it_and_says_so(capsys):
    """`pyrules ask --regime`: the LPP limit doubled (740.29) makes the over-limit case
    available, and the JSON answer names the regime and its changes."""
    import json as _json
    from pathlib import Path as _Path

    from pyrules.cli import main

    root = _Path(__file__).resolve().parent.parent
    case = str(root / "queries" / "lpp_year_limit_exceeded_by_one.json")
    assert main(["ask", case, "--json"]) == 0
    before = _json.loads(capsys.readouterr().out)
    assert main(["ask", case, "--json", "--regime", str(root / "regimes" / "lpp_doubled.json")]) == 0
    after = _json.loads(capsys.readouterr().out)

    def lpp(answer):
        return next(a for a in answer["authorizations"] if a["name"] == "LPP")["available"]

    assert (lpp(before), lpp(after)) == (False, True)
    assert after["regime"]["regime"] == "LPP limit doubled" and "regime" not in before


def test_ask_with_a_bad_regime_file_exits_2(tmp_path, capsys):
    from pyrules.cli import main

    bad = tmp_path / "bad.json"
    bad.write_text('{"tiers": 3}')
    case = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "queries" / "core_burma.json")
    assert main(["ask", case, "--regime", str(bad)]) == 2
    assert "bad.json" in capsys.readouterr().err


def test_cli_compare_several_regimes_at_once_equals_each_alone(capsys):
    """`pyrules compare --regime A --regime B`: one comparison per regime, each the same
    as comparing under that regime alone (all through the batch call)."""
    files = [str(REGIMES / "uae_to_tier1.json"), str(REGIMES / "lpp_doubled.json")]
    alone = []
    for f in files:
        assert main(["compare", "--regime", f, str(ROOT / "queries"), "--json"]) == 0
        alone.append(json.loads(capsys.readouterr().out))
    assert main(["compare", "--regime", files[0], "--regime", files[1], str(ROOT / "queries"), "--json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert both["comparisons"] == alone
    assert alone[0]["summary"]["changed"] >= 1 and alone[0]["regime"] != alone[1]["regime"]
    assert main(["compare", "--regime", files[0], "--regime", files[1], str(ROOT / "queries")]) == 0
    out = capsys.readouterr().out
    assert out.count("Summary:") == 2 and "Regime: UAE moved to Tier 1" in out


def test_compare_through_the_batch_equals_one_evaluation_each():
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.regime import _diff, _outcome
    import pyrules

    regime = Regime.load(REGIMES / "uae_to_tier1.json")
    pairs = load_scenarios(sorted((ROOT / "queries").glob("*.json")))
    result = compare(regime, pairs)
    for (path, s), row in zip(pairs, result["results"]):
        before, after = _outcome(pyrules.evaluate(s)), _outcome(pyrules.evaluate(s, regime=regime))
        assert row["as_written"] == before and row["under_regime"] == after and row["changes"] == _diff(before, after)


# --- moved from test_reliability.py: hostile regime files and their limits (742.6(b)(10) allocation) ---
from helpers import QUERIES, cli_run, write_file as write  # noqa: E402


@pytest.mark.parametrize(
    "regime, needle",
    [
        ({"tiers": {"AE": [1]}}, "tiers.AE"),
        ({"tiers": {"AE": 1.5}}, "tiers.AE"),
        ({"tiers": {"AE": "1"}}, "tiers.AE"),
        ({"tiers": [["AE", 1]]}, "tiers"),
        ({"params": {"tier2_allocation_tpp": "1e30"}}, "params.tier2_allocation_tpp"),
        ({"params": {"assurance_multiplier_percent": [200]}}, "params.assurance_multiplier_percent"),
        ({"regime": "x\u001b[2J"}, "regime"),
    ],
)
def test_hostile_regime_file_is_exit_2(tmp_path, regime, needle):
    rc, out, err = cli_run(
        "compare", "--regime", write(tmp_path, "r.json", regime), QUERIES / "india_cloud_chinese_parent.json"
    )
    assert rc == 2 and needle in err, err
    assert "\x1b" not in err


def test_regime_allocation_near_10_30_is_exact(tmp_path):
    """742.6(b)(10): an allocation of 9 x 10^29 (the high bound 200% of it is 1.8 x 10^30,
    past the five-limb range) is computed exactly, not a traceback."""
    regime = {"params": {"tier2_allocation_tpp": "9e29"}}
    rc, out, err = cli_run(
        "compare", "--json", "--regime", write(tmp_path, "r.json", regime), QUERIES / "india_cloud_chinese_parent.json"
    )
    assert rc == 0, err


def test_regime_plain_parameter_at_and_past_its_limit(tmp_path):
    """limits.MAX_REGIME_INT: a percentage of 2,000 is accepted, 2,001 refused (the KB's
    limb products of kb/model_weights.lp stay 32-bit)."""
    from pyrules.modes.regime import Regime

    assert Regime.from_dict({"params": {"derived_added_share_percent": 2000}}).params
    with pytest.raises(InputError, match="between 0 and 2,000"):
        Regime.from_dict({"params": {"derived_added_share_percent": 2001}})
