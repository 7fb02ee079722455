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
import io
import json
import multiprocessing
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import clingo
import clingo.ast

from . import kb
from .arithmetic import from_big
from .batch import StagedBatch, staged_program
from .determination import term_text
from .errors import InputError
from .facts import Term, big_term, scenario_terms
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
    text = path.read_text(encoding="utf-8-sig")     # a spreadsheet's byte-order mark is not part of a column name
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
            if not isinstance(obj, dict):
                obj = {"__error__": f"expected a JSON object (a scenario with an 'id'), got {type(obj).__name__}"}
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


def _row_key(line: int, raw: dict) -> tuple[str, int]:
    """A row's id and date (YYYYMMDD, 0 for a JSON scenario without one): all that is
    needed to put the rows in order. The rest of the row is checked where it is decided."""
    if "__error__" in raw:
        raise InputError(raw["__error__"], line=line)
    json_row = "transaction" in raw or "items" in raw
    rid = raw.get("id")
    rid = str(rid).strip() if rid is not None else ""
    if not rid:
        raise InputError("missing 'id'", line=line, field="id")
    date = raw.get("date")
    if not json_row:
        date = str(date or "").strip()
        if not date:
            raise InputError("missing 'date'", line=line, field="date")
    try:
        return rid, parse_date(date, "date") if date is not None else 0
    except InputError as exc:
        exc.line = line
        raise


def _error_row(line: int, rid, exc: InputError, path: str) -> dict:
    exc.file = path
    row = dict.fromkeys(ROW_FIELDS)
    row.update({"line": line, "id": rid, "error": str(exc)})
    return row


def run_ledger(path: Path, progress: bool = False, workers: int | None = None, screen: bool = False,
               stream: bool = False, dask_client=None) -> LedgerResult:
    """Account for the rows of ``path``. ``workers``: processes to decide the rows in
    (default: one per CPU, at most BATCH_WORKERS, for large ledgers). ``screen``: weigh
    every authorization for every row, not only the one a row claims. ``stream``: the
    result's ``rows`` is an iterator that reads the results back from a temporary file
    (memory stays bounded whatever the number of rows) instead of a list.
    ``dask_client``: decide the batches on a Dask cluster (``pip install pyrules[dask]``)."""
    gc_was_on = gc.isenabled()
    gc.disable()        # many long-lived objects and no cycles: collections would only cost time
    try:
        result = _run_ledger(Path(path), progress, workers, screen, dask_client)
    finally:
        if gc_was_on:
            gc.enable()
    if not stream:
        result.rows = list(result.rows)
    return result


def _scan(path: Path):
    """The rows of a CSV or JSON-lines file, one at a time: (header or None for JSON lines,
    iterator of (line number, raw row, the row's own text)). The raw row is what
    read_rows gives; the text is all a worker needs to rebuild it (_decode)."""
    f = open(path, encoding="utf-8-sig")        # a spreadsheet's byte-order mark is not part of a column name
    if path.suffix in (".jsonl", ".ndjson"):
        def rows():
            with f:
                for n, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        yield n, {"__error__": f"invalid JSON at column {exc.colno}: {exc.msg}"}, None
                        continue
                    if not isinstance(obj, dict):
                        obj = {"__error__": f"expected a JSON object (a scenario with an 'id'), got {type(obj).__name__}"}
                    yield n, obj, line
        return None, rows()
    taken: list[str] = []

    def lines():
        for line in f:
            taken.append(line)
            yield line
    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        header = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        f.close()
        raise InputError(f"the header lacks the column(s) {', '.join(missing)}", file=str(path), line=1)

    def rows():
        with f:
            n = 1
            taken.clear()
            for cells in reader:
                text = "".join(taken)
                taken.clear()
                if not cells:           # a blank line is no row (as csv.DictReader reads it)
                    continue
                n += 1
                yield n, _csv_dict(header, cells), text
    return header, rows()


