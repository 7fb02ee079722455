"""Regenerate docs/fields.md from pyrules/schema.py (tests check it is current).

Run:  .venv/bin/python scripts/make_field_docs.py > docs/fields.md
"""
from pyrules import schema


def table(title, fields, prefix):
    lines = [f"## {title}", "", "| field | type | meaning |", "|---|---|---|"]
    for name, (kind, text) in fields.items():
        lines.append(f"| `{prefix}{name}` | {kind.replace('|', ' / ')} | {text} |")
    return lines + [""]


def main():
    out = ["# Scenario fields", "",
           "Generated from `pyrules/schema.py` by `scripts/make_field_docs.py`. A field that is",
           "absent is a missing fact: the knowledge base reports it and never assumes a value,",
           "except where noted (an entity without `parent` has none).", ""]
    out += table("transaction", schema.TRANSACTION_FIELDS, "transaction.")
    out += table("entities (by name)", schema.ENTITY_FIELDS, "entities.NAME.")
    out += table("entity status flags", schema.ENTITY_STATUS, "entities.NAME.status.")
    out += table("item lines", schema.ITEM_FIELDS, "items[i].")
    out += table("facts", schema.FACTS, "facts.")
    out += ["## readings (ambiguous provisions; the first choice is the default)", "",
            "| topic | choices |", "|---|---|"]
    for topic, choices in schema.READINGS.items():
        out.append(f"| `readings.{topic}` | {', '.join(choices)} |")
    out += ["", "## view", "",
            "| field | choices | meaning |", "|---|---|---|",
            f"| `view` | {', '.join(schema.VIEWS)} | the law as written (the CFR as codified, default) or as "
            "BIS enforces it (kb/earlier_controls.lp); `--view` replaces it |"]
    print("\n".join(out))


if __name__ == "__main__":
    main()
