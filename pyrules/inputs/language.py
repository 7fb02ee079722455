"""The scenario language: a small line-oriented text format for describing a transaction.

A lawyer writes::

    scenario "Indian cloud provider, Chinese parent"
      on 2025-06-01
      export from US to IN
      consignee AcmeCloud
      ship 1000 x H100-SXM
      entity AcmeCloud located IN parent HoldCo status uveu = yes
      whatif authorized changing headquartered of HoldCo
    end

and :func:`parse_text` turns it into the project's JSON interchange form (plain dicts
and lists).  :func:`to_text` writes such a dict back as text.  Nothing here evaluates
the rule: the parser only checks syntax and a few simple things (duplicate entities,
facts or properties, unknown keywords, item numbers that do not exist, country names
the knowledge base does not know).  Whether a country code or chip name is known is
checked elsewhere.  See docs/language.md.

Design notes
------------
* One statement per line; indentation is free; ``#`` starts a comment.  A line that
  ends with a comma continues on the next line.
* Values: ``yes/no/true/false`` -> bool; whole numbers (``26,900,000``, ``26_900_000``)
  -> int, unless outside the signed 32-bit range, then the digit string; decimals
  (``826.5``) -> float (string when the whole part is outside that range);
  scientific notation (``1.2e26``) and powers of ten (``10^26``, ``2.5x10^26``) -> the
  string in ``e`` notation (``"1.2e26"``, ``"1e26"``, ``"2.5e26"``); ``YYYY-MM-DD``
  -> the date string; any other word or a ``"quoted string"`` -> str.
"""

from __future__ import annotations

import bisect
import datetime
import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyparsing as pp

from pyrules.errors import InputError
from pyrules.inputs.limits import MAX_NUMBER_CHARS

__all__ = ["parse_text", "parse_file", "to_text", "ACTIONS", "KEYWORDS"]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

#: action word(s) in the text -> "action" in JSON
ACTIONS = {
    "export": "export",
    "reexport": "reexport",
    "in-country transfer": "in_country_transfer",
    "deemed export": "deemed_export",
    "deemed reexport": "deemed_reexport",
}
_ACTION_TEXT = {v: k for k, v in ACTIONS.items()}

#: words that may start a line inside a scenario
KEYWORDS = (
    "on",
    "export",
    "reexport",
    "re-export",
    "in-country",
    "deemed",
    "consignee",
    "via",
    "not",
    "purpose",
    "authorization",
    "ship",
    "entity",
    "fact",
    "reading",
    "whatif",
    "expect",
    "end",
)

_SIMPLE_CHANGES = ("destination", "purpose", "date", "via_distributor")
_ENTITY_CHANGES = ("headquartered", "located", "parent")

# --------------------------------------------------------------------------- lexical

_WORDCH = r"A-Za-z0-9_.+\-/^"
_B = f"(?![{_WORDCH}])"  # end of a word
_QUOTED_RE = r'"(?:[^"\\\n]|\\.)*"'
_NUMCOMMA_RE = rf"-?[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?(?![{_WORDCH}]|,[0-9])"
_WORD_RE = rf"(?:-(?=[0-9]))?[A-Za-z0-9_](?:[{_WORDCH}]*[A-Za-z0-9_])?{_B}"
_TOKEN_RE = f"{_NUMCOMMA_RE}|{_WORD_RE}"
_INT_TOKEN_RE = rf"(?:-?[0-9]{{1,3}}(?:,[0-9]{{3}})+|-?[0-9]+(?:_[0-9]+)*)(?![{_WORDCH}]|,[0-9])"
_KEY_RE = r"[a-z_][a-z0-9_]*"
_GOAL_RE = r"[A-Za-z_][A-Za-z0-9_]*"
_CC_RE = r"[A-Z]{2}"
# a country written without quotes: words of letters (any script), digits, "'" and "-",
# separated by spaces or tabs, up to a word that continues the line
_NAME_WORD = r"[^\W\d_][\w'\u2019\-]*"
_NAME_STOPS = ("to", "from", "in", "located", "headquartered", "parent", "status")
_COUNTRY_RE = (
    rf"{_NAME_WORD}(?:[ \t]+(?!(?:{'|'.join(_NAME_STOPS)})(?![\w'\u2019\-])){_NAME_WORD})*"
    rf"(?![\w'\u2019.+/^\-])"
)
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

_TOKEN_FULL = re.compile(f"(?:{_TOKEN_RE})")
_KEY_FULL = re.compile(_KEY_RE)
_CC_FULL = re.compile(_CC_RE)
_DATE_FULL = re.compile(_DATE_RE)
_INT_FULL = re.compile(r"-?[0-9]+(?:_[0-9]+)*|-?[0-9]{1,3}(?:,[0-9]{3})+")
_DEC_FULL = re.compile(r"-?(?:[0-9]+(?:_[0-9]+)*|[0-9]{1,3}(?:,[0-9]{3})+)\.[0-9]+(?:_[0-9]+)*")
_SCI_FULL = re.compile(r"-?[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?[eE][+-]?[0-9]+")
_POW_FULL = re.compile(r"(-?)(?:([0-9]+(?:\.[0-9]+)?)[x*])?([0-9]+)\^([+-]?[0-9]+)")
_BOOLS = {"yes": True, "true": True, "no": False, "false": False}

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class _BadValue(Exception):
    """A word that looks like a number or date but is not a valid one."""


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body)


def _quote(s: str) -> str:
    body = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f'"{body}"'


