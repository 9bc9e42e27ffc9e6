"""Free text people type (a reason, a note): what no service stores.

A NUL character is never part of what a person meant, PostgreSQL refuses it in text
columns, and SQLite would keep it: every service refuses it the same way, with the
message Django's form fields give (the same msgid, so our Japanese replaces Django's,
which reads as "enter some characters").
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

NULL_CHARACTERS = _("Null characters are not allowed.")


def has_null(text: str) -> bool:
    return "\x00" in text


def spreadsheet_cell(text: str) -> str:
    """A text cell of a CSV that a spreadsheet will not run as a formula: free text people
    typed (nicknames, notes, tags) may begin with ``=``, ``+``, ``-`` or ``@``."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
