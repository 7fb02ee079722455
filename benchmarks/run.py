#!/usr/bin/env python
"""Benchmarks for pyrules.

    .venv/bin/python benchmarks/run.py                 # all benchmarks
    .venv/bin/python benchmarks/run.py --only warm_evaluate --runs 50
    .venv/bin/python benchmarks/run.py --list

Prints a table and writes benchmarks/results.json (``--out`` to change).

Extending: write a function that takes ``runs`` and returns a dict with at least
``median_s`` (seconds) and ``runs``, and register it under a name:

    @benchmark("explain", "explain one bundled scenario (warm)")
    def bench_explain(runs: int) -> dict:
        return timed(lambda: ..., runs)

Every registered benchmark runs by default, in registration order.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "queries" / "core_tier2_destination.json"

# name -> (description, function(runs) -> dict, default runs)
BENCHMARKS: dict[str, tuple[str, Callable[[int], dict], int]] = {}


def benchmark(name: str, description: str, default_runs: int = 20):
    """Register a benchmark under ``name``."""

    def register(fn: Callable[[int], dict]) -> Callable[[int], dict]:
        BENCHMARKS[name] = (description, fn, default_runs)
        return fn

    return register


def timed(fn: Callable[[], object], runs: int, warmup: int = 1) -> dict:
    """Median, min and max wall time of ``fn`` over ``runs`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples), "runs": runs}


# --- the foundation's benchmarks -----------------------------------------------------------------
@benchmark("kb_load", "read kb/*.lp and parse it into a clingo Control", 20)
def bench_kb_load(runs: int) -> dict:
    import clingo
    from pyrules.engine import kb

    def load():
        kb.kb_text.cache_clear()
        ctl = clingo.Control(["--warn=none"])
        ctl.add("base", [], kb.kb_text())
        return ctl

    result = timed(load, runs)
    result["kb_files"] = len(kb.kb_files())
    result["kb_chars"] = len(kb.kb_text())
    return result


def _raw_clingo_single(facts):
    """Raw clingo on the same program and facts as one evaluation: the KB's text parsed
    once into statements, then per run a control, the statements, the facts, ground,
    solve, the shown atoms taken (no pyrules code but the arithmetic context)."""
    import clingo
    import clingo.ast as ast
    from pyrules.engine import kb
    from pyrules.engine.arithmetic import Arithmetic

    stmts: list = []
    ast.parse_string(kb.kb_text(), stmts.append)

    def once():
        ctl = clingo.Control(["--warn=none", "--models=2"])
        with ast.ProgramBuilder(ctl) as b:
            for st in stmts:
                b.add(st)
        with ctl.backend() as b:
            for f in facts:
                b.add_rule([b.add_atom(f)])
        ctl.ground([("base", [])], context=Arithmetic())
        found = []
        ctl.solve(on_model=lambda m: found.append(m.symbols(shown=True)))
        return found

    return once


def _interleaved(fns: dict, runs: int) -> dict:
    """Median seconds of each function, called in turn (all see the same machine load)."""
    for fn in fns.values():
        fn()
    samples: dict = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            samples[k].append(time.perf_counter() - t0)
    return {k: (statistics.median(v), min(v), max(v)) for k, v in samples.items()}


@benchmark(
    "warm_evaluate",
    f"pyrules.evaluate on {SCENARIO.name}, KB already loaded; against raw clingo on "
    "the same statements and facts, called in turn",
    30,
)
def bench_warm_evaluate(runs: int) -> dict:
    import pyrules
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario

    raw = json.loads(SCENARIO.read_text())
    m = _interleaved(
        {"evaluate": lambda: pyrules.evaluate(raw), "raw": _raw_clingo_single(scenario_facts(Scenario.from_dict(raw)))},
        runs,
    )
    med, lo, hi = m["evaluate"]
    return {
        "median_s": med,
        "min_s": lo,
        "max_s": hi,
        "runs": runs,
        "scenario": SCENARIO.name,
        "raw_clingo_s": m["raw"][0],
        "ratio_to_raw_clingo": round(med / m["raw"][0], 2),
    }


@benchmark(
    "evaluate_many",
    "pyrules.evaluate_many over the bundled corpus (x5), per scenario, against one "
    "pyrules.evaluate per scenario and raw clingo on the same batch program and facts",
    3,
)
def bench_evaluate_many(runs: int) -> dict:
    import clingo
    import pyrules
    from pyrules.engine.arithmetic import Arithmetic
    from pyrules.engine.batch import _batch_info, _tagged_text
    from pyrules.inputs.facts import scenario_terms
    from pyrules.inputs.loader import load_scenarios

    scen = [s for _, s in load_scenarios(sorted((ROOT / "queries").glob("*.json")))] * 5
    program, _, _, ctx_inputs = _batch_info("", None)
    text = _tagged_text([scenario_terms(s) for s in scen], ctx_inputs=ctx_inputs)

    def raw():
        ctl = clingo.Control(["--warn=none", "--models=2"])
        ctl.add("base", [], program)
        ctl.add("facts", [], text)
        ctl.ground([("facts", []), ("base", [])], context=Arithmetic())
        ctl.solve(on_model=lambda m: m.symbols(shown=True))

    m = _interleaved(
        {
            "many": lambda: list(pyrules.evaluate_many(scen)),
            "single": lambda: [pyrules.evaluate(s) for s in scen[:100]],
            "raw": raw,
        },
        runs,
    )
    n = len(scen)
    per = m["many"][0] / n
    single = m["single"][0] / 100
    return {
        "median_s": per,
        "min_s": m["many"][1] / n,
        "max_s": m["many"][2] / n,
        "runs": runs,
        "scenarios": n,
        "per_scenario_single_s": single,
        "speedup_over_single": round(single / per, 1),
        "raw_clingo_s": m["raw"][0] / n,
        "ratio_to_raw_clingo": round(per / (m["raw"][0] / n), 2),
    }


def _chain(n: int) -> dict:
    ents = {"E0": {"located": "IN", "headquartered": "IN", "parent": "E1"}}
    for i in range(1, n):
        ents[f"E{i}"] = {"headquartered": "IN", "parent": f"E{i + 1}"}
    ents[f"E{n}"] = {"headquartered": "CN"}
    return {
        "scenario": "chain",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "E0"},
        "items": [{"chip": "H100-SXM", "quantity": 10}],
        "entities": ents,
    }


def _items(n: int) -> dict:
    return {
        "scenario": "items",
        "date": "2025-06-01",
        "transaction": {"action": "export", "from": "US", "to": "IN", "consignee": "A"},
        "items": [{"chip": "H100-SXM", "quantity": 10 + i} for i in range(n)],
        "entities": {"A": {"located": "IN", "headquartered": "IN"}},
    }


@benchmark(
    "chain_1000",
    "pyrules.evaluate with a 1,000-deep ownership chain, against a 1-deep one "
    "(target: at most 4x) and raw clingo on the same facts",
    3,
)
def bench_chain(runs: int) -> dict:
    import pyrules
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario

    deep, flat = _chain(1000), _chain(1)
    m = _interleaved(
        {
            "deep": lambda: pyrules.evaluate(deep),
            "flat": lambda: pyrules.evaluate(flat),
            "raw": _raw_clingo_single(scenario_facts(Scenario.from_dict(deep))),
        },
        runs,
    )
    med, lo, hi = m["deep"]
    return {
        "median_s": med,
        "min_s": lo,
        "max_s": hi,
        "runs": runs,
        "one_deep_s": m["flat"][0],
        "ratio_to_one_deep": round(med / m["flat"][0], 2),
        "raw_clingo_s": m["raw"][0],
        "ratio_to_raw_clingo": round(med / m["raw"][0], 2),
    }


@benchmark(
    "items_1000",
    "pyrules.evaluate with 1,000 item lines, against 100 (linear: about 10x) and raw clingo on the same facts",
    3,
)
def bench_items(runs: int) -> dict:
    import pyrules
    from pyrules.inputs.facts import scenario_facts
    from pyrules.inputs.model import Scenario

    big, small = _items(1000), _items(100)
    m = _interleaved(
        {
            "big": lambda: pyrules.evaluate(big),
            "small": lambda: pyrules.evaluate(small),
            "raw": _raw_clingo_single(scenario_facts(Scenario.from_dict(big))),
        },
        runs,
    )
    med, lo, hi = m["big"]
    return {
        "median_s": med,
        "min_s": lo,
        "max_s": hi,
        "runs": runs,
        "items_100_s": m["small"][0],
        "ratio_to_100_items": round(med / m["small"][0], 2),
        "raw_clingo_s": m["raw"][0],
        "ratio_to_raw_clingo": round(med / m["raw"][0], 2),
    }


def _cli_command() -> list[str]:
    script = Path(sys.executable).parent / "pyrules"
    if script.exists():
        return [str(script)]
    found = shutil.which("pyrules")
    return [found] if found else [sys.executable, "-m", "pyrules.cli"]


@benchmark("cold_cli", f"`pyrules ask {SCENARIO.name}` in a new process", 5)
def bench_cold_cli(runs: int) -> dict:
    cmd = _cli_command() + ["ask", str(SCENARIO)]

    def once():
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")

    result = timed(once, runs, warmup=1)
    result["command"] = " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)).replace(str(ROOT) + "/", "")
    return result


@benchmark(
    "explain", f"pyrules.explain.explain_scenario on {SCENARIO.name} (warm), against a warm pyrules.evaluate", 30
)
def bench_explain(runs: int) -> dict:
    import pyrules
    from pyrules.modes.explain import explain_scenario

    raw = json.loads(SCENARIO.read_text())
    pyrules.evaluate(raw)
    explain_scenario(raw)  # build the rewritten program once per process
    ev, ex = [], []
    for _ in range(runs):  # interleaved, so that both see the same machine load
        t0 = time.perf_counter()
        pyrules.evaluate(raw)
        t1 = time.perf_counter()
        explain_scenario(raw)[1].to_json()
        ex.append(time.perf_counter() - t1)
        ev.append(t1 - t0)
    r = {
        "median_s": statistics.median(ex),
        "min_s": min(ex),
        "max_s": max(ex),
        "runs": runs,
        "evaluate_median_s": statistics.median(ev),
    }
    r["ratio_to_evaluate"] = round(r["median_s"] / r["evaluate_median_s"], 2)
    r["scenario"] = SCENARIO.name
    return r


# --- counterfactuals ---------------------------------------------------------------------------------
WHATIF_SCENARIO = ROOT / "queries" / "whatif_india_cloud_chinese_parent.json"
WHATIF_CHANGES = [
    {"fact": "headquartered", "entity": "HoldCo"},
    {"fact": "located", "entity": "AcmeCloud"},
    {"fact": "headquartered", "entity": "AcmeCloud"},
    {"fact": "destination"},
    {"fact": "quantity", "item": 1},
    {"fact": "purpose"},
    {"fact": "via_distributor"},
    {"fact": "date"},
    {"fact": "fact", "name": "lpp_certification_obtained"},
    {"fact": "fact", "name": "eccn_furnished"},
]


@benchmark("whatif_10_facts", "all optimal repairs (goal authorized) with 10 changeable facts, warm", 5)
def bench_whatif(runs: int) -> dict:
    from pyrules.modes import whatif

    s = json.loads(WHATIF_SCENARIO.read_text())
    s.pop("questions", None)
    r = timed(lambda: whatif.repairs(s, "authorized", WHATIF_CHANGES), runs)
    r["changeable_facts"] = len(WHATIF_CHANGES)
    r["repairs"] = len(whatif.repairs(s, "authorized", WHATIF_CHANGES).repairs)
    return r


@benchmark("check", "`pyrules check`: the consistency check of the whole abstract space", 1)
def bench_check(runs: int) -> dict:
    from pyrules.modes.check import run_check

    r = timed(lambda: run_check(), runs, warmup=0)
    return r


# --- many transactions ------------------------------------------------------------------------------
LEDGER_ROWS = int(os.environ.get("PYRULES_BENCH_LEDGER_ROWS", "5000"))


def _ledger_file(rows: int) -> Path:
    """A synthetic ledger: LPP claims and licensed shipments to Tier 1 and Tier 2 countries."""
    import random

    rnd = random.Random(42)
    path = ROOT / "benchmarks" / f"_ledger_{rows}.csv"
    if path.exists():
        return path
    countries = ["IN", "AE", "BR", "DE", "JP", "SG", "MX", "VN"]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:  # written line by line: a large ledger is never in memory
        f.write(
            "id,date,action,from,to,consignee,consignee_located,consignee_headquartered,chip,quantity,"
            "authorization,via_distributor,fact.lpp_certification_obtained\n"
        )
        for i in range(rows):
            c = rnd.choice(countries)
            claim = rnd.choice(["LPP", "", ""])
            f.write(
                f"r{i},2025-{rnd.randint(6, 12):02d}-{rnd.randint(1, 28):02d},export,US,{c},Co{i % 300},{c},{c},"
                f"{rnd.choice(['H100-SXM', 'A100', 'B200'])},{rnd.randint(1, 500)},{claim},no,yes\n"
            )
    tmp.replace(path)
    return path


@benchmark(
    "ledger_batch",
    f"`run_ledger` on {LEDGER_ROWS:,} synthetic rows: each row's claimed authorization weighed "
    "(the default; two processes, two steps per clingo control)",
    3,
)
def bench_ledger_batch(runs: int) -> dict:
    from pyrules.modes.ledger import run_ledger

    path = _ledger_file(LEDGER_ROWS)
    run_ledger(_ledger_file(200))  # the rewritten program cached, as after any first run
    r = timed(lambda: run_ledger(path), runs, warmup=0)
    r["rows"] = LEDGER_ROWS
    r["rows_per_second"] = round(LEDGER_ROWS / r["median_s"])
    r["extrapolated_100k_s"] = round(100_000 / r["rows_per_second"], 1)
    return r


@benchmark(
    "ledger_screen",
    f"`run_ledger --screen` on the same {LEDGER_ROWS:,} rows: every authorization weighed for every row",
    1,
)
def bench_ledger_screen(runs: int) -> dict:
    from pyrules.modes.ledger import run_ledger

    path = _ledger_file(LEDGER_ROWS)
    run_ledger(_ledger_file(200), screen=True)
    r = timed(lambda: run_ledger(path, screen=True), runs, warmup=0)
    r["rows"] = LEDGER_ROWS
    r["rows_per_second"] = round(LEDGER_ROWS / r["median_s"])
    return r


@benchmark("ledger_per_row", "one pyrules.evaluate per row, on a 200-row sample of the same ledger", 1)
def bench_ledger_per_row(runs: int) -> dict:
    import pyrules
    from pyrules.modes.ledger import read_rows, _row_scenario

    rows = read_rows(_ledger_file(LEDGER_ROWS))[:200]
    scenarios = [_row_scenario(line, raw)[1] for line, raw in rows]
    r = timed(lambda: [pyrules.evaluate(s) for s in scenarios], runs, warmup=0)
    r["rows"] = len(scenarios)
    r["rows_per_second"] = round(len(scenarios) / r["median_s"])
    return r


@benchmark(
    "ledger_raw_clingo",
    f"raw clingo: parse, ground + solve the ledger's two-step program and facts ({LEDGER_ROWS:,} rows, one process)",
    1,
)
def bench_ledger_raw(runs: int) -> dict:
    import clingo
    from pyrules.engine.arithmetic import Arithmetic
    from pyrules.engine.batch import _tagged_text
    from pyrules.inputs.facts import scenario_terms
    from pyrules.modes.ledger import _staged, read_rows, _row_scenario

    rows = read_rows(_ledger_file(LEDGER_ROWS))
    facts = [scenario_terms(_row_scenario(line, raw)[1]) for line, raw in rows]
    staged = _staged(False)
    p1, p2 = staged.p1, staged.p2
    text = _tagged_text(facts, ctx_inputs=staged.ctx_inputs)

    def once():
        ctl = clingo.Control(["--warn=none"])
        ctl.add("facts", [], text)
        ctl.add("step1", [], p1)
        ctl.add("step2", [], p2)
        ctl.ground([("facts", []), ("step1", [])], context=Arithmetic())
        ctl.solve()
        ctl.ground([("step2", [])], context=Arithmetic())
        ctl.solve()

    r = timed(once, runs, warmup=0)
    r["rows"] = LEDGER_ROWS
    r["note"] = (
        "both steps, one process, facts written as text beforehand (their parsing is timed), no running totals, results not read"
    )
    return r


def _tree_memory(stop, peak: list, root: int | None = None) -> None:
    """Sample the memory of process ``root`` (default: this one) and its children
    (proportional set size, so pages shared after a fork count once) until ``stop`` is
    set; the peak in ``peak[0]``."""

    def pss(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def children(pid: int) -> list[int]:
        out = []
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(c) for c in f.read().split()]
        except OSError:
            pass
        return out

    me = root or os.getpid()
    while not stop.is_set():
        todo, total = [me], 0
        while todo:
            pid = todo.pop()
            total += pss(pid)
            todo += children(pid)
        peak[0] = max(peak[0], total)
        stop.wait(0.1)


# The ledger as it was before it streamed (kept all chunks' clingo controls to the end):
# the commit its figures are compared with, run from a copy (git archive) in a subprocess.
PREVIOUS_LEDGER_COMMIT = "587e61c"
LEDGER_CMP_ROWS = int(os.environ.get("PYRULES_BENCH_LEDGER_CMP_ROWS", "50000"))
MILLION_ROWS = int(os.environ.get("PYRULES_BENCH_MILLION_ROWS", "1000000"))
SKIP_MILLION = False  # --skip-million

_LEDGER_PROBE = r"""
import json, sys, time
from pathlib import Path
from pyrules.modes import ledger
ledger.run_ledger(Path(sys.argv[1]))             # the rewritten program cached, as after any first run
t0 = time.perf_counter()
if hasattr(ledger, "stream_ledger"):
    n = sum(1 for _ in ledger.stream_ledger(Path(sys.argv[2])))
else:
    n = len(ledger.run_ledger(Path(sys.argv[2])).rows)
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t0, "module": ledger.__file__}))
"""


def _run_ledger_probe(path: Path, pythonpath: str | None = None) -> dict:
    """The ledger on ``path`` in a new process (from ``pythonpath`` if given): its time
    and the peak memory of that process and its workers."""
    import threading

    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    proc = subprocess.Popen(
        [sys.executable, "-c", _LEDGER_PROBE, str(_ledger_file(200)), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=pythonpath or str(ROOT),
    )
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=_tree_memory, args=(stop, peak, proc.pid), daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    if proc.returncode:
        raise RuntimeError(f"ledger probe failed:\n{err}")
    r = json.loads(out.strip().splitlines()[-1])
    r["rows_per_second"] = round(r["rows"] / r["seconds"])
    r["peak_memory_mb"] = round(peak[0] / 1e6)
    return r


def _previous_tree() -> Path:
    """PREVIOUS_LEDGER_COMMIT's tree, unpacked once into benchmarks/_previous/."""
    dest = ROOT / "benchmarks" / f"_previous_{PREVIOUS_LEDGER_COMMIT}"
    if not (dest / "pyrules").is_dir():
        tmp = dest.with_name(dest.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", PREVIOUS_LEDGER_COMMIT], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        tmp.replace(dest)
    return dest


@benchmark(
    "ledger_vs_previous",
    f"the streaming ledger and the previous one ({PREVIOUS_LEDGER_COMMIT}) on the same "
    f"{LEDGER_CMP_ROWS:,} synthetic rows, one after the other in new processes "
    "(PYRULES_BENCH_LEDGER_CMP_ROWS): rows/s and peak memory of each",
    1,
)
def bench_ledger_vs_previous(runs: int) -> dict:
    path = _ledger_file(LEDGER_CMP_ROWS)
    old_tree = str(_previous_tree())
    new, old = [], []
    for _ in range(max(runs, 1)):  # alternated, so a change in the machine's load hits both
        new.append(_run_ledger_probe(path))
        old.append(_run_ledger_probe(path, old_tree))
    n = statistics.median(r["seconds"] for r in new)
    o = statistics.median(r["seconds"] for r in old)
    return {
        "median_s": n,
        "min_s": min(r["seconds"] for r in new),
        "max_s": max(r["seconds"] for r in new),
        "runs": len(new),
        "rows": LEDGER_CMP_ROWS,
        "rows_per_second": round(LEDGER_CMP_ROWS / n),
        "previous_rows_per_second": round(LEDGER_CMP_ROWS / o),
        "speedup_vs_previous": round(o / n, 2),
        "peak_memory_mb": max(r["peak_memory_mb"] for r in new),
        "previous_peak_memory_mb": max(r["peak_memory_mb"] for r in old),
    }


@benchmark(
    "ledger_million",
    f"the streaming ledger on {MILLION_ROWS:,} synthetic rows (PYRULES_BENCH_MILLION_ROWS; "
    "takes over 2 minutes: --skip-million leaves it out): time, rows/s and peak memory of "
    "the process and its workers",
    1,
)
def bench_ledger_million(runs: int) -> dict:
    if SKIP_MILLION:
        return {"skipped": True, "median_s": 0.0, "min_s": 0.0, "max_s": 0.0, "runs": 0}
    r = _run_ledger_probe(_ledger_file(MILLION_ROWS))
    return {
        "median_s": r["seconds"],
        "min_s": r["seconds"],
        "max_s": r["seconds"],
        "runs": 1,
        "rows": r["rows"],
        "rows_per_second": r["rows_per_second"],
        "peak_memory_mb": r["peak_memory_mb"],
    }


# --- running ---------------------------------------------------------------------------------------
def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="pyrules benchmarks")
    p.add_argument("--only", action="append", metavar="NAME", help="run only these benchmarks (repeatable)")
    p.add_argument("--runs", type=int, default=None, help="runs per benchmark (default: each benchmark's own)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"), help="where to write the JSON results")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument(
        "--skip-million",
        action="store_true",
        help="leave out the 1,000,000-row ledger (ledger_million, over 2 minutes)",
    )
    args = p.parse_args(argv)
    global SKIP_MILLION
    SKIP_MILLION = args.skip_million
    sys.path.insert(0, str(ROOT))
    if args.list:
        for name, (desc, _, runs) in BENCHMARKS.items():
            print(f"{name:16} {desc} (default {runs} runs)")
        return 0
    names = args.only or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    results = {}
    try:
        previous = json.loads(Path(args.out).read_text())
    except (OSError, ValueError):
        previous = {}
    before = previous.get("results", {})
    print(f"{'benchmark':16} {'median':>12} {'min':>12} {'max':>12} {'runs':>5} {'/raw':>6} {'/prev':>6}  description")
    for name in names:
        desc, fn, default_runs = BENCHMARKS[name]
        r = fn(args.runs or default_runs)
        if r.get("skipped"):
            print(f"{name:16} skipped")
            if name in before:
                results[name] = before[name]  # the last figure stays
            continue
        r["description"] = desc
        old = before.get(name, {}).get("median_s")
        if old and before[name].get("rows") == r.get("rows"):  # the same work (a ledger: as many rows)
            # the previous figure (the last results.json); the machine's load varies, so
            # the ratios measured within this run (raw clingo, ...) are the firmer ones
            r["previous_median_s"] = old
            r["ratio_to_previous"] = round(r["median_s"] / old, 2)
        results[name] = r
        raw = f"{r['ratio_to_raw_clingo']:.2f}" if "ratio_to_raw_clingo" in r else ""
        prev = f"{r['ratio_to_previous']:.2f}" if "ratio_to_previous" in r else ""
        print(
            f"{name:16} {_fmt(r['median_s']):>12} {_fmt(r['min_s']):>12} {_fmt(r['max_s']):>12} {r['runs']:>5} "
            f"{raw:>6} {prev:>6}  {desc}"
        )
    for name in ("ledger_batch", "ledger_screen"):
        if name in results and "ledger_raw_clingo" in results and name in names and "ledger_raw_clingo" in names:
            results[name]["ratio_to_raw_clingo"] = round(
                results[name]["median_s"] / results["ledger_raw_clingo"]["median_s"], 2
            )
            print(f"{name}: {results[name]['ratio_to_raw_clingo']:.2f}x raw clingo on the same program and facts")
    if previous.get("meta") and args.only:  # a partial run keeps the other figures
        results = {**{k: v for k, v in before.items() if k not in results}, **results}
    meta = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    try:
        import clingo

        meta["clingo"] = clingo.__version__
    except Exception:  # pragma: no cover
        pass
    Path(args.out).write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
