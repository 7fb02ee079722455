"""Data center validated end users: UVEU and NVEU (15 CFR 748.15; Supp. No. 10 to part 748),
as split by the AI Diffusion rule (90 FR 4544)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import auth, failed, run, scenario

QUERIES = Path(__file__).resolve().parent.parent / "queries"
H100_TPP = 15832
SHIP = 1000 * H100_TPP  # the shipment of the base helpers: 15,832,000 TPP
H100 = [{"chip": "H100-SXM", "quantity": 1000}]

UVEU_OK = {
    "data_center_owner_and_operator_veu": True,
    "uveu_site_listed": True,
    "uveu_total_compute_tpp": 1_000_000_000,
    "uveu_tier2_compute_tpp": 100_000_000,
    "uveu_country_compute_tpp": 20_000_000,
    "uveu_outside_us_compute_tpp": 300_000_000,
}
NVEU_OK = {"data_center_owner_and_operator_veu": True, "nveu_country": "IN", "nveu_installed_tpp": 0}


def uveu_party(located="IN", hq="US", parent_hq=None, listed=True):
    ents = {"Cloud": {"located": located, "headquartered": hq}}
    if listed is not None:
        ents["Cloud"]["status"] = {"uveu": listed}
    if parent_hq is not None:
        ents["Cloud"]["parent"] = "Group"
        ents["Group"] = {"headquartered": parent_hq}
    return ents


def nveu_party(located="IN", hq="IN", parent_hq=None, listed=True):
    ents = {"Cloud": {"located": located, "headquartered": hq}}
    if listed is not None:
        ents["Cloud"]["status"] = {"nveu": listed}
    if parent_hq is not None:
        ents["Cloud"]["parent"] = "Group"
        ents["Group"] = {"headquartered": parent_hq}
    return ents


def uveu(to="IN", facts=None, entities=None, **kw):
    return run(
        scenario(
            to=to,
            consignee="Cloud",
            entities=entities or uveu_party(located=to),
            items=kw.pop("items", H100),
            facts={**UVEU_OK, **(facts or {})},
            **kw,
        )
    )


def nveu(to="IN", facts=None, entities=None, **kw):
    return run(
        scenario(
            to=to,
            consignee="Cloud",
            entities=entities or nveu_party(located=to),
            items=kw.pop("items", H100),
            facts={**NVEU_OK, "nveu_country": to, **(facts or {})},
            **kw,
        )
    )


def undecided(d, name):
    return {(u["condition"], u["missing_fact"]) for u in auth(d, name)["undecided_conditions"]}


def note_ids(d):
    return {n["id"] for n in d.notes}


# ---------------------------------------------------------------- scenario files
EXPECTED = {
    "uveu_us_cloud_india_data_center": ("UVEU", True, set()),
    "uveu_single_country_cap_exceeded": ("UVEU", False, {"uveu_country_share"}),
    "uveu_tier2_and_outside_us_caps_exceeded": ("UVEU", False, {"uveu_tier2_share", "uveu_outside_us_share"}),
    "uveu_new_site_notified_too_late": ("UVEU", False, {"uveu_site_authorized"}),
    "uveu_tier2_parent_via_distributor_owner_not_veu": (
        "UVEU",
        False,
        {"uveu_headquarters_tier1", "uveu_no_distributor", "uveu_owner_operator_veu"},
    ),
    "uveu_china_destination_not_listed": (
        "UVEU",
        False,
        {"uveu_destination_tier1_or_2", "uveu_headquarters_tier1", "uveu_listed", "uveu_no_tier3_ties"},
    ),
    "uveu_model_weights_not_covered": ("UVEU", False, {"uveu_items_eligible"}),
    "nveu_indian_company_within_allocation": ("NVEU", True, set()),
    "nveu_allocation_exceeded": ("NVEU", False, {"nveu_allocation"}),
    "nveu_2027_allocation_exactly_reached": ("NVEU", True, set()),
    "nveu_authorized_for_another_country": ("NVEU", False, {"nveu_country_authorized"}),
    "nveu_chinese_parent_tier1_destination": (
        "NVEU",
        False,
        {
            "nveu_destination_tier2",
            "nveu_listed",
            "nveu_no_distributor",
            "nveu_no_tier3_ties",
            "nveu_owner_operator_veu",
        },
    ),
    "nveu_after_allocation_table_ends": ("NVEU", None, set()),
    "nveu_model_weights_not_covered": ("NVEU", False, {"nveu_items_eligible"}),
    "uveu_hosted_frontier_training_and_part744_end_use": (
        "UVEU",
        False,
        {"uveu_no_frontier_training_outside_tier1", "no_part744_end_use"},
    ),
    "nveu_hosted_frontier_training_and_part744_end_use": (
        "NVEU",
        False,
        {"nveu_no_frontier_training_outside_tier1", "no_part744_end_use"},
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.provision("dc_veu")
def test_748_15_scenario_files(name):
    """15 CFR 748.15: each UVEU/NVEU scenario file gives its stated outcome."""
    a_name, available, fails = EXPECTED[name]
    d = run(json.loads((QUERIES / f"{name}.json").read_text()))
    assert auth(d, a_name)["available"] is available
    assert failed(d, a_name) == fails


def test_748_15_scenario_files_cover_every_condition():
    """15 CFR 748.15: across the files, each VEU is available once and each of its conditions fails once."""
    files = sorted(p.stem for p in QUERIES.glob("uveu_*.json")) + sorted(p.stem for p in QUERIES.glob("nveu_*.json"))
    assert set(files) == set(EXPECTED)
    d = run(scenario())
    conds = {(a.arguments[0].name, a.arguments[1].name) for a in d.atoms if a.name == "condition"}
    for a_name in ("UVEU", "NVEU"):
        cases = [v for v in EXPECTED.values() if v[0] == a_name]
        assert len(cases) >= 3 and any(v[1] for v in cases)
        mine = {c for a, c in conds if a == a_name.lower() and c != "provision_in_force"}
        assert mine == set().union(*(v[2] for v in cases)), a_name


# ---------------------------------------------------------------- UVEU
@pytest.mark.provision("dc_veu_uveu")
def test_748_15_uveu_available_with_obligations_and_note():
    """748.15 / Supp. No. 10: a listed US UVEU at its listed Indian data center, within the caps."""
    d = uveu()
    a = auth(d, "UVEU")
    assert a["available"] is True
    assert d.authorized is True
    ob = {o["id"]: o for o in d.obligations}
    assert ob["dcv_security"]["deadline"] == "by 2026-01-15"
    assert ob["dcv_security"]["citation"] == "15 CFR part 748, Supp. No. 10"
    assert "180 days" in ob["uveu_new_site_notice"]["description"]
    assert {"dcv_supp10_other", "uveu_compute_caps"} <= set(ob)
    assert "veu_outside_country_allocation" in note_ids(d)


def test_748_15_uveu_status_unknown_asks_only_the_listing():
    """748.15: an unknown UVEU status is a missing fact; the VEU-specific facts are asked once it is known."""
    d = run(scenario(to="IN", consignee="Cloud", entities=uveu_party(listed=None)))
    assert auth(d, "UVEU")["available"] is None
    assert undecided(d, "UVEU") == {("uveu_listed", "uveu(Cloud)")}


def test_748_15_uveu_listed_without_facts_asks_for_each():
    """748.15: a listed UVEU with no facts: owner/operator, site and compute facts are missing."""
    d = run(scenario(to="IN", consignee="Cloud", entities=uveu_party(), facts={}))
    assert auth(d, "UVEU")["available"] is None
    missing = {f for _, f in undecided(d, "UVEU")}
    assert {
        "data_center_owner_and_operator_veu",
        "uveu_site_listed",
        "uveu_total_compute_tpp",
        "uveu_tier2_compute_tpp",
        "uveu_country_compute_tpp",
        "uveu_outside_us_compute_tpp",
    } <= missing
    assert "uveu_total_compute_tpp" in d.missing_facts


def test_748_15_uveu_not_listed_fails():
    """748.15: a company not listed as a UVEU cannot use it."""
    d = run(scenario(to="IN", consignee="Cloud", entities=uveu_party(listed=False), facts=UVEU_OK))
    assert failed(d, "UVEU") == {"uveu_listed"}


def test_748_15_uveu_tier3_destination_fails():
    """748.15: UVEUs install only in Tier 1 and Tier 2 countries."""
    d = uveu(to="CN", entities=uveu_party(located="IN"))
    assert "uveu_destination_tier1_or_2" in failed(d, "UVEU")


def test_748_15_uveu_tier1_destination_engages_no_tier2_caps():
    """748.15: a shipment to a Tier 1 country adds nothing to Tier 2; only the US 50% cap is weighed."""
    d = run(
        scenario(
            to="DE",
            consignee="Cloud",
            entities=uveu_party(located="DE"),
            facts={
                "data_center_owner_and_operator_veu": True,
                "uveu_site_listed": True,
                "uveu_total_compute_tpp": 1_000_000_000,
                "uveu_outside_us_compute_tpp": 100,
            },
        )
    )
    assert auth(d, "UVEU")["available"] is True


def test_748_15_uveu_us_shipment_within_the_us_needs_no_authorization():
    """748.15 with 15 CFR 734.13: a UVEU's shipment within the United States is no export,
    so it neither needs the UVEU nor adds to compute outside the United States."""
    d = run(
        scenario(
            to="US",
            consignee="Cloud",
            entities=uveu_party(located="US"),
            facts={"data_center_owner_and_operator_veu": True, "uveu_site_listed": True},
        )
    )
    assert d.license_required is False and d.authorizations == []


def test_748_15_uveu_50_percent_cap_only_for_us_headquarters():
    """748.15: the 50% outside-US cap binds only a UVEU headquartered in the United States."""
    facts = {"uveu_outside_us_compute_tpp": 900_000_000}
    assert "uveu_outside_us_share" in failed(uveu(facts=facts), "UVEU")
    d = uveu(facts=facts, entities=uveu_party(hq="GB"))
    assert auth(d, "UVEU")["available"] is True


# exact boundaries: the totals after the shipment are 4,000,000,000 TPP (beyond 2^31)
TOTAL_BEFORE = 4_000_000_000 - SHIP


@pytest.mark.parametrize(
    "cap,fact,limit",
    [
        ("uveu_tier2_share", "uveu_tier2_compute_tpp", 1_000_000_000),  # 25% of 4e9
        ("uveu_country_share", "uveu_country_compute_tpp", 280_000_000),  # 7% of 4e9
        ("uveu_outside_us_share", "uveu_outside_us_compute_tpp", 2_000_000_000),  # 50% of 4e9
    ],
)
def test_748_15_uveu_compute_caps_exact_boundary(cap, fact, limit):
    """748.15: 25% Tier 2, 7% one Tier 2 country, 50% outside the US: exactly at the cap is within; one TPP more fails."""
    base = {
        "uveu_total_compute_tpp": TOTAL_BEFORE,
        "uveu_tier2_compute_tpp": 0,
        "uveu_country_compute_tpp": 0,
        "uveu_outside_us_compute_tpp": 0,
    }
    if fact == "uveu_country_compute_tpp":
        base["uveu_tier2_compute_tpp"] = limit - SHIP
    if fact != "uveu_outside_us_compute_tpp":
        base["uveu_outside_us_compute_tpp"] = limit - SHIP
    at = uveu(facts={**base, fact: limit - SHIP})
    assert auth(at, "UVEU")["available"] is True, at.authorizations
    over = uveu(facts={**base, fact: limit - SHIP + 1})
    assert failed(over, "UVEU") == {cap}


def test_748_15_uveu_caps_include_this_shipment():
    """748.15: the caps are measured after this shipment (this shipment alone can breach the 7% cap)."""
    d = uveu(
        facts={
            "uveu_total_compute_tpp": 100_000_000,
            "uveu_tier2_compute_tpp": 0,
            "uveu_country_compute_tpp": 0,
            "uveu_outside_us_compute_tpp": 0,
        }
    )
    # 15,832,000 / 115,832,000 = 13.7% > 7%
    assert "uveu_country_share" in failed(d, "UVEU")


def _days_before(date: str, n: int) -> str:
    return (dt.date.fromisoformat(date) - dt.timedelta(days=n)).isoformat()


@settings(max_examples=20, deadline=None)
@given(day=st.dates(min_value=dt.date(2025, 5, 15), max_value=dt.date(2029, 12, 31)))
def test_748_15_uveu_new_site_180_days_notice_exact(day):
    """748.15: a new data center notified exactly 180 days before the shipment is authorized; 179 days is too late."""
    date = day.isoformat()
    not_listed = {"uveu_site_listed": False, "uveu_site_notified": True}
    ok = uveu(date=date, facts={**not_listed, "uveu_site_notified_on": _days_before(date, 180)})
    assert "uveu_site_authorized" not in failed(ok, "UVEU")
    assert auth(ok, "UVEU")["available"] is True
    late = uveu(date=date, facts={**not_listed, "uveu_site_notified_on": _days_before(date, 179)})
    assert "uveu_site_authorized" in failed(late, "UVEU")


def test_748_15_uveu_site_not_listed_and_not_notified_fails():
    """748.15: a data center neither listed nor notified is not authorized."""
    d = uveu(facts={"uveu_site_listed": False, "uveu_site_notified": False})
    assert failed(d, "UVEU") == {"uveu_site_authorized"}


def test_748_15_uveu_site_not_listed_notice_date_unknown():
    """748.15: not listed, notification date not given: undecided (never assumed)."""
    d = uveu(facts={"uveu_site_listed": False})
    assert auth(d, "UVEU")["available"] is None
    assert ("uveu_site_authorized", "uveu_site_notified_on") in undecided(d, "UVEU")


def test_748_15_uveu_headquarters_reading():
    """748.15 reading uveu_headquarters: a British UVEU owned by an Indian group fails by default, passes under entity_or_parent."""
    ents = uveu_party(hq="GB", parent_hq="IN")
    d = uveu(entities=ents)
    assert failed(d, "UVEU") == {"uveu_headquarters_tier1"}
    assert "uveu_headquarters" in d.readings_that_matter
    alt = uveu(entities=ents, readings={"uveu_headquarters": "entity_or_parent"})
    assert auth(alt, "UVEU")["available"] is True
    assert "uveu_headquarters" in alt.readings_that_matter


def test_748_15_uveu_tier1_company_with_tier3_parent_fails_under_both_readings():
    """748.15: a Tier 3 ultimate parent excludes a UVEU whatever the headquarters reading."""
    ents = uveu_party(hq="GB", parent_hq="CN")
    for reading in ("entity_and_parent", "entity_or_parent"):
        d = uveu(entities=ents, readings={"uveu_headquarters": reading})
        assert auth(d, "UVEU")["available"] is False
        assert "uveu_no_tier3_ties" in failed(d, "UVEU")


# ---------------------------------------------------------------- NVEU
def test_748_15_nveu_available_with_obligations():
    """748.15: an Indian NVEU in India within the allocation; Supp. No. 10 obligations follow."""
    d = nveu()
    assert auth(d, "NVEU")["available"] is True
    ids = {o["id"] for o in d.obligations}
    assert {"dcv_security", "dcv_supp10_other", "nveu_stay_within_allocation"} <= ids


ALLOCATION = [  # (first day, last day of the quarter, cumulative allocation)
    ("2025-01-13", "2025-03-31", 633_000_000),
    ("2025-04-01", "2025-06-30", 949_500_000),
    ("2025-07-01", "2025-09-30", 1_266_000_000),
    ("2025-10-01", "2025-12-31", 1_582_500_000),
    ("2026-01-01", "2026-03-31", 1_899_000_000),
    ("2026-04-01", "2026-06-30", 2_690_250_000),
    ("2026-07-01", "2026-09-30", 3_481_500_000),
    ("2026-10-01", "2026-12-31", 4_272_750_000),
    ("2027-01-01", "2027-03-31", 5_064_000_000),
    ("2027-10-01", "2027-12-31", 5_064_000_000),
]


@pytest.mark.parametrize("first,last,alloc", ALLOCATION)
@pytest.mark.provision("dc_veu_nveu")
def test_748_15_nveu_allocation_exact_boundary(first, last, alloc):
    """748.15 NVEU allocation table: installed base after the shipment equal to the quarter's allocation is within; one TPP more fails."""
    # In the IFR's compliance window (to 2025-05-14) India needs no licence under the
    # earlier controls; Vietnam (D:1, Tier 2) does, so the NVEU is weighed there.
    to = "VN" if first < "2025-05-15" else "IN"
    for date in (first, last):
        at = nveu(to=to, date=date, facts={"nveu_installed_tpp": alloc - SHIP})
        assert auth(at, "NVEU")["available"] is True, (date, at.authorizations)
        over = nveu(to=to, date=date, facts={"nveu_installed_tpp": alloc - SHIP + 1})
        assert failed(over, "NVEU") == {"nveu_allocation"}, date


