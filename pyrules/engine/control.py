"""Run clingo on the knowledge base and a scenario's facts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from queue import SimpleQueue

import clingo
import clingo.ast as ast

from pyrules.engine import kb
from pyrules.engine.arithmetic import Arithmetic
from pyrules.errors import InputError, KnowledgeBaseError
from pyrules.inputs.facts import fact_symbol, scenario_terms
from pyrules.inputs.model import Scenario


def _sigs(node) -> frozenset:
    from pyrules.engine.batch import _sigs as sigs

    return frozenset(sigs(node))


def _rule_signatures(program: str, rules: list) -> list[tuple[frozenset, frozenset]]:
    """Per rule, the predicates of its head and those its body requires (_required).
    Walking the rules takes most of 0.1 s, a good part of a cold start, so the result is
    kept on disk with the batch programs (pyrules.batch's cache, keyed by the text)."""
    from pyrules.engine.batch import _cache_key, _cache_read, _cache_write
    from pathlib import Path

    key = _cache_key("rulesigs", program, Path(__file__).read_text(encoding="utf-8"))
    data = _cache_read(key)
    if data is not None:
        try:
            out = [(frozenset(tuple(x) for x in h), frozenset(tuple(x) for x in b)) for h, b in data["rules"]]
            if len(out) == len(rules):
                return out
        except (KeyError, TypeError, ValueError):
            pass
    out = [(_sigs(r.head), _required(r)) for r in rules]
    _cache_write(key, {"rules": [[sorted(h), sorted(b)] for h, b in out]})
    return out


def _required(rule) -> frozenset:
    """The predicates of the rule's positive body literals (outside conditions and
    aggregates): the rule applies only where each has an atom."""
    from pyrules.engine.batch import _sigs as sigs

    out: set = set()
    for b in rule.body:
        if (
            b.ast_type == ast.ASTType.Literal
            and b.sign == ast.Sign.NoSign
            and b.atom.ast_type == ast.ASTType.SymbolicAtom
        ):
            out |= sigs(b.atom)
    return frozenset(out)


# A clingo control takes a while to free (its ground program): that is done on a
# thread of its own, off the path of the answer (clingo lets go of Python's lock
# while it frees).
_TO_FREE: SimpleQueue | None = None


def _release(ctl) -> None:
    global _TO_FREE
    if _TO_FREE is None:
        import queue
        import threading

        _TO_FREE = queue.SimpleQueue()

        def free():
            while True:
                item = _TO_FREE.get()
                del item

        threading.Thread(target=free, name="pyrules-free-controls", daemon=True).start()
    _TO_FREE.put(ctl)


# Scenarios per clingo control in evaluate_many: each control grounds the static part of
# the KB once, so larger batches share more of it; beyond a few hundred the gain is small.
BATCH_SIZE = 500


def rules_that_can_fire(rules: list, rule_sigs: list, can: set) -> list:
    """The rules whose positive body predicates can all be true, starting from the
    predicates ``can`` (the input facts present) and adding the heads of each rule kept,
    until nothing changes. ``rule_sigs[i]`` is (head signatures, needed signatures) of
    ``rules[i]``. A rule left out has a body literal false in every model."""
    fire = [False] * len(rules)
    changed = True
    while changed:
        changed = False
        for i, (heads, needs) in enumerate(rule_sigs):
            if not fire[i] and needs <= can:
                fire[i] = True
                if heads - can:
                    can |= heads
                    changed = True
    return [r for r, f in zip(rules, fire) if f]


class Engine:
    """Holds the knowledge base text, loaded once per process."""

    def __init__(self, extra_program: str = ""):
        self.extra_program = extra_program
        self.program = kb.kb_text() + "\n" + extra_program
        # Parsed once; each evaluation hands clingo the parsed statements, which is
        # cheaper than parsing the text again. Comments are not handed over.
        statements: list = []
        ast.parse_string(self.program, statements.append)
        self._statements = [st for st in statements if st.ast_type != ast.ASTType.Comment]
        self._others = [st for st in self._statements if st.ast_type != ast.ASTType.Rule]
        self._rules = [st for st in self._statements if st.ast_type == ast.ASTType.Rule]
        self._rule_sigs = _rule_signatures(self.program, self._rules)
        self._always = frozenset(
            sig for st in self._others if st.ast_type == ast.ASTType.External for sig in _sigs(st.atom)
        )
        self._pruned: dict = {}

    def _for_inputs(self, present: frozenset) -> list:
        """The statements that can matter when the input facts have the signatures
        ``present``: a rule with a positive body literal of a predicate that no fact
        and no rule that can fire gives is never applicable (that literal is false in
        every model), so leaving it out changes no answer set; grounding it would cost
        time all the same. Computed once per set of signatures."""
        kept = self._pruned.get(present)
        if kept is None:
            kept = self._pruned[present] = self._others + rules_that_can_fire(
                self._rules, self._rule_sigs, set(present) | self._always
            )
        return kept

    def models(
        self,
        facts: Iterable[clingo.Symbol],
        extra_program: str = "",
        max_models: int = 2,
        shown_only: bool = True,
        signatures: frozenset | None = None,
    ) -> list[list[clingo.Symbol]]:
        """The answer sets (at most ``max_models``). ``signatures``: those of ``facts``, if
        the caller knows them (reading them off the symbols costs a call into clingo each)."""
        ctl = clingo.Control(["--warn=none", f"--models={max_models}"])
        facts = list(facts)
        if extra_program:  # a mode's own rules may use any predicate: nothing is left out
            statements = self._statements
        else:
            if signatures is None:
                signatures = frozenset((f.name, len(f.arguments)) for f in facts)
            statements = self._for_inputs(signatures)
        with ast.ProgramBuilder(ctl) as builder:
            for stmt in statements:
                builder.add(stmt)
        if extra_program:
            ctl.add("base", [], extra_program)
        with ctl.backend() as backend:
            for sym in facts:
                backend.add_rule([backend.add_atom(sym)])
        ctl.ground([("base", [])], context=Arithmetic())
        found: list[list[clingo.Symbol]] = []
        ctl.solve(on_model=lambda m: found.append(list(m.symbols(shown=shown_only, atoms=not shown_only))))
        _release(ctl)
        return found

    def answer(
        self,
        facts: Sequence[clingo.Symbol],
        extra_program: str = "",
        shown_only: bool = True,
        signatures: frozenset | None = None,
    ) -> list[clingo.Symbol]:
        """The unique answer set. The knowledge base is built to have exactly one."""
        found = self.models(facts, extra_program, shown_only=shown_only, signatures=signatures)
        if len(found) != 1:
            raise KnowledgeBaseError(f"the knowledge base gave {len(found)} answer sets instead of exactly one")
        return found[0]

    def evaluate(self, scenario: Scenario | dict, as_of: str | None = None, regime=None, view: str | None = None):
        """Evaluate one scenario (a dict or a Scenario); see :func:`pyrules.evaluate`.
        ``view``: "as_written" (the default: the CFR as codified) or "as_enforced"
        (what BIS enforces; kb/earlier_controls.lp)."""
        from pyrules.output.determination import Determination

        if isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        terms = scenario_terms(scenario, as_of, view)
        facts = [fact_symbol(t) for t in terms]
        sigs = {(name, len(args)) for name, args in terms}
        if regime is not None:
            extra = regime.facts()
            facts += extra
            sigs |= {(f.name, len(f.arguments)) for f in extra}
        atoms = self.answer(facts, signatures=frozenset(sigs))
        return Determination.from_atoms(scenario, atoms, as_of=as_of or scenario.date)

    def evaluate_many(
        self,
        scenarios: Iterable[Scenario | dict],
        as_of: str | None = None,
        regime=None,
        batch_size: int = BATCH_SIZE,
        view: str | None = None,
    ) -> Iterator:
        """Evaluate many scenarios: one Determination per scenario, in input order, each
        exactly what ``evaluate`` gives for it. The scenarios are decided ``batch_size``
        at a time in one clingo control each (pyrules.batch.solve_batch), and read
        lazily: a generator or a very long list is fine. A scenario that is not valid
        raises InputError when it is reached."""
        from pyrules.engine.batch import solve_batch
        from pyrules.output.determination import Determination
        from pyrules.inputs.facts import scenario_terms

        extra = regime.facts() if regime is not None else ()
        it = iter(scenarios)
        while True:
            chunk = [s if isinstance(s, Scenario) else Scenario.from_dict(s) for s in islice(it, max(batch_size, 1))]
            if not chunk:
                return
            answers = solve_batch(
                [scenario_terms(s, as_of, view) for s in chunk], extra_facts=extra, extra_program=self.extra_program
            )
            for i, s in enumerate(chunk, start=1):
                yield Determination.from_atoms(s, answers[i], as_of=as_of or s.date)


_ENGINE: Engine | None = None


def default_engine() -> Engine:
    global _ENGINE
    if _ENGINE is None:
        _ENGINE = Engine()
    return _ENGINE


def evaluate(scenario, as_of: str | None = None, regime=None, view: str | None = None):
    """Evaluate one scenario under the rule as written (or under ``regime``), in the
    view ``view`` ("as_written", the default, or "as_enforced").

    ``scenario``: a dict in the JSON form, a :class:`Scenario`, or the path of a
    ``.json`` or ``.scn`` file holding exactly one scenario. ``as_of``: judge on
    this date (YYYY-MM-DD) instead of the scenario's. Returns a :class:`Determination`.
    Bad input raises :class:`InputError` naming the field.
    """
    import os

    if isinstance(scenario, (str, os.PathLike)):
        from pyrules.inputs.loader import load_scenarios

        found = load_scenarios([scenario])
        if len(found) != 1:
            raise InputError(
                f"the file holds {len(found)} scenarios; evaluate takes one "
                "(use pyrules.loader.load_scenarios for several)",
                file=str(scenario),
            )
        scenario = found[0][1]
    return default_engine().evaluate(scenario, as_of=as_of, regime=regime, view=view)


def evaluate_many(
    scenarios: Iterable[Scenario | dict],
    as_of: str | None = None,
    regime=None,
    batch_size: int = BATCH_SIZE,
    view: str | None = None,
) -> Iterator:
    """Evaluate many scenarios (dicts in the JSON form, or Scenario objects): an iterator
    of Determinations in input order, each the same as ``evaluate`` gives, many times
    faster (one clingo control per ``batch_size`` scenarios). ``view`` as for ``evaluate``."""
    return default_engine().evaluate_many(scenarios, as_of=as_of, regime=regime, batch_size=batch_size, view=view)
