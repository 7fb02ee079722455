"""The consistency checker: ``pyrules check``.

It searches the whole abstract space of transactions in ASP. The knowledge base
(kb/*.lp) is grounded once together with kb/modes/check.lp, whose "space" part
replaces the scenario's input facts by choices among representative values; each
question is then one solve under an assumption (multi-shot solving on a single
grounding). Every finding comes with a witness: a concrete scenario in the JSON
form, re-evaluated with the plain knowledge base (plus the questions of
check.lp) to confirm that it reproduces the finding.

Python only builds the space (which values each field may take) and reads the
answers; the questions themselves are rules in kb/modes/check.lp.

The space
---------
Representative values are derived from the knowledge base, not listed here:
- countries: the smallest code of each class of countries the KB cannot tell
  apart (same tier, same country groups, same treatment as another country),
  plus every country named in a rule (US, HK, MO, CN, MM ...);
- ECCNs: the smallest of each class (kind of ECCN, designer condition or not),
  plus every ECCN named in a rule;
- dates: the day before and the day of each key date (key_date/2), the first
  day of each provision and the day after its last day;
- quantities: for a unit TPP of 5,000, the largest quantity within and the
  smallest over each TPP threshold the KB holds (every n(...) number that a
  parameter or allocation takes, e.g. 26,900,000, 3,200,000, 790,000,000 and
  its double, each NVEU quarter); 1 unit; and a unit TPP of 1,000 (below 3A090);
- TPP facts (e.g. TPP already used): 0 and each TPP threshold; operations facts:
  0, each threshold of operations and one more;
- every enumeration value, true/false for flags, and "absent" for every field.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clingo
import clingo.ast
from clingo import Function, Number, String

from pyrules.engine import kb
from pyrules.inputs import schema
from pyrules.engine.arithmetic import Arithmetic, MAX_VALUE, from_big
from pyrules.errors import InputError

ENTITIES = {"C": "consignee", "P": "parent", "D": "designer"}
DEFAULT_SAMPLES = 100


def check_program_path() -> Path:
    return kb.kb_dir() / "modes" / "check.lp"


def _split_program() -> tuple[str, str]:
    """(questions part, whole program) of kb/modes/check.lp; the whole program adds
    the rules from picks to input facts generated from pyrules/schema.py."""
    text = check_program_path().read_text(encoding="utf-8")
    questions = text.split("#program space.")[0]
    return questions, text + "\n" + schema.check_mapping_program()


@functools.cache
def _mode_facts() -> dict[str, list]:
    """The facts kb/modes/check.lp states about the search (known findings, sample
    unit TPPs), grounded on their own."""
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], _split_program()[0])
    ctl.ground([("base", [])])
    out: dict[str, list] = {}
    for a in ctl.symbolic_atoms:
        if a.is_fact:
            out.setdefault(a.symbol.name, []).append(a.symbol.arguments)
    return out


def known_findings() -> frozenset[str]:
    """Findings the rule leaves open (kb/modes/check.lp check_known_finding/1)."""
    return frozenset(a[0].string for a in _mode_facts().get("check_known_finding", []))


def unit_tpps() -> tuple[int, int]:
    """(at or above every 3A090 TPP threshold, below them all): kb/modes/check.lp."""
    got = {a[0].name: a[1].number for a in _mode_facts().get("check_unit_tpp", [])}
    return got["above_3a090"], got["below_3a090"]


# --------------------------------------------------------------------------- reading the KB
def _big_values(sym: clingo.Symbol, out: set[int]) -> None:
    if sym.type == clingo.SymbolType.Function:
        if (
            sym.name == "n"
            and len(sym.arguments) == 5
            and all(a.type == clingo.SymbolType.Number for a in sym.arguments)
        ):
            out.add(from_big(sym))
            return
        for a in sym.arguments:
            _big_values(a, out)


def _rule_strings() -> set[str]:
    """Strings written in the rules (not the facts) of the knowledge base."""
    return set(kb.rule_strings())


def _kb_has_choices_or_constraints() -> list[str]:
    """Statements of the KB that could give other than one answer set for fixed input."""
    problems: list[str] = []

    def on_stmt(stmt):
        t = stmt.ast_type
        if t == clingo.ast.ASTType.Rule:
            h = stmt.head
            if h.ast_type in (
                clingo.ast.ASTType.Aggregate,
                clingo.ast.ASTType.HeadAggregate,
                clingo.ast.ASTType.Disjunction,
            ):
                problems.append(f"choice or disjunction: {stmt}")
            elif (
                h.ast_type == clingo.ast.ASTType.Literal
                and h.atom.ast_type == clingo.ast.ASTType.BooleanConstant
                and not h.atom.value
            ):
                problems.append(f"integrity constraint: {stmt}")
        elif t in (clingo.ast.ASTType.Minimize, clingo.ast.ASTType.External):
            problems.append(f"{t.name.lower()}: {stmt}")

    clingo.ast.parse_string(kb.kb_text(), on_stmt)
    return problems


def _day(date: int, delta: int) -> int | None:
    try:
        d = _dt.date(date // 10000, date // 100 % 100, date % 100) + _dt.timedelta(days=delta)
    except (ValueError, OverflowError):
        return None
    return d.year * 10000 + d.month * 100 + d.day


def _date_text(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


# --------------------------------------------------------------------------- the space
@dataclass
class Slot:
    sym: clingo.Symbol  # the slot term in pick(Slot, Value)
    path: tuple  # where it goes in the JSON form
    kind: str  # schema type of the value
    values: list  # JSON values
    required: bool = False

    def value_symbol(self, value) -> clingo.Symbol:
        from pyrules.inputs.facts import value_symbol

        return value_symbol(self.kind, value)


@dataclass
class Space:
    slots: list
    countries: list
    eccns: list
    dates: list
    thresholds: list
    authorizations: dict  # name -> provision
    route_of: list  # (note argument, authorization)
    provisions: dict  # id -> citation
    groups: list = field(default_factory=list)  # amount bands, each grounded on its own

    def grounded_slots(self, group) -> list:
        """The slots with the amounts of one band (quantities, unit TPPs, TPP facts)."""
        out = []
        for s in self.slots:
            values = s.values
            if s.path[:1] == ("items",) and s.path[2] == "quantity":
                values = group["quantities"]
            elif s.path[:1] == ("items",) and s.path[2] == "tpp":
                values = group["unit_tpp"]
            elif s.kind == "tpp":
                values = group["tpp_facts"]
            out.append(Slot(s.sym, s.path, s.kind, list(values), s.required))
        return out

    def by_sym(self) -> dict:
        return {s.sym: s for s in self.slots}

    def size(self) -> int:
        n = 1
        for s in self.slots:
            n *= len(s.values) + (0 if s.required else 1)
        return n


def _reference(regime=None) -> dict:
    """Facts of the KB the space is built from: an evaluation with no scenario but a date."""
    from pyrules.engine.control import default_engine

    eng = default_engine()
    facts = [Function("as_of", [Number(20250601)])]
    if regime is not None:
        facts += regime.facts()
    models = eng.models(facts, max_models=1, shown_only=False)
    atoms = models[0]
    by: dict[str, list] = {}
    for a in atoms:
        by.setdefault(a.name, []).append(a)
    return by


@functools.lru_cache(maxsize=4)
def _build_space_cached(regime_key) -> Space:
    return _build_space(None)


def build_space(regime=None) -> Space:
    if regime is None:
        return _build_space_cached(None)
    return _build_space(regime)


def _build_space(regime) -> Space:
    """The representative values of every input (read off the KB under ``regime``), as
    slots, and the amount bands that are grounded one at a time."""
    unit_tpp, low_unit_tpp = unit_tpps()
    by = _reference(regime)
    mentioned = _rule_strings()
    countries = _sample_countries(by, mentioned)
    eccns = _sample_eccns(by, mentioned)
    dates, provisions = _sample_dates(by)
    tpp_thresholds, ops_thresholds = _thresholds(by, unit_tpp)
    quantities = _sample_quantities(tpp_thresholds, unit_tpp)
    auths = {a.arguments[0].name: a.arguments[1].name for a in by.get("authorization", [])}
    values = _Values(countries, eccns, dates, tpp_thresholds, ops_thresholds, unit_tpp, low_unit_tpp)
    slots = _slots(values, quantities)
    return Space(
        slots=slots,
        countries=countries,
        eccns=eccns,
        dates=dates,
        thresholds=tpp_thresholds + ops_thresholds,
        authorizations=auths,
        route_of=_routes(auths),
        provisions=provisions,
        groups=_amount_bands(tpp_thresholds, unit_tpp, low_unit_tpp),
    )


def _sample_countries(by: dict, mentioned: set[str]) -> list[str]:
    """One country per class the KB cannot tell apart (tier, country groups, treated as
    another), plus those named in rules and the KB's countries with special treatment."""
    countries_all = kb.countries()
    tiers = {a.arguments[0].string: a.arguments[1].number for a in by.get("tier", []) if len(a.arguments) == 3}
    groups: dict[str, set] = {}
    for a in by.get("group_member", []):
        groups.setdefault(a.arguments[1].string, set()).add(a.arguments[0].name)
    treated = {a.arguments[0].string: a.arguments[1].string for a in by.get("treated_as", [])}
    classes: dict[tuple, str] = {}
    for c in sorted(countries_all):
        key = (tiers.get(c), tuple(sorted(groups.get(c, ()))), treated.get(c, c) != c)
        classes.setdefault(key, c)
    countries = set(classes.values()) | {c for c in mentioned if c in countries_all} | kb.special_countries()
    return sorted(countries)


