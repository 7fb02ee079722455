"""Approved and authorized IC designers (foundry rule, 90 FR 5298): Supp. No. 6 to
part 740 (approved designers) and Note 1 to ECCN 3A090.a (authorized designers), as a
condition of License Exceptions AIA (15 CFR 740.27) and ACM (15 CFR 740.28(b))."""

from __future__ import annotations

import pytest

from helpers import auth, failed, run, scenario
from pyrules.output.determination import Determination
from pyrules.engine.control import default_engine
from pyrules.inputs.facts import scenario_facts
from pyrules.inputs.model import Scenario

AIA_FACTS = {"eccn_furnished": True, "aia_certification_obtained": True}


def designer_case(
    designer: dict | None, *, date="2025-06-01", eccn="3A090.a", parent: dict | None = None, with_designer=True
) -> dict:
    """3A090.a chips from the US to a German company (AIA otherwise met), designed by 'Des'."""
    item = {"eccn": eccn, "tpp": 15832, "quantity": 10}
    if with_designer:
        item["designer"] = "Des"
    ents = {"Buyer": {"located": "DE", "headquartered": "DE"}}
    if designer is not None:
        ents["Des"] = designer
    if parent is not None:
        ents["DesParent"] = parent
    return scenario(date=date, items=[item], entities=ents, facts=AIA_FACTS)


def authorized(hq="TW", located=None, **status) -> dict:
    st = {"approved_ic_designer": False, "reports_under_743_9": True, "applied_for_approval": False}
    st.update(status)
    return {"headquartered": hq, "located": located or hq, "status": st}


def undecided_facts(d, name="AIA") -> set[str]:
    return {u["missing_fact"] for u in auth(d, name)["undecided_conditions"]}


@pytest.mark.provision("approved_designers")
def test_supp6_approved_designer_meets_aia_condition():
    """Supp. No. 6 to part 740: a designer on the approved list satisfies the AIA designer condition."""
    d = run(designer_case({"headquartered": "CN", "status": {"approved_ic_designer": True}}))
    assert auth(d, "AIA")["available"] is True
    assert d.authorized is True


@pytest.mark.parametrize("hq", ["TW", "DE", "IN", "IS"])
@pytest.mark.provision("authorized_designers")
def test_note1_3a090a_authorized_designer_taiwan_a1_a5(hq):
    """Note 1 to 3A090.a: a designer headquartered in Taiwan, A:1 (DE, IN) or A:5 (IS) that
    reports under 743.9 is authorized; AIA is available."""
    d = run(designer_case(authorized(hq)))
    assert auth(d, "AIA")["available"] is True


@pytest.mark.parametrize("hq", ["MY", "BR", "SG"])
@pytest.mark.provision("authorized_designers")
def test_note1_3a090a_designer_outside_taiwan_a1_a5_fails(hq):
    """Note 1 to 3A090.a: a designer headquartered outside Taiwan, A:1 and A:5 is not authorized."""
    d = run(designer_case(authorized(hq)))
    assert "aia_ic_designer" in failed(d, "AIA")
    assert auth(d, "AIA")["available"] is False


@pytest.mark.parametrize("parent_hq", ["CN", "MO", "HK", "RU"])
def test_note1_3a090a_parent_in_macau_or_d5_fails(parent_hq):
    """Note 1 to 3A090.a: a Taiwan designer whose ultimate parent is headquartered in Macau
    or D:5 (Hong Kong counts as China) is not authorized."""
    des = authorized("TW")
    des["parent"] = "DesParent"
    d = run(designer_case(des, parent={"headquartered": parent_hq}))
    assert "aia_ic_designer" in failed(d, "AIA")


def test_note1_3a090a_designer_headquartered_in_d5_fails():
    """Note 1 to 3A090.a: a designer headquartered in D:5 (China) is not authorized."""
    d = run(designer_case(authorized("CN")))
    assert "aia_ic_designer" in failed(d, "AIA")


@pytest.mark.provision("foundry_reporting", "authorized_designers")
def test_note1_3a090a_no_743_9_reporting_fails():
    """Note 1 to 3A090.a (2) and 15 CFR 743.9: without foundry reporting the designer is not authorized."""
    d = run(designer_case(authorized("TW", reports_under_743_9=False)))
    assert "aia_ic_designer" in failed(d, "AIA")


