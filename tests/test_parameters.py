"""Parameters carry dates and sources (kb/parameters.lp): a value is in force from a
date with its FR / CFR source, a regime overrides a parameter from a date, and the
texts of kb/ take their numbers from the parameter in force (issue 9)."""

from __future__ import annotations

import re
from pathlib import Path

import clingo
import clingo.ast

from helpers import auth, failed, run, scenario
from pyrules.engine import kb
from pyrules.engine.arithmetic import from_big
from pyrules.modes.regime import Regime

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = {"eccn": "4E091", "model_weights": "Frontier"}  # 4E091 model weights (tests/test_aia.py)
LPP_FACTS = {"lpp_certification_obtained": True, "lpp_prior_shipments_tpp": 0}


def lpp_case(units: int, date: str = "2025-06-01") -> dict:
    """H100-SXM (15,832 TPP a unit) to a German company under LPP."""
    return scenario(items=[{"chip": "H100-SXM", "quantity": units}], facts=LPP_FACTS, date=date)


def limit_text(d) -> str:
    return next(c["description"] for c in auth(d, "lpp")["failed_conditions"] if c["condition"] == "lpp_annual_limit")


# --- texts from the parameter in force ------------------------------------------------------
def test_740_29_over_limit_shipment_is_told_the_limit_as_written():
    """740.29: 1,700 H100 = 26,914,400 TPP, just over 26,900,000: the failed condition
    states the limit in force, with thousands separators."""
    d = run(lpp_case(1700))
    assert "At most 26,900,000 TPP" in limit_text(d)
    assert "lpp_annual_limit" not in failed(run(lpp_case(1699)), "lpp")  # 26,898,568: within


def test_740_29_over_limit_shipment_under_doubled_limit_is_told_the_doubled_limit():
    """regimes/lpp_doubled.json: 3,399 H100 = 53,812,968 TPP is over 53,800,000, and the
    condition says so (before, the text still said 26,900,000); 3,398 are within."""
    regime = Regime.load(ROOT / "regimes" / "lpp_doubled.json")
    d = run(lpp_case(3399), regime=regime)
    text = limit_text(d)
    assert "At most 53,800,000 TPP" in text and "26,900,000" not in text
    assert auth(run(lpp_case(3398), regime=regime), "lpp")["available"] is True


def test_748_15_uveu_texts_state_the_caps_in_force():
    """748.15: the UVEU compute caps in the obligation text come from the parameters;
    a regime changing the Tier 2 share changes the text."""
    from pyrules.output.determination import fill_text

    texts = [a[3].string for a in kb.described("condition/4") if a[1].name == "uveu_tier2_share"]
    assert texts and "{uveu_tier2_share_percent}" in texts[0]
    assert "at most 30% of" in fill_text(texts[0], {"uveu_tier2_share_percent": clingo.Number(30)})
    assert fill_text("{no_such_param} TPP", {}) == "{no_such_param} TPP"


def test_740_29_notification_text_follows_the_reading_used():
    """740.29 notification (reading lpp_notification_basis): the obligation's text
    says per shipment or per calendar year, as the reading chosen."""
    s = lpp_case(300)  # 4,749,600 TPP: above 3,200,000 in one shipment
    ob = {o["id"]: o["description"] for o in run(s).obligations}
    assert "this shipment is more than 3,200,000 TPP" in ob["lpp_large_shipment_notice"]
    s["readings"] = {"lpp_notification_basis": "cumulative_year"}
    ob = {o["id"]: o["description"] for o in run(s).obligations}
    assert "calendar year, this shipment included, is more than 3,200,000 TPP" in ob["lpp_large_shipment_notice"]


def test_no_condition_obligation_or_note_text_restates_a_parameter():
    """The texts of kb/ (condition/4, obligation_text/4, note/2) name a parameter as
    {name}; none spells out a parameter's value (e.g. 26,900,000, 3,200,000, 25%)."""
    values: dict[str, int] = {}
    for name, value, *_ in kb.described("param_value/4"):
        values[name.name] = from_big(value) if value.type == clingo.SymbolType.Function else value.number
    texts: list[str] = []

    def on(stmt):
        if stmt.ast_type == clingo.ast.ASTType.Rule and stmt.head.ast_type == clingo.ast.ASTType.Literal:
            atom = stmt.head.atom
            if atom.ast_type == clingo.ast.ASTType.SymbolicAtom:
                f = atom.symbol
                if f.ast_type == clingo.ast.ASTType.Function and f.name in ("condition", "obligation_text", "note"):
                    for a in f.arguments:
                        if a.ast_type == clingo.ast.ASTType.SymbolicTerm and a.symbol.type == clingo.SymbolType.String:
                            texts.append(a.symbol.string)

    clingo.ast.parse_string(kb.kb_text(), on)
    assert len(texts) > 50
    bad = []
    for name, v in values.items():
        if v >= 1000:
            pat = re.compile(r"(?<![\d,.])" + re.escape(f"{v:,}") + r"(?![\d,])")
        else:
            pat = re.compile(rf"(?<![\d,.]){v}(%| percent| days?| months?| years?)")
        bad += [f"{name}: {t}" for t in texts if pat.search(t)]
    assert bad == []
    placeholders = {p for t in texts for p in re.findall(r"\{([a-z][a-z0-9_]*)\}", t)}
    assert placeholders and placeholders <= set(values)


