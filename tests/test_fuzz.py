"""Issue 12: fuzz tests, one per input format (hypothesis).

For hostile mutations of a JSON scenario, a scenario-language file, a CSV ledger, a
JSON-lines ledger, a regime file and a what-if question, the command line (run in this
process, so that any exception fails the test with its traceback) exits 0 or 2 and
never raises; a ledger gives exactly one output row per input row. Each test keeps to
a few seconds (max_examples).
"""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import BASE
from pyrules import cli

QUERIES = Path(__file__).resolve().parent.parent / "queries"
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Values that broke pyrules before (issue 12), and their kind.
HOSTILE = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        1,
        2**31,
        -(2**31) - 1,
        10**30,
        10**30 - 1,
        10**40,
        1.5,
        1e26,
        -0.0,
        "",
        " ",
        "0",
        "-1",
        "1e26",
        "1e28",
        "1e30",
        "1e99999999",
        "10^99999999",
        "9" * 5000,
        "²",
        "٣",
        "NaN",
        "Infinity",
        "2025-02-30",
        "2025-06-01",
        "HoldCo\u0000x",
        "a\u001b[31mb",
        "\u202e",
        "line\nbreak",
        "US",
        "CN",
        "IN",
        "H100-SXM",
        "3A090.a",
        "LPP",
        "UVEU",
        "authorized",
        "destination",
        "quantity",
        "headquartered",
        "Buyer",
        "x" * 300,
        [],
        {},
        ["3A090.a"],
        {"a": 1},
        [[[]]],
    ]
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
VALUES = st.one_of(
    HOSTILE,
    st.recursive(
        SCALARS, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3), max_leaves=6
    ),
)


def cli_run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def in_file(name: str, text: str) -> Path:
    d = tempfile.mkdtemp(prefix="pyrules-fuzz-")
    p = Path(d) / name
    p.write_text(text, encoding="utf-8", errors="surrogatepass")
    return p


def cleanup(p: Path) -> None:
    os.unlink(p)
    os.rmdir(p.parent)


@st.composite
def mutated(draw, base, n=3):
    """``base`` with up to ``n`` values replaced, keys removed or added, anywhere."""
    obj = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, n))):
        node, steps = obj, draw(st.integers(0, 4))
        for _ in range(steps):
            if isinstance(node, dict) and node:
                k = draw(st.sampled_from(sorted(node, key=str)))
                if not isinstance(node[k], (dict, list)) or not node[k]:
                    break
                node = node[k]
            elif isinstance(node, list) and node:
                i = draw(st.integers(0, len(node) - 1))
                if not isinstance(node[i], (dict, list)) or not node[i]:
                    break
                node = node[i]
            else:
                break
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if isinstance(node, dict):
            keys = sorted(node, key=str)
            if action == "add" or not keys:
                node[
                    draw(
                        st.one_of(
                            st.sampled_from(["tpp", "parent", "costs", "status", "facts", "x"]), st.text(max_size=6)
                        )
                    )
                ] = copy.deepcopy(draw(VALUES))
            elif action == "delete":
                del node[draw(st.sampled_from(keys))]
            else:
                node[draw(st.sampled_from(keys))] = copy.deepcopy(draw(VALUES))
        elif isinstance(node, list):
            if action == "add" or not node:
                node.append(copy.deepcopy(draw(VALUES)))
            elif action == "delete":
                node.pop(draw(st.integers(0, len(node) - 1)))
            else:
                node[draw(st.integers(0, len(node) - 1))] = copy.deepcopy(draw(VALUES))
    return obj


def as_json(draw, obj) -> str:
    text = json.dumps(obj)
    cut = draw(st.sampled_from(["none"] * 6 + ["truncate", "insert"]))
    if cut == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif cut == "insert":
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["{", "]", ",", '"', "\\", "\x00", "1e999", "[" * 200])) + text[i:]
    return text


SCENARIO = {
    **copy.deepcopy(BASE),
    "entities": {
        "Buyer": {"located": "DE", "headquartered": "DE", "parent": "HoldCo", "status": {"uveu": False}},
        "HoldCo": {"headquartered": "US"},
    },
    "items": [
        {"chip": "H100-SXM", "quantity": 100},
        {"eccn": "3A090.a", "tpp": 4992, "die_area_mm2": 814, "quantity": 8},
        {"model_weights": "M", "training_ops": "1.2e26", "published": False},
    ],
    "readings": {"tier_overlap": "unresolved"},
}


@settings(max_examples=60, **FUZZ)
@given(st.data())
def test_fuzz_json_scenario_exit_0_or_2(data):
    text = as_json(data.draw, data.draw(mutated(SCENARIO)))
    command = data.draw(
        st.sampled_from(
            [["ask", "--json"]] * 4 + [["ask"], ["explain", "--json"], ["parse"], ["ask", "--as-of", "2026-02-01"]]
        )
    )
    p = in_file("s.json", text)
    try:
        rc, out, err = cli_run(*command, p)
        assert rc in (0, 2), err
        assert "\x1b" not in err and "\x00" not in err
    finally:
        cleanup(p)


