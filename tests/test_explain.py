"""Explanations (issue 4, "Explain"): for each conclusion, the tree of provisions and
facts that produced it, with CFR citations, down to the scenario's facts; leaves
labelled given / defaulted / assumed / rule data; no bookkeeping atoms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import pyrules
from pyrules import cli
from pyrules.engine import kb
from pyrules.modes.explain import EXPLANATION_FORMAT_VERSION, explain_scenario, program
from pyrules.inputs.facts import scenario_facts
from pyrules.inputs.model import Scenario
from helpers import run, scenario

QUERIES = Path(__file__).resolve().parent.parent / "queries"
LEAF_KINDS = {"given", "assumed", "defaulted", "missing", "rule data", "computed", "absent"}
BOOKKEEPING = {
    "has_parent",
    "hq_known",
    "located_known",
    "reading_chosen",
    "addend",
    "addend_key",
    "total",
    "zero",
    "policy_overlap",
    "some_licence_required",
    "param_overridden",
    "moved",
    "treated_as_other",
    "hq_or_parent_in_tier",
    "available",
    "chip_policy_needed",
}


def chinese_parent(**kw):
    """A consignee located and headquartered in India whose ultimate parent is headquartered in China."""
    return scenario(
        to="IN",
        entities={
            "Buyer": {"located": "IN", "headquartered": "IN", "parent": "HoldCo"},
            "HoldCo": {"headquartered": "CN"},
        },
        **kw,
    )


def find(node, pred):
    """The nodes of a tree (depth first) for which pred holds."""
    out = [node] if pred(node) else []
    for c in node.get("children", []):
        out += find(c, pred)
    return out


def child(node, atom):
    for c in node.get("children", []):
        if c["atom"] == atom:
            return c
    raise AssertionError(f"{atom} is not a child of {node['atom']}: {[c['atom'] for c in node.get('children', [])]}")


@pytest.fixture(scope="module")
def explained():
    d, ex = explain_scenario(chinese_parent())
    return d, ex


# --- the tree reaches the scenario's facts, with citations ---------------------------------------
def test_742_6_b_10_policy_explained_down_to_parent_headquarters(explained):
    """742.6(b)(10): presumption of denial because the ultimate parent is headquartered in
    Tier 3: the tree names the provision and ends at the given fact HoldCo -> CN."""
    d, ex = explained
    assert d.licensing_policy == "presumption_of_denial"
    c = ex.conclusion("policy(presumption_of_denial,policy_chips_tier3)")
    assert c["tree"]["citation"] == "15 CFR 742.6(b)(10)"
    cand = child(c["tree"], "policy_candidate(presumption_of_denial,policy_chips_tier3)")
    assert "Presumption of denial" in cand["rule"]["comment"]
    tie = child(cand, "tie(3,ultimate_parent_headquarters)")
    hq = find(tie, lambda n: n["atom"] == 'headquartered("HoldCo","CN")')
    assert hq and hq[0]["kind"] == "given" and hq[0]["field"] == "entities.HoldCo.headquartered"
    tier = find(tie, lambda n: n["atom"] == 'tier("CN",3,tier3)')[0]
    assert tier["citation"].startswith("15 CFR 742.6(b)(10)")
    # China is Tier 3 through Country Group D:5: rule data of the knowledge base
    assert find(tier, lambda n: n["atom"] == 'group_member(d5,"CN",20000101,99991231)' and n["kind"] == "rule data")


def test_742_6_a_6_iii_licence_requirement_explained_with_computed_classification(explained):
    """742.6(a)(6)(iii): licence required because item 1 is 3A090.a, classified from the
    catalogue TPP (computed 15832 >= 4800; no TPP or ECCN given: defaulted)."""
    _, ex = explained
    tree = ex.conclusion("licence_required(yes)")["tree"]
    ilr = child(tree, "item_licence_required(1,worldwide_chips)")
    assert ilr["citation"] == "15 CFR 742.6(a)(6)(iii)"
    cls = find(ilr, lambda n: n["atom"] == 'classified(1,"3A090.a")')[0]
    kinds = {c["text"]: c["kind"] for c in cls["children"]}
    assert kinds["not given: item_eccn(1, _)"] == "defaulted"
    par = child(cls, 'param_class(1,"3A090.a")')
    # the threshold is a parameter (tpp_3a090a, kb/parameters.lp), compared deeper in the tree
    assert [c["kind"] for c in find(par, lambda n: n.get("text") == "15832 >= 4800")][:1] == ["computed"]
    unit = find(par, lambda n: n.get("atom") == "unit_tpp(1,15832)")[0]
    assert child(unit, 'item_chip(1,"H100-SXM")')["kind"] == "given"
    assert child(unit, 'item_chip(1,"H100-SXM")')["field"] == "items[0].chip"


def test_every_conclusion_present(explained):
    """Licence required, policy, authorized, each authorization status, each failed or
    undecided condition, each obligation and each missing fact is a conclusion."""
    d, ex = explained
    atoms = {c["atom"] for c in ex.conclusions}
    assert "licence_required(yes)" in atoms
    assert any(a.startswith("authorized(") for a in atoms)
    for a in d.authorizations:
        status = {True: "available", False: "unavailable", None: "indeterminate"}[a["available"]]
        assert f"authorization_status({a['name'].lower()},{status})" in atoms
        for f in a["failed_conditions"]:
            assert f"fails({a['name'].lower()},{f['condition']})" in atoms
    for o in d.obligations:
        assert any(c["conclusion"] == "obligation" and o["description"] in c["statement"] for c in ex.conclusions)


# --- structure: leaves, bookkeeping, cycles, rule locations ---------------------------------------
def test_leaves_are_labelled_and_given_leaves_are_input_facts(explained):
    _, ex = explained
    facts = {str(f) for f in scenario_facts(Scenario.from_dict(chinese_parent()))}
    for n in ex.nodes():
        if n["kind"] == "derived":
            assert n.get("children") or n.get("repeated"), n
        else:
            assert n["kind"] in LEAF_KINDS and not n.get("children"), n
        if n["kind"] == "given":
            assert n["atom"] in facts
        if n["kind"] == "rule data":
            assert n["atom"] not in facts


def tier2(**kw):
    return scenario(
        to="IN",
        entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
        items=[{"chip": "H100-SXM", "quantity": 100}, {"tpp": 5000, "quantity": 3}],
        facts={"tier2_allocation_used_tpp": 1000, "government_assurances": False},
        **kw,
    )


def test_no_bookkeeping_atoms(explained):
    for ex in (explained[1], explain_scenario(tier2())[1]):
        for n in ex.nodes():
            name = re.match(r"[a-z_A-Z0-9]*", n["atom"]).group(0)
            assert name not in BOOKKEEPING, n["atom"]
            assert not name.startswith("_w"), n["atom"]


def test_742_6_b_10_tier2_allocation_sum_explained_through_the_addends():
    """742.6(b)(10) Tier 2: within the allocation because used + this shipment (a sum over
    the item lines, kb/arithmetic.lp) is at most 790,000,000; the sum's bookkeeping
    (addend, total) is collapsed into the item lines' TPP."""
    d, ex = explain_scenario(tier2())
    assert d.licensing_policy == "presumption_of_approval"
    tree = ex.conclusion("policy(presumption_of_approval,policy_chips_tier2)")["tree"]
    assert tree["citation"] == "15 CFR 742.6(b)(10)"
    tpp = find(tree, lambda n: n["atom"].startswith("shipment_tpp(") and n.get("children"))[0]
    assert tpp["text"] == "shipment_tpp(1,598,200)"
    kids = {c["atom"] for c in tpp["children"]}
    assert {"item_total_tpp(1,n(0,0,0,1,583200))", "item_total_tpp(2,n(0,0,0,0,15000))"} <= kids
    used = find(tree, lambda n: n["atom"] == "fact(tier2_allocation_used_tpp,n(0,0,0,0,1000))")
    assert used and used[0]["kind"] == "given" and used[0]["field"] == "facts.tier2_allocation_used_tpp"


