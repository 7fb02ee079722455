"""Items: ECCN 3A090 (15 CFR part 774, Supp. No. 1) classification from TPP and
performance density (3A090 Technical Notes), 4A090.a and the .z items, the chip
catalogue, and exact shipment TPP totals."""

from __future__ import annotations

import pytest

from pyrules.engine import kb
from helpers import run, scenario


def item(**kw) -> dict:
    kw.setdefault("quantity", 10)
    return kw


def classify(line: dict):
    d = run(scenario(items=[line]))
    return d, d.items[0]["eccn"], d.items[0]["outside_rule"]


# --- the catalogue ------------------------------------------------------------------
CATALOGUE = {
    "H100-SXM": "3A090.a",
    "H100-PCIe": "3A090.a",
    "H200": "3A090.a",
    "A100": "3A090.a",
    "B200": "3A090.a",
    "MI300X": "3A090.a",
    "Gaudi3": "3A090.a",
    "L40S": "3A090.a",
    "L4": "3A090.a",  # TPP 1940 < 4800, but PD 6.6 >= 5.92
    "H20": None,  # TPP 2368 < 2400 and PD 2.9 < 3.2: neither 3A090.a nor .b
}


def test_3a090_catalogue_has_the_required_chips():
    """ECCN 3A090 Technical Notes: the catalogue covers at least the chips of the issue."""
    assert set(CATALOGUE) <= set(kb.chips())


@pytest.mark.parametrize("chip, eccn", sorted(CATALOGUE.items()))
def test_3a090_catalogue_chip_classification(chip, eccn):
    """ECCN 3A090.a (Supp. No. 1 to part 774): each catalogue chip's classification."""
    d, got, outside = classify(item(chip=chip))
    assert got == eccn
    if eccn is None:
        assert outside == "below_3a090"
        assert d.license_required is False
    else:
        assert outside is None
        assert d.license_required is True
        assert d.controls[0]["eccn"] == "3A090.a"


@pytest.mark.provision("eccn_3a090a", "tpp_definition")
def test_3a090_a_l4_classified_by_performance_density():
    """ECCN 3A090.a: TPP >= 1600 and PD >= 5.92 (L4: 1940 TPP / 294 mm2 = 6.6)."""
    d = run(scenario(items=[item(chip="L4")]))
    assert "3A090.a" == d.items[0]["eccn"]
    assert any(a.name == "classification_provision" and a.arguments[1].name == "eccn_3a090a" for a in d.atoms)


# --- classification from specifications: boundaries -------------------------------------------
@pytest.mark.parametrize(
    "tpp, area, eccn",
    [
        (4800, None, "3A090.a"),  # TPP >= 4800 needs no die area
        (4800, 100000, "3A090.a"),
        (2960, 500, "3A090.a"),  # PD exactly 5.92
        (2960, 500.1, "3A090.b"),  # PD just under 5.92, TPP >= 2400, PD >= 1.6
        (1600, 270.2, "3A090.a"),  # TPP exactly 1600, PD 5.9215
        (1599, 1, None),  # below 1600: never 3A090
        (3000, 600, "3A090.b"),  # TPP 2400..4800, PD 5.0
        (2400, 1500, "3A090.b"),  # PD exactly 1.6 at TPP 2400
        (2400, 1500.1, None),  # PD just under 1.6 at TPP 2400, and < 3.2
        (2000, 625, "3A090.b"),  # TPP >= 1600 with PD exactly 3.2
        (2000, 625.1, None),  # PD just under 3.2, TPP < 2400
        (2_000_000, 100000, "3A090.a"),  # largest unit TPP and die area: no overflow in 1000*TPP
    ],
)
@pytest.mark.provision("eccn_3a090a", "eccn_3a090b", "tpp_definition")
def test_3a090_classification_from_tpp_and_die_area(tpp, area, eccn):
    """ECCN 3A090.a: TPP >= 4800, or TPP >= 1600 and PD >= 5.92; 3A090.b: TPP 2400..<4800 with
    PD 1.6..<5.92, or TPP >= 1600 with PD 3.2..<5.92 (Technical Notes: PD = TPP / die area)."""
    line = item(tpp=tpp, data_center=True) if area is None else item(tpp=tpp, die_area_mm2=area, data_center=True)
    d, got, outside = classify(line)
    assert got == eccn
    if eccn == "3A090.a":
        assert d.license_required is True
    elif eccn == "3A090.b":
        assert outside == "not_advanced"
        assert d.license_required is False
    else:
        assert outside == "below_3a090"
        assert d.license_required is False


