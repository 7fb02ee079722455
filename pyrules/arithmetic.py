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
    """The clingo term n(...) for a non-negative integer. (Made from its text: one call
    into clingo instead of six; it runs for every sum while grounding a ledger.)"""
    return clingo.parse_term("n(%d,%d,%d,%d,%d)" % tuple(to_limbs(value)))


def from_big(sym: clingo.Symbol) -> int:
    """The integer value of an n(...) term (read from its text, as above)."""
    text = str(sym)
    if not text.startswith("n(") or not text.endswith(")"):
        raise ValueError(f"{text} is not an n(...) number")
    value = 0
    for part in text[2:-1].split(","):
        value = value * BASE + int(part)
    return value


def _is_big(sym: clingo.Symbol) -> bool:
    return str(sym).startswith("n(")


class Arithmetic:
    """The grounding context: ``@times``, ``@plus``, ``@scaled``, ``@norm``.

    The grounder may call a function before the rest of the rule's body has ruled out
    a binding (e.g. @plus on the value of another fact than the one the rule reads);
    an argument that is not an n(...) number then gives no value at all (an empty
    list: that instance of the rule is dropped), never a made-up number."""

    def times(self, q: clingo.Symbol, t: clingo.Symbol) -> clingo.Symbol:
        return big(q.number * t.number)

    def plus(self, x: clingo.Symbol, y: clingo.Symbol):
        if not (_is_big(x) and _is_big(y)):
            return []
        return big(from_big(x) + from_big(y))

    def scaled(self, x: clingo.Symbol, k: clingo.Symbol):
        if not _is_big(x):
            return []
        return big(from_big(x) * k.number)

    def percent(self, x: clingo.Symbol, p: clingo.Symbol):
        """P percent of X, rounded down to a whole TPP."""
        if not _is_big(x):
            return []
        return big(from_big(x) * p.number // 100)

    def norm(self, *limbs: clingo.Symbol) -> clingo.Symbol:
        value = 0
        for s in limbs:
            value = value * BASE + s.number
        return big(value)
