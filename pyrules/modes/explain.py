"""Explanations: the tree of provisions and facts behind each conclusion.

No second copy of the law lives here. The knowledge base is read with
``clingo.ast`` and every rule ``H :- B.`` whose head a conclusion can reach
becomes a twin and a projection

    _w<k>(RuleId, H, (V1, ..., Vn)) :- B.        H :- _w<k>(_, H, _).

carrying the values of the rule's global variables ``Vi`` (plus, as they are,
any body atom Python cannot rebuild: arithmetic, external functions). The
positive body atoms, the atoms of the negative literals (``not x``) and the
values of each comparison are rebuilt in Python from those values, only for
the instances visited; for rules with aggregates, ``_whyagg(RuleId, G, Atom)``
lists the atoms the aggregate counted (``G`` the tuple of the global variables
of the positive literals). The rewritten knowledge base is grounded and solved
once for the scenario; the tree is read top-down from the answer set, choosing for every
atom one rule instance whose body holds and whose positive atoms were derived
earlier (so the tree has no cycles). ``RuleId`` maps to the rule's file, line
and the knowledge base's own plain-words comment above it.

Leaves are labelled
  given      an input fact of the scenario (pyrules/facts.py, kb/input.lp)
  assumed    set by a counterfactual or a regime (``assumed=`` symbols)
  defaulted  an input fact the scenario does not give, so the rule's default
             reading applies (no parent: its own ultimate parent; no reading
             chosen: the default reading; catalogue TPP when none is given)
  missing    an input fact that is not given and is needed (the answer names its
             field missing: ``missing_fact/1`` through ``schema.field_path``)
  rule data  a static fact of the knowledge base (tiers, catalogue, parameters)
  computed   a comparison or an aggregate evaluated on the values shown
  absent     a derived atom that does not hold (a ``not x`` in a rule)
Bookkeeping predicates (helpers such as ``has_parent``, ``hq_known``,
``addend``, ``total``) are collapsed: their own reasons take their place.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Iterable, Iterator

import clingo
from clingo import ast

from pyrules.engine import kb
from pyrules.inputs import schema
from pyrules.output.determination import Determination
from pyrules.inputs.facts import scenario_facts
from pyrules.inputs.model import Scenario
from pyrules.output.render import number_text

EXPLANATION_FORMAT_VERSION = 1

LABELS = {
    "derived": "derived by a rule of the knowledge base",
    "given": "an input fact of the scenario",
    "assumed": "assumed by a counterfactual or a regime",
    "defaulted": "not given by the scenario: the rule's default applies",
    "missing": "not given by the scenario, and needed",
    "rule data": "a static fact of the knowledge base",
    "computed": "a comparison or sum evaluated on the values shown",
    "absent": "does not hold",
}

# Helpers of the arithmetic (kb/arithmetic.lp) are bookkeeping whatever their shape.
EXTRA_BOOKKEEPING = {("addend", 3), ("addend_key", 1), ("total", 2), ("zero", 1)}
ANY = "_any"  # stands for an anonymous variable inside a generated head

_WHYAGG = "_whyagg"


# ============================================================================ program transformation
@dataclass
class RuleInfo:
    id: int
    file: str
    line: int
    text: str
    comment: str
    head: tuple[str, int] | None
    comparisons: list[tuple[str, list[str]]] = field(default_factory=list)  # (text, variables)
    aggregates: list[str] = field(default_factory=list)  # texts of aggregates / conditional literals
    # how to rebuild an instance from the twin's values: one function per positive
    # body atom and per negated atom; indices of each comparison's variables and of G
    pos: list = field(default_factory=list)
    neg: list = field(default_factory=list)
    cmp_index: list[list[int]] = field(default_factory=list)
    g_index: list[int] = field(default_factory=list)


@dataclass
class Program:
    text: str  # the twins (added to the knowledge base: the fallback)
    rules: list[RuleInfo]
    bookkeeping: set[tuple[str, int]]
    inputs: set[str]  # input predicate names (kb/input.lp)
    shown: set[tuple[str, int]]
    whole: str = ""  # the knowledge base rewritten: each rule body grounded once
    twin_sigs: list = field(default_factory=list)  # _w<k> -> (name, arity) of the head
    twin_names: dict = field(default_factory=dict)  # "_w<k>" -> (name, arity)
    twin_of: dict = field(default_factory=dict)  # (name, arity) -> "_w<k>"
    whole_ast: list = field(default_factory=list)  # ``whole`` parsed once: adding statements beats reparsing
    _pruned: dict = field(default_factory=dict, repr=False)  # input signatures -> the statements kept
    _rules: list = field(default_factory=list, repr=False)
    _others: list = field(default_factory=list, repr=False)
    _rule_sigs: list = field(default_factory=list, repr=False)

    def statements_for(self, present: frozenset) -> list:
        """The statements of ``whole_ast`` that can matter when the input facts have the
        signatures ``present`` (as ``Engine._for_inputs`` does for the plain KB): a rule
        with a positive body atom of a predicate that no fact and no rule that can fire
        gives never applies, so leaving it out changes no answer set but saves grounding it."""
        kept = self._pruned.get(present)
        if kept is None:
            from pyrules.engine.control import _rule_signatures, rules_that_can_fire

            if not self._rule_sigs:
                self._others = [st for st in self.whole_ast if st.ast_type != ast.ASTType.Rule]
                self._rules = [st for st in self.whole_ast if st.ast_type == ast.ASTType.Rule]
                self._rule_sigs = _rule_signatures(self.whole, self._rules)
            kept = self._pruned[present] = self._others + rules_that_can_fire(
                self._rules, self._rule_sigs, set(present)
            )
        return kept


def _walk(node) -> Iterator[Any]:
    yield node
    for key in node.child_keys:
        child = getattr(node, key)
        if child is None:
            continue
        if isinstance(child, ast.AST):
            yield from _walk(child)
        else:
            for c in child:
                yield from _walk(c)


def _variables(node) -> list[str]:
    out: list[str] = []
    for n in _walk(node):
        if n.ast_type == ast.ASTType.Variable and n.name != "_" and n.name not in out:
            out.append(n.name)
    return out


class _Subst(ast.Transformer):
    """Replace variables: mapped ones by terms, the others (and ``_``) by ``_any``."""

    def __init__(self, mapping: dict[str, Any], keep: set[str] | None = None, rename_anon: bool = False):
        self.mapping, self.keep, self.rename_anon, self.fresh = mapping, keep, rename_anon, 0

    def visit_Variable(self, node):
        if node.name in self.mapping:
            return self.mapping[node.name]
        if node.name == "_":
            if self.rename_anon:
                self.fresh += 1
                return ast.Variable(node.location, f"WHYANON{self.fresh}")
            return ast.SymbolicTerm(node.location, clingo.Function(ANY))
        if self.keep is None or node.name in self.keep:
            return node
        return ast.SymbolicTerm(node.location, clingo.Function(ANY))


def _tuple(loc, terms: list) -> Any:
    return ast.Function(loc, "", list(terms), 0)


def _comment_above(lines: list[str], line: int) -> str:
    """The nearest comment block above a rule (skipping the rules of the same group)."""
    i = line - 2
    # skip code lines of the same group (earlier rules sharing the comment)
    while i >= 0 and lines[i].strip() and not lines[i].lstrip().startswith("%"):
        i -= 1
    block: list[str] = []
    while i >= 0 and lines[i].lstrip().startswith("%"):
        text = lines[i].strip().lstrip("%").strip()
        if re.fullmatch(r"[=\-\s]*", text) or re.match(r"^-{2,}.*-{2,}$", text):
            break  # a section rule or heading
        block.append(text)
        i -= 1
    if not block:  # a trailing comment on the rule's own line
        m = re.search(r"%\s*(.+)$", lines[line - 1]) if 0 < line <= len(lines) else None
        return m.group(1).strip() if m else ""
    return " ".join(reversed(block)).strip()


def _head_sig(head) -> tuple[str, int] | None:
    if head.ast_type != ast.ASTType.Literal or head.atom.ast_type != ast.ASTType.SymbolicAtom:
        return None
    t = head.atom.symbol
    if t.ast_type == ast.ASTType.Function:
        return (t.name, len(t.arguments))
    if t.ast_type == ast.ASTType.SymbolicTerm and t.symbol.type == clingo.SymbolType.Function:
        return (t.symbol.name, len(t.symbol.arguments))
    return None


def _valid(rule_text: str) -> bool:
    try:
        ctl = clingo.Control(["--warn=none"])
        ctl.add("base", [], rule_text)
        ctl.ground([("base", [])])
        return True
    except RuntimeError:
        return False


@dataclass
class _Parsed:
    """The knowledge base as statements, with what its heads and declarations say."""

    stmts: list[tuple[str, Any]]  # (file name, statement), in file order
    lines: dict[str, list[str]]  # file name -> its lines (for the comments)
    defined: dict[tuple[str, int], list]  # head signature -> the rules defining it
    shown: set[tuple[str, int]]  # #show signatures
    inputs: set[str]  # input predicate names (kb/input.lp)


def _parse_kb(files: list[tuple[str, str]]) -> _Parsed:
    """Parse the KB files and index their rules by head, their #show signatures and
    the input predicates (declared in input.lp and defined by no rule)."""
    stmts: list[tuple[str, Any]] = []
    for name, text in files:
        parsed: list[Any] = []
        ast.parse_string(text, parsed.append)
        stmts += [(name, s) for s in parsed]
    lines = {name: text.splitlines() for name, text in files}
    defined: dict[tuple[str, int], list] = {}
    shown: set[tuple[str, int]] = set()
    declared_inputs: set[tuple[str, int]] = set()
    for name, s in stmts:
        if s.ast_type == ast.ASTType.Rule:
            sig = _head_sig(s.head)
            if sig:
                defined.setdefault(sig, []).append(s)
        elif s.ast_type == ast.ASTType.ShowSignature:
            shown.add((s.name, s.arity))
        elif s.ast_type == ast.ASTType.Defined and name == "input.lp":
            declared_inputs.add((s.name, s.arity))
    inputs = {n for (n, a) in declared_inputs if (n, a) not in defined}
    inputs |= {"entity"}  # given for every entity of the scenario, derived for parents
    return _Parsed(stmts, lines, defined, shown, inputs)


def _bookkeeping(kbp: _Parsed) -> tuple[set[tuple[str, int]], dict[tuple[str, int], tuple[list[str], Any]]]:
    """The bookkeeping predicates (each rule one positive body atom plus comparisons)
    and, among them, the projections: a single rule ``p(X..) :- q(...).`` whose head
    arguments are distinct variables (name and arity -> (head variables, body term))."""
    projections: dict[tuple[str, int], tuple[list[str], Any]] = {}
    bookkeeping: set[tuple[str, int]] = set(EXTRA_BOOKKEEPING)
    for sig, rules in kbp.defined.items():
        if sig in kbp.shown or sig[0] in kbp.inputs:
            continue
        simple = True
        for r in rules:
            pos = [
                lit
                for lit in r.body
                if lit.ast_type == ast.ASTType.Literal
                and lit.sign == ast.Sign.NoSign
                and lit.atom.ast_type == ast.ASTType.SymbolicAtom
            ]
            rest = [
                lit
                for lit in r.body
                if lit not in pos
                and not (lit.ast_type == ast.ASTType.Literal and lit.atom.ast_type == ast.ASTType.Comparison)
            ]
            if len(pos) != 1 or rest:
                simple = False
                break
        if simple:
            bookkeeping.add(sig)
            if len(rules) == 1 and len(rules[0].body) == 1:
                h = rules[0].head.atom.symbol
                args = list(h.arguments) if h.ast_type == ast.ASTType.Function else []
                names = [a.name for a in args if a.ast_type == ast.ASTType.Variable]
                if len(names) == len(args) and len(set(names)) == len(names) and "_" not in names:
                    projections[sig] = (names, rules[0].body[0].atom.symbol)
    return bookkeeping, projections


def _term_sig(term) -> tuple[str, int] | None:
    """Name and arity of a function term (written or symbolic), else None."""
    if term.ast_type == ast.ASTType.Function:
        return (term.name, len(term.arguments))
    if term.ast_type == ast.ASTType.SymbolicTerm and term.symbol.type == clingo.SymbolType.Function:
        return (term.symbol.name, len(term.symbol.arguments))
    return None


def _negated_term(term, projections: dict[tuple[str, int], tuple[list[str], Any]]):
    """The atom a negative literal denies, seen through projections (at most five deep),
    its unbound variables replaced by ``_any``."""
    for _ in range(5):
        sig = _term_sig(term)
        if sig is None or sig not in projections:
            break
        names, body = projections[sig]
        args = term.arguments if term.ast_type == ast.ASTType.Function else []
        mapping = dict(zip(names, args))
        term = _Subst(mapping, keep=set()).visit(body)
    return _Subst({}, keep=None).visit(term)


def _reachable(kbp: _Parsed) -> set[tuple[str, int]]:
    """The head signatures a conclusion (_ROOTS) reaches through positive body atoms,
    aggregate elements included: only their rules get twins."""
    reach_deps: dict[tuple[str, int], set] = {}
    for sig, rules in kbp.defined.items():
        ds = reach_deps.setdefault(sig, set())
        for r in rules:
            for lit in r.body:
                for n in _walk(lit):
                    if (
                        n.ast_type == ast.ASTType.Literal
                        and n.sign == ast.Sign.NoSign
                        and n.atom.ast_type == ast.ASTType.SymbolicAtom
                    ):
                        s = _term_sig(n.atom.symbol)
                        if s is not None:
                            ds.add(s)
    reachable: set[tuple[str, int]] = set()
    todo = [(n, a) for n, a, _ in _ROOTS]
    while todo:
        sig = todo.pop()
        if sig not in reachable:
            reachable.add(sig)
            todo.extend(reach_deps.get(sig, ()))
    return reachable


@dataclass
class _Body:
    """A rule body sorted by what explain does with each literal."""

    literals: list  # the body, anonymous variables of positive literals named
    pos: list  # positive symbolic literals
    neg: list  # the atoms denied by negative literals (through projections)
    cmps: list  # comparisons
    aggs: list  # aggregates and conditional literals
    agg_bound: set[str]  # variables bound by an aggregate's guards
    globals: list[str]  # the rule's global variables (outside aggregates)
    anon: Any  # the renamer of anonymous variables (reused for the aggregates)


def _split_body(s, projections) -> _Body:
    """Sort a rule's body literals into positive atoms, denied atoms, comparisons and
    aggregates, and collect the rule's global variables in order of appearance."""
    anon = _Subst({}, rename_anon=True)
    body = [
        anon.visit(lit)
        if lit.ast_type == ast.ASTType.Literal
        and lit.sign == ast.Sign.NoSign
        and lit.atom.ast_type == ast.ASTType.SymbolicAtom
        else lit
        for lit in s.body
    ]
    b = _Body(body, [], [], [], [], set(), [], anon)

    def add_vars(node) -> None:
        for v in _variables(node):
            if v not in b.globals:
                b.globals.append(v)

    for lit in body:
        if lit.ast_type == ast.ASTType.Literal:
            a = lit.atom
            if a.ast_type == ast.ASTType.SymbolicAtom:
                if lit.sign == ast.Sign.NoSign:
                    b.pos.append(lit)
                    add_vars(lit)
                elif lit.sign == ast.Sign.Negation:
                    b.neg.append(_negated_term(a.symbol, projections))
            elif a.ast_type == ast.ASTType.Comparison:
                b.cmps.append(lit)
                add_vars(lit)
            elif a.ast_type in (ast.ASTType.BodyAggregate, ast.ASTType.Aggregate):
                b.aggs.append(lit)
                for g in (a.left_guard, a.right_guard):
                    if g is not None:
                        b.agg_bound.update(_variables(g))
                        add_vars(g)
        else:  # conditional literal
            b.aggs.append(lit)
    return b