def test_748_15_nveu_2027_allocation_5_064_000_000_and_one_more():
    """748.15: 5,064,000,000 TPP (beyond 2^31) exactly is within the 2027 allocation; 5,064,000,001 is not."""
    d = nveu(date="2027-06-30", facts={"nveu_installed_tpp": 5_064_000_000 - SHIP})
    assert auth(d, "NVEU")["available"] is True
    d = nveu(date="2027-06-30", facts={"nveu_installed_tpp": 5_064_000_001 - SHIP})
    assert failed(d, "NVEU") == {"nveu_allocation"}


def test_748_15_nveu_shipment_alone_above_allocation_fails():
    """748.15: a shipment larger than the quarter's allocation fails even with the installed base unknown."""
    # Vietnam (D:1): a licence under the earlier controls in the IFR's compliance window.
    d = nveu(
        to="VN",
        date="2025-02-01",
        items=[{"chip": "H100-SXM", "quantity": 40_000}],  # 633,280,000 TPP
        facts={"nveu_installed_tpp": None},
    )
    assert failed(d, "NVEU") == {"nveu_allocation"}


def test_748_15_nveu_installed_base_unknown_is_indeterminate():
    """748.15: the installed base in the country is needed for the allocation test."""
    d = nveu(facts={"nveu_installed_tpp": None})
    assert auth(d, "NVEU")["available"] is None
    assert ("nveu_allocation", "nveu_installed_tpp") in undecided(d, "NVEU")


