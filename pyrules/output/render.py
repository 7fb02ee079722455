"""Readable renderings of a Determination: plain text for the terminal, HTML for Jupyter."""

from __future__ import annotations

import html

from pyrules.engine import kb

# One vocabulary for the three states, used by every rendering (text, HTML, web).
CONDITION_STATES = {True: "met", False: "not met", None: "undecided"}
AUTHORIZATION_STATES = {True: "available", False: "not available", None: "undecided"}
ANSWER_WORDS = {True: "yes", False: "no", None: "undecided"}

LEGEND = (
    "Legend: x = condition not met, ? = condition undecided (a fact is missing: the field "
    "that answers it follows); an authorization is available, not available or undecided."
)


def number_text(n: int) -> str:
    """A whole number as a reader takes it in: a multiple of a large power of ten
    (10^12 and more, at least nine zeros) as "10^26" or "15 x 10^25", any other with
    thousands separators ("26,900,000")."""
    if abs(n) >= 10**12 and n % 10**9 == 0:
        digits = str(abs(n))
        mantissa = digits.rstrip("0")
        exponent = len(digits) - len(mantissa)
        sign = "-" if n < 0 else ""
        return f"{sign}10^{exponent}" if mantissa == "1" else f"{sign}{int(mantissa):,} x 10^{exponent}"
    return f"{n:,}"


def _tpp(n: int | None) -> str:
    return "unknown" if n is None else f"{n:,}"


def render_text(d) -> str:
    out: list[str] = []
    w = out.append
    w(f"== {d.scenario}")
    w(f"   as of {d.as_of or '(no date given)'}")
    w(d.summary())
    if d.view != kb.default_view():
        w(f"   view: {d.view.replace('_', ' ')} ({kb.views().get(d.view, '')})")
    w(f"Licence required: {ANSWER_WORDS[d.license_required]}")
    for line in item_lines(d):
        w(f"  - {line}")
    for it in d.items:
        if it["outside_rule"]:
            fails = ", ".join(f"{p['parameter']} {p['threshold']}" for p in it.get("fails_parameters", []))
            if fails:
                w(f"    below the parameters: {fails}")
    if d.shipment_tpp:
        w(f"Shipment TPP: {_tpp(d.shipment_tpp)}")
    if d.license_required:
        pol = d.licensing_policy.replace("_", " ") if d.licensing_policy else "none determined"
        w(f"Licensing policy: {pol}" + (f"  [{d.policy_citation}]" if d.policy_citation else ""))
        if not d.licensing_policy and d.policy_candidates:
            for f in getattr(d, "policy_depends_on", []):
                w(f"  depends on: {f['question']}  -> {f['field'] or f['id']}")
            for c in d.policy_candidates:
                cond = ", ".join(f"if {_answer(v)}" for v in c.get("if", {}).values())
                w(f"  - candidate: {c['policy'].replace('_', ' ')}{' ' + cond if cond else ''}  [{c['citation']}]")
    for o in d.overlaps:
        w(
            f"OVERLAP: {overlap_words(o)}"
            + ("" if o["resolved_by_reading"] else " -- unresolved: the rule states no precedence")
        )
    w(f"Authorized: {ANSWER_WORDS[d.authorized]}")
    for a in d.authorizations:
        mark = AUTHORIZATION_STATES[a["available"]]
        w(f"  {a['name']:5} {mark}  [{a['citation']}]")
        for f in a["failed_conditions"]:
            w(f"        x {f['condition']}: {f['description']}  [{f['citation']}]")
        for f in a["undecided_conditions"]:
            w(f"        ? {f['condition']}: {f['description']} (missing: {_field(f)})  [{f['citation']}]")
    if d.obligations:
        w("Obligations:")
        for o in d.obligations:
            dl = f" -- {o['deadline']}" if o["deadline"] else ""
            w(f"  - {o['description']}{dl}  [{o['citation']}]")
    for r in d.red_flags:
        w(f"RED FLAG {r['flag']}: {r['about']}  [{r['citation']}]")
    for f in d.foreign_direct_product:
        w(f"Foreign direct product rule: {f['rule']} (item {f['item']})  [{f['citation']}]")
    if d.missing_fact_fields:
        w(missing_facts_heading(d) + ":")
        for m in d.missing_fact_fields:
            w(f"  - {m['question']}  -> {m['field'] or '(no input field: ' + m['id'] + ')'}")
    if d.readings_that_matter:
        w("The outcome depends on how the rule is read (see 'pyrules readings FILE'):")
        for t in d.readings_that_matter:
            w(f"  - {reading_line(d, t)}")
    chosen = _chosen_readings(d)
    if chosen:
        w("Readings chosen: " + "; ".join(f"{kb.reading_title(t)}: {r.replace('_', ' ')}" for t, r in chosen.items()))
    for n in d.notes:
        w(f"Note: {n['text']}")
    ev = d.rule_status.get("events", [])
    if ev or d.rule_status.get("phase"):
        w(
            "Rule status: "
            + "; ".join(
                ([d.rule_status["phase"]] if d.rule_status.get("phase") else [])
                + ([f"latest event {ev[-1]['date']}: {ev[-1]['description']}"] if ev else [])
            )
        )
    if any(a["failed_conditions"] or a["undecided_conditions"] for a in d.authorizations):
        w(LEGEND)
    from pyrules.output.coverage import coverage_line

    w(coverage_line())  # what is modelled, what only flagged (kb/coverage.lp)
    return "\n".join(out)


