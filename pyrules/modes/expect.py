"""Cases that state their outcome: a scenario's ``expect`` object, checked against its answer.

A case file is an ordinary scenario (JSON or scenario language) with an ``expect``
object, in the manner of OpenFisca's YAML tests or Catala's test scopes::

    "expect": {"license_required": true,
               "licensing_policy": "presumption_of_denial",
               "authorizations": {"LPP": {"available": false, "failed": ["lpp_annual_limit"]}},
               "obligations": ["keep_records"],
               "notes": ["not formally rescinded"]}

Every key is optional and compared with the answer ``pyrules ask --json`` gives:
- a scalar key (``license_required``, ``authorized``, ``licensing_policy``, ``view`` ...)
  must equal the answer's value;
- ``authorizations`` maps an authorization's name to what must hold of it: ``available``
  (true, false or null), and ``failed`` / ``undecided``: condition ids that must be among
  its failed / undecided conditions;
- a list key (``obligations``, ``missing_facts``, ``notes``, ``red_flags``, ``citations``,
  ``overlaps``, ``readings_that_matter`` ...) lists what the answer must include: an entry
  matches an element of the answer equal to it, holding it as one of its values, or
  (for longer text) containing it.

This module checks; it decides nothing about the law.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class CaseResult:
    """One case: where it came from, and each way its answer differs from its expectation."""

    file: str
    scenario: str
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def _values(element: Any) -> list[Any]:
    if isinstance(element, dict):
        return list(element.values())
    return [element]


def _includes(answer_list: list, wanted: Any) -> bool:
    for element in answer_list:
        if element == wanted or wanted in _values(element):
            return True
        if isinstance(wanted, str) and len(wanted) > 3 and wanted in _show(element):
            return True
    return False


def _short(answer_list: list) -> str:
    ids = []
    for element in answer_list:
        if isinstance(element, dict):
            ids.append(element.get("id") or element.get("condition") or element.get("citation") or _show(element))
        else:
            ids.append(element)
    return _show(ids)


def compare(expect: dict, answer: dict) -> list[str]:
    """Each way ``answer`` (a determination's JSON) differs from ``expect``, in words."""
    out: list[str] = []
    for key, wanted in expect.items():
        if key == "authorizations":
            by_name = {a["name"].lower(): a for a in answer.get("authorizations", [])}
            for name, spec in wanted.items():
                got = by_name.get(name.lower())
                if got is None:
                    out.append(
                        f"authorizations.{name}: expected it to be weighed; the answer weighs "
                        f"{_show(sorted(a['name'] for a in answer.get('authorizations', [])))}"
                    )
                    continue
                if "available" in spec and got["available"] != spec["available"]:
                    out.append(
                        f"authorizations.{name}.available: expected {_show(spec['available'])}, "
                        f"got {_show(got['available'])}"
                    )
                for kind, answer_key in (("failed", "failed_conditions"), ("undecided", "undecided_conditions")):
                    have = [c["condition"] for c in got.get(answer_key, [])]
                    for cond in spec.get(kind, []):
                        if cond not in have:
                            out.append(f"authorizations.{name}.{kind}: expected to include {cond!r}; got {_show(have)}")
        elif key not in answer:
            out.append(f"{key}: the answer has no such field")
        elif isinstance(wanted, list):
            have = answer[key]
            if not isinstance(have, list):
                out.append(f"{key}: expected a list including {_show(wanted)}, got {_show(have)}")
                continue
            for w in wanted:
                if not _includes(have, w):
                    out.append(f"{key}: expected to include {_show(w)}; got {_short(have)}")
        elif answer[key] != wanted:
            out.append(f"{key}: expected {_show(wanted)}, got {_show(answer[key])}")
    return out


def run_cases(paths, *, evaluate_options: dict | None = None, require_expect: bool = False) -> list[CaseResult]:
    """Evaluate every scenario in ``paths`` that states an outcome, and compare.

    With ``require_expect`` a scenario without ``expect`` is a failure (the bundled
    corpus states the outcome of every case)."""
    from pyrules.engine.control import default_engine
    from pyrules.inputs.loader import load_scenarios

    engine = default_engine()
    results = []
    for path, scenario in load_scenarios(paths):
        expect = scenario.data.get("expect")
        name = scenario.data.get("scenario", "")
        result = CaseResult(file=str(path), scenario=name)
        if expect is None:
            if require_expect:
                result.differences.append("expect: the case states no expected outcome")
                results.append(result)
            continue
        answer = engine.evaluate(scenario, **(evaluate_options or {})).to_json()
        result.differences = compare(expect, answer)
        results.append(result)
    return results


def report(results: list[CaseResult]) -> str:
    """The failures with their differences, then ``N passed, M failed``."""
    lines = []
    for r in results:
        if not r.passed:
            lines.append(f"FAIL {r.file}: {r.scenario}")
            lines += [f"  {d}" for d in r.differences]
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)
