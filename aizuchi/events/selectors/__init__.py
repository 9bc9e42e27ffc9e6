"""Reads of events and the per-object gates.

``event_get_for_customer`` is the one door to an event for anyone but its provider: a
missing event, an invite-only event the customer was not invited to, and any event of a
provider who blocked them (the access policy's answer) are alike ``NotFound``, whatever
id they try.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.access.policy import Action, access_check
from aizuchi.core.errors import NotFound
from aizuchi.core.money import object_id
from aizuchi.relationships.models import Relationship

from ..models import LIVE_STATES, Event, Invitation, Registration

EVENT_NOT_FOUND = _("That event does not exist.")
REGISTRATION_NOT_FOUND = _("That registration does not exist.")


def _audience_filter(user) -> Q:
    """The events ``user`` may see by their audience: public ones, and invite-only ones they
    were invited to by name or whose invited tiers take in their tier on the relationship
    row (the provider's customer card sets it)."""
    public = Q(audience=Event.Audience.PUBLIC)
    if user is None or not user.is_authenticated:
        return public
    invited = Exists(Invitation.objects.filter(event=OuterRef("pk"), customer=user))
    by_tier = Exists(
        Relationship.objects.filter(
            provider=OuterRef("provider"),
            customer=user,
            tier__isnull=False,
            tier__lte=OuterRef("invited_tiers"),
        )
    )
    return (
        public | Q(audience=Event.Audience.INVITED) & (invited | by_tier) | Q(provider__user=user)
    )


def _blocked(user, provider) -> bool:
    if user is None or not user.is_authenticated or provider.user_id == user.pk:
        return False
    decision = access_check(customer=user, provider=provider, action=Action.ATTEND)
    return "blocked" in decision.codes


def event_get_for_customer(*, user, event_id) -> Event:
    """The event, if ``user`` (or an anonymous visitor, None) may see it; otherwise
    NotFound. A cancelled event stays visible to those who registered."""
    event = (
        Event.objects.select_related("provider__user", "series")
        .filter(pk=object_id(event_id) or -1)
        .filter(_audience_filter(user))
        .first()
    )
    if event is None or _blocked(user, event.provider):
        raise NotFound(EVENT_NOT_FOUND)
    if event.status == Event.Status.CANCELLED and not (
        user is not None
        and user.is_authenticated
        and (
            event.provider.user_id == user.pk or event.registrations.filter(customer=user).exists()
        )
    ):
        raise NotFound(EVENT_NOT_FOUND)
    return event


def event_get_for_owner(*, user, event_id) -> Event:
    """The event, if ``user`` is its provider; otherwise NotFound."""
    event = (
        Event.objects.select_related("provider__user", "series")
        .filter(pk=object_id(event_id) or -1, provider__user=user)
        .first()
    )
    if event is None:
        raise NotFound(EVENT_NOT_FOUND)
    return event


def registration_get_for_customer(*, user, registration_id) -> Registration:
    found = (
        Registration.objects.select_related("event__provider__user", "customer", "hold")
        .filter(pk=object_id(registration_id) or -1, customer=user)
        .first()
    )
    if found is None:
        raise NotFound(REGISTRATION_NOT_FOUND)
    return found


def registration_get_for_owner(*, user, registration_id) -> Registration:
    found = (
        Registration.objects.select_related("event__provider__user", "customer", "hold")
        .filter(pk=object_id(registration_id) or -1, event__provider__user=user)
        .first()
    )
    if found is None:
        raise NotFound(REGISTRATION_NOT_FOUND)
    return found


def registration_of(*, event: Event, user) -> Registration | None:
    """The user's live registration for the event (None: none)."""
    if user is None or not user.is_authenticated:
        return None
    return Registration.objects.filter(event=event, customer=user, state__in=LIVE_STATES).first()


def waitlist(*, event: Event) -> QuerySet[Registration]:
    """The waitlist, head first."""
    return Registration.objects.filter(
        event=event, state=Registration.State.WAITLISTED
    ).select_related("customer")


def waitlist_position(registration: Registration) -> int:
    """1 for the head of the waitlist."""
    return (
        Registration.objects.filter(
            event_id=registration.event_id,
            state=Registration.State.WAITLISTED,
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def attendees(*, event: Event) -> QuerySet[Registration]:
    """Everyone registered (seated, waiting and cancelled), for the provider's list."""
    return Registration.objects.filter(event=event).select_related("customer")


def events_for_owner(*, user) -> QuerySet[Event]:
    return Event.objects.filter(provider__user=user).order_by("-starts_at", "-id")


def events_upcoming_for_provider(*, provider, user, now: dt.datetime | None = None):
    """The provider's scheduled events not yet begun that ``user`` may see (None: a
    visitor), soonest first; none at all for a blocked customer."""
    now = now or timezone.now()
    if _blocked(user, provider):
        return Event.objects.none()
    return (
        Event.objects.filter(provider=provider, status=Event.Status.SCHEDULED, starts_at__gt=now)
        .filter(_audience_filter(user))
        .order_by("starts_at", "id")
    )


def events_for_customer(*, user) -> QuerySet[Registration]:
    """The customer's registrations, newest event first."""
    return (
        Registration.objects.filter(customer=user)
        .select_related("event__provider")
        .order_by("-event__starts_at", "-id")
    )


def event_next_for_reply(*, provider, customer, now: dt.datetime | None = None) -> Event | None:
    """The provider's next event to invite ``customer`` to, in reply to a personal request:
    open for registration, not one they are registered for already, with seats left if any
    has them (else the first, whose waitlist is open)."""
    now = now or timezone.now()
    found = list(
        Event.objects.filter(
            provider=provider,
            status=Event.Status.SCHEDULED,
            starts_at__gt=now,
            registration_closes_at__gt=now,
        )
        .exclude(
            pk__in=Registration.objects.filter(customer=customer, state__in=LIVE_STATES).values(
                "event_id"
            )
        )
        .order_by("starts_at", "id")[:10]
    )
    return next((event for event in found if event.seats_left > 0), found[0] if found else None)


# --- the online group talk room ----------------------------------------------------------

ROOM_NOT_FOUND = _("That room does not exist.")
# The room opens this long before the start and closes at the end.
ROOM_OPENS_BEFORE = dt.timedelta(minutes=15)
# Voice is a mesh of peer connections: at most this many people in one room's voice.
VOICE_MOST = 6
ROOM_SEATED = (Registration.State.CONFIRMED, Registration.State.ATTENDED)


@dataclass(frozen=True)
class RoomSeat:
    """Who ``user`` is in an event's room: its provider, or a confirmed attendee."""

    event: Event
    user_id: int
    is_provider: bool
    registration: Registration | None

    @property
    def muted(self) -> bool:
        return self.registration is not None and self.registration.room_muted_at is not None


def room_is_open(event: Event, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        event.status == Event.Status.SCHEDULED
        and event.starts_at - ROOM_OPENS_BEFORE <= now < event.ends_at
    )


def room_voice_allowed(event: Event) -> bool:
    """Voice for rooms whose provider and attendees are at most ``VOICE_MOST``."""
    return event.capacity + 1 <= VOICE_MOST


def room_seat_get_for_member(*, user, event_id) -> RoomSeat:
    """The room of an online event for its provider and its confirmed attendees (not
    removed by the provider); NotFound alike for everyone else, whatever id they try."""
    if user is None or not user.is_authenticated:
        raise NotFound(ROOM_NOT_FOUND)
    event = (
        Event.objects.select_related("provider__user")
        .filter(pk=object_id(event_id) or -1, kind=Event.Kind.ONLINE)
        .first()
    )
    if event is None:
        raise NotFound(ROOM_NOT_FOUND)
    if event.provider.user_id == user.pk:
        return RoomSeat(event=event, user_id=user.pk, is_provider=True, registration=None)
    registration = Registration.objects.filter(
        event=event, customer=user, state__in=ROOM_SEATED, room_removed_at__isnull=True
    ).first()
    if registration is None or _blocked(user, event.provider):
        raise NotFound(ROOM_NOT_FOUND)
    return RoomSeat(event=event, user_id=user.pk, is_provider=False, registration=registration)


def room_members(*, event: Event) -> list[dict]:
    """Everyone who may be in the room: the provider first, then the attendees."""
    provider = event.provider.user
    members = [{"id": provider.pk, "name": str(provider.public_name), "provider": True}]
    for registration in (
        Registration.objects.filter(
            event=event, state__in=ROOM_SEATED, room_removed_at__isnull=True
        )
        .select_related("customer")
        .order_by("confirmed_at", "id")
    ):
        members.append(
            {
                "id": registration.customer_id,
                "name": str(registration.customer.public_name),
                "provider": False,
                "muted": registration.room_muted_at is not None,
            }
        )
    return members


def room_messages_after(*, event: Event, after: int = 0, most: int = 200) -> list[dict]:
    """The room's messages after the message id ``after`` (a reconnect's catch-up)."""
    from ..models import RoomMessage

    rows = (
        RoomMessage.objects.filter(event=event, pk__gt=after)
        .select_related("author")
        .order_by("-id")[:most]
    )
    return [room_message_json(row) for row in reversed(list(rows))]


def room_message_json(message) -> dict:
    return {
        "id": message.pk,
        "author_id": message.author_id,
        "author": str(message.author.public_name),
        "client_id": message.client_id,
        "text": message.text,
        "at": message.created_at.isoformat(),
    }


def events_upcoming_for_search(
    *, provider_ids: list[int], user, now: dt.datetime | None = None, most: int = 5
) -> list[Event]:
    """The soonest scheduled events of these providers (a page of search results) that
    ``user`` may see (None: a visitor), none of a provider who blocked them."""
    now = now or timezone.now()
    found = (
        Event.objects.filter(
            provider_id__in=provider_ids, status=Event.Status.SCHEDULED, starts_at__gt=now
        )
        .filter(_audience_filter(user))
        .select_related("provider")
        .order_by("starts_at", "id")
    )
    shown: list[Event] = []
    blocked: dict[int, bool] = {}
    for event in found[: most * 4]:
        if event.provider_id not in blocked:
            blocked[event.provider_id] = _blocked(user, event.provider)
        if not blocked[event.provider_id]:
            shown.append(event)
        if len(shown) == most:
            break
    return shown
