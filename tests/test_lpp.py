"""License Exception Low Processing Performance (LPP), 15 CFR 740.29: up to 26,900,000 TPP
per calendar year to one ultimate consignee with no Tier 3 tie, exported or reexported
directly (no in-country transfer, no distributor), with the consignee's certification;
and its obligations (certification copy, BIS notifications)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from helpers import check_scenario_files_cover_every_condition, auth, failed, run, scenario


def line(tpp: int, quantity: int) -> dict:
    return {"eccn": "3A090.a", "tpp": tpp, "quantity": quantity}


def lpp(items=None, prior=0, located="IN", hq="IN", parent_hq=None, facts=None, **kw) -> dict:
    """3A090.a chips from the US to an Indian company; LPP's conditions met by default.
    ``prior`` is the TPP already shipped to it under LPP this calendar year (None: unknown)."""
    ents = {"Buyer": {"located": located, "headquartered": hq}}
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    f = {"lpp_certification_obtained": True}
    if prior is not None:
        f["lpp_prior_shipments_tpp"] = prior
    f.update(facts or {})
    return scenario(to=located, items=items or [line(10_000, 100)], entities=ents, facts=f, **kw)


def obligation_ids(d) -> set[str]:
    return {o["id"] for o in d.obligations}


def missing(d) -> set[str]:
    return {u["missing_fact"] for u in auth(d, "LPP")["undecided_conditions"]}


def test_740_29_lpp_available_for_small_direct_export():
    """740.29: 1,000,000 TPP exported directly to a Tier 2 consignee, certification obtained."""
    d = run(lpp())
    a = auth(d, "LPP")
    assert a["available"] is True and not a["failed_conditions"] and not a["undecided_conditions"]
    assert d.authorized is True


# --- the calendar-year limit --------------------------------------------------------------


@pytest.mark.provision("lic_lpp")
def test_740_29_lpp_limit_exactly_26_9m_is_within():
    """740.29: 16,900,000 earlier this year + 10,000,000 now = exactly 26,900,000: within LPP."""
    d = run(lpp(items=[line(10_000, 1_000)], prior=16_900_000))
    assert auth(d, "LPP")["available"] is True


def test_740_29_lpp_limit_26_9m_plus_one_is_not():
    """740.29: 16,900,001 earlier this year + 10,000,000 now = 26,900,001: LPP fails."""
    d = run(lpp(items=[line(10_000, 1_000)], prior=16_900_001))
    assert failed(d, "LPP") == {"lpp_annual_limit"}


@pytest.mark.provision("lic_lpp")
def test_740_29_lpp_single_shipment_at_and_above_limit():
    """740.29: one shipment of exactly 26,900,000 TPP is within; 26,900,001 is not."""
    assert auth(run(lpp(items=[line(26_900, 1_000)])), "LPP")["available"] is True
    d = run(lpp(items=[line(26_900, 1_000), line(1, 1)]))
    assert failed(d, "LPP") == {"lpp_annual_limit"}


def test_740_29_lpp_prior_above_2_pow_32_does_not_wrap():
    """740.29 with exact arithmetic: earlier shipments of 4,294,967,296 TPP (2^32, which a
    32-bit integer would wrap to 0) put the consignee over the limit."""
    d = run(lpp(prior="4294967296"))
    assert failed(d, "LPP") == {"lpp_annual_limit"}


def test_740_29_lpp_prior_shipments_unknown_is_indeterminate():
    """740.29: the consignee's earlier LPP shipments this year must be known."""
    d = run(lpp(prior=None))
    assert auth(d, "LPP")["available"] is None
    assert missing(d) == {"lpp_prior_shipments_tpp"}
    assert "lpp_prior_shipments_tpp" in d.missing_facts


def test_740_29_lpp_shipment_alone_over_limit_fails_without_prior():
    """740.29: a shipment above 26,900,000 TPP by itself fails whatever came before."""
    d = run(lpp(items=[line(30_000, 1_000)], prior=None))
    assert failed(d, "LPP") == {"lpp_annual_limit"}
    assert not missing(d)


