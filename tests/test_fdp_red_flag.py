"""Subject to the EAR (15 CFR 734.3), the foreign direct product rules 15 CFR 734.9(h)
(advanced computing, expanded) and 734.9(l) (AI model weights), and red flag 28
(15 CFR part 732, Supp. No. 3, para 28)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clingo import Function, Number, String

import pyrules
from pyrules.engine.control import default_engine
from helpers import run, scenario

E26 = 10**26
QUERIES = Path(__file__).resolve().parent.parent / "queries"


def atoms(d, name):
    return {tuple(str(a) for a in s.arguments) for s in d.atoms if s.name == name}


def fdp_rules(d):
    return {(f["rule"], f["citation"]) for f in d.foreign_direct_product}


def chip_reexport(frm="TW", to="IN", chip="H100-SXM", **line):
    """3A090.a chips moving from a foreign country to an Indian company."""
    return scenario(
        items=[{"chip": chip, "quantity": 10, **line}],
        action="reexport",
        to=to,
        consignee="Buyer",
        entities={"Buyer": {"located": to, "headquartered": to}},
        **{"from": frm},
    )


def weights_reexport(frm="GB", **line):
    ln = {"model_weights": "M", "training_ops": "2e26", "published": False, "derived_from_published": False, **line}
    return scenario(
        items=[ln],
        action="reexport",
        to="IN",
        entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
        **{"from": frm},
    )


# --- 734.3: subject to the EAR -----------------------------------------------------------------
@pytest.mark.provision("ear_scope")
def test_734_3_a_1_item_in_united_states_subject_without_origin_fact():
    """734.3(a)(1): an item shipped from the US is subject to the EAR whatever its origin."""
    d = run(scenario())
    assert d.license_required is True
    assert ("1",) in atoms(d, "subject_to_ear")


def test_734_3_a_1_foreign_made_chip_in_us_is_subject():
    """734.3(a)(1): a foreign-produced chip exported from the US is subject (no FDP needed)."""
    d = run(scenario(items=[{"chip": "H100-SXM", "quantity": 10, "foreign_produced": True}]))
    assert d.license_required is True
    assert d.foreign_direct_product == []


def test_734_3_origin_unknown_abroad_is_indeterminate():
    """734.3: a reexport from Taiwan of chips not designed in the U.S. (Gaudi 3), origin unknown:
    indeterminate, origin named."""
    d = run(chip_reexport(chip="Gaudi3"))
    assert d.license_required is None
    assert "foreign_produced(1)" in d.missing_facts


@pytest.mark.parametrize("origin", [None, False, True])
def test_734_3_and_734_9_h_h100_reexported_from_mexico_subject_whatever_its_origin(origin):
    """734.3(a)(2) / 734.9(h): an H100 reexported from Mexico is subject to the EAR whether
    U.S.-origin or a foreign-made direct product of U.S. technology: no question about origin."""
    line = {} if origin is None else {"foreign_produced": origin}
    d = run(chip_reexport(frm="MX", **line))
    assert d.license_required is True
    assert "foreign_produced(1)" not in d.missing_facts
    assert not [m for m in d.missing_facts if m.startswith(("us_technology", "us_content"))]


@pytest.mark.provision("ear_scope")
def test_734_3_a_2_us_origin_chip_abroad_is_subject():
    """734.3(a)(2) with 742.6(a)(6)(iii): U.S.-origin chips reexported from Taiwan need a licence."""
    d = run(chip_reexport(foreign_produced=False))
    assert d.license_required is True


# --- 734.4: de minimis U.S. content -------------------------------------------------------------
NO_FDP = {"foreign_produced": True, "us_technology_direct_product": False, "us_technology_plant_product": False}


def test_734_4_foreign_chip_outside_fdp_with_us_content_unknown_is_indeterminate():
    """734.4: a foreign-made chip outside the FDP rules is never 'not subject' by default:
    whether it has controlled U.S. content is named missing; given it, the percentage is."""
    d = run(chip_reexport(**NO_FDP))
    assert d.license_required is None and "us_content(1)" in d.missing_facts
    d = run(chip_reexport(**NO_FDP, us_content=True))
    assert d.license_required is None and "us_controlled_content_percent(1)" in d.missing_facts


@pytest.mark.parametrize(
    "to, pct, subject",
    [
        ("IN", 25, False),
        ("IN", 26, True),  # 734.4(d): 25% or less is de minimis
        ("IR", 10, False),
        ("IR", 11, True),  # 734.4(c): E:1 destination, 10%
        ("CU", 10, False),
        ("CU", 11, True),  # 734.4(c): E:2 destination, 10%
        ("CN", 11, False),  # China is in neither E:1 nor E:2: 25%
    ],
)
@pytest.mark.provision("de_minimis")
def test_734_4_de_minimis_levels_at_their_boundaries(to, pct, subject):
    """734.4(c), (d): a foreign-made chip outside the FDP rules is subject to the EAR when its
    controlled U.S. content is above 10% (E:1, E:2 destinations) or 25% (elsewhere)."""
    d = run(chip_reexport(to=to, **NO_FDP, us_content=True, us_controlled_content_percent=pct))
    assert d.license_required is subject
    if subject:
        assert any(n["id"] == "de_minimis_exceeded(1)" for n in d.notes)
    else:
        assert d.items[0]["outside_rule"] == "not_subject_to_ear"
        assert "15 CFR 734.4" in d.items[0]["outside_citations"]


def test_734_4_destination_unknown_between_the_levels_names_the_destination():
    """734.4(c)/(d): 15% of U.S. content is decided only once the destination is known; 26% is
    subject to the EAR whatever the destination."""
    s = chip_reexport(**NO_FDP, us_content=True, us_controlled_content_percent=15)
    del s["transaction"]["to"]
    assert "ship_to" in run(s).missing_facts
    s = chip_reexport(**NO_FDP, us_content=True, us_controlled_content_percent=26)
    del s["transaction"]["to"]
    assert ("1",) in atoms(run(s), "subject_to_ear")


# --- 734.9(h): advanced computing FDP rule -----------------------------------------------------
@pytest.mark.provision("fdp_advanced_computing")
def test_734_9_h_foreign_chip_direct_product_of_us_technology_subject():
    """734.9(h): a foreign-made 3A090.a chip that is a direct product of U.S. technology, destined
    anywhere, is subject to the EAR, so 742.6(a)(6)(iii) applies."""
    d = run(chip_reexport(foreign_produced=True, us_technology_direct_product=True))
    assert ("advanced_computing_worldwide", "15 CFR 734.9(h)") in fdp_rules(d)
    assert d.license_required is True


def test_734_9_h_foreign_chip_product_of_us_technology_plant_subject():
    """734.9(h): a chip made by a plant that is a direct product of U.S. technology, to a Tier 1
    destination (the expanded scope reaches every destination)."""
    d = run(
        chip_reexport(
            to="DE", foreign_produced=True, us_technology_direct_product=False, us_technology_plant_product=True
        )
    )
    assert ("advanced_computing_worldwide", "15 CFR 734.9(h)") in fdp_rules(d)
    assert d.license_required is True


@pytest.mark.provision("fdp_advanced_computing")
def test_734_9_h_foreign_chip_without_us_technology_not_subject():
    """734.9(h): a foreign-made chip with no U.S. technology or plant behind it is outside the
    FDP rule, not subject to the EAR: no licence under this rule."""
    d = run(
        chip_reexport(
            foreign_produced=True,
            us_technology_direct_product=False,
            us_technology_plant_product=False,
            us_content=False,
        )
    )
    assert d.foreign_direct_product == []
    assert d.license_required is False
    assert d.items[0]["outside_rule"] == "not_subject_to_ear"
    assert d.items[0]["outside_citations"] == ["15 CFR 734.3", "15 CFR 734.4"]


def test_734_9_h_product_scope_unknown_is_indeterminate():
    """734.9(h): a foreign-made chip whose U.S.-technology origin is unknown: indeterminate."""
    d = run(chip_reexport(chip="Gaudi3", foreign_produced=True))
    assert d.license_required is None
    assert "us_technology_direct_product(1)" in d.missing_facts


def _tech_line(developer_hq, parent_hq=None, us_tech=True):
    """Raw facts: technology for producing an IC wafer or die, made in Taiwan (the scenario model
    has no technology line type, so the facts are given directly)."""
    I = Number(1)
    f = [
        Function("as_of", [Number(20250601)]),
        Function("action", [Function("export")]),
        Function("ship_from", [String("TW")]),
        Function("ship_to", [String("CN")]),
        Function("item", [I]),
        Function("item_fact", [I, Function("foreign_produced"), Function("true")]),
        Function("item_fact", [I, Function("mask_or_die_technology"), Function("true")]),
        Function("item_fact", [I, Function("us_technology_direct_product"), Function("true" if us_tech else "false")]),
        Function("item_fact", [I, Function("us_technology_plant_product"), Function("false")]),
        Function("item_fact", [I, Function("developer"), String("Dev")]),
        Function("entity", [String("Dev")]),
        Function("headquartered", [String("Dev"), String(developer_hq)]),
    ]
    if parent_hq:
        f += [
            Function("parent", [String("Dev"), String("Top")]),
            Function("headquartered", [String("Top"), String(parent_hq)]),
        ]
    got = default_engine().answer(f)
    return {tuple(str(x) for x in a.arguments) for a in got if a.name == "fdp_applies"}


def test_734_9_h_technology_developed_by_tier3_entity_subject():
    """734.9(h) second prong: mask or wafer/die technology developed by a China-headquartered entity."""
    assert ("1", "advanced_computing_tier3_technology", "fdp_advanced_computing") in _tech_line("CN")


def test_734_9_h_technology_developed_by_entity_with_tier3_parent_subject():
    """734.9(h) second prong: developer in Singapore whose ultimate parent is headquartered in China."""
    assert _tech_line("SG", parent_hq="CN")


def test_734_9_h_technology_developed_outside_tier3_not_subject():
    """734.9(h) second prong: developer and parent headquartered in Japan: the prong does not apply."""
    assert not _tech_line("JP", parent_hq="JP")


def test_734_9_h_technology_without_us_technology_not_subject():
    """734.9(h): product scope not met (no U.S. technology): no FDP even for a Tier 3 developer."""
    assert not _tech_line("CN", us_tech=False)


# --- 734.9(l): AI model weights FDP rule -------------------------------------------------------
@pytest.mark.provision("fdp_model_weights")
def test_734_9_l_foreign_weights_trained_on_ear_chips_subject():
    """734.9(l): foreign-produced 4E091 weights trained on EAR-controlled advanced ICs are subject:
    their reexport needs a licence under 742.6(a)(13)."""
    d = run(weights_reexport(foreign_produced=True, trained_on_ear_ics=True))
    assert ("model_weights_fdp", "15 CFR 734.9(l)") in fdp_rules(d)
    assert d.license_required is True
    assert d.controls[0]["eccn"] == "4E091"


@pytest.mark.provision("fdp_model_weights")
def test_734_9_l_foreign_weights_not_trained_on_ear_chips_not_subject():
    """734.9(l): foreign weights trained without EAR-controlled advanced ICs: not subject, no licence."""
    d = run(weights_reexport(foreign_produced=True, trained_on_ear_ics=False, us_content=False))
    assert d.foreign_direct_product == []
    assert d.license_required is False
    assert d.items[0]["outside_rule"] == "not_subject_to_ear"


def test_734_9_l_training_hardware_unknown_is_indeterminate():
    """734.9(l): foreign 4E091 weights, training hardware unknown: indeterminate, fact named."""
    d = run(weights_reexport(foreign_produced=True))
    assert d.license_required is None
    assert "trained_on_ear_ics(1)" in d.missing_facts


def test_734_9_l_only_reaches_weights_meeting_4e091():
    """734.9(l): foreign weights below 10^26 operations are outside 4E091; the FDP rule does not
    make them controlled."""
    d = run(weights_reexport(training_ops=str(E26 - 1), foreign_produced=True, trained_on_ear_ics=True))
    assert d.foreign_direct_product == []
    assert d.license_required is False


def test_734_9_l_fdp_switched_off_by_regime():
    """734.9(l): with the FDP rule switched off, the foreign weights are not subject."""

    class Off:
        def facts(self):
            return [Function("regime_off", [Function("fdp_model_weights")])]

    d = run(weights_reexport(foreign_produced=True, trained_on_ear_ics=True, us_content=False), regime=Off())
    assert d.license_required is False


# --- red flag 28 ------------------------------------------------------------------------------
def iaas(hq="IN", parent_hq=None, planned="2e26", provider=True, purpose="training", readings=None):
    ents = {"Customer": {"located": "IN", "headquartered": hq}}
    if hq is None:
        del ents["Customer"]["headquartered"]
    if parent_hq:
        ents["Customer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    facts = {"iaas_provider": provider}
    if planned is not None:
        facts["planned_training_ops"] = planned
    s = scenario(items=[], consignee="Customer", to="IN", purpose=purpose, entities=ents, facts=facts)
    if readings:
        s["readings"] = readings
    return s


def flagged(d):
    return [f for f in d.red_flags if f["flag"] == "rf28"]


def test_rf28_iaas_training_for_non_tier1_customer_flags():
    """Supp. 3 to part 732 para 28: IaaS training of a >10^26 model for an India-headquartered
    customer raises red flag 28, with the recommended inquiry."""
    d = run(iaas())
    assert flagged(d) == [
        {
            "flag": "rf28",
            "about": "Customer",
            "citation": "15 CFR part 732, Supp. No. 3, para 28",
            "description": "Red flag 28: IaaS training of a 4E091-scale model for a non-Tier 1 entity",
        }
    ]
    ob = [o for o in d.obligations if o["id"] == "rf28_inquire"]
    assert ob and ob[0]["citation"] == "15 CFR part 732, Supp. No. 3, para 28"
    assert "licence" in ob[0]["description"] and ob[0]["deadline"].startswith("before")


def test_rf28_tier1_subsidiary_of_non_tier1_parent_flags():
    """Para 28: customer headquartered in Germany whose ultimate parent is headquartered in China."""
    assert flagged(run(iaas(hq="DE", parent_hq="CN")))


def test_rf28_tier1_customer_and_parent_no_flag():
    """Para 28: customer and ultimate parent headquartered in listed destinations (DE, JP): no flag."""
    d = run(iaas(hq="DE", parent_hq="JP"))
    assert not flagged(d)
    assert not [o for o in d.obligations if o["id"] == "rf28_inquire"]


@pytest.mark.provision("red_flag_28")
def test_rf28_training_one_below_1e26_no_flag():
    """Para 28 (4E091's scope, "10^26 or more"): 10^26 - 1 operations is not captured: no flag."""
    assert not flagged(run(iaas(planned=str(E26 - 1))))


@pytest.mark.provision("red_flag_28")
def test_rf28_training_exactly_1e26_flags():
    """Para 28 (4E091's scope, "10^26 or more"): exactly 10^26 operations is captured: flag."""
    assert flagged(run(iaas(planned=str(E26))))


def test_rf28_training_1e26_plus_one_flags():
    """Para 28: 10^26 + 1 operations is captured by 4E091: flag."""
    assert flagged(run(iaas(planned=str(E26 + 1))))


def test_rf28_not_an_iaas_provider_no_flag():
    """Para 28: only providers of IaaS or other computing services are addressed."""
    assert not flagged(run(iaas(provider=False)))


def test_rf28_not_for_training_no_flag():
    """Para 28: services not assisting in training a model: no flag."""
    assert not flagged(run(iaas(purpose="data_center")))


def test_rf28_planned_training_unknown_is_named():
    """Para 28: the planned training compute unknown: no flag raised, the fact is named."""
    d = run(iaas(planned=None))
    assert not flagged(d)
    assert "planned_training_ops" in d.missing_facts


def test_rf28_customer_headquarters_unknown_is_named():
    """Para 28: the customer's headquarters unknown: the fact is named."""
    d = run(iaas(hq=None))
    assert not flagged(d)
    assert "headquartered(Customer)" in d.missing_facts


def test_rf28_us_customer_literal_reading_flags():
    """Para 28, reading rf28_united_states: Supp. 5 para (a) does not list the US; read literally
    a US-headquartered customer triggers the flag, and the reading is reported."""
    d = run(iaas(hq="US", readings={"rf28_united_states": "literal"}))
    assert flagged(d)
    assert d.readings["rf28_united_states"] == "literal"
    assert "rf28_united_states" in d.readings_that_matter


def test_rf28_us_customer_us_included_reading_no_flag():
    """Para 28, reading rf28_united_states = us_included (the default): a US customer does not trigger it."""
    d = run(iaas(hq="US", readings={"rf28_united_states": "us_included"}))
    assert not flagged(d)
    assert not flagged(run(iaas(hq="US")))
    assert "rf28_united_states" in d.readings_that_matter


def test_rf28_reading_does_not_matter_for_indian_customer():
    """Para 28: for an India-headquartered customer the US reading changes nothing."""
    d = run(iaas(hq="IN", readings={"rf28_united_states": "us_included"}))
    assert flagged(d)
    assert "rf28_united_states" not in d.readings_that_matter


# --- the example scenarios in queries/ ---------------------------------------------------------
EXPECT = {
    "weights_closed_model_to_india.json": dict(license_required=True, policy="presumption_of_denial"),
    "weights_derived_small_finetune.json": dict(license_required=False),
    "weights_deemed_export_employee.json": dict(license_required=False),
    "fdp_foreign_chips_us_technology.json": dict(license_required=True, fdp="advanced_computing_worldwide"),
    "fdp_weights_trained_on_us_chips.json": dict(license_required=True, fdp="model_weights_fdp"),
    "redflag_tier1_subsidiary_chinese_parent.json": dict(license_required=False, flag=True),
    "redflag_us_customer.json": dict(license_required=False, flag=True),
}


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_query_files_give_expected_outcome(name):
    """The 4E091 / 734.9(h),(l) / red flag 28 example scenarios give their stated outcomes."""
    exp = EXPECT[name]
    d = pyrules.evaluate(json.loads((QUERIES / name).read_text()))
    assert d.license_required is exp["license_required"]
    if "policy" in exp:
        assert d.licensing_policy == exp["policy"]
    if "fdp" in exp:
        assert exp["fdp"] in {f["rule"] for f in d.foreign_direct_product}
    if "flag" in exp:
        assert bool(flagged(d)) is exp["flag"]


# --- moved from test_spec_coverage.py: red flag 28 (Supp. No. 3 to part 732, para 28) ---
from helpers import bundled_case  # noqa: E402
from pyrules.modes.expect import compare  # noqa: E402


@pytest.mark.provision("red_flag_28")
def test_732_supp3_para28_training_purpose_without_iaas_fact_names_the_missing_fact():
    """Red flag 28 (Supp. No. 3 to part 732, para 28): whether the exporter provides the
    computing service must be known for a training purpose; it is named, not assumed."""
    import pyrules

    s = {
        "scenario": "training, IaaS unknown",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "C", "purpose": "training"},
        "items": [],
        "entities": {"C": {"located": "IN", "headquartered": "IN"}},
        "facts": {"planned_training_ops": "2e26"},
    }
    d = pyrules.evaluate(s)
    assert "iaas_provider" in d.missing_facts
    s["facts"]["iaas_provider"] = True
    d = pyrules.evaluate(s)
    assert "iaas_provider" not in d.missing_facts
    assert [r["flag"] for r in d.red_flags] == ["rf28"]


# --- moved from test_issue10_cases.py: origin and de minimis 734.4 (bundled cases) ---
@pytest.mark.parametrize(
    "name",
    [
        "fdp_h100_reexport_from_mexico_origin_not_asked",
        "fdp_de_minimis_foreign_server_us_content_above_25_percent",
        "fdp_de_minimis_us_content_unknown",
    ],
)
def test_fdp_and_de_minimis_bundled_cases_meet_their_expect(name):
    """734.3, 734.4, 734.9(h): each bundled case states its outcome in "expect"."""
    expect, _, j = bundled_case(name)
    assert compare(expect, j) == []


@pytest.mark.provision("de_minimis")
def test_734_4_de_minimis_cases():
    """734.4(d): 26% U.S. content is above the 25% level (subject); unknown content is asked."""
    _, d, _ = bundled_case("fdp_de_minimis_foreign_server_us_content_above_25_percent")
    assert d.license_required is True
    _, d, _ = bundled_case("fdp_de_minimis_us_content_unknown")
    assert d.license_required is None and d.missing_facts == ["us_content(1)"]
