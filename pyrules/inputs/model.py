"""The scenario model: validation of the JSON interchange form.

``Scenario.from_dict`` checks every field and raises ``InputError`` naming the
field path (``items[2].quantity``) for anything it cannot accept. It decides no
legal question: a missing fact stays missing, and the knowledge base reports it.
"""

from __future__ import annotations

import copy
import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pyrules.engine import kb
from pyrules.inputs import limits
from pyrules.inputs import schema
from pyrules.inputs.expect import validate_expect
from pyrules.engine.arithmetic import MAX_VALUE
from pyrules.errors import InputError, did_you_mean
from pyrules.inputs.limits import shown

_TOP_KEYS = {
    "scenario",
    "date",
    "transaction",
    "items",
    "entities",
    "facts",
    "readings",
    "questions",
    "view",
    "expect",
}  # expect: a bundled case's expected outcome (checked by the tests), not input


def parse_date(value: Any, where: str) -> int:
    """'YYYY-MM-DD' -> YYYYMMDD."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise InputError(f"expected a date written YYYY-MM-DD, got {shown(value)}", field=where)
    try:
        d = _dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{shown(value)} is not a calendar date", field=where) from None
    return d.year * 10000 + d.month * 100 + d.day


_POWER = re.compile(r"(\d+)\s*\^\s*(\d+)")
_MAX_TEXT = f"{MAX_VALUE:,} (10^{limits.MAX_NUMBER_DIGITS} - 1)"


def _too_large(value: Any, where: str) -> InputError:
    return InputError(f"{shown(value)} is too large; the largest number accepted is {_MAX_TEXT}", field=where)


def parse_big(value: Any, where: str) -> int:
    """An exact non-negative integer from an int or a string such as '26,900,000',
    '1.2e26' or '10^26' (a float or Decimal is read as the number it is written as:
    1e26 is 10^26). At most 10^30 - 1 (``limits``), checked before any big number is
    built, so that no text makes this slow."""
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", field=where)
    if isinstance(value, int):
        n = value
    elif isinstance(value, (float, Decimal)):
        # a float stands for the number it is written as (its shortest repr)
        d = value if isinstance(value, Decimal) else Decimal(repr(value))
        n = _whole(d, value, where)
    elif isinstance(value, str):
        text = value.strip().replace("_", "").replace(",", "")
        if len(text) > limits.MAX_NUMBER_CHARS:
            raise InputError(
                f"a number is written with at most {limits.MAX_NUMBER_CHARS} characters, got {shown(value)}",
                field=where,
            )
        m = _POWER.fullmatch(text)
        if m:
            base, exp = int(m.group(1)), int(m.group(2))
            # the number of digits of base^exp, bounded before it is computed
            if base > 1 and exp * math.log10(base) > limits.MAX_NUMBER_DIGITS + 1:
                raise _too_large(value, where)
            n = base**exp
        else:
            try:
                d = Decimal(text)
            except (InvalidOperation, ValueError):
                raise InputError(f"expected a number, got {shown(value)}", field=where) from None
            n = _whole(d, value, where)
    else:
        raise InputError(f"expected a number, got {shown(value)}", field=where)
    if n < 0:
        raise InputError(f"must not be negative, got {shown(value)}", field=where)
    if n > MAX_VALUE:
        raise _too_large(value, where)
    return n


def _whole(d: Decimal, value: Any, where: str) -> int:
    """The integer value of a Decimal, its size checked before it is computed."""
    if not d.is_finite():
        raise InputError(f"expected a number, got {shown(value)}", field=where)
    if d.is_zero():
        return 0
    if d.adjusted() >= limits.MAX_NUMBER_DIGITS:
        if d < 0:
            raise InputError(f"must not be negative, got {shown(value)}", field=where)
        raise _too_large(value, where)
    if d != d.to_integral_value():
        raise InputError(f"expected a whole number, got {shown(value)}", field=where)
    return int(d)


def _int(value: Any, where: str, maximum: int = schema.MAX_INT, minimum: int = 0) -> int:
    """A whole number within minimum..maximum (written as parse_big reads it)."""
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InputError(f"expected a whole number, got {shown(value)}", field=where)
    if isinstance(value, str) and not value.strip():
        raise InputError("expected a whole number, got an empty text", field=where)
    try:
        n = parse_big(value, where)
    except InputError as exc:
        if not exc.message.startswith(("must not be negative", shown(value) + " is too large")):
            raise
        n = -1 if exc.message.startswith("must not") else maximum + 1
    if n < minimum or n > maximum:
        raise InputError(f"must be between {minimum:,} and {maximum:,}, got {shown(value)}", field=where)
    return n


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"expected true or false, got {shown(value)}", field=where)
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"expected a non-empty name, got {shown(value)}", field=where)
    if not value.isprintable():
        # clingo would cut a name at a NUL (merging "HoldCo\x00x" into "HoldCo"), and a
        # control character (or a line break) would act on the terminal that shows it
        bad = next((c for c in value if unicodedata.category(c) in _REFUSED or c in _BIDI), None)
        if bad is not None:
            what = "the NUL character" if bad == "\x00" else f"the control character {repr(bad)[1:-1]}"
            raise InputError(f"a name cannot contain {what}, got {shown(value)}", field=where)
    return value


# Control characters, line and paragraph separators, lone surrogates.
_REFUSED = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Bidirectional embeddings, overrides and isolates: they reorder the text around a name
# wherever it is shown.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _country_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def country_code(value: Any) -> str | None:
    """The ISO code for a code in any case or a country name from the KB's country list
    ("Vietnam", "viet nam", "vn" -> "VN"; "Iran" for "Iran, Islamic Republic of"), else None."""
    if not isinstance(value, str):
        return None
    known = kb.countries()
    if value.upper() in known:
        return value.upper()
    key = _country_key(value)
    if not key:
        return None
    for code, name in known.items():
        if key in (_country_key(name), _country_key(name.split(",")[0].split("(")[0])):
            return code
    return None


def _country(value: Any, where: str) -> str:
    code = country_code(value)
    if code is None:
        known = kb.countries()
        hint = did_you_mean(value, list(known.values())) if isinstance(value, str) else ""
        raise InputError(
            f"expected an ISO 3166-1 alpha-2 country code or a country name, got {shown(value)}{hint}", field=where
        )
    return code


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
        if not isinstance(value, str) or value not in kb.eccns():
            raise InputError(f"unknown ECCN {shown(value)}; known: {', '.join(sorted(kb.eccns()))}", field=where)
        return value
    if kind == "area":
        if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) < 10:
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= schema.MAX_DIE_AREA_MM2:
            raise InputError(
                f"expected a die area in mm2 between 0 and {schema.MAX_DIE_AREA_MM2:,}, got {shown(value)}", field=where
            )
        return value
    if kind == "authorization":
        kind = "enum:" + "|".join(schema.AUTHORIZATIONS)
    if kind.startswith("enum:"):
        allowed = kind[5:].split("|")
        if not isinstance(value, str) or value not in allowed:
            raise InputError(
                f"expected one of {', '.join(allowed)}, got {shown(value)}{did_you_mean(value, allowed)}", field=where
            )
        return value
    raise AssertionError(f"unknown schema type {kind}")


def _check_keys(obj: Any, allowed, where: str) -> dict:
    if not isinstance(obj, dict):
        raise InputError(f"expected an object, got {type(obj).__name__}", field=where)
    for key in obj:
        if key not in allowed:
            raise InputError(
                f"unknown field {shown(key)}{did_you_mean(key, allowed)}; expected one of {', '.join(sorted(allowed))}",
                field=f"{where}.{key}" if where else key,
            )
    return obj


@dataclass
class Scenario:
    """A validated scenario. ``data`` keeps the JSON form (normalised)."""

    data: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The scenario's title (its "scenario" field)."""
        return self.data.get("scenario", "(unnamed scenario)")

    @property
    def date(self) -> str | None:
        """The transaction date (YYYY-MM-DD), or None when not given."""
        return self.data.get("date")

    def to_dict(self) -> dict:
        """The normalised JSON form (a deep copy)."""
        return copy.deepcopy(self.data)

    def with_changes(self, changes: dict) -> Scenario:
        """A copy with top-level sections replaced (used by what-if tools)."""
        d = self.to_dict()
        d.update(changes)
        return Scenario.from_dict(d)

    @classmethod
    def from_dict(cls, raw: Any, *, where: str = "") -> Scenario:
        obj = _check_keys(raw, _TOP_KEYS, where)
        p = (where + ".") if where else ""
        data: dict = {}
        if "scenario" in obj:
            data["scenario"] = _name(obj["scenario"], p + "scenario")
        if obj.get("date") is not None:
            parse_date(obj["date"], p + "date")
            data["date"] = obj["date"]
        tx = _check_keys(obj.get("transaction", {}), schema.TRANSACTION_FIELDS, p + "transaction")
        data["transaction"] = {
            k: check_value(schema.TRANSACTION_FIELDS[k][0], v, f"{p}transaction.{k}")
            for k, v in tx.items()
            if v is not None
        }
        items = obj.get("items", [])
        if not isinstance(items, list):
            raise InputError("expected a list of item lines", field=p + "items")
        if len(items) > limits.MAX_ITEMS:
            raise InputError(
                f"{len(items):,} item lines; a scenario has at most {limits.MAX_ITEMS:,}", field=p + "items"
            )
        data["items"] = []
        for i, it in enumerate(items):
            w = f"{p}items[{i}]"
            it = _check_keys(it, schema.ITEM_FIELDS, w)
            line = {k: check_value(schema.ITEM_FIELDS[k][0], v, f"{w}.{k}") for k, v in it.items() if v is not None}
            if not ({"chip", "eccn", "tpp", "model_weights"} & line.keys()):
                raise InputError("an item line needs 'chip', 'eccn', 'tpp' or 'model_weights'", field=w)
            if "chip" in line and line["chip"] not in kb.chips():
                raise InputError(
                    f"unknown chip {line['chip']!r}{did_you_mean(line['chip'], kb.chips())}; the catalogue has {', '.join(kb.chips())}; "
                    "or give 'tpp' (and 'die_area_mm2') instead",
                    field=w + ".chip",
                )
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
        if len(ents) > limits.MAX_ENTITIES:
            raise InputError(
                f"{len(ents):,} entities; a scenario has at most {limits.MAX_ENTITIES:,}", field=p + "entities"
            )
        data["entities"] = {}
        for name, e in ents.items():
            w = f"{p}entities.{name}"
            _name(name, w)
            e = _check_keys(e, set(schema.ENTITY_FIELDS) | {"status"}, w)
            ent = {
                k: check_value(schema.ENTITY_FIELDS[k][0], v, f"{w}.{k}")
                for k, v in e.items()
                if k != "status" and v is not None
            }
            if "status" in e:
                st = _check_keys(e["status"], schema.ENTITY_STATUS, w + ".status")
                ent["status"] = {
                    k: check_value(schema.ENTITY_STATUS[k][0], v, f"{w}.status.{k}")
                    for k, v in st.items()
                    if v is not None
                }
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
                raise InputError(
                    f"expected one of {', '.join(schema.READINGS[k])}, got {shown(v)}", field=f"{p}readings.{k}"
                )
            data["readings"][k] = v
        if obj.get("view") is not None:
            # as_written (default) or as_enforced: kb/earlier_controls.lp
            if obj["view"] not in schema.VIEWS:
                raise InputError(f"expected one of {', '.join(schema.VIEWS)}, got {obj['view']!r}", field=p + "view")
            data["view"] = obj["view"]
        if "questions" in obj:
            if not isinstance(obj["questions"], list):
                raise InputError("expected a list of questions", field=p + "questions")
            data["questions"] = copy.deepcopy(obj["questions"])
        if "expect" in obj:
            data["expect"] = copy.deepcopy(validate_expect(obj["expect"], p + "expect"))
        _check_ownership(data["entities"], p)
        _check_described(data, p)
        return cls(data)


