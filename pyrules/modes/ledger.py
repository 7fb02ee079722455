"""Account for many transactions at once (``pyrules ledger``).

Rows are evaluated in date order (ties broken by the row's id), with the caps
that depend on earlier rows. The knowledge base decides which running total a
row counts toward (kb/modes/ledger.lp: ``counts_toward/2``) and every legal
outcome; this module only reads rows, adds up TPP in date order and renders.

The rows stream (stream_ledger): of each row only its date, id, place and text are
kept while the rows are sorted; in date order they are decided in batches, one clingo
control per batch in two steps (pyrules.engine.batch.StagedBatch): step 1 grounds every
rule that does not read a running total and gives each row's shipment TPP and the
totals it counts toward; this process adds them up in date order; step 2 adds each
row's totals of the rows before it as facts (e.g. ``lpp_prior_shipments_tpp``) and
grounds the remaining rules. The batches run on a pool of worker processes
(concurrent.futures) or on a Dask cluster; results are given out in input order.

A row is judged as it was made: only the authorization it claims is weighed
(kb/modes/ledger.lp; ``screen=True`` weighs them all).
"""

from __future__ import annotations

import csv
import functools
import gc
import io
import json
import multiprocessing
import os
import re
import sys
import tempfile
from array import array
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    return {
        col: schema.BY_PATH[path].key
        for col, path in schema.LEDGER_COLUMNS.items()
        if schema.BY_PATH[path].section == section
    }


TRANSACTION_COLUMNS = _columns("transaction")
ITEM_COLUMNS = tuple(_columns("item"))
ENTITY_COLUMNS = _columns("entity")
REQUIRED = ("id", "date")
DOC_COLUMNS = (
    list(REQUIRED)
    + list(TRANSACTION_COLUMNS)
    + list(ENTITY_COLUMNS)
    + ["parent_headquartered"]
    + list(ITEM_COLUMNS)
    + ["fact.NAME", "status.NAME"]
)


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
            continue  # a column without a name and an empty cell (a trailing comma)
        if col == "":
            raise InputError("a value in a column the header does not name", field="(unnamed column)")
        known = (
            col in REQUIRED
            or col in TRANSACTION_COLUMNS
            or col in ITEM_COLUMNS
            or col in ENTITY_COLUMNS
            or col == "parent_headquartered"
            or col.startswith(("fact.", "status."))
        )
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


def _row_scenario(line: int, raw: dict) -> tuple[str, Scenario]:
    rid, _ = _row_key(line, raw)
    if isinstance(raw, ledger_rows.JsonRow):  # JSON-lines: a scenario with an id
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
        for name, cols in (
            (consignee, {v: k for k, v in ENTITY_COLUMNS.items()}),
            (parent, {"headquartered": "parent_headquartered"}),
        ):
            prefix = f"entities.{name}"
            if name and path.startswith(prefix + "."):
                sub = path[len(prefix) + 1 :]
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
        raise InputError(
            f"an id cannot contain the character {repr(next(c for c in rid if not c.isprintable()))}",
            line=line,
            field="id",
        )
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
        rid = shown(rid)  # an id that is not one (a list, an object) shown as written
    elif isinstance(rid, str):
        rid = escape(rid)
    row = dict.fromkeys(ROW_FIELDS)
    row.update({"line": line, "id": rid, "error": str(exc)})
    return row


@dataclass
class LedgerResult:
    """A whole ledger's answer: ``rows`` (one per input row, in input order), ``summary``
    (one per running total), ``countries`` (each country's allocation use) and
    ``allocation`` (that use over time, see allocation_series)."""

    rows: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    countries: list[dict] = field(default_factory=list)
    allocation: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class LedgerStream:
    """The rows of a ledger as they are decided (iterate once, in input order); ``summary``,
    ``countries`` and ``allocation`` are filled in when the last row has been given out. ``errors``:
    the error rows given out so far."""

    def __init__(self, rows: Iterator[dict], totals: _Totals):
        self._rows = rows
        self._totals = totals
        self.errors = 0
        self.rows_given = 0
        self.summary: list[dict] = []
        self.countries: list[dict] = []
        self.allocation: dict[str, list[tuple[str, int]]] = {}

    def __iter__(self) -> Iterator[dict]:
        for row in self._rows:
            self.rows_given += 1
            if row.get("error"):
                self.errors += 1
            yield row
        self.summary = self._totals.summary()
        self.countries = self._totals.countries()
        self.allocation = self._totals.allocation()


