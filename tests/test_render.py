"""Rendering in plain words: missing facts name the input field that answers them, one
vocabulary for states, the answer in one sentence, the text, repr and HTML (Jupyter)
renderings, summary tables for many scenarios, compare as a table, "did you mean"
messages, pyrules --version, evaluate(path), and the coverage line on every answer."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import pyrules
from pyrules.inputs import schema
from helpers import auth, run, scenario
from helpers import cli_subprocess as pyrules_cli

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"


def _tier2_without_allocation_fact():
    return pyrules.evaluate(
        scenario(
            to="IN",
            entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
            facts={"tier2_allocation_used_tpp": None},
        )
        | {"facts": {}}
    )


# ----------------------------------------------------------------- missing facts -> fields
def test_742_6_b_10_missing_allocation_names_its_field_and_question():
    """742.6(b)(10): a Tier 2 export without the allocation already used names the field
    facts.tier2_allocation_used_tpp beside the KB id, with the question, in JSON and text."""
    d = _tier2_without_allocation_fact()
    assert "tier2_allocation_used_tpp" in d.missing_facts
    m = {x["id"]: x for x in d.to_json()["missing_fact_fields"]}["tier2_allocation_used_tpp"]
    assert m["field"] == "facts.tier2_allocation_used_tpp"
    assert m["question"].endswith("?") and "Tier 2 allocation" in m["question"]
    assert "-> facts.tier2_allocation_used_tpp" in d.to_text()


def test_742_6_b_10_given_allocation_is_not_asked():
    """742.6(b)(10) boundary: with the allocation fact given (0) it is no longer missing."""
    d = pyrules.evaluate(scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}}))
    assert "facts.tier2_allocation_used_tpp" not in {m["field"] for m in d.missing_fact_fields}


def test_missing_parent_headquarters_names_the_entity_field():
    """742.6(b)(10) headquarters test: an ultimate parent with no headquarters given is asked
    as entities.HoldCo.headquartered."""
    d = pyrules.evaluate(
        scenario(
            to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN", "parent": "HoldCo"}, "HoldCo": {}}
        )
    )
    m = {x["id"]: x for x in d.missing_fact_fields}["headquartered(HoldCo)"]
    assert m == {
        "id": "headquartered(HoldCo)",
        "field": "entities.HoldCo.headquartered",
        "question": "Where is HoldCo headquartered?",
    }


def test_740_27_undecided_designer_condition_names_items_0_designer():
    """740.27 (as amended by 90 FR 5298): with no designer given, the AIA designer condition is
    undecided and names items[0].designer beside the KB's id item_designer(1)."""
    d = pyrules.evaluate(scenario())
    aia = {a["name"]: a for a in d.authorizations}["AIA"]
    c = {u["condition"]: u for u in aia["undecided_conditions"]}["aia_ic_designer"]
    assert c["missing_fact"] == "item_designer(1)" and c["field"] == "items[0].designer"
    assert "item 1" in c["question"]
    assert "(missing: items[0].designer)" in d.to_text()


def _declared(path: str) -> bool:
    head, _, rest = path.partition(".")
    if head == "date":
        return True
    if head == "facts":
        return rest in schema.FACTS
    if head == "transaction":
        return rest in schema.TRANSACTION_FIELDS
    if head == "entities":
        field = rest.split(".", 1)[1]
        return field in schema.ENTITY_FIELDS or (field.startswith("status.") and field[7:] in schema.ENTITY_STATUS)
    if head.startswith("items["):
        return rest in schema.ITEM_FIELDS
    return False


def test_every_missing_fact_of_the_bundled_scenarios_points_at_a_declared_field():
    """Every missing fact and undecided condition of every bundled scenario names a field the
    input declaration (pyrules/schema.py) declares; only a quarter beyond the NVEU table has none."""
    from pyrules.inputs.loader import load_scenarios

    seen = 0
    for _, s in load_scenarios([QUERIES]):
        d = pyrules.evaluate(s)
        for m in d.missing_fact_fields + [u for a in d.authorizations for u in a["undecided_conditions"]]:
            seen += 1
            key = m.get("id", m.get("missing_fact"))
            if m["field"] is None:
                assert key.startswith("nveu_allocation("), key
            else:
                assert _declared(m["field"]), (key, m["field"])
            assert m["question"]
    assert seen > 100


