"""Many transactions in one clingo call.

The knowledge base is written for one transaction at a time, as a lawyer reads
it. For batches, this module rewrites it mechanically (clingo.ast): every
predicate that depends on a transaction's input facts gets the transaction's
id as a new first argument, and every rewritten rule is guarded by ``txn(T)``.
Predicates that depend only on the rule itself (countries, tiers, the chip
catalogue, provisions, parameters) are left alone and grounded once. No rule's
meaning changes; the rewritten program decides each transaction exactly as the
original does alone (tested in tests/test_batch.py).

Context-indexed predicates. Some dynamic predicates depend on a transaction only
through its date, its chosen readings, its action, where it ships from and whether it
goes through a distributor (``as_of/1``, ``chosen_reading/2``, ``action/1``,
``ship_from/1``, ``via_distributor/1``: inputs that few transactions of a batch differ
in): e.g. ``in_force/1``, ``rule_status/3``, ``reading/2``. Many transactions share
these, so such predicates are grounded once per distinct *context* instead of once
per transaction. A context is the set of a transaction's facts of those inputs (read
from the facts in Python, numbered 1, 2, ...); the facts are given once per context,
and a transaction's rule reads them through its context like the predicates below;
``txn_ctx__(T, K)`` says transaction T has context K, ``ctx__(K)`` lists the contexts,
and ``as_of__c(K, D)``, ``chosen_reading__c(K, T, C)`` are the context's own facts. A
predicate is context-indexed when every rule deriving it reads, of the transaction's
inputs, only those facts and other context-indexed predicates (computed from the rules).
It becomes ``p__c(K, ...)``, its rules are guarded by ``ctx__(K)``, and a transaction's
rule that uses it joins through the transaction's context: ``in_force(P)`` in a body
becomes ``txn_ctx__(T, K), in_force__c(K, P)``. As each transaction has exactly one
context whose facts are exactly its own, a context's atoms are the ones the
transaction would derive alone, negation included (a transaction without a date has
a context without ``as_of__c``, so ``not as_of(_)`` holds there). An input that some
rule derives (a mode's ``as_of(D) :- ...``) is not a context input.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path
from typing import NamedTuple
from collections.abc import Iterable, Sequence

import clingo
import clingo.ast as ast

from pyrules.engine import kb
from pyrules.engine.arithmetic import Arithmetic
from pyrules.errors import KnowledgeBaseError
from pyrules.inputs.facts import arg_text

TXN = "T__"
CTX = "K__"
# Inputs that make up a transaction's context (see the module's docstring).
CONTEXT_INPUTS = frozenset(
    {("as_of", 1), ("chosen_reading", 2), ("action", 1), ("ship_from", 1), ("via_distributor", 1), ("view", 1)}
)
SUFFIX = "__c"  # p/n context-indexed -> p__c/(n+1)


class _Memo(Arithmetic):
    """The grounding context of a batch: the functions of pyrules.arithmetic.Arithmetic,
    each value computed once per distinct arguments (the rows of a ledger repeat the
    same chips and quantities). The values are Arithmetic's own."""

    def __init__(self):
        self._memo: dict = {}

    def _once(self, fn, *args):
        key = (fn,) + args
        r = self._memo.get(key)
        if r is None:
            r = self._memo[key] = fn(self, *args)
        return r

    def times(self, q, t):
        return self._once(Arithmetic.times, q, t)

    def plus(self, x, y):
        return self._once(Arithmetic.plus, x, y)

    def scaled(self, x, k):
        return self._once(Arithmetic.scaled, x, k)

    def percent(self, x, p):
        return self._once(Arithmetic.percent, x, p)


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
    """Adds the transaction (``T__``) to the atoms of ``dynamic`` predicates, and the
    context (``K__``, renamed ``p__c``) to those of ``context`` predicates; ``used_ctx``
    tells whether any was met."""

    def __init__(self, dynamic, loc, context=frozenset()):
        self.dynamic = dynamic
        self.context = context
        self.var = ast.Variable(loc, TXN)
        self.ctx = ast.Variable(loc, CTX)
        self.used_ctx = False

    def visit_SymbolicAtom(self, node):
        sym = node.symbol
        if sym.ast_type == ast.ASTType.SymbolicTerm:
            s = sym.symbol
            if s.type != clingo.SymbolType.Function:
                return node
            sig = (s.name, len(s.arguments))
            if sig in self.context or sig in self.dynamic:
                sym = ast.Function(sym.location, s.name, [ast.SymbolicTerm(sym.location, a) for a in s.arguments], 0)
            else:
                return node
        if sym.ast_type == ast.ASTType.Function:
            sig = (sym.name, len(sym.arguments))
            if sig in self.context:
                self.used_ctx = True
                return node.update(
                    symbol=sym.update(name=sym.name + SUFFIX, arguments=[self.ctx] + list(sym.arguments))
                )
            if sig in self.dynamic:
                return node.update(symbol=sym.update(arguments=[self.var] + list(sym.arguments)))
        return node


