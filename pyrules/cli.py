"""The ``pyrules`` command line. Exit codes: 0 success, 2 bad input, 1 internal error."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from typing import TYPE_CHECKING

from pyrules.errors import InputError
from pyrules.inputs.model import apply_readings, apply_view, did_you_mean

if TYPE_CHECKING:
    from pyrules.output.determination import Determination


class _Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a mistyped command, choice or option."""

    def error(self, message):
        import re

        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            message += did_you_mean(m.group(1), re.findall(r"[\w-]+", m.group(2)))
        m = re.match(r"unrecognized arguments: (\S+)", message)
        if m and m.group(1).startswith("-"):
            opts = [o for a in self._actions for o in a.option_strings]
            for a in self._actions:  # the options of the chosen subcommand too
                for sp in getattr(a, "choices", None) or {}:
                    sub = a.choices[sp]
                    if isinstance(sub, argparse.ArgumentParser):
                        opts += [o for b in sub._actions for o in b.option_strings]
            message += did_you_mean(m.group(1), sorted(set(opts)))
        super().error(message)


def _evaluation_options(parser) -> None:
    """The options of every command that evaluates scenarios (ask, explain)."""
    parser.add_argument("--as-of", metavar="DATE", help="evaluate on this date (YYYY-MM-DD) instead of the scenario's")
    parser.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="TOPIC=CHOICE",
        help="read an ambiguous provision this way (see 'pyrules readings')",
    )
    _view_option(parser)


def _view_option(parser) -> None:
    """--view: the law as written (the CFR as codified, default) or as BIS enforces it."""
    from pyrules.engine.kb import views

    words = [f"{v} ({'default: ' if i == 0 else ''}{text})" for i, (v, text) in enumerate(views().items())]
    parser.add_argument(
        "--view", choices=list(views()), default=None, help=" or ".join(words) + "; a scenario's own 'view' is replaced"
    )


