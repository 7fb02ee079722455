"""License Exceptions NAC (15 CFR 740.8(a)) and ACA (15 CFR 740.8(b)), as changed by
the AI Diffusion rule (90 FR 4544)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import auth, failed, run, scenario

QUERIES = Path(__file__).resolve().parent.parent / "queries"

NAC_OK = {"nac_notification_submitted": True, "nac_notification_complete": True, "nac_bis_no_objection": True}
H100 = [{"chip": "H100-SXM", "quantity": 1000}]
# 3A090.a chips not designed or marketed for data centers, already in the country.
NON_DC_LOCAL = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 100, "data_center": False, "foreign_produced": False}]
DC_LOCAL = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 100, "data_center": True, "foreign_produced": False}]


# Chips not designed or marketed for data centers: route (1) of ACA under the
# default reading aca_scope = non_data_center_only.
NON_DC_EXPORT = [{"chip": "RTX4090", "quantity": 100}]


def party(located, hq, parent_hq=None, name="Buyer"):
    ents = {name: {"located": located, "headquartered": hq}}
    if parent_hq is not None:
        ents[name]["parent"] = "Group"
        ents["Group"] = {"headquartered": parent_hq}
    return ents


def note_ids(d):
    return {n["id"] for n in d.notes}


def undecided(d, name):
    return {(u["condition"], u["missing_fact"]) for u in auth(d, name)["undecided_conditions"]}


# ---------------------------------------------------------------- scenario files
# file -> (authorization, available, failed conditions)
EXPECTED = {
    "nac_china_notified_no_objection": ("NAC", True, set()),
    "nac_bis_objected": ("NAC", False, {"nac_bis_no_objection"}),
    "nac_notification_missing_new_information": ("NAC", False, {"nac_notification_complete"}),
    "nac_not_notified": ("NAC", False, {"nac_notification_submitted"}),
    "nac_tier2_party_outside_scope": ("NAC", False, {"nac_tier3_scope"}),
    "nac_in_country_transfer_not_covered": ("NAC", False, {"nac_export_or_reexport"}),
    "nac_model_weights_not_covered": ("NAC", False, {"nac_items_eligible"}),
    "nac_data_center_h100_chinese_cloud_not_eligible": ("NAC", False, {"nac_not_data_center_items"}),
    "nac_chinese_parent_data_center_chips_not_available": ("NAC", False, {"nac_not_data_center_items"}),
    "aca_indian_company_route1": ("ACA", True, set()),
    "aca_data_center_chips_outside_route1": (
        "ACA",
        False,
        {"aca_r1_not_data_center", "aca_r2_in_country_transfer", "aca_r2_located_in_tier3", "aca_r2_not_data_center"},
    ),
    "aca_in_country_transfer_china_non_data_center": ("ACA", True, set()),
    "aca_in_country_transfer_china_data_center_chips": (
        "ACA",
        False,
        {
            "aca_r1_located_outside_tier3",
            "aca_r1_headquarters_outside_tier3",
            "aca_r1_not_data_center",
            "aca_r2_not_data_center",
        },
    ),
    "aca_export_to_company_with_chinese_parent": (
        "ACA",
        False,
        {
            "aca_r1_parent_outside_tier3",
            "aca_r1_not_data_center",
            "aca_r2_in_country_transfer",
            "aca_r2_located_in_tier3",
            "aca_r2_not_data_center",
        },
    ),
    "aca_transfer_in_malaysia_to_chinese_headquartered_company": (
        "ACA",
        False,
        {"aca_r1_headquarters_outside_tier3", "aca_r2_located_in_tier3"},
    ),
    "aca_model_weights_not_covered": ("ACA", False, {"aca_items_eligible"}),
    "aca_onward_destination_china": (
        "ACA",
        False,
        {"aca_r1_onward_outside_tier3", "aca_r2_in_country_transfer", "aca_r2_located_in_tier3"},
    ),
    # 740.8 before the IFR (kb/earlier_exceptions.lp): NAC as added by 88 FR 73458, NAC and
    # ACA as split by 89 FR 23876, and ACA in the IFR's compliance window.
    "nac_2023_vietnam_no_notice_available": ("NAC", True, set()),
    "nac_2023_china_not_notified": ("NAC", False, {"nac_notification_submitted"}),
    "nac_2024_vietnam_outside_notified_scope": ("NAC", False, {"nac_2024_scope"}),
    "aca_2024_vietnam_non_data_center_available": ("ACA", True, set()),
    "aca_2024_export_to_china_data_center_chips": (
        "ACA",
        False,
        {
            "aca_2024_not_data_center",
            "aca_2024_r1_destination_d1_d4",
            "aca_2024_r1_headquarters",
            "aca_2024_r2_in_country_transfer",
        },
    ),
    "aca_window_in_country_transfer_china_available": ("ACA", True, set()),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_740_8_scenario_files(name):
    """15 CFR 740.8(a)/(b): each NAC/ACA scenario file gives its stated outcome."""
    a_name, available, fails = EXPECTED[name]
    d = run(json.loads((QUERIES / f"{name}.json").read_text()))
    a = auth(d, a_name)
    assert a["available"] is available
    assert failed(d, a_name) == fails


def test_740_8_scenario_files_cover_every_condition():
    """15 CFR 740.8: across the files, each authorization is available once and each condition fails once."""
    files = sorted(p.stem for p in QUERIES.glob("nac_*.json")) + sorted(p.stem for p in QUERIES.glob("aca_*.json"))
    assert set(files) == set(EXPECTED)
    d = run(scenario())
    for a_name in ("NAC", "ACA"):
        cases = [v for v in EXPECTED.values() if v[0] == a_name]
        assert len(cases) >= 3
        assert any(v[1] for v in cases)
        # (provision_in_force, kb/regime.lp, and no_part744_end_use, kb/exception_scope.lp, are
        # generic conditions of every authorization, tested where they are declared)
        conds = {c for a, c in _conditions(d) if a == a_name.lower() and c.startswith(a_name.lower() + "_")}
        assert conds == set().union(*(v[2] for v in cases)), a_name


def _conditions(d):
    return {(a.arguments[0].name, a.arguments[1].name) for a in d.atoms if a.name == "condition"}


# ---------------------------------------------------------------- NAC, 740.8(a)
@pytest.mark.provision("lic_nac")
def test_740_8a_nac_available_for_tier3_destination_with_route_note():
    """740.8(a): notified export to China, no BIS objection: NAC available, noted as the Tier 3 route."""
    d = run(scenario(items=NON_DC_EXPORT, to="CN", entities=party("CN", "CN"), facts=NAC_OK))
    assert auth(d, "NAC")["available"] is True
    assert "tier3_route(nac)" in note_ids(d)
    assert d.authorized is True


def test_740_8a_nac_tier3_headquartered_consignee_in_tier2_is_in_scope():
    """740.8(a): a consignee in Malaysia headquartered in China is a Tier 3-tied party."""
    d = run(scenario(items=NON_DC_EXPORT, to="MY", entities=party("MY", "CN"), facts=NAC_OK))
    assert auth(d, "NAC")["available"] is True
    assert "tier3_route(nac)" in note_ids(d)


def test_740_8a_nac_tier3_ultimate_parent_is_in_scope():
    """740.8(a): a German consignee whose ultimate parent is headquartered in Russia may use NAC."""
    d = run(scenario(items=NON_DC_EXPORT, to="DE", entities=party("DE", "DE", parent_hq="RU"), facts=NAC_OK))
    assert auth(d, "NAC")["available"] is True
    assert "tier3_route(nac)" in note_ids(d)


def test_740_8a_nac_reexport_is_covered():
    """740.8(a): reexports are covered as exports are."""
    d = run(
        scenario(
            to="CN",
            action="reexport",
            transaction={"from": "SG"},
            entities=party("CN", "CN"),
            items=[{"chip": "RTX4090", "quantity": 10, "foreign_produced": False}],
            facts=NAC_OK,
        )
    )
    assert auth(d, "NAC")["available"] is True


@pytest.mark.provision("lic_nac")
def test_740_8a_nac_tier1_party_is_outside_scope():
    """740.8(a): a German company with no Tier 3 tie does not use NAC."""
    d = run(scenario(items=NON_DC_EXPORT, facts=NAC_OK))
    assert failed(d, "NAC") == {"nac_tier3_scope"}
    assert "tier3_route(nac)" not in note_ids(d)


def test_740_8a_nac_without_notification_facts_is_indeterminate():
    """740.8(a): whether BIS was notified is a missing fact, not a default."""
    d = run(scenario(items=NON_DC_EXPORT, to="CN", entities=party("CN", "CN")))
    a = auth(d, "NAC")
    assert a["available"] is None
    assert undecided(d, "NAC") == {("nac_notification_submitted", "nac_notification_submitted")}
    assert "nac_notification_submitted" in d.missing_facts


def test_740_8a_nac_notified_but_content_and_objection_unknown():
    """740.8(a) as amended: once notified, completeness and BIS's silence must be known."""
    d = run(
        scenario(items=NON_DC_EXPORT, to="CN", entities=party("CN", "CN"), facts={"nac_notification_submitted": True})
    )
    assert auth(d, "NAC")["available"] is None
    assert undecided(d, "NAC") == {
        ("nac_notification_complete", "nac_notification_complete"),
        ("nac_bis_no_objection", "nac_bis_no_objection"),
    }


