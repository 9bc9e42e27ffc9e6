"""The kinds of notification the events app sends (registered by its ``AppConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aizuchi.notifications.kinds import Kind, kinds_register, present_money

KINDS: dict[str, Kind] = {
    "event_registered": Kind(
        title=_("%(customer)s registered for %(event)s"),
        body=_("The attendee list is on the event's page."),
        present=present_money,
    ),
    "event_full": Kind(
        title=_("%(event)s is full this time"),
        body=_(
            "Thank you for wanting to come. You are on the waitlist, and if a seat opens we "
            "will hold it for you and let you know. We hope to see you next time."
        ),
        present=present_money,
    ),
    "event_seat_offered": Kind(
        title=_("A seat at %(event)s is held for you"),
        body=_("Open the event and confirm your seat before the hold ends."),
        present=present_money,
    ),
    "event_offer_lapsed": Kind(
        title=_("The seat held for you at %(event)s was passed on"),
        body=_("It was not confirmed in time. We hope to see you next time."),
        present=present_money,
    ),
    "event_registration_cancelled": Kind(
        title=_("%(customer)s cancelled for %(event)s"),
        body=_("The seat went to the waitlist, or is open again."),
        present=present_money,
    ),
    "event_cancelled": Kind(
        title=_("%(event)s on %(start)s was cancelled"),
        body=_("Nothing is charged, and any points held are back."),
        present=present_money,
    ),
    "event_invited": Kind(
        title=_("%(provider)s invites you to %(event)s"),
        body=_("Open the invitation to see the date, the price and the seats left."),
        present=present_money,
    ),
    "event_series_next": Kind(
        title=_("The next %(event)s is open, and you are invited first"),
        body=_("You were on the waitlist last time. Open it to register."),
        present=present_money,
    ),
    "event_reminder": Kind(
        title=_("Reminder: %(event)s on %(start)s"),
        body=_("Open the event for the place and the time."),
        present=present_money,
    ),
}


def register() -> None:
    kinds_register(KINDS)
