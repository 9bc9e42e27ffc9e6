from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from aizuchi.core.realtime import user_group

from . import realtime
from .selectors import notification_unread_count

# Close code sent to a socket without a signed-in user (4000–4999 are ours).
CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """A signed-in person's stream of notifications (``/ws/notifications/``).

    On connect the server sends the current state, so a client that reconnects
    rebuilds its badge without asking.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        unread = await database_sync_to_async(notification_unread_count)(user=user)
        await self.send_json(realtime.notifications_state(unread_count=unread))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_message"})

    async def realtime_push(self, event: dict) -> None:
        await self.send_json(event["message"])