def test_740_8a_nac_unknown_headquarters_leaves_scope_open():
    """740.8(a): a Tier 2 consignee of unknown headquarters may be Tier 3-tied: undecided, not failed."""
    d = run(scenario(items=NON_DC_EXPORT, to="IN", entities={"Buyer": {"located": "IN"}}, facts=NAC_OK))
    assert auth(d, "NAC")["available"] is None
    assert ("nac_tier3_scope", "headquartered(Buyer)") in undecided(d, "NAC")


def test_740_8a_nac_notification_contents_are_listed_as_obligations():
    """740.8(a) as amended by 90 FR 4544: past-12-month approvals, memory bandwidth, aggregation."""
    d = run(scenario(items=NON_DC_EXPORT, to="CN", entities=party("CN", "CN"), facts=NAC_OK))
    ids = {o["id"] for o in d.obligations}
    assert {
        "nac_notify_bis",
        "nac_content_prior_approvals",
        "nac_content_memory_bandwidth",
        "nac_content_aggregation",
    } <= ids
    texts = " ".join(o["description"] for o in d.obligations if o["id"].startswith("nac_"))
    assert "12 months" in texts and "memory bandwidth" in texts and "aggregated" in texts
    assert all(o["citation"] == "15 CFR 740.8(a)" for o in d.obligations if o["id"].startswith("nac_"))


