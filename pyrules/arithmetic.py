"""Exact big-number helpers for clingo grounding (see kb/arithmetic.lp).

clingo integers are 32-bit. Large quantities travel as ``n(L4,L3,L2,L1,L0)``
with six-digit limbs; these functions only carry digits, they decide nothing.
"""
from __future__ import annotations

import clingo

BASE = 10**6
LIMBS = 5
MAX_VALUE = BASE**LIMBS - 1  # largest representable number (10^30 - 1)


def to_limbs(value: int) -> list[int]:
    if value < 0 or value > MAX_VALUE:
        raise ValueError(f"{value} is outside 0..{MAX_VALUE}")
    limbs = []
    for _ in range(LIMBS):
        value, r = divmod(value, BASE)
        limbs.append(r)
    return list(reversed(limbs))


def big(value: int) -> clingo.Symbol:
    """The clingo term n(...) for a non-negative integer."""
    return clingo.Function("n", [clingo.Number(x) for x in to_limbs(value)])


def from_big(sym: clingo.Symbol) -> int:
    """The integer value of an n(...) term."""
    value = 0
    for arg in sym.arguments:
        value = value * BASE + arg.number
    return value


class Arithmetic:
    """The grounding context: ``@times``, ``@plus``, ``@scaled``, ``@norm``."""

    def times(self, q: clingo.Symbol, t: clingo.Symbol) -> clingo.Symbol:
        return big(q.number * t.number)

    def plus(self, x: clingo.Symbol, y: clingo.Symbol) -> clingo.Symbol:
        return big(from_big(x) + from_big(y))

    def scaled(self, x: clingo.Symbol, k: clingo.Symbol) -> clingo.Symbol:
        return big(from_big(x) * k.number)

    def percent(self, x: clingo.Symbol, p: clingo.Symbol) -> clingo.Symbol:
        """P percent of X, rounded down to a whole TPP."""
        return big(from_big(x) * p.number // 100)

    def norm(self, *limbs: clingo.Symbol) -> clingo.Symbol:
        value = 0
        for s in limbs:
            value = value * BASE + s.number
        return big(value)
