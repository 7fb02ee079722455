"""Account for many transactions at once (``pyrules ledger``).

Rows are evaluated in date order (ties broken by the row's id), with the caps
that depend on earlier rows. The knowledge base decides which running total a
row counts toward (kb/modes/ledger.lp: ``counts_toward/2``) and every legal
outcome; this module only reads rows, adds up TPP in date order and renders.

One clingo control decides all rows in two steps (pyrules.batch.StagedBatch): step 1
grounds every rule that does not read a running total and gives each row's shipment
TPP and the totals it counts toward; Python adds them up in date order; step 2 adds
each row's totals of the rows before it as facts (e.g. ``lpp_prior_shipments_tpp``)
and grounds the remaining rules. Large ledgers are split into two consecutive
chunks, each decided in a child process (fork); the running totals pass between
them through this process, which does no grounding itself.

A row is judged as it was made: only the authorization it claims is weighed
(kb/modes/ledger.lp; ``screen=True`` weighs them all).
"""
from __future__ import annotations

import csv
import functools
import gc
import json
import multiprocessing
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import clingo
import clingo.ast

from pyrules.engine import kb
from pyrules.inputs import ledger_rows
from pyrules.inputs import schema
from pyrules.engine.arithmetic import from_big
from pyrules.engine.batch import StagedBatch, staged_program
from pyrules.output.determination import term_text
from pyrules.errors import InputError, escape
from pyrules.inputs.facts import Term, big_term, scenario_terms
from pyrules.inputs.limits import shown
from pyrules.inputs.model import Scenario, parse_big, parse_date

# CSV columns -> where they go in the JSON form of a scenario (pyrules/schema.py LEDGER_COLUMNS).
def _columns(section: str) -> dict[str, str]:
    return {col: schema.BY_PATH[path].key for col, path in schema.LEDGER_COLUMNS.items()
            if schema.BY_PATH[path].section == section}


TRANSACTION_COLUMNS = _columns("transaction")
ITEM_COLUMNS = tuple(_columns("item"))
ENTITY_COLUMNS = _columns("entity")
REQUIRED = ("id", "date")
DOC_COLUMNS = (list(REQUIRED) + list(TRANSACTION_COLUMNS) + list(ENTITY_COLUMNS)
               + ["parent_headquartered"] + list(ITEM_COLUMNS) + ["fact.NAME", "status.NAME"])


def _ledger_mode() -> str:
    return (kb.kb_dir() / "modes" / "ledger.lp").read_text(encoding="utf-8")


def ledger_program(screen: bool = False) -> str:
    """What the ledger adds to the KB: kb/modes/ledger.lp, the projection it reads
    (READING) and, when screening, the fact that every authorization is weighed."""
    return _ledger_mode() + READING + ("\nscreening.\n" if screen else "")


def _staged(screen: bool):
    return staged_program(ledger_program(screen), frozenset(FIRST_SHOW), frozenset(LEDGER_SHOW), _late_names(), True)


def _cell(value: str):
    v = value.strip()
    if v.lower() in ("true", "yes"):
        return True
    if v.lower() in ("false", "no"):
        return False
    # ASCII digits only ("²".isdigit() is true, and int("²") fails); a long digit
    # string stays text for the field to refuse as too large
    if _DIGITS.fullmatch(v):
        return int(v) if len(v) <= 40 else v
    if _DECIMAL.fullmatch(v):
        return float(v)
    return v


_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}")


def row_to_scenario(row: dict) -> dict:
    """A CSV row (column -> text) as a scenario in the JSON form."""
    s: dict = {"scenario": f"row {row.get('id', '?')}", "transaction": {}, "items": [], "entities": {}, "facts": {}}
    for col in row:
        if col is None:
            raise InputError("the row has more cells than the header has columns", field="(extra cell)")
        if col == "" and not (row[col] or "").strip():
            continue            # a column without a name and an empty cell (a trailing comma)
        if col == "":
            raise InputError("a value in a column the header does not name", field="(unnamed column)")
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
    """(physical line, raw row) for each row of a CSV or JSON-lines file: a CsvRow
    (column -> text), a JsonRow (a scenario with an 'id') or {"__error__": InputError}
    (pyrules/ledger_rows.py: one entry per input row, whatever is wrong with it)."""
    from pyrules.inputs.loader import read_text
    # a spreadsheet's byte-order mark is not part of a column name
    text = read_text(path, "ledger", encoding="utf-8-sig")
    if path.suffix in (".jsonl", ".ndjson"):
        return ledger_rows.read_jsonl(text, str(path))
    return ledger_rows.read_csv(text, str(path), REQUIRED)


