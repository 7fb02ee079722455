"""Shared test helpers: a valid base scenario and one-line evaluation."""
from __future__ import annotations

import copy

import pyrules

BASE = {
    "scenario": "base: H100s from the US to a Tier 1 company in Germany",
    "date": "2025-06-01",
    "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "Buyer",
                    "via_distributor": False, "purpose": "data_center"},
    "items": [{"chip": "H100-SXM", "quantity": 100}],
    "entities": {"Buyer": {"located": "DE", "headquartered": "DE"}},
    "facts": {"tier2_allocation_used_tpp": 0},
}


def scenario(**overrides) -> dict:
    """A copy of BASE with top-level sections replaced or merged.

    scenario(to="IN")                 -> transaction.to = IN
    scenario(transaction={...})       -> merged into transaction
    scenario(entities={...})          -> replaces entities
    scenario(items=[...]) / facts={...} / date="..."
    """
    s = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if key == "transaction":
            s["transaction"].update(value)
        elif key == "facts":
            s["facts"].update(value)
        elif key in s or key in ("readings", "questions"):
            s[key] = value
        elif key in ("to", "from", "action", "consignee", "via_distributor", "purpose", "authorization_claimed"):
            s["transaction"][key] = value
        else:
            raise KeyError(key)
    return s


def run(s: dict, **kw) -> pyrules.Determination:
    return pyrules.evaluate(s, **kw)


def auth(d: pyrules.Determination, name: str) -> dict:
    for a in d.authorizations:
        if a["name"] == name.upper():
            return a
    raise AssertionError(f"{name} not considered; considered: {[a['name'] for a in d.authorizations]}")


def failed(d: pyrules.Determination, name: str) -> set[str]:
    return {f["condition"] for f in auth(d, name)["failed_conditions"]}
