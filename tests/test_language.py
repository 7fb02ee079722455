"""Tests for the scenario language (pyrules.language)."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyrules.errors import InputError
from pyrules.inputs.language import parse_file, parse_text, to_text

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def one(text: str) -> dict:
    """Parse a text holding exactly one scenario."""
    result = parse_text(textwrap.dedent(text))
    assert len(result) == 1
    return result[0]


def body(lines: str) -> dict:
    """Parse the given lines wrapped in an untitled scenario."""
    return one("scenario\n" + textwrap.dedent(lines) + "end\n")


def error(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse_text(textwrap.dedent(text), filename="case.scn")
    return info.value


# --------------------------------------------------------------------------- full example

FULL = """\
scenario "Indian cloud provider, Chinese parent"
  on 2025-06-01
  export from US to IN          # action: export | reexport | in-country transfer | ...
  consignee AcmeCloud
  not via distributor           # or: via distributor
  purpose data_center

  ship 1000 x H100-SXM                              # item from the chip catalogue
  ship 8 x eccn 3A090.a tpp 4992 die_area_mm2 826.5 data_center yes designer ChipCo
  ship model_weights FrontierX training_ops 1.2e26 published no

  entity AcmeCloud located IN headquartered IN parent HoldCo status uveu = yes
  entity HoldCo headquartered CN

  fact tier2_allocation_used_tpp = 0
  fact government_assurances = no
  fact eccn_furnished = true
  reading tier_overlap = tier3_prevails

  whatif authorized changing headquartered of HoldCo, quantity of item 1
  whatif lpp changing quantity of item 1 cost 2, date
