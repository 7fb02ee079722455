"""The scenario model: validation of the JSON interchange form.

``Scenario.from_dict`` checks every field and raises ``InputError`` naming the
field path (``items[2].quantity``) for anything it cannot accept. It decides no
legal question: a missing fact stays missing, and the knowledge base reports it.
"""
from __future__ import annotations

import copy
import datetime as _dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import kb, schema
from .arithmetic import MAX_VALUE
from .errors import InputError

_TOP_KEYS = {"scenario", "date", "transaction", "items", "entities", "facts", "readings", "questions"}


def parse_date(value: Any, where: str) -> int:
    """'YYYY-MM-DD' -> YYYYMMDD."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InputError(f"expected a date written YYYY-MM-DD, got {value!r}", field=where)
    try:
        d = _dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a calendar date", field=where) from None
    return d.year * 10000 + d.month * 100 + d.day


def parse_big(value: Any, where: str) -> int:
    """An exact non-negative integer from an int or a string such as '26,900,000',
    '1.2e26' or '10^26'."""
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", field=where)
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise InputError(f"expected a whole number, got {value!r}", field=where)
        n = int(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        m = re.fullmatch(r"(\d+)\s*\^\s*(\d+)", text)
        try:
            if m:
                n = int(m.group(1)) ** int(m.group(2))
            else:
                d = Decimal(text)
                if d != d.to_integral_value():
                    raise InputError(f"expected a whole number, got {value!r}", field=where)
                n = int(d)
        except (InvalidOperation, ValueError, OverflowError):
            raise InputError(f"expected a number, got {value!r}", field=where) from None
    else:
        raise InputError(f"expected a number, got {value!r}", field=where)
    if n < 0:
        raise InputError(f"must not be negative, got {value!r}", field=where)
    if n > MAX_VALUE:
        raise InputError("is larger than pyrules can represent exactly (10^30)", field=where)
    return n


def _int(value: Any, where: str, maximum: int = schema.MAX_INT, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and re.fullmatch(r"\d[\d_,]*", value.strip()):
            value = int(value.strip().replace("_", "").replace(",", ""))
        else:
            raise InputError(f"expected a whole number, got {value!r}", field=where)
    if value < minimum or value > maximum:
        raise InputError(f"must be between {minimum:,} and {maximum:,}, got {value:,}", field=where)
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"expected true or false, got {value!r}", field=where)
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected a non-empty name, got {value!r}", field=where)
    if "\x00" in value:        # clingo would cut the name there
        raise InputError(f"a name cannot contain the NUL character, got {value!r}", field=where)
    return value


def _country(value: Any, where: str) -> str:
    if not isinstance(value, str) or value.upper() not in kb.countries():
        raise InputError(f"expected an ISO 3166-1 alpha-2 country code, got {value!r}", field=where)
    return value.upper()


def check_value(kind: str, value: Any, where: str) -> Any:
    """Check one value of a schema type and return it normalised."""
    if kind == "bool":
        return _bool(value, where)
    if kind in ("tpp", "ops"):
        return parse_big(value, where)
    if kind == "int":
        return _int(value, where)
    if kind == "name":
        return _name(value, where)
    if kind == "country":
        return _country(value, where)
    if kind == "date":
        parse_date(value, where)
        return value
    if kind == "eccn":
        if value not in kb.eccns():
            raise InputError(f"unknown ECCN {value!r}; known: {', '.join(sorted(kb.eccns()))}", field=where)
        return value
    if kind == "area":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= schema.MAX_DIE_AREA_MM2:
            raise InputError(f"expected a die area in mm2 between 0 and {schema.MAX_DIE_AREA_MM2:,}, got {value!r}", field=where)
        return value
    if kind.startswith("enum:"):
        allowed = kind[5:].split("|")
        if value not in allowed:
            raise InputError(f"expected one of {', '.join(allowed)}, got {value!r}", field=where)
        return value
    raise AssertionError(f"unknown schema type {kind}")


def _check_keys(obj: Any, allowed, where: str) -> dict:
    if not isinstance(obj, dict):
        raise InputError(f"expected an object, got {type(obj).__name__}", field=where)
    for key in obj:
        if key not in allowed:
            raise InputError(f"unknown field {key!r}; expected one of {', '.join(sorted(allowed))}",
                             field=f"{where}.{key}" if where else key)
    return obj


@dataclass
class Scenario:
    """A validated scenario. ``data`` keeps the JSON form (normalised)."""

    data: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.data.get("scenario", "(unnamed scenario)")

    @property
    def date(self) -> str | None:
        return self.data.get("date")

    def to_dict(self) -> dict:
        return copy.deepcopy(self.data)

    def with_changes(self, changes: dict) -> "Scenario":
        """A copy with top-level sections replaced (used by what-if tools)."""
        d = self.to_dict()
        d.update(changes)
        return Scenario.from_dict(d)

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "") -> "Scenario":
        obj = _check_keys(raw, _TOP_KEYS, where)
        p = (where + ".") if where else ""
        data: dict = {}
        if "scenario" in obj:
            data["scenario"] = _name(obj["scenario"], p + "scenario")
        if obj.get("date") is not None:
            parse_date(obj["date"], p + "date")
            data["date"] = obj["date"]
        tx = _check_keys(obj.get("transaction", {}), schema.TRANSACTION_FIELDS, p + "transaction")
        data["transaction"] = {k: check_value(schema.TRANSACTION_FIELDS[k][0], v, f"{p}transaction.{k}")
                               for k, v in tx.items() if v is not None}
        items = obj.get("items", [])
        if not isinstance(items, list):
            raise InputError("expected a list of item lines", field=p + "items")
        data["items"] = []
        for i, it in enumerate(items):
            w = f"{p}items[{i}]"
            it = _check_keys(it, schema.ITEM_FIELDS, w)
            line = {k: check_value(schema.ITEM_FIELDS[k][0], v, f"{w}.{k}") for k, v in it.items() if v is not None}
            if not ({"chip", "eccn", "tpp", "model_weights"} & line.keys()):
                raise InputError("an item line needs 'chip', 'eccn', 'tpp' or 'model_weights'", field=w)
            if "chip" in line and line["chip"] not in kb.chips():
                raise InputError(f"unknown chip {line['chip']!r}; the catalogue has {', '.join(kb.chips())}; "
                                 "or give 'tpp' (and 'die_area_mm2') instead", field=w + ".chip")
            if "quantity" in line:
                line["quantity"] = _int(line["quantity"], w + ".quantity", schema.MAX_QUANTITY, 1)
            elif "model_weights" not in line:
                raise InputError("missing 'quantity'", field=w)
            if "tpp" in line:
                line["tpp"] = _int(line["tpp"], w + ".tpp", schema.MAX_UNIT_TPP)
            data["items"].append(line)
        ents = obj.get("entities", {})
        if not isinstance(ents, dict):
            raise InputError("expected an object of entities by name", field=p + "entities")
        data["entities"] = {}
        for name, e in ents.items():
            w = f"{p}entities.{name}"
            e = _check_keys(e, set(schema.ENTITY_FIELDS) | {"status"}, w)
            ent = {k: check_value(schema.ENTITY_FIELDS[k][0], v, f"{w}.{k}")
                   for k, v in e.items() if k != "status" and v is not None}
            if "status" in e:
                st = _check_keys(e["status"], schema.ENTITY_STATUS, w + ".status")
                ent["status"] = {k: check_value(schema.ENTITY_STATUS[k][0], v, f"{w}.status.{k}")
                                 for k, v in st.items() if v is not None}
            data["entities"][name] = ent
        facts = _check_keys(obj.get("facts", {}), schema.FACTS, p + "facts")
        data["facts"] = {}
        for k, v in facts.items():
            if v is None:
                continue
            kind = schema.FACTS[k][0]
            checked = check_value(kind, v, f"{p}facts.{k}")
            data["facts"][k] = v if kind in ("tpp", "ops") and isinstance(v, str) else checked
        readings = _check_keys(obj.get("readings", {}), schema.READINGS, p + "readings")
        data["readings"] = {}
        for k, v in readings.items():
            if v not in schema.READINGS[k]:
                raise InputError(f"expected one of {', '.join(schema.READINGS[k])}, got {v!r}", field=f"{p}readings.{k}")
            data["readings"][k] = v
        if "questions" in obj:
            if not isinstance(obj["questions"], list):
                raise InputError("expected a list of questions", field=p + "questions")
            data["questions"] = copy.deepcopy(obj["questions"])
        _check_ownership(data["entities"], p)
        if "consignee" in data["transaction"] and data["transaction"]["consignee"] not in data["entities"]:
            data["entities"].setdefault(data["transaction"]["consignee"], {})
        return cls(data)


def _check_ownership(entities: dict, p: str) -> None:
    """Parents must not form a cycle (an input error naming the entities in it).
    Linear in the number of entities: a walk stops at an entity an earlier walk has
    already followed to the top of its chain."""
    done: set = set()
    for start in entities:
        seen = [start]
        at = {start: 0}         # entity -> its place on this walk
        cur = entities[start].get("parent")
        while cur is not None and cur not in done:
            if cur in at:
                cycle = seen[at[cur]:] + [cur]
                raise InputError("ownership cycle: " + " -> ".join(cycle), field=f"{p}entities.{start}.parent")
            at[cur] = len(seen)
            seen.append(cur)
            cur = entities.get(cur, {}).get("parent")
        done.update(seen)
