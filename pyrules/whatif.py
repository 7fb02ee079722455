"""Minimal-change counterfactuals: what minimal change makes this transaction lawful?

    >>> from pyrules.whatif import repairs
    >>> r = repairs(scenario, "presumption_of_approval",
    ...             [{"fact": "headquartered", "entity": "HoldCo"}])
    >>> print(r.to_text())

The question names a goal and what may change; everything else stays fixed. Each
changeable fact becomes a choice among a few alternatives in the mode program
``kb/modes/whatif.lp`` (which replaces the scenario's own fact for it), the goal is
a constraint read off the knowledge base's own conclusions, the (weighted) number
of changes is minimised, and every optimal repair is enumerated (clingo
``--opt-mode=optN``, keeping only models proven optimal).

Python decides no legal question here. It computes the *candidate values* (exact
integers for quantities and TPP amounts, calendar arithmetic for dates), applies a
repair to the JSON scenario and checks it by a fresh ``pyrules.evaluate``.

Alternatives are kept small:
  * countries: one representative per class of countries the knowledge base treats
    alike (computed in ASP, ``#program classes`` of the mode); a change is reported
    as "any country of that class", and repairs differing only in the class of one
    change are grouped ("any Tier 1 or Tier 2 country");
  * quantities: for each TPP threshold of the knowledge base (param/2 values,
    allocations) less what the scenario says is already used, the largest quantity
    whose shipment stays within it (and the largest staying strictly below it);
    reported as "at most N". Quantities are chosen in an outer loop (clingo's
    assignment aggregates in kb/arithmetic.lp would ground every combination of
    candidate quantities), the other changes inside the optimisation;
  * dates: the rule's key dates (key_date/2), the day before each, and the day
    after each provision ceases to be in force.
"""
from __future__ import annotations

import datetime as _dt
import functools
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import clingo

from . import kb, schema
from .arithmetic import Arithmetic, big, from_big
from .errors import InputError
from .facts import scenario_facts
from .model import Scenario, parse_big, parse_date

ABSENT = clingo.Function("absent")
TRUE, FALSE = clingo.Function("true"), clingo.Function("false")
FORMAT_VERSION = 1

GROUP_NAMES = {"a1": "A:1", "a5": "A:5", "a6": "A:6", "d5": "D:5", "supp5a": "Supp. No. 5 (a)"}

CHANGE_KINDS = ("headquartered", "located", "parent", "destination", "quantity", "purpose",
                "date", "via_distributor", "fact", "status")


# ----------------------------------------------------------------------------- helpers
def _date_int(d: _dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _int_date(n: int) -> _dt.date:
    return _dt.date(n // 10000, n // 100 % 100, n % 100)


def _date_str(n: int) -> str:
    return _int_date(n).isoformat()


@functools.lru_cache(maxsize=None)
def _mode_text() -> str:
    return (kb.kb_dir() / "modes" / "whatif.lp").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=None)
def _kb_country_literals() -> tuple[str, ...]:
    """Country codes written literally in the KB's rules (not in countries.lp)."""
    codes = set(kb.countries())
    found: set[str] = set()
    for p in kb.kb_files():
        if p.name == "countries.lp":
            continue
        for line in p.read_text(encoding="utf-8").splitlines():
            code = line.split("%", 1)[0]
            found |= {c for c in re.findall(r'"([A-Z]{2})"', code) if c in codes}
    return tuple(sorted(found))


@functools.lru_cache(maxsize=None)
def country_classes() -> dict[str, str]:
    """country -> representative of its class (before the scenario's own countries
    are split off), computed by ``#program classes`` of the mode."""
    ctl = clingo.Control(["--warn=none"])
    ctl.add("classes", [], (kb.kb_dir() / "countries.lp").read_text(encoding="utf-8"))
    ctl.add("classes", [], _mode_text())
    with ctl.backend() as b:
        for c in _kb_country_literals():
            b.add_rule([b.add_atom(clingo.Function("wi_special", [clingo.String(c)]))])
    ctl.ground([("classes", [])])
    out = {}
    for a in ctl.symbolic_atoms.by_signature("wi_class0", 2):
        out[a.symbol.arguments[0].string] = a.symbol.arguments[1].string
    return out


@functools.lru_cache(maxsize=None)
def _groups_of() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb.kb_dir() / "countries.lp").read_text(encoding="utf-8"))
    ctl.ground([("base", [])])
    for a in ctl.symbolic_atoms.by_signature("group_member", 4):
        out.setdefault(a.symbol.arguments[1].string, []).append(a.symbol.arguments[0].name)
    return {c: tuple(sorted(g)) for c, g in out.items()}


# ----------------------------------------------------------------------------- the question
@dataclass
class Var:
    """One changeable thing."""
    kind: str                  # one of CHANGE_KINDS
    key: clingo.Symbol         # its id in the mode program
    vtype: str                 # country | entity | bool | enum:... | date | big | quantity
    cost: int = 1
    entity: str | None = None
    item: int | None = None
    name: str | None = None
    current: Any = None        # JSON value, None when not given
    alts: list[clingo.Symbol] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind in ("headquartered", "located", "parent"):
            return f"{self.kind} of {self.entity}"
        if self.kind == "quantity":
            return f"quantity of item {self.item}"
        if self.kind == "fact":
            return f"fact {self.name}"
        if self.kind == "status":
            return f"status {self.name} of {self.entity}"
        return self.kind

    def spec(self) -> dict:
        d: dict[str, Any] = {"fact": self.kind}
        if self.entity is not None:
            d["entity"] = self.entity
        if self.item is not None:
            d["item"] = self.item
        if self.name is not None:
            d["name"] = self.name
        if self.cost != 1:
            d["cost"] = self.cost
        return d


