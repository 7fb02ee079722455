"""Entities: location, headquarters and the ultimate parent at any depth, as used by
15 CFR 742.6(b)(10) ("entities headquartered in, or whose ultimate parent is
headquartered in ...") and 740.27-740.29; ownership cycles are input errors."""

from __future__ import annotations

import subprocess
import sys

import clingo
import pytest

import pyrules
from pyrules.engine.control import default_engine
from helpers import run, scenario


def ultimate_parents(d: pyrules.Determination) -> dict[str, str]:
    return {a.arguments[0].string: a.arguments[1].string for a in d.atoms if a.name == "ultimate_parent"}


def chain(depth: int, top_hq: str = "CN") -> dict:
    """Buyer -> P1 -> ... -> P<depth>; every intermediate is headquartered in IN."""
    ents = {}
    names = ["Buyer"] + [f"P{i}" for i in range(1, depth + 1)]
    for i, n in enumerate(names):
        e = {"located": "IN", "headquartered": "IN"}
        if i < depth:
            e["parent"] = names[i + 1]
        ents[n] = e
    ents[names[-1]]["headquartered"] = top_hq
    return ents


def test_742_6_b_10_entity_without_parent_is_its_own_ultimate_parent():
    """742.6(b)(10): an entity with no parent is its own ultimate parent (depth 0)."""
    d = run(scenario(to="IN", entities=chain(0, "IN")))
    assert ultimate_parents(d)["Buyer"] == "Buyer"


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_742_6_b_10_ultimate_parent_at_depth(depth):
    """742.6(b)(10): the ultimate parent is found at depth 1, 2 and 3, and its Tier 3
    headquarters gives a presumption of denial though every intermediate is Tier 2."""
    d = run(scenario(to="IN", entities=chain(depth, "CN")))
    up = ultimate_parents(d)
    assert up["Buyer"] == f"P{depth}"
    for i in range(1, depth):
        assert up[f"P{i}"] == f"P{depth}"
    assert d.licensing_policy == "presumption_of_denial"


@pytest.mark.parametrize("depth", [2, 3])
def test_742_6_b_10_intermediate_tier3_parent_does_not_count(depth):
    """742.6(b)(10): only the ULTIMATE parent's headquarters counts: a Tier 3 (CN) intermediate
    holding company under a Tier 2 top parent leaves the Tier 2 allocation test."""
    ents = chain(depth, "IN")
    ents["P1"]["headquartered"] = "CN"
    d = run(scenario(to="IN", entities=ents, facts={"government_assurances": False}))
    assert d.licensing_policy == "presumption_of_approval"
    assert {c["provision"] for c in d.policy_candidates} == {"policy_chips_tier2"}
    assert d.overlaps == []


def test_742_6_b_10_tier1_ultimate_parent_three_levels_up():
    """742.6(b)(10): presumption of approval where the ultimate parent three levels up is
    headquartered in Tier 1 (JP) and destination and consignee are Tier 2."""
    d = run(scenario(to="IN", entities=chain(3, "JP")))
    assert d.licensing_policy == "presumption_of_approval"
    assert {c["provision"] for c in d.policy_candidates} == {"policy_chips_tier1"}


def test_742_6_b_10_parent_named_but_not_described_is_missing_fact():
    """742.6(b)(10): a parent described without its headquarters leaves the policy open and
    names the missing fact headquartered(<parent>)."""
    d = run(
        scenario(
            to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN", "parent": "Mystery"}, "Mystery": {}}
        )
    )
    assert d.license_required is True
    assert d.licensing_policy is None
    assert "headquartered(Mystery)" in d.missing_facts


def test_742_6_b_10_consignee_headquarters_unknown_is_missing_fact():
    """742.6(b)(10): without the consignee's headquarters no policy is given."""
    d = run(scenario(to="IN", entities={"Buyer": {"located": "IN"}}))
    assert d.licensing_policy is None
    assert "headquartered(Buyer)" in d.missing_facts


@pytest.mark.parametrize(
    "ents, named",
    [
        ({"A": {"parent": "B"}, "B": {"parent": "A"}}, ["A", "B"]),
        ({"A": {"parent": "A"}}, ["A"]),
        (
            {
                "Buyer": {"headquartered": "IN", "parent": "X"},
                "X": {"parent": "Y"},
                "Y": {"parent": "Z"},
                "Z": {"parent": "X"},
            },
            ["X", "Y", "Z"],
        ),
    ],
)
def test_742_6_b_10_ownership_cycle_is_input_error_naming_entities(ents, named):
    """742.6(b)(10) 'ultimate parent' is undefined on a cycle: InputError naming every entity in it."""
    with pytest.raises(pyrules.InputError) as exc:
        run(scenario(entities=ents))
    msg = str(exc.value)
    assert "cycle" in msg
    for n in named:
        assert n in msg
    if "Buyer" not in named:
        assert "Buyer" not in msg.split("cycle", 1)[1]