@pytest.mark.parametrize("date", ["2028-01-01", "2030-07-15"])
def test_748_15_nveu_after_2027_q4_is_undecided_with_note(date):
    """748.15 allocation table ends with 2027 Q4: later dates give no allocation (undecided, with a note)."""
    d = nveu(date=date)
    assert auth(d, "NVEU")["available"] is None
    assert any(
        u["condition"] == "nveu_allocation" and u["missing_fact"].startswith("nveu_allocation(")
        for u in auth(d, "NVEU")["undecided_conditions"]
    )
    assert "nveu_allocation_table_ends" in note_ids(d)


@pytest.mark.provision("dc_veu")
def test_748_15_nveu_before_rule_is_not_considered():
    """748.15 with 90 FR 4544: before 2025-01-13 the rule (and the NVEU table) does not apply:
    the earlier controls govern, under which India needs no licence; NVEU is not weighed."""
    d = nveu(date="2025-01-10")
    assert d.license_required is False
    assert all(a["name"] != "NVEU" for a in d.authorizations)
    vn = nveu(to="VN", date="2025-01-10")  # D:1: a licence, but NVEU not yet in force
    assert vn.license_required is True and "provision_in_force" in failed(vn, "NVEU")


def test_748_15_nveu_tier1_destination_fails():
    """748.15: the NVEU is a national authorization for Tier 2 countries."""
    d = nveu(to="DE", entities=nveu_party(located="DE", hq="IN"))
    assert failed(d, "NVEU") == {"nveu_destination_tier2"}


