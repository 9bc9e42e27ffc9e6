"""A provider's offerings: one per channel, a price per minute and the terms of sale.

The storefront keeps the terms as the provider enters them and says them in plain
words; turning them into charges belongs to billing.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.core.money import whole_number

from ..models import Offering, Provider
from .profile import profile_limit

UNKNOWN_CHANNEL = _("Choose voice call or text chat.")
PRICE_OUT_OF_RANGE = _("Set a price between ¥%(min)d and ¥%(max)d a minute.")
UNKNOWN_ROUNDING = _("Choose how minutes are counted.")
UNKNOWN_PAYMENT = _("Choose prepaid or postpaid.")
FREE_MINUTES_OUT_OF_RANGE = _("Free minutes go from 0 to %(max)d.")
CAP_OUT_OF_RANGE = _("A limit goes from 1 to %(max)d minutes, or leave it empty.")
FREE_ABOVE_FIRST_CAP = _("The free minutes cannot be longer than the first session.")
FREE_ABOVE_CAP = _("The free minutes cannot be longer than a session.")
FIRST_CAP_ABOVE_CAP = _(
    "The first session cannot be longer than every session's limit; lower it or leave it empty."
)
NO_OFFERING = _("You have no offering on that channel yet.")


def _refresh_price_from(provider_id: int) -> int | None:
    """Provider.price_from = the lowest price among active offerings (None if none)."""
    lowest = Offering.objects.filter(provider_id=provider_id, is_active=True).aggregate(
        low=Min("price_per_minute")
    )["low"]
    Provider.objects.filter(pk=provider_id).update(price_from=lowest, updated_at=timezone.now())
    return lowest


def offering_save(
    *,
    provider: Provider,
    channel: str,
    price_per_minute: int | str,
    rounding: str = Offering.Rounding.PER_MINUTE,
    first_free_minutes: int | str | None = 0,
    first_session_cap_minutes: int | str | None = None,
    session_cap_minutes: int | str | None = None,
    payment: str = Offering.Payment.PREPAID,
    is_active: bool = True,
) -> Offering:
    """Create or update the provider's offering on ``channel``; all of it or nothing."""
    errors: dict[str, list] = {}
    if channel not in Offering.Channel.values:
        errors["channel"] = [UNKNOWN_CHANNEL]
    price_min, price_max = profile_limit("PRICE_MIN_YEN"), profile_limit("PRICE_MAX_YEN")
    price = whole_number(price_per_minute)
    if price is None or not price_min <= price <= price_max:
        errors["price_per_minute"] = [PRICE_OUT_OF_RANGE % {"min": price_min, "max": price_max}]
    if rounding not in Offering.Rounding.values:
        errors["rounding"] = [UNKNOWN_ROUNDING]
    if payment not in Offering.Payment.values:
        errors["payment"] = [UNKNOWN_PAYMENT]
    free_max = profile_limit("FIRST_FREE_MINUTES_MAX")
    free = whole_number(first_free_minutes if first_free_minutes not in (None, "") else 0)
    if free is None or not 0 <= free <= free_max:
        errors["first_free_minutes"] = [FREE_MINUTES_OUT_OF_RANGE % {"max": free_max}]
    cap_max = profile_limit("SESSION_CAP_MAX_MINUTES")
    caps: dict[str, int | None] = {}
    for field, value in (
        ("first_session_cap_minutes", first_session_cap_minutes),
        ("session_cap_minutes", session_cap_minutes),
    ):
        if value in (None, ""):
            caps[field] = None
            continue
        number = whole_number(value)
        if number is None or not 1 <= number <= cap_max:
            errors[field] = [CAP_OUT_OF_RANGE % {"max": cap_max}]
        caps[field] = number
    first_cap, cap = caps["first_session_cap_minutes"], caps["session_cap_minutes"]
    if not errors and free is not None:
        if first_cap is not None and free > first_cap:
            errors["first_free_minutes"] = [FREE_ABOVE_FIRST_CAP]
        elif first_cap is None and cap is not None and free > cap:
            errors["first_free_minutes"] = [FREE_ABOVE_CAP]
        if first_cap is not None and cap is not None and first_cap > cap:
            errors["first_session_cap_minutes"] = [FIRST_CAP_ABOVE_CAP]
    if errors:
        raise InvalidInput(errors)

    now = timezone.now()
    values = {
        "price_per_minute": price,
        "rounding": rounding,
        "first_free_minutes": free,
        "first_session_cap_minutes": first_cap,
        "session_cap_minutes": cap,
        "payment": payment,
        "is_active": bool(is_active),
        "updated_at": now,
    }
    with transaction.atomic():
        # Saves of one provider queue behind each other, so price_from is never stale.
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
        offering, _created = Offering.objects.update_or_create(
            provider=provider, channel=channel, defaults=values
        )
        provider.price_from = _refresh_price_from(provider.pk)
    return offering


def offering_set_active(*, provider: Provider, channel: str, is_active: bool) -> Offering:
    """Open or close the provider's offering on ``channel`` for sale."""
    with transaction.atomic():
        Provider.objects.select_for_update().filter(pk=provider.pk).first()
        offering = Offering.objects.filter(provider=provider, channel=channel).first()
        if offering is None:
            raise NotFound(NO_OFFERING)
        offering.is_active = bool(is_active)
        offering.updated_at = timezone.now()
        offering.save(update_fields=["is_active", "updated_at"])
        provider.price_from = _refresh_price_from(provider.pk)
    return offering