@dataclass
class LedgerResult:
    rows: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)


def _row_scenario(line: int, raw: dict) -> tuple[str, Scenario]:
    rid, _ = _row_key(line, raw)
    if "__view__" in raw:       # the view the command line chose (pyrules ledger --view)
        rest = type(raw)(raw)
        view = rest.pop("__view__")
        rid, s = _row_scenario(line, rest)
        return rid, s.with_changes({"view": view})
    if isinstance(raw, ledger_rows.JsonRow):      # JSON-lines: a scenario with an id
        raw = dict(raw)
        raw.pop("id", None)
        raw.setdefault("scenario", f"row {rid}")
        try:
            return rid, Scenario.from_dict(raw)
        except InputError as exc:
            exc.line = line
            raise
    try:
        return rid, Scenario.from_dict(row_to_scenario(raw))
    except InputError as exc:
        # name the CSV column and the place of its cell, not the JSON path
        column = _csv_column(exc.field, raw)
        exc.line = line
        if column is not None:
            exc.field = column
            exc.line, exc.column = raw.position(column) if isinstance(raw, ledger_rows.CsvRow) else (line, None)
        raise


def _csv_column(path: str | None, raw: dict) -> str | None:
    """The CSV column that a field of row_to_scenario's JSON form came from."""
    if not path:
        return None
    if path in raw:
        return path
    head, _, rest = path.partition(".")
    if head == "transaction":
        return next((c for c, k in TRANSACTION_COLUMNS.items() if k == rest), None)
    if head.startswith("items["):
        return rest if rest in ITEM_COLUMNS else None
    if head == "facts":
        return f"fact.{rest}"
    if path.startswith("entities."):
        consignee = (raw.get("consignee") or "").strip()
        parent = (raw.get("consignee_parent") or "").strip()
        for name, cols in ((consignee, {v: k for k, v in ENTITY_COLUMNS.items()}),
                           (parent, {"headquartered": "parent_headquartered"})):
            prefix = f"entities.{name}"
            if name and path.startswith(prefix + "."):
                sub = path[len(prefix) + 1:]
                if sub.startswith("status."):
                    return sub
                return cols.get(sub, "consignee" if name == consignee else "consignee_parent")
            if name and path == prefix:
                return "consignee" if name == consignee else "consignee_parent"
    return None


def _row_key(line: int, raw: dict) -> tuple[str, int]:
    """A row's id and date (YYYYMMDD, 0 for a JSON scenario without one): all that is
    needed to put the rows in order. The rest of the row is checked where it is decided."""
    if "__error__" in raw:
        err = raw["__error__"]
        if isinstance(err, InputError):
            raise err
        raise InputError(str(err), line=line)
    json_row = isinstance(raw, ledger_rows.JsonRow)
    rid = raw.get("id")
    if json_row and rid is not None and (isinstance(rid, bool) or not isinstance(rid, (str, int))):
        raise InputError(f"an id is a text or a whole number, got {shown(rid)}", line=line, field="id")
    rid = str(rid).strip() if rid is not None else ""
    if not rid:
        raise InputError("missing 'id'", line=line, field="id")
    if not rid.isprintable():
        raise InputError(f"an id cannot contain the character {repr(next(c for c in rid if not c.isprintable()))}",
                         line=line, field="id")
    date = raw.get("date")
    if not json_row:
        date = str(date or "").strip()
        if not date:
            raise InputError("missing 'date'", line=line, field="date")
    try:
        return rid, parse_date(date, "date") if date is not None else 0
    except InputError as exc:
        exc.line = line
        if isinstance(raw, ledger_rows.CsvRow):
            exc.field = "date"
            exc.line, exc.column = raw.position("date")
        raise


