"""Reading the rows of a ledger (``pyrules ledger``): CSV records and JSON lines.

Every row of the input becomes one entry: the row, or an error naming the row's
physical line (the line it starts on, counting the lines inside quoted cells
before it) and, where there is one, the column. One bad row never costs another
row: after a malformed CSV record (an unterminated quote, text after a closing
quote) reading resumes on the line after the one the record started on. Empty
lines and rows whose cells are all empty are not rows. At most
``limits.MAX_LEDGER_ROWS`` rows; a larger ledger is refused before any is decided.
"""

from __future__ import annotations

import csv
import io

from pyrules.inputs import limits
from pyrules.errors import InputError


class CsvRow(dict):
    """A CSV row: column -> cell text, and where each cell starts (see ``position``)."""

    __slots__ = ("where",)  # (the record's own lines, index of its first line, header)
    where: tuple[list[str], int, list[str]]

    @property
    def start(self) -> int:
        return self.where[1]

    @property
    def header(self) -> list[str]:
        return self.where[2]

    @property
    def text(self) -> str:
        """The record as written (its lines, with their line ends)."""
        return "".join(self.where[0])

    def position(self, column: str) -> tuple[int, int | None]:
        """(physical line, column) where the cell of ``column`` starts."""
        if column not in self.header:
            return self.start + 1, None
        return row_position(self, self.header.index(column))


class JsonRow(dict):
    """A JSON-lines row: a scenario in the JSON form with an ``id``."""

    __slots__ = ()


def _scan(lines: list[str]) -> tuple[list[tuple[int, int]], tuple[int, int] | None, str | None]:
    """Where the cells of one CSV record start ((line offset, column), column 1-based),
    and the first fault (where, what), read as the csv module reads in strict mode.
    Used only to name a place in a message."""
    text = "".join(lines)
    cells = [(0, 1)]
    line, col = 0, 1
    i, n = 0, len(text)
    quoted = False
    at_start = True
    opened = None
    while i < n:
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    i += 2
                    col += 2
                    continue
                quoted = False
                nxt = text[i + 1] if i + 1 < n else "\n"
                if nxt not in ",\r\n":
                    return cells, (line, col + 1), 'text after the closing quote of a cell (write "" for a quote)'
        elif c == '"' and at_start:
            quoted, opened = True, (line, col)
        elif c == ",":
            cells.append((line, col + 1))
            at_start = True
            i += 1
            col += 1
            continue
        elif c in "\r\n" and not quoted:
            break
        at_start = False
        if c == "\n" or (c == "\r" and text[i + 1 : i + 2] != "\n"):
            line, col = line + 1, 0
        i += 1
        col += 1
    if quoted:
        return cells, opened, 'unterminated quoted cell (the closing " is missing)'
    return cells, None, None


def _records(lines: list[str]):
    """(start index, end index, cells or the csv.Error) for each CSV record; after a
    malformed one reading resumes on the next line (after the one it started on, when
    an unterminated quote ran to the end). Linear: the lines are read once, and again
    from a record's second line only after a quote that ran to the end of the file
    (then no quote follows, so it happens once)."""
    base = 0  # index of the first line the current reader reads
    src = iter(lines)
    while base < len(lines):
        reader = csv.reader(src, strict=True)
        start = base
        try:
            for cells in reader:
                end = base + reader.line_num
                yield start, end, cells
                start = end
            return
        except csv.Error as exc:
            end = base + reader.line_num
            yield start, end, exc
            if end >= len(lines):
                end = start + 1
                src = iter(lines[end:])
            base = end


def _blank(cells: list[str]) -> bool:
    return not cells or (not cells[0].strip() and not "".join(cells).strip())


def _count(n: int, file: str) -> None:
    if n > limits.MAX_LEDGER_ROWS:
        raise InputError(f"the ledger has more than {limits.MAX_LEDGER_ROWS:,} rows (the most accepted)", file=file)


def _error(exc: InputError) -> dict:
    return {"__error__": exc}


def read_csv(text: str, file: str, required=("id", "date")) -> list[tuple[int, dict]]:
    """(physical line, CsvRow or error) for each row of a CSV ledger."""
    return list(iter_csv(text, file, required))


