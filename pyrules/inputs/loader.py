"""Read scenario files: JSON (one scenario or a list) and scenario-language files (.scn)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from pyrules.inputs import limits
from pyrules.errors import InputError
from pyrules.inputs.model import Scenario

SCENARIO_SUFFIXES = (".json", ".scn")


def expand_paths(paths) -> list[Path]:
    """Files as given; a directory stands for its .json and .scn files, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix in SCENARIO_SUFFIXES and q.is_file())
            if not found:
                raise InputError("the directory holds no .json or .scn scenario file", file=str(p))
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or directory", file=str(p))
    return out


def read_text(path: Path, what: str = "file", encoding: str = "utf-8") -> str:
    """The text of an input file, refused (before it is read) when larger than
    ``limits.MAX_FILE_BYTES``."""
    try:
        size = path.stat().st_size
        if size > limits.MAX_FILE_BYTES:
            raise InputError(
                f"the {what} has {size:,} bytes; the largest accepted has {limits.MAX_FILE_BYTES:,}", file=str(path)
            )
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the {what}: not UTF-8 text (byte {exc.start})", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.__class__.__name__})", file=str(path)) from None


def _json_int(text: str):
    # An integer is read exactly; one too long to be a number pyrules accepts stays a
    # Decimal, which every number field refuses as too large (int() of thousands of
    # digits is refused by Python itself, and slow).
    return int(text) if len(text) <= limits.MAX_NUMBER_CHARS else Decimal(text)


def _json_float(text: str):
    # A JSON number with a fraction or an exponent, read exactly (never through a binary
    # float: 1e26 is 10^26, as the string "1e26" is). A whole number becomes an int, a
    # fraction a float (only die areas take fractions), a huge one stays a Decimal.
    d = Decimal(text)
    if d.is_finite() and d.adjusted() <= limits.MAX_NUMBER_CHARS:
        return int(d) if d == d.to_integral_value() else float(d)
    return d


def loads(text: str, *, file: str | None = None, line: int | None = None):
    """Parse JSON text exactly (see _json_float) and no deeper than
    ``limits.MAX_JSON_DEPTH``; any fault is an InputError naming the line and column."""
    deep = InputError(f"the JSON is nested more than {limits.MAX_JSON_DEPTH} levels deep", file=file, line=line)
    try:
        data = json.loads(text, parse_int=_json_int, parse_float=_json_float)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", file=file, line=exc.lineno if line is None else line, column=exc.colno
        ) from None
    except RecursionError:
        raise deep from None
    if _too_deep(text, data):
        raise deep
    return data


def _too_deep(text: str, data) -> bool:
    if text.count("[") + text.count("{") <= limits.MAX_JSON_DEPTH:
        return False  # too few brackets to nest that deep
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limits.MAX_JSON_DEPTH:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


def read_raw(path: Path) -> list[dict]:
    """The JSON-form scenarios in a file, not yet validated."""
    text = read_text(path)
    if path.suffix == ".json":
        data = loads(text, file=str(path))
        return data if isinstance(data, list) else [data]
    if path.suffix == ".scn":
        from pyrules.inputs.language import parse_text

        lines = text.count("\n") + (not text.endswith("\n"))
        if lines > limits.MAX_SCN_LINES:
            raise InputError(
                f"the file has {lines:,} lines; a scenario-language file has at most {limits.MAX_SCN_LINES:,}",
                file=str(path),
            )
        return parse_text(text, filename=str(path))
    raise InputError("expected a .json or .scn file", file=str(path))


def load_scenarios(paths) -> list[tuple[Path, Scenario]]:
    out = []
    for path in expand_paths(paths):
        raws = read_raw(path)
        for i, raw in enumerate(raws):
            try:
                out.append((path, Scenario.from_dict(raw)))
            except InputError as exc:
                exc.file = str(path)
                if len(raws) > 1:
                    # name the scenario within a file that holds a list of them
                    exc.field = f"[{i}].{exc.field}" if exc.field else f"[{i}]"
                raise
    return out
