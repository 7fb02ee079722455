"""What the HTTP API (app.py) and the pages (pages.py) share: the error a request is
answered with, the bundled corpus and regimes, the answer as JSON and the ledger of an
upload."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pyrules.engine import kb
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario
from pyrules.output.records import answer_json


class RequestError(Exception):
    """A 4xx answer whose JSON names the field path."""

    def __init__(self, status: int, message: str, field: str | None = None, line: int | None = None,
                 column: int | None = None):
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


def run_uploaded_ledger(body: bytes, jsonl: bool, screen: bool = False):
    """Run the ledger on uploaded bytes (written to a private temporary file: the
    ledger reads a path)."""
    from pyrules.modes.ledger import run_ledger
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(400, f"the ledger is not UTF-8 text (byte {exc.start})") from None
    if not body.strip():
        raise RequestError(400, "the ledger is empty")
    with tempfile.TemporaryDirectory(prefix="pyrules-ledger-") as tmp:
        path = Path(tmp) / ("upload.jsonl" if jsonl else "upload.csv")
        path.write_bytes(body)
        try:
            result = run_ledger(path, workers=1, screen=screen)
        except InputError as exc:
            exc.file = None
            raise from_input_error(exc) from None
        for r in result.rows:
            if r.get("error"):
                r["error"] = r["error"].replace(str(path), "upload")
        return result