def _sample_eccns(by: dict, mentioned: set[str]) -> list[str]:
    """One ECCN per class (kind of ECCN, under the designer condition or not), plus the
    computer class 4A090.a, a .z item under the designer condition and those named in rules."""
    designer = {a.arguments[0].string for a in by.get("designer_condition_eccn", [])}
    eclasses: dict[tuple, str] = {}
    for a in sorted(by.get("eccn", []), key=lambda a: a.arguments[0].string):
        e = a.arguments[0].string
        eclasses.setdefault((a.arguments[1].name, e in designer), e)
    known_eccns = kb.eccns()
    extra = {"4A090.a"} & known_eccns
    z_designer = sorted(e for e in designer if ".z" in e)
    extra |= set(z_designer[:1])
    return sorted(set(eclasses.values()) | extra | {e for e in mentioned if e in known_eccns})


def _sample_dates(by: dict) -> tuple[list[int], dict[str, str]]:
    """The dates around the rule's dates (each key date and the day before; each
    provision's first day and the day before, its last day and the day after), and
    every provision's citation."""
    dates: set[int | None] = set()
    for a in by.get("key_date", []):
        d = a.arguments[1].number
        dates |= {_day(d, -1), d}
    provisions = {}
    for a in by.get("provision", []):
        pid, cit, _, frm, to = a.arguments
        provisions[pid.name] = cit.string
        if 20200101 <= frm.number <= 20301231:
            dates |= {_day(frm.number, -1), frm.number}
        if 20200101 <= to.number <= 20301231:
            dates |= {to.number, _day(to.number, 1)}
    return sorted(d for d in dates if d), provisions