def test_740_8a_nac_obligations_absent_when_unavailable():
    """740.8(a): the notification obligations come with NAC only when it is used."""
    d = run(
        scenario(
            items=NON_DC_EXPORT, to="CN", entities=party("CN", "CN"), facts={**NAC_OK, "nac_bis_no_objection": False}
        )
    )
    assert not any(o["id"].startswith("nac_") for o in d.obligations)


# ---------------------------------------------------------------- ACA, 740.8(b)
@pytest.mark.provision("lic_aca")
def test_740_8b_aca_route1_tier2_company_without_notification():
    """740.8(b)(1): export of consumer chips to an Indian company with no Tier 3 tie: ACA, no notification."""
    d = run(scenario(to="IN", items=NON_DC_EXPORT, entities=party("IN", "IN")))
    assert auth(d, "ACA")["available"] is True
    assert "aca_no_notification" in note_ids(d)
    assert "tier3_route(aca_in_country)" not in note_ids(d)


def test_740_8b_aca_route1_in_country_transfer_outside_tier3():
    """740.8(b)(1): route (1) covers in-country transfers outside Tier 3 too."""
    d = run(
        scenario(
            to="IN",
            action="in_country_transfer",
            transaction={"from": "IN"},
            items=[{"chip": "RTX4090", "quantity": 10, "foreign_produced": False}],
            entities=party("IN", "IN"),
        )
    )
    assert auth(d, "ACA")["available"] is True


