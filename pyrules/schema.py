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
  country-> string, an ISO 3166-1 alpha-2 code known to the knowledge base (any case),
            or a country name from its list ("Vietnam"); read as the code
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
    "model_weights": ("name", "a model whose weights are exported (ECCN 4E091 analysis)"),
    # ECCN 4E091 model weights (kb/model_weights.lp)
    "training_ops": ("ops", "4E091: operations used to train the model, counted as the ECCN counts them"),
    "published": ("bool", "4E091: the weights are published (15 CFR 734.7(a))"),
    "derived_from_published": ("bool", "4E091: the model was trained starting from published weights"),
    "added_training_ops": ("ops", "4E091: operations added in training on top of the published weights"),
    "synthetic_data_share_percent": ("int", "4E091 Technical Note 3: percent of the training operations spent on unpublished synthetic data from one generating model (the largest such)"),
    "synthetic_generator_ops": ("ops", "4E091 Technical Note 3: the training operations of that generating model"),
    # Subject to the EAR and the FDP rules (kb/foreign_direct_product.lp)
    "foreign_produced": ("bool", "made (or, for weights, trained) outside the United States"),
    "trained_on_ear_ics": ("bool", "734.9(l): produced on a plant subject to the EAR specified in 3A090.a/4A090.a/.z"),
    "us_technology_direct_product": ("bool", "734.9(h): a direct product of specified U.S. technology or software"),
    "us_technology_plant_product": ("bool", "734.9(h): made by a plant (or major component) that is such a direct product"),
    "mask_or_die_technology": ("bool", "734.9(h): the line is technology for producing a mask or an IC wafer or die"),
    "developer": ("name", "734.9(h): the entity that developed the technology"),
}

# Scenario facts (fact(Name, Value)).
FACTS: dict[str, tuple[str, str]] = {
    "tier2_allocation_used_tpp": ("tpp", "TPP already counted against the destination's Tier 2 allocation"),
    "government_assurances": ("bool", "the destination gave government-to-government assurances"),
    # 4E091 and red flag 28 (kb/model_weights.lp, kb/red_flags.lp)
    "recipient_permanent_regular_employee": ("bool", "742.6(a)(13): the deemed export recipient is a permanent regular employee of the consignee"),
    "employee_located": ("country", "742.6(a)(13): where the permanent regular employee receives the weights (a deemed export: the United States)"),
    "iaas_provider": ("bool", "red flag 28: the exporter provides IaaS or other computing services to the consignee"),
    "planned_training_ops": ("ops", "red flag 28: operations the customer's model is to be trained with"),
    # License Exceptions AIA, ACM, LPP (15 CFR 740.27-740.29)
    "eccn_furnished": ("bool", "AIA: the exporter gave the ultimate consignee the ECCN of the chips"),
    "aia_certification_obtained": ("bool", "AIA: the ultimate consignee's prior certification was obtained"),
    "storage_security_measures": ("bool", "AIA for 4E091: stored under Supp. No. 10 to part 748 paras 14, 15, 18"),
    "ultimately_destined_outside_tier3": ("bool", "ACM: the items are ultimately destined for customers outside Tier 3"),
    "lpp_prior_shipments_tpp": ("tpp", "LPP: TPP already shipped to this ultimate consignee under LPP this calendar year"),
    "lpp_operator": ("name", "LPP 740.29(a): the entity (described under 'entities') that will operate the items, whose limit the shipment counts against"),
    "ultimate_destination": ("country", "ACM / ACA: the country the items are ultimately destined for, onward from the consignee, when known"),
    "lpp_certification_obtained": ("bool", "LPP: the ultimate consignee's prior certification was obtained"),
    # License Exception NAC, 15 CFR 740.8(a) (kb/exception_nac_aca.lp)
    "nac_notification_submitted": ("bool", "NAC: BIS was notified of the transaction beforehand"),
    "nac_notification_complete": ("bool", "NAC: the notification gave past-12-month approvals, memory bandwidth and aggregation intent"),
    "nac_bis_no_objection": ("bool", "NAC: BIS did not object within its review period"),
    # Data center VEU, 15 CFR 748.15 (kb/data_center_veu.lp)
    "data_center_owner_and_operator_veu": ("bool", "VEU: both the data center's owner and its operator hold VEU authorizations"),
    "uveu_site_listed": ("bool", "UVEU: the receiving data center is listed in the UVEU authorization"),
    "uveu_site_notified": ("bool", "UVEU: BIS was notified of the (new) data center"),
    "uveu_site_notified_on": ("date", "UVEU: the date BIS was notified of the new data center"),
    "uveu_total_compute_tpp": ("tpp", "UVEU: TPP of 3A090.a-level chips of the company group worldwide, before this shipment"),
    "uveu_tier2_compute_tpp": ("tpp", "UVEU: of which in Tier 2 countries, before this shipment"),
    "uveu_country_compute_tpp": ("tpp", "UVEU: of which in the destination country, before this shipment"),
    "uveu_outside_us_compute_tpp": ("tpp", "UVEU: of which outside the United States, before this shipment"),
    "nveu_country": ("country", "NVEU: the country the NVEU authorization is for"),
    # Limits shared by every authorization and the hosted customer (kb/exception_scope.lp)
    "part744_end_use": ("enum:none|section_744_23|section_744_6", "a known part 744 end use or end user: 744.23 (advanced computing, semiconductors) or 744.6 (U.S.-person activities); none if none"),
    "hosted_customer": ("name", "AIA 740.27(b)(2) / Supp. No. 10 to part 748: the party the consignee hosts on the items (IaaS), an entity described under 'entities'"),
    "hosted_training_ops": ("ops", "AIA / Supp. No. 10: operations of the training the hosted customer runs on the items"),
    "nveu_installed_tpp": ("tpp", "NVEU: the company's installed base in that country (TPP of 3A090.a-level chips), before this shipment"),
}