end
"""

FULL_JSON = {
    "scenario": "Indian cloud provider, Chinese parent",
    "date": "2025-06-01",
    "transaction": {
        "action": "export",
        "from": "US",
        "to": "IN",
        "consignee": "AcmeCloud",
        "via_distributor": False,
        "purpose": "data_center",
    },
    "items": [
        {"chip": "H100-SXM", "quantity": 1000},
        {
            "eccn": "3A090.a",
            "tpp": 4992,
            "die_area_mm2": 826.5,
            "quantity": 8,
            "data_center": True,
            "designer": "ChipCo",
        },
        {"model_weights": "FrontierX", "training_ops": "1.2e26", "published": False},
    ],
    "entities": {
        "AcmeCloud": {"located": "IN", "headquartered": "IN", "parent": "HoldCo", "status": {"uveu": True}},
        "HoldCo": {"headquartered": "CN"},
    },
    "facts": {"tier2_allocation_used_tpp": 0, "government_assurances": False, "eccn_furnished": True},
    "readings": {"tier_overlap": "tier3_prevails"},
    "questions": [
        {
            "goal": "authorized",
            "may_change": [{"fact": "headquartered", "entity": "HoldCo"}, {"fact": "quantity", "item": 1}],
        },
        {"goal": "lpp", "may_change": [{"fact": "quantity", "item": 1, "cost": 2}, {"fact": "date"}]},
    ],
}


def test_full_example():
    assert parse_text(FULL) == [FULL_JSON]


def test_full_example_round_trip():
    assert parse_text(to_text(FULL_JSON)) == [FULL_JSON]


def test_parse_file(tmp_path):
    path = tmp_path / "example.scn"
    path.write_text(FULL, encoding="utf-8")
    assert parse_file(path) == [FULL_JSON]
    path.write_text(FULL.replace("on 2025-06-01", "on 2025-06-1"), encoding="utf-8")
    with pytest.raises(InputError) as info:
        parse_file(path)
    assert info.value.file == str(path) and info.value.line == 2


def test_parse_file_missing(tmp_path):
    with pytest.raises(InputError) as info:
        parse_file(tmp_path / "nope.scn")
    assert info.value.file.endswith("nope.scn")


def test_several_scenarios_comments_and_blank_lines():
    text = """
    # leading comment

    scenario "one"   # trailing comment
      on 2025-01-15
    end
    # between
    scenario two
    end

    scenario
    end
    """
    assert parse_text(textwrap.dedent(text)) == [{"scenario": "one", "date": "2025-01-15"}, {"scenario": "two"}, {}]


def test_windows_line_endings_tabs_and_bom():
    text = '\ufeffscenario\r\n\ton 2025-01-01\r\n\tfact note = "a\tb"\r\nend\r\n'
    assert parse_text(text) == [{"date": "2025-01-01", "facts": {"note": "a\tb"}}]


def test_omitted_keys_are_not_invented():
    assert body("") == {}
    assert body("consignee X\n") == {"transaction": {"consignee": "X"}}


# --------------------------------------------------------------------------- each kind of line


@pytest.mark.parametrize(
    "line, transaction",
    [
        ("export from US to IN", {"action": "export", "from": "US", "to": "IN"}),
        ("reexport from SG to MY", {"action": "reexport", "from": "SG", "to": "MY"}),
        ("re-export from SG to MY", {"action": "reexport", "from": "SG", "to": "MY"}),
        ("in-country transfer in IN", {"action": "in_country_transfer", "from": "IN", "to": "IN"}),
        ("in-country transfer from IN to IN", {"action": "in_country_transfer", "from": "IN", "to": "IN"}),
        ("deemed export from US to IN", {"action": "deemed_export", "from": "US", "to": "IN"}),
        ("deemed reexport from FR to CN", {"action": "deemed_reexport", "from": "FR", "to": "CN"}),
        ("export to IN", {"action": "export", "to": "IN"}),
        ("export from US", {"action": "export", "from": "US"}),
        ("export", {"action": "export"}),
    ],
)
def test_actions(line, transaction):
    assert body(line + "\n") == {"transaction": transaction}


def test_transaction_lines():
    assert body("""\
        consignee "Acme Cloud, Ltd."
        via distributor
        purpose data_center
        authorization LPP
    """) == {
        "transaction": {
            "consignee": "Acme Cloud, Ltd.",
            "via_distributor": True,
            "purpose": "data_center",
            "authorization_claimed": "LPP",
        }
    }
    assert body("not via distributor\n") == {"transaction": {"via_distributor": False}}


def test_date_line():
    assert body("on 2024-02-29\n") == {"date": "2024-02-29"}


@pytest.mark.parametrize(
    "line, item",
    [
        ("ship 1000 x H100-SXM", {"chip": "H100-SXM", "quantity": 1000}),
        ("ship 1000 × H100-SXM", {"chip": "H100-SXM", "quantity": 1000}),
        ("ship H100-SXM", {"chip": "H100-SXM"}),
        ('ship 2 x "Some Chip" designer ChipCo', {"chip": "Some Chip", "quantity": 2, "designer": "ChipCo"}),
        ("ship 3 x A100 tpp 4992", {"chip": "A100", "quantity": 3, "tpp": 4992}),
        ("ship 8 x eccn 3A090.a tpp 4992", {"eccn": "3A090.a", "quantity": 8, "tpp": 4992}),
        ("ship eccn 4A090.a", {"eccn": "4A090.a"}),
        ("ship quantity 5", {"quantity": 5}),
        (
            "ship model_weights FrontierX training_ops 10^26 published no",
            {"model_weights": "FrontierX", "training_ops": "1e26", "published": False},
        ),
        ("ship 26,900,000 x H20", {"chip": "H20", "quantity": 26900000}),
        (
            "ship 8 x eccn 3A090.a, tpp 4992, data_center yes",
            {"eccn": "3A090.a", "quantity": 8, "tpp": 4992, "data_center": True},
        ),
    ],
)
def test_items(line, item):
    assert body(line + "\n") == {"items": [item]}


def test_item_continues_after_trailing_comma():
    assert body("""\
        ship 8 x eccn 3A090.a, tpp 4992,    # the comma carries on
             # even past a comment line
             designer ChipCo
    """) == {"items": [{"eccn": "3A090.a", "quantity": 8, "tpp": 4992, "designer": "ChipCo"}]}


def test_entities():
    assert body("""\
        entity AcmeCloud located IN headquartered IN parent HoldCo status uveu = yes status vend = 3
        entity "Hold Co." headquartered CN,
               located CN
        entity Bare
    """) == {
        "entities": {
            "AcmeCloud": {
                "located": "IN",
                "headquartered": "IN",
                "parent": "HoldCo",
                "status": {"uveu": True, "vend": 3},
            },
            "Hold Co.": {"headquartered": "CN", "located": "CN"},
            "Bare": {},
        }
    }


def test_facts_and_readings():
    assert body("""\
        fact tier2_allocation_used_tpp = 26_900_000
        fact government_assurances = no
        fact note = "free text # not a comment"
        fact effective = 2025-05-15
        reading tier_overlap = tier3_prevails
    """) == {
        "facts": {
            "tier2_allocation_used_tpp": 26900000,
            "government_assurances": False,
            "note": "free text # not a comment",
            "effective": "2025-05-15",
        },
        "readings": {"tier_overlap": "tier3_prevails"},
    }


def test_questions_every_kind_of_change():
    scenario = body("""\
        ship 1 x H100
        whatif authorized
        whatif nac changing headquartered of HoldCo, located of "Acme Cloud" cost 3,
               parent of X, quantity of item 1 cost 2, destination, purpose, date,
               via distributor, via_distributor, fact government_assurances,
               status uveu of AcmeCloud cost 10
        whatif presumption_of_approval changing date
        whatif LPP
    """)
    assert scenario["questions"] == [
        {"goal": "authorized"},
        {
            "goal": "nac",
            "may_change": [
                {"fact": "headquartered", "entity": "HoldCo"},
                {"fact": "located", "entity": "Acme Cloud", "cost": 3},
                {"fact": "parent", "entity": "X"},
                {"fact": "quantity", "item": 1, "cost": 2},
                {"fact": "destination"},
                {"fact": "purpose"},
                {"fact": "date"},
                {"fact": "via_distributor"},
                {"fact": "via_distributor"},
                {"fact": "fact", "name": "government_assurances"},
                {"fact": "status", "name": "uveu", "entity": "AcmeCloud", "cost": 10},
            ],
        },
        {"goal": "presumption_of_approval", "may_change": [{"fact": "date"}]},
        {"goal": "LPP"},
    ]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "written, value",
    [
        ("0", 0),
        ("-7", -7),
        ("4992", 4992),
        ("26,900,000", 26900000),
        ("26_900_000", 26900000),
        (str(INT32_MAX), INT32_MAX),
        (str(INT32_MAX + 1), "2147483648"),
        (str(INT32_MIN), INT32_MIN),
        ("-2147483649", "-2147483649"),
        ("100,000,000,000,000,000,000,000,000", "100000000000000000000000000"),
        ("123456789012345678901234567890", "123456789012345678901234567890"),
        ("826.5", 826.5),
        ("-0.25", -0.25),
        ("1_000.5", 1000.5),
        ("1,000.5", 1000.5),
        ("12345678901.5", "12345678901.5"),
        ("1.2e26", "1.2e26"),
        ("1.2E26", "1.2e26"),
        ("3e+25", "3e+25"),
        ("5e-3", "5e-3"),
        ("10^26", "1e26"),
        ("2.5x10^26", "2.5e26"),
        ("yes", True),
        ("no", False),
        ("true", True),
        ("false", False),
        ("Yes", True),
        ("FALSE", False),
        ("2025-06-01", "2025-06-01"),
        ("tier3_prevails", "tier3_prevails"),
        ("3A090.a", "3A090.a"),
        ("H100-SXM", "H100-SXM"),
        ('"1000"', "1000"),
        ('"yes"', "yes"),
        ('"say \\"hi\\"\\n\\\\"', 'say "hi"\n\\'),
        ('""', ""),
    ],
)
def test_values(written, value):
    facts = body(f"fact v = {written}\n")["facts"]
    assert facts == {"v": value}
    assert type(facts["v"]) is type(value)


def test_big_numbers_are_exact_strings():
    scenario = body("""\
        ship model_weights X training_ops 1.2e26 params 10^26 flops 340,282,366,920,938,463,463,374,607,431,768,211,456
    """)
    assert scenario["items"][0] == {
        "model_weights": "X",
        "training_ops": "1.2e26",
        "params": "1e26",
        "flops": str(2**128),
    }


# --------------------------------------------------------------------------- errors


def test_error_missing_end():
    e = error("""\
        scenario "a"
          on 2025-06-01
        """)
    assert (e.file, e.line, e.column) == ("case.scn", 2, 16)
    assert "expected 'end'" in e.message and "line 1" in e.message


def test_error_missing_end_before_next_scenario():
    e = error("scenario a\n  on 2025-01-01\nscenario b\nend\n")
    assert (e.line, e.column) == (3, 1)
    assert "expected 'end'" in e.message


@pytest.mark.parametrize(
    "date, column, expect",
    [
        ("2025-6-01", 6, "expected a date (YYYY-MM-DD) after 'on', found '2025-6-01'"),
        ("June", 6, "expected a date (YYYY-MM-DD) after 'on', found 'June'"),
        ("2025-02-30", 6, "'2025-02-30' is not a valid date"),
    ],
)
def test_error_bad_date(date, column, expect):
    e = error(f"scenario\n  on {date}\nend\n")
    assert (e.line, e.column) == (2, column)
    assert e.message.startswith(expect)


@pytest.mark.parametrize(
    "line, column, after, found",
    [
        ("in-country transfer in 12", 26, "in", "'12'"),
        ("export from US to", 20, "to", "end of line"),
        ("entity A located ,", 20, "located", "','"),
    ],
)
def test_error_bad_country_code(line, column, after, found):
    # issue 13 changed the wording: lower-case codes and names, quoted or not, are accepted
    # now ("export from US to India" and "located USA" moved to the tests below).
    e = error(f"scenario\n  {line}\nend\n")
    assert (e.line, e.column) == (2, column)
    assert e.message == f"expected a country code (e.g. IN) or a country name after '{after}', found {found}"


@pytest.mark.parametrize(
    "line, column, after, given, hint",
    [
        ("export from US to Vitenam", 21, "to", "Vitenam", " (did you mean 'Vietnam'?)"),
        ('export from US to "Vitenam"', 21, "to", "Vitenam", " (did you mean 'Vietnam'?)"),
        ("entity A located Untied Kingdom", 20, "located", "Untied Kingdom", " (did you mean 'United Kingdom'?)"),
        (
            "entity A located DE, headquartered Germny",
            38,
            "headquartered",
            "Germny",
            " (did you mean 'Germany' or 'Guernsey'?)",
        ),
        (
            "export from Untied States to DE",
            15,
            "from",
            "Untied States",
            " (did you mean 'United States' or 'United Arab Emirates'?)",
        ),
        ("entity A located USA", 20, "located", "USA", ""),
        ("export from US to India please", 21, "to", "India please", ""),
    ],
)
def test_error_unknown_country_names_its_line_and_column(line, column, after, given, hint):
    """Issue 13: a misspelled country is an error at its place, with the closest names of the
    KB's country list, whether written as a code, a bare name or a quoted one."""
    e = error(f"scenario\n  {line}\nend\n")
    assert (e.line, e.column) == (2, column)
    assert e.message == (
        f"unknown country {given!r} after '{after}': expected an ISO 3166-1 alpha-2 code "
        f"(e.g. IN) or a country name{hint}"
    )


