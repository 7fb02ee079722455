"""Amendments after the AI Diffusion rule (kb/later_amendments.lp): 91 FR 1684's case-by-case
review for H200-class chips to China and Macau (742.6(b)(10)(iii)(A)(1)). Its dates and
thresholds are tested in test_time.py; here, how the answer cites it."""

from __future__ import annotations

import pytest

from helpers import run, scenario


@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_h200_case_by_case_cites_its_paragraph():
    """742.6(b)(10)(iii)(A)(1) (91 FR 1684, from 2026-01-15): H200s of 4,800 GB/s to China are
    reviewed case by case, and the answer cites that paragraph, not an internal id."""
    d = run(
        scenario(
            date="2026-01-15",
            to="CN",
            items=[{"chip": "H200", "quantity": 10, "dram_bandwidth_gbps": 4800}],
            entities={"Buyer": {"located": "CN", "headquartered": "CN"}},
        )
    )
    assert d.licensing_policy == "case_by_case"
    [c] = [c for c in d.policy_candidates if c["policy"] == "case_by_case"]
    assert c["citation"].startswith("15 CFR 742.6(b)(10)(iii)(A)(1)")
    assert "policy_dram_case_by_case" not in d.to_text()


def _cn_for_australian_firm(bandwidth: int, reading: str | None = None) -> dict:
    """One 15,832-TPP H200 to a company in China headquartered in Australia (Tier 1),
    on 2026-02-02, with the given total DRAM bandwidth."""
    s = scenario(
        date="2026-02-02",
        to="CN",
        items=[{"chip": "H200", "quantity": 1, "dram_bandwidth_gbps": bandwidth}],
        entities={"Buyer": {"located": "CN", "headquartered": "AU"}},
    )
    if reading:
        s["readings"] = {"tier_overlap": reading}
    return s


@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_tier1_headquarters_overlap_is_open_at_the_bandwidth_boundary():
    """742.6(b)(10) gives a party headquartered in Tier 1 a presumption of approval;
    742.6(b)(10)(iii)(A)(1) (91 FR 1684) gives such chips to China case-by-case review in
    place of the denial. Below 6,500 GB/s both wordings apply and no precedence is stated
    (docs/findings.md, known finding): no policy by default, the tier_overlap reading matters."""
    d = run(_cn_for_australian_firm(6499))
    assert d.licensing_policy is None
    assert {"policy_chips_tier1", "policy_dram_case_by_case"} in [set(o["provisions"]) for o in d.overlaps]
    assert "tier_overlap" in d.readings_that_matter
    at = run(_cn_for_australian_firm(6500))  # not below 6,500 GB/s: the amendment does not apply
    assert at.licensing_policy is None
    assert [set(o["provisions"]) for o in at.overlaps] == [{"policy_chips_tier1", "policy_chips_tier3"}]


@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_tier3_prevails_reads_the_tier3_side_as_amended():
    """Under tier_overlap = tier3_prevails the Tier 3 side governs, as 91 FR 1684 amended
    it: case by case below 6,500 GB/s (citing 742.6(b)(10)(iii)(A)(1)), the presumption of
    denial at 6,500 GB/s (before the fix: the denial the amendment sets aside, both times).
    tier1_prevails: the presumption of approval either way."""
    d = run(_cn_for_australian_firm(6499, "tier3_prevails"))
    assert d.licensing_policy == "case_by_case"
    assert d.policy_citation.startswith("15 CFR 742.6(b)(10)(iii)(A)(1)")
    at = run(_cn_for_australian_firm(6500, "tier3_prevails"))
    assert at.licensing_policy == "presumption_of_denial" and at.policy_citation == "15 CFR 742.6(b)(10)"
    for bw in (6499, 6500):
        assert run(_cn_for_australian_firm(bw, "tier1_prevails")).licensing_policy == "presumption_of_approval"


@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_tier3_prevails_with_bandwidth_unknown_names_it():
    """tier3_prevails and no DRAM bandwidth for a chip outside the catalogue: whether the
    denial is set aside is open, so no policy is given and the bandwidth is asked for."""
    s = _cn_for_australian_firm(6499, "tier3_prevails")
    s["items"] = [{"tpp": 5000, "quantity": 1, "data_center": True}]
    d = run(s)
    assert d.licensing_policy is None
    assert "item_dram_bandwidth(1)" in d.missing_facts


def _h200_reexport(action: str, reading: str | None = None) -> dict:
    """Ten H200s (4,800 GB/s) to a Chinese company in China on 2026-02-02, by the given action
    (a reexport leaves from Singapore)."""
    s = scenario(
        date="2026-02-02",
        to="CN",
        action=action,
        items=[{"chip": "H200", "quantity": 10}],
        entities={"Buyer": {"located": "CN", "headquartered": "CN"}},
    )
    if action == "reexport":
        s["transaction"]["from"] = "SG"
    if reading:
        s["readings"] = {"dram_policy_actions": reading}
    return s


@pytest.mark.provision("policy_dram_case_by_case")
@pytest.mark.parametrize(
    "reading, policy",
    [(None, "presumption_of_denial"), ("exports_only", "presumption_of_denial"), ("all_actions", "case_by_case")],
)
def test_742_6_b_10_iii_A_1_reexport_to_china_is_the_reading_dram_policy_actions(reading, policy):
    """91 FR 1684 speaks of exports to China and Macau: by default (exports_only) a reexport of
    H200s to China stays under the presumption of denial; all_actions reviews it case by case.
    The reading is reported for a reexport, never for an export, which is case by case either way."""
    d = run(_h200_reexport("reexport", reading))
    assert d.license_required is True and d.licensing_policy == policy
    assert "dram_policy_actions" in d.readings_that_matter
    for r in (None, "all_actions"):
        e = run(_h200_reexport("export", r))
        assert e.licensing_policy == "case_by_case" and "dram_policy_actions" not in e.readings_that_matter


@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_reading_dram_policy_actions_silent_above_the_figures():
    """A B200 (8,000 GB/s, above 6,500) reexported to China is never reviewed case by case,
    whatever the reading: the reading dram_policy_actions does not matter there."""
    s = _h200_reexport("reexport")
    s["items"] = [{"chip": "B200", "quantity": 10}]
    d = run(s)
    assert d.licensing_policy == "presumption_of_denial"
    assert "dram_policy_actions" not in d.readings_that_matter
