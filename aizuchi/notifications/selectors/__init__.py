from __future__ import annotations

from django.db.models import QuerySet

from aizuchi.core.errors import NotFound

from ..models import Notification
from ..strings import NOTIFICATION_NOT_FOUND


def notification_unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list(*, user, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)[:limit]


def notification_for_user(*, user, notification_id: int) -> Notification:
    """The one gate to a single notification: another person's looks like none at all."""
    try:
        return Notification.objects.get(pk=notification_id, user=user)
    except Notification.DoesNotExist:
        raise NotFound(NOTIFICATION_NOT_FOUND) from None
