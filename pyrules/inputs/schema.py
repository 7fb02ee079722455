"""The input interface between scenarios and the knowledge base, declared once.

Every input is one entry below: its place in the JSON form, its type, and a plain
description; its KB predicate is the section's (``fact/2``, ``entity_status/3``,
``item_fact/3``) unless ``PREDICATES`` names another, its unit follows from its type
unless ``UNITS`` names one, and its ledger column from ``LEDGER_COLUMNS``. ``INPUTS``
is the resulting table (one ``Input`` per field); from it come the fact mapping
(``pyrules.facts``), explain's input labels, the consistency checker's search space
and its picks -> facts rules, whatif's changeable facts, the ledger's columns, the
JSON Schema (``json_schema()``) and docs/fields.md. ``field_path`` maps a missing
fact the KB names back to its field. Adding an input the rule needs means adding one
line here and the KB rules that use it.

Nothing legal is listed here: the authorizations and the readings (with their
alternatives and defaults) are read from the knowledge base (``pyrules.kb``);
``AUTHORIZATIONS`` and ``READINGS`` remain as names for them.

Types:
  bool   -> true | false              (clingo constants)
  tpp    -> n(L4,L3,L2,L1,L0)          (exact big number, kb/arithmetic.lp)
  ops    -> n(...)                     (training operations; accepts "1.2e26", "10^26")
  int    -> integer within 0..2^31-1
  name   -> string                     (entity, model or chip name)
  country-> string, an ISO 3166-1 alpha-2 code known to the knowledge base (any case),
            or a country name from its list ("Vietnam"); read as the code
  date   -> integer YYYYMMDD
  enum:a|b|c -> constant, one of the listed values
  authorization -> constant, an authorization the KB declares (AIA in JSON, aia in the KB)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from pyrules.engine import kb

ACTIONS = ("export", "reexport", "in_country_transfer", "deemed_export", "deemed_reexport")
PURPOSES = ("data_center", "development", "production", "storage", "training", "research", "other")

# transaction fields: name -> (type, predicate, description)
TRANSACTION_FIELDS: dict[str, tuple[str, str]] = {
    "action": ("enum:" + "|".join(ACTIONS), "the kind of transaction"),
    "from": ("country", "country the item leaves (for an in-country transfer, the country)"),
    "to": ("country", "destination country"),
    "consignee": ("name", "the ultimate consignee (an entity described under 'entities')"),
    "via_distributor": ("bool", "whether the items pass through a distributor"),
    "purpose": ("enum:" + "|".join(PURPOSES), "what the items are for"),
    "authorization_claimed": ("authorization", "the authorization the exporter relies on"),
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
    "applied_for_approval": (
        "bool",
        "Note 1 to 3A090.a: the IC designer has applied for approved status (Supp. No. 6 to part 740)",
    ),
    "applied_for_approval_on": (
        "date",
        "Note 1 to 3A090.a (3): the date it applied; its authorized status ceases 180 days later",
    ),
    "private_sector": ("bool", "a private-sector end user (740.28)"),
    "approved_osat": ("bool", "Note 1 to 3A090.a: an approved OSAT company (Supp. No. 7 to part 740)"),
    # Data center VEU, 15 CFR 748.15 (kb/data_center_veu.lp)
    "uveu": ("bool", "748.15: listed as a universal validated end user (UVEU)"),
    "nveu": ("bool", "748.15: listed as a national validated end user (NVEU)"),
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
    "dram_bandwidth_gbps": (
        "int",
        "total DRAM bandwidth in GB/s (742.6(b)(10)(iii)(A)(1), 91 FR 1684; "
        "catalogue chips have it in kb/later_amendments.lp)",
    ),
    "model_weights": ("name", "a model whose weights are exported (ECCN 4E091 analysis)"),
    # ECCN 4E091 model weights (kb/model_weights.lp)
    "training_ops": ("ops", "4E091: operations used to train the model, counted as the ECCN counts them"),
    "published": ("bool", "4E091: the weights are published (15 CFR 734.7(a))"),
    "derived_from_published": ("bool", "4E091: the model was trained starting from published weights"),
    "added_training_ops": ("ops", "4E091: operations added in training on top of the published weights"),
    "synthetic_data_share_percent": (
        "int",
        "4E091 Technical Note 3: percent of the training operations spent on unpublished synthetic data from one generating model (the largest such)",
    ),
    "synthetic_generator_ops": ("ops", "4E091 Technical Note 3: the training operations of that generating model"),
    # Subject to the EAR and the FDP rules (kb/foreign_direct_product.lp)
    "foreign_produced": ("bool", "made (or, for weights, trained) outside the United States"),
    "trained_on_ear_ics": ("bool", "734.9(l): produced on a plant subject to the EAR specified in 3A090.a/4A090.a/.z"),
    "us_technology_direct_product": ("bool", "734.9(h): a direct product of specified U.S. technology or software"),
    "us_technology_plant_product": (
        "bool",
        "734.9(h): made by a plant (or major component) that is such a direct product",
    ),
    "mask_or_die_technology": ("bool", "734.9(h): the line is technology for producing a mask or an IC wafer or die"),
    "developer": ("name", "734.9(h): the entity that developed the technology"),
    # Foundry presumption, Note 1 to 3A090.a (kb/ic_designers.lp)
    "process_node_nm": (
        "int",
        "Note 1 to 3A090.a: the process node (nm) a logic IC is made at (16/14 nm or below: presumption)",
    ),
    "non_planar": ("bool", "Note 1 to 3A090.a: the logic IC uses a non-planar transistor architecture"),
    "transistor_count_millions": (
        "int",
        "Note 1 to 3A090.a: attested aggregated approximated transistor count, in millions",
    ),
    "hbm": ("bool", "Note 1 to 3A090.a: the final packaged IC contains high-bandwidth memory"),
    "attestation": (
        "enum:designer|fabricator|osat|none",
        "Note 1 to 3A090.a: who attests to rebut the foundry presumption",
    ),
    "attested_by": ("name", "Note 1 to 3A090.a: the front-end fabricator or OSAT that attests (an entity)"),
    # De minimis U.S. content, 15 CFR 734.4 (kb/foreign_direct_product.lp)
    "us_content": (
        "bool",
        "734.4: the foreign-made item incorporates (or is commingled with) controlled U.S.-origin content",
    ),
    "us_controlled_content_percent": (
        "int",
        "734.4: value of that content as a percentage of the item's value (Supp. No. 2 to part 734), rounded up",
    ),
}

# Scenario facts (fact(Name, Value)).
FACTS: dict[str, tuple[str, str]] = {
    "tier2_allocation_used_tpp": ("tpp", "TPP already counted against the destination's Tier 2 allocation"),
    "government_assurances": ("bool", "the destination gave government-to-government assurances"),
    # 4E091 and red flag 28 (kb/model_weights.lp, kb/red_flags.lp)
    "recipient_permanent_regular_employee": (
        "bool",
        "742.6(a)(13): the deemed export recipient is a permanent regular employee of the consignee",
    ),
    "employee_located": (
        "country",
        "742.6(a)(13): where the permanent regular employee receives the weights (a deemed export: the United States)",
    ),
    "iaas_provider": ("bool", "red flag 28: the exporter provides IaaS or other computing services to the consignee"),
    "planned_training_ops": ("ops", "red flag 28: operations the customer's model is to be trained with"),
    # Foundry presumption, Note 1 to 3A090.a (kb/ic_designers.lp)
    "exporter_role": (
        "enum:front_end_fabricator|osat|other",
        "Note 1 to 3A090.a: the exporter is a front-end fabricator, an OSAT company, or neither",
    ),
    # License Exceptions AIA, ACM, LPP (15 CFR 740.27-740.29)
    "eccn_furnished": ("bool", "AIA: the exporter gave the ultimate consignee the ECCN of the chips"),
    "aia_certification_obtained": ("bool", "AIA: the ultimate consignee's prior certification was obtained"),
    "storage_security_measures": ("bool", "AIA for 4E091: stored under Supp. No. 10 to part 748 paras 14, 15, 18"),
    "ultimately_destined_outside_tier3": (
        "bool",
        "ACM: the items are ultimately destined for customers outside Tier 3",
    ),
    "lpp_prior_shipments_tpp": (
        "tpp",
        "LPP: TPP already shipped to this ultimate consignee under LPP this calendar year",
    ),
    "lpp_operator": (
        "name",
        "LPP 740.29(a): the entity (described under 'entities') that will operate the items, whose limit the shipment counts against",
    ),
    "ultimate_destination": (
        "country",
        "ACM / ACA: the country the items are ultimately destined for, onward from the consignee, when known",
    ),
    "lpp_certification_obtained": ("bool", "LPP: the ultimate consignee's prior certification was obtained"),
    # License Exception NAC, 15 CFR 740.8(a) (kb/exception_nac_aca.lp)
    "nac_notification_submitted": ("bool", "NAC: BIS was notified of the transaction beforehand"),
    "nac_notification_complete": (
        "bool",
        "NAC: the notification gave past-12-month approvals, memory bandwidth and aggregation intent",
    ),
    "nac_bis_no_objection": ("bool", "NAC: BIS did not object within its review period"),
    # Data center VEU, 15 CFR 748.15 (kb/data_center_veu.lp)
    "data_center_owner_and_operator_veu": (
        "bool",
        "VEU: both the data center's owner and its operator hold VEU authorizations",
    ),
    "uveu_site_listed": ("bool", "UVEU: the receiving data center is listed in the UVEU authorization"),
    "uveu_site_notified": ("bool", "UVEU: BIS was notified of the (new) data center"),
    "uveu_site_notified_on": ("date", "UVEU: the date BIS was notified of the new data center"),
    "uveu_total_compute_tpp": (
        "tpp",
        "UVEU: TPP of 3A090.a-level chips of the company group worldwide, before this shipment",
    ),
    "uveu_tier2_compute_tpp": ("tpp", "UVEU: of which in Tier 2 countries, before this shipment"),
    "uveu_country_compute_tpp": ("tpp", "UVEU: of which in the destination country, before this shipment"),
    "uveu_outside_us_compute_tpp": ("tpp", "UVEU: of which outside the United States, before this shipment"),
    "nveu_country": ("country", "NVEU: the country the NVEU authorization is for"),
    # Limits shared by every authorization and the hosted customer (kb/exception_scope.lp)
    "part744_end_use": (
        "enum:none|section_744_23|section_744_6",
        "a known part 744 end use or end user: 744.23 (advanced computing, semiconductors) or 744.6 (U.S.-person activities); none if none",
    ),
    "hosted_customer": (
        "name",
        "AIA 740.27(b)(2) / Supp. No. 10 to part 748: the party the consignee hosts on the items (IaaS), an entity described under 'entities'",
    ),
    "hosted_training_ops": (
        "ops",
        "AIA / Supp. No. 10: operations of the training the hosted customer runs on the items",
    ),
    "nveu_installed_tpp": (
        "tpp",
        "NVEU: the company's installed base in that country (TPP of 3A090.a-level chips), before this shipment",
    ),
}


# The views of the law (kb/earlier_controls.lp, view_option/2); the first is the default.
VIEWS = tuple(kb.views())

MAX_INT = 2**31 - 1
MAX_QUANTITY = 100_000_000
MAX_UNIT_TPP = 2_000_000
MAX_DIE_AREA_MM2 = 100_000


# ---------------------------------------------------------------------------
# Missing facts -> the question that asks for them.
#
# The knowledge base names a missing fact by a symbol (``ship_to``,
# ``headquartered("HoldCo")``, ``item_designer(1)``, ``tier2_allocation_used_tpp``);
# ``field_path`` (below) finds the input that answers it from INPUTS, the one
# mapping between KB predicates and scenario fields. This table words the question
# each field answers ({e}: the entity, {n}: the item line), keyed by the field's
# path in INPUTS, or by the KB's name for a missing fact named after no one field
# (MISSING_ALIASES). A field not listed is asked as "Not given: <its description>".
QUESTIONS: dict[str, str] = {
    "transaction.action": "What kind of transaction is it (export, reexport, in-country transfer, deemed export)?",
    "transaction.to": "To which country are the items going?",
    "transaction.from": "From which country do the items leave?",
    "transaction.consignee": "Who is the ultimate consignee?",
    "transaction.via_distributor": "Do the items pass through a distributor?",
    "transaction.purpose": "What are the items for?",
    "date": "On what date is the transaction made?",
    "entities.NAME.located": "Where is {e} located?",
    "entities.NAME.headquartered": "Where is {e} headquartered?",
    "items[i].tpp": "What is the total processing performance (TPP) per unit of item {n}?",
    "items[i].die_area_mm2": "What is the applicable die area (mm2) of item {n}?",
    "items[i].designer": "Who designed the integrated circuit of item {n}?",
    "facts.tier2_allocation_used_tpp": "How much TPP is already counted against the destination's Tier 2 allocation?",
    "facts.government_assurances": "Has the destination given government-to-government assurances?",
    "facts.recipient_permanent_regular_employee": "Is the recipient of the deemed export a permanent regular employee of the consignee?",
    "facts.iaas_provider": "Does the exporter provide IaaS or other computing services to the consignee?",
    "facts.planned_training_ops": "With how many operations is the customer's model to be trained?",
    "facts.eccn_furnished": "Did the exporter give the ultimate consignee the ECCN of the chips?",
    "facts.aia_certification_obtained": "Was the ultimate consignee's prior certification (AIA) obtained?",
    "facts.storage_security_measures": "Are the model weights stored under the security measures of Supp. No. 10 to part 748?",
    "facts.ultimately_destined_outside_tier3": "Are the items ultimately destined for customers outside Tier 3?",
    "facts.lpp_prior_shipments_tpp": "How much TPP was already shipped to this consignee under LPP this calendar year?",
    "facts.lpp_certification_obtained": "Was the ultimate consignee's prior certification (LPP) obtained?",
    "facts.nac_notification_submitted": "Was BIS notified of the transaction beforehand (NAC)?",
    "facts.nac_notification_complete": "Did the NAC notification give the past-12-month approvals, memory bandwidth and aggregation intent?",
    "facts.nac_bis_no_objection": "Did BIS let its review period pass without objecting?",
    "facts.data_center_owner_and_operator_veu": "Do both the data center's owner and its operator hold VEU authorizations?",
    "facts.uveu_site_listed": "Is the receiving data center listed in the UVEU authorization?",
    "facts.uveu_site_notified": "Was BIS notified of the (new) data center?",
    "facts.uveu_site_notified_on": "On what date was BIS notified of the new data center?",
    "facts.uveu_total_compute_tpp": "How much 3A090.a-level compute (TPP) does the company group hold worldwide, before this shipment?",
    "facts.uveu_tier2_compute_tpp": "How much of it is in Tier 2 countries?",
    "facts.uveu_country_compute_tpp": "How much of it is in the destination country?",
    "facts.uveu_outside_us_compute_tpp": "How much of it is outside the United States?",
    "facts.nveu_country": "For which country is the NVEU authorization?",
    "facts.nveu_installed_tpp": "How much 3A090.a-level compute (TPP) does the company already have installed in that country?",
    "entities.NAME.status.approved_ic_designer": "Is {e} an approved IC designer (Supp. No. 6 to part 740)?",
    "entities.NAME.status.reports_under_743_9": "Are {e}'s transactions subject to the 743.9 foundry reporting?",
    "entities.NAME.status.applied_for_approval": "Did {e} apply for approved IC designer status by the deadline?",
    "entities.NAME.status.private_sector": "Is {e} a private-sector end user?",
    "entities.NAME.status.uveu": "Is {e} a universal validated end user (UVEU)?",
    "entities.NAME.status.nveu": "Is {e} a national validated end user (NVEU)?",
    "items[i].data_center": "Is item {n} designed or marketed for use in a data center?",
    "items[i].training_ops": "How many operations were used to train the model of item {n}?",
    "items[i].published": "Are the weights of item {n} published?",
    "items[i].derived_from_published": "Was the model of item {n} trained starting from published weights?",
    "items[i].added_training_ops": "How many operations were added on top of the published weights (item {n})?",
    "items[i].foreign_produced": "Was item {n} made (or, for weights, trained) outside the United States?",
    "items[i].trained_on_ear_ics": "Was item {n} produced on a plant subject to the EAR (734.9(l))?",
    "items[i].us_technology_direct_product": "Is item {n} a direct product of specified U.S. technology or software (734.9(h))?",
    "items[i].us_technology_plant_product": "Was item {n} made by a plant that is such a direct product (734.9(h))?",
    "items[i].developer": "Who developed the technology of item {n}?",
    "ic_designer_status": "Is {e} an approved IC designer, or an authorized one (its transactions reported under 743.9, approval applied for)?",
    "item_classification": "Which ECCN is item {n} classified under (its stated ECCN and its specifications disagree)?",
}


# ---------------------------------------------------------------------------
# What the parties themselves can change, and at what cost (pyrules whatif's
# default when a question names nothing to change). Paperwork the exporter or
# consignee can do costs least; reshaping the deal (distributor, quantity) more.
# Not listed, so never changed by default: the destination, a party's headquarters
# or location, a listing or decision by BIS, and the date (a transaction cannot be
# moved into the past); name them in the question to ask about them.
PARTY_CHANGES: dict[str, int] = {
    "eccn_furnished": 1,
    "aia_certification_obtained": 1,
    "lpp_certification_obtained": 1,
    "storage_security_measures": 1,
    "nac_notification_submitted": 1,
    "nac_notification_complete": 1,
    "uveu_site_notified": 1,
    "via_distributor": 2,
    "quantity": 2,
}
# --------------------------------------------------------------------------- the table
# KB predicate of each field that is not its section's default (see INPUTS).
PREDICATES: dict[str, str] = {
    "date": "as_of/1",
    "transaction.action": "action/1",
    "transaction.from": "ship_from/1",
    "transaction.to": "ship_to/1",
    "transaction.consignee": "consignee/1",
    "transaction.via_distributor": "via_distributor/1",
    "transaction.purpose": "purpose/1",
    "transaction.authorization_claimed": "claimed_authorization/1",
    "entities.NAME.located": "located/2",
    "entities.NAME.headquartered": "headquartered/2",
    "entities.NAME.parent": "parent/2",
    "items[i].chip": "item_chip/2",
    "items[i].eccn": "item_eccn/2",
    "items[i].tpp": "item_tpp/2",
    "items[i].die_area_mm2": "item_die_area/2",
    "items[i].quantity": "item_quantity/2",
    "items[i].data_center": "item_data_center/2",
    "items[i].designer": "item_designer/2",
    "items[i].model_weights": "item_model_name/2",  # and item_model/1
}
# A second fact some fields give: the line is model weights.
ALSO: dict[str, str] = {"items[i].model_weights": "item_model/1"}
# The default predicate of each section: the field's name is its first argument after
# the entity or the item line.
SECTION_PREDICATES = {"status": "entity_status/3", "item": "item_fact/3", "fact": "fact/2"}

# Units: by type, and for the whole numbers that are not counts of units.
TYPE_UNITS = {
    "tpp": "TPP",
    "ops": "operations",
    "area": "mm2 (tenths of mm2 in the KB)",
    "date": "YYYY-MM-DD (YYYYMMDD in the KB)",
    "int": "",
    "bool": "",
    "name": "",
    "country": "ISO 3166-1 alpha-2",
    "eccn": "",
    "authorization": "",
}
UNITS: dict[str, str] = {
    "items[i].tpp": "TPP per unit",
    "items[i].quantity": "units",
    "items[i].memory_bandwidth_gbps": "GB/s",
}

# Ledger (CSV) columns: column -> field. Item columns go to the row's one item line,
# "consignee_*" to the consignee; fact.NAME and status.NAME reach every fact and flag.
LEDGER_COLUMNS: dict[str, str] = {
    "action": "transaction.action",
    "from": "transaction.from",
    "to": "transaction.to",
    "consignee": "transaction.consignee",
    "authorization": "transaction.authorization_claimed",
    "via_distributor": "transaction.via_distributor",
    "purpose": "transaction.purpose",
    "consignee_located": "entities.NAME.located",
    "consignee_headquartered": "entities.NAME.headquartered",
    "consignee_parent": "entities.NAME.parent",
    "chip": "items[i].chip",
    "eccn": "items[i].eccn",
    "tpp": "items[i].tpp",
    "die_area_mm2": "items[i].die_area_mm2",
    "quantity": "items[i].quantity",
    "data_center": "items[i].data_center",
    "designer": "items[i].designer",
}


@dataclass(frozen=True)
class Input:
    """One input: where it is in the JSON form and what the KB receives."""

    section: str  # date | transaction | entity | status | item | fact
    key: str  # the field's name in its section
    path: str  # JSON path, NAME = an entity's name, i = an item line (from 0)
    kind: str  # schema type (see above)
    predicate: str  # KB predicate name/arity (kb/input.lp)
    unit: str
    description: str
    also: str = ""  # a second predicate the field gives (ALSO)

    @property
    def pred_name(self) -> str:
        return self.predicate.split("/")[0]

    @property
    def keyed(self) -> bool:
        """The KB predicate takes the field's name as an argument (fact/2, item_fact/3, ...)."""
        return self.predicate in SECTION_PREDICATES.values()

    def concrete_path(self, entity: str | None = None, item: int | None = None) -> str:
        """The path for one entity (its name) or one item line (KB number, from 1)."""
        p = self.path
        if entity is not None:
            p = p.replace("NAME", entity)
        if item is not None:
            p = p.replace("[i]", f"[{item - 1}]")
        return p


