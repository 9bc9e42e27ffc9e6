"""Whole numbers from what people send: the one parser every money field and id goes through."""

from __future__ import annotations


def whole_number(value) -> int | None:
    """An integer from what a caller passed (``12``, ``"12"``, ``" 12 "``), or None.

    Booleans, fractions, exponents and anything else that is not plainly a whole number
    give None, so a service can answer with a field error instead of guessing.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        text = str(value).strip()
    except (TypeError, ValueError):
        return None
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit():
        return None
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return None


# The largest primary key (a 64-bit signed integer column, on both databases).
ID_MAX = 2**63 - 1


def object_id(value) -> int | None:
    """A primary key from what a caller passed (as ``whole_number``), or None when it is
    not a whole number from 1 to ``ID_MAX``: a larger one cannot name a row, and SQLite
    refuses to compare a column with it."""
    number = whole_number(value)
    if number is None or not 1 <= number <= ID_MAX:
        return None
    return number
