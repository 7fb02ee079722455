"""AI model weights: ECCN 4E091 (Supp. No. 1 to part 774), the worldwide licence
requirement of 15 CFR 742.6(a)(13) and its employee exclusion, and the 4E091
licensing policy of 15 CFR 742.6(b)(10)."""

from __future__ import annotations

import clingo
import pytest
from hypothesis import given, settings, strategies as st

from pyrules.engine.arithmetic import big
from pyrules.engine.control import default_engine
from pyrules.inputs.facts import scenario_facts
from pyrules.inputs.model import Scenario
from helpers import run, scenario

E26 = 10**26
E25 = 10**25
FLOOR = 25 * 10**24  # 2.5 x 10^25


def model(ops=None, published=False, derived=False, added=None, **more):
    line = {"model_weights": "Frontier-1"}
    if ops is not None:
        line["training_ops"] = str(ops)
    if published is not None:
        line["published"] = published
    if derived is not None:
        line["derived_from_published"] = derived
    if added is not None:
        line["added_training_ops"] = str(added)
    line.update(more)
    return line


def weights(line=None, hq="IN", parent_hq=None, readings=None, facts=None, **tx):
    """A 4E091 transaction: weights exported from the US to a lab in India by default."""
    ents = {"Lab": {"located": tx.pop("located", "IN"), "headquartered": hq}}
    if hq is None:
        del ents["Lab"]["headquartered"]
    if parent_hq is not None:
        ents["Lab"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    tx = {"to": "IN", "consignee": "Lab", **tx}
    s = scenario(items=[line if line is not None else model(2 * E26)], entities=ents, transaction=tx)
    s["facts"] = dict(facts or {})
    if readings:
        s["readings"] = readings
    return s


class Regime:
    """A minimal regime: replaces parameters (regime_param/2)."""

    def __init__(self, **params):
        self.params = params

    def facts(self):
        return [clingo.Function("regime_param", [clingo.Function(k), big(v)]) for k, v in self.params.items()]


def atoms(d, name):
    return {tuple(str(a) for a in s.arguments) for s in d.atoms if s.name == name}


def outside(d, item=1):
    return next(i["outside_rule"] for i in d.items if i["item"] == item)


def controlled(d):
    return any(c["eccn"] == "4E091" and c["provision"] == "worldwide_weights" for c in d.controls)


# --- 4E091: the 10^26 threshold -----------------------------------------------------------
def test_4e091_one_below_1e26_operations_is_not_controlled():
    """4E091 heading ("trained utilizing 10^26 or more operations"): 10^26 - 1 is below it."""
    d = run(weights(model(E26 - 1)))
    assert d.license_required is False
    assert outside(d) == "below_4e091_threshold"
    assert not controlled(d)


@pytest.mark.provision("eccn_4e091")
def test_4e091_exactly_1e26_operations_is_controlled():
    """4E091 heading ("10^26 or more operations") / 742.6(a)(13): exactly 10^26 is in scope."""
    d = run(weights(model(E26)))
    assert d.license_required is True
    assert controlled(d)
    assert d.items[0]["eccn"] == "4E091"


def test_4e091_1e26_plus_one_operation_is_controlled():
    """4E091 / 742.6(a)(13): 10^26 + 1 operations is above the threshold: licence required."""
    d = run(weights(model(E26 + 1)))
    assert d.license_required is True
    assert controlled(d)


def test_4e091_exactly_1e26_publication_unknown_is_indeterminate():
    """4E091 heading: at exactly 10^26 the publication status decides, so its absence is named."""
    d = run(weights(model(E26, published=None)))
    assert d.license_required is None
    assert "published(1)" in d.missing_facts


def test_4e091_below_threshold_needs_no_publication_fact():
    """4E091: a model below 10^26 operations is outside whatever its publication status."""
    d = run(weights(model(5 * E25, published=None, derived=None)))
    assert d.license_required is False
    assert not any("published" in m for m in d.missing_facts)


def test_4e091_published_weights_not_controlled():
    """4E091 note / 734.7(a): published (open) weights are never controlled, however large."""
    d = run(weights(model(10 * E26, published=True, derived=None)))
    assert d.license_required is False
    assert outside(d) == "published_weights"


def test_4e091_published_weights_need_no_training_ops():
    """4E091 note: published weights are outside without knowing the training compute."""
    d = run(weights(model(None, published=True, derived=None)))
    assert d.license_required is False


def test_4e091_declared_classification_is_taken():
    """4E091: a line the exporter classified 4E091 is treated as 4E091 (742.6(a)(13) applies)."""
    d = run(weights({"model_weights": "X", "eccn": "4E091"}))
    assert d.license_required is True and controlled(d)


# --- 4E091: models derived from published weights ---------------------------------------------
def test_4e091_derived_added_exactly_25_percent_is_not_controlled():
    """4E091 derived-model note: added training must EXCEED 25% of the total (2e26 total, 5e25 added)."""
    d = run(weights(model(2 * E26, derived=True, added=5 * E25)))
    assert d.license_required is False
    assert outside(d) == "derived_added_training_too_small"


def test_4e091_derived_added_just_over_25_percent_is_controlled():
    """4E091 derived-model note: 5e25 + 1 added of 2e26 total exceeds 25% (and 2.5e25): controlled."""
    d = run(weights(model(2 * E26, derived=True, added=5 * E25 + 1)))
    assert d.license_required is True and controlled(d)


def test_4e091_derived_higher_of_the_two_tests_governs():
    """4E091 derived-model note: 2.6e25 added exceeds 2.5e25 but not 25% of 1.2e26 (3e25): not controlled."""
    d = run(weights(model(12 * E25, derived=True, added=26 * 10**24)))
    assert d.license_required is False
    assert outside(d) == "derived_added_training_too_small"


def test_4e091_derived_floor_exactly_2_5e25_is_not_controlled():
    """4E091 derived-model note: added training of exactly 2.5e25 is not MORE than 2.5e25. The
    25% leg is the higher above 10^26, so the floor is tested under a lowered threshold (10^25)."""
    d = run(weights(model(8 * E25, derived=True, added=FLOOR)), regime=Regime(model_training_ops=E25))
    assert d.license_required is False
    assert outside(d) == "derived_added_training_too_small"


def test_4e091_derived_floor_2_5e25_plus_one_is_controlled():
    """4E091 derived-model note: 2.5e25 + 1 added (of 8e25 total, 25% = 2e25) exceeds both tests."""
    d = run(weights(model(8 * E25, derived=True, added=FLOOR + 1)), regime=Regime(model_training_ops=E25))
    assert d.license_required is True and controlled(d)


def test_4e091_original_model_controlled_without_added_ops():
    """4E091: a closed model not derived from published weights needs no added-training figure."""
    d = run(weights(model(2 * E26, derived=False)))
    assert d.license_required is True
    assert "added_training_ops(1)" not in d.missing_facts


@settings(max_examples=40, deadline=None)
@given(total=st.integers(min_value=E26 - 10**20, max_value=10**28), share=st.integers(min_value=0, max_value=10**6))
def test_4e091_derived_rule_matches_exact_arithmetic(total, share):
    """4E091 derived-model note, property: controlled iff total >= 10^26 and added > max(2.5e25, 25% total)."""
    added = total * share // 10**6
    d = run(weights(model(total, derived=True, added=added)))
    expect = total >= E26 and added > FLOOR and 100 * added > 25 * total
    assert d.license_required is expect


@settings(max_examples=40, deadline=None)
@given(ops=st.integers(min_value=0, max_value=10**29))
def test_4e091_threshold_property(ops):
    """4E091, property: a closed original model is controlled exactly when ops >= 10^26."""
    d = run(weights(model(ops)))
    assert d.license_required is (ops >= E26)


def test_4e091_huge_figures_do_not_overflow():
    """4E091 derived-model note: figures near the 10^30 limit are compared exactly."""
    top = 10**30 - 1
    d = run(weights(model(top, derived=True, added=top // 4 + 1)))
    assert d.license_required is True
    d = run(weights(model(top, derived=True, added=top // 4)))
    assert d.license_required is False


# --- 4E091: the published-model frontier --------------------------------------------------------
def test_4e091_below_open_weight_frontier_not_controlled():
    """4E091 note: a model trained with fewer operations than the most capable published model
    is not controlled (frontier raised by a regime to 3e26)."""
    d = run(weights(model(2 * E26)), regime=Regime(open_weight_frontier_ops=3 * E26))
    assert d.license_required is False
    assert outside(d) == "below_open_weight_frontier"


def test_4e091_at_open_weight_frontier_is_controlled():
    """4E091 note: exactly the frontier's operations is not 'fewer': controlled."""
    d = run(weights(model(3 * E26)), regime=Regime(open_weight_frontier_ops=3 * E26))
    assert d.license_required is True


def test_4e091_default_frontier_is_dated_and_below_threshold():
    """4E091 note: the frontier is a dated parameter (3.8e25 from 2025-01-13) and absent before it."""
    eng = default_engine()
    s = Scenario.from_dict(weights(model(2 * E26)))
    got = eng.answer(scenario_facts(s), shown_only=False)
    fr = [a for a in got if a.name == "frontier_ops"]
    assert [str(a) for a in fr] == ["frontier_ops(n(38,0,0,0,0))"]
    early = eng.answer(scenario_facts(s, as_of="2024-12-01"), shown_only=False)
    assert not [a for a in early if a.name == "frontier_ops"]


# --- missing facts ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, missing",
    [
        (model(None), "training_ops(1)"),
        (model(2 * E26, published=None), "published(1)"),
        (model(2 * E26, derived=None), "derived_from_published(1)"),
        (model(2 * E26, derived=True), "added_training_ops(1)"),
    ],
)
def test_4e091_missing_fact_is_indeterminate(line, missing):
    """4E091: a fact the classification needs is missing: indeterminate, the fact named."""
    d = run(weights(line))
    assert d.license_required is None
    assert missing in d.missing_facts


# --- 742.6(a)(13): worldwide licence requirement -------------------------------------------------
@pytest.mark.parametrize("action", ["export", "reexport", "in_country_transfer", "deemed_export", "deemed_reexport"])
@pytest.mark.parametrize("to", ["DE", "IN", "CN", "JP"])
@pytest.mark.provision("worldwide_weights")
def test_742_6_a_13_licence_required_every_action_and_destination(action, to):
    """742.6(a)(13): 4E091 weights need a licence for export, reexport, in-country transfer and
    deemed export/reexport, to every destination (Tier 1 included)."""
    src = "US" if action in ("export", "deemed_export") else to
    d = run(
        weights(
            model(2 * E26, foreign_produced=False),
            action=action,
            to=to,
            **{"from": src},
            facts={"recipient_permanent_regular_employee": False},
        )
    )
    assert d.license_required is True
    assert controlled(d)


@pytest.mark.provision("weights_employee_exclusion")
def test_742_6_a_13_employee_exclusion_tier1_employer():
    """742.6(a)(13) exclusion: deemed export to a permanent regular employee of a US-headquartered
    entity needs no licence."""
    d = run(
        weights(
            action="deemed_export", hq="US", located="US", to="US", facts={"recipient_permanent_regular_employee": True}
        )
    )
    assert d.license_required is False
    assert outside(d) == "weights_employee_exclusion"


def test_742_6_a_13_employee_exclusion_deemed_reexport_tier1_parent():
    """742.6(a)(13) exclusion: deemed reexport to an employee of an entity whose ultimate parent is
    headquartered in Tier 1 (JP) needs no licence under the reading 'either'; under the
    default 'both' the employer itself (IN) must be Tier 1-headquartered too."""
    base = dict(
        action="deemed_reexport",
        hq="IN",
        parent_hq="JP",
        facts={"recipient_permanent_regular_employee": True},
        **{"from": "IN"},
    )
    d = run(weights(model(2 * E26, foreign_produced=False), readings={"employee_exclusion_hq": "either"}, **base))
    assert d.license_required is False
    d = run(weights(model(2 * E26, foreign_produced=False), **base))
    assert d.license_required is True


def test_742_6_a_13_employee_exclusion_not_for_non_tier1_employer():
    """742.6(a)(13) exclusion: the employer and its parent headquartered in India: licence required."""
    d = run(weights(action="deemed_export", hq="IN", facts={"recipient_permanent_regular_employee": True}))
    assert d.license_required is True


@pytest.mark.provision("weights_employee_exclusion")
def test_742_6_a_13_employee_exclusion_not_for_non_employee():
    """742.6(a)(13) exclusion: a recipient who is not a permanent regular employee: licence required."""
    d = run(
        weights(
            action="deemed_export",
            hq="US",
            located="US",
            to="US",
            facts={"recipient_permanent_regular_employee": False},
        )
    )
    assert d.license_required is True


def test_742_6_a_13_employee_exclusion_not_for_physical_export():
    """742.6(a)(13) exclusion: covers deemed exports and reexports only, not an export."""
    d = run(weights(action="export", hq="US", to="DE", facts={"recipient_permanent_regular_employee": True}))
    assert d.license_required is True


def test_742_6_a_13_employee_fact_missing_is_indeterminate():
    """742.6(a)(13) exclusion: a deemed export to a Tier 1 entity with the employee fact unknown."""
    d = run(weights(action="deemed_export", hq="US", to="US"))
    assert d.license_required is None
    assert "recipient_permanent_regular_employee" in d.missing_facts


def test_742_6_a_13_employee_exclusion_reading_either_or_both():
    """742.6(a)(13) exclusion, reading employee_exclusion_hq: employer in DE, ultimate parent in CN.
    'either' (the 'or' of the text) excludes; 'both' (the default, in line with the weights
    policy and AIA) requires a licence; the output says the reading decides."""
    base = dict(
        action="deemed_export",
        hq="DE",
        parent_hq="CN",
        located="DE",
        to="DE",
        facts={"recipient_permanent_regular_employee": True},
    )
    d = run(weights(readings={"employee_exclusion_hq": "either"}, **base))
    assert d.license_required is False
    assert "employee_exclusion_hq" in d.readings_that_matter
    d = run(weights(**base))
    assert d.license_required is True
    assert d.readings["employee_exclusion_hq"] == "both"


# --- 742.6(b)(10): licensing policy for 4E091 -----------------------------------------------------
@pytest.mark.provision("policy_weights")
def test_742_6_b_10_weights_denial_non_tier1_headquarters():
    """742.6(b)(10): 4E091 to an entity headquartered outside Tier 1: presumption of denial."""
    d = run(weights(hq="IN"))
    assert d.licensing_policy == "presumption_of_denial"
    assert d.policy_citation == "15 CFR 742.6(b)(10)"


@pytest.mark.provision("policy_weights")
def test_742_6_b_10_weights_denial_non_tier1_parent():
    """742.6(b)(10): entity headquartered in Tier 1 (DE) but ultimate parent in Tier 2 (AE): denial."""
    d = run(weights(hq="DE", located="DE", to="DE", parent_hq="AE"))
    assert d.licensing_policy == "presumption_of_denial"


def test_742_6_b_10_weights_no_policy_stated_for_tier1_entities():
    """742.6(b)(10): entity and parent headquartered in Tier 1: the rule states no policy; none is
    given and a finding says so."""
    d = run(weights(hq="FR", located="FR", to="FR", parent_hq="US"))
    assert d.license_required is True
    assert d.licensing_policy is None
    assert ("no_policy_stated", "policy_weights") in {f[:2] for f in atoms(d, "finding")}
    assert any(n["id"] == "weights_no_policy_stated" for n in d.notes)


def test_742_6_b_10_weights_policy_missing_headquarters():
    """742.6(b)(10): the consignee's headquarters unknown: no policy, the fact is named."""
    d = run(weights(hq=None))
    assert d.licensing_policy is None
    assert "headquartered(Lab)" in d.missing_facts


def test_742_6_b_10_weights_policy_does_not_overlap_chip_policy():
    """742.6(b)(10): chips and weights in one shipment to DE for an India-headquartered lab: the
    chip policy (approval, Tier 1 destination) and the weights denial are not an 'overlap'."""
    s = weights(hq="IN", located="DE", to="DE")
    s["items"].append({"chip": "H100-SXM", "quantity": 10})
    d = run(s)
    assert d.overlaps == []
    assert d.licensing_policy == "presumption_of_approval"
    assert ("presumption_of_denial", "policy_weights") in atoms(d, "weights_policy")
    assert any(n["id"] == "weights_policy_separate" for n in d.notes)


def test_742_6_a_13_weights_requirement_not_before_rule():
    """742.6(a)(13): 4E091 was made by the IFR (2025-01-13). On 2024-12-31 the earlier
    controls govern, and they do not reach model weights: no licence, no missing date.
    Before 2023-11-17 nothing is encoded: no answer."""
    d = run(weights(), as_of="2024-12-31")
    assert d.license_required is False and d.missing_facts == []
    assert run(weights(), as_of="2023-11-16").license_required is None


# --- issue 10: the frontier as a dated parameter a regime names ---------------------------------
def _frontier_regime(ops, from_date=None):
    from pyrules.modes.regime import Regime as FileRegime

    raw = {"regime": "frontier moved", "params": {"open_weight_frontier_ops": str(ops)}}
    if from_date:
        raw["dates"] = {"open_weight_frontier_from": from_date}
    return FileRegime.from_dict(raw)


def test_4e091_note_frontier_regime_file_may_name_the_parameter():
    """Note to 4E091 (published-model frontier): a regime file naming open_weight_frontier_ops is
    accepted (it was refused) and raises the frontier above a 2e26 model: not controlled."""
    d = run(weights(model(2 * E26)), regime=_frontier_regime(3 * E26))
    assert d.license_required is False
    assert outside(d) == "below_open_weight_frontier"


def test_4e091_note_frontier_regime_applies_from_its_date_day_before_and_of():
    """Note to 4E091: a regime's frontier dated 2026-01-01 applies from that day; the day before,
    the dated default (3.8e25) still applies, so a 2e26 model is controlled."""
    reg = _frontier_regime(3 * E26, "2026-01-01")
    before = run(weights(model(2 * E26)) | {"date": "2025-12-31"}, regime=reg)
    on = run(weights(model(2 * E26)) | {"date": "2026-01-01"}, regime=reg)
    assert before.license_required is True
    assert on.license_required is False


# --- issue 10: Technical Note 3 to 4E091 (synthetic data) ---------------------------------------
@pytest.mark.parametrize("share, expect", [(10, False), (11, True)])
@pytest.mark.provision("eccn_4e091_synthetic")
def test_4e091_tn3_generator_counts_above_10_percent(share, expect):
    """4E091 Technical Note 3: a 6e25 model with 10% of its training on a 1e26 generator's
    unpublished synthetic data stays below 10^26; at 11% the generator's operations count (1.6e26)."""
    d = run(weights(model(6 * E25, synthetic_data_share_percent=share, synthetic_generator_ops=str(E26))))
    assert d.license_required is expect
    if expect:
        assert any(n["id"] == "synthetic_generator_counted(1)" for n in d.notes)


def test_4e091_tn3_generator_ops_missing_named_when_it_matters():
    """4E091 Technical Note 3: share above 10% but the generator's operations unknown, and the
    model's own 6e25 does not settle it: indeterminate, the field named."""
    d = run(weights(model(6 * E25, synthetic_data_share_percent=50)))
    assert d.license_required is None
    assert "synthetic_generator_ops(1)" in d.missing_facts


def test_4e091_tn3_not_asked_when_own_training_settles():
    """4E091 Technical Note 3: a 2e26 original model is controlled whatever a generator adds."""
    d = run(weights(model(2 * E26, synthetic_data_share_percent=50)))
    assert d.license_required is True
    assert "synthetic_generator_ops(1)" not in d.missing_facts


def test_4e091_tn3_share_missing_with_generator_named():
    """4E091 Technical Note 3: a generator's operations without its share: the share is named."""
    d = run(weights(model(6 * E25, synthetic_generator_ops=str(E26))))
    assert d.license_required is None
    assert "synthetic_data_share_percent(1)" in d.missing_facts


def test_4e091_tn3_note_when_no_synthetic_data_stated():
    """4E091 Technical Note 3 is never weighed silently: below the threshold, a note says none was stated."""
    d = run(weights(model(6 * E25)))
    assert any(n["id"] == "synthetic_data_not_stated(1)" for n in d.notes)


# --- issue 10: the derived-model 25% base (reading derived_share_base) ------------------------
def test_4e091_derived_share_base_reading_decides():
    """4E091 derived-model note: 2.7e25 added to a 1.2e26 total is not more than 25% of the total
    (3e25) but is more than 25% of the published model's 9.3e25 (2.325e25): the reading decides."""
    line = model(12 * E25, derived=True, added=27 * 10**24)
    d = run(weights(line))
    assert d.license_required is False and "derived_share_base" in d.readings_that_matter
    d = run(weights(line, readings={"derived_share_base": "published_model"}))
    assert d.license_required is True


@pytest.mark.parametrize("added, expect", [(20 * E25, False), (20 * E25 + 1, True)])
def test_4e091_derived_share_base_published_model_boundary(added, expect):
    """4E091 derived-model note, reading published_model: added > 25% of (total - added), i.e.
    125 x added > 25 x total; total 1e27: exactly 2e26 added is not more, 2e26 + 1 is."""
    d = run(weights(model(10 * E26, derived=True, added=added), readings={"derived_share_base": "published_model"}))
    assert d.license_required is expect


# --- issue 10: where the employee may be (reading employee_exclusion_place) --------------------
def _employee_release(action="deemed_reexport", located=None, readings=None):
    facts = {"recipient_permanent_regular_employee": True}
    if located:
        facts["employee_located"] = located
    return weights(action=action, hq="DE", located="DE", to="DE", facts=facts, readings=readings)


def test_742_6_a_13_employee_place_default_applies_anywhere_with_note():
    """742.6(a)(13) exclusion, default reading any_place: a DE employer's employee in China is
    excluded, and a note says the text on the place was not found."""
    d = run(_employee_release(located="CN"))
    assert d.license_required is False
    assert any(n["id"] == "employee_place_not_found" for n in d.notes)
    assert "employee_exclusion_place" in d.readings_that_matter


@pytest.mark.parametrize("located, excluded", [("CN", False), ("MO", False), ("IN", True), ("DE", True)])
def test_742_6_a_13_employee_place_outside_tier3_reading(located, excluded):
    """742.6(a)(13) exclusion, reading outside_tier3: an employee located in Tier 3 (CN, MO) is not
    excluded (licence required); in Tier 2 or Tier 1 the exclusion applies."""
    d = run(_employee_release(located=located, readings={"employee_exclusion_place": "outside_tier3"}))
    assert d.license_required is (not excluded)


def test_742_6_a_13_employee_place_unknown_named_under_outside_tier3():
    """742.6(a)(13), reading outside_tier3: a deemed reexport with the employee's place unknown:
    indeterminate, employee_located named; a deemed export is a release in the US (734.13(b))."""
    d = run(_employee_release(readings={"employee_exclusion_place": "outside_tier3"}))
    assert d.license_required is None and "employee_located" in d.missing_facts
    d = run(_employee_release(action="deemed_export", readings={"employee_exclusion_place": "outside_tier3"}))
    assert d.license_required is False


# --- moved from test_reliability.py: ECCN 4E091 threshold of 10^26 operations written as a bare JSON number ---
import json  # noqa: E402

from helpers import cli_run, write_file as write  # noqa: E402


@pytest.mark.provision("eccn_4e091")
def test_4e091_bare_json_1e26_reads_as_the_string_1e26(tmp_path):
    """ECCN 4E091 (10^26 operations): a bare JSON 1e26 is exactly 10^26 and decides as the
    string "1e26" does (it was read as the float 1.00000000000000004e26, above 10^26, so
    the weights counted as controlled while the string did not); a bare number just
    below or just above 10^26 (equal to 10^26 as a binary float) stays below or above."""
    got = {}
    for ops in ("1e26", "99999999999999999e9", "1.0000000000000001e26", "10^26"):
        for bare in (True, False):
            s = scenario(
                items=[{"model_weights": "M", "training_ops": ops, "published": False, "derived_from_published": False}]
            )
            text = json.dumps(s)
            if bare and "^" not in ops:
                text = text.replace(f'"{ops}"', ops)
            rc, out, err = cli_run("ask", "--json", write(tmp_path, "m.json", text))
            assert rc == 0, err
            got[(ops, bare)] = [c["eccn"] for c in json.loads(out)["controls"]]
    assert got[("1e26", True)] == got[("1e26", False)] == got[("10^26", False)]
    assert got[("99999999999999999e9", True)] == got[("99999999999999999e9", False)] == []
    assert got[("1.0000000000000001e26", True)] == got[("1.0000000000000001e26", False)] == ["4E091"]