def h100_equivalent_tpp() -> int:
    """The TPP of one H100-equivalent, the unit the ledger reports in
    (``h100_equivalent_tpp/1`` of kb/parameters.lp: the catalogue H100 SXM's TPP)."""
    return kb.h100_equivalent_tpp()


def run_ledger(
    path: Path,
    progress: bool = False,
    workers: int | None = None,
    screen: bool = False,
    view: str | None = None,
    dask_client=None,
) -> LedgerResult:
    """Account for the rows of ``path`` (CSV or JSON lines) and gather the answer.
    ``workers``: processes to decide the rows in (default: one per CPU for ledgers of
    PARALLEL_MIN_ROWS rows or more). ``screen``: weigh every authorization for every row,
    not only the one a row claims. ``view``: as_written (default) or as_enforced, for
    every row. ``dask_client``: a ``dask.distributed.Client`` on which to decide the
    batches instead (``pip install 'pyrules[dask]'``). See ``stream_ledger`` for a
    ledger too large to hold its results."""
    stream = stream_ledger(path, progress, workers, screen, view, dask_client)
    rows = list(stream)
    return LedgerResult(rows, stream.summary, stream.countries, stream.allocation)


def stream_ledger(
    path: Path,
    progress: bool = False,
    workers: int | None = None,
    screen: bool = False,
    view: str | None = None,
    dask_client=None,
) -> LedgerStream:
    """The ledger's result rows as they are decided, in input order, in bounded memory
    whatever the number of rows (arguments as for ``run_ledger``).

    The rows are read and checked for their id and date first (a bad header, or more
    than the most rows accepted, raises InputError before any row is decided); of each
    row only its date, id, place and text are kept. In date order (ties by id), they
    are decided in batches of BATCH_ROWS rows, each in one clingo control, two steps
    per batch (pyrules.engine.batch.StagedBatch): step 1 gives each row's shipment TPP
    and the running totals it counts toward (the KB's ``counts_toward/2``); this
    process adds them up in date order and hands each row the totals of the rows
    before it; step 2 decides the rows. The batches run on a pool of worker processes
    (concurrent.futures, one control per batch, freed when it is done) or on Dask.
    Results wait in a temporary file until every row before them in the input is out."""
    totals = _Totals()
    return LedgerStream(_stream(Path(path), progress, workers, screen, view, dask_client, totals), totals)


def allocation_series(ledger: LedgerResult | LedgerStream) -> dict[str, list[tuple[str, int]]]:
    """Each country's allocation use over time, as the running totals added it up (a
    LedgerResult, or a LedgerStream given out to its end): per country (named by the
    KB's ``allocation_country/2``), the dates and the cumulative TPP after each date's
    rows, in date order. The last value of a country is its ``used_tpp`` in the
    ledger's ``countries`` (tests/test_ledger.py)."""
    return ledger.allocation


# Ledgers with fewer rows are decided in this process (a pool costs more than it saves).
PARALLEL_MIN_ROWS = 4000
# Rows per clingo control. Each control grounds the static part of the KB and every
# date context of its rows again, so very small batches waste time; large ones ground
# more slowly per row (measured on 2026-12-03, one process, rows in date order: 1,000
# rows a batch 1,370 rows/s, 2,000 1,510, 4,000 1,330; unsorted 20,000: 830) and hold
# more memory.
BATCH_ROWS = 2000
# Batches handed out ahead, per worker: one being decided while the next waits.
AHEAD = 2
# A worker process is replaced after this many batches (clingo never frees its symbols).
RENEW_AFTER = 20


