"""One door for pushing messages to WebSocket clients.

Services call :func:`publish`; the message leaves only when the surrounding
transaction commits, so a client never hears of a change that was rolled back.
The shapes of all messages are documented in docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import weakref
from collections import deque
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer, get_channel_layer

from .effects import on_commit

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
    on_commit(lambda: send_now(group, message))


def publish_many(pushes: list[tuple[str, dict[str, Any]]]) -> None:
    """``publish`` for a batch of (group, message) pairs: after commit, all of them in one
    event loop (a job that tells thousands of people pays one loop, not one each)."""
    if any("type" not in message for _group, message in pushes):
        raise ValueError("realtime messages need a 'type'")
    if pushes:
        on_commit(lambda: send_many_now(pushes))


def send_many_now(pushes: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _calling_loop()
    if loop is not None:
        for group, message in pushes:
            event = {"type": PUSH_EVENT, "message": message}
            loop.call_soon_threadsafe(_outbox, loop, layer, group, event)
        return

    async def send_all() -> None:
        for group, message in pushes:
            await layer.group_send(group, {"type": PUSH_EVENT, "message": message})

    async_to_sync(send_all)()


def send_now(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:  # channel layers switched off: nothing listens
        return
    event = {"type": PUSH_EVENT, "message": message}
    loop = _calling_loop()
    if loop is not None:
        # In a server process, called from a worker thread of the event loop: hand the
        # message to the loop and go on. Waiting for it (async_to_sync) held the worker
        # (and every socket's database work queued behind it) for a round trip through
        # the loop, most of a chat message's time (bench/live_chat.py).
        loop.call_soon_threadsafe(_outbox, loop, layer, group, event)
        return
    async_to_sync(layer.group_send)(group, event)


def _calling_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop whose ``sync_to_async`` call this thread is serving."""
    threadlocal = SyncToAsync.threadlocal
    loop = getattr(threadlocal, "main_event_loop", None)
    if loop is None or getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    if loop.is_closed() or not loop.is_running():
        return None
    return loop


class _Outbox:
    """Messages waiting to go out from one event loop: one sender per group, so each
    group's messages leave in the order they were published while different groups do
    not wait for each other (a group send over Redis is a round trip)."""

    # Group sends in flight at once: a few hide the round trips; thousands at once (one
    # per session under load) would only queue for the Redis connections.
    in_flight = 8

    def __init__(self) -> None:
        self.queues: dict[str, deque] = {}
        self.tasks: set[asyncio.Task] = set()  # the loop keeps only weak references
        self.slots = asyncio.Semaphore(self.in_flight)

    def put(self, loop: asyncio.AbstractEventLoop, layer, group: str, event: dict) -> None:
        queue = self.queues.get(group)
        if queue is not None:  # that group's sender is running and will take it
            queue.append((layer, event))
            return
        self.queues[group] = deque([(layer, event)])
        task = loop.create_task(self.drain(group), name="aizuchi-outbox")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, group: str) -> None:
        queue = self.queues[group]
        try:
            while queue:
                layer, event = queue[0]
                try:
                    async with self.slots:
                        await layer.group_send(group, event)
                except Exception:  # noqa: BLE001 - one failed push must not stop the others
                    logger.exception("could not push %s to %s", event["message"].get("type"), group)
                queue.popleft()
        finally:
            del self.queues[group]


_outboxes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _outbox(loop: asyncio.AbstractEventLoop, layer, group: str, event: dict) -> None:
    """On ``loop``: queue the message behind the others of its group."""
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes[loop] = _Outbox()
    outbox.put(loop, layer, group, event)


class ProcessChannelLayer(InMemoryChannelLayer):
    """The channel layer of a single server process (no Redis): channels' in-memory layer
    with its expiry sweep run at most once a second.

    The stock layer walks every channel and every group membership on each send, receive
    and group send, so with 4,000 sockets every chat message cost thousands of steps
    (bench/live_chat.py). Expiry only drops messages nobody read for ``expiry`` seconds
    and memberships older than a day; a second's delay changes nothing. A group send puts
    the message on each member's queue in turn instead of a task per member.
    """

    sweep_seconds = 1.0
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < self.sweep_seconds:
            return
        self._swept_at = now
        super()._clean_expired()

    async def send(self, channel: str, message: dict) -> None:
        if message.get("type") != PUSH_EVENT:
            await super().send(channel, message)
            return
        # A push is built for its send and no receiver changes it: every member of the
        # group gets the one dict instead of a deep copy each (the stock layer copies).
        queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
        try:
            queue.put_nowait((time.time() + self.expiry, message))
        except asyncio.QueueFull as exc:
            raise ChannelFull(channel) from exc

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "Message is not a dict"  # noqa: S101 (as channels)
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            with contextlib.suppress(ChannelFull):  # as channels: a full queue misses it
                await self.send(channel, message)
