"""The input interface is declared once (pyrules/schema.py INPUTS) and the KB describes
itself: authorizations, readings, thresholds and countries are read from kb/, never
spelled out in pyrules/ (issue 9)."""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import clingo
import clingo.ast
import pytest

from helpers import run, scenario
from pyrules.engine import kb
from pyrules.inputs import schema
from pyrules.inputs.facts import scenario_terms, to_symbol
from pyrules.inputs.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
QUERIES = sorted((ROOT / "queries").glob("*.json"))


# --- one declaration --------------------------------------------------------------------------
def test_every_declared_input_has_one_entry_and_a_kb_input_predicate():
    """Every field of the schema's sections is one row of INPUTS, and its predicate is
    an input predicate kb/input.lp declares."""
    declared = set(re.findall(r"^#defined ([a-z_]+/\d+)\.", (ROOT / "kb" / "input.lp").read_text(), re.M))
    paths = [i.path for i in schema.INPUTS]
    assert len(paths) == len(set(paths))
    n = 1 + sum(
        len(d)
        for d in (
            schema.TRANSACTION_FIELDS,
            schema.ENTITY_FIELDS,
            schema.ENTITY_STATUS,
            schema.ITEM_FIELDS,
            schema.FACTS,
        )
    )
    assert len(schema.INPUTS) == n
    for inp in schema.INPUTS:
        assert inp.predicate in declared, inp.path
        assert inp.also == "" or inp.also in declared
        assert inp.description


@pytest.mark.parametrize("path", QUERIES[:40], ids=lambda p: p.stem)
def test_every_fact_of_a_scenario_maps_back_to_its_field(path):
    """facts.py and schema.input_path are inverse: each input fact of a bundled scenario
    names a field the scenario gives."""
    raw = json.loads(path.read_text())
    s = Scenario.from_dict(raw)
    for name, args in scenario_terms(s):
        sym = clingo.Function(name, [to_symbol(a) for a in args])
        p = schema.input_path(sym)
        assert p is not None, sym
        node: object = s.data
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", p):
            if part.startswith("["):
                node = node[int(part[1:-1])]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise AssertionError(f"{sym} -> {p}: {part} not in the scenario")


def test_field_path_of_missing_facts_names_the_field():
    """The missing-fact symbols the KB derives name their JSON field."""
    assert schema.field_path('headquartered("HoldCo")') == "entities.HoldCo.headquartered"
    assert schema.field_path("headquartered(HoldCo)") == "entities.HoldCo.headquartered"
    assert schema.field_path("item_designer(1)") == "items[0].designer"
    assert schema.field_path("item_tpp(2)") == "items[1].tpp"
    assert schema.field_path("training_ops(1)") == "items[0].training_ops"
    assert schema.field_path("ship_to") == "transaction.to"
    assert schema.field_path("as_of") == "date"
    assert schema.field_path("lpp_prior_shipments_tpp") == "facts.lpp_prior_shipments_tpp"
    assert schema.field_path(clingo.parse_term('uveu("E")')) == "entities.E.status.uveu"
    assert schema.field_path("nveu_allocation(2025, 1)") is None  # the rule's table, no input


def test_missing_facts_of_bundled_scenarios_name_fields():
    """Every missing fact of a bundled scenario names a field (or none for rule data)."""
    seen = 0
    for path in QUERIES:
        d = run(json.loads(path.read_text()))
        for a in d.atoms:
            if a.name == "missing_fact":
                p = schema.field_path(a.arguments[0])
                seen += 1
                assert p is None or p.split(".")[0].split("[")[0] in (
                    "date",
                    "transaction",
                    "entities",
                    "items",
                    "facts",
                ), (path.name, a)
                assert p is not None or a.arguments[0].name in ("nveu_allocation",), (path.name, a)
    assert seen > 0


def test_json_schema_accepts_every_bundled_scenario_and_is_current():
    jsonschema = pytest.importorskip("jsonschema")
    sch = schema.json_schema()
    for path in QUERIES:
        jsonschema.validate(json.loads(path.read_text()), sch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"transaction": {"too": "IN"}}, sch)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"readings": {"tier_overlap": "nonsense"}}, sch)
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_field_docs.py"), "--json-schema"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (ROOT / "docs" / "scenario.schema.json").read_text() == out, (
        "run scripts/make_field_docs.py --json-schema > docs/scenario.schema.json"
    )