def _parser() -> argparse.ArgumentParser:
    from pyrules import __version__

    p = _Parser(prog="pyrules", description="The AI Diffusion export-control rule as logic.")
    p.add_argument("--version", action="version", version=f"pyrules {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ask = sub.add_parser("ask", help="evaluate scenarios (JSON or .scn files, or directories of them)")
    ask.add_argument("files", nargs="+")
    ask.add_argument("--json", action="store_true", help="one JSON object per scenario, one per line")
    ask.add_argument(
        "--details",
        action="store_true",
        help="with several scenarios, print each answer in full after the summary table",
    )
    _evaluation_options(ask)
    ask.add_argument(
        "--regime", metavar="FILE", help="evaluate under a regime file (the rule as changed; see docs/regimes.md)"
    )

    tst = sub.add_parser(
        "test",
        help="check cases that state their expected outcome ('expect'); "
        "prints 'N passed, M failed' (exit 1 when a case fails)",
    )
    tst.add_argument("files", nargs="+", help="case files (JSON or .scn) or directories of them")
    tst.add_argument(
        "--require-expect",
        action="store_true",
        help="a scenario that states no expected outcome fails (as for the bundled corpus)",
    )

    parse = sub.add_parser("parse", help="print the JSON form of a scenario-language file")
    parse.add_argument("file")
    parse.add_argument("--json", action="store_true", help="(default) print JSON")

    rdg = sub.add_parser(
        "readings",
        help="list the ambiguous provisions and their readings; with files, evaluate each scenario under every reading",
    )
    rdg.add_argument("files", nargs="*", help="scenarios to evaluate under each reading (pyrules.readings)")
    rdg.add_argument("--json", action="store_true", help="one JSON object per scenario, one per line")

    exp = sub.add_parser("explain", help="explain each conclusion: the provisions and facts that produced it")
    exp.add_argument("files", nargs="+")
    exp.add_argument("--json", action="store_true", help="the determination with an 'explanation' object, one per line")
    _evaluation_options(exp)

    led = sub.add_parser("ledger", help="account for many transactions (CSV or JSON lines) in date order")
    led.add_argument("file")
    led.add_argument("--format", choices=["csv", "jsonl"], default=None, help="output format (default: like the input)")
    led.add_argument("--progress", action="store_true", help="report progress on stderr")
    led.add_argument("-o", "--output", metavar="FILE", help="write the result rows there (default: standard output)")
    led.add_argument(
        "--summary",
        metavar="FILE",
        help="write the summary of every cap and each country's allocation use there "
        "(.json: JSON, otherwise CSV); "
        "default: a readable table on standard error",
    )
    led.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: one per CPU for large ledgers)",
    )
    led.add_argument(
        "--engine",
        choices=["processes", "dask"],
        default="processes",
        help="where the batches are decided: a pool of local processes (default) or a Dask "
        "cluster (needs pip install 'pyrules[dask]')",
    )
    led.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="with --engine dask: the scheduler's address (default: a local cluster)",
    )
    led.add_argument(
        "--screen",
        action="store_true",
        help="weigh every authorization for every row, as 'pyrules ask' does "
        "(default: only the authorization a row claims)",
    )
    _view_option(led)

    cmp_ = sub.add_parser(
        "compare", help="evaluate scenarios under the rule as written and under a regime file; list what changed"
    )
    cmp_.add_argument(
        "--regime",
        required=True,
        action="append",
        metavar="FILE",
        help="a regime file (JSON, see docs/regimes.md); repeat to compare several regimes at once",
    )
    cmp_.add_argument("files", nargs="+", metavar="QUERIES")
    cmp_.add_argument("--json", action="store_true", help="print the comparison as JSON (same as --format json)")
    cmp_.add_argument(
        "--format",
        choices=["text", "csv", "json"],
        default=None,
        help="text: a table of the changes in words (default); csv: the same table; json: everything",
    )
    _view_option(cmp_)

    chk = sub.add_parser(
        "check", help="search the abstract space of transactions for overlaps, gaps and dead authorizations"
    )
    chk.add_argument("--json", action="store_true", help="print the findings as JSON")
    chk.add_argument(
        "--witness-dir", metavar="DIR", help="write each finding's witness scenario there (runnable with 'pyrules ask')"
    )
    chk.add_argument(
        "--samples", type=int, default=None, metavar="N", help="concrete scenarios sampled for the one-answer-set check"
    )
    chk.add_argument("--regime", metavar="FILE", help="check the rule as changed by a regime file")

    wif = sub.add_parser("whatif", help="minimal changes that make a transaction reach a goal (all optimal repairs)")
    wif.add_argument("files", nargs="+")
    wif.add_argument(
        "--goal",
        metavar="G",
        help="authorized, no_licence_required, an authorization (lpp, aia ...) or a policy; "
        "with --goal the file's own questions are replaced by this one",
    )
    wif.add_argument(
        "--change",
        action="append",
        default=[],
        metavar="SPEC",
        help="what may change, e.g. 'headquartered of HoldCo', 'quantity of item 1 cost 2', 'destination', "
        "'date', 'via_distributor', 'fact lpp_certification_obtained', 'status uveu of X' (repeatable)",
    )
    wif.add_argument("--json", action="store_true", help="one JSON object per question, one per line")
    wif.add_argument(
        "--alternatives",
        type=int,
        default=1,
        metavar="N",
        help="also list the repairs of the next N cost levels, cheapest first (default 1; 0: only the optimal ones)",
    )
    _view_option(wif)

    tl = sub.add_parser(
        "timeline",
        help="the dates at which a scenario's determination changes (licence, policy, "
        "available authorizations), each with the provision that changed it",
    )
    tl.add_argument("file")
    tl.add_argument("--json", action="store_true", help="print the timeline as JSON")
    tl.add_argument(
        "--reading",
        action="append",
        default=[],
        metavar="TOPIC=CHOICE",
        help="read an ambiguous provision this way (see 'pyrules readings')",
    )
    _view_option(tl)
    return p


