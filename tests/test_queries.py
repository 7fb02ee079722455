"""The bundled scenarios: every file in queries/ evaluates, and each scenario-language
file says the same as its JSON twin."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import pyrules
from pyrules.language import parse_file
from pyrules.loader import load_scenarios

QUERIES = Path(__file__).resolve().parent.parent / "queries"
TWINS = {"lang_india_cloud_chinese_parent.scn": "india_cloud_chinese_parent.json",
         "lang_overlap_tier1_location_tier3_parent.scn": "core_overlap_tier1_location_tier3_parent.json",
         "lang_ownership_chain.scn": "core_ownership_chain.json"}


def test_every_bundled_scenario_evaluates_with_one_answer():
    pairs = load_scenarios([QUERIES])
    assert len(pairs) >= 37
    for path, s in pairs:
        d = pyrules.evaluate(s)
        assert d.license_required in (True, False, None), path.name


@pytest.mark.parametrize("scn,twin", sorted(TWINS.items()))
def test_language_file_compiles_to_its_json_twin(scn, twin):
    assert parse_file(QUERIES / scn) == [json.loads((QUERIES / twin).read_text())]
