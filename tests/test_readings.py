"""Ambiguities (issue 4): a scenario evaluated under each reading of each ambiguous
provision; the output says when the outcome depends on the reading."""

from __future__ import annotations

import json

import pytest

import pyrules
from pyrules import cli
from pyrules.inputs import schema
from pyrules.modes.readings import evaluate_all_readings, outcome
from helpers import scenario


def overlap(**kw):
    """742.6(b)(10) overlap: consignee located (and headquartered) in Germany (Tier 1),
    its ultimate parent headquartered in China (Tier 3)."""
    return scenario(
        entities={
            "Buyer": {"located": "DE", "headquartered": "DE", "parent": "HoldCo"},
            "HoldCo": {"headquartered": "CN"},
        },
        **kw,
    )


@pytest.fixture(scope="module")
def overlap_result():
    return evaluate_all_readings(overlap())


def test_742_6_b_10_overlap_depends_on_reading(overlap_result):
    res = overlap_result
    assert "tier_overlap" in res["depends_on"]
    t = res["topics"]["tier_overlap"]
    assert t["depends"] and "licensing_policy" in t["differences"]
    assert t["flagged_by_kb"]
    pol = {r: o["licensing_policy"] for r, o in t["outcomes"].items()}
    assert pol == {
        "unresolved": None,
        "tier3_prevails": "presumption_of_denial",
        "tier1_prevails": "presumption_of_approval",
    }
    assert res["baseline"]["licensing_policy"] is None  # default reading: unresolved


def test_each_reading_agrees_with_a_plain_evaluation(overlap_result):
    """The one-grounding evaluation under each reading equals evaluating the scenario with it chosen."""
    for topic, info in overlap_result["topics"].items():
        for r, o in info["outcomes"].items():
            assert outcome(pyrules.evaluate(overlap(readings={topic: r}))) == o, (topic, r)


def test_every_topic_of_the_kb_is_checked(overlap_result):
    assert set(overlap_result["topics"]) == set(schema.READINGS)
    for t, choices in schema.READINGS.items():
        assert overlap_result["topics"][t]["default"] == choices[0]
        assert set(overlap_result["topics"][t]["alternatives"]) == set(choices)


def test_no_ambiguity_reports_none():
    """Tier 3 destination (China, Chinese consignee): presumption of denial whatever the reading."""
    res = evaluate_all_readings(scenario(to="CN", entities={"Buyer": {"located": "CN", "headquartered": "CN"}}))
    assert res["depends_on"] == []
    assert not any(t["depends"] for t in res["topics"].values())
    assert res["baseline"]["licensing_policy"] == "presumption_of_denial"


def test_allocation_exhaustion_reading_when_shipment_does_not_fit():
    """742.6(b)(10) Tier 2 allocation: used below the allocation, but used + shipment above it."""
    s = scenario(
        to="IN",
        entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
        items=[{"tpp": 10_000, "quantity": 2}],
        facts={"tier2_allocation_used_tpp": 790_000_000 - 10_000, "government_assurances": False},
    )
    res = evaluate_all_readings(s)
    t = res["topics"]["allocation_exhaustion"]
    assert t["depends"]
    assert t["outcomes"]["shipment_fits"]["licensing_policy"] == "policy_of_denial"
    assert t["outcomes"]["used_below"]["licensing_policy"] == "presumption_of_approval"


def test_scenario_choice_is_the_baseline():
    res = evaluate_all_readings(overlap(readings={"tier_overlap": "tier1_prevails"}))
    assert res["readings_used"]["tier_overlap"] == "tier1_prevails"
    assert res["baseline"]["licensing_policy"] == "presumption_of_approval"
    assert "tier_overlap" in res["depends_on"]


def test_cli_readings(tmp_path, capsys):
    f = tmp_path / "overlap.json"
    f.write_text(json.dumps(overlap()))
    assert cli.main(["readings", str(f)]) == 0
    out = capsys.readouterr().out
    # the topic's plain title (reading_title/2) and what differs, in words
    assert (
        "The outcome depends on the reading tier_overlap, which licensing policy prevails when the "
        "Tier 1 and Tier 3 policies both apply: the licensing policy is none determined under unresolved, "
        "presumption of denial under tier3_prevails, presumption of approval under tier1_prevails."
    ) in out
    assert "THE OUTCOME DEPENDS" not in out
    assert "tier3_prevails: licence required yes; policy presumption of denial" in out
    assert cli.main(["readings", "--json", str(f)]) == 0
    assert "tier_overlap" in json.loads(capsys.readouterr().out)["depends_on"]
    assert cli.main(["readings"]) == 0  # without files: the list of topics
    assert "tier_overlap: unresolved, tier3_prevails, tier1_prevails" in capsys.readouterr().out


def test_red_flag_28_united_states_reading_changes_the_red_flag():
    """Supp. No. 3 to part 732, red flag 28, for a U.S.-headquartered IaaS customer."""
    from pathlib import Path

    raw = json.loads((Path(__file__).resolve().parent.parent / "queries" / "redflag_us_customer.json").read_text())
    res = evaluate_all_readings(raw)
    t = res["topics"]["rf28_united_states"]
    assert t["depends"] and "red_flags" in t["differences"]
    assert t["outcomes"]["literal"]["red_flags"] != t["outcomes"]["us_included"]["red_flags"]


def test_readings_of_many_scenarios_through_the_batch_equal_one_by_one():
    """`pyrules readings` over several files decides every scenario's readings in one
    batch; the result of each is exactly evaluate_all_readings' (external readings)."""
    import json
    from pathlib import Path
    from pyrules.modes.readings import evaluate_all_readings, evaluate_all_readings_many

    raws = []
    for path in sorted((Path(__file__).resolve().parent.parent / "queries").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw.pop("questions", None)
        raws.append(raw)
    many = list(evaluate_all_readings_many(raws, batch_size=100))
    assert len(many) == len(raws)
    for raw, res in zip(raws, many):
        assert res == evaluate_all_readings(raw), raw.get("scenario")
    assert any(res["depends_on"] for res in many)


# --- moved from test_spec_coverage.py: readings offered = the KB's ---
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


def test_readings_text_names_obligations_and_red_flags_in_words(tmp_path, capsys):
    """Red flag 28 (Supp. No. 3 to part 732) under the literal reading of its
    destinations, for a U.S.-headquartered customer: `pyrules readings FILE` gives the
    red flag by its title and whom it concerns, and the obligation it brings (ask about
    exporting the weights) by its description, not as "rf28:USCo" or "rf28 inquire"."""
    from pathlib import Path
    from pyrules import cli
    from pyrules.modes.readings import to_text

    src = Path(__file__).resolve().parent.parent / "queries" / "redflag_us_customer.json"
    res = evaluate_all_readings(json.loads(src.read_text()))
    assert res["baseline"]["red_flags"] == ["rf28:USCo"]  # the JSON keeps the ids
    assert res["labels"]["red_flags"]["rf28:USCo"].startswith("Red flag 28: ")
    assert res["labels"]["red_flags"]["rf28:USCo"].endswith("concerning USCo")
    (oid,) = res["baseline"]["obligations"]
    assert res["labels"]["obligations"][oid].startswith("Ask the customer whether it intends to export")
    text = to_text(res)
    assert "rf28:USCo" not in text and oid.replace("_", " ") not in text
    assert "red flags: “Red flag 28: IaaS training" in text
    assert "obligations: “Ask the customer whether it intends to export the trained model weights" in text
    assert "the red flags are none under us_included, “Red flag 28:" in text
    assert cli.main(["readings", str(src)]) == 0
    assert capsys.readouterr().out.strip() == text