_SECTIONS = (  # section, the dict, path prefix
    ("transaction", "TRANSACTION_FIELDS", "transaction."),
    ("entity", "ENTITY_FIELDS", "entities.NAME."),
    ("status", "ENTITY_STATUS", "entities.NAME.status."),
    ("item", "ITEM_FIELDS", "items[i]."),
    ("fact", "FACTS", "facts."),
)


def _inputs() -> tuple[Input, ...]:
    out = [
        Input(
            "date",
            "date",
            "date",
            "date",
            PREDICATES["date"],
            TYPE_UNITS["date"],
            "the date the transaction is judged on",
        )
    ]
    for section, attr, prefix in _SECTIONS:
        for key, (kind, text) in globals()[attr].items():
            path = prefix + key
            pred = PREDICATES.get(path) or SECTION_PREDICATES[section]
            unit = UNITS.get(path, TYPE_UNITS.get(kind, ""))
            out.append(Input(section, key, path, kind, pred, unit, text, ALSO.get(path, "")))
    return tuple(out)


INPUTS: tuple[Input, ...] = _inputs()
BY_PATH: dict[str, Input] = {i.path: i for i in INPUTS}


@functools.cache
def by_section(section: str) -> dict[str, Input]:
    """The inputs of one section (date, transaction, entity, status, item, fact) by key."""
    return {i.key: i for i in INPUTS if i.section == section}