SCN = """scenario "Fuzz"
  on 2025-06-01
  export from US to IN
  consignee AcmeCloud
  purpose data_center
  authorization LPP
  ship 1000 x H100-SXM
  ship eccn 3A090.a tpp 4992 quantity 8, die_area_mm2 814.5
  entity AcmeCloud located IN headquartered IN parent HoldCo status uveu = no
  entity HoldCo headquartered CN
  fact lpp_prior_shipments_tpp = 26,900,000
  fact tier2_allocation_used_tpp = 1.2e26
  reading tier_overlap = tier3_prevails
  whatif authorized changing headquartered of HoldCo, quantity of item 1 cost 2
end
"""
SCN_TOKENS = st.one_of(
    st.sampled_from(
        [
            "9" * 5000,
            "10^99999999",
            "1e99999999",
            "1e999999",
            "²",
            '"Hold\x00Co"',
            '"a\x1bb"',
            '"unterminated',
            "end",
            "scenario",
            "x",
            ",",
            "=",
            "#",
            "-1",
            "0",
            "2025-02-30",
            "\u202e",
            "\t",
            "ship",
            "entity",
            "whatif",
            "of item 99",
            "cost 99999999999",
            "status",
            "parent",
            "HoldCo",
            "CN",
            "10^30",
            "999,999,999,999,999,999,999,999,999,999,999",
        ]
    ),
    st.text(max_size=6),
)


@st.composite
def scn_text(draw):
    lines = SCN.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["token", "token", "insert", "delete", "chars"]))
        words = lines[k].split(" ")
        if kind == "token":
            words[draw(st.integers(0, len(words) - 1))] = draw(SCN_TOKENS)
            lines[k] = " ".join(words)
        elif kind == "insert":
            lines.insert(k, " ".join(draw(st.lists(SCN_TOKENS, max_size=5))))
        elif kind == "delete":
            del lines[k]
        else:
            i = draw(st.integers(0, len(lines[k])))
            lines[k] = lines[k][:i] + draw(st.text(max_size=4)) + lines[k][i:]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, **FUZZ)
@given(scn_text(), st.data())
def test_fuzz_scenario_language_exit_0_or_2(text, data):
    p = in_file("s.scn", text)
    try:
        rc, out, err = cli_run(data.draw(st.sampled_from(["ask", "ask", "parse", "explain"])), p)
        assert rc in (0, 2), err
        assert "\x1b" not in err and "\x00" not in err
    finally:
        cleanup(p)


COLUMNS = [
    "id",
    "date",
    "action",
    "from",
    "to",
    "consignee",
    "consignee_located",
    "consignee_headquartered",
    "consignee_parent",
    "parent_headquartered",
    "chip",
    "eccn",
    "tpp",
    "quantity",
    "authorization",
    "via_distributor",
    "fact.lpp_prior_shipments_tpp",
    "status.uveu",
]
GOOD_ROW = {
    "date": "2025-06-01",
    "action": "export",
    "from": "US",
    "to": "IN",
    "consignee": "Acme",
    "consignee_located": "IN",
    "consignee_headquartered": "IN",
    "consignee_parent": "",
    "parent_headquartered": "",
    "chip": "H100-SXM",
    "eccn": "",
    "tpp": "",
    "quantity": "10",
    "authorization": "LPP",
    "via_distributor": "no",
    "fact.lpp_prior_shipments_tpp": "0",
    "status.uveu": "",
}
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "²",
            "9" * 5000,
            "1e99999999",
            "10^30",
            "-1",
            "x",
            "yes",
            "2025-13-01",
            "CN",
            "Hold\x00Co",
            "a\nb",
            'quo"te',
            "a,b",
            "\r",
            "1.5",
            "4992",
            "3A090.a",
            "UVEU",
            "  ",
        ]
    ),
    st.text(max_size=5),
)
# text for a garbage line: no quotes and no line breaks, so it is one record
GARBAGE = st.text(alphabet=st.characters(blacklist_characters='"\r\n', blacklist_categories=("Cs",)), max_size=40)