def test_check_and_whatif_mode_files_do_not_restate_the_mapping():
    """The picks -> facts and choice -> facts rules come from the schema, not by hand."""
    check = (ROOT / "kb" / "modes" / "check.lp").read_text()
    whatif = (ROOT / "kb" / "modes" / "whatif.lp").read_text()
    assert "mirrors pyrules/facts.py" not in check
    assert not re.search(r"^item_chip\(", check, re.M) and not re.search(r"^headquartered\(", whatif, re.M)
    from pyrules.modes import whatif as w

    assert "ship_to(X) :- wi_set(destination, X)" in w._mapping_program()
    assert "item_model(I) :- pick(item(I, model_weights), _)." in schema.check_mapping_program()


def test_ledger_columns_come_from_the_schema():
    from pyrules.modes import ledger

    for col, key in ledger.TRANSACTION_COLUMNS.items():
        assert schema.BY_PATH[schema.LEDGER_COLUMNS[col]].key == key
    assert set(ledger.ITEM_COLUMNS) <= set(schema.LEDGER_COLUMNS)


# --- the KB describes itself --------------------------------------------------------------------
def test_authorizations_and_readings_come_from_the_kb():
    assert [a.lower() for a in schema.AUTHORIZATIONS] == list(kb.authorizations())
    topics = set(re.findall(r"^reading_topic\((\w+), (\w+)\)\.", kb.kb_text(), re.M))
    assert {(t, c[0]) for t, c in schema.READINGS.items()} == topics  # the KB's default first
    # 740.27 for 4E091: the KB's default reading is both_in_tier1
    assert schema.READINGS["aia_weights_headquarters"][0] == "both_in_tier1"


def test_regime_warns_for_a_country_that_takes_another_s_tier():
    """A regime moving a country whose treatment another takes (kb/tiers.lp treated_as)
    warns that the other keeps the old tier (15 CFR 734.3 Hong Kong as China)."""
    from pyrules.modes.regime import Regime

    code, other = next(iter(sorted(kb.treated_as().items())))
    assert any(code in w for w in Regime.from_dict({"tiers": {other: 2}}).warnings)
    assert Regime.from_dict({"tiers": {other: 2, code: 2}}).warnings == []


def test_check_sample_unit_tpps_lie_on_either_side_of_3a090():
    """ECCN 3A090.a by TPP alone and below 3A090: the checker's sample unit TPPs
    (kb/modes/check.lp) classify as it assumes."""
    from pyrules.modes.check import unit_tpps

    above, below = unit_tpps()
    for tpp, cls in ((above, "3A090.a"), (below, "none")):
        d = run(scenario(items=[{"tpp": tpp, "quantity": 1}]))
        got = {a.arguments[1] for a in d.atoms if a.name == "classified"} or {
            a.arguments[1] for a in d.atoms if a.name in ("item_class", "param_class")
        }
        assert any((g.string if g.type == clingo.SymbolType.String else g.name) == cls for g in got), (tpp, got)


def test_explain_labels_an_absent_fact_the_same_wherever_it_appears():
    """An absent input fact is 'missing' exactly when the answer names it missing,
    wherever in the tree it appears (no predicate chooses its label)."""
    s = scenario(to="IN", entities={"Buyer": {"located": "IN", "parent": "HoldCo"}, "HoldCo": {}})
    from pyrules.modes.explain import explain_determination

    ex = explain_determination(run(s))
    by_field: dict[str, set] = {}
    for n in ex.nodes():
        if n.get("kind") in ("missing", "defaulted") and n.get("field"):
            by_field.setdefault(n["field"], set()).add(n["kind"])
    assert by_field.get("entities.HoldCo.headquartered") == {"missing"}
    assert all(len(k) == 1 for k in by_field.values()), by_field


# --- nothing legal spelled out in pyrules/ --------------------------------------------------------
_DECLARATIONS = {"TRANSACTION_FIELDS", "ENTITY_FIELDS", "ENTITY_STATUS", "ITEM_FIELDS", "FACTS", "QUESTIONS"}


