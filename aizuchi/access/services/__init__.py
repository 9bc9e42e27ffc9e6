"""Every change the access domain makes: the provider's policy, their invitations and
blocks (on the relationship row), and the newcomers who came at a bad moment."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput, NotFound, lazy_format
from aizuchi.core.money import whole_number
from aizuchi.notifications.services import notification_send
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.selectors import relationship_for
from aizuchi.relationships.services import (
    relationship_block,
    relationship_invite,
    relationship_unblock,
)

from ..models import MESSAGE_POLICY_DEFAULTS, AccessPolicy, MessagePolicy, MissedNewcomer
from ..policy import MISSED_NEWCOMER_CODES, AccessDecision

INVITE_MINUTES_OUT_OF_RANGE = _("Invite for 5 to 240 minutes.")
CUSTOMER_NOT_FOUND = _("That customer has not talked with you yet.")
POLICY_NUMBER_OUT_OF_RANGE = _("Enter %(min)s to %(max)s, or leave it empty.")
# (minimum, maximum) of the policy's numbers; empty means no limit.
POLICY_LIMITS = {
    "drop_ins_per_week": (1, 50),
    "bookings_per_week": (1, 50),
    "appointment_opens_after_minutes": (5, 120),
    "invited_tiers": (1, 4),
}


def missed_newcomer_record(
    *, provider, customer, decision: AccessDecision
) -> MissedNewcomer | None:
    """Remember a newcomer turned away because the provider was busy or waiting for an
    appointment (the single-regular risk: insights show the provider these)."""
    codes = [code for code in decision.codes if code in MISSED_NEWCOMER_CODES]
    if not decision.newcomer or not codes:
        return None
    return MissedNewcomer.objects.create(
        provider=provider, customer=customer, state=decision.state, reason=codes[0]
    )


def _known_customer(provider, customer_id) -> Relationship:
    """A customer who has been in contact with the provider (a session or a booking)."""
    customer_pk = whole_number(customer_id)
    row = relationship_for(provider_id=provider.pk, customer_id=customer_pk or -1)
    if row.pk is None or row.first_contact_at is None:
        raise NotFound(CUSTOMER_NOT_FOUND)
    return row


def invitation_create(*, provider, customer_id, minutes) -> Relationship:
    """Let one of the provider's customers in during appointment standby, from now."""
    number = whole_number(minutes)
    if number is None or not 5 <= number <= 240:
        raise InvalidInput({"minutes": [INVITE_MINUTES_OUT_OF_RANGE]})
    row = _known_customer(provider, customer_id)
    now = timezone.now()
    row = relationship_invite(
        provider_id=provider.pk,
        customer_id=row.customer_id,
        valid_from=now,
        valid_until=now + timedelta(minutes=number),
    )
    notification_send(
        user=row.customer,
        kind="appointment_invitation",
        params={"provider": provider.display_name, "minutes": number},
        url=reverse("storefront:detail", args=[provider.pk]),
    )
    return row


def block_set(*, provider, customer_id, blocked: bool, reason: str = "") -> bool:
    """The provider stops (or resumes) taking sessions, bookings and messages from a
    customer who has been in contact with them (a session or a booking)."""
    row = _known_customer(provider, customer_id)
    return customer_block_set(
        provider=provider, customer_id=row.customer_id, blocked=blocked, reason=reason
    )


def customer_block_set(*, provider, customer_id: int, blocked: bool, reason: str = "") -> bool:
    """The block itself, for a caller that has already checked the customer is the
    provider's to block (a message thread between them: ``messaging``)."""
    if blocked:
        relationship_block(
            provider_id=provider.pk, customer_id=customer_id, by=provider.user, reason=reason
        )
    else:
        relationship_unblock(provider_id=provider.pk, customer_id=customer_id)
    return blocked


