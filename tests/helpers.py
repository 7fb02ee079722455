"""Shared test helpers: a valid base scenario and one-line evaluation."""

from __future__ import annotations

import copy

import pyrules

BASE = {
    "scenario": "base: H100s from the US to a Tier 1 company in Germany",
    "date": "2025-06-01",
    "transaction": {
        "action": "export",
        "from": "US",
        "to": "DE",
        "consignee": "Buyer",
        "via_distributor": False,
        "purpose": "data_center",
    },
    "items": [{"chip": "H100-SXM", "quantity": 100}],
    "entities": {"Buyer": {"located": "DE", "headquartered": "DE"}},
    "facts": {"tier2_allocation_used_tpp": 0},
}


def scenario(**overrides) -> dict:
    """A copy of BASE with top-level sections replaced or merged.

    scenario(to="IN")                 -> transaction.to = IN
    scenario(transaction={...})       -> merged into transaction
    scenario(entities={...})          -> replaces entities
    scenario(items=[...]) / facts={...} / date="..."
    """
    s = copy.deepcopy(BASE)
    for key, value in overrides.items():
        if key == "transaction":
            s["transaction"].update(value)
        elif key == "facts":
            s["facts"].update(value)
        elif key in s or key in ("readings", "questions"):
            s[key] = value
        elif key in ("to", "from", "action", "consignee", "via_distributor", "purpose", "authorization_claimed"):
            s["transaction"][key] = value
        else:
            raise KeyError(key)
    return s


def run(s: dict, **kw) -> pyrules.Determination:
    return pyrules.evaluate(s, **kw)


def auth(d: pyrules.Determination, name: str) -> dict:
    for a in d.authorizations:
        if a["name"] == name.upper():
            return a
    raise AssertionError(f"{name} not considered; considered: {[a['name'] for a in d.authorizations]}")


def failed(d: pyrules.Determination, name: str) -> set[str]:
    return {f["condition"] for f in auth(d, name)["failed_conditions"]}


def check_scenario_files_cover_every_condition(auth_name: str) -> None:
    """The queries/<auth>_*.json scenarios (at least four) show the authorization
    available at least once and each of its own named conditions failing at least
    once; a file whose name says 'available' is available, every other one is not."""
    import json
    from pathlib import Path

    prefix = auth_name.lower()
    files = sorted((Path(__file__).resolve().parent.parent / "queries").glob(f"{prefix}_*.json"))
    assert len(files) >= 4
    seen_failed, declared, available = set(), set(), 0
    for f in files:
        name = f.name
        d = run(json.loads(f.read_text(encoding="utf-8")))
        a = auth(d, auth_name)
        declared |= {
            x.arguments[1].name
            for x in d.atoms
            if x.name == "condition" and x.arguments[0].name == prefix and x.arguments[1].name.startswith(prefix + "_")
        }  # this exception's own conditions
        seen_failed |= failed(d, auth_name)
        assert a["undecided_conditions"] == [], name
        if "available" in name:
            assert a["available"] is True, name
            available += 1
        else:
            assert a["available"] is False, name
    assert available >= 1
    assert declared and declared <= seen_failed, declared - seen_failed


# --------------------------------------------------------------------------- shared by several files
# (first written for the tests that were moved from round-named files into the files of
# their provision or feature)
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402


ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"


def note_ids(d: pyrules.Determination) -> set[str]:
    return {n["id"] for n in d.notes}


def cli_run(*args) -> tuple[int, str, str]:
    """The CLI in this process (pyrules.cli.main): exit code, stdout, stderr. An unexpected
    exception fails the calling test with its traceback."""
    from pyrules import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([str(a) for a in args])
    return rc, out.getvalue(), err.getvalue()


def cli_subprocess(*args, cwd=None) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: `python -m pyrules.cli ARGS` in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "pyrules.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=300,
    )


def write_file(tmp_path: Path, name: str, content) -> Path:
    """A file holding content (a str as written, anything else as JSON)."""
    p = tmp_path / name
    p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return p


def ask_error(tmp_path: Path, s, name: str = "s.json") -> str:
    """`pyrules ask --json` on s, which must be refused as bad input: exit code 2, no
    traceback; returns the message."""
    rc, out, err = cli_run("ask", "--json", write_file(tmp_path, name, s))
    assert rc == 2, (out, err)
    assert "Traceback" not in err
    return err


def bundled_case(name: str):
    """A bundled case queries/NAME.json: its "expect", its determination and that as JSON."""
    raw = json.loads((QUERIES / f"{name}.json").read_text())
    d = pyrules.evaluate(raw)
    return raw["expect"], d, json.loads(d.to_json()) if isinstance(d.to_json(), str) else d.to_json()


# The 18 countries of 15 CFR part 740, Supp. No. 5, paragraph (a) (Tier 1 besides the
# United States): expected values for tests.
SUPP5_PARA_A = frozenset(
    {"AU", "BE", "CA", "DK", "FI", "FR", "DE", "IE", "IT", "JP", "NL", "NZ", "NO", "KR", "ES", "SE", "TW", "GB"}
)


def buyer(country, hq=None, parent_hq=None, **kw):
    """A scenario to a consignee Buyer located in ``country`` (headquartered there, or in
    ``hq``), with an ultimate parent headquartered in ``parent_hq`` if given."""
    ents = {"Buyer": {"located": country, "headquartered": hq or country}}
    if parent_hq:
        ents["Buyer"]["parent"] = "Parent"
        ents["Parent"] = {"headquartered": parent_hq}
    return scenario(to=country, entities=ents, **kw)
