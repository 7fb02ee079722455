"""The licensing policy of the controls the AI Diffusion rule amended (15 CFR 742.6(b)(10)
as amended by 88 FR 73458, kb/earlier_controls.lp): presumption of denial for Macau and
D:5 destinations and for entities headquartered there (or whose ultimate parent is), case
by case for the other destinations of the earlier scope. They govern from 88 FR 73458's
effective date (2023-11-17) until the IFR's compliance date (2025-05-15, 90 FR 4544); the
licence requirements of that time are tested in test_time.py."""

from __future__ import annotations

import pytest

from helpers import run, scenario


def buyer(to: str, date: str, parent_hq: str | None = None):
    ents = {"Buyer": {"located": to, "headquartered": to}}
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    return run(scenario(date=date, to=to, entities=ents))


def policy(d) -> tuple:
    return d.licensing_policy, [c["provision"] for c in d.policy_candidates]


@pytest.mark.provision("earlier_policy_d5")
@pytest.mark.parametrize("to, parent_hq", [("CN", None), ("MO", None), ("IN", "CN"), ("IN", "MO")])
def test_742_6_b_10_earlier_denial_for_macau_d5_and_their_headquarters_from_2023_11_17(to, parent_hq):
    """88 FR 73458 (effective 2023-11-17): H100s to China or Macau, or to an Indian buyer whose
    ultimate parent is headquartered there, are reviewed under a presumption of denial; the
    day before nothing earlier is encoded (undecided, never 'no licence')."""
    before = buyer(to, "2023-11-16", parent_hq)
    assert before.license_required is None and before.licensing_policy is None
    on = buyer(to, "2023-11-17", parent_hq)
    assert on.license_required is True
    assert policy(on) == ("presumption_of_denial", ["earlier_policy_d5"])


@pytest.mark.provision("earlier_policy_d5")
def test_742_6_b_10_earlier_denial_ends_at_the_ifr_compliance_date():
    """90 FR 4544: on 2025-05-14 (the compliance window) China is still under the earlier
    denial; from 2025-05-15 the Tier 3 presumption of denial of the IFR takes its place."""
    assert policy(buyer("CN", "2025-05-14")) == ("presumption_of_denial", ["earlier_policy_d5"])
    assert policy(buyer("CN", "2025-05-15")) == ("presumption_of_denial", ["policy_chips_tier3"])


@pytest.mark.provision("earlier_policy_d5")
def test_742_6_b_10_earlier_denial_needs_the_macau_or_d5_tie():
    """88 FR 73458: an Indian buyer with an Indian parent is outside the earlier scope
    altogether (no licence, no policy); with a Chinese parent it is under the denial."""
    d = buyer("IN", "2024-06-01", "IN")
    assert d.license_required is False and d.licensing_policy is None
    assert policy(buyer("IN", "2024-06-01", "CN")) == ("presumption_of_denial", ["earlier_policy_d5"])


@pytest.mark.provision("earlier_policy_case_by_case")
@pytest.mark.parametrize(
    "date, expected",
    [
        ("2023-11-16", (None, [])),
        ("2023-11-17", ("case_by_case", ["earlier_policy_case_by_case"])),
        ("2025-05-14", ("case_by_case", ["earlier_policy_case_by_case"])),
        ("2025-05-15", ("presumption_of_approval", ["policy_chips_tier2"])),
    ],
)
def test_742_6_b_10_earlier_case_by_case_for_vietnam_between_its_dates(date, expected):
    """88 FR 73458: H100s to Vietnam (D:1, no Macau or D:5 tie) are reviewed case by case
    from 2023-11-17 to the IFR's compliance date; from 2025-05-15 Vietnam is a Tier 2
    destination under the IFR's policy (approval within the allocation)."""
    assert policy(buyer("VN", date)) == expected
