"""``/ws/events/<id>/room/``: the online group talk room, live (docs/realtime.md).

Only the event's provider and its confirmed attendees (not removed) may open it, while
the room is open; anyone else is closed with 4404 whatever id they try, and a signed-out
person with 4401. Opened with ``?after=<message id>`` it first sends the room's state:
who may be in it and the chat after that message (the catch-up after a reconnect).
Every action reads the person's seat and sign-in again before it runs; a removed person's
sockets are closed with 4403 and cannot come back.

Voice is a mesh of peer connections (at most ``VOICE_MOST`` people): ``voice.join`` and
``voice.leave`` are told to the room, and each ``signal`` goes to one member's sockets
only, within this room.
"""

from __future__ import annotations

from django.conf import settings

from aizuchi.core.connections import socket_database
from aizuchi.core.errors import Conflict, NotFound
from aizuchi.core.sockets import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_SIGNED_OUT,
    Boolean,
    Choice,
    Id,
    JsonObject,
    Socket,
    Text,
    signed_in_each,
)

from . import selectors
from .services import room

SIGNAL_KINDS = ("offer", "answer", "candidate")
SIGNAL_MAX_SIZE = 20_000
LAST_ID = 2**63 - 1


class _SignedOut(Exception):
    pass


class RoomConsumer(Socket):
    inbound = {
        "ping": {},
        "chat.send": {"client_id": Text(), "text": Text()},
        "mute": {"member_id": Id(), "muted": Boolean()},
        "remove": {"member_id": Id()},
        "voice.join": {},
        "voice.leave": {},
        "signal": {
            "to": Id(),
            "kind": Choice(choices=SIGNAL_KINDS),
            "data": JsonObject(max_size=SIGNAL_MAX_SIZE),
        },
    }
    counted = False
    groups: tuple[str, ...] = ()

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)
            return
        self.user = getattr(user, "_wrapped", user)
        self.event_id = self.scope["url_route"]["kwargs"]["event_id"]
        self.executor = socket_database.executor()
        after = dict(
            part.split("=", 1)
            for part in self.scope.get("query_string", b"").decode().split("&")
            if "=" in part
        ).get("after", "0")
        try:
            state = await self.db(self._state, after)
        except NotFound:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        except Conflict:  # the room is not open now
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.groups = (
            room.room_group(state["event_id"]),
            room.room_member_group(state["event_id"], self.user.pk),
        )
        for group in self.groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        socket_database.opened()
        self.counted = True
        await self.send_json(state)

    def _state(self, after: str) -> dict:
        seat = room.room_seat(user=self.user, event_id=self.event_id)
        event = seat.event
        return {
            "type": "room.state",
            "event_id": event.pk,
            "me": self.user.pk,
            "host": seat.is_provider,
            "muted": seat.muted,
            "members": selectors.room_members(event=event),
            # After an id past any row (however long its digits): nothing to catch up.
            "messages": selectors.room_messages_after(
                event=event, after=min(int(after), LAST_ID) if after.isdigit() else 0
            ),
            "voice": selectors.room_voice_allowed(event),
            "ice_servers": settings.AIZUCHI_LIVE["ICE_SERVERS"],
        }

    async def db(self, func, /, *args, **kwargs):
        return await socket_database.call(self.executor, func, *args, **kwargs)

    def _checked(self, func, /, **kwargs):
        """The sign-in read again, then the action (which reads the seat again)."""
        if not signed_in_each([self.scope])[0]:
            raise _SignedOut
        return func(user=self.user, event_id=self.event_id, **kwargs)

    async def act(self, func, /, **kwargs):
        try:
            return await self.db(self._checked, func, **kwargs)
        except _SignedOut:
            await self.close(code=CLOSE_SIGNED_OUT)
        except NotFound as exc:
            if exc.code == "not_in_room":  # the person addressed, not this one
                raise
            await self.close(code=CLOSE_NOT_FOUND)  # the room is no longer theirs
        return None

    async def disconnect(self, code: int) -> None:
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.counted:
            self.counted = False
            socket_database.closed()

    async def on_chat_send(self, data: dict) -> None:
        sent = await self.act(room.room_message_send, **data)
        if sent is not None:
            message, _created = sent
            await self.send_json(
                {"type": "chat.ack", "client_id": message.client_id, "id": message.pk}
            )

    async def on_mute(self, data: dict) -> None:
        await self.act(room.room_mute, **data)

    async def on_remove(self, data: dict) -> None:
        await self.act(room.room_remove, **data)

    async def _relay(self, group: str, message: dict) -> None:
        await self.channel_layer.group_send(
            group, {"type": "realtime.push", "message": message, "skip": self.channel_name}
        )

    async def on_voice_join(self, data: dict) -> None:
        if await self.act(room.room_signal_check, to=None) is not None:
            await self._relay(
                room.room_group(self.event_id), {"type": "voice.joined", "member_id": self.user.pk}
            )

    async def on_voice_leave(self, data: dict) -> None:
        if await self.act(room.room_signal_check, to=None) is not None:
            await self._relay(
                room.room_group(self.event_id), {"type": "voice.left", "member_id": self.user.pk}
            )

    async def on_signal(self, data: dict) -> None:
        if await self.act(room.room_signal_check, to=data["to"]) is not None:
            await self._relay(
                room.room_member_group(self.event_id, data["to"]),
                {
                    "type": "signal",
                    "from": self.user.pk,
                    "kind": data["kind"],
                    "data": data["data"],
                },
            )

    async def realtime_push(self, event: dict) -> None:
        message = event["message"]
        if event.get("skip") == self.channel_name:
            return
        await self.send_json(message)
        if message.get("type") == "room.removed" and message.get("member_id") == self.user.pk:
            await self.close(code=CLOSE_FORBIDDEN)