@pytest.mark.parametrize("tpp", [1600, 2400, 4799])
def test_3a090_missing_die_area_is_indeterminate_naming_item_die_area(tpp):
    """ECCN 3A090 Technical Notes: with TPP 1600..<4800 the class turns on performance
    density; without the die area the licence requirement is indeterminate."""
    d = run(scenario(items=[item(tpp=tpp, data_center=True)]))
    assert d.license_required is None
    assert "item_die_area(1)" in d.missing_facts
    assert d.licensing_policy is None


def test_3a090_missing_die_area_does_not_hide_another_controlled_line():
    """742.6(a)(6)(iii): one controlled line requires a licence even if another is undecided."""
    d = run(scenario(items=[item(chip="H100-SXM"), item(tpp=3000, data_center=True)]))
    assert d.license_required is True
    assert "item_die_area(2)" in d.missing_facts


def test_3a090_declared_eccn_is_used_unless_the_parameters_meet_3a090a():
    """ECCN 3A090.a/.b: a declared classification is used as given, except a 3A090.b
    declaration for an item whose own TPP meets 3A090.a: then the item is undecided,
    with a note and a missing fact, never 'no licence'."""
    d, got, _ = classify(item(eccn="3A090.b", tpp=20000))
    assert got is None and d.license_required is None
    assert "item_classification(1)" in d.missing_facts
    assert any(n["id"] == "eccn_conflict(1)" for n in d.notes)
    d, got, _ = classify(item(eccn="3A090.b", tpp=3000, die_area_mm2=800))
    assert got == "3A090.b" and d.license_required is False
    d, got, _ = classify(item(eccn="3A090.a", tpp=1000))
    assert got == "3A090.a" and d.license_required is True


@pytest.mark.parametrize(
    "eccn",
    ["4A090.a", "3A001.z.1.a", "4A003.z.2.a", "4A004.z.1", "4A005.z.1", "5A002.z.5.a", "5A004.z.2.a", "5A992.z.1"],
)
@pytest.mark.provision("eccn_4a090a", "eccn_z_items", "worldwide_chips")
def test_742_6_a_6_iii_4a090a_and_z_items_are_controlled(eccn):
    """742.6(a)(6)(iii): 4A090.a and the .z items are under the worldwide licence requirement."""
    d = run(scenario(items=[item(eccn=eccn, tpp=16000)]))
    assert d.license_required is True
    assert d.controls == [
        {"item": 1, "eccn": eccn, "provision": "worldwide_chips", "citation": "15 CFR 742.6(a)(6)(iii)"}
    ]


def test_3a090_item_without_any_identification_of_tpp_is_missing():
    """ECCN 3A090.a declared without a TPP: the shipment's TPP is unknown and named missing;
    the Tier 2 allocation cannot be judged (742.6(b)(10)) - an unknown TPP is not zero."""
    d = run(
        scenario(
            to="IN",
            entities={"Buyer": {"located": "IN", "headquartered": "IN"}},
            items=[item(eccn="3A090.a")],
            facts={"tier2_allocation_used_tpp": 790_000_000, "government_assurances": False},
        )
    )
    assert d.license_required is True
    assert "item_tpp(1)" in d.missing_facts
    assert d.licensing_policy is None


# --- shipment TPP ------------------------------------------------------------------------------
def test_3a090_shipment_tpp_exact_for_largest_quantities():
    """ECCN 3A090 TPP totals: 100,000,000 units x 2,000,000 TPP = 2 x 10^14 exactly (no 32-bit overflow)."""
    d = run(scenario(items=[item(tpp=2_000_000, quantity=100_000_000)]))
    assert d.shipment_tpp == 100_000_000 * 2_000_000
    d = run(
        scenario(
            items=[
                item(tpp=2_000_000, quantity=100_000_000),
                item(chip="H100-SXM", quantity=100_000_000),
                item(tpp=2_000_000, quantity=100_000_000),
            ]
        )
    )
    assert d.shipment_tpp == 2 * 100_000_000 * 2_000_000 + 100_000_000 * 15832


