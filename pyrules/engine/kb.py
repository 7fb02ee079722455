"""Where the knowledge base lives, and the reference data Python needs to check input.

The ``kb/`` directory ships inside the wheel as ``pyrules/kb``; in a checkout it
is the top-level ``kb/``. Python reads the country list and the chip catalogue
from it only to validate input (is this an ISO code? a known chip?).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import clingo
import clingo.ast

from pyrules.engine.arithmetic import from_big


def kb_dir() -> Path:
    package = Path(__file__).resolve().parent.parent  # pyrules/
    for candidate in (package / "kb", package.parent / "kb"):
        if (candidate / "provisions.lp").is_file():
            return candidate
    raise FileNotFoundError("the knowledge base (kb/*.lp) was not found next to the pyrules package")


def kb_files() -> list[Path]:
    return sorted(kb_dir().glob("*.lp"))


@functools.cache
def kb_text() -> str:
    return "\n".join(f"%%% file: {p.name}\n" + p.read_text(encoding="utf-8") for p in kb_files())


@functools.cache
def _facts_of(filename: str, name: str, arity: int) -> tuple[tuple[clingo.Symbol, ...], ...]:
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], (kb_dir() / filename).read_text(encoding="utf-8"))
    ctl.ground([("base", [])])
    return tuple(tuple(a.symbol.arguments) for a in ctl.symbolic_atoms.by_signature(name, arity))


@functools.cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> name, as listed in kb/countries.lp."""
    return {a[0].string: a[1].string for a in _facts_of("countries.lp", "country", 2)}


@functools.cache
def chips() -> dict[str, int]:
    """Catalogue chip name -> TPP, as listed in kb/items.lp."""
    return {a[0].string: a[1].number for a in _facts_of("items.lp", "chip", 5)}


@functools.cache
def h100_equivalent_tpp() -> int:
    """The TPP of one H100-equivalent, the ledger's reporting unit (h100_equivalent_tpp/1 in
    kb/parameters.lp, taken from the catalogue's H100 SXM): a unit, not a number of the rule,
    so no regime changes it."""
    [(value,)] = described("h100_equivalent_tpp/1")
    return value.number


@functools.cache
def eccns() -> set[str]:
    # items.lp declares most; licence_requirements.lp those only 742.6(a)(6) names.
    return {a[0].string for f in ("items.lp", "licence_requirements.lp") for a in _facts_of(f, "eccn", 3)}


@functools.cache
def provisions() -> dict[str, dict]:
    """Provision id -> citation, title and in-force dates, from every kb/*.lp file that
    registers one (most are in kb/provisions.lp; later amendments register their own)."""
    out = {}
    for a in described("provision/5"):
        out[a[0].name] = {
            "id": a[0].name,
            "citation": a[1].string,
            "title": a[2].string,
            "from": a[3].number,
            "to": a[4].number,
        }
    return out


# --------------------------------------------------------------------------- the KB describes itself
# What Python needs to know about the rule (the authorizations, their conditions,
# the readings with their alternatives and defaults, the parameters, key dates,
# countries with special treatment, the known findings) is read from the KB: one
# grounding of kb/*.lp with no scenario, once per process. Python never lists them.


@functools.cache
def _described() -> dict[str, tuple[tuple[clingo.Symbol, ...], ...]]:
    ctl = clingo.Control(["--warn=none"])
    ctl.add("base", [], kb_text())
    ctl.ground([("base", [])])
    out: dict[str, list] = {}
    for a in ctl.symbolic_atoms:
        out.setdefault(f"{a.symbol.name}/{len(a.symbol.arguments)}", []).append(tuple(a.symbol.arguments))
    return {k: tuple(v) for k, v in out.items()}


def described(signature: str) -> tuple[tuple[clingo.Symbol, ...], ...]:
    """The arguments of every atom ``name/arity`` the KB holds without a scenario."""
    return _described().get(signature, ())


def _position(text: str) -> int:
    """Where a declaration first appears in the KB text (for a stable, readable order)."""
    i = kb_text().find(text)
    return i if i >= 0 else len(kb_text())


@functools.cache
def authorizations() -> dict[str, str]:
    """Authorization (lower case, as in the KB) -> its provision id, in the order of
    the provision registry (kb/provisions.lp)."""
    found = {a[0].name: a[1].name for a in described("authorization/2")}
    return dict(sorted(found.items(), key=lambda kv: (_position(f"provision({kv[1]},"), kv[0])))


