"""The provider's events: create, change, cancel, invite; a series' next event invites
the last one's waitlist first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.billing.services.charges import event_fee_refund
from aizuchi.billing.services.holds import hold_release
from aizuchi.core.db import insert_or_skip
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, lazy_format
from aizuchi.core.names import name_clean
from aizuchi.core.readers import as_read_by
from aizuchi.core.text import (
    NULL_CHARACTERS,
    has_null,
    placeholders_fill,
    placeholders_unknown,
)
from aizuchi.messaging.selectors import THREAD_NOT_FOUND, thread_get_for_participant
from aizuchi.messaging.services.threads import message_send
from aizuchi.notifications.services import notification_send
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import Provider
from aizuchi.storefront.selectors.providers import provider_get_for_owner

from ..models import LIVE_STATES, Event, EventSeries, Invitation, Registration
from ..selectors import event_get_for_owner, event_next_for_reply

NO_STOREFRONT = _("Open your storefront first; events are held on it.")
IN_THE_PAST = _("Choose a time in the future.")
CLOSES_AFTER_START = _("Registration must close before the event starts.")
NEWCOMER_SEATS_TOO_MANY = _("Keep at most as many seats for newcomers as there are seats.")
CAPACITY_BELOW_TAKEN = _("%(taken)d seats are taken already; the capacity cannot be lower.")
RANGE = _("Enter a whole number from %(low)s to %(high)s.")
PLACE_NEEDED = _("Say where the gathering takes place.")
PRICE_LOCKED = _("People have registered; the price and payment can no longer change.")
ALREADY_BEGUN = _("The event has begun; it can no longer be changed or cancelled.")
ALREADY_CANCELLED = _("This event was cancelled.")
FEE_REFUND_REASON = _("Late-cancellation fee returned: the provider cancelled the event")
CHOOSE_CUSTOMERS = _("Choose at least one of your customers.")
TEXT_TOO_LONG = _("Keep this to %(max)d characters.")
TITLE_REQUIRED = _("Give the event a title.")

LIMITS = {
    "length_minutes": (15, 24 * 60),
    "price_yen": (0, 1_000_000),
    "capacity": (1, 500),
    "newcomer_seats": (0, 500),
    "cancel_free_hours": (0, 24 * 30),
    "late_cancel_percent": (0, 100),
    "offer_hold_hours": (1, 24 * 7),
}
TIER_LEVELS = 4  # the customer card's tiers (crm): 1 the most invested
TEXTS = {
    "description": 2000,
    "place": 120,
    "meeting_point": 300,
    "map_url": 300,
    "invite_reply": 1000,
}
REPLY_PLACEHOLDERS = ("name", "title", "date", "url")


def _provider_of(user) -> Provider:
    provider = provider_get_for_owner(user=user)
    if provider is None:
        raise Conflict(NO_STOREFRONT, code="no_storefront")
    return provider


def _clean(fields: dict, errors: dict, now: dt.datetime) -> dict:
    """Every field of an event checked, each refusal on its field."""
    data: dict = {}
    try:
        data["title"] = name_clean(
            fields.get("title"), max_length=80, required=True, required_message=TITLE_REQUIRED
        )
    except ValidationError as exc:
        errors["title"] = list(exc.messages)
    kind = fields.get("kind")
    if kind not in Event.Kind.values:
        errors["kind"] = [_("Choose a kind of event.")]
    data["kind"] = kind
    for name, (low, high) in LIMITS.items():
        value = fields.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors[name] = [lazy_format(RANGE, low=f"{low:,}", high=f"{high:,}")]
        data[name] = value
    for name, most in TEXTS.items():
        text = str(fields.get(name) or "").strip()
        if has_null(text):
            errors[name] = [NULL_CHARACTERS]
        elif len(text) > most:
            errors[name] = [lazy_format(TEXT_TOO_LONG, max=most)]
        data[name] = text
    unknown = placeholders_unknown(data["invite_reply"], REPLY_PLACEHOLDERS)
    if unknown is not None and "invite_reply" not in errors:
        errors["invite_reply"] = [unknown]
    tiers = fields.get("invited_tiers")
    if tiers in (None, ""):
        tiers = None
    elif not isinstance(tiers, int) or isinstance(tiers, bool) or not 1 <= tiers <= TIER_LEVELS:
        errors["invited_tiers"] = [_("Choose one of the options.")]
    data["invited_tiers"] = tiers if fields.get("audience") == Event.Audience.INVITED else None
    for name, choices in (("payment", Event.Payment.values), ("audience", Event.Audience.values)):
        if fields.get(name) not in choices:
            errors[name] = [_("Choose one of the options.")]
        data[name] = fields.get(name)
    starts_at = fields.get("starts_at")
    if not isinstance(starts_at, dt.datetime) or starts_at.tzinfo is None:
        errors["starts_at"] = [_("Enter a date and time.")]
    elif starts_at <= now:
        errors["starts_at"] = [IN_THE_PAST]
    data["starts_at"] = starts_at
    closes = fields.get("registration_closes_at") or starts_at
    if (
        isinstance(closes, dt.datetime)
        and isinstance(starts_at, dt.datetime)
        and closes > starts_at
    ):
        errors["registration_closes_at"] = [CLOSES_AFTER_START]
    data["registration_closes_at"] = closes
    if (
        "newcomer_seats" not in errors
        and "capacity" not in errors
        and data["newcomer_seats"] > data["capacity"]
    ):
        errors["newcomer_seats"] = [NEWCOMER_SEATS_TOO_MANY]
    if data.get("kind") == Event.Kind.IN_PERSON and not data["place"] and "place" not in errors:
        errors["place"] = [PLACE_NEEDED]
    return data


def _series(provider: Provider, title) -> EventSeries | None:
    name = str(title or "").strip()[:80]
    if not name or has_null(name):
        return None
    series, _created = EventSeries.objects.get_or_create(provider=provider, title=name)
    return series


def event_create(*, user, fields: dict, series_title: str = "", now=None) -> Event:
    """A new event on the provider's storefront. In a series, the last event's waitlist is
    invited to this one first."""
    now = now or timezone.now()
    provider = _provider_of(user)
    errors: dict = {}
    data = _clean(fields, errors, now)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        event = Event.objects.create(
            provider=provider, series=_series(provider, series_title), created_at=now, **data
        )
        if event.series_id is not None:
            _series_waitlist_first(event)
    return event


def event_update(*, user, event_id, fields: dict, now=None) -> Event:
    """Change an event before it begins. The capacity never falls below the seats taken;
    once someone registered, price and payment stay as they were."""
    now = now or timezone.now()
    event = event_get_for_owner(user=user, event_id=event_id)
    errors: dict = {}
    data = _clean(fields, errors, now)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.status != Event.Status.SCHEDULED:
            raise Conflict(ALREADY_CANCELLED, code="cancelled")
        if locked.started_at is not None or locked.starts_at <= now:
            raise Conflict(ALREADY_BEGUN, code="begun")
        if "capacity" not in errors and data["capacity"] < locked.seats_taken:
            errors["capacity"] = [lazy_format(CAPACITY_BELOW_TAKEN, taken=locked.seats_taken)]
        if (
            "newcomer_seats" not in errors
            and "capacity" not in errors
            and data["capacity"] - data["newcomer_seats"] < locked.regular_seats_taken
        ):
            errors["newcomer_seats"] = [
                lazy_format(CAPACITY_BELOW_TAKEN, taken=locked.regular_seats_taken)
            ]
        registered = Registration.objects.filter(event=locked).exists()
        if registered and (
            data["price_yen"] != locked.price_yen or data["payment"] != locked.payment
        ):
            errors["price_yen"] = [PRICE_LOCKED]
        if errors:
            raise InvalidInput(errors)
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save()
    return locked


def event_cancel(*, user, event_id, now=None) -> Event:
    """The provider cancels an event before it begins: every hold is released, nothing
    is charged, and the fees of those who cancelled late are given back (for an event
    that never took place), each once; everyone registered is told."""
    now = now or timezone.now()
    event = event_get_for_owner(user=user, event_id=event_id)
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        if locked.status != Event.Status.SCHEDULED:
            raise Conflict(ALREADY_CANCELLED, code="cancelled")
        if locked.started_at is not None or locked.starts_at <= now:
            raise Conflict(ALREADY_BEGUN, code="begun")
        Event.objects.filter(pk=locked.pk).update(
            status=Event.Status.CANCELLED, seats_taken=0, regular_seats_taken=0
        )
        # Read before the live ones below become cancelled too (they carry no charge).
        fees_paid = list(
            Registration.objects.filter(
                event=locked, state=Registration.State.CANCELLED, charge__isnull=False
            ).values_list("pk", "charge_id")
        )
        for registration_id, charge_id in fees_paid:
            event_fee_refund(
                registration_id=registration_id,
                charge_id=charge_id,
                user=user,
                reason=str(FEE_REFUND_REASON),
            )
        live = Registration.objects.filter(event=locked, state__in=LIVE_STATES).select_related(
            "customer", "hold"
        )
        for registration in live:
            Registration.objects.filter(pk=registration.pk).update(
                state=Registration.State.CANCELLED, cancelled_at=now
            )
            if registration.hold is not None:
                hold_release(hold=registration.hold)
            notification_send(
                user=registration.customer,
                kind="event_cancelled",
                params={
                    "event": locked.title,
                    "provider": locked.provider.display_name,
                    "start": locked.starts_at.isoformat(),
                },
                url=reverse("events:detail", args=[locked.pk]),
            )
        locked.refresh_from_db()
    return locked


def invitable_customers(*, provider: Provider) -> list:
    """The customers a provider may invite: those who have met them (a relationship
    row), not blocked. (A customer-card tier will choose among the same.)"""
    rows = (
        Relationship.objects.filter(provider=provider, blocked_at__isnull=True)
        .select_related("customer")
        .order_by("-last_contact_at", "customer_id")
    )
    return [row.customer for row in rows[:500]]


def event_invite(*, user, event_id, customer_ids: Iterable, now=None) -> int:
    """Invite chosen customers (among those who have met the provider); each is told once.
    Returns how many were newly invited."""
    now = now or timezone.now()
    event = event_get_for_owner(user=user, event_id=event_id)
    if event.status != Event.Status.SCHEDULED:
        raise Conflict(ALREADY_CANCELLED, code="cancelled")
    wanted = {str(value) for value in customer_ids}
    chosen = [c for c in invitable_customers(provider=event.provider) if str(c.pk) in wanted]
    if not chosen:
        raise InvalidInput({"customers": [CHOOSE_CUSTOMERS]})
    return _invite(event, chosen, "event_invited", now)


def _invite(event: Event, customers: list, kind: str, now) -> int:
    invited = 0
    with transaction.atomic():
        for customer in customers:
            if not insert_or_skip(Invitation(event=event, customer=customer, invited_at=now)):
                continue
            invited += 1
            notification_send(
                user=customer,
                kind=kind,
                params={
                    "event": event.title,
                    "provider": event.provider.display_name,
                    "start": event.starts_at.isoformat(),
                },
                url=reverse("events:detail", args=[event.pk]),
            )
    return invited


def _series_waitlist_first(event: Event) -> int:
    """The series' previous event's waitlist (those who never got a seat) is invited to
    the new one first, before anyone else hears of it."""
    previous = (
        Event.objects.filter(series_id=event.series_id, starts_at__lt=event.starts_at)
        .exclude(pk=event.pk)
        .order_by("-starts_at")
        .first()
    )
    if previous is None:
        return 0
    waiting = [
        registration.customer
        for registration in Registration.objects.filter(
            event=previous, state=Registration.State.WAITLISTED
        ).select_related("customer")
    ]
    return _invite(event, waiting, "event_series_next", event.created_at)


INVITE_REPLY = _(
    "Thank you for asking, %(customer)s. I keep my time with each person to our sessions, "
    "but I am holding “%(title)s” on %(date)s, and I would be glad to see you there.\n"
    "%(url)s"
)
NO_EVENT_TO_INVITE = _("You have no event open for registration to invite them to.")


def _invite_reply_text(event: Event, customer) -> str:
    """The provider's own reply with its placeholders filled (and the link added when
    they left it out), or the platform's kind reply; in the active language and zone."""
    url = settings.AIZUCHI_SITE_URL + reverse("events:detail", args=[event.pk])
    values = {
        "name": lambda: str(customer.public_name),
        "title": lambda: event.title,
        "date": lambda: formats.date_format(timezone.localtime(event.starts_at), "DATETIME_FORMAT"),
        "url": lambda: url,
    }
    if not event.invite_reply:
        return str(
            lazy_format(
                INVITE_REPLY,
                customer=values["name"](),
                title=event.title,
                date=values["date"](),
                url=url,
            )
        )
    text = placeholders_fill(event.invite_reply, values)
    return text if url in text else f"{text}\n{url}"


def event_invite_reply(*, user, thread_id, now=None):
    """One click from a message thread: the provider answers a customer's personal request
    ("can we meet?") with the template reply inviting them to the next suitable event
    (invited, when it is invite-only), sent through messaging. Once per event and thread:
    a second click returns the same message."""
    now = now or timezone.now()
    thread = thread_get_for_participant(user=user, thread_id=thread_id)
    if thread.provider.user_id != user.pk:
        raise NotFound(THREAD_NOT_FOUND)
    customer = thread.customer
    event = event_next_for_reply(provider=thread.provider, customer=customer, now=now)
    if event is None:
        raise Conflict(NO_EVENT_TO_INVITE, code="no_event")
    with transaction.atomic():
        if event.audience == Event.Audience.INVITED:
            insert_or_skip(Invitation(event=event, customer=customer, invited_at=now))
        # Written in the reader's language and zone: the customer reads it.
        with as_read_by(customer):
            text = _invite_reply_text(event, customer)
        message, _new = message_send(
            user=user,
            thread_id=thread.pk,
            text=text,
            client_id=f"event-invite-{event.pk}",
        )
    return message
