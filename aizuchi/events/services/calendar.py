"""An event as an iCalendar file, with a UID that stays the same for the event however
often it is downloaded or changed (``event-<id>@<site domain>``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Event as CalendarEvent

from aizuchi.booking.services.calendar import calendar_new

from ..models import Event


def event_uid(event: Event) -> str:
    domain = urlsplit(settings.AIZUCHI_SITE_URL).hostname or "localhost"
    return f"event-{event.pk}@{domain}"


def event_file(*, event: Event, viewer, show_meeting_point: bool) -> bytes:
    """The event for one viewer's calendar (the meeting point only for a confirmed seat)."""
    with translation.override(getattr(viewer, "language", None) or settings.LANGUAGE_CODE):
        calendar = calendar_new(_("Aizuchi event"))
        item = CalendarEvent()
        item.add("uid", event_uid(event))
        item.add("dtstamp", timezone.now())
        item.add("dtstart", event.starts_at)
        item.add("dtend", event.ends_at)
        item.add("summary", f"{event.title} ({event.provider.display_name})")
        item.add("url", settings.AIZUCHI_SITE_URL + reverse("events:detail", args=[event.pk]))
        where = event.place
        if show_meeting_point and event.meeting_point:
            where = f"{where} / {event.meeting_point}" if where else event.meeting_point
        if where:
            item.add("location", where)
        item.add("status", "CANCELLED" if event.status == Event.Status.CANCELLED else "CONFIRMED")
        calendar.add_component(item)
    return calendar.to_ical()
