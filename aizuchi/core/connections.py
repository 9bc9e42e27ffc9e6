"""Proof of life for WebSockets, in the database, so every server process (and the one
that starts after a crash) knows who is still there.

A consumer opens a ``Connection`` row when its socket is accepted, tells the process's
``keeper`` about every frame it receives, and closes the row when the socket closes. The
keeper writes the last time each socket was heard, to the second, every
``HEARTBEAT_SECONDS`` in a handful of statements (one per distinct second), so thousands
of sockets cost a few writes per flush, not one per ping.

Who is alive on a topic is then a query: an open connection heard from within
``STALE_SECONDS``. Its last proof of life is the latest ``seen_at`` of its connections.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection as default_connection
from django.db import connections
from django.db.models import Max, Q
from django.utils import timezone

from .models import Connection

logger = logging.getLogger(__name__)

# One thread per process for background database work (heartbeats, the live meter), with
# its own long-lived connection, so it never waits behind request threads.
background_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aizuchi-background")


def realtime_setting(name: str) -> int:
    """A number of ``AIZUCHI_REALTIME`` (seconds, counts)."""
    return cast(int, settings.AIZUCHI_REALTIME[name])


def _with_kept_connection(func: Callable, /, *args, **kwargs):
    """Run ``func`` on a thread that keeps its database connection between calls; a
    connection that broke (the database restarted) is replaced first, as Django does
    between requests."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()
    return func(*args, **kwargs)


class SocketDatabase:
    """Where WebSocket handlers do their database work: a few threads per process, each
    keeping its connection while sockets are open.

    channels' ``database_sync_to_async`` sends every call of a process to one thread and
    opens and closes a connection around each call (``CONN_MAX_AGE`` is 0, which the HTTP
    side needs under ASGI). At chat rates the reconnects were a large part of each message
    (bench/live_chat.py). A socket sticks to one thread, so its calls run in order. SQLite
    gets one thread (one writer at a time; more would only sleep in its busy handler);
    PostgreSQL gets ``SOCKET_DB_THREADS`` (default 4) so one slow call does not hold up
    the others. When the last socket of the process closes, the connections close too.
    """

    def __init__(self) -> None:
        self._executors: list[ThreadPoolExecutor] = []
        self._turn = 0
        self._sockets = 0
        self._batches: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def _thread_count(self) -> int:
        configured = settings.AIZUCHI_REALTIME.get("SOCKET_DB_THREADS")
        if isinstance(configured, int) and configured > 0:
            return configured
        return 1 if default_connection.vendor == "sqlite" else 4

    def executor(self) -> ThreadPoolExecutor:
        """The thread for one more socket (taken in turn)."""
        if not self._executors:
            self._executors = [
                ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"aizuchi-sockets-{i}")
                for i in range(self._thread_count())
            ]
        self._turn = (self._turn + 1) % len(self._executors)
        return self._executors[self._turn]

    @staticmethod
    def call(executor: ThreadPoolExecutor, func: Callable, /, *args, **kwargs) -> Awaitable:
        return sync_to_async(_with_kept_connection, thread_sensitive=False, executor=executor)(
            func, *args, **kwargs
        )

    async def gathered(self, executor: ThreadPoolExecutor, func: Callable, item):
        """``func([item, …])[0]``, except that the items of every socket of this thread
        that arrive while it is busy go in one call: ``func`` takes a list and returns one
        result per item (an exception instance is raised to that item's caller). Under
        load one call carries many items; alone, an item goes at once."""
        loop = asyncio.get_running_loop()
        key = (executor, func, loop)
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = _Gathered(executor, func)
        return await batch.submit(loop, item)

    def opened(self) -> None:
        self._sockets += 1

    def closed(self) -> None:
        self._sockets -= 1
        if self._sockets <= 0:
            self._sockets = 0
            for executor in self._executors:
                executor.submit(connections.close_all)