def test_748_15_nveu_country_unknown_is_indeterminate():
    """748.15: the NVEU's country must be known."""
    d = nveu(facts={"nveu_country": None})
    assert auth(d, "NVEU")["available"] is None
    assert ("nveu_country_authorized", "nveu_country") in undecided(d, "NVEU")


def test_748_15_nveu_status_unknown_asks_only_the_listing():
    """748.15: an unknown NVEU status is a missing fact."""
    d = run(scenario(to="IN", consignee="Cloud", entities=nveu_party(listed=None)))
    assert undecided(d, "NVEU") == {("nveu_listed", "nveu(Cloud)")}


def test_748_15_veu_owner_and_operator_must_both_be_veus():
    """748.15: both the owner and the operator of the data center must be VEUs (UVEU and NVEU)."""
    assert "nveu_owner_operator_veu" in failed(nveu(facts={"data_center_owner_and_operator_veu": False}), "NVEU")
    assert "uveu_owner_operator_veu" in failed(uveu(facts={"data_center_owner_and_operator_veu": False}), "UVEU")


def test_748_15_veu_not_through_distributor():
    """748.15: items go directly to the VEU, never through a distributor."""
    assert "nveu_no_distributor" in failed(nveu(via_distributor=True), "NVEU")
    assert "uveu_no_distributor" in failed(uveu(via_distributor=True), "UVEU")