def _twin_rule(s, info: RuleInfo, b: _Body, wname: str) -> str:
    """The twin ``_w<k>(RuleId, H, (values)) :- B.`` of a rule, filling in how ``info``
    rebuilds the instance's body atoms and comparison values from the twin's values.
    Atoms that cannot be rebuilt that way (arithmetic, external functions) are carried
    as they are."""
    loc = s.location
    info.aggregates = [re.sub(r"\s+", " ", str(a)) for a in b.aggs]
    for c in b.cmps:
        info.comparisons.append((str(c), _variables(c)))
    slots: list = [ast.Variable(loc, v) for v in b.globals]
    index = {v: i for i, v in enumerate(b.globals)}

    def spec(term):
        f = _compile(term, index)
        if f is not None:
            return f
        slots.append(term)
        return _slot(len(slots) - 1)

    info.pos = [spec(lit.atom.symbol) for lit in b.pos]
    info.neg = [spec(t) for t in b.neg]
    info.cmp_index = [[index[v] for v in vs] for _, vs in info.comparisons]
    info.g_index = [index[v] for v in _aggregate_key(b)]
    twin = ast.Rule(
        loc,
        ast.Literal(
            loc,
            ast.Sign.NoSign,
            ast.SymbolicAtom(
                ast.Function(
                    loc,
                    wname,
                    [ast.SymbolicTerm(loc, clingo.Number(info.id)), s.head.atom.symbol, _tuple(loc, slots)],
                    0,
                )
            ),
        ),
        b.literals,
    )
    return str(twin)