@functools.cache
def conditions() -> dict[str, dict[str, dict]]:
    """Authorization -> condition id -> {provision, text} (condition/4)."""
    out: dict[str, dict[str, dict]] = {a: {} for a in authorizations()}
    for a, c, prov, text in described("condition/4"):
        out.setdefault(a.name, {})[c.name] = {"provision": prov.name, "text": text.string}
    return out


@functools.cache
def readings() -> dict[str, tuple[str, ...]]:
    """Topic -> its readings, the default (reading_topic/2) first, then the other
    alternatives (reading_alternative/2) in the order the KB declares them."""
    default = {t.name: r.name for t, r in described("reading_topic/2")}
    alts: dict[str, list[str]] = {}
    for t, r in described("reading_alternative/2"):
        alts.setdefault(t.name, []).append(r.name)
    out = {}
    for topic in sorted(default, key=lambda t: _position(f"reading_topic({t},")):
        rest = sorted(
            (r for r in alts.get(topic, []) if r != default[topic]),
            key=lambda r: _position(f"reading_alternative({topic}, {r})"),
        )
        out[topic] = (default[topic], *rest)
    return out


@functools.cache
def reading_titles() -> dict[str, str]:
    """Topic -> its plain title ("whose headquarters count for ..."), reading_title/2,
    declared next to each topic in kb/*.lp; a topic without one keeps its name in words."""
    found = {t.name: x.string for t, x in described("reading_title/2")}
    return {t: found.get(t, t.replace("_", " ")) for t in readings()}


def reading_title(topic: str) -> str:
    """The plain title of one reading topic (its name in words when the KB gives none)."""
    return reading_titles().get(topic, topic.replace("_", " "))


@functools.cache
def outside_reason_texts() -> dict[str, str]:
    """Why an item line is outside the rule, in words: reason -> text
    (outside_reason_text/2 in kb/items.lp; placeholders such as {date:effective} unfilled)."""
    found = sorted(described("outside_reason_text/2"), key=lambda rx: _position(f"outside_reason_text({rx[0].name},"))
    return {r.name: x.string for r, x in found}


def reading_defaults() -> dict[str, str]:
    return {t: r[0] for t, r in readings().items()}


@functools.cache
def views() -> dict[str, str]:
    """The views of the law one may ask for (view_option/2) -> their words, the default
    (default_view/1) first, then in the order the KB declares them."""
    default = {v[0].name for v in described("default_view/1")}
    found = sorted(
        ((v.name, text.string) for v, text in described("view_option/2")),
        key=lambda vt: (vt[0] not in default, _position(f"view_option({vt[0]},")),
    )
    return dict(found)


def default_view() -> str:
    return next(iter(views()))


@functools.cache
def key_dates() -> dict[str, int]:
    """Key date id -> YYYYMMDD, as the rule is written."""
    return {a[0].name: a[1].number for a in described("key_date/2")}


@functools.cache
def treated_as() -> dict[str, str]:
    """Countries the rule treats as another one (e.g. under tiers.lp): code -> the
    code whose treatment it takes."""
    return {a[0].string: a[1].string for a in described("treated_as/2") if a[0] != a[1]}


@functools.cache
def _rule_symbols() -> frozenset[clingo.Symbol]:
    """The constant terms written in the rules (not the facts) of the knowledge base."""
    found: set[clingo.Symbol] = set()

    def visit(node):
        if isinstance(node, clingo.ast.AST):
            if node.ast_type == clingo.ast.ASTType.SymbolicTerm:
                found.add(node.symbol)
            for key in node.child_keys:
                visit(getattr(node, key))
        elif not isinstance(node, (str, bytes)) and hasattr(node, "__iter__"):
            for child in node:
                visit(child)

    def on_stmt(stmt):
        if stmt.ast_type == clingo.ast.ASTType.Rule and len(stmt.body) > 0:
            visit(stmt.head)
            visit(stmt.body)

    clingo.ast.parse_string(kb_text(), on_stmt)
    return frozenset(found)


def rule_strings() -> frozenset[str]:
    """Strings written in the rules (not the facts) of the knowledge base."""
    return frozenset(s.string for s in _rule_symbols() if s.type == clingo.SymbolType.String)