# ---------------------------------------------------------------- properties
TIER_COUNTRIES = {1: ["DE", "US", "JP"], 2: ["IN", "AE", "MY"], 3: ["CN", "RU", "MO"]}
TIER = {c: t for t, cs in TIER_COUNTRIES.items() for c in cs}
country = st.sampled_from(sorted(TIER))
# Shipments leave the United States, so it is never the destination (15 CFR 734.13).
destination = st.sampled_from(sorted(c for c in TIER if c != "US"))


@settings(max_examples=40, deadline=None)
@given(
    dest=destination,
    loc=country,
    hq=country,
    parent=st.one_of(st.none(), country),
    reading=st.sampled_from(["entity_and_parent", "entity_or_parent"]),
)
def test_748_15_property_no_veu_for_tier3_party(dest, loc, hq, parent, reading):
    """748.15: whatever the tiers, no UVEU or NVEU is available to a party located, headquartered or
    ultimately owned in Tier 3, nor for a Tier 3 destination."""
    ents = {"Cloud": {"located": loc, "headquartered": hq, "status": {"uveu": True, "nveu": True}}}
    if parent:
        ents["Cloud"]["parent"] = "Group"
        ents["Group"] = {"headquartered": parent}
    facts = {**UVEU_OK, **NVEU_OK, "nveu_country": dest, "uveu_total_compute_tpp": 10**12}
    d = run(
        scenario(
            to=dest, consignee="Cloud", entities=ents, items=H100, facts=facts, readings={"uveu_headquarters": reading}
        )
    )
    tier3 = 3 in {TIER[dest], TIER[loc], TIER[hq]} | ({TIER[parent]} if parent else set())
    u, n = auth(d, "UVEU"), auth(d, "NVEU")
    if tier3:
        assert u["available"] is False and n["available"] is False
    # Every fact is given: both VEUs are decided.
    assert u["available"] is not None and n["available"] is not None
    # NVEU, with every other fact favourable, is available exactly for a Tier 2 destination and no Tier 3 tie.
    assert n["available"] is (not tier3 and TIER[dest] == 2)


