"""15 CFR 740.8 (NAC, ACA) and 734.9(h) as they stood before the AI Diffusion rule, dated
(88 FR 73458, 89 FR 23876, 89 FR 96790; kb/earlier_exceptions.lp), and the reading
window_authorizations for the IFR's new authorizations in its compliance window.
Each change is tested the day before and the day of, in both views."""

from __future__ import annotations

import json
from datetime import date as _date, timedelta as _timedelta
from pathlib import Path

import pytest

import pyrules
from helpers import auth, failed, run
from helpers import buyer

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ["as_written", "as_enforced"]
RTX = [{"chip": "RTX4090", "quantity": 100}]  # 3A090.a, not designed for data centers
NOTIFIED = {"nac_notification_submitted": True, "nac_bis_no_objection": True}


def in_force(d):
    return {a.arguments[0].name for a in d.atoms if a.name == "in_force"}


def provision_of(d, name):
    return {a.arguments[1].name for a in d.atoms if a.name == "authorization" and a.arguments[0].name == name}


@pytest.mark.provision("lic_nac_2023")
# --- 740.8 as added by 88 FR 73458: 2023-11-17 ---------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_740_8_nac_2023_from_2023_11_17_not_the_day_before(view):
    """740.8 (88 FR 73458, effective 2023-11-17): RTX 4090s to Vietnam (D:1): on 2023-11-16 nothing is
    encoded (indeterminate); on 2023-11-17 NAC (lic_nac_2023) authorizes them without a notice."""
    before = run(buyer("VN", date="2023-11-16", items=RTX), view=view)
    assert before.license_required is None and "lic_nac_2023" not in in_force(before)
    on = run(buyer("VN", date="2023-11-17", items=RTX), view=view)
    assert provision_of(on, "nac") == {"lic_nac_2023"}
    assert auth(on, "NAC")["available"] is True and on.authorized is True
    assert "nac_notice_not_needed" in {n["id"] for n in on.notes}
    assert "nac_notify_bis" not in {o["id"] for o in on.obligations}


@pytest.mark.provision("lic_nac_2023")
def test_740_8_nac_2023_notice_for_china_and_for_d5_headquartered_parties():
    """740.8(a) as of 88 FR 73458: a notice to BIS for exports to Macau/D:5 and to parties
    headquartered there wherever located; without it NAC fails; with it and no objection, it is
    available and brings the notice as an obligation."""
    no = run(buyer("CN", date="2023-12-01", items=RTX, facts={"nac_notification_submitted": False}))
    assert failed(no, "NAC") == {"nac_notification_submitted"}
    parent = run(buyer("VN", parent_hq="CN", date="2023-12-01", items=RTX, facts={"nac_notification_submitted": False}))
    assert failed(parent, "NAC") == {"nac_notification_submitted"}
    yes = run(buyer("CN", date="2023-12-01", items=RTX, facts=NOTIFIED))
    assert auth(yes, "NAC")["available"] is True
    assert "nac_notify_bis" in {o["id"] for o in yes.obligations}


def test_740_8_nac_2023_unknown_parent_headquarters_decides_the_notice():
    """740.8(a) as of 88 FR 73458: to Vietnam, whether a notice is needed turns on the
    headquarters of the buyer's parent; unknown and no notice given, NAC is undecided, naming it."""
    s = buyer("VN", date="2023-12-01", items=RTX)
    s["entities"]["Buyer"]["parent"] = "Parent"
    s["entities"]["Parent"] = {}
    d = run(s)
    assert auth(d, "NAC")["available"] is None
    assert ("nac_notification_submitted", "headquartered(Parent)") in {
        (u["condition"], u["missing_fact"]) for u in auth(d, "NAC")["undecided_conditions"]
    }


def test_740_8_nac_2023_covers_in_country_transfers_the_2024_nac_does_not():
    """740.8 as of 88 FR 73458 covered in-country transfers; after 89 FR 23876 NAC covers exports
    and reexports only (ACA takes the transfers): 2024-04-03 NAC, 2024-04-04 ACA."""

    def transfer(day):
        return buyer(
            "CN",
            date=day,
            action="in_country_transfer",
            **{"from": "CN"},
            items=[{"chip": "RTX4090", "quantity": 100, "foreign_produced": False}],
        )

    before = run(transfer("2024-04-03"))
    assert auth(before, "NAC")["available"] is True and failed(before, "ACA") == {"provision_in_force"}
    on = run(transfer("2024-04-04"))
    assert failed(on, "NAC") == {"nac_export_or_reexport"} and auth(on, "ACA")["available"] is True