@pytest.mark.parametrize(
    "written, code",
    [
        ("Vietnam", "VN"),
        ("viet nam", "VN"),
        ("de", "DE"),
        ("Germany", "DE"),
        ("United Arab Emirates", "AE"),
        ("united arab emirates", "AE"),
        ("El Salvador", "SV"),
        ("Hong Kong", "HK"),
        ("Côte d'Ivoire", "CI"),
        ("Guinea-Bissau", "GW"),
        ("Iran", "IR"),
        ('"Congo, The Democratic Republic of the"', "CD"),
    ],
)
def test_unquoted_country_names_and_lower_case_codes_read_as_in_json(written, code):
    """Issue 13: `to Vietnam`, `to de`, `located United Arab Emirates` read as JSON reads the
    same strings; a multi-word name ends at the next word of the line ('to', 'headquartered')."""
    from pyrules.inputs.model import Scenario

    text = (
        f"scenario\n  export from {written} to {written}\n  ship 1 x H100-SXM\n"
        f"  entity A located {written} headquartered {written} parent B\n"
        f"  entity B located {written}, headquartered US\nend\n"
    )
    d = parse_text(text)[0]
    plain = written.strip('"')
    assert d["transaction"] == {"action": "export", "from": plain, "to": plain}
    assert d["entities"]["A"] == {"located": plain, "headquartered": plain, "parent": "B"}
    s = Scenario.from_dict(d).data
    j = Scenario.from_dict(
        {
            "transaction": {"action": "export", "from": plain, "to": plain},
            "items": [{"chip": "H100-SXM", "quantity": 1}],
            "entities": {
                "A": {"located": plain, "headquartered": plain, "parent": "B"},
                "B": {"located": plain, "headquartered": "US"},
            },
        }
    ).data
    assert s["transaction"]["to"] == s["transaction"]["from"] == code
    assert s["transaction"] == j["transaction"] and s["entities"] == j["entities"]