# ---------------------------------------------------------------- issue 10: Supp. No. 10 content
def _tenant(hq="CN", located="SG", ops="3e26"):
    f = {"hosted_customer": "Tenant"}
    if ops is not None:
        f["hosted_training_ops"] = ops
    return f, {"Tenant": {"located": located, "headquartered": hq}}


@pytest.mark.parametrize("kind", ["UVEU", "NVEU"])
@pytest.mark.parametrize("ops, fails", [("99999999999999999999999999", False), ("1e26", True)])
def test_supp10_748_dc_veu_bars_hosting_frontier_training_outside_tier1(kind, ops, fails):
    """Supp. No. 10 to part 748: a data center VEU may not host training of a 4E091-scale model
    (10^26 or more operations) for a party headquartered outside Tier 1; 10^26 - 1 is allowed."""
    f, ents = _tenant(ops=ops)
    party = uveu_party() if kind == "UVEU" else nveu_party()
    d = (uveu if kind == "UVEU" else nveu)(facts=f, entities={**party, **ents})
    cond = f"{kind.lower()}_no_frontier_training_outside_tier1"
    assert (cond in failed(d, kind)) is fails
    assert auth(d, kind)["available"] is (not fails)


def test_supp10_748_dc_veu_tier1_tenant_may_train_at_frontier():
    """Supp. No. 10 to part 748: frontier training for a tenant located and headquartered in Tier 1 is no bar."""
    f, ents = _tenant(hq="GB", located="GB")
    d = uveu(facts=f, entities={**uveu_party(), **ents})
    assert auth(d, "UVEU")["available"] is True