def _goal_symbol(goal: str) -> tuple[clingo.Symbol, str]:
    if not isinstance(goal, str) or not goal.strip():
        raise InputError(f"expected a goal name, got {goal!r}", field="goal")
    g = goal.strip()
    low = g.lower().replace("-", "_").replace(" ", "_")
    if low in ("authorized", "authorised"):
        return clingo.Function("authorized"), "authorized"
    if low in ("no_licence_required", "no_license_required", "no_licence", "no_license"):
        return clingo.Function("no_licence_required"), "no_licence_required"
    if low.upper() in schema.AUTHORIZATIONS:
        return clingo.Function("auth", [clingo.Function(low)]), low
    if low in _policies():
        return clingo.Function("policy", [clingo.Function(low)]), low
    raise InputError(f"unknown goal {goal!r}; expected authorized, no_licence_required, an authorization "
                     f"({', '.join(a.lower() for a in schema.AUTHORIZATIONS)}) or a policy "
                     f"({', '.join(sorted(_policies()))})", field="goal")


@functools.lru_cache(maxsize=None)
def _policies() -> frozenset[str]:
    return frozenset(re.findall(r"policy_candidate\(\s*([a-z_]+)\s*,", kb.kb_text()))


def _parse_change(spec: Any, s: Scenario, costs: dict | None, where: str) -> Var:
    if isinstance(spec, str):
        spec = _parse_change_text(spec, where)
    if not isinstance(spec, dict) or "fact" not in spec:
        raise InputError("expected an object with 'fact' (what may change)", field=where)
    allowed = {"fact", "entity", "item", "name", "cost"}
    for k in spec:
        if k not in allowed:
            raise InputError(f"unknown field {k!r}; expected one of {', '.join(sorted(allowed))}", field=f"{where}.{k}")
    kind = spec["fact"]
    if kind == "via distributor":
        kind = "via_distributor"
    if kind == "to":
        kind = "destination"
    if kind not in CHANGE_KINDS:
        raise InputError(f"cannot change {kind!r}; expected one of {', '.join(CHANGE_KINDS)}", field=where + ".fact")
    d = s.data
    tx, ents = d.get("transaction", {}), d.get("entities", {})
    cost = spec.get("cost", 1)
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0 or cost > 1_000_000:
        raise InputError(f"a cost is a whole number from 0 to 1,000,000, got {cost!r}", field=where + ".cost")
    S, F = clingo.String, clingo.Function
    if kind in ("headquartered", "located", "parent", "status"):
        e = spec.get("entity")
        if e not in ents:
            raise InputError(f"unknown entity {e!r}; the scenario has {', '.join(ents) or 'none'}", field=where + ".entity")
    if kind in ("headquartered", "located"):
        short = "hq" if kind == "headquartered" else "loc"
        v = Var(kind, F(short, [S(e)]), "country", cost, entity=e, current=ents[e].get(kind))
    elif kind == "parent":
        v = Var(kind, F("parent", [S(e)]), "entity", cost, entity=e, current=ents[e].get("parent"))
    elif kind == "destination":
        v = Var(kind, F("destination"), "country", cost, current=tx.get("to"))
    elif kind == "purpose":
        v = Var(kind, F("purpose"), schema.TRANSACTION_FIELDS["purpose"][0], cost, current=tx.get("purpose"))
    elif kind == "via_distributor":
        v = Var(kind, F("via_distributor"), "bool", cost, current=tx.get("via_distributor"))
    elif kind == "date":
        v = Var(kind, F("date"), "date", cost, current=d.get("date"))
    elif kind == "quantity":
        i = spec.get("item")
        items = d.get("items", [])
        if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= len(items) or "quantity" not in items[i - 1]:
            raise InputError(f"expected the number of an item line with a quantity (1..{len(items)}), got {i!r}",
                             field=where + ".item")
        v = Var(kind, F("quantity", [clingo.Number(i)]), "quantity", cost, item=i, current=items[i - 1]["quantity"])
    elif kind == "fact":
        n = spec.get("name")
        if n not in schema.FACTS:
            raise InputError(f"unknown fact {n!r}; known: {', '.join(schema.FACTS)}", field=where + ".name")
        v = Var(kind, F("fact", [F(n)]), _vtype(schema.FACTS[n][0], where), cost, name=n,
                current=d.get("facts", {}).get(n))
    else:  # status
        n = spec.get("name")
        if n not in schema.ENTITY_STATUS:
            raise InputError(f"unknown status {n!r}; known: {', '.join(schema.ENTITY_STATUS)}", field=where + ".name")
        v = Var(kind, F("status", [S(e), F(n)]), _vtype(schema.ENTITY_STATUS[n][0], where), cost, entity=e, name=n,
                current=ents[e].get("status", {}).get(n))
    if costs:
        for key in (v.label, v.kind):
            if key in costs:
                v.cost = int(costs[key])
                break
    return v


def _vtype(kind: str, where: str) -> str:
    if kind in ("bool", "country", "date") or kind.startswith("enum:"):
        return kind
    if kind in ("tpp", "ops"):
        return "big"
    raise InputError(f"pyrules cannot yet vary a value of type {kind!r}", field=where)