def test_740_29_lpp_shipment_tpp_unknown_is_indeterminate():
    """740.29: a 3A090.a line without TPP leaves the limit undecided."""
    d = run(lpp(items=[{"eccn": "3A090.a", "quantity": 5}]))
    assert missing(d) == {"item_tpp(1)"}


# --- parties and the way the items travel -------------------------------------------------------


def test_740_29_lpp_in_country_transfer_fails():
    """740.29: LPP does not authorize in-country transfers."""
    d = run(lpp(action="in_country_transfer"))
    assert failed(d, "LPP") == {"lpp_transaction_kind"}


def test_740_29_lpp_reexport_is_covered():
    """740.29: reexports are covered."""
    assert auth(run(lpp(action="reexport")), "LPP")["available"] is True


def test_740_29_lpp_via_distributor_fails():
    """740.29: items must go directly to the ultimate consignee, not through a distributor."""
    d = run(lpp(via_distributor=True))
    assert failed(d, "LPP") == {"lpp_no_distributor"}


def test_740_29_lpp_distributor_unknown_is_indeterminate():
    """740.29: whether a distributor is used is a needed fact."""
    s = lpp()
    del s["transaction"]["via_distributor"]
    d = run(s)
    assert missing(d) == {"via_distributor"}


def test_740_29_lpp_located_in_tier3_fails():
    """740.29: not to a consignee located in Tier 3 (Macau)."""
    d = run(lpp(located="MO", hq="SG"))
    assert failed(d, "LPP") == {"lpp_not_located_tier3"}


def test_740_29_lpp_headquartered_in_tier3_fails():
    """740.29: not to a consignee headquartered in Tier 3."""
    d = run(lpp(located="SG", hq="CN"))
    assert failed(d, "LPP") == {"lpp_headquarters_not_tier3"}


def test_740_29_lpp_ultimate_parent_in_tier3_fails():
    """740.29: not to a consignee whose ultimate parent is headquartered in Tier 3."""
    d = run(lpp(located="SG", hq="SG", parent_hq="RU"))
    assert failed(d, "LPP") == {"lpp_headquarters_not_tier3"}


def test_740_29_lpp_certification_not_obtained_fails():
    """740.29: the consignee's certification is obtained before using LPP."""
    d = run(lpp(facts={"lpp_certification_obtained": False}))
    assert failed(d, "LPP") == {"lpp_certification"}


def test_740_29_lpp_certification_unknown_is_indeterminate():
    """740.29: the certification is a needed fact."""
    s = lpp()
    del s["facts"]["lpp_certification_obtained"]
    assert missing(run(s)) == {"lpp_certification_obtained"}


# --- obligations ------------------------------------------------------------------------------


def test_740_29_lpp_certification_copy_within_30_days_of_export():
    """740.29: a copy of the certification goes to BIS within 30 days of the export."""
    d = run(lpp())
    ob = [o for o in d.obligations if o["id"] == "lpp_certification_copy"]
    assert len(ob) == 1 and ob[0]["deadline"] == "within 30 days of export"
    d = run(lpp(action="reexport"))
    ob = [o for o in d.obligations if o["id"] == "lpp_certification_copy"]
    assert ob[0]["deadline"] == "within 30 days of reexport"


def test_740_29_lpp_notification_exactly_3_2m_not_needed():
    """740.29: a shipment of exactly 3,200,000 TPP needs no notification to BIS."""
    d = run(lpp(items=[line(3_200, 1_000)]))
    assert auth(d, "LPP")["available"] is True
    assert "lpp_large_shipment_notice" not in obligation_ids(d)


def test_740_29_lpp_notification_above_3_2m_needed():
    """740.29: a shipment of 3,200,001 TPP to one consignee must be notified to BIS."""
    d = run(lpp(items=[line(3_200, 1_000), line(1, 1)]))
    assert "lpp_large_shipment_notice" in obligation_ids(d)