def _aggregate_key(b: _Body) -> list[str]:
    """The variables G of the positive literals that tie an aggregate's atoms to the
    rule instance (none when the rule has no aggregate)."""
    gvars: list[str] = []
    if b.aggs:
        for lit in b.pos:
            for v in _variables(lit):
                if v not in gvars:
                    gvars.append(v)
    return gvars


def _whyagg_rules(s, rid: int, b: _Body) -> list[str]:
    """The rules ``_whyagg(RuleId, G, Atom) :- Condition, Outer.`` listing the atoms each
    aggregate of the rule counted (those that ground on their own)."""
    loc = s.location
    g_term = _tuple(loc, [ast.Variable(loc, v) for v in _aggregate_key(b)])
    outer = list(b.pos) + [c for c in b.cmps if not (set(_variables(c)) & b.agg_bound)]
    out = []
    for lit in b.aggs:
        a = lit.atom if lit.ast_type == ast.ASTType.Literal else None
        elements = list(a.elements) if a is not None and hasattr(a, "elements") else []
        for el in elements:
            cond = list(el.condition) if hasattr(el, "condition") else []
            cond = [b.anon.visit(c) for c in cond]
            for c in cond:
                if (
                    c.ast_type == ast.ASTType.Literal
                    and c.sign == ast.Sign.NoSign
                    and c.atom.ast_type == ast.ASTType.SymbolicAtom
                ):
                    h = ast.Literal(
                        loc,
                        ast.Sign.NoSign,
                        ast.SymbolicAtom(
                            ast.Function(
                                loc, _WHYAGG, [ast.SymbolicTerm(loc, clingo.Number(rid)), g_term, c.atom.symbol], 0
                            )
                        ),
                    )
                    text = str(ast.Rule(loc, h, cond + outer))
                    if _valid(text):
                        out.append(text)
    return out