@pytest.mark.provision("lic_nac_2024", "lic_aca_2024")
# --- 89 FR 23876: NAC and ACA split on 2024-04-04 ------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_89fr23876_split_2024_04_03_nac_2024_04_04_aca(view):
    """89 FR 23876 (effective 2024-04-04): RTX 4090s to Vietnam go under NAC (lic_nac_2023) on
    2024-04-03 and under ACA (lic_aca_2024), not NAC (nac_2024_scope), on 2024-04-04."""
    before = run(buyer("VN", date="2024-04-03", items=RTX), view=view)
    assert provision_of(before, "nac") == {"lic_nac_2023"} and auth(before, "NAC")["available"] is True
    assert failed(before, "ACA") == {"provision_in_force"}
    on = run(buyer("VN", date="2024-04-04", items=RTX, facts=NOTIFIED), view=view)
    assert provision_of(on, "nac") == {"lic_nac_2024"} and provision_of(on, "aca") == {"lic_aca_2024"}
    assert failed(on, "NAC") == {"nac_2024_scope"} and auth(on, "ACA")["available"] is True
    assert "lic_nac_2023" not in in_force(on)


@pytest.mark.provision("lic_nac_2024", "lic_aca_2024")
def test_740_8_2024_nac_for_a_chinese_parented_buyer_in_india_aca_not():
    """740.8(a)/(b) as amended by 89 FR 23876: a buyer in India whose parent is headquartered in
    China (744.23(a)(3)) may use notified NAC; ACA route (1) fails on the headquarters."""
    d = run(buyer("IN", parent_hq="CN", date="2024-06-01", items=RTX, facts=NOTIFIED))
    assert auth(d, "NAC")["available"] is True
    assert {"aca_2024_r1_headquarters", "aca_2024_r1_destination_d1_d4"} <= failed(d, "ACA")


def test_740_8_2024_data_center_chips_never_nac_or_aca():
    """740.8 (items) and the 3A090 entry's lines: data-center H100s to Vietnam on 2024-06-01 get
    neither NAC nor ACA; the licence (case by case) is the only way."""
    d = run(buyer("VN", date="2024-06-01"))
    assert "nac_not_data_center_items" in failed(d, "NAC")
    assert failed(d, "ACA") == {"aca_2024_not_data_center"}
    assert d.authorized is False and d.licensing_policy == "case_by_case"


# --- the IFR's wording of 740.8: from 2025-05-15 as written; earlier wording as enforced ------------
@pytest.mark.parametrize("view, ifr_wording", [("as_written", True), ("as_enforced", False)])
def test_740_8_ifr_wording_2025_05_14_earlier_2025_05_15_as_written_only(view, ifr_wording):
    """90 FR 4544's 740.8: in its compliance window (2025-05-14) NAC to China follows the 89 FR 23876
    wording (no new notification contents) in both views; from 2025-05-15 the IFR's wording as
    written (nac_notification_complete asked), the earlier wording as enforced."""
    s = buyer("CN", date="2025-05-14", items=RTX, facts=NOTIFIED)
    d = run(s, view=view)
    assert provision_of(d, "nac") == {"lic_nac_2024"} and auth(d, "NAC")["available"] is True
    s["date"] = "2025-05-15"
    d2 = run(s, view=view)
    assert (provision_of(d2, "nac") == {"lic_nac"}) is ifr_wording
    assert (auth(d2, "NAC")["available"] is None) is ifr_wording
    assert ("nac_notification_complete" in d2.missing_facts) is ifr_wording


def test_740_8_window_starts_2025_01_13_earlier_wording_on_both_sides():
    """The IFR's effective date (2025-01-13) does not change 740.8: the 89 FR 23876 wording governs
    on 2025-01-12 (its own time) and on 2025-01-13 (the window)."""
    for day in ("2025-01-12", "2025-01-13"):
        assert provision_of(run(buyer("VN", date=day, items=RTX)), "aca") == {"lic_aca_2024"}, day