def _outside_words(it: dict) -> str:
    """Why an item line is outside the rule, in the KB's words (outside_reason_text/2)."""
    return it.get("outside_reason") or it["outside_rule"].replace("_", " ")


def item_lines(d) -> list[str]:
    """One line per item: its classification with the provision that controls it and,
    when the rule's requirement does not reach it, why, in words; an item both
    controlled (e.g. by the earlier controls) and outside the rule's worldwide
    requirement is said in one line, not two that seem to contradict each other."""
    outside = {it["item"]: it for it in d.items if it["outside_rule"]}
    last = {c["item"]: k for k, c in enumerate(d.controls)}
    lines = []
    for k, c in enumerate(d.controls):
        line = f"item {c['item']}: {c['eccn']}  [{c['citation']}]"
        it = outside.get(c["item"])
        if it and last[c["item"]] == k:
            line += f"; {_outside_words(it)}"
        lines.append(line)
    for i, it in sorted(outside.items()):
        if i not in last:
            why = "; ".join(it.get("outside_citations", []))
            lines.append(f"item {i}: outside this rule: {_outside_words(it)}" + (f"  [{why}]" if why else ""))
    return lines


def overlap_words(o: dict) -> str:
    """Two provisions that both apply, by their titles (kb/provisions.lp), each distinct
    citation once."""
    cites = list(dict.fromkeys(o["citations"]))
    return " and ".join(f'"{x}"' for x in o["titles"]) + f" both apply  [{'; '.join(cites)}]"


def reading_line(d, topic: str) -> str:
    """A reading that matters, in words: its plain title (reading_title/2 in kb/), the
    reading used and the others, each with the option that chooses it."""
    used = d.readings.get(topic) or kb.reading_defaults().get(topic, "")
    others = [r for r in kb.readings().get(topic, ()) if r != used]
    default = " (the default)" if used == kb.reading_defaults().get(topic) else ""
    return (
        f"{kb.reading_title(topic)}: read here as {used.replace('_', ' ')}{default}; "
        + "otherwise "
        + " or ".join(f"{r.replace('_', ' ')} (--reading {topic}={r})" for r in others)
    )


def _chosen_readings(d) -> dict[str, str]:
    """The readings the scenario chose other than the defaults."""
    defaults = kb.reading_defaults()
    return {t: r for t, r in sorted(d.readings.items()) if defaults.get(t) != r}


def answer_decided(d) -> bool:
    """Whether the answer stands whatever the missing facts are: the licence question and
    the authorization decided, and the licensing policy too when a licence is required."""
    return (
        d.license_required is not None
        and d.authorized is not None
        and (d.license_required is False or d.licensing_policy is not None)
    )


def missing_facts_heading(d) -> str:
    """What the missing facts decide. The KB names a fact only when its values lead to
    different answers (kb/authorizations.lp: an authorization not failed that turns on
    it); when the answer is decided they can only decide the other authorizations."""
    if answer_decided(d):
        return "Facts not given that would decide the other authorizations (the answer above stands either way)"
    return "Missing facts (fill in the field to decide)"