def _error_row(line: int, rid, exc: InputError, path: str) -> dict:
    exc.file = path
    if rid is not None and (isinstance(rid, bool) or not isinstance(rid, (str, int))):
        rid = shown(rid)                  # an id that is not one (a list, an object) shown as written
    elif isinstance(rid, str):
        rid = escape(rid)
    row = dict.fromkeys(ROW_FIELDS)
    row.update({"line": line, "id": rid, "error": str(exc)})
    return row


def run_ledger(path: Path, progress: bool = False, workers: int | None = None, screen: bool = False,
               view: str | None = None) -> LedgerResult:
    """Account for the rows of ``path``. ``workers``: processes to decide the rows in
    (default: two on a machine with two or more CPUs, for large ledgers). ``screen``:
    weigh every authorization for every row, not only the one a row claims. ``view``:
    as_written (default) or as_enforced, for every row."""
    gc_was_on = gc.isenabled()
    gc.disable()        # many long-lived objects and no cycles: collections would only cost time
    try:
        return _run_ledger(path, progress, workers, screen, view)
    finally:
        if gc_was_on:
            gc.enable()


def _run_ledger(path: Path, progress: bool, workers: int | None, screen: bool, view: str | None = None) -> LedgerResult:
    result = LedgerResult()
    keyed: list[tuple[int, str, int, dict]] = []
    errors: dict[int, dict] = {}
    seen: set[str] = set()
    raw_rows = read_rows(path)
    if view:
        for _, raw in raw_rows:
            if isinstance(raw, dict) and "__error__" not in raw:
                raw["__view__"] = view
    if not progress and len(raw_rows) >= 20000 and sys.stderr.isatty():
        progress = True                      # long runs show progress on a terminal
    bar = _Bar(len(raw_rows), "reading rows", progress)
    for line, raw in raw_rows:
        bar.step()
        try:
            rid, date = _row_key(line, raw)
            if rid in seen:
                raise InputError(f"duplicate id {rid!r}", line=line, field="id")
            seen.add(rid)
            keyed.append((date, rid, line, raw))
        except InputError as exc:
            errors[line] = _error_row(line, raw.get("id") if isinstance(raw, dict) else None, exc, str(path))
    bar.done()
    # date order, ties by id: the order never depends on the order of the file
    keyed.sort(key=lambda t: (t[0], t[1]))
    ordered = [(rid, line, raw) for _, rid, line, raw in keyed]     # each row is checked in its worker
    if workers is None:
        workers = 2 if len(ordered) >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) >= 2 else 1
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    size = -(-len(ordered) // max(workers, 1)) if ordered else 0
    # the bar counts each row twice (step 1 and step 2), across the processes
    shared = multiprocessing.get_context("fork").Value("q", 0) if progress and workers > 1 else None
    work = _Bar(2 * len(ordered), "deciding rows", progress, shared=shared)
    chunks = [(ordered[k:k + size], k + 1, str(path), screen, work.step if progress else None)
              for k in range(0, len(ordered), size)] if ordered else []
    _say(progress, f"{len(ordered)} rows in {len(chunks)} process(es), two steps each")
    if chunks:      # rewrite the KB once, before any fork
        _staged(screen)
    # With several processes, every chunk is decided in a child: clingo never frees the
    # symbols a grounding makes, so this process stays as small (and a second ledger
    # in it as fast) as before the first.
    if len(chunks) > 1:
        local, remote = None, [_Remote(*c) for c in chunks]
    else:
        local, remote = (_Chunk(*chunks[0]) if chunks else None), []
    firsts = ([local.first()] if local else []) + [r.first() for r in remote]
    # running totals in date order (chunk after chunk, each in order)
    running: dict[str, int] = {}
    key_texts: dict[str, str] = {}
    caps: dict[str, int] = {}
    lates: list[dict[int, dict[str, int]]] = []
    for first in firsts:
        late: dict[int, dict[str, int]] = {}
        for i, tpp, counts, observes, row_caps, given in first:
            for key, fact_name in observes:       # what earlier rows used
                late.setdefault(i, {})[fact_name] = given.get(fact_name, 0) + running.get(key, 0)
            for key, text, fact_name in counts:   # this row adds to it
                running[key] = running.get(key, 0) + tpp
                key_texts[key] = text
            caps.update(row_caps)
        lates.append(late)
    for r, late in zip(remote, lates):
        r.send(late)
    rows = (local.second(lates[0]) if local else []) + [row for r in remote for row in r.second()]
    work.done()
    out_rows: dict[int, dict] = dict(errors)
    for row in rows:
        out_rows[row["line"]] = row
    result.rows = [out_rows[k] for k in sorted(out_rows)]
    h100 = kb.chips()["H100-SXM"]
    for key in sorted(running):
        used = running[key]
        cap = caps.get(key)
        result.summary.append({
            "total": key_texts[key], "used_tpp": used, "cap_tpp": cap,
            "remaining_tpp": None if cap is None else cap - used,
            "used_h100_equivalents": round(used / h100, 1),
            "remaining_h100_equivalents": None if cap is None else round((cap - used) / h100, 1),
        })
    return result


# Ledgers with fewer rows are decided in one process (a second one costs more than it saves).
PARALLEL_MIN_ROWS = 4000
# Rows per clingo control (see _Chunk). Each control grounds the static part of the
# KB and every date context of its rows again, so very small batches waste time;
# very large ones ground more slowly per row. Measured on 100,000 rows (two
# processes): 2,500 rows 16.1 s, 5,000 14.4-14.9 s, 12,500-50,000 about 14 s.
BATCH_ROWS = 25000

# What the first step reads: each row's shipment TPP and the totals it counts toward.
FIRST_SHOW = {("shipment_tpp", 1), ("ledger_count", 3), ("observes", 2)}


@functools.cache
def _late_names() -> frozenset:
    """The fact names the ledger supplies (``counts_toward(_, Name)`` in kb/modes/ledger.lp)."""
    stmts: list = []
    clingo.ast.parse_string(_ledger_mode(), stmts.append)
    names = set()
    for st in stmts:
        if st.ast_type == clingo.ast.ASTType.Rule and st.head.ast_type == clingo.ast.ASTType.Literal:
            a = st.head.atom.symbol
            if a.ast_type == clingo.ast.ASTType.Function and a.name in ("counts_toward", "observes"):
                names.add(str(a.arguments[1]))
    return frozenset(names)


class _Chunk:
    """Consecutive rows (in date order), numbered from ``start``, decided in two steps.
    The rows are split into batches of at most ``BATCH_ROWS`` rows, one clingo control
    each (which bounds the memory of one control)."""

    def __init__(self, raw_rows: list[tuple[str, int, dict]], start: int, path: str, screen: bool = False,
                 report=None):
        # each row is checked here, in the process that decides it; a row that fails
        # the check becomes an error row naming its line and field
        self.rows: list[tuple[str, Scenario, int]] = []
        self.errors: list[dict] = []
        for rid, line, raw in raw_rows:
            try:
                self.rows.append((rid, _row_scenario(line, raw)[1], line))
            except InputError as exc:
                self.errors.append(_error_row(line, rid, exc, path))
        self.start = start
        rows = self.rows
        late_names = _late_names()
        facts, self.held = [], []
        for _, s, _ in rows:
            fs = scenario_terms(s)
            given = s.data.get("facts", {})
            held = {}
            if any(n in late_names for n in given):
                # the row's own value of a running total waits for step 2
                held = {f[1][0].name: f for f in fs if f[0] == "fact" and f[1][0].name in late_names}
                fs = [f for f in fs if not (f[0] == "fact" and f[1][0].name in late_names)]
            facts.append(fs)
            self.held.append(held)
        self.report = report or (lambda n: None)     # rows done, for the progress bar
        self.report(len(self.errors))                # an error row is done in each step at once
        self.batches = []
        for k in range(0, len(rows), BATCH_ROWS):
            self.batches.append(StagedBatch(facts[k:k + BATCH_ROWS], ledger_program(screen), FIRST_SHOW, LEDGER_SHOW,
                                            late_names, start=start + k, gate=True, convert=_atom))
            self.report(self.batches[-1].n)

    def first(self) -> list[tuple[int, int, list, list, dict, dict]]:
        """Per row: (number, shipment TPP, [(total key, its text, fact name)] it counts toward,
        [(total key, fact name)] it sees, {key: cap}, {fact name: given TPP})."""
        atoms: dict = {}
        for batch in self.batches:
            atoms.update(batch.first())
        out = []
        self.tpp: dict[int, int] = {}
        for i, (rid, s, line) in enumerate(self.rows, start=self.start):
            tpp, counts, observes, caps = 0, [], [], {}
            for a in atoms[i]:
                name = a[0]
                if name == "shipment_tpp":
                    tpp = self.tpp[i] = a[1]
                elif name == "ledger_count":
                    counts.append(a[1:4])
                    if a[4] is not None:
                        caps[a[1]] = a[4]
                elif name == "observes":
                    observes.append(a[1:])
            given = {}
            if observes:
                facts = s.data.get("facts", {})
                given = {n: parse_big(facts[n], n) for _, n in observes if facts.get(n) is not None}
            out.append((i, tpp, counts, observes, caps, given))
        return out

    def second(self, late: dict[int, dict[str, int]]) -> list[dict]:
        def late_facts(lo, hi):
            for i in range(lo, hi):
                held = self.held[i - self.start]
                totals = late.get(i, {})
                for name, value in totals.items():
                    yield i, "fact", (Term(name), big_term(value))
                for name, f in held.items():
                    if name not in totals:
                        yield i, "fact", f[1]
        atoms: dict = {}
        for batch in self.batches:
            atoms.update(batch.second(late_facts(batch.start, batch.start + batch.n)))
            self.report(batch.n)
        self.report(len(self.errors))
        return [_row_result(rid, s, line, atoms[i], self.tpp.get(i))
                for i, (rid, s, line) in enumerate(self.rows, start=self.start)] + self.errors


class _Remote:
    """A chunk decided in a forked process; the same two steps over a pipe."""

    def __init__(self, rows, start, path, screen, report):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(rows, start, path, screen, report, child), daemon=True)
        self.proc.start()
        child.close()

    def _recv(self):
        ok, value = self.conn.recv()
        if not ok:
            self.proc.join()
            raise RuntimeError(f"ledger worker failed:\n{value}")
        return value

    def first(self):
        return self._recv()

    def send(self, late):
        self.conn.send(late)

    def second(self):
        try:
            return self._recv()
        finally:
            self.conn.close()
            self.proc.join()