def _projection_rules(derived_sigs: list[tuple[str, int]]) -> tuple[list[str], list[str]]:
    """Each twinned predicate holds exactly when one of its twins does: the rules
    (for the rewritten KB) and the #show statements (for both programs)."""
    rules, shows = [], []
    for k, (n, a) in enumerate(derived_sigs):
        vs = [f"X{i}" for i in range(a)]
        atom = f"{n}({','.join(vs)})" if a else n
        rules.append(f"{atom} :- _w{k}(_, {atom}, _).")
        shows.append(f"#show _w{k}/3.")
    shows.append(f"#show {_WHYAGG}/3.")
    return rules, shows


def _build_program(files: list[tuple[str, str]]) -> Program:
    """The _why program of the KB files: every rule a conclusion can reach replaced by
    its twin (with its aggregates' _whyagg rules), and what rebuilds its instances."""
    kbp = _parse_kb(files)
    bookkeeping, projections = _bookkeeping(kbp)
    reachable = _reachable(kbp)
    out: list[str] = []  # the twins: added to the knowledge base (fallback)
    whole: list[str] = []  # the knowledge base with each reachable rule replaced by its twin
    derived_sigs: list[tuple[str, int]] = []
    infos: list[RuleInfo] = []
    for name, s in kbp.stmts:
        sig = _head_sig(s.head) if s.ast_type == ast.ASTType.Rule else None
        if s.ast_type != ast.ASTType.Rule or not s.body or sig is None or sig not in reachable:
            if s.ast_type not in (ast.ASTType.Comment, ast.ASTType.Program):
                whole.append(str(s))
            continue
        if sig not in derived_sigs:
            derived_sigs.append(sig)
        line = s.location.begin.line
        info = RuleInfo(len(infos), name, line, str(s), _comment_above(kbp.lines[name], line), sig)
        b = _split_body(s, projections)
        twin = _twin_rule(s, info, b, f"_w{derived_sigs.index(sig)}")
        aggs = _whyagg_rules(s, info.id, b)
        out += [twin] + aggs
        whole += [twin] + aggs
        infos.append(info)
    rules, shows = _projection_rules(derived_sigs)
    whole += [x for pair in zip(rules, shows) for x in pair] + shows[len(rules) :]
    out += shows
    return Program(
        "\n".join(out),
        infos,
        bookkeeping,
        kbp.inputs,
        kbp.shown,
        "\n".join(whole),
        derived_sigs,
        {f"_w{k}": sig for k, sig in enumerate(derived_sigs)},
        {sig: f"_w{k}" for k, sig in enumerate(derived_sigs)},
    )


def _slot(i: int):
    def f(vals):
        return vals[i]

    return f


