"""License Exception Artificial Intelligence Authorization (AIA), 15 CFR 740.27, for
advanced chips and for 4E091 model weights; and the properties the exceptions AIA, ACM
(740.28) and LPP (740.29) share (no Tier 3 ties; available exactly when no condition
fails or is undecided)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings, strategies as st

from helpers import check_scenario_files_cover_every_condition, auth, failed, run, scenario

DESIGNER = {"headquartered": "US", "status": {"approved_ic_designer": True}}
AIA_FACTS = {"eccn_furnished": True, "aia_certification_obtained": True}


def chips(located="DE", hq="DE", parent_hq=None, facts=None, **kw) -> dict:
    """H100s (approved designer) from the US to 'Buyer'; AIA's chip conditions met by default."""
    ents = {"Buyer": {"located": located, "headquartered": hq}, "Nv": copy.deepcopy(DESIGNER)}
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    f = dict(AIA_FACTS)
    f.update(facts or {})
    return scenario(
        to=located, items=[{"chip": "H100-SXM", "quantity": 100, "designer": "Nv"}], entities=ents, facts=f, **kw
    )


def weights(located="DE", hq="DE", parent_hq=None, date="2026-02-01", facts=None, readings=None) -> dict:
    """4E091 model weights exported from the US to 'Buyer'; stored securely by default."""
    ents = {"Buyer": {"located": located, "headquartered": hq}}
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    f = {"storage_security_measures": True}
    f.update(facts or {})
    s = scenario(to=located, date=date, items=[{"eccn": "4E091", "model_weights": "Frontier"}], entities=ents, facts=f)
    if readings:
        s["readings"] = readings
    return s


def missing(d, name="AIA") -> set[str]:
    return {u["missing_fact"] for u in auth(d, name)["undecided_conditions"]}


# --- chips ------------------------------------------------------------------------------


@pytest.mark.provision("lic_aia")
def test_740_27_aia_chips_available_to_tier1_consignee():
    """740.27: chips to a German company headquartered in Germany, ECCN furnished and
    certification obtained: AIA is available and the transaction is authorized."""
    d = run(chips())
    a = auth(d, "AIA")
    assert a["available"] is True and a["failed_conditions"] == [] and a["undecided_conditions"] == []
    assert d.authorized is True


@pytest.mark.provision("lic_aia")
def test_740_27_aia_chips_consignee_located_outside_tier1_fails():
    """740.27: chips go under AIA only to a consignee located in Tier 1 (India is Tier 2)."""
    d = run(chips(located="IN", hq="DE"))
    assert failed(d, "AIA") == {"aia_located_tier1"}


def test_740_27_aia_chips_consignee_headquartered_outside_tier1_fails():
    """740.27: the consignee must be headquartered in Tier 1."""
    d = run(chips(located="DE", hq="IN"))
    assert failed(d, "AIA") == {"aia_headquarters_tier1"}


def test_740_27_aia_chips_ultimate_parent_outside_tier1_fails():
    """740.27: the consignee's ultimate parent must also be headquartered in Tier 1."""
    d = run(chips(located="DE", hq="DE", parent_hq="CN"))
    assert failed(d, "AIA") == {"aia_headquarters_tier1"}
    d = run(chips(located="DE", hq="DE", parent_hq="JP"))
    assert auth(d, "AIA")["available"] is True


def test_740_27_aia_eccn_not_furnished_fails():
    """740.27: the exporter must furnish the ECCN to the ultimate consignee."""
    d = run(chips(facts={"eccn_furnished": False}))
    assert failed(d, "AIA") == {"aia_eccn_furnished"}


def test_740_27_aia_eccn_furnished_unknown_is_indeterminate():
    """740.27: whether the ECCN was furnished is a needed fact, never assumed."""
    s = chips()
    del s["facts"]["eccn_furnished"]
    d = run(s)
    assert auth(d, "AIA")["available"] is None
    assert missing(d) == {"eccn_furnished"}
    assert "eccn_furnished" in d.missing_facts


@pytest.mark.provision("lic_aia_certification")
def test_740_27_aia_certification_not_obtained_fails():
    """740.27 (certification: no IaaS for 4E091 training of non-Tier 1 parties, no onward
    transfer to part 744 end uses or non-Tier 1 parties): without it AIA fails."""
    d = run(chips(facts={"aia_certification_obtained": False}))
    assert failed(d, "AIA") == {"aia_certification"}


