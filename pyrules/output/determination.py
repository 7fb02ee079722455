"""The typed result of evaluating a scenario, read off the answer set."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import clingo

from pyrules.engine import kb
from pyrules.inputs import schema
from pyrules.engine.arithmetic import from_big
from pyrules.inputs.model import Scenario
from pyrules.output.render import ANSWER_WORDS, number_text, render_html, render_text

_TRI = {"yes": True, "no": False, "indeterminate": None}
JSON_FORMAT_VERSION = 1


def _date_str(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


def term_text(sym: clingo.Symbol) -> str:
    """A readable form of a term: strings unquoted, n(...) numbers as integers."""
    if sym.type == clingo.SymbolType.String:
        return sym.string
    if sym.type == clingo.SymbolType.Number:
        return str(sym.number)
    if sym.type == clingo.SymbolType.Function:
        if sym.name == "n" and len(sym.arguments) == 5:
            return number_text(from_big(sym))
        if not sym.arguments:
            return sym.name
        return f"{sym.name}({', '.join(term_text(a) for a in sym.arguments)})"
    return str(sym)


def policy_words(policy: str) -> str:
    """How a review policy reads in a sentence ("applications are reviewed case by case"),
    in the KB's own words (policy_words/2 in kb/licensing_policy.lp)."""
    words = {a[0].name: a[1].string for a in kb.described("policy_words/2")}
    return "applications are " + words.get(policy, "reviewed under " + policy.replace("_", " "))


def _fact_value(v) -> str:
    return {True: "yes", False: "no"}.get(v, str(v)) if isinstance(v, bool) else str(v)


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_PLACEHOLDER = re.compile(r"\{(?:(date|reading):)?([a-z][a-z0-9_]*)\}")