# --- 734.9(h): 2023-11-17, 2024-12-02, 2025-01-13 / 2025-05-15 ------------------------------------
def foreign_h100(to, day):
    return buyer(
        to,
        date=day,
        action="reexport",
        **{"from": "TW"},
        items=[{"chip": "H100-SXM", "quantity": 100, "foreign_produced": True, "us_content": False}],
    )


def fdp(d):
    return {(a.arguments[1].name, a.arguments[2].name) for a in d.atoms if a.name == "fdp_applies"}


@pytest.mark.provision("fdp_h_2023", "fdp_h_2024")
@pytest.mark.parametrize("view", VIEWS)
def test_734_9_h_2023_scope_from_2023_11_17_amended_2024_12_02(view):
    """734.9(h) as revised by 88 FR 73458 (2023-11-17) and as amended by 89 FR 96790 (2024-12-02):
    a foreign-made H100 reexported to Vietnam (D:1) is caught by the destination prong under
    fdp_h_2023 through 2024-12-01 and under fdp_h_2024 from 2024-12-02."""
    assert fdp(run(foreign_h100("VN", "2024-12-01"), view=view)) == {("advanced_computing_destination", "fdp_h_2023")}
    assert fdp(run(foreign_h100("VN", "2024-12-02"), view=view)) == {("advanced_computing_destination", "fdp_h_2024")}
    assert run(foreign_h100("VN", "2024-12-02"), view=view).license_required is True


@pytest.mark.parametrize("view", VIEWS)
def test_734_9_h_earlier_scope_excludes_mexico_until_the_ifr_applies(view):
    """734.9(h) before the IFR: Mexico (A:6) is outside the destination scope, so a foreign-made
    H100 with no U.S. content reexported there is not subject to the EAR - on 2024-12-02 and in the
    IFR's window (2025-05-14) in both views; from 2025-05-15 the IFR's worldwide prong catches it
    as written, not as enforced."""
    for day in ("2024-12-02", "2025-05-14"):
        d = run(foreign_h100("MX", day), view=view)
        assert fdp(d) == set() and d.license_required is False, day
    d = run(foreign_h100("MX", "2025-05-15"), view=view)
    assert (fdp(d) == {("advanced_computing_worldwide", "fdp_advanced_computing")}) is (view == "as_written")


# --- the reading window_authorizations --------------------------------------------------------------
def vn_lpp(day, reading=None):
    s = buyer("VN", date=day, facts={"lpp_certification_obtained": True, "lpp_prior_shipments_tpp": 0})
    if reading:
        s["readings"] = {"window_authorizations": reading}
    return s


@pytest.mark.parametrize("reading, lpp_available", [("earlier_and_new", True), ("earlier_only", False)])
def test_740_29_lpp_in_the_window_is_a_reading(reading, lpp_available):
    """740.29 (LPP, made by 90 FR 4544) in the IFR's compliance window (2025-03-01): 100 H100s to
    Vietnam need a licence under the earlier controls; LPP may be relied on under the default
    reading (earlier_and_new), not under earlier_only; the reading is reported as mattering."""
    d = run(vn_lpp("2025-03-01", reading))
    assert d.license_required is True
    assert auth(d, "LPP")["available"] is lpp_available
    assert d.authorized is lpp_available
    assert "window_authorizations" in d.readings_that_matter


@pytest.mark.parametrize(
    "day, matters", [("2025-01-12", False), ("2025-01-13", True), ("2025-05-14", True), ("2025-05-15", False)]
)
def test_window_authorizations_matters_only_in_the_window(day, matters):
    """The reading window_authorizations matters from 2025-01-13 to 2025-05-14 only; before, the IFR's
    authorizations are not in force; from 2025-05-15 its compliance is required."""
    d = run(vn_lpp(day, "earlier_only"))
    assert ("window_authorizations" in d.readings_that_matter) is matters


def test_window_authorizations_not_reported_when_the_ifr_authorization_fails_anyway():
    """A Chinese buyer in China in the window: AIA, LPP and the VEUs fail on their own conditions, so
    window_authorizations does not matter."""
    d = run(buyer("CN", date="2025-03-01", items=RTX, facts=NOTIFIED))
    assert "window_authorizations" not in d.readings_that_matter
    assert auth(d, "NAC")["available"] is True


