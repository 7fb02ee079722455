"""A practitioner's review of pyrules' answers against the regulation's text.

Each xfail(strict=True) test asserts what the CFR says where pyrules answers otherwise;
the reason names the paragraph. The AIA findings (740.27's conditions weighed only against
the worldwide requirement) were fixed by the earlier-controls work and now pass. The passing tests pin boundaries that were checked by
hand against the text and that no other test covered."""

from __future__ import annotations

import pytest

import copy
import json
from pathlib import Path

from helpers import auth, run, scenario

QUERIES = Path(__file__).resolve().parent.parent / "queries"


def ents(located: str, hq: str, parent_hq: str | None = None, **status) -> dict:
    e = {"Buyer": {"located": located, "headquartered": hq}}
    if status:
        e["Buyer"]["status"] = status
    if parent_hq:
        e["Buyer"]["parent"] = "Parent"
        e["Parent"] = {"headquartered": parent_hq}
    return e


H100 = [{"chip": "H100-SXM", "quantity": 10}]


# --- AIA while the earlier controls govern (2025-01-13 .. 2025-05-14, and as enforced) ---

# 15 CFR 740.27: AIA needs an ultimate consignee located in, and (with its ultimate parent)
# headquartered in, a Supp. No. 5 para (a) country, whatever requirement the licence comes from.


@pytest.mark.provision("lic_aia")
@pytest.mark.parametrize("to, hq, parent_hq", [("CN", "CN", None), ("MO", "MO", None), ("DE", "DE", "CN")])
def test_740_27_aia_not_available_to_tier3_ties_before_the_compliance_date(to, hq, parent_hq):
    """2025-05-14: the earlier controls require a licence; AIA cannot authorize it for a
    consignee located or headquartered in Tier 3 (or with a Tier 3 ultimate parent)."""
    d = run(scenario(date="2025-05-14", to=to, items=H100, entities=ents(to, hq, parent_hq)))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is False


@pytest.mark.provision("lic_aia")
def test_740_27_aia_not_available_to_china_as_enforced():
    """As enforced, 2025-06-01: H100s to a Chinese company in China need a licence and
    AIA, whose consignee must be in and headquartered in Tier 1, cannot give it."""
    d = run(scenario(date="2025-06-01", to="CN", items=H100, entities=ents("CN", "CN")), view="as_enforced")
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is False


# --- AIA for 3A090.b lines (licence from 742.6(a)(6)(iii)(B)) ----------------------------

B_CHIP = [{"tpp": 3000, "die_area_mm2": 1500, "quantity": 10, "data_center": True}]


@pytest.mark.provision("lic_aia")
def test_740_27_aia_not_available_for_3a090b_to_china():
    d = run(scenario(to="CN", items=B_CHIP, entities=ents("CN", "CN")))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is not True  # NAC stays undecided until its notice is known


@pytest.mark.provision("lic_aia")
def test_740_27_aia_not_available_for_3a090b_to_saudi_arabia():
    d = run(scenario(to="SA", items=B_CHIP, entities=ents("SA", "SA")))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False


# --- 3A090.b to the UAE after 91 FR 43034 ----------------------------------------------------


@pytest.mark.provision("chips_3a090b_destinations")
def test_742_6_a_6_iii_b_3a090b_to_uae_still_needs_a_licence_from_2026_07_10():
    """91 FR 43034 names the UAE in 742.6(a)(6)(iii)(B) (reading uae_3a090b_scope, default
    named_in_scope); groups_only follows A:5 and needs no licence; the reading is reported."""
    d = run(scenario(date="2026-07-10", to="AE", items=B_CHIP, entities=ents("AE", "AE")))
    assert d.license_required is True
    assert "uae_3a090b_scope" in d.readings_that_matter
    g = run(
        scenario(
            date="2026-07-10",
            to="AE",
            items=B_CHIP,
            entities=ents("AE", "AE"),
            readings={"uae_3a090b_scope": "groups_only"},
        )
    )
    assert g.license_required is False


@pytest.mark.provision("chips_3a090b_destinations")
def test_742_6_a_6_iii_b_3a090b_to_uae_needs_a_licence_the_day_before():
    """2026-07-09: the UAE is in D:4 and not yet in A:5: 3A090.b needs a licence."""
    d = run(scenario(date="2026-07-09", to="AE", items=B_CHIP, entities=ents("AE", "AE")))
    assert d.license_required is True


@pytest.mark.provision("chips_3a090b_destinations")
@pytest.mark.parametrize("to, required", [("IN", False), ("IL", False), ("SA", True)])
def test_742_6_a_6_iii_b_3a090b_scope_d1_d4_d5_less_a5_a6(to, required):
    """India is in none of D:1/D:4/D:5; Israel is in D:4 but also A:6; Saudi Arabia is in D:4."""
    d = run(scenario(to=to, items=B_CHIP, entities=ents(to, to)))
    assert d.license_required is required


# --- the foundry presumption (Note 1 to 3A090.a, 90 FR 5298) with a Chinese buyer -------------


def foundry_to_china(date: str) -> dict:
    """5 nm logic ICs of 1,000 TPP from a front-end fabricator to a Chinese company, no
    attestation: from 2025-01-31 presumed 3A090.a, so the earlier China controls bite."""
    s = json.loads((QUERIES / "foundry_presumption_rebutted_by_approved_osat.json").read_text())
    s.pop("expect")
    s = copy.deepcopy(s)
    s["date"] = date
    s["transaction"]["to"] = "CN"
    s["entities"] = {"PenangSystems": {"located": "CN", "headquartered": "CN"}}
    item = s["items"][0]
    item["attestation"] = "none"
    for k in ("attested_by", "transistor_count_millions"):
        item.pop(k)
    return s


@pytest.mark.provision("foundry_rule")
@pytest.mark.parametrize("date, required", [("2025-01-30", False), ("2025-01-31", True)])
def test_note1_3a090a_foundry_presumption_from_its_compliance_date_for_china(date, required):
    """90 FR 5298, compliance from 2025-01-31: the day before, the 1,000-TPP ICs are below
    3A090 and need no licence to China; from that day they are presumed 3A090.a."""
    assert run(foundry_to_china(date)).license_required is required


@pytest.mark.provision("lic_aia")
def test_740_27_aia_not_available_for_presumed_3a090a_ics_to_china():
    d = run(foundry_to_china("2025-01-31"))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