# ----------------------------------------------------------------- one vocabulary, one sentence
def test_742_6_b_10_the_answer_in_one_sentence_denial():
    """742.6(b)(10) and 740.8(a): BIS objected to the NAC notification, so the sentence is the
    issue's own example."""
    d = pyrules.evaluate(QUERIES / "nac_bis_objected.json")
    assert d.summary() == (
        "A licence is required; no licence exception is available; "
        "applications are reviewed under a presumption of denial."
    )
    assert d.to_text().splitlines()[2] == d.summary()
    assert d.to_json()["summary"] == d.summary()


def test_740_29_sentence_names_the_available_authorization():
    """740.29: LPP available for a small order, said in the sentence."""
    d = pyrules.evaluate(QUERIES / "lpp_small_order_indian_research_firm_available.json")
    assert d.summary().startswith("A licence is required, but LPP is available;")


def test_sentence_when_no_licence_or_undecided():
    """742.6(a)(6)(iii): a deemed export releases no chip (no licence); a missing die area
    leaves the classification and the requirement undecided."""
    assert pyrules.evaluate(QUERIES / "core_deemed_export.json").summary() == "No licence is required."
    d = pyrules.evaluate(QUERIES / "core_missing_die_area.json")
    # the die area, and (Note 2 to 3A090) whether the item is designed for data centers
    assert d.summary() == "Whether a licence is required is undecided until 2 missing facts are given."
    assert "Licence required: undecided" in d.to_text()
    assert "indeterminate" not in d.to_text().split("Note:")[0].lower().replace(d.scenario.lower(), "")


def test_text_has_a_legend_and_the_state_words():
    text = pyrules.evaluate(scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}})).to_text()
    assert "Legend: x = condition not met, ? = condition undecided" in text
    for word in ("not available", "undecided"):
        assert word in text


def test_repr_is_short():
    r = repr(pyrules.evaluate(QUERIES / "core_burma.json"))
    assert r.startswith("<Determination ") and "\n" not in r and len(r) < 200
    assert "licence required yes" in r


def test_html_table_has_red_flags_readings_fdp_and_rule_status():
    """Jupyter table: red flag 28 (Supp. 3 to part 732) and the reading it depends on;
    734.9(h) foreign direct product; the rule status."""
    h = pyrules.evaluate(QUERIES / "redflag_us_customer.json")._repr_html_()
    assert "Red flags" in h and "rf28" in h and "Readings that matter" in h and "rf28_united_states" in h
    assert "Rule status" in h and "Answer" in h
    h = pyrules.evaluate(QUERIES / "fdp_foreign_chips_us_technology.json")._repr_html_()
    assert "Foreign direct product rules" in h and "734.9(h)" in h


# ----------------------------------------------------------------- evaluate(path)
def test_evaluate_accepts_a_path_json_or_scn():
    a = pyrules.evaluate(QUERIES / "india_cloud_chinese_parent.json")
    b = pyrules.evaluate(str(QUERIES / "lang_india_cloud_chinese_parent.scn"))
    assert a.licensing_policy == b.licensing_policy == "presumption_of_denial"


def test_evaluate_path_errors_are_input_errors(tmp_path):
    with pytest.raises(pyrules.InputError):
        pyrules.evaluate(tmp_path / "nope.json")
    two = tmp_path / "two.json"
    two.write_text(json.dumps([scenario(), scenario()]))
    with pytest.raises(pyrules.InputError, match="2 scenarios"):
        pyrules.evaluate(two)


# ----------------------------------------------------------------- CLI
def test_cli_version():
    r = pyrules_cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"pyrules {pyrules.__version__}"


def test_cli_ask_many_prints_a_summary_table_one_line_each(tmp_path):
    files = sorted(QUERIES.glob("core_tier*_destination.json"))
    r = pyrules_cli("ask", *files)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["scenario", "licence", "authorized"]
    body = {ln.split()[0]: ln for ln in lines[1 : 1 + len(files)]}
    assert set(body) == {f.stem for f in files}
    assert "presumption of denial" in body["core_tier3_destination"]
    assert f"{len(files)} scenarios: licence required in {len(files)}" in r.stdout
    assert "Licence required:" not in r.stdout
    d = pyrules_cli("ask", *files, "--details")
    assert d.stdout.count("Licence required:") == len(files)


