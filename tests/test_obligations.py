"""Obligations that follow from the EAR beside the AI Diffusion rule: record keeping
(15 CFR 762.6, kb/obligations.lp). The obligations each authorization brings are tested
with the authorization (test_aia.py, test_lpp.py, test_veu.py, ...)."""

from __future__ import annotations

import pytest

from helpers import run, scenario
from pyrules.modes.regime import Regime


def keep_records(d) -> list[dict]:
    return [o for o in d.obligations if o["provision"] == "recordkeeping"]


@pytest.mark.provision("recordkeeping")
def test_762_6_records_kept_five_years_when_a_licence_is_required():
    """762.6: H100s to a German buyer on 2025-05-15 (licence required) bring the obligation to
    keep the records for five years, citing 762.6."""
    d = run(scenario(date="2025-05-15"))
    assert d.license_required is True
    [o] = keep_records(d)
    assert o["citation"] == "15 CFR 762.6" and o["deadline"] == "for 5 years"


@pytest.mark.provision("recordkeeping")
def test_762_6_retention_period_is_the_parameter_in_force():
    """762.6's five years is a parameter (recordkeeping_years): a regime setting it to 7
    changes the obligation's period, and nothing else."""
    d = run(scenario(), regime=Regime.from_dict({"params": {"recordkeeping_years": 7}}))
    [o] = keep_records(d)
    assert o["deadline"] == "for 7 years"
    assert run(scenario()).license_required is d.license_required is True


@pytest.mark.provision("recordkeeping")
def test_762_1_records_kept_for_an_export_that_needs_no_licence():
    d = run(scenario(date="2025-05-14"))
    assert d.license_required is False
    [o] = keep_records(d)
    assert o["deadline"] == "for 5 years"