def test_note1_3a090a_reporting_unknown_is_undecided():
    """Note 1 to 3A090.a: reporting status unknown -> AIA indeterminate, naming the fact."""
    des = {
        "headquartered": "TW",
        "located": "TW",
        "status": {"approved_ic_designer": False, "applied_for_approval": False},
    }
    d = run(designer_case(des))
    a = auth(d, "AIA")
    assert a["available"] is None
    assert undecided_facts(d) == {"reports_under_743_9(Des)"}
    assert "reports_under_743_9(Des)" in d.missing_facts


@pytest.mark.provision("approved_designers")
def test_supp6_approved_status_unknown_and_not_authorized_is_undecided():
    """Supp. No. 6 to part 740: when the designer fails Note 1, whether it is on the approved
    list decides; unknown -> undecided naming approved_ic_designer."""
    des = {"headquartered": "MY", "status": {"reports_under_743_9": True}}
    d = run(designer_case(des))
    assert undecided_facts(d) == {"approved_ic_designer(Des)"}


def test_supp6_approved_status_unknown_but_authorized_is_met():
    """Note 1 to 3A090.a: an authorized designer meets the condition whatever its listing."""
    des = {
        "headquartered": "TW",
        "located": "TW",
        "status": {"reports_under_743_9": True, "applied_for_approval": False},
    }
    d = run(designer_case(des))
    assert auth(d, "AIA")["available"] is True


def test_foundry_rule_designer_missing_is_undecided():
    """90 FR 5298: a 3A090.a line with no designer named cannot be decided."""
    d = run(designer_case(None, with_designer=False))
    assert undecided_facts(d) == {"item_designer(1)"}
    assert auth(d, "AIA")["available"] is None


def test_foundry_rule_designer_headquarters_missing_is_undecided():
    """Note 1 to 3A090.a: designer headquarters unknown -> undecided naming headquartered(Des)."""
    des = {"status": {"approved_ic_designer": False, "reports_under_743_9": True}}
    d = run(designer_case(des))
    assert "headquartered(Des)" in undecided_facts(d)


def test_foundry_rule_designer_parent_headquarters_missing_is_undecided():
    """Note 1 to 3A090.a: ultimate parent's headquarters unknown -> undecided naming it."""
    des = authorized("TW")
    des["parent"] = "DesParent"
    d = run(designer_case(des, parent={"located": "TW"}))
    assert undecided_facts(d) == {"headquartered(DesParent)"}


@pytest.mark.provision("foundry_rule", "designer_condition")
def test_foundry_rule_condition_not_before_compliance_date():
    """90 FR 5298: compliance with the designer condition is required from 2025-01-31; on
    2025-01-30 a line with no designer still qualifies for AIA. Both dates fall in the AI
    Diffusion rule's own compliance window (to 2025-05-14), when the earlier controls
    require no licence for this German case, so the IFR's compliance date is moved to
    2025-01-13 by a regime to see the foundry date alone."""
    from pyrules.modes.regime import Regime

    early = Regime.from_dict({"dates": {"compliance": "2025-01-13"}})
    d = run(designer_case(None, with_designer=False, date="2025-01-30"), regime=early)
    assert auth(d, "AIA")["available"] is True
    d = run(designer_case(None, with_designer=False, date="2025-01-31"), regime=early)
    assert auth(d, "AIA")["available"] is None
    # as written: no licence in the window (the earlier controls govern)
    assert run(designer_case(None, with_designer=False, date="2025-01-30")).license_required is False


@pytest.mark.parametrize("eccn", ["3A090.a", "5A002.z.1.a", "5A002.z.3.a", "5A002.z.5.a", "5A992.z.1"])
@pytest.mark.provision("designer_condition")
def test_foundry_rule_designer_condition_eccns(eccn):
    """90 FR 5298: the designer condition covers 3A090.a, 5A002.z.1.a-z.5.a and 5A992.z.1."""
    d = run(designer_case(authorized("MY"), eccn=eccn))
    assert "aia_ic_designer" in failed(d, "AIA")


@pytest.mark.parametrize("eccn", ["4A090.a", "3A001.z.1.a", "4A003.z.1.a", "5A004.z.1.a"])
@pytest.mark.provision("designer_condition")
def test_foundry_rule_designer_condition_not_for_other_eccns(eccn):
    """90 FR 5298: 4A090.a and the other .z items carry no designer condition."""
    d = run(designer_case(authorized("MY"), eccn=eccn))
    assert auth(d, "AIA")["available"] is True