def fill_text(
    text: str,
    params: dict[str, clingo.Symbol],
    dates: dict[str, int] | None = None,
    readings: dict[str, str] | None = None,
) -> str:
    """A text of the KB with its placeholders filled from the answer: {name} by the
    parameter in force (param/2, as render.number_text writes it), {date:id} by the
    key date (key_date/2, YYYY-MM-DD), {reading:topic} by the text of the reading used
    (reading_text/3). kb/ never restates a number a parameter or key date holds, and a
    condition says what the reading in use requires. An unknown name stays as written."""

    def value(m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        if kind == "date":
            d = (dates or {}).get(name)
            return m.group(0) if d is None else _date_str(d)
        if kind == "reading":
            r = (readings or {}).get(name)
            return m.group(0) if r is None else r
        sym = params.get(name)
        if sym is None:
            return m.group(0)
        if sym.type == clingo.SymbolType.Number:
            return number_text(sym.number)
        return number_text(from_big(sym)) if sym.name == "n" else term_text(sym)

    return _PLACEHOLDER.sub(value, text) if "{" in text else text


def citation(pid: str) -> str:
    p = kb.provisions().get(pid)
    return p["citation"] if p else pid


def _title(pid: str) -> str:
    """A provision's title (kb/provisions.lp), its id in words when it has none."""
    p = kb.provisions().get(pid)
    return p["title"] if p else pid.replace("_", " ")


def deadline_text(sym: clingo.Symbol) -> str | None:
    if sym.type == clingo.SymbolType.Function:
        a = sym.arguments
        if sym.name == "none":
            return None
        if sym.name == "days":
            return f"within {a[0].number} days of {term_text(a[1]).replace('_', ' ')}"
        if sym.name == "months":
            return f"at least every {a[0].number} months"
        if sym.name == "years":
            return f"for {a[0].number} years"
        if sym.name == "date":
            return f"by {_date_str(a[0].number)}"
        if sym.name == "before":
            return f"before {term_text(a[0]).replace('_', ' ')}"
    return term_text(sym)


def _coverage_line() -> str:
    from pyrules.output.coverage import coverage_line

    return coverage_line()


class _Sym:
    """A clingo symbol read once into Python: the same attributes (type, name, number,
    string, arguments, its text) without a call into clingo each time they are read.
    Ordered as clingo orders the symbols; equal exactly when the symbols are (one mirror
    per distinct symbol)."""

    __slots__ = ("sym", "type", "name", "number", "string", "arguments", "text")

    def __init__(self, sym: clingo.Symbol):
        self.sym = sym
        self.type = t = sym.type
        self.name: str | None = None  # a function's name, a string's text
        self.string: str | None = None
        self.number = 0
        self.arguments: tuple = ()
        if t == clingo.SymbolType.Function:
            self.name = sym.name
            self.arguments = tuple(_mirror(a) for a in sym.arguments)
        elif t == clingo.SymbolType.Number:
            self.number = sym.number
        elif t == clingo.SymbolType.String:
            self.string = sym.string
        self.text: str | None = None

    def __str__(self) -> str:
        if self.text is None:
            self.text = str(self.sym)
        return self.text

    __repr__ = __str__

    def __lt__(self, other: _Sym) -> bool:
        return self.sym < other.sym

    def __gt__(self, other: _Sym) -> bool:
        return self.sym > other.sym


_MIRRORS: dict = {}
_MIRRORS_MAX = 200_000  # distinct symbols kept; then the cache starts afresh


def _mirror(sym: clingo.Symbol) -> _Sym:
    m = _MIRRORS.get(sym)
    if m is None:
        m = _MIRRORS[sym] = _Sym(sym)
    return m


def _missing(sym: clingo.Symbol) -> dict:
    """A missing fact: the KB's id, the scenario field that answers it, the question in words."""
    path, question = schema.missing_fact_field(sym)
    return {"id": term_text(sym), "field": path, "question": question}


@dataclass(repr=False)
class Determination:
    """The answer for one scenario, read off the knowledge base's answer set.

    ``license_required`` and ``authorized`` are True, False or None (undecided:
    a fact is missing, see ``missing_facts`` and ``missing_fact_fields``).
    ``authorizations`` lists each authorization weighed, with its failed
    (not met) and undecided conditions; every conclusion carries its citation.
    Render with :meth:`summary` (one sentence), :meth:`to_text`, :meth:`to_json`;
    in Jupyter it shows as an HTML table.
    """

    scenario: str
    as_of: str | None
    license_required: bool | None
    authorized: bool | None
    controls: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    shipment_tpp: int | None = None
    licensing_policy: str | None = None
    policy_citation: str | None = None
    policy_candidates: list[dict] = field(default_factory=list)
    policy_depends_on: list[dict] = field(default_factory=list)  # the facts a conditional policy turns on
    authorizations: list[dict] = field(default_factory=list)
    obligations: list[dict] = field(default_factory=list)
    overlaps: list[dict] = field(default_factory=list)
    missing_facts: list[str] = field(default_factory=list)
    missing_fact_fields: list[dict] = field(default_factory=list)
    rule_status: dict = field(default_factory=dict)
    notes: list[dict] = field(default_factory=list)
    readings: dict = field(default_factory=dict)
    readings_that_matter: list[str] = field(default_factory=list)
    red_flags: list[dict] = field(default_factory=list)
    foreign_direct_product: list[dict] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)
    view: str = field(default_factory=kb.default_view)
    atoms: list[clingo.Symbol] = field(default_factory=list, repr=False)
    source: Scenario | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_atoms(cls, scenario: Scenario, atoms: list[clingo.Symbol], as_of: str | None) -> Determination:
        """Read a determination off the answer set ``atoms`` of ``scenario``."""
        # Each atom is read through the clingo API once (Python mirrors, cached per
        # distinct symbol and shared by the answers of a batch), and sorted into its
        # predicate once: no step below scans the whole answer again.
        if len(_MIRRORS) >= _MIRRORS_MAX:  # never within one answer: one mirror per symbol
            _MIRRORS.clear()
        by: dict[str, list[tuple]] = {}
        for a in atoms:
            m = _mirror(a)
            by.setdefault(m.name or "", []).append(m.arguments)  # shown atoms are functions: named
        get = lambda name: by.get(name, [])
        cited: set[str] = set()

        def cite(pid: str) -> str:
            cited.add(pid)
            return citation(pid)

        params = kb.params_in(by)
        dates = {a[0].name: a[1].number for a in get("key_date")}
        chosen = {a[0].name: a[1].name for a in get("reading")}
        phrases = {t.name: x.string for t, r, x in get("reading_text") if chosen.get(t.name) == r.name}
        fill = lambda text: fill_text(text, params, dates, phrases)  # placeholders -> the answer's values
        lr = [a[0].name for a in get("licence_required")]
        au = [a[0].name for a in get("authorized")]
        d = cls(
            scenario=scenario.name,
            as_of=as_of,
            license_required=_TRI[lr[0]] if len(lr) == 1 else None,
            authorized=_TRI[au[0]] if len(au) == 1 else None,
            atoms=atoms,
            source=scenario,
        )
        for item, eccn, prov in sorted(get("control")):
            d.controls.append(
                {"item": item.number, "eccn": eccn.string, "provision": prov.name, "citation": cite(prov.name)}
            )
        classes = {a[0].number: a[1].string for a in get("item_class")}
        outside = {a[0].number: a[1].name for a in get("item_outside_rule")}
        reasons: dict[int, set[str]] = {}
        for line_reason in get("item_outside_rule"):
            reasons.setdefault(line_reason[0].number, set()).add(line_reason[1].name)
        order = list(kb.outside_reason_texts())  # the KB's order of the reasons

        def reason_words(i: int) -> str:
            """Every reason the line is outside the rule, in the KB's words and order."""
            rs = sorted(reasons[i], key=lambda r: (order.index(r) if r in order else len(order), r))
            return "; ".join(fill(kb.outside_reason_texts().get(r, r.replace("_", " "))) for r in rs)

        why: dict[int, list[str]] = {}
        for i, _r, prov in sorted(get("outside_citation")):
            why.setdefault(i.number, []).append(cite(prov.name))
        below: dict[int, list[dict]] = {}
        for i, par, val in sorted(get("below_parameter_value")):
            below.setdefault(i.number, []).append({"parameter": par.name, "threshold": val.number})
        for i, line in enumerate(scenario.data.get("items", []), start=1):
            d.items.append(
                {
                    "item": i,
                    "line": line,
                    "eccn": classes.get(i),
                    "outside_rule": outside.get(i),
                    "outside_reason": reason_words(i) if i in outside else None,
                    "outside_citations": sorted(set(why.get(i, []))),
                    "fails_parameters": below.get(i, []),
                }
            )
        tpp = get("shipment_tpp")
        d.shipment_tpp = from_big(tpp[0][0]) if tpp else None
        pol = get("policy")
        if len({p[0].name for p in pol}) == 1:
            d.licensing_policy = pol[0][0].name
            d.policy_citation = cite(pol[0][1].name)
        for x, p in sorted(get("policy_candidate")):
            d.policy_candidates.append({"policy": x.name, "provision": p.name, "citation": cite(p.name)})
        # a policy that holds only for one value of a missing fact (kb/licensing_policy.lp)
        for x, p, fact, value in sorted(get("conditional_policy")):
            d.policy_candidates.append(
                {
                    "policy": x.name,
                    "provision": p.name,
                    "citation": cite(p.name),
                    "if": {
                        term_text(fact): value.name == "true" if value.name in ("true", "false") else term_text(value)
                    },
                }
            )
            if all(f["id"] != term_text(fact) for f in d.policy_depends_on):
                d.policy_depends_on.append(_missing(fact.sym))
        for p1, p2 in sorted(get("overlap")):
            d.overlaps.append(
                {
                    "provisions": [p1.name, p2.name],
                    "citations": [cite(p1.name), cite(p2.name)],
                    "titles": [_title(p1.name), _title(p2.name)],
                    "resolved_by_reading": d.licensing_policy is not None,
                }
            )
        missing = {term_text(a[0]): a[0] for a in get("missing_fact")}
        d.missing_facts = sorted(missing)
        d.missing_fact_fields = [_missing(missing[k]) for k in d.missing_facts]
        # authorizations
        conds = {(a[0].name, a[1].name): (a[2].name, fill(a[3].string)) for a in get("condition")}
        status = {a[0].name: a[1].name for a in get("authorization_status")}
        brings: dict[str, list[str]] = {}
        for a, o in get("brings"):
            brings.setdefault(a.name, []).append(o.name)
        fails_of: dict[str, list] = {}
        for a, c in sorted(get("fails")):
            fails_of.setdefault(a.name, []).append(c)
        undecided_of: dict[str, list] = {}
        for a, c, f in sorted(get("undecided")):
            undecided_of.setdefault(a.name, []).append((c, f))
        for name, prov in sorted(get("authorization"), key=lambda t: t[0].name):
            n = name.name
            if n not in status:
                continue
            failed = [
                {
                    "condition": c.name,
                    "description": conds.get((n, c.name), ("", c.name))[1],
                    "citation": cite(conds.get((n, c.name), (prov.name, ""))[0]),
                }
                for c in fails_of.get(n, ())
            ]
            undecided = [
                {
                    "condition": c.name,
                    "description": conds.get((n, c.name), ("", c.name))[1],
                    "citation": cite(conds.get((n, c.name), (prov.name, ""))[0]),
                    "missing_fact": term_text(f),
                    **{k: v for k, v in _missing(f).items() if k != "id"},
                }
                for c, f in undecided_of.get(n, ())
            ]
            d.authorizations.append(
                {
                    "name": n.upper(),
                    "available": _TRI[{"available": "yes", "unavailable": "no"}.get(status[n], "indeterminate")],
                    "provision": prov.name,
                    "citation": cite(prov.name),
                    "failed_conditions": failed,
                    "undecided_conditions": undecided,
                    "obligations": sorted(brings.get(n, [])),
                }
            )
        for oid, prov, text, deadline in sorted(get("obligation")):
            d.obligations.append(
                {
                    "id": oid.name if oid.type == clingo.SymbolType.Function and not oid.arguments else term_text(oid),
                    "description": fill(text.string),
                    "provision": prov.name,
                    "citation": cite(prov.name),
                    "deadline": deadline_text(deadline),
                }
            )
        events = sorted(get("rule_status"), key=lambda t: t[0].number)
        d.rule_status = {
            "as_of": as_of,
            "events": [
                {"date": _date_str(e[0].number), "event": e[1].name, "description": e[2].string} for e in events
            ],
            "compliance_required": bool(get("compliance_required")),
            "before_rule": bool(get("before_rule")),
            "phase": next((t.string for _, t in get("rule_phase")), None),
        }
        for nid, text in sorted(get("note")):
            d.notes.append({"id": term_text(nid), "text": fill(text.string)})
        d.readings = {t.name: r.name for t, r in get("reading")}
        d.readings_that_matter = sorted(t[0].name for t in get("reading_matters"))
        for kind, who, prov in sorted(get("red_flag")):
            d.red_flags.append(
                {
                    "flag": term_text(kind),
                    "about": term_text(who),
                    "citation": cite(prov.name),
                    "description": _title(prov.name),
                }
            )
        for item, rule, prov in sorted(get("fdp_applies")):
            d.foreign_direct_product.append(
                {"item": term_text(item), "rule": term_text(rule), "citation": cite(prov.name)}
            )
        views = [a[0].name for a in get("active_view")]
        d.view = views[0] if views else kb.default_view()
        for (p,) in get("view_basis"):  # the as-enforced view rests on BIS statements
            cite(p.name)
        d.citations = sorted({citation(p) for p in cited})
        return d

    # ------------------------------------------------------------------ rendering
    def to_json(self) -> dict[str, Any]:
        """The answer as the JSON object of ``pyrules ask --json`` (see the README)."""
        return {
            "format_version": JSON_FORMAT_VERSION,
            "scenario": self.scenario,
            "as_of": self.as_of,
            "view": self.view,
            "license_required": self.license_required,
            "authorized": self.authorized,
            "controls": self.controls,
            "items": self.items,
            "shipment_tpp": self.shipment_tpp,
            "licensing_policy": self.licensing_policy,
            "policy_citation": self.policy_citation,
            "policy_candidates": self.policy_candidates,
            "policy_depends_on": self.policy_depends_on,
            "authorizations": self.authorizations,
            "obligations": self.obligations,
            "overlaps": self.overlaps,
            "missing_facts": self.missing_facts,
            "missing_fact_fields": self.missing_fact_fields,
            "red_flags": self.red_flags,
            "foreign_direct_product": self.foreign_direct_product,
            "readings": self.readings,
            "readings_that_matter": self.readings_that_matter,
            "notes": self.notes,
            "rule_status": self.rule_status,
            "citations": self.citations,
            "summary": self.summary(),
            "coverage": _coverage_line(),
        }

    def __repr__(self) -> str:
        return (
            f"<Determination {self.scenario!r}: licence required {ANSWER_WORDS[self.license_required]}, "
            f"authorized {ANSWER_WORDS[self.authorized]}"
            + (f", {len(self.missing_facts)} missing fact(s)" if self.missing_facts else "")
            + ">"
        )

    def summary(self) -> str:
        """The answer in one sentence, e.g. "A licence is required; no licence exception is
        available; applications are reviewed under a presumption of denial."
        """
        parts: list[str] = []
        if self.license_required is True:
            parts.append("A licence is required")
        elif self.license_required is False:
            parts.append("No licence is required")
        else:
            n = len(self.missing_facts)
            parts.append(
                "Whether a licence is required is undecided"
                + (f" until {n} missing fact{'s' if n != 1 else ''} {'are' if n != 1 else 'is'} given" if n else "")
            )
        if self.license_required is not False and self.authorizations:
            avail = [a["name"] for a in self.authorizations if a["available"] is True]
            open_ = [a["name"] for a in self.authorizations if a["available"] is None]
            if avail and parts[0].startswith("A licence"):
                parts[0] += f", but {_join(avail)} {'is' if len(avail) == 1 else 'are'} available"
            elif avail:
                parts.append(f"{_join(avail)} {'is' if len(avail) == 1 else 'are'} available")
            elif open_:
                parts.append(f"no licence exception is known to be available ({_join(open_)} undecided)")
            else:
                parts.append("no licence exception is available")
        if self.license_required is not False:
            if self.licensing_policy:
                parts.append(policy_words(self.licensing_policy))
            elif self.policy_depends_on:
                # conditional_policy/4: the policy turns on a fact not given; name its
                # question and the field that answers it, and the policy under each answer
                facts = _join([f"“{f['question']}” ({f['field'] or f['id']})" for f in self.policy_depends_on])
                cases = sorted(
                    (c for c in self.policy_candidates if c.get("if")),
                    key=lambda c: [v is not True for v in c["if"].values()],
                )
                parts.append(
                    f"the licensing policy depends on {facts}: "
                    + ", ".join(
                        "if "
                        + " and ".join(_fact_value(v) for v in c["if"].values())
                        + ", "
                        + policy_words(c["policy"])
                        for c in cases
                    )
                )
            elif self.license_required is True and self.authorized is not True:
                parts.append(
                    "no licensing policy could be determined"
                    + (" (the provisions overlap without precedence)" if self.overlaps else "")
                )
        if self.readings_that_matter:
            # the reading's plain title (reading_title/2), never its name
            parts.append(
                "the outcome depends on how the rule is read: "
                + _join([kb.reading_title(r) for r in self.readings_that_matter])
            )
        return "; ".join(parts) + "."

    def to_json_text(self) -> str:
        """:meth:`to_json`, indented."""
        return json.dumps(self.to_json(), indent=2, sort_keys=False)

    def to_text(self) -> str:
        """The answer in readable text: the sentence first, then each conclusion with its
        citation, the missing facts as questions naming their fields, and a legend."""
        return render_text(self)

    def _repr_html_(self) -> str:
        return render_html(self)
