"""Licence requirement (15 CFR 742.6(a)(6)(iii)), licensing policy (15 CFR 742.6(b)(10)),
the Tier 2 allocation, overlaps, the rule's dates (90 FR 4544) and the provision registry."""

from __future__ import annotations

import json

import pytest

from pyrules.engine import kb
from helpers import run, scenario

ALLOC = 790_000_000
ALLOC_ASSURED = 1_580_000_000
UNIT = 10_000  # a 3A090.a chip of TPP 10,000


def tier2(used=0, assurances=False, tpp=UNIT, quantity=1, readings=None, **more_facts):
    """A Tier 2 transaction: destination IN, consignee located and headquartered in IN."""
    facts = {"tier2_allocation_used_tpp": used, "government_assurances": assurances, **more_facts}
    s = scenario(
        to="IN",
        entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
        items=[{"tpp": tpp, "quantity": quantity}],
        facts=facts,
    )
    if readings:
        s["readings"] = readings
    return s


# --- 742.6(a)(6)(iii): the licence requirement -----------------------------------------------
@pytest.mark.parametrize("action", ["export", "reexport", "in_country_transfer"])
@pytest.mark.parametrize("to", ["DE", "IN", "CN", "JP"])
@pytest.mark.provision("worldwide_chips")
def test_742_6_a_6_iii_licence_required_worldwide(action, to):
    """742.6(a)(6)(iii): a licence is required to export, reexport or transfer (in-country)
    3A090.a items to any destination, Tier 1 included."""
    d = run(scenario(action=action, to=to, entities={"Buyer": {"located": to, "headquartered": to}}))
    assert d.license_required is True
    assert d.controls[0]["citation"] == "15 CFR 742.6(a)(6)(iii)"


@pytest.mark.parametrize("action", ["export", "in_country_transfer"])
@pytest.mark.provision("ear_export_definitions")
def test_734_13_a_movement_within_the_united_states_is_no_export(action):
    """15 CFR 734.13-734.16: chips moved from the US to the US are neither exported,
    reexported nor transferred in-country abroad: the worldwide requirement does not reach them."""
    d = run(
        scenario(
            action=action,
            to="US",
            transaction={"from": "US"},
            entities={"Buyer": {"located": "US", "headquartered": "US"}},
        )
    )
    assert d.license_required is False
    assert d.items[0]["outside_rule"] == "within_united_states"


@pytest.mark.parametrize("action", ["deemed_export", "deemed_reexport"])
@pytest.mark.provision("worldwide_chips", "ear_export_definitions")
def test_742_6_a_6_iii_no_licence_for_deemed_export_of_chips(action):
    """742.6(a)(6)(iii) covers commodities: a deemed export/reexport releases no chip."""
    d = run(scenario(action=action))
    assert d.license_required is False
    assert d.items[0]["outside_rule"] == "commodity_not_released"
    assert d.controls == []


def test_742_6_a_6_iii_missing_action_is_indeterminate():
    """742.6(a)(6)(iii): without the kind of transaction the requirement cannot be decided."""
    s = scenario()
    del s["transaction"]["action"]
    d = run(s)
    assert d.license_required is None
    assert "action" in d.missing_facts


def test_88fr73458_before_2023_11_17_indeterminate():
    """88 FR 73458: the earliest version encoded takes effect 2023-11-17; before it the KB
    gives no answer. (Before 2025-01-13 the earlier controls govern: H100s to a German
    buyer need no licence then.)"""
    d = run(scenario(date="2023-11-16"))
    assert d.license_required is None
    assert d.rule_status["before_rule"] is True
    assert "before_rule" in {n["id"] for n in d.notes}
    d = run(scenario(date="2025-01-12"))
    assert d.license_required is False
    assert d.rule_status["before_rule"] is False


@pytest.mark.parametrize(
    "day, required", [("2025-01-13", False), ("2025-05-14", False), ("2025-05-15", True), ("2026-01-01", True)]
)
def test_90fr4544_compliance_required_from_2025_05_15(day, required):
    """90 FR 4544: compliance is required from 2025-05-15; between 2025-01-13 and then the
    rule is effective but compliance_required is false."""
    d = run(scenario(date=day))
    assert d.rule_status["compliance_required"] is required
    # Before compliance the earlier controls govern: H100s to Germany need no licence.
    assert d.license_required is required
    assert ("compliance_not_required" in {n["id"] for n in d.notes}) is (not required)


