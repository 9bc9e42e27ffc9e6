"""Reports of messages and what staff decide about them.

Either side of a thread may report a message of the other side, once. Staff see the
reported messages (not the threads around them) and decide: hide the message, hide it
and warn the sender, hide it and suspend the sender's account, or do nothing. Every
open report of the message is closed with that decision, and each reporter is told.
"""

from __future__ import annotations

import unicodedata

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.accounts.services import user_suspend
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, lazy_format
from aizuchi.core.realtime import publish
from aizuchi.notifications.services import notification_send

from .. import realtime
from ..models import Message, MessageReport
from ..selectors import MESSAGE_NOT_FOUND, message_get_for_participant, message_get_for_staff

REASON_REQUIRED = _("Say in a few words what is wrong with this message.")
REASON_TOO_LONG = _("Keep this to %(max)d characters.")
REASON_CONTROL = _("Remove the invisible control characters from this text.")
OWN_MESSAGE = _("You cannot report your own message.")
REPORTED_ALREADY = _("You have reported this message already. Staff will look at it.")
NOTHING_OPEN = _("This message has no open reports.")
DECISION_UNKNOWN = _("Choose what to do with this message.")
REASON_MAX = 500

HIDING = (MessageReport.Decision.HIDE, MessageReport.Decision.WARN, MessageReport.Decision.SUSPEND)


def _text(value, *, field: str, required: bool) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if any(unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t" for char in text):
        raise InvalidInput({field: [REASON_CONTROL]})
    if required and not text:
        raise InvalidInput({field: [REASON_REQUIRED]})
    if len(text) > REASON_MAX:
        raise InvalidInput({field: [lazy_format(REASON_TOO_LONG, max=REASON_MAX)]})
    return text


def message_report(*, user, message_id, reason) -> MessageReport:
    """Report a message of the other side of one's thread; once per message."""
    message = message_get_for_participant(user=user, message_id=message_id)
    if message.sender == message.thread.role_of(user):
        raise Conflict(OWN_MESSAGE)
    text = _text(reason, field="reason", required=True)
    try:
        with transaction.atomic():
            return MessageReport.objects.create(message=message, reporter=user, reason=text)
    except IntegrityError:
        raise Conflict(REPORTED_ALREADY) from None


def report_decide(*, user, message_id, decision, note="") -> list[MessageReport]:
    """Staff close every open report of a message with one decision."""
    if not (getattr(user, "is_authenticated", False) and user.is_staff):
        raise NotFound(MESSAGE_NOT_FOUND)
    if decision not in MessageReport.Decision.values:
        raise InvalidInput({"decision": [DECISION_UNKNOWN]})
    staff_note = _text(note, field="note", required=False)
    message = message_get_for_staff(user=user, message_id=message_id)
    now = timezone.now()
    with transaction.atomic():
        reports = list(
            MessageReport.objects.select_for_update()
            .filter(message=message, status=MessageReport.Status.OPEN)
            .select_related("reporter")
        )
        if not reports:
            raise Conflict(NOTHING_OPEN)
        MessageReport.objects.filter(pk__in=[r.pk for r in reports]).update(
            status=MessageReport.Status.DECIDED,
            decision=decision,
            decided_by=user,
            decided_at=now,
            staff_note=staff_note,
        )
        if decision in HIDING and message.hidden_at is None:
            _hide(message, by=user, reason=staff_note, now=now)
        sender = message.author
        if sender is not None and decision == MessageReport.Decision.WARN:
            notification_send(
                user=sender,
                kind="message_warning",
                params={"note": staff_note},
                url=reverse("messaging:thread", args=[message.thread_id]),
            )
        if sender is not None and decision == MessageReport.Decision.SUSPEND:
            user_suspend(
                user=sender, reason=staff_note or str(MessageReport.Decision.SUSPEND.label)
            )
        for report in reports:
            notification_send(
                user=report.reporter,
                kind="message_report_decided",
                params={"decision": decision},
                url=reverse("messaging:thread", args=[message.thread_id]),
            )
    return reports


def _hide(message: Message, *, by, reason: str, now) -> None:
    Message.objects.filter(pk=message.pk).update(hidden_at=now, hidden_by=by, hidden_reason=reason)
    message.hidden_at, message.hidden_by, message.hidden_reason = now, by, reason
    thread = message.thread
    if thread.last_message_id == message.pk:
        type(thread).objects.filter(pk=thread.pk).update(last_preview="")
    pushed = realtime.message_updated(message)
    publish(realtime.messages_group(thread.customer_id), pushed)
    publish(realtime.messages_group(thread.provider.user_id), pushed)