def _compile(term, index: dict[str, int]):
    """A function of the twin's values giving the term, or None when the term needs
    clingo to evaluate it (arithmetic, external functions, pools, intervals)."""
    t = term.ast_type
    if t == ast.ASTType.Variable:
        if term.name not in index:
            return None
        return _slot(index[term.name])
    if t == ast.ASTType.SymbolicTerm:
        sym = term.symbol
        return lambda vals: sym
    if t == ast.ASTType.Function and not term.external:
        args = [_compile(a, index) for a in term.arguments]
        if any(a is None for a in args):
            return None
        name = term.name
        if not args:
            sym = clingo.Function(name, [])
            return lambda vals: sym
        if name:
            return lambda vals: clingo.Function(name, [a(vals) for a in args])
        return lambda vals: clingo.Tuple_([a(vals) for a in args])
    return None


_CACHE: dict[str, Program] = {}
_LOCK = threading.Lock()


def program() -> Program:
    """The _why program for the current knowledge base (built once per process)."""
    key = kb.kb_text()
    with _LOCK:
        p = _CACHE.get(key)
        if p is None:
            files = [(f.name, f.read_text(encoding="utf-8")) for f in kb.kb_files()]
            p = _build_program(files)
            ast.parse_string(p.whole, p.whole_ast.append)
            _CACHE[key] = p
        return p


# ============================================================================ the tree
def input_field(sym: clingo.Symbol) -> str | None:
    """Where in the scenario (JSON form) an input fact comes from (pyrules/schema.py)."""
    k = _key(sym)
    try:
        return _FIELDS[k]
    except KeyError:
        f = _FIELDS[k] = schema.input_path(sym)
        return f


_STRING = re.compile(r'("(?:[^"\\]|\\.)*")')
_BIG = re.compile(r"(?<![\w'])n\((\d+), (\d+), (\d+), (\d+), (\d+)\)")


def _big_text(m) -> str:
    v = 0
    for g in m.groups():
        v = v * 10**6 + int(g)
    return number_text(v).replace(",", "\x00")


def readable(text: str) -> str:
    """A readable form of clingo's text of a term: strings unquoted, n(...) numbers
    as integers, _any as _, a space after each comma."""
    parts = _STRING.split(text)
    for i, part in enumerate(parts):
        if i % 2:
            parts[i] = part[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        else:
            part = re.sub(r"(?<![\w'])_any(?![\w'])", "_", part)
            parts[i] = _BIG.sub(_big_text, part.replace(",", ", ")).replace("\x00", ",")
    return "".join(parts)


def top_args(text: str) -> tuple[str, list[str]]:
    """Name and top-level argument texts of clingo's text of an atom."""
    i = text.find("(")
    if i < 0:
        return text, []
    name, args, depth, start, quoted, esc = text[:i], [], 0, i + 1, False, False
    for j in range(i + 1, len(text) - 1):
        c = text[j]
        if quoted:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[start:j])
            start = j + 1
    args.append(text[start : len(text) - 1])
    return name, args


def atom_text(sym: clingo.Symbol) -> str:
    """A readable atom: strings unquoted, n(...) numbers as integers, _any as _."""
    return _texts(sym)[1]


def _texts(sym: clingo.Symbol) -> tuple[str, str, tuple[str, list[str]]]:
    """clingo's text of a symbol, its readable text and its top-level arguments (memoised)."""
    k = _key(sym)
    t = _TEXTS.get(k)
    if t is None:
        key = str(sym)
        t = _TEXTS[k] = (key, readable(key), top_args(key))
    return t


def _instantiate(text: str, names: list[str], values: Iterable[clingo.Symbol]) -> str:
    vals = dict(zip(names, (atom_text(v) for v in values)))
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"(?<![\w'])(_*[A-Z][A-Za-z0-9_']*)", lambda m: vals.get(m.group(1), m.group(1)), parts[i])
    return "".join(parts)


@dataclass
class _Instance:
    rule: int
    pos: tuple
    neg: tuple
    cmps: tuple
    g: Any  # key of the tuple of the rule's global variables (aggregates only)


# Per-process memos of what clingo symbols say about themselves. clingo interns its
# symbols for the life of the process, so a symbol's identity (``_rep``) always stands
# for the same term; each attribute access otherwise is a call into clingo. They hold
# nothing of any scenario but the terms themselves, and are cleared when they grow large.
_HAS_REP = hasattr(clingo.Number(0), "_rep")
_MEMO_LIMIT = 500_000
_NAMES: dict = {}  # model atom -> predicate name
_SIGS: dict = {}  # symbol -> (name, arity), or None for numbers and strings
_TWINS: dict = {}  # twin atom -> (key of its head, _Instance)
_AGGS: dict = {}  # _whyagg atom -> (rule id, key of G, atom)
_TEXTS: dict = {}  # atom -> (clingo's text, readable text, top-level arguments)
_FIELDS: dict = {}  # input fact -> its field (schema.input_path)


def _key(sym: clingo.Symbol):
    return sym._rep if _HAS_REP else sym


def _trim_memos() -> None:
    for m in (_NAMES, _SIGS, _TWINS, _AGGS, _TEXTS, _FIELDS):
        if len(m) > _MEMO_LIMIT:
            m.clear()


def _sig(sym: clingo.Symbol) -> tuple[str, int] | None:
    k = _key(sym)
    try:
        return _SIGS[k]
    except KeyError:
        s = _SIGS[k] = (sym.name, len(sym.arguments)) if sym.type == clingo.SymbolType.Function else None
        return s


def _twin(prog: Program, w: clingo.Symbol) -> tuple[Any, _Instance]:
    """The key of a twin atom's head and the rule instance it stands for."""
    k = _key(w)
    t = _TWINS.get(k)
    if t is None:
        rid, head, vals = w.arguments
        info = prog.rules[rid.number]
        v = vals.arguments
        g = _key(clingo.Tuple_([v[i] for i in info.g_index])) if info.aggregates else None
        inst = _Instance(
            rid.number,
            tuple(f(v) for f in info.pos),
            tuple(f(v) for f in info.neg),
            tuple([v[i] for i in ix] for ix in info.cmp_index),
            g,
        )
        t = _TWINS[k] = (_key(head), inst)
    return t


