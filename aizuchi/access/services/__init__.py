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

from ..models import AccessPolicy, MissedNewcomer
from ..policy import MISSED_NEWCOMER_CODES, AccessDecision

INVITE_MINUTES_OUT_OF_RANGE = _("Invite for 5 to 240 minutes.")
CUSTOMER_NOT_FOUND = _("That customer has not talked with you yet.")
POLICY_NUMBER_OUT_OF_RANGE = _("Enter %(min)s to %(max)s, or leave it empty.")
# (minimum, maximum) of the policy's numbers; empty means no limit.
POLICY_LIMITS = {
    "drop_ins_per_week": (1, 50),
    "bookings_per_week": (1, 50),
    "appointment_opens_after_minutes": (5, 120),
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
    """The provider stops (or resumes) taking sessions and bookings from a customer."""
    row = _known_customer(provider, customer_id)
    if blocked:
        relationship_block(
            provider_id=provider.pk, customer_id=row.customer_id, by=provider.user, reason=reason
        )
    else:
        relationship_unblock(provider_id=provider.pk, customer_id=row.customer_id)
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
