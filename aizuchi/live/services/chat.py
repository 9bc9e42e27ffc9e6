"""Chat in a session: messages kept as the transcript, read marks, and catching up after
a reconnect without losing or repeating a message.

A browser gives every message its own ``client_id``; sending it again (after a dropped
connection) returns the stored message instead of a second one, and the client catches
up with everything after the last message id it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, ServiceError, lazy_format
from aizuchi.core.money import whole_number
from aizuchi.core.realtime import publish
from aizuchi.core.text import NULL_CHARACTERS, has_null

from .. import realtime
from ..models import Message, Session
from .sessions import session_group

MESSAGE_EMPTY = _("Write a message first.")
MESSAGE_TOO_LONG = _("Keep a message to %(max)d characters.")
MESSAGE_ID_INVALID = _("The message could not be identified; reload the page.")
SESSION_NOT_OPEN = _("This session is not open for messages.")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _cleaned(text, client_id) -> tuple[str, str]:
    """The text and client id of a message to send, or InvalidInput."""
    client_id = str(client_id or "")
    if not CLIENT_ID.match(client_id):
        raise InvalidInput({"client_id": [MESSAGE_ID_INVALID]})
    text = str(text or "").strip()
    limit = cast(int, settings.AIZUCHI_LIVE["MESSAGE_MAX_LENGTH"])
    if not text:
        raise InvalidInput({"text": [MESSAGE_EMPTY]})
    if len(text) > limit:
        raise InvalidInput({"text": [lazy_format(MESSAGE_TOO_LONG, max=limit)]})
    if has_null(text):  # PostgreSQL would refuse the whole batch of messages
        raise InvalidInput({"text": [NULL_CHARACTERS]})
    return text, client_id


def message_send(*, session: Session, user, text, client_id) -> tuple[Message, bool]:
    """Store and deliver a message; (message, False) when ``client_id`` was sent before."""
    result = messages_send([Send(session=session, user=user, text=text, client_id=client_id)])[0]
    if isinstance(result, ServiceError):
        raise result
    return result


@dataclass(frozen=True)
class Send:
    """One message to send, for ``messages_send``."""

    session: Session
    user: object
    text: object
    client_id: object


def messages_send(sends: list[Send]) -> list[tuple[Message, bool] | ServiceError]:
    """Store and deliver many messages (of any sessions) at once, in one transaction of
    three statements whatever their number. Each gets (message, whether it is new), or
    the refusal (InvalidInput, Conflict), in order. A client id sent before answers with
    the earlier message (a resend after a reconnect is not delivered twice). The
    messages are delivered after the commit.

    No session row is written or locked: at 2,000 sessions the batches of the two sides
    of the same sessions (often on two processes) queued on each other's session locks
    (bench/live_chat.py). A message racing the end of its session by a moment is kept,
    as if it had come that moment earlier."""
    results: list = [None] * len(sends)
    valid = []
    for i, send in enumerate(sends):
        try:
            valid.append((i, send, *_cleaned(send.text, send.client_id)))
        except InvalidInput as exc:
            results[i] = exc
    for attempt in range(3):
        try:
            with transaction.atomic():
                _store(valid, results, now=timezone.now())
            break
        except IntegrityError:
            # The same client id raced itself from two sockets; again, it is found as sent.
            if attempt == 2:
                raise
    return results


def _store(valid: list, results: list, *, now) -> None:
    if not valid:
        return
    session_ids = {send.session.pk for _i, send, _t, _c in valid}
    open_ids = set(
        Session.objects.filter(pk__in=session_ids, status=Session.Status.ACTIVE).values_list(
            "pk", flat=True
        )
    )
    sent_before = {
        (m.session_id, m.sender_id, m.client_id): m
        for m in Message.objects.filter(
            session_id__in=session_ids, client_id__in={c for _i, _s, _t, c in valid}
        )
    }
    new: list[tuple[int, Send, Message]] = []
    for i, send, text, client_id in valid:
        key = (send.session.pk, send.user.pk, client_id)
        if key in sent_before:  # a resend (or the same id twice in this batch)
            results[i] = (sent_before[key], False)
        elif send.session.pk not in open_ids:
            results[i] = Conflict(SESSION_NOT_OPEN)
        else:
            message = Message(
                session=send.session,
                sender=send.user,
                text=text,
                client_id=client_id,
                created_at=now,
            )
            sent_before[key] = message
            new.append((i, send, message))
    if not new:
        return
    Message.objects.bulk_create([message for _i, _s, message in new])
    for i, send, message in new:
        results[i] = (message, True)
        publish(session_group(send.session.pk), realtime.chat_message(message, send.session))


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