def test_cli_ask_dir_reports_a_bad_file_and_goes_on_exit_2(tmp_path):
    (tmp_path / "a_good.json").write_text((QUERIES / "core_burma.json").read_text())
    (tmp_path / "b_bad.json").write_text('{"scenario": \n')
    (tmp_path / "c_good.json").write_text((QUERIES / "core_macau.json").read_text())
    r = pyrules_cli("ask", tmp_path)
    assert r.returncode == 2
    assert "b_bad.json" in r.stderr and "Traceback" not in r.stderr
    assert "a_good" in r.stdout and "c_good" in r.stdout
    j = pyrules_cli("ask", tmp_path, "--json")
    assert j.returncode == 2 and len(j.stdout.splitlines()) == 2


def test_cli_compare_table_csv_and_json(tmp_path):
    q = tmp_path / "q.json"
    q.write_text((QUERIES / "core_tier2_parent.json").read_text())
    regime = ROOT / "regimes" / "uae_to_tier1.json"
    t = pyrules_cli("compare", "--regime", regime, q)
    assert t.returncode == 0, t.stderr
    assert "what changed" in t.stdout and "policy provision" in t.stdout and "Summary: 1 of 1" in t.stdout
    c = pyrules_cli("compare", "--regime", regime, q, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(c.stdout)))
    assert [r["what"] for r in rows] == ["policy provision"]
    assert "742.6(b)(10)" in rows[0]["before"] and "Tier 1" in rows[0]["after"]
    j = pyrules_cli("compare", "--regime", regime, q, "--format", "json")
    assert json.loads(j.stdout)["summary"]["changed"] == 1


# ----------------------------------------------------------------- names and "did you mean"
@pytest.mark.parametrize(
    "overrides, field, hint",
    [
        (dict(to="Vietnum"), "transaction.to", "did you mean 'Vietnam'?"),
        (dict(action="exprot"), "transaction.action", "did you mean 'export'"),
        (dict(items=[{"chip": "H100SXM", "quantity": 1}]), "items[0].chip", "did you mean 'H100-SXM'?"),
        (dict(transaction={"consignees": "Buyer"}), "transaction.consignees", "did you mean 'consignee'?"),
    ],
)
def test_did_you_mean_for_countries_options_chips_and_fields(overrides, field, hint):
    with pytest.raises(pyrules.InputError) as exc:
        pyrules.evaluate(scenario(**overrides))
    assert exc.value.field == field and hint in exc.value.message


def test_cli_did_you_mean_for_commands_options_and_readings():
    r = pyrules_cli("aks", "x.json")
    assert r.returncode == 2 and "did you mean 'ask'?" in r.stderr
    r = pyrules_cli("ask", QUERIES / "core_burma.json", "--detials")
    assert r.returncode == 2 and "did you mean '--details'?" in r.stderr
    r = pyrules_cli("ask", QUERIES / "core_burma.json", "--reading", "tier_overlap=tier3_prevail")
    assert r.returncode == 2 and "did you mean 'tier3_prevails'" in r.stderr and "Traceback" not in r.stderr


# ----------------------------------------------------------------- the coverage line
def test_every_answer_says_what_is_not_modelled():
    """The text and the JSON of every answer carry the coverage line (kb/coverage.lp):
    what is modelled, and what is only flagged, so silence is not read as a decision."""
    d = pyrules.evaluate(QUERIES / "core_burma.json")
    line = d.to_json()["coverage"]
    assert line.startswith("Coverage: ") and "740.2(a)(9)(ii)" in line
    assert d.to_text().splitlines()[-1] == line


# ----------------------------------------------------------------- HTML tables in Jupyter
def test_determination_renders_as_html_table_and_escapes_user_text():
    """A determination renders as an HTML table in Jupyter with the licence answer, the
    authorizations and their citations; user text (the scenario's name) is escaped."""
    s = scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}})
    s["scenario"] = "<script>alert(1)</script> & co"
    html = run(s)._repr_html_()
    assert "<table>" in html and "Licence required" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "LPP" in html and "15 CFR 740.29" in html