@functools.cache
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


@functools.cache
def _context(extra: str) -> tuple[frozenset, frozenset]:
    """(context-indexed predicates, context inputs) of the KB plus ``extra``: the largest
    set of derived dynamic predicates whose rules read, of the dynamic predicates, only
    the context inputs and predicates of the set (see the module's docstring)."""
    _, rules, dynamic = _parsed(extra)
    derived: set = set()
    for r in rules:
        derived |= _sigs(r.head)
    inputs = input_signatures()
    ctx_inputs = frozenset(s for s in CONTEXT_INPUTS if s in inputs and s not in derived)
    cands = set(dynamic) - inputs
    names = {n for n, _ in dynamic} | {n for n, _ in derived}
    cands = {s for s in cands if s[0] + SUFFIX not in names}  # a name of its own
    info = [(_sigs(r.head) & dynamic, _sigs_body(r) & dynamic) for r in rules]
    changed = True
    while changed:
        changed = False
        for heads, body in info:
            if heads & cands and not (heads <= cands and body <= cands | ctx_inputs):
                cands -= heads
                changed = True
    return frozenset(cands), ctx_inputs


def _lit(loc, name, args):
    return ast.Literal(loc, ast.Sign.NoSign, ast.SymbolicAtom(ast.Function(loc, name, args, 0)))


def _binds(rule, sigs) -> bool:
    """Does a positive literal of the body (not inside a condition or an aggregate)
    have one of ``sigs``? Such a literal binds the transaction (or context) variable."""
    for b in rule.body:
        if (
            b.ast_type == ast.ASTType.Literal
            and b.sign == ast.Sign.NoSign
            and b.atom.ast_type == ast.ASTType.SymbolicAtom
            and _sigs(b.atom) & sigs
        ):
            return True
    return False


def _rewrite(s, dynamic, context=frozenset(), ctx_inputs=frozenset(), sigs=None):
    """A rule with the transaction id added to its dynamic atoms; a rule of a
    context-indexed predicate gets the context instead, and a transaction's rule joins
    the contexts' atoms through ``txn_ctx__/2``. A rule whose body has no positive
    literal of the transaction (of the context) is guarded by ``txn/1`` (``ctx__/1``);
    the others need no guard, and grounding them without one is faster (the guard
    would make the grounder visit every transaction for every rule)."""
    heads, body_sigs = sigs if sigs is not None else (_sigs(s.head), _sigs_body(s))
    if heads & context:
        t = _AddTxn(frozenset(), s.location, context | ctx_inputs)
        guard = [] if _binds(s, context | ctx_inputs) else [_lit(s.location, "ctx__", [t.ctx])]
        s = s.update(head=t(s.head), body=guard + [t(b) for b in s.body])
    elif heads & dynamic or body_sigs & dynamic:
        # a transaction's context inputs are read through its context too
        t = _AddTxn(dynamic - context - ctx_inputs, s.location, context | ctx_inputs)
        head, body = t(s.head), [t(b) for b in s.body]
        guard = [] if _binds(s, dynamic - context - ctx_inputs) else [_lit(s.location, "txn", [t.var])]
        if t.used_ctx:
            guard.append(_lit(s.location, "txn_ctx__", [t.var, t.ctx]))
        s = s.update(head=head, body=guard + body)
    return str(s)


def _sig_text(sig, dynamic, context) -> str:
    """``name/arity`` of a signature in the rewritten program."""
    name, arity = sig
    if sig in context:
        return f"{name}{SUFFIX}/{arity + 1}"
    return f"{name}/{arity + 1 if sig in dynamic else arity}"


