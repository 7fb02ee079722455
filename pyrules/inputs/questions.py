"""The input that answers a missing fact: the KB names a missing fact by its predicate
('uveu(AcmeCloud)', 'item_designer(1)', 'tier2_allocation_used_tpp'); here is its JSON
path in the scenario and a question in words (used by the answer's
``missing_fact_fields`` and by the web form)."""
from __future__ import annotations

import re

from pyrules.inputs import schema

# The KB's names of missing facts -> the input that answers them.
_TX = {"ship_to": "transaction.to", "ship_from": "transaction.from", "action": "transaction.action",
       "consignee": "transaction.consignee", "purpose": "transaction.purpose",
       "via_distributor": "transaction.via_distributor", "as_of": "date"}
_ITEM_PRED = {"item_tpp": "tpp", "item_die_area": "die_area_mm2", "item_data_center": "data_center",
              "item_designer": "designer", "item_classification": "eccn", "item_eccn": "eccn",
              "item_quantity": "quantity"}


def missing_fact_input(fact: str | dict) -> dict:
    """``{"id", "path", "question"}`` for a missing fact as the KB names it; ``path`` is
    None for rule data that no input can give."""
    if isinstance(fact, dict):      # a richer form of the answer: {"id": ..., ...}
        fact = str(fact.get("id") or fact.get("fact") or fact)
    m = re.fullmatch(r"(\w+)(?:\((.*)\))?", fact.strip())
    name = m.group(1) if m else fact
    argt = [a.strip() for a in m.group(2).split(",")] if m and m.group(2) is not None else []
    num = argt[0] if len(argt) == 1 and argt[0].isdigit() else None
    path = desc = None
    kind = None
    if not argt and name in schema.FACTS:
        path, (kind, desc) = f"facts.{name}", schema.FACTS[name]
    elif not argt and name in _TX:
        path = _TX[name]
        key = path.split(".")[-1]
        kind, desc = schema.TRANSACTION_FIELDS.get(key, ("date", "the date of the transaction"))
    elif len(argt) == 1 and name in schema.ENTITY_FIELDS:
        path, (kind, desc) = f"entities.{argt[0]}.{name}", schema.ENTITY_FIELDS[name]
        desc = desc.replace("the entity", argt[0])
    elif len(argt) == 1 and name in schema.ENTITY_STATUS:
        path, (kind, desc) = f"entities.{argt[0]}.status.{name}", schema.ENTITY_STATUS[name]
        desc = f"{argt[0]}: {desc}"
    elif num is not None and (name in _ITEM_PRED or name in schema.ITEM_FIELDS):
        key = _ITEM_PRED.get(name, name)
        path = f"items[{int(num) - 1}].{key}"
        kind, desc = schema.ITEM_FIELDS[key]
        desc = f"item {num}: {desc}"
    if path is None:
        return {"id": fact, "path": None,
                "question": f"{fact.replace('_', ' ')} (rule data that no input gives: see the notes)"}
    q = f"Is it so that {desc}?" if kind == "bool" else f"Please give {desc}."
    return {"id": fact, "path": path, "question": q}
