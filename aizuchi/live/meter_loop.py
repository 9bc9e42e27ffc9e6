"""The meter that runs inside every server process.

At start-up it sweeps once (sessions left open by a crash are closed at their last proof
of life and billed), then every ``METER_TICK_SECONDS`` it looks for sessions to start,
warn or end and for providers whose standby page is gone. Every step is a conditional
update, so any number of processes may sweep at once; each session is billed once.
The sweeps run on the process's background thread (``core.connections``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from aizuchi.core.connections import background_executor
from aizuchi.presence.services import presence_sweep

from .services.meter import sessions_sweep

logger = logging.getLogger(__name__)
_task: asyncio.Task | None = None
_stop: asyncio.Event | None = None


def sweep_once() -> dict[str, int]:
    try:
        done = sessions_sweep()
        done["away"] = presence_sweep()
        return done
    except Exception:
        connection.close()  # reconnect at the next tick (the database may have restarted)
        raise


_sweep = sync_to_async(sweep_once, thread_sensitive=False, executor=background_executor)


async def _run(stop: asyncio.Event) -> None:
    tick = settings.AIZUCHI_LIVE["METER_TICK_SECONDS"]
    while not stop.is_set():
        try:
            done = await sync_to_async(
                sweep_once, thread_sensitive=False, executor=background_executor
            )()
            if any(done.values()):
                logger.info("meter: %s", done)
        except Exception:  # noqa: BLE001 - logged; the meter keeps going
            logger.exception("meter sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)


async def start() -> None:
    """Sweep once now (crash recovery), then keep sweeping in the background."""
    global _task, _stop
    try:
        done = await sync_to_async(
            sweep_once, thread_sensitive=False, executor=background_executor
        )()
        logger.info("meter started; first sweep: %s", done)
    except Exception:  # noqa: BLE001 - the loop retries
        logger.exception("first meter sweep failed")
    _stop = asyncio.Event()
    _task = asyncio.get_running_loop().create_task(_run(_stop), name="aizuchi-meter")


async def stop() -> None:
    if _stop is not None:
        _stop.set()
    if _task is not None:
        await _task