def rule_numbers() -> frozenset[int]:
    """Integers written in the rules (not the facts) of the knowledge base: the bounds
    its rules compare with, and dates, days and the like."""
    return frozenset(s.number for s in _rule_symbols() if s.type == clingo.SymbolType.Number)


# Parameters (kb/parameters.lp): every value in force from a date with its source
# (param_value/4, default_param/2 as shorthand), the value in force for a scenario
# (param/2, under its regime), the NVEU allocation table (default_nveu_allocation/3,
# nveu_allocation/3) and the Tier 2 allocations derived from them (allocation/1,
# allocation_bound/2, kb/licensing_policy.lp). Python reads parameters only here.
PARAMETER_SIGNATURES = ("default_param/2", "param/2", "default_nveu_allocation/3", "param_value/4")
AMOUNT_PREDICATES = ("param", "nveu_allocation", "allocation", "allocation_bound")


def is_big(sym: clingo.Symbol) -> bool:
    """An exact big number n(L4,L3,L2,L1,L0) (kb/arithmetic.lp)."""
    return sym.type == clingo.SymbolType.Function and sym.name == "n" and len(sym.arguments) == 5


@functools.cache
def parameter_numbers() -> frozenset[int]:
    """Every number a parameter or an allocation takes (default_param/2, param/2,
    param_value/4, default_nveu_allocation/3), exact (an n(...) number read whole)."""
    nums: set[int] = set()

    def collect(sym: clingo.Symbol) -> None:
        if sym.type == clingo.SymbolType.Number:
            nums.add(sym.number)
        elif sym.type == clingo.SymbolType.Function:
            if is_big(sym):
                nums.add(from_big(sym))
            else:
                for a in sym.arguments:
                    collect(a)

    for sig in PARAMETER_SIGNATURES:
        for args in described(sig):
            for a in args[:2]:
                collect(a)
    return frozenset(nums)


@functools.cache
def parameters() -> dict[str, clingo.Symbol]:
    """Parameter name -> its value as the KB writes it (a Number or an n(...) number):
    the default_param/2 value, else the latest param_value/4 entry."""
    out = {a[0].name: a[1] for a in described("param_value/4")}
    out.update({a[0].name: a[1] for a in described("default_param/2")})
    return out


@functools.cache
def default_key_dates() -> dict[str, int]:
    """Key date id -> YYYYMMDD as the rule sets it, before any regime (default_key_date/2)."""
    return {a[0].name: a[1].number for a in described("default_key_date/2")}


@functools.cache
def nveu_allocations() -> dict[tuple[int, int], clingo.Symbol]:
    """(year, quarter) -> the NVEU allocation of the rule's table, an n(...) number."""
    return {(a[0].number, a[1].number): a[2] for a in described("default_nveu_allocation/3")}


def amounts_in(atoms: Mapping[str, Iterable[Sequence[clingo.Symbol]]]) -> frozenset[int]:
    """The amounts (n(...) numbers) an answer set compares TPP with: the parameters in
    force for its scenario and regime and the allocations derived from them.
    ``atoms``: atom name -> the argument tuples of its atoms."""
    return frozenset(
        from_big(x) for name in AMOUNT_PREDICATES for args in atoms.get(name, ()) for x in args if is_big(x)
    )


def params_in(atoms: Mapping[str, Iterable[Sequence[clingo.Symbol]]]) -> dict[str, clingo.Symbol]:
    """Parameter name -> the value in force in an answer set (param/2, under its regime;
    ``atoms`` as for ``amounts_in``)."""
    return {args[0].name: args[1] for args in atoms.get("param", ())}


def day_counts_in(atoms: Mapping[str, Iterable[Sequence[clingo.Symbol]]]) -> frozenset[int]:
    """The periods in days (the parameters named ``*days*``, e.g. a notice period) in
    force in an answer set (``atoms`` as for ``amounts_in``)."""
    return frozenset(
        v.number for name, v, *_ in atoms.get("param", ()) if "days" in name.name and v.type == clingo.SymbolType.Number
    )


@functools.cache
def special_countries() -> frozenset[str]:
    """Countries with special treatment: named in a rule (not a fact list) of kb/*.lp,
    or taking another country's treatment (treated_as/2), or the one whose treatment
    another takes. Each behaves apart from the other countries of its tier."""
    named = {c for c in rule_strings() if c in countries()}
    return frozenset(named | set(treated_as()) | set(treated_as().values()))