def test_740_8b_aca_route1_fails_for_tier3_headquarters_explains_both_routes():
    """740.8(b): export to a Chinese-headquartered company in India: both routes fail, each explained."""
    d = run(scenario(to="IN", items=NON_DC_EXPORT, entities=party("IN", "CN")))
    a = auth(d, "ACA")
    assert a["available"] is False
    assert failed(d, "ACA") == {
        "aca_r1_headquarters_outside_tier3",
        "aca_r2_in_country_transfer",
        "aca_r2_located_in_tier3",
    }
    texts = {f["condition"]: f["description"] for f in a["failed_conditions"]}
    assert texts["aca_r1_headquarters_outside_tier3"].startswith("Route (1)")
    assert texts["aca_r2_in_country_transfer"].startswith("Route (2)")
    assert all(f["citation"] == "15 CFR 740.8(b)" for f in a["failed_conditions"])


def test_740_8b_aca_route2_in_country_transfer_in_china_with_note():
    """740.8(b)(2): in-country transfer inside China of non-data-center 3A090.a items."""
    d = run(
        scenario(
            to="CN",
            action="in_country_transfer",
            transaction={"from": "CN"},
            items=NON_DC_LOCAL,
            entities=party("CN", "CN"),
        )
    )
    assert auth(d, "ACA")["available"] is True
    assert "tier3_route(aca_in_country)" in note_ids(d)


@pytest.mark.provision("lic_aca")
def test_740_8b_aca_route2_excludes_data_center_items():
    """740.8(b)(2): items designed or marketed for data centers and meeting 3A090.a are excluded."""
    d = run(
        scenario(
            to="CN",
            action="in_country_transfer",
            transaction={"from": "CN"},
            items=DC_LOCAL,
            entities=party("CN", "CN"),
        )
    )
    assert auth(d, "ACA")["available"] is False
    assert "aca_r2_not_data_center" in failed(d, "ACA")


def test_740_8b_aca_route2_unknown_data_center_use_is_indeterminate():
    """740.8(b)(2): whether a 3A090.a item is for data centers must be known."""
    d = run(
        scenario(
            to="CN",
            action="in_country_transfer",
            transaction={"from": "CN"},
            items=[{"eccn": "3A090.a", "tpp": 5000, "quantity": 5, "foreign_produced": False}],
            entities=party("CN", "CN"),
        )
    )
    assert auth(d, "ACA")["available"] is None
    assert ("aca_r2_not_data_center", "item_data_center(1)") in undecided(d, "ACA")
    assert "item_data_center(1)" in d.missing_facts


def test_740_8b_aca_export_to_china_is_not_route2():
    """740.8(b)(2): an export (not an in-country transfer) to China is outside ACA."""
    d = run(
        scenario(
            to="CN",
            items=[{"eccn": "3A090.a", "tpp": 5000, "quantity": 5, "data_center": False}],
            entities=party("CN", "CN"),
        )
    )
    assert auth(d, "ACA")["available"] is False
    assert "aca_r2_in_country_transfer" in failed(d, "ACA")


def test_740_8b_aca_missing_location_is_indeterminate():
    """740.8(b)(1): the consignee's location is needed; absent it, ACA is undecided."""
    d = run(scenario(to="IN", items=NON_DC_EXPORT, entities={"Buyer": {"headquartered": "IN"}}))
    assert auth(d, "ACA")["available"] is None
    assert ("aca_r1_located_outside_tier3", "located(Buyer)") in undecided(d, "ACA")


def test_740_8b_aca_open_route_hides_other_route_failures():
    """740.8(b): when route (1) is open, route (2)'s unmet sub-conditions are not reported."""
    d = run(scenario(to="IN", items=NON_DC_EXPORT, entities=party("IN", "IN")))
    assert failed(d, "ACA") == set()
    assert undecided(d, "ACA") == set()


