"""Regenerate the three notebooks in notebooks/ (no stored outputs).

Run:  .venv/bin/python scripts/make_notebooks.py
The test suite executes every notebook from a clean kernel (tests/test_notebooks.py).
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parent.parent / "notebooks"

SETUP = '''import json, pathlib, html
import pyrules
from IPython.display import HTML, display
ROOT = pathlib.Path.cwd()
while not (ROOT / "queries").is_dir() and ROOT != ROOT.parent:
    ROOT = ROOT.parent
QUERIES = ROOT / "queries"


def table(rows, columns):
    """A list of dicts as an HTML table (shown inline by Jupyter)."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(r.get(c, '')))}</td>"
                                    for c in columns) + "</tr>" for r in rows)
    return HTML(f"<table><tr>{head}</tr>{body}</table>")'''

LAWYERS = [
    new_markdown_cell(
        "# pyrules for lawyers\n\nDescribe a deal, read the determination with its citations, ask why an "
        "authorization is not available, and find the minimal change that would make the deal lawful. "
        "Every answer comes from `kb/` (the rule in ASP), citing the 15 CFR paragraph."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## Describe the deal\nAn Indian cloud provider whose parent is headquartered in China buys 1,000 H100s from the US."
    ),
    new_code_cell("""deal = {
    "scenario": "Indian cloud provider, Chinese parent", "date": "2025-06-01",
    "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "AcmeCloud",
                    "via_distributor": False, "purpose": "data_center"},
    "items": [{"chip": "H100-SXM", "quantity": 1000}],
    "entities": {"AcmeCloud": {"located": "IN", "headquartered": "IN", "parent": "HoldCo"},
                 "HoldCo": {"headquartered": "CN"}},
    "facts": {"tier2_allocation_used_tpp": 0, "lpp_prior_shipments_tpp": 0,
              "lpp_certification_obtained": True}}
d = pyrules.evaluate(deal)
d"""),
    new_code_cell("""assert d.license_required is True
assert d.licensing_policy == "presumption_of_denial"
print(d.summary())
print(d.policy_citation)"""),
    new_markdown_cell("## What is missing?\nEach missing fact names the field of the deal that answers it."),
    new_code_cell("""table(d.missing_fact_fields, ["question", "field", "id"])"""),
    new_markdown_cell("## Why not LPP?\nEach authorization lists the conditions that fail, with their citations."),
    new_code_cell("""lpp = next(a for a in d.authorizations if a["name"] == "LPP")
for f in lpp["failed_conditions"]:
    print(f["condition"], "-", f["description"], f"[{f['citation']}]")
assert lpp["available"] is False"""),
    new_markdown_cell("## Why? The explanation tree\nEvery node cites its provision; leaves are the facts you gave."),
    new_code_cell("""from pyrules.modes.explain import explain_determination
print(explain_determination(d).to_text()[:3000])"""),
    new_markdown_cell(
        "## What minimal change would make it work?\nAllow the parent's headquarters to change and ask for an authorization."
    ),
    new_code_cell("""from pyrules.modes import whatif
result = whatif.repairs(deal, goal="authorized", may_change=[{"fact": "headquartered", "entity": "HoldCo"}])
print(result.to_text())
assert result.reachable"""),
    new_markdown_cell(
        "## What applied then? The deal over time, as written and as enforced\n"
        "`pyrules.timeline` evaluates the deal on each date the knowledge base names and reports where "
        "the answer changes, with the provisions that entered or left force."
    ),
    new_code_cell("""from pyrules.modes.timeline import timeline
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
for view in ("as_written", "as_enforced"):
    t = timeline(deal, view=view, until="2026-08-01")
    print(t.to_text().splitlines()[0])
    for c in t.changes:
        print(" ", c.date, {k: v["to"] for k, v in c.changed.items()})
steps = {}
for view in ("as_written", "as_enforced"):
    t = timeline(deal, view=view, until="2026-08-01")
    level = {None: 0.5, False: 0, True: 1}
    xs, ys, cur = [t.start], [level[t.initial["license_required"]]], t.initial["license_required"]
    for c in t.changes:
        if "license_required" in c.changed:
            cur = c.changed["license_required"]["to"]
        xs.append(c.date); ys.append(level[cur])
    xs.append(t.end); ys.append(ys[-1])
    steps[view] = (xs, ys)
fig, ax = plt.subplots(figsize=(7, 2))
for view, (xs, ys) in steps.items():
    ax.step(range(len(xs)), ys, where="post", label=view)
ax.set_yticks([0, 0.5, 1], ["no", "?", "yes"]); ax.set_title("Licence required over time"); ax.legend()
plt.close(fig)
assert steps["as_written"][1][-1] == 1"""),
    new_markdown_cell("## Save the record"),
    new_code_cell("""record = d.to_json()
print(json.dumps({k: record[k] for k in ("scenario", "as_of", "license_required", "licensing_policy", "citations")}, indent=2))"""),
]

ANALYSTS = [
    new_markdown_cell(
        "# pyrules for policy analysts\n\nChange the regime (move a country between tiers, change a threshold) "
        "and see which transactions change outcome; follow allocation use in H100-equivalents."
    ),
    new_code_cell(
        SETUP
        + """
from pyrules.inputs.loader import load_scenarios
from pyrules.modes.regime import Regime, compare
corpus = load_scenarios([QUERIES])
len(corpus)"""
    ),
    new_markdown_cell("## What if the UAE were in Tier 1?"),
    new_code_cell("""regime = Regime.load(ROOT / "regimes" / "uae_to_tier1.json")
result = compare(regime, corpus)
print(result["summary"])
from pyrules.modes.regime import change_rows
table(change_rows(result), ["scenario", "what", "before", "after"])"""),
    new_markdown_cell("## What if the LPP limit doubled?"),
    new_code_cell("""result = compare(Regime.load(ROOT / "regimes" / "lpp_doubled.json"), corpus)
print(result["summary"])
table(change_rows(result), ["scenario", "what", "before", "after"])"""),
    new_markdown_cell(
        "## Allocation use over time, in GPU (H100) equivalents\nA ledger of licensed shipments to Tier 2 countries, accounted in date order."
    ),
    new_code_cell("""import random, csv, io
from pyrules.modes.ledger import run_ledger
random.seed(7)
rows = ["id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,authorization,via_distributor,fact.government_assurances"]
for i in range(60):
    c = random.choice(["AE", "IN", "BR", "SG"])
    month = 5 + i % 12                           # June 2025 to May 2026: after the compliance date
    day = f"{2025 + month // 12}-{1 + month % 12:02d}-{1 + i % 27:02d}"
    rows.append(f"r{i},{day},export,US,{c},Co{c},{c},{c},H100-SXM,{random.randint(500, 4000)},,no,no")
path = pathlib.Path("_ledger_demo.csv"); path.write_text("\\n".join(rows) + "\\n")
ledger = run_ledger(path)
path.unlink()
table(ledger.summary, ["total", "used_tpp", "cap_tpp", "remaining_tpp", "used_h100_equivalents", "remaining_h100_equivalents"])"""),
    new_markdown_cell(
        "Each country's allocation use, in H100-equivalents, by date. Which rows count toward "
        "a country's Tier 2 allocation is the KB's answer (each row's `allocation_country`, from "
        "`kb/modes/ledger.lp`); the last point of each line is the ledger's own total for that "
        "country (checked below)."
    ),
    new_code_cell(
        """table(ledger.countries, ["country", "used_tpp", "cap_tpp", "used_h100_equivalents", "cap_h100_equivalents"])"""
    ),
    new_code_cell("""%matplotlib inline
import datetime as dt
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from pyrules.modes.ledger import allocation_series, h100_equivalent_tpp
h100 = h100_equivalent_tpp()                      # the KB's reporting unit (kb/parameters.lp)
series = allocation_series(ledger)
countries = {c["country"]: c for c in ledger.countries}
for country, pts in series.items():               # the chart agrees with the ledger's totals
    assert pts[-1][1] == countries[country]["used_tpp"], country
assert set(series) == set(countries)
fig, ax = plt.subplots(figsize=(8, 3.5))
for country, pts in series.items():
    ax.step([dt.date.fromisoformat(d) for d, _ in pts], [v / h100 for _, v in pts], where="post",
            label=f"{country} ({countries[country]['used_h100_equivalents']:,} H100-eq.)")
for cap in sorted({c["cap_tpp"] for c in ledger.countries if c["cap_tpp"]}):
    ax.axhline(cap / h100, linestyle="--", color="grey", label="Tier 2 allocation")
ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
ax.set_ylabel("H100-equivalents used"); ax.set_xlabel("date of shipment"); ax.legend(fontsize="small")
ax.set_title("Allocation use by country over time")
fig.autofmt_xdate()
plt.show()"""),
]

RESEARCHERS = [
    new_markdown_cell(
        "# pyrules for researchers\n\nRun the consistency checker over the whole abstract space of transactions, "
        "explore properties, and see where the rule admits more than one reading."
    ),
    new_code_cell(SETUP),
    new_markdown_cell("## The consistency checker"),
    new_code_cell("""from pyrules.modes.check import run_check
report = run_check()
print(report["summary"])
table([{"kind": f.get("kind"), "finding": f.get("title", f.get("description", ""))[:160]}
       for f in report["findings"][:10]], ["kind", "finding"])"""),
    new_markdown_cell("## A property: no presumption of approval for a party tied to Tier 3 without an overlap report"),
    new_code_cell("""import itertools
tier_reps = {"1": "DE", "2": "IN", "3": "CN"}
bad = []
for dest, hq, par in itertools.product("123", repeat=3):
    s = {"scenario": f"dest {dest} hq {hq} parent {par}", "date": "2025-06-01",
         "transaction": {"action": "export", "from": "US", "to": tier_reps[dest], "consignee": "C"},
         "items": [{"chip": "H100-SXM", "quantity": 10}],
         "entities": {"C": {"located": tier_reps[dest], "headquartered": tier_reps[hq], "parent": "P"},
                      "P": {"headquartered": tier_reps[par]}},
         "facts": {"tier2_allocation_used_tpp": 0}}
    d = pyrules.evaluate(s)
    if "3" in (dest, hq, par) and d.licensing_policy == "presumption_of_approval" and not d.overlaps:
        bad.append(s["scenario"])
print("violations:", bad)
assert not bad"""),
    new_markdown_cell("## Ambiguities: the same deal under each reading"),
    new_code_cell("""from pyrules.modes.readings import evaluate_all_readings
overlap = {"scenario": "German subsidiary of a Chinese group", "date": "2025-06-01",
           "transaction": {"action": "export", "from": "US", "to": "DE", "consignee": "DeCo"},
           "items": [{"chip": "H100-SXM", "quantity": 10}],
           "entities": {"DeCo": {"located": "DE", "headquartered": "DE", "parent": "CnParent"},
                        "CnParent": {"headquartered": "CN"}}}
print(json.dumps(evaluate_all_readings(overlap), indent=1, default=str)[:2500])"""),
]


def main():
    OUT.mkdir(exist_ok=True)
    for name, cells in [("lawyers", LAWYERS), ("policy_analysts", ANALYSTS), ("researchers", RESEARCHERS)]:
        nb = new_notebook(
            cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
        )
        nbformat.write(nb, OUT / f"{name}.ipynb")


if __name__ == "__main__":
    main()
