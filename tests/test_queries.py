"""The bundled scenarios: every file in queries/ evaluates, and each scenario-language
file says the same as its JSON twin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pyrules
from pyrules.inputs.language import parse_file
from pyrules.inputs.loader import load_scenarios

QUERIES = Path(__file__).resolve().parent.parent / "queries"
TWINS = {
    "lang_india_cloud_chinese_parent.scn": "india_cloud_chinese_parent.json",
    "lang_overlap_tier1_location_tier3_parent.scn": "core_overlap_tier1_location_tier3_parent.json",
    "lang_ownership_chain.scn": "core_ownership_chain.json",
}


def test_every_bundled_scenario_answers_consistently():
    """Over the whole corpus (742.6(a)(6)(iii), (a)(13)): a licence is required only with a
    controlled item line and its citation; 'no licence' only when every item line is outside
    the rule (with its reason); 'indeterminate' only with a named missing fact or a date
    before the rule; 'authorized' never claimed without a reason."""
    pairs = load_scenarios([QUERIES])
    assert len(pairs) >= 37
    seen = set()
    for path, s in pairs:
        d = pyrules.evaluate(s)
        seen.add(d.license_required)
        if d.license_required is True:
            assert d.controls and all(c["citation"].startswith("15 CFR") for c in d.controls), path.name
        elif d.license_required is False:
            assert all(it["outside_rule"] for it in d.items), path.name
        else:
            assert d.missing_facts or d.rule_status["before_rule"], path.name
        if d.authorized is True and d.license_required:
            assert any(a["available"] for a in d.authorizations), path.name
    assert seen == {True, False, None}


@pytest.mark.parametrize("scn,twin", sorted(TWINS.items()))
def test_language_file_compiles_to_its_json_twin(scn, twin):
    assert parse_file(QUERIES / scn) == [json.loads((QUERIES / twin).read_text())]
