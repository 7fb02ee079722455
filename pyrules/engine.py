"""Run clingo on the knowledge base and a scenario's facts."""
from __future__ import annotations

from typing import Iterable, Sequence

import clingo
import clingo.ast as ast

from . import kb
from .arithmetic import Arithmetic
from .errors import InputError
from .facts import scenario_facts
from .model import Scenario


class KnowledgeBaseError(RuntimeError):
    """The knowledge base produced no answer, or more than one: a bug in kb/, never the user's fault."""


class Engine:
    """Holds the knowledge base text, loaded once per process."""

    def __init__(self, extra_program: str = ""):
        self.program = kb.kb_text() + "\n" + extra_program
        # Parsed once; each evaluation hands clingo the parsed statements, which is
        # cheaper than parsing the text again.
        self._statements: list = []
        ast.parse_string(self.program, self._statements.append)

    def models(self, facts: Iterable[clingo.Symbol], extra_program: str = "",
               max_models: int = 2, shown_only: bool = True) -> list[list[clingo.Symbol]]:
        """Up to ``max_models`` answer sets of the KB with ``facts`` (for tools and tests)."""
        ctl = clingo.Control(["--warn=none", f"--models={max_models}"])
        with ast.ProgramBuilder(ctl) as builder:
            for stmt in self._statements:
                builder.add(stmt)
        if extra_program:
            ctl.add("base", [], extra_program)
        with ctl.backend() as backend:
            for sym in facts:
                backend.add_rule([backend.add_atom(sym)])
        ctl.ground([("base", [])], context=Arithmetic())
        found: list[list[clingo.Symbol]] = []
        ctl.solve(on_model=lambda m: found.append(list(m.symbols(shown=shown_only, atoms=not shown_only))))
        return found

    def answer(self, facts: Sequence[clingo.Symbol], extra_program: str = "", shown_only: bool = True) -> list[clingo.Symbol]:
        """The unique answer set. The knowledge base is built to have exactly one."""
        found = self.models(facts, extra_program, shown_only=shown_only)
        if len(found) != 1:
            raise KnowledgeBaseError(f"the knowledge base gave {len(found)} answer sets instead of exactly one")
        return found[0]

    def evaluate(self, scenario: Scenario | dict, as_of: str | None = None, regime=None, view: str | None = None):
        """Evaluate one scenario (a dict or a Scenario); see :func:`pyrules.evaluate`.
        ``view``: "as_written" (the default: the CFR as codified) or "as_enforced"
        (what BIS enforces; kb/earlier_controls.lp)."""
        from .determination import Determination
        if isinstance(scenario, dict):
            scenario = Scenario.from_dict(scenario)
        facts = scenario_facts(scenario, as_of, view)
        if regime is not None:
            facts = facts + regime.facts()
        atoms = self.answer(facts)
        return Determination.from_atoms(scenario, atoms, as_of=as_of or scenario.date)


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
        from .loader import load_scenarios
        found = load_scenarios([scenario])
        if len(found) != 1:
            raise InputError(f"the file holds {len(found)} scenarios; evaluate takes one "
                             "(use pyrules.loader.load_scenarios for several)", file=str(scenario))
        scenario = found[0][1]
    return default_engine().evaluate(scenario, as_of=as_of, regime=regime, view=view)
