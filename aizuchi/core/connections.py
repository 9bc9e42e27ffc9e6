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
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from .models import Connection

logger = logging.getLogger(__name__)

# One thread per process for background database work (heartbeats, the live meter), with
# its own long-lived connection, so it never waits behind request threads.
background_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aizuchi-background")


def realtime_setting(name: str) -> int:
    return settings.AIZUCHI_REALTIME[name]


def connection_open(*, topic: str, user, role: str = "") -> Connection:
    return Connection.objects.create(topic=topic, user=user, role=role)


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