def test_html_lists_failed_and_undecided_conditions_on_separate_lines():
    """The HTML 'why not' cell separates the failed conditions from the undecided ones."""
    s = scenario(
        to="IN", entities={"Buyer": {"located": "IN", "headquartered": "IN"}}, via_distributor=True
    )  # LPP fails (distributor), certification unknown
    d = run(s)
    lpp = auth(d, "LPP")
    assert lpp["failed_conditions"] and lpp["undecided_conditions"]
    html = d._repr_html_()
    row = next(line for line in html.splitlines() if line.startswith("<tr><td>LPP"))
    assert row.count("<br>") == len(lpp["failed_conditions"]) + len(lpp["undecided_conditions"]) - 1


# --------------------------------------------------------------------------- plain words (issue 13)
def test_every_reading_topic_has_a_plain_title_in_the_kb():
    """Every ambiguous provision (reading_topic/2) has a reading_title/2 next to it, read
    through the KB's self-description; none is just its name in words."""
    from pyrules.engine import kb

    declared = {t.name: x.string for t, x in kb.described("reading_title/2")}
    assert set(kb.readings()) <= set(declared)
    for topic, title in kb.reading_titles().items():
        assert title == declared[topic] and title != topic.replace("_", " ") and len(title.split()) >= 5


def test_748_15_summary_names_the_reading_by_its_title_not_its_name():
    """748.15 UVEU headquarters: the one-sentence answer says what is read two ways."""
    d = pyrules.evaluate(QUERIES / "core_tier1_parent.json")
    assert d.readings_that_matter == ["uveu_headquarters"]
    s = d.summary()
    assert s.endswith(
        "the outcome depends on how the rule is read: whose headquarters count for a universal "
        "validated end user (the consignee and its parent, or either)."
    )
    assert "uveu" not in s.lower().replace("universal validated end user", "")
    text = d.to_text()
    assert (
        "  - whose headquarters count for a universal validated end user (the consignee and its parent, or "
        "either): read here as entity and parent (the default); otherwise entity or parent "
        "(--reading uveu_headquarters=entity_or_parent)"
    ) in text
    assert "readings used:" not in text  # not the fifteen topics' names
    assert "whose headquarters count for a universal validated end user" in d._repr_html_()


def test_readings_list_gives_each_topic_its_title(capsys):
    from pyrules import cli

    assert cli.main(["readings"]) == 0
    out = capsys.readouterr().out
    assert (
        "cambodia_d5_exit: state_department_list, bis_rule  (default state_department_list)\n"
        "    when Cambodia left Country Group D:5\n" in out
    )


def test_748_15_readings_say_which_authorization_changes_from_what_to_what():
    """`pyrules readings`: the UVEU's state under each reading of its headquarters test,
    in words, with the topic's title; no upper-case heading, "differs" not "differ"."""
    from pyrules.modes.readings import evaluate_all_readings, to_text

    raw = json.loads((QUERIES / "core_tier1_parent.json").read_text())
    out = to_text(evaluate_all_readings(raw))
    assert (
        "The outcome depends on the reading uveu_headquarters, whose headquarters count for a universal "
        "validated end user (the consignee and its parent, or either): UVEU is not available under "
        "entity_and_parent, undecided under entity_or_parent."
    ) in out
    assert "DEPENDS" not in out and " differ)" not in out


def test_742_6_b_10_overlap_line_uses_provision_titles_and_cites_once():
    """742.6(b)(10): the Tier 1 and Tier 3 policies both apply; said by their titles, the
    common citation once."""
    d = pyrules.evaluate(QUERIES / "lang_overlap_tier1_location_tier3_parent.scn")
    line = next(x for x in d.to_text().splitlines() if x.startswith("OVERLAP"))
    assert line == (
        'OVERLAP: "Presumption of approval: Tier 1 destinations and Tier 1-headquartered entities" and '
        '"Presumption of denial: Tier 3 destinations and Tier 3-headquartered entities" both apply  '
        "[15 CFR 742.6(b)(10)] -- unresolved: the rule states no precedence"
    )
    assert "policy_chips" not in d.to_text()
    assert d.to_json()["overlaps"][0]["titles"][1].startswith("Presumption of denial")