def _thresholds(by: dict, unit_tpp: int) -> tuple[list[int], list[int]]:
    """Every big number the KB holds, split into TPP thresholds (reachable by a
    shipment of unit_tpp chips) and thresholds of operations."""
    values: set[int] = set()
    for atoms in by.values():
        for a in atoms:
            _big_values(a, values)
    values.discard(0)
    tpp_thresholds = sorted(v for v in values if v <= unit_tpp * schema.MAX_QUANTITY)
    ops_thresholds = sorted(v for v in values if v > unit_tpp * schema.MAX_QUANTITY)
    return tpp_thresholds, ops_thresholds


def _sample_quantities(tpp_thresholds: list[int], unit_tpp: int) -> list[int]:
    """1, and the largest quantity within and the smallest over each TPP threshold."""
    quantities = {1}
    for v in tpp_thresholds:
        q = v // unit_tpp
        quantities |= {q, q + 1}
    return sorted(q for q in quantities if 1 <= q <= schema.MAX_QUANTITY)


def _routes(auths: dict[str, str]) -> list[tuple[str, str]]:
    """The Tier 3 routes the KB names (tier3_route/1) with the authorization of each."""
    routes = set(re.findall(r"tier3_route\(\s*([a-z][A-Za-z0-9_]*)\s*\)", kb.kb_text()))
    return sorted((x, a) for x in routes for a in auths if x == a or x.startswith(a + "_"))


@dataclass
class _Values:
    """The representative values of each kind of input."""

    countries: list[str]
    eccns: list[str]
    dates: list[int]
    tpp_thresholds: list[int]
    ops_thresholds: list[int]
    unit_tpp: int
    low_unit_tpp: int

    def domain(self, kind: str) -> list:
        """The values a slot of this schema type takes."""
        if kind == "bool":
            return [True, False]
        if kind.startswith("enum:"):
            return kind[5:].split("|")
        if kind == "authorization":
            return list(schema.AUTHORIZATIONS)
        if kind == "country":
            return self.countries
        if kind == "eccn":
            return self.eccns
        if kind == "date":
            return [_date_text(d) for d in self.dates]
        if kind == "tpp":
            return [0] + self.tpp_thresholds
        if kind == "ops":
            ops = self.ops_thresholds
            return sorted({0} | set(ops) | {v + 1 for v in ops if v < MAX_VALUE})
        if kind == "int":
            return [0, self.low_unit_tpp, self.unit_tpp]
        if kind == "name":
            return ["X"]
        return []  # areas and anything else: not varied


