"""Turn a validated scenario into the input facts of the knowledge base.

Every user value enters clingo as a symbol (``Function``, ``String``, ``Number``),
never as program text. The predicates are documented in ``kb/input.lp``.
"""
from __future__ import annotations

from clingo import Function, Number, String, Symbol

from . import schema
from .arithmetic import big
from .model import Scenario, parse_big, parse_date

TRUE, FALSE = Function("true"), Function("false")


def _bool(b: bool) -> Symbol:
    return TRUE if b else FALSE


def value_symbol(kind: str, value) -> Symbol:
    """The clingo symbol for a value of a schema type."""
    if kind == "bool":
        return _bool(value)
    if kind in ("tpp", "ops"):
        return big(parse_big(value, ""))
    if kind == "int":
        return Number(value)
    if kind in ("name", "country", "eccn"):
        return String(value)
    if kind == "date":
        return Number(parse_date(value, ""))
    if kind.startswith("enum:"):
        return Function(value)
    if kind == "area":
        return Number(int(round(value * 10)))
    raise AssertionError(kind)


def F(name: str, *args: Symbol) -> Symbol:
    return Function(name, list(args))


def scenario_facts(s: Scenario, as_of: str | None = None) -> list[Symbol]:
    """The input facts for one scenario. ``as_of`` overrides the scenario's date."""
    d = s.data
    out: list[Symbol] = []
    date = as_of or d.get("date")
    if date:
        out.append(F("as_of", Number(parse_date(date, "date"))))
    tx = d.get("transaction", {})
    preds = {"action": "action", "from": "ship_from", "to": "ship_to", "consignee": "consignee",
             "via_distributor": "via_distributor", "purpose": "purpose",
             "authorization_claimed": "claimed_authorization"}
    for key, value in tx.items():
        if key == "authorization_claimed":      # the KB names authorizations in lower case
            out.append(F(preds[key], Function(value.lower())))
            continue
        out.append(F(preds[key], value_symbol(schema.TRANSACTION_FIELDS[key][0], value)))
    for name, e in d.get("entities", {}).items():
        E = String(name)
        out.append(F("entity", E))
        for key in ("located", "headquartered", "parent"):
            if key in e:
                out.append(F(key, E, String(e[key])))
        for key, value in e.get("status", {}).items():
            out.append(F("entity_status", E, Function(key), value_symbol(schema.ENTITY_STATUS[key][0], value)))
    core = {"chip": "item_chip", "eccn": "item_eccn", "tpp": "item_tpp", "quantity": "item_quantity",
            "die_area_mm2": "item_die_area", "data_center": "item_data_center", "designer": "item_designer"}
    for i, it in enumerate(d.get("items", []), start=1):
        I = Number(i)
        out.append(F("item", I))
        for key, value in it.items():
            sym = value_symbol(schema.ITEM_FIELDS[key][0], value)
            if key in core:
                out.append(F(core[key], I, sym))
            elif key == "model_weights":
                out.append(F("item_model", I))
                out.append(F("item_model_name", I, sym))
            else:
                out.append(F("item_fact", I, Function(key), sym))
    for key, value in d.get("facts", {}).items():
        out.append(F("fact", Function(key), value_symbol(schema.FACTS[key][0], value)))
    for topic, choice in d.get("readings", {}).items():
        out.append(F("chosen_reading", Function(topic), Function(choice)))
    return out