def iter_csv(text: str, file: str, required=("id", "date")):
    """(physical line, CsvRow or error) for each row of a CSV ledger, one at a time
    (the rows are never all held; ``read_csv`` is the list). The header's faults and
    a ledger of more than ``limits.MAX_LEDGER_ROWS`` rows raise InputError when met."""
    lines = io.StringIO(text, newline="").readlines()
    header = None
    out = _Counter()
    for start, end, cells in _records(lines):
        if isinstance(cells, csv.Error):
            _, where, what = _scan(lines[start:end])
            line, col = (start + 1 + where[0], where[1]) if where else (start + 1, None)
            exc = InputError(what or f"malformed CSV record ({cells})", line=line, column=col)
            if header is None:
                exc.file = file
                raise exc
            out.add(file)
            yield start + 1, _error(exc)
            continue
        if _blank(cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(f"the header lacks the column(s) {', '.join(missing)}", file=file, line=start + 1)
            # (columns without a name, e.g. a spreadsheet's trailing commas, may repeat)
            dup = next((c for i, c in enumerate(header) if c and c in header[:i]), None)
            if dup is not None:
                raise InputError(f"the column {dup!r} appears twice in the header", file=file, line=start + 1)
            unnamed = [i for i, c in enumerate(header) if not c]
            continue
        csv_row_ = CsvRow(zip(header, cells))
        csv_row_.where = (lines[start:end], start, header)
        row: dict = csv_row_
        filled = next((i for i in unnamed if i < len(cells) and cells[i].strip()), None)
        if filled is not None:
            line, col = row_position(csv_row_, filled)
            row = _error(
                InputError(
                    f"a value ({cells[filled].strip()!r}) in column {filled + 1}, which the header does not name",
                    line=line,
                    column=col,
                )
            )
            if "id" in header[: len(cells)]:
                row["id"] = cells[header.index("id")].strip()
        elif len(cells) != len(header):
            if len(cells) > len(header):
                line, col = row_position(csv_row_, len(header))
                exc = InputError(
                    f"the row has {len(cells)} cells; the header has {len(header)} columns",
                    line=line,
                    column=col,
                    field="(extra cell)",
                )
            else:
                exc = InputError(
                    f"the row has {len(cells)} cells; the header has {len(header)} columns "
                    f"(the first missing is {header[len(cells)]!r})",
                    line=start + 1,
                )
            row = _error(exc)
            if "id" in header[: len(cells)]:
                row["id"] = cells[header.index("id")].strip()
        out.add(file)
        yield start + 1, row
    if header is None:
        raise InputError("the ledger is empty (no header line)", file=file)


class _Counter:
    """Counts the rows read, refusing more than limits.MAX_LEDGER_ROWS."""

    def __init__(self):
        self.n = 0

    def add(self, file: str) -> None:
        self.n += 1
        _count(self.n, file)


def csv_row(text: str, line: int, header: list[str]) -> CsvRow:
    """The CsvRow of one record, from its text as ``CsvRow.text`` gives it and its
    physical line (1-based): the same row the reader made, where a worker process
    needs it (pyrules.modes.ledger hands rows to workers as text)."""
    lines = io.StringIO(text, newline="").readlines()
    cells = next(csv.reader(lines, strict=True), [])
    row = CsvRow(zip(header, cells))
    row.where = (lines, line - 1, header)
    return row


def row_position(row: CsvRow, k: int) -> tuple[int, int | None]:
    lines, start, _ = row.where
    cells, _, _ = _scan(lines)
    if k < len(cells):
        return row.start + 1 + cells[k][0], cells[k][1]
    return row.start + 1, None


def read_jsonl(text: str, file: str) -> list[tuple[int, dict]]:
    """(physical line, JsonRow or error) for each line of a JSON-lines ledger. Lines
    are split at line feeds only (a JSON string may hold U+2028)."""
    return list(iter_jsonl(text, file))


def iter_jsonl(text: str, file: str):
    """``read_jsonl`` one row at a time."""
    out = _Counter()
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        out.add(file)
        yield n, json_row(line, n)


def json_row(line: str, n: int) -> dict:
    """One JSON line (physical line ``n``) as a JsonRow, or an error entry."""
    from pyrules.inputs.loader import loads

    try:
        obj = loads(line.rstrip("\r"), line=n)
    except InputError as exc:
        return _error(exc)
    if isinstance(obj, dict):
        return JsonRow(obj)
    return _error(
        InputError(f"expected a JSON object (a scenario with an 'id'), got {type(obj).__name__}", line=n, column=1)
    )
