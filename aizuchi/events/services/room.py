"""The online group talk room: chat for everyone in it, the provider's mute and remove,
and the gate of every voice message (docs/realtime.md, "/ws/events/<id>/room/").

Every action reads the person's seat afresh (``room_seat_get_for_member``): someone
removed or whose registration was cancelled meanwhile can do nothing more, whatever
socket they still hold. Pushes go to ``room_group`` (everyone in the room) or to
``room_member_group`` (one person's sockets in it), after the commit.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, NotFound, lazy_format
from aizuchi.core.realtime import publish
from aizuchi.core.text import has_null

from ..models import Registration, RoomMessage
from ..selectors import (
    ROOM_SEATED,
    RoomSeat,
    room_is_open,
    room_message_json,
    room_seat_get_for_member,
    room_voice_allowed,
)

TEXT_MOST = 1000
CLIENT_ID_MOST = 64
ROOM_CLOSED = _("The room is open from 15 minutes before the start until the end.")
MUTED = _("The host has muted you; you can still read the chat.")
ONLY_THE_HOST = _("Only the host can do that.")
NOT_IN_THE_ROOM = _("That person is not in this room.")
NO_VOICE = _("Voice is for rooms of at most six people.")
TEXT_REQUIRED = _("Write a message.")
TEXT_TOO_LONG = _("Keep a message to %(max)d characters.")
CLIENT_ID_BAD = _("The message needs a client id of 1 to 64 characters.")


def room_group(event_id: int) -> str:
    return f"event_room.{event_id}"


def room_member_group(event_id: int, user_id: int) -> str:
    return f"event_room.{event_id}.{user_id}"


def room_seat(*, user, event_id, now: dt.datetime | None = None) -> RoomSeat:
    """The person's seat in a room that is open now; NotFound or Conflict otherwise."""
    seat = room_seat_get_for_member(user=user, event_id=event_id)
    if not room_is_open(seat.event, now):
        raise Conflict(ROOM_CLOSED, code="room_closed")
    return seat


def room_message_send(
    *, user, event_id, client_id: str, text: str, now: dt.datetime | None = None
) -> tuple[RoomMessage, bool]:
    """Store one chat message (once per sender and client id) and push it to the room;
    a resend returns the stored message, pushed again to nobody."""
    seat = room_seat(user=user, event_id=event_id, now=now)
    if seat.muted:
        raise Conflict(MUTED, code="muted")
    errors: dict[str, list] = {}
    text = (text or "").strip()
    if not text or has_null(text):
        errors["text"] = [TEXT_REQUIRED]
    elif len(text) > TEXT_MOST:
        errors["text"] = [lazy_format(TEXT_TOO_LONG, max=TEXT_MOST)]
    if not client_id or len(client_id) > CLIENT_ID_MOST or has_null(client_id):
        errors["client_id"] = [CLIENT_ID_BAD]
    if errors:
        raise InvalidInput(errors)
    found = RoomMessage.objects.filter(
        event=seat.event, author_id=user.pk, client_id=client_id
    ).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            message = RoomMessage.objects.create(
                event=seat.event,
                author=user,
                client_id=client_id,
                text=text,
                created_at=now or timezone.now(),
            )
    except IntegrityError:  # the same resend, raced
        return RoomMessage.objects.get(
            event=seat.event, author_id=user.pk, client_id=client_id
        ), False
    publish(room_group(seat.event.pk), {"type": "room.message", **room_message_json(message)})
    return message, True


def _attendee(seat: RoomSeat, member_id: int) -> Registration:
    if not seat.is_provider:
        raise Conflict(ONLY_THE_HOST, code="host_only")
    registration = (
        Registration.objects.select_for_update()
        .filter(
            event=seat.event,
            customer_id=member_id,
            state__in=ROOM_SEATED,
            room_removed_at__isnull=True,
        )
        .first()
    )
    if registration is None:
        raise NotFound(NOT_IN_THE_ROOM, code="not_in_room")
    return registration


@transaction.atomic
def room_mute(*, user, event_id, member_id: int, muted: bool, now=None) -> Registration:
    """The host mutes an attendee (no more chat from them) or lets them speak again."""
    seat = room_seat(user=user, event_id=event_id, now=now)
    registration = _attendee(seat, member_id)
    registration.room_muted_at = (now or timezone.now()) if muted else None
    registration.save(update_fields=["room_muted_at"])
    publish(
        room_group(seat.event.pk), {"type": "room.muted", "member_id": member_id, "muted": muted}
    )
    return registration


@transaction.atomic
def room_remove(*, user, event_id, member_id: int, now=None) -> Registration:
    """The host removes an attendee: their sockets in the room close and they cannot come
    back in (their seat stays theirs to settle as any seat)."""
    seat = room_seat(user=user, event_id=event_id, now=now)
    registration = _attendee(seat, member_id)
    registration.room_removed_at = now or timezone.now()
    registration.save(update_fields=["room_removed_at"])
    publish(room_group(seat.event.pk), {"type": "room.removed", "member_id": member_id})
    return registration


def room_signal_check(*, user, event_id, to: int | None, now=None) -> RoomSeat:
    """A voice message may go from ``user`` (to ``to``, a member): both are in the open
    room, and the room is small enough for voice."""
    seat = room_seat(user=user, event_id=event_id, now=now)
    if not room_voice_allowed(seat.event):
        raise Conflict(NO_VOICE, code="no_voice")
    if (
        to is not None
        and to != seat.event.provider.user_id
        and not (
            Registration.objects.filter(
                event=seat.event,
                customer_id=to,
                state__in=ROOM_SEATED,
                room_removed_at__isnull=True,
            ).exists()
        )
    ):
        raise NotFound(NOT_IN_THE_ROOM, code="not_in_room")
    return seat