def test_country_names_written_back_quoted_and_read_again():
    d = {
        "transaction": {"action": "export", "from": "US", "to": "United Arab Emirates"},
        "entities": {"A": {"located": "viet nam", "headquartered": "DE"}},
    }
    text = to_text(d)
    assert 'to "United Arab Emirates"' in text and 'located "viet nam"' in text
    assert parse_text(text) == [d]


def _country_forms():
    """(form written, as it goes in the text) for every country of the KB: its code in either
    case, its name as listed, lower-cased and upper-cased; a name the bare-word form cannot
    hold (commas, parentheses, full stops) goes in quotes."""
    import re

    from pyrules.engine import kb
    from pyrules.inputs.language import _COUNTRY_RE

    bare = re.compile(_COUNTRY_RE)

    def written(form: str) -> str:
        return form if bare.fullmatch(form) else '"' + form + '"'

    countries = sorted(kb.countries().items())
    return (
        st.sampled_from(countries)
        .flatmap(lambda cn: st.sampled_from([cn[0], cn[0].lower(), cn[1], cn[1].lower(), cn[1].upper()]))
        .map(lambda f: (f, written(f)))
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_country_forms(), st.sampled_from(["to", "from", "located", "headquartered", "in"]))
def test_fuzz_scn_and_json_forms_of_a_country_agree(form, where):
    """Whatever form a country takes (code in any case, name in any case, bare or quoted), the
    .scn line and the JSON with the same string give the same scenario, or both refuse it."""
    from pyrules.inputs.model import Scenario

    value, text_form = form
    if where in ("located", "headquartered"):
        text = f"scenario\n  export from US to DE\n  entity A {where} {text_form}\n"
        js = {"transaction": {"action": "export", "from": "US", "to": "DE"}, "entities": {"A": {where: value}}}
    elif where == "in":
        text = f"scenario\n  in-country transfer in {text_form}\n"
        js = {"transaction": {"action": "in_country_transfer", "from": value, "to": value}}
    else:
        other = " to US" if where == "from" else ""
        text = f"scenario\n  export {where} {text_form}{other}\n"
        js = {"transaction": {"action": "export", where: value} | ({"to": "US"} if where == "from" else {})}
    text += "  ship 1 x H100-SXM\nend\n"
    js["items"] = [{"chip": "H100-SXM", "quantity": 1}]
    try:
        from_json = Scenario.from_dict(js).data
    except InputError:
        from_json = None
    try:
        parsed = parse_text(text)[0]
    except InputError as exc:
        assert from_json is None, f"{text!r} refused ({exc}) but JSON {js} accepted"
        assert exc.line == 2 and exc.column is not None
        return
    assert parsed == js
    assert Scenario.from_dict(parsed).data == from_json


