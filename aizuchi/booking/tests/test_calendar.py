"""iCalendar: the provider's private feed (revocable) and one booking's file."""

from __future__ import annotations

import pytest
import time_machine
from icalendar import Calendar

from aizuchi.booking.services import calendar as svc
from aizuchi.booking.services.bookings import booking_request
from aizuchi.booking.services.slots import calendar_token_renew
from aizuchi.core.errors import NotFound

from .factories import bookable_offering, customer_with_points, window

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_the_feed_lists_bookings_in_utc_and_a_new_token_revokes_the_old():
    offering = bookable_offering(window(0, 20))
    customer = customer_with_points()
    customer.display_name = "みお"
    customer.save()
    booking = booking_request(
        customer=customer, offering_id=offering.pk, start="2026-12-07T20:00:00+09:00", key="c" * 20
    )
    token = calendar_token_renew(provider=offering.provider)
    calendar = Calendar.from_ical(svc.provider_feed(token=token))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert event["uid"] == f"booking-{booking.pk}@127.0.0.1:8000"  # this site's address
    assert event.decoded("dtstart").isoformat() == "2026-12-07T11:00:00+00:00"
    assert event.decoded("dtend").isoformat() == "2026-12-07T11:30:00+00:00"
    assert b"DTSTART:20261207T110000Z" in svc.provider_feed(token=token)
    assert "みお" in str(event["summary"])
    new = calendar_token_renew(provider=offering.provider)
    assert new != token
    with pytest.raises(NotFound):
        svc.provider_feed(token=token)
    with pytest.raises(NotFound):
        svc.provider_feed(token="")


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_a_booking_file_names_the_other_person():
    offering = bookable_offering(window(0, 20))
    customer = customer_with_points()
    booking = booking_request(
        customer=customer, offering_id=offering.pk, start="2026-12-07T20:00:00+09:00", key="d" * 20
    )
    mine = Calendar.from_ical(svc.booking_file(booking=booking, viewer=customer))
    theirs = Calendar.from_ical(svc.booking_file(booking=booking, viewer=offering.provider.user))
    assert offering.provider.display_name in str(mine.walk("VEVENT")[0]["summary"])
    assert str(customer.public_name) in str(theirs.walk("VEVENT")[0]["summary"])
