"""The input interface between scenarios and the knowledge base, declared once.

Each scenario field has a type; ``pyrules.facts`` turns typed values into clingo
symbols for the input predicates documented in ``kb/input.lp``. Adding a fact the
rule needs means adding one line here and using it in ``kb/``.

Types:
  bool   -> true | false              (clingo constants)
  tpp    -> n(L4,L3,L2,L1,L0)          (exact big number, kb/arithmetic.lp)
  ops    -> n(...)                     (training operations; accepts "1.2e26", "10^26")
  int    -> integer within 0..2^31-1
  name   -> string                     (entity, model or chip name)
  country-> string, an ISO 3166-1 alpha-2 code known to the knowledge base
  date   -> integer YYYYMMDD
  enum:a|b|c -> constant, one of the listed values
"""
from __future__ import annotations

ACTIONS = ("export", "reexport", "in_country_transfer", "deemed_export", "deemed_reexport")
PURPOSES = ("data_center", "development", "production", "storage", "training", "research", "other")
AUTHORIZATIONS = ("AIA", "ACM", "LPP", "NAC", "ACA", "UVEU", "NVEU")

# transaction fields: name -> (type, predicate, description)
TRANSACTION_FIELDS: dict[str, tuple[str, str]] = {
    "action": ("enum:" + "|".join(ACTIONS), "the kind of transaction"),
    "from": ("country", "country the item leaves (for an in-country transfer, the country)"),
    "to": ("country", "destination country"),
    "consignee": ("name", "the ultimate consignee (an entity described under 'entities')"),
    "via_distributor": ("bool", "whether the items pass through a distributor"),
    "purpose": ("enum:" + "|".join(PURPOSES), "what the items are for"),
    "authorization_claimed": ("enum:" + "|".join(AUTHORIZATIONS), "the authorization the exporter relies on"),
}

ENTITY_FIELDS: dict[str, tuple[str, str]] = {
    "located": ("country", "where the entity is located"),
    "headquartered": ("country", "where the entity is headquartered"),
    "parent": ("name", "the entity's direct parent (absent or null: it has none)"),
}

# Entity status flags (entity_status(E, Name, Value)).
ENTITY_STATUS: dict[str, tuple[str, str]] = {
    "approved_ic_designer": ("bool", "listed in Supp. No. 6 to part 740 as an approved IC designer"),
    "reports_under_743_9": ("bool", "its transactions are subject to the 743.9 foundry reporting"),
    "applied_for_approval": ("bool", "an authorized IC designer that applied for approved status by the deadline"),
    "private_sector": ("bool", "a private-sector end user (740.28)"),
}

# Item fields. "quantity" and one of chip / eccn / tpp / model_weights identify a line.
ITEM_FIELDS: dict[str, tuple[str, str]] = {
    "chip": ("name", "a chip from the catalogue (kb/items.lp)"),
    "eccn": ("eccn", "the ECCN the exporter classified the item under"),
    "tpp": ("int", "total processing performance per unit"),
    "die_area_mm2": ("area", "applicable die area in mm2 (for performance density)"),
    "quantity": ("int", "number of units"),
    "data_center": ("bool", "designed or marketed for use in a data center"),
    "designer": ("name", "the IC designer (an entity)"),
    "memory_bandwidth_gbps": ("int", "memory bandwidth in GB/s (NAC notification)"),
    "model_weights": ("name", "a model whose weights are exported (ECCN 4E091 analysis)"),
}

# Scenario facts (fact(Name, Value)).
FACTS: dict[str, tuple[str, str]] = {
    "tier2_allocation_used_tpp": ("tpp", "TPP already counted against the destination's Tier 2 allocation"),
    "government_assurances": ("bool", "the destination gave government-to-government assurances"),
}

# Readings of ambiguous provisions: topic -> allowed choices (first is the default).
READINGS: dict[str, tuple[str, ...]] = {
    "tier_overlap": ("unresolved", "tier3_prevails", "tier1_prevails"),
    "allocation_exhaustion": ("shipment_fits", "used_below"),
}

MAX_INT = 2**31 - 1
MAX_QUANTITY = 100_000_000
MAX_UNIT_TPP = 2_000_000
MAX_DIE_AREA_MM2 = 100_000