def test_lower_case_codes_and_quoted_names_read_as_in_json():
    """Issue 13: `from us to "Vietnam"` reads the same as `from US to VN` once checked."""
    from pyrules.inputs.model import Scenario

    a = parse_text(
        'scenario\n  export from us to "Vietnam"\n  ship 1 x H100-SXM\n  entity A located "viet nam"\nend\n'
    )[0]
    b = parse_text("scenario\n  export from US to VN\n  ship 1 x H100-SXM\n  entity A located VN\nend\n")[0]
    assert Scenario.from_dict(a).data["transaction"] == Scenario.from_dict(b).data["transaction"]
    assert Scenario.from_dict(a).data["entities"] == Scenario.from_dict(b).data["entities"]


def test_error_unknown_keyword():
    e = error("scenario\n  on 2025-01-01\n  shp 5 x H100\nend\n")
    assert (e.line, e.column) == (3, 3)
    assert e.message.startswith("unknown keyword 'shp' (did you mean 'ship'?)")
    e = error("scenario\n  Ship 5 x H100\nend\n")
    assert "keywords are lower-case" in e.message


def test_error_unknown_entity_property():
    e = error("scenario\n  entity A locatd IN\nend\n")
    assert (e.line, e.column) == (2, 12)
    assert e.message == ("expected 'located', 'headquartered', 'parent', 'status' or end of line, found 'locatd'")


