"""Minimal-change counterfactuals (issue 4, Counterfactuals): pyrules.whatif.

Properties checked on every result: each repair, applied to the scenario, reaches
the goal by a fresh pyrules.evaluate; no proper subset of its changes does; a
scenario that already meets the goal gets the empty repair; an unreachable goal
is reported as unreachable.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pyrules
from pyrules.modes import whatif
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario

from helpers import scenario

ROOT = Path(__file__).resolve().parent.parent
H100 = 15832
LPP_LIMIT = 26_900_000


def india(**kw) -> dict:
    """Indian cloud provider (IN) with a Chinese parent HoldCo, H100s from the US."""
    s = scenario(
        to="IN",
        consignee="AcmeCloud",
        entities={
            "AcmeCloud": {"located": "IN", "headquartered": "IN", "parent": "HoldCo"},
            "HoldCo": {"headquartered": "CN"},
        },
        items=[{"chip": "H100-SXM", "quantity": 1000}],
        facts={"lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True},
    )
    s.update(kw)
    return s


def lpp_lab(quantity=2000, prior=0, **tx) -> dict:
    return scenario(
        to="IN",
        consignee="Lab",
        purpose="research",
        transaction=tx,
        entities={"Lab": {"located": "IN", "headquartered": "IN"}},
        items=[{"chip": "H100-SXM", "quantity": quantity}],
        facts={"lpp_prior_shipments_tpp": prior, "lpp_certification_obtained": True},
    )


def goal_symbol(goal):
    return whatif._goal_symbol(goal)[0]


def concrete(repair):
    """Every concrete change set a (possibly grouped) repair stands for."""
    return [list(combo) for combo in itertools.product(*[[(c.var, v) for v in c.values()] for c in repair.changes])]


def reaches(s, changes, goal) -> bool:
    d = pyrules.evaluate(whatif.apply_changes(Scenario.from_dict(s), changes).to_dict())
    return whatif.reaches(d, goal_symbol(goal))


def check_properties(s: dict, goal: str, r: whatif.WhatIfResult) -> None:
    """The issue's properties, by fresh evaluations independent of whatif's own checks."""
    assert not r.rejected, [x.text() for x in r.rejected]
    met = whatif.reaches(pyrules.evaluate(s), goal_symbol(goal))
    if met:
        assert r.reachable and r.optimal_cost == 0
        assert len(r.repairs) == 1 and r.repairs[0].changes == []
        return
    if not r.reachable:
        assert r.repairs == []
        return
    assert r.repairs, "reachable but no repair"
    for rep in r.repairs:
        assert rep.changes, "an empty repair for a scenario that does not meet the goal"
        assert rep.cost == sum(c.var.cost for c in rep.changes) == r.optimal_cost
        for changes in concrete(rep):
            assert reaches(s, changes, goal), f"repair {rep.text()} does not reach {goal}"
            # minimality: no proper subset (the empty one included) reaches the goal
            for k in range(len(changes)):
                for sub in itertools.combinations(changes, k):
                    assert not reaches(s, list(sub), goal), f"{rep.text()} is not minimal: {sub} suffices"


# ----------------------------------------------------------------------------- concrete examples
def test_india_chinese_parent_holdco_headquarters_opens_presumption_of_approval():
    """742.6(b)(10): moving HoldCo's headquarters out of Tier 3 removes the presumption of
    denial; any Tier 1 or Tier 2 country opens the presumption of approval."""
    s = india()
    assert pyrules.evaluate(s).licensing_policy == "presumption_of_denial"
    r = whatif.repairs(s, "presumption_of_approval", [{"fact": "headquartered", "entity": "HoldCo"}])
    assert r.reachable and r.optimal_cost == 1
    assert len(r.repairs) == 1
    (change,) = r.repairs[0].changes
    assert change.kind == "headquartered" and change.var.entity == "HoldCo"
    assert {c["tier"] for c in change.classes} == {1, 2}
    assert "any Tier 1 or Tier 2 country" in change.text()
    assert "15 CFR 742.6(b)(10)" in r.repairs[0].citations
    covered = {m for c in change.classes for m in c["countries"]}
    assert "DE" in covered and "US" in covered and "IN" in covered
    assert not covered & {"CN", "HK", "MO", "RU", "IR"}
    check_properties(s, "presumption_of_approval", r)


def test_country_classes_are_treated_alike():
    """Any member of a class, not only its representative, reaches the goal."""
    s = india()
    r = whatif.repairs(s, "presumption_of_approval", [{"fact": "headquartered", "entity": "HoldCo"}])
    (change,) = r.repairs[0].changes
    rnd = random.Random(4)
    for cls in change.classes:
        for code in rnd.sample(cls["countries"], min(2, len(cls["countries"]))):
            assert reaches(s, [(change.var, code)], "presumption_of_approval"), (cls["representative"], code)
    # and a Tier 3 country does not
    assert not reaches(s, [(change.var, "RU")], "presumption_of_approval")


def test_lpp_quantity_at_most_1699_h100():
    """740.29: 26,900,000 // 15,832 = 1,699 H100-SXM with no prior shipments; 1,700 is over."""
    s = lpp_lab(2000)
    r = whatif.repairs(s, "lpp", [{"fact": "quantity", "item": 1}])
    assert r.reachable and len(r.repairs) == 1
    (change,) = r.repairs[0].changes
    assert change.value == LPP_LIMIT // H100 == 1699
    assert "at most 1,699 H100-SXM" in change.text()
    assert any(
        c["condition"] == "lpp_annual_limit" and c["citation"] == "15 CFR 740.29" for c in r.repairs[0].satisfies
    )
    assert reaches(s, [(change.var, 1699)], "lpp")
    assert not reaches(s, [(change.var, 1700)], "lpp")
    check_properties(s, "lpp", r)