def _answer(v) -> str:
    return ANSWER_WORDS.get(v, str(v)) if isinstance(v, bool) else str(v)


def _field(c: dict) -> str:
    """An undecided condition's missing fact: the field to fill in, else the KB's id."""
    return c.get("field") or c["missing_fact"]


def _html_section(title: str, rows: list[str], opening: str = "<ul>", closing: str = "</ul>") -> list[str]:
    """A heading and its rows (list items, or table rows after ``opening``); nothing
    when there are no rows."""
    return [f"<h4>{title}</h4>{opening}", *rows, closing] if rows else []


def render_html(d) -> str:
    e = html.escape
    rows = [
        ("Answer", e(d.summary())),
        ("Scenario", e(d.scenario)),
        ("As of", e(str(d.as_of))),
        ("Licence required", ANSWER_WORDS[d.license_required]),
        (
            "Licensing policy",
            e((d.licensing_policy or "none determined").replace("_", " "))
            + (f" <small>[{e(d.policy_citation)}]</small>" if d.policy_citation else ""),
        ),
        ("Authorized", ANSWER_WORDS[d.authorized]),
        ("Shipment TPP", _tpp(d.shipment_tpp)),
    ]
    parts = (
        ["<table><tbody>"]
        + [f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>" for k, v in rows]
        + ["</tbody></table>"]
    )
    parts += _html_section(
        "Controls",
        [f"<tr><td>{c['item']}</td><td>{e(c['eccn'])}</td><td>{e(c['citation'])}</td></tr>" for c in d.controls],
        "<table><tr><th>item</th><th>ECCN</th><th>citation</th></tr>",
        "</table>",
    )
    if d.authorizations:
        parts.append(
            "<h4>Authorizations</h4><table><tr><th>name</th><th>state</th><th>conditions not met / undecided</th><th>citation</th></tr>"
        )
        for a in d.authorizations:
            why = "<br>".join(
                [
                    e(f"not met: {f['description']}") + f" <small>[{e(f['citation'])}]</small>"
                    for f in a["failed_conditions"]
                ]
                + [e(f"undecided: {f['description']} (missing {_field(f)})") for f in a["undecided_conditions"]]
            )
            parts.append(
                f"<tr><td>{a['name']}</td><td>{AUTHORIZATION_STATES[a['available']]}</td><td style='text-align:left'>{why}</td><td>{e(a['citation'])}</td></tr>"
            )
        parts.append("</table>")
    parts += _html_section(
        "Obligations",
        [
            f"<li>{e(o['description'])}{' &mdash; ' + e(o['deadline']) if o['deadline'] else ''} "
            f"<small>[{e(o['citation'])}]</small></li>"
            for o in d.obligations
        ],
    )
    parts += _html_section("Overlapping provisions", [f"<li>{e(overlap_words(o))}</li>" for o in d.overlaps])
    parts += _html_section(
        "Red flags",
        [f"<li>{e(r['flag'])}: {e(r['about'])} <small>[{e(r['citation'])}]</small></li>" for r in d.red_flags],
    )
    parts += _html_section(
        "Foreign direct product rules",
        [
            f"<li>item {e(f['item'])}: {e(f['rule'])} <small>[{e(f['citation'])}]</small></li>"
            for f in d.foreign_direct_product
        ],
    )
    parts += _html_section(
        e(missing_facts_heading(d)),
        [
            f"<tr><td style='text-align:left'>{e(m['question'])}</td><td><code>{e(m['field'] or m['id'])}</code></td></tr>"
            for m in d.missing_fact_fields
        ],
        "<table><tr><th>question</th><th>field</th></tr>",
        "</table>",
    )
    parts += _html_section(
        "Readings that matter", [f"<li>{e(reading_line(d, t))}</li>" for t in d.readings_that_matter]
    )
    for n in d.notes:
        parts.append(f"<p><i>Note:</i> {e(n['text'])}</p>")
    ev = d.rule_status.get("events", [])
    if ev:
        parts.append("<h4>Rule status</h4><ul>")
        parts += [f"<li>{e(x['date'])}: {e(x['description'])}</li>" for x in ev]
        if d.rule_status.get("phase"):
            parts.append("</ul><p>" + e(d.rule_status["phase"]) + ".</p>")
        else:
            parts.append("</ul>")
    return "\n".join(parts)