def test_740_27_aia_certification_unknown_is_indeterminate():
    """740.27: the prior certification is a needed fact."""
    s = chips()
    del s["facts"]["aia_certification_obtained"]
    d = run(s)
    assert missing(d) == {"aia_certification_obtained"}


def test_740_27_aia_consignee_location_unknown_is_indeterminate():
    """740.27: the consignee's location must be known for AIA for chips."""
    s = chips()
    del s["entities"]["Buyer"]["located"]
    d = run(s)
    assert missing(d) == {"located(Buyer)"}


def test_740_27_aia_parent_headquarters_unknown_is_indeterminate():
    """740.27: the ultimate parent's headquarters must be known for AIA for chips."""
    s = chips(parent_hq="DE")
    del s["entities"]["Parent"]["headquartered"]
    d = run(s)
    assert "headquartered(Parent)" in missing(d)
    assert auth(d, "AIA")["available"] is None


def test_740_27_aia_conditions_listed_with_citations():
    """740.27: every AIA condition is declared by name with a citation."""
    d = run(chips(located="IN", hq="IN", facts={"eccn_furnished": False, "aia_certification_obtained": False}))
    a = auth(d, "AIA")
    assert {f["condition"] for f in a["failed_conditions"]} == {
        "aia_located_tier1",
        "aia_headquarters_tier1",
        "aia_eccn_furnished",
        "aia_certification",
    }
    assert all(f["citation"].startswith("15 CFR 740.27") for f in a["failed_conditions"])


# --- model weights ----------------------------------------------------------------------


def test_740_27_aia_weights_available_tier1_hq_located_in_tier2():
    """740.27: 4E091 weights may go under AIA to a Tier 1-headquartered entity located in
    a Tier 2 country (India) once stored under the Supp. No. 10 security measures."""
    d = run(weights(located="IN", hq="DE"))
    assert auth(d, "AIA")["available"] is True


def test_740_27_aia_weights_located_in_tier3_fails():
    """740.27: not to a recipient located in Tier 3 (China), even if Tier 1-headquartered."""
    d = run(weights(located="CN", hq="DE"))
    assert failed(d, "AIA") == {"aia_weights_not_located_tier3"}
    d = run(weights(located="MO", hq="US"))
    assert failed(d, "AIA") == {"aia_weights_not_located_tier3"}


def test_740_27_aia_weights_no_tier1_headquarters_fails():
    """740.27: neither the recipient nor its ultimate parent is headquartered in Tier 1."""
    d = run(weights(located="IN", hq="IN", parent_hq="BR"))
    assert failed(d, "AIA") == {"aia_weights_headquarters_tier1"}


def test_740_27_aia_weights_tier1_parent_is_enough_under_literal_reading():
    """740.27: an Indian recipient whose ultimate parent is headquartered in the US qualifies
    under the literal reading (either tie suffices); under the default reading both must be
    Tier 1, and the reading is reported as deciding the outcome."""
    d = run(weights(located="IN", hq="IN", parent_hq="US", readings={"aia_weights_headquarters": "either_in_tier1"}))
    assert auth(d, "AIA")["available"] is True
    assert "aia_weights_headquarters" in d.readings_that_matter
    d = run(weights(located="IN", hq="IN", parent_hq="US"))
    assert d.readings["aia_weights_headquarters"] == "both_in_tier1"
    assert failed(d, "AIA") == {"aia_weights_headquarters_tier1"}
    assert "aia_weights_headquarters" in d.readings_that_matter


def test_740_27_aia_weights_reading_does_not_matter_when_both_tier1():
    """740.27: with recipient and ultimate parent both in Tier 1, the reading changes nothing."""
    d = run(weights(located="IN", hq="DE", parent_hq="US"))
    assert "aia_weights_headquarters" not in d.readings_that_matter


def test_740_27_aia_weights_headquarters_unknown_is_indeterminate():
    """740.27: the recipient's headquarters is a needed fact for weights."""
    s = weights()
    del s["entities"]["Buyer"]["headquartered"]
    d = run(s)
    assert auth(d, "AIA")["available"] is None
    assert "headquartered(Buyer)" in missing(d)