def test_every_outside_reason_has_words_in_the_kb():
    """Each reason an item line is outside the rule (item_outside_rule/2) has an
    outside_reason_text/2 in kb/items.lp."""
    import re
    from pyrules.engine import kb

    reasons = set(re.findall(r"item_outside_rule\(I, ([a-z][a-z0-9_]*)\)", kb.kb_text()))
    assert len(reasons) >= 15
    assert reasons <= set(kb.outside_reason_texts())


def test_742_6_a_6_iii_before_compliance_item_line_says_why_in_words():
    """Before 2025-05-15 the IFR's worldwide requirement is not in force: said in words."""
    d = pyrules.evaluate(QUERIES / "core_before_compliance_date.json")
    # Germany in the window: both reasons, the rule's own first, then the earlier controls'
    assert (
        "  - item 1: outside this rule: the AI Diffusion rule's worldwide licence requirement for these chips "
        "is not in force on this date (the earlier controls govern); the controls that preceded the AI "
        "Diffusion rule do not reach this destination and these parties"
    ) in d.to_text().splitlines()
    assert d.items[0]["outside_reason"].startswith("the AI Diffusion rule's worldwide licence requirement")


def test_742_6_a_6_iii_china_in_the_window_one_line_per_item_no_contradiction():
    """China, 2025-05-14: the earlier controls' 3A090.a requirement and the IFR's
    worldwide requirement not yet in force are said on one line."""
    raw = json.loads((QUERIES / "core_before_compliance_date.json").read_text())
    raw.pop("expect", None)
    raw["date"] = "2025-05-14"
    raw["transaction"]["to"] = "CN"
    raw["entities"]["Buyer"] = {"located": "CN", "headquartered": "CN"}
    d = pyrules.evaluate(raw)
    assert d.license_required is True
    lines = [x for x in d.to_text().splitlines() if x.startswith("  - item 1")]
    assert len(lines) == 1
    assert lines[0].startswith("  - item 1: 3A090.a  [15 CFR 742.6(a)(6)(iii) (as amended by 88 FR 73458")
    assert lines[0].endswith(
        "; the AI Diffusion rule's worldwide licence requirement for these chips is not in "
        "force on this date (the earlier controls govern)"
    )
    assert "outside this rule" not in lines[0]


def test_742_6_b_10_policy_that_turns_on_assurances_names_the_fact():
    """742.6(b)(10): between the allocation and its double, assurances unknown: the summary
    names the fact (conditional_policy/4), its field and the policy under each answer."""
    d = pyrules.evaluate(QUERIES / "core_allocation_assurances_unknown_both_outcomes.json")
    assert d.licensing_policy is None
    assert [f["field"] for f in d.to_json()["policy_depends_on"]] == ["facts.government_assurances"]
    assert (
        "the licensing policy depends on “Has the destination given government-to-government assurances?” "
        "(facts.government_assurances): if yes, applications are reviewed under a presumption of approval, "
        "if no, applications are reviewed under a policy of denial."
    ) in d.summary()
    assert "no licensing policy could be determined" not in d.summary()
    assert "  - candidate: presumption of approval if yes  [15 CFR 742.6(b)(10)]" in d.to_text()


def test_740_28_decided_answer_labels_the_facts_that_decide_other_authorizations():
    """740.28 ACM available: the licence answer and the authorization are decided; the facts
    still named (AIA, UVEU undecided) only decide those, and are labelled so."""
    d = pyrules.evaluate(QUERIES / "acm_taiwan_packaging_available.json")
    assert d.license_required is True and d.authorized is True and d.licensing_policy == "presumption_of_approval"
    assert d.missing_fact_fields  # AIA and the UVEU still turn on them
    text = d.to_text()
    assert "Missing facts (fill in the field to decide)" not in text
    assert "Facts not given that would decide the other authorizations (the answer above stands either way):" in text
    # an undecided answer keeps the plain heading
    u = pyrules.evaluate(QUERIES / "core_allocation_assurances_unknown_both_outcomes.json")
    assert "Missing facts (fill in the field to decide):" in u.to_text()