_TEXT_CHANGE = re.compile(r"^\s*(headquartered|located|parent|status\s+(\w+))\s+of\s+(\S+)\s*$|"
                          r"^\s*quantity\s+of\s+item\s+(\d+)\s*$|^\s*fact\s+(\w+)\s*$|"
                          r"^\s*(destination|purpose|date|via[ _]distributor)\s*$")


def _parse_change_text(text: str, where: str) -> dict:
    """The CLI's --change SPEC: 'headquartered of HoldCo', 'quantity of item 1 cost 2',
    'destination', 'fact lpp_certification_obtained', 'status uveu of X'."""
    cost = None
    m = re.search(r"\s+cost\s+(\d+)\s*$", text)
    if m:
        cost, text = int(m.group(1)), text[:m.start()]
    m = _TEXT_CHANGE.match(text)
    if not m:
        raise InputError(f"cannot read the change {text!r}", field=where)
    if m.group(1):
        if m.group(2):
            d = {"fact": "status", "name": m.group(2), "entity": m.group(3)}
        else:
            d = {"fact": m.group(1), "entity": m.group(3)}
    elif m.group(4):
        d = {"fact": "quantity", "item": int(m.group(4))}
    elif m.group(5):
        d = {"fact": "fact", "name": m.group(5)}
    else:
        d = {"fact": m.group(6).replace(" ", "_")}
    if cost is not None:
        d["cost"] = cost
    return d


def default_changes(s: Scenario) -> list[dict]:
    """What may change when a question names nothing: the destination, each entity's
    headquarters and location, each item's quantity, the purpose, the distributor
    flag and the date."""
    d = s.data
    out: list[dict] = [{"fact": "destination"}]
    for e in d.get("entities", {}):
        out += [{"fact": "headquartered", "entity": e}, {"fact": "located", "entity": e}]
    for i, it in enumerate(d.get("items", []), start=1):
        if "quantity" in it:
            out.append({"fact": "quantity", "item": i})
    out += [{"fact": "purpose"}, {"fact": "via_distributor"}, {"fact": "date"}]
    return out


# ----------------------------------------------------------------------------- values
def _value_symbol(v: Var, value: Any) -> clingo.Symbol:
    """The ASP value for a JSON value of v."""
    if value is None:
        return ABSENT
    t = v.vtype
    if t in ("country", "entity"):
        return clingo.String(value)
    if t == "bool":
        return TRUE if value else FALSE
    if t.startswith("enum:"):
        return clingo.Function(value)
    if t == "date":
        return clingo.Number(parse_date(value, v.label))
    if t == "big":
        return big(parse_big(value, v.label))
    if t == "quantity":
        return clingo.Number(value)
    raise AssertionError(t)


def _json_value(v: Var, sym: clingo.Symbol) -> Any:
    if sym == ABSENT:
        return None
    t = v.vtype
    if t in ("country", "entity"):
        return sym.string
    if t == "bool":
        return sym == TRUE
    if t.startswith("enum:"):
        return sym.name
    if t == "date":
        return _date_str(sym.number)
    if t == "big":
        return from_big(sym)
    if t == "quantity":
        return sym.number
    raise AssertionError(t)


# ----------------------------------------------------------------------------- results
@dataclass
class Change:
    var: Var
    value: Any                         # JSON value (for a country: the representative)
    classes: list[dict] | None = None  # for a country change: the classes allowed
    tier_of: dict = field(default_factory=dict, repr=False)  # country -> tier, for the text

    @property
    def kind(self) -> str:
        return self.var.kind

    def values(self) -> list[Any]:
        """Every concrete value this change stands for (one per country class)."""
        if self.classes:
            return [c["representative"] for c in self.classes]
        return [self.value]

    def text(self) -> str:
        v = self.var
        if v.vtype == "country":
            where = _classes_text(self.classes or [], v.current, self.tier_of)
            if v.kind == "destination":
                return f"destination {where}"
            if v.kind == "fact":
                return f"{v.name} {where}"
            return f"{v.entity} {v.kind} in {where}"
        if v.kind == "parent":
            return f"{v.entity} has no parent" if self.value is None else f"{v.entity}'s parent is {self.value}"
        if v.kind == "quantity":
            return f"quantity of item {v.item} at most {self.value:,} {_item_unit(v)} (now {v.current:,})"
        if v.kind == "via_distributor":
            return "through a distributor" if self.value else "not through a distributor (direct to the consignee)"
        if v.kind == "purpose":
            return f"purpose {self.value}"
        if v.kind == "date":
            return f"date {self.value}"
        if v.kind == "fact":
            if v.vtype == "big":
                return f"{v.name} at most {self.value:,}"
            return f"{v.name} = {json.dumps(self.value)}"
        if v.kind == "status":
            return f"{v.entity} status {v.name} = {json.dumps(self.value)}"
        return f"{v.label} = {self.value}"

    def to_json(self) -> dict:
        d = {"change": self.var.spec(), "from": self.var.current, "to": self.value, "text": self.text(),
             "cost": self.var.cost}
        if self.var.kind == "quantity":
            d["to"] = {"at_most": self.value}
        if self.var.vtype == "big":
            d["to"] = {"at_most": self.value}
        if self.classes is not None:
            d["to"] = {"any_country_of": self.classes, "tiers": sorted({c["tier"] for c in self.classes if c["tier"]})}
        return d