def _is_numberish(word: str) -> bool:
    return any(rx.fullmatch(word) for rx in (_INT_FULL, _DEC_FULL, _SCI_FULL, _POW_FULL))


def _is_plain(word: str) -> bool:
    """A bare word that reads as a name: not a number, boolean or date."""
    return not (_is_numberish(word) or word.lower() in _BOOLS or _DATE_FULL.fullmatch(word))


def _classify(word: str) -> Any:
    """The value of an unquoted word (see the module docstring)."""
    low = word.lower()
    if low in _BOOLS:
        return _BOOLS[low]
    if _DATE_FULL.fullmatch(word):
        try:
            datetime.date.fromisoformat(word)
        except ValueError:
            raise _BadValue(f"'{word}' is not a valid date (YYYY-MM-DD)") from None
        return word
    m = _POW_FULL.fullmatch(word)
    if m:
        sign, mantissa, base, exponent = m.groups()
        if base != "10":
            raise _BadValue(f"only powers of ten can be written with '^' (e.g. 10^26), not '{word}'")
        return f"{sign}{mantissa or '1'}e{exponent}"
    if _SCI_FULL.fullmatch(word):
        return word.replace("_", "").replace("E", "e")
    if _DEC_FULL.fullmatch(word):
        text = word.replace("_", "").replace(",", "")
        if abs(Decimal(text)) > INT32_MAX:
            return text
        return float(text)
    if _INT_FULL.fullmatch(word):
        text = word.replace("_", "").replace(",", "")
        if len(text) > MAX_NUMBER_CHARS:
            # kept as written, for the field to refuse (int() of thousands of digits is
            # slow, and refused by Python itself)
            return text
        number = int(text)
        if INT32_MIN <= number <= INT32_MAX:
            return number
        return str(number)
    return word


# --------------------------------------------------------------------------- grammar


@dataclass
class _Tok:
    """A word or quoted string as written, with its position."""

    loc: int
    text: str
    quoted: bool

    @property
    def content(self) -> str:
        return _unescape(self.text[1:-1]) if self.quoted else self.text

    @property
    def end(self) -> int:
        return self.loc + len(self.text)


@dataclass
class _Node:
    """A parsed line (or part of one): its kind, position and named parts."""

    kind: str
    loc: int
    parts: dict = field(default_factory=dict)
    items: list = field(default_factory=list)


def _tok(s, loc, toks):
    return [_Tok(loc, toks[0], toks[0].startswith('"'))]


def _single(value):
    while isinstance(value, pp.ParseResults) and len(value) == 1:
        value = value[0]
    return value


def _node(kind, *, names=(), items=False):
    def action(s, loc, toks):
        parts = {n: _single(toks[n]) for n in names if n in toks}
        rest = [t for t in toks if isinstance(t, (_Node, _Tok))] if items else []
        return [_Node(kind, loc, parts, rest)]

    return action


def _unknown_line(s, loc, toks):
    word = toks[-1]
    if word == "scenario":
        msg = "expected 'end' to close the previous scenario before a new 'scenario'"
    elif re.fullmatch(_WORD_RE, word):
        msg = f"unknown keyword '{word}'"
        if word.lower() in KEYWORDS:
            msg += f" (keywords are lower-case: '{word.lower()}')"
        else:
            close = difflib.get_close_matches(word, KEYWORDS, n=1)
            if close:
                msg += f" (did you mean '{close[0]}'?)"
        msg += "; a line starts with one of: " + ", ".join(k for k in KEYWORDS if k != "re-export")
    else:
        msg = f"expected a keyword at the start of the line, found '{word}'"
    raise pp.ParseFatalException(s, loc, msg)


def _stray_top(s, loc, toks):
    raise pp.ParseFatalException(s, loc, f"expected 'scenario' to start a scenario, found '{toks[0]}'")


def _set_whitespace(expr: pp.ParserElement, chars: str, seen: set) -> None:
    """Make newlines significant everywhere in the grammar (without touching the
    process-wide pyparsing defaults)."""
    if id(expr) in seen:
        return
    seen.add(id(expr))
    expr.set_whitespace_chars(chars, copy_defaults=False)
    for sub in list(expr.recurse()) + list(expr.ignoreExprs):
        _set_whitespace(sub, chars, seen)


# Small parser elements shared by the lines of the grammar.
def _kw(word):
    return pp.Regex(re.escape(word) + _B).set_name(f"'{word}'")


def _skw(word):
    return _kw(word).suppress()


def _eol(what="end of line"):
    return pp.LineEnd().set_name(what).suppress()


def _quoted():
    return pp.Regex(_QUOTED_RE).set_parse_action(_tok)


def _word():
    return pp.Regex(_TOKEN_RE).set_parse_action(_tok)


def _value(what):
    return (_quoted() | _word()).set_name(what)


def _name(what):
    plain = _word().add_condition(lambda t: _is_plain(t[0].text))
    return (_quoted() | plain).set_name(what)


def _key(what):
    return pp.Regex(_KEY_RE + _B).set_name(what).set_parse_action(_tok)


def _cc(after):
    # A code in any case (IN, in), a country name as a word or words (Vietnam, United Arab
    # Emirates; the words of a line that follow a country, such as 'to', end it) or a
    # quoted name ("Korea, Republic of"). The builder checks it is a country
    # (pyrules.inputs.model.country_code) and the scenario check turns it into the code.
    return (pp.Regex(_COUNTRY_RE).set_parse_action(_tok) | _quoted()).set_name(
        f"a country code (e.g. IN) or a country name after '{after}'"
    )