def access_policy_set(
    *, provider, newcomers_by_reservation=False, regulars_drop_in=True, **numbers
) -> AccessPolicy:
    """Who may connect: newcomers by reservation only, regulars' drop-ins, weekly limits,
    and when an unused reserved time opens to everyone."""
    errors: dict[str, list] = {}
    clean: dict[str, int | None] = {}
    for name, (low, high) in POLICY_LIMITS.items():
        value = numbers.get(name)
        if value in (None, ""):
            clean[name] = None
            continue
        number = whole_number(value)
        if number is None or not low <= number <= high:
            errors[name] = [lazy_format(POLICY_NUMBER_OUT_OF_RANGE, min=low, max=high)]
        clean[name] = number
    if errors:
        raise InvalidInput(errors)
    policy, _created = AccessPolicy.objects.update_or_create(
        provider=provider,
        defaults={
            "newcomers_by_reservation": bool(newcomers_by_reservation),
            "regulars_drop_in": bool(regulars_drop_in),
            **clean,
        },
    )
    return policy


# --- the provider's message policy -----------------------------------------------------------

MESSAGE_MODE_UNKNOWN = _("Choose closed, free pre-consultation or paid messages.")
MESSAGE_PERIOD_UNKNOWN = _("Choose in all or each month.")
MESSAGE_PAYMENT_UNKNOWN = _("Choose prepaid points or a postpaid invoice.")
MESSAGE_PRICE_NEEDED = _("Paid messages need a price of at least ¥%(min)s.")
# (minimum, maximum) of the message policy's numbers.
MESSAGE_POLICY_LIMITS = {
    "free_count": (0, 50),
    "max_length": (20, 2000),
    "price_yen": (0, 10_000),
}
MESSAGE_PRICE_MIN_YEN = 10


def _message_numbers(values: dict, prefix: str, errors: dict) -> dict[str, int]:
    clean: dict[str, int] = {}
    for name, (low, high) in MESSAGE_POLICY_LIMITS.items():
        number = whole_number(values.get(prefix + name))
        if number is None or not low <= number <= high:
            errors[prefix + name] = [lazy_format(POLICY_NUMBER_OUT_OF_RANGE, min=low, max=high)]
        else:
            clean[name] = number
    return clean


def message_policy_set(*, provider, payment, **values) -> dict[str, MessagePolicy]:
    """How the provider takes messages from newcomers and from regulars, both at once
    (fields ``newcomers_<name>`` and ``regulars_<name>``: mode, free_count, free_period,
    max_length, price_yen) and how paid messages are paid: all or nothing."""
    errors: dict[str, list] = {}
    if payment not in MessagePolicy.Payment.values:
        errors["payment"] = [MESSAGE_PAYMENT_UNKNOWN]
    cleaned: dict[str, dict] = {}
    for audience in map(str, MESSAGE_POLICY_DEFAULTS):
        prefix = f"{audience}_"
        mode = values.get(prefix + "mode")
        period = values.get(prefix + "free_period")
        if mode not in MessagePolicy.Mode.values:
            errors[prefix + "mode"] = [MESSAGE_MODE_UNKNOWN]
        if period not in MessagePolicy.Period.values:
            errors[prefix + "free_period"] = [MESSAGE_PERIOD_UNKNOWN]
        numbers = _message_numbers(values, prefix, errors)
        price = numbers.get("price_yen")
        if price is not None and price and price < MESSAGE_PRICE_MIN_YEN:
            errors[prefix + "price_yen"] = [
                lazy_format(POLICY_NUMBER_OUT_OF_RANGE, min=MESSAGE_PRICE_MIN_YEN, max=10_000)
            ]
        elif mode == MessagePolicy.Mode.PAID and price == 0:
            errors[prefix + "price_yen"] = [
                lazy_format(MESSAGE_PRICE_NEEDED, min=MESSAGE_PRICE_MIN_YEN)
            ]
        cleaned[audience] = {"mode": mode, "free_period": period, **numbers}
    if errors:
        raise InvalidInput(errors)
    now = timezone.now()
    saved: dict[str, MessagePolicy] = {}
    for audience, fields in cleaned.items():
        saved[audience], _created = MessagePolicy.objects.update_or_create(
            provider=provider,
            audience=audience,
            defaults={**fields, "payment": payment, "updated_at": now},
        )
    return saved
