"""Names other people see (a nickname, a provider's display name): cleaned in one place.

A name is shown in reviews, lists, the ringing screen and e-mail, next to other people's
names, so it must not be able to pass itself off as something else: NFKC (full-width
letters become ordinary ones), whitespace collapsed to single spaces and trimmed, and no
control, direction-override or other invisible formatting characters (Unicode categories
Cc and Cf, which hold the bidi controls U+202A–U+202E and U+2066–U+2069), nor letters
that draw nothing (the Hangul fillers, the blank braille pattern). Such a name is refused
with a field error rather than quietly changed, so the person sees what others will see.

The one exception is the zero-width joiner between two emoji (👩‍💻), which draws a single
emoji and hides nothing.
"""

from __future__ import annotations

import unicodedata
from typing import cast

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

NAME_REQUIRED = _("Enter a name.")
NAME_TOO_LONG = ngettext_lazy(
    "Keep the name to %(limit)d character.",
    "Keep the name to %(limit)d characters.",
    "limit",
)
NAME_INVISIBLE = _(
    "Use characters people can see: control characters, text-direction marks and "
    "invisible formatting are not allowed in a name."
)

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})
# Letters and symbols that draw nothing, used to make a name look empty or to pad one.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
ZERO_WIDTH_JOINER = "\u200d"
# What may stand before a joiner inside an emoji: the emoji, a skin tone (Sk) or the
# emoji presentation selector (Mn); after it comes the next emoji.
_BEFORE_JOINER = frozenset({"So", "Sk", "Mn"})


def _joins_emoji(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return (
        bool(before and after)
        and unicodedata.category(before) in _BEFORE_JOINER
        and unicodedata.category(after) == "So"
    )


def name_has_invisible(text: str) -> bool:
    """True when ``text`` holds a character a name may not (see the module docstring)."""
    for index, char in enumerate(text):
        if char in BLANK_CHARACTERS:
            return True
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            if char == ZERO_WIDTH_JOINER and _joins_emoji(text, index):
                continue
            return True
    return False


def name_clean(
    value: str | None,
    *,
    max_length: int,
    required: bool = True,
    required_message: str | Promise = NAME_REQUIRED,
) -> str:
    """The name as it is stored and shown, or ``ValidationError`` with the reason.

    An optional name left blank (or only spaces) is ``""``.
    """
    text = unicodedata.normalize("NFKC", value or "")
    # str.split() treats tabs, line breaks and the other Unicode spaces as whitespace.
    text = " ".join(text.split())
    if name_has_invisible(text):
        raise ValidationError(NAME_INVISIBLE, code="name_invisible")
    if not text:
        if required:
            # a lazy message stays lazy (shown in the reader's language)
            raise ValidationError(cast(str, required_message), code="required")
        return ""
    if len(text) > max_length:
        raise ValidationError(NAME_TOO_LONG % {"limit": max_length}, code="max_length")
    return text