def _integer(what):
    return pp.Regex(_INT_TOKEN_RE).set_name(what).set_parse_action(_tok)


def _const(expr, result):
    return expr.copy().set_parse_action(pp.replace_with(result))


def _comma():
    return pp.Suppress(",") + pp.Suppress(pp.ZeroOrMore(pp.LineEnd()))


def _equals():
    return pp.Suppress(pp.Literal("=").set_name("'='"))


def _deemed(s, loc, toks):
    return "deemed_" + toks[0]


def _date_grammar() -> pp.ParserElement:
    """'on YYYY-MM-DD'."""
    return (
        _skw("on")
        - pp.Regex(_DATE_RE + _B).set_name("a date (YYYY-MM-DD) after 'on'").set_parse_action(_tok)("date")
        - _eol()
    ).set_parse_action(_node("on", names=["date"]))


def _transaction_grammar() -> list[pp.ParserElement]:
    """The lines of the transaction: its action with 'from' and 'to', the in-country
    transfer, the consignee, 'via distributor' or not, the purpose, the authorization."""
    endpoints = (
        (
            _skw("from")
            - _cc("from")("from")
            - ((_skw("to") - _cc("to")("to") - _eol()) | _eol()).set_name("'to' or end of line")
        )
        | (_skw("to") - _cc("to")("to") - _eol())
        | _eol()
    ).set_name("'from', 'to' or end of line")
    second = (
        _const(_kw("export"), "export") | _const(_kw("reexport"), "reexport") | _const(_kw("re-export"), "reexport")
    ).set_name("'export' or 'reexport' after 'deemed'")
    action_word = (
        _const(_kw("export"), "export")
        | _const(_kw("reexport"), "reexport")
        | _const(_kw("re-export"), "reexport")
        | (_skw("deemed") - second).set_parse_action(_deemed)
    )
    action_line = (action_word("action") - endpoints).set_parse_action(_node("action", names=["action", "from", "to"]))
    transfer_line = (
        _skw("in-country")
        - _skw("transfer").set_name("'transfer' after 'in-country'")
        - ((_skw("in") - _cc("in")("in") - _eol()) | endpoints).set_name("'in', 'from', 'to' or end of line")
    ).set_parse_action(_node("transfer", names=["in", "from", "to"]))
    consignee_line = (_skw("consignee") - _name("a name after 'consignee'")("name") - _eol()).set_parse_action(
        _node("consignee", names=["name"])
    )
    distributor = _skw("distributor").set_name("'distributor' after 'via'")
    via_line = (_skw("via") - distributor - _eol()).set_parse_action(_node("via"))
    not_via_line = (_skw("not") - _skw("via").set_name("'via' after 'not'") - distributor - _eol()).set_parse_action(
        _node("not_via")
    )
    purpose_line = (_skw("purpose") - _name("a purpose after 'purpose'")("name") - _eol()).set_parse_action(
        _node("purpose", names=["name"])
    )
    authorization_line = (
        _skw("authorization") - _name("an authorization's name after 'authorization'")("name") - _eol()
    ).set_parse_action(_node("authorization", names=["name"]))
    return [action_line, transfer_line, consignee_line, via_line, not_via_line, purpose_line, authorization_line]


def _ship_grammar() -> pp.ParserElement:
    """'ship [N x] [chip] key value ...', continued after a line-ending comma."""
    times = pp.Regex(r"[x×]" + _B).suppress()
    quantity = _integer("a quantity")("qty") + times
    # after a line-ending comma, 'end' on the next line closes the scenario, not the item
    continued = (_quoted() | _word().add_condition(lambda t: t[0].text != "end")).set_name("another property after ','")
    atoms = _value("an item after 'ship' (e.g. 1000 x H100-SXM)") + pp.ZeroOrMore(
        (_comma() - continued) | _value("a value")
    )
    return (_skw("ship") - pp.Opt(quantity) - atoms - _eol("another property or end of line")).set_parse_action(
        _node("ship", names=["qty"], items=True)
    )


def _entity_grammar() -> pp.ParserElement:
    """'entity NAME located CC headquartered CC parent NAME status KEY = VALUE ...'."""
    prop = (
        (_skw("located") - _cc("located")).set_parse_action(_node("located", items=True))
        | (_skw("headquartered") - _cc("headquartered")).set_parse_action(_node("headquartered", items=True))
        | (_skw("parent") - _name("a name after 'parent'")).set_parse_action(_node("parent", items=True))
        | (
            _skw("status")
            - _key("a status name (lower_case) after 'status'")
            - _equals().set_name("'=' after the status name")
            - _value("a value after '='")
        ).set_parse_action(_node("status", items=True))
    ).set_name("'located', 'headquartered', 'parent' or 'status'")
    return (
        _skw("entity")
        - _name("a name after 'entity'")("name")
        - pp.ZeroOrMore((_comma() - prop) | prop)
        - _eol("'located', 'headquartered', 'parent', 'status' or end of line")
    ).set_parse_action(_node("entity", names=["name"], items=True))


def _setting_grammar(word_: str, kind: str) -> pp.ParserElement:
    """'fact KEY = VALUE' and 'reading KEY = VALUE'."""
    return (
        _skw(word_)
        - _key(f"a {kind} name (lower_case) after '{word_}'")("key")
        - _equals().set_name(f"'=' after the {kind} name")
        - _value("a value after '='")("value")
        - _eol()
    ).set_parse_action(_node(kind, names=["key", "value"]))