def test_90fr4544_rule_status_events_by_date():
    """90 FR 4544 status timeline: only the events up to the scenario's date are reported."""

    def events(day):
        return [e["event"] for e in run(scenario(date=day)).rule_status["events"]]

    earlier = ["advanced_computing_effective", "nac_aca_split", "fdp_amendment"]
    assert events("2025-01-13") == earlier + ["effective"]
    assert events("2025-01-15") == earlier + ["effective", "published"]
    assert events("2025-05-13") == earlier + [
        "effective",
        "published",
        "foundry_effective",
        "foundry_compliance",
        "non_enforcement",
    ]
    assert "compliance" in events("2025-05-15")
    later = events("2026-06-01")
    assert later[-3:] == ["designer_deadline", "gao_decision", "bis_guidance"]
    assert [e["date"] for e in run(scenario(date="2026-06-01")).rule_status["events"]] == sorted(
        e["date"] for e in run(scenario(date="2026-06-01")).rule_status["events"]
    )


def test_as_of_override_changes_the_date():
    """90 FR 4544: evaluate(as_of=...) replaces the scenario's date (before the IFR: the
    earlier controls, under which H100s to a German buyer need no licence)."""
    d = run(scenario(date="2025-06-01"), as_of="2024-12-01")
    assert d.as_of == "2024-12-01"
    assert d.license_required is False


# --- 742.6(b)(10): policy by tier of destination, headquarters and ultimate parent ------------
POLICY = {1: "presumption_of_approval", 3: "presumption_of_denial"}


@pytest.mark.parametrize("tier, country", [(1, "FR"), (1, "JP"), (2, "IN"), (3, "CN"), (3, "MO")])
@pytest.mark.provision("policy_chips_tier1", "policy_chips_tier2", "policy_chips_tier3")
def test_742_6_b_10_policy_by_destination(tier, country):
    """742.6(b)(10): Tier 1 destination -> presumption of approval; Tier 3 -> presumption
    of denial; Tier 2 -> presumption of approval within the unexhausted allocation."""
    d = run(
        scenario(
            to=country,
            entities={"Buyer": {"located": country, "headquartered": country}},
            facts={"government_assurances": False},
        )
    )
    assert d.licensing_policy == POLICY.get(tier, "presumption_of_approval")
    expected = {1: "policy_chips_tier1", 2: "policy_chips_tier2", 3: "policy_chips_tier3"}[tier]
    assert [c["provision"] for c in d.policy_candidates] == [expected]
    assert d.policy_citation == "15 CFR 742.6(b)(10)"


@pytest.mark.parametrize(
    "hq, policy",
    [
        ("US", "presumption_of_approval"),
        ("JP", "presumption_of_approval"),
        ("BR", "presumption_of_approval"),
        ("CN", "presumption_of_denial"),
        ("RU", "presumption_of_denial"),
    ],
)
@pytest.mark.provision("policy_chips_tier1", "policy_chips_tier2", "policy_chips_tier3")
def test_742_6_b_10_policy_by_consignee_headquarters(hq, policy):
    """742.6(b)(10): to a Tier 2 destination, the consignee's headquarters in Tier 1 gives
    approval, in Tier 3 denial, in Tier 2 the allocation test."""
    d = run(
        scenario(
            to="MX", entities={"Buyer": {"located": "MX", "headquartered": hq}}, facts={"government_assurances": False}
        )
    )
    assert d.licensing_policy == policy
    assert d.overlaps == []


@pytest.mark.parametrize(
    "top, policy, prov",
    [
        ("GB", "presumption_of_approval", "policy_chips_tier1"),
        ("AE", "presumption_of_approval", "policy_chips_tier2"),
        ("IR", "presumption_of_denial", "policy_chips_tier3"),
    ],
)
def test_742_6_b_10_policy_by_ultimate_parent_headquarters(top, policy, prov):
    """742.6(b)(10): the ultimate parent's headquarters counts like the consignee's own."""
    d = run(
        scenario(
            to="SG",
            entities={
                "Buyer": {"located": "SG", "headquartered": "SG", "parent": "Top"},
                "Top": {"headquartered": top},
            },
            facts={"government_assurances": False},
        )
    )
    assert d.licensing_policy == policy
    assert {c["provision"] for c in d.policy_candidates} == {prov}