def test_error_duplicate_entity():
    e = error("scenario\n  entity A located IN\n  entity B\n  entity A located US\nend\n")
    assert (e.line, e.column) == (4, 10)
    assert e.message == "duplicate entity 'A' (first described on line 2)"


@pytest.mark.parametrize(
    "text, line, column, message",
    [
        ("scenario\n  fact x = 1\n  fact x = 2\nend\n", 3, 8, "duplicate fact 'x'"),
        ("scenario\n  reading r = a\n  reading r = b\nend\n", 3, 11, "duplicate reading 'r'"),
        ("scenario\n  on 2025-01-01\n  on 2025-01-02\nend\n", 3, 3, "the date is already given on line 2"),
        ("scenario\n  export to IN\n  deemed export to IN\nend\n", 3, 3, "the transaction is already given on line 2"),
        (
            "scenario\n  authorization LPP\n\n  authorization AIA\nend\n",
            4,
            3,
            "the authorization is already given on line 2",
        ),
        ("scenario\n  ship eccn X tpp 1 eccn Y\nend\n", 2, 21, "property 'eccn' is given twice in this item"),
        ("scenario\n  ship 5 x A quantity 6\nend\n", 2, 14, "property 'quantity' is given twice in this item"),
        ("scenario\n  entity A located IN located US\nend\n", 2, 23, "'located' is given twice for entity 'A'"),
        ("scenario\n  entity A status s = 1 status s = 2\nend\n", 2, 32, "status 's' is given twice for entity 'A'"),
    ],
)
def test_error_duplicates(text, line, column, message):
    e = error(text)
    assert (e.line, e.column, e.message) == (line, column, message)


@pytest.mark.parametrize(
    "line, column, message",
    [
        ("consignee 1000", 13, "expected a name after 'consignee', found '1000'"),
        ("entity 12 located IN", 10, "expected a name after 'entity', found '12'"),
        ("entity A parent 7", 19, "expected a name after 'parent', found '7'"),
        ("purpose yes", 11, "expected a purpose after 'purpose', found 'yes'"),
        ("whatif 5", 10, "expected a goal (e.g. authorized) after 'whatif', found '5'"),
        ("fact 5 = 1", 8, "expected a fact name (lower_case) after 'fact', found '5'"),
        ("whatif authorized changing parent of 3", 40, "expected an entity name after 'of', found '3'"),
    ],
)
def test_error_number_where_name_expected(line, column, message):
    e = error(f"scenario\n  {line}\nend\n")
    assert (e.line, e.column, e.message) == (2, column, message)


@pytest.mark.parametrize(
    "line, column, message",
    [
        ("on 2025-06-01 extra", 17, "expected end of line, found 'extra'"),
        ("export form US", 10, "expected 'from', 'to' or end of line, found 'form'"),
        ("deemed transfer", 10, "expected 'export' or 'reexport' after 'deemed', found 'transfer'"),
        ("via distributr", 7, "expected 'distributor' after 'via', found 'distributr'"),
        ("ship", 7, "expected an item after 'ship' (e.g. 1000 x H100-SXM), found end of line"),
        ("ship 5 H100", 8, "expected 'x' after the quantity 5 (e.g. ship 1000 x H100-SXM)"),
        ("ship 5 x H100 tpp", 20, "expected a value after 'tpp', found end of line"),
        ("ship eccn 3A090.a 5 6", 21, "expected a property name (lower-case letters, digits and _), found '5'"),
        ("fact x 5", 10, "expected '=' after the fact name, found '5'"),
        ("fact x =", 11, "expected a value after '=', found end of line"),
        ("fact x = 2^10", 12, "only powers of ten can be written with '^' (e.g. 10^26), not '2^10'"),
        ("entity A status uveu yes", 24, "expected '=' after the status name, found 'yes'"),
        ("whatif authorized changing hq of A", 30, "expected something that may change"),
        ("whatif authorized changing date purpose", 35, "expected ',' or end of line, found 'purpose'"),
        ("whatif authorized changing parent A", 37, "expected 'of', found 'A'"),
        ("whatif authorized changing date cost x", 40, "expected a whole number after 'cost', found 'x'"),
        ("whatif authorized changing quantity of item 2", 47, "there is no item 2"),
        ('consignee "Acme', 13, "unterminated quoted string"),
        ("= 5", 3, "expected a keyword at the start of the line, found '='"),
    ],
)
def test_error_messages(line, column, message):
    e = error(f"scenario\n  {line}\nend\n")
    assert (e.line, e.column) == (2, column), e
    assert e.message.startswith(message), e.message


