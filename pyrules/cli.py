"""The ``pyrules`` command line. Exit codes: 0 success, 2 bad input, 1 internal error."""
from __future__ import annotations

import argparse
import json
import sys

from .errors import InputError


def _evaluation_options(parser) -> None:
    """The options of every command that evaluates scenarios (ask, explain)."""
    parser.add_argument("--as-of", metavar="DATE", help="evaluate on this date (YYYY-MM-DD) instead of the scenario's")
    parser.add_argument("--reading", action="append", default=[], metavar="TOPIC=CHOICE",
                        help="read an ambiguous provision this way (see 'pyrules readings')")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pyrules", description="The AI Diffusion export-control rule as logic.")
    sub = p.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="evaluate scenarios (JSON or .scn files, or directories of them)")
    ask.add_argument("files", nargs="+")
    ask.add_argument("--json", action="store_true", help="one JSON object per scenario, one per line")
    _evaluation_options(ask)

    parse = sub.add_parser("parse", help="print the JSON form of a scenario-language file")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="(default) print JSON")

    rdg = sub.add_parser("readings", help="list the ambiguous provisions and their readings; "
                         "with files, evaluate each scenario under every reading")
    rdg.add_argument("files", nargs="*", help="scenarios to evaluate under each reading (pyrules.readings)")
    rdg.add_argument("--json", action="store_true", help="one JSON object per scenario, one per line")

    exp = sub.add_parser("explain", help="explain each conclusion: the provisions and facts that produced it")
    exp.add_argument("files", nargs="+")
    exp.add_argument("--json", action="store_true", help="the determination with an 'explanation' object, one per line")
    _evaluation_options(exp)

    led = sub.add_parser("ledger", help="account for many transactions (CSV or JSON lines) in date order")
    led.add_argument("file")
    led.add_argument("--format", choices=["csv", "jsonl"], default=None,
                     help="output format (default: like the input)")
    led.add_argument("--progress", action="store_true", help="report progress on stderr")
    led.add_argument("--screen", action="store_true",
                     help="weigh every authorization for every row, as 'pyrules ask' does "
                          "(default: only the authorization a row claims)")

    cmp_ = sub.add_parser("compare", help="evaluate scenarios under the rule as written and under a regime file; list what changed")
    cmp_.add_argument("--regime", required=True, metavar="FILE", help="a regime file (JSON, see docs/regimes.md)")
    cmp_.add_argument("files", nargs="+", metavar="QUERIES")
    cmp_.add_argument("--json", action="store_true", help="print the comparison as JSON")

    chk = sub.add_parser("check", help="search the abstract space of transactions for overlaps, gaps and dead authorizations")
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.add_argument("--witness-dir", metavar="DIR", help="write each finding's witness scenario there (runnable with 'pyrules ask')")
    chk.add_argument("--samples", type=int, default=None, metavar="N", help="concrete scenarios sampled for the one-answer-set check")
    chk.add_argument("--regime", metavar="FILE", help="check the rule as changed by a regime file")

    wif = sub.add_parser("whatif", help="minimal changes that make a transaction reach a goal (all optimal repairs)")
    wif.add_argument("files", nargs="+")
    wif.add_argument("--goal", metavar="G", help="authorized, no_licence_required, an authorization (lpp, aia ...) or a policy; "
                     "with --goal the file's own questions are replaced by this one")
    wif.add_argument("--change", action="append", default=[], metavar="SPEC",
                     help="what may change, e.g. 'headquartered of HoldCo', 'quantity of item 1 cost 2', 'destination', "
                          "'date', 'via_distributor', 'fact lpp_certification_obtained', 'status uveu of X' (repeatable)")
    wif.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    return p


def _apply_readings(scenario, readings: list[str]):
    from . import schema
    if not readings:
        return scenario
    chosen = dict(scenario.data.get("readings", {}))
    for r in readings:
        topic, _, choice = r.partition("=")
        if topic not in schema.READINGS or choice not in schema.READINGS[topic]:
            raise InputError(f"unknown reading {r!r}; run 'pyrules readings'", field="--reading")
        chosen[topic] = choice
    return scenario.with_changes({"readings": chosen})


def cmd_ask(args) -> int:
    from .engine import default_engine
    from .loader import load_scenarios
    from .model import parse_date
    if args.as_of:
        parse_date(args.as_of, "--as-of")
    engine = default_engine()
    for path, scenario in load_scenarios(args.files):
        scenario = _apply_readings(scenario, args.reading)
        if scenario.data.get("questions"):
            from .whatif import validate_questions
            try:
                validate_questions(scenario)
            except InputError as exc:
                exc.file = str(path)
                raise
        d = engine.evaluate(scenario, as_of=args.as_of)
        if args.json:
            out = d.to_json()
            out["file"] = str(path)
            print(json.dumps(out))
        else:
            print(d.to_text())
            print()
    return 0


def cmd_parse(args) -> int:
    from pathlib import Path
    from .loader import read_raw
    from .model import Scenario
    raws = read_raw(Path(args.file))
    for raw in raws:
        Scenario.from_dict(raw)
    print(json.dumps(raws[0] if len(raws) == 1 else raws, indent=2))
    return 0


def cmd_readings(args) -> int:
    from . import schema
    if getattr(args, "files", None):
        from .readings import cli_main
        return cli_main(args)
    for topic, choices in schema.READINGS.items():
        print(f"{topic}: {', '.join(choices)}  (default {choices[0]})")
    return 0


def cmd_ledger(args) -> int:
    from pathlib import Path
    from .ledger import run_ledger, write_rows
    path = Path(args.file)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    try:
        result = run_ledger(path, progress=args.progress, screen=args.screen)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the file: not UTF-8 text (byte {exc.start})", file=str(path)) from None
    fmt = args.format or ("jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv")
    write_rows(result, fmt, sys.stdout)
    return 0


COMMANDS = {"ledger": cmd_ledger, "ask": cmd_ask, "parse": cmd_parse, "readings": cmd_readings}


def cmd_compare(args) -> int:
    from .regime import cmd_compare as run
    return run(args)


def cmd_check(args) -> int:
    from .check import cmd_check as run
    return run(args)


COMMANDS["compare"] = cmd_compare
COMMANDS["check"] = cmd_check


def cmd_explain(args) -> int:
    from .explain import cli_main
    return cli_main(args)


COMMANDS["explain"] = cmd_explain


def cmd_whatif(args) -> int:
    from .whatif import cli_main
    return cli_main(args)


COMMANDS["whatif"] = cmd_whatif


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"pyrules: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except UnicodeDecodeError as exc:
        # An input file that is not UTF-8 text (read by a subcommand that does not
        # check it itself): bad input, not an internal error.
        print(f"pyrules: error: cannot read the input: not UTF-8 text (byte {exc.start}: "
              f"{exc.object[exc.start:exc.start + 1]!r})", file=sys.stderr)
        return 2
    except OSError as exc:
        # A path the user gave cannot be read or written (e.g. --witness-dir).
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"pyrules: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


# serve, mcp, coverage and schema: pyrules/web/commands.py
from .web.commands import COMMANDS as _WEB_COMMANDS, extend_parser as _extend_parser  # noqa: E402

COMMANDS.update(_WEB_COMMANDS)
_parser = _extend_parser(_parser)


if __name__ == "__main__":
    sys.exit(main())
