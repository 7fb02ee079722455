"""Ambiguities: evaluate a scenario under every reading of every ambiguous provision.

The readings live in the knowledge base (``reading_topic/2`` names the default,
``reading_alternative/2`` every reading, ``chosen_reading/2`` is the input;
see kb/licensing_policy.lp and docs/ambiguities.md). This module only varies the
input: the knowledge base is grounded once with every ``chosen_reading(T, R)``
as an external atom, then solved once per reading, switching one topic at a
time (the other topics keep the scenario's chosen reading, or the default).
It reports, per topic, the outcome under each reading and whether it differs.
"""

from __future__ import annotations

from typing import Any

import clingo

from pyrules.engine import kb
from pyrules.engine.arithmetic import Arithmetic
from pyrules.output.determination import Determination
from pyrules.engine.control import KnowledgeBaseError
from pyrules.inputs.facts import Term, scenario_facts, scenario_terms
from pyrules.inputs.model import Scenario

READINGS_FORMAT_VERSION = 1

_EXTRA = """
#external chosen_reading(T, R) : reading_alternative(T, R).
#show reading_alternative/2.
#show reading_topic/2.
"""


def _reading_space() -> tuple[dict[str, list[str]], dict[str, str]]:
    """The ambiguous topics as the KB declares them: each topic's readings (the default
    first, then the KB's order) and its default (pyrules.engine.kb.readings)."""
    return {t: list(rs) for t, rs in kb.readings().items()}, kb.reading_defaults()


_TRI = {True: "yes", False: "no", None: "indeterminate"}


def outcome(d: Determination) -> dict[str, Any]:
    """The parts of a determination compared across readings."""
    return {
        "license_required": d.license_required,
        "authorized": d.authorized,
        "licensing_policy": d.licensing_policy,
        "available_authorizations": sorted(a["name"] for a in d.authorizations if a["available"] is True),
        "authorization_status": {a["name"]: _TRI[a["available"]] for a in d.authorizations},
        "obligations": sorted(o["id"] for o in d.obligations),
        "red_flags": sorted(f"{r['flag']}:{r['about']}" for r in d.red_flags),
    }


def _differences(outcomes: dict[str, dict]) -> list[str]:
    vals = list(outcomes.values())
    return [k for k in vals[0] if any(v[k] != vals[0][k] for v in vals[1:])]


def evaluate_all_readings(scenario: Scenario | dict, as_of: str | None = None) -> dict[str, Any]:
    """Evaluate ``scenario`` under each reading of each ambiguous provision.

    Returns a dict:
      scenario, format_version,
      readings_used: {topic: reading} of the baseline (the scenario's choices, else defaults),
      baseline: the outcome under readings_used,
      topics: {topic: {default, used, alternatives, outcomes: {reading: outcome},
                       depends: bool, differences: [outcome keys that differ],
                       flagged_by_kb: bool (reading_matters/1 under the baseline)}},
      depends_on: [topics whose reading changes the outcome].
    An outcome is {license_required, authorized, licensing_policy,
    available_authorizations, authorization_status, obligations, red_flags}.
    """
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    when = as_of or scenario.date
    facts = [f for f in scenario_facts(scenario, as_of) if f.name != "chosen_reading"]
    chosen = dict(scenario.data.get("readings", {}))

    ctl = clingo.Control(["--warn=none", "--models=2"])
    ctl.add("base", [], kb.kb_text())
    ctl.add("base", [], _EXTRA)
    with ctl.backend() as backend:
        for sym in facts:
            backend.add_rule([backend.add_atom(sym)])
    ctl.ground([("base", [])], context=Arithmetic())

    alternatives, defaults = _reading_space()
    used = {t: chosen.get(t, defaults.get(t, alts[0])) for t, alts in alternatives.items()}

    def solve(readings: dict[str, str]) -> Determination:
        for t, alts in alternatives.items():
            for r in alts:
                ctl.assign_external(
                    clingo.Function("chosen_reading", [clingo.Function(t), clingo.Function(r)]), readings.get(t) == r
                )
        found: list[list[clingo.Symbol]] = []
        ctl.solve(on_model=lambda m: found.append(list(m.symbols(shown=True))))
        if len(found) != 1:
            raise KnowledgeBaseError(f"the knowledge base gave {len(found)} answer sets instead of exactly one")
        # the Determination reports the readings as chosen in the scenario
        s = scenario.with_changes(
            {"readings": {t: r for t, r in readings.items() if t in chosen or r != defaults.get(t)}}
        )
        return Determination.from_atoms(s, found[0], as_of=when)

    return _result(scenario, alternatives, defaults, used, solve)