def _slots(values: _Values, quantities: list[int]) -> list[Slot]:
    """One slot per input (pyrules/schema.py INPUTS), the entity fields once for each
    role; fields with values of their own (names, quantities, unit TPPs) take those."""
    slots: list[Slot] = []

    def add(sym, path, kind, vals):
        if vals:
            slots.append(Slot(sym, path, kind, list(vals), False))

    special = {
        "transaction.consignee": ["C"],
        "entities.NAME.parent": ["P"],
        "items[i].quantity": quantities,
        "items[i].tpp": [values.low_unit_tpp, values.unit_tpp],
        "items[i].designer": ["D"],
        "items[i].model_weights": ["M"],
        "items[i].chip": [],
    }  # chips: covered by tpp / eccn / data_center

    def values_of(inp):
        vals = special.get(inp.path)
        return values.domain(inp.kind) if vals is None else vals

    item_one = Number(1)
    for inp in schema.INPUTS:
        if inp.section == "date":
            add(Function("date"), ("date",), inp.kind, values_of(inp))
        elif inp.section == "transaction":
            add(Function("tx", [Function(inp.key)]), ("transaction", inp.key), inp.kind, values_of(inp))
    for ename in ENTITIES:
        E = String(ename)
        for inp in schema.by_section("entity").values():
            if inp.path != "entities.NAME.parent" or ename == "C":
                add(Function("ent", [E, Function(inp.key)]), ("entities", ename, inp.key), inp.kind, values_of(inp))
        for inp in schema.by_section("status").values():
            add(
                Function("status", [E, Function(inp.key)]),
                ("entities", ename, "status", inp.key),
                inp.kind,
                values_of(inp),
            )
    for inp in schema.by_section("item").values():
        add(Function("item", [item_one, Function(inp.key)]), ("items", 0, inp.key), inp.kind, values_of(inp))
    for inp in schema.by_section("fact").values():
        add(Function("fact", [Function(inp.key)]), ("facts", inp.key), inp.kind, values_of(inp))
    return slots


def _amount_bands(tpp_thresholds: list[int], unit_tpp: int, low_unit_tpp: int) -> list[dict]:
    """The amount bands. clingo grounds a sum of n(...) numbers limb by limb over every
    subset of the values an addend may take, so the amounts are explored one threshold
    at a time, each band grounded on its own: quantities 1, just within and just over
    the threshold, and TPP facts 0 or the threshold itself."""
    groups = [{"label": "base", "quantities": [1], "unit_tpp": [low_unit_tpp, unit_tpp], "tpp_facts": [0]}]
    for v in tpp_thresholds:
        q = v // unit_tpp
        groups.append(
            {
                "label": f"{v:,} TPP",
                "quantities": sorted(x for x in {1, q, q + 1} if 1 <= x <= schema.MAX_QUANTITY),
                "unit_tpp": [unit_tpp],
                "tpp_facts": [0, v],
            }
        )
    return groups


# --------------------------------------------------------------------------- witnesses
def picks_to_json(picks: dict, space: Space, name: str) -> dict:
    """The JSON form of the scenario a set of picks describes."""
    slots = space.by_sym()
    out: dict[str, Any] = {"scenario": name, "transaction": {}, "items": [], "entities": {}, "facts": {}}
    for sym, value in picks.items():
        slot = slots[sym]
        v = symbol_to_json(slot, value)
        p = slot.path
        if p[0] == "date":
            out["date"] = v
        elif p[0] == "transaction":
            out["transaction"][p[1]] = v
        elif p[0] == "entities":
            ent = out["entities"].setdefault(p[1], {})
            if p[2] == "status":
                ent.setdefault("status", {})[p[3]] = v
            else:
                ent[p[2]] = v
        elif p[0] == "items":
            while len(out["items"]) <= p[1]:
                out["items"].append({})
            out["items"][p[1]][p[2]] = v
        elif p[0] == "facts":
            out["facts"][p[1]] = v
    return out