@pytest.mark.parametrize("prior", [1, 10_000_000, 26_900_000 - 2 * H100, 26_900_000 - 2 * H100 - 1])
def test_lpp_quantity_counts_prior_shipments_exactly(prior):
    s = lpp_lab(2000, prior=prior)
    r = whatif.repairs(s, "lpp", [{"fact": "quantity", "item": 1}])
    expected = (LPP_LIMIT - prior) // H100
    (change,) = r.repairs[0].changes
    assert change.value == expected
    var = change.var
    assert reaches(s, [(var, expected)], "lpp") and not reaches(s, [(var, expected + 1)], "lpp")


def test_already_met_gets_the_empty_repair():
    s = lpp_lab(100)
    assert whatif.reaches(pyrules.evaluate(s), goal_symbol("lpp"))
    r = whatif.repairs(s, "lpp", [{"fact": "quantity", "item": 1}, {"fact": "destination"}])
    assert r.reachable and r.already_met and r.optimal_cost == 0
    assert [rep.changes for rep in r.repairs] == [[]]
    assert "already meets the goal" in r.to_text()


def test_unreachable_goal_is_reported():
    """A Tier 3 parent bars LPP (740.29); changing the purpose cannot help."""
    s = india()
    r = whatif.repairs(s, "lpp", [{"fact": "purpose"}, {"fact": "via_distributor"}])
    assert not r.reachable and r.repairs == []
    assert "No change within what may change reaches the goal" in r.to_text()
    assert r.to_json()["reachable"] is False


def test_nothing_may_change_and_goal_unmet_is_unreachable():
    r = whatif.repairs(india(), "authorized", [])
    assert not r.reachable


def test_two_changes_needed_are_both_required():
    """LPP through a distributor without certification: both must change (740.29)."""
    s = lpp_lab(100, via_distributor=True)
    s["facts"]["lpp_certification_obtained"] = False
    may = [
        {"fact": "via_distributor"},
        {"fact": "fact", "name": "lpp_certification_obtained"},
        {"fact": "purpose"},
        {"fact": "date"},
        {"fact": "quantity", "item": 1},
    ]
    r = whatif.repairs(s, "lpp", may)
    assert r.optimal_cost == 2 and len(r.repairs) == 1
    rep = r.repairs[0]
    assert {c.kind for c in rep.changes} == {"via_distributor", "fact"}
    assert rep.minimal is True
    conds = {c["condition"] for c in rep.satisfies}
    assert {"lpp_no_distributor", "lpp_certification"} <= conds
    check_properties(s, "lpp", r)