def _serve(rows, start, path, screen, report, conn) -> None:
    code = 0
    try:
        chunk = _Chunk(rows, start, path, screen, report)
        conn.send((True, chunk.first()))
        conn.send((True, chunk.second(conn.recv())))
    except BaseException:
        import traceback
        conn.send((False, traceback.format_exc()))
        code = 1
    finally:
        conn.close()
    # The results are sent: leave at once, without freeing the clingo controls one by
    # one (the parent is waiting for this process to end).
    os._exit(code)


_TRI = {"yes": True, "no": False}


def _atom(sym: clingo.Symbol) -> tuple:
    """An atom of a row's answer as the ledger uses it: (name, value, ...). Made once per
    distinct atom (pyrules.batch.StagedBatch's convert)."""
    name, args = sym.name, sym.arguments
    if name in ("shipment_tpp",):
        return name, from_big(args[0])
    if name == "ledger_count":            # (key, its text, the fact name later rows see, cap or None)
        cap = None if args[2].type == clingo.SymbolType.Function and args[2].name == "none" else from_big(args[2])
        return name, str(args[0]), term_text(args[0]), args[1].name, cap
    if name == "observes":                # (key, fact name)
        return name, str(args[0]), args[1].name
    if name == "missing_fact":
        return name, term_text(args[0])
    if name == "ledger_row":              # (licence required, authorized, policy, claim status)
        return (name,) + tuple(None if a.name == "none" else a.name for a in args)
    return name, args[0].name             # ledger_claim_fails