def _item_unit(v: Var) -> str:
    return v.__dict__.get("_unit", "units")


@dataclass
class Repair:
    changes: list[Change]
    cost: int
    opens: list[str] = field(default_factory=list)
    satisfies: list[dict] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    verified: bool = True
    minimal: bool | None = None

    def to_json(self) -> dict:
        return {"changes": [c.to_json() for c in self.changes], "cost": self.cost, "opens": self.opens,
                "satisfies": self.satisfies, "citations": self.citations, "verified": self.verified,
                "minimal": self.minimal}

    def text(self) -> str:
        if not self.changes:
            return "no change needed: the scenario already meets the goal"
        return "; ".join(c.text() for c in self.changes)


@dataclass
class WhatIfResult:
    scenario: str
    goal: str
    may_change: list[dict]
    reachable: bool
    repairs: list[Repair] = field(default_factory=list)
    optimal_cost: int | None = None
    rejected: list[Repair] = field(default_factory=list)   # failed the fresh evaluation (a bug if any)
    raw_count: int = 0                                        # repairs before grouping by country class
    seconds: float = 0.0

    @property
    def already_met(self) -> bool:
        return self.reachable and self.optimal_cost == 0

    def to_json(self) -> dict:
        return {"format_version": FORMAT_VERSION, "scenario": self.scenario, "goal": self.goal,
                "may_change": self.may_change, "reachable": self.reachable, "already_met": self.already_met,
                "optimal_cost": self.optimal_cost, "repairs": [r.to_json() for r in self.repairs],
                "rejected": [r.to_json() for r in self.rejected]}

    def to_text(self) -> str:
        lines = [f"== what if: {self.scenario}", f"   goal: {self.goal.replace('_', ' ')}",
                 "   may change: " + (", ".join(_spec_label(s) for s in self.may_change) or "nothing")]
        if not self.reachable:
            lines.append("No change within what may change reaches the goal.")
        elif self.already_met:
            lines.append("The scenario already meets the goal: the empty repair (no change).")
        else:
            n = len(self.repairs)
            lines.append(f"{n} optimal repair{'s' if n != 1 else ''} (cost {self.optimal_cost} each):")
            for k, r in enumerate(self.repairs, start=1):
                lines.append(f"  {k}. " + r.text())
                if r.opens:
                    lines.append("     opens: " + ", ".join(r.opens))
                for sat in r.satisfies:
                    lines.append(f"     satisfies: {sat['description']}  [{sat['citation']}]")
                if not r.minimal and r.minimal is not None:
                    lines.append("     (not minimal: a proper subset of these changes also reaches the goal)")
        for r in self.rejected:
            lines.append("  rejected by the fresh evaluation (please report): " + r.text())
        return "\n".join(lines)


def _spec_label(spec: dict) -> str:
    s = spec["fact"]
    if "name" in spec:
        s += " " + spec["name"]
    if "entity" in spec:
        s += " of " + spec["entity"]
    if "item" in spec:
        s += f" of item {spec['item']}"
    if spec.get("cost", 1) != 1:
        s += f" (cost {spec['cost']})"
    return s


def _classes_text(classes: list[dict], current: str | None, tier_of: dict[str, int]) -> str:
    """'any Tier 1 or Tier 2 country', or the classes one by one. A tier counts as
    covered when every country of it is allowed but the current value. ``tier_of``:
    every country's tier in the model that chose the change."""
    universe: dict[int, set[str]] = {}
    for c, t in tier_of.items():
        universe.setdefault(t, set()).add(c)
    by_tier: dict[Any, list[dict]] = {}
    for c in classes:
        by_tier.setdefault(c["tier"], []).append(c)
    full, partial = [], []
    for t in sorted(by_tier, key=lambda t: (t is None, t)):
        members = {m for c in by_tier[t] for m in c["countries"]}
        missing = universe.get(t, set()) - members - ({current} if current else set())
        if t is not None and not missing and len(members) > 1:
            full.append(t)
        else:
            partial.extend(by_tier[t])
    parts = []
    if full:
        parts.append("any " + " or ".join(f"Tier {t}" for t in full) + " country")
        if current and tier_of.get(current) in full:
            parts[-1] += f" other than {current}"
    parts += [_class_text(c) for c in partial]
    return "; or ".join(parts)


def _class_text(c: dict) -> str:
    members = c["countries"]
    if len(members) == 1:
        return members[0]
    groups = ", ".join(GROUP_NAMES.get(g, g) for g in c["groups"]) or "no country group"
    shown = ", ".join(members[:6]) + (" ..." if len(members) > 6 else "")
    return f"a Tier {c['tier']} country of {groups} ({len(members)} countries: {shown})"