def test_note1_3a090a_authorized_only_prior_to_the_date():
    """Note 1 to 3A090.a: authorized only for transactions "prior to" the date: 2026-04-12 is,
    2026-04-06 (before 91 FR 17851) with the first date 2026-04-13 is; 2026-12-30 is and
    2026-12-31 (the moved date itself) is not."""
    assert auth(run(designer_case(authorized("TW"), date="2026-04-06")), "AIA")["available"] is True
    assert auth(run(designer_case(authorized("TW"), date="2026-12-30")), "AIA")["available"] is True
    assert "aia_ic_designer" in failed(run(designer_case(authorized("TW"), date="2026-12-31")), "AIA")
    assert "aia_ic_designer" in failed(run(designer_case(authorized("TW"), date="2027-01-01")), "AIA")


def test_note1_3a090a_first_date_exclusive_under_a_regime_without_the_amendment():
    """Note 1 to 3A090.a as first written: 'prior to 2026-04-13' - with 91 FR 17851 moved out of
    the way, 2026-04-12 is authorized and 2026-04-13 is not."""
    for date, ok in (("2026-04-12", True), ("2026-04-13", False)):
        s = Scenario.from_dict(designer_case(authorized("TW"), date=date))
        atoms = default_engine().answer(
            scenario_facts(s), extra_program="regime_date(designer_deadline_amendment, 20990101)."
        )
        d = Determination.from_atoms(s, atoms, as_of=s.date)
        assert (auth(d, "AIA")["available"] is True) is ok, date


def test_note1_3a090a_status_ceases_180_days_after_application():
    """Note 1 to 3A090.a (3): applied on 2026-01-01: still authorized on day 179 (2026-06-29),
    no longer on day 180 (2026-06-30)."""
    applied = {"applied_for_approval": True, "applied_for_approval_on": "2026-01-01"}
    assert auth(run(designer_case(authorized("TW", **applied), date="2026-06-29")), "AIA")["available"] is True
    assert "aia_ic_designer" in failed(run(designer_case(authorized("TW", **applied), date="2026-06-30")), "AIA")


def test_note1_3a090a_application_unknown_is_undecided_once_it_can_matter():
    """Note 1 to 3A090.a (3): whether (and when) the designer applied must be known once an
    application could be 180 days old (180 days after the foundry rule took effect,
    2025-01-16 + 180 = 2025-07-15); before that it cannot matter."""
    st = {"approved_ic_designer": False, "reports_under_743_9": True}
    des = {"headquartered": "TW", "located": "TW", "status": st}
    assert auth(run(designer_case(des, date="2025-07-14")), "AIA")["available"] is True
    assert undecided_facts(run(designer_case(des, date="2025-07-15"))) == {"applied_for_approval(Des)"}
    des["status"] = {**st, "applied_for_approval": True}
    assert undecided_facts(run(designer_case(des, date="2025-07-15"))) == {"applied_for_approval_on(Des)"}


@pytest.mark.parametrize("located", ["MO", "CN", "HK"])
def test_note1_3a090a_designer_located_in_macau_or_d5_fails(located):
    """Note 1 to 3A090.a (1): a Taiwan-headquartered designer located in Macau or D:5 (Hong
    Kong as China) is not authorized; its location unknown leaves the condition open."""
    assert "aia_ic_designer" in failed(run(designer_case(authorized("TW", located=located))), "AIA")
    des = authorized("TW")
    del des["located"]
    assert "located(Des)" in undecided_facts(run(designer_case(des)))


def test_note1_3a090a_deadline_note_mentions_91_fr_17851():
    """91 FR 17851 moved the designer deadline to 2026-12-31 from 2026-04-07; the KB applies
    the moved date from then on and says so in a note."""
    d = run(designer_case(authorized("TW"), date="2026-06-01"))
    note = [n for n in d.notes if n["id"] == "designer_deadline_moved"]
    assert note and "91 FR 17851" in note[0]["text"] and "2026-12-31" in note[0]["text"]


def test_note1_3a090a_regime_can_move_deadline():
    """A regime moving key_date(designer_deadline_amended) back to 2026-04-13 (as first
    written) ends the status of a designer that did not apply on 2026-06-01."""
    s = Scenario.from_dict(designer_case(authorized("TW"), date="2026-06-01"))
    assert auth(run(designer_case(authorized("TW"), date="2026-06-01")), "AIA")["available"] is True
    atoms = default_engine().answer(
        scenario_facts(s), extra_program="regime_date(designer_deadline_amended, 20260413)."
    )
    d = Determination.from_atoms(s, atoms, as_of=s.date)
    assert "aia_ic_designer" in failed(d, "AIA")


