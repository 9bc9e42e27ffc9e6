"""Chat in a session: messages kept as the transcript, read marks, and catching up after
a reconnect without losing or repeating a message.

A browser gives every message its own ``client_id``; sending it again (after a dropped
connection) returns the stored message instead of a second one, and the client catches
up with everything after the last message id it has.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, lazy_format
from aizuchi.core.money import whole_number
from aizuchi.core.realtime import publish

from .. import realtime
from ..models import Message, Session
from .sessions import session_group

MESSAGE_EMPTY = _("Write a message first.")
MESSAGE_TOO_LONG = _("Keep a message to %(max)d characters.")
MESSAGE_ID_INVALID = _("The message could not be identified; reload the page.")
SESSION_NOT_OPEN = _("This session is not open for messages.")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
CATCH_UP_LIMIT = 500


def message_send(*, session: Session, user, text, client_id) -> tuple[Message, bool]:
    """Store and deliver a message; (message, False) when ``client_id`` was sent before."""
    client_id = str(client_id or "")
    if not CLIENT_ID.match(client_id):
        raise InvalidInput({"client_id": [MESSAGE_ID_INVALID]})
    text = str(text or "").strip()
    limit = settings.AIZUCHI_LIVE["MESSAGE_MAX_LENGTH"]
    if not text:
        raise InvalidInput({"text": [MESSAGE_EMPTY]})
    if len(text) > limit:
        raise InvalidInput({"text": [lazy_format(MESSAGE_TOO_LONG, max=limit)]})
    earlier = Message.objects.filter(session=session, sender=user, client_id=client_id).first()
    if earlier is not None:
        return earlier, False
    if not Session.objects.filter(pk=session.pk, status=Session.Status.ACTIVE).exists():
        raise Conflict(SESSION_NOT_OPEN)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                session=session, sender=user, text=text, client_id=client_id, created_at=now
            )
            Session.objects.filter(pk=session.pk).update(last_message_at=now)
            publish(session_group(session.pk), realtime.chat_message(message, session))
    except IntegrityError:  # the same client id raced itself from two sockets
        return Message.objects.get(session=session, sender=user, client_id=client_id), False
    return message, True


def messages_after(*, session: Session, after_id=0, limit: int = CATCH_UP_LIMIT) -> list[Message]:
    """The transcript after the message a client already has, oldest first."""
    after = whole_number(after_id) or 0
    return list(
        Message.objects.filter(session=session, id__gt=max(0, after)).order_by("id")[:limit]
    )


def read_mark(*, session: Session, user, message_id) -> int:
    """``user`` has read up to ``message_id``; the other side sees it. Returns the mark."""
    up_to = whole_number(message_id)
    if up_to is None or up_to < 0:
        raise InvalidInput({"message_id": [MESSAGE_ID_INVALID]})
    field = "customer_read_id" if session.role_of(user) == "customer" else "provider_read_id"
    # Only forward, and only to a message of this session.
    exists = Message.objects.filter(session=session, pk=up_to).exists()
    if not exists:
        raise InvalidInput({"message_id": [MESSAGE_ID_INVALID]})
    changed = Session.objects.filter(Q(**{f"{field}__lt": up_to}), pk=session.pk).update(
        **{field: up_to}
    )
    if changed:
        setattr(session, field, up_to)
        publish(
            session_group(session.pk),
            realtime.chat_read(session, role=session.role_of(user), up_to=up_to),
        )
    return getattr(session, field) if not changed else up_to