# Missing facts the KB names after no one field: the field that answers them.
MISSING_ALIASES: dict[str, str] = {
    "item_classification": "items[i].eccn",  # the stated ECCN and the specifications disagree
    "ic_designer_status": "entities.NAME.status.approved_ic_designer",
    "item_dram_bandwidth": "items[i].dram_bandwidth_gbps",  # 742.6(b)(10)(iii)(A)(1), kb/later_amendments.lp
}


def _parts(missing) -> tuple[str, str | None, int | None, list[str]] | None:
    """A missing fact (a clingo symbol or its text) as (name, entity, item line, argument texts)."""
    import clingo

    if isinstance(missing, str):  # as the answer writes it: headquartered(HoldCo), item_tpp(1)
        m = re.fullmatch(r"\s*([a-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*", missing)
        if not m:
            return None
        args = [a.strip().strip('"') for a in m.group(2).split(",")] if m.group(2) else []
        item = next((int(a) for a in args if a.isdigit()), None)
        entity = next((a for a in args if not a.isdigit()), None)
        return m.group(1), entity, item, args
    if missing.type != clingo.SymbolType.Function:
        return None
    syms = list(missing.arguments)
    entity = next(
        (
            a.string if a.type == clingo.SymbolType.String else a.name
            for a in syms
            if a.type == clingo.SymbolType.String or (a.type == clingo.SymbolType.Function and not a.arguments)
        ),
        None,
    )
    item = next((a.number for a in syms if a.type == clingo.SymbolType.Number), None)
    texts = [a.string if a.type == clingo.SymbolType.String else str(a) for a in syms]
    return missing.name, entity, item, texts


