"""The describe-a-deal form: its fields (from pyrules/schema.py), a scenario as form
values, form values as a scenario, and where an error or a missing fact belongs.

Form field names are the scenario's JSON paths, with entities numbered by row:
``transaction.to``, ``entities[1].headquartered``, ``entities[0].status.uveu``,
``items[0].quantity``, ``facts.tier2_allocation_used_tpp``, ``readings.tier_overlap``.
"""

from __future__ import annotations

import re
from typing import Any

from pyrules.engine import kb
from pyrules.inputs import schema

ENTITY_ROWS = 3
ITEM_ROWS = 2


def fid(name: str) -> str:
    """The HTML id of a form field."""
    return "f-" + re.sub(r"[^A-Za-z0-9_]+", "-", name).strip("-")


def _input(name: str, kind: str, description: str) -> dict:
    f: dict[str, Any] = {"name": name, "id": fid(name), "kind": kind, "description": description}
    if kind == "bool":
        f["widget"] = "tri"
    elif kind.startswith("enum:"):
        f["widget"] = "select"
        f["choices"] = kind[5:].split("|")
    elif kind == "eccn":
        f["widget"] = "select"
        f["choices"] = sorted(kb.eccns())
    elif kind == "country":
        f["widget"] = "country"
    elif kind == "date":
        f["widget"] = "date"
    elif kind in ("int", "tpp", "ops", "area"):
        f["widget"] = "number"
    else:
        f["widget"] = "text"
    if name.endswith(".chip"):
        f["widget"] = "select"
        f["choices"] = list(kb.chips())
    return f


def form_layout(n_entities: int = ENTITY_ROWS, n_items: int = ITEM_ROWS) -> dict:
    """The form's sections and fields, derived from the input declaration."""
    tx = [_input(f"transaction.{k}", kind, desc) for k, (kind, desc) in schema.TRANSACTION_FIELDS.items()]
    ents = []
    for i in range(n_entities):
        row = [
            {
                "name": f"entities[{i}].name",
                "id": fid(f"entities[{i}].name"),
                "kind": "name",
                "widget": "text",
                "description": "the entity's name (used as consignee, parent, designer)",
            }
        ]
        row += [_input(f"entities[{i}].{k}", kind, desc) for k, (kind, desc) in schema.ENTITY_FIELDS.items()]
        status = [_input(f"entities[{i}].status.{k}", kind, desc) for k, (kind, desc) in schema.ENTITY_STATUS.items()]
        ents.append({"fields": row, "status": status})
    items = [
        [_input(f"items[{i}].{k}", kind, desc) for k, (kind, desc) in schema.ITEM_FIELDS.items()]
        for i in range(n_items)
    ]
    facts = [_input(f"facts.{k}", kind, desc) for k, (kind, desc) in schema.FACTS.items()]
    readings = [
        {
            "name": f"readings.{t}",
            "id": fid(f"readings.{t}"),
            "widget": "select",
            "choices": list(c),
            "description": f"default {c[0]}",
        }
        for t, c in schema.READINGS.items()
    ]
    views = getattr(schema, "VIEWS", None)
    view = (
        {
            "name": "view",
            "id": fid("view"),
            "widget": "select",
            "choices": list(views),
            "description": f"the view of the law (default {views[0]})",
        }
        if views
        else None
    )
    return {
        "transaction": tx,
        "entities": ents,
        "items": items,
        "facts": facts,
        "readings": readings,
        "view": view,
        "countries": sorted(kb.countries().items()),
    }


