"""WebSockets of live sessions and of the provider's standby page (docs/realtime.md).

Consumers stay thin: they authorise the socket (``session_get_for_participant``, the
provider's own storefront), join only the groups that person may hear, keep proof of
life (``core.connections``), and hand every message to a service. Frames are read,
checked and rate-limited by ``core.sockets.Socket``; each consumer lists the messages it
takes in ``inbound``.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from django.utils.translation import gettext_lazy as _

from aizuchi.core.connections import connection_close, keeper, socket_database
from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.core.realtime import PUSH_EVENT, user_group
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
from aizuchi.presence.services import presence_set
from aizuchi.storefront.selectors.providers import provider_get_for_owner

from . import selectors
from .models import Session
from .services import chat, meter, sessions

SIGNAL_KINDS = ("offer", "answer", "candidate", "restart")
CALL_STATES = ("waiting", "connecting", "connected", "reconnecting", "failed")
SIGNAL_MAX_BYTES = 20_000
SIGNAL_INVALID = _("That call message could not be used.")


def _sign_in_checks(scopes: list[dict]) -> list:
    return [None if ok else _SignedOut() for ok in signed_in_each(scopes)]


def _person(user):
    """The user model instance behind channels' lazy ``scope["user"]`` (every attribute
    read through the lazy wrapper costs a detour, and sockets read them per message)."""
    return getattr(user, "_wrapped", user)


def _chat_sends(items: list[tuple[bool, dict, chat.Send]]) -> list:
    """The chat.sends of many sockets: each one's sign-in check (if due), then the
    messages in one go (``chat.messages_send``); one result or exception per item."""
    signed_in = iter(signed_in_each([scope for check, scope, _send in items if check]))
    results: list = [None] * len(items)
    sends: list[tuple[int, chat.Send]] = []
    for i, (check, _scope, send) in enumerate(items):
        if check and not next(signed_in):
            results[i] = _SignedOut()
        else:
            sends.append((i, send))
    stored = chat.messages_send([send for _i, send in sends])
    for (i, _send), result in zip(sends, stored, strict=True):
        results[i] = result
    return results


def _sessions_open(items: list[tuple[object, object, str]]) -> list:
    """The session sockets that connect together, (user, session id, ``after``) each, in
    one call: the gate, proof of life (and the meter) for a live session, the state to
    send; (session, connection id or None, state) or NotFound for each."""
    found = selectors.sessions_get_for_participants(
        [(user, session_id) for user, session_id, _after in items]
    )
    results: list = list(found)
    opening = [
        (i, session, _person(items[i][0]))
        for i, session in enumerate(found)
        if not isinstance(session, NotFound)
    ]
    live = [(i, s, user) for i, s, user in opening if s.status in Session.LIVE_STATUSES]
    joined = meter.sessions_join([(s, user, s.role_of(user)) for _i, s, user in live])
    connection_ids = {
        i: connection.pk for (i, _s, _u), connection in zip(live, joined, strict=True)
    }
    states = selectors.session_states([(s, s.role_of(user), items[i][2]) for i, s, user in opening])
    for (i, session, _user), state in zip(opening, states, strict=True):
        results[i] = (session, connection_ids.get(i), state)
    return results


class _SignedOut(Exception):
    """The browser session behind the socket no longer holds its person."""


# Sign-in is checked again this often while a socket lives (a logout in another tab ends
# what the socket may do), and before every action that changes something.
RECHECK_SECONDS = 30


class _Socket(Socket):
    """What both sockets share: sign-in checked again, proof of life."""

    connection_id: int | None = None
    groups_joined: list[str]
    checked_at: float = 0.0
    counted = False
    # A sign-in check owed before the next database work of this socket.
    recheck_due = False
    # Message types that only read or keep the socket alive; the rest change something.
    passive = frozenset({"ping", "chat.typing", "chat.read", "signal", "call.state"})
    # Message types whose handler starts with database work: a sign-in check due rides
    # along in that same call instead of a trip of its own.
    checked_with_work: frozenset[str] = frozenset()

    def _executor(self):
        """This socket's database thread (all its calls run there, in order)."""
        if not hasattr(self, "executor"):
            self.executor = socket_database.executor()
        return self.executor

    async def db(self, func, /, *args, **kwargs):
        """``func(*args, **kwargs)`` on this socket's database thread, after the sign-in
        check if one is due."""
        check, self.recheck_due = self.recheck_due, False
        return await socket_database.call(
            self._executor(), self._checked_call, check, func, *args, **kwargs
        )

    async def _recheck(self) -> None:
        """The sign-in check on its own, with those of other sockets due meanwhile."""
        self.recheck_due = False
        await socket_database.gathered(self._executor(), _sign_in_checks, self.scope)

    def _checked_call(self, check: bool, func, *args, **kwargs):
        if check and not signed_in_each([self.scope])[0]:
            raise _SignedOut
        return func(*args, **kwargs)

    async def dispatch(self, message) -> None:
        # channels' dispatch first closes old database connections on its database thread:
        # a thread round trip for every frame and every push. This socket's database work
        # runs on socket_database's threads, which look after their own connections.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def accept(self, subprotocol=None, headers=None) -> None:
        await super().accept(subprotocol, headers)
        socket_database.opened()
        self.counted = True

    async def _join(self, *groups: str) -> None:
        self.groups_joined = list(groups)
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)

    async def _leave(self) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = []

    async def disconnect(self, code: int) -> None:
        await self._leave()
        try:
            if self.connection_id is not None:
                heard = keeper.discard(self.connection_id)
                self.recheck_due = False
                await self.db(self._closed, heard)
        finally:
            if self.counted:
                self.counted = False
                socket_database.closed()

    def _closed(self, heard) -> None:
        connection_close(connection_id=self.connection_id, heard_at=heard)

    def heard(self) -> None:
        if self.connection_id is not None:
            keeper.heard(self.connection_id)

    async def handle(self, kind: str, data: dict) -> None:
        # The person behind the socket is still signed in (not logged out meanwhile):
        # checked before anything that changes something, and every RECHECK_SECONDS.
        now = time.monotonic()
        if kind not in self.passive or now - self.checked_at >= RECHECK_SECONDS:
            self.checked_at = now
            self.recheck_due = True
        try:
            if self.recheck_due and kind not in self.checked_with_work:
                await self._recheck()
            await super().handle(kind, data)
            if self.recheck_due:  # the handler did no database work after all
                await self._recheck()
        except _SignedOut:
            await self.close(code=CLOSE_SIGNED_OUT)


