"""Countries and tiers: 15 CFR 742.6(b)(10), 15 CFR part 740 Supp. No. 5 para (a)
(Tier 1), Supp. No. 1 (Country Group D:5, with Macau: Tier 3), Hong Kong as China."""

from __future__ import annotations

import datetime

import clingo
import pycountry
import pytest
from hypothesis import given, settings, strategies as st

from pyrules.engine import kb
from pyrules.engine.control import default_engine
from helpers import SUPP5_PARA_A, run, scenario

D5 = {
    "AF",
    "BY",
    "MM",
    "KH",
    "CF",
    "CN",
    "CD",
    "CU",
    "ER",
    "HT",
    "IR",
    "IQ",
    "KP",
    "LB",
    "LY",
    "NI",
    "RU",
    "SO",
    "SD",
    "SS",
    "SY",
    "VE",
    "ZW",
}


def _date(iso: str) -> int:
    return int(iso.replace("-", ""))


def kb_atoms(facts, show: str) -> list[clingo.Symbol]:
    """The shown atoms of the single answer set of the KB with ``facts`` and an
    extra ``#show`` directive (``show`` like ``"tier/2"``)."""
    models = default_engine().models(facts, extra_program=f"#show {show}.", max_models=2)
    assert len(models) == 1
    name, arity = show.split("/")
    return [a for a in models[0] if a.name == name and len(a.arguments) == int(arity)]


