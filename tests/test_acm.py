"""License Exception Advanced Compute Manufacturing (ACM), 15 CFR 740.28: chips moved for
the development, production or storage of advanced chips, to private-sector end users
with no Tier 3 tie, for customers outside Tier 3."""

from __future__ import annotations

import copy

import pytest

from helpers import check_scenario_files_cover_every_condition, auth, failed, run, scenario

DESIGNER = {"headquartered": "US", "status": {"approved_ic_designer": True}}


def acm(
    located="TW", hq="TW", parent_hq=None, purpose="production", action="export", private=True, facts=None, **kw
) -> dict:
    """H100s (approved designer) to a Taiwanese packaging house; ACM's conditions met by default."""
    ents = {"Fab": {"located": located, "headquartered": hq}, "Nv": copy.deepcopy(DESIGNER)}
    if private is not None:
        ents["Fab"]["status"] = {"private_sector": private}
    if parent_hq:
        ents["Fab"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    f = {"ultimately_destined_outside_tier3": True}
    f.update(facts or {})
    return scenario(
        to=located,
        consignee="Fab",
        action=action,
        purpose=purpose,
        items=[{"chip": "H100-SXM", "quantity": 500, "designer": "Nv"}],
        entities=ents,
        facts=f,
        **kw,
    )


def missing(d) -> set[str]:
    return {u["missing_fact"] for u in auth(d, "ACM")["undecided_conditions"]}


@pytest.mark.parametrize("purpose", ["development", "production", "storage"])
@pytest.mark.provision("lic_acm")
def test_740_28_acm_available_for_development_production_storage(purpose):
    """740.28: ACM authorizes chips for development, production or storage."""
    d = run(acm(purpose=purpose))
    a = auth(d, "ACM")
    assert a["available"] is True and not a["failed_conditions"] and not a["undecided_conditions"]


@pytest.mark.parametrize("purpose", ["data_center", "training", "research", "other"])
@pytest.mark.provision("lic_acm")
def test_740_28_acm_other_purposes_fail(purpose):
    """740.28: other purposes (a data center, training ...) are outside ACM."""
    d = run(acm(purpose=purpose))
    assert failed(d, "ACM") == {"acm_purpose"}


def test_740_28_acm_purpose_unknown_is_indeterminate():
    """740.28: the purpose is a needed fact."""
    s = acm()
    del s["transaction"]["purpose"]
    d = run(s)
    assert missing(d) == {"purpose"}
    assert auth(d, "ACM")["available"] is None


@pytest.mark.parametrize("action", ["export", "reexport", "in_country_transfer"])
def test_740_28_acm_covers_export_reexport_and_in_country_transfer(action):
    """740.28: exports, reexports and in-country transfers are all covered."""
    assert auth(run(acm(action=action)), "ACM")["available"] is True


def test_740_28_acm_deemed_export_of_weights_fails_kind_and_items():
    """740.28: ACM covers neither a deemed export nor 4E091 weights (both conditions named)."""
    s = acm(action="deemed_export", facts={"recipient_permanent_regular_employee": False})
    s["items"] = [{"eccn": "4E091", "model_weights": "Frontier"}]
    d = run(s)
    assert d.license_required is True
    assert {"acm_transaction_kind", "acm_eligible_items"} <= failed(d, "ACM")


def test_740_28_acm_public_sector_end_user_fails():
    """740.28: only private-sector end users qualify."""
    d = run(acm(private=False))
    assert failed(d, "ACM") == {"acm_private_sector"}


def test_740_28_acm_private_sector_unknown_is_indeterminate():
    """740.28: whether the end user is private-sector is a needed fact."""
    d = run(acm(private=None))
    assert missing(d) == {"private_sector(Fab)"}
    assert "private_sector(Fab)" in d.missing_facts


@pytest.mark.parametrize("located", ["CN", "MO", "HK"])
def test_740_28_acm_consignee_located_in_tier3_fails(located):
    """740.28: not to an end user located in Tier 3 (China, Macau, Hong Kong as China)."""
    d = run(acm(located=located, hq="TW"))
    assert failed(d, "ACM") == {"acm_not_located_tier3"}


def test_740_28_acm_consignee_headquartered_in_tier3_fails():
    """740.28: not to an end user headquartered in Tier 3."""
    d = run(acm(located="MY", hq="CN"))
    assert failed(d, "ACM") == {"acm_headquarters_not_tier3"}


def test_740_28_acm_ultimate_parent_in_tier3_fails():
    """740.28: not to an end user whose ultimate parent is headquartered in Tier 3."""
    d = run(acm(located="MY", hq="MY", parent_hq="MO"))
    assert failed(d, "ACM") == {"acm_headquarters_not_tier3"}


def test_740_28_acm_tier2_party_qualifies():
    """740.28: a Tier 2 (Malaysian) private-sector party with no Tier 3 tie qualifies."""
    assert auth(run(acm(located="MY", hq="MY", parent_hq="SG")), "ACM")["available"] is True


def test_740_28_acm_parent_headquarters_unknown_is_indeterminate():
    """740.28: the ultimate parent's headquarters is a needed fact."""
    s = acm(parent_hq="SG")
    del s["entities"]["Parent"]["headquartered"]
    d = run(s)
    assert missing(d) == {"headquartered(Parent)"}


def test_740_28_acm_items_destined_for_tier3_customers_fail():
    """740.28: the items must ultimately be destined for customers outside Tier 3."""
    d = run(acm(facts={"ultimately_destined_outside_tier3": False}))
    assert failed(d, "ACM") == {"acm_destined_outside_tier3"}


def test_740_28_acm_ultimate_destination_unknown_is_indeterminate():
    """740.28: the ultimate destination of the output is a needed fact."""
    s = acm()
    del s["facts"]["ultimately_destined_outside_tier3"]
    assert missing(run(s)) == {"ultimately_destined_outside_tier3"}


def test_740_28_b_acm_designer_condition():
    """740.28(b) with 90 FR 5298: a 3A090.a chip designed by a designer neither approved nor
    authorized fails ACM."""
    s = acm()
    s["entities"]["Nv"] = {
        "headquartered": "MY",
        "status": {"approved_ic_designer": False, "reports_under_743_9": True},
    }
    assert failed(run(s), "ACM") == {"acm_ic_designer"}


def test_740_28_acm_brings_six_monthly_facility_accounting():
    """740.28: ACM users keep a system accounting for items in and out of each facility,
    at least every six months."""
    d = run(acm())
    ob = [o for o in d.obligations if o["id"] == "acm_facility_accounting"]
    assert len(ob) == 1
    assert ob[0]["deadline"] == "at least every 6 months"
    assert ob[0]["citation"] == "15 CFR 740.28"


def test_740_28_acm_obligation_absent_when_unavailable():
    """740.28: the accounting obligation comes only with an available ACM."""
    d = run(acm(purpose="data_center"))
    assert not [o for o in d.obligations if o["id"] == "acm_facility_accounting"]


def test_740_28_acm_shipments_not_counted_against_allocation_note():
    """740.28: ACM shipments do not count toward a country's TPP allocation (a note)."""
    d = run(acm(located="MY", hq="MY"))
    assert any(n["id"] == "acm_outside_allocation" for n in d.notes)
    d = run(acm(purpose="data_center"))
    assert not any(n["id"] == "acm_outside_allocation" for n in d.notes)


# --- scenario files queries/acm_*.json ----------------------------------------------------------


def test_740_28_acm_scenario_files_cover_every_condition():
    """15 CFR 740.28: the queries/acm_*.json scenarios show ACM available at least once
    and each of its named conditions failing at least once."""
    check_scenario_files_cover_every_condition("ACM")


# --- issue 10: the items' ultimate destination as an input -----------------------------------
@pytest.mark.parametrize("dest, ok", [("CN", False), ("MO", False), ("DE", True), ("IN", True)])
def test_740_28_acm_known_ultimate_destination(dest, ok):
    """740.28: the items' ultimate destination as a country: in Tier 3 (China, Macau) it fails
    ACM; outside Tier 3 it meets the condition without the yes/no fact."""
    s = acm()
    del s["facts"]["ultimately_destined_outside_tier3"]
    s["facts"]["ultimate_destination"] = dest
    d = run(s)
    assert ("acm_destined_outside_tier3" in failed(d, "ACM")) is (not ok)
    assert auth(d, "ACM")["available"] is ok
    if not ok:
        assert "aca_r1_onward_outside_tier3" in failed(d, "ACA") or auth(d, "ACA")["available"] is False


def test_740_8_b_aca_route1_fails_for_known_tier3_onward_destination():
    """740.8(b) route (1) is for parties outside Tier 3: a known onward destination in China fails it
    (chips not designed for data centers, so that the data-center test of the 3A090 entry's
    NAC/ACA lines does not already fail the route)."""
    s = acm()
    s["items"] = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 500, "data_center": False, "designer": "Nv"}]
    s["facts"]["ultimate_destination"] = "CN"
    d = run(s)
    assert "aca_r1_onward_outside_tier3" in failed(d, "ACA")
    s["facts"]["ultimate_destination"] = "JP"
    assert auth(run(s), "ACA")["available"] is True


