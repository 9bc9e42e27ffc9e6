"""One door for pushing messages to WebSocket clients.

Services call :func:`publish`; the message leaves only when the surrounding
transaction commits, so a client never hears of a change that was rolled back.
The shapes of all messages are documented in docs/realtime.md.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Consumers route layer events of this type to their `realtime_push` handler.
PUSH_EVENT = "realtime.push"


def user_group(user_id: int) -> str:
    """The group every socket of one signed-in person belongs to."""
    return f"user.{user_id}"


def publish(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` (which must carry a ``type``) to ``group`` after commit."""
    if "type" not in message:
        raise ValueError("realtime messages need a 'type'")
    transaction.on_commit(lambda: send_now(group, message), robust=True)


def send_now(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:  # channel layers switched off: nothing listens
        return
    async_to_sync(layer.group_send)(group, {"type": PUSH_EVENT, "message": message})
