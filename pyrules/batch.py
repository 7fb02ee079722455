"""Many transactions in one clingo call.

The knowledge base is written for one transaction at a time, as a lawyer reads
it. For batches, this module rewrites it mechanically (clingo.ast): every
predicate that depends on a transaction's input facts gets the transaction's
id as a new first argument, and every rewritten rule is guarded by ``txn(T)``.
Predicates that depend only on the rule itself (countries, tiers, the chip
catalogue, provisions, parameters) are left alone and grounded once. No rule's
meaning changes; the rewritten program decides each transaction exactly as the
original does alone (tested in tests/test_batch.py).
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Sequence

import clingo
import clingo.ast as ast

from . import kb
from .arithmetic import Arithmetic

TXN = "T__"


def input_signatures() -> set[tuple[str, int]]:
    """The per-transaction input predicates: the #defined lines of kb/input.lp
    before the regime section (regime facts apply to every transaction)."""
    text = (kb.kb_dir() / "input.lp").read_text(encoding="utf-8")
    text = text.split("% Regime what-ifs")[0]
    return {(m.group(1), int(m.group(2))) for m in re.finditer(r"#defined\s+(\w+)/(\d+)\.", text)}


class _Atoms(ast.Transformer):
    def __init__(self):
        self.sigs: set[tuple[str, int]] = set()

    def visit_SymbolicAtom(self, node):
        sym = node.symbol
        if sym.ast_type == ast.ASTType.Function:
            self.sigs.add((sym.name, len(sym.arguments)))
        elif sym.ast_type == ast.ASTType.SymbolicTerm:
            s = sym.symbol
            self.sigs.add((s.name, len(s.arguments)))
        return node


def _sigs(node) -> set[tuple[str, int]]:
    c = _Atoms()
    c(node)
    return c.sigs


class _AddTxn(ast.Transformer):
    def __init__(self, dynamic: set[tuple[str, int]], loc):
        self.dynamic = dynamic
        self.var = ast.Variable(loc, TXN)

    def visit_SymbolicAtom(self, node):
        sym = node.symbol
        if sym.ast_type == ast.ASTType.SymbolicTerm:
            s = sym.symbol
            if (s.name, len(s.arguments)) in self.dynamic:
                sym = ast.Function(sym.location, s.name, [ast.SymbolicTerm(sym.location, a) for a in s.arguments], 0)
            else:
                return node
        if sym.ast_type == ast.ASTType.Function and (sym.name, len(sym.arguments)) in self.dynamic:
            return node.update(symbol=sym.update(arguments=[self.var] + list(sym.arguments)))
        return node


@functools.lru_cache(maxsize=None)
def _parsed(extra: str) -> tuple[list, list, frozenset]:
    """The statements of the KB (plus ``extra``), its rules, and the dynamic
    signatures: inputs and whatever a rule derives from them."""
    stmts: list = []
    ast.parse_string(kb.kb_text() + "\n" + extra, stmts.append)
    rules = [s for s in stmts if s.ast_type == ast.ASTType.Rule]
    dynamic = set(input_signatures())
    changed = True
    while changed:
        changed = False
        for r in rules:
            heads = _sigs(r.head)
            if heads - dynamic and (_sigs_body(r) & dynamic):
                dynamic |= heads
                changed = True
    return stmts, rules, frozenset(dynamic)


def _rewrite(s, dynamic):
    """A rule with the transaction id added to its dynamic atoms (guarded by txn/1)."""
    if _sigs(s.head) & dynamic or _sigs_body(s) & dynamic:
        t = _AddTxn(dynamic, s.location)
        guard = ast.Literal(s.location, ast.Sign.NoSign,
                            ast.SymbolicAtom(ast.Function(s.location, "txn", [t.var], 0)))
        s = s.update(head=t(s.head), body=[guard] + [t(b) for b in s.body])
    return str(s)


@functools.lru_cache(maxsize=None)
def _batch_program(extra: str = "", show: frozenset | None = None) -> tuple[str, frozenset]:
    stmts, rules, dynamic = _parsed(extra)
    keep = _needed(rules, show) if show is not None else None
    out: list[str] = []
    for s in stmts:
        if s.ast_type == ast.ASTType.Rule:
            if keep is not None and not (_sigs(s.head) & keep):
                continue            # not needed for what is shown
            out.append(_rewrite(s, dynamic))
        elif s.ast_type == ast.ASTType.ShowSignature:
            if show is not None:
                continue
            if (s.name, s.arity) in dynamic:
                out.append(f"#show {s.name}/{s.arity + 1}.")
            else:
                out.append(str(s))
        elif s.ast_type == ast.ASTType.Defined:
            if (s.name, s.arity) in dynamic:
                out.append(f"#defined {s.name}/{s.arity + 1}.")
            else:
                out.append(str(s))
        elif s.ast_type == ast.ASTType.Program:
            continue
        else:
            out.append(str(s))
    for name, arity in sorted(show or ()):
        out.append(f"#show {name}/{arity + 1 if (name, arity) in dynamic else arity}.")
    return "\n".join(out), dynamic


def _needed(rules, show) -> set[tuple[str, int]]:
    """The predicates the shown ones depend on, directly or not (positively or
    through negation): only their rules are kept."""
    deps: dict[tuple[str, int], set] = {}
    for r in rules:
        body = _sigs_body(r)
        for h in _sigs(r.head):
            deps.setdefault(h, set()).update(body)
    need = set(show)
    todo = list(need)
    while todo:
        for d in deps.get(todo.pop(), ()):
            if d not in need:
                need.add(d)
                todo.append(d)
    return need


def _sigs_body(rule) -> set[tuple[str, int]]:
    out: set[tuple[str, int]] = set()
    for b in rule.body:
        out |= _sigs(b)
    return out


def batch_program(extra: str = "") -> str:
    return _batch_program(extra)[0]


def dynamic_signatures() -> frozenset:
    return _batch_program("")[1]


def _split(symbols, dynamic, parts: dict):
    """(transaction number, the atom without it) for each shown atom; (None, atom) for an
    atom shared by all transactions. Reads each atom as text once (cheaper than walking
    it through the clingo API) and makes one symbol per distinct remainder."""
    names = {n for n, _ in dynamic}
    for s in symbols:
        text = str(s)
        p = text.find("(")
        name = text[:p] if p > 0 else text
        if p < 0 or name not in names:
            yield None, s
            continue
        j = p + 1
        while text[j].isdigit():
            j += 1
        if j == p + 1 or text[j] not in ",)":
            yield None, s
            continue
        if text[j] == ")":
            rest = name
        else:
            rest = name + "(" + text[j + 1:]
        sym = parts.get(rest)
        if sym is None:
            sym = clingo.parse_term(rest)
            if (sym.name, len(sym.arguments)) not in dynamic:   # same name, static arity
                yield None, s
                continue
            parts[rest] = sym
        yield int(text[p + 1:j]), sym


def tag(txn: int, sym: clingo.Symbol) -> clingo.Symbol:
    """An input fact of transaction ``txn``."""
    return clingo.Function(sym.name, [clingo.Number(txn)] + list(sym.arguments))


def solve_batch(fact_lists: Sequence[Iterable[clingo.Symbol]], extra_facts: Iterable[clingo.Symbol] = (),
                extra_program: str = "", show: Iterable[tuple[str, int]] | None = None) -> dict[int, list[clingo.Symbol]]:
    """Evaluate many transactions in one clingo call.

    ``fact_lists[i]`` are the input facts of transaction i+1 (as pyrules.facts makes
    them). Returns, per transaction number, its shown atoms with the number removed,
    so each list reads exactly like a single evaluation's answer set.
    """
    ctl = clingo.Control(["--warn=none", "--models=2"])
    show_set = frozenset(show) if show is not None else None
    program, dynamic = _batch_program(extra_program, show_set)
    ctl.add("base", [], program)
    with ctl.backend() as b:
        for i, facts in enumerate(fact_lists, start=1):
            b.add_rule([b.add_atom(clingo.Function("txn", [clingo.Number(i)]))])
            for f in facts:
                b.add_rule([b.add_atom(tag(i, f))])
        for f in extra_facts:
            b.add_rule([b.add_atom(f)])
    ctl.ground([("base", [])], context=Arithmetic())
    models: list[list[clingo.Symbol]] = []
    ctl.solve(on_model=lambda m: models.append(m.symbols(shown=True)))
    if len(models) != 1:
        from .engine import KnowledgeBaseError
        raise KnowledgeBaseError(f"the batch gave {len(models)} answer sets instead of exactly one")
    out: dict[int, list[clingo.Symbol]] = {i: [] for i in range(1, len(fact_lists) + 1)}
    shared: list[clingo.Symbol] = []
    for txn, sym in _split(models[0], dynamic, {}):
        if txn is None:
            shared.append(sym)
        else:
            out[txn].append(sym)
    for i in out:
        out[i].extend(shared)
    return out


# --- two steps in one clingo control (the ledger) ---------------------------------------------------
#
# Some input facts of a transaction (the ledger's running totals, ``fact(Name, V)`` for a
# few names) are only known after other transactions have been decided. The rules are
# split into those that never look at such a fact, directly or not ("early"), and the
# rest ("late"). Step 1 grounds the early rules for every transaction; step 2 adds the
# late facts and grounds the late rules in the same control, which still holds step 1's
# atoms. Together they are the whole program, grounded once.

class _LateFacts(ast.Transformer):
    """Does a body read ``fact(Name, _)`` for one of ``names`` (or for any name)?"""

    def __init__(self, names: frozenset):
        self.names = names
        self.found = False

    def visit_SymbolicAtom(self, node):
        sym = node.symbol
        if sym.ast_type == ast.ASTType.Function and sym.name == "fact" and len(sym.arguments) == 2:
            a = sym.arguments[0]
            if a.ast_type == ast.ASTType.Function and not a.arguments:
                self.found |= a.name in self.names
            elif a.ast_type == ast.ASTType.SymbolicTerm and a.symbol.type == clingo.SymbolType.Function:
                self.found |= a.symbol.name in self.names
            else:                   # a variable or another term: it may be one of them
                self.found = True
        return node


def _reads_late(rule, names: frozenset) -> bool:
    t = _LateFacts(names)
    for b in rule.body:
        t(b)
    return t.found


@functools.lru_cache(maxsize=None)
def staged_program(extra: str, show1: frozenset, show2: frozenset, late_names: frozenset) -> tuple[str, str, frozenset]:
    """(step 1 program, step 2 program, dynamic signatures). ``show1`` must not depend on
    the late facts; step 2 shows ``show2`` (and step 1's atoms stay shown)."""
    stmts, rules, dynamic = _parsed(extra)
    keep = _needed(rules, show1 | show2)
    rules = [r for r in rules if _sigs(r.head) & keep]
    late_preds: set = set()
    late = [_reads_late(r, late_names) for r in rules]
    changed = True
    while changed:
        changed = False
        for i, r in enumerate(rules):
            heads = _sigs(r.head)
            if not late[i] and (heads & late_preds or _sigs_body(r) & late_preds):
                late[i] = True
            if late[i] and heads - late_preds:
                late_preds |= heads
                changed = True
    if show1 & late_preds:
        raise ValueError(f"step 1 cannot show {sorted(show1 & late_preds)}: they depend on the late facts")
    one: list[str] = []
    two: list[str] = []
    for i, r in enumerate(rules):
        (two if late[i] else one).append(_rewrite(r, dynamic))
    for s in stmts:
        if s.ast_type == ast.ASTType.Defined:
            one.append(f"#defined {s.name}/{s.arity + 1}." if (s.name, s.arity) in dynamic else str(s))
        elif s.ast_type not in (ast.ASTType.Rule, ast.ASTType.Program, ast.ASTType.ShowSignature,
                                ast.ASTType.ShowTerm):
            one.append(str(s))

    def shows(sigs):
        return [f"#show {n}/{a + 1 if (n, a) in dynamic else a}." for n, a in sorted(sigs)]
    return "\n".join(one + shows(show1)), "\n".join(two + shows(show2 - show1)), dynamic


def _tagged_facts(fact_lists, start: int = 1):
    """``txn(T)`` and each input fact with T as its first argument (one Function per fact;
    a fact's name and arguments are read from clingo once per distinct fact)."""
    Function, Number = clingo.Function, clingo.Number
    parts: dict = {}
    for i, facts in enumerate(fact_lists, start=start):
        n = Number(i)
        yield Function("txn", [n])
        for f in facts:
            p = parts.get(f)
            if p is None:
                p = parts[f] = (f.name, f.arguments)
            yield Function(p[0], [n, *p[1]])


class StagedBatch:
    """Many transactions, decided in two steps of one clingo control (see above).

    ``first()`` and ``second(late)`` return, per transaction number, its shown atoms
    as ``(name, arguments)`` with the transaction number removed."""

    def __init__(self, fact_lists: Sequence[Sequence[clingo.Symbol]], extra_program: str,
                 show1: Iterable[tuple[str, int]], show2: Iterable[tuple[str, int]],
                 late_names: Iterable[str], start: int = 1):
        self.n = len(fact_lists)
        self.start = start
        p1, p2, self.dynamic = staged_program(extra_program, frozenset(show1), frozenset(show2),
                                              frozenset(late_names))
        self.parts: dict = {}           # an atom's text without the transaction -> its symbol
        self.na: dict = {}              # that symbol -> (name, arguments)
        self.ctl = clingo.Control(["--warn=none", "--models=2"])
        self.ctl.add("step1", [], p1)
        self.ctl.add("step2", [], p2)
        with self.ctl.backend() as b:
            add_rule, add_atom = b.add_rule, b.add_atom
            for f in _tagged_facts(fact_lists, start):
                add_rule([add_atom(f)])
        self.ctl.ground([("step1", [])], context=Arithmetic())

    def _solve(self) -> dict[int, list[tuple[str, list]]]:
        models: list = []
        self.ctl.solve(on_model=lambda m: models.append(m.symbols(shown=True)))
        if len(models) != 1:
            from .engine import KnowledgeBaseError
            raise KnowledgeBaseError(f"the batch gave {len(models)} answer sets instead of exactly one")
        out: dict[int, list] = {i: [] for i in range(self.start, self.start + self.n)}
        shared: list = []
        for txn, sym in _split(models[0], self.dynamic, self.parts):
            if txn is None:
                shared.append((sym.name, sym.arguments))
            else:
                out[txn].append(self.parts_na(sym))
        if shared:
            for v in out.values():
                v.extend(shared)
        return out

    def parts_na(self, sym):
        p = self.na.get(sym)
        if p is None:
            p = self.na[sym] = (sym.name, sym.arguments)
        return p

    def first(self) -> dict[int, list[tuple[str, list]]]:
        return self._solve()

    def second(self, late_facts: Iterable[tuple[int, str, Sequence[clingo.Symbol]]]) -> dict[int, list[tuple[str, list]]]:
        """``late_facts``: (transaction number, predicate, arguments) of input facts known
        only now, e.g. the running totals."""
        Number, Function = clingo.Number, clingo.Function
        with self.ctl.backend() as b:
            for i, name, args in late_facts:
                b.add_rule([b.add_atom(Function(name, [Number(i), *args]))])
        self.ctl.ground([("step2", [])], context=Arithmetic())
        return self._solve()