def test_aia_in_the_window_weighs_its_conditions_against_the_earlier_licence():
    """740.27 (AIA) in the window: the licence comes from the earlier controls (742.6(a)(6)(iii) as
    then worded), and AIA's own conditions are weighed: a Chinese buyer fails them (it was found
    available before, with no condition to meet)."""
    d = run(buyer("CN", date="2025-03-01", items=RTX, facts=NOTIFIED))
    assert {"aia_headquarters_tier1", "aia_located_tier1"} <= failed(d, "AIA")
    b = run(buyer("CN", date="2025-06-01", items=[{"eccn": "3A090.b", "tpp": 3000, "quantity": 10}]))
    assert auth(b, "AIA")["available"] is False


# --- the registry ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "prov, doc",
    [
        ("lic_nac_2023", "advanced_computing_2023"),
        ("lic_nac_2024", "advanced_computing_2023"),
        ("lic_aca_2024", "nac_aca_2024"),
        ("fdp_h_2023", "advanced_computing_2023"),
        ("fdp_h_2024", "advanced_computing_2023"),
    ],
)
def test_registry_names_the_fr_document_of_each_earlier_version(prov, doc):
    """kb/provisions.lp and made_by/2: each earlier version is registered with its dates and FR document."""
    from pyrules.engine import kb

    p = kb.provisions()[prov]
    superseded = {a[0].name: a[1].name for a in kb.described("earlier_superseded/2")}
    key = {a[0].name: a[1].number for a in kb.described("key_date/2")}
    assert p["from"] >= 20231117
    if prov in superseded:  # ends the day before the later earlier version
        assert p["to"] == int((_date.fromisoformat(str(key[superseded[prov]])) - _timedelta(days=1)).strftime("%Y%m%d"))
    else:  # no end of its own: it lasts while the earlier controls govern (earlier_governs)
        assert p["to"] == 99991231
    assert (doc,) in {tuple(x.name for x in a[1:]) for a in kb.described("made_by/2") if a[0].name == prov}


# The registry's dates (kb.provisions(), shown to users and sampled by pyrules check) agree with
# the dates on which the KB applies each provision, in both views: never in force outside them.
REGISTRY_DATES = [
    "2024-04-03",
    "2024-04-04",
    "2024-12-02",
    "2025-01-12",
    "2025-01-13",
    "2025-05-14",
    "2025-05-15",
    "2026-06-01",
]


@pytest.mark.provision("lic_nac_2024", "lic_aca_2024", "fdp_h_2024", "earlier_policy_d5", "earlier_policy_case_by_case")
@pytest.mark.parametrize("view", VIEWS)
def test_registry_dates_bound_the_dates_the_kb_applies_each_provision(view):
    """kb/provisions.lp: every provision in force on a date lies within its registered dates; the
    last earlier versions (89 FR 23876, 89 FR 96790, 742.6(b)(10) of 88 FR 73458) still govern on
    2025-05-14 in both views and on 2026-06-01 as enforced, so their registry end is open."""
    from pyrules.engine import kb

    provs = kb.provisions()
    seen = {}
    for day in REGISTRY_DATES:
        d = run(buyer("VN", date=day, items=RTX), view=view)
        n = int(day.replace("-", ""))
        seen[day] = in_force(d)
        for pid in seen[day]:
            assert provs[pid]["from"] <= n <= provs[pid]["to"], (pid, day, provs[pid])
    earlier = {"lic_nac_2024", "lic_aca_2024", "fdp_h_2024", "earlier_policy_d5", "earlier_policy_case_by_case"}
    assert earlier <= seen["2025-01-13"] and earlier <= seen["2025-05-14"]
    assert not earlier & seen["2024-04-03"] - {"earlier_policy_d5", "earlier_policy_case_by_case"}
    assert "lic_nac_2023" in seen["2024-04-03"] and "lic_nac_2023" not in seen["2024-04-04"]
    assert "fdp_h_2024" in seen["2024-12-02"]
    late = earlier <= seen["2026-06-01"]
    assert late is (view == "as_enforced")
    assert not earlier & seen["2025-05-15"] if view == "as_written" else earlier <= seen["2025-05-15"]