def _read(path: Path, view: str | None, bar: _Bar, spool: _Spool):
    """Read every row: (keyed rows, header, number of rows). A keyed row is (date, id,
    place in the input, line, text); an error row (a bad id or date, a malformed
    record) goes to ``spool`` at once."""
    from pyrules.inputs.loader import read_text

    # a spreadsheet's byte-order mark is not part of a column name
    text = read_text(path, "ledger", encoding="utf-8-sig")
    keyed: list[tuple[int, str, int, int, str]] = []
    seen: set[str] = set()
    header = None
    bar.total = max(text.count("\n"), 1)
    if path.suffix in (".jsonl", ".ndjson"):
        src: Iterator[tuple[int, dict, str]] = _jsonl_rows(text, str(path))
    else:
        src = (
            (n, raw, raw.text if isinstance(raw, ledger_rows.CsvRow) else "")
            for n, raw in ledger_rows.iter_csv(text, str(path), REQUIRED)
        )
    del text
    count = 0
    for line, raw, row_text in src:
        pos, count = count, count + 1
        bar.step()
        try:
            rid, date = _row_key(line, raw)
            if rid in seen:
                raise InputError(f"duplicate id {rid!r}", line=line, field="id")
            seen.add(rid)
            if header is None and isinstance(raw, ledger_rows.CsvRow):
                header = raw.header
            keyed.append((date, rid, pos, line, row_text))
        except InputError as exc:
            spool.put(pos, _error_row(line, raw.get("id") if isinstance(raw, dict) else None, exc, str(path)))
    return keyed, header, count


def _jsonl_rows(text: str, path: str) -> Iterator[tuple[int, dict, str]]:
    """(physical line, JsonRow or error, the line's text) for each row of a JSON-lines ledger."""
    counter = ledger_rows._Counter()
    for n, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            counter.add(path)
            yield n, ledger_rows.json_row(line, n), line