def test_supp10_748_dc_veu_tenant_training_unknown_is_named():
    """Supp. No. 10 to part 748: a tenant outside Tier 1 whose training size is unknown: undecided, named."""
    f, ents = _tenant(ops=None)
    d = uveu(facts=f, entities={**uveu_party(), **ents})
    assert ("uveu_no_frontier_training_outside_tier1", "hosted_training_ops") in undecided(d, "UVEU")


@pytest.mark.parametrize("kind", ["UVEU", "NVEU"])
def test_supp10_748_dc_veu_brings_reporting_audits_and_training_bar(kind):
    """Supp. No. 10 to part 748: an available VEU brings the reporting, audit and hosting
    obligations, each citing Supp. No. 10."""
    d = uveu() if kind == "UVEU" else nveu()
    ob = {o["id"]: o for o in d.obligations}
    for oid in ("dcv_reporting", "dcv_audits", "dcv_no_frontier_training_outside_tier1"):
        assert ob[oid]["citation"] == "15 CFR part 748, Supp. No. 10", oid


@pytest.mark.parametrize(
    "days, default_ok, short_ok", [(59, False, False), (60, False, True), (179, False, True), (180, True, True)]
)
def test_748_15_uveu_new_site_notice_reading_180_or_60_days(days, default_ok, short_ok):
    """748.15 (reading uveu_new_site_notice): 180 days by default, 60 under days_60; the reading is
    flagged only when the notice lies between the two (60..179 days)."""
    date = "2025-09-01"
    f = {"uveu_site_listed": False, "uveu_site_notified": True, "uveu_site_notified_on": _days_before(date, days)}
    d = uveu(date=date, facts=f)
    assert ("uveu_site_authorized" not in failed(d, "UVEU")) is default_ok
    assert ("uveu_new_site_notice" in d.readings_that_matter) is (default_ok != short_ok)
    s = uveu(date=date, facts=f, readings={"uveu_new_site_notice": "days_60"})
    assert ("uveu_site_authorized" not in failed(s, "UVEU")) is short_ok
    if short_ok:
        assert "60 days" in {o["id"]: o for o in s.obligations}["uveu_new_site_notice"]["description"]


@pytest.mark.parametrize("use", ["section_744_23", "section_744_6"])
@pytest.mark.provision("restrict_744_exceptions", "restrict_744_veu")
def test_740_2_a_2_part744_end_use_makes_every_authorization_unavailable(use):
    """740.2(a)(2) with 744.23 / 744.6, and 748.15 for VEUs: a known part 744 end use fails every
    authorization weighed, each citing its provision; 'none' changes nothing."""
    d = uveu(facts={"part744_end_use": use})
    for a in d.authorizations:
        assert "no_part744_end_use" in {f["condition"] for f in a["failed_conditions"]}, a["name"]
        cite = next(f["citation"] for f in a["failed_conditions"] if f["condition"] == "no_part744_end_use")
        assert "744.23" in cite and ("740.2(a)(2)" in cite or "748.15" in cite)
    assert d.authorized is False
    assert any("740.2(a)(9)(ii)" in n["text"] for n in d.notes)
    ok = uveu(facts={"part744_end_use": "none"})
    assert auth(ok, "UVEU")["available"] is True
    assert not any(n["id"] == "other_exceptions_not_weighed" for n in ok.notes)


# --- moved from test_reliability.py: 15 CFR 748.15 UVEU shares of huge totals ---
UVEU_FACTS = (
    "uveu_total_compute_tpp",
    "uveu_tier2_compute_tpp",
    "uveu_country_compute_tpp",
    "uveu_outside_us_compute_tpp",
)


