"""Regime what-ifs: evaluate scenarios under a changed rule and list what changed.

A regime file (JSON) changes the rule's parameters. It never carries law of its
own: it only supplies the regime predicates the knowledge base already reads
(``kb/input.lp``):

    {
      "regime": "UAE moved to Tier 1",            (optional name)
      "description": "...",                        (optional)
      "tiers":  {"AE": 1},                         -> regime_tier("AE", 1)
      "params": {"lpp_annual_limit_tpp": "53,800,000"}   -> regime_param(lpp_annual_limit_tpp, n(...))
      "params": {"lpp_annual_limit_tpp": {"value": "53,800,000", "from": "2026-01-01"}}
                                                   -> regime_param_from(lpp_annual_limit_tpp, n(...), 20260101)
      "dates":  {"compliance": "2025-09-01"}       -> regime_date(compliance, 20250901)
      "nveu_allocation": {"2025-Q1": "1,000,000,000"}    -> regime_nveu_allocation(2025, 1, n(...))
      "off":    ["lic_lpp"]                        -> regime_off(lic_lpp)
    }

The names a regime may use are read from the knowledge base, never listed here:
parameters are the ``default_param/2`` and ``param_value/4`` facts (a parameter whose default is an
``n(...)`` number takes a big number such as "1e27" or "26,900,000"; the others
take a plain integer), dates are the ``default_key_date/2`` ids, provisions the
``provision/5`` ids and the NVEU quarters the ``default_nveu_allocation/3`` facts.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import clingo
import clingo.ast
from clingo import Function, Number, String

from pyrules.engine import kb
from pyrules.inputs import limits
from pyrules.engine.arithmetic import big, from_big
from pyrules.errors import InputError
from pyrules.inputs.limits import shown
from pyrules.inputs.model import _int, _name, parse_big, parse_date
from pyrules.output.render import number_text

_TOP_KEYS = {"regime", "description", "tiers", "params", "dates", "nveu_allocation", "off"}


# --------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class Catalogue:
    """What the knowledge base lets a regime change (read from kb/*.lp)."""

    params: dict  # name -> default symbol (Number or n(...))
    key_dates: dict  # id -> YYYYMMDD
    provisions: dict  # id -> citation
    nveu: dict  # (year, quarter) -> n(...) symbol
    consulted: frozenset  # provision ids whose in_force/1 the knowledge base consults
    tiers: frozenset = frozenset({1, 2, 3})


def _in_force_constants() -> set[str]:
    """Provision ids that appear as ``in_force(<id>)`` in a rule body of the KB."""
    found: set[str] = set()

    def visit(node):
        if isinstance(node, clingo.ast.AST):
            if node.ast_type == clingo.ast.ASTType.Literal and node.atom.ast_type == clingo.ast.ASTType.SymbolicAtom:
                sym = node.atom.symbol
                if sym.ast_type == clingo.ast.ASTType.Function and sym.name == "in_force" and len(sym.arguments) == 1:
                    arg = sym.arguments[0]
                    if (
                        arg.ast_type == clingo.ast.ASTType.SymbolicTerm
                        and arg.symbol.type == clingo.SymbolType.Function
                    ):
                        found.add(arg.symbol.name)
            for key in node.child_keys:
                visit(getattr(node, key))
        elif isinstance(node, (list, tuple)) or type(node).__name__ == "ASTSequence":
            for child in node:
                visit(child)

    def on_stmt(stmt):
        if stmt.ast_type == clingo.ast.ASTType.Rule:
            visit(stmt.body)

    clingo.ast.parse_string(kb.kb_text(), on_stmt)
    return found


@functools.cache
def catalogue() -> Catalogue:
    """What a regime may change, from the KB's self-description (pyrules.engine.kb)."""
    provisions = {p: v["citation"] for p, v in kb.provisions().items()}
    # kb/regime.lp makes every authorization consult its provision.
    consulted = _in_force_constants() | set(kb.authorizations().values())
    return Catalogue(kb.parameters(), kb.default_key_dates(), provisions, kb.nveu_allocations(), frozenset(consulted))


def _is_big(sym: clingo.Symbol) -> bool:
    return sym.type == clingo.SymbolType.Function and sym.name == "n" and len(sym.arguments) == 5


def _date_text(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


def _value_text(sym: clingo.Symbol) -> str:
    return number_text(from_big(sym)) if _is_big(sym) else str(sym)


# --------------------------------------------------------------------------- the regime
@dataclass
class Regime:
    """A validated regime: the changes it makes, as data."""

    name: str = "(unnamed regime)"
    description: str = ""
    tiers: dict = field(default_factory=dict)  # country -> tier
    params: dict = field(default_factory=dict)  # name -> int value
    params_from: dict = field(default_factory=dict)  # name -> (int value, YYYYMMDD it applies from)
    dates: dict = field(default_factory=dict)  # key date id -> YYYYMMDD
    nveu: dict = field(default_factory=dict)  # (year, quarter) -> int TPP (whole table)
    off: list = field(default_factory=list)  # provision ids
    warnings: list = field(default_factory=list)

    # ---------------------------------------------------------------- reading
    @classmethod
    def load(cls, path) -> Regime:
        from pyrules.inputs.loader import loads, read_text

        path = Path(path)
        raw = loads(read_text(path, "regime file"), file=str(path))
        try:
            return cls.from_dict(raw)
        except InputError as exc:
            exc.file = str(path)
            raise

    @classmethod
    def from_dict(cls, raw: Any) -> Regime:
        if not isinstance(raw, dict):
            raise InputError(f"expected a JSON object, got {type(raw).__name__}")
        for key in raw:
            if key not in _TOP_KEYS:
                raise InputError(f"unknown field {key!r}; expected one of {', '.join(sorted(_TOP_KEYS))}", field=key)
        cat = catalogue()
        r = cls()
        if "regime" in raw:
            r.name = _name(raw["regime"], "regime")
        if "description" in raw:
            if not isinstance(raw["description"], str):
                raise InputError(f"expected a text, got {shown(raw['description'])}", field="description")
            bad = [c for c in raw["description"] if not c.isprintable() and c not in "\n\t"]
            if bad:
                raise InputError(
                    f"the description cannot contain the character {repr(bad[0])[1:-1]}", field="description"
                )
            r.description = raw["description"]

        for key in ("tiers", "params", "dates", "nveu_allocation"):
            if key in raw and not isinstance(raw[key], dict):
                raise InputError(f"expected an object, got {type(raw[key]).__name__}", field=key)

        countries = kb.countries()
        for code, tier in raw.get("tiers", {}).items():
            where = f"tiers.{code}"
            if not isinstance(code, str) or code.upper() not in countries:
                raise InputError(f"expected an ISO 3166-1 alpha-2 country code, got {shown(code)}", field=where)
            if type(tier) is not int or tier not in cat.tiers:
                raise InputError(f"expected a tier 1, 2 or 3, got {shown(tier)}", field=where)
            r.tiers[code.upper()] = tier
        for code, other in sorted(kb.treated_as().items()):  # e.g. a territory that takes a country's tier
            if other in r.tiers and code not in r.tiers:
                names = kb.countries()
                r.warnings.append(
                    f"the regime moves {other} but not {code}; {names.get(code, code)} keeps "
                    f"{names.get(other, other)}'s tier under the rule as written (tiers.lp) "
                    f"unless the regime moves {code} too"
                )

        for name, value in raw.get("params", {}).items():
            where = f"params.{name}"
            if name not in cat.params:
                raise InputError(
                    f"unknown parameter {shown(name)}; the knowledge base has {', '.join(sorted(cat.params))}",
                    field=where,
                )
            since = None
            if isinstance(value, dict):  # {"value": V, "from": "YYYY-MM-DD"}: from a date on
                for k in value:
                    if k not in ("value", "from"):
                        raise InputError(f"unknown field {k!r}; expected value, from", field=f"{where}.{k}")
                if "value" not in value or "from" not in value:
                    raise InputError("a dated parameter needs 'value' and 'from'", field=where)
                since = parse_date(value["from"], where + ".from")
                where, value = where + ".value", value["value"]
            # a plain parameter (a percentage, days, months, years) multiplies big
            # numbers in the KB: bounded so that every product stays exact
            v = parse_big(value, where) if _is_big(cat.params[name]) else _int(value, where, limits.MAX_REGIME_INT)
            if since is None:
                r.params[name] = v
            else:
                r.params_from[name] = (v, since)

        for kid, value in raw.get("dates", {}).items():
            where = f"dates.{kid}"
            if kid not in cat.key_dates:
                raise InputError(
                    f"unknown key date {shown(kid)}; the knowledge base has {', '.join(sorted(cat.key_dates))}",
                    field=where,
                )
            r.dates[kid] = parse_date(value, where)

        nveu_raw = raw.get("nveu_allocation", {})
        if nveu_raw:
            table = {k: from_big(v) for k, v in cat.nveu.items()}
            for quarter, value in nveu_raw.items():
                where = f"nveu_allocation.{quarter}"
                m = re.fullmatch(r"(\d{4})-Q([1-4])", str(quarter))
                if not m:
                    raise InputError(f"expected a quarter written YYYY-Qn, got {shown(quarter)}", field=where)
                key = (int(m.group(1)), int(m.group(2)))
                if key not in table:
                    known = ", ".join(f"{y}-Q{q}" for y, q in sorted(table))
                    raise InputError(f"the allocation table has no quarter {quarter}; it has {known}", field=where)
                table[key] = parse_big(value, where)
            # the knowledge base replaces the whole table; unchanged quarters keep their values
            r.nveu = table

        off = raw.get("off", [])
        if not isinstance(off, list):
            raise InputError(f"expected a list of provision ids, got {type(off).__name__}", field="off")
        for i, pid in enumerate(off):
            where = f"off[{i}]"
            if not isinstance(pid, str) or pid not in cat.provisions:
                raise InputError(f"unknown provision {shown(pid)}; the ids are those of kb/provisions.lp", field=where)
            if pid not in cat.consulted:
                r.warnings.append(
                    f"provision {pid} is switched off, but the knowledge base never consults "
                    f"whether it is in force: switching it off changes nothing"
                )
            r.off.append(pid)
        return r

    # ---------------------------------------------------------------- facts
    def facts(self) -> list[clingo.Symbol]:
        """The regime predicates (kb/input.lp) as clingo symbols."""
        cat = catalogue()
        out: list[clingo.Symbol] = []
        for code, tier in sorted(self.tiers.items()):
            out.append(Function("regime_tier", [String(code), Number(tier)]))
        for name, value in sorted(self.params.items()):
            sym = big(value) if _is_big(cat.params[name]) else Number(value)
            out.append(Function("regime_param", [Function(name), sym]))
        for name, (value, since) in sorted(self.params_from.items()):
            sym = big(value) if _is_big(cat.params[name]) else Number(value)
            out.append(Function("regime_param_from", [Function(name), sym, Number(since)]))
        for kid, date in sorted(self.dates.items()):
            out.append(Function("regime_date", [Function(kid), Number(date)]))
        for (year, quarter), value in sorted(self.nveu.items()):
            out.append(Function("regime_nveu_allocation", [Number(year), Number(quarter), big(value)]))
        for pid in self.off:
            out.append(Function("regime_off", [Function(pid)]))
        return out

    def changes(self) -> list[str]:
        """The regime in words, against the rule as written."""
        cat = catalogue()
        out = []
        for code, tier in sorted(self.tiers.items()):
            out.append(f"{code} ({kb.countries()[code]}) placed in Tier {tier}")
        for name, value in sorted(self.params.items()):
            old = cat.params[name]
            new = big(value) if _is_big(old) else Number(value)
            out.append(f"{name}: {_value_text(old)} -> {_value_text(new)}")
        for name, (value, since) in sorted(self.params_from.items()):
            old = cat.params[name]
            new = big(value) if _is_big(old) else Number(value)
            out.append(f"{name}: {_value_text(old)} -> {_value_text(new)} from {_date_text(since)}")
        for kid, date in sorted(self.dates.items()):
            out.append(f"key date {kid}: {_date_text(cat.key_dates[kid])} -> {_date_text(date)}")
        for key, value in sorted(self.nveu.items()):
            old = from_big(cat.nveu[key])
            if old != value:
                out.append(f"nveu_allocation {key[0]}-Q{key[1]}: {old:,} -> {value:,}")
        for pid in self.off:
            out.append(f"provision {pid} ({cat.provisions[pid]}) switched off")
        return out

    def to_json(self) -> dict:
        return {
            "regime": self.name,
            "description": self.description,
            "changes": self.changes(),
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------- comparing
def _outcome(d) -> dict:
    """The parts of a determination that a regime comparison reports."""
    return {
        "licence_required": d.license_required,
        "authorized": d.authorized,
        "licensing_policy": d.licensing_policy,
        "policy_provision": sorted(
            {a.arguments[1].name for a in d.atoms if a.name == "policy" and len(a.arguments) == 2}
        ),
        "authorizations": {a["name"]: a["available"] for a in d.authorizations},
        "obligations": sorted(f"{o['id']}" + (f" ({o['deadline']})" if o["deadline"] else "") for o in d.obligations),
        "overlaps": sorted("/".join(o["provisions"]) for o in d.overlaps),
    }


_WORD = {True: "yes", False: "no", None: "undecided"}
_AVAIL = {True: "available", False: "not available", None: "undecided", "absent": "not considered"}


def _diff(before: dict, after: dict) -> list[dict]:
    out = []
    for key in ("licence_required", "authorized", "licensing_policy"):
        if before[key] != after[key]:
            out.append({"what": key, "before": before[key], "after": after[key]})
    names = sorted(set(before["authorizations"]) | set(after["authorizations"]))
    for n in names:
        b = before["authorizations"].get(n, "absent")
        a = after["authorizations"].get(n, "absent")
        if b != a:
            out.append({"what": f"authorization {n}", "before": b, "after": a})
    for key in ("policy_provision", "obligations", "overlaps"):
        b, a = set(before[key]), set(after[key])
        if b != a:
            out.append(
                {"what": key, "before": sorted(b), "after": sorted(a), "added": sorted(a - b), "removed": sorted(b - a)}
            )
    return out


def compare(regime: Regime, scenarios, engine=None) -> dict:
    """Evaluate each (path, Scenario) under the rule as written and under ``regime``."""
    return compare_many([regime], scenarios, engine)[0]


def compare_many(regimes: list, scenarios, engine=None) -> list[dict]:
    """``compare`` for each of ``regimes`` over the same (path, Scenario) pairs: the
    scenarios are evaluated once as written and once under each regime, each time as
    one batch (Engine.evaluate_many)."""
    from pyrules.engine.control import default_engine

    engine = engine or default_engine()
    scenarios = list(scenarios)
    plain = [s for _, s in scenarios]
    before = [_outcome(d) for d in engine.evaluate_many(plain)]
    out = []
    for regime in regimes:
        rows = []
        counts: dict[str, int] = {}
        after = engine.evaluate_many(plain, regime=regime)
        for (path, scenario), b, d in zip(scenarios, before, after):
            a = _outcome(d)
            changes = _diff(b, a)
            for c in changes:
                key = c["what"]
                counts[key] = counts.get(key, 0) + 1
            rows.append(
                {
                    "file": str(path),
                    "scenario": scenario.name,
                    "changed": bool(changes),
                    "changes": changes,
                    "as_written": b,
                    "under_regime": a,
                }
            )
        summary = {
            "scenarios": len(rows),
            "changed": sum(r["changed"] for r in rows),
            "unchanged": sum(not r["changed"] for r in rows),
            "by_aspect": dict(sorted(counts.items())),
        }
        out.append({"regime": regime.to_json(), "results": rows, "summary": summary})
    return out


def _word(what: str, value) -> str:
    if what.startswith("authorization "):
        return _AVAIL.get(value, str(value))
    if what in ("licence_required", "authorized"):
        return _WORD[value]
    if what == "licensing_policy":
        return (value or "none determined").replace("_", " ")
    if isinstance(value, list):
        return ", ".join(value) if value else "none"
    return str(value)


_ASPECT = {
    "licence_required": "licence required",
    "authorized": "authorized without a licence",
    "licensing_policy": "licensing policy",
    "policy_provision": "policy provision",
    "obligations": "obligations",
    "overlaps": "overlapping provisions",
}


def _provision_words(ids: list[str]) -> str:
    from pyrules.engine import kb

    provs = kb.provisions()
    return "; ".join(f"{provs[i]['title']} [{provs[i]['citation']}]" if i in provs else i for i in ids) or "none"


def change_rows(result: dict) -> list[dict]:
    """The changes of a comparison, one row each, in words: file, scenario, what, before, after."""
    rows = []
    for row in result["results"]:
        for c in row["changes"]:
            what = c["what"]
            words = _ASPECT.get(what, what.replace("authorization ", "") + " (authorization)")
            if what == "policy_provision":
                before, after = _provision_words(c["before"]), _provision_words(c["after"])
            elif "added" in c:
                before = "removed " + ", ".join(c["removed"]) if c["removed"] else "-"
                after = "added " + ", ".join(c["added"]) if c["added"] else "-"
            else:
                before, after = _word(what, c["before"]), _word(what, c["after"])
            rows.append(
                {"file": row["file"], "scenario": row["scenario"], "what": words, "before": before, "after": after}
            )
    return rows


def compare_text(result: dict) -> str:
    """The regime, then a table of what changed (one line per change, in words), then a summary."""
    from pathlib import Path

    reg = result["regime"]
    out = [f"Regime: {reg['regime']}"]
    if reg["description"]:
        out.append(f"  {reg['description']}")
    for c in reg["changes"]:
        out.append(f"  - {c}")
    for w in reg["warnings"]:
        out.append(f"  warning: {w}")
    out.append("")
    rows = change_rows(result)
    if rows:
        table = [("scenario", "what changed", "as written", "under the regime")]
        table += [(Path(r["file"]).stem, r["what"], r["before"], r["after"]) for r in rows]
        widths = [min(max(len(t[i]) for t in table), w) for i, w in enumerate((44, 28, 60, 60))]
        for t in table:
            cells = [c if len(c) <= w else c[: w - 1] + "~" for c, w in zip(t, widths)]
            out.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    else:
        out.append("No scenario changed.")
    s = result["summary"]
    out.append("")
    out.append(
        f"Summary: {s['changed']} of {s['scenarios']} scenarios changed"
        + (
            " (" + ", ".join(f"{_ASPECT.get(k, k)}: {v}" for k, v in s["by_aspect"].items()) + ")"
            if s["by_aspect"]
            else ""
        )
    )
    return "\n".join(out)


def compare_csv(result: dict) -> str:
    """The change table as CSV: file, scenario, what, before, after."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["file", "scenario", "what", "before", "after"], lineterminator="\n")
    w.writeheader()
    w.writerows(change_rows(result))
    return buf.getvalue()
