from __future__ import annotations

from channels.db import database_sync_to_async

from aizuchi.core.realtime import user_group
from aizuchi.core.sockets import CLOSE_SIGNED_OUT, Socket

from . import realtime
from .selectors import notification_unread_count


class NotificationConsumer(Socket):
    """A signed-in person's stream of notifications (``/ws/notifications/``).

    On connect the server sends the current state, so a client that reconnects
    rebuilds its badge without asking. Clients send only pings.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        unread = await database_sync_to_async(notification_unread_count)(user=user)
        await self.send_json(realtime.notifications_state(unread_count=unread))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