class _Builder:
    """Builds trees on demand: only the twins of the predicates reached are decoded."""

    def __init__(
        self,
        prog: Program,
        by_name: dict[str, list[clingo.Symbol]],
        raw: dict,
        whyagg: list[clingo.Symbol],
        given: set[clingo.Symbol],
        assumed: set[clingo.Symbol],
    ):
        self.p, self.given, self.assumed = prog, given, assumed
        self.provisions = kb.provisions()
        self.raw = raw  # "_w<k>" -> raw twin atoms, not yet decoded
        self.twin_of = prog.twin_of  # (name, arity) -> "_w<k>"
        self.inst: dict[Any, list[_Instance]] = {}  # key of a head -> its instances, model order
        self.decoded: set = set()
        self.agg: dict[tuple[int, Any], list[clingo.Symbol]] = {}
        for w in whyagg:
            k = _key(w)
            t = _AGGS.get(k)
            if t is None:
                rid, g, atom = w.arguments
                t = _AGGS[k] = (rid.number, _key(g), atom)
            self.agg.setdefault(t[:2], []).append(t[2])
        self.conditions = {}
        self.auth = {}
        for s in by_name.get("condition", ()):
            a = s.arguments
            if len(a) == 4:
                self.conditions[(str(a[0]), str(a[1]))] = a[2].name
        for s in by_name.get("authorization", ()):
            a = s.arguments
            if len(a) == 2:
                self.auth[str(a[0])] = a[1].name
        # The fields the answer names as missing (missing_fact/1): an absent input fact
        # of one of them is "missing", any other absent input fact "defaulted".
        self.missing_fields = {
            schema.field_path(s.arguments[0]) for s in by_name.get("missing_fact", ()) if len(s.arguments) == 1
        } - {None}
        self.support: dict[clingo.Symbol, _Instance] = {}
        self.rank: dict[clingo.Symbol, float] = {}
        self.expanded: set[clingo.Symbol] = set()
        self._derived: dict[clingo.Symbol, bool] = {}

    sig = staticmethod(_sig)

    def instances(self, sym: clingo.Symbol) -> list[_Instance]:
        sig = _sig(sym)
        if sig is None:
            return []
        if sig not in self.decoded:
            self.decoded.add(sig)
            inst, prog = self.inst, self.p
            for w in self.raw.get(self.twin_of.get(sig), ()):
                h, i = _twin(prog, w)
                if h in inst:
                    inst[h].append(i)
                else:
                    inst[h] = [i]
        return self.inst.get(_key(sym), [])

    def derived(self, sym: clingo.Symbol) -> bool:
        d = self._derived.get(sym)
        if d is None:
            d = self._derived[sym] = sym not in self.given and bool(self.instances(sym))
        return d

    # -- a well-founded order: each atom's support uses only atoms derived before it
    def _rank_of(self, sym: clingo.Symbol, stack: set) -> float:
        if sym in self.rank:
            return self.rank[sym]
        if not self.derived(sym):
            return 0
        if sym in stack:
            return float("inf")
        stack.add(sym)
        best, best_i = float("inf"), None
        for i in self.instances(sym):
            deps = i.pos if i.g is None else list(i.pos) + self.agg.get((i.rule, i.g), [])
            r: float = 0
            for d in deps:
                r = max(r, self._rank_of(d, stack))
                if r >= best:
                    break
            if r + 1 < best:
                best, best_i = r + 1, i
        stack.discard(sym)
        if best_i is not None and best != float("inf"):
            self.rank[sym], self.support[sym] = best, best_i
        return best

    def support_of(self, sym: clingo.Symbol) -> _Instance | None:
        if sym not in self.support and self.derived(sym):
            self._rank_of(sym, set())
        return self.support.get(sym)

    # -- labels and citations
    def provision_of(self, text: str, parsed: tuple[str, list[str]] | None = None) -> str | None:
        name, args = parsed or top_args(text)
        if name in ("fails", "undecided", "condition") and len(args) >= 2 and (args[0], args[1]) in self.conditions:
            return self.conditions[(args[0], args[1])]
        for a in args:
            if a in self.provisions:
                return a
        if args and args[0] in self.auth:
            return self.auth[args[0]]
        return None

    def _base(self, sym: clingo.Symbol, kind: str, text: str | None = None) -> dict:
        t = _texts(sym)
        key = t[0]
        pid = self.provision_of(key, t[2])
        node = {
            "atom": key,
            "text": text or t[1],
            "kind": kind,
            "provision": pid,
            "citation": self.provisions[pid]["citation"] if pid else None,
        }
        return node

    def node(self, sym: clingo.Symbol) -> dict:
        if sym in self.assumed:
            n = self._base(sym, "assumed")
            n["field"] = input_field(sym)
            return n
        if sym in self.given:
            n = self._base(sym, "given")
            n["field"] = input_field(sym)
            return n
        inst = self.support_of(sym)
        if inst is None:
            return self._base(sym, "rule data")
        info = self.p.rules[inst.rule]
        n = self._base(sym, "derived")
        n["rule"] = {"file": info.file, "line": info.line, "comment": info.comment}
        if sym in self.expanded:
            n["repeated"] = True
            n["children"] = []
            return n
        self.expanded.add(sym)
        children = self.expand(sym, inst, collapsed=False)
        if not any(c["kind"] not in ("computed",) for c in children) and not inst.neg and not inst.pos:
            n["kind"] = "rule data"  # a rule with only comparisons in its body (a table)
        n["children"] = children
        return n

    def expand(self, head: clingo.Symbol, inst: _Instance, collapsed: bool) -> list[dict]:
        info = self.p.rules[inst.rule]
        seen: set = set()
        out: list[dict] = []

        def add(n: dict) -> None:
            key = (n["kind"], n["atom"])
            if key not in seen:
                seen.add(key)
                out.append(n)

        atoms = list(inst.pos) + list(self.agg.get((inst.rule, inst.g), []))
        for a in atoms:
            sup = self.support_of(a) if self._is_bookkeeping(a) and a not in self.given else None
            if sup is not None:
                for c in self.expand(a, sup, collapsed=True):
                    add(c)
            else:
                add(self.node(a))
        for a in inst.neg:
            n = self.absent(a, head)
            if n is not None:
                add(n)
        if not collapsed:
            for (text, names), vals in zip(info.comparisons, inst.cmps):
                t = _instantiate(text, names, vals)
                add({"atom": t, "text": t, "kind": "computed", "provision": None, "citation": None})
            for t in info.aggregates:
                add({"atom": t, "text": t, "kind": "computed", "provision": None, "citation": None})
        return out

    def _is_bookkeeping(self, sym: clingo.Symbol) -> bool:
        return self.sig(sym) in self.p.bookkeeping

    def absent(self, sym: clingo.Symbol, head: clingo.Symbol) -> dict | None:
        sig = self.sig(sym)
        if sig is None:
            return None
        if sig[0].startswith("regime_"):
            return None  # no regime: the rule as written
        if sig[0] in self.p.inputs:
            field = input_field(sym)
            kind = "missing" if field in self.missing_fields else "defaulted"
            n = self._base(sym, kind, ("not given: " if kind == "defaulted" else "missing: ") + atom_text(sym))
            n["field"] = field
            return n
        if self._is_bookkeeping(sym):
            return None
        return self._base(sym, "absent", "absent: " + atom_text(sym))