class _Gathered:
    """Items waiting for one function on one thread, and the task that hands them over."""

    # At most this many items per call, so a burst does not make one call very long.
    most = 200

    def __init__(self, executor: ThreadPoolExecutor, func: Callable) -> None:
        self.executor, self.func = executor, func
        self.waiting: list[tuple[object, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def submit(self, loop: asyncio.AbstractEventLoop, item):
        future = loop.create_future()
        self.waiting.append((item, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._run(), name="aizuchi-gathered")
        return await future

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[: self.most], self.waiting[self.most :]
            try:
                results = await SocketDatabase.call(
                    self.executor, self.func, [item for item, _ in batch]
                )
            except Exception as exc:  # noqa: BLE001 - every caller hears of it
                results = [exc] * len(batch)
            for (_item, future), result in zip(batch, results, strict=True):
                if future.done():  # the socket went away meanwhile
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


socket_database = SocketDatabase()


def worker_connections_close() -> None:
    """Close the database connections kept by this process's socket and background
    threads, and wait for it (a test run does, before it drops its database)."""
    for executor in [background_executor, *socket_database._executors]:
        executor.submit(connections.close_all).result()


def connection_open(*, topic: str, user, role: str = "") -> Connection:
    return Connection.objects.create(topic=topic, user=user, role=role)


def connections_open(opens: list[tuple[str, Any, str]]) -> list[Connection]:
    """``connection_open`` for many sockets, (topic, user, role) each, in one statement."""
    return Connection.objects.bulk_create(
        [Connection(topic=topic, user=user, role=role) for topic, user, role in opens]
    )


def connection_close(*, connection_id: int, heard_at: datetime | None = None) -> None:
    """The socket closed: its last proof of life is the last time it was heard."""
    now = timezone.now()
    fields = {"closed_at": now}
    if heard_at is not None:
        fields["seen_at"] = min(heard_at, now)
    Connection.objects.filter(pk=connection_id, closed_at__isnull=True).update(**fields)


def alive_filter(now: datetime) -> Q:
    """Connections that count as present at ``now``: open and heard from recently."""
    stale = now - timedelta(seconds=realtime_setting("STALE_SECONDS"))
    return Q(closed_at__isnull=True, seen_at__gte=stale)


def alive_roles(*, topic: str, now: datetime | None = None) -> set[str]:
    """The roles with at least one live connection on ``topic``."""
    now = now or timezone.now()
    return set(
        Connection.objects.filter(alive_filter(now), topic=topic)
        .values_list("role", flat=True)
        .distinct()
    )


def alive_roles_by_topic(topics: list[str], *, now: datetime | None = None) -> dict:
    """``alive_roles`` of many topics in one query: {topic: {role, …}} (every topic)."""
    now = now or timezone.now()
    found: dict[str, set[str]] = {topic: set() for topic in topics}
    for topic, role in (
        Connection.objects.filter(alive_filter(now), topic__in=topics)
        .values_list("topic", "role")
        .distinct()
    ):
        found[topic].add(role)
    return found


def last_seen_by_role(*, topic: str) -> dict[str, datetime]:
    """Each role's last proof of life on ``topic`` (closed connections included)."""
    return dict(
        Connection.objects.filter(topic=topic)
        .values("role")
        .annotate(last=Max("seen_at"))
        .values_list("role", "last")
    )


def topics_alive(topics: list[str], *, now: datetime | None = None) -> set[str]:
    now = now or timezone.now()
    return set(
        Connection.objects.filter(alive_filter(now), topic__in=topics)
        .values_list("topic", flat=True)
        .distinct()
    )


class Keeper:
    """The sockets of this process and when each was last heard; writes that down.

    One per process (``keeper``). The flushing task runs on the event loop of the
    sockets while any are registered, and starts again with the next registration.
    """

    def __init__(self) -> None:
        self._heard: dict[int, float] = {}  # connection id -> time.time() of the last frame
        self._flushed: dict[int, int] = {}  # connection id -> the second last written
        self._task: asyncio.Task | None = None

    def add(self, connection_id: int) -> None:
        self._heard[connection_id] = time.time()
        self._flushed[connection_id] = math.floor(self._heard[connection_id])
        self._ensure_running()

    def heard(self, connection_id: int) -> None:
        if connection_id in self._heard:
            self._heard[connection_id] = time.time()

    def discard(self, connection_id: int) -> datetime | None:
        """Forget a socket; returns when it was last heard."""
        self._flushed.pop(connection_id, None)
        last = self._heard.pop(connection_id, None)
        return None if last is None else datetime.fromtimestamp(last, tz=UTC)

    def __len__(self) -> int:
        return len(self._heard)

    def _ensure_running(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop (tests of the sync parts)
            return
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._run(), name="aizuchi-heartbeats")

    async def _run(self) -> None:
        while self._heard:
            await asyncio.sleep(realtime_setting("HEARTBEAT_SECONDS"))
            try:
                await sync_to_async(
                    self.flush, thread_sensitive=False, executor=background_executor
                )()
            except Exception:  # noqa: BLE001 - a failed flush is retried at the next one
                logger.exception("could not write socket heartbeats")

    def flush(self) -> int:
        """Write each socket's last-heard second if it moved; returns rows touched."""
        by_second: dict[int, list[int]] = defaultdict(list)
        for connection_id, heard in list(self._heard.items()):
            second = math.floor(heard)
            if second > self._flushed.get(connection_id, 0):
                by_second[second].append(connection_id)
        touched = 0
        for second, ids in by_second.items():
            moment = datetime.fromtimestamp(second, tz=UTC)
            touched += Connection.objects.filter(pk__in=ids, closed_at__isnull=True).update(
                seen_at=moment
            )
            for connection_id in ids:
                if connection_id in self._flushed:
                    self._flushed[connection_id] = second
        return touched


keeper = Keeper()
