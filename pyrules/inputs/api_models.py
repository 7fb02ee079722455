"""Typed (pydantic v2) models of the scenario and of the answer, for the JSON Schema
published at ``/api/v1/schema/...``, by ``pyrules schema scenario|determination``
and in ``docs/schema/``.

The scenario's fields are not restated here: they are derived from the one input
declaration, ``pyrules/schema.py`` (transaction fields, entity fields and status
flags, item fields, facts, readings, each with its type and description). The
answer's models follow ``Determination.to_json`` (tests validate every bundled
scenario's answer against them). Validation of a scenario stays with
``Scenario.from_dict`` (it names the field path of a bad value); these models
describe the same form.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from pyrules.engine import kb
from pyrules.inputs import schema

_BIG = Union[int, str]  # exact numbers may be written "26,900,000", "1.2e26" or "10^26"


def _type_of(kind: str):
    """The Python type (for pydantic) of a schema.py type."""
    if kind == "bool":
        return bool
    if kind in ("tpp", "ops"):
        return _BIG
    if kind == "int":
        return int
    if kind == "area":
        return float
    if kind in ("name",):
        return str
    if kind == "country":
        return str
    if kind == "date":
        return str
    if kind == "eccn":
        return Literal[tuple(sorted(kb.eccns()))]
    if kind == "authorization":  # the authorizations the KB declares
        return Literal[tuple(schema.AUTHORIZATIONS)]
    if kind.startswith("enum:"):
        return Literal[tuple(kind[5:].split("|"))]
    raise AssertionError(f"unknown schema type {kind}")


def _extra(kind: str) -> dict:
    if kind == "country":
        return {"examples": sorted(kb.countries())[:3]}
    if kind == "date":
        return {"pattern": r"^\d{4}-\d{2}-\d{2}$", "examples": ["2025-06-01"]}
    if kind in ("tpp", "ops"):
        return {"examples": [4992, "12,345,678", "1.2e26"]}
    if kind == "name":
        return {"min_length": 1}
    return {}


def _fields(decl: dict[str, tuple[str, str]]) -> dict[str, Any]:
    out = {}
    for name, (kind, description) in decl.items():
        alias = None
        py = name
        if name in ("from",):  # a Python keyword
            py, alias = "from_", name
        out[py] = (
            Optional[_type_of(kind)],
            Field(None, description=f"{description} (type {kind})", alias=alias, **_extra(kind)),
        )
    return out


_STRICT = ConfigDict(extra="forbid", populate_by_name=True)

Transaction = create_model("Transaction", __config__=_STRICT, **_fields(schema.TRANSACTION_FIELDS))


def _optional_choice(choices) -> Any:
    """The annotation "one of these values, or absent", made at run time from the KB's
    values (an annotation that a type checker cannot read, hence Any)."""
    return Optional[Literal[tuple(choices)]]


EntityStatus = create_model("EntityStatus", __config__=_STRICT, **_fields(schema.ENTITY_STATUS))
Entity = create_model(
    "Entity",
    __config__=_STRICT,
    status=(Optional[EntityStatus], Field(None, description="status flags of the entity")),
    **_fields(schema.ENTITY_FIELDS),
)
Item = create_model("Item", __config__=_STRICT, **_fields(schema.ITEM_FIELDS))
Facts = create_model("Facts", __config__=_STRICT, **_fields(schema.FACTS))
_READINGS: dict[str, Any] = {
    topic: (
        _optional_choice(choices),
        Field(None, description=f"reading of an ambiguous provision (default {choices[0]})"),
    )
    for topic, choices in schema.READINGS.items()
}
Readings = create_model("Readings", __config__=_STRICT, **_READINGS)


class Question(BaseModel):
    """A what-if question (see docs/whatif.md)."""

    model_config = ConfigDict(extra="forbid")
    goal: str = Field(
        description="authorized, no_licence_required, an authorization (its name, e.g. "
        f"{schema.AUTHORIZATIONS[0].lower()}) or a policy"
    )
    may_change: list[str | dict[str, Any]] | None = Field(None, description="what may change; absent: the default")
    costs: dict[str, int] | None = None


class Scenario(BaseModel):
    """A transaction to evaluate: the JSON form of ``pyrules ask``."""

    model_config = ConfigDict(extra="forbid", title="Scenario")
    scenario: str | None = Field(None, description="a name for the scenario")
    date: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="the date of the transaction")
    transaction: Transaction | None = None  # type: ignore[valid-type]
    items: list[Item] | None = None  # type: ignore[valid-type]
    entities: dict[str, Entity] | None = Field(None, description="the parties by name, with their ownership chain")  # type: ignore[valid-type]
    facts: Facts | None = None  # type: ignore[valid-type]
    readings: Readings | None = None  # type: ignore[valid-type]
    questions: list[Question] | None = None
    expect: dict[str, Any] | None = Field(
        None, description="a bundled case's expected outcome (checked by `pyrules test`)"
    )


# The views of the law ("as written", "as enforced"), where the input declaration has them.
_VIEWS = getattr(schema, "VIEWS", None)
if _VIEWS:
    Scenario = create_model(  # type: ignore[misc]
        "Scenario",
        __base__=Scenario,
        view=(_optional_choice(_VIEWS), Field(None, description=f"the view of the law (default {_VIEWS[0]})")),
    )


# ----------------------------------------------------------------------------- the answer
Tri = Optional[bool]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Control(_Open):
    item: int
    eccn: str
    provision: str
    citation: str


class ItemLine(_Open):
    item: int
    line: dict[str, Any]
    eccn: str | None
    outside_rule: str | None
    outside_reason: str | None = Field(None, description="why the line is outside the rule, in words")


class PolicyCandidate(_Open):
    policy: str
    provision: str
    citation: str


class Condition(_Open):
    condition: str
    description: str
    citation: str
    missing_fact: str | None = Field(None, description="for an undecided condition: the fact that would decide it")


class Authorization(_Open):
    name: str = Field(description="the authorization: " + ", ".join(schema.AUTHORIZATIONS))
    available: Tri = Field(description="true: available; false: not available; null: undecided")
    provision: str
    citation: str
    failed_conditions: list[Condition]
    undecided_conditions: list[Condition]
    obligations: list[str]


class Obligation(_Open):
    id: str
    description: str
    provision: str
    citation: str
    deadline: str | None


class Overlap(_Open):
    provisions: list[str]
    citations: list[str]
    titles: list[str] = Field(default_factory=list, description="the provisions' titles")
    resolved_by_reading: bool


class RuleEvent(_Open):
    date: str
    event: str
    description: str


class RuleStatus(_Open):
    as_of: str | None
    events: list[RuleEvent]
    compliance_required: bool
    before_rule: bool
    phase: str | None = None


class Note(_Open):
    id: str
    text: str


class RedFlag(_Open):
    flag: str
    about: str
    citation: str
    description: str | None = Field(None, description="the red flag's title (kb/provisions.lp)")


class FDP(_Open):
    item: str
    rule: str
    citation: str


class Record(BaseModel):
    """What the answer was computed from (for a file kept under 15 CFR 762)."""

    input: Any = Field(description="the scenario as read")
    pyrules_version: str
    kb_sha256: str = Field(description="SHA-256 of the knowledge base text evaluated")
    rule_text_date: str | None = Field(description="the date of the rule text (kb/coverage.lp)")
    evaluated_at: str = Field(description="UTC time of the evaluation")
    coverage: str = Field(description="one line: what the answer does not decide")


class Determination(_Open):
    """The answer for one scenario: ``pyrules ask --json`` (with ``summary`` and ``record``
    from the HTTP API and the MCP server)."""

    model_config = ConfigDict(extra="allow", title="Determination")
    format_version: int
    scenario: str
    as_of: str | None
    license_required: Tri = Field(description="null: undecided (facts are missing)")
    authorized: Tri
    controls: list[Control]
    items: list[ItemLine]
    shipment_tpp: int | None
    licensing_policy: str | None
    policy_citation: str | None
    policy_candidates: list[PolicyCandidate]
    policy_depends_on: list[dict[str, Any]] = Field(
        default_factory=list, description="the facts not given that the licensing policy turns on: id, field, question"
    )
    authorizations: list[Authorization]
    obligations: list[Obligation]
    overlaps: list[Overlap]
    missing_facts: list[Any]
    red_flags: list[RedFlag]
    foreign_direct_product: list[FDP]
    readings: dict[str, str]
    readings_that_matter: list[str]
    notes: list[Note]
    rule_status: RuleStatus
    citations: list[str]
    summary: str | None = Field(None, description="the answer in one sentence")
    record: Record | None = None


SCHEMAS: dict[str, type[BaseModel]] = {"scenario": Scenario, "determination": Determination}


def json_schema(name: str) -> dict:
    """The JSON Schema of 'scenario' or 'determination'."""
    model = SCHEMAS[name]
    s = model.model_json_schema(by_alias=True)
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = f"https://pyrules.invalid/api/v1/schema/{name}"
    return s


def json_schema_text(name: str) -> str:
    return json.dumps(json_schema(name), indent=2, sort_keys=True) + "\n"