# --- dates and sources ---------------------------------------------------------------------------
def test_every_parameter_value_has_a_date_and_a_source():
    """Each parameter value is in force from a date and cites FR / CFR."""
    entries = kb.described("param_value/4")
    assert entries
    for name, _value, since, source in entries:
        assert 19000101 <= since.number <= 99991231, name
        assert re.search(r"\bFR\b|\bCFR\b", source.string), f"{name} has no FR/CFR source"


def test_the_answer_says_which_value_is_in_force_and_its_source():
    d = run(lpp_case(1700))
    got = {
        a.arguments[0].name: (a.arguments[1].number, a.arguments[2].string)
        for a in d.atoms
        if a.name == "param_in_force"
    }
    assert got["lpp_annual_limit_tpp"] == (20250113, "90 FR 4544; 15 CFR 740.29")


def _params(program: str, as_of: int | None) -> dict:
    ctl = clingo.Control(["--warn=none"])
    ctl.add(
        "base",
        [],
        (ROOT / "kb" / "parameters.lp").read_text() + program + ("" if as_of is None else f"as_of({as_of})."),
    )
    ctl.ground([("base", [])])
    return {str(a.symbol.arguments[0]): str(a.symbol.arguments[1]) for a in ctl.symbolic_atoms.by_signature("param", 2)}


def test_a_dated_value_applies_from_its_date():
    """param_value/4: the value in force is the latest begun by the date (the day
    before the new entry: the old value; its day: the new); before the first entry
    the first applies; with no date the latest."""
    prog = (
        "default_key_date(effective, 20250113)."
        'param_value(x, 1, 20250113, "90 FR 1"). param_value(x, 2, 20260101, "91 FR 2").'
    )
    assert _params(prog, 20251231)["x"] == "1"
    assert _params(prog, 20260101)["x"] == "2"
    assert _params(prog, 20240101)["x"] == "1"
    assert _params(prog, None)["x"] == "2"


def test_740_29_regime_raises_the_lpp_limit_from_a_date():
    """A regime overrides a parameter from a date: 2,000 H100 (31,664,000 TPP) fail the
    740.29 limit the day before the new limit applies and are within on its day."""
    r = Regime.from_dict({"params": {"lpp_annual_limit_tpp": {"value": "53,800,000", "from": "2026-01-01"}}})
    assert (
        clingo.Function(
            "regime_param_from",
            [
                clingo.Function("lpp_annual_limit_tpp"),
                clingo.Function("n", [clingo.Number(x) for x in (0, 0, 0, 53, 800000)]),
                clingo.Number(20260101),
            ],
        )
        in r.facts()
    )
    before = run(lpp_case(2000, "2025-12-31"), regime=r)
    assert "lpp_annual_limit" in failed(before, "lpp") and "26,900,000" in limit_text(before)
    assert "lpp_annual_limit" not in failed(run(lpp_case(2000, "2026-01-01"), regime=r), "lpp")
    assert any("from 2026-01-01" in c for c in r.changes())


def test_a_dated_regime_parameter_needs_value_and_from():
    import pytest
    from pyrules.errors import InputError

    with pytest.raises(InputError) as e:
        Regime.from_dict({"params": {"lpp_annual_limit_tpp": {"value": "1"}}})
    assert "params.lpp_annual_limit_tpp" in str(e.value.field)
    with pytest.raises(InputError) as e:
        Regime.from_dict({"params": {"lpp_annual_limit_tpp": {"value": "1", "from": "2026-02-30"}}})
    assert "from" in str(e.value.field)


def test_740_27_weights_headquarters_condition_text_is_the_reading_used():
    """740.27 for 4E091 (reading aia_weights_headquarters): the condition's text says
    both must be in Tier 1 under the default both_in_tier1, either under either_in_tier1."""
    s = scenario(
        items=[WEIGHTS],
        date="2026-02-01",
        facts={"storage_security_measures": True},
        entities={"Buyer": {"located": "DE", "headquartered": "DE", "parent": "P"}, "P": {"headquartered": "IN"}},
    )

    def text(d):
        for c in auth(d, "aia")["failed_conditions"] + auth(d, "aia")["undecided_conditions"]:
            if c["condition"] == "aia_weights_headquarters_tier1":
                return c["description"]
        return next(a[3].string for a in kb.described("condition/4") if a[1].name == "aia_weights_headquarters_tier1")

    d = run(s)
    assert "aia_weights_headquarters_tier1" in failed(d, "aia")
    assert "are both headquartered in a Tier 1 country" in text(d) and "{" not in text(d)
    from pyrules.output.determination import fill_text

    raw = next(a[3].string for a in kb.described("condition/4") if a[1].name == "aia_weights_headquarters_tier1")
    either = next(
        a[2].string
        for a in kb.described("reading_text/3")
        if a[0].name == "aia_weights_headquarters" and a[1].name == "either_in_tier1"
    )
    assert "or its ultimate parent, is headquartered" in fill_text(raw, {}, {}, {"aia_weights_headquarters": either})