class SessionConsumer(_Socket):
    """``/ws/sessions/<id>/``: the session's chat, meter and (voice) signalling, for its
    two participants only. ``?after=<message id>`` catches up from that message."""

    inbound = {
        "ping": {},
        # The text and the client id are the chat service's to judge (its own messages).
        "chat.send": {"client_id": Text(), "text": Text()},
        "chat.typing": {"typing": Boolean()},
        "chat.read": {"up_to": Id()},
        "signal": {
            "kind": Choice(choices=SIGNAL_KINDS),
            "data": JsonObject(max_size=SIGNAL_MAX_BYTES, nullable=True),
        },
        "call.state": {
            "state": Choice(choices=CALL_STATES),
            "muted": Boolean(required=False, default=False),
        },
        "hang_up": {},
    }
    checked_with_work = frozenset({"chat.send", "chat.read", "hang_up"})

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)
            return
        session_id = self.scope["url_route"]["kwargs"]["session_id"]
        # The group first, so nothing stored after the state is read is missed (pushes
        # wait until connect returns; a refused socket drops them).
        await self._join(sessions.session_group(session_id))
        query = parse_qs(self.scope.get("query_string", b"").decode())
        after = query.get("after", ["0"])[0]
        try:
            self.session, self.connection_id, state = await socket_database.gathered(
                self._executor(), _sessions_open, (user, session_id, after)
            )
        except NotFound:
            await self._leave()
            await self.refuse(CLOSE_NOT_FOUND)
            return
        self.user = _person(user)
        self.role = self.session.role_of(user)
        await self.accept()
        if self.connection_id is not None:
            keeper.add(self.connection_id)
        await self.send_json(state)

    def _closed(self, heard) -> None:
        meter.session_leave(
            session=self.session, role=self.role, connection_id=self.connection_id, heard_at=heard
        )

    async def on_chat_send(self, data: dict) -> None:
        # Stored with the chat.sends of other sockets that arrive meanwhile (one
        # transaction), the sign-in check (if due) with them.
        check, self.recheck_due = self.recheck_due, False
        send = chat.Send(
            session=self.session,
            user=self.user,
            text=data["text"],
            client_id=data["client_id"],
        )
        message, _created = await socket_database.gathered(
            self._executor(), _chat_sends, (check, self.scope, send)
        )
        # The sender learns the stored id even for a resend (no second delivery then).
        await self.send_json({"type": "chat.ack", "client_id": message.client_id, "id": message.pk})

    async def _to_peer(self, message: dict) -> None:
        """Relay to the other side's sockets (and this person's other tabs), not stored."""
        await self.channel_layer.group_send(
            sessions.session_group(self.session.pk),
            {"type": PUSH_EVENT, "skip": self.channel_name, "message": message},
        )

    async def on_chat_typing(self, data: dict) -> None:
        await self._to_peer({"type": "chat.typing", "role": self.role, "typing": data["typing"]})

    async def on_signal(self, data: dict) -> None:
        """WebRTC signalling of a voice session: offers, answers and ICE candidates go to
        the other side as they are; media then flows peer to peer."""
        if self.session.channel != "voice":
            raise InvalidInput({"signal": [SIGNAL_INVALID]})
        await self._to_peer(
            {"type": "signal", "role": self.role, "kind": data["kind"], "data": data["data"]}
        )

    async def on_call_state(self, data: dict) -> None:
        """What one side's call looks like (connecting, connected, reconnecting; muted),
        shown to the other."""
        await self._to_peer(
            {
                "type": "call.state",
                "role": self.role,
                "state": data["state"],
                "muted": data["muted"],
            }
        )

    async def on_chat_read(self, data: dict) -> None:
        await self.db(
            chat.read_mark, session=self.session, user=self.user, message_id=data["up_to"]
        )

    async def on_hang_up(self, data: dict) -> None:
        session = await self.db(Session.objects.get, pk=self.session.pk)
        if session.status == Session.Status.REQUESTED and self.role == "customer":
            await self.db(sessions.session_cancel, user=self.user, session_id=session.pk)
        else:
            await self.db(meter.session_hang_up, session=session, user=self.user)