# ------------------------------------------- ECCN 3A090, List Based License Exceptions (NAC/ACA)
def test_3a090_lble_nac_notified_does_not_authorize_data_center_h100s_to_chinese_cloud():
    """ECCN 3A090 List Based License Exceptions: NAC covers 3A090.a only if not designed or
    marketed for data centers; a notified, unobjected export of H100s to China is not NAC."""
    d = run(scenario(to="CN", entities=party("CN", "CN"), facts=NAC_OK))
    nac = auth(d, "NAC")
    assert nac["available"] is False
    assert failed(d, "NAC") == {"nac_not_data_center_items"}
    assert {f["citation"] for f in nac["failed_conditions"]} == {
        "15 CFR part 774, Supp. No. 1, ECCN 3A090, List Based License Exceptions (NAC/ACA)"
    }
    assert "tier3_route(nac)" not in note_ids(d)
    assert d.authorized is False


@pytest.mark.parametrize("dc, available", [(False, True), (True, False), (None, None)])
@pytest.mark.provision("eccn_3a090_lble")
def test_3a090_lble_nac_turns_on_data_center_use(dc, available):
    """ECCN 3A090 List Based License Exceptions: the same 3A090.a item, notified to China:
    not for data centers -> NAC; for data centers -> not; unknown -> undecided naming it."""
    line = {"eccn": "3A090.a", "tpp": 5000, "quantity": 10}
    if dc is not None:
        line["data_center"] = dc
    d = run(scenario(to="CN", entities=party("CN", "CN"), items=[line], facts=NAC_OK))
    assert auth(d, "NAC")["available"] is available
    if dc is None:
        assert ("nac_not_data_center_items", "item_data_center(1)") in undecided(d, "NAC")
        assert "item_data_center(1)" in d.missing_facts


def test_3a090_lble_chinese_parented_consignee_of_data_center_chips_gets_no_exception():
    """ECCN 3A090 List Based License Exceptions: data-center H100s to an Indian company with a
    Chinese parent: NAC and ACA are not available - not 'pending notification'."""
    d = run(scenario(to="IN", entities=party("IN", "IN", parent_hq="CN")))
    assert auth(d, "NAC")["available"] is False
    assert auth(d, "ACA")["available"] is False
    assert "nac_notification_submitted" not in d.missing_facts
    assert d.authorized is False


def test_3a090_lble_aca_route1_excludes_data_center_chips_for_untied_party():
    """ECCN 3A090 List Based License Exceptions: ACA route (1) does not take data-center
    H100s even to an Indian company with no Tier 3 tie (no reading: the entry decides)."""
    d = run(scenario(to="IN", entities=party("IN", "IN")))
    assert auth(d, "ACA")["available"] is False
    assert "aca_r1_not_data_center" in failed(d, "ACA")
    assert "aca_scope" not in d.readings and "aca_scope" not in d.readings_that_matter


def test_3a090_lble_former_aca_scope_reading_is_refused():
    """The retired reading aca_scope (decided by the 3A090 entry's NAC/ACA lines) is an input error."""
    import pyrules

    s = scenario(to="IN", entities=party("IN", "IN"))
    s["readings"] = {"aca_scope": "as_summarized"}
    with pytest.raises(pyrules.InputError):
        run(s)


def test_3a090_lble_aca_unknown_data_center_use_is_undecided():
    """ECCN 3A090 List Based License Exceptions: a 4A090.a line of unknown data-center use leaves ACA open."""
    d = run(scenario(to="IN", items=[{"eccn": "4A090.a", "tpp": 40000, "quantity": 2}], entities=party("IN", "IN")))
    assert auth(d, "ACA")["available"] is None
    assert ("aca_r1_not_data_center", "item_data_center(1)") in undecided(d, "ACA")