def _row_result(rid: str, s: Scenario, line: int, atoms: list, tpp: int | None) -> dict:
    by: dict[str, list] = {}
    for a in atoms:
        by.setdefault(a[0], []).append(a[1:] if a[0] == "ledger_row" else a[1])
    claimed = s.data["transaction"].get("authorization_claimed")
    rows = by.get("ledger_row", [])     # one, or one per policy when the policy is not unique
    status = {r[3] for r in rows}
    claim = status.pop() if claimed and len(status) == 1 else None
    policies = {r[2] for r in rows}
    lr = list({r[0] for r in rows})
    au = list({r[1] for r in rows})
    return {
        "line": line, "id": rid, "date": s.date, "to": s.data["transaction"].get("to"),
        "consignee": s.data["transaction"].get("consignee"),
        "shipment_tpp": tpp,
        "license_required": _TRI.get(lr[0]) if len(lr) == 1 else None,
        "authorization_claimed": claimed,
        "claim_available": None if claim is None else {"available": True, "unavailable": False}.get(claim),
        "claim_failed_conditions": sorted(by.get("ledger_claim_fails", [])) if claimed else [],
        "licensing_policy": policies.pop() if len(policies) == 1 else None,     # None: none or not unique
        "authorized": _TRI.get(au[0]) if len(au) == 1 else None,
        "missing_facts": sorted(set(by.get("missing_fact", []))), "error": None,
    }