def test_costs_choose_the_cheaper_repair():
    s = india()
    may = [
        {"fact": "headquartered", "entity": "HoldCo", "cost": 3},
        {"fact": "parent", "entity": "AcmeCloud", "cost": 2},
    ]
    r = whatif.repairs(s, "presumption_of_approval", may)
    assert r.optimal_cost == 2
    assert [[(c.kind, c.value) for c in rep.changes] for rep in r.repairs] == [[("parent", None)]]
    assert "AcmeCloud has no parent" in r.to_text()
    may[0]["cost"] = 2
    r = whatif.repairs(s, "presumption_of_approval", may)
    assert sorted(c.kind for rep in r.repairs for c in rep.changes) == ["headquartered", "parent"]
    check_properties(s, "presumption_of_approval", r)


def test_date_change_uses_key_dates():
    """Before the IFR's compliance date (2025-05-15) the earlier controls govern and need no
    licence for this Indian lab, so LPP is not weighed; a date change to a key date from
    2025-05-15 on reaches LPP (the day before, 2025-05-14, does not)."""
    s = lpp_lab(100)
    s["date"] = "2025-01-10"
    assert not whatif.reaches(pyrules.evaluate(s), goal_symbol("lpp"))
    r = whatif.repairs(s, "lpp", [{"fact": "date"}])
    assert r.reachable and r.optimal_cost == 1
    dates = {c.value for rep in r.repairs for c in rep.changes}
    assert "2025-05-15" in dates and "2025-05-14" not in dates and "2025-01-13" not in dates
    check_properties(s, "lpp", r)


def test_bad_questions_are_input_errors():
    s = india()
    with pytest.raises(InputError, match="unknown goal"):
        whatif.repairs(s, "world_peace", [])
    with pytest.raises(InputError, match="unknown entity"):
        whatif.repairs(s, "authorized", [{"fact": "headquartered", "entity": "Nobody"}])
    with pytest.raises(InputError, match="item"):
        whatif.repairs(s, "authorized", [{"fact": "quantity", "item": 7}])
    with pytest.raises(InputError, match="cannot change"):
        whatif.repairs(s, "authorized", [{"fact": "colour"}])


def test_text_change_specs():
    assert whatif._parse_change_text("quantity of item 2 cost 3", "x") == {"fact": "quantity", "item": 2, "cost": 3}
    assert whatif._parse_change_text("status uveu of X", "x") == {"fact": "status", "name": "uveu", "entity": "X"}
    assert whatif._parse_change_text("via distributor", "x") == {"fact": "via_distributor"}


# ----------------------------------------------------------------------------- scenario questions and CLI
@pytest.mark.parametrize("path", sorted((ROOT / "queries").glob("whatif_*.json")), ids=lambda p: p.name)
def test_query_files_questions(path):
    raw = json.loads(path.read_text())
    results = whatif.answer_questions(raw)
    assert len(results) == len(raw["questions"]) >= 2
    plain = {k: v for k, v in raw.items() if k != "questions"}
    for q, r in zip(raw["questions"], results):
        assert not r.rejected
        for rep in r.repairs:
            for changes in concrete(rep):
                assert reaches(plain, changes, q["goal"])