def test_trees_are_acyclic(explained):
    _, ex = explained

    def walk(n, path):
        assert n["atom"] not in path, f"cycle through {n['atom']}"
        for c in n.get("children", []):
            walk(c, path | {n["atom"]})

    for c in ex.conclusions:
        walk(c["tree"], frozenset())


def test_rule_locations_point_at_the_rule(explained):
    """Each derived node names the kb file and line of a rule whose head is its predicate."""
    _, ex = explained
    for n in ex.nodes():
        if n["kind"] == "derived":
            line = (kb.kb_dir() / n["rule"]["file"]).read_text().splitlines()[n["rule"]["line"] - 1]
            pred = re.match(r"[a-z_A-Z0-9]*", n["atom"]).group(0)
            assert line.lstrip().startswith(pred), (n["atom"], line)


# --- labels: defaulted, missing, assumed -----------------------------------------------------------
def test_entity_without_parent_is_its_own_ultimate_parent_defaulted():
    _, ex = explain_scenario(scenario())
    up = [n for n in ex.nodes() if n["atom"] == 'ultimate_parent("Buyer","Buyer")' and n.get("children")]
    assert up, "ultimate_parent(Buyer, Buyer) not explained"
    kinds = {c["atom"]: c["kind"] for c in up[0]["children"]}
    assert kinds['parent("Buyer",_any)'] == "defaulted"
    assert kinds['entity("Buyer")'] == "given"