def test_740_29_lpp_notification_reading_cumulative_year():
    """740.29 (reading lpp_notification_basis): 1,000,000 TPP now after 3,000,000 earlier.
    Per shipment no notice is due; counted over the year it is; the reading is reported."""
    s = lpp(items=[line(1_000, 1_000)], prior=3_000_000)
    d = run(s)
    assert d.readings["lpp_notification_basis"] == "per_shipment"
    assert "lpp_large_shipment_notice" not in obligation_ids(d)
    assert "lpp_notification_basis" in d.readings_that_matter
    s["readings"] = {"lpp_notification_basis": "cumulative_year"}
    d = run(s)
    assert "lpp_large_shipment_notice" in obligation_ids(d)
    assert "lpp_notification_basis" in d.readings_that_matter


def test_740_29_lpp_notification_reading_irrelevant_when_year_below_threshold():
    """740.29: with 3,000,000 TPP in the year in all, the notification reading does not matter."""
    d = run(lpp(items=[line(1_000, 1_000)], prior=2_000_000))
    assert "lpp_notification_basis" not in d.readings_that_matter
    assert "lpp_large_shipment_notice" not in obligation_ids(d)


def test_740_29_lpp_consignee_reaching_limit_must_notify():
    """740.29: a consignee whose year reaches 26,900,000 TPP must notify BIS; one just
    below does not."""
    d = run(lpp(items=[line(10_000, 1_000)], prior=16_900_000))
    assert "lpp_consignee_limit_notice" in obligation_ids(d)
    d = run(lpp(items=[line(10_000, 1_000)], prior=16_899_999))
    assert "lpp_consignee_limit_notice" not in obligation_ids(d)


def test_740_29_lpp_no_obligations_when_unavailable():
    """740.29: the LPP obligations come only with an available LPP."""
    d = run(lpp(items=[line(10_000, 1_000)], prior=16_900_001))
    assert not {"lpp_certification_copy", "lpp_large_shipment_notice", "lpp_consignee_limit_notice"} & obligation_ids(d)


# --- property ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    tpp=st.integers(4_800, 40_000),
    q=st.integers(1, 2_000),
    extra=st.integers(1, 3_000),
    prior=st.sampled_from([0, 1_000_000, 20_000_000, 26_000_000, 26_900_000]),
)
def test_740_29_lpp_raising_quantity_never_makes_it_available(tpp, q, extra, prior):
    """740.29: more units can only push the consignee toward the limit: if LPP is not
    available for q units it is not available for q + extra units."""
    small = auth(run(lpp(items=[line(tpp, q)], prior=prior)), "LPP")["available"]
    big = auth(run(lpp(items=[line(tpp, q + extra)], prior=prior)), "LPP")["available"]
    if small is not True:
        assert big is not True
    # and the boundary is exactly where the arithmetic says
    assert (small is True) == (prior + tpp * q <= 26_900_000)


# --- scenario files queries/lpp_*.json ----------------------------------------------------------


def test_740_29_lpp_scenario_files_cover_every_condition():
    """15 CFR 740.29: the queries/lpp_*.json scenarios show LPP available at least once
    and each of its named conditions failing at least once."""
    check_scenario_files_cover_every_condition("LPP")


# --- issue 10: 740.29(a), counting against the operator's limit --------------------------------
def _with_operator(hq, prior=0, items=None):
    s = lpp(hq=hq, prior=prior, items=items, facts={"lpp_operator": "Ops"})
    s["entities"]["Ops"] = {"located": "IN", "headquartered": "IN"}
    return s


def test_740_29_a_tier1_consignee_counts_against_operator_limit():
    """740.29(a): a consignee headquartered in Tier 1 (DE) may count the shipment against the limit
    of the entity that will operate the items: LPP available, with a note naming whose limit counts."""
    d = run(_with_operator("DE"))
    assert auth(d, "LPP")["available"] is True
    assert any(n["id"] == "lpp_limit_of_operator" for n in d.notes)


def test_740_29_a_non_tier1_consignee_cannot_use_operator_limit():
    """740.29(a): an Indian-headquartered consignee cannot use another entity's limit."""
    d = run(_with_operator("IN"))
    assert "lpp_operator_limit" in failed(d, "LPP")


def test_740_29_a_operator_limit_still_at_26_9m_boundary():
    """740.29(a) with the annual limit: the operator's prior 25,900,000 + this 1,000,000 reaches
    26,900,000 exactly (within); one more TPP of prior shipments is over."""
    assert auth(run(_with_operator("DE", prior=25_900_000)), "LPP")["available"] is True
    assert "lpp_annual_limit" in failed(run(_with_operator("DE", prior=25_900_001)), "LPP")


