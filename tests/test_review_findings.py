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