def test_740_28_acm_destination_unknown_is_named():
    """740.28: neither the ultimate destination nor the yes/no fact: undecided, the fact named."""
    s = acm()
    del s["facts"]["ultimately_destined_outside_tier3"]
    assert "ultimately_destined_outside_tier3" in missing(run(s))


@pytest.mark.provision("lic_acm")
@pytest.mark.parametrize("to", ["SA", "VN"])
def test_740_28_acm_not_for_3a090b_lines(to):
    """740.28 covers 3A090.a, 4A090.a and their .z items: a 3A090.b line, licensed under
    742.6(a)(6)(iii)(B) to Saudi Arabia or Vietnam, cannot go under ACM even for production
    by a private-sector firm with no Tier 3 tie; the same firm's 3A090.a line can."""
    ents = {"Buyer": {"located": to, "headquartered": to, "status": {"private_sector": True}}}
    facts = {"ultimately_destined_outside_tier3": True}
    b = run(
        scenario(
            date="2025-06-01",
            to=to,
            purpose="production",
            entities=ents,
            facts=facts,
            items=[{"tpp": 3000, "die_area_mm2": 1500, "quantity": 10, "data_center": True}],
        )
    )
    assert b.license_required is True
    acm = auth(b, "ACM")
    assert acm["available"] is False
    assert "acm_eligible_items" in [c["condition"] for c in acm["failed_conditions"]]