def tiers_on(iso_date: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    facts = [clingo.Function("as_of", [clingo.Number(_date(iso_date))])]
    for a in kb_atoms(facts, "tier/2"):
        out.setdefault(a.arguments[0].string, set()).add(a.arguments[1].number)
    return out


def members_on(iso_date: str, group: str) -> set[str]:
    """Group members on a date. Every country is mentioned (as a location of a probe
    entity) because the KB may look up only the countries a scenario mentions."""
    facts = [clingo.Function("as_of", [clingo.Number(_date(iso_date))])]
    facts += [clingo.Function("located", [clingo.String("probe"), clingo.String(c)]) for c in kb.countries()]
    return {a.arguments[1].string for a in kb_atoms(facts, "member/2") if a.arguments[0].name == group}


def test_iso_3166_1_every_country_in_kb_countries_lp():
    """742.6(b)(10): Tier 2 is 'every other destination', so kb/countries.lp must list every
    ISO 3166-1 alpha-2 code (pycountry), and nothing else."""
    iso = {c.alpha_2 for c in pycountry.countries}
    assert iso == set(kb.countries())


@pytest.mark.parametrize("day", ["2025-01-13", "2025-06-01", "2026-07-09", "2026-07-10", "2027-12-31"])
@pytest.mark.provision("tier1", "tier2", "tier3")
def test_742_6_b_10_every_country_in_exactly_one_tier(day):
    """742.6(b)(10): each destination is in exactly one of Tier 1, 2 and 3 on every date."""
    tiers = tiers_on(day)
    assert set(tiers) == set(kb.countries())
    bad = {c: t for c, t in tiers.items() if len(t) != 1}
    assert not bad


@pytest.mark.provision("tier1")
def test_supp5_para_a_tier1_is_us_plus_the_18():
    """Supp. No. 5 to part 740 para (a): Tier 1 = the United States + 18 destinations."""
    tiers = tiers_on("2025-06-01")
    tier1 = {c for c, t in tiers.items() if t == {1}}
    assert tier1 == SUPP5_PARA_A | {"US"}
    assert len(tier1) == 19


@pytest.mark.provision("tier3")
def test_742_6_b_10_tier3_is_macau_plus_d5_including_burma():
    """742.6(b)(10) / Supp. No. 1 to part 740 (D:5): Tier 3 = Macau + D:5 (incl. Burma, MM) + HK as China."""
    tiers = tiers_on("2025-06-01")
    tier3 = {c for c, t in tiers.items() if t == {3}}
    assert tier3 == D5 | {"MO", "HK"}
    assert "MM" in tier3


@pytest.mark.provision("country_groups")
def test_supp1_part740_d5_membership_is_the_published_list():
    """Supp. No. 1 to part 740, Country Group D:5 as of the rule (MO is not in D:5)."""
    assert members_on("2025-06-01", "d5") == D5
    assert "MO" not in members_on("2025-06-01", "d5")


@pytest.mark.provision("tier2")
def test_742_6_b_10_tier2_is_everyone_else():
    """742.6(b)(10): Tier 2 is every destination in neither Tier 1 nor Tier 3 (e.g. IN, AE, MX, IL, SG)."""
    tiers = tiers_on("2025-06-01")
    tier2 = {c for c, t in tiers.items() if t == {2}}
    assert tier2 == set(kb.countries()) - SUPP5_PARA_A - {"US"} - D5 - {"MO", "HK"}
    for c in ("IN", "AE", "MX", "IL", "SG", "CH", "PL", "SA", "AQ"):
        assert c in tier2


@pytest.mark.provision("hong_kong_as_china")
def test_734_hong_kong_takes_chinas_tier_and_output_says_so():
    """15 CFR 734.3 / 85 FR 45998: Hong Kong is treated as China; the note hong_kong_as_china is printed."""
    d = run(scenario(to="HK", entities={"Buyer": {"located": "HK", "headquartered": "HK"}}))
    assert d.licensing_policy == "presumption_of_denial"
    assert "hong_kong_as_china" in {n["id"] for n in d.notes}
    assert "Hong Kong" in d.to_text()
    # the same chip to a Tier 1 destination raises no Hong Kong note
    assert "hong_kong_as_china" not in {n["id"] for n in run(scenario()).notes}


@pytest.mark.provision("hong_kong_as_china")
def test_734_hong_kong_headquarters_counts_as_china():
    """742.6(b)(10) with 734.3: an entity headquartered in HK is headquartered in Tier 3."""
    d = run(scenario(to="IN", entities={"Buyer": {"located": "IN", "headquartered": "HK"}}))
    assert d.licensing_policy == "presumption_of_denial"
    assert "hong_kong_as_china" in {n["id"] for n in d.notes}


def test_742_6_b_10_burma_note():
    """Supp. No. 1 to part 740 D:5 includes Burma: note burma_in_d5, presumption of denial."""
    d = run(scenario(to="MM", entities={"Buyer": {"located": "MM", "headquartered": "MM"}}))
    assert d.licensing_policy == "presumption_of_denial"
    assert "burma_in_d5" in {n["id"] for n in d.notes}


@pytest.mark.provision("tier3")
def test_742_6_b_10_macau_is_tier3():
    """742.6(b)(10): Macau is named beside D:5 and is Tier 3."""
    d = run(scenario(to="MO", entities={"Buyer": {"located": "MO", "headquartered": "MO"}}))
    assert d.licensing_policy == "presumption_of_denial"


@pytest.mark.provision("country_groups")
def test_supp1_part740_uae_in_a5_only_from_2026_07_10():
    """Supp. No. 1 to part 740, A:5: the UAE joined A:5 effective 2026-07-10 (91 FR 43034)."""
    assert "AE" not in members_on("2026-07-09", "a5")
    assert "AE" in members_on("2026-07-10", "a5")
    assert "AE" in members_on("2027-01-01", "a5")
    # joining A:5 does not move the UAE out of Tier 2
    assert tiers_on("2026-07-10")["AE"] == {2}


def test_supp1_part740_taiwan_in_neither_a1_nor_a5():
    """Supp. No. 1 to part 740: Taiwan is in neither A:1 nor A:5 (why Note 1 to 3A090.a names it)."""
    assert "TW" not in members_on("2025-06-01", "a1")
    assert "TW" not in members_on("2025-06-01", "a5")
    a1 = members_on("2025-06-01", "a1")
    assert {"US", "DE", "JP"} <= a1
    assert not {"MT", "RU", "UA"} & a1  # Wassenaar participants left out of A:1


POLICY_BY_TIER = {1: "presumption_of_approval", 2: "presumption_of_approval", 3: "presumption_of_denial"}


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(sorted(set(kb.countries()) - {"US"})),
    st.dates(min_value=datetime.date(2025, 5, 15), max_value=datetime.date(2028, 12, 31)),
)
def test_742_6_b_10_property_destination_policy_follows_its_tier(country, day):
    # From 2025-05-15 only: before it the earlier controls govern (kb/earlier_controls.lp).
    """742.6(b)(10) (property): a consignee located and headquartered in its destination gets
    the policy of that destination's single tier (Tier 2 with its allocation unused). The
    scenario ships from the United States, so the US itself is left out: a movement within
    the US is not an export (15 CFR 734.13-734.16) and needs no licence."""
    tiers = tiers_on(day.isoformat())
    assert len(tiers[country]) == 1
    (tier,) = tiers[country]
    d = run(
        scenario(
            to=country,
            date=day.isoformat(),
            entities={"Buyer": {"located": country, "headquartered": country}},
            facts={"tier2_allocation_used_tpp": 0, "government_assurances": False},
        )
    )
    assert d.license_required is True
    if d.licensing_policy == "case_by_case":
        # 91 FR 1684 (from 2026-01-15): H100-class chips to China and Macau are reviewed
        # case by case instead (tested at its boundaries in tests/test_time.py).
        assert day >= datetime.date(2026, 1, 15) and tier == 3
        assert "policy_dram_case_by_case" in [c["provision"] for c in d.policy_candidates]
    else:
        assert d.licensing_policy == POLICY_BY_TIER[tier]
    assert d.overlaps == []


# --- moved from test_render.py: countries by code in any case or by name (Supp. No. 1 to part 740) ---
import pyrules  # noqa: E402


@pytest.mark.parametrize("given", ["VN", "vn", "Vietnam", "viet nam", "Viet Nam"])
def test_740_countries_by_code_in_any_case_or_by_name(given):
    """Supp. No. 1 to part 740 country lists: Vietnam (Tier 2) may be written as a code in any
    case or by its name from the KB's country list; all read as VN."""
    d = pyrules.evaluate(scenario(to=given, entities={"Buyer": {"located": given, "headquartered": "vn"}}))
    assert d.source.data["transaction"]["to"] == "VN"
    assert d.source.data["entities"]["Buyer"] == {"located": "VN", "headquartered": "VN"}
    assert d.licensing_policy == "presumption_of_approval"


def test_country_name_before_the_comma_is_enough():
    """ "Congo" is not taken for two countries: only the KB name's first part counts ("Iran")."""
    from pyrules.inputs.model import country_code

    assert country_code("Iran") == "IR" and country_code("Taiwan") == "TW"
    assert country_code("Narnia") is None and country_code("") is None
