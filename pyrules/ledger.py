"""Account for many transactions at once (``pyrules ledger``).

Rows are evaluated in date order (ties broken by the row's id), with the caps
that depend on earlier rows. The knowledge base decides which running total a
row counts toward (kb/modes/ledger.lp: ``counts_toward/2``) and every legal
outcome; this module only reads rows, adds up TPP in date order and renders.

Two batched clingo calls do the work: the first finds each row's shipment TPP and
the totals it counts toward; the second evaluates every row with the totals of
the rows before it as facts (e.g. ``lpp_prior_shipments_tpp``).
"""
from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import clingo

from . import kb
from .arithmetic import big, from_big
from .batch import solve_batch
from .determination import term_text
from .errors import InputError
from .facts import scenario_facts
from .model import Scenario, parse_big, parse_date

# CSV columns -> where they go in the JSON form of a scenario.
TRANSACTION_COLUMNS = {"action": "action", "from": "from", "to": "to", "consignee": "consignee",
                       "authorization": "authorization_claimed", "via_distributor": "via_distributor",
                       "purpose": "purpose"}
ITEM_COLUMNS = ("chip", "eccn", "tpp", "die_area_mm2", "quantity", "data_center", "designer")
ENTITY_COLUMNS = {"consignee_located": "located", "consignee_headquartered": "headquartered",
                  "consignee_parent": "parent"}
REQUIRED = ("id", "date")
DOC_COLUMNS = (list(REQUIRED) + list(TRANSACTION_COLUMNS) + list(ENTITY_COLUMNS)
               + ["parent_headquartered"] + list(ITEM_COLUMNS) + ["fact.NAME", "status.NAME"])


def _ledger_mode() -> str:
    return (kb.kb_dir() / "modes" / "ledger.lp").read_text(encoding="utf-8")


def _cell(value: str):
    v = value.strip()
    if v.lower() in ("true", "yes"):
        return True
    if v.lower() in ("false", "no"):
        return False
    if v.isdigit():
        return int(v)
    try:
        return float(v) if "." in v and v.replace(".", "", 1).isdigit() else v
    except ValueError:
        return v