def _context_defined(ctx_inputs) -> list[str]:
    return ["#defined ctx__/1.", "#defined txn_ctx__/2."] + [
        f"#defined {n}{SUFFIX}/{a + 1}." for n, a in sorted(ctx_inputs)
    ]


def _batch_program(extra: str = "", show: frozenset | None = None) -> tuple[str, frozenset]:
    return _batch_info(extra, show)[:2]


@functools.cache
def _batch_info(extra: str = "", show: frozenset | None = None) -> tuple[str, frozenset, frozenset, frozenset]:
    """The rewritten program, the dynamic signatures, the context-indexed ones and the
    context inputs; kept on disk like the staged program (see staged_program), as the
    rewrite takes about half a second."""
    key = _cache_key("batch", extra, sorted(show) if show is not None else None)
    data = _cache_read(key)
    if data is not None:
        try:
            return (data["program"],) + tuple(
                frozenset(tuple(sig) for sig in data[k]) for k in ("dynamic", "context", "ctx_inputs")
            )
        except (KeyError, TypeError):
            pass
    program, dynamic = _batch_program_uncached(extra, show)
    context, ctx_inputs = _context(extra)
    _cache_write(
        key,
        {"program": program, "dynamic": sorted(dynamic), "context": sorted(context), "ctx_inputs": sorted(ctx_inputs)},
    )
    return program, dynamic, context, ctx_inputs


def _batch_program_uncached(extra: str, show: frozenset | None) -> tuple[str, frozenset]:
    stmts, rules, dynamic = _parsed(extra)
    context, ctx_inputs = _context(extra)
    keep = _needed(rules, show) if show is not None else None
    out: list[str] = []
    for s in stmts:
        if s.ast_type == ast.ASTType.Rule:
            if keep is not None and not (_sigs(s.head) & keep):
                continue  # not needed for what is shown
            out.append(_rewrite(s, dynamic, context, ctx_inputs))
        elif s.ast_type == ast.ASTType.ShowSignature:
            if show is not None:
                continue
            out.append(f"#show {_sig_text((s.name, s.arity), dynamic, context)}.")
        elif s.ast_type == ast.ASTType.Defined:
            out.append(f"#defined {_sig_text((s.name, s.arity), dynamic, context)}.")
        elif s.ast_type == ast.ASTType.Program:
            continue
        else:
            out.append(str(s))
    out += _context_defined(ctx_inputs)
    for sig in sorted(show or ()):
        out.append(f"#show {_sig_text(sig, dynamic, context)}.")
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


def _split(symbols, dynamic, parts: dict, context=frozenset(), convert=lambda sym: sym):
    """(kind, number, the atom without it) for each shown atom: kind 1 for an atom of
    transaction ``number``, 2 for an atom of context ``number``, 0 (number None) for an
    atom shared by all transactions. Reads each atom as text once (cheaper than walking
    it through the clingo API) and makes one symbol per distinct remainder; ``convert``
    turns that symbol into what the caller wants, once per distinct remainder too
    (``parts`` keeps them)."""
    per_txn = dynamic - context
    names = {n for n, _ in per_txn}
    ctx_names = {n + SUFFIX: n for n, _ in context}
    for s in symbols:
        text = str(s)
        p = text.find("(")
        name = text[:p] if p > 0 else text
        kind = 1 if name in names else 2 if name in ctx_names else 0
        if p < 0 or not kind:
            yield 0, None, convert(s)
            continue
        j = p + 1
        while text[j].isdigit():
            j += 1
        if j == p + 1 or text[j] not in ",)":
            yield 0, None, convert(s)
            continue
        if kind == 2:
            name = ctx_names[name]
        if text[j] == ")":
            rest = name
        else:
            rest = name + "(" + text[j + 1 :]
        value = parts.get(rest)
        if value is None:
            sym = clingo.parse_term(rest)
            if kind == 1 and (sym.name, len(sym.arguments)) not in per_txn:  # same name, static arity
                yield 0, None, convert(s)
                continue
            value = parts[rest] = convert(sym)
        yield kind, int(text[p + 1 : j]), value