# ----------------------------------------------------------------------------- the engine
class _Problem:
    def __init__(self, scenario: Scenario, goal: str, may_change: list, costs: dict | None):
        self.scenario = scenario
        self.goal_sym, self.goal = _goal_symbol(goal)
        seen = set()
        self.vars: list[Var] = []
        for k, spec in enumerate(may_change):
            v = _parse_change(spec, scenario, costs, f"may_change[{k}]")
            if v.key in seen:
                raise InputError(f"{v.label} is named twice", field=f"may_change[{k}]")
            seen.add(v.key)
            self.vars.append(v)
        self.base_facts = scenario_facts(scenario)
        self.base_atoms = _all_atoms(self.base_facts)
        self._candidates()

    # -- candidate values ----------------------------------------------------------
    def _candidates(self) -> None:
        by: dict[str, list[tuple]] = {}
        for a in self.base_atoms:
            by.setdefault(a.name, []).append(tuple(a.arguments))
        self.by = by
        ents = list(self.scenario.data.get("entities", {}))
        thresholds = self._thresholds()
        used = {0} | {from_big(a[1]) for a in by.get("fact", []) if _is_big(a[1])}
        budgets = sorted({x - u for x in thresholds for u in used if x - u > 0})
        ship = by.get("shipment_tpp", [])
        shipment = from_big(ship[0][0]) if ship else 0
        addends = {a[1].number: from_big(a[2]) for a in by.get("addend", [])
                   if a[0] == clingo.Function("shipment_tpp") and a[1].type == clingo.SymbolType.Number}
        unit = {a[0].number: a[1].number for a in by.get("unit_tpp", [])}
        items = self.scenario.data.get("items", [])
        for v in self.vars:
            t = v.vtype
            cur = _value_symbol(v, v.current)
            if t == "bool":
                v.alts = [x for x in (TRUE, FALSE) if x != cur]
            elif t.startswith("enum:"):
                v.alts = [clingo.Function(x) for x in t[5:].split("|") if clingo.Function(x) != cur]
            elif t == "entity":
                v.alts = [clingo.String(e) for e in ents if e != v.entity and clingo.String(e) != cur]
                if cur != ABSENT:
                    v.alts.append(ABSENT)
            elif t == "date":
                v.alts = [clingo.Number(d) for d in self._dates(v) if clingo.Number(d) != cur]
            elif t == "big":
                vals = {0} | {b - shipment for b in budgets if b - shipment >= 0}
                vals |= {x for x in thresholds} | {x - 1 for x in thresholds if x > 0}
                if v.current is not None:
                    vals = {x for x in vals if x < parse_big(v.current, v.label)}
                v.alts = [big(x) for x in sorted(vals) if big(x) != cur]
            elif t == "quantity":
                i, q = v.item, v.current
                tpp = unit.get(i)
                v._unit = items[i - 1].get("chip") or items[i - 1].get("eccn") or "units"
                vals: set[int] = set()
                if tpp and i in addends:
                    other = shipment - addends[i]
                    for b in budgets:
                        room = b - other
                        for r in (room, room - 1):
                            n = r // tpp
                            if 1 <= n < q:
                                vals.add(n)
                v.alts = [clingo.Number(n) for n in sorted(vals, reverse=True)]
            # countries: alternatives come from the mode's classes

    def _thresholds(self) -> set[int]:
        """The n(...) numbers the KB compares TPP with: parameters and allocations."""
        out = set()
        for name in ("param", "nveu_allocation", "allocation", "allocation_bound"):
            for args in self.by.get(name, []):
                for x in args:
                    if _is_big(x):
                        out.add(from_big(x))
        return out

    def _dates(self, v: Var) -> list[int]:
        ds: set[int] = set()
        for _, d in self.by.get("key_date", []):
            day = _int_date(d.number)
            ds |= {d.number, _date_int(day - _dt.timedelta(days=1))}
        for args in self.by.get("provision", []):
            to = args[4].number
            if to < 99991231:
                ds.add(_date_int(_int_date(to) + _dt.timedelta(days=1)))
        if v.kind == "fact":  # a date fact: also N days before the scenario's date
            as_of = [a[0].number for a in self.by.get("as_of", [])]
            for name, val in self.by.get("param", []):
                if "days" in name.name and val.type == clingo.SymbolType.Number and as_of:
                    ds.add(_date_int(_int_date(as_of[0]) - _dt.timedelta(days=val.number)))
        return sorted(ds)

    # -- the optimisation ------------------------------------------------------------
    def specials(self) -> set[str]:
        d = self.scenario.data
        out = set()
        tx = d.get("transaction", {})
        for k in ("from", "to"):
            if k in tx:
                out.add(tx[k])
        for e in d.get("entities", {}).values():
            for k in ("located", "headquartered"):
                if k in e:
                    out.add(e[k])
        for k, val in d.get("facts", {}).items():
            if schema.FACTS.get(k, ("",))[0] == "country":
                out.add(val)
        return out

    def program_facts(self, quantities: dict[int, int], budget: int | None) -> list[clingo.Symbol]:
        F = clingo.Function
        owned = set()
        for v in self.vars:
            if v.kind in ("headquartered", "located", "parent"):
                owned.add((v.kind, v.entity))
            elif v.kind == "destination":
                owned.add(("ship_to",))
            elif v.kind in ("purpose", "via_distributor"):
                owned.add((v.kind,))
            elif v.kind == "date":
                owned.add(("as_of",))
            elif v.kind == "fact":
                owned.add(("fact", v.name))
            elif v.kind == "status":
                owned.add(("entity_status", v.entity, v.name))
        out = []
        for f in self.base_facts:
            a = f.arguments
            if f.name in ("headquartered", "located", "parent") and (f.name, a[0].string) in owned:
                continue
            if f.name in ("ship_to", "purpose", "via_distributor", "as_of") and (f.name,) in owned:
                continue
            if f.name == "fact" and ("fact", a[0].name) in owned:
                continue
            if f.name == "entity_status" and ("entity_status", a[0].string, a[1].name) in owned:
                continue
            if f.name == "item_quantity" and a[0].number in quantities:
                f = F("item_quantity", [a[0], clingo.Number(quantities[a[0].number])])
            out.append(f)
        classes = country_classes()
        out += [F("wi_class0", [clingo.String(c), clingo.String(r)]) for c, r in classes.items()]
        out += [F("wi_single", [clingo.String(c)]) for c in self.specials() if c in classes]
        out.append(F("wi_goal", [self.goal_sym]))
        for v in self.vars:
            if v.kind == "quantity":
                continue
            out.append(F("wi_var", [v.key]))
            out.append(F("wi_cost", [v.key, clingo.Number(v.cost)]))
            cur = _value_symbol(v, v.current)
            if cur != ABSENT:
                out.append(F("wi_current", [v.key, cur]))
            if v.vtype == "country":
                out.append(F("wi_country_var", [v.key]))
            out += [F("wi_alt", [v.key, x]) for x in v.alts]
        if budget is not None:
            out.append(F("wi_budget", [clingo.Number(budget)]))
        return out

    def solve(self, quantities: dict[int, int], budget: int | None):
        """(optimal cost, [models]) for fixed quantities; cost None when unsatisfiable.
        A model is (changes {var key: value symbol}, tiers {rep: tier}, classes {country: rep})."""
        ctl = clingo.Control(["--warn=none", "--opt-mode=optN", "--models=0"])
        ctl.add("base", [], kb.kb_text())
        ctl.add("base", [], _mode_text())
        with ctl.backend() as b:
            for f in self.program_facts(quantities, budget):
                b.add_rule([b.add_atom(f)])
        ctl.ground([("base", [])], context=Arithmetic())
        models = []
        best: list[int | None] = [None]

        def on_model(m: clingo.Model) -> None:
            if m.cost and not m.optimality_proven:
                return  # keep only models proven optimal (an empty #minimize has no cost)
            cost = m.cost[0] if m.cost else 0
            changes, tiers, classes = {}, {}, {}
            for a in m.symbols(shown=True):
                if a.name == "wi_changed":
                    changes[a.arguments[0]] = a.arguments[1]
                elif a.name == "wi_tier":
                    tiers[a.arguments[0].string] = a.arguments[1].number
                elif a.name == "wi_class":
                    classes[a.arguments[0].string] = a.arguments[1].string
            best[0] = cost
            models.append((changes, tiers, classes))

        ctl.solve(on_model=on_model)
        return best[0], models


