"""Determination records: the answer with what it was computed from, for a file kept
under 15 CFR 762, and the small renderings the web application and the MCP server
share (one-sentence answer, links to the eCFR).

Every answer the HTTP API or the MCP server gives carries ``record``:
``input`` (the scenario as read), ``pyrules_version``, ``kb_sha256`` (of the
knowledge base text evaluated), ``rule_text_date`` (from ``kb/coverage.lp``),
``evaluated_at`` (UTC) and ``coverage`` (one line: what is not decided).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import re
from typing import Any
from urllib.parse import quote

from pyrules.engine import kb
from pyrules.output.determination import policy_words
from pyrules.output.coverage import coverage, coverage_line


@functools.cache
def kb_sha256() -> str:
    return hashlib.sha256(kb.kb_text().encode("utf-8")).hexdigest()


def pyrules_version() -> str:
    from importlib.metadata import version

    return version("pyrules")


def record(scenario_input: Any) -> dict:
    """The record block of an answer."""
    return {
        "input": scenario_input,
        "pyrules_version": pyrules_version(),
        "kb_sha256": kb_sha256(),
        "rule_text_date": coverage()["rule_text"]["date"],
        "evaluated_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "coverage": coverage_line(),
    }


def answer_json(d, scenario_input: Any | None = None) -> dict:
    """``pyrules ask --json`` output of a Determination, with ``summary`` (one sentence),
    ``missing_fact_fields`` (the input that answers each missing fact, and the question
    in words) and ``record``."""
    out = d.to_json()  # with missing_fact_fields (pyrules/inputs/schema.py)
    out["summary"] = one_sentence(d)
    out["record"] = record(
        scenario_input if scenario_input is not None else (d.source.to_dict() if d.source is not None else None)
    )
    return out


# ----------------------------------------------------------------------------- words


def _names(xs: list[str]) -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


def one_sentence(d) -> str:
    """The answer first, in one sentence, read off the determination's fields
    (a rendering: every value comes from the knowledge base's answer). The
    Determination's own ``summary()`` when it has one."""
    own = getattr(d, "summary", None)
    if callable(own):
        return own()
    auth = d.authorizations if isinstance(d.authorizations, list) else []
    avail = [a["name"] for a in auth if a.get("available") is True]
    undecided = [a["name"] for a in auth if a.get("available") is None]
    if d.license_required is False:
        return "No licence is required under this rule."
    if d.license_required is None:
        n = len(d.missing_facts)
        return "Whether a licence is required is undecided: " + (
            f"{n} fact{'s' if n != 1 else ''} must be given first." if n else "the rule does not settle it."
        )
    parts = ["A licence is required"]
    if avail:
        parts.append(f"{_names(avail)} {'is' if len(avail) == 1 else 'are'} available instead")
    elif undecided:
        parts.append(f"no licence exception is available yet ({_names(undecided)} undecided: facts are missing)")
    else:
        parts.append("no licence exception is available")
    if not avail:
        if d.licensing_policy:
            parts.append(policy_words(d.licensing_policy))
        elif d.policy_candidates:
            parts.append("the licensing policy is undecided")
    return "; ".join(parts) + "."


# ----------------------------------------------------------------------------- eCFR links
_ECFR = "https://www.ecfr.gov/current/title-15"


def ecfr_url(citation: str) -> str | None:
    """The eCFR page of a citation such as '15 CFR 742.6(b)(10)' or
    '15 CFR part 740, Supp. No. 5, para (a)'; a Federal Register citation
    ('90 FR 4544') links to the Federal Register. None when not recognised."""
    c = citation.strip()
    m = re.match(r"(?:15 CFR )?part (\d+), Supps?\. No\. (\d+)", c)
    if m:
        part, supp = m.groups()
        return f"{_ECFR}/part-{part}/appendix-" + quote(f"Supplement No. {supp} to Part {part}")
    m = re.match(r"15 CFR (\d+)\.(\d+)((?:\([a-z0-9]+\))*)", c)
    if m:
        part, sec, paras = m.groups()
        url = f"{_ECFR}/section-{part}.{sec}"
        if paras:
            url += "#p-" + quote(f"{part}.{sec}{paras}", safe="().")
        return url
    m = re.match(r"15 CFR parts? (\d+)", c)
    if m:
        return f"{_ECFR}/part-{m.group(1)}"
    m = re.match(r"(\d+) FR (\d+)", c)
    if m:
        return f"https://www.federalregister.gov/citation/{m.group(1)}-FR-{m.group(2)}"
    return None


def citation_links(citation: str) -> list[tuple[str, str | None]]:
    """A citation split at ';' into (text, url) pieces; a piece such as '740.28(b)'
    after '15 CFR 740.27 and' keeps the title."""
    out = []
    for piece in (p.strip() for p in citation.split(";")):
        if not piece:
            continue
        out.append((piece, ecfr_url(piece)))
    return out