# ============================================================================ public API
_ROOTS = [  # (predicate, arity, section) in the order they are explained
    ("licence_required", 1, "licence required"),
    ("control", 3, "control"),
    ("item_outside_rule", 2, "item outside the rule"),
    ("policy", 2, "licensing policy"),
    ("policy_candidate", 2, "policy candidate"),
    ("overlap", 2, "overlap"),
    ("authorized", 1, "authorized"),
    ("authorization_status", 2, "authorization"),
    ("fails", 2, "condition fails"),
    ("undecided", 3, "condition undecided"),
    ("claim_fails", 1, "claimed authorization fails"),
    ("obligation", 4, "obligation"),
    ("missing_fact", 1, "missing fact"),
    ("red_flag", 3, "red flag"),
    ("fdp_applies", 3, "foreign direct product rule"),
    ("reading_matters", 1, "reading matters"),
]


def _statement(sym: clingo.Symbol, section: str) -> str:
    a = [atom_text(x) for x in sym.arguments]
    n = sym.name
    if n in ("licence_required", "authorized"):
        return f"{'Licence required' if n == 'licence_required' else 'Authorized'}: {a[0]}"
    if n == "control":
        return f"Item {a[0]} is controlled as {a[1]}"
    if n == "policy":
        return f"Licensing policy: {a[0].replace('_', ' ')}"
    if n == "policy_candidate":
        return f"Policy candidate: {a[0].replace('_', ' ')} ({a[1]})"
    if n == "authorization_status":
        return f"{a[0].upper()}: {a[1]}"
    if n == "fails":
        return f"{a[0].upper()} condition fails: {a[1]}"
    if n == "undecided":
        return f"{a[0].upper()} condition undecided: {a[1]} (missing {a[2]})"
    if n == "obligation":
        return f"Obligation: {a[2]}"
    if n == "missing_fact":
        return f"Missing fact: {a[0]}"
    if n == "reading_matters":  # the topic's plain title (reading_title/2), then its name
        return f"Reading matters: {kb.reading_title(a[0])} ({atom_text(sym)})"
    if n == "item_outside_rule":  # the reason in words (outside_reason_text/2)
        from pyrules.output.determination import fill_text

        why = kb.outside_reason_texts().get(a[1], a[1].replace("_", " "))
        return f"Item {a[0]} is outside the rule: {fill_text(why, {}, kb.key_dates())}"
    return f"{section[0].upper()}{section[1:]}: {atom_text(sym)}"


@dataclass
class Explanation:
    scenario: str
    conclusions: list[dict]

    def to_json(self) -> dict:
        return {
            "format_version": EXPLANATION_FORMAT_VERSION,
            "scenario": self.scenario,
            "labels": LABELS,
            "conclusions": self.conclusions,
        }

    def nodes(self) -> Iterator[dict]:
        """Every node of every tree, depth first."""
        stack = [c["tree"] for c in reversed(self.conclusions)]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.get("children", [])))

    def conclusion(self, atom: str) -> dict:
        """The conclusion whose atom is ``atom`` (as clingo prints it)."""
        for c in self.conclusions:
            if c["atom"] == atom:
                return c
        raise KeyError(f"{atom} is not a conclusion; conclusions: {[c['atom'] for c in self.conclusions]}")

    def to_text(self) -> str:
        out = [f"== Explanation: {self.scenario}"]
        for c in self.conclusions:
            out.append("")
            out.append(c["statement"] + (f"  [{c['tree']['citation']}]" if c["tree"].get("citation") else ""))
            _render(c["tree"], out, "  ")
        return "\n".join(out)