def symbol_to_json(slot: Slot, sym: clingo.Symbol):
    kind = slot.kind
    if kind == "authorization":
        return sym.name.upper()
    if kind == "bool":
        return sym.name == "true"
    if kind in ("tpp", "ops"):
        return from_big(sym)
    if kind == "int":
        return sym.number
    if kind in ("name", "country", "eccn"):
        return sym.string
    if kind == "date":
        return _date_text(sym.number)
    if kind.startswith("enum:"):
        return sym.name
    if kind == "area":
        return sym.number / 10
    raise AssertionError(kind)


# --------------------------------------------------------------------------- findings
@dataclass
class Finding:
    kind: str  # overlap | no_policy | never_available | tier3_reach | answer_sets
    id: str
    description: str
    citations: list
    witness: dict | None = None
    reproduced: bool | None = None
    known: bool = False
    detail: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "description": self.description,
            "citations": self.citations,
            "known": self.known,
            "reproduced": self.reproduced,
            "detail": self.detail,
            "witness": self.witness,
        }


# Findings the rule leaves open (docs/findings.md), as kb/modes/check.lp lists them.
def __getattr__(name: str):
    if name == "KNOWN":
        return known_findings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def questions_program(space: Space) -> str:
    """The questions of check.lp plus the declared Tier 3 routes, for one concrete scenario."""
    questions, _ = _split_program()
    routes = "".join(f"check_route_of({x}, {a}).\n" for x, a in space.route_of)
    return questions + "\n" + routes


def evaluate_questions(scenario_json: dict, space: Space, regime=None) -> tuple[int, set]:
    """Evaluate one concrete scenario with the KB and the questions: (number of
    answer sets, up to 2; the check_q atoms of the first)."""
    from pyrules.engine.control import default_engine
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario

    facts = scenario_facts(Scenario.from_dict(scenario_json))
    if regime is not None:
        facts = facts + regime.facts()
    models = default_engine().models(facts, extra_program=questions_program(space), max_models=2)
    qs = {a.arguments[0] for a in models[0] if a.name == "check_q"} if models else set()
    return len(models), qs