@pytest.mark.provision("dc_veu_security")
def test_748_supp10_aia_weights_storage_security_required_from_2026_01_15():
    """740.27 with Supp. No. 10 to part 748 paras 14, 15, 18: from 2026-01-15 weights must be
    stored under the security measures; without them AIA fails."""
    d = run(weights(facts={"storage_security_measures": False}, date="2026-01-15"))
    assert failed(d, "AIA") == {"aia_weights_storage_security"}
    assert "Supp. No. 10" in auth(d, "AIA")["failed_conditions"][0]["citation"]


def test_748_supp10_aia_weights_storage_security_unknown_is_indeterminate():
    """Supp. No. 10 to part 748: the storage fact is needed once compliance is due."""
    s = weights(date="2026-03-01")
    del s["facts"]["storage_security_measures"]
    d = run(s)
    assert missing(d) == {"storage_security_measures"}


@pytest.mark.provision("dc_veu_security")
def test_748_supp10_aia_weights_storage_not_required_before_2026_01_15():
    """Compliance with Supp. No. 10 paras 14, 15, 18 is due only from 2026-01-15: on
    2026-01-14 insecure storage does not defeat AIA, and a note says why."""
    d = run(weights(facts={"storage_security_measures": False}, date="2026-01-14"))
    assert auth(d, "AIA")["available"] is True
    assert any(n["id"] == "aia_security_not_yet_due" for n in d.notes)


def test_740_27_aia_is_the_only_exception_for_4e091():
    """740.27-740.29: AIA is the only licence exception for 4E091 weights; ACM and LPP each
    fail on a named eligibility condition."""
    d = run(
        weights(
            facts={
                "ultimately_destined_outside_tier3": True,
                "lpp_prior_shipments_tpp": 0,
                "lpp_certification_obtained": True,
            }
        )
    )
    assert auth(d, "AIA")["available"] is True
    assert "acm_eligible_items" in failed(d, "ACM")
    assert "lpp_eligible_items" in failed(d, "LPP")


def test_740_27_aia_mixed_shipment_meets_both_sets_of_conditions():
    """740.27: a shipment of chips and weights needs the chip and the weights conditions:
    an Indian site of a German company gets AIA for the weights but not for the chips."""
    s = chips(located="IN", hq="DE")
    s["date"] = "2026-02-01"
    s["items"].append({"eccn": "4E091", "model_weights": "Frontier"})
    s["facts"]["storage_security_measures"] = True
    d = run(s)
    assert failed(d, "AIA") == {"aia_located_tier1"}


# --- properties -----------------------------------------------------------------------------

COUNTRIES = ["US", "DE", "JP", "TW", "IN", "MY", "BR", "AE", "CN", "MO", "RU", "HK"]
TIER3 = {"CN", "MO", "RU", "HK"}
TIER1 = {"US", "DE", "JP", "TW"}
ALL_FACTS = {
    "eccn_furnished": True,
    "aia_certification_obtained": True,
    "storage_security_measures": True,
    "ultimately_destined_outside_tier3": True,
    "lpp_prior_shipments_tpp": 0,
    "lpp_certification_obtained": True,
}


def party(located, hq, parent_hq, purpose, action, item, facts=ALL_FACTS, reading=None):
    ents = {
        "Buyer": {"located": located, "headquartered": hq, "status": {"private_sector": True}},
        "Nv": copy.deepcopy(DESIGNER),
    }
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    s = scenario(
        to=located, date="2026-02-01", action=action, purpose=purpose, items=[item], entities=ents, facts=dict(facts)
    )
    if reading:
        s["readings"] = {"aia_weights_headquarters": reading}
    return s


CHIP = {"chip": "H100-SXM", "quantity": 100, "designer": "Nv"}
WEIGHTS = {"eccn": "4E091", "model_weights": "Frontier"}
places = st.sampled_from(COUNTRIES)
parents = st.one_of(st.none(), places)
# The consignee's location is the destination; shipments leave the United States,
# so it is never the destination (15 CFR 734.13).
locations = st.sampled_from([c for c in COUNTRIES if c != "US"])
purposes = st.sampled_from(["data_center", "production", "storage", "development"])
actions = st.sampled_from(["export", "reexport", "in_country_transfer"])