def _labels(d: Determination, into: dict[str, dict[str, str]]) -> None:
    """The words for the ids an outcome lists: each obligation's description, each red
    flag's title and whom it concerns (the first determination naming one wins)."""
    for o in d.obligations:
        into["obligations"].setdefault(o["id"], o["description"])
    for r in d.red_flags:
        into["red_flags"].setdefault(
            f"{r['flag']}:{r['about']}", f"{r.get('description') or r['flag']}, concerning {r['about']}"
        )


def _result(scenario: Scenario, alternatives: dict, defaults: dict, used: dict, solve) -> dict[str, Any]:
    labels: dict[str, dict[str, str]] = {"obligations": {}, "red_flags": {}}

    def labelled(readings: dict[str, str]) -> Determination:
        d = solve(readings)
        _labels(d, labels)
        return d

    base = labelled(used)
    result: dict[str, Any] = {
        "format_version": READINGS_FORMAT_VERSION,
        "scenario": scenario.name,
        "readings_used": used,
        "baseline": outcome(base),
        "topics": {},
        "depends_on": [],
    }
    flagged = set(base.readings_that_matter)
    for t in sorted(alternatives):
        outs = {}
        for r in alternatives[t]:
            outs[r] = outcome(base) if r == used[t] else outcome(labelled({**used, t: r}))
        diff = _differences(outs)
        result["topics"][t] = {
            "default": defaults.get(t),
            "used": used[t],
            "alternatives": alternatives[t],
            "outcomes": outs,
            "depends": bool(diff),
            "differences": diff,
            "flagged_by_kb": t in flagged,
        }
        if diff:
            result["depends_on"].append(t)
    result["labels"] = labels
    return result


def evaluate_all_readings_many(scenarios, as_of: str | None = None, batch_size: int = 500):
    """``evaluate_all_readings`` for many scenarios: the same results, in input order, with
    every scenario's readings decided together in batches (pyrules.batch.solve_batch):
    faster from a few scenarios on (for one, the grounding with external readings
    is quicker)."""
    from pyrules.engine.batch import solve_batch

    alternatives, defaults = _reading_space()
    pending: list = []  # (scenario, when, chosen, used, variants, fact lists)
    size = 0

    def flush():
        answers = solve_batch([f for p in pending for f in p[5]])
        k = 1
        for scenario, when, chosen, used, variants, _ in pending:
            solved = {}
            for readings in variants:
                # the Determination reports the readings as chosen in the scenario
                s = scenario.with_changes(
                    {"readings": {t: r for t, r in readings.items() if t in chosen or r != defaults.get(t)}}
                )
                solved[tuple(sorted(readings.items()))] = Determination.from_atoms(s, answers[k], as_of=when)
                k += 1
            yield _result(scenario, alternatives, defaults, used, lambda r: solved[tuple(sorted(r.items()))])
        pending.clear()

    for scenario in scenarios:
        if isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        facts = [f for f in scenario_terms(scenario, as_of) if f[0] != "chosen_reading"]
        chosen = dict(scenario.data.get("readings", {}))
        used = {t: chosen.get(t, defaults.get(t, alts[0])) for t, alts in alternatives.items()}
        # the baseline, then each topic's other readings, each topic's reading given as a fact
        # (as the external atoms of evaluate_all_readings give it)
        variants = [used] + [{**used, t: r} for t in sorted(alternatives) for r in alternatives[t] if r != used[t]]
        lists = [facts + [("chosen_reading", (Term(t), Term(r))) for t, r in v.items()] for v in variants]
        pending.append((scenario, as_of or scenario.date, chosen, used, variants, lists))
        size += len(lists)
        if size >= batch_size:
            yield from flush()
            size = 0
    if pending:
        yield from flush()


