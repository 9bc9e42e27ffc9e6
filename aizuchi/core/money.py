"""Whole yen from what people type, the one parser every money field goes through."""

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
