"""Free text people type (a reason, a note): what no service stores.

A NUL character is never part of what a person meant, PostgreSQL refuses it in text
columns, and SQLite would keep it: every service refuses it the same way, with the
message Django's form fields give (the same msgid, so our Japanese replaces Django's,
which reads as "enter some characters").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .errors import lazy_format

NULL_CHARACTERS = _("Null characters are not allowed.")


def has_null(text: str) -> bool:
    return "\x00" in text


def spreadsheet_cell(text: str) -> str:
    """A text cell of a CSV that a spreadsheet will not run as a formula: free text people
    typed (nicknames, notes, tags) may begin with ``=``, ``+``, ``-`` or ``@``."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- placeholders in a text a person writes once for many readers ------------------------------

PLACEHOLDER = re.compile(r"\{(\w+)\}")
UNKNOWN_PLACEHOLDER = _("Unknown placeholder {%(name)s}. Use %(known)s.")


def placeholders_unknown(text: str, known: Iterable[str]) -> Promise | None:
    """The refusal of the first placeholder in ``text`` that is not one of ``known``."""
    known = tuple(known)
    for found in PLACEHOLDER.findall(text):
        if found not in known:
            listed = " ".join(f"{{{name}}}" for name in known)
            return lazy_format(UNKNOWN_PLACEHOLDER, name=found, known=listed)
    return None


def placeholders_fill(text: str, values: Mapping[str, Callable[[], str]]) -> str:
    """``text`` with each known placeholder replaced by its value (computed only when the
    text uses it); anything else in braces is left as written."""
    return PLACEHOLDER.sub(
        lambda match: values[match.group(1)]() if match.group(1) in values else match.group(0),
        text,
    )