class Checker:
    """The knowledge base and the space, grounded once per amount band; one solve
    per question and band, under an assumption (multi-shot solving)."""

    def __init__(self, regime=None, space: Space | None = None):
        self.regime = regime
        self.space = space or build_space(regime)
        self.timings: dict[str, float] = {}
        t0 = time.perf_counter()
        _, whole = _split_program()
        self.bands = []
        for group in self.space.groups:
            ctl = clingo.Control(["--warn=none", "--models=0", "--opt-mode=opt"])
            ctl.add("base", [], kb.kb_text())
            ctl.add("base", [], whole)
            facts = []
            for s in self.space.grounded_slots(group):
                facts.append(Function("slot", [s.sym]))
                if s.required:
                    facts.append(Function("required", [s.sym]))
                for v in s.values:
                    facts.append(Function("dom", [s.sym, s.value_symbol(v)]))
            for e, role in ENTITIES.items():
                facts.append(Function("space_entity", [String(e), Function(role)]))
            for x, a in self.space.route_of:
                facts.append(Function("check_route_of", [Function(x), Function(a)]))
            if regime is not None:
                facts += regime.facts()
            with ctl.backend() as b:
                for sym in facts:
                    b.add_rule([b.add_atom(sym)])
            ctl.ground([("base", []), ("space", [])], context=Arithmetic())
            goals = {a.symbol.arguments[0]: a.literal for a in ctl.symbolic_atoms.by_signature("check_q", 1)}
            self.bands.append((group["label"], ctl, goals))
        self.timings["ground"] = time.perf_counter() - t0
        self.goals = set().union(*(g for _, _, g in self.bands))
        self.solves = 0
        self._n = 0

    def witness(self, goal: clingo.Symbol) -> dict | None:
        """Picks of a scenario where ``goal`` holds, or None when there is none in the space."""
        for label, ctl, goals in self.bands:
            lit = goals.get(goal)
            if lit is None:
                continue
            found: list = []

            def on_model(m):
                found[:] = [{a.arguments[0]: a.arguments[1] for a in m.symbols(atoms=True) if a.name == "pick"}]

            self.solves += 1
            ctl.solve(assumptions=[lit], on_model=on_model)
            if found:
                return found[-1]  # the last model found is the optimal (fewest fields)
        return None

    def _witness_json(self, goal, picks, label) -> dict:
        self._n += 1
        return picks_to_json(picks, self.space, f"check witness {self._n}: {label}")

    def _confirm(self, f: Finding, goal) -> None:
        if f.witness is None:
            return
        n, qs = evaluate_questions(f.witness, self.space, self.regime)
        f.reproduced = n == 1 and goal in qs

    # ---------------------------------------------------------------- questions
    def overlaps(self) -> list[Finding]:
        out = []
        for goal in sorted(g for g in self.goals if g.name == "overlap"):
            picks = self.witness(goal)
            if picks is None:
                continue
            p1, p2 = goal.arguments[0].name, goal.arguments[1].name
            fid = f"overlap:{p1}/{p2}"
            f = Finding(
                "overlap",
                fid,
                f"The wordings of {p1} and {p2} both apply and the rule states no precedence "
                f"(no reading chosen resolves them: no licensing policy)",
                [self._cite(p1), self._cite(p2)],
                known=fid in known_findings(),
            )
            f.witness = self._witness_json(goal, picks, f"{p1} and {p2} overlap")
            self._confirm(f, goal)
            out.append(f)
        return out

    def gaps(self) -> list[Finding]:
        goal = Function("no_policy")
        picks = self.witness(goal)
        if picks is None:
            return []
        f = Finding(
            "no_policy",
            "no_policy",
            "A licence is required and no fact is missing, yet no licensing policy applies",
            [],
        )
        f.witness = self._witness_json(goal, picks, "licence required, no policy")
        self._confirm(f, goal)
        # cite the requirements that apply in the witness
        d = _evaluate(f.witness, self.regime)
        f.citations = sorted({c["citation"] for c in d.controls})
        f.detail = {
            "controls": sorted({c["provision"] for c in d.controls}),
            "items": [it.get("eccn") for it in d.items],
        }
        f.id = "no_policy:" + ",".join(f.detail["controls"])
        f.known = f.id in known_findings()
        return [f]

    def dead_authorizations(self) -> tuple[list[Finding], dict]:
        out, reachable = [], {}
        for a, prov in sorted(self.space.authorizations.items()):
            goal = Function("available", [Function(a)])
            picks = self.witness(goal)
            reachable[a] = picks is not None
            if picks is None:
                fid = f"never_available:{a}"
                out.append(
                    Finding(
                        "never_available",
                        fid,
                        f"Authorization {a.upper()} is not available for any transaction of the space",
                        [self._cite(prov)],
                        known=fid in known_findings(),
                    )
                )
        return out, reachable

    def tier3_reach(self) -> list[Finding]:
        out = []
        for a, prov in sorted(self.space.authorizations.items()):
            for role in ("located", "headquartered", "ultimate_parent", "destination"):
                goal = Function("tier3_reach", [Function(a), Function(role)])
                picks = self.witness(goal)
                if picks is None:
                    continue
                fid = f"tier3_reach:{a}/{role}"
                f = Finding(
                    "tier3_reach",
                    fid,
                    f"Authorization {a.upper()} is available to a consignee tied to Tier 3 ({role.replace('_', ' ')}) "
                    f"and its file declares no Tier 3 route",
                    [self._cite(prov), self._cite("tier3")],
                    known=fid in known_findings(),
                    detail={"authorization": a, "tie": role},
                )
                f.witness = self._witness_json(goal, picks, f"{a.upper()} available, {role} in Tier 3")
                self._confirm(f, goal)
                out.append(f)
        return out

    def _cite(self, pid: str) -> str:
        return self.space.provisions.get(pid, pid)


def _evaluate(scenario_json: dict, regime=None):
    from pyrules.engine.control import default_engine

    return default_engine().evaluate(scenario_json, regime=regime)


# --------------------------------------------------------------------------- one answer set
def sample_scenarios(space: Space, n: int, seed: int = 0) -> list[dict]:
    """n concrete scenarios drawn at random from the space (each field absent or one of its values)."""
    from pyrules.inputs.model import Scenario

    rng = random.Random(seed)
    out: list[dict] = []
    tries = 0
    while len(out) < n and tries < n * 50:
        tries += 1
        picks = {}
        for s in space.slots:
            if not s.required and rng.random() < 0.25:
                continue
            picks[s.sym] = s.value_symbol(rng.choice(s.values))
        # the parent and the designer are described only when referred to, as in the ASP space
        refs = {
            "C": Function("tx", [Function("consignee")]) in picks,
            "P": Function("ent", [String("C"), Function("parent")]) in picks
            and Function("tx", [Function("consignee")]) in picks,
            "D": Function("item", [Number(1), Function("designer")]) in picks,
        }
        picks = {
            k: v for k, v in picks.items() if not (k.name in ("ent", "status") and not refs[k.arguments[0].string])
        }
        sc = picks_to_json(picks, space, f"sample {len(out) + 1}")
        try:
            Scenario.from_dict(sc)
        except InputError:
            continue
        out.append(sc)
    return out