def _distribute(split, numbers, ctx_of: dict) -> dict:
    """Per transaction number, its atoms, its context's atoms and the shared ones."""
    out: dict = {i: [] for i in numbers}
    ctx: dict = {}
    shared: list = []
    for kind, n, value in split:
        if kind == 1:
            out[n].append(value)
        elif kind == 2:
            ctx.setdefault(n, []).append(value)
        else:
            shared.append(value)
    for i, v in out.items():
        c = ctx.get(ctx_of.get(i))
        if c:
            v.extend(c)
        if shared:
            v.extend(shared)
    return out


def solve_batch(
    fact_lists: Sequence[Iterable[tuple]],
    extra_facts: Iterable[clingo.Symbol] = (),
    extra_program: str = "",
    show: Iterable[tuple[str, int]] | None = None,
) -> dict[int, list[clingo.Symbol]]:
    """Evaluate many transactions in one clingo call.

    ``fact_lists[i]`` are the input facts of transaction i+1 (as
    pyrules.facts.scenario_terms makes them). Returns, per transaction number, its shown atoms with the number removed,
    so each list reads exactly like a single evaluation's answer set.
    """
    ctl = clingo.Control(["--warn=none", "--models=2"])
    show_set = frozenset(show) if show is not None else None
    program, dynamic, context, ctx_inputs = _batch_info(extra_program, show_set)
    ctl.add("base", [], program)
    ctx_of: dict = {}
    ctl.add("facts", [], _tagged_text(fact_lists, 1, ctx_of, ctx_inputs))
    with ctl.backend() as b:
        for f in extra_facts:
            b.add_rule([b.add_atom(f)])
    ctl.ground([("facts", []), ("base", [])], context=_Memo())
    models: list[Sequence[clingo.Symbol]] = []
    ctl.solve(on_model=lambda m: models.append(m.symbols(shown=True)))
    if len(models) != 1:
        raise KnowledgeBaseError(f"the batch gave {len(models)} answer sets instead of exactly one")
    return _distribute(_split(models[0], dynamic, {}, context), range(1, len(fact_lists) + 1), ctx_of)


def count_answer_sets(
    fact_lists: Sequence[Iterable[tuple]], extra_facts: Iterable[clingo.Symbol] = (), extra_program: str = ""
) -> int:
    """How many answer sets (0, 1, or 2 for "more than one") the batch of ``fact_lists``
    has. The transactions of a batch are independent, so the batch has exactly one
    answer set exactly when each transaction alone has exactly one."""
    ctl = clingo.Control(["--warn=none", "--models=2"])
    program, _, _, ctx_inputs = _batch_info(extra_program, None)
    ctl.add("base", [], program)
    ctl.add("facts", [], _tagged_text(fact_lists, 1, {}, ctx_inputs))
    with ctl.backend() as b:
        for f in extra_facts:
            b.add_rule([b.add_atom(f)])
    ctl.ground([("facts", []), ("base", [])], context=_Memo())
    n = 0
    with ctl.solve(yield_=True) as handle:
        for _ in handle:
            n += 1
    return min(n, 2)


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
            else:  # a variable or another term: it may be one of them
                self.found = True
        return node


def _reads_late(rule, names: frozenset) -> bool:
    t = _LateFacts(names)
    for b in rule.body:
        t(b)
    return t.found


# --- grounding an authorization's conditions only where it is considered ------------------
#
# kb/authorizations.lp weighs an authorization's conditions (fails/2, undecided/3) only
# through considered/1: whether a condition fails or is undecided matters to no other
# conclusion unless the authorization is considered. A ledger sets aside the
# authorizations a row does not claim (kb/modes/ledger.lp), yet the conditions would
# still be grounded for every row. With ``gate``, every rule that derives a condition of
# authorization ``a`` gets ``considered(a)`` in its body, and so does every rule of a
# helper predicate that only such rules read (e.g. aca_sub_fails/1). The answer is the
# same for every predicate the ledger shows (its shows must not read fails/2 or
# undecided/3 except through considered/1; tested against single evaluations).

CONDITION_HEADS = frozenset({("fails", 2), ("undecided", 3)})