def test_error_comma_before_end():
    e = error("scenario\n  ship eccn 3A090.a,\nend\n")
    assert (e.line, e.column) == (3, 1)
    assert e.message == "expected another property after ',', found 'end'"


def test_error_outside_scenario():
    e = error("scenario\nend\nship 5 x A\n")
    assert (e.line, e.column) == (3, 1)
    assert e.message == "expected 'scenario' to start a scenario, found 'ship'"
    e = error("# only a comment\n")
    assert e.message == "expected 'scenario', found end of file"


def test_error_str_is_located():
    e = error("scenario\n  export to Indai\nend\n")
    assert str(e).startswith("case.scn, line 2, column 13: unknown country 'Indai'")


# --------------------------------------------------------------------------- to_text


def test_to_text_layout():
    assert to_text(FULL_JSON) == textwrap.dedent("""\
        scenario "Indian cloud provider, Chinese parent"
          on 2025-06-01
          export from US to IN
          consignee AcmeCloud
          not via distributor
          purpose data_center

          ship 1000 x H100-SXM
          ship 8 x eccn 3A090.a tpp 4992 die_area_mm2 826.5 data_center yes designer ChipCo
          ship model_weights FrontierX training_ops 1.2e26 published no

          entity AcmeCloud located IN headquartered IN parent HoldCo status uveu = yes
          entity HoldCo headquartered CN

          fact tier2_allocation_used_tpp = 0
          fact government_assurances = no
          fact eccn_furnished = yes
          reading tier_overlap = tier3_prevails

          whatif authorized changing headquartered of HoldCo, quantity of item 1
          whatif lpp changing quantity of item 1 cost 2, date
        end
        """)


def test_to_text_quotes_what_would_read_differently():
    s = {
        "transaction": {"consignee": "1000", "purpose": "yes"},
        "facts": {"a": "42", "b": "no", "c": "10^26", "d": "2025-02-30", "e": "two words", "f": "1e26"},
    }
    text = to_text(s)
    assert 'consignee "1000"' in text and 'purpose "yes"' in text
    assert 'fact a = "42"' in text and "fact f = 1e26" in text
    assert parse_text(text) == [s]


@pytest.mark.parametrize(
    "bad",
    [
        {"transaction": {"action": "smuggle"}},
        {"transaction": {"to": "IN"}},
        {"transaction": {"action": "export", "to": "Atlantis"}},
        {"facts": {"Bad Key": 1}},
        {"facts": {"x": None}},
        {"facts": {"x": float("nan")}},
        {"items": [{}]},
        {"questions": [{"goal": "authorized", "may_change": [{"fact": "nonsense"}]}]},
        {"date": "2025-02-30"},
        {"colour": "red"},
    ],
)
def test_to_text_rejects_what_it_cannot_write(bad):
    with pytest.raises(InputError):
        to_text(bad)


# --------------------------------------------------------------------------- properties

keys = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
country = st.from_regex(r"[A-Z]{2}", fullmatch=True)
names = st.one_of(st.from_regex(r"[A-Za-z][A-Za-z0-9_.\-]{0,8}", fullmatch=True), st.text(max_size=12))
values = st.one_of(
    st.booleans(),
    st.integers(INT32_MIN, INT32_MAX),
    st.floats(min_value=-INT32_MAX, max_value=INT32_MAX, allow_nan=False, allow_infinity=False),
    st.text(max_size=15),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,8}", fullmatch=True),
    st.integers(INT32_MAX + 1, 10**40).map(str),
    st.from_regex(r"[1-9](\.[0-9]{1,3})?e[0-9]{1,2}", fullmatch=True),
    st.dates().map(lambda d: d.isoformat()),
)


def small_dicts(key_strategy, value_strategy):
    return st.dictionaries(key_strategy, value_strategy, min_size=1, max_size=3)