def _render(n: dict, out: list[str], indent: str) -> None:
    cite = f"  [{n['citation']}]" if n.get("citation") else ""
    kind = n["kind"]
    if kind == "derived":
        where = f"  <- {n['rule']['file']}:{n['rule']['line']}" if n.get("rule") else ""
        rep = "  (explained above)" if n.get("repeated") else ""
        out.append(f"{indent}{n['text']}{cite}{where}{rep}")
        if n.get("rule", {}).get("comment") and not n.get("repeated"):
            out.append(f'{indent}    "{n["rule"]["comment"]}"')
    elif kind in ("given", "assumed"):
        f = f" ({n['field']})" if n.get("field") else ""
        out.append(f"{indent}{n['text']}{cite}  -- {kind}{f}")
    else:
        out.append(f"{indent}{n['text']}{cite}  -- {kind}")
    for c in n.get("children", []):
        _render(c, out, indent + "  ")


def _symbols(assumed) -> set[clingo.Symbol]:
    out = set()
    for a in assumed or ():
        out.add(a if isinstance(a, clingo.Symbol) else clingo.parse_term(str(a)))
    return out


_WHOLE_OK: dict[int, bool] = {}


def _solve(prog: Program, facts: list[clingo.Symbol], engine=None) -> list[clingo.Symbol]:
    """The unique answer set with the _why atoms. The rewritten knowledge base
    (each body grounded once) is used; should it ever fail to ground, the
    knowledge base plus the twins is used instead."""
    from pyrules.engine.arithmetic import Arithmetic
    from pyrules.engine.control import KnowledgeBaseError, _release, default_engine

    if engine is None and _WHOLE_OK.get(id(prog), True):
        try:
            ctl = clingo.Control(["--warn=none", "--models=2"])
            with ast.ProgramBuilder(ctl) as builder:
                for stmt in prog.statements_for(frozenset((f.name, len(f.arguments)) for f in facts)):
                    builder.add(stmt)
            with ctl.backend() as backend:
                for sym in facts:
                    backend.add_rule([backend.add_atom(sym)])
            ctl.ground([("base", [])], context=Arithmetic())
            found: list[list[clingo.Symbol]] = []
            ctl.solve(on_model=lambda m: found.append(list(m.symbols(shown=True))))
            _release(ctl)
            if len(found) != 1:
                raise KnowledgeBaseError(f"the knowledge base gave {len(found)} answer sets instead of exactly one")
            return found[0]
        except RuntimeError as exc:
            if isinstance(exc, KnowledgeBaseError):
                raise
            _WHOLE_OK[id(prog)] = False
    return (engine or default_engine()).answer(facts, extra_program=prog.text)


def explain_facts(
    name: str, facts: list[clingo.Symbol], assumed=(), engine=None
) -> tuple[list[clingo.Symbol], Explanation]:
    """Solve the knowledge base with the _why program for these input facts.

    Returns the shown atoms (what ``Engine.answer`` would return) and the explanation."""
    prog = program()
    atoms = _solve(prog, facts, engine)
    shown = []
    by_name: dict[str, list[clingo.Symbol]] = {}  # the shown atoms and the twins, by predicate name
    names = prog.twin_names
    _trim_memos()
    memo = _NAMES
    for a in atoms:
        k = a._rep if _HAS_REP else a
        n = memo.get(k)
        if n is None:
            n = memo[k] = a.name
        if n in by_name:
            by_name[n].append(a)
        else:
            by_name[n] = [a]
        if n not in names and n != _WHYAGG:
            shown.append(a)
    assumed_syms = _symbols(assumed)
    b = _Builder(prog, by_name, by_name, by_name.get(_WHYAGG, []), set(facts), assumed_syms)
    conclusions = []

    def of_sig(pred: str, arity: int) -> list[clingo.Symbol]:
        return [a for a in by_name.get(pred, ()) if len(a.arguments) == arity]

    considered = {a.arguments[0] for a in of_sig("authorization_status", 2)}
    has_policy = bool(of_sig("policy", 2))
    for pred, arity, section in _ROOTS:
        for sym in sorted(of_sig(pred, arity)):
            if pred in ("fails", "undecided") and sym.arguments[0] not in considered:
                continue
            if pred == "policy_candidate" and has_policy:
                continue
            conclusions.append(
                {"conclusion": section, "atom": str(sym), "statement": _statement(sym, section), "tree": b.node(sym)}
            )
    return shown, Explanation(name, conclusions)


def explain_scenario(scenario: Scenario | dict, as_of: str | None = None, regime=None, assumed=()):
    """Evaluate a scenario and explain it in one run: (Determination, Explanation).

    ``assumed``: input facts (clingo symbols or their text) set by a counterfactual;
    they are labelled "assumed" instead of "given". Regime facts are labelled "assumed"."""
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    facts = scenario_facts(scenario, as_of)
    assumed = set(_symbols(assumed))
    if regime is not None:
        rf = list(regime.facts())
        facts = facts + rf
        assumed |= set(rf)
    shown, ex = explain_facts(scenario.name, facts, assumed)
    d = Determination.from_atoms(scenario, shown, as_of=as_of or scenario.date)
    return d, ex


def explain_determination(d: Determination, assumed=(), regime=None) -> Explanation:
    """The explanation of an evaluated Determination (re-solves its scenario with the _why program)."""
    if d.source is None:
        raise ValueError("this Determination has no scenario to explain")
    as_of = d.as_of if d.as_of != d.source.date else None
    return explain_scenario(d.source, as_of=as_of, regime=regime, assumed=assumed)[1]
