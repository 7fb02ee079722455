"""Read scenario files: JSON (one scenario or a list) and scenario-language files (.scn)."""
from __future__ import annotations

import json
from pathlib import Path

from .errors import InputError
from .model import Scenario

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


def read_raw(path: Path) -> list[dict]:
    """The JSON-form scenarios in a file, not yet validated."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc.__class__.__name__})", file=str(path)) from None
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", file=str(path), line=exc.lineno, column=exc.colno) from None
        return data if isinstance(data, list) else [data]
    if path.suffix == ".scn":
        from .language import parse_text
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