@settings(max_examples=40, deadline=None)
@given(located=locations, hq=places, parent_hq=parents, purpose=purposes, action=actions)
def test_740_27_28_29_no_exception_for_chips_with_tier3_ties(located, hq, parent_hq, purpose, action):
    """740.27-740.29: no AIA, ACM or LPP for chips to a consignee located, headquartered or
    ultimately owned in Tier 3 (Macau, D:5, Hong Kong as China)."""
    d = run(party(located, hq, parent_hq, purpose, action, CHIP))
    tied = {located, hq, parent_hq or hq} & TIER3
    for name in ("AIA", "ACM", "LPP"):
        if tied:
            assert auth(d, name)["available"] is not True


@settings(max_examples=40, deadline=None)
@given(located=locations, hq=places, parent_hq=parents)
def test_740_27_no_aia_weights_with_tier3_ties_under_strict_reading(located, hq, parent_hq):
    """740.27 (weights): under the both_in_tier1 reading AIA never reaches a recipient located,
    headquartered or ultimately owned in Tier 3; under the literal reading never one located
    in Tier 3 or with no Tier 1 headquarters tie."""
    strict = run(party(located, hq, parent_hq, "data_center", "export", WEIGHTS, reading="both_in_tier1"))
    literal = run(party(located, hq, parent_hq, "data_center", "export", WEIGHTS))
    top = parent_hq or hq
    if {located, hq, top} & TIER3:
        assert auth(strict, "AIA")["available"] is False
    if located in TIER3 or not ({hq, top} & TIER1):
        assert auth(literal, "AIA")["available"] is False
    for name in ("ACM", "LPP"):
        assert auth(literal, name)["available"] is False


@settings(max_examples=40, deadline=None)
@given(located=locations, hq=places, parent_hq=parents)
def test_740_27_aia_for_chips_implies_consignee_located_in_tier1(located, hq, parent_hq):
    """740.27: whenever AIA is available for chips, the consignee is located in Tier 1 (and it
    and its ultimate parent are headquartered there)."""
    d = run(party(located, hq, parent_hq, "data_center", "export", CHIP))
    if auth(d, "AIA")["available"]:
        assert located in TIER1
        assert hq in TIER1 and (parent_hq or hq) in TIER1


fact_values = st.sampled_from([True, False, None])


@settings(max_examples=40, deadline=None)
@given(
    located=locations,
    hq=places,
    parent_hq=parents,
    purpose=purposes,
    action=actions,
    weights_line=st.booleans(),
    distributor=fact_values,
    facts=st.fixed_dictionaries(
        {
            k: fact_values
            for k in [
                "eccn_furnished",
                "aia_certification_obtained",
                "storage_security_measures",
                "ultimately_destined_outside_tier3",
                "lpp_certification_obtained",
            ]
        }
    ),
    prior=st.one_of(st.none(), st.sampled_from([0, 25_000_000, 30_000_000])),
)
def test_740_27_28_29_available_exactly_when_no_condition_fails_or_is_open(
    located, hq, parent_hq, purpose, action, weights_line, distributor, facts, prior
):
    """Authorizations as data (740.27-740.29): an exception is available exactly when its
    failed_conditions and undecided_conditions are both empty; unavailable exactly when some
    condition fails; otherwise indeterminate."""
    f = {k: v for k, v in facts.items() if v is not None}
    if prior is not None:
        f["lpp_prior_shipments_tpp"] = prior
    s = party(located, hq, parent_hq, purpose, action, WEIGHTS if weights_line else CHIP, facts=f)
    if distributor is None:
        del s["transaction"]["via_distributor"]
    else:
        s["transaction"]["via_distributor"] = distributor
    d = run(s)
    for name in ("AIA", "ACM", "LPP"):
        a = auth(d, name)
        if not a["failed_conditions"] and not a["undecided_conditions"]:
            assert a["available"] is True
        elif a["failed_conditions"]:
            assert a["available"] is False
        else:
            assert a["available"] is None
        if a["available"] is True:
            assert not a["failed_conditions"] and not a["undecided_conditions"]


# --- scenario files queries/aia_*.json ----------------------------------------------------------


def test_740_27_aia_scenario_files_cover_every_condition():
    """15 CFR 740.27: the queries/aia_*.json scenarios show AIA available at least once
    and each of its named conditions failing at least once."""
    check_scenario_files_cover_every_condition("AIA")