def test_742_6_b_10_no_policy_when_no_licence_required():
    """742.6(b)(10) is a licensing policy: no licence required, no policy."""
    d = run(scenario(action="deemed_export", to="CN", entities={"Buyer": {"located": "CN", "headquartered": "CN"}}))
    assert d.licensing_policy is None and d.policy_candidates == []


# --- 742.6(b)(10): the Tier 2 allocation -------------------------------------------------------
@pytest.mark.provision("tier2_allocation", "policy_chips_tier2")
def test_742_6_b_10_allocation_exactly_790m_after_shipment_is_approval():
    """742.6(b)(10): used + shipment = exactly 790,000,000 TPP: not exhausted -> presumption of approval."""
    d = run(tier2(used=ALLOC - UNIT))
    assert d.licensing_policy == "presumption_of_approval"
    assert not {"tier2_allocation_used_tpp", "government_assurances"} & set(d.missing_facts)


@pytest.mark.provision("tier2_allocation", "policy_chips_tier2")
def test_742_6_b_10_allocation_one_tpp_over_is_policy_of_denial():
    """742.6(b)(10): one TPP beyond 790,000,000 exhausts the allocation -> policy of denial."""
    d = run(tier2(used=ALLOC - UNIT + 1))
    assert d.licensing_policy == "policy_of_denial"
    assert d.policy_citation == "15 CFR 742.6(b)(10)"


@pytest.mark.provision("tier2_allocation")
def test_742_6_b_10_allocation_with_assurances_1_58bn_boundary():
    """742.6(b)(10): with government-to-government assurances the allocation is 1,580,000,000 TPP."""
    assert run(tier2(used=ALLOC_ASSURED - UNIT, assurances=True)).licensing_policy == "presumption_of_approval"
    assert run(tier2(used=ALLOC_ASSURED - UNIT + 1, assurances=True)).licensing_policy == "policy_of_denial"
    # the same used amount without assurances is far beyond 790,000,000
    assert run(tier2(used=ALLOC_ASSURED - UNIT, assurances=False)).licensing_policy == "policy_of_denial"


def test_742_6_b_10_allocation_large_shipment_alone_exceeds():
    """742.6(b)(10): a single shipment above the allocation (100,000 x 10,000 = 10^9 TPP) exhausts it."""
    assert run(tier2(used=0, quantity=100_000)).licensing_policy == "policy_of_denial"
    assert run(tier2(used=0, quantity=79_000)).licensing_policy == "presumption_of_approval"


def test_742_6_b_10_unknown_used_allocation_is_indeterminate():
    """742.6(b)(10): the allocation already used is a fact of the scenario; unknown -> policy
    null and missing_facts names tier2_allocation_used_tpp."""
    s = tier2()
    del s["facts"]["tier2_allocation_used_tpp"]
    d = run(s)
    assert d.license_required is True
    assert d.licensing_policy is None
    assert "tier2_allocation_used_tpp" in d.missing_facts


def test_742_6_b_10_used_allocation_not_needed_outside_tier2():
    """742.6(b)(10): the allocation matters only in the Tier 2 case (Tier 1 destination: no missing fact)."""
    s = scenario()
    del s["facts"]["tier2_allocation_used_tpp"]
    d = run(s)
    assert d.licensing_policy == "presumption_of_approval"
    assert "tier2_allocation_used_tpp" not in d.missing_facts


@pytest.mark.parametrize(
    "used, policy",
    [
        (ALLOC - UNIT, "presumption_of_approval"),  # within even without assurances
        (ALLOC_ASSURED - UNIT + 1, "policy_of_denial"),  # exhausted even with assurances
        (ALLOC, None),  # depends on the assurances
        (ALLOC_ASSURED - UNIT, None),
    ],
)
def test_742_6_b_10_unknown_assurances_decided_only_when_bounds_agree(used, policy):
    """742.6(b)(10): with the assurances unknown the policy is given only when 790,000,000 and
    1,580,000,000 lead to the same answer; otherwise government_assurances is missing."""
    s = tier2(used=used)
    del s["facts"]["government_assurances"]
    d = run(s)
    assert d.licensing_policy == policy
    assert ("government_assurances" in d.missing_facts) is (policy is None)