def _stream(
    path: Path, progress: bool, workers: int | None, screen: bool, view: str | None, dask_client, totals: _Totals
) -> Iterator[dict]:
    gc_was_on = gc.isenabled()
    gc.disable()  # many long-lived objects and no cycles: collections would only cost time
    spool = _Spool()
    backend: _LocalBackend | _PoolBackend | _DaskBackend | None = None
    try:
        bar = _Bar(0, "reading rows", progress)
        keyed, header, n = _read(path, view, bar, spool)
        bar.total = max(n, 1)
        bar.done()
        spool.size(n)
        yield from spool.ready()
        keyed.sort()  # date order, ties by id: the order never depends on the order of the file
        if not progress and len(keyed) >= 20000 and sys.stderr.isatty():
            progress = True  # long runs show progress on a terminal
        if workers is None:
            workers = (os.cpu_count() or 1) if len(keyed) >= PARALLEL_MIN_ROWS else 1
        size = max(1, min(BATCH_ROWS, -(-len(keyed) // max(workers, 1))))
        batches = [
            [(rid, pos, line, t) for _, rid, pos, line, t in keyed[k : k + size]] for k in range(0, len(keyed), size)
        ]
        del keyed
        common = (header, str(path), screen, view)
        if keyed_rows := sum(len(b) for b in batches):
            _staged(screen)  # rewrite the KB once, before any worker starts
        _say(
            progress,
            f"{keyed_rows} rows in {len(batches)} batch(es)"
            + (" on Dask" if dask_client is not None else f", {workers} process(es)"),
        )
        work = _Bar(2 * keyed_rows, "deciding rows", progress)
        be: _LocalBackend | _PoolBackend | _DaskBackend
        if dask_client is not None:
            be = _DaskBackend(dask_client, common)
        elif workers > 1 and len(batches) > 1:
            be = _PoolBackend(workers, common)
        else:
            be = _LocalBackend(common)
        backend = be
        ahead = be.ahead
        firsts: dict[int, Any] = {}
        seconds: deque = deque()
        nxt = 0

        def take_second():
            k2, fut = seconds.popleft()
            done = fut.result()
            be.release(k2)
            work.step(len(done))
            for p, row in done:
                spool.put(p, row)

        for k in range(len(batches)):
            while nxt < len(batches) and nxt < k + ahead:
                f = be.first(nxt, batches[nxt])
                if f is None:  # every worker is being renewed
                    break
                firsts[nxt] = f
                nxt += 1
            while k not in firsts:  # finish what the workers hold, then they take batch k
                take_second()
                yield from spool.ready()
                f = be.first(k, batches[k])
                if f is not None:
                    firsts[k], nxt = f, k + 1
            first, errors = firsts.pop(k).result()
            work.step(len(batches[k]))
            for p, row in errors:
                spool.put(p, row)
            seconds.append((k, be.second(k, batches[k], totals.late(first))))
            batches[k] = []  # its text is no longer needed here
            while seconds and (seconds[0][1].done() or len(seconds) >= ahead):
                take_second()
                yield from spool.ready()
        while seconds:
            take_second()
            yield from spool.ready()
        work.done()
        yield from spool.ready()
    finally:
        if backend is not None:
            backend.close()
        spool.close()
        if gc_was_on:
            gc.enable()


class _Spool:
    """Result rows put in any order (by their place in the input), given out in input
    order as soon as every row before them is in. They wait in a temporary file, so
    memory holds only an offset per row."""

    def __init__(self):
        self.file = tempfile.TemporaryFile("w+b")
        self.offsets = array("q")
        self.early: dict[int, int] = {}  # rows put before the number of rows is known
        self.next = 0
        self.end = 0

    def size(self, n: int) -> None:
        self.offsets = array("q", [-1]) * n
        for p, off in self.early.items():
            self.offsets[p] = off
        self.early = {}

    def put(self, pos: int, row: dict) -> None:
        self.file.seek(self.end)
        data = (json.dumps(row) + "\n").encode()
        self.file.write(data)
        if len(self.offsets) > pos:
            self.offsets[pos] = self.end
        else:
            self.early[pos] = self.end
        self.end += len(data)

    def ready(self) -> Iterator[dict]:
        while self.next < len(self.offsets) and self.offsets[self.next] >= 0:
            self.file.seek(self.offsets[self.next])
            row = json.loads(self.file.readline())
            self.next += 1
            yield row

    def close(self) -> None:
        self.file.close()


class _Totals:
    """The running totals, added up in date order (this process only sums; the KB says
    what a row counts toward, its cap and the country whose allocation it is)."""

    def __init__(self):
        self.running: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.caps: dict[str, int] = {}
        self.country: dict[str, str] = {}
        self.used: dict[str, int] = {}  # per country, its allocation use so far
        self.points: dict[str, list[tuple[str, int]]] = {}  # per country, (date, use after it)

    def late(self, first: list) -> dict[int, dict[str, int]]:
        """Per row of a batch (in date order), the totals it sees: each total it observes,
        as the rows before it left it, plus the row's own given value."""
        late: dict[int, dict[str, int]] = {}
        running = self.running
        for i, date, tpp, counts, observes, row_caps, given in first:
            for key, fact_name in observes:  # what earlier rows used
                late.setdefault(i, {})[fact_name] = given.get(fact_name, 0) + running.get(key, 0)
            for key, text, _fact, country in counts:  # this row adds to it
                running[key] = running.get(key, 0) + tpp
                self.texts[key] = text
                if country is not None:
                    self.country[key] = country
                    if tpp:
                        self._point(country, date, tpp)
            self.caps.update(row_caps)
        return late

    def _point(self, country: str, date: str, tpp: int) -> None:
        """Add ``tpp`` to the country's use; one point per date (the rows come in date order)."""
        used = self.used[country] = self.used.get(country, 0) + tpp
        pts = self.points.setdefault(country, [])
        if pts and pts[-1][0] == date:
            pts[-1] = (date, used)
        else:
            pts.append((date, used))

    def allocation(self) -> dict[str, list[tuple[str, int]]]:
        """Each country's points (date, cumulative TPP), countries in order."""
        return {c: list(self.points[c]) for c in sorted(self.points)}

    def summary(self) -> list[dict]:
        h100 = h100_equivalent_tpp()
        out = []
        for key in sorted(self.running):
            used = self.running[key]
            cap = self.caps.get(key)
            out.append(
                {
                    "total": self.texts[key],
                    "country": self.country.get(key),
                    "used_tpp": used,
                    "cap_tpp": cap,
                    "remaining_tpp": None if cap is None else cap - used,
                    "used_h100_equivalents": round(used / h100, 1),
                    "remaining_h100_equivalents": None if cap is None else round((cap - used) / h100, 1),
                }
            )
        return out

    def countries(self) -> list[dict]:
        """Each country's allocation use (the totals the KB names a country's allocation,
        ``allocation_country/2``), in TPP and H100-equivalents."""
        h100 = h100_equivalent_tpp()
        by: dict[str, dict] = {}
        for key, country in self.country.items():
            c = by.setdefault(country, {"country": country, "used_tpp": 0, "cap_tpp": None})
            c["used_tpp"] += self.running[key]
            if key in self.caps:
                c["cap_tpp"] = (c["cap_tpp"] or 0) + self.caps[key]
        for c in by.values():
            c["used_h100_equivalents"] = round(c["used_tpp"] / h100, 1)
            c["cap_h100_equivalents"] = None if c["cap_tpp"] is None else round(c["cap_tpp"] / h100, 1)
        return [by[c] for c in sorted(by)]


# --- where the batches are decided -------------------------------------------------------------------
# Each backend's first(k, batch) and second(k, batch, late) return futures (.result(), .done()).


class _Done:
    """A future already done (the batches decided in this process)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value

    def done(self) -> bool:
        return True


class _LocalBackend:
    ahead = 1

    def __init__(self, common):
        self.common = common

    def first(self, k, batch):
        return _Done(_first(k, batch, *self.common))

    def second(self, k, batch, late):
        return _Done(_second(k, late))

    def release(self, k) -> None:
        pass

    def close(self) -> None:
        _HELD.clear()


class _PoolBackend:
    """One single-process pool (concurrent.futures.ProcessPoolExecutor) per worker, so a
    batch's second step runs in the process that holds its first step's control. A
    worker that has taken RENEW_AFTER batches takes no more; once it holds none it is
    replaced by a new process (clingo never frees its symbols)."""

    def __init__(self, workers: int, common):
        self.common = common
        self.ahead = AHEAD * workers
        # Workers start from a fork server (or afresh), not as forks of this process: a
        # fork would keep a private copy of every page this process writes afterwards
        # (the rows it holds while sorting, some 400 MB at a million rows) in each worker.
        methods = multiprocessing.get_all_start_methods()
        self.ctx: Any
        if "forkserver" in methods:
            self.ctx = multiprocessing.get_context("forkserver")
            self.ctx.set_forkserver_preload(["pyrules.modes.ledger"])
        else:
            self.ctx = multiprocessing.get_context("spawn")
        self.pools = [self._new() for _ in range(workers)]
        self.taken = [0] * workers  # batches each worker has been given
        self.held = [0] * workers  # batches a worker holds (first step given, second not done)
        self.where: dict[int, int] = {}

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=self.ctx, initializer=gc.enable)

    def first(self, k, batch):
        """The future of batch ``k``'s first step, or None when every worker is being
        renewed (the caller finishes the batches they hold, then asks again)."""
        for w in range(len(self.pools)):
            if self.taken[w] >= RENEW_AFTER and self.held[w] == 0:
                self.pools[w].shutdown(wait=True)
                self.pools[w] = self._new()
                self.taken[w] = 0
        open_ = [w for w in range(len(self.pools)) if self.taken[w] < RENEW_AFTER]
        if not open_:
            return None
        w = min(open_, key=lambda i: (self.held[i], i))
        self.where[k] = w
        self.held[w] += 1
        self.taken[w] += 1
        return self.pools[w].submit(_first, k, batch, *self.common)

    def second(self, k, batch, late):
        return self.pools[self.where[k]].submit(_second, k, late)

    def release(self, k) -> None:
        """Batch ``k``'s second step is in: its worker no longer holds it."""
        self.held[self.where.pop(k)] -= 1

    def close(self) -> None:
        for p in self.pools:
            p.shutdown(wait=True, cancel_futures=True)


class _DaskBackend:
    """The same batches on a Dask cluster (dask.distributed.Client): two stateless tasks
    per batch, the first step, then the whole batch with its running totals (which
    decides the first step again: no state is kept on a worker)."""

    def __init__(self, client, common):
        self.client = client
        self.common = common
        self.ahead = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)

    def first(self, k, batch):
        return self.client.submit(_first_only, batch, *self.common, pure=False)

    def second(self, k, batch, late):
        return self.client.submit(_whole, batch, late, *self.common, pure=False)

    def release(self, k) -> None:
        pass

    def close(self) -> None:
        pass


# --- in a worker --------------------------------------------------------------------------------------
_HELD: dict[int, _Batch] = {}  # batches whose first step is done, by number (in a worker process)


def _first(k: int, batch, header, path, screen, view):
    """Decide step 1 of batch ``k`` and hold its control for step 2: (per row its step-1
    answer, the error rows)."""
    b = _Batch(batch, header, path, screen, view)
    _HELD[k] = b
    return b.first(), b.errors


def _second(k: int, late) -> list[tuple[int, dict]]:
    """Step 2 of batch ``k`` (held since its step 1): (place in the input, result row)
    for each row; the control is freed."""
    b = _HELD.pop(k)
    return b.second(late)


def _first_only(batch, header, path, screen, view):
    b = _Batch(batch, header, path, screen, view)
    return b.first(), b.errors


def _whole(batch, late, header, path, screen, view) -> list[tuple[int, dict]]:
    b = _Batch(batch, header, path, screen, view)
    b.first()
    return b.second(late)


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


# What the first step reads: each row's shipment TPP and the totals it counts toward.
FIRST_SHOW = {("shipment_tpp", 1), ("ledger_count", 4), ("observes", 2)}


class _Batch:
    """Consecutive rows (in date order) decided in two steps of one clingo control,
    numbered from 1 (every batch uses the same numbers, so the symbols clingo keeps in
    a process do not grow with the rows). Each row is checked here, in the process
    that decides it; a row that fails the check becomes an error row naming its line
    and field."""

    def __init__(self, batch, header, path: str, screen: bool = False, view: str | None = None):
        self.rows: list[tuple[str, int, Scenario, int]] = []  # (id, place, scenario, line)
        self.errors: list[tuple[int, dict]] = []
        for rid, pos, line, text in batch:
            try:
                if header is not None:
                    raw: dict = ledger_rows.csv_row(text, line, header)
                else:
                    raw = ledger_rows.json_row(text, line)
                scenario = _row_scenario(line, raw)[1]
                if view:  # the view the command line chose (pyrules ledger --view)
                    scenario = scenario.with_changes({"view": view})
                self.rows.append((rid, pos, scenario, line))
            except InputError as exc:
                self.errors.append((pos, _error_row(line, rid, exc, path)))
        late_names = _late_names()
        facts, self.held = [], []
        for _, _, s, _ in self.rows:
            fs = scenario_terms(s)
            given = s.data.get("facts", {})
            held = {}
            if any(n in late_names for n in given):
                # the row's own value of a running total waits for step 2
                held = {f[1][0].name: f for f in fs if f[0] == "fact" and f[1][0].name in late_names}
                fs = [f for f in fs if not (f[0] == "fact" and f[1][0].name in late_names)]
            facts.append(fs)
            self.held.append(held)
        self.staged = (
            StagedBatch(
                facts, ledger_program(screen), FIRST_SHOW, LEDGER_SHOW, late_names, start=1, gate=True, convert=_atom
            )
            if self.rows
            else None
        )
        self.tpp: dict[int, int] = {}
        self.counts: dict[int, list] = {}

    def first(self) -> list[tuple[int, str, int, list, list, dict, dict]]:
        """Per row: (number, date, shipment TPP, [(total key, its text, fact name, allocation
        country)] it counts toward, [(total key, fact name)] it sees, {key: cap},
        {fact name: given TPP})."""
        atoms: dict[int, list[Any]] = self.staged.first() if self.staged else {}
        out = []
        for i, (rid, _, s, line) in enumerate(self.rows, start=1):
            tpp = 0
            counts: list[tuple] = []
            observes: list[tuple] = []
            caps: dict[str, int] = {}
            for a in atoms[i]:
                name = a[0]
                if name == "shipment_tpp":
                    tpp = self.tpp[i] = a[1]
                elif name == "ledger_count":
                    counts.append((a[1], a[2], a[3], a[5]))
                    if a[4] is not None:
                        caps[a[1]] = a[4]
                elif name == "observes":
                    observes.append(a[1:])
            self.counts[i] = counts
            given = {}
            if observes:
                facts = s.data.get("facts", {})
                given = {n: parse_big(facts[n], n) for _, n in observes if facts.get(n) is not None}
            out.append((i, str(s.date), tpp, counts, observes, caps, given))  # every row has a date (_row_key)
        return out

    def second(self, late: dict[int, dict[str, int]]) -> list[tuple[int, dict]]:
        def late_facts():
            for i in range(1, len(self.rows) + 1):
                held = self.held[i - 1]
                totals = late.get(i, {})
                for name, value in totals.items():
                    yield i, "fact", (Term(name), big_term(value))
                for name, f in held.items():
                    if name not in totals:
                        yield i, "fact", f[1]

        atoms = self.staged.second(late_facts()) if self.staged else {}
        self.staged = None  # the control is freed
        out = []
        for i, (rid, pos, s, line) in enumerate(self.rows, start=1):
            row = _row_result(rid, s, line, atoms[i], self.tpp.get(i))
            counts = self.counts.get(i, [])
            row["counts_toward"] = sorted({c[1] for c in counts})
            row["allocation_country"] = next((c[3] for c in counts if c[3] is not None), None)
            out.append((pos, row))
        return out + self.errors


_TRI = {"yes": True, "no": False}


def _atom(sym: clingo.Symbol) -> tuple:
    """An atom of a row's answer as the ledger uses it: (name, value, ...). Made once per
    distinct atom (pyrules.batch.StagedBatch's convert)."""
    name, args = sym.name, sym.arguments
    if name in ("shipment_tpp",):
        return name, from_big(args[0])
    if name == "ledger_count":  # (key, its text, the fact name later rows see, cap, allocation country)
        cap = None if args[2].type == clingo.SymbolType.Function and args[2].name == "none" else from_big(args[2])
        country = args[3].string if args[3].type == clingo.SymbolType.String else None
        return name, str(args[0]), term_text(args[0]), args[1].name, cap, country
    if name == "observes":  # (key, fact name)
        return name, str(args[0]), args[1].name
    if name == "missing_fact":
        return name, term_text(args[0])
    if name == "ledger_row":  # (licence required, authorized, policy, claim status)
        return (name,) + tuple(None if a.name == "none" else a.name for a in args)
    return name, args[0].name  # ledger_claim_fails


def _row_result(rid: str, s: Scenario, line: int, atoms: list, tpp: int | None) -> dict:
    by: dict[str, list] = {}
    for a in atoms:
        by.setdefault(a[0], []).append(a[1:] if a[0] == "ledger_row" else a[1])
    claimed = s.data["transaction"].get("authorization_claimed")
    rows = by.get("ledger_row", [])  # one, or one per policy when the policy is not unique
    status = {r[3] for r in rows}
    claim = status.pop() if claimed and len(status) == 1 else None
    policies = {r[2] for r in rows}
    lr = list({r[0] for r in rows})
    au = list({r[1] for r in rows})
    return {
        "line": line,
        "id": rid,
        "date": s.date,
        "to": s.data["transaction"].get("to"),
        "consignee": s.data["transaction"].get("consignee"),
        "shipment_tpp": tpp,
        "license_required": _TRI.get(lr[0]) if len(lr) == 1 else None,
        "authorization_claimed": claimed,
        "claim_available": None if claim is None else {"available": True, "unavailable": False}.get(claim),
        "claim_failed_conditions": sorted(by.get("ledger_claim_fails", [])) if claimed else [],
        "licensing_policy": policies.pop() if len(policies) == 1 else None,  # None: none or not unique
        "authorized": _TRI.get(au[0]) if len(au) == 1 else None,
        "missing_facts": sorted(set(by.get("missing_fact", []))),
        "error": None,
    }


# What the ledger reads of a row's answer, gathered into few atoms per row (each atom
# read costs more than deriving one): it decides nothing.
#   ledger_row(LicenceRequired, Authorized, Policy, ClaimStatus)   (none: no such answer)
#   ledger_count(Key, FactName, Cap, Country): counts_toward/2 with the cap of its total
#   (none: no cap) and the country whose allocation it is (allocation_country/2; none)
READING = """
ledger_row(L, A, P, S) :- licence_required(L), authorized(A), ledger_policy(P), ledger_claim_status(S).
ledger_policy(P) :- policy(P, _).
ledger_policy(none) :- not policy(_, _).
ledger_claim_status(S) :- claimed_authorization(A), authorization_status(A, S).
ledger_claim_status(none) :- not ledger_claim_weighed.
ledger_claim_weighed :- claimed_authorization(A), authorization_status(A, _).
ledger_claim_fails(C) :- claimed_authorization(A), considered(A), fails(A, C).
ledger_count(K, F, C, A) :- counts_toward(K, F), ledger_cap(K, C), ledger_country(K, A).
ledger_cap(K, C) :- counts_toward(K, _), cap(K, C).
ledger_cap(K, none) :- counts_toward(K, _), not ledger_capped(K).
ledger_capped(K) :- cap(K, _).
ledger_country(K, A) :- counts_toward(K, _), allocation_country(K, A).
ledger_country(K, none) :- counts_toward(K, _), not ledger_allocated(K).
ledger_allocated(K) :- allocation_country(K, _).
"""

# What the second step reads from each row's answer (with the shipment TPP of step 1).
LEDGER_SHOW = {("shipment_tpp", 1), ("ledger_row", 4), ("ledger_claim_fails", 1), ("missing_fact", 1)}


class _Bar:
    """A one-line progress bar on stderr (only when asked for, or on a terminal for long runs)."""

    def __init__(self, total: int, label: str, enabled: bool, width: int = 30, shared=None):
        self.total, self.label, self.enabled, self.width = max(total, 1), label, enabled, width
        self.n, self.shown = 0, -1
        self.shared = shared  # a multiprocessing Value: the count of several processes

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
        pct = min(n * 100 // self.total, 100)
        if pct != self.shown:
            self.shown = pct
            fill = self.width * pct // 100
            print(
                f"\r[ledger] {self.label} [{'#' * fill}{'.' * (self.width - fill)}] {pct:3d}%",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def done(self) -> None:
        if self.enabled:
            if self.shown != 100:
                print(f"\r[ledger] {self.label} [{'#' * self.width}] 100%", end="", file=sys.stderr)
            print(file=sys.stderr, flush=True)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(f"[ledger] {text}", file=sys.stderr, flush=True)


ROW_FIELDS = [
    "line",
    "id",
    "date",
    "to",
    "consignee",
    "shipment_tpp",
    "counts_toward",
    "allocation_country",
    "license_required",
    "authorization_claimed",
    "claim_available",
    "claim_failed_conditions",
    "licensing_policy",
    "authorized",
    "missing_facts",
    "error",
]
LIST_FIELDS = ("counts_toward", "claim_failed_conditions", "missing_facts")  # ";"-joined in CSV
SUMMARY_FIELDS = [
    "total",
    "country",
    "used_tpp",
    "cap_tpp",
    "remaining_tpp",
    "used_h100_equivalents",
    "remaining_h100_equivalents",
]
COUNTRY_FIELDS = ["country", "used_tpp", "cap_tpp", "used_h100_equivalents", "cap_h100_equivalents"]


def format_rows(rows: Iterable[dict], fmt: str) -> Iterator[str]:
    """Result rows as text, one piece per row as it comes (CSV: the header first; or
    JSON lines)."""
    if fmt == "jsonl":
        for r in rows:
            yield json.dumps(r) + "\n"
        return
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for r in rows:
        r = dict(r)
        for k in LIST_FIELDS:
            r[k] = ";".join(r.get(k) or [])
        w.writerow(r)
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():  # no rows: the header alone
        yield buf.getvalue()


def write_rows(rows: Iterable[dict], fmt: str, out) -> int:
    """Write result rows as they come (CSV with a header, or JSON lines); the number of
    error rows among them."""
    errors = 0

    def counted():
        nonlocal errors
        for r in rows:
            errors += bool(r.get("error"))
            yield r

    for text in format_rows(counted(), fmt):
        out.write(text)
    return errors


def write_summary(result, fmt: str, out, rows: int, errors: int) -> None:
    """The summary of a ledger (``result.summary`` and ``result.countries``, a
    LedgerResult or a LedgerStream given out to its end): "json", "csv" (the totals,
    then after an empty line each country's allocation use) or "text" (readable tables)."""
    if fmt == "json":
        json.dump(
            {"rows": rows, "error_rows": errors, "totals": result.summary, "countries": result.countries}, out, indent=2
        )
        out.write("\n")
    elif fmt == "csv":
        w = csv.DictWriter(out, fieldnames=SUMMARY_FIELDS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(result.summary)
        out.write("\n")
        c = csv.DictWriter(out, fieldnames=COUNTRY_FIELDS, lineterminator="\n", extrasaction="ignore")
        c.writeheader()
        c.writerows(result.countries)
    else:

        def num(v):
            return "-" if v is None else (f"{v:,}" if isinstance(v, int) else str(v))

        def table(head, keys, body):
            cells = [tuple(num(r.get(k)) for k in keys) for r in body]
            widths = [max(len(t[i]) for t in [head] + cells) for i in range(len(head))]
            for t in [head] + cells:
                out.write("  ".join(c.ljust(w) for c, w in zip(t, widths)).rstrip() + "\n")

        out.write(f"Ledger summary: {rows} rows, {errors} with errors\n")
        table(
            ("total", "country", "used TPP", "cap TPP", "remaining TPP", "used H100-eq.", "remaining H100-eq."),
            SUMMARY_FIELDS,
            result.summary,
        )
        if result.countries:
            out.write("Allocation use by country\n")
            table(("country", "used TPP", "cap TPP", "used H100-eq.", "cap H100-eq."), COUNTRY_FIELDS, result.countries)