def test_740_8_model_weights_are_outside_nac_and_aca():
    """740.8 (4E091 lists only AIA): model weights cannot go under NAC or ACA."""
    d = run(
        scenario(
            to="IN",
            entities=party("IN", "IN"),
            items=[
                {
                    "model_weights": "FrontierX",
                    "training_ops": "2e26",
                    "published": False,
                    "derived_from_published": False,
                }
            ],
            facts=NAC_OK,
        )
    )
    assert "aca_items_eligible" in failed(d, "ACA")
    assert "nac_items_eligible" in failed(d, "NAC")


# ---------------------------------------------------------------- properties
TIER_COUNTRIES = {1: ["DE", "JP", "US"], 2: ["IN", "MY", "AE"], 3: ["CN", "RU", "MO"]}
country = st.sampled_from([c for cs in TIER_COUNTRIES.values() for c in cs])
TIER = {c: t for t, cs in TIER_COUNTRIES.items() for c in cs}


@settings(max_examples=40, deadline=None)
@given(
    dest=st.sampled_from([c for cs in TIER_COUNTRIES.values() for c in cs if c != "US"]),
    loc=country,
    hq=country,
    parent=st.one_of(st.none(), country),
    action=st.sampled_from(["export", "reexport", "in_country_transfer"]),
    dc=st.booleans(),
)
def test_740_8_property_tier3_tied_availability_comes_with_route_note(dest, loc, hq, parent, action, dc):
    """740.8(a)/(b): whenever NAC or ACA is available to a Tier 3-tied party, the tier3_route note says so;
    NAC is never available without a Tier 3 tie, nor for data-center items (ECCN 3A090 LBLE);
    ACA route (1) never serves a Tier 3-tied party."""
    frm = dest if action == "in_country_transfer" else "US"
    items = [{"eccn": "3A090.a", "tpp": 5000, "quantity": 10, "data_center": dc, "foreign_produced": False}]
    d = run(
        scenario(
            to=dest,
            action=action,
            transaction={"from": frm},
            items=items,
            entities=party(loc, hq, parent_hq=parent),
            facts=NAC_OK,
        )
    )
    tied = 3 in {TIER[dest], TIER[loc], TIER[hq]} | ({TIER[parent]} if parent else set())
    notes = note_ids(d)
    nac, aca = auth(d, "NAC"), auth(d, "ACA")
    if nac["available"]:
        assert tied and "tier3_route(nac)" in notes
    if aca["available"] and tied:
        assert "tier3_route(aca_in_country)" in notes
    if aca["available"] and not tied:
        assert "tier3_route(aca_in_country)" not in notes
    # With every notification fact favourable, NAC is available exactly for a Tier 3-tied export
    # of items not designed or marketed for data centers (ECCN 3A090, List Based License Exceptions).
    assert nac["available"] is (tied and action != "in_country_transfer" and not dc)
    # ACA is decided for fully described parties.
    assert aca["available"] is not None


# --- moved from test_issue10_cases.py: NAC/ACA on the 3A090 entry (bundled cases) ---
from helpers import bundled_case  # noqa: E402
from pyrules.modes.expect import compare  # noqa: E402


@pytest.mark.parametrize(
    "name",
    [
        "nac_data_center_h100_chinese_cloud_not_eligible",
        "nac_chinese_parent_data_center_chips_not_available",
        "aca_data_center_chips_outside_route1",
    ],
)
def test_3a090_lble_bundled_cases_meet_their_expect(name):
    """740.8 and the 3A090 List Based License Exceptions: each bundled case states its outcome in "expect"."""
    expect, _, j = bundled_case(name)
    assert compare(expect, j) == []


@pytest.mark.provision("eccn_3a090_lble")
def test_3a090_lble_cases_nac_unavailable_not_pending():
    """ECCN 3A090 List Based License Exceptions: both NAC cases are 'not available'."""
    for name in (
        "nac_data_center_h100_chinese_cloud_not_eligible",
        "nac_chinese_parent_data_center_chips_not_available",
    ):
        _, d, _ = bundled_case(name)
        nac = next(a for a in d.authorizations if a["name"] == "NAC")
        assert nac["available"] is False
        assert "nac_notification_submitted" not in d.missing_facts