def _answering_input(name: str, entity: str | None, item: int | None) -> Input | None:
    """The input whose field answers the missing fact ``name`` (about an entity, an item line or neither)."""
    if name in MISSING_ALIASES:
        return BY_PATH[MISSING_ALIASES[name]]
    sections = (
        ("item",)
        if item is not None
        else ("entity", "status")
        if entity is not None
        else ("date", "transaction", "fact")
    )
    for inp in INPUTS:
        if inp.section in sections and name in (inp.pred_name, inp.key) and not (inp.keyed and name != inp.key):
            return inp
    return None


def field_path(missing) -> str | None:
    """The JSON field behind a missing fact the KB names (``missing_fact/1``, the third
    argument of ``undecided/3``), e.g. ``headquartered("HoldCo")`` ->
    ``entities.HoldCo.headquartered``, ``item_tpp(1)`` -> ``items[0].tpp``,
    ``lpp_prior_shipments_tpp`` -> ``facts.lpp_prior_shipments_tpp``. Accepts a clingo
    symbol or its text; None when the name is no field (e.g. a derived quantity)."""
    parts = _parts(missing)
    if parts is None:
        return None
    name, entity, item, _ = parts
    inp = _answering_input(name, entity, item)
    if inp is not None:
        return inp.concrete_path(entity, item)
    if item is not None and name.startswith("item_") and len(str(item)) < 5:
        return f"items[{item - 1}]"  # about the line as a whole
    return None