@pytest.mark.parametrize(
    "used, shipment_fits, used_below",
    [
        (ALLOC - UNIT, "presumption_of_approval", "presumption_of_approval"),
        (ALLOC - 1, "policy_of_denial", "presumption_of_approval"),  # the readings differ here
        (ALLOC, "policy_of_denial", "policy_of_denial"),
    ],
)
def test_742_6_b_10_allocation_exhaustion_reading(used, shipment_fits, used_below):
    """742.6(b)(10) 'has not exhausted its allocation': reading shipment_fits (default: used +
    this shipment within the allocation) v. used_below (exhausted once the used TPP reaches it)."""
    a = run(tier2(used=used))
    b = run(tier2(used=used, readings={"allocation_exhaustion": "used_below"}))
    assert a.readings["allocation_exhaustion"] == "shipment_fits"
    assert b.readings["allocation_exhaustion"] == "used_below"
    assert a.licensing_policy == shipment_fits
    assert b.licensing_policy == used_below
    assert ("allocation_exhaustion" in a.readings_that_matter) is (shipment_fits != used_below)


def test_742_6_b_10_allocation_given_as_text_is_exact():
    """742.6(b)(10): a used allocation written '789,990,000' is read exactly."""
    d = run(tier2(used="789,990,000"))
    assert d.licensing_policy == "presumption_of_approval"
    d = run(tier2(used="789,990,001"))
    assert d.licensing_policy == "policy_of_denial"


# --- overlap of the Tier 1 and Tier 3 wording -------------------------------------------------
def overlap_scenario(**kw):
    return scenario(
        to="DE",
        entities={"Buyer": {"located": "DE", "headquartered": "DE", "parent": "Top"}, "Top": {"headquartered": "CN"}},
        **kw,
    )


def test_742_6_b_10_overlap_tier1_location_tier3_parent_reported_unresolved():
    """742.6(b)(10): a consignee in Tier 1 whose ultimate parent is headquartered in Tier 3 meets
    both the approval and the denial wording; the overlap is reported with both citations and,
    the rule stating no precedence, no policy is given."""
    d = run(overlap_scenario())
    assert d.licensing_policy is None
    assert len(d.overlaps) == 1
    o = d.overlaps[0]
    assert set(o["provisions"]) == {"policy_chips_tier1", "policy_chips_tier3"}
    regs = kb.provisions()
    assert o["citations"] == [regs[p]["citation"] for p in o["provisions"]]
    assert o["resolved_by_reading"] is False
    assert "tier_overlap" in d.readings_that_matter
    assert "OVERLAP" in d.to_text()


@pytest.mark.parametrize(
    "reading, policy", [("tier3_prevails", "presumption_of_denial"), ("tier1_prevails", "presumption_of_approval")]
)
def test_742_6_b_10_overlap_resolved_only_by_chosen_reading(reading, policy):
    """742.6(b)(10): the overlap is resolved only under an explicit reading; it is still reported."""
    d = run(overlap_scenario(readings={"tier_overlap": reading}))
    assert d.licensing_policy == policy
    assert len(d.overlaps) == 1 and d.overlaps[0]["resolved_by_reading"] is True


def test_742_6_b_10_tier3_destination_tier1_headquarters_overlap():
    """742.6(b)(10): a Tier 1-headquartered consignee located in a Tier 3 destination is an overlap too."""
    d = run(scenario(to="CN", entities={"Buyer": {"located": "CN", "headquartered": "US"}}))
    assert d.licensing_policy is None
    assert d.overlaps


# --- the provision registry ---------------------------------------------------------------------
REGISTRY_CITATIONS = {p["citation"] for p in kb.provisions().values()}