def test_cli_whatif_json(capsys):
    from pyrules.cli import main

    path = ROOT / "queries" / "whatif_lpp_over_limit.json"
    assert main(["whatif", str(path), "--goal", "lpp", "--change", "quantity of item 1", "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 1 and out[0]["reachable"] is True
    assert out[0]["repairs"][0]["changes"][0]["to"] == {"at_most": 1699}
    assert main(["whatif", str(path), "--goal", "nonsense"]) == 2


def test_cli_whatif_text_answers_file_questions(capsys):
    from pyrules.cli import main

    assert main(["whatif", str(ROOT / "queries" / "whatif_india_cloud_chinese_parent.json")]) == 0
    out = capsys.readouterr().out
    assert "HoldCo headquartered in any Tier 1 or Tier 2 country" in out


# ----------------------------------------------------------------------------- generated scenarios
TIER_COUNTRIES = {1: ["US", "DE", "JP"], 2: ["IN", "AE", "BR", "MX"], 3: ["CN", "RU", "MO"]}
country = st.sampled_from([c for cs in TIER_COUNTRIES.values() for c in cs])
CHANGES = [
    {"fact": "headquartered", "entity": "Buyer"},
    {"fact": "headquartered", "entity": "Parent"},
    {"fact": "destination"},
    {"fact": "quantity", "item": 1},
    {"fact": "via_distributor"},
    {"fact": "located", "entity": "Buyer"},
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hq=country,
    parent_hq=country,
    dest=country,
    located=country,
    qty=st.integers(min_value=1, max_value=4000),
    via=st.booleans(),
    prior=st.sampled_from([0, 20_000_000, 26_000_000]),
    goal=st.sampled_from(["authorized", "presumption_of_approval", "lpp"]),
    which=st.sets(st.integers(min_value=0, max_value=len(CHANGES) - 1), max_size=3),
)
def test_generated_scenarios_repairs_reach_goal_and_are_minimal(
    hq, parent_hq, dest, located, qty, via, prior, goal, which
):
    s = scenario(
        to=dest,
        via_distributor=via,
        entities={
            "Buyer": {"located": located, "headquartered": hq, "parent": "Parent"},
            "Parent": {"headquartered": parent_hq},
        },
        items=[{"chip": "H100-SXM", "quantity": qty}],
        facts={"lpp_prior_shipments_tpp": prior, "lpp_certification_obtained": True},
    )
    may = [CHANGES[k] for k in sorted(which)]
    r = whatif.repairs(s, goal, may)
    check_properties(s, goal, r)


# --- moved from test_reliability.py: whatif questions: input checks and limits ---
from helpers import QUERIES, ask_error, cli_run, write_file as write  # noqa: E402
from pyrules.inputs import limits  # noqa: E402


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"fact": "headquartered", "entity": ["Buyer"]}, "may_change[0].entity"),
        ({"fact": "fact", "name": {"x": 1}}, "may_change[0].name"),
        ({"fact": ["destination"]}, "may_change[0].fact"),
    ],
)
def test_whatif_change_of_the_wrong_type_is_exit_2(tmp_path, change, needle):
    s = scenario(questions=[{"goal": "authorized", "may_change": [change]}])
    rc, out, err = cli_run("whatif", write(tmp_path, "q.json", s))
    assert rc == 2 and needle in err, err
    assert ask_error(tmp_path, s) and needle in ask_error(tmp_path, s)


@pytest.mark.parametrize(
    "costs, needle",
    [
        ([1], "questions[0].costs"),
        ({"destination": 10**30}, "questions[0].costs.destination"),
        ({"destination": -5}, "questions[0].costs.destination"),
        ({"destination": "2"}, "questions[0].costs.destination"),
    ],
)
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


# --- moved from test_render.py: what the parties can change, what blocks, ranking by cost ---
def _whatif(path, goal, may_change=None):
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.whatif import repairs

    return repairs(load_scenarios([QUERIES / path])[0][1], goal, may_change)


def test_whatif_default_changes_only_what_the_parties_can_change():
    """By default whatif never proposes another destination, headquarters, location or date."""
    r = _whatif("whatif_india_cloud_chinese_parent.json", "authorized")
    kinds = {s["fact"] for s in r.may_change}
    assert not kinds & {"destination", "headquartered", "located", "parent", "date", "status"}
    assert {"fact", "via_distributor", "quantity"} <= kinds
    assert all("destination" not in rep.text() for rep in r.repairs)


def test_740_29_whatif_default_prefers_paperwork_to_a_smaller_order():
    """740.29: through a distributor, without the certification: the cheapest repair by the
    default costs (paperwork 1, distributor 2, quantity 2) is certification + going direct (3)."""
    r = _whatif("whatif_lpp_distributor_certification.json", "lpp")
    assert r.optimal_cost == 3 and len(r.repairs) == 1
    text = r.repairs[0].text()
    assert "lpp_certification_obtained = true" in text and "not through a distributor" in text