# --- bundled cases ---------------------------------------------------------------------------------------
CASES = [
    "nac_2023_vietnam_no_notice_available",
    "nac_2023_china_not_notified",
    "nac_2024_vietnam_outside_notified_scope",
    "aca_2024_vietnam_non_data_center_available",
    "aca_2024_export_to_china_data_center_chips",
    "aca_window_in_country_transfer_china_available",
    "time_nac_2024_india_chinese_parent_notified",
    "time_window_lpp_earlier_only",
    "time_window_lpp_earlier_and_new",
    "time_fdp_2024_foreign_h100_mexico_outside_scope",
    "time_fdp_2024_foreign_h100_vietnam_caught",
    "time_uae_2024_d4_licence",
]


@pytest.mark.parametrize("name", CASES)
def test_bundled_earlier_cases_meet_their_expect(name):
    """queries/*.json for the earlier 740.8 and 734.9(h): each meets its 'expect'."""
    from pyrules.modes.expect import compare

    raw = json.loads((ROOT / "queries" / f"{name}.json").read_text())
    d = pyrules.evaluate(raw)
    assert raw["expect"]
    assert compare(raw["expect"], d.to_json()) == []


@pytest.mark.provision("fdp_h_2023")
# --- further boundaries -------------------------------------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
def test_734_9_h_fdp_h_2023_from_2023_11_17(view):
    """734.9(h) as revised by 88 FR 73458: nothing encoded on 2023-11-16 (indeterminate); from
    2023-11-17 a foreign-made H100 reexported to Vietnam is caught (fdp_h_2023)."""
    before = run(foreign_h100("VN", "2023-11-16"), view=view)
    assert fdp(before) == set() and before.license_required is None
    assert fdp(run(foreign_h100("VN", "2023-11-17"), view=view)) == {("advanced_computing_destination", "fdp_h_2023")}


@pytest.mark.provision("lic_aca_2024")
@pytest.mark.parametrize("view, ifr_wording", [("as_written", True), ("as_enforced", False)])
def test_740_8_b_aca_2024_until_2025_05_14_ifr_aca_from_2025_05_15_as_written(view, ifr_wording):
    """740.8(b): RTX 4090s to Vietnam: ACA as 89 FR 23876 added it on 2025-05-14 in both views; on
    2025-05-15 the IFR's ACA as written (a licence is required everywhere, ACA route (1) serves the
    Vietnamese buyer), the 2024 ACA as enforced. Available either way."""
    d = run(buyer("VN", date="2025-05-14", items=RTX), view=view)
    assert provision_of(d, "aca") == {"lic_aca_2024"} and auth(d, "ACA")["available"] is True
    d2 = run(buyer("VN", date="2025-05-15", items=RTX), view=view)
    assert provision_of(d2, "aca") == ({"lic_aca"} if ifr_wording else {"lic_aca_2024"})
    assert auth(d2, "ACA")["available"] is True


@pytest.mark.parametrize("view", VIEWS)
def test_window_authorizations_reading_in_both_views(view):
    """The reading window_authorizations applies in the window in both views (the as-enforced view
    differs only from 2025-05-13): LPP on 2025-03-01 under earlier_only is not relied on."""
    assert auth(run(vn_lpp("2025-03-01", "earlier_only"), view=view), "LPP")["available"] is False
    assert auth(run(vn_lpp("2025-03-01"), view=view), "LPP")["available"] is True


def test_timeline_shows_the_nac_aca_split_with_its_provisions():
    """pyrules.timeline: RTX 4090s to Vietnam: NAC from 2023-11-17 (lic_nac_2023); on 2024-04-04 the
    available authorization becomes ACA, lic_aca_2024 and lic_nac_2024 enter and lic_nac_2023 leaves."""
    from pyrules.modes.timeline import timeline

    t = timeline(buyer("VN", items=RTX), until="2025-01-12")
    by_date = {c.date: c for c in t.changes}
    assert "lic_nac_2023" in {p["provision"] for p in by_date["2023-11-17"].provisions_entered}
    split = by_date["2024-04-04"]
    assert {"lic_aca_2024", "lic_nac_2024"} <= {p["provision"] for p in split.provisions_entered}
    assert "lic_nac_2023" in {p["provision"] for p in split.provisions_left}
    assert split.changed["available_authorizations"] == {"from": ["NAC"], "to": ["ACA"]}