@pytest.mark.parametrize(
    "s",
    [
        scenario(),
        overlap_scenario(),
        tier2(),
        tier2(used=ALLOC),
        scenario(action="deemed_export"),
        scenario(date="2025-03-01"),
        scenario(to="HK", entities={"Buyer": {"headquartered": "HK"}}),
    ],
    ids=["tier1", "overlap", "tier2", "tier2-exhausted", "deemed", "before-compliance", "hk"],
)
def test_provisions_every_citation_comes_from_the_registry(s):
    """kb/provisions.lp: every citation printed (controls, policy, overlaps, obligations,
    authorizations, the citation list) is a registered provision's citation."""
    d = run(s)
    j = d.to_json()
    cited = set(j["citations"])
    cited |= {c["citation"] for c in j["controls"]}
    cited |= {c["citation"] for c in j["policy_candidates"]}
    cited |= {c for o in j["overlaps"] for c in o["citations"]}
    cited |= {o["citation"] for o in j["obligations"]}
    cited |= {a["citation"] for a in j["authorizations"]}
    if j["policy_citation"]:
        cited.add(j["policy_citation"])
    assert cited <= REGISTRY_CITATIONS
    if d.license_required:
        assert "15 CFR 742.6(a)(6)(iii)" in j["citations"]


def test_provisions_every_provision_id_in_answer_is_registered():
    """kb/provisions.lp: every provision id carried by control/3, policy/2, policy_candidate/2,
    overlap/2 and obligation/4 is registered."""
    regs = set(kb.provisions())
    for s in (scenario(), overlap_scenario(), tier2(used=ALLOC)):
        for a in run(s).atoms:
            if a.name == "control":
                assert a.arguments[2].name in regs
            elif a.name in ("policy", "policy_candidate"):
                assert a.arguments[1].name in regs
            elif a.name == "overlap":
                assert {a.arguments[0].name, a.arguments[1].name} <= regs
            elif a.name == "obligation":
                assert a.arguments[1].name in regs


def test_provisions_registry_dates_are_well_formed():
    """kb/provisions.lp: each provision has a citation, a title and From <= To as YYYYMMDD."""
    for pid, p in kb.provisions().items():
        assert p["citation"] and p["title"]
        assert 19000101 <= p["from"] <= p["to"] <= 99991231, pid


def test_742_6_b_10_tier1_parented_buyer_allocation_is_an_open_question_note():
    """742.6(b)(10) (issue 10 ambiguity): a buyer in India whose ultimate parent is headquartered in
    Germany gets a note that counting its licence against India's allocation is not decided; a buyer
    with no Tier 1 tie gets none."""
    from helpers import run, scenario

    ents = {"Buyer": {"located": "IN", "headquartered": "IN", "parent": "P"}, "P": {"headquartered": "DE"}}
    d = run(scenario(to="IN", entities=ents))
    assert any(n["id"] == "tier1_parented_buyer_allocation" for n in d.notes)
    d = run(scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}}))
    assert not any(n["id"] == "tier1_parented_buyer_allocation" for n in d.notes)


# --- 742.6(b)(10) Tier 2 allocation: needless "indeterminate" (issue 10) ------------------------
def _tier2(items, facts):
    s = scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}}, items=items)
    s["facts"] = dict(facts)
    return run(s)


BIG = {"tpp": 1_000_000, "quantity": 1580}  # 1,580,000,000 TPP: exactly the doubled allocation
ONE = {"tpp": 4800, "quantity": 1}  # the smallest 3A090.a unit by TPP


def test_742_6_b_10_shipment_above_doubled_allocation_denied_whatever_was_used():
    """742.6(b)(10): a shipment of more than 1,580,000,000 TPP cannot fit the allocation even with
    assurances: policy of denial, with neither what was used nor the assurances asked."""
    d = _tier2([BIG, ONE], {})
    assert d.licensing_policy == "policy_of_denial"
    assert "tier2_allocation_used_tpp" not in d.missing_facts
    assert "government_assurances" not in d.missing_facts
    # exactly the doubled allocation: what was used before decides
    d = _tier2([BIG], {})
    assert d.licensing_policy is None and "tier2_allocation_used_tpp" in d.missing_facts


