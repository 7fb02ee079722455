"""Turn a validated scenario into the input facts of the knowledge base.

A fact is first built as plain data (``scenario_terms``: predicate and arguments),
then given to clingo either as symbols (``Function``, ``String``, ``Number``: one
scenario at a time) or, for many transactions at once (pyrules/batch.py), as text
written exactly as clingo writes those symbols (``arg_text``: strings escaped, so a
user's value can never become a rule). Which field becomes which predicate is declared
once, in ``pyrules/schema.py`` (``INPUTS``); the predicates are documented in ``kb/input.lp``.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from clingo import Function, Number, String, Symbol

from pyrules.inputs import schema
from pyrules.engine.arithmetic import to_limbs
from pyrules.inputs.model import Scenario, parse_big, parse_date


class Term(NamedTuple):
    """A constant (``Term("export")``) or a compound term (``Term("n", (0, 0, 0, 1, 5))``)."""

    name: str
    args: tuple = ()


# An argument of a fact: an int is a number, a str is a string, a Term a term.
Arg = Union[int, str, Term]
# A fact: its predicate and its arguments.
Fact = tuple  # (str, tuple[Arg, ...])

TRUE_T, FALSE_T = Term("true"), Term("false")
TRUE, FALSE = Function("true"), Function("false")


def big_term(value: int) -> Term:
    """The n(...) term of a non-negative integer (kb/arithmetic.lp)."""
    return Term("n", tuple(to_limbs(value)))


def value_term(kind: str, value) -> Arg:
    """The argument for a value of a schema type."""
    if kind == "bool":
        return TRUE_T if value else FALSE_T
    if kind in ("tpp", "ops"):
        return big_term(parse_big(value, ""))
    if kind == "int":
        return value
    if kind in ("name", "country", "eccn"):
        return value
    if kind == "date":
        return parse_date(value, "")
    if kind.startswith("enum:"):
        return Term(value)
    if kind == "authorization":  # the KB names authorizations in lower case
        return Term(value.lower())
    if kind == "area":
        return int(round(value * 10))
    raise AssertionError(kind)


def to_symbol(arg: Arg) -> Symbol:
    """The clingo symbol of an argument."""
    if isinstance(arg, Term):
        return Function(arg.name, [to_symbol(a) for a in arg.args])
    if isinstance(arg, str):
        return String(arg)
    return Number(arg)


def arg_text(arg: Arg) -> str:
    """An argument written as clingo writes the symbol (strings escaped), so that
    clingo reads it back as exactly ``to_symbol(arg)`` (tested)."""
    if isinstance(arg, Term):
        return arg.name + ("(" + ",".join(map(arg_text, arg.args)) + ")" if arg.args else "")
    if isinstance(arg, str):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return str(arg)


def value_symbol(kind: str, value) -> Symbol:
    """The clingo symbol for a value of a schema type."""
    return to_symbol(value_term(kind, value))


def fact_symbol(fact: Fact) -> Symbol:
    name, args = fact
    return Function(name, [to_symbol(a) for a in args])


def _fact(inp: schema.Input, owner: tuple, value) -> Fact:
    """The fact of one input (pyrules/schema.py INPUTS): its predicate, the entity or
    item line it belongs to, the field's name where the predicate is shared, the value."""
    key = (Term(inp.key),) if inp.keyed else ()
    return (inp.pred_name, owner + key + (value_term(inp.kind, value),))


VIEWS = schema.VIEWS


def check_view(view: str | None, where: str = "view") -> None:
    """A view is one of VIEWS (kb/earlier_controls.lp: as_written, as_enforced)."""
    from pyrules.errors import InputError

    if view is not None and view not in VIEWS:
        raise InputError(f"unknown view {view!r}; one of {', '.join(VIEWS)}", field=where)


def scenario_facts(s: Scenario, as_of: str | None = None, view: str | None = None) -> list[Symbol]:
    """The input facts for one scenario, as clingo symbols. ``as_of`` overrides the
    scenario's date; ``view`` (as_written, the default, or as_enforced) is view/1."""
    return [fact_symbol(f) for f in scenario_terms(s, as_of, view)]


def scenario_terms(s: Scenario, as_of: str | None = None, view: str | None = None) -> list[Fact]:
    """The input facts for one scenario, as (predicate, arguments)."""
    d = s.data
    out: list[Fact] = []
    check_view(view)
    view = view or d.get("view")
    if view:
        out.append(("view", (Term(view),)))
    date = as_of or d.get("date")
    if date:
        out.append(("as_of", (parse_date(date, "date"),)))
    tx, items, fact = schema.by_section("transaction"), schema.by_section("item"), schema.by_section("fact")
    ent, status = schema.by_section("entity"), schema.by_section("status")
    for key, value in d.get("transaction", {}).items():
        out.append(_fact(tx[key], (), value))
    for name, e in d.get("entities", {}).items():
        out.append(("entity", (name,)))
        for key, value in e.items():
            if key != "status":
                out.append(_fact(ent[key], (name,), value))
        for key, value in e.get("status", {}).items():
            out.append(_fact(status[key], (name,), value))
    for i, it in enumerate(d.get("items", []), start=1):
        out.append(("item", (i,)))
        for key, value in it.items():
            if items[key].also:
                out.append((items[key].also.split("/")[0], (i,)))
            out.append(_fact(items[key], (i,), value))
    for key, value in d.get("facts", {}).items():
        out.append(_fact(fact[key], (), value))
    for topic, choice in d.get("readings", {}).items():
        out.append(("chosen_reading", (Term(topic), Term(choice))))
    return out
