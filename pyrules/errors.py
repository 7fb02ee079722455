"""Errors raised for bad input. The CLI turns them into a message and exit code 2."""

from __future__ import annotations


class KnowledgeBaseError(RuntimeError):
    """The knowledge base produced no answer, or more than one: a bug in kb/, never the user's fault."""


class InputError(ValueError):
    """Bad input, located as precisely as we can: a file, a line and column, or a field path."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
            if self.column is not None:
                where.append(f"column {self.column}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return escape(f"{prefix}: {self.message}" if prefix else self.message)


def escape(text: str) -> str:
    """Text with every character that is not printable (control characters, NUL, line
    and paragraph separators, bidirectional overrides) written as an escape (\\x1b,
    \\u202e), so that input echoed in a message can never act on a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def did_you_mean(value, choices, n: int = 3) -> str:
    """ " (did you mean 'X'?)" for the closest of ``choices`` to ``value``, or ""."""
    import difflib

    if not isinstance(value, str):
        return ""
    choices = [str(c) for c in choices]
    lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(lower), n=n, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(lower[c]) for c in close) + "?)"