def row_to_scenario(row: dict) -> dict:
    """A CSV row (column -> text) as a scenario in the JSON form."""
    s: dict = {"scenario": f"row {row.get('id', '?')}", "transaction": {}, "items": [], "entities": {}, "facts": {}}
    for col in row:
        if col is None:
            raise InputError("the row has more cells than the header has columns", field="(extra cell)")
        known = (col in REQUIRED or col in TRANSACTION_COLUMNS or col in ITEM_COLUMNS or col in ENTITY_COLUMNS
                 or col == "parent_headquartered" or col.startswith(("fact.", "status.")))
        if not known:
            raise InputError(f"unknown column {col!r}; the columns are {', '.join(DOC_COLUMNS)}", field=col)
    s["date"] = row.get("date", "").strip() or None
    tx = s["transaction"]
    for col, key in TRANSACTION_COLUMNS.items():
        if row.get(col, "").strip():
            tx[key] = _cell(row[col]) if key == "via_distributor" else row[col].strip()
    item = {c: _cell(row[c]) for c in ITEM_COLUMNS if row.get(c, "").strip()}
    for c in ("chip", "eccn", "designer"):
        if c in item:
            item[c] = str(row[c]).strip()
    if item:
        s["items"].append(item)
    consignee = tx.get("consignee")
    if consignee:
        ent = {key: row[col].strip() for col, key in ENTITY_COLUMNS.items() if row.get(col, "").strip()}
        status = {c[7:]: _cell(v) for c, v in row.items() if c.startswith("status.") and v.strip()}
        if status:
            ent["status"] = status
        s["entities"][consignee] = ent
        if ent.get("parent"):
            s["entities"][ent["parent"]] = {}
            if row.get("parent_headquartered", "").strip():
                s["entities"][ent["parent"]]["headquartered"] = row["parent_headquartered"].strip()
    for c, v in row.items():
        if c.startswith("fact.") and v.strip():
            s["facts"][c[5:]] = _cell(v)
    return s


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, raw scenario dict with 'id') for each row of a CSV or JSON-lines file."""
    text = path.read_text(encoding="utf-8")
    out = []
    if path.suffix in (".jsonl", ".ndjson"):
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                out.append((n, {"__error__": f"invalid JSON at column {exc.colno}: {exc.msg}"}))
                continue
            out.append((n, obj))
        return out
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"the header lacks the column(s) {', '.join(missing)}", file=str(path), line=1)
    for n, row in enumerate(reader, start=2):
        out.append((n, row))
    return out


@dataclass
class LedgerResult:
    rows: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)


def _row_scenario(line: int, raw: dict) -> tuple[str, Scenario]:
    if "__error__" in raw:
        raise InputError(raw["__error__"], line=line)
    if "transaction" in raw or "items" in raw:      # JSON-lines: a scenario with an id
        raw = dict(raw)
        rid = raw.pop("id", None)
        if rid is None:
            raise InputError("missing 'id'", line=line, field="id")
        raw.setdefault("scenario", f"row {rid}")
        return str(rid), Scenario.from_dict(raw)
    rid = (raw.get("id") or "").strip()
    if not rid:
        raise InputError("missing 'id'", line=line, field="id")
    if not (raw.get("date") or "").strip():
        raise InputError("missing 'date'", line=line, field="date")
    try:
        return rid, Scenario.from_dict(row_to_scenario(raw))
    except InputError as exc:
        exc.line = line
        raise


def run_ledger(path: Path, progress: bool = False) -> LedgerResult:
    result = LedgerResult()
    valid: list[tuple[str, Scenario, int]] = []
    errors: dict[int, dict] = {}
    seen: set[str] = set()
    for line, raw in read_rows(path):
        try:
            rid, s = _row_scenario(line, raw)
            if rid in seen:
                raise InputError(f"duplicate id {rid!r}", line=line, field="id")
            seen.add(rid)
            valid.append((rid, s, line))
        except InputError as exc:
            exc.file = str(path)
            errors[line] = dict.fromkeys(ROW_FIELDS)
            errors[line].update({"line": line, "id": (raw.get("id") if isinstance(raw, dict) else None),
                                 "error": str(exc)})
    # date order, ties by id: the order never depends on the order of the file
    valid.sort(key=lambda t: (parse_date(t[1].date, "date") if t[1].date else 0, t[0]))
    base_facts = [scenario_facts(s) for _, s, _ in valid]
    _say(progress, f"pass 1: {len(valid)} rows")
    first = solve_batch(base_facts, extra_program=_ledger_mode(),
                        show={("shipment_tpp", 1), ("counts_toward", 2), ("cap", 2)})
    running: dict[clingo.Symbol, int] = {}
    caps: dict[clingo.Symbol, int] = {}
    second_facts = []
    for i, (rid, s, line) in enumerate(valid, start=1):
        atoms = first[i]
        tpp = next((from_big(a.arguments[0]) for a in atoms if a.name == "shipment_tpp"), 0)
        extra = []
        for a in atoms:
            if a.name == "counts_toward":
                key, fact_name = a.arguments
                prior = running.get(key, 0)
                given = s.data.get("facts", {}).get(fact_name.name)
                base = parse_big(given, fact_name.name) if given is not None else 0
                extra.append(clingo.Function("fact", [fact_name, big(base + prior)]))
                running[key] = prior + tpp
            elif a.name == "cap":
                caps[a.arguments[0]] = from_big(a.arguments[1])
        names = {e.arguments[0].name for e in extra}
        facts = [f for f in base_facts[i - 1] if not (f.name == "fact" and f.arguments[0].name in names)]
        second_facts.append(facts + extra)
    _say(progress, f"pass 2: {len(valid)} rows")
    second = solve_batch(second_facts, show=LEDGER_SHOW)
    h100 = kb.chips()["H100-SXM"]
    out_rows: dict[int, dict] = dict(errors)
    tri = {"yes": True, "no": False}
    for i, (rid, s, line) in enumerate(valid, start=1):
        by: dict[str, list] = {}
        for a in second[i]:
            by.setdefault(a.name, []).append(a.arguments)
        claimed = s.data["transaction"].get("authorization_claimed")
        status = {a[0].name: a[1].name for a in by.get("authorization_status", [])}
        claim = status.get(claimed.lower()) if claimed else None
        policies = {a[0].name for a in by.get("policy", [])}
        lr = by.get("licence_required", [])
        au = by.get("authorized", [])
        tpp = by.get("shipment_tpp", [])
        out_rows[line] = {
            "line": line, "id": rid, "date": s.date, "to": s.data["transaction"].get("to"),
            "consignee": s.data["transaction"].get("consignee"),
            "shipment_tpp": from_big(tpp[0][0]) if tpp else None,
            "license_required": tri.get(lr[0][0].name) if len(lr) == 1 else None,
            "authorization_claimed": claimed,
            "claim_available": None if claim is None else {"available": True, "unavailable": False}.get(claim),
            "claim_failed_conditions": sorted(a[1].name for a in by.get("fails", []) if claimed and a[0].name == claimed.lower()),
            "licensing_policy": policies.pop() if len(policies) == 1 else None,
            "authorized": tri.get(au[0][0].name) if len(au) == 1 else None,
            "missing_facts": sorted({term_text(a[0]) for a in by.get("missing_fact", [])}), "error": None,
        }
    result.rows = [out_rows[k] for k in sorted(out_rows)]
    for key in sorted(running, key=str):
        used = running[key]
        cap = caps.get(key)
        result.summary.append({
            "total": _key_text(key), "used_tpp": used, "cap_tpp": cap,
            "remaining_tpp": None if cap is None else cap - used,
            "used_h100_equivalents": round(used / h100, 1),
            "remaining_h100_equivalents": None if cap is None else round((cap - used) / h100, 1),
        })
    return result


def _key_text(sym: clingo.Symbol) -> str:
    return term_text(sym)


# What the second pass reads from each row's answer.
LEDGER_SHOW = {("shipment_tpp", 1), ("licence_required", 1), ("authorized", 1), ("policy", 2),
               ("authorization_status", 2), ("fails", 2), ("missing_fact", 1)}


def _say(progress: bool, text: str) -> None:
    if progress:
        print(f"[ledger] {text}", file=sys.stderr, flush=True)


ROW_FIELDS = ["line", "id", "date", "to", "consignee", "shipment_tpp", "license_required", "authorization_claimed",
              "claim_available", "claim_failed_conditions", "licensing_policy", "authorized", "missing_facts", "error"]


def write_rows(result: LedgerResult, fmt: str, out) -> None:
    if fmt == "jsonl":
        for r in result.rows:
            out.write(json.dumps(r) + "\n")
        out.write(json.dumps({"summary": result.summary}) + "\n")
        return
    w = csv.DictWriter(out, fieldnames=ROW_FIELDS)
    w.writeheader()
    for r in result.rows:
        r = dict(r)
        for k in ("claim_failed_conditions", "missing_facts"):
            r[k] = ";".join(r[k] or [])
        w.writerow(r)
    out.write("\n")
    s = csv.DictWriter(out, fieldnames=["total", "used_tpp", "cap_tpp", "remaining_tpp",
                                        "used_h100_equivalents", "remaining_h100_equivalents"])
    s.writeheader()
    for r in result.summary:
        s.writerow(r)
