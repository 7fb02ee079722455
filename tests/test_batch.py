"""The batch rewriting of the KB (pyrules/batch.py) decides each transaction
exactly as a single evaluation does."""
from __future__ import annotations

from pathlib import Path

import pytest

import pyrules
from pyrules.batch import batch_program, solve_batch
from pyrules.determination import Determination
from pyrules.facts import scenario_facts
from pyrules.loader import load_scenarios

QUERIES = Path(__file__).resolve().parent.parent / "queries"


def _json_files():
    return sorted(QUERIES.glob("*.json"))


def test_batch_equals_single_evaluation_for_every_bundled_scenario():
    pairs = load_scenarios(_json_files())
    assert len(pairs) >= 12
    results = solve_batch([scenario_facts(s) for _, s in pairs])
    for i, (path, s) in enumerate(pairs, start=1):
        batch = Determination.from_atoms(s, results[i], s.date).to_json()
        single = pyrules.evaluate(s).to_json()
        assert batch == single, path.name


def test_static_predicates_are_not_rewritten():
    prog = batch_program()
    # countries and the provision registry are grounded once, not per transaction
    assert 'country("DE","Germany").' in prog.replace(" ", "") or 'country("DE", "Germany").' in prog
    assert "txn(T__)" in prog


def test_batch_of_zero_transactions():
    assert solve_batch([]) == {}