def _scenarios_reporting_errors(paths, errors: list):
    """(path, label, scenario) for every readable scenario; a bad file or scenario is
    appended to ``errors`` (and reported on stderr) and the rest go on."""
    from pathlib import Path
    from pyrules.inputs.loader import expand_paths, read_raw
    from pyrules.inputs.model import Scenario

    for arg in paths:
        try:
            files = expand_paths([arg])
        except InputError as exc:
            errors.append(exc)
            print(f"pyrules: error: {exc}", file=sys.stderr)
            continue
        for path in files:
            try:
                raws = read_raw(Path(path))
            except InputError as exc:
                errors.append(exc)
                print(f"pyrules: error: {exc}", file=sys.stderr)
                continue
            for i, raw in enumerate(raws):
                label = path.stem if len(raws) == 1 else f"{path.stem}[{i}]"
                try:
                    scenario = Scenario.from_dict(raw)
                except InputError as exc:
                    exc.file = str(path)
                    if len(raws) > 1:
                        exc.field = f"[{i}].{exc.field}" if exc.field else f"[{i}]"
                    errors.append(exc)
                    print(f"pyrules: error: {exc}", file=sys.stderr)
                    continue
                yield path, label, scenario


def summary_table(rows: list[tuple[str, Determination]]) -> str:
    """One line per scenario: licence required, authorized, policy, the authorizations
    available, how many facts are missing (the words of Determination's vocabulary)."""
    from pyrules.output.render import ANSWER_WORDS

    head = ("scenario", "licence", "authorized", "policy", "available", "missing")
    body = []
    for label, d in rows:
        avail = ",".join(a["name"] for a in d.authorizations if a["available"] is True) or "-"
        body.append(
            (
                label,
                ANSWER_WORDS[d.license_required],
                ANSWER_WORDS[d.authorized],
                (d.licensing_policy or "-").replace("_", " ") if d.license_required is not False else "-",
                avail,
                str(len(d.missing_facts)) if d.missing_facts else "-",
            )
        )
    widths = [max(len(r[i]) for r in [head] + body) for i in range(len(head))]
    widths[0] = min(widths[0], 56)

    def line(r):
        first = r[0] if len(r[0]) <= widths[0] else r[0][: widths[0] - 1] + "~"
        return "  ".join([first.ljust(widths[0])] + [c.ljust(w) for c, w in zip(r[1:], widths[1:])]).rstrip()

    out = [line(head)] + [line(r) for r in body]
    n = len(rows)
    lic = sum(1 for _, d in rows if d.license_required is True)
    und = sum(1 for _, d in rows if d.license_required is None)
    auth = sum(1 for _, d in rows if d.authorized is True)
    out.append(
        f"{n} scenario{'s' if n != 1 else ''}: licence required in {lic}, not required in "
        f"{n - lic - und}, undecided in {und}; authorized without a licence in {auth}."
    )
    return "\n".join(out)


def cmd_ask(args) -> int:
    """Evaluate every scenario given. One scenario: the answer in full. Several: a
    summary table, one line each (with --details, each answer in full after it).
    A bad file is reported on stderr and the others go on; the exit code is then 2."""
    from pyrules.engine.control import default_engine
    from pyrules.inputs.model import parse_date

    if args.as_of:
        parse_date(args.as_of, "--as-of")
    regime = None
    if args.regime:
        from pyrules.modes.regime import Regime

        regime = Regime.load(args.regime)
    engine = default_engine()
    errors: list[InputError] = []
    done: list[tuple[str, Determination]] = []
    for path, label, scenario in _scenarios_reporting_errors(args.files, errors):
        try:
            scenario = apply_view(apply_readings(scenario, args.reading), args.view)
            if scenario.data.get("questions"):
                from pyrules.modes.whatif import validate_questions

                try:
                    validate_questions(scenario)
                except InputError as exc:
                    exc.file = str(path)
                    raise
        except InputError as exc:
            if exc.field in ("--reading", "--view"):
                raise
            errors.append(exc)
            print(f"pyrules: error: {exc}", file=sys.stderr)
            continue
        d = engine.evaluate(scenario, as_of=args.as_of, regime=regime)
        if args.json:
            out = d.to_json()
            out["file"] = str(path)
            if regime is not None:
                out["regime"] = regime.to_json()
            print(json.dumps(out))
        else:
            done.append((label, d))
    if not args.json and done:
        if regime is not None:
            print(f"Under the regime {regime.name!r}: {'; '.join(regime.changes()) or 'no changes'}")
        if len(done) == 1 and not errors:
            print(done[0][1].to_text())
            print()
        else:
            print(summary_table(done))
            if errors:
                print(f"{len(errors)} file(s) or scenario(s) could not be read (see the errors above).")
            if args.details:
                for _, d in done:
                    print()
                    print(d.to_text())
            else:
                print("(pyrules ask --details for each answer in full; pyrules ask FILE for one)")
    return 2 if errors else 0