def _expect_grammar() -> pp.ParserElement:
    """Expected outcomes (pyrules.expect): 'expect FIELD = VALUE', 'expect FIELD includes
    VALUE', 'expect authorization NAME available = VALUE', 'expect authorization NAME
    failed includes ID'."""
    expect_target = (
        _skw("authorization")
        - _name("an authorization name after 'authorization'")("auth")
        - _key("'available', 'failed' or 'undecided' after the authorization name")("key")
    ) | _key("an outcome field (e.g. license_required) after 'expect'")("key")
    return (
        _skw("expect")
        - expect_target
        - (
            (_equals().set_name("'=' or 'includes'") - _value("a value after '='")("value"))
            | (_skw("includes") - _value("a value after 'includes'")("member"))
        )
        - _eol()
    ).set_parse_action(_node("expect", names=["auth", "key", "value", "member"]))


def _whatif_grammar() -> pp.ParserElement:
    """'whatif GOAL [changing CHANGE [cost N], ...]'."""
    of = _skw("of").set_name("'of'")
    change_what = (
        (
            (_kw("headquartered") | _kw("located") | _kw("parent"))("fact")
            - of
            - _name("an entity name after 'of'")("entity")
        ).set_parse_action(_node("entity_fact", names=["fact", "entity"]))
        | (
            _skw("quantity")
            - of
            - _skw("item").set_name("'item' after 'of'")
            - _integer("an item number after 'item'")("item")
        ).set_parse_action(_node("item_fact", names=["item"]))
        | (
            _kw("destination")
            | _kw("purpose")
            | _kw("date")
            | _kw("via_distributor")
            | _const(_kw("via") - _skw("distributor").set_name("'distributor' after 'via'"), "via_distributor")
        )("fact").set_parse_action(_node("simple", names=["fact"]))
        | (_skw("fact") - _key("a fact name after 'fact'")("name")).set_parse_action(
            _node("named_fact", names=["name"])
        )
        | (
            _skw("status")
            - _key("a status name after 'status'")("name")
            - of
            - _name("an entity name after 'of'")("entity")
        ).set_parse_action(_node("status_fact", names=["name", "entity"]))
    ).set_name(
        "something that may change (headquartered/located/parent of ENTITY, quantity of item N, "
        "destination, purpose, date, via distributor, fact NAME, status NAME of ENTITY)"
    )
    change = (
        change_what("what") + pp.Opt(_skw("cost") - _integer("a whole number after 'cost'")("cost"))
    ).set_parse_action(_node("change", names=["what", "cost"]))
    changes = _skw("changing") - change - pp.ZeroOrMore(_comma() - change) - _eol("',' or end of line")
    return (
        _skw("whatif")
        - pp.Regex(_GOAL_RE + _B).set_name("a goal (e.g. authorized) after 'whatif'").set_parse_action(_tok)("goal")
        - (changes | _eol()).set_name("'changing' or end of line")
    ).set_parse_action(_node("whatif", names=["goal"], items=True))


def _document(statements: list[pp.ParserElement]) -> pp.ParserElement:
    """Scenarios ('scenario [TITLE]' ... 'end') of statements, blank lines and comments;
    an unknown keyword or a stray word is an error at its place."""
    statement = pp.MatchFirst(statements)
    end = _kw("end")
    unknown = (~end + pp.Regex(r"[^ \t\r\n#]+")).set_parse_action(_unknown_line)
    blank = pp.LineEnd().suppress()
    header = _skw("scenario") - pp.Opt(_name("a scenario title")("title")) - _eol("a title in quotes or end of line")
    closing = (end.copy().suppress() - _eol()).set_parse_action(_node("end"))
    scenario = (header + pp.ZeroOrMore(blank | statement | unknown) + pp.Opt(closing)).set_parse_action(
        _node("scenario", names=["title"], items=True)
    )
    stray = pp.Regex(r"[^ \t\r\n#]+").set_parse_action(_stray_top)
    return pp.ZeroOrMore(blank | scenario | stray)


@functools.cache
def _grammar() -> pp.ParserElement:
    """The grammar of a document, built once: its lines, newlines made significant."""
    statements = (
        [_date_grammar()]
        + _transaction_grammar()
        + [
            _ship_grammar(),
            _entity_grammar(),
            _setting_grammar("fact", "fact"),
            _setting_grammar("reading", "reading"),
            _whatif_grammar(),
            _expect_grammar(),
        ]
    )
    document = _document(statements)
    document.ignore(pp.Regex(r"#[^\n]*"))
    _set_whitespace(document, " \t\r", set())
    document.parse_with_tabs()
    return document


# --------------------------------------------------------------------------- building