class StandbyConsumer(_Socket):
    """``/ws/standby/``: the provider's standby page. While it is open the provider counts
    as at their desk; rings arrive here; the provider answers and changes state here."""

    inbound = {
        "ping": {},
        "set_state": {"state": Text()},  # which states may be chosen is presence's rule
        "accept": {"session_id": Id()},
        "decline": {"session_id": Id()},
    }
    checked_with_work = frozenset({"set_state", "accept", "decline"})

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_SIGNED_OUT)
            return
        provider = await self.db(provider_get_for_owner, user=user)
        if provider is None:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        self.user, self.provider = _person(user), provider
        await self._join(user_group(user.pk))
        await self.accept()
        state = await self.db(self._open)
        keeper.add(self.connection_id)
        await self.send_json(state)

    def _open(self) -> dict:
        self.connection_id = meter.standby_join(provider=self.provider).pk
        return selectors.standby_state(provider=self.provider)

    async def on_set_state(self, data: dict) -> None:
        await self.db(presence_set, provider=self.provider, state=data["state"])

    async def on_accept(self, data: dict) -> None:
        await self.db(sessions.session_accept, user=self.user, session_id=data["session_id"])

    async def on_decline(self, data: dict) -> None:
        await self.db(sessions.session_decline, user=self.user, session_id=data["session_id"])
