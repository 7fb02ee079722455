"""Where the knowledge base lives, and the reference data Python needs to check input.

The ``kb/`` directory ships inside the wheel as ``pyrules/kb``; in a checkout it
is the top-level ``kb/``. Python reads the country list and the chip catalogue
from it only to validate input (is this an ISO code? a known chip?).
"""
from __future__ import annotations

import functools
from pathlib import Path

import clingo


def kb_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "kb", here.parent / "kb"):
        if (candidate / "provisions.lp").is_file():
            return candidate
    raise FileNotFoundError("the knowledge base (kb/*.lp) was not found next to the pyrules package")


def kb_files() -> list[Path]:
    return sorted(kb_dir().glob("*.lp"))


@functools.lru_cache(maxsize=None)
def kb_text() -> str:
    return "\n".join(f"%%% file: {p.name}\n" + p.read_text(encoding="utf-8") for p in kb_files())


@functools.lru_cache(maxsize=None)
def _facts_of(filename: str, name: str, arity: int) -> tuple[tuple[clingo.Symbol, ...], ...]:
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb_dir() / filename).read_text(encoding="utf-8"))
    ctl.ground([("base", [])])
    return tuple(tuple(a.symbol.arguments) for a in ctl.symbolic_atoms.by_signature(name, arity))


@functools.lru_cache(maxsize=None)
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> name, as listed in kb/countries.lp."""
    return {a[0].string: a[1].string for a in _facts_of("countries.lp", "country", 2)}


@functools.lru_cache(maxsize=None)
def chips() -> dict[str, int]:
    """Catalogue chip name -> TPP, as listed in kb/items.lp."""
    return {a[0].string: a[1].number for a in _facts_of("items.lp", "chip", 5)}


@functools.lru_cache(maxsize=None)
def eccns() -> set[str]:
    # items.lp declares most; licence_requirements.lp those only 742.6(a)(6) names.
    return {a[0].string for f in ("items.lp", "licence_requirements.lp") for a in _facts_of(f, "eccn", 3)}


@functools.lru_cache(maxsize=None)
def provisions() -> dict[str, dict]:
    out = {}
    for a in _facts_of("provisions.lp", "provision", 5):
        out[a[0].name] = {"id": a[0].name, "citation": a[1].string, "title": a[2].string,
                          "from": a[3].number, "to": a[4].number}
    return out