class _Builder:
    """Turns parsed lines into JSON-form scenarios, checking simple semantics."""

    def __init__(self, text: str, filename: str):
        self.text = text
        self.filename = filename
        # where each line starts: a line number is found by bisection, not by counting
        # the newlines before it (which made a large file quadratic)
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def error(self, loc: int, message: str) -> InputError:
        line = self.line(loc)
        return InputError(message, file=self.filename, line=line, column=loc - self.starts[line - 1] + 1)

    def line(self, loc: int) -> int:
        return bisect.bisect_right(self.starts, loc)

    def value(self, tok: _Tok) -> Any:
        if tok.quoted:
            return tok.content
        try:
            return _classify(tok.text)
        except _BadValue as exc:
            raise self.error(tok.loc, str(exc)) from None

    def country(self, tok: _Tok, after: str) -> str:
        """A country as written (a code in any case or a name, as JSON takes them). A name
        is checked against the KB's country list here: an unknown one is an error at its
        place, with the closest names; a code is checked with the scenario, as in JSON."""
        from pyrules.engine import kb
        from pyrules.errors import did_you_mean
        from pyrules.inputs.model import country_code

        text = tok.content if tok.quoted else " ".join(tok.text.split())
        if not re.fullmatch(r"[A-Za-z]{2}", text) and country_code(text) is None:
            names = list(kb.countries().values())
            hint = did_you_mean(text, names) if len(text) > 3 else ""
            raise self.error(
                tok.loc,
                f"unknown country {text!r} after '{after}': expected an ISO 3166-1 "
                f"alpha-2 code (e.g. IN) or a country name{hint}",
            )
        return text

    def integer(self, tok: _Tok, what: str) -> int:
        number = self.value(tok)
        if not isinstance(number, int):
            raise self.error(tok.loc, f"{what} {tok.text} is too large")
        return number

    def once(self, seen: dict, what: str, loc: int) -> None:
        if what in seen:
            raise self.error(loc, f"{what} is already given on line {self.line(seen[what])}")
        seen[what] = loc

    def scenario(self, node: _Node) -> dict:
        body = [n for n in node.items if isinstance(n, _Node)]
        if not body or body[-1].kind != "end":
            content_end = len(self.text.rstrip())
            start = self.line(node.loc)
            raise self.error(
                content_end, f"expected 'end' to close the scenario that starts on line {start}, found end of file"
            )
        out: dict[str, Any] = {}
        if "title" in node.parts:
            out["scenario"] = node.parts["title"].content
        seen: dict[str, int] = {}
        transaction: dict[str, Any] = {}
        items: list[dict] = []
        entities: dict[str, dict] = {}
        entity_lines: dict[str, int] = {}
        facts: dict[str, Any] = {}
        readings: dict[str, Any] = {}
        questions: list[tuple[_Node, dict]] = []
        expect: dict[str, Any] = {}
        for st in body[:-1]:
            p = st.parts
            if st.kind == "on":
                self.once(seen, "the date", st.loc)
                tok = p["date"]
                out["date"] = self.value(tok)
            elif st.kind in ("action", "transfer"):
                self.once(seen, "the transaction", st.loc)
                if st.kind == "transfer":
                    transaction["action"] = "in_country_transfer"
                else:
                    transaction["action"] = p["action"]
                if "in" in p:
                    transaction["from"] = transaction["to"] = self.country(p["in"], "in")
                for end in ("from", "to"):
                    if end in p:
                        transaction[end] = self.country(p[end], end)
            elif st.kind == "consignee":
                self.once(seen, "the consignee", st.loc)
                transaction["consignee"] = p["name"].content
            elif st.kind in ("via", "not_via"):
                self.once(seen, "via distributor", st.loc)
                transaction["via_distributor"] = st.kind == "via"
            elif st.kind == "purpose":
                self.once(seen, "the purpose", st.loc)
                transaction["purpose"] = p["name"].content
            elif st.kind == "authorization":
                self.once(seen, "the authorization", st.loc)
                transaction["authorization_claimed"] = p["name"].content
            elif st.kind == "ship":
                items.append(self.item(st))
            elif st.kind == "entity":
                name_tok = p["name"]
                entity = name_tok.content
                if entity in entities:
                    raise self.error(
                        name_tok.loc, f"duplicate entity '{entity}' (first described on line {entity_lines[entity]})"
                    )
                entity_lines[entity] = self.line(st.loc)
                entities[entity] = self.entity(entity, st.items[1:])
            elif st.kind in ("fact", "reading"):
                table = facts if st.kind == "fact" else readings
                k = p["key"]
                if k.text in table:
                    raise self.error(k.loc, f"duplicate {st.kind} '{k.text}'")
                table[k.text] = self.value(p["value"])
            elif st.kind == "whatif":
                questions.append((st, self.question(st)))
            elif st.kind == "expect":
                self.expectation(st, expect)
            else:  # pragma: no cover - the grammar has no other kinds
                raise self.error(st.loc, f"internal error: unexpected line kind {st.kind}")
        for st, q in questions:
            for change, node_ in zip(q.get("may_change", []), self.changes(st)):
                if "item" in change and not 1 <= change["item"] <= len(items):
                    tok = node_.parts["what"].parts["item"]
                    raise self.error(
                        tok.loc,
                        f"there is no item {change['item']} "
                        f"(the scenario ships {len(items)} item{'s' if len(items) != 1 else ''})",
                    )
        if transaction:
            out["transaction"] = transaction
        if items:
            out["items"] = items
        if entities:
            out["entities"] = entities
        if facts:
            out["facts"] = facts
        if readings:
            out["readings"] = readings
        if questions:
            out["questions"] = [q for _, q in questions]
        if expect:
            out["expect"] = expect
        return out

    def expectation(self, st: _Node, expect: dict) -> None:
        """One 'expect' line into the expect object (see pyrules.expect)."""
        p = st.parts
        key_tok = p["key"]
        if "auth" in p:
            table = expect.setdefault("authorizations", {}).setdefault(p["auth"].content, {})
            if key_tok.text not in ("available", "failed", "undecided"):
                raise self.error(key_tok.loc, f"expected 'available', 'failed' or 'undecided', found '{key_tok.text}'")
        else:
            table = expect
            if key_tok.text == "authorizations":
                raise self.error(key_tok.loc, "write 'expect authorization NAME available = ...'")
        key_ = key_tok.text
        if "member" in p:
            current = table.setdefault(key_, [])
            if not isinstance(current, list):
                raise self.error(key_tok.loc, f"'{key_}' was already given one value with '='")
            current.append(self.value(p["member"]))
        else:
            if key_ in table:
                raise self.error(key_tok.loc, f"duplicate expectation '{key_}'")
            tok = p["value"]
            table[key_] = None if not tok.quoted and tok.text in ("undecided", "null") else self.value(tok)

    def item(self, st: _Node) -> dict:
        qty = st.parts.get("qty")
        atoms: list[_Tok] = [t for t in st.items if t is not qty]
        n = len(atoms)

        def is_key(t: _Tok) -> bool:
            return not t.quoted and bool(_KEY_FULL.fullmatch(t.text))

        def is_name(t: _Tok) -> bool:
            return t.quoted or _is_plain(t.text)

        def keys_ok(start: int) -> bool:
            return all(is_key(atoms[i]) for i in range(start, n, 2))

        item: dict[str, Any] = {}
        if n % 2 == 0 and keys_ok(0):
            start = 0
        elif n % 2 == 1 and is_name(atoms[0]) and keys_ok(1):
            item["chip"] = atoms[0].content
            start = 1
        else:
            last = atoms[-1]
            if (n % 2 == 0 and is_name(atoms[0]) and keys_ok(1)) or (n % 2 == 1 and keys_ok(0)):
                raise self.error(last.end, f"expected a value after '{last.text}', found end of line")
            first = atoms[0]
            if qty is None and not first.quoted and _is_numberish(first.text):
                if n > 1 and atoms[1].text in ("x", "×"):
                    raise self.error(first.loc, f"expected a whole number of units before 'x', found '{first.text}'")
                raise self.error(first.loc, f"expected 'x' after the quantity {first.text} (e.g. ship 1000 x H100-SXM)")
            start = 0 if n % 2 == 0 else 1
            if n % 2 == 1 and not is_name(first):
                raise self.error(first.loc, f"expected a chip name or a property name, found '{first.text}'")
            bad = next(atoms[i] for i in range(start, n, 2) if not is_key(atoms[i]))
            raise self.error(
                bad.loc, f"expected a property name (lower-case letters, digits and _), found '{bad.text}'"
            )
        if qty is not None:
            item["quantity"] = self.value(qty)
        for i in range(start, n, 2):
            k, v = atoms[i], atoms[i + 1]
            if k.text in item:
                raise self.error(k.loc, f"property '{k.text}' is given twice in this item")
            item[k.text] = self.value(v)
        return item

    def entity(self, entity: str, props: list[_Node]) -> dict:
        out: dict[str, Any] = {}
        for prop in props:
            tok = prop.items[0]
            if prop.kind == "status":
                status = out.setdefault("status", {})
                if tok.text in status:
                    raise self.error(tok.loc, f"status '{tok.text}' is given twice for entity '{entity}'")
                status[tok.text] = self.value(prop.items[1])
            else:
                if prop.kind in out:
                    raise self.error(prop.loc, f"'{prop.kind}' is given twice for entity '{entity}'")
                out[prop.kind] = (
                    self.country(tok, prop.kind) if prop.kind in ("located", "headquartered") else tok.content
                )
        return out

    @staticmethod
    def changes(st: _Node) -> list[_Node]:
        return [n for n in st.items if isinstance(n, _Node) and n.kind == "change"]

    def question(self, st: _Node) -> dict:
        q: dict[str, Any] = {"goal": st.parts["goal"].text}
        changes = []
        for node in self.changes(st):
            what: _Node = node.parts["what"]
            p = what.parts
            if what.kind == "entity_fact":
                c = {"fact": p["fact"], "entity": p["entity"].content}
            elif what.kind == "item_fact":
                c = {"fact": "quantity", "item": self.integer(p["item"], "item number")}
            elif what.kind == "simple":
                c = {"fact": p["fact"]}
            elif what.kind == "named_fact":
                c = {"fact": "fact", "name": p["name"].text}
            else:  # status_fact
                c = {"fact": "status", "name": p["name"].text, "entity": p["entity"].content}
            if "cost" in node.parts:
                c["cost"] = self.integer(node.parts["cost"], "cost")
            changes.append(c)
        if changes:
            q["may_change"] = changes
        return q


