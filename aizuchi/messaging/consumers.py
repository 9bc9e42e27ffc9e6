"""``/ws/messages/``: a signed-in person's direct messages, live (docs/realtime.md).

The socket joins ``messages.<user id>`` only, so it hears of that person's threads and
nothing else. Opened with ``?thread=<id>&after=<message id>`` it first sends that
thread's messages after the given one (catching up after a reconnect) and both read
marks; a thread that is not theirs closes it with 4404. Messages sent here go through
the same service as the page's form (``threads.message_send``): the same checks, the
same price, one message per client id. The person's sign-in is checked again before
every send.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from aizuchi.core.connections import socket_database
from aizuchi.core.errors import NotFound
from aizuchi.core.money import object_id
from aizuchi.core.sockets import (
    CLOSE_NOT_FOUND,
    CLOSE_SIGNED_OUT,
    Id,
    Socket,
    Text,
    signed_in_each,
)

from . import realtime, selectors
from .services import threads


class _SignedOut(Exception):
    pass


class MessagesConsumer(Socket):
    inbound = {
        "ping": {},
        # The text, the client id and the price are the service's to judge.
        "message.send": {
            "thread_id": Id(),
            "client_id": Text(),
            "text": Text(),
            # The price the page showed, in yen; left out for a free message.
            "price_yen": Id(required=False, default=None),
        },
        "message.read": {"thread_id": Id(), "up_to": Id()},
    }
    counted = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)
            return
        self.user = getattr(user, "_wrapped", user)
        self.executor = socket_database.executor()
        query = parse_qs(self.scope.get("query_string", b"").decode())
        thread_id = query.get("thread", [None])[0]
        try:
            state = await self.db(self._state, thread_id, query.get("after", ["0"])[0])
        except NotFound:
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.group = realtime.messages_group(self.user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        socket_database.opened()
        self.counted = True
        await self.send_json(state)

    def _state(self, thread_id, after) -> dict:
        thread_state = None
        if thread_id is not None:
            if object_id(thread_id) is None:
                raise NotFound(selectors.THREAD_NOT_FOUND)
            thread = selectors.thread_get_for_participant(user=self.user, thread_id=thread_id)
            thread_state = selectors.thread_state(
                thread=thread, role=thread.role_of(self.user), after=after
            )
        return realtime.messages_state(
            unread_count=selectors.unread_total(user=self.user), thread=thread_state
        )

    async def db(self, func, /, *args, **kwargs):
        return await socket_database.call(self.executor, func, *args, **kwargs)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.counted:
            self.counted = False
            socket_database.closed()

    def _checked(self, func, /, **kwargs):
        if not signed_in_each([self.scope])[0]:
            raise _SignedOut
        return func(**kwargs)

    async def on_message_send(self, data: dict) -> None:
        try:
            message, _created = await self.db(
                self._checked,
                threads.message_send,
                user=self.user,
                thread_id=data["thread_id"],
                text=data["text"],
                client_id=data["client_id"],
                price_yen=data["price_yen"],
            )
        except _SignedOut:
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        # The sender learns the stored id, also for a resend (nothing is stored twice).
        await self.send_json(
            {
                "type": "message.ack",
                "thread_id": message.thread_id,
                "client_id": message.client_id,
                "id": message.pk,
            }
        )

    async def on_message_read(self, data: dict) -> None:
        await self.db(
            threads.thread_read_by_id,
            user=self.user,
            thread_id=data["thread_id"],
            up_to=data["up_to"],
        )