def missing_fact_field(missing) -> tuple[str | None, str]:
    """The scenario field that answers a missing fact the KB names, and the question in words.

    ``missing`` is the clingo symbol of ``missing_fact(F)`` or ``undecided(A, C, F)``
    (or its text). Returns ``(field path or None, question)``; the field is found as
    ``field_path`` finds it, None when no input field answers it (e.g. an allocation
    the rule's own table does not give).
    """
    parts = _parts(missing)
    if parts is None:
        return None, str(missing)
    name, entity, item, args = parts
    inp = _answering_input(name, entity, item)
    if inp is None:
        if name == "nveu_allocation" and len(args) == 2:
            return None, (
                f"What is the national VEU allocation for {args[0]} Q{args[1]}? "
                "(the rule's table gives none for that quarter)"
            )
        text = name + (f"({','.join(args)})" if args else "")
        return None, text.replace("_", " ")
    q = QUESTIONS.get(name) if name in MISSING_ALIASES else None
    q = q or QUESTIONS.get(inp.path)
    if q:
        question = q.format(e=entity, n=item)
    elif inp.section == "item":
        question = f"Not given: item {item}: {inp.description}"
    elif inp.section in ("entity", "status"):
        question = f"Not given: {entity}: {inp.description}"
    else:
        question = f"Not given: {inp.description}"
    return inp.concrete_path(entity, item), question


