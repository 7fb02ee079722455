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
def _batch_program(extra: str = "", show: frozenset | None = None) -> tuple[str, frozenset]:
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
    keep = _needed(rules, show) if show is not None else None
    out: list[str] = []
    for s in stmts:
        if s.ast_type == ast.ASTType.Rule:
            if keep is not None and not (_sigs(s.head) & keep):
                continue            # not needed for what is shown
            if _sigs(s.head) & dynamic or _sigs_body(s) & dynamic:
                t = _AddTxn(dynamic, s.location)
                guard = ast.Literal(s.location, ast.Sign.NoSign,
                                    ast.SymbolicAtom(ast.Function(s.location, "txn", [t.var], 0)))
                s = s.update(head=t(s.head), body=[guard] + [t(b) for b in s.body])
            out.append(str(s))
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
    return "\n".join(out), frozenset(dynamic)


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
    for s in models[0]:
        name, args = s.name, s.arguments
        if (name, len(args) - 1) in dynamic and args and args[0].type == clingo.SymbolType.Number:
            out[args[0].number].append(clingo.Function(name, args[1:]))
        else:
            shared.append(s)
    for i in out:
        out[i].extend(shared)
    return out