def test_740_28_b_acm_has_the_same_designer_condition():
    """15 CFR 740.28(b) as amended by 90 FR 5298: ACM also needs an approved or authorized designer."""
    s = designer_case(authorized("MY"))
    s["transaction"]["purpose"] = "production"
    s["entities"]["Buyer"]["status"] = {"private_sector": True}
    s["facts"]["ultimately_destined_outside_tier3"] = True
    d = run(s)
    assert failed(d, "ACM") == {"acm_ic_designer"}
    s["entities"]["Des"] = authorized("TW")
    assert auth(run(s), "ACM")["available"] is True


@pytest.mark.provision("foundry_reporting")
def test_743_9_reporting_obligation_when_relying_on_an_authorized_designer():
    """15 CFR 743.9(b) with Note 1 to 3A090.a (2): AIA used on the strength of an authorized
    designer brings the 743.9 reporting as an obligation; an approved designer does not,
    nor does an authorized designer when AIA is not available."""
    d = run(designer_case(authorized("TW")))
    ob = [o for o in d.obligations if o["id"] == "designer_743_9_reporting"]
    assert ob and ob[0]["citation"] == "15 CFR 743.9"
    d = run(designer_case({"headquartered": "CN", "status": {"approved_ic_designer": True}}))
    assert not [o for o in d.obligations if o["id"] == "designer_743_9_reporting"]
    s = designer_case(authorized("TW"))
    s["facts"]["aia_certification_obtained"] = False
    assert not [o for o in run(s).obligations if o["id"] == "designer_743_9_reporting"]


# --- the foundry presumption, Note 1 to 3A090.a -----------------------------------------------
def foundry(line=None, role="front_end_fabricator", date="2025-06-01", ents=None, readings=None):
    """A front-end fabricator (or OSAT) exports a logic IC whose own TPP (1000) is below 3A090."""
    item = {"tpp": 1000, "quantity": 10, "process_node_nm": 5, **(line or {})}
    e = {"Buyer": {"located": "DE", "headquartered": "DE"}, **(ents or {})}
    s = scenario(date=date, items=[item], entities=e, facts={"exporter_role": role} if role else {})
    if readings:
        s["readings"] = readings
    return run(s)


OSAT = {"Osat": {"located": "MY", "status": {"approved_osat": True}}}


@pytest.mark.parametrize(
    "node, non_planar, presumed",
    [
        (16, None, True),  # the 16/14 nm node
        (17, None, False),  # just above it, planar unknown... and planar:
        (17, False, False),
        (17, True, True),  # non-planar at any node
    ],
)
def test_note1_3a090a_foundry_presumption_applicable_logic_ic(node, non_planar, presumed):
    """Note 1 to 3A090.a: a logic IC at 16/14 nm or below, or non-planar, exported by a front-end
    fabricator is presumed 3A090.a (and data center); otherwise its own parameters decide."""
    line = {"process_node_nm": node}
    if non_planar is not None:
        line["non_planar"] = non_planar
    d = foundry(line)
    assert (d.items[0]["eccn"] == "3A090.a") is presumed
    assert d.license_required is presumed
    assert any(n["id"] == "foundry_presumption(1)" for n in d.notes) is presumed


def test_note1_3a090a_foundry_presumption_binds_only_fabricators_and_osats():
    """Note 1 to 3A090.a: the presumption binds the front-end fabricator and the OSAT only; with
    the exporter's role unknown the line is undecided naming exporter_role (never 'no')."""
    assert foundry(role="osat").license_required is True
    assert foundry(role="other").license_required is False
    d = foundry(role=None)
    assert d.license_required is None and "exporter_role" in d.missing_facts