def input_path(fact) -> str | None:
    """The JSON field an input fact (kb/input.lp) comes from, e.g.
    ``item_fact(1, published, true)`` -> ``items[0].published``, ``located("X", "IN")``
    -> ``entities.X.located``. An argument that is not a value (a variable in an
    explanation) leaves a general path (``items``)."""
    import clingo

    n, a = fact.name, list(fact.arguments)

    def text(x) -> str:
        return x.string if x.type == clingo.SymbolType.String else str(x)

    def line() -> str:
        return f"items[{a[0].number - 1}]" if a and a[0].type == clingo.SymbolType.Number else "items"

    if n == "entity" and a:
        return f"entities.{text(a[0])}"
    if n in ("item", "item_model"):
        return line()
    if n == "chosen_reading" and a:
        return f"readings.{text(a[0])}"
    if n.startswith("regime_"):
        return "regime"
    for inp in INPUTS:
        if inp.pred_name != n:
            continue
        owner = 1 if inp.section in ("entity", "status", "item") else 0
        if inp.keyed:
            if len(a) <= owner or text(a[owner]) != inp.key:
                continue
        if inp.section == "item":
            return line() + "." + inp.key
        if inp.section in ("entity", "status"):
            return inp.path.replace("NAME", text(a[0])) if a else inp.path
        return inp.path
    if n in ("entity_status", "item_fact", "fact") and len(a) >= 1:  # a field the schema does not know
        if n == "fact":
            return f"facts.{text(a[0])}"
        if n == "item_fact":
            return f"{line()}.{text(a[1])}" if len(a) > 1 else line()
        return f"entities.{text(a[0])}.status.{text(a[1])}" if len(a) > 1 else None
    return None