@st.composite
def items(draw):
    item = {}
    if draw(st.booleans()):
        item["chip"] = draw(names)
    if draw(st.booleans()):
        item["quantity"] = draw(st.integers(INT32_MIN, INT32_MAX))
    extra = draw(st.dictionaries(keys.filter(lambda k: k not in ("chip", "quantity")), values, max_size=3))
    item.update(extra)
    if not item:
        item["quantity"] = draw(st.integers(0, 10**6))
    return item


@st.composite
def entities(draw):
    entity = {}
    for k in ("located", "headquartered"):
        if draw(st.booleans()):
            entity[k] = draw(country)
    if draw(st.booleans()):
        entity["parent"] = draw(names)
    if draw(st.booleans()):
        entity["status"] = draw(small_dicts(keys, values))
    return entity


def changes(n_items):
    options = [
        st.builds(
            lambda f, e: {"fact": f, "entity": e}, st.sampled_from(["headquartered", "located", "parent"]), names
        ),
        st.builds(lambda f: {"fact": f}, st.sampled_from(["destination", "purpose", "date", "via_distributor"])),
        st.builds(lambda n: {"fact": "fact", "name": n}, keys),
        st.builds(lambda n, e: {"fact": "status", "name": n, "entity": e}, keys, names),
    ]
    if n_items:
        options.append(st.builds(lambda i: {"fact": "quantity", "item": i}, st.integers(1, n_items)))
    base = st.one_of(options)
    return st.builds(
        lambda c, cost: c if cost is None else {**c, "cost": cost}, base, st.none() | st.integers(INT32_MIN, INT32_MAX)
    )


@st.composite
def scenarios(draw):
    s = {}
    if draw(st.booleans()):
        s["scenario"] = draw(st.text(max_size=20))
    if draw(st.booleans()):
        s["date"] = draw(st.dates()).isoformat()
    transaction = {}
    if draw(st.booleans()):
        action = draw(
            st.sampled_from(["export", "reexport", "in_country_transfer", "deemed_export", "deemed_reexport"])
        )
        transaction["action"] = action
        for end in ("from", "to"):
            if draw(st.booleans()):
                transaction[end] = draw(country)
        if action == "in_country_transfer" and draw(st.booleans()):
            transaction["from"] = transaction["to"] = draw(country)
    if draw(st.booleans()):
        transaction["consignee"] = draw(names)
    if draw(st.booleans()):
        transaction["via_distributor"] = draw(st.booleans())
    if draw(st.booleans()):
        transaction["purpose"] = draw(names)
    if draw(st.booleans()):
        transaction["authorization_claimed"] = draw(names)
    if transaction:
        s["transaction"] = transaction
    item_list = draw(st.lists(items(), max_size=3))
    if item_list:
        s["items"] = item_list
    if draw(st.booleans()):
        s["entities"] = draw(st.dictionaries(names, entities(), min_size=1, max_size=3))
    if draw(st.booleans()):
        s["facts"] = draw(small_dicts(keys, values))
    if draw(st.booleans()):
        s["readings"] = draw(small_dicts(keys, values))
    if draw(st.booleans()):
        questions = []
        for _ in range(draw(st.integers(1, 3))):
            q = {"goal": draw(keys | st.sampled_from(["LPP", "AIA", "Authorized2"]))}
            if draw(st.booleans()):
                q["may_change"] = draw(st.lists(changes(len(item_list)), min_size=1, max_size=4))
            questions.append(q)
        s["questions"] = questions
    return s


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_round_trip(scenario):
    text = to_text(scenario)
    assert parse_text(text) == [scenario]
    assert to_text(parse_text(text)[0]) == text


@settings(max_examples=50, deadline=None)
@given(st.lists(scenarios(), min_size=1, max_size=3))
def test_round_trip_several(many):
    text = "\n".join(to_text(s) for s in many)
    assert parse_text(text) == many


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_garbage_raises_only_input_error(text):
    try:
        parse_text("scenario\n" + text + "\nend\n")
    except InputError as e:
        assert e.line is not None and e.column is not None and e.message


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(FULL) - 1), st.integers(1, 5), st.text(max_size=3))
def test_damaged_example_raises_only_input_error(start, length, replacement):
    damaged = FULL[:start] + replacement + FULL[start + length :]
    try:
        parse_text(damaged)
    except InputError as e:
        assert e.line is not None and 1 <= e.line <= damaged.count("\n") + 2
        assert "Traceback" not in e.message and "ParseException" not in e.message
