"""Bookings as iCalendar (RFC 5545): a provider's private feed and one booking's file.

Times are written in UTC (``…Z``), so every calendar shows them in its own owner's zone.
The feed's address carries a secret token (``BookingSettings.calendar_token``); a new
token revokes the old address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from aizuchi.core.errors import NotFound

from ..models import Booking, BookingSettings
from ..selectors import bookings_for_feed

FEED_NOT_FOUND = "no such calendar"


def calendar_new(name: str) -> Calendar:
    """An empty calendar named ``name`` (UTC times; shared by every domain's .ics)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Aizuchi//Bookings//JA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


ENDED = (Booking.Status.CANCELLED, Booking.Status.DECLINED, Booking.Status.EXPIRED)


def booking_uid(booking: Booking) -> str:
    """The event's UID: the booking and this installation's address, so two sites' events
    never clash in one calendar."""
    host = urlsplit(settings.AIZUCHI_SITE_URL).netloc or "aizuchi"
    return f"booking-{booking.pk}@{host}"


def _event(booking: Booking, *, for_provider: bool) -> Event:
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.start_at)
    event.add("dtend", booking.end_at)
    with_whom = str(booking.customer.public_name) if for_provider else booking.provider.display_name
    channel = _("voice call") if booking.channel == "voice" else _("text chat")
    event.add(
        "summary", _("Aizuchi: %(who)s (%(channel)s)") % {"who": with_whom, "channel": channel}
    )
    event.add("url", settings.AIZUCHI_SITE_URL + reverse("booking:detail", args=[booking.pk]))
    if booking.status in ENDED:
        status = "CANCELLED"
    elif booking.status == Booking.Status.PENDING:
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    event.add("status", status)
    # Each move is a new version of the event; calling it off is one more.
    event.add("sequence", booking.sequence + (1 if status == "CANCELLED" else 0))
    return event


def provider_feed(*, token: str) -> bytes:
    """The provider's private feed, for the token in its address (NotFound otherwise)."""
    found = (
        BookingSettings.objects.select_related("provider__user")
        .filter(calendar_token=token)
        .first()
        if token
        else None
    )
    if found is None:
        raise NotFound(FEED_NOT_FOUND)
    provider = found.provider
    with translation.override(provider.user.language):
        calendar = calendar_new(_("Aizuchi bookings"))
        for booking in bookings_for_feed(provider=provider):
            calendar.add_component(_event(booking, for_provider=True))
    return calendar.to_ical()


def booking_file(*, booking: Booking, viewer) -> bytes:
    """One booking as an .ics file for one of its participants."""
    for_provider = booking.provider.user_id == viewer.pk
    with translation.override(viewer.language):
        calendar = calendar_new(_("Aizuchi booking"))
        calendar.add_component(_event(booking, for_provider=for_provider))
    return calendar.to_ical()