@pytest.mark.parametrize("q, t", [(1, 4800), (135_647, 15832), (2**31 // 15832 + 1, 15832), (99_999_999, 1_999_999)])
def test_3a090_shipment_tpp_product_exact(q, t):
    """ECCN 3A090 TPP totals around and beyond 2^31 are exact."""
    d = run(scenario(items=[item(tpp=t, quantity=q)]))
    assert d.shipment_tpp == q * t


def test_3a090_shipment_tpp_counts_only_advanced_items():
    """742.6(b)(10) allocations are measured in TPP of 3A090.a-level items: a 3A090.b line is not counted."""
    d = run(
        scenario(
            items=[item(chip="H100-SXM", quantity=3), item(tpp=3000, die_area_mm2=600, quantity=1000, data_center=True)]
        )
    )
    assert d.shipment_tpp == 3 * 15832


def test_3a090_catalogue_tpp_overridden_by_given_tpp():
    """ECCN 3A090 Technical Notes: a TPP given for a catalogue chip replaces the catalogue figure."""
    d = run(scenario(items=[item(chip="H100-SXM", tpp=10000, quantity=2)]))
    assert d.shipment_tpp == 20000


# --- Note 2 to 3A090: items not designed or marketed for data centers -------------------------
@pytest.mark.parametrize(
    "tpp, area, eccn, outside",
    [
        (4799, 500, None, "note2_not_data_center"),  # PD 9.6 would meet 3A090.a; TPP just below 4800
        (4800, 500, "3A090.a", None),  # at 4800 Note 2 no longer applies
        (4801, None, "3A090.a", None),
        (3000, 600, None, "note2_not_data_center"),  # would be 3A090.b
        (1600, None, None, "note2_not_data_center"),  # no die area needed to exclude it
        (1599, None, None, "below_3a090"),  # below 1600: below 3A090 anyway
    ],
)
@pytest.mark.provision("eccn_3a090_note2")
def test_3a090_note2_non_data_center_below_4800_tpp_is_outside(tpp, area, eccn, outside):
    """Note 2 to 3A090: 3A090 does not apply to items not designed or marketed for use in
    data centers whose TPP is below 4800 (param note2_tpp); at 4800 and above it does."""
    line = item(tpp=tpp, data_center=False)
    if area is not None:
        line["die_area_mm2"] = area
    d, got, why = classify(line)
    assert got == eccn
    assert why == outside
    assert d.license_required is (eccn is not None)
    if outside == "note2_not_data_center":
        assert d.items[0]["outside_citations"] == ["15 CFR part 774, Supp. No. 1, ECCN 3A090, Note 2"]


def test_3a090_note2_data_center_use_unknown_is_indeterminate_naming_item_data_center():
    """Note 2 to 3A090: TPP 4799 and PD meeting 3A090.a, data-center use not given: the
    class turns on it, so the answer is indeterminate naming item_data_center(1)."""
    d, got, _ = classify(item(tpp=4799, die_area_mm2=500))
    assert got is None and d.license_required is None
    assert "item_data_center(1)" in d.missing_facts
    # at 4800 the class no longer turns on it (the licence requirement is decided)
    d, got, _ = classify(item(tpp=4800))
    assert got == "3A090.a" and d.license_required is True
    # below both density bands it does not matter either
    d, got, _ = classify(item(tpp=2000, die_area_mm2=700))
    assert got is None and d.license_required is False and "item_data_center(1)" not in d.missing_facts


def test_3a090_note2_consumer_catalogue_chip_above_4800_stays_3a090a():
    """Note 2 to 3A090 reaches only TPP below 4800: the RTX 4090 (5285, consumer) is 3A090.a."""
    d, got, _ = classify(item(chip="RTX4090"))
    assert got == "3A090.a" and d.license_required is True


def test_3a090_below_parameters_are_cited_with_the_no():
    """ECCN 3A090 and its Technical Notes: an item below 3A090 cites the parameters it fails."""
    d, got, why = classify(item(chip="H20"))  # TPP 2368, PD 2.9
    assert why == "below_3a090" and d.license_required is False
    failed = {p["parameter"]: p["threshold"] for p in d.items[0]["fails_parameters"]}
    assert failed == {"tpp_3a090a": 4800, "tpp_3a090b_band": 2400, "pd_3a090a_x100": 592, "pd_3a090b_mid_x100": 320}
    assert "15 CFR part 774, Supp. No. 1, ECCN 3A090, Technical Notes" in d.items[0]["outside_citations"]
    d, _, _ = classify(item(tpp=1599, data_center=True))
    assert {p["parameter"] for p in d.items[0]["fails_parameters"]} == {"tpp_3a090_floor", "tpp_3a090a"}


def test_734_13_movement_within_the_united_states_cites_734_13():
    """15 CFR 734.13: a shipment from the US to the US is not an export; the "no" cites it."""
    d = run(scenario(to="US", entities={"Buyer": {"located": "US", "headquartered": "US"}}))
    assert d.license_required is False
    assert d.items[0]["outside_rule"] == "within_united_states"
    assert d.items[0]["outside_citations"] == ["15 CFR 734.13-734.16"]


# --- moved from test_spec_coverage.py: 742.6(a)(6)(iii), (a)(13): a transaction with no items ---
from helpers import bundled_case  # noqa: E402
from pyrules.modes.expect import compare  # noqa: E402


def test_no_item_lines_is_an_input_error_naming_items():
    """742.6(a)(6)(iii), (a)(13): a transaction with no item lines is an input error naming
    'items' (it never answers 'no licence' for want of anything to judge); exit code 2."""
    import subprocess as _sp
    import sys as _sys
    import json as _json
    import tempfile as _tf
    import os as _os
    import pyrules

    s = {
        "scenario": "nothing",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "B"},
        "entities": {"B": {"located": "DE", "headquartered": "DE"}},
    }
    for items in (None, []):
        if items is not None:
            s["items"] = items
        with pytest.raises(pyrules.InputError) as exc:
            pyrules.evaluate(s)
        assert exc.value.field == "items"
    with _tf.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        _json.dump(s, fh)
    try:
        out = _sp.run([_sys.executable, "-m", "pyrules.cli", "ask", fh.name], capture_output=True, text=True)
    finally:
        _os.unlink(fh.name)
    assert out.returncode == 2 and "items" in out.stderr and "Traceback" not in out.stderr


# --- moved from test_issue10_cases.py: Note 2 to 3A090 (bundled case) ---
@pytest.mark.parametrize(
    "name",
    [
        "core_note2_non_data_center_chip_below_4800",
    ],
)
def test_3a090_note2_bundled_case_meets_its_expect(name):
    """Note 2 to 3A090: the bundled case states its outcome in "expect" (also checked by `pyrules test`)."""
    expect, _, j = bundled_case(name)
    assert compare(expect, j) == []


@pytest.mark.provision("eccn_3a090_note2")
def test_note2_to_3a090_case_is_outside_with_citation():
    """Note 2 to 3A090: the case's item is outside 3A090 and the 'no' cites Note 2."""
    _, d, _ = bundled_case("core_note2_non_data_center_chip_below_4800")
    assert d.license_required is False
    assert d.items[0]["outside_citations"] == ["15 CFR part 774, Supp. No. 1, ECCN 3A090, Note 2"]


# --- new: 3A090 Technical Notes (performance density) at its boundary ---
@pytest.mark.provision("tpp_definition", "eccn_3a090a", "eccn_3a090b")
def test_3a090_technical_notes_performance_density_is_tpp_over_die_area():
    """3A090 Technical Notes: performance density is TPP divided by the die area. TPP 1,776 on
    300 mm2 is exactly 5.92 (3A090.a); on 301 mm2 it is 5.90, below 5.92 but at least 3.2
    (3A090.b); TPP 1,599 is below 3A090 whatever the area, and the answer cites the notes."""

    def line(tpp, area):
        d = run(scenario(items=[{"tpp": tpp, "die_area_mm2": area, "quantity": 1, "data_center": True}]))
        return d.items[0]

    assert line(1776, 300)["eccn"] == "3A090.a"
    assert line(1776, 301)["eccn"] == "3A090.b"
    below = line(1599, 1)
    assert below["eccn"] is None and below["outside_rule"] == "below_3a090"
    assert "15 CFR part 774, Supp. No. 1, ECCN 3A090, Technical Notes" in below["outside_citations"]