def stratification_report() -> dict:
    """Structural evidence for exactly one answer set: the KB has no choice rules,
    disjunctions or integrity constraints, and no predicate depends on itself
    through negation (predicate-level stratification)."""
    problems = _kb_has_choices_or_constraints()
    edges: dict[str, set] = {}
    neg: set = set()

    def sig(atom_sym) -> str | None:
        if atom_sym.ast_type == clingo.ast.ASTType.Function:
            return f"{atom_sym.name}/{len(atom_sym.arguments)}"
        if atom_sym.ast_type == clingo.ast.ASTType.SymbolicTerm and atom_sym.symbol.type == clingo.SymbolType.Function:
            return f"{atom_sym.symbol.name}/{len(atom_sym.symbol.arguments)}"
        return None

    def body_atoms(node, negated, acc):
        if isinstance(node, clingo.ast.AST):
            if node.ast_type == clingo.ast.ASTType.Literal:
                n = negated or node.sign != clingo.ast.Sign.NoSign
                if node.atom.ast_type == clingo.ast.ASTType.SymbolicAtom:
                    s = sig(node.atom.symbol)
                    if s:
                        acc.append((s, n))
                    return
                body_atoms(node.atom, n, acc)
                return
            if node.ast_type in (clingo.ast.ASTType.BodyAggregate, clingo.ast.ASTType.Aggregate):
                negated = True  # aggregates are treated as non-monotone
            if node.ast_type == clingo.ast.ASTType.ConditionalLiteral:
                body_atoms(node.literal, negated, acc)
                for c in node.condition:
                    body_atoms(c, negated, acc)
                return
            for key in node.child_keys:
                body_atoms(getattr(node, key), negated, acc)
        elif not isinstance(node, (str, bytes)) and hasattr(node, "__iter__"):
            for child in node:
                body_atoms(child, negated, acc)

    def on_stmt(stmt) -> None:
        if stmt.ast_type != clingo.ast.ASTType.Rule:
            return
        h = stmt.head
        if h.ast_type != clingo.ast.ASTType.Literal or h.atom.ast_type != clingo.ast.ASTType.SymbolicAtom:
            return
        hs = sig(h.atom.symbol)
        if not hs:
            return
        acc: list = []
        body_atoms(stmt.body, False, acc)
        for s, n in acc:
            edges.setdefault(s, set()).add(hs)
            if n:
                neg.add((s, hs))

    clingo.ast.parse_string(kb.kb_text(), on_stmt)
    sccs = _sccs(edges)
    comp = {v: i for i, c in enumerate(sccs) for v in c}
    cycles = sorted(
        {tuple(sorted(sccs[comp[a]])) for a, b in neg if comp.get(a) is not None and comp.get(a) == comp.get(b)}
    )
    return {
        "kb_statements_against_one_answer_set": problems,
        "negative_cycles_between_predicates": [list(c) for c in cycles],
        "stratified_at_predicate_level": not cycles and not problems,
    }


def _sccs(edges: dict) -> list:
    nodes = set(edges) | {b for bs in edges.values() for b in bs}
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(comp)
    return out


def answer_set_findings(space: Space, samples: int, regime=None) -> tuple[list[Finding], dict]:
    from pyrules.engine.control import default_engine
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario
    from pyrules.engine.batch import count_answer_sets
    from pyrules.inputs.facts import scenario_terms

    eng = default_engine()
    out: list[Finding] = []
    counts = {0: 0, 1: 0, 2: 0}
    sampled = sample_scenarios(space, samples)
    extra = regime.facts() if regime is not None else []
    # All samples in one batch: it has exactly one answer set exactly when each sample
    # has; only otherwise is each sample counted alone, to name the ones that do not.
    if count_answer_sets([scenario_terms(Scenario.from_dict(sc)) for sc in sampled], extra) == 1:
        counts[1] = len(sampled)
        sampled = []
    for sc in sampled:
        facts = scenario_facts(Scenario.from_dict(sc))
        if regime is not None:
            facts += regime.facts()
        n = len(eng.models(facts, max_models=2))
        counts[min(n, 2)] += 1
        if n != 1:
            fid = f"answer_sets:{len(out) + 1}"
            out.append(
                Finding(
                    "answer_sets",
                    fid,
                    f"The knowledge base gives {'no' if n == 0 else 'more than one'} answer set",
                    [],
                    witness=sc,
                    reproduced=True,
                    detail={"answer_sets": n},
                )
            )
    return out, {"sampled": sum(counts.values()), "exactly_one": counts[1], "none": counts[0], "several": counts[2]}