def _closest(name: str, names) -> str:
    """' (did you mean ...?)' with the closest described name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.0)
    return f"; the closest described name is {close[0]!r}" if close else "; no other entity is described"


def _check_described(data: dict, p: str) -> None:
    """A transaction moves at least one item line, and every entity it names is described.

    A missing fact must never read as "no licence": a scenario with no item lines would
    answer "no licence required" for want of anything to judge, and a consignee or parent
    named but not described would silently become an entity about which nothing is known
    (most often a misspelling). Both are input errors naming the field. A scenario about
    a computing service rather than items (red flag 28: facts.iaas_provider or
    facts.planned_training_ops) needs no line; nor does a bare question with no action
    (say, a destination's tier), which is indeterminate for want of the action anyway.
    """
    service = {"iaas_provider", "planned_training_ops"} & data["facts"].keys()
    if not data["items"] and "action" in data["transaction"] and not service:
        raise InputError(
            "the scenario lists no item lines; give at least one (a 'chip', 'eccn', 'tpp' "
            "or 'model_weights' line), or, for a computing service, facts.iaas_provider",
            field=p + "items",
        )
    entities = data["entities"]
    consignee = data["transaction"].get("consignee")
    if consignee is not None and consignee not in entities:
        raise InputError(
            f"the consignee {consignee!r} is not described under 'entities'" + _closest(consignee, entities),
            field=p + "transaction.consignee",
        )
    for name, ent in entities.items():
        parent = ent.get("parent")
        if parent is not None and parent not in entities:
            raise InputError(
                f"the parent {parent!r} is not described under 'entities'"
                + _closest(parent, [n for n in entities if n != name]),
                field=f"{p}entities.{name}.parent",
            )


def _check_ownership(entities: dict, p: str) -> None:
    """Parents must not form a cycle (an input error naming the entities in it), and a
    chain of parents has at most ``limits.MAX_OWNERSHIP_DEPTH`` links. Each entity is
    visited once: linear in the number of entities."""
    depth: dict[str, int] = {}  # links above an entity whose chain is known
    for start in entities:
        if start in depth:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        cur = start
        while cur is not None and cur not in depth:
            if cur in on_path:
                cycle = path[on_path[cur] :] + [cur]
                raise InputError("ownership cycle: " + " -> ".join(cycle), field=f"{p}entities.{start}.parent")
            on_path[cur] = len(path)
            path.append(cur)
            cur = entities.get(cur, {}).get("parent")
        above = -1 if cur is None else depth[cur]
        for name in reversed(path):
            above += 1
            depth[name] = above
            if above > limits.MAX_OWNERSHIP_DEPTH:
                raise InputError(
                    f"the chain of parents above {name} has more than {limits.MAX_OWNERSHIP_DEPTH} "
                    "links (the longest accepted)",
                    field=f"{p}entities.{name}.parent",
                )


def apply_readings(scenario, readings: list[str]):
    """The scenario with the readings chosen on the command line (TOPIC=CHOICE each)."""
    if not readings:
        return scenario
    chosen = dict(scenario.data.get("readings", {}))
    for r in readings:
        topic, _, choice = r.partition("=")
        if topic not in schema.READINGS or choice not in schema.READINGS[topic]:
            hint = (
                did_you_mean(choice, schema.READINGS[topic])
                if topic in schema.READINGS
                else did_you_mean(topic, schema.READINGS)
            )
            raise InputError(f"unknown reading {r!r}{hint}; run 'pyrules readings'", field="--reading")
        chosen[topic] = choice
    return scenario.with_changes({"readings": chosen})


def apply_view(scenario, view):
    """The scenario with the view the command line chose (None: its own, or as_written)."""
    return scenario if not view else scenario.with_changes({"view": view})