# What the ledger reads of a row's answer, gathered into few atoms per row (each atom
# read costs more than deriving one): it decides nothing.
#   ledger_row(LicenceRequired, Authorized, Policy, ClaimStatus)   (none: no such answer)
#   ledger_count(Key, FactName, Cap): counts_toward/2 with the cap of its total
READING = """
ledger_row(L, A, P, S) :- licence_required(L), authorized(A), ledger_policy(P), ledger_claim_status(S).
ledger_policy(P) :- policy(P, _).
ledger_policy(none) :- not policy(_, _).
ledger_claim_status(S) :- claimed_authorization(A), authorization_status(A, S).
ledger_claim_status(none) :- not ledger_claim_weighed.
ledger_claim_weighed :- claimed_authorization(A), authorization_status(A, _).
ledger_claim_fails(C) :- claimed_authorization(A), considered(A), fails(A, C).
ledger_count(K, F, C) :- counts_toward(K, F), cap(K, C).
ledger_count(K, F, none) :- counts_toward(K, F), not ledger_capped(K).
ledger_capped(K) :- cap(K, _).
"""

# What the second step reads from each row's answer (with the shipment TPP of step 1).
LEDGER_SHOW = {("shipment_tpp", 1), ("ledger_row", 4), ("ledger_claim_fails", 1), ("missing_fact", 1)}


class _Bar:
    """A one-line progress bar on stderr (only when asked for, or on a terminal for long runs)."""

    def __init__(self, total: int, label: str, enabled: bool, width: int = 30, shared=None):
        self.total, self.label, self.enabled, self.width = max(total, 1), label, enabled, width
        self.n, self.shown = 0, -1
        self.shared = shared        # a multiprocessing Value: the count of several processes

    def step(self, k: int = 1) -> None:
        if self.shared is not None:
            with self.shared.get_lock():
                self.shared.value += k
                n = self.shared.value
        else:
            self.n += k
            n = self.n
        if not self.enabled:
            return
        pct = n * 100 // self.total
        if pct != self.shown:
            self.shown = pct
            fill = self.width * n // self.total
            print(f"\r[ledger] {self.label} [{'#' * fill}{'.' * (self.width - fill)}] {pct:3d}%",
                  end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(f"[ledger] {text}", file=sys.stderr, flush=True)


ROW_FIELDS = ["line", "id", "date", "to", "consignee", "shipment_tpp", "license_required", "authorization_claimed",
              "claim_available", "claim_failed_conditions", "licensing_policy", "authorized", "missing_facts", "error"]


SUMMARY_FIELDS = ["total", "used_tpp", "cap_tpp", "remaining_tpp",
                  "used_h100_equivalents", "remaining_h100_equivalents"]


def write_results(result: LedgerResult, fmt: str, out, lineterminator: str = "\r\n") -> None:
    """The result rows only: CSV with a header (lists joined by ';'), or JSON lines."""
    if fmt == "jsonl":
        for r in result.rows:
            out.write(json.dumps(r) + "\n")
        return
    w = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator=lineterminator)
    w.writeheader()
    for r in result.rows:
        r = dict(r)
        for k in ("claim_failed_conditions", "missing_facts"):
            r[k] = ";".join(r[k] or [])
        w.writerow(r)


def write_rows(result: LedgerResult, fmt: str, out) -> None:
    """The result rows, then the summary of every cap (a JSON line, or a CSV table after
    a blank line)."""
    write_results(result, fmt, out)
    if fmt == "jsonl":
        out.write(json.dumps({"summary": result.summary}) + "\n")
        return
    out.write("\n")
    s = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS)
    s.writeheader()
    for r in result.summary:
        s.writerow(r)