def _is_big(x: clingo.Symbol) -> bool:
    return x.type == clingo.SymbolType.Function and x.name == "n" and len(x.arguments) == 5


def _all_atoms(facts: list[clingo.Symbol]) -> list[clingo.Symbol]:
    from .engine import default_engine
    return default_engine().answer(facts, shown_only=False)


# ----------------------------------------------------------------------------- the API
def repairs(scenario: Scenario | dict, goal: str = "authorized", may_change: Iterable | None = None,
            costs: dict | None = None, *, check_minimal: bool = True, group: bool = True) -> WhatIfResult:
    """All optimal repairs: the cheapest sets of changes, within ``may_change``, that
    make ``scenario`` meet ``goal``.

    goal: "authorized", "no_licence_required", an authorization ("lpp", "AIA" ...) or a
      policy ("presumption_of_approval" ...).
    may_change: specs such as {"fact": "headquartered", "entity": "HoldCo"},
      {"fact": "quantity", "item": 1, "cost": 2}, {"fact": "destination"}, {"fact": "date"},
      {"fact": "fact", "name": "lpp_certification_obtained"},
      {"fact": "status", "name": "uveu", "entity": "X"}, or the text form
      "headquartered of HoldCo". None: default_changes(scenario).
    costs: optional {label or kind: cost}, e.g. {"destination": 3}.
    """
    import time
    t0 = time.perf_counter()
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    if may_change is None:
        may_change = default_changes(scenario)
    may_change = list(may_change)
    p = _Problem(scenario, goal, may_change, costs)
    specs = [v.spec() for v in p.vars]
    qvars = [v for v in p.vars if v.kind == "quantity"]

    # Outer loop over the quantity choices (cheapest first), inner optimisation over
    # the rest; stop once the quantity changes alone cost more than the best found.
    combos = []
    for choice in itertools.product(*[[None] + [a.number for a in v.alts] for v in qvars]):
        qcost = sum(v.cost for v, c in zip(qvars, choice) if c is not None)
        combos.append((qcost, choice))
    combos.sort(key=lambda t: t[0])
    best: int | None = None
    found: list[tuple[dict, dict, dict, dict]] = []  # (quantity changes, changes, tiers, classes)
    for qcost, choice in combos:
        if best is not None and qcost > best:
            break
        quantities = {v.item: c for v, c in zip(qvars, choice) if c is not None}
        budget = None if best is None else best - qcost
        cost, models = p.solve(quantities, budget)
        if cost is None:
            continue
        total = cost + qcost
        if best is None or total < best:
            best, found = total, []
        if total == best:
            found += [(quantities, ch, ti, cl) for ch, ti, cl in models]

    result = WhatIfResult(scenario=scenario.name, goal=p.goal, may_change=specs, reachable=best is not None,
                          optimal_cost=best, raw_count=len(found))
    if best is None:
        result.seconds = time.perf_counter() - t0
        return result
    original = _evaluate(scenario)
    raw: list[Repair] = []
    for quantities, ch, tiers, classes in found:
        changes = []
        for v in p.vars:
            if v.kind == "quantity":
                if v.item in quantities:
                    changes.append(Change(v, quantities[v.item]))
            elif v.key in ch:
                sym = ch[v.key]
                c = Change(v, _json_value(v, sym))
                if v.vtype == "country":
                    c.classes = [_class_info(sym.string, classes, tiers)]
                    c.tier_of = {k: tiers[r] for k, r in classes.items() if r in tiers}
                changes.append(c)
        raw.append(Repair(changes, best))
    good = []
    for r in raw:
        ok, d = _verify(scenario, r, p.goal_sym)
        if not ok:
            r.verified = False
            result.rejected.append(r)
            continue
        _explain(r, original, d, p.goal_sym)
        if check_minimal:
            r.minimal = _minimal(scenario, r, p.goal_sym)
        good.append(r)
    result.repairs = _group(good) if group else good
    result.seconds = time.perf_counter() - t0
    return result