# Readings of ambiguous provisions: topic -> allowed choices (first is the default).
READINGS: dict[str, tuple[str, ...]] = {
    "tier_overlap": ("unresolved", "tier3_prevails", "tier1_prevails"),
    "allocation_exhaustion": ("shipment_fits", "used_below"),
    "rf28_united_states": ("us_included", "literal"),
    "employee_exclusion_hq": ("both", "either"),
    "lpp_notification_basis": ("per_shipment", "cumulative_year"),
    "aia_weights_headquarters": ("both_in_tier1", "either_in_tier1"),
    "aca_scope": ("non_data_center_only", "as_summarized"),
    "uveu_headquarters": ("entity_and_parent", "entity_or_parent"),
    "derived_share_base": ("total_training", "published_model"),
    "uveu_new_site_notice": ("days_180", "days_60"),
    "employee_exclusion_place": ("any_place", "outside_tier3"),
}

MAX_INT = 2**31 - 1
MAX_QUANTITY = 100_000_000
MAX_UNIT_TPP = 2_000_000
MAX_DIE_AREA_MM2 = 100_000


# ---------------------------------------------------------------------------
# Missing facts -> the input field that answers them.
#
# The knowledge base names a missing fact by a symbol (``ship_to``,
# ``headquartered("HoldCo")``, ``item_designer(1)``, ``tier2_allocation_used_tpp``).
# This table says which scenario field supplies it, so the output can point the
# user at the field to fill in and ask the question in words. It is the one place
# that knows how KB input predicates relate to scenario fields (pyrules/facts.py
# writes the same relation the other way round).

# KB symbol with no arguments -> (field path, question)
MISSING_FACT_SCALARS: dict[str, tuple[str, str]] = {
    "action": ("transaction.action", "What kind of transaction is it (export, reexport, in-country transfer, deemed export)?"),
    "ship_to": ("transaction.to", "To which country are the items going?"),
    "ship_from": ("transaction.from", "From which country do the items leave?"),
    "consignee": ("transaction.consignee", "Who is the ultimate consignee?"),
    "via_distributor": ("transaction.via_distributor", "Do the items pass through a distributor?"),
    "purpose": ("transaction.purpose", "What are the items for?"),
    "as_of": ("date", "On what date is the transaction made?"),
}

# KB symbol with an entity argument -> (field under entities.NAME, question with {e})
MISSING_FACT_ENTITY: dict[str, tuple[str, str]] = {
    "located": ("located", "Where is {e} located?"),
    "headquartered": ("headquartered", "Where is {e} headquartered?"),
    "ic_designer_status": ("status.approved_ic_designer",
                           "Is {e} an approved IC designer, or an authorized one (its transactions reported "
                           "under 743.9, approval applied for)?"),
}