def test_default_reading_is_defaulted_and_chosen_reading_is_given():
    s = scenario(
        entities={
            "Buyer": {"located": "DE", "headquartered": "DE", "parent": "HoldCo"},
            "HoldCo": {"headquartered": "CN"},
        }
    )
    _, ex = explain_scenario(s)
    assert ex.conclusion("overlap(policy_chips_tier1,policy_chips_tier3)")
    s["readings"] = {"tier_overlap": "tier3_prevails"}
    d, ex = explain_scenario(s)
    assert d.licensing_policy == "presumption_of_denial"
    tree = ex.conclusion("policy(presumption_of_denial,policy_chips_tier3)")["tree"]
    r = find(tree, lambda n: n["atom"] == "reading(tier_overlap,tier3_prevails)")[0]
    assert child(r, "chosen_reading(tier_overlap,tier3_prevails)")["kind"] == "given"
    # another topic, not chosen, is read by default
    d, ex = explain_scenario(chinese_parent())
    defaulted = [n for n in ex.nodes() if n["atom"] == "chosen_reading(uveu_headquarters,_any)"]
    assert defaulted and all(n["kind"] == "defaulted" for n in defaulted)


def test_missing_parent_headquarters_labelled_missing():
    s = chinese_parent()
    del s["entities"]["HoldCo"]["headquartered"]
    d, ex = explain_scenario(s)
    assert "headquartered(HoldCo)" in d.missing_facts
    tree = ex.conclusion('missing_fact(headquartered("HoldCo"))')["tree"]
    assert any(c["kind"] == "missing" and c["atom"] == 'headquartered("HoldCo",_any)' for c in tree["children"])


def test_assumed_facts_are_labelled_assumed():
    _, ex = explain_scenario(chinese_parent(), assumed=['headquartered("HoldCo","CN")'])
    hq = [n for n in ex.nodes() if n["atom"] == 'headquartered("HoldCo","CN")']
    assert hq and all(n["kind"] == "assumed" for n in hq)
    assert not any(n["kind"] == "assumed" and n["atom"] != 'headquartered("HoldCo","CN")' for n in ex.nodes())


# --- the explanation run gives the same determination ---------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "core_overlap_tier1_location_tier3_parent.json",
        "core_tier2_destination.json",
        "core_allocation_exhausted.json",
        "core_missing_die_area.json",
        "core_ownership_chain.json",
        "lpp_year_limit_exceeded_by_one.json",
        "nveu_2027_allocation_exactly_reached.json",
        "weights_derived_small_finetune.json",
    ],
)
def test_explanation_run_agrees_with_evaluation(name):
    """The rewritten knowledge base (each rule replaced by its _why twin) has the same answer."""
    raw = json.loads((QUERIES / name).read_text())
    d, ex = explain_scenario(raw)
    assert d.to_json() == pyrules.evaluate(raw).to_json()
    assert ex.conclusions


def test_explain_determination_explains_an_answer_already_given():
    from pyrules.modes.explain import explain_determination

    d = run(chinese_parent())
    ex = explain_determination(d)
    assert [c["atom"] for c in ex.conclusions] == [c["atom"] for c in explain_scenario(chinese_parent())[1].conclusions]
    j = ex.to_json()
    assert j["format_version"] == EXPLANATION_FORMAT_VERSION
    json.dumps(j)  # serialisable


def test_program_is_cached_per_process():
    assert program() is program()


# --- command line -------------------------------------------------------------------------------------------
def test_cli_explain_text_and_json(capsys):
    f = str(QUERIES / "core_tier3_parent.json")
    assert cli.main(["explain", f]) == 0
    out = capsys.readouterr().out
    assert "Licensing policy: presumption of denial  [15 CFR 742.6(b)(10)]" in out
    assert "-- given (entities." in out and "-- rule data" in out
    assert cli.main(["explain", "--json", f]) == 0
    obj = json.loads(capsys.readouterr().out.splitlines()[0])
    assert obj["explanation"]["format_version"] == EXPLANATION_FORMAT_VERSION
    assert obj["licensing_policy"] == "presumption_of_denial"
    roots = {c["atom"] for c in obj["explanation"]["conclusions"]}
    assert "licence_required(yes)" in roots


# --- performance machinery does not change the explanation ----------------------------------------------------
def test_only_reachable_rules_get_twins_and_memos_do_not_change_explanations():
    """Rules no conclusion can reach keep their own form (no twin); the per-process memos
    of symbols give the same explanation as a cold start."""
    from pyrules.modes import explain as X

    p = program()
    assert ("licence_required", 1) in p.twin_of and ("policy", 2) in p.twin_of
    assert ("ownership_cycle", 1) not in p.twin_of and ("finding", 3) not in p.twin_of
    s = chinese_parent()
    warm = explain_scenario(s)[1].to_json()
    for memo in (X._NAMES, X._SIGS, X._TWINS, X._AGGS, X._TEXTS):
        memo.clear()
    assert explain_scenario(s)[1].to_json() == warm