def _text(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    return "" if v is None else str(v)


def scenario_to_form(data: dict) -> tuple[dict[str, str], int, int]:
    """Form values for a scenario (JSON form), and the numbers of entity and item rows."""
    out: dict[str, str] = {}
    if data.get("scenario"):
        out["scenario"] = data["scenario"]
    if data.get("date"):
        out["date"] = data["date"]
    if data.get("view"):
        out["view"] = data["view"]
    for k, v in (data.get("transaction") or {}).items():
        out[f"transaction.{k}"] = _text(v)
    ents = list((data.get("entities") or {}).items())
    for i, (name, e) in enumerate(ents):
        out[f"entities[{i}].name"] = name
        for k, v in e.items():
            if k == "status":
                for s, sv in v.items():
                    out[f"entities[{i}].status.{s}"] = _text(sv)
            else:
                out[f"entities[{i}].{k}"] = _text(v)
    items = data.get("items") or []
    for i, it in enumerate(items):
        for k, v in it.items():
            out[f"items[{i}].{k}"] = _text(v)
    for k, v in (data.get("facts") or {}).items():
        out[f"facts.{k}"] = _text(v)
    for k, v in (data.get("readings") or {}).items():
        out[f"readings.{k}"] = _text(v)
    return out, max(ENTITY_ROWS, len(ents) + 1), max(ITEM_ROWS, len(items))


def _value(kind: str, text: str) -> Any:
    """A form text as the JSON value Scenario.from_dict checks (it reports bad ones)."""
    t = text.strip()
    if kind == "bool":
        return {"true": True, "false": False}.get(t, t)
    if kind == "int":
        return int(t) if re.fullmatch(r"\d+", t) else t
    if kind == "area":
        try:
            return float(t) if "." in t else int(t)
        except ValueError:
            return t
    if kind in ("tpp", "ops"):
        return int(t) if re.fullmatch(r"\d+", t) else t
    return t


def form_to_scenario(form: dict[str, str]) -> dict:
    """The JSON form of the scenario the form describes (empty fields left out)."""
    g = {k: v for k, v in form.items() if isinstance(v, str) and v.strip() != ""}
    raw: dict[str, Any] = {}
    if "scenario" in g:
        raw["scenario"] = g["scenario"].strip()
    if "date" in g:
        raw["date"] = g["date"].strip()
    if "view" in g:
        raw["view"] = g["view"].strip()
    raw["transaction"] = {
        k: _value(kind, g[f"transaction.{k}"])
        for k, (kind, _) in schema.TRANSACTION_FIELDS.items()
        if f"transaction.{k}" in g
    }
    raw["entities"] = {}
    rows = sorted({int(m.group(1)) for k in form if (m := re.match(r"entities\[(\d+)\]\.", k))})
    for i in rows:
        name = g.get(f"entities[{i}].name", "").strip()
        fields = {
            k: _value(kind, g[f"entities[{i}].{k}"])
            for k, (kind, _) in schema.ENTITY_FIELDS.items()
            if f"entities[{i}].{k}" in g
        }
        status = {
            k: _value(kind, g[f"entities[{i}].status.{k}"])
            for k, (kind, _) in schema.ENTITY_STATUS.items()
            if f"entities[{i}].status.{k}" in g
        }
        if not name:
            continue
        if status:
            fields["status"] = status
        raw["entities"][name] = fields
    raw["items"] = []
    rows = sorted({int(m.group(1)) for k in form if (m := re.match(r"items\[(\d+)\]\.", k))})
    for i in rows:
        line = {
            k: _value(kind, g[f"items[{i}].{k}"])
            for k, (kind, _) in schema.ITEM_FIELDS.items()
            if f"items[{i}].{k}" in g
        }
        if line:
            raw["items"].append(line)
    raw["facts"] = {k: _value(kind, g[f"facts.{k}"]) for k, (kind, _) in schema.FACTS.items() if f"facts.{k}" in g}
    raw["readings"] = {t: g[f"readings.{t}"] for t in schema.READINGS if f"readings.{t}" in g}
    return raw


def error_field(path: str | None, data: dict) -> str | None:
    """The form field of an error's JSON path (entities by name -> row number)."""
    if not path:
        return None
    m = re.match(r"entities\.([^.\[]+)(.*)", path)
    if m:
        names = list((data.get("entities") or {}).keys())
        if m.group(1) in names:
            return f"entities[{names.index(m.group(1))}]{m.group(2) or '.name'}"
        return None
    return path


def missing_fact_field(fact: str, data: dict) -> dict:
    """For a missing fact as the KB names it ('uveu(AcmeCloud)', 'item_designer(1)',
    'tier2_allocation_used_tpp'): the JSON path that answers it, the form field and a
    question in words, as ``schema.missing_fact_field`` (the one mapping from missing
    facts to inputs) gives them. ``path`` is None for rule data no input can give."""
    if isinstance(fact, dict):  # a richer form of the answer: {"id": ..., ...}
        fact = str(fact.get("id") or fact.get("fact") or fact)
    path, question = schema.missing_fact_field(fact)
    field = error_field(path, data)
    return {"id": fact, "path": path, "field": field, "field_id": fid(field) if field else None, "question": question}
