"""What pyrules models, what it only flags, and the date of the rule text.

The statement lives in the knowledge base (``kb/coverage.lp``, with the provision
registry of every kb/*.lp file); this module reads them from the KB's self-description and renders
the facts. It decides nothing.

    >>> from pyrules.coverage import coverage
    >>> coverage()["rule_text"]["date"]
"""

from __future__ import annotations

import functools
from typing import Any

import clingo

from pyrules.engine import kb


def _date(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


@functools.cache
def _atoms() -> tuple[clingo.Symbol, ...]:
    # The whole KB's self-description (one grounding per process, shared with kb.py),
    # so a provision registered outside kb/provisions.lp is counted as modelled too.
    return tuple(
        clingo.Function(sig.split("/")[0], list(args))
        for sig in ("coverage_rule_text/2", "coverage_modelled/1", "coverage_flagged/4")
        for args in kb.described(sig)
    )


def coverage() -> dict[str, Any]:
    """The coverage statement as JSON: rule_text {date, source}, modelled provisions
    (id, citation, title) and flagged questions (id, citation, text)."""
    provs = kb.provisions()
    text = [a for a in _atoms() if a.name == "coverage_rule_text"]
    modelled = sorted(
        (a.arguments[0].name for a in _atoms() if a.name == "coverage_modelled"),
        key=lambda p: (provs[p]["citation"], p),
    )
    flagged = sorted(
        (a.arguments[0].name, a.arguments[1].string, a.arguments[2].string, a.arguments[3].string)
        for a in _atoms()
        if a.name == "coverage_flagged"
    )
    rule_text = (
        {"date": _date(text[0].arguments[0].number), "source": text[0].arguments[1].string}
        if text
        else {"date": None, "source": None}
    )
    return {
        "format_version": 1,
        "rule_text": rule_text,
        "modelled": [{"id": p, "citation": provs[p]["citation"], "title": provs[p]["title"]} for p in modelled],
        "flagged": [{"id": i, "label": lab, "citation": c, "text": t} for i, lab, c, t in flagged],
    }


def coverage_line() -> str:
    """One line for every answer: where silence means nothing."""
    c = coverage()
    return (
        f"Coverage: {len(c['modelled'])} provisions modelled, rule text as of {c['rule_text']['date']}; "
        "not decided: " + "; ".join(f["label"] for f in c["flagged"]) + " (see 'pyrules coverage')"
    )


def coverage_text() -> str:
    c = coverage()
    out = [
        f"Rule text: {c['rule_text']['source']}",
        "",
        f"Modelled ({len(c['modelled'])} provisions; each conclusion cites one):",
    ]
    out += [f"  {m['citation']}: {m['title']}" for m in c["modelled"]]
    out += ["", "Only flagged, never decided (silence in an answer means nothing here):"]
    out += [f"  - {f['text']}  [{f['citation']}]" for f in c["flagged"]]
    return "\n".join(out)
