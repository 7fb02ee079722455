"""The HTTP API of ``pyrules serve`` (/api/v1), tested with the ASGI test client.

Each answer is the JSON of ``pyrules ask --json`` plus ``summary`` and ``record``;
bad input is a 4xx whose JSON names the field path; bodies are size-limited; no
request names a file that the server reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from pyrules.inputs import api_models  # noqa: E402
from pyrules.output.records import ecfr_url, kb_sha256, one_sentence  # noqa: E402
from pyrules.web.app import MAX_BODY, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
Q = ROOT / "queries"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def load(name: str) -> dict:
    return json.loads((Q / name).read_text())


def test_api_determination_of_india_cloud_is_presumption_of_denial_with_record(client):
    """742.6(b)(10): Indian consignee with a Chinese parent -> licence, presumption of denial;
    the answer carries its record (input, version, KB hash, rule-text date, time)."""
    s = load("india_cloud_chinese_parent.json")
    r = client.post("/api/v1/determinations", json=s)
    assert r.status_code == 200
    j = r.json()
    assert j["license_required"] is True
    assert j["licensing_policy"] == "presumption_of_denial"
    assert j["summary"].startswith("A licence is required")
    assert "presumption of denial" in j["summary"]
    rec = j["record"]
    assert rec["input"] == s
    assert rec["kb_sha256"] == kb_sha256() and len(rec["kb_sha256"]) == 64
    assert rec["rule_text_date"] == "2026-07-23"
    assert rec["evaluated_at"].endswith("Z")
    assert "740.2(a)(9)(ii)" in rec["coverage"]
    api_models.Determination.model_validate(j)


def test_api_determinations_accepts_a_list_and_names_the_bad_element(client):
    """A list in, a list out; an error in element 1 names 'items' of [1]."""
    a, b = load("core_tier1_destination.json"), load("core_tier3_destination.json")
    r = client.post("/api/v1/determinations", json=[a, b])
    assert r.status_code == 200 and len(r.json()) == 2
    assert r.json()[0]["license_required"] is True
    bad = dict(b, items=[{"chip": "H100-SXM", "quantity": 0}])
    r = client.post("/api/v1/determinations", json=[a, bad])
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "[1].items[0].quantity"


def test_api_same_answer_as_ask_json(client):
    """The API answer is `pyrules ask --json` plus summary, record and missing_fact_fields."""
    import pyrules

    s = load("lpp_year_limit_exceeded_by_one.json")
    j = client.post("/api/v1/determinations", json=s).json()
    d = pyrules.evaluate(s).to_json()
    for k, v in d.items():
        assert j[k] == v, k


@pytest.mark.parametrize(
    "body,field",
    [
        ({"transaction": {"to": "XX"}}, "transaction.to"),
        ({"transaction": {"action": "export"}, "items": [{"chip": "H100-SXM"}]}, "items[0]"),
        ({"entities": {"A": {"headquartered": "Mars"}}}, "entities.A.headquartered"),
        ({"bogus": 1}, "bogus"),
        ({"facts": {"lpp_prior_shipments_tpp": -1}}, "facts.lpp_prior_shipments_tpp"),
    ],
)
def test_api_bad_input_is_422_naming_the_field_path(client, body, field):
    r = client.post("/api/v1/determinations", json=body)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == field


def test_api_invalid_json_is_400_with_line_and_column(client):
    r = client.post(
        "/api/v1/determinations",
        content=b'{"date": "2025-06-01",\n  "items": [}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["line"] == 2 and err["column"] == 13


def test_api_body_size_limit_is_413(client):
    big = b'{"scenario": "' + b"x" * (MAX_BODY + 10) + b'"}'
    r = client.post("/api/v1/determinations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    just = b'{"scenario": "' + b"x" * (MAX_BODY - 100) + b'"}'
    assert (
        client.post("/api/v1/determinations", content=just, headers={"content-type": "application/json"}).status_code
        == 200
    )


def test_api_compare_never_reads_a_file_the_request_names(client):
    """A regime is a bundled name or an inline object, never a path."""
    r = client.post("/api/v1/compare", json={"regime": "/etc/passwd", "scenarios": []})
    assert r.status_code == 422 and r.json()["error"]["field"] == "regime"
    r = client.post("/api/v1/compare", json={"regime": "../kb/provisions"})
    assert r.status_code == 422


def test_api_compare_bundled_regime_uae_to_tier1(client):
    """Regime uae_to_tier1: a Tier 2 export to the UAE changes; names its aspects."""
    s = load("core_tier2_destination.json")
    s["transaction"]["to"] = "AE"
    for e in s.get("entities", {}).values():
        if e.get("located") and e.get("located") != "US":
            e["located"] = "AE"
        if e.get("headquartered") and e.get("headquartered") != "US":
            e["headquartered"] = "AE"
    r = client.post("/api/v1/compare", json={"regime": "uae_to_tier1", "scenarios": [s]})
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["summary"]["scenarios"] == 1
    assert j["results"][0]["changed"] is True


def test_api_whatif_lpp_over_limit_has_a_verified_repair(client):
    """740.29: the bundled whatif question on an LPP order over the limit has repairs,
    each re-checked."""
    s = load("whatif_lpp_over_limit.json")
    r = client.post("/api/v1/whatif", json=s)
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    assert res["reachable"] is True and res["repairs"]
    assert all(rep["verified"] for rep in res["repairs"])


def test_748_15_whatif_unreachable_names_the_core_in_the_api_and_the_page(client):
    """748.15: NVEU to China cannot be reached by anything the parties can change; the API's
    answer and the web page both name the blocking condition (the unsatisfiable core) with
    its citation, not only that no change reaches the goal."""
    s = load("core_tier3_destination.json")
    r = client.post("/api/v1/whatif", json={"scenario": s, "goal": "nveu"})
    assert r.status_code == 200, r.text
    res = r.json()["results"][0]
    assert res["reachable"] is False
    assert [[c["condition"] for c in row["conditions"]] for row in res["core"]] == [["nveu_destination_tier2"]]
    page = client.post("/whatif", data={"scenario_json": json.dumps(s), "goal": "nveu"})
    assert page.status_code == 200
    html = page.text
    assert 'id="whatif-core"' in html and "The destination is a Tier 2 country" in html
    assert "748.15" in html[html.index('id="whatif-core"') :]


def test_api_whatif_bad_goal_names_the_field(client):
    s = load("core_tier3_destination.json")
    r = client.post("/api/v1/whatif", json={"scenario": s, "goal": "world_peace"})
    assert r.status_code == 422
    assert "goal" in r.json()["error"]["field"]


def test_api_explain_cites_742_6(client):
    r = client.post("/api/v1/explain", json=load("core_tier3_destination.json"))
    assert r.status_code == 200
    conc = r.json()["explanation"]["conclusions"]
    assert any("licence" in c["conclusion"] for c in conc)
    assert "15 CFR 742.6(a)(6)(iii)" in json.dumps(conc)


def test_api_readings_overlap_depends_on_tier_overlap(client):
    """742.6(b)(10) states no precedence: Tier 1 location with a Tier 3 parent depends on
    the reading tier_overlap."""
    topics = client.get("/api/v1/readings").json()
    assert any(t["topic"] == "tier_overlap" for t in topics)
    r = client.post("/api/v1/readings", json=load("core_overlap_tier1_location_tier3_parent.json"))
    assert r.status_code == 200
    assert "tier_overlap" in r.json()["depends_on"]


def test_api_ledger_csv_in_jsonl_out_with_summary(client):
    """740.29 LPP year limit in a ledger: rows streamed out, then the summary."""
    body = (Q / "ledgers" / "sample.csv").read_bytes()
    r = client.post("/api/v1/ledger", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 200
    lines = [json.loads(x) for x in r.text.splitlines() if x.strip()]
    assert "summary" in lines[-1]
    rows = lines[:-1]
    assert len(rows) == body.decode().count("\n") - 1 or len(rows) >= 5
    assert any(r_.get("claim_failed_conditions") == ["lpp_annual_limit"] for r_ in rows)
    assert all("/tmp" not in (r_.get("error") or "") for r_ in rows)
    r = client.post("/api/v1/ledger?format=csv", content=body, headers={"content-type": "text/csv"})
    assert r.text.startswith("line,id,date")


def test_api_ledger_bad_header_is_422(client):
    r = client.post("/api/v1/ledger", content=b"foo,bar\n1,2\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422
    assert "line" in r.json()["error"]


def test_api_coverage_lists_flagged_provisions(client):
    j = client.get("/api/v1/coverage").json()
    ids = {f["id"] for f in j["flagged"]}
    assert {"csl_screening", "part744_end_uses", "other_exceptions"} <= ids
    assert any(m["id"] == "lic_lpp" for m in j["modelled"])


def test_api_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    for p in (
        "/api/v1/determinations",
        "/api/v1/explain",
        "/api/v1/whatif",
        "/api/v1/compare",
        "/api/v1/readings",
        "/api/v1/ledger",
        "/api/v1/coverage",
        "/api/v1/schema/scenario",
    ):
        assert p in spec["paths"], p
    assert "Scenario" in json.dumps(spec["paths"]["/api/v1/determinations"])
    # every $ref resolves within the description
    refs = set(__import__("re").findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(spec["components"]["schemas"]), refs - set(spec["components"]["schemas"])
    assert {"Scenario", "Item", "Facts", "Transaction"} <= set(spec["components"]["schemas"])
    assert client.get("/docs").status_code == 200


def test_api_schemas_are_the_published_ones(client):
    """docs/schema/*.json are what `pyrules schema` prints (regenerate them when they differ)."""
    for name in ("scenario", "determination"):
        served = client.get(f"/api/v1/schema/{name}").json()
        assert served == json.loads((ROOT / "docs" / "schema" / f"{name}.json").read_text()), (
            f"regenerate: pyrules schema {name} > docs/schema/{name}.json"
        )


def test_schema_scenario_fields_come_from_pyrules_schema():
    """The pydantic scenario model restates no field: it has exactly schema.py's."""
    from pyrules.inputs import schema

    s = api_models.json_schema("scenario")["$defs"]
    assert set(s["Facts"]["properties"]) == set(schema.FACTS)
    assert set(s["Item"]["properties"]) == set(schema.ITEM_FIELDS)
    assert set(s["Transaction"]["properties"]) == set(schema.TRANSACTION_FIELDS)
    assert set(s["EntityStatus"]["properties"]) == set(schema.ENTITY_STATUS)
    assert set(s["Readings"]["properties"]) == set(schema.READINGS)


def test_schema_scenario_top_level_keys_are_the_models():
    """Every top-level key Scenario.from_dict accepts is in the typed model."""
    from pyrules.inputs import model

    assert model._TOP_KEYS <= set(api_models.Scenario.model_fields)


def test_schema_models_accept_every_bundled_scenario_and_answer():
    """Every bundled JSON scenario fits the scenario model; its answer fits the answer model."""
    import pyrules
    from pyrules.output.records import answer_json

    for p in sorted(Q.glob("*.json")):
        raw = json.loads(p.read_text())
        api_models.Scenario.model_validate(raw)
        api_models.Determination.model_validate(answer_json(pyrules.evaluate(raw), raw))


def test_schema_rejects_an_unknown_fact():
    import pydantic

    with pytest.raises(pydantic.ValidationError):
        api_models.Scenario.model_validate({"facts": {"no_such_fact": True}})


@pytest.mark.parametrize(
    "citation,url",
    [
        ("15 CFR 740.27", "https://www.ecfr.gov/current/title-15/section-740.27"),
        ("15 CFR 742.6(b)(10)", "https://www.ecfr.gov/current/title-15/section-742.6#p-742.6(b)(10)"),
        (
            "15 CFR part 740, Supp. No. 5, para (a)",
            "https://www.ecfr.gov/current/title-15/part-740/appendix-Supplement%20No.%205%20to%20Part%20740",
        ),
        ("90 FR 4544 (Jan. 15, 2025)", "https://www.federalregister.gov/citation/90-FR-4544"),
        ("Note 1 to 3A090.a", None),
    ],
)
def test_ecfr_url_from_citation(citation, url):
    assert ecfr_url(citation) == url


def test_one_sentence_no_licence_and_undecided():
    """742.6(a)(6)(iii), 3A090 technical notes: a chip of TPP 1,000 (below 3A090) needs no
    licence; a chip without its die area between the thresholds leaves the answer
    undecided (the sentence says so)."""
    import pyrules

    d = pyrules.evaluate(load("core_missing_die_area.json"))
    assert d.license_required is None
    assert "undecided" in one_sentence(d)
    s = load("core_tier1_destination.json")
    s["items"] = [{"tpp": 1000, "die_area_mm2": 800, "quantity": 1}]
    d = pyrules.evaluate(s)
    assert d.license_required is False
    assert one_sentence(d).startswith("No licence is required")


# ----------------------------------------------------------------------------- pages
def test_pages_form_error_is_shown_beside_its_field(client):
    """A bad country in the form comes back (422) with the message beside that field."""
    r = client.post(
        "/answer",
        data={"transaction.to": "XX", "entities[0].name": "A", "items[0].chip": "H100-SXM", "items[0].quantity": "1"},
    )
    assert r.status_code == 422
    assert 'id="f-transaction-to-error"' in r.text and "ISO 3166-1" in r.text


def test_pages_pasted_scenario_language_is_evaluated(client):
    text = (Q / "lang_india_cloud_chinese_parent.scn").read_text()
    r = client.post("/answer", data={"source": text, "source_format": "scn"})
    assert r.status_code == 200
    assert "presumption of denial" in r.text
    r = client.post("/answer", data={"source": "{\n  nonsense", "source_format": "json"})
    assert r.status_code == 422 and "line 2" in r.text


def test_pages_compare_in_words_and_checker_witness_opens_as_determination(client):
    """Regime lpp_doubled (740.29 limit doubled) changes the LPP-over-limit scenarios; a
    checker finding's witness (the 742.6(b)(10) overlap) opens as a determination."""
    r = client.post("/compare", data={"regime": "lpp_doubled"})
    assert r.status_code == 200
    assert "authorization LPP: not available → available" in r.text
    r = client.get("/check")
    assert r.status_code == 200
    import html
    import re

    m = re.search(r'name="scenario_json" value="([^"]+)"', r.text)
    witness = html.unescape(m.group(1))
    r = client.post("/answer", data={"scenario_json": witness})
    assert r.status_code == 200 and 'id="answer-sentence"' in r.text


def test_pages_coverage_and_docs_links(client):
    r = client.get("/coverage")
    assert (
        "740.2(a)(9)(ii)" in r.text
        and "https://www.ecfr.gov/current/title-15/section-740.2#p-740.2(a)(9)(ii)" in r.text
    )


def test_api_ledger_json_lines_in(client):
    """A JSON-lines ledger (one scenario with an id per line) is accepted as ndjson."""
    s = load("lpp_small_order_indian_research_firm_available.json")
    s.pop("expect", None)
    rows = [dict(s, id="a"), dict(s, id="b")]
    body = "\n".join(json.dumps(r) for r in rows) + "\n"
    r = client.post("/api/v1/ledger", content=body.encode(), headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200, r.text
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [o["id"] for o in out[:-1]] == ["a", "b"] and "summary" in out[-1]


def test_cli_serve_starts_and_answers(tmp_path):
    """`pyrules serve --port N` serves the API on the loopback address."""
    import socket
    import subprocess
    import sys
    import time
    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyrules.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/version", timeout=2)
                break
            except httpx.TransportError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["kb_sha256"] == kb_sha256()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_api_missing_fact_names_its_input_field(client):
    """A missing fact is named by the input that answers it: the LPP certification
    (740.29) of the Tier 2 case is facts.lpp_certification_obtained, and the consignee's
    NVEU status is entities.Buyer.status.nveu."""
    j = client.post("/api/v1/determinations", json=load("core_tier2_destination.json")).json()
    fields = {m["id"]: m for m in j["missing_fact_fields"]}
    assert fields["lpp_certification_obtained"]["field"] == "facts.lpp_certification_obtained"
    assert fields["lpp_certification_obtained"]["question"].endswith("?")
    assert fields["nveu(Buyer)"]["field"] == "entities.Buyer.status.nveu"


def test_pages_escape_what_the_user_typed(client):
    s = load("core_tier1_destination.json")
    s["scenario"] = "<script>alert(1)</script>"
    r = client.post("/answer", data={"scenario_json": json.dumps(s)})
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text


def test_pages_compare_uploaded_regime_and_corpus(client):
    """An uploaded regime (the UAE into Tier 1, Supp. No. 5 to part 740) over an uploaded
    one-scenario corpus; a bad regime upload names its field."""
    regime = (ROOT / "regimes" / "uae_to_tier1.json").read_bytes()
    s = load("core_tier2_destination.json")
    r = client.post(
        "/compare",
        files={
            "regime_file": ("r.json", regime, "application/json"),
            "corpus_file": ("c.json", json.dumps([s]).encode(), "application/json"),
        },
    )
    assert r.status_code == 200
    assert "of 1 scenarios change" in r.text
    r = client.post("/compare", files={"regime_file": ("r.json", b'{"tiers": {"XX": 1}}', "application/json")})
    assert r.status_code == 422 and 'id="compare-error"' in r.text


def test_pages_add_a_party_row(client):
    """'add a party' re-renders the form with one more entity row, values kept."""
    r = client.post(
        "/answer",
        data={
            "action": "add_entity",
            "entities[0].name": "A",
            "entities[1].name": "B",
            "entities[2].name": "C",
            "transaction.to": "IN",
        },
    )
    assert r.status_code == 200
    assert 'id="f-entities-3-name"' in r.text and 'value="C"' in r.text and 'value="IN"' in r.text


def test_form_round_trip_of_every_bundled_scenario():
    """The form can say everything a bundled scenario says: scenario -> form values ->
    scenario gives the same validated scenario (questions aside)."""
    from pyrules.inputs.model import Scenario
    from pyrules.web import forms

    for p in sorted(Q.glob("*.json")):
        want = Scenario.from_dict(json.loads(p.read_text())).to_dict()
        want.pop("questions", None)
        want.pop("expect", None)
        values, _, _ = forms.scenario_to_form(want)
        got = Scenario.from_dict(forms.form_to_scenario(values)).to_dict()
        assert got == want, p.name


def test_api_timeline_or_501(client):
    """/api/v1/timeline answers with the changes over time where pyrules.timeline exists,
    and 501 (naming the reason) where it does not."""
    import importlib.util

    s = load("core_tier3_destination.json")
    r = client.post("/api/v1/timeline", json=s)
    if importlib.util.find_spec("pyrules.modes.timeline") is None:
        assert r.status_code == 501 and "timeline" in r.json()["error"]["message"]
    else:
        assert r.status_code == 200, r.text
        assert r.json()["scenario"] == s["scenario"]


def test_pages_say_readings_overlaps_and_missing_facts_in_plain_words(client):
    """Issue 13, on the web page: 748.15's reading by its title, 742.6(b)(10)'s overlap by
    the provisions' titles, and under a decided answer (740.28 ACM) the facts named for
    what they decide."""
    r = client.post("/answer", data={"scenario_json": json.dumps(load("core_tier1_parent.json"))})
    assert r.status_code == 200
    assert "whose headquarters count for a universal validated end user" in r.text
    r = client.post(
        "/answer", data={"scenario_json": json.dumps(load("core_overlap_tier1_location_tier3_parent.json"))}
    )
    assert "Overlap: “Presumption of approval: Tier 1 destinations and Tier 1-headquartered entities”" in r.text
    assert "which licensing policy prevails when the Tier 1 and Tier 3 policies both apply" in r.text
    r = client.post("/answer", data={"scenario_json": json.dumps(load("acm_taiwan_packaging_available.json"))})
    assert "Facts that would decide the other authorizations" in r.text and "Facts still needed" not in r.text
    r = client.post("/answer", data={"scenario_json": json.dumps(load("core_before_compliance_date.json"))})
    assert "outside this rule: the AI Diffusion rule&#39;s worldwide licence requirement for these chips" in r.text
    topics = {t["topic"]: t for t in client.get("/api/v1/readings").json()}
    assert topics["cambodia_d5_exit"]["title"] == "when Cambodia left Country Group D:5"


def test_api_ledger_streams_2000_rows_as_run_ledger_decides_them(client, tmp_path, monkeypatch):
    """The ledger endpoint streams (issue 13): the response is a StreamingResponse sent
    in chunked transfer, one piece per row as it is decided (no content-length), its rows
    identical to run_ledger's on the same file (740.29 running totals included) and its
    last line the summary; the upload's temporary file is deleted afterwards."""
    import tempfile

    from starlette.responses import StreamingResponse

    from pyrules.modes.ledger import run_ledger
    from pyrules.web import app as web_app
    import random

    rnd = random.Random(13)
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write(
            "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,"
            "authorization,via_distributor,fact.lpp_certification_obtained\n"
        )
        for i in range(2_000):
            c = rnd.choice(["IN", "AE", "BR", "DE", "JP", "SG", "MX", "VN"])
            f.write(
                f"r{i},2025-{rnd.randint(6, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 300},{c},{c},"
                f"{rnd.choice(['H100-SXM', 'A100', 'B200'])},{rnd.randint(1, 500)},{rnd.choice(['LPP', '', ''])},"
                "no,yes\n"
            )
    expected = run_ledger(path, workers=1)
    made, pieces = [], []

    class Spy(StreamingResponse):
        def __init__(self, content, *a, **kw):
            def counted():
                for piece in content:
                    pieces.append(piece)
                    yield piece

            made.append(self)
            super().__init__(counted(), *a, **kw)

    monkeypatch.setattr(web_app, "StreamingResponse", Spy)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    r = TestClient(web_app.create_app()).post(
        "/api/v1/ledger", content=path.read_bytes(), headers={"content-type": "text/csv"}
    )
    assert r.status_code == 200, r.text[:500]
    assert len(made) == 1 and "content-length" not in r.headers
    assert len(pieces) == 2_001  # a piece per row, then the summary
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert lines[:-1] == expected.rows
    assert lines[-1]["summary"] == expected.summary and lines[-1]["countries"] == expected.countries
    assert lines[-1]["rows"] == 2_000 and lines[-1]["error_rows"] == 0
    assert any(row["claim_failed_conditions"] == ["lpp_annual_limit"] for row in lines[:-1])  # 740.29 caps crossed
    assert list(spool.iterdir()) == []  # the upload was deleted


def test_api_ledger_error_row_names_its_line_and_field_in_the_stream(client):
    """A row the ledger cannot evaluate is an error row naming its line and field (as in
    `pyrules ledger`), in JSON lines and in CSV, the other rows decided; the summary
    counts it."""
    body = (
        b"id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,"
        b"authorization,via_distributor,fact.lpp_certification_obtained\n"
        b"a,2025-06-01,export,US,IN,Acme,IN,IN,H100-SXM,10,LPP,no,yes\n"
        b"b,2025-06-02,export,US,IN,Acme,IN,IN,NoSuchChip,10,LPP,no,yes\n"
    )
    r = client.post("/api/v1/ledger", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 200
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["id"] for x in lines[:-1]] == ["a", "b"]
    assert lines[0]["error"] is None and lines[0]["counts_toward"] == ["lpp_year(Acme, 2025)"]
    assert "line 3" in lines[1]["error"] and "chip" in lines[1]["error"]
    assert "/tmp" not in lines[1]["error"] and "upload" in lines[1]["error"]
    assert lines[-1]["error_rows"] == 1
    r = client.post("/api/v1/ledger?format=csv", content=body, headers={"content-type": "text/csv"})
    import csv as csv_
    import io as io_

    rows_part, summary_part = r.text.split("\n\n", 1)
    rows = list(csv_.DictReader(io_.StringIO(rows_part)))
    assert [x["id"] for x in rows] == ["a", "b"] and "line 3" in rows[1]["error"]
    assert summary_part.startswith("total,country,used_tpp")


def test_api_ledger_bad_header_is_422_before_any_row_and_leaves_no_file(client, tmp_path, monkeypatch):
    """The ledger's own faults (a missing date column) are a 422 naming the line, not a
    stream that breaks off, and the upload's temporary file is deleted."""
    import tempfile

    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    r = client.post("/api/v1/ledger", content=b"id,chip\nx,H100-SXM\n", headers={"content-type": "text/csv"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["line"] == 1 and "date" in r.json()["error"]["message"]
    assert list(spool.iterdir()) == []
    r = client.post("/api/v1/ledger", content=b"\xff\xfe,,\n", headers={"content-type": "text/csv"})
    assert r.status_code == 400 and "UTF-8" in r.json()["error"]["message"]
    assert list(spool.iterdir()) == []


def test_api_ledger_upload_over_the_limit_is_413_even_when_sent_chunked(tmp_path, monkeypatch):
    """The upload size limit holds for the streamed ledger: a body sent without a
    content-length (chunked) is cut off at the limit, answered 413, and the part already
    written to the temporary file is deleted."""
    import tempfile

    from pyrules.web import app as web_app

    monkeypatch.setattr(web_app, "MAX_UPLOAD", 10_000)
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    row = b"r,2025-06-01,export,US,IN,Acme,IN,IN,H100-SXM,1,LPP,no,yes\n"

    def chunks():
        yield (
            b"id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,"
            b"authorization,via_distributor,fact.lpp_certification_obtained\n"
        )
        for _ in range(400):  # about 24 KB
            yield row

    r = TestClient(web_app.create_app()).post("/api/v1/ledger", content=chunks(), headers={"content-type": "text/csv"})
    assert r.status_code == 413 and "10,000 bytes" in r.json()["error"]["message"]
    assert list(spool.iterdir()) == []
