"""The e-mail that tells someone messages are waiting for them.

A side of a thread with unread messages that have waited ``UNREAD_MAIL_AFTER`` gets one
e-mail (in their own language, for the thread), and then at most one every
``UNREAD_MAIL_EVERY`` while more messages come and stay unread. Nobody is written to who
turned it off (``email_on_message``) or whose account is not active. The sweep runs
every few minutes (``messaging.unread_mail``); each e-mail is claimed by a conditional
update first, so two sweeps at once send it once. The e-mail itself goes through the
task queue (``core.tasks.send_email``) after the commit.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from aizuchi.core.readers import as_read_by
from aizuchi.core.tasks import enqueue_on_commit, send_email

from ..models import Role, Thread
from ..selectors import messaging_setting

BATCH = 500


def _due(role: str, now: datetime):
    after, every = messaging_setting("UNREAD_MAIL_AFTER"), messaging_setting("UNREAD_MAIL_EVERY")
    emailed = f"{role}_emailed_at"
    person = "customer" if role == Role.CUSTOMER else "provider__user"
    return Thread.objects.filter(
        Q(**{f"{emailed}__isnull": True})
        | Q(**{f"{emailed}__lte": now - every, f"{emailed}__lt": F("last_message_at")}),
        **{
            f"{role}_unread__gt": 0,
            f"{role}_unread_since__lte": now - after,
            f"{person}__email_on_message": True,
            f"{person}__is_active": True,
        },
    )


def unread_mail_sweep(*, now: datetime | None = None) -> int:
    """Send the e-mails that are due; returns how many."""
    now = now or timezone.now()
    sent = 0
    for role in (Role.CUSTOMER, Role.PROVIDER):
        due = _due(role, now).select_related("provider__user", "customer").order_by("pk")
        for thread in due[:BATCH]:
            emailed = f"{role}_emailed_at"
            claimed = Thread.objects.filter(
                pk=thread.pk, **{emailed: getattr(thread, emailed)}
            ).update(**{emailed: now})
            if claimed:
                _send(thread, role)
                sent += 1
    return sent


def _send(thread: Thread, role: str) -> None:
    if role == Role.CUSTOMER:
        reader, other = thread.customer, thread.provider.display_name
    else:
        reader, other = thread.provider.user, str(thread.customer.public_name)
    with as_read_by(reader):
        context = {
            "reader": reader,
            "other": other,
            "count": getattr(thread, f"{role}_unread"),
            "url": settings.AIZUCHI_SITE_URL + reverse("messaging:thread", args=[thread.pk]),
            "settings_url": settings.AIZUCHI_SITE_URL + reverse("accounts:profile"),
        }
        subject = render_to_string("messaging/email/unread_subject.txt", context).strip()
        body = render_to_string("messaging/email/unread.txt", context)
    enqueue_on_commit(send_email, subject=subject, body=body, to=[reader.email])