def test_740_8_earlier_routes_for_parties_tied_to_macau_or_d5_are_declared():
    """740.8 before the IFR: NAC notified to China (2024-06-01) and ACA route (2) within China in the
    window are the routes for parties tied to Macau or D:5, and say so (note tier3_route)."""
    d = run(buyer("CN", date="2024-06-01", items=RTX, facts=NOTIFIED))
    assert auth(d, "NAC")["available"] is True and "tier3_route(nac)" in {n["id"] for n in d.notes}
    t = run(
        buyer(
            "CN",
            date="2025-03-01",
            action="in_country_transfer",
            **{"from": "CN"},
            items=[{"chip": "RTX4090", "quantity": 100, "foreign_produced": False}],
        )
    )
    assert auth(t, "ACA")["available"] is True and "tier3_route(aca_in_country)" in {n["id"] for n in t.notes}


def test_740_8_b_aca_2024_route1_not_for_a_consignee_located_in_china():
    """740.8(b)(1) as added by 89 FR 23876: a consignee located in China receives the items there, so
    route (1) fails even when the transaction names Vietnam; the 2023 NAC would have needed a notice."""
    s = buyer("VN", date="2024-06-01", items=RTX)
    s["entities"]["Buyer"]["located"] = "CN"
    assert "aca_2024_r1_destination_d1_d4" in failed(run(s), "ACA")
    s["date"] = "2023-12-01"
    s["facts"]["nac_notification_submitted"] = False
    assert failed(run(s), "NAC") == {"nac_notification_submitted"}


def test_742_6_b_10_earlier_policy_names_a_missing_consignee():
    """742.6(b)(10) as of 88 FR 73458: H100s to Vietnam with no consignee: a licence is required and
    the policy (denial if the consignee is tied to Macau/D:5, else case by case) turns on the
    consignee: it is named as missing, not left silent."""
    s = buyer("VN", date="2024-06-01")
    del s["transaction"]["consignee"]
    s["entities"] = {}
    d = run(s)
    assert d.license_required is True and d.licensing_policy is None and "consignee" in d.missing_facts


def undecided_of(d, name):
    return {
        (a.arguments[1].name, str(a.arguments[2]))
        for a in d.atoms
        if a.name == "undecided" and a.arguments[0].name == name
    }


@pytest.mark.provision("lic_aca_2024")
def test_740_8_b_2024_headquarters_condition_turns_on_headquarters_not_the_destination():
    """740.8(b)(1) as added by 89 FR 23876: with the destination missing and the consignee's
    headquarters known (Vietnam), the headquarters sub-condition of route (1) is not undecided
    (it is met); the missing destination is named under the destination sub-condition and NAC's
    scope. With the headquarters unknown too, the headquarters sub-condition names them only."""
    s = buyer("VN", date="2024-06-01", items=RTX, authorization_claimed="ACA")
    del s["transaction"]["to"]
    d = run(s)
    aca = undecided_of(d, "aca")
    assert all(c != "aca_2024_r1_headquarters" for c, _ in aca), aca
    assert ("aca_2024_r1_destination_d1_d4", "ship_to") in aca
    assert ("nac_2024_scope", "ship_to") in undecided_of(d, "nac")
    del s["entities"]["Buyer"]["headquartered"]
    both = undecided_of(run(s), "aca")
    assert ("aca_2024_r1_headquarters", 'headquartered("Buyer")') in both
    assert ("aca_2024_r1_headquarters", "ship_to") not in both
    assert ("aca_2024_r1_destination_d1_d4", "ship_to") in both


@pytest.mark.provision("earlier_chips_destinations", "earlier_chips_headquarters")
@pytest.mark.parametrize("view", VIEWS)
def test_742_6_a_6_iii_earlier_destination_unknown_is_undecided_not_no_licence(view):
    """Under the earlier controls (2024-06-01; as enforced also 2025-06-01) a licence turns on
    the destination (D:1, D:4, D:5 less A:5/A:6, and Macau): with no destination given and a
    buyer headquartered in Vietnam, the answer is undecided naming ship_to, never 'no
    licence'; with a buyer headquartered in China, 744.23(a)(3) decides it either way."""
    for date in ["2024-06-01"] + (["2025-06-01"] if view == "as_enforced" else []):
        s = buyer("VN", date=date, items=RTX)
        del s["transaction"]["to"]
        d = pyrules.evaluate(s, view=view)
        assert d.license_required is None and "ship_to" in d.missing_facts
        s = buyer("VN", hq="CN", date=date, items=RTX)
        del s["transaction"]["to"]
        assert pyrules.evaluate(s, view=view).license_required is True
