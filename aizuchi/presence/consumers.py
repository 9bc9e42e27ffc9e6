"""``/ws/presence/``: watch providers' states live (profile and listing pages).

Anyone may watch, signed in or not: states are public on the pages already. Signed-out
visitors have no account to hold to account, so one address may keep only
``ANONYMOUS_SOCKETS_PER_ADDRESS`` of these sockets open at once (per server process).
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from aizuchi.core.sockets import CLOSE_TOO_MANY, IdList, Socket

from . import realtime
from .selectors import presence_snapshot
from .services import presence_group

WATCH_MAX = 60


class PresenceConsumer(Socket):
    inbound = {"ping": {}, "watch": {"provider_ids": IdList(max_items=WATCH_MAX)}}

    async def connect(self) -> None:
        self.watching: set[int] = set()
        user = self.scope.get("user")
        signed_in = user is not None and user.is_authenticated
        if not signed_in and not self.hold_address("ANONYMOUS_SOCKETS_PER_ADDRESS"):
            await self.refuse(CLOSE_TOO_MANY)
            return
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for provider_id in getattr(self, "watching", ()):
            await self.channel_layer.group_discard(presence_group(provider_id), self.channel_name)

    async def on_watch(self, data: dict) -> None:
        """Watch exactly these providers (the set is replaced); their states come back."""
        wanted = set(data["provider_ids"])
        for provider_id in self.watching - wanted:
            await self.channel_layer.group_discard(presence_group(provider_id), self.channel_name)
        for provider_id in wanted - self.watching:
            await self.channel_layer.group_add(presence_group(provider_id), self.channel_name)
        self.watching = wanted
        states = await database_sync_to_async(presence_snapshot)(provider_ids=sorted(wanted))
        await self.send_json(realtime.presence_snapshot(states))