# --------------------------------------------------------------------------- check's space
# The consistency checker (kb/modes/check.lp) picks a value for each slot; a slot is
# the field's section term: date, tx(Key), ent(E, Key), status(E, Key), item(I, Key),
# fact(Key). These rules turn picks into the input facts exactly as pyrules/facts.py
# turns the JSON form into facts.
_SLOT = {
    "date": ("date", "", ""),
    "transaction": ("tx({k})", "", ""),
    "entity": ("ent(E, {k})", "E, ", ""),
    "status": ("status(E, {k})", "E, ", "E, "),
    "item": ("item(I, {k})", "I, ", "I, "),
    "fact": ("fact({k})", "", ""),
}


def check_mapping_program() -> str:
    """The ASP rules from picks to input facts (the check's search space), one per
    input with its own predicate and one per shared predicate."""
    lines = ["% generated from pyrules/schema.py INPUTS (pyrules.schema.check_mapping_program)"]
    shared: set[str] = set()
    core: list[str] = []
    for inp in INPUTS:
        slot, owner, _ = _SLOT[inp.section]
        if inp.keyed:
            if inp.predicate in shared:
                continue
            shared.add(inp.predicate)
            generic = slot.replace("{k}", "N")
            guard = ", not core_item_field(N)" if inp.section == "item" else ""
            lines.append(f"{inp.pred_name}({owner}N, V) :- pick({generic}, V){guard}.")
            continue
        s = slot.replace("{k}", inp.key)
        lines.append(f"{inp.pred_name}({owner}V) :- pick({s}, V).")
        if inp.section == "item":
            core.append(inp.key)
        if inp.also:
            lines.append(f"{inp.also.split('/')[0]}({owner.rstrip(', ')}) :- pick({s}, _).")
    lines.append(f"core_item_field({'; '.join(core)}).")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- JSON Schema
