"""The batch rewriting of the KB (pyrules/batch.py) decides each transaction
exactly as a single evaluation does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pyrules
from pyrules.engine.batch import batch_program, solve_batch
from pyrules.output.determination import Determination
from pyrules.inputs.facts import scenario_terms
from pyrules.inputs.loader import load_scenarios

QUERIES = Path(__file__).resolve().parent.parent / "queries"


def _json_files():
    return sorted(QUERIES.glob("*.json"))


def test_batch_equals_single_evaluation_for_every_bundled_scenario():
    pairs = load_scenarios(_json_files())
    assert len(pairs) >= 12
    results = solve_batch([scenario_terms(s) for _, s in pairs])
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


# Dates around the rule's key dates: before it took effect, before compliance was
# required, after, after the AIA security date, past the NVEU allocation table.
MIXED_DATES = ["2025-01-10", "2025-03-01", "2025-06-01", "2025-11-30", "2026-02-01", "2028-03-15"]


def _mixed_batch():
    """Every bundled JSON scenario several times over: on other dates, with no date,
    and with other readings chosen (one topic, or all of them), so that transactions
    share a date-and-readings context with some rows and not with others."""
    import json
    from pyrules.inputs import schema
    from pyrules.inputs.model import Scenario

    topics = sorted(schema.READINGS)
    out = []
    for n, path in enumerate(_json_files()):
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw.pop("questions", None)
        variants = [dict(raw)]
        v = dict(raw, date=MIXED_DATES[n % len(MIXED_DATES)])
        variants.append(v)
        v = dict(raw)
        v.pop("date", None)  # no date: as_of/1 is absent
        variants.append(v)
        topic = topics[n % len(topics)]
        choices = schema.READINGS[topic]
        v = dict(
            raw,
            readings={topic: choices[(n // len(topics)) % len(choices)]},
            date=MIXED_DATES[(n + 2) % len(MIXED_DATES)],
        )
        variants.append(v)
        if n % 5 == 0:  # every topic chosen, the non-default choice
            v = dict(raw, readings={t: schema.READINGS[t][-1] for t in topics})
            if n % 10 == 0:
                v.pop("date", None)
            variants.append(v)
        for k, v in enumerate(variants):
            out.append((f"{path.name}#{k}", Scenario.from_dict(v)))
    return out


def test_batch_mixing_dates_no_date_and_readings_equals_single_evaluations():
    pairs = _mixed_batch()
    assert len({s.date for _, s in pairs}) >= len(MIXED_DATES) + 1
    assert any(s.date is None for _, s in pairs)
    assert any(s.data.get("readings") for _, s in pairs)
    results = solve_batch([scenario_terms(s) for _, s in pairs])
    for i, (name, s) in enumerate(pairs, start=1):
        batch = Determination.from_atoms(s, results[i], s.date).to_json()
        single = pyrules.evaluate(s).to_json()
        assert batch == single, name


def test_date_and_reading_predicates_are_grounded_per_context():
    from pyrules.engine.batch import _context

    context, inputs = _context("")
    assert inputs == {
        ("as_of", 1),
        ("chosen_reading", 2),
        ("action", 1),
        ("ship_from", 1),
        ("via_distributor", 1),
        ("view", 1),
    }  # view/1: as written or as enforced (kb/earlier_controls.lp)
    for sig in [("in_force", 1), ("rule_status", 3), ("compliance_required", 0), ("before_rule", 0), ("reading", 2)]:
        assert sig in context, sig
    # depends on more of the transaction than its date and readings
    assert ("licence_required", 1) not in context and ("missing_fact", 1) not in context
    prog = batch_program().replace(", ", ",")
    # the context variable is bound by the context's date: no ctx__ guard needed
    assert "in_force__c(K__,P) :- provision(P,_,_,From,To); as_of__c(K__,D);" in prog


def test_only_rules_without_a_binding_literal_are_guarded():
    """A rule is guarded by txn/1 only when no positive literal of the body binds the
    transaction (e.g. its transaction atoms are all negated)."""
    prog = batch_program().replace(", ", ",")
    rules = [line for line in prog.splitlines() if ":-" in line and not line.startswith("%")]
    guarded = [r for r in rules if ":- txn(T__);" in r]
    assert "undecided(T__,uveu,uveu_listed,consignee) :- txn(T__); not consignee(T__,_)." in guarded
    # a context input is read through the context: in_united_states is grounded per context
    assert 'in_united_states__c(K__) :- ship_from__c(K__,"US").' in rules
    for r in guarded:
        body = r.split(":- txn(T__);", 1)[1]
        positives = [
            lit
            for lit in body.rstrip(".").split(";")
            if "T__" in lit and "not " not in lit and "#" not in lit and ":" not in lit and "txn_ctx__" not in lit
        ]
        assert not positives, r


def test_a_derived_date_is_not_a_context_input():
    """A mode that derives as_of/1 (e.g. a what-if on the date) gets no date contexts."""
    from pyrules.engine.batch import _context

    context, inputs = _context("as_of(D) :- fact(judge_on, D).")
    assert ("as_of", 1) not in inputs and ("in_force", 1) not in context
    assert ("reading", 2) in context


def test_rewritten_ledger_program_is_kept_on_disk_and_a_bad_cache_file_is_ignored(tmp_path, monkeypatch):
    """The staged rewrite (most of a second) is cached on disk under a key of everything it
    depends on; reading it back gives the same program, and a damaged file is recomputed."""
    from pyrules.engine import batch
    from pyrules.modes import ledger

    monkeypatch.setenv("PYRULES_CACHE_DIR", str(tmp_path))
    batch.staged_program.cache_clear()
    try:
        fresh = ledger._staged(False)
        (file,) = tmp_path.glob("staged-*.json")
        batch.staged_program.cache_clear()
        assert ledger._staged(False) == fresh  # read back from disk
        file.write_text("{not json", encoding="utf-8")
        batch.staged_program.cache_clear()
        assert ledger._staged(False) == fresh  # recomputed
        batch.staged_program.cache_clear()
        assert ledger._staged(True) != fresh  # screening: another program, another file
        assert len(list(tmp_path.glob("staged-*.json"))) == 2
        # only the newest CACHE_KEEP files are kept
        for i in range(batch.CACHE_KEEP + 3):
            (tmp_path / f"staged-old{i}.json").write_text("{}", encoding="utf-8")
            os.utime(tmp_path / f"staged-old{i}.json", (1000 + i, 1000 + i))
        batch.staged_program.cache_clear()
        file.unlink()
        ledger._staged(False)
        kept = list(tmp_path.glob("staged-*.json"))
        assert len(kept) == batch.CACHE_KEEP and file in kept
    finally:
        batch.staged_program.cache_clear()


def test_evaluate_many_equals_evaluate_for_every_bundled_scenario_in_input_order():
    """pyrules.evaluate_many (the public batch call) gives, scenario by scenario and in
    input order, exactly what pyrules.evaluate gives; across several clingo controls
    (batch_size 7) and from a generator of plain dicts."""
    import json

    raws = []
    for path in _json_files():
        raw = json.loads(path.read_text(encoding="utf-8"))
        raw.pop("questions", None)
        raws.append(raw)
    raws = raws[::-1]  # not the order of the files
    many = list(pyrules.evaluate_many((r for r in raws), batch_size=7))
    assert len(many) == len(raws)
    for raw, d in zip(raws, many):
        assert d.to_json() == pyrules.evaluate(raw).to_json(), raw.get("scenario")


def test_evaluate_many_with_a_date_and_a_regime_equals_evaluate():
    from pyrules.modes.regime import Regime

    pairs = load_scenarios(_json_files())[:20]
    regime = Regime.load(sorted((QUERIES.parent / "regimes").glob("*.json"))[0])
    scen = [s for _, s in pairs]
    many = list(pyrules.evaluate_many(scen, as_of="2026-02-01", regime=regime))
    for s, d in zip(scen, many):
        assert d.to_json() == pyrules.evaluate(s, as_of="2026-02-01", regime=regime).to_json(), s.name


def test_evaluate_many_of_nothing_and_a_bad_scenario():
    assert list(pyrules.evaluate_many([])) == []
    with pytest.raises(pyrules.InputError):
        list(pyrules.evaluate_many([{"scenario": "bad", "date": "2025-13-01"}]))


def test_count_answer_sets_of_a_batch_is_one_only_when_each_transaction_has_one():
    """pyrules check counts the answer sets of its samples as one batch (a batch has exactly
    one answer set exactly when each of its transactions has): none when one transaction
    has none, several when one has several."""
    from pyrules.engine.batch import count_answer_sets

    pairs = load_scenarios(_json_files())[:5]
    facts = [scenario_terms(s) for _, s in pairs]
    assert count_answer_sets(facts) == 1
    assert count_answer_sets(facts, extra_program=':- consignee("AcmeCloud").') in (0, 1)
    named = [i for i, (_, s) in enumerate(pairs) if s.data["transaction"].get("consignee")]
    c = pairs[named[0]][1].data["transaction"]["consignee"]
    assert count_answer_sets(facts, extra_program=f':- consignee("{c}").') == 0
    assert count_answer_sets(facts, extra_program=f'{{ pick__ }} :- consignee("{c}").') == 2
    assert count_answer_sets([]) == 1


def test_single_evaluation_grounding_only_the_applicable_rules_gives_the_same_answers():
    """Engine leaves out the rules that cannot apply to the inputs present (a positive
    body literal of a predicate nothing can give); every bundled scenario, with its
    readings switched and under a regime, has exactly the answer set of the whole KB."""
    from pyrules.engine.control import Engine
    from pyrules.inputs.facts import scenario_facts
    from pyrules.modes.regime import Regime

    eng = Engine()
    regime = Regime.load(sorted((QUERIES.parent / "regimes").glob("*.json"))[0])
    pruned_some = False
    for _, s in _mixed_batch()[::3]:
        for extra in ([], regime.facts()):
            facts = scenario_facts(s) + extra
            kept = eng._for_inputs(frozenset((f.name, len(f.arguments)) for f in facts))
            pruned_some |= len(kept) < len(eng._statements)
            got = eng.models(facts, shown_only=False)
            whole = eng.models(facts, extra_program="% nothing", shown_only=False)  # no pruning
            assert len(got) == len(whole) == 1
            assert set(got[0]) == set(whole[0]), s.name
    assert pruned_some