def test_748_15_whatif_unreachable_names_the_conditions_blocking_every_alternative():
    """748.15 / 740.28: a Tier 3 destination cannot be authorized by anything the parties can
    change; the answer lists the conditions not met in every alternative, not only that fact."""
    r = _whatif("core_tier3_destination.json", "authorized")
    assert not r.reachable and r.blocking_complete
    got = {(b["authorization"], b["condition"]) for b in r.blocking}
    assert ("NVEU", "nveu_destination_tier2") in got and ("ACM", "acm_not_located_tier3") in got
    text = r.to_text()
    assert "No change within what may change reaches the goal." in text
    assert "Blocking in every alternative" in text and "[15 CFR 748.15]" in text
    assert r.to_json()["blocking"] == r.blocking


def test_740_8_a_whatif_nac_blocked_by_one_of_its_steps_in_each_alternative():
    """740.8(a): notifying BIS opens the next steps (complete notification, no objection by
    BIS), so no single condition blocks every alternative; one of the three always does."""
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.whatif import repairs

    data = json.loads(json.dumps(load_scenarios([QUERIES / "core_tier3_destination.json"])[0][1].data))
    # chips not designed for data centers: the 3A090 entry's NAC lines cover them
    data["items"] = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 100, "data_center": False}]
    r = repairs(data, "nac", [{"fact": "fact", "name": "nac_notification_submitted"}])
    assert not r.reachable
    [b] = r.blocking
    assert b["authorization"] == "NAC" and b["state"] == "one of"
    assert {c["condition"] for c in b["conditions"]} == {
        "nac_notification_submitted",
        "nac_notification_complete",
        "nac_bis_no_objection",
    }


def test_740_27_whatif_undecided_blocker_names_the_missing_field():
    """740.27 (90 FR 5298 designer condition): with no designer named, AIA stays undecided in
    every alternative, and the blocker names items[0].designer."""
    r = _whatif("core_tier1_destination.json", "aia")
    assert not r.reachable
    row = {b["condition"]: b for b in r.blocking}["aia_ic_designer"]
    assert row["state"] == "undecided" and row["field"] == "items[0].designer"
    # naming the designer (an approved one) makes it reachable: the blocker was real
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.whatif import repairs

    s = load_scenarios([QUERIES / "core_tier1_destination.json"])[0][1]
    data = json.loads(json.dumps(s.data))
    data["items"][0]["designer"] = "Nv"
    data["entities"]["Nv"] = {"located": "US", "headquartered": "US", "status": {"approved_ic_designer": True}}
    assert repairs(data, "aia").reachable


def test_742_6_b_10_whatif_ranks_dearer_repairs_by_cost():
    """742.6(b)(10) and 740.29: for the Indian cloud provider with a Chinese parent, the
    cheapest repair (the file's costs: destination 1) comes first, then the cost-2 repairs
    (no parent; HoldCo headquartered outside Tier 3), none containing a cheaper one."""
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.whatif import answer_questions

    s = load_scenarios([QUERIES / "whatif_india_cloud_chinese_parent.json"])[0][1]
    r = answer_questions(s, alternatives=1)[1]
    assert r.optimal_cost == 1 and [rep.text() for rep in r.repairs] == ["destination US"]
    assert {rep.cost for rep in r.alternatives} == {2}
    texts = {rep.text() for rep in r.alternatives}
    assert "AcmeCloud has no parent" in texts
    assert any(t.startswith("HoldCo headquartered in any Tier 1 or Tier 2 country") for t in texts)
    assert all("destination" not in t for t in texts)
    assert "Dearer repairs, cheapest first:" in r.to_text()
    assert answer_questions(s)[1].alternatives == []  # the API default: optimal only


# ----------------------------------------------------------------- unreachable: the unsatisfiable core
def _query(name: str) -> Scenario:
    from pyrules.inputs.loader import load_scenarios

    return load_scenarios([ROOT / "queries" / name])[0][1]


