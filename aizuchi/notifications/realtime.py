"""Shapes of the messages this app pushes (see docs/realtime.md)."""

from __future__ import annotations

from django.utils import translation

from .models import Notification


def notification_created(notification: Notification, *, unread_count: int, language: str) -> dict:
    with translation.override(language):
        title, body = notification.title, notification.body
    return {
        "type": "notification.created",
        "notification": {
            "id": notification.pk,
            "kind": notification.kind,
            "title": title,
            "body": body,
            "url": notification.url,
            "created_at": notification.created_at.isoformat(),
        },
        "unread_count": unread_count,
    }


def notifications_state(*, unread_count: int) -> dict:
    return {"type": "notifications.state", "unread_count": unread_count}
