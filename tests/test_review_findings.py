"""A practitioner's review of pyrules' answers against the regulation's text.

Each xfail(strict=True) test asserts what the CFR says where pyrules answers otherwise;
the reason names the paragraph. The passing tests pin boundaries that were checked by
hand against the text and that no other test covered."""
from __future__ import annotations

import pytest

from helpers import auth, failed, run, scenario


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

AIA_EARLIER = ("15 CFR 740.27 (90 FR 4544): AIA for chips needs an ultimate consignee located in, "
               "and (with its ultimate parent) headquartered in, a Supp. No. 5 para (a) country; "
               "pyrules calls AIA available, with no condition, for H100s to a Chinese company in "
               "China whenever the licence requirement comes from the earlier controls")


@pytest.mark.provision("lic_aia")
@pytest.mark.xfail(strict=True, reason=AIA_EARLIER)
@pytest.mark.parametrize("to, hq, parent_hq", [("CN", "CN", None), ("MO", "MO", None), ("DE", "DE", "CN")])
def test_740_27_aia_not_available_to_tier3_ties_before_the_compliance_date(to, hq, parent_hq):
    """2025-05-14: the earlier controls require a licence; AIA cannot authorize it for a
    consignee located or headquartered in Tier 3 (or with a Tier 3 ultimate parent)."""
    d = run(scenario(date="2025-05-14", to=to, items=H100, entities=ents(to, hq, parent_hq)))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is False


@pytest.mark.provision("lic_aia")
@pytest.mark.xfail(strict=True, reason=AIA_EARLIER + " (also in --view as_enforced)")
def test_740_27_aia_not_available_to_china_as_enforced():
    """As enforced, 2025-06-01: H100s to a Chinese company in China need a licence and
    AIA, whose consignee must be in and headquartered in Tier 1, cannot give it."""
    d = run(scenario(date="2025-06-01", to="CN", items=H100, entities=ents("CN", "CN")), view="as_enforced")
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is False


# --- AIA for 3A090.b lines (licence from 742.6(a)(6)(iii)(B)) ----------------------------

B_CHIP = [{"tpp": 3000, "die_area_mm2": 1500, "quantity": 10, "data_center": True}]
AIA_B = ("15 CFR 740.27: AIA needs an ultimate consignee located in a Supp. No. 5 para (a) "
         "country and headquartered (with its ultimate parent) there; pyrules calls AIA "
         "available, with no condition, for 3A090.b chips to a Chinese company in China and a "
         "Saudi company in Saudi Arabia (licence under 742.6(a)(6)(iii)(B))")


@pytest.mark.provision("lic_aia")
@pytest.mark.xfail(strict=True, reason=AIA_B)
def test_740_27_aia_not_available_for_3a090b_to_china():
    d = run(scenario(to="CN", items=B_CHIP, entities=ents("CN", "CN")))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False
    assert d.authorized is False


@pytest.mark.provision("lic_aia")
@pytest.mark.xfail(strict=True, reason=AIA_B)
def test_740_27_aia_not_available_for_3a090b_to_saudi_arabia():
    d = run(scenario(to="SA", items=B_CHIP, entities=ents("SA", "SA")))
    assert d.license_required is True
    assert auth(d, "AIA")["available"] is False


# --- 3A090.b to the UAE after 91 FR 43034 ----------------------------------------------------

@pytest.mark.provision("chips_3a090b_destinations")
@pytest.mark.xfail(strict=True, reason=(
    "15 CFR 742.6(a)(6)(iii)(B) as amended by 91 FR 43034 (eff. 2026-07-10; CCL text per the "
    "project's regulation notes, marked verified): the amendment that put the UAE into A:5 "
    "added the UAE by name to the 3A090.b/4A090.b destinations, so the A:5 exclusion does not "
    "take it out; pyrules follows the groups and says no licence is required"))
def test_742_6_a_6_iii_b_3a090b_to_uae_still_needs_a_licence_from_2026_07_10():
    d = run(scenario(date="2026-07-10", to="AE", items=B_CHIP, entities=ents("AE", "AE")))
    assert d.license_required is True


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
