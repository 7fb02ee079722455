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
    "applied_for_approval": ("bool", "Note 1 to 3A090.a: the IC designer has applied for approved status (Supp. No. 6 to part 740)"),
    "applied_for_approval_on": ("date", "Note 1 to 3A090.a (3): the date it applied; its authorized status ceases 180 days later"),
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
    "model_weights": ("name", "a model whose weights are exported (ECCN 4E091 analysis)"),
    # ECCN 4E091 model weights (kb/model_weights.lp)
    "training_ops": ("ops", "4E091: operations used to train the model, counted as the ECCN counts them"),
    "published": ("bool", "4E091: the weights are published (15 CFR 734.7(a))"),
    "derived_from_published": ("bool", "4E091: the model was trained starting from published weights"),
    "added_training_ops": ("ops", "4E091: operations added in training on top of the published weights"),
    # Subject to the EAR and the FDP rules (kb/foreign_direct_product.lp)
    "foreign_produced": ("bool", "made (or, for weights, trained) outside the United States"),
    "trained_on_ear_ics": ("bool", "734.9(l): produced on a plant subject to the EAR specified in 3A090.a/4A090.a/.z"),
    "us_technology_direct_product": ("bool", "734.9(h): a direct product of specified U.S. technology or software"),
    "us_technology_plant_product": ("bool", "734.9(h): made by a plant (or major component) that is such a direct product"),
    "mask_or_die_technology": ("bool", "734.9(h): the line is technology for producing a mask or an IC wafer or die"),
    "developer": ("name", "734.9(h): the entity that developed the technology"),
    # Foundry presumption, Note 1 to 3A090.a (kb/ic_designers.lp)
    "process_node_nm": ("int", "Note 1 to 3A090.a: the process node (nm) a logic IC is made at (16/14 nm or below: presumption)"),
    "non_planar": ("bool", "Note 1 to 3A090.a: the logic IC uses a non-planar transistor architecture"),
    "transistor_count_millions": ("int", "Note 1 to 3A090.a: attested aggregated approximated transistor count, in millions"),
    "hbm": ("bool", "Note 1 to 3A090.a: the final packaged IC contains high-bandwidth memory"),
    "attestation": ("enum:designer|fabricator|osat|none", "Note 1 to 3A090.a: who attests to rebut the foundry presumption"),
    "attested_by": ("name", "Note 1 to 3A090.a: the front-end fabricator or OSAT that attests (an entity)"),
    # De minimis U.S. content, 15 CFR 734.4 (kb/foreign_direct_product.lp)
    "us_content": ("bool", "734.4: the foreign-made item incorporates (or is commingled with) controlled U.S.-origin content"),
    "us_controlled_content_percent": ("int", "734.4: value of that content as a percentage of the item's value (Supp. No. 2 to part 734), rounded up"),
}

# Scenario facts (fact(Name, Value)).
FACTS: dict[str, tuple[str, str]] = {
    "tier2_allocation_used_tpp": ("tpp", "TPP already counted against the destination's Tier 2 allocation"),
    "government_assurances": ("bool", "the destination gave government-to-government assurances"),
    # 4E091 and red flag 28 (kb/model_weights.lp, kb/red_flags.lp)
    "recipient_permanent_regular_employee": ("bool", "742.6(a)(13): the deemed export recipient is a permanent regular employee of the consignee"),
    "iaas_provider": ("bool", "red flag 28: the exporter provides IaaS or other computing services to the consignee"),
    "planned_training_ops": ("ops", "red flag 28: operations the customer's model is to be trained with"),
    # Foundry presumption, Note 1 to 3A090.a (kb/ic_designers.lp)
    "exporter_role": ("enum:front_end_fabricator|osat|other", "Note 1 to 3A090.a: the exporter is a front-end fabricator, an OSAT company, or neither"),
    # License Exceptions AIA, ACM, LPP (15 CFR 740.27-740.29)
    "eccn_furnished": ("bool", "AIA: the exporter gave the ultimate consignee the ECCN of the chips"),
    "aia_certification_obtained": ("bool", "AIA: the ultimate consignee's prior certification was obtained"),
    "storage_security_measures": ("bool", "AIA for 4E091: stored under Supp. No. 10 to part 748 paras 14, 15, 18"),
    "ultimately_destined_outside_tier3": ("bool", "ACM: the items are ultimately destined for customers outside Tier 3"),
    "lpp_prior_shipments_tpp": ("tpp", "LPP: TPP already shipped to this ultimate consignee under LPP this calendar year"),
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
    "uveu_headquarters": ("entity_and_parent", "entity_or_parent"),
    "foundry_count_2028": ("base_only", "as_2027"),
}

MAX_INT = 2**31 - 1
MAX_QUANTITY = 100_000_000
MAX_UNIT_TPP = 2_000_000
MAX_DIE_AREA_MM2 = 100_000