@pytest.mark.parametrize(
    "count, date, hbm, rebutted",
    [
        (29_999, "2026-06-01", None, True),  # below 30 billion
        (30_000, "2026-06-01", False, False),  # 30 billion: no longer below; before 2027 no higher figure
        (34_999, "2027-03-01", False, True),  # 2027, no HBM: below 35 billion
        (34_999, "2027-03-01", True, False),  # with HBM only 30 billion counts
        (35_000, "2027-03-01", False, False),
        (39_999, "2029-01-01", False, True),  # 2029 and later, no HBM: below 40 billion
        (40_000, "2029-01-01", False, False),
    ],
)
def test_note1_3a090a_foundry_presumption_rebutted_by_approved_osat_count(count, date, hbm, rebutted):
    """Note 1 to 3A090.a: an approved OSAT attesting a transistor count below 30 billion (35
    billion without HBM in 2027, 40 billion from 2029) rebuts the presumption."""
    line = {"attestation": "osat", "attested_by": "Osat", "transistor_count_millions": count}
    if hbm is not None:
        line["hbm"] = hbm
    d = foundry(line, date=date, ents=OSAT)
    assert d.license_required is (not rebutted)
    assert any(n["id"] == "foundry_presumption_rebutted(1)" for n in d.notes) is rebutted


def test_note1_3a090a_foundry_presumption_2028_is_a_reading():
    """Note 1 to 3A090.a names 35 billion for 2027 and 40 billion from 2029, not 2028: under
    base_only (default) 34,999 million in 2028 does not rebut; under as_2027 it does; the
    output says the reading matters."""
    line = {"attestation": "osat", "attested_by": "Osat", "transistor_count_millions": 34_999, "hbm": False}
    d = foundry(line, date="2028-03-01", ents=OSAT)
    assert d.license_required is True and "foundry_count_2028" in d.readings_that_matter
    d = foundry(line, date="2028-03-01", ents=OSAT, readings={"foundry_count_2028": "as_2027"})
    assert d.license_required is False


def test_note1_3a090a_foundry_presumption_attesters():
    """Note 1 to 3A090.a: an unapproved OSAT, or a fabricator located in D:5, does not rebut;
    a fabricator outside Macau and D:5 does; an approved or authorized designer's attestation
    does; unknown OSAT status or HBM (when it decides) are named missing."""
    count = {"transistor_count_millions": 20_000}
    assert (
        foundry(
            {"attestation": "osat", "attested_by": "O", **count},
            ents={"O": {"located": "MY", "status": {"approved_osat": False}}},
        ).license_required
        is True
    )
    d = foundry({"attestation": "osat", "attested_by": "O", **count}, ents={"O": {"located": "MY"}})
    assert d.license_required is None and "approved_osat(O)" in d.missing_facts
    assert (
        foundry(
            {"attestation": "fabricator", "attested_by": "F", **count}, ents={"F": {"located": "CN"}}
        ).license_required
        is True
    )
    assert (
        foundry(
            {"attestation": "fabricator", "attested_by": "F", **count}, ents={"F": {"located": "TW"}}
        ).license_required
        is False
    )
    des = {"Des": {"located": "TW", "headquartered": "TW", "status": {"approved_ic_designer": True}}}
    assert foundry({"attestation": "designer", "designer": "Des"}, ents=des).license_required is False
    d = foundry(
        {"attestation": "osat", "attested_by": "Osat", "transistor_count_millions": 34_000},
        date="2027-03-01",
        ents=OSAT,
    )
    assert d.license_required is None and "hbm(1)" in d.missing_facts
    # no attestation (or the end user's, which the Note does not accept): the presumption stands
    assert foundry({"attestation": "none"}).license_required is True


# --- moved from test_issue10_cases.py: Note 1 to 3A090.a foundry presumption (bundled cases) ---
from helpers import bundled_case  # noqa: E402
from pyrules.modes.expect import compare  # noqa: E402


@pytest.mark.parametrize(
    "name",
    [
        "foundry_presumption_logic_ic_presumed_3a090a",
        "foundry_presumption_rebutted_by_approved_osat",
    ],
)
def test_note1_3a090a_bundled_cases_meet_their_expect(name):
    """Note 1 to 3A090.a: each bundled foundry case states its outcome in "expect"."""
    expect, _, j = bundled_case(name)
    assert compare(expect, j) == []


def test_note1_3a090a_foundry_presumption_cases():
    """Note 1 to 3A090.a: without an accepted attestation the 5 nm ICs are 3A090.a; with an
    approved OSAT's count below 30 billion they are below 3A090."""
    _, d, _ = bundled_case("foundry_presumption_logic_ic_presumed_3a090a")
    assert d.license_required is True and d.items[0]["eccn"] == "3A090.a"
    _, d, _ = bundled_case("foundry_presumption_rebutted_by_approved_osat")
    assert d.license_required is False and d.items[0]["outside_rule"] == "below_3a090"