# --- issue 10: the certification as an obligation, and the training bar as a field ----------
def _hosted(customer_located="IN", customer_hq="IN", ops="2e26", parent_hq=None):
    s = chips()
    s["entities"]["Tenant"] = {"located": customer_located, "headquartered": customer_hq}
    if parent_hq:
        s["entities"]["Tenant"]["parent"] = "TenantParent"
        s["entities"]["TenantParent"] = {"headquartered": parent_hq}
    s["facts"]["hosted_customer"] = "Tenant"
    if ops is not None:
        s["facts"]["hosted_training_ops"] = ops
    return s


@pytest.mark.provision("lic_aia_certification")
def test_740_27_a_b_2_aia_brings_certification_to_bis():
    """740.27(a), (b)(2): using AIA for chips, the exporter obtains the certification and submits
    it to BIS before the export; the obligation is listed with its citation."""
    d = run(chips())
    ob = [o for o in d.obligations if o["id"] == "aia_certification_to_bis"]
    assert ob and ob[0]["citation"] == "15 CFR 740.27(a), (b)(2)"
    assert ob[0]["deadline"].startswith("before")
    assert "aia_certification_to_bis" in auth(d, "AIA")["obligations"]


def test_740_27_a_aia_weights_bring_no_chip_certification():
    """740.27(a), (b)(2): the chip certification is not an obligation of AIA for model weights."""
    d = run(weights())
    assert not [o for o in d.obligations if o["id"] == "aia_certification_to_bis"]


@pytest.mark.parametrize("ops, fails", [("99999999999999999999999999", False), ("1e26", True)])
def test_740_27_b_2_training_bar_at_4e091_scale(ops, fails):
    """740.27(b)(2): IaaS training for an Indian customer fails AIA from 10^26 operations (4E091's
    scope, 'or more'); 10^26 - 1 does not."""
    d = run(_hosted(ops=ops))
    assert ("aia_no_frontier_training_outside_tier1" in failed(d, "AIA")) is fails
    assert auth(d, "AIA")["available"] is (not fails)


def test_740_27_b_2_training_bar_tier1_customer_with_chinese_parent_fails():
    """740.27(b)(2): a customer located and headquartered in Japan whose ultimate parent is
    headquartered in China is a party outside Tier 1 by its parent."""
    d = run(_hosted(customer_located="JP", customer_hq="JP", parent_hq="CN"))
    assert "aia_no_frontier_training_outside_tier1" in failed(d, "AIA")


def test_740_27_b_2_training_bar_tier1_customer_holds():
    """740.27(b)(2): frontier training for a customer located and headquartered in Tier 1 (JP,
    ultimate parent FR) is allowed: AIA available."""
    d = run(_hosted(customer_located="JP", customer_hq="JP", parent_hq="FR"))
    assert auth(d, "AIA")["available"] is True


def test_740_27_b_2_training_ops_missing_named_for_non_tier1_customer():
    """740.27(b)(2): an Indian hosted customer, the training's operations unknown: undecided, named."""
    d = run(_hosted(ops=None))
    assert auth(d, "AIA")["available"] is None
    assert "hosted_training_ops" in missing(d)


# --- moved from test_spec_coverage.py: 15 CFR 740.27 AIA for reexports and in-country transfers ---
@pytest.mark.parametrize("action,origin", [("reexport", "FR"), ("in_country_transfer", "DE")])
@pytest.mark.provision("lic_aia")
def test_740_27_aia_chips_available_for_reexport_and_in_country_transfer(action, origin):
    """740.27: AIA authorizes the export, reexport and in-country transfer of advanced chips to a
    consignee located and headquartered (with its ultimate parent) in Tier 1."""
    s = scenario(
        action=action,
        to="DE",
        items=[{"chip": "H100-SXM", "quantity": 100, "designer": "Nv", "foreign_produced": False}],
        entities={"Buyer": {"located": "DE", "headquartered": "DE"}, "Nv": copy.deepcopy(DESIGNER)},
        facts=AIA_FACTS,
    )
    s["transaction"]["from"] = origin
    d = run(s)
    assert d.license_required is True
    a = auth(d, "AIA")
    assert a["available"] is True, (a["failed_conditions"], a["undecided_conditions"])
    assert d.authorized is True