def _value_schema(inp: Input) -> dict[str, Any]:
    k = inp.kind
    if k == "bool":
        s: dict[str, Any] = {"type": "boolean"}
    elif k in ("tpp", "ops"):
        s = {
            "type": ["integer", "string"],
            "description": "a whole number; a string may be '1,000,000', '1.2e26' or '10^26'",
        }
    elif k == "int":
        s = {"type": "integer", "minimum": 0, "maximum": MAX_INT}
    elif k in ("name",):
        s = {"type": "string", "minLength": 1}
    elif k == "country":
        s = {"type": "string", "enum": sorted(kb.countries())}
    elif k == "eccn":
        s = {"type": "string", "enum": sorted(kb.eccns())}
    elif k == "date":
        s = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    elif k == "area":
        s = {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_DIE_AREA_MM2}
    elif k == "authorization":
        s = {"type": "string", "enum": [a.upper() for a in kb.authorizations()]}
    elif k.startswith("enum:"):
        s = {"type": "string", "enum": k[5:].split("|")}
    else:
        raise AssertionError(k)
    s = {**s, "description": inp.description + (f" ({inp.unit})" if inp.unit else ""), "x-kb-predicate": inp.predicate}
    return {"anyOf": [s, {"type": "null"}]} if inp.section != "date" else s


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) of the JSON form of a scenario, from INPUTS and
    the KB's readings. pyrules/model.py remains the validator (it also checks what a
    JSON Schema cannot: a catalogue chip, ownership cycles)."""

    def obj(section: str) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: _value_schema(i) for k, i in by_section(section).items()},
        }

    entity = obj("entity")
    entity["properties"]["status"] = obj("status")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "pyrules scenario",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "scenario": {"type": "string", "description": "a name for the scenario"},
            "date": _value_schema(BY_PATH["date"]),
            "transaction": obj("transaction"),
            "entities": {"type": "object", "additionalProperties": entity},
            "items": {"type": "array", "items": obj("item")},
            "facts": obj("fact"),
            "readings": {
                "type": "object",
                "additionalProperties": False,
                "properties": {t: {"enum": list(c), "default": c[0]} for t, c in kb.readings().items()},
            },
            "questions": {"type": "array"},
            "expect": {"type": "object"},
            "view": {"enum": list(VIEWS), "default": VIEWS[0]},
        },
    }


def __getattr__(name: str):
    """AUTHORIZATIONS (upper case, as in JSON) and READINGS (topic -> readings, the
    default first) come from the knowledge base, read once per process."""
    if name == "AUTHORIZATIONS":
        return tuple(a.upper() for a in kb.authorizations())
    if name == "READINGS":
        return kb.readings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
