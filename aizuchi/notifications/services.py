"""Every change to notifications, and the push that tells the person's open pages."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from aizuchi.core.realtime import publish, user_group

from . import realtime
from .kinds import KINDS
from .models import Notification
from .selectors import notification_for_user, notification_unread_count


def notification_send(
    *, user, kind: str, params: dict | None = None, url: str = ""
) -> Notification:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    with transaction.atomic():
        notification = Notification.objects.create(
            user=user, kind=kind, params=params or {}, url=url
        )
        unread = notification_unread_count(user=user)
        publish(
            user_group(user.pk),
            realtime.notification_created(
                notification, unread_count=unread, language=user.language
            ),
        )
    return notification


def notification_mark_read(*, user, notification_id: int) -> Notification:
    with transaction.atomic():
        notification = notification_for_user(user=user, notification_id=notification_id)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        _publish_state(user)
    return notification


def notification_mark_all_read(*, user) -> int:
    with transaction.atomic():
        changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        _publish_state(user)
    return changed


def _publish_state(user) -> None:
    publish(
        user_group(user.pk),
        realtime.notifications_state(unread_count=notification_unread_count(user=user)),
    )