def test_748_15_core_names_the_tier2_destination_condition_of_nveu():
    """748.15: an NVEU serves Tier 2 destinations only. Shipping to China, nothing the parties
    can change (the defaults) reaches NVEU, and the core names that condition with its citation."""
    s = _query("core_tier3_destination.json")
    r = whatif.repairs(s, "nveu")
    assert not r.reachable
    assert [(c["authorization"], [x["condition"] for x in c["conditions"]]) for c in r.core] == [
        ("NVEU", ["nveu_destination_tier2"])
    ]
    row = r.core[0]["conditions"][0]
    assert row["citation"] == "15 CFR 748.15" and row["state"] == "not met"
    assert "Tier 2" in row["description"]
    text = r.to_text()
    assert "unsatisfiable core" in text and f"x {row['description']}  [15 CFR 748.15]" in text
    assert r.to_json()["core"] == r.core
    # the condition named does fail in the scenario as given
    d = pyrules.evaluate(s)
    nveu = {a["name"]: a for a in d.authorizations}["NVEU"]
    assert "nveu_destination_tier2" in {c["condition"] for c in nveu["failed_conditions"]}


def test_748_15_core_moves_on_when_the_destination_may_change():
    """With the destination free to change, the Tier 2 condition no longer blocks NVEU; the
    Chinese consignee's own ties to Tier 3 still do, in every alternative."""
    s = _query("core_tier3_destination.json")
    r = whatif.repairs(s, "nveu", whatif.default_changes(s) + [{"fact": "destination"}])
    assert not r.reachable
    assert [[x["condition"] for x in c["conditions"]] for c in r.core] == [["nveu_no_tier3_ties"]]


def test_740_29_core_names_the_tier3_headquarters_and_it_is_the_real_blocker():
    """740.29: LPP is barred when the consignee or its ultimate parent is headquartered in
    Tier 3. Changing the purpose or the distributor cannot help; the core says why, and letting
    HoldCo's headquarters change makes LPP reachable."""
    r = whatif.repairs(india(), "lpp", [{"fact": "purpose"}, {"fact": "via_distributor"}])
    assert not r.reachable
    [row] = r.core
    assert row["authorization"] == "LPP"
    assert [(c["condition"], c["citation"]) for c in row["conditions"]] == [
        ("lpp_headquarters_not_tier3", "15 CFR 740.29")
    ]
    freed = whatif.repairs(
        india(),
        "lpp",
        [{"fact": "purpose"}, {"fact": "via_distributor"}, {"fact": "headquartered", "entity": "HoldCo"}],
    )
    assert freed.reachable and freed.core == []


def test_740_8_a_core_of_two_steps_never_met_together_and_minimal():
    """740.8(a): NAC needs BIS notified and BIS not objecting. When only the notification may
    change, the two are never met together (notifying leaves BIS's answer open); each alone
    can be met, so the core is minimal."""
    data = json.loads(json.dumps(_query("core_tier3_destination.json").data))
    data["items"] = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 100, "data_center": False}]
    change = [{"fact": "fact", "name": "nac_notification_submitted"}]
    r = whatif.repairs(data, "nac", change)
    assert not r.reachable
    [row] = r.core
    conds = [c["condition"] for c in row["conditions"]]
    assert conds == ["nac_bis_no_objection", "nac_notification_submitted"]
    assert all(c["citation"] == "15 CFR 740.8(a)" for c in row["conditions"])
    assert "these 2 are never met together" in r.to_text()
    p = whatif._Problem(Scenario.from_dict(data), "nac", change, None)
    solver = whatif._CoreSolver(p, {})
    import clingo

    wanted = [clingo.Function("wi_want", [clingo.Function("nac"), clingo.Function(c)]) for c in conds]
    assert solver.core(wanted) is not None
    assert all(solver.core([w]) is None for w in wanted)


def test_core_is_empty_when_the_goal_is_reached():
    r = whatif.repairs(lpp_lab(100), "lpp", [{"fact": "purpose"}])
    assert r.reachable and r.core == [] and "unsatisfiable core" not in r.to_text()