@st.composite
def csv_ledger(draw):
    """(text, ids of the well-formed rows, number of input rows)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")  # quotes cells holding \r or \n
    w.writerow(COLUMNS)
    ids, rows = [], 0
    for i in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 3)) == 0:
            line = draw(GARBAGE)
            out.write(line + "\n")
            rows += any(c.strip() for c in line.split(","))
        else:
            row = dict(GOOD_ROW, id=f"r{i}")
            for col in draw(st.lists(st.sampled_from(COLUMNS[1:]), max_size=3)):
                row[col] = draw(CELLS)
            cells = [row[c] for c in COLUMNS]
            if draw(st.integers(0, 5)) == 0:  # a short or a long row
                cells = cells[: draw(st.integers(1, len(cells)))] + draw(st.lists(CELLS, max_size=2))
            w.writerow(cells)
            ids.append(f"r{i}")
            rows += 1
    return out.getvalue(), ids, rows


@settings(max_examples=30, **FUZZ)
@given(csv_ledger())
def test_fuzz_csv_ledger_exit_0_and_no_lost_row(case):
    text, ids, rows = case
    p = in_file("l.csv", text)
    try:
        rc, out, err = cli_run("ledger", p, "--format", "jsonl")
        got = [json.loads(line) for line in out.splitlines()]
        # exit 2 exactly when some row is an error row (the summary goes to stderr)
        assert rc == (2 if any(r.get("error") for r in got) else 0), err
        assert len(got) == rows, (text, got)
        assert set(ids) <= {r["id"] for r in got}
        assert len({r["line"] for r in got}) == len(got)
    finally:
        cleanup(p)


@settings(max_examples=20, **FUZZ)
@given(st.text(alphabet=st.sampled_from('a,"\n\r\x00²9 '), max_size=80))
def test_fuzz_csv_ledger_any_text_exit_0_or_2(body):
    p = in_file("l.csv", "id,date,to,quantity\n" + body)
    try:
        rc, out, err = cli_run("ledger", p)
        assert rc in (0, 2), err
    finally:
        cleanup(p)


ROW = {
    "id": "r",
    "date": "2025-06-01",
    "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "Acme", "authorization_claimed": "LPP"},
    "items": [{"chip": "H100-SXM", "quantity": 10}],
    "entities": {"Acme": {"located": "IN", "headquartered": "IN"}},
    "facts": {"lpp_prior_shipments_tpp": "26,899,000"},
}


@st.composite
def jsonl_ledger(draw):
    lines = []
    for i in range(draw(st.integers(0, 8))):
        if draw(st.integers(0, 3)) == 0:
            lines.append(draw(st.one_of(GARBAGE, st.sampled_from(["[" * 5000, "{", "[1]", '"x"', "null", "\u2028"]))))
        else:
            row = dict(ROW, id=f"r{i}")
            if draw(st.booleans()):
                row = draw(mutated(row, 2))
            lines.append(as_json(draw, row))
    return "\n".join(lines) + "\n", sum(1 for line in lines if line.strip())


@settings(max_examples=30, **FUZZ)
@given(jsonl_ledger())
def test_fuzz_jsonl_ledger_exit_0_and_no_lost_row(case):
    text, rows = case
    p = in_file("l.jsonl", text)
    try:
        rc, out, err = cli_run("ledger", p)
        got = [json.loads(line) for line in out.splitlines()]
        assert rc == (2 if any(r.get("error") for r in got) else 0), err
        assert len(got) == rows
    finally:
        cleanup(p)


REGIME = {
    "regime": "fuzz",
    "description": "a fuzzed regime",
    "tiers": {"AE": 1, "CN": 2},
    "params": {
        "tier2_allocation_tpp": "1,580,000,000",
        "assurance_multiplier_percent": 200,
        "lpp_annual_limit_tpp": "1e9",
    },
    "dates": {"compliance": "2025-09-01"},
    "nveu_allocation": {"2025-Q1": "1,000,000,000"},
    "off": ["lic_lpp"],
}


@settings(max_examples=40, **FUZZ)
@given(st.data())
def test_fuzz_regime_file_exit_0_or_2(data):
    text = as_json(data.draw, data.draw(mutated(REGIME)))
    p = in_file("r.json", text)
    try:
        rc, out, err = cli_run("compare", "--regime", p, QUERIES / "india_cloud_chinese_parent.json")
        assert rc in (0, 2), err
    finally:
        cleanup(p)


QUESTION = {
    **copy.deepcopy(BASE),
    "entities": {"Buyer": {"located": "DE", "headquartered": "CN"}},
    "questions": [
        {
            "goal": "authorized",
            "costs": {"destination": 3},
            "may_change": [
                {"fact": "headquartered", "entity": "Buyer"},
                {"fact": "quantity", "item": 1, "cost": 2},
                {"fact": "fact", "name": "eccn_furnished"},
            ],
        }
    ],
}


@settings(max_examples=15, **FUZZ)
@given(st.data())
def test_fuzz_whatif_question_exit_0_or_2(data):
    q = copy.deepcopy(QUESTION)
    q["questions"] = data.draw(mutated(q["questions"], 3))
    p = in_file("q.json", json.dumps(q))
    try:
        rc, out, err = cli_run("whatif", "--json", p)
        assert rc in (0, 2), err
    finally:
        cleanup(p)
