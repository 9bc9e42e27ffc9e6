"""The kinds of notification the booking app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register, present_money

KINDS: dict[str, Kind] = {
    "booking_requested": Kind(
        title=_("%(customer)s asks to book %(start)s"),
        body=_("Confirm or decline the request on your bookings page before it expires."),
        present=present_money,
    ),
    "booking_made": Kind(
        title=_("%(customer)s booked %(start)s"),
        body=_("The time is in your bookings and your calendar feed."),
        present=present_money,
    ),
    "booking_confirmed": Kind(
        title=_("%(provider)s confirmed your booking"),
        body=_("See you on %(start)s. You can enter the session from the booking at that time."),
        present=present_money,
    ),
    "booking_declined": Kind(
        title=_("%(provider)s could not take your booking"),
        body=_("Nothing was charged. Please choose another time."),
        present=present_money,
    ),
    "booking_expired": Kind(
        title=_("Your request to %(provider)s was not answered in time"),
        body=_("The held points are back. Please choose another time."),
        present=present_money,
    ),
    "booking_cancelled": Kind(
        title=_("The booking on %(start)s was cancelled"),
        body=_("See the booking for the details."),
        present=present_money,
    ),
    "booking_moved": Kind(
        title=_("A booking moved to %(start)s"),
        body=_("See the booking for the new time."),
        present=present_money,
    ),
    "booking_no_show": Kind(
        title=_("You missed your booking with %(provider)s"),
        body=_("The booking on %(start)s is marked as not attended."),
        present=present_money,
    ),
    "booking_reminder": Kind(
        title=_("Reminder: a booking on %(start)s"),
        body=_("%(customer)s and %(provider)s. Open the booking to enter the session at the time."),
        present=present_money,
    ),
}


def register() -> None:
    kinds_register(KINDS)