def _condition_owner(rule) -> str | None:
    """``a`` for a rule whose head is fails(a, ...) or undecided(a, ...) (a constant)."""
    h = rule.head
    if h.ast_type != ast.ASTType.Literal or h.atom.ast_type != ast.ASTType.SymbolicAtom:
        return None
    f = h.atom.symbol
    if f.ast_type != ast.ASTType.Function or (f.name, len(f.arguments)) not in CONDITION_HEADS:
        return None
    a = f.arguments[0]
    if (
        a.ast_type == ast.ASTType.SymbolicTerm
        and a.symbol.type == clingo.SymbolType.Function
        and not a.symbol.arguments
    ):
        return a.symbol.name
    if a.ast_type == ast.ASTType.Function and not a.arguments:
        return a.name
    return None


ANY = None  # a helper of several authorizations: gated by SOME_CONSIDERED
SOME_CONSIDERED = "some_considered__"


def _gates(rules, derived_per_txn, shown) -> dict[int, str | None]:
    """Rule index -> the authorization whose considered/1 gates it, or ANY for a rule
    of a helper that only the conditions of several authorizations read (gated by
    ``some_considered__``: some authorization is considered)."""
    gates: dict = {i: a for i, r in enumerate(rules) if (a := _condition_owner(r))}
    readers: dict = {}
    for i, r in enumerate(rules):
        for sig in _sigs_body(r):
            readers.setdefault(sig, set()).add(i)
    derivers: dict = {}
    for i, r in enumerate(rules):
        for sig in _sigs(r.head):
            derivers.setdefault(sig, set()).add(i)
    ungated = object()
    changed = True
    while changed:
        changed = False
        for sig, idx in derivers.items():
            if sig not in derived_per_txn or sig in shown or sig in CONDITION_HEADS or idx <= gates.keys():
                continue
            owners = {gates.get(i, ungated) for i in readers.get(sig, ())}
            if owners and ungated not in owners:
                owner = owners.pop() if len(owners) == 1 else ANY
                for i in idx:
                    gates[i] = owner
                changed = True
    return gates


def _gate_literal(loc, owner):
    if owner is ANY:
        return _lit(loc, SOME_CONSIDERED, [])
    return _lit(loc, "considered", [ast.SymbolicTerm(loc, clingo.Function(owner))])


class Staged(NamedTuple):
    p1: str  # step 1 program
    p2: str  # step 2 program
    dynamic: frozenset  # per-transaction signatures (before indexing)
    context: frozenset  # context-indexed signatures
    ctx_inputs: frozenset  # the inputs that make up a context


CACHE_KEEP = 16  # rewritten programs kept on disk


