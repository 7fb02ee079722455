"""The shape of a case's ``expect`` object (its expected outcome), checked when the
scenario is read; pyrules/modes/expect.py compares it with the answer."""

from __future__ import annotations

from typing import Any

from pyrules.errors import InputError

AUTH_KEYS = {"available", "failed", "undecided"}


def validate_expect(expect: Any, where: str = "expect") -> dict:
    """The shape of an ``expect`` object (not its keys' meaning, which the answer gives)."""
    if not isinstance(expect, dict):
        raise InputError("expected an object of expected outcomes", field=where)
    for key, value in expect.items():
        if not isinstance(key, str):
            raise InputError("expected a field name", field=where)
        if key == "authorizations":
            if not isinstance(value, dict):
                raise InputError("expected an object: authorization name -> expectations", field=f"{where}.{key}")
            for name, spec in value.items():
                here = f"{where}.authorizations.{name}"
                if not isinstance(spec, dict):
                    raise InputError("expected an object with available, failed, undecided", field=here)
                for k, v in spec.items():
                    if k not in AUTH_KEYS:
                        raise InputError(
                            f"unknown field {k!r}; expected one of {', '.join(sorted(AUTH_KEYS))}", field=f"{here}.{k}"
                        )
                    if k == "available" and v not in (True, False, None):
                        raise InputError("expected true, false or null", field=f"{here}.{k}")
                    if k != "available" and not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
                        raise InputError("expected a list of condition ids", field=f"{here}.{k}")
        elif isinstance(value, list):
            if not all(isinstance(x, (str, int, float, bool)) for x in value):
                raise InputError("expected a list of strings", field=f"{where}.{key}")
        elif not (value is None or isinstance(value, (str, int, float, bool))):
            raise InputError("expected a value or a list", field=f"{where}.{key}")
    return expect
