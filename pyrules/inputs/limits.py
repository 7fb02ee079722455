"""The sizes of input pyrules accepts (documented in README.md, "Limits").

Every input is checked against these bounds before any expensive work (parsing a
large file, grounding, solving); anything past a bound is bad input (exit code 2)
with a message that names the field or line and the bound. The bounds keep every
computation exact (clingo integers are 32-bit: kb/arithmetic.lp) and every run short.
They are implementation limits, not legal thresholds.
"""

from __future__ import annotations

# Largest input file (scenario, ledger or regime file), in bytes.
MAX_FILE_BYTES = 100_000_000
# Lines of a scenario-language (.scn) file (the parser reads about 2,000 lines a second on a slow machine).
MAX_SCN_LINES = 5_000
# Rows of a ledger (CSV records or JSON lines).
MAX_LEDGER_ROWS = 1_000_000
# Levels of nesting of a JSON document (objects and lists).
MAX_JSON_DEPTH = 100

# Numbers: at most 30 digits (the largest number is 10^30 - 1, the range of the five-limb
# numbers of kb/arithmetic.lp); written with at most 100 characters; a power (1e26, 10^26)
# with an exponent of at most 30.
MAX_NUMBER_DIGITS = 30
MAX_NUMBER_CHARS = 100

# One scenario: item lines, entities, and the depth of an ownership chain (an entity, its
# parent, the parent's parent ...: at most this many links above an entity).
MAX_ITEMS = 10_000
MAX_ENTITIES = 10_000
MAX_OWNERSHIP_DEPTH = 1_000  # the KB follows a chain linearly (kb/entities.lp)

# What-if questions: the things a question may change, the cost of one change, and a
# regime's plain-integer parameters (percentages, days, months, years).
MAX_CHANGES = 200
# ... and the combinations of candidate values of the quantities it may change (each
# combination is solved on its own).
MAX_QUANTITY_COMBINATIONS = 256
MAX_CHANGE_COST = 1_000_000
MAX_REGIME_INT = 2_000


def shown(value, limit: int = 60) -> str:
    """A value as a message shows it: its repr (control characters escaped), cut short."""
    from decimal import Decimal

    text = str(value) if isinstance(value, Decimal) else repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 20]}...{text[-12:]} ({len(text):,} characters)"
    return text
