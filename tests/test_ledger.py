"""Ledger accounting (pyrules ledger): caps that depend on earlier rows,
15 CFR 740.29 (LPP per consignee per calendar year) and 15 CFR 742.6(b)(10)
(Tier 2 country allocation)."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from pyrules.modes.ledger import run_ledger

HEADER = (
    "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,"
    "chip,eccn,tpp,quantity,authorization,via_distributor,fact.lpp_certification_obtained"
)


def _lpp_row(rid, date, qty, tpp=None, consignee="Acme"):
    if tpp is None:
        return f"{rid},{date},export,US,IN,{consignee},IN,IN,H100-SXM,,,{qty},LPP,no,yes"
    return f"{rid},{date},export,US,IN,{consignee},IN,IN,,3A090.a,{tpp},{qty},LPP,no,yes"


def _write(tmp_path, lines, name="l.csv"):
    p = tmp_path / name
    p.write_text("\n".join([HEADER] + lines) + "\n")
    return p


def _by_id(result):
    return {r["id"]: r for r in result.rows}


def test_740_29_lpp_row_flips_exactly_when_the_annual_cap_is_crossed(tmp_path):
    # 26,900,000 = 2,690,000 x 10 TPP units; the row that reaches it exactly is
    # within LPP, the next TPP is not.
    rows = [
        _lpp_row("a", "2025-06-01", 10, tpp=2_000_000),  # 20,000,000
        _lpp_row("b", "2025-06-02", 1, tpp=1_900_000),  # 21,900,000
        _lpp_row("c", "2025-06-03", 5, tpp=1_000_000),  # 26,900,000 exactly
        _lpp_row("d", "2025-06-04", 1, tpp=4800),
    ]  # one shipment more
    r = _by_id(run_ledger(_write(tmp_path, rows)))
    assert [r[k]["claim_available"] for k in "abcd"] == [True, True, True, False]
    assert r["d"]["claim_failed_conditions"] == ["lpp_annual_limit"]


def test_740_29_lpp_cap_resets_at_the_calendar_year_boundary(tmp_path):
    # one shipment split into two rows across 31 December / 1 January: each year
    # has its own 26,900,000 TPP.
    rows = [
        _lpp_row("dec", "2025-12-31", 1699),  # 26,898,568
        _lpp_row("jan", "2026-01-01", 1699),  # new year: 26,898,568 again
        _lpp_row("jan2", "2026-01-02", 1),
    ]  # 26,914,400 in 2026: over
    res = run_ledger(_write(tmp_path, rows))
    r = _by_id(res)
    assert r["dec"]["claim_available"] is True
    assert r["jan"]["claim_available"] is True
    assert r["jan2"]["claim_available"] is False
    totals = {s["total"]: s for s in res.summary}
    assert totals["lpp_year(Acme, 2025)"]["used_tpp"] == 1699 * 15832
    assert totals["lpp_year(Acme, 2026)"]["used_tpp"] == 1700 * 15832
    assert totals["lpp_year(Acme, 2026)"]["remaining_tpp"] == 26_900_000 - 1700 * 15832


def test_742_6_b_10_tier2_allocation_running_total_flips_policy(tmp_path):
    # licensed shipments (no authorization claimed) count against the UAE allocation
    lines = [
        f"g{i},2025-06-0{i},export,US,AE,Gulf,AE,AE,,3A090.a,1000000,{q},,no," for i, q in [(1, 500), (2, 290), (3, 1)]
    ]
    p = tmp_path / "a.csv"
    p.write_text("\n".join([HEADER] + lines) + "\n")
    rows = _by_id(run_ledger(p))
    # 500,000,000 then 790,000,000 exactly (within), then 791,000,000 (exhausted),
    # with assurances unknown: 791M lies between the two bounds -> undecided
    assert rows["g1"]["licensing_policy"] == "presumption_of_approval"
    assert rows["g2"]["licensing_policy"] == "presumption_of_approval"
    assert rows["g3"]["licensing_policy"] is None
    assert "government_assurances" in rows["g3"]["missing_facts"]


@settings(max_examples=8, deadline=None)
@given(st.randoms(use_true_random=False))
def test_shuffling_rows_never_changes_any_result(tmp_path_factory, rnd):
    rows = [_lpp_row(f"r{i}", f"2025-0{1 + i % 9}-1{i % 10}", 300 + 37 * i, consignee=f"C{i % 2}") for i in range(12)]
    base = run_ledger(_write(tmp_path_factory.mktemp("a"), rows))
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    other = run_ledger(_write(tmp_path_factory.mktemp("b"), shuffled))
    key = lambda res: sorted(json.dumps({k: v for k, v in r.items() if k != "line"}, sort_keys=True) for r in res.rows)
    assert key(base) == key(other)
    assert base.summary == other.summary


def test_every_row_yields_a_result_or_an_error_naming_row_and_field(tmp_path):
    rows = [
        _lpp_row("ok", "2025-06-01", 10),
        "bad1,2025-13-01,export,US,IN,Acme,IN,IN,H100-SXM,,,10,LPP,no,yes",
        "bad2,2025-06-01,export,US,IN,Acme,IN,IN,NoSuchChip,,,10,LPP,no,yes",
        ",2025-06-01,export,US,IN,Acme,IN,IN,H100-SXM,,,10,LPP,no,yes",
    ]
    res = run_ledger(_write(tmp_path, rows))
    assert len(res.rows) == 4
    errs = {r["line"]: r["error"] for r in res.rows if r["error"]}
    assert "line 3" in errs[3] and "date" in errs[3]
    assert "line 4" in errs[4] and "chip" in errs[4]
    assert "line 5" in errs[5] and "id" in errs[5]


def test_ledger_cli_csv_and_jsonl(tmp_path):
    p = _write(tmp_path, [_lpp_row("a", "2025-06-01", 10)])
    out = subprocess.run([sys.executable, "-m", "pyrules.cli", "ledger", str(p)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("line,id,date")
    j = tmp_path / "l.jsonl"
    j.write_text(
        json.dumps(
            {
                "id": "x",
                "date": "2025-06-01",
                "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "B"},
                "items": [{"chip": "H100-SXM", "quantity": 1}],
                "entities": {"B": {"located": "DE", "headquartered": "DE"}},
            }
        )
        + "\n"
    )
    out = subprocess.run([sys.executable, "-m", "pyrules.cli", "ledger", str(j)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    first = json.loads(out.stdout.splitlines()[0])
    assert first["id"] == "x" and first["license_required"] is True


def test_ledger_cli_screen_weighs_every_authorization(tmp_path):
    """By default a row that claims nothing is judged as a licensed shipment (no other
    authorization is weighed: not authorized without a licence); --screen weighs them all,
    as `pyrules ask` does: here 740.27 AIA covers a Tier 1 consignee whose facts are given."""
    row = {
        "id": "d",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "Berlin", "via_distributor": False},
        "items": [{"chip": "H100-SXM", "quantity": 10, "designer": "NVIDIA"}],
        "entities": {
            "Berlin": {"located": "DE", "headquartered": "DE"},
            "NVIDIA": {"status": {"approved_ic_designer": True}},
        },
        "facts": {"eccn_furnished": True, "aia_certification_obtained": True},
    }
    p = tmp_path / "l.jsonl"
    p.write_text(json.dumps(row) + "\n")

    def run(*extra):
        out = subprocess.run(
            [sys.executable, "-m", "pyrules.cli", "ledger", str(p), *extra], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout.splitlines()[0])

    plain, screened = run(), run("--screen")
    assert plain["license_required"] is True and screened["license_required"] is True
    assert plain["authorized"] is False
    assert screened["authorized"] is True


def test_ledger_missing_header_column_is_exit_2(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("date,to\n2025-01-01,DE\n")
    out = subprocess.run([sys.executable, "-m", "pyrules.cli", "ledger", str(p)], capture_output=True, text=True)
    assert out.returncode == 2
    assert "id" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.parametrize("screen", [True, False], ids=["screening", "claimed-only"])
def test_1000_row_ledger_equals_each_row_evaluated_alone_with_its_prior_totals(tmp_path, screen):
    """The batched ledger (two steps, two processes) decides every row as a single
    evaluation of that row does, given the running totals of the rows before it as
    facts (15 CFR 740.29 lpp_prior_shipments_tpp, 742.6(b)(10) tier2_allocation_used_tpp).
    Screening: exactly as `pyrules ask` does. By default the ledger weighs only the claimed
    authorization: exactly as a single evaluation with kb/modes/ledger.lp does (so the
    batch's grounding shortcut for set-aside authorizations changes no answer)."""
    import pyrules
    from pyrules.engine.control import Engine
    from pyrules.modes.ledger import _row_scenario, ledger_program, read_rows
    from pyrules.inputs.model import Scenario

    evaluate = pyrules.evaluate if screen else Engine(ledger_program()).evaluate
    rnd = random.Random(7)
    lines = []
    for i in range(1000):
        c = rnd.choice(["IN", "AE", "DE", "SG"])
        claim = rnd.choice(["LPP", "", ""])
        lines.append(
            f"r{i},2025-{rnd.randint(11, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 7},{c},{c},"
            f"{rnd.choice(['H100-SXM', 'B200'])},,,{rnd.randint(200, 900)},{claim},no,yes"
        )
    lines += [f"y{i},2026-01-0{1 + i},export,US,IN,Co1,IN,IN,H100-SXM,,,1500,LPP,no,yes" for i in range(3)]
    path = _write(tmp_path, lines)
    res = run_ledger(path, workers=2, screen=screen)
    rows = {r["id"]: r for r in res.rows}
    assert len(rows) == 1003 and not any(r["error"] for r in rows.values())
    assert {r["claim_available"] for r in rows.values() if r["authorization_claimed"]} == {True, False}
    licensed = [r for r in rows.values() if not r["authorization_claimed"] and r["license_required"]]
    if screen:  # every authorization weighed: the other exceptions lack facts here
        assert {r["authorized"] for r in licensed} == {None}
    else:  # nothing claimed, nothing weighed: not authorized without a licence
        assert {r["authorized"] for r in licensed} == {False}
        # only the licensing policy may lack a fact (once an allocation runs out)
        assert {f for r in licensed for f in r["missing_facts"]} <= {"government_assurances"}
    # the running totals, recomputed here from the ledger's own shipment TPPs
    by_id = {rid: (s, line) for rid, s in (_row_scenario(l, raw) for l, raw in read_rows(path)) for line in [0]}
    order = sorted(by_id, key=lambda rid: (by_id[rid][0].date, rid))
    tier2_countries = {"IN", "AE", "SG"}  # DE is Tier 1
    lpp: dict = {}
    tier2: dict = {}
    sample = set(rnd.sample(order, 120)) | {order[-1], order[-2], order[-3]}
    for rid in order:
        s, _ = by_id[rid]
        r = rows[rid]
        tx = s.data["transaction"]
        year = s.date[:4]
        key_lpp = (tx["consignee"], year)
        facts = dict(s.data.get("facts", {}))
        if tx.get("authorization_claimed") == "LPP":
            facts["lpp_prior_shipments_tpp"] = lpp.get(key_lpp, 0)
        if tx["to"] in tier2_countries:  # every row to a Tier 2 country sees the allocation used
            facts["tier2_allocation_used_tpp"] = tier2.get(tx["to"], 0)
        if rid in sample:
            alone = evaluate(Scenario.from_dict({**s.data, "facts": facts})).to_json()
            assert r["shipment_tpp"] == alone["shipment_tpp"], rid
            assert r["license_required"] == alone["license_required"], rid
            assert r["authorized"] == alone["authorized"], rid
            assert r["licensing_policy"] == alone["licensing_policy"], rid
            assert r["missing_facts"] == sorted(alone["missing_facts"]), rid
            if r["authorization_claimed"]:
                auth = next(a for a in alone["authorizations"] if a["name"] == "LPP")
                assert r["claim_available"] == auth["available"], rid
                assert r["claim_failed_conditions"] == sorted(c["condition"] for c in auth["failed_conditions"]), rid
        if tx.get("authorization_claimed") == "LPP":
            lpp[key_lpp] = lpp.get(key_lpp, 0) + r["shipment_tpp"]
        elif tx["to"] in tier2_countries and r["license_required"]:
            tier2[tx["to"]] = tier2.get(tx["to"], 0) + r["shipment_tpp"]
    totals = {s["total"]: s["used_tpp"] for s in res.summary}
    assert {k: v for k, v in totals.items() if k.startswith("tier2")} == {
        f"tier2_allocation({c})": v for c, v in tier2.items()
    }
    for (e, y), v in lpp.items():
        assert totals[f"lpp_year({e}, {y})"] == v


def test_742_6_b_10_a_row_that_does_not_count_still_sees_the_allocation_used(tmp_path):
    """An LPP claim to a Tier 2 country does not count against its allocation, but the
    row is still judged against what earlier licensed rows used (no missing fact)."""
    lines = [
        "g1,2025-06-01,export,US,AE,Gulf,AE,AE,,3A090.a,1000000,500,,no,",
        "l1,2025-06-02,export,US,AE,Gulf,AE,AE,H100-SXM,,,10,LPP,no,yes",
    ]
    rows = _by_id(run_ledger(_write(tmp_path, lines)))
    assert "tier2_allocation_used_tpp" not in rows["l1"]["missing_facts"]
    assert rows["l1"]["claim_available"] is True


def test_ledger_bad_json_line_and_byte_order_mark_are_handled(tmp_path):
    """Every row yields a result or an error row: a JSON line that is not an object is an
    error row naming its line; a CSV saved with a byte-order mark reads its 'id' column."""
    j = tmp_path / "l.jsonl"
    j.write_text("[1]\n")
    res = run_ledger(j)
    assert len(res.rows) == 1 and "line 1" in res.rows[0]["error"] and "JSON object" in res.rows[0]["error"]
    p = tmp_path / "bom.csv"
    p.write_text("\ufeff" + HEADER + "\n" + _lpp_row("a", "2025-06-01", 10) + "\n", encoding="utf-8")
    res = run_ledger(p)
    assert res.rows[0]["id"] == "a" and res.rows[0]["error"] is None


def test_ledger_progress_goes_to_stderr_not_into_the_results(tmp_path):
    """`pyrules ledger --progress` shows a bar on stderr; stdout stays valid CSV."""
    p = _write(tmp_path, [_lpp_row("a", "2025-06-01", 10), _lpp_row("b", "2025-06-02", 10)])
    out = subprocess.run(
        [sys.executable, "-m", "pyrules.cli", "ledger", str(p), "--progress"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "reading rows" in out.stderr and "deciding rows" in out.stderr
    assert out.stderr.replace("\r", "\n").count("100%") == 2  # both bars end full
    rows = list(csv.DictReader(io.StringIO(out.stdout.split("\n\n")[0])))
    assert [r["id"] for r in rows] == ["a", "b"]


def test_748_15_uveu_country_share_flips_when_the_7_percent_cap_is_crossed(tmp_path):
    """748.15: UVEU shipments to one Tier 2 country are added up in date order; the row that
    takes the country's share of the group's compute above 7% fails uveu_country_share."""

    def row(i):
        return {
            "id": f"u{i}",
            "date": f"2025-07-0{i}",
            "transaction": {
                "action": "export",
                "from": "US",
                "to": "IN",
                "consignee": "Hyper",
                "via_distributor": False,
                "authorization_claimed": "UVEU",
            },
            "items": [{"chip": "H100-SXM", "quantity": 1000}],
            "entities": {"Hyper": {"located": "IN", "headquartered": "US", "status": {"uveu": True}}},
            "facts": {
                "data_center_owner_and_operator_veu": True,
                "uveu_site_listed": True,
                "uveu_total_compute_tpp": 1_000_000_000,
                "uveu_tier2_compute_tpp": 0,
                "uveu_country_compute_tpp": 0,
                "uveu_outside_us_compute_tpp": 0,
            },
        }

    p = tmp_path / "u.jsonl"
    p.write_text("\n".join(json.dumps(row(i)) for i in range(1, 7)) + "\n")
    res = run_ledger(p)
    rows = _by_id(res)
    # after k rows the country holds k x 15,832,000 of 1,000,000,000 + k x 15,832,000:
    # k = 4 is 5.95%, k = 5 is 7.34%
    assert [rows[f"u{i}"]["claim_available"] for i in range(1, 7)] == [True] * 4 + [False] * 2
    assert "uveu_country_share" in rows["u5"]["claim_failed_conditions"]
    totals = {s["total"]: s for s in res.summary}
    assert totals["uveu_country(Hyper, IN)"]["used_tpp"] == 6 * 15_832_000


def test_742_6_b_10_only_allocation_case_shipments_count_against_the_allocation(tmp_path):
    """742.6(b)(10): a licensed shipment to India for a consignee whose parent is in China
    is judged under the presumption of denial and does not draw on India's allocation."""
    header = (
        "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,"
        "consignee_parent,parent_headquartered,eccn,tpp,quantity,via_distributor"
    )
    lines = [
        header,
        "a,2025-06-01,export,US,IN,Sub,IN,IN,Holdco,CN,3A090.a,1000000,700,no",
        "b,2025-06-02,export,US,IN,Local,IN,IN,,,3A090.a,1000000,700,no",
    ]
    p = tmp_path / "t.csv"
    p.write_text("\n".join(lines) + "\n")
    res = run_ledger(p)
    rows = _by_id(res)
    assert rows["a"]["licensing_policy"] == "presumption_of_denial"
    assert rows["b"]["licensing_policy"] == "presumption_of_approval"
    assert {s["total"]: s["used_tpp"] for s in res.summary} == {"tier2_allocation(IN)": 700_000_000}


def test_rows_split_over_several_clingo_controls_give_the_same_results(tmp_path, monkeypatch, capfd):
    """Large ledgers are decided in batches of BATCH_ROWS rows (one clingo control each, in
    each of two processes); running totals pass from batch to batch and process to process
    in date order. Tiny batches must give exactly the results of one batch."""
    import pyrules.modes.ledger as ledger

    rnd = random.Random(5)
    lines = []
    for i in range(60):
        c = rnd.choice(["IN", "AE", "DE"])
        claim = rnd.choice(["LPP", ""])
        lines.append(
            f"r{i},2025-{rnd.randint(6, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 4},{c},{c},"
            f"H100-SXM,,,{rnd.randint(100, 900)},{claim},no,yes"
        )
    lines.append("bad,2025-07-01,export,US,IN,Co1,IN,IN,NoSuchChip,,,5,,no,yes")
    path = _write(tmp_path, lines)
    whole = run_ledger(path, workers=1)
    monkeypatch.setattr(ledger, "BATCH_ROWS", 7)
    capfd.readouterr()
    split = run_ledger(path, workers=2, progress=True)
    # the progress bar counts the batches of both processes, in both steps, up to 100%
    bar = capfd.readouterr().err.replace("\r", "\n")
    assert "deciding rows" in bar and bar.count("100%") == 2
    assert split.rows == whole.rows
    assert split.summary == whole.summary
    assert any(r["claim_available"] is False for r in whole.rows)  # some LPP caps are crossed
    # workers replaced after every batch (clingo never frees its symbols): each waits
    # until it holds no batch, and the totals still run through in date order
    monkeypatch.setattr(ledger, "RENEW_AFTER", 1)
    renewed = run_ledger(path, workers=2)
    assert renewed.rows == whole.rows and renewed.summary == whole.summary
    assert [r["id"] for r in whole.rows if r["error"]] == ["bad"]


def test_742_6_b_10_each_row_names_the_total_it_counts_toward_and_its_country(tmp_path):
    """A licensed shipment to a Tier 2 country counts toward that country's allocation
    (742.6(b)(10)); an LPP claim counts toward its consignee's year (740.29), which is no
    country's allocation; a shipment to Tier 1 counts toward nothing. The countries'
    allocation use in the summary is the sum of the rows that name the country."""
    lines = [
        "g1,2025-06-01,export,US,AE,Gulf,AE,AE,,3A090.a,1000000,300,,no,",
        "g2,2025-06-03,export,US,AE,Gulf,AE,AE,H100-SXM,,,100,,no,",
        "l1,2025-06-02,export,US,IN,Acme,IN,IN,H100-SXM,,,10,LPP,no,yes",
        "d1,2025-06-02,export,US,DE,Berlin,DE,DE,H100-SXM,,,10,,no,",
    ]
    res = run_ledger(_write(tmp_path, lines))
    rows = _by_id(res)
    assert rows["g1"]["counts_toward"] == ["tier2_allocation(AE)"] and rows["g1"]["allocation_country"] == "AE"
    assert rows["l1"]["counts_toward"] == ["lpp_year(Acme, 2025)"] and rows["l1"]["allocation_country"] is None
    assert rows["d1"]["counts_toward"] == [] and rows["d1"]["allocation_country"] is None
    used = 300 * 1_000_000 + 100 * 15832
    assert res.countries == [
        {
            "country": "AE",
            "used_tpp": used,
            "cap_tpp": 790_000_000,
            "used_h100_equivalents": round(used / 15832, 1),
            "cap_h100_equivalents": round(790_000_000 / 15832, 1),
        }
    ]
    totals = {s["total"]: s for s in res.summary}
    assert totals["tier2_allocation(AE)"]["country"] == "AE"
    assert totals["lpp_year(Acme, 2025)"]["country"] is None


def test_h100_equivalent_is_the_kb_parameter_and_the_h100_sxm_tpp():
    """The reporting unit is a parameter of the KB (kb/parameters.lp), equal to the TPP of
    the H100 SXM in the KB's chip catalogue."""
    from pyrules.engine import kb
    from pyrules.modes.ledger import h100_equivalent_tpp

    assert h100_equivalent_tpp() == kb.chips()["H100-SXM"] == 15832


def test_rows_out_of_date_order_come_out_in_input_order_with_totals_in_date_order(tmp_path):
    """740.29: the file lists the later row first; the totals still run in date order
    (the earlier row is within the cap, the later one crosses it) and the results keep
    the file's order."""
    rows = [
        _lpp_row("late", "2025-06-02", 1, tpp=1_000_000),  # 26,000,000 + 1,000,000: over
        _lpp_row("early", "2025-06-01", 26, tpp=1_000_000),
    ]  # 26,000,000: within
    res = run_ledger(_write(tmp_path, rows))
    assert [r["id"] for r in res.rows] == ["late", "early"]
    assert [r["claim_available"] for r in res.rows] == [False, True]


def test_ledger_cli_results_and_summary_go_to_separate_outputs_and_errors_exit_2(tmp_path):
    """`pyrules ledger -o rows.csv --summary s.json`: the rows file holds only the rows (one
    CSV table), the summary file the totals and the countries; a row with an error is a
    row of the output naming its line and field, and the exit status is 2."""
    p = _write(
        tmp_path, [_lpp_row("a", "2025-06-01", 10), "b,2025-06-01,export,US,IN,Acme,IN,IN,NoSuchChip,,,10,LPP,no,yes"]
    )
    out_rows, out_sum = tmp_path / "rows.csv", tmp_path / "s.json"
    run = subprocess.run(
        [sys.executable, "-m", "pyrules.cli", "ledger", str(p), "-o", str(out_rows), "--summary", str(out_sum)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2, run.stderr
    assert "1 row(s)" in run.stderr and "Traceback" not in run.stderr
    rows = list(csv.DictReader(io.StringIO(out_rows.read_text())))
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["counts_toward"] == "lpp_year(Acme, 2025)"
    assert "line 3" in rows[1]["error"] and "chip" in rows[1]["error"]
    summary = json.loads(out_sum.read_text())
    assert summary["rows"] == 2 and summary["error_rows"] == 1
    assert [t["total"] for t in summary["totals"]] == ["lpp_year(Acme, 2025)"]
    assert summary["countries"] == []


BIG_HEADER = (
    "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,"
    "authorization,via_distributor,fact.lpp_certification_obtained"
)


def _big_ledger(path, rows: int, seed: int = 42) -> None:
    rnd = random.Random(seed)
    countries = ["IN", "AE", "BR", "DE", "JP", "SG", "MX", "VN"]
    with open(path, "w") as f:
        f.write(BIG_HEADER + "\n")
        for i in range(rows):
            c = rnd.choice(countries)
            f.write(
                f"r{i},2025-{rnd.randint(6, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 300},{c},{c},"
                f"{rnd.choice(['H100-SXM', 'A100', 'B200'])},{rnd.randint(1, 500)},{rnd.choice(['LPP', '', ''])},"
                "no,yes\n"
            )


MEMORY_PROBE = r"""
import json, resource, sys
from pathlib import Path
from pyrules.modes.ledger import stream_ledger
small, big = Path(sys.argv[1]), Path(sys.argv[2])
sum(1 for _ in stream_ledger(small, workers=2))          # the program cached, the pool warmed
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
stream = stream_ledger(big, workers=2)
n = errors = 0
for row in stream:
    n += 1
    errors += bool(row["error"])
print(json.dumps({"rows": n, "errors": errors, "base_kb": base,
                  "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "totals": len(stream.summary)}))
"""


@pytest.mark.slow  # 20-100 s on two shared cores; in the default run (deselect: -m "not slow")
def test_a_50000_row_ledger_runs_in_bounded_memory(tmp_path):
    """The ledger streams (issue 14): for 50,000 rows this process grows by far less
    than the 20 KB a row the ledger used to keep (1 GB here), and each worker process
    holds a few batches' clingo controls whatever the number of rows."""
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    _big_ledger(small, 300, seed=1)
    _big_ledger(big, 50_000)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(small), str(big)], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    m = json.loads(out.stdout)
    assert m["rows"] == 50_000 and m["errors"] == 0 and m["totals"] > 300
    growth_per_row = (m["self_kb"] - m["base_kb"]) * 1024 / 50_000
    assert growth_per_row < 3000, m  # bytes a row in this process (was 20,000-25,000)
    assert m["children_kb"] < 400 * 1024, m  # a worker's peak, KB


def test_the_same_batches_on_a_dask_local_cluster_give_the_same_results(tmp_path):
    """run_ledger(dask_client=...) maps the batches over a Dask cluster (two stateless
    tasks a batch): the rows and totals are those of the local process pool, caps crossed
    (740.29) included."""
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster
    import pyrules.modes.ledger as ledger

    rnd = random.Random(11)
    lines = []
    for i in range(80):
        c = rnd.choice(["IN", "AE", "DE"])
        lines.append(
            f"r{i},2025-{rnd.randint(6, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 3},{c},{c},"
            f"H100-SXM,,,{rnd.randint(300, 900)},{rnd.choice(['LPP', ''])},no,yes"
        )
    path = _write(tmp_path, lines)
    local = run_ledger(path, workers=1)
    old = ledger.BATCH_ROWS
    ledger.BATCH_ROWS = 9  # several batches, the totals passed from one to the next
    try:
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
            Client(cluster) as client,
        ):
            on_dask = run_ledger(path, dask_client=client)
    finally:
        ledger.BATCH_ROWS = old
    assert on_dask.rows == local.rows
    assert on_dask.summary == local.summary and on_dask.countries == local.countries
    assert any(r["claim_available"] is False for r in local.rows)


def _allocation_ledger(tmp_path):
    """Licensed shipments to two Tier 2 countries over months (742.6(b)(10)), an LPP claim
    (740.29, no country's allocation) and a Tier 1 shipment (no cap)."""
    lines = [
        f"a{i},2025-{6 + i % 6:02d}-{1 + i:02d},export,US,AE,Gulf,AE,AE,H100-SXM,,,{200 + 50 * i},,no,"
        for i in range(6)
    ]
    lines += [f"i{i},2025-{7 + i:02d}-15,export,US,IN,Bharat,IN,IN,H100-SXM,,,{300 + i},,no," for i in range(4)]
    lines += [_lpp_row("l1", "2025-08-01", 10), "d1,2025-08-02,export,US,DE,Berlin,DE,DE,H100-SXM,,,10,,no,"]
    return _write(tmp_path, lines)


def test_742_6_b_10_allocation_chart_ends_at_the_ledgers_own_country_totals(tmp_path):
    """The chart of allocation use by country over time (notebook and web page) is drawn
    from allocation_series, whose last point per country is the summary's total for that
    country, in TPP and in H100-equivalents."""
    from pyrules.modes.ledger import allocation_series, h100_equivalent_tpp
    from pyrules.web.pages import allocation_chart

    res = run_ledger(_allocation_ledger(tmp_path))
    countries = {c["country"]: c for c in res.countries}
    assert set(countries) == {"AE", "IN"}
    assert countries["AE"]["used_tpp"] == sum(200 + 50 * i for i in range(6)) * 15832
    series = allocation_series(res)
    assert {c: pts[-1][1] for c, pts in series.items()} == {c: v["used_tpp"] for c, v in countries.items()}
    assert [d for d, _ in series["IN"]] == ["2025-07-15", "2025-08-15", "2025-09-15", "2025-10-15"]
    chart = allocation_chart(res)
    lines = {line["country"]: line for line in chart["lines"]}
    for c, v in countries.items():
        assert lines[c]["last_tpp"] == v["used_tpp"]
        assert (
            round(lines[c]["last"], 1) == v["used_h100_equivalents"] == round(v["used_tpp"] / h100_equivalent_tpp(), 1)
        )


def test_ledger_web_page_shows_allocation_use_by_country_with_the_summary_totals(tmp_path):
    """The web application's ledger page (server-rendered SVG, no script) shows each
    country's allocation use with the ledger's totals."""
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient
    from pyrules.web.app import _num, create_app

    path = _allocation_ledger(tmp_path)
    res = run_ledger(path)
    client = TestClient(create_app())
    r = client.post("/ledger", files={"ledger_file": ("alloc.csv", path.read_bytes(), "text/csv")})
    assert r.status_code == 200
    page = r.text
    section = page[page.index('id="ledger-allocation"') : page.index('id="ledger-chart"')]
    assert section.count("<polyline") == 2 and "<script" not in page
    for c in res.countries:
        assert f"<td>{c['country']}</td><td>{c['used_tpp']:,}</td>" in section
        assert f"<td>{_num(c['used_h100_equivalents'])}</td>" in section
    assert "2025-06-01" in section


def test_ledger_cli_view_applies_to_every_row_and_error_rows_keep_their_place(tmp_path):
    """`pyrules ledger --view as_enforced`: every row is decided in that view (BIS does not
    enforce the IFR's new licence requirement after its 2025-05-13 announcement,
    kb/earlier_controls.lp; as written, 742.6 requires one) and a bad cell is still an
    error row naming its line and column."""
    p = _write(
        tmp_path, [_lpp_row("a", "2025-06-01", 10), "b,2025-06-01,export,US,IN,Acme,IN,IN,NoSuchChip,,,10,LPP,no,yes"]
    )
    out = subprocess.run(
        [sys.executable, "-m", "pyrules.cli", "ledger", str(p), "--view", "as_enforced", "--format", "jsonl"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert rows[0]["id"] == "a" and rows[0]["license_required"] is False
    assert run_ledger(p).rows[0]["license_required"] is True
    assert "line 3" in rows[1]["error"] and "column 38" in rows[1]["error"] and "chip" in rows[1]["error"]


def test_ledger_cli_engine_dask_gives_the_rows_of_the_process_pool(tmp_path):
    """`pyrules ledger --engine dask` decides the batches on a (local) Dask cluster."""
    pytest.importorskip("dask.distributed")
    p = _write(tmp_path, [_lpp_row("a", "2025-06-01", 1000), _lpp_row("b", "2025-06-02", 800)])

    def run(*extra):
        out = subprocess.run(
            [sys.executable, "-m", "pyrules.cli", "ledger", str(p), "--format", "jsonl", *extra],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr
        return [json.loads(x) for x in out.stdout.splitlines()]

    rows = run("--engine", "dask")
    assert rows == run()
    assert [r["claim_available"] for r in rows] == [True, False]  # 740.29: 1,800 H100s exceed the cap


# --- moved from test_reliability.py: bad ledger rows: one error row each, no row lost ---
from helpers import cli_run, cli_subprocess, scenario, write_file as write  # noqa: E402
from pyrules.inputs import limits  # noqa: E402


def ledger(tmp_path, name, text, fmt="jsonl") -> list[dict]:
    rc, out, err = cli_run("ledger", write(tmp_path, name, text), "--format", fmt)
    rows = [json.loads(line) for line in out.splitlines()]
    # the summary goes to stderr; the exit code is 2 exactly when a row is an error row
    assert "Ledger summary" in err
    assert rc == (2 if any(r.get("error") for r in rows) else 0), err
    return rows


CSV_HEAD = "id,date,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity\n"


GOOD = "2025-06-01,US,DE,Buyer,DE,DE,H100-SXM,10"


def test_ledger_bad_csv_rows_each_give_an_error_row_and_lose_no_other(tmp_path):
    text = (
        CSV_HEAD
        + f"r1,{GOOD}\n"
        + "r2,2025-06-01\n"  # short row (line 3)
        + "r3,2025-06-01,US,DE,Buyer,DE,DE,H100-SXM,²\n"  # superscript two (line 4)
        + 'r4,2025-06-01,US,DE,"Buy\ner",DE,DE,H100-SXM,5\n'  # quoted newline (lines 5-6)
        + f"r5,{GOOD}\n"  # line 7
        + 'r6,2025-06-01,US,DE,"Buyer,DE,DE,H100-SXM,1\n'  # unterminated quote (line 8)
        + f"r7,{GOOD}\n"
    )  # line 9
    rows = ledger(tmp_path, "l.csv", text)
    by = {r["line"]: r for r in rows}
    assert sorted(by) == [2, 3, 4, 5, 7, 8, 9]
    assert by[2]["id"] == "r1" and by[2]["error"] is None
    assert "line 3" in by[3]["error"] and "header has 9 columns" in by[3]["error"] and by[3]["id"] == "r2"
    assert "line 4, column 42, field 'quantity'" in by[4]["error"]
    assert "line 5, column 21, field 'consignee'" in by[5]["error"]  # the name holds a line break
    assert by[7]["id"] == "r5" and by[7]["error"] is None  # its physical line
    assert "line 8, column 21" in by[8]["error"] and "unterminated" in by[8]["error"]
    assert by[9]["id"] == "r7" and by[9]["error"] is None


def test_ledger_cell_on_a_continuation_line_is_located(tmp_path):
    """The column of a cell after a quoted newline names its own physical line."""
    text = CSV_HEAD + 'r1,2025-06-01,US,DE,Buyer,"DE\n",DE,H100-SXM,x\nr2,' + GOOD + "\n"
    rows = ledger(tmp_path, "l.csv", text)
    assert "line 3, column 15, field 'quantity'" in rows[0]["error"], rows[0]["error"]
    assert rows[0]["line"] == 2 and rows[1]["line"] == 4 and rows[1]["error"] is None


def test_ledger_jsonl_bad_lines_each_give_an_error_row(tmp_path):
    good = json.dumps({"id": "ok", **scenario()})
    lines = [
        good.replace('"ok"', '"a"'),
        json.dumps({"id": ["x"], **scenario()}),
        "[" * 100_000 + "]" * 100_000,
        "{not json",
        "42",
        json.dumps({"id": 7, **scenario()}),
        good.replace('"ok"', '"b\\u2028c"'),  # a line separator inside a string
        good,
    ]
    rows = ledger(tmp_path, "l.jsonl", "\n".join(lines) + "\n")
    by = {r["line"]: r for r in rows}
    assert sorted(by) == list(range(1, 9))
    assert by[1]["error"] is None and by[6]["error"] is None and by[6]["id"] == "7"
    assert "field 'id'" in by[2]["error"]
    assert "nested more than 100" in by[3]["error"]
    assert "line 4, column 2" in by[4]["error"]
    assert "expected a JSON object" in by[5]["error"]
    assert "field 'id'" in by[7]["error"]  # an id must be printable
    assert by[8]["error"] is None


def test_ledger_rows_limit_at_and_past(tmp_path, monkeypatch):
    """limits.MAX_LEDGER_ROWS (1,000,000; here lowered to 3): 3 rows are decided, a
    fourth refuses the ledger (exit 2) before any row is decided."""
    monkeypatch.setattr(limits, "MAX_LEDGER_ROWS", 3)
    rows = "".join(f"r{i},{GOOD}\n" for i in range(3))
    assert len(ledger(tmp_path, "l.csv", CSV_HEAD + rows)) == 3
    rc, out, err = cli_run("ledger", write(tmp_path, "m.csv", CSV_HEAD + rows + f"r9,{GOOD}\n"))
    assert rc == 2 and "more than 3 rows" in err and out == ""
    jl = "".join(json.dumps({"id": f"r{i}", **scenario()}) + "\n" for i in range(4))
    rc, out, err = cli_run("ledger", write(tmp_path, "m.jsonl", jl))
    assert rc == 2 and "more than 3 rows" in err


def test_ledger_header_with_trailing_commas(tmp_path):
    """A spreadsheet's trailing commas (columns without a name) are ignored while their
    cells are empty; a value under no name is an error row naming its line and column."""
    head = CSV_HEAD.rstrip("\n") + ",,\n"
    rows = ledger(tmp_path, "l.csv", head + f"r1,{GOOD},,\nr2,{GOOD},x,\n")
    assert rows[0]["error"] is None
    assert "line 3, column 45" in rows[1]["error"] and "which the header does not name" in rows[1]["error"]


# --- moved from test_render.py: 740.29 LPP totals: results and summary apart ---
LEDGER_HEADER = "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,authorization,via_distributor,fact.lpp_certification_obtained"


def test_cli_ledger_results_and_summary_apart_exit_2_on_error_rows(tmp_path):
    """740.29 LPP per-consignee totals: the results go to stdout (or -o), the summary to stderr
    (or --summary); an error row makes the exit code 2 after everything is written."""
    good = "a,2025-06-01,export,US,IN,Acme,IN,IN,H100-SXM,10,LPP,no,yes"
    bad = "b,2025-13-01,export,US,IN,Acme,IN,IN,H100-SXM,10,LPP,no,yes"
    p = tmp_path / "l.csv"
    p.write_text(LEDGER_HEADER + "\n" + good + "\n")
    r = cli_subprocess("ledger", p)
    assert r.returncode == 0, r.stderr
    assert len(list(csv.DictReader(io.StringIO(r.stdout)))) == 1  # rows only, no summary
    assert "Ledger summary: 1 rows, 0 with errors" in r.stderr and "lpp_year(Acme, 2025)" in r.stderr
    p.write_text(LEDGER_HEADER + "\n" + good + "\n" + bad + "\n")
    out, summ = tmp_path / "out.csv", tmp_path / "summary.json"
    r = cli_subprocess("ledger", p, "-o", out, "--summary", summ)
    assert r.returncode == 2 and r.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [bool(x["error"]) for x in rows] == [False, True]
    s = json.loads(summ.read_text())
    assert s["rows"] == 2 and s["error_rows"] == 1
    assert {t["total"] for t in s["totals"]} == {"lpp_year(Acme, 2025)"}