@pytest.mark.provision("dc_veu_uveu")
@pytest.mark.parametrize("value", ["1e28", "999,999,999,999,999,999,999,999,999,999"])
def test_748_15_uveu_shares_of_huge_totals_are_exact(value):
    """748.15 UVEU shares: totals of 10^28 and 10^30 - 1 (accepted inputs) are compared
    as exactly 100 x share and percent x total (past 10^30), not a traceback: with all four
    totals equal, every cap (Tier 2 25%, one country 7%, outside the US 50%) fails."""
    d = run(
        scenario(
            to="IN",
            authorization_claimed="UVEU",
            facts=dict.fromkeys(UVEU_FACTS, value),
            entities={"Buyer": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}},
        )
    )
    a = auth(d, "UVEU")
    # all four totals equal: 100% of the compute is in Tier 2, in India and outside the US,
    # over every cap (25%, 7%, 50%), so each share fails exactly, citing 748.15
    assert a["available"] is False, (a["failed_conditions"], a["undecided_conditions"])
    shares = {f["condition"]: f["citation"] for f in a["failed_conditions"]}
    assert set(shares) == {"uveu_tier2_share", "uveu_country_share", "uveu_outside_us_share"}
    assert all("748.15" in c for c in shares.values())


@pytest.mark.provision("dc_veu_uveu")
@pytest.mark.parametrize("over", [0, 1])
def test_748_15_uveu_tier2_share_of_huge_totals_at_the_25_percent_boundary(over):
    """748.15 UVEU Tier 2 cap (25%): with 10^28 TPP in Tier 2 before this shipment of 100 H100
    (1,583,200 TPP), a total of 4 x 10^28 + 3 x 1,583,200 puts exactly 25% in Tier 2 after it
    (the share is met); one TPP less and it is just over (uveu_tier2_share fails). The other
    caps are kept far off (7% with nothing else in India, 50% outside the United States)."""
    tier2 = 10**28
    d = run(
        scenario(
            to="IN",
            authorization_claimed="UVEU",
            facts={
                "uveu_total_compute_tpp": str(4 * tier2 + 3 * 1_583_200 - over),
                "uveu_tier2_compute_tpp": str(tier2),
                "uveu_country_compute_tpp": "0",
                "uveu_outside_us_compute_tpp": str(tier2),
            },
            entities={"Buyer": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}},
        )
    )
    assert d.shipment_tpp == 1_583_200
    a = auth(d, "UVEU")
    assert {f["condition"] for f in a["failed_conditions"]} == ({"uveu_tier2_share"} if over else set())


# --- moved from test_spec_coverage.py: 15 CFR 748.15 a UVEU has no TPP limit ---
@pytest.mark.provision("dc_veu_uveu")
def test_748_15_uveu_receives_chips_without_any_tpp_limit():
    """748.15: a UVEU may receive advanced chips without a TPP limit (only the shares of its
    compute by country bind): 1,000,000 H100 (15,832,000,000 TPP, beyond the Tier 2 allocation,
    the LPP limit and the whole NVEU table) to a listed US UVEU in India, within its shares."""
    d = run(
        scenario(
            to="IN",
            consignee="Cloud",
            entities={"Cloud": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}},
            items=[{"chip": "H100-SXM", "quantity": 1_000_000}],
            facts={
                "data_center_owner_and_operator_veu": True,
                "uveu_site_listed": True,
                "uveu_total_compute_tpp": "1,000,000,000,000",
                "uveu_tier2_compute_tpp": "100,000,000,000",
                "uveu_country_compute_tpp": "20,000,000,000",
                "uveu_outside_us_compute_tpp": "300,000,000,000",
                "lpp_prior_shipments_tpp": 0,
                "lpp_certification_obtained": True,
            },
        )
    )
    assert d.shipment_tpp == 15_832_000_000
    a = auth(d, "UVEU")
    assert a["available"] is True, (a["failed_conditions"], a["undecided_conditions"])
    assert "veu_outside_country_allocation" in note_ids(d)
    assert "lpp_annual_limit" in failed(d, "LPP")  # the same shipment is far over LPP's limit
