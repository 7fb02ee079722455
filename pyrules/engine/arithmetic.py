"""Exact big-number helpers for clingo grounding (see kb/arithmetic.lp).

clingo integers are 32-bit. Large quantities travel as ``n(L4,L3,L2,L1,L0)``
with six-digit limbs; these functions only carry digits, they decide nothing.
"""

from __future__ import annotations

import clingo

BASE = 10**6
LIMBS = 5
MAX_VALUE = BASE**LIMBS - 1  # largest number an input may give (10^30 - 1)
# Largest value of an n(...) term: the top limb is a clingo integer (at most 2^31 - 1)
# and may exceed 999,999; term order is still numeric order. Sums and products of
# accepted inputs stay below it: inputs are at most MAX_VALUE, a factor (@scaled,
# @percent) at most 2,000 (limits.MAX_REGIME_INT), shipments at most 2 * 10^18 TPP.
MAX_TERM = (2**31 - 1) * BASE ** (LIMBS - 1) + BASE ** (LIMBS - 1) - 1


def to_limbs(value: int) -> list[int]:
    if value < 0 or value > MAX_TERM:
        raise ValueError(f"{value} is outside 0..{MAX_TERM}")
    limbs = []
    for _ in range(LIMBS - 1):
        value, r = divmod(value, BASE)
        limbs.append(r)
    limbs.append(value)
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

    def norm(self, *sums: clingo.Symbol) -> clingo.Symbol:
        """The n(...) value of limb sums: (high, low) pairs, most significant limb first,
        where high sums the limbs' upper three digits and low their lower three
        (kb/arithmetic.lp)."""
        value = 0
        for hi, lo in zip(sums[::2], sums[1::2]):
            value = value * BASE + hi.number * 1000 + lo.number
        return big(value)