def _class_info(rep: str, classes: dict[str, str], tiers: dict[str, int]) -> dict:
    members = sorted(c for c, r in classes.items() if r == rep)
    return {"representative": rep, "tier": tiers.get(rep), "countries": members,
            "groups": [GROUP_NAMES.get(g, g) for g in _groups_of().get(rep, ())]}


def apply_changes(scenario: Scenario, changes: Iterable[tuple[Var, Any]]) -> Scenario:
    """The scenario with each (var, JSON value) applied."""
    d = scenario.to_dict()
    d.pop("questions", None)
    for v, value in changes:
        if v.kind in ("headquartered", "located", "parent"):
            e = d["entities"][v.entity]
            if value is None:
                e.pop(v.kind, None)
            else:
                e[v.kind] = value
        elif v.kind == "destination":
            d["transaction"]["to"] = value
        elif v.kind in ("purpose", "via_distributor"):
            d["transaction"][v.kind] = value
        elif v.kind == "date":
            d["date"] = value
        elif v.kind == "quantity":
            d["items"][v.item - 1]["quantity"] = value
        elif v.kind == "fact":
            d.setdefault("facts", {})[v.name] = value
        elif v.kind == "status":
            d["entities"][v.entity].setdefault("status", {})[v.name] = value
    return Scenario.from_dict(d)


def _evaluate(s: Scenario):
    from .engine import default_engine
    return default_engine().evaluate(s)


def reaches(d, goal_sym: clingo.Symbol) -> bool:
    """Whether a Determination meets the goal (read off the fresh evaluation)."""
    if goal_sym.name == "authorized":
        return d.authorized is True
    if goal_sym.name == "no_licence_required":
        return d.license_required is False
    if goal_sym.name == "auth":
        name = goal_sym.arguments[0].name.upper()
        return any(a["name"] == name and a["available"] is True for a in d.authorizations)
    if goal_sym.name == "policy":
        return d.licensing_policy == goal_sym.arguments[0].name
    raise AssertionError(goal_sym)


def _verify(s: Scenario, r: Repair, goal_sym) -> tuple[bool, Any]:
    last = None
    for combo in itertools.product(*[[(c.var, x) for x in c.values()] for c in r.changes]):
        d = _evaluate(apply_changes(s, combo))
        if not reaches(d, goal_sym):
            return False, d
        last = last or d
    return True, last if last is not None else _evaluate(s)


def _minimal(s: Scenario, r: Repair, goal_sym) -> bool:
    """No proper subset of the changes reaches the goal (the empty one included)."""
    n = len(r.changes)
    for k in range(0, n):
        for sub in itertools.combinations(r.changes, k):
            if k == 0 and r.cost > 0:
                continue  # the optimum is positive, so the scenario as given does not reach the goal
            d = _evaluate(apply_changes(s, [(c.var, c.values()[0]) for c in sub]))
            if reaches(d, goal_sym):
                return False
    return True


def _explain(r: Repair, before, after, goal_sym) -> None:
    """What the repair opens, and the conditions (with citations) it satisfies."""
    was = {a["name"]: a for a in before.authorizations}
    opens, sats, cites = [], [], set()
    if before.license_required is not False and after.license_required is False:
        opens.append("no licence required")
    for a in after.authorizations:
        if a["available"] is True and not (was.get(a["name"], {}).get("available") is True):
            opens.append(f"{a['name']} ({a['citation']})")
            cites.add(a["citation"])
            old = was.get(a["name"])
            for c in (old["failed_conditions"] + old["undecided_conditions"]) if old else []:
                sats.append({"authorization": a["name"], "condition": c["condition"],
                             "description": c["description"], "citation": c["citation"]})
                cites.add(c["citation"])
    if after.licensing_policy and after.licensing_policy != before.licensing_policy:
        opens.append(f"licensing policy: {after.licensing_policy.replace('_', ' ')} ({after.policy_citation})")
        sats.append({"policy": after.licensing_policy, "description": f"licensing policy {after.licensing_policy.replace('_', ' ')}",
                     "citation": after.policy_citation})
        cites.add(after.policy_citation)
    if after.authorized is True and before.authorized is not True and not opens:
        opens.append("authorized")
    r.opens, r.satisfies, r.citations = opens, sats, sorted(cites)