def test_748_supp10_security_date_in_texts_follows_the_key_date():
    """Supp. No. 10 to part 748 via 740.27: the note that storage security is not yet
    required states the key date security_compliance in force; a regime moving it
    moves the text (the day before the moved date: still not required)."""
    s = scenario(items=[WEIGHTS], date="2026-02-27")
    r = Regime.from_dict({"dates": {"security_compliance": "2026-02-28"}})
    notes = {n["id"]: n["text"] for n in run(s, regime=r).notes}
    assert "not required before 2026-02-28" in notes["aia_security_not_yet_due"]
    notes = {n["id"]: n["text"] for n in run(scenario(items=[WEIGHTS], date="2026-01-14")).notes}
    assert "not required before 2026-01-15" in notes["aia_security_not_yet_due"]


# --- large numbers as a reader takes them in (4E091's 10^26 operations) --------------------
def test_number_text_writes_large_powers_of_ten_as_powers():
    """At the boundary: from 10^12 with nine zeros or more, a power; below, separators."""
    from pyrules.output.render import number_text

    assert number_text(10**26) == "10^26"
    assert number_text(15 * 10**25) == "15 x 10^25"
    assert number_text(10**12) == "10^12"
    assert number_text(10**11) == "100,000,000,000"  # below 10^12: written out
    assert number_text(10**26 + 1) == f"{10**26 + 1:,}"  # not a round number: exact
    assert number_text(26_900_000) == "26,900,000"


def test_740_2_aia_condition_states_the_4e091_scale_as_10_26():
    """Supp. No. 10 to part 748 / 740.2 (AIA): the condition on training a 4E091-scale
    model states the parameter model_training_ops as 10^26, not 27 digits; raised by
    regimes/weights_threshold_1e27.json, as 10^27."""
    import json

    raw = json.loads((ROOT / "queries" / "aia_chips_hosted_frontier_training_for_indian_customer.json").read_text())

    def aia_texts(d):
        return [
            c["description"]
            for a in d.authorizations
            for c in a["failed_conditions"] + a["undecided_conditions"]
            if "4E091-scale" in c["description"]
        ]

    from pyrules import evaluate

    d = evaluate(raw)
    texts = [t for t in aia_texts(d) if "operations" in t]
    assert texts and all("(10^26 or more operations)" in t for t in texts), texts
    assert not any("100,000,000,000" in t for t in aia_texts(d))
    # regimes/weights_threshold_1e27.json: the same text, filled from the raised parameter
    from pyrules.engine.arithmetic import big
    from pyrules.output.determination import fill_text

    template = next(
        a[3].string for a in kb.described("condition/4") if a[1].name == "aia_no_frontier_training_outside_tier1"
    )
    raised = Regime.load(ROOT / "regimes" / "weights_threshold_1e27.json").params["model_training_ops"]
    assert "(10^27 or more operations)" in fill_text(template, {"model_training_ops": big(raised)})


# --- parameters read in one place (pyrules/engine/kb.py) ------------------------------------
def test_740_29_parameter_in_force_under_a_regime_is_read_by_the_kb_module():
    """740.29 LPP limit: the rule writes 26,900,000 TPP (kb.parameters, the regime
    catalogue); under regimes/lpp_doubled.json the answer set's parameter in force and
    the amounts whatif varies TPP around (kb.amounts_in) are 53,800,000, not 26,900,000."""
    from pyrules.modes.regime import catalogue

    assert from_big(kb.parameters()["lpp_annual_limit_tpp"]) == 26_900_000
    assert catalogue().params == kb.parameters()
    regime = Regime.load(ROOT / "regimes" / "lpp_doubled.json")
    by: dict[str, list] = {}
    for a in run(lpp_case(3399), regime=regime).atoms:
        by.setdefault(a.name, []).append(tuple(a.arguments))
    assert from_big(kb.params_in(by)["lpp_annual_limit_tpp"]) == 53_800_000
    amounts = kb.amounts_in(by)
    assert 53_800_000 in amounts and 26_900_000 not in amounts
    assert 6_400_000 in amounts  # the doubled notification threshold
    assert kb.parameters()["lpp_certification_copy_days"].number in kb.day_counts_in(by)


def test_no_module_but_the_kb_module_reads_a_parameter_predicate():
    """Parameters are read in one place: no module of pyrules/ but engine/kb.py names
    param/2, param_value/4, default_param/2, default_key_date/2, the NVEU table or the
    allocations as an atom to read."""
    names = {
        "param",
        "param_value",
        "default_param",
        "default_key_date",
        "default_nveu_allocation",
        "allocation",
        "allocation_bound",
    }
    pattern = re.compile(r"""["'](%s)(/\d)?["']""" % "|".join(names))
    offenders = [
        f"{p.relative_to(ROOT)}:{i}"
        for p in sorted((ROOT / "pyrules").rglob("*.py"))
        if p.name != "kb.py"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
