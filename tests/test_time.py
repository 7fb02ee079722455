"""The rule in time: the earlier controls (88 FR 73458 as amended), the compliance
windows of 90 FR 4544 / 90 FR 5298 / Supp. No. 10 to part 748, the two views
(as written, as enforced), dated country groups (Supp. No. 1 to part 740),
742.6(a)(6)(iii)(B) for 3A090.b, and the timeline (kb/earlier_controls.lp)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import clingo
import pytest

import pyrules
from pyrules.engine.control import default_engine
from pyrules.modes.timeline import timeline
from helpers import run, scenario
from helpers import buyer

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ["as_written", "as_enforced"]


def provs(d):
    return {c["provision"] for c in d.controls}


def note_ids(d):
    return {n["id"] for n in d.notes}


def in_force(d):
    return {a.arguments[0].name for a in d.atoms if a.name == "in_force"}


# --- earliest version encoded: 2023-11-17 --------------------------------------------------
@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.provision("earlier_chips_destinations", "earlier_policy_case_by_case")
def test_88fr73458_day_before_2023_11_17_indeterminate_day_of_earlier_controls(view):
    """88 FR 73458 (effective 2023-11-17), 742.6(a)(6)(iii) as then worded: H100s to Vietnam
    (D:1): indeterminate the day before (nothing earlier encoded), a licence the day of."""
    before = run(buyer("VN", date="2023-11-16"), view=view)
    assert before.license_required is None and "before_rule" in note_ids(before)
    assert "no earlier version" in next(n["text"] for n in before.notes if n["id"] == "before_rule")
    on = run(buyer("VN", date="2023-11-17"), view=view)
    assert on.license_required is True and provs(on) == {"earlier_chips_destinations"}
    assert on.licensing_policy == "case_by_case"


@pytest.mark.parametrize(
    "to, required",
    [
        ("VN", True),
        ("SA", True),
        ("CN", True),
        ("MO", True),
        ("HK", True),
        ("IL", False),
        ("DE", False),
        ("IN", False),
        ("MX", False),
    ],
)
@pytest.mark.provision("earlier_chips_destinations")
def test_742_6_a_6_iii_earlier_destination_scope_d1_d4_d5_not_a5_a6_and_macau(to, required):
    """742.6(a)(6)(iii) as of 88 FR 73458: D:1 (VN), D:4 (SA), D:5 (CN), Macau; HK as China;
    Israel is in D:4 but also A:6, so excluded; Germany, India (A:5) and Mexico (A:6) are not in scope."""
    d = run(buyer(to, date="2024-06-01"))
    assert d.license_required is required
    assert ("earlier_chips_destinations" in provs(d)) is required


@pytest.mark.provision("earlier_chips_headquarters")
def test_744_23_a_3_headquarters_in_d5_or_macau_wherever_located():
    """744.23(a)(3) as of 88 FR 73458: a buyer in India whose ultimate parent is headquartered
    in China (D:5) or Macau needs a licence; one with an Indian parent does not; presumption of denial."""
    d = run(buyer("IN", parent_hq="CN", date="2024-06-01"))
    assert d.license_required is True and provs(d) == {"earlier_chips_headquarters"}
    assert d.licensing_policy == "presumption_of_denial"
    assert run(buyer("IN", parent_hq="MO", date="2024-06-01")).license_required is True
    assert run(buyer("IN", parent_hq="IN", date="2024-06-01")).license_required is False


def test_744_23_a_3_unknown_parent_headquarters_is_named_not_no():
    """744.23(a)(3): outside the destination scope, an unknown parent headquarters decides the
    answer: indeterminate, naming it (never 'no licence')."""
    s = buyer("IN", date="2024-06-01")
    s["entities"]["Buyer"]["parent"] = "Parent"
    s["entities"]["Parent"] = {}
    d = run(s)
    assert d.license_required is None
    assert "headquartered(Parent)" in d.missing_facts


# --- the IFR's compliance window: 2025-01-13 .. 2025-05-14 ---------------------------------
def test_90fr4544_h100s_to_germany_on_2025_03_01_follow_the_earlier_controls():
    """90 FR 4544: effective 2025-01-13, compliance from 2025-05-15. On 2025-03-01 H100s to a
    German buyer need no licence (the earlier controls), and the answer says what the IFR
    will require from 2025-05-15."""
    d = run(buyer("DE", date="2025-03-01"))
    assert d.license_required is False
    texts = [n["text"] for n in d.notes]
    assert any("From 2025-05-15" in t and "742.6(a)(6)(iii)" in t for t in texts)


@pytest.mark.parametrize("view, on_compliance", [("as_written", True), ("as_enforced", False)])
@pytest.mark.provision("ai_diffusion_ifr")
def test_90fr4544_compliance_date_2025_05_15_boundary_both_views(view, on_compliance):
    """90 FR 4544: on 2025-05-14 (window) no licence to Germany in either view; on 2025-05-15
    the worldwide requirement applies as written, but is not enforced (BIS, 2025-05-13)."""
    assert run(buyer("DE", date="2025-05-14"), view=view).license_required is False
    d = run(buyer("DE", date="2025-05-15"), view=view)
    assert d.license_required is on_compliance
    assert ("worldwide_chips" in provs(d)) is on_compliance
    assert d.view == view and d.to_json()["view"] == view


@pytest.mark.provision("ai_diffusion_ifr")
def test_90fr4544_window_starts_2025_01_13_earlier_controls_both_sides():
    """90 FR 4544 effective 2025-01-13: the earlier controls govern on 2025-01-12 (their own
    time) and on 2025-01-13 (the window): H100s to Vietnam need a licence under them on both."""
    for day in ("2025-01-12", "2025-01-13"):
        d = run(buyer("VN", date=day))
        assert provs(d) == {"earlier_chips_destinations"}, day
    assert "compliance_not_required" in note_ids(run(buyer("VN", date="2025-01-13")))
    assert "compliance_not_required" not in note_ids(run(buyer("VN", date="2025-01-12")))


@pytest.mark.provision("foundry_rule")
def test_90fr5298_foundry_window_2025_01_30_deferred_2025_01_31_applies():
    """90 FR 5298: effective 2025-01-16, compliance from 2025-01-31: the foundry rule's
    provisions are deferred on 2025-01-30 and in force on 2025-01-31."""
    assert "designer_condition" not in in_force(run(buyer("DE", date="2025-01-30")))
    assert "designer_condition" in in_force(run(buyer("DE", date="2025-01-31")))


@pytest.mark.provision("dc_veu_security")
def test_supp10_part748_security_paragraphs_2026_01_14_deferred_2026_01_15_apply():
    """Supp. No. 10 to part 748 paras 14, 15, 18: compliance from 2026-01-15."""
    assert "dc_veu_security" not in in_force(run(buyer("DE", date="2026-01-14")))
    assert "dc_veu_security" in in_force(run(buyer("DE", date="2026-01-15")))


# --- the as-enforced view ---------------------------------------------------------------------
@pytest.mark.provision("bis_non_enforcement")
def test_as_enforced_announcement_2025_05_13_cited_from_its_date():
    """BIS announcement of 2025-05-13 (not CFR text): the as-enforced view cites it from that
    date; the day before, both views agree and nothing is cited."""
    before = run(buyer("DE", date="2025-05-12"), view="as_enforced")
    assert "view_as_enforced" not in note_ids(before)
    on = run(buyer("DE", date="2025-05-13"), view="as_enforced")
    assert "view_as_enforced" in note_ids(on)
    assert any("2025-05-13" in c and "not CFR text" in c for c in on.citations)
    assert not any("not CFR text" in c for c in run(buyer("DE", date="2025-05-13")).citations)


@pytest.mark.provision("bis_hq_guidance")
def test_as_enforced_hq_guidance_2026_05_31_still_enforced():
    """BIS guidance of 2026-05-31: the headquarters-based requirement is still enforced. In the
    as-enforced view a Chinese-parented buyer in India needs a licence (744.23(a)(3)); the
    guidance is cited from 2026-05-31, not on 2026-05-30."""
    before = run(buyer("IN", parent_hq="CN", date="2026-05-30"), view="as_enforced")
    assert before.license_required is True and provs(before) == {"earlier_chips_headquarters"}
    assert not any("2026-05-31" in c for c in before.citations)
    on = run(buyer("IN", parent_hq="CN", date="2026-05-31"), view="as_enforced")
    assert on.license_required is True and any("2026-05-31" in c for c in on.citations)
    assert "view_hq_guidance" in note_ids(on)


def test_view_is_checked_and_defaults_to_as_written():
    """view/1: as_written by default; an unknown view is an input error naming the field."""
    assert run(buyer("DE")).view == "as_written"
    with pytest.raises(pyrules.InputError, match="view"):
        run(buyer("DE"), view="as_hoped")
    s = buyer("DE")
    s["view"] = "sideways"
    with pytest.raises(pyrules.InputError, match="view"):
        run(s)


# --- country groups, dated -----------------------------------------------------------------
def members(day, group):
    facts = [clingo.Function("as_of", [clingo.Number(int(day.replace("-", "")))])]
    models = default_engine().models(facts, extra_program="#show in_group/2.", max_models=2)
    assert len(models) == 1
    return {a.arguments[1].string for a in models[0] if a.name == "in_group" and a.arguments[0].name == group}


# The eCFR of 2026-07-23 (transcription named in the reference).
ECFR_2026_07_23 = {
    "a1": "AR AU AT BE BG CA HR CZ DK EE FI FR DE GR HU IS IN IE IT JP KR LV LT LU MX NL NZ NO PL PT RO SK SI "
    "ZA ES SE CH TR GB US",
    "a5": "AR AU AT BE BG CA HR CZ DK EE FI FR DE GR HU IS IN IE IT JP KR LV LT LU NL NZ NO PL PT RO SK SI ES "
    "SE CH TR AE GB",
    "a6": "AL CY IL MT MX SG ZA TW",
    "d1": "AM AZ BY MM KH CN GE IQ KZ KP KG LA LY MO MD MN NI RU TJ TM UZ VE VN YE",
    "d4": "BH BY CN EG IR IQ IL JO KP KW LB LY MO OM PK QA RU SA SY VE YE",
    "d5": "AF BY MM CF CN CD CU ER HT IR IQ KP LB LY NI RU SO SS SD SY VE ZW",
}


@pytest.mark.parametrize("group", sorted(ECFR_2026_07_23))
@pytest.mark.provision("country_groups")
def test_supp1_part740_groups_match_the_ecfr_of_2026_07_23(group):
    """Supp. No. 1 to part 740 on 2026-07-23: each group as the eCFR lists it (Iceland in
    A:1, Brazil not in A:6, Cambodia not in D:5, D:1 and D:4 present, the UAE in A:5)."""
    assert members("2026-07-23", group) == set(ECFR_2026_07_23[group].split())


def test_91fr43034_uae_into_a5_on_2026_07_10_out_of_d4():
    """91 FR 43034 (effective 2026-07-10): the UAE is in A:5 from that day, not the day before."""
    assert "AE" not in members("2026-07-09", "a5") and "AE" in members("2026-07-09", "d4")
    assert "AE" in members("2026-07-10", "a5") and "AE" not in members("2026-07-10", "d4")


@pytest.mark.parametrize("reading, last_day", [("state_department_list", "2025-11-06"), ("bis_rule", "2026-02-02")])
def test_supp1_part740_d5_cambodia_exit_date_is_a_reading(reading, last_day):
    """Note to D:5 (the State list controls; 22 CFR 126.1 amended 2025-11-07) vs the BIS rule of
    2026-02-03: Cambodia is Tier 3 through its last D:5 day and Tier 2 the day after; the
    reading matters between the two dates."""
    import datetime

    after = (datetime.date.fromisoformat(last_day) + datetime.timedelta(days=1)).isoformat()
    s = buyer("KH", readings={"cambodia_d5_exit": reading}, date=last_day)
    d = run(s)
    assert {"country": "KH", "tier": 3} in [
        {"country": a.arguments[0].string, "tier": a.arguments[1].number} for a in d.atoms if a.name == "country_tier"
    ]
    assert d.licensing_policy == "presumption_of_denial"
    s["date"] = after
    d2 = run(s)
    assert d2.licensing_policy == "presumption_of_approval"
    assert "cambodia_d5_exit" in run(buyer("KH", date="2025-12-01")).readings_that_matter
    assert "cambodia_d5_exit" not in run(buyer("KH", date="2026-03-01")).readings_that_matter


# --- 742.6(a)(6)(iii)(B): 3A090.b and 4A090.b ---------------------------------------------------
def b_item(country, date="2025-06-01", eccn="3A090.b", **kw):
    return buyer(country, date=date, items=[{"eccn": eccn, "tpp": 3000, "quantity": 10}], **kw)


@pytest.mark.parametrize(
    "to, required",
    [
        ("CN", True),
        ("MO", True),
        ("VN", True),
        ("SA", True),
        ("IL", False),
        ("DE", False),
        ("IN", False),
        ("TW", False),
    ],
)
@pytest.mark.provision("chips_3a090b_destinations")
def test_742_6_a_6_iii_B_3a090b_to_d1_d4_d5_not_a5_a6(to, required):
    """742.6(a)(6)(iii)(B): a 3A090.b chip needs a licence to or within D:1, D:4 and D:5 (not also
    A:5 or A:6): China yes (it got 'no licence' before), Israel (D:4 and A:6) no, Taiwan (A:6) no."""
    d = run(b_item(to))
    assert d.license_required is required
    assert ("chips_3a090b_destinations" in provs(d)) is required


@pytest.mark.provision("eccn_4a090b", "chips_3a090b_destinations")
def test_742_6_a_6_iii_B_4a090b_to_china():
    """742.6(a)(6)(iii)(B) also covers 4A090.b."""
    assert provs(run(b_item("CN", eccn="4A090.b"))) == {"chips_3a090b_destinations"}


@pytest.mark.provision("chips_3a090b_destinations")
def test_742_6_a_6_iii_B_uae_from_2026_07_10_is_the_reading_uae_3a090b_scope():
    """742.6(a)(6)(iii)(B) with 91 FR 43034: the UAE (D:4 until 2026-07-09) needs a licence for
    3A090.b on 2026-07-09, no reading involved. From 2026-07-10 it is in A:5; the amended text
    names it in the scope (named_in_scope, the default: still a licence), while the groups
    alone would take it out (groups_only: no licence). The reading is reported, with a note."""
    before = run(b_item("AE", date="2026-07-09"))
    assert before.license_required is True and "uae_3a090b_scope" not in before.readings_that_matter
    d = run(b_item("AE", date="2026-07-10"))
    assert d.license_required is True and "uae_3a090b_scope" in note_ids(d)
    assert "uae_3a090b_scope" in d.readings_that_matter
    g = run(b_item("AE", date="2026-07-10", readings={"uae_3a090b_scope": "groups_only"}))
    assert g.license_required is False


@pytest.mark.provision("chips_3a090c_destinations")
def test_742_6_a_6_i_B_3a090c_to_macau_and_d5_only():
    """742.6(a)(6)(i)(B): 3A090.c (high-bandwidth memory) needs a licence to Macau and D:5 only."""
    line = [{"eccn": "3A090.c", "quantity": 10}]
    assert provs(run(buyer("MO", items=line))) == {"chips_3a090c_destinations"}
    assert provs(run(buyer("CN", items=line))) == {"chips_3a090c_destinations"}
    assert run(buyer("VN", items=line)).license_required is False


@pytest.mark.provision("chips_3a090c_destinations")
def test_742_6_a_6_i_B_3a090c_licence_says_no_review_policy_is_stated():
    """742.6(a)(6)(i)(B) with 742.6(b)(10): the sources followed state no review policy
    for 3A090.c (an open question, docs/findings.md): to China the licence is required and
    the answer says no policy is stated, rather than giving none silently; to Vietnam
    (not D:5) no licence, no such note."""
    line = [{"eccn": "3A090.c", "quantity": 10}]
    d = run(buyer("CN", items=line))
    assert d.license_required is True and d.licensing_policy is None
    assert "hbm_no_policy_stated" in note_ids(d)
    assert "hbm_no_policy_stated" not in note_ids(run(buyer("VN", items=line)))


# --- the registry ----------------------------------------------------------------------------
def test_every_provision_names_the_fr_document_that_made_it():
    """Every provision of kb/provisions.lp names its FR document (made_by/2)."""
    models = default_engine().models([], extra_program="#show provision_document_missing/1.", max_models=2)
    assert [str(a) for a in models[0] if a.name == "provision_document_missing"] == []


# --- timeline ----------------------------------------------------------------------------------
def test_timeline_germany_changes_on_2025_05_15_as_written_only():
    """pyrules.timeline: H100s to Germany change on 2023-11-17 (first encoded) and 2025-05-15
    (compliance, worldwide_chips enters force) as written; as enforced, not on 2025-05-15."""
    t = timeline(buyer("DE"), until="2026-08-01")
    dates = [c.date for c in t.changes]
    assert dates[:2] == ["2023-11-17", "2025-05-15"]
    c = t.changes[1]
    assert c.changed["license_required"] == {"from": False, "to": True}
    assert "worldwide_chips" in {p["provision"] for p in c.provisions_entered}
    te = timeline(buyer("DE"), view="as_enforced", until="2026-08-01")
    assert te.view == "as_enforced" and "2025-05-15" not in [c.date for c in te.changes]


def test_timeline_cli_text_and_json(tmp_path):
    """pyrules timeline FILE [--view] [--json]; a bad view exits 2."""
    f = tmp_path / "s.json"
    f.write_text(json.dumps(buyer("DE")))
    cmd = [sys.executable, "-m", "pyrules.cli", "timeline", str(f)]
    out = subprocess.run(cmd + ["--json", "--view", "as_enforced"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout)
    assert obj["view"] == "as_enforced" and obj["changes"][0]["date"] == "2023-11-17"
    txt = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert txt.returncode == 0 and "2025-05-15" in txt.stdout
    bad = subprocess.run(cmd + ["--view", "nope"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2


def test_ask_view_option_in_json(tmp_path):
    """pyrules ask --view as_enforced: the JSON answer carries 'view'."""
    f = tmp_path / "s.json"
    f.write_text(json.dumps(buyer("DE")))
    out = subprocess.run(
        [sys.executable, "-m", "pyrules.cli", "ask", str(f), "--json", "--view", "as_enforced"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    obj = json.loads(out.stdout)
    assert obj["view"] == "as_enforced" and obj["license_required"] is False


# --- bundled cases -------------------------------------------------------------------------------
QUERIES = ROOT / "queries"


@pytest.mark.parametrize(
    "name",
    [
        "time_h100_germany_compliance_window",
        "time_h100_germany_as_enforced",
        "time_3a090b_china",
        "time_earlier_chinese_parent_india",
        "time_h200_china_case_by_case",
    ],
)
def test_bundled_time_cases_meet_their_expect(name):
    """queries/time_*.json: each states its expected outcome in 'expect'."""
    raw = json.loads((QUERIES / f"{name}.json").read_text())
    d = pyrules.evaluate(raw).to_json()
    exp = raw["expect"]
    for key in ("license_required", "authorized", "licensing_policy"):
        if key in exp:
            assert d[key] == exp[key], key
    for sub in exp.get("notes", []):
        assert any(sub in n["text"] for n in d["notes"]), sub


# --- 91 FR 1684: case-by-case for China and Macau ------------------------------------------------
def china(items, date="2026-01-15", to="CN", **kw):
    return buyer(to, items=items, date=date, **kw)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_h200_to_china_case_by_case_from_2026_01_15(view):
    """742.6(b)(10)(iii)(A)(1) (91 FR 1684, effective 2026-01-15): H200s (15,832 TPP, 4,800 GB/s)
    to China: presumption of denial on 2026-01-14, case by case on 2026-01-15, in both views."""
    line = [{"chip": "H200", "quantity": 10}]
    assert run(china(line, date="2026-01-14"), view=view).licensing_policy == "presumption_of_denial"
    d = run(china(line), view=view)
    assert d.licensing_policy == "case_by_case" and d.overlaps == []
    assert run(china(line, to="MO"), view=view).licensing_policy == "case_by_case"


@pytest.mark.parametrize(
    "tpp, bw, policy",
    [(20999, 6499, "case_by_case"), (21000, 6499, "presumption_of_denial"), (20999, 6500, "presumption_of_denial")],
)
@pytest.mark.provision("policy_dram_case_by_case")
def test_742_6_b_10_iii_A_1_thresholds_21000_tpp_6500_gbps(tpp, bw, policy):
    """742.6(b)(10)(iii)(A)(1): below 21,000 TPP and below 6,500 GB/s (both strict)."""
    line = [{"tpp": tpp, "die_area_mm2": 800, "quantity": 10, "dram_bandwidth_gbps": bw}]
    assert run(china(line)).licensing_policy == policy


def test_742_6_b_10_iii_A_1_bandwidth_unknown_names_it():
    """742.6(b)(10)(iii)(A)(1): a chip below 21,000 TPP with no DRAM bandwidth: no policy, the
    missing bandwidth is named; a B200 (8,000 GB/s, catalogued) stays under the denial."""
    d = run(china([{"tpp": 15000, "die_area_mm2": 800, "quantity": 10}]))
    assert d.licensing_policy is None and "item_dram_bandwidth(1)" in d.missing_facts
    assert run(china([{"chip": "B200", "quantity": 10}])).licensing_policy == "presumption_of_denial"


# --- ledger: rows dated before the compliance date -------------------------------------------------
@pytest.mark.parametrize("reading, second_available", [("counted", False), ("not_counted", True)])
def test_740_29_ledger_pre_compliance_rows_reading(tmp_path, reading, second_available):
    """740.29 LPP limit with 90 FR 4544's compliance date (reading pre_compliance_rows): 1,000
    H100s to Vietnam under LPP on 2025-04-01 (licensed under the earlier controls, D:1), then
    800 on 2025-06-01: counted, the second exceeds 26,900,000 TPP; not counted, it fits."""
    from pyrules.modes.ledger import run_ledger

    def row(i, date, q):
        return {
            "id": i,
            "date": date,
            "readings": {"pre_compliance_rows": reading},
            "transaction": {
                "action": "export",
                "from": "US",
                "to": "VN",
                "consignee": "Acme",
                "via_distributor": False,
                "purpose": "data_center",
                "authorization_claimed": "LPP",
            },
            "items": [{"chip": "H100-SXM", "quantity": q}],
            "entities": {"Acme": {"located": "VN", "headquartered": "VN"}},
            "facts": {"lpp_certification_obtained": True},
        }

    p = tmp_path / "l.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in [row("a", "2025-04-01", 1000), row("b", "2025-06-01", 800)]) + "\n")
    rows = {r["id"]: r for r in run_ledger(p, workers=1).rows}
    assert rows["a"]["claim_available"] is True
    assert rows["b"]["claim_available"] is second_available


@pytest.mark.provision("ai_diffusion_ifr")
@pytest.mark.parametrize(
    "date, view, phase",
    [
        ("2023-11-16", "as_written", "No version of the controls before 2023-11-17"),
        ("2025-01-12", "as_written", "not yet in effect: the controls it amended govern"),
        ("2025-01-13", "as_written", "in effect, but compliance is not yet required"),
        ("2025-05-14", "as_enforced", "in effect, but compliance is not yet required"),
        ("2025-05-15", "as_written", "Compliance with the AI Diffusion rule is required"),
        ("2025-05-15", "as_enforced", "BIS does not enforce its new requirements"),
    ],
)
def test_rule_status_phase_says_which_controls_govern_on_each_side_of_each_date(date, view, phase):
    """90 FR 4544: effective 2025-01-13, compliance from 2025-05-15; before 2025-01-13 the
    controls it amended (88 FR 73458, from 2023-11-17); as enforced, BIS's 2025-05-13
    announcement. The rule status says which, in text too (not 'compliance not yet required'
    for a 2024 date)."""

    d = pyrules.evaluate(scenario(date=date), view=view)
    assert phase in d.rule_status["phase"]
    assert phase in d.to_text()