def cmd_test(args) -> int:
    from pyrules.modes.expect import report, run_cases

    results = run_cases(args.files, require_expect=args.require_expect)
    print(report(results))
    return 0 if all(r.passed for r in results) else 1


def cmd_parse(args) -> int:
    from pathlib import Path
    from pyrules.inputs.loader import read_raw
    from pyrules.inputs.model import Scenario

    raws = read_raw(Path(args.file))
    for raw in raws:
        Scenario.from_dict(raw)
    # default=str: a number too large for any field stays a Decimal where no field reads it
    print(json.dumps(raws[0] if len(raws) == 1 else raws, indent=2, default=str))
    return 0


def cmd_readings(args) -> int:
    from pyrules.engine import kb
    from pyrules.inputs import schema

    if getattr(args, "files", None):
        return _readings_of_files(args)
    for topic, choices in schema.READINGS.items():
        print(f"{topic}: {', '.join(choices)}  (default {choices[0]})")
        print(f"    {kb.reading_title(topic)}")
    return 0


def cmd_ledger(args) -> int:
    """Result rows to standard output (or --output) as they are decided; the summary to
    standard error (or --summary) at the end. Exit 2 after writing everything when any
    row was an error row."""
    from pathlib import Path
    from pyrules.modes.ledger import stream_ledger, write_rows, write_summary

    path = Path(args.file)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    fmt = args.format or ("jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv")
    client = None
    if args.engine == "dask":
        client = _dask_client(args.dask_scheduler)
    try:
        stream = stream_ledger(
            path, progress=args.progress, screen=args.screen, view=args.view, workers=args.workers, dask_client=client
        )
        rows = iter(stream)
        first = next(rows, None)  # the ledger's own faults (its header, its size) before any output
        rows = itertools.chain([first] if first is not None else [], rows)
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                errors = write_rows(rows, fmt, f)
        else:
            errors = write_rows(rows, fmt, sys.stdout)
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read the file: not UTF-8 text (byte {exc.start})", file=str(path)) from None
    finally:
        if client is not None:
            client.close()
    n = stream.rows_given
    if args.summary:
        with open(args.summary, "w", encoding="utf-8", newline="") as f:
            write_summary(stream, "json" if args.summary.endswith(".json") else "csv", f, n, errors)
    else:
        sys.stdout.flush()
        write_summary(stream, "text", sys.stderr, n, errors)
    if errors:
        print(
            f"pyrules: error: {errors} row(s) of {path} could not be evaluated (see their 'error' column)",
            file=sys.stderr,
        )
        return 2
    return 0


def _print_result(as_json: bool, path, answer, shown=None, extra=None) -> None:
    """One answer of a command: a JSON line of ``answer`` naming its file (and ``extra()``),
    or the text of ``shown`` (default: the answer itself) and a blank line."""
    if as_json:
        out = answer.to_json()
        out["file"] = str(path)
        out.update(extra() if extra else {})
        print(json.dumps(out))
    else:
        print((shown or answer).to_text())
        print()


def _readings_of_files(args) -> int:
    """``pyrules readings FILE...``: each scenario evaluated under every reading."""
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.readings import evaluate_all_readings, evaluate_all_readings_many, to_text

    pairs = load_scenarios(args.files)
    results = (
        evaluate_all_readings_many([s for _, s in pairs])
        if len(pairs) > 1
        else (evaluate_all_readings(s) for _, s in pairs)
    )
    for (path, scenario), res in zip(pairs, results):
        if args.json:
            print(json.dumps({**res, "file": str(path)}))
        else:
            print(to_text(res))
            print()
    return 0