# ============================================================================ text
def _outcome_text(o: dict, labels: dict | None = None) -> str:
    pol = (o["licensing_policy"] or "none determined").replace("_", " ")
    avail = ", ".join(o["available_authorizations"]) or "none"
    from pyrules.output.render import ANSWER_WORDS

    text = (
        f"licence required {ANSWER_WORDS[o['license_required']]}; policy {pol}; "
        f"authorized {ANSWER_WORDS[o['authorized']]}; available: {avail}"
    )
    if o["obligations"]:
        text += "; obligations: " + _value_words("obligations", o["obligations"], labels)
    if o["red_flags"]:
        text += "; red flags: " + _value_words("red_flags", o["red_flags"], labels)
    return text


_OUTCOME_WORDS = {
    "license_required": "whether a licence is required",
    "authorized": "whether it is authorized",
    "licensing_policy": "the licensing policy",
    "obligations": "the obligations",
    "red_flags": "the red flags",
}


def _value_words(key: str, v, labels: dict | None = None) -> str:
    """An outcome's value in words; obligations and red flags by their descriptions
    (``labels``, a readings result's), else their ids."""
    from pyrules.output.render import ANSWER_WORDS

    if key in ("license_required", "authorized"):
        return ANSWER_WORDS[v]
    if key == "licensing_policy":
        return (v or "none determined").replace("_", " ")
    words = (labels or {}).get(key, {})
    return ", ".join(f"“{words[x]}”" if words.get(x) else x.replace("_", " ") for x in v) or "none"


def differences_text(info: dict, labels: dict | None = None) -> list[str]:
    """What differs between a topic's readings, in words: each authorization whose
    state changes (from what, under which reading, to what), and each other part of
    the outcome that changes, with its value under each reading."""
    from pyrules.output.render import AUTHORIZATION_STATES

    states = {"yes": True, "no": False, "indeterminate": None}
    outs, alts = info["outcomes"], info["alternatives"]
    out = []
    if "authorization_status" in info["differences"]:
        names = sorted({a for r in alts for a in outs[r]["authorization_status"]})
        for a in names:
            vals = [outs[r]["authorization_status"].get(a) for r in alts]
            if len(set(vals)) > 1:
                out.append(
                    f"{a} is "
                    + ", ".join(
                        f"{AUTHORIZATION_STATES[states[v]] if v else 'not weighed'} under {r}"
                        for r, v in zip(alts, vals)
                    )
                )
    for key in info["differences"]:
        if key in _OUTCOME_WORDS:
            verb = " are " if key in ("obligations", "red_flags") else " is "
            out.append(
                _OUTCOME_WORDS[key]
                + verb
                + ", ".join(f"{_value_words(key, outs[r][key], labels)} under {r}" for r in alts)
            )
    return out


def to_text(res: dict) -> str:
    """The readings' outcomes in words: for each topic that matters, its plain title
    (reading_title/2 in kb/), what differs between its readings, and the outcome under each."""
    chosen = {t: r for t, r in sorted(res["readings_used"].items()) if kb.reading_defaults().get(t) != r}
    out = [
        f"== {res['scenario']}",
        "Readings used: the defaults"
        + ("" if not chosen else ", except " + ", ".join(f"{t}={r}" for t, r in chosen.items())),
        "Outcome: " + _outcome_text(res["baseline"], res.get("labels")),
    ]
    if not res["depends_on"]:
        out.append(
            "The outcome does not depend on the reading of any ambiguous provision "
            f"(checked: {', '.join(sorted(res['topics'])) or 'none'})."
        )
    for t in res["depends_on"]:
        info = res["topics"][t]
        out.append(
            f"The outcome depends on the reading {t}, {kb.reading_title(t)}: "
            + "; ".join(differences_text(info, res.get("labels")))
            + "."
        )
        for r in info["alternatives"]:
            mark = " (default)" if r == info["default"] else ""
            mark += " (used)" if r == info["used"] else ""
            out.append(f"  {r}{mark}: {_outcome_text(info['outcomes'][r], res.get('labels'))}")
    others = [t for t in sorted(res["topics"]) if t not in res["depends_on"]]
    if res["depends_on"] and others:
        out.append("No other reading changes the outcome (checked: " + ", ".join(others) + ").")
    return "\n".join(out)
