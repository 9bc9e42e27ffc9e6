"""The channel layer of the scaled setup, against a real Redis."""

from __future__ import annotations

import asyncio
import os

import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis at REDIS_URL or 127.0.0.1:6379")
def test_a_storm_of_sockets_joins_hears_one_push_each_and_leaves():
    """A server restart: a thousand sockets join their groups at once (the list-based layer
    ran out of Redis connections here), a push reaches every member exactly once, and a
    socket that left hears nothing more."""

    async def storm() -> tuple[list, list]:
        layer = RedisPubSubChannelLayer(hosts=[REDIS_URL], prefix=f"aizuchi-test-{os.getpid()}")
        try:
            channels = [await layer.new_channel() for _ in range(1000)]
            groups = [f"session.{i % 500}" for i in range(1000)]  # two sides per session
            await asyncio.gather(
                *(layer.group_add(g, c) for g, c in zip(groups, channels, strict=True))
            )
            await asyncio.gather(
                *(layer.group_send(f"session.{i}", {"type": "push", "n": i}) for i in range(500))
            )
            heard = await asyncio.gather(*(layer.receive(c) for c in channels))
            await layer.group_discard(groups[0], channels[0])
            await layer.group_send(groups[0], {"type": "push", "n": -1})
            after = [await asyncio.wait_for(layer.receive(channels[500]), 5)]
            with pytest.raises(TimeoutError):
                after.append(await asyncio.wait_for(layer.receive(channels[0]), 0.5))
            return [(g, m["n"]) for g, m in zip(groups, heard, strict=True)], after
        finally:
            await layer.flush()

    heard, after = asyncio.run(storm())
    assert all(group == f"session.{n}" for group, n in heard)
    assert [m["n"] for m in after] == [-1]