def _found(text: str, loc: int) -> str:
    while loc < len(text) and text[loc] in " \t\r":
        loc += 1
    if loc >= len(text):
        return "end of file"
    if text[loc] == "\n":
        return "end of line"
    m = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[^ \t\r\n,#"=]+|.').match(text, loc)
    tok = m.group() if m else text[loc]
    if not tok.isprintable() or tok.isspace():
        return f"the character U+{ord(tok[0]):04X}"
    if len(tok) > 40:
        tok = tok[:37] + "..."
    return f"'{tok}'"


def parse_text(text: str, filename: str = "<text>") -> list[dict]:
    """Parse one or more scenarios into their JSON form.  Raises InputError."""
    text = text.replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        nodes = _grammar().parse_string(text, parse_all=True)
    except pp.ParseBaseException as exc:
        msg = exc.msg
        found = _found(exc.pstr, exc.loc)
        if found.startswith("'\"") and (len(found) < 4 or not found.endswith("\"'")):
            msg = 'unterminated quoted string (the closing " is missing on this line)'
        elif msg.startswith("Expected "):
            msg = f"expected {msg[len('Expected ') :]}, found {found}"
        raise InputError(msg, file=filename, line=exc.lineno, column=exc.column) from None
    builder = _Builder(text, filename)
    scenarios = [builder.scenario(n) for n in nodes if isinstance(n, _Node)]
    if not scenarios:
        raise builder.error(len(text.rstrip()), "expected 'scenario', found end of file")
    return scenarios


def parse_file(path) -> list[dict]:
    """Parse a scenario file (UTF-8)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", file=str(path)) from None
    return parse_text(text, filename=str(path))


# --------------------------------------------------------------------------- writing


def _bad(field_: str, message: str) -> InputError:
    return InputError(message, field=field_)


def _float_text(x: float) -> str:
    text = format(Decimal(repr(x)), "f")
    return text if "." in text else text + ".0"


def _value_text(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _bad(where, f"cannot write the number {v}")
        return _float_text(v)
    if isinstance(v, str):
        if _TOKEN_FULL.fullmatch(v):
            try:
                if _classify(v) == v:
                    return v
            except _BadValue:
                pass
        return _quote(v)
    raise _bad(where, f"cannot write a value of type {type(v).__name__}")


def _name_text(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise _bad(where, f"a name must be a string, not {type(v).__name__}")
    if _TOKEN_FULL.fullmatch(v) and _is_plain(v):
        return v
    return _quote(v)


def _key_text(k: Any, where: str) -> str:
    if not isinstance(k, str) or not _KEY_FULL.fullmatch(k):
        raise _bad(where, f"{k!r} is not a valid name (lower-case letters, digits and _, not starting with a digit)")
    return k


def _cc_text(v: Any, where: str) -> str:
    """A country as the text writes it: a code as it is, a name the KB knows quoted."""
    if isinstance(v, str) and _CC_FULL.fullmatch(v):
        return v
    from pyrules.inputs.model import country_code

    if not isinstance(v, str) or country_code(v) is None:
        raise _bad(where, f"{v!r} is not a country code (two capital letters) or a country name")
    return _quote(v)


def _check_keys(d: Any, allowed, where: str) -> None:
    if not isinstance(d, dict):
        raise _bad(where, f"expected an object, not {type(d).__name__}")
    extra = [k for k in d if k not in allowed]
    if extra:
        raise _bad(f"{where}.{extra[0]}" if where else str(extra[0]), "cannot be written in the scenario language")


def _transaction_lines(t: dict) -> list[str]:
    _check_keys(
        t, ("action", "from", "to", "consignee", "via_distributor", "purpose", "authorization_claimed"), "transaction"
    )
    lines = []
    if "action" in t:
        action = t["action"]
        if action not in _ACTION_TEXT:
            raise _bad("transaction.action", f"unknown action {action!r}")
        line = _ACTION_TEXT[action]
        frm, to = t.get("from"), t.get("to")
        if action == "in_country_transfer" and "from" in t and "to" in t and frm == to:
            line += " in " + _cc_text(frm, "transaction.from")
        else:
            if "from" in t:
                line += " from " + _cc_text(frm, "transaction.from")
            if "to" in t:
                line += " to " + _cc_text(to, "transaction.to")
        lines.append(line)
    elif "from" in t or "to" in t:
        raise _bad("transaction.action", "'from' and 'to' can only be written with an action")
    if "consignee" in t:
        lines.append("consignee " + _name_text(t["consignee"], "transaction.consignee"))
    if "via_distributor" in t:
        via = t["via_distributor"]
        if not isinstance(via, bool):
            raise _bad("transaction.via_distributor", "must be true or false")
        lines.append("via distributor" if via else "not via distributor")
    if "purpose" in t:
        lines.append("purpose " + _name_text(t["purpose"], "transaction.purpose"))
    if "authorization_claimed" in t:
        lines.append("authorization " + _name_text(t["authorization_claimed"], "transaction.authorization_claimed"))
    return lines


def _item_line(item: Any, where: str) -> str:
    if not isinstance(item, dict) or not item:
        raise _bad(where, "an item must be a non-empty object")
    words = ["ship"]
    rest = dict(item)
    qty = rest.get("quantity")
    others = [k for k in rest if k != "quantity"]
    if isinstance(qty, int) and not isinstance(qty, bool) and INT32_MIN <= qty <= INT32_MAX and others:
        words.append(f"{qty} x")
        del rest["quantity"]
    if isinstance(rest.get("chip"), str):
        words.append(_name_text(rest.pop("chip"), f"{where}.chip"))
    for k, v in rest.items():
        words.append(_key_text(k, where))
        words.append(_value_text(v, f"{where}.{k}"))
    return " ".join(words)


def _entity_line(name: Any, e: Any, where: str) -> str:
    _check_keys(e, ("located", "headquartered", "parent", "status"), where)
    words = ["entity", _name_text(name, where)]
    for k in ("located", "headquartered"):
        if k in e:
            words += [k, _cc_text(e[k], f"{where}.{k}")]
    if "parent" in e:
        words += ["parent", _name_text(e["parent"], f"{where}.parent")]
    status = e.get("status", {})
    if not isinstance(status, dict):
        raise _bad(f"{where}.status", "must be an object")
    for k, v in status.items():
        words += ["status", _key_text(k, f"{where}.status"), "=", _value_text(v, f"{where}.status.{k}")]
    return " ".join(words)


def _change_text(c: Any, where: str) -> str:
    if not isinstance(c, dict) or "fact" not in c:
        raise _bad(where, "a change must be an object with a 'fact'")
    fact = c["fact"]
    keys = set(c) - {"cost"}
    if fact in _ENTITY_CHANGES and keys == {"fact", "entity"}:
        text = f"{fact} of {_name_text(c['entity'], where + '.entity')}"
    elif fact == "quantity" and keys == {"fact", "item"}:
        if not isinstance(c["item"], int) or isinstance(c["item"], bool):
            raise _bad(where + ".item", "must be a whole number")
        text = f"quantity of item {c['item']}"
    elif fact in _SIMPLE_CHANGES and keys == {"fact"}:
        text = "via distributor" if fact == "via_distributor" else fact
    elif fact == "fact" and keys == {"fact", "name"}:
        text = f"fact {_key_text(c['name'], where + '.name')}"
    elif fact == "status" and keys == {"fact", "name", "entity"}:
        text = f"status {_key_text(c['name'], where + '.name')} of {_name_text(c['entity'], where + '.entity')}"
    else:
        raise _bad(where, f"cannot write this change: {c!r}")
    if "cost" in c:
        cost = c["cost"]
        if not isinstance(cost, int) or isinstance(cost, bool):
            raise _bad(where + ".cost", "must be a whole number")
        text += f" cost {cost}"
    return text


def _question_line(q: Any, where: str) -> str:
    _check_keys(q, ("goal", "may_change"), where)
    if "goal" not in q:
        raise _bad(where, "a question needs a 'goal'")
    goal = q["goal"]
    if not isinstance(goal, str) or not re.fullmatch(_GOAL_RE, goal):
        raise _bad(where + ".goal", f"{goal!r} is not a valid goal (letters, digits and _)")
    line = "whatif " + goal
    changes = q.get("may_change") or []
    if changes:
        line += " changing " + ", ".join(_change_text(c, f"{where}.may_change[{i}]") for i, c in enumerate(changes))
    return line


def _expect_value(v: Any, where: str) -> str:
    return "undecided" if v is None else _value_text(v, where)


def _expect_lines(expect: Any) -> list[str]:
    """The 'expect' lines of an expect object."""
    if not isinstance(expect, dict):
        raise _bad("expect", "must be an object")
    lines = []
    for k, v in expect.items():
        where = f"expect.{k}"
        if k == "authorizations":
            if not isinstance(v, dict):
                raise _bad(where, "must be an object")
            for name, spec in v.items():
                if not isinstance(spec, dict):
                    raise _bad(f"{where}.{name}", "must be an object")
                head = f"expect authorization {_name_text(name, f'{where}.{name}')}"
                for sk, sv in spec.items():
                    if isinstance(sv, list):
                        lines += [f"{head} {_key_text(sk, where)} includes {_value_text(x, where)}" for x in sv]
                    else:
                        lines.append(f"{head} {_key_text(sk, where)} = {_expect_value(sv, where)}")
        elif isinstance(v, list):
            lines += [f"expect {_key_text(k, 'expect')} includes {_value_text(x, where)}" for x in v]
        else:
            lines.append(f"expect {_key_text(k, 'expect')} = {_expect_value(v, where)}")
    return lines


def to_text(scenario: dict) -> str:
    """Write a JSON-form scenario in the scenario language.

    ``parse_text(to_text(s)) == [s]`` for scenarios the parser can produce (empty
    objects or lists are not written, since the text cannot mention them).
    Raises InputError (with ``field``) for things the language cannot express.
    """
    _check_keys(
        scenario,
        ("scenario", "date", "transaction", "items", "entities", "facts", "readings", "questions", "expect"),
        "",
    )
    head = "scenario"
    if "scenario" in scenario:
        title = scenario["scenario"]
        if not isinstance(title, str):
            raise _bad("scenario", "the title must be a string")
        head += " " + _quote(title)
    sections: list[list[str]] = []
    first: list[str] = []
    if "date" in scenario:
        date = scenario["date"]
        try:
            ok = isinstance(date, str) and _DATE_FULL.fullmatch(date) and datetime.date.fromisoformat(date)
        except ValueError:
            ok = False
        if not ok:
            raise _bad("date", f"{date!r} is not a date YYYY-MM-DD")
        first.append(f"on {date}")
    if "transaction" in scenario:
        first += _transaction_lines(scenario["transaction"])
    sections.append(first)
    items = scenario.get("items", [])
    if not isinstance(items, list):
        raise _bad("items", "must be a list")
    sections.append([_item_line(it, f"items[{i}]") for i, it in enumerate(items)])
    entities = scenario.get("entities", {})
    if not isinstance(entities, dict):
        raise _bad("entities", "must be an object")
    sections.append([_entity_line(n, e, f"entities.{n}") for n, e in entities.items()])
    settings = []
    for table, word in (("facts", "fact"), ("readings", "reading")):
        values = scenario.get(table, {})
        if not isinstance(values, dict):
            raise _bad(table, "must be an object")
        for k, v in values.items():
            settings.append(f"{word} {_key_text(k, table)} = {_value_text(v, f'{table}.{k}')}")
    sections.append(settings)
    questions = scenario.get("questions", [])
    if not isinstance(questions, list):
        raise _bad("questions", "must be a list")
    sections.append([_question_line(q, f"questions[{i}]") for i, q in enumerate(questions)])
    sections.append(_expect_lines(scenario.get("expect", {})))
    body: list[str] = []
    for section in sections:
        if section:
            if body:
                body.append("")
            body += ["  " + line for line in section]
    return "\n".join([head, *body, "end"]) + "\n"
