"""What the HTTP API (app.py) and the pages (pages.py) share: the error a request is
answered with, the bundled corpus and regimes, the answer as JSON and the ledger of an
upload."""

from __future__ import annotations

import codecs
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from pyrules.engine import kb
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario
from pyrules.output.records import answer_json


class RequestError(Exception):
    """A 4xx answer whose JSON names the field path."""

    def __init__(
        self, status: int, message: str, field: str | None = None, line: int | None = None, column: int | None = None
    ):
        self.status, self.message, self.field, self.line, self.column = status, message, field, line, column

    def body(self) -> dict:
        err: dict[str, Any] = {"message": self.message, "field": self.field}
        if self.line is not None:
            err["line"], err["column"] = self.line, self.column
        return {"error": err}


def from_input_error(exc: InputError, prefix: str = "") -> RequestError:
    field = exc.field
    if prefix:
        field = prefix + (("." + field) if field and not field.startswith("[") else (field or ""))
    return RequestError(422, exc.message, field, exc.line, exc.column)


def bundled_dir(name: str) -> Path | None:
    d = kb.kb_dir().parent / name
    return d if d.is_dir() else None


def bundled_corpus() -> list[tuple[str, Scenario]]:
    from pyrules.inputs.loader import load_scenarios

    d = bundled_dir("queries")
    if d is None:
        return []
    return [(p.name, s) for p, s in load_scenarios([d])]


def bundled_regimes() -> dict[str, Path]:
    d = bundled_dir("regimes")
    return {p.stem: p for p in sorted(d.glob("*.json"))} if d else {}


def enrich(d, raw: Any = None) -> dict:
    """The API answer: ``pyrules ask --json`` plus summary, record and the input
    field behind each missing fact (pyrules.records.answer_json)."""
    return answer_json(d, raw)


class UploadedLedger:
    """A ledger upload being streamed: ``rows`` (the result rows as they are decided,
    error messages naming ``upload`` rather than the temporary file), ``stream`` (the
    LedgerStream, whose summary is filled in when ``rows`` is exhausted) and
    ``close()`` (deletes the temporary file; also done when ``rows`` ends)."""

    def __init__(self, tmp: Path, path: Path, stream, rows: Iterator[dict]):
        self._tmp, self._path, self.stream, self._rows = tmp, path, stream, rows

    @property
    def rows(self) -> Iterator[dict]:
        try:
            for r in self._rows:
                if r.get("error"):
                    r = dict(r, error=r["error"].replace(str(self._path), "upload"))
                yield r
        finally:
            self.close()

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


async def save_upload(chunks: AsyncIterator[bytes], jsonl: bool) -> tuple[Path, Path]:
    """Write an uploaded ledger, as it arrives, to a private temporary directory (the
    ledger reads a path): (the directory, the file). Not UTF-8 or empty: a 400, and
    nothing is left behind."""
    tmp = Path(tempfile.mkdtemp(prefix="pyrules-ledger-"))
    path = tmp / ("upload.jsonl" if jsonl else "upload.csv")
    decoder = codecs.getincrementaldecoder("utf-8")()
    seen, text = 0, False
    try:
        with open(path, "wb") as f:
            async for chunk in chunks:
                try:
                    text = bool(decoder.decode(chunk).strip()) or text
                except UnicodeDecodeError as exc:
                    raise RequestError(400, f"the ledger is not UTF-8 text (byte {seen + exc.start})") from None
                seen += len(chunk)
                f.write(chunk)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                raise RequestError(400, f"the ledger is not UTF-8 text (byte {seen + exc.start})") from None
        if not text:
            raise RequestError(400, "the ledger is empty")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp, path


def stream_uploaded_ledger(tmp: Path, path: Path, screen: bool = False) -> UploadedLedger:
    """Start the ledger on a saved upload (see save_upload) and decide its first row, so
    that the ledger's own faults (its header, its size) are raised here, as a 422 naming
    the line, before any row is sent; the temporary directory is deleted then."""
    from pyrules.modes.ledger import stream_ledger

    try:
        stream = stream_ledger(path, workers=1, screen=screen)
        rows = iter(stream)
        first = next(rows, None)
    except InputError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        exc.file = None
        raise from_input_error(exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return UploadedLedger(tmp, path, stream, itertools.chain([first] if first is not None else [], rows))