def _dask_client(address: str | None):
    """A dask.distributed Client: on the scheduler at ``address``, or on a local cluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'pyrules[dask]'", field="--engine") from None
    if address:
        return Client(address)
    return Client(LocalCluster(processes=True, threads_per_worker=1))


def cmd_compare(args) -> int:
    """``pyrules compare --regime FILE [--regime FILE ...] QUERIES... [--json]``: with one
    regime, its comparison; with several, one comparison per regime (in JSON, a list under
    ``comparisons``)."""
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.regime import Regime, compare_csv, compare_many, compare_text

    paths = args.regime if isinstance(args.regime, list) else [args.regime]
    regimes = [Regime.load(p) for p in paths]
    scenarios = [(p, apply_view(s, getattr(args, "view", None))) for p, s in load_scenarios(args.files)]
    results = compare_many(regimes, scenarios)
    fmt = "json" if args.json else (getattr(args, "format", None) or "text")
    if fmt == "json":
        print(json.dumps(results[0] if len(results) == 1 else {"comparisons": results}, indent=2, default=str))
    elif fmt == "csv":
        sys.stdout.write("".join(compare_csv(r) for r in results))
    else:
        for regime in regimes:
            for w in regime.warnings:
                print(f"pyrules: warning: {w}", file=sys.stderr)
        print("\n\n".join(compare_text(r) for r in results))
    return 0


def cmd_check(args) -> int:
    from pyrules.modes.check import DEFAULT_SAMPLES, check_text, run_check, write_witnesses

    samples = DEFAULT_SAMPLES if args.samples is None else args.samples
    if samples < 0:
        raise InputError("must not be negative", field="--samples")
    regime = None
    if getattr(args, "regime", None):
        from pyrules.modes.regime import Regime

        regime = Regime.load(args.regime)
    result = run_check(samples=samples, regime=regime)
    if args.witness_dir:
        write_witnesses(result, args.witness_dir)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(check_text(result))
    return 0


def cmd_explain(args) -> int:
    from pyrules.inputs.loader import load_scenarios
    from pyrules.inputs.model import parse_date
    from pyrules.modes.explain import explain_scenario

    if args.as_of:
        parse_date(args.as_of, "--as-of")
    for path, scenario in load_scenarios(args.files):
        scenario = apply_view(apply_readings(scenario, args.reading), getattr(args, "view", None))
        d, ex = explain_scenario(scenario, as_of=args.as_of)
        _print_result(args.json, path, d, shown=ex, extra=lambda: {"explanation": ex.to_json()})
    return 0


def cmd_whatif(args) -> int:
    """``pyrules whatif FILE... [--goal G] [--change SPEC ...] [--json]``."""
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.whatif import answer_questions

    if args.change and not args.goal:
        raise InputError("--change needs --goal", field="--change")
    for path, s in load_scenarios(args.files):
        s = apply_view(s, getattr(args, "view", None))
        if args.goal:
            questions = [{"goal": args.goal, "may_change": args.change or None}]
        else:
            questions = s.data.get("questions") or []
            if not questions:
                raise InputError("the scenario asks no questions; give --goal (and --change)", file=str(path))
        try:
            results = answer_questions(s, questions, alternatives=getattr(args, "alternatives", 0))
        except InputError as exc:
            exc.file = exc.file or str(path)
            raise
        for r in results:
            _print_result(args.json, path, r)
    return 0


def cmd_timeline(args) -> int:
    from pathlib import Path
    from pyrules.inputs.loader import load_scenarios
    from pyrules.modes.timeline import timeline

    path = Path(args.file)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    for p, scenario in load_scenarios([args.file]):
        scenario = apply_view(apply_readings(scenario, args.reading), args.view)
        _print_result(args.json, p, timeline(scenario))
    return 0


COMMANDS = {
    "ledger": cmd_ledger,
    "ask": cmd_ask,
    "parse": cmd_parse,
    "readings": cmd_readings,
    "test": cmd_test,
    "compare": cmd_compare,
    "check": cmd_check,
    "explain": cmd_explain,
    "whatif": cmd_whatif,
    "timeline": cmd_timeline,
}


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
        print(
            f"pyrules: error: cannot read the input: not UTF-8 text (byte {exc.start}: "
            f"{exc.object[exc.start : exc.start + 1]!r})",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        # A path the user gave cannot be read or written (e.g. --witness-dir).
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"pyrules: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


# serve, mcp, coverage and schema: pyrules/web/commands.py
from pyrules.web.commands import COMMANDS as _WEB_COMMANDS, extend_parser as _extend_parser  # noqa: E402

COMMANDS.update(_WEB_COMMANDS)
_parser = _extend_parser(_parser)


if __name__ == "__main__":
    sys.exit(main())
