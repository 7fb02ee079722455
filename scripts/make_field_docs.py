"""Regenerate docs/fields.md and docs/scenario.schema.json from pyrules/inputs/schema.py (the one
declaration of the input interface) and the readings the KB declares. Tests check both
are current.

Run:  .venv/bin/python scripts/make_field_docs.py > docs/fields.md
      .venv/bin/python scripts/make_field_docs.py --json-schema > docs/scenario.schema.json
"""

import json
import sys

from pyrules.engine import kb
from pyrules.inputs import schema

TITLES = {
    "date": "date",
    "transaction": "transaction",
    "entity": "entities (by name)",
    "status": "entity status flags",
    "item": "item lines",
    "fact": "facts",
}


def kind_text(kind: str) -> str:
    if kind == "authorization":
        return "authorization: " + " / ".join(schema.AUTHORIZATIONS)
    return kind.replace("|", " / ")


def table(section: str) -> list[str]:
    lines = [f"## {TITLES[section]}", "", "| field | KB predicate | type | unit | meaning |", "|---|---|---|---|---|"]
    for inp in schema.by_section(section).values():
        pred = inp.predicate + (f" + {inp.also}" if inp.also else "")
        lines.append(
            f"| `{inp.path.replace('[i]', '[i]')}` | `{pred}` | {kind_text(inp.kind)} | {inp.unit} | "
            f"{inp.description} |"
        )
    return lines + [""]


def main():
    if "--json-schema" in sys.argv[1:]:
        print(json.dumps(schema.json_schema(), indent=1, sort_keys=True))
        return
    out = [
        "# Scenario fields",
        "",
        "Generated from `pyrules/inputs/schema.py` (`INPUTS`, the one declaration of the input interface)",
        "and the readings declared in `kb/` by `scripts/make_field_docs.py`; the JSON Schema of the",
        "same form is `docs/scenario.schema.json`. A field that is absent is a missing fact: the",
        "knowledge base reports it and never assumes a value, except where noted (an entity without",
        "`parent` has none). NAME is an entity's name, i an item line (from 0); a predicate with the",
        "field's name as an argument (`fact/2`, `entity_status/3`, `item_fact/3`) receives it there.",
        "",
    ]
    for section in TITLES:
        out += table(section)
    out += [
        "## readings (ambiguous provisions; the first choice is the default)",
        "",
        "| topic | choices |",
        "|---|---|",
    ]
    for topic, choices in kb.readings().items():
        out.append(f"| `readings.{topic}` | {', '.join(choices)} |")
    out += [
        "",
        "## view",
        "",
        "| field | choices | meaning |",
        "|---|---|---|",
        f"| `view` | {', '.join(schema.VIEWS)} | the law as written (the CFR as codified, default) or as "
        "BIS enforces it (kb/earlier_controls.lp); `--view` replaces it |",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