def _literals(path: Path):
    """(line, 'str' | 'num', text) of the string and number literals of a module,
    without docstrings and without the schema's field declarations (their keys are
    the input fields' names, their descriptions may name the provision served)."""
    src = path.read_text(encoding="utf-8")
    tree = ast.parse(src)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            b = node.body
            if (
                b
                and isinstance(b[0], ast.Expr)
                and isinstance(b[0].value, ast.Constant)
                and isinstance(b[0].value.value, str)
            ):
                skip |= set(range(b[0].lineno, b[0].end_lineno + 1))
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and path.name == "schema.py":
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id in _DECLARATIONS for t in targets):
                skip |= set(range(node.lineno, node.end_lineno + 1))
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.start[0] in skip:
            continue
        if tok.type == tokenize.STRING or tok.type == getattr(tokenize, "FSTRING_MIDDLE", -1):
            yield tok.start[0], "str", tok.string
        elif tok.type == tokenize.NUMBER:
            yield tok.start[0], "num", tok.string


def _kb_thresholds() -> set[int]:
    """The rule's numbers: every parameter and allocation value, and the integers the
    KB's rules compare with (not dates, years or powers of ten)."""

    def is_date(n: int) -> bool:
        return 19000101 <= n <= 99991231 and 1 <= n // 100 % 100 <= 12 and 1 <= n % 100 <= 31

    return {
        n
        for n in kb.parameter_numbers() | kb.rule_numbers()
        if n >= 1000 and not 1900 <= n <= 2100 and not is_date(n) and str(n).rstrip("0") != "1"
    }


def test_pyrules_spells_out_no_authorization_reading_country_or_threshold():
    """The law lives in kb/: no authorization name, reading name, country code or
    threshold of the KB is written in pyrules/ (outside docstrings and the field
    declarations). A string that is exactly such a name, a word with an underscore
    that is one (reading names), an upper-case authorization name inside a text, or
    a number (literal, or written in a text) equal to one of the rule's thresholds
    fails the test."""
    auths = set(kb.authorizations()) | {a.upper() for a in kb.authorizations()}
    readings = set(kb.readings()) | {c for cs in kb.readings().values() for c in cs}
    exact = auths | readings | set(kb.countries())
    words = {a.upper() for a in kb.authorizations()} | {r for r in readings if "_" in r}
    word_re = re.compile(r"(?<![\w])(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")(?![\w])")
    thresholds = _kb_thresholds()
    assert {4800, 1600, 26_900_000} <= thresholds  # the test knows the rule's numbers
    num_res = [re.compile(r"(?<![\d,.])" + f"{n:,}".replace(",", ",?") + r"(?![\d,])") for n in thresholds]
    bad = []
    for path in sorted((ROOT / "pyrules").rglob("*.py")):
        for line, kind, text in _literals(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if kind == "num":
                try:
                    if int(text.replace("_", ""), 0) in thresholds:
                        bad.append(f"{where} number {text}")
                except ValueError:
                    pass
                continue
            body = re.sub(r"^[rbfuRBFU]*", "", text).strip("'\"")
            if body in exact:
                bad.append(f"{where} {text}")
            elif word_re.search(body):
                bad.append(f"{where} {word_re.search(body).group(1)} in {text[:60]}")
            elif any(r.search(body) for r in num_res):
                bad.append(f"{where} threshold in {text[:60]}")
    assert bad == []


def test_web_form_asks_for_a_missing_fact_through_the_schemas_one_mapping():
    """The describe-a-deal form points a missing fact at the field schema.field_path
    names (no table of its own): Note 1 to 3A090.a's designer status goes to the
    approved-designer flag, 742.6(b)(10)(iii)(A)(1)'s DRAM bandwidth to the line's
    dram_bandwidth_gbps, an entity's headquarters to its row."""
    from pyrules.web import forms

    data = {"entities": {"Acme": {}, "HoldCo": {}}}
    cases = {
        'ic_designer_status("HoldCo")': "entities.HoldCo.status.approved_ic_designer",
        "item_dram_bandwidth(1)": "items[0].dram_bandwidth_gbps",
        'headquartered("Acme")': "entities.Acme.headquartered",
        "uveu(Acme)": "entities.Acme.status.uveu",
        "lpp_prior_shipments_tpp": "facts.lpp_prior_shipments_tpp",
        "as_of": "date",
    }
    for fact, path in cases.items():
        got = forms.missing_fact_field(fact, data)
        assert got["path"] == path == schema.field_path(fact), (fact, got)
        assert got["question"] == schema.missing_fact_field(fact)[1]
    assert forms.missing_fact_field('headquartered("Acme")', data)["field"] == "entities[0].headquartered"
    assert (
        forms.missing_fact_field('ic_designer_status("HoldCo")', data)["field_id"]
        == "f-entities-1-status-approved_ic_designer"
    )
    assert forms.missing_fact_field("nveu_allocation(2025, 1)", data)["path"] is None