# --------------------------------------------------------------------------- the whole check
def run_check(samples: int = DEFAULT_SAMPLES, regime=None) -> dict:
    t0 = time.perf_counter()
    space = build_space(regime)
    t_space = time.perf_counter() - t0
    checker = Checker(regime, space)
    timings = {"space": round(t_space, 3), "ground": round(checker.timings["ground"], 3)}
    findings: list[Finding] = []

    def timed(name, fn):
        t = time.perf_counter()
        r = fn()
        timings[name] = round(time.perf_counter() - t, 3)
        return r

    findings += timed("overlaps", checker.overlaps)
    findings += timed("no_policy", checker.gaps)
    dead, reachable = timed("never_available", checker.dead_authorizations)
    findings += dead
    findings += timed("tier3_reach", checker.tier3_reach)
    structure = timed("structure", stratification_report)
    sampled, sample_counts = timed("answer_sets", lambda: answer_set_findings(space, samples, regime))
    findings += sampled
    timings["total"] = round(time.perf_counter() - t0, 3)
    return {
        "format_version": 1,
        "space": {
            "countries": space.countries,
            "eccns": space.eccns,
            "dates": [_date_text(d) for d in space.dates],
            "slots": len(space.slots),
            "scenarios": space.size(),
            "authorizations": sorted(space.authorizations),
        },
        "findings": [f.to_json() for f in findings],
        "authorizations_reachable": reachable,
        "answer_sets": {"structure": structure, "samples": sample_counts},
        "summary": {
            "findings": len(findings),
            "new": sum(not f.known for f in findings),
            "known": sum(f.known for f in findings),
            "by_kind": _count(f.kind for f in findings),
            "all_witnesses_reproduce": all(f.reproduced is not False for f in findings),
        },
        "timings_seconds": timings,
    }


def _count(it) -> dict:
    out: dict = {}
    for k in it:
        out[k] = out.get(k, 0) + 1
    return out


def write_witnesses(result: dict, directory) -> list[Path]:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, f in enumerate(result["findings"], start=1):
        if f["witness"] is None:
            continue
        slug = re.sub(r"[^A-Za-z0-9]+", "_", f["id"]).strip("_")
        p = d / f"{i:02d}_{slug}.json"
        p.write_text(json.dumps(f["witness"], indent=2) + "\n", encoding="utf-8")
        f["witness_file"] = str(p)
        paths.append(p)
    return paths


def check_text(result: dict) -> str:
    out = []
    sp = result["space"]
    out.append(
        f"Consistency check of the abstract space: {sp['scenarios']:.3g} scenarios "
        f"({sp['slots']} fields; countries {', '.join(sp['countries'])}; ECCNs {', '.join(sp['eccns'])})"
    )
    for f in result["findings"]:
        tag = "known" if f["known"] else "NEW"
        rep = {True: "witness reproduces", False: "WITNESS DOES NOT REPRODUCE", None: "no witness"}[f["reproduced"]]
        out.append(f"[{tag}] {f['id']}: {f['description']}")
        if f["citations"]:
            out.append(f"        citations: {'; '.join(f['citations'])}")
        out.append(f"        {rep}" + (f" ({f['witness_file']})" if f.get("witness_file") else ""))
    r = result["authorizations_reachable"]
    out.append(
        "Authorizations available somewhere in the space: "
        + ", ".join(a.upper() for a, ok in sorted(r.items()) if ok)
        + ("; never: " + ", ".join(a.upper() for a, ok in sorted(r.items()) if not ok) if not all(r.values()) else "")
    )
    st = result["answer_sets"]
    s = st["samples"]
    out.append(
        f"One answer set: {s['exactly_one']} of {s['sampled']} sampled scenarios have exactly one; "
        f"predicate-level stratification: {'yes' if st['structure']['stratified_at_predicate_level'] else 'no'}"
        + (
            ""
            if st["structure"]["stratified_at_predicate_level"]
            else f" (negative cycles: {st['structure']['negative_cycles_between_predicates']}; "
            f"statements: {st['structure']['kb_statements_against_one_answer_set']})"
        )
    )
    sm = result["summary"]
    out.append(
        f"Summary: {sm['findings']} findings ({sm['new']} new, {sm['known']} known) in "
        f"{result['timings_seconds']['total']:.1f} s"
    )
    return "\n".join(out)
