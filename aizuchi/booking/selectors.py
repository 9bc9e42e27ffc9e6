"""Reads of bookings, for pages and for the live domain ("is there a reservation now?",
which it passes to the access policy)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import NotFound
from aizuchi.core.money import whole_number
from aizuchi.relationships.models import RECENT_WINDOW
from aizuchi.relationships.selectors import Facts, PairFacts

from .models import LIVE_STATUSES, Booking

BOOKING_NOT_FOUND = _("That booking does not exist.")
# A booked customer may come in this long before their time.
EARLY_ENTRY = dt.timedelta(minutes=5)


def booking_get_for_participant(*, user, booking_id) -> Booking:
    """The booking, if ``user`` is its customer or its provider; otherwise NotFound."""
    booking = (
        Booking.objects.select_related("provider__user", "customer", "offering", "hold")
        .filter(pk=whole_number(booking_id) or -1)
        .filter(Q(customer=user) | Q(provider__user=user))
        .first()
    )
    if booking is None:
        raise NotFound(BOOKING_NOT_FOUND)
    return booking


def booking_now_for(*, customer, provider, now: dt.datetime | None = None) -> Booking | None:
    """The customer's confirmed booking with this provider that is on now (or about to be)."""
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            customer=customer,
            provider=provider,
            status=Booking.Status.CONFIRMED,
            start_at__lte=now + EARLY_ENTRY,
            end_at__gt=now,
        )
        .order_by("start_at")
        .first()
    )


def booking_now_at(*, provider, now: dt.datetime | None = None) -> Booking | None:
    """Anyone's confirmed booking with this provider that is on now (or about to be)."""
    now = now or timezone.now()
    return (
        Booking.objects.filter(
            provider=provider,
            status=Booking.Status.CONFIRMED,
            start_at__lte=now + EARLY_ENTRY,
            end_at__gt=now,
        )
        .order_by("start_at")
        .first()
    )


def bookings_for_customer(*, customer) -> dict[str, list[Booking]]:
    now = timezone.now()
    mine = Booking.objects.filter(customer=customer).select_related("provider", "offering")
    return {
        "upcoming": list(
            mine.filter(end_at__gt=now, status__in=LIVE_STATUSES).order_by("start_at")
        ),
        "past": list(
            mine.filter(Q(end_at__lte=now) | ~Q(status__in=LIVE_STATUSES)).order_by("-start_at")[
                :30
            ]
        ),
    }


def bookings_for_provider(*, provider) -> QuerySet[Booking]:
    """Live bookings from an hour ago on, soonest first (what the provider acts on)."""
    return (
        Booking.objects.filter(
            provider=provider,
            status__in=LIVE_STATUSES,
            end_at__gt=timezone.now() - dt.timedelta(hours=1),
        )
        .select_related("customer", "offering")
        .order_by("start_at")
    )


def bookings_for_feed(*, provider) -> QuerySet[Booking]:
    """What the provider's calendar feed lists: the bookings from 30 days ago, those called
    off too (as cancelled events, so subscribed calendars drop them)."""
    return (
        Booking.objects.filter(
            provider=provider,
            status__in=[
                *LIVE_STATUSES,
                Booking.Status.COMPLETED,
                Booking.Status.NO_SHOW,
                Booking.Status.CANCELLED,
                Booking.Status.DECLINED,
                Booking.Status.EXPIRED,
            ],
            start_at__gte=timezone.now() - dt.timedelta(days=30),
        )
        .select_related("customer", "offering")
        .order_by("start_at")
    )


def booking_end_for_session(*, session_id: int) -> dt.datetime | None:
    """When the booking a session came in from ends (None: not a booked session)."""
    return Booking.objects.filter(session_id=session_id).values_list("end_at", flat=True).first()


def relationship_facts(*, now: dt.datetime, provider_id: int | None = None) -> Facts:
    """What bookings say of each (provider, customer) pair, for a rebuild of the
    relationship rows: contacts (bookings made) and the bookings of the 7 days before
    ``now`` that count for the weekly cap (live, taken place, not attended)."""
    bookings = Booking.objects.all()
    if provider_id is not None:
        bookings = bookings.filter(provider_id=provider_id)
    counting = {*LIVE_STATUSES, Booking.Status.COMPLETED, Booking.Status.NO_SHOW}
    since = now - RECENT_WINDOW
    facts: Facts = {}
    rows = bookings.values_list("pk", "provider_id", "customer_id", "status", "created_at")
    for pk, provider, customer, status, created_at in rows.order_by("pk").iterator():
        pair = facts.setdefault((provider, customer), PairFacts())
        pair.first_contact_at = min(filter(None, (pair.first_contact_at, created_at)))
        pair.last_contact_at = max(filter(None, (pair.last_contact_at, created_at)))
        if status in counting and created_at >= since:
            pair.recent_bookings.append([pk, created_at.isoformat()])
    return facts