def test_742_6_b_10_shipment_above_single_allocation_without_assurances_denied_whatever_was_used():
    """742.6(b)(10): without assurances, a shipment above 790,000,000 TPP alone is denied; with
    the assurances unknown it is not decided."""
    big = {"tpp": 1_000_000, "quantity": 790}
    assert _tier2([big, ONE], {"government_assurances": False}).licensing_policy == "policy_of_denial"
    assert _tier2([big], {"government_assurances": False}).licensing_policy is None
    assert _tier2([big, ONE], {}).licensing_policy is None


@pytest.mark.parametrize(
    "used, policy, both",
    [
        (789_995_200, "presumption_of_approval", False),  # used + 4,800 = 790,000,000: within even without
        (789_995_201, None, True),  # just over the single allocation
        (1_579_995_200, None, True),  # exactly the doubled allocation after this shipment
        (1_579_995_201, "policy_of_denial", False),  # over even the doubled allocation
    ],
)
def test_742_6_b_10_assurances_unknown_policy_candidates_name_both_outcomes(used, policy, both):
    """742.6(b)(10): assurances unknown and the allocation reached between 790,000,000 and
    1,580,000,000 TPP: policy_candidates names both outcomes, denial without assurances and
    approval with them; outside that band the policy is decided."""
    d = _tier2([ONE], {"tier2_allocation_used_tpp": used})
    assert d.licensing_policy == policy
    cands = {(c["policy"], json.dumps(c.get("if"))) for c in d.policy_candidates}
    if both:
        assert cands == {
            ("policy_of_denial", '{"government_assurances": false}'),
            ("presumption_of_approval", '{"government_assurances": true}'),
        }
        assert "government_assurances" in d.missing_facts
    else:
        assert "government_assurances" not in d.missing_facts


# --- moved from test_spec_coverage.py: 742.6(b)(10) allocation with assurances under a regime ---
from helpers import bundled_case  # noqa: E402
from pyrules.modes.expect import compare  # noqa: E402


@pytest.mark.provision("tier2_allocation")
def test_742_6_b_10_assurance_multiplier_is_exact_under_a_regime():
    """742.6(b)(10) allocation with assurances under a regime multiplier of 150%:
    1,185,000,000 TPP exactly (no integer truncation of the percentage)."""
    import pyrules
    from pyrules.modes.regime import Regime

    regime = Regime.from_dict({"regime": "x", "params": {"assurance_multiplier_percent": 150}})

    def s(used):
        return {
            "scenario": "t",
            "date": "2025-06-01",
            "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "B"},
            "items": [{"eccn": "3A090.a", "tpp": 1_000_000, "quantity": 1}],
            "entities": {"B": {"located": "IN", "headquartered": "IN"}},
            "facts": {"tier2_allocation_used_tpp": used, "government_assurances": True},
        }

    assert pyrules.evaluate(s(1_184_000_000), regime=regime).licensing_policy == "presumption_of_approval"
    assert pyrules.evaluate(s(1_184_000_001), regime=regime).licensing_policy == "policy_of_denial"


# --- moved from test_issue10_cases.py: 742.6(b)(10) Tier 2 allocation (bundled cases) ---
@pytest.mark.parametrize(
    "name",
    [
        "core_shipment_above_doubled_allocation",
        "core_allocation_assurances_unknown_both_outcomes",
    ],
)
def test_742_6_b_10_allocation_bundled_cases_meet_their_expect(name):
    """742.6(b)(10): each bundled allocation case states its outcome in "expect"."""
    expect, _, j = bundled_case(name)
    assert compare(expect, j) == []


def test_742_6_b_10_allocation_cases():
    """742.6(b)(10): above the doubled allocation -> denial, no used/assurance facts asked;
    between the allocations with assurances unknown -> both outcomes named."""
    _, d, _ = bundled_case("core_shipment_above_doubled_allocation")
    assert d.licensing_policy == "policy_of_denial"
    assert not {"tier2_allocation_used_tpp", "government_assurances"} & set(d.missing_facts)
    _, d, _ = bundled_case("core_allocation_assurances_unknown_both_outcomes")
    assert d.licensing_policy is None
    assert {(c["policy"], c["if"]["government_assurances"]) for c in d.policy_candidates} == {
        ("policy_of_denial", False),
        ("presumption_of_approval", True),
    }