def test_740_29_a_consignee_as_its_own_operator_changes_nothing():
    """740.29(a): naming the consignee itself as operator is its own limit: no condition, no note."""
    s = lpp(hq="IN", facts={"lpp_operator": "Buyer"})
    d = run(s)
    assert auth(d, "LPP")["available"] is True
    assert not any(n["id"] == "lpp_limit_of_operator" for n in d.notes)


# --- moved from test_reliability.py: 15 CFR 740.29 LPP limit: exact sums over many item lines ---
import copy  # noqa: E402

from helpers import note_ids  # noqa: E402
from pyrules.errors import InputError  # noqa: E402
from pyrules.inputs import limits  # noqa: E402
from pyrules.inputs.model import Scenario  # noqa: E402


def lpp_case(**kw):
    return scenario(
        authorization_claimed="LPP", **kw, facts={"lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True}
    )


def test_740_29_lpp_limit_with_4300_item_lines_is_exact():
    """740.29 (LPP, 26,900,000 TPP a year): 4,300 lines of 999,999 TPP are 4,299,995,700 TPP,
    far over the limit (the 32-bit #sum of the limbs made it 5,028,404 and LPP available)."""
    d = run(lpp_case(items=[{"eccn": "3A090.a", "tpp": 999_999, "quantity": 1}] * 4300))
    (tpp,) = [a for a in d.atoms if a.name == "shipment_tpp"]
    from pyrules.engine.arithmetic import from_big

    assert from_big(tpp.arguments[0]) == 4300 * 999_999
    assert "lpp_annual_limit" in failed(d, "LPP")


def test_740_29_lpp_limit_item_count_at_and_past():
    """limits.MAX_ITEMS: 10,000 item lines are accepted and their largest totals (10^8 units
    of 2,000,000 TPP each: limbs of 999,999 below) sum exactly in kb/arithmetic.lp;
    10,001 lines are refused."""
    import clingo
    from pyrules.engine import kb
    from pyrules.engine.arithmetic import Arithmetic, big, from_big

    Scenario.from_dict(scenario(items=[{"chip": "H100-SXM", "quantity": 1}] * limits.MAX_ITEMS))
    line = 2 * 10**14 - 1
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb.kb_dir() / "arithmetic.lp").read_text(encoding="utf-8") + "\n#show total/2.")
    with ctl.backend() as b:
        for i in range(limits.MAX_ITEMS):
            b.add_rule([b.add_atom(clingo.Function("addend", [clingo.Function("k"), clingo.Number(i), big(line)]))])
    ctl.ground([("base", [])], context=Arithmetic())
    totals = []
    ctl.solve(on_model=lambda m: totals.extend(m.symbols(shown=True)))
    assert from_big(totals[0].arguments[1]) == limits.MAX_ITEMS * line
    with pytest.raises(InputError, match="at most 10,000"):
        Scenario.from_dict(scenario(items=[{"chip": "H100-SXM", "quantity": 1}] * (limits.MAX_ITEMS + 1)))


# --- moved from test_spec_coverage.py: 15 CFR 740.29 with 742.6(b)(10): LPP does not draw on the allocation ---
def test_740_29_lpp_shipments_not_counted_against_tier2_allocation_note():
    """740.29 / 742.6(b)(10): an LPP shipment to a Tier 2 country says that it does not count
    against the country's TPP allocation; without LPP the note is absent."""
    lpp_ok = scenario(
        to="IN",
        items=[{"chip": "H100-SXM", "quantity": 100}],
        entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
        facts={"lpp_prior_shipments_tpp": 0, "lpp_certification_obtained": True},
    )
    d = run(lpp_ok)
    assert auth(d, "LPP")["available"] is True
    assert "lpp_outside_allocation" in note_ids(d)
    no_lpp = copy.deepcopy(lpp_ok)
    no_lpp["transaction"]["via_distributor"] = True
    d2 = run(no_lpp)
    assert auth(d2, "LPP")["available"] is False
    assert "lpp_outside_allocation" not in note_ids(d2)
