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
    d = run(scenario(date="2026-01-15", to="CN", items=[{"chip": "H200", "quantity": 10, "dram_bandwidth_gbps": 4800}],
                     entities={"Buyer": {"located": "CN", "headquartered": "CN"}}))
    assert d.licensing_policy == "case_by_case"
    [c] = [c for c in d.policy_candidates if c["policy"] == "case_by_case"]
    assert c["citation"].startswith("15 CFR 742.6(b)(10)(iii)(A)(1)")
    assert "policy_dram_case_by_case" not in d.to_text()