def _group(reps: list[Repair]) -> list[Repair]:
    """Merge repairs that differ only in the country class of one change, and keep
    only the largest "at most N" of repairs that differ only in one quantity."""
    reps = _subsume_upper_bounds(list(reps))
    country_keys = sorted({c.var.key for r in reps for c in r.changes if c.classes is not None}, key=str)
    for key in country_keys:
        buckets: dict[tuple, list[Repair]] = {}
        order = []
        for r in reps:
            sig = tuple(sorted((str(c.var.key), json.dumps(c.classes if c.classes is not None else c.value,
                                                         sort_keys=True, default=str))
                               for c in r.changes if c.var.key != key))
            has = any(c.var.key == key for c in r.changes)
            k = (sig, has)
            if k not in buckets:
                order.append(k)
            buckets.setdefault(k, []).append(r)
        merged = []
        for k in order:
            group = buckets[k]
            if len(group) == 1 or not k[1]:
                merged += group
                continue
            first = group[0]
            ch = [c for c in first.changes if c.var.key == key][0]
            classes = sorted({json.dumps(cl, sort_keys=True) for r in group for c in r.changes
                              if c.var.key == key for cl in c.classes})
            new = Change(ch.var, ch.value, [json.loads(x) for x in classes], ch.tier_of)
            new.classes.sort(key=lambda cl: (cl["tier"] or 9, cl["representative"]))
            changes = [new if c.var.key == key else c for c in first.changes]
            opens = sorted({o for r in group for o in r.opens})
            sats = {json.dumps(s, sort_keys=True) for r in group for s in r.satisfies}
            merged.append(Repair(changes, first.cost, opens, [json.loads(s) for s in sorted(sats)],
                                 sorted({c for r in group for c in r.citations}), all(r.verified for r in group),
                                 None if any(r.minimal is None for r in group) else all(r.minimal for r in group)))
        reps = merged
    return reps


def _subsume_upper_bounds(reps: list[Repair]) -> list[Repair]:
    """Repairs equal but for an "at most N" value (a quantity or a TPP amount): the
    largest N stands for the others (every limit of the rule is an upper limit)."""
    def bounded(c: Change) -> bool:
        return c.var.kind == "quantity" or c.var.vtype == "big"

    keep = []
    for r in reps:
        dominated = False
        for o in reps:
            if o is r or len(o.changes) != len(r.changes):
                continue
            pairs = list(zip(r.changes, o.changes))
            if any(a.var.key != b.var.key for a, b in pairs):
                continue
            diff = [(a, b) for a, b in pairs if a.value != b.value or a.classes != b.classes]
            if len(diff) == 1 and bounded(diff[0][0]) and diff[0][1].value > diff[0][0].value:
                dominated = True
                break
        if not dominated:
            keep.append(r)
    return keep


# ----------------------------------------------------------------------------- questions
def validate_questions(scenario: Scenario) -> None:
    """Check the scenario's "questions" without answering them (``pyrules ask`` does
    this, so a bad question is an input error there too)."""
    for k, q in enumerate(scenario.data.get("questions", [])):
        if not isinstance(q, dict) or "goal" not in q:
            raise InputError("a question is an object with 'goal' (and 'may_change')", field=f"questions[{k}]")
        for key in q:
            if key not in ("goal", "may_change", "costs"):
                raise InputError(f"unknown field {key!r}; expected goal, may_change, costs", field=f"questions[{k}].{key}")
        try:
            _goal_symbol(q["goal"])
        except InputError as exc:
            exc.field = f"questions[{k}].goal"
            raise
        changes = q.get("may_change")
        if changes is not None and not isinstance(changes, list):
            raise InputError("expected a list of changes", field=f"questions[{k}].may_change")
        for j, spec in enumerate(changes or []):
            _parse_change(spec, scenario, q.get("costs"), f"questions[{k}].may_change[{j}]")


def answer_questions(scenario: Scenario | dict, questions: list | None = None) -> list[WhatIfResult]:
    """Answer the scenario's "questions" (or the ones given)."""
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    qs = scenario.data.get("questions", []) if questions is None else questions
    out = []
    for k, q in enumerate(qs):
        if not isinstance(q, dict) or "goal" not in q:
            raise InputError("a question is an object with 'goal' (and 'may_change')", field=f"questions[{k}]")
        for key in q:
            if key not in ("goal", "may_change", "costs"):
                raise InputError(f"unknown field {key!r}; expected goal, may_change, costs", field=f"questions[{k}].{key}")
        out.append(repairs(scenario, q["goal"], q.get("may_change"), q.get("costs")))
    return out


def cli_main(args) -> int:
    """``pyrules whatif FILE... [--goal G] [--change SPEC ...] [--json]``."""
    from .loader import load_scenarios
    if args.change and not args.goal:
        raise InputError("--change needs --goal", field="--change")
    from .cli import _apply_view
    for path, s in load_scenarios(args.files):
        s = _apply_view(s, getattr(args, "view", None))
        if args.goal:
            questions = [{"goal": args.goal, "may_change": args.change or None}]
        else:
            questions = s.data.get("questions") or []
            if not questions:
                raise InputError("the scenario asks no questions; give --goal (and --change)", file=str(path))
        for r in answer_questions(s, questions):
            if args.json:
                out = r.to_json()
                out["file"] = str(path)
                print(json.dumps(out))
            else:
                print(r.to_text())
                print()
    return 0
