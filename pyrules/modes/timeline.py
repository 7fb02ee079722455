"""A scenario's determination over time: the dates at which it changes.

The knowledge base's own dates bound the search (``key_date/2``, the dates each
provision enters and leaves force, and the dates of country-group memberships of
the countries the scenario names): the scenario is evaluated on each of them and
on the day before each, never day by day. Between two consecutive candidate dates
nothing the knowledge base turns on changes, so neither does the answer.

    >>> from pyrules.timeline import timeline
    >>> t = timeline(scenario_dict, view="as_enforced")
    >>> [c.date for c in t.changes]

No legal question is decided here: each evaluation is the knowledge base's answer
on that date; this module only compares the answers and names the provisions that
entered or left force (``in_force/1``) and the rule's events (``rule_status/3``) on
the date of a change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from pyrules.engine.control import default_engine
from pyrules.inputs.facts import scenario_facts
from pyrules.inputs.model import Scenario

# What "the determination" means for the timeline.
FIELDS = ("license_required", "authorized", "licensing_policy", "available_authorizations")

_DATES_PROGRAM = """
tl_date(D) :- key_date(_, D).
tl_date(F) :- provision(_, _, _, F, _).
tl_end(T) :- provision(_, _, _, _, T).
tl_date(F) :- group_member(_, C, F, _), mentioned_country(C).
tl_end(T) :- group_member(_, C, _, T), mentioned_country(C).
tl_start(D) :- key_date(advanced_computing_effective, D).
#show tl_date/1.
#show tl_end/1.
#show tl_start/1.
"""


def _iso(n: int) -> str:
    return f"{n // 10000:04d}-{n // 100 % 100:02d}-{n % 100:02d}"


def _day(n: int) -> datetime.date | None:
    try:
        return datetime.date(n // 10000, n // 100 % 100, n % 100)
    except ValueError:
        return None


@dataclass
class Change:
    """One date at which the determination differs from the day before."""

    date: str
    changed: dict  # field -> {"from": ..., "to": ...}
    provisions_entered: list[dict] = field(default_factory=list)  # {"provision", "citation"}
    provisions_left: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # the rule's events on that date

    def to_json(self) -> dict:
        return {
            "date": self.date,
            "changed": self.changed,
            "provisions_entered": self.provisions_entered,
            "provisions_left": self.provisions_left,
            "events": self.events,
        }


@dataclass
class Timeline:
    scenario: str
    view: str
    start: str  # the first date evaluated
    end: str  # the last (today, or the scenario's date if later)
    initial: dict  # the determination on ``start``
    changes: list[Change] = field(default_factory=list)
    dates_evaluated: int = 0

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "view": self.view,
            "start": self.start,
            "end": self.end,
            "initial": self.initial,
            "changes": [c.to_json() for c in self.changes],
            "dates_evaluated": self.dates_evaluated,
        }

    def to_text(self) -> str:
        def show(v):
            if v is None:
                return "indeterminate"
            if v is True:
                return "yes"
            if v is False:
                return "no"
            if isinstance(v, list):
                return ", ".join(v) if v else "none"
            return str(v).replace("_", " ")

        labels = {
            "license_required": "licence required",
            "authorized": "authorized",
            "licensing_policy": "licensing policy",
            "available_authorizations": "available authorizations",
        }
        out = [
            f"Timeline: {self.scenario}  (view: {self.view.replace('_', ' ')}; {self.start} to {self.end}, "
            f"{self.dates_evaluated} dates evaluated)",
            f"  {self.start}: " + "; ".join(f"{labels[k]}: {show(self.initial[k])}" for k in FIELDS),
        ]
        if not self.changes:
            out.append("  no change over the period")
        for c in self.changes:
            out.append(
                f"  {c.date}: "
                + "; ".join(f"{labels[k]}: {show(v['from'])} -> {show(v['to'])}" for k, v in c.changed.items())
            )
            for p in c.provisions_entered:
                out.append(f"      + {p['provision']} ({p['citation']})")
            for p in c.provisions_left:
                out.append(f"      - {p['provision']} ({p['citation']})")
            for e in c.events:
                out.append(f"      event: {e['description']}")
        return "\n".join(out)


def candidate_dates(scenario: Scenario, engine=None) -> list[datetime.date]:
    """The knowledge base's dates for this scenario, and the day before each."""
    engine = engine or default_engine()
    atoms = engine.answer(scenario_facts(scenario), extra_program=_DATES_PROGRAM)
    days: set[datetime.date] = set()
    starts = [_day(a.arguments[0].number) for a in atoms if a.name == "tl_start"]
    for a in atoms:
        if a.name not in ("tl_date", "tl_end"):
            continue
        d = _day(a.arguments[0].number)
        if d is None or d.year < 2001 or d.year > 9000:
            continue
        if a.name == "tl_end":
            d = d + datetime.timedelta(days=1)  # the first day after a range ends
        days.add(d)
        days.add(d - datetime.timedelta(days=1))
    # From the day before the earliest version encoded (before it: indeterminate).
    first = min(d for d in starts if d is not None) - datetime.timedelta(days=1) if starts and starts[0] else None
    return sorted(d for d in days if first is None or d >= first)


def _summary(d) -> dict:
    return {
        "license_required": d.license_required,
        "authorized": d.authorized,
        "licensing_policy": d.licensing_policy,
        "available_authorizations": sorted(a["name"] for a in d.authorizations if a["available"] is True),
    }


def _in_force(d) -> set[str]:
    return {a.arguments[0].name for a in d.atoms if a.name == "in_force" and len(a.arguments) == 1}


def timeline(scenario: Scenario | dict, view: str | None = None, until: str | None = None, engine=None) -> Timeline:
    """The dates at which ``scenario``'s determination changes, from the day before the
    earliest date the knowledge base names to ``until`` (default: today, or the
    scenario's date if later), in ``view`` (as_written, the default, or as_enforced)."""
    from pyrules.engine import kb

    engine = engine or default_engine()
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    if view:
        scenario = scenario.with_changes({"view": view})
    end = datetime.date.fromisoformat(until) if until else datetime.date.today()
    if scenario.date and datetime.date.fromisoformat(scenario.date) > end:
        end = datetime.date.fromisoformat(scenario.date)
    dates = [d for d in candidate_dates(scenario, engine) if d <= end]
    provs = kb.provisions()
    results = []
    for day in dates:
        d = engine.evaluate(scenario, as_of=day.isoformat())
        results.append((day, d))
    first_day, first = results[0]
    t = Timeline(
        scenario=scenario.name,
        view=first.view,
        start=first_day.isoformat(),
        end=end.isoformat(),
        initial=_summary(first),
        dates_evaluated=len(results),
    )
    for (_, before), (day, after) in zip(results, results[1:]):
        sb, sa = _summary(before), _summary(after)
        changed = {k: {"from": sb[k], "to": sa[k]} for k in FIELDS if sb[k] != sa[k]}
        if not changed:
            continue
        fb, fa = _in_force(before), _in_force(after)
        cite = lambda p: {"provision": p, "citation": provs.get(p, {}).get("citation", p)}
        iso = day.isoformat()
        t.changes.append(
            Change(
                date=iso,
                changed=changed,
                provisions_entered=[cite(p) for p in sorted(fa - fb)],
                provisions_left=[cite(p) for p in sorted(fb - fa)],
                events=[e for e in after.rule_status.get("events", []) if e["date"] == iso],
            )
        )
    return t
