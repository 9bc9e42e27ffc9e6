"""``/ws/presence/``: watch providers' states live (profile and listing pages).

Anyone may watch, signed in or not: states are public on the pages already.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import realtime
from .selectors import presence_snapshot
from .services import presence_group

WATCH_MAX = 60


class PresenceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.watching: set[int] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for provider_id in self.watching:
            await self.channel_layer.group_discard(presence_group(provider_id), self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
            return
        ids = content.get("provider_ids") if kind == "watch" else None
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            await self.send_json({"type": "error", "code": "unknown_message"})
            return
        wanted = set(ids[:WATCH_MAX])
        for provider_id in self.watching - wanted:
            await self.channel_layer.group_discard(presence_group(provider_id), self.channel_name)
        for provider_id in wanted - self.watching:
            await self.channel_layer.group_add(presence_group(provider_id), self.channel_name)
        self.watching = wanted
        states = await database_sync_to_async(presence_snapshot)(provider_ids=sorted(wanted))
        await self.send_json(realtime.presence_snapshot(states))

    async def realtime_push(self, event: dict) -> None:
        await self.send_json(event["message"])