def _cache_dir() -> Path:
    """Where rewritten programs are kept between runs: $PYRULES_CACHE_DIR, else
    $XDG_CACHE_HOME/pyrules, else ~/.cache/pyrules."""
    if os.environ.get("PYRULES_CACHE_DIR"):
        return Path(os.environ["PYRULES_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyrules"


@functools.cache
def staged_program(extra: str, show1: frozenset, show2: frozenset, late_names: frozenset, gate: bool = False) -> Staged:
    """The step 1 and step 2 programs and their signatures (Staged). ``show1`` must not depend on
    the late facts; step 2's answer shows ``show2`` less ``show1``. ``gate``: ground an
    authorization's conditions only for the transactions that consider it (_gates).

    The rewrite takes most of a second, so its result is also kept on disk, under a key
    made of everything it depends on (the KB's text, ``extra``, the arguments, this
    module's source and clingo's version): a changed KB or rewrite never reads an old
    program. A cache that cannot be read or written is simply not used."""
    key = _cache_key("staged", extra, sorted(show1), sorted(show2), sorted(late_names), gate)
    data = _cache_read(key)
    if data is not None:
        try:
            return Staged(
                data["p1"],
                data["p2"],
                *(frozenset(tuple(sig) for sig in data[k]) for k in ("dynamic", "context", "ctx_inputs")),
            )
        except (KeyError, TypeError):
            pass
    p1, p2, dynamic = _staged_program(extra, show1, show2, late_names, gate)
    context, ctx_inputs = _context(extra)
    _cache_write(
        key,
        {"p1": p1, "p2": p2, "dynamic": sorted(dynamic), "context": sorted(context), "ctx_inputs": sorted(ctx_inputs)},
    )
    return Staged(p1, p2, dynamic, context, ctx_inputs)


def _cache_key(kind: str, *parts) -> str:
    """The cache file's name: a hash of everything the program depends on (the KB's text,
    the arguments, this module's source and clingo's version)."""
    key = hashlib.sha256(
        repr((kb.kb_text(),) + parts + (Path(__file__).read_text(encoding="utf-8"), clingo.__version__)).encode()
    ).hexdigest()
    return f"{kind}-{key[:32]}.json"


def _cache_read(name: str) -> dict | None:
    try:
        data = json.loads((_cache_dir() / name).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _cache_write(name: str, data: dict) -> None:
    """Written atomically (a reader sees the whole file or none); only the newest
    CACHE_KEEP files of the kind are kept. A cache that cannot be written is not used."""
    path = _cache_dir() / name
    kind = name.split("-", 1)[0]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
        for old in sorted(path.parent.glob(f"{kind}-*.json"), key=lambda f: f.stat().st_mtime)[:-CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _staged_program(extra, show1, show2, late_names, gate):
    stmts, rules, dynamic = _parsed(extra)
    context, ctx_inputs = _context(extra)
    keep = _needed(rules, show1 | show2)
    rules = [r for r in rules if _sigs(r.head) & keep]
    if gate:
        gates = _gates(rules, dynamic - context - input_signatures(), show1 | show2)
        rules = [
            r.update(body=[_gate_literal(r.location, gates[i])] + list(r.body)) if i in gates else r
            for i, r in enumerate(rules)
        ]
        if ANY in gates.values():
            stmts_any: list = []
            ast.parse_string(f"{SOME_CONSIDERED} :- considered(_).", stmts_any.append)
            rules += [st for st in stmts_any if st.ast_type == ast.ASTType.Rule]
            dynamic = dynamic | {(SOME_CONSIDERED, 0)}
    late_preds: set = set()
    late = [_reads_late(r, late_names) for r in rules]
    info = [(_sigs(r.head), _sigs_body(r)) for r in rules]  # walked once: AST visits are slow
    changed = True
    while changed:
        changed = False
        for i, (heads, body) in enumerate(info):
            if not late[i] and (heads & late_preds or body & late_preds):
                late[i] = True
            if late[i] and heads - late_preds:
                late_preds |= heads
                changed = True
    if show1 & late_preds:
        raise ValueError(f"step 1 cannot show {sorted(show1 & late_preds)}: they depend on the late facts")
    one: list[str] = []
    two: list[str] = []
    for i, r in enumerate(rules):
        (two if late[i] else one).append(_rewrite(r, dynamic, context, ctx_inputs, info[i]))
    one += _context_defined(ctx_inputs)
    for s in stmts:
        if s.ast_type == ast.ASTType.Defined:
            one.append(f"#defined {_sig_text((s.name, s.arity), dynamic, context)}.")
        elif s.ast_type not in (ast.ASTType.Rule, ast.ASTType.Program, ast.ASTType.ShowSignature, ast.ASTType.ShowTerm):
            one.append(str(s))

    def shows(sigs):
        return [f"#show {_sig_text(sig, dynamic, context)}." for sig in sorted(sigs)]

    # step 1's atoms are read by signature once it is grounded (StagedBatch.first), so
    # step 2's answer shows only what step 2 adds
    return "\n".join(one), "\n".join(two + shows(show2 - show1)), dynamic


def _tagged_text(fact_lists, start: int = 1, ctx_of: dict | None = None, ctx_inputs: frozenset = frozenset()) -> str:
    """The facts of many transactions as one clingo text: ``txn(T).`` and each input
    fact with T as its first argument (pyrules.facts.arg_text writes the arguments as
    clingo writes them, once per distinct fact); and the contexts (see the module's
    docstring): ``txn_ctx__(T, K).`` for each transaction, and ``ctx__(K).`` with the
    context's facts (``as_of__c(K, D).``, ...) for each distinct one. A fact of one of
    ``ctx_inputs`` (the context inputs the rewrite reads through the context) is
    given for the context only, not for each transaction. ``ctx_of``, if
    given, receives each transaction's context number. Text, because clingo reads a
    large block of facts faster than it takes them one by one through its API."""
    rests: dict = {}
    contexts: dict = {}
    if ctx_of is None:
        ctx_of = {}
    out: list[str] = []
    add = out.append
    for i, facts in enumerate(fact_lists, start=start):
        add(f"txn({i}).")
        mine = []
        for f in facts:
            r = rests.get(f)
            if r is None:
                name, args = f
                sig = (name, len(args))
                r = rests[f] = (
                    name,
                    "," + ",".join(map(arg_text, args)) if args else "",
                    sig in CONTEXT_INPUTS,
                    sig in ctx_inputs,
                )
            if not r[3]:
                add(f"{r[0]}({i}{r[1]}).")
            if r[2]:
                mine.append(f)
        key = frozenset(mine)
        k = contexts.get(key)
        if k is None:
            k = contexts[key] = len(contexts) + 1
            add(f"ctx__({k}).")
            for f in key:
                name, rest = rests[f][:2]
                add(f"{name}{SUFFIX}({k}{rest}).")
        ctx_of[i] = k
        add(f"txn_ctx__({i},{k}).")
    return "\n".join(out)


class StagedBatch:
    """Many transactions, decided in two steps of one clingo control (see above).

    ``first()`` and ``second(late)`` return, per transaction number, its shown atoms
    with the transaction number removed, each as ``convert(symbol)`` (by default
    ``(name, arguments)``), converted once per distinct atom."""

    def __init__(
        self,
        fact_lists: Sequence[Sequence[tuple]],
        extra_program: str,
        show1: Iterable[tuple[str, int]],
        show2: Iterable[tuple[str, int]],
        late_names: Iterable[str],
        start: int = 1,
        gate: bool = False,
        convert=lambda sym: (sym.name, sym.arguments),
    ):
        self.n = len(fact_lists)
        self.start = start
        self.convert = convert
        p1, p2, self.dynamic, self.context, ctx_inputs = staged_program(
            extra_program, frozenset(show1), frozenset(show2), frozenset(late_names), gate
        )
        self.show1 = frozenset(show1)
        self.ctx_of: dict = {}  # transaction number -> its context number
        self.parts: dict = {}  # an atom's text without the transaction -> convert(its symbol)
        self.ctl = clingo.Control(["--warn=none", "--models=2"])
        self.ctl.add("step1", [], p1)
        self.ctl.add("step2", [], p2)
        self.ctl.add("facts", [], _tagged_text(fact_lists, start, self.ctx_of, ctx_inputs))
        self.memo = _Memo()
        self.ctl.ground([("facts", []), ("step1", [])], context=self.memo)

    def _solve(self) -> dict[int, list[tuple[str, list]]]:
        models: list = []
        self.ctl.solve(on_model=lambda m: models.append(m.symbols(shown=True)))
        if len(models) != 1:
            raise KnowledgeBaseError(f"the batch gave {len(models)} answer sets instead of exactly one")
        return _distribute(
            _split(models[0], self.dynamic, self.parts, self.context, self.convert),
            range(self.start, self.start + self.n),
            self.ctx_of,
        )

    def first(self) -> dict[int, list[tuple[str, list]]]:
        """The atoms of ``show1``, per transaction (each as ``convert`` makes it). Step 1's
        program is stratified and has no choices or constraints (like the whole KB,
        tests/test_check.py), so grounding has already decided every atom: they are
        read by signature, with no solving."""
        atoms = self.ctl.symbolic_atoms
        found: list[clingo.Symbol] = []
        for sig in self.show1:
            name, arity = sig
            if sig in self.context:
                name, arity = name + SUFFIX, arity + 1
            elif sig in self.dynamic:
                arity += 1
            found.extend(a.symbol for a in atoms.by_signature(name, arity))
        return _distribute(
            _split(found, self.dynamic, self.parts, self.context, self.convert),
            range(self.start, self.start + self.n),
            self.ctx_of,
        )

    def second(self, late_facts: Iterable[tuple[int, str, Sequence]]) -> dict[int, list[tuple[str, list]]]:
        """``late_facts``: (transaction number, predicate, arguments) of input facts known
        only now, e.g. the running totals (arguments as in pyrules.facts)."""
        text = "\n".join(f"{name}({i},{','.join(map(arg_text, args))})." for i, name, args in late_facts)
        self.ctl.add("late", [], text)
        self.ctl.ground([("late", []), ("step2", [])], context=self.memo)
        return self._solve()