def test_742_6_b_10_ownership_cycle_cli_exit_2(tmp_path):
    """742.6(b)(10): `pyrules ask` on a scenario with an ownership cycle exits 2 naming it."""
    import json

    f = tmp_path / "cycle.json"
    f.write_text(
        json.dumps(scenario(entities={"Buyer": {"headquartered": "DE", "parent": "Hold"}, "Hold": {"parent": "Buyer"}}))
    )
    r = subprocess.run([sys.executable, "-m", "pyrules.cli", "ask", str(f)], capture_output=True, text=True)
    assert r.returncode == 2
    assert "cycle" in r.stderr and "Buyer" in r.stderr and "Hold" in r.stderr
    assert "Traceback" not in r.stderr


def test_742_6_b_10_kb_reports_cycle_even_without_python_check():
    """742.6(b)(10): the KB itself derives ownership_cycle/1 if a cycle bypasses the input check."""
    S, F = clingo.String, clingo.Function
    facts = [F("entity", [S("A")]), F("entity", [S("B")]), F("parent", [S("A"), S("B")]), F("parent", [S("B"), S("A")])]
    models = default_engine().models(facts, extra_program="#show ownership_cycle/1.")
    assert len(models) == 1
    assert {a.arguments[0].string for a in models[0] if a.name == "ownership_cycle"} == {"A", "B"}


def test_742_6_b_10_consignee_with_no_entity_entry_is_input_error_with_closest_name():
    """742.6(b)(10): a consignee named only in the transaction is not described: an input error
    naming transaction.consignee and the closest described name (a missing fact never reads as
    'no licence'); a parent named but not described likewise names entities.NAME.parent."""
    with pytest.raises(pyrules.InputError) as exc:
        run(scenario(entities={}))
    assert exc.value.field == "transaction.consignee" and "'Buyer'" in str(exc.value)
    with pytest.raises(pyrules.InputError) as exc:
        run(scenario(consignee="Buyr"))
    assert exc.value.field == "transaction.consignee" and "closest described name is 'Buyer'" in str(exc.value)
    with pytest.raises(pyrules.InputError) as exc:
        run(scenario(entities={"Buyer": {"located": "IN", "parent": "HoldCo"}, "HoldCorp": {"headquartered": "CN"}}))
    assert exc.value.field == "entities.Buyer.parent" and "closest described name is 'HoldCorp'" in str(exc.value)
    # described, even with nothing known about it: not an error, the facts are missing
    d = run(scenario(entities={"Buyer": {}}))
    assert "headquartered(Buyer)" in d.missing_facts
    assert d.licensing_policy is None


def _chain(n: int) -> dict:
    ents = {"E0": {"located": "IN", "headquartered": "IN", "parent": "E1"}}
    for i in range(1, n):
        ents[f"E{i}"] = {"headquartered": "IN", "parent": f"E{i + 1}"}
    ents[f"E{n}"] = {"headquartered": "CN"}
    return {
        "scenario": "chain",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "E0"},
        "items": [{"chip": "H100-SXM", "quantity": 10}],
        "entities": ents,
    }


def test_742_6_b_10_ultimate_parent_at_the_end_of_a_1000_deep_chain_is_found_linearly():
    """The ultimate parent (742.6(b)(10), 740.27-29) 1,000 links up is found, and the KB
    grounds one ultimate_parent atom per entity (no ancestor pairs: linear in the chain)."""
    import clingo
    from pyrules.engine import kb
    from pyrules.engine.arithmetic import Arithmetic
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario

    s = Scenario.from_dict(_chain(1000))
    d = pyrules.evaluate(s)
    assert clingo.Function("ultimate_parent", [clingo.String("E0"), clingo.String("E1000")]) in d.atoms
    assert d.licensing_policy == "presumption_of_denial"  # the top, in CN, ties the consignee to Tier 3
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], kb.kb_text())
    with ctl.backend() as b:
        for f in scenario_facts(s):
            b.add_rule([b.add_atom(f)])
    ctl.ground([("base", [])], context=Arithmetic())
    assert len(list(ctl.symbolic_atoms.by_signature("ultimate_parent", 2))) == 1001
    assert not list(ctl.symbolic_atoms.by_signature("ancestor", 2))


def test_ownership_cycle_check_is_linear_and_names_the_same_cycle():
    """The input check of ownership cycles follows each chain once: a chain as deep as
    accepted (1,000 links) is checked at once, and a cycle at its top is named as before
    (entities in the cycle)."""
    import time
    from pyrules.errors import InputError
    from pyrules.inputs.model import Scenario

    raw = _chain(1000)
    t0 = time.perf_counter()
    Scenario.from_dict(raw)
    assert time.perf_counter() - t0 < 5
    raw["entities"]["E1000"]["parent"] = "E998"
    with pytest.raises(InputError) as e:
        Scenario.from_dict(raw)
    assert "ownership cycle: E998 -> E999 -> E1000 -> E998" in str(e.value)