# KB symbol with an item-line argument (1-based) -> (field under items[i], question with {n})
MISSING_FACT_ITEM: dict[str, tuple[str, str]] = {
    "item_tpp": ("tpp", "What is the total processing performance (TPP) per unit of item {n}?"),
    "item_die_area": ("die_area_mm2", "What is the applicable die area (mm2) of item {n}?"),
    "item_designer": ("designer", "Who designed the integrated circuit of item {n}?"),
    "item_classification": ("eccn", "Which ECCN is item {n} classified under (its stated ECCN and its specifications disagree)?"),
}


# The question each field answers, in words ({e}: the entity, {n}: the item line).
# A field not listed here is asked as "Not given: <its description>".
QUESTIONS: dict[str, str] = {
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
    "status.approved_ic_designer": "Is {e} an approved IC designer (Supp. No. 6 to part 740)?",
    "status.reports_under_743_9": "Are {e}'s transactions subject to the 743.9 foundry reporting?",
    "status.applied_for_approval": "Did {e} apply for approved IC designer status by the deadline?",
    "status.private_sector": "Is {e} a private-sector end user?",
    "status.uveu": "Is {e} a universal validated end user (UVEU)?",
    "status.nveu": "Is {e} a national validated end user (NVEU)?",
    "items.data_center": "Is item {n} designed or marketed for use in a data center?",
    "items.training_ops": "How many operations were used to train the model of item {n}?",
    "items.published": "Are the weights of item {n} published?",
    "items.derived_from_published": "Was the model of item {n} trained starting from published weights?",
    "items.added_training_ops": "How many operations were added on top of the published weights (item {n})?",
    "items.foreign_produced": "Was item {n} made (or, for weights, trained) outside the United States?",
    "items.trained_on_ear_ics": "Was item {n} produced on a plant subject to the EAR (734.9(l))?",
    "items.us_technology_direct_product": "Is item {n} a direct product of specified U.S. technology or software (734.9(h))?",
    "items.us_technology_plant_product": "Was item {n} made by a plant that is such a direct product (734.9(h))?",
    "items.developer": "Who developed the technology of item {n}?",
}


def _question(key: str, desc: str, **kw) -> str:
    q = QUESTIONS.get(key)
    return q.format(**kw) if q else f"Not given: {desc}"


def missing_fact_field(sym) -> tuple[str | None, str]:
    """The scenario field that answers a missing fact the KB names, and the question in words.

    ``sym`` is the clingo symbol of ``missing_fact(F)`` or ``undecided(A, C, F)``.
    Returns ``(field path or None, question)``; None when no input field answers it
    (e.g. an allocation the rule's own table does not give).
    """
    import clingo

    def text(a) -> str:
        if a.type == clingo.SymbolType.String:
            return a.string
        if a.type == clingo.SymbolType.Number:
            return str(a.number)
        return str(a)

    if sym.type != clingo.SymbolType.Function:
        return None, str(sym)
    name, args = sym.name, sym.arguments
    if not args:
        if name in MISSING_FACT_SCALARS:
            return MISSING_FACT_SCALARS[name]
        for table, prefix in ((FACTS, "facts"), (TRANSACTION_FIELDS, "transaction")):
            if name in table:
                return f"{prefix}.{name}", _question(f"{prefix}.{name}", table[name][1])
        return None, name.replace("_", " ")
    if len(args) == 1:
        a = args[0]
        if a.type == clingo.SymbolType.Number:      # an item line, 1-based
            n = a.number
            if name in MISSING_FACT_ITEM:
                f, q = MISSING_FACT_ITEM[name]
                return f"items[{n - 1}].{f}", q.format(n=n)
            if name.startswith("item_") and name[5:] in ITEM_FIELDS:
                name = name[5:]
            if name in ITEM_FIELDS:
                return f"items[{n - 1}].{name}", _question(f"items.{name}", f"item {n}: {ITEM_FIELDS[name][1]}", n=n)
        else:                                       # an entity name
            e = text(a)
            if name in MISSING_FACT_ENTITY:
                f, q = MISSING_FACT_ENTITY[name]
                return f"entities.{e}.{f}", q.format(e=e)
            if name in ENTITY_STATUS:
                return f"entities.{e}.status.{name}", _question(f"status.{name}", f"{e}: {ENTITY_STATUS[name][1]}", e=e)
    if name == "nveu_allocation" and len(args) == 2:
        return None, (f"What is the NVEU allocation for {text(args[0])} Q{text(args[1])}? "
                      "(the rule's table gives none for that quarter)")
    return None, text(sym).replace("_", " ")


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
