"""Small pieces every billing service shares: settings, amount checks, staff checks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput, NotFound, lazy_format
from aizuchi.core.money import whole_number

AMOUNT_OUT_OF_RANGE = _("Enter a whole number of yen from ¥%(min)s to ¥%(max)s.")
REASON_REQUIRED = _("Say why, in a few words; it is kept with the entry.")
REASON_TOO_LONG = _("Keep the reason to %(max)d characters.")
STAFF_ONLY = _("Only staff can do this.")
REASON_MAX = 500


def billing_setting(name: str) -> Any:
    return settings.AIZUCHI_BILLING[name]


def clean_yen(value, *, field: str, minimum: int, maximum: int) -> int:
    """A whole amount in ``[minimum, maximum]`` or an ``InvalidInput`` naming ``field``."""
    amount = whole_number(value)
    if amount is None or not minimum <= amount <= maximum:
        raise InvalidInput(
            {field: [lazy_format(AMOUNT_OUT_OF_RANGE, min=f"{minimum:,}", max=f"{maximum:,}")]}
        )
    return amount


def clean_reason(value, *, field: str = "reason") -> str:
    reason = (value or "").strip()
    if not reason:
        raise InvalidInput({field: [REASON_REQUIRED]})
    if len(reason) > REASON_MAX:
        raise InvalidInput({field: [lazy_format(REASON_TOO_LONG, max=REASON_MAX)]})
    return reason


def require_staff(user) -> None:
    """Staff-only actions look like missing pages to everyone else."""
    if not (user is not None and user.is_authenticated and user.is_staff):
        raise NotFound(STAFF_ONLY)