def _csv_dict(header: list[str], cells: list[str]) -> dict:
    """A CSV record as csv.DictReader makes it: column -> cell, extra cells under None,
    missing cells None."""
    d = dict(zip(header, cells))
    if len(cells) > len(header):
        d[None] = cells[len(header):]
    elif len(cells) < len(header):
        for h in header[len(cells):]:
            d.setdefault(h, None)
    return d


def _decode(text: str, header: list[str] | None) -> dict:
    if header is None:
        return json.loads(text)
    return _csv_dict(header, next(csv.reader(io.StringIO(text))))


class _Spill:
    """The result rows, written to a temporary file as they are decided (in date order)
    and read back in the order of the input (record by record): memory holds only one
    offset per row."""

    def __init__(self, n: int):
        import array
        import tempfile
        self.file = tempfile.TemporaryFile("w+b")
        self.offsets = array.array("q", [-1]) * n

    def put(self, record: int, row: dict) -> None:
        self.offsets[record] = self.file.tell()
        self.file.write(json.dumps(row).encode() + b"\n")

    def rows(self):
        f = self.file
        f.flush()
        try:
            for off in self.offsets:
                if off >= 0:
                    f.seek(off)
                    yield json.loads(f.readline())
        finally:
            f.close()


def _run_ledger(path: Path, progress: bool, workers: int | None, screen: bool, dask_client) -> LedgerResult:
    result = LedgerResult()
    header, scanned = _scan(path)
    if not progress and path.stat().st_size >= 2_000_000 and sys.stderr.isatty():
        progress = True                      # long runs show progress on a terminal
    # Only what orders a row is kept of it in memory (its date, id and record number);
    # its line number and own text go to a temporary file, read back when its batch is
    # handed out. The rest is checked and decided in the worker that decides its batch.
    keyed: list[tuple[int, str, int]] = []
    texts = _Texts()
    errors: list[tuple[int, dict]] = []
    seen: set[str] = set()
    bar = _Bar(path.stat().st_size, "reading rows", progress)
    record = -1
    for record, (line, raw, text) in enumerate(scanned):
        if progress:
            bar.step(len(text or ""))
        try:
            rid, date = _row_key(line, raw)
            if rid in seen:
                raise InputError(f"duplicate id {rid!r}", line=line, field="id")
            seen.add(rid)
            keyed.append((date, rid, record))
            texts.put(record, line, text)
        except InputError as exc:
            errors.append((record, _error_row(line, raw.get("id") if isinstance(raw, dict) else None, exc, str(path))))
    del seen
    bar.finish()
    spill = _Spill(record + 1)
    for r, row in errors:
        spill.put(r, row)
    del errors
    # date order, ties by id: the order never depends on the order of the file
    keyed.sort(key=lambda t: (t[0], t[1]))
    n_rows = len(keyed)
    if workers is None:
        workers = min(os.cpu_count() or 1, BATCH_WORKERS) if n_rows >= PARALLEL_MIN_ROWS else 1
    # at least one batch per worker (a ledger of a few thousand rows still uses them all)
    size = max(1, min(BATCH_ROWS, -(-n_rows // workers))) if workers > 1 else BATCH_ROWS
    batches = _Batches(keyed, size, texts)
    del keyed
    workers = max(1, min(workers, len(batches)))
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    work = _Bar(2 * n_rows, "deciding rows", progress)
    _say(progress, f"{n_rows} rows in {len(batches)} batch(es), "
                   + ("on a Dask cluster" if dask_client is not None else f"{workers} process(es)"))
    totals = _Totals()
    if batches:
        _staged(screen)         # rewrite the KB once, before any fork
    if dask_client is not None:
        _decide_on_dask(dask_client, batches, header, str(path), screen, totals, spill, work)
    elif workers > 1:
        _decide_in_pool(workers, batches, header, str(path), screen, totals, spill, work)
    else:
        for items in batches:
            batch = _Batch(items, header, str(path), screen)
            firsts = batch.first()
            work.step(len(items))
            for r, row in batch.second(totals.late(firsts)):
                spill.put(r, row)
            work.step(len(items))
            del batch           # its clingo control is freed here
    work.done()
    result.rows = spill.rows()
    result.summary = totals.summary()
    return result


class _Texts:
    """Each row's line number and own text, by record number, in a temporary file."""

    def __init__(self):
        import array
        import tempfile
        self.file = tempfile.TemporaryFile("w+b")
        self.where = array.array("q")       # record -> offset, or -1
        self.size = array.array("l")        # record -> length of the text in bytes
        self.line = array.array("l")        # record -> line number

    def put(self, record: int, line: int, text: str) -> None:
        while len(self.where) <= record:
            self.where.append(-1)
            self.size.append(0)
            self.line.append(0)
        data = text.encode()
        self.where[record] = self.file.tell()
        self.size[record] = len(data)
        self.line[record] = line
        self.file.write(data)

    def get(self, record: int) -> tuple[int, str]:
        self.file.seek(self.where[record])
        text = self.file.read(self.size[record]).decode()
        self.file.seek(0, 2)
        return self.line[record], text


class _Batches:
    """The sorted rows, cut into batches of ``size`` when each is handed out; a batch's
    rows are let go of once it has been taken (``batches[k]`` once only)."""

    def __init__(self, keyed: list, size: int, texts: _Texts):
        self.keyed, self.size, self.texts = keyed, size, texts
        self.n = -(-len(keyed) // size)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: int) -> list:
        lo, hi = k * self.size, min((k + 1) * self.size, len(self.keyed))
        if not 0 <= k < self.n:
            raise IndexError(k)
        out = []
        for _, rid, r in self.keyed[lo:hi]:
            line, text = self.texts.get(r)
            out.append((r, rid, line, text))
        self.keyed[lo:hi] = [None] * (hi - lo)
        return out

    def __iter__(self):
        return (self[k] for k in range(self.n))


class _Totals:
    """The running totals, in date order: each row's totals of the rows before it (the
    facts its second step reads), then what it adds. Cheap sums: the KB has already
    said, in each row's first step, which totals the row counts toward and sees."""

    def __init__(self):
        self.running: dict[str, int] = {}
        self.key_texts: dict[str, str] = {}
        self.caps: dict[str, int] = {}

    def late(self, firsts: list) -> dict[int, dict[str, int]]:
        """``firsts``: a batch's first steps in date order. Per row of the batch (its index),
        {fact name: total of the earlier rows}."""
        running = self.running
        late: dict[int, dict[str, int]] = {}
        for j, (tpp, counts, observes, row_caps, given) in enumerate(firsts):
            for key, fact_name in observes:       # what earlier rows used
                late.setdefault(j, {})[fact_name] = given.get(fact_name, 0) + running.get(key, 0)
            for key, text, fact_name in counts:   # this row adds to it
                running[key] = running.get(key, 0) + tpp
                self.key_texts[key] = text
            self.caps.update(row_caps)
        return late

    def summary(self) -> list[dict]:
        h100 = kb.chips()["H100-SXM"]
        out = []
        for key in sorted(self.running):
            used = self.running[key]
            cap = self.caps.get(key)
            out.append({
                "total": self.key_texts[key], "used_tpp": used, "cap_tpp": cap,
                "remaining_tpp": None if cap is None else cap - used,
                "used_h100_equivalents": round(used / h100, 1),
                "remaining_h100_equivalents": None if cap is None else round((cap - used) / h100, 1),
            })
        return out


# Ledgers with fewer rows are decided in one process (a second one costs more than it saves).
PARALLEL_MIN_ROWS = 4000
# Rows per clingo control (see _Batch). Each control grounds the static part of the KB
# and every date context of its rows again, so very small batches waste time; a
# control's memory grows with its rows (about 20 KB a row), and a worker holds one
# at a time.
BATCH_ROWS = 10000
# Worker processes at most (one per CPU up to this).
BATCH_WORKERS = 8
# A worker process decides this many batches, then a fresh one takes over: clingo
# keeps every symbol it ever made for the life of a process.
WORKER_BATCHES = 4

# What the first step reads: each row's shipment TPP and the totals it counts toward.
FIRST_SHOW = {("shipment_tpp", 1), ("ledger_count", 3), ("observes", 2)}


@functools.lru_cache(maxsize=None)
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


class _Batch:
    """Consecutive rows (in date order) decided in two steps of one clingo control
    (pyrules.batch.StagedBatch): ``first()`` gives what the running totals need of each
    row, ``second(late)`` each row's result given the totals of the rows before it.
    ``items``: (record number, id, line, the row's text). The rows are numbered from 1 in
    every batch, so that batches share clingo's symbols for them."""

    def __init__(self, items: list, header, path: str, screen: bool = False):
        # each row is checked here, in the process that decides it; a row that fails
        # the check becomes an error row naming its line and field
        self.rows: list[tuple[int, str, Scenario, int]] = []
        self.errors: list[tuple[int, dict]] = []
        for r, rid, line, text in items:
            try:
                self.rows.append((r, rid, _row_scenario(line, _decode(text, header))[1], line))
            except InputError as exc:
                self.errors.append((r, _error_row(line, rid, exc, path)))
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
        self.batch = StagedBatch(facts, ledger_program(screen), FIRST_SHOW, LEDGER_SHOW, late_names,
                                 start=1, gate=True, convert=_atom) if self.rows else None

    def first(self) -> list[tuple[int, list, dict, dict]]:
        """Per row (in order): (shipment TPP, [(total key, its text, fact name)] it counts
        toward, [(total key, fact name)] it sees, {key: cap}, {fact name: given TPP})."""
        atoms = self.batch.first() if self.batch else {}
        out = []
        self.tpp: dict[int, int] = {}
        for i, (_, rid, s, line) in enumerate(self.rows, start=1):
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
            out.append((tpp, counts, observes, caps, given))
        return out

    def second(self, late: dict[int, dict[str, int]]) -> list[tuple[int, dict]]:
        """(record number, result row) for every row of the batch, error rows included."""
        def late_facts():
            for j, held in enumerate(self.held):
                totals = late.get(j, {})
                for name, value in totals.items():
                    yield j + 1, "fact", (Term(name), big_term(value))
                for name, f in held.items():
                    if name not in totals:
                        yield j + 1, "fact", f[1]
        atoms = self.batch.second(late_facts()) if self.batch else {}
        self.batch = None       # the control is not needed any more
        return [(r, _row_result(rid, s, line, atoms[i], self.tpp.get(i)))
                for i, (r, rid, s, line) in enumerate(self.rows, start=1)] + self.errors


def _decide_in_pool(workers: int, batches: list, header, path: str, screen: bool, totals: "_Totals",
                    spill: _Spill, work: "_Bar") -> None:
    """The batches decided by ``workers`` forked processes, each holding one batch (one
    clingo control) at a time: a worker decides a batch's first step and sends it; once
    the first steps of every earlier batch are in, this process sends it the batch's
    running totals; the worker decides the second step, sends the rows and takes the
    next batch. First steps run ahead in parallel; totals are added in date order."""
    from multiprocessing.connection import wait
    ctx = multiprocessing.get_context("fork")
    conns: dict = {}            # connection -> (process, batches it has taken)
    owner: dict[int, object] = {}
    firsts: dict[int, list] = {}
    sizes = [min(batches.size, len(batches.keyed) - k * batches.size) for k in range(len(batches))]
    nxt = 0                     # next batch to hand out
    next_first = 0              # next batch whose running totals are due
    done = 0

    def start():
        mine, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, header, path, screen), daemon=True)
        proc.start()
        child.close()
        conns[mine] = [proc, 0]
        return mine

    def hand_out(conn):
        nonlocal nxt
        if nxt < len(batches):
            conn.send((nxt, batches[nxt]))      # sent: this process keeps no copy
            owner[nxt] = conn
            conns[conn][1] += 1
            nxt += 1
        else:                           # nothing left: the worker leaves
            conn.send(None)
            proc = conns.pop(conn)[0]
            conn.close()
            proc.join()

    try:
        for _ in range(workers):
            hand_out(start())
        while done < len(batches):
            for conn in wait(list(conns)):
                try:
                    kind, k, data = conn.recv()
                except EOFError:
                    raise RuntimeError("a ledger worker ended unexpectedly") from None
                if kind == "error":
                    raise RuntimeError(f"ledger worker failed:\n{data}")
                if kind == "first":
                    work.step(sizes[k])
                    firsts[k] = data
                    while next_first in firsts:
                        owner[next_first].send(totals.late(firsts.pop(next_first)))
                        next_first += 1
                    continue
                for r, row in data:         # "rows"
                    spill.put(r, row)
                work.step(len(data))
                done += 1
                if conns[conn][1] >= WORKER_BATCHES and nxt < len(batches):
                    # a fresh process for the next batches (clingo's symbols are never freed)
                    conn.send(None)
                    proc = conns.pop(conn)[0]
                    conn.close()
                    proc.join()
                    conn = start()
                hand_out(conn)
    finally:
        for conn, (proc, _) in conns.items():
            try:
                conn.close()
            except OSError:
                pass
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()


def _worker(conn, header, path: str, screen: bool) -> None:
    code = 0
    try:
        while True:
            msg = conn.recv()
            if msg is None:
                break
            k, items = msg
            batch = _Batch(items, header, path, screen)
            conn.send(("first", k, batch.first()))
            conn.send(("rows", k, batch.second(conn.recv())))
            del batch
            gc.collect()            # the parent turned collections off; nothing may pile up here
    except EOFError:
        pass
    except BaseException:
        import traceback
        try:
            conn.send(("error", -1, traceback.format_exc()))
        except OSError:
            pass
        code = 1
    finally:
        conn.close()
    # leave at once, without freeing clingo's objects one by one
    os._exit(code)


def _dask_first(items, header, path, screen):
    return _Batch(items, header, path, screen).first()


def _dask_second(items, header, path, screen, late):
    batch = _Batch(items, header, path, screen)
    batch.first()
    return batch.second(late)


def _decide_on_dask(client, batches: list, header, path: str, screen: bool, totals: "_Totals",
                    spill: _Spill, work: "_Bar") -> None:
    """The same batches on a Dask cluster (``client``: a dask.distributed Client). Dask
    tasks hold no state between calls, so each batch is sent twice: its first steps are
    mapped over the cluster, the running totals added here in date order, then each
    batch decided again, with its totals, to its results."""
    batches = list(batches)         # each is sent twice
    n = len(batches)
    futures = client.map(_dask_first, batches, [header] * n, [path] * n, [screen] * n, pure=False)
    lates = []
    for items, fut in zip(batches, futures):
        firsts = fut.result()
        work.step(len(items))
        lates.append(totals.late(firsts))
    del futures
    futures = client.map(_dask_second, batches, [header] * n, [path] * n, [screen] * n, lates, pure=False)
    from dask.distributed import as_completed
    for fut, rows in as_completed(futures, with_results=True):
        for r, row in rows:
            spill.put(r, row)
        work.step(len(rows))


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

    def finish(self) -> None:
        """Shown complete (a total that was only an estimate), then done."""
        if self.enabled and self.shown != 100:
            self.step(self.total - self.n)
        self.done()

    def done(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


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
