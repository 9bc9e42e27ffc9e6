"""Crash safety for real: a session runs through a uvicorn process, the process is killed
with SIGKILL mid-session, a new process starts, and the bill is checked against the clock.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime

import pytest
import websockets
from django.conf import settings
from django.test import Client

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import pricing
from aizuchi.billing.models import Charge, Entry
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.models import Connection
from aizuchi.core.testing import AsgiServer
from aizuchi.live.models import Session
from aizuchi.live.services import sessions

from .factories import on_standby

pytestmark = pytest.mark.django_db(transaction=True)

FAST = {
    "AIZUCHI_HEARTBEAT_SECONDS": "1",
    "AIZUCHI_STALE_SECONDS": "3",
    "AIZUCHI_DISCONNECT_GRACE_SECONDS": "3",
}


def _cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def _talk(server: AsgiServer, session: Session, cookies: dict[str, str], seconds: float):
    """Both participants connect, chat and ping until the server is killed under them."""
    url = f"{server.ws_url}/ws/sessions/{session.pk}/"

    async def side(role: str, opened: asyncio.Event):
        headers = {"Cookie": cookies[role], "Origin": server.url}
        try:
            async with websockets.connect(url, additional_headers=headers) as socket:
                first = json.loads(await socket.recv())
                assert first["type"] == "session.state"
                opened.set()
                n = 0
                while True:
                    await socket.send(json.dumps({"type": "ping"}))
                    if n % 4 == 0:
                        text = f"{role} {n}"
                        await socket.send(
                            json.dumps(
                                {"type": "chat.send", "client_id": f"{role}{n}", "text": text}
                            )
                        )
                    n += 1
                    await asyncio.sleep(0.25)
        except (websockets.ConnectionClosed, OSError):
            return

    opened = [asyncio.Event(), asyncio.Event()]
    tasks = [
        asyncio.create_task(side("customer", opened[0])),
        asyncio.create_task(side("provider", opened[1])),
    ]
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in opened)), timeout=10)
    await asyncio.sleep(seconds)
    killed_at = datetime.now(UTC)
    server.process.kill()  # SIGKILL: no shutdown, no disconnects written
    server.process.wait()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    return killed_at


def test_a_killed_server_loses_nothing_and_bills_once(tmp_path):
    offering = OfferingFactory(price_per_minute=60, rounding="second")
    on_standby(offering.provider)
    customer = UserFactory()
    fund(customer, 5000)
    session = sessions.session_request(customer=customer, offering_id=offering.pk)
    sessions.session_accept(user=offering.provider.user, session_id=session.pk)
    cookies = {"customer": _cookie(customer), "provider": _cookie(offering.provider.user)}

    first = AsgiServer(mail_dir=tmp_path / "one" / "mail").start(extra_env=FAST)
    try:
        killed_at = asyncio.run(_talk(first, session, cookies, seconds=6))
    finally:
        first.stop()
    session.refresh_from_db()
    assert session.status == "active"  # the dead process billed nothing
    assert session.started_at is not None
    last_proof = min(
        Connection.objects.filter(topic=session.topic, role=role).latest("seen_at").seen_at
        for role in ("customer", "provider")
    )
    assert killed_at.timestamp() - 2.5 <= last_proof.timestamp() <= killed_at.timestamp()

    second = AsgiServer(mail_dir=tmp_path / "two" / "mail").start(extra_env=FAST)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            session.refresh_from_db()
            if session.status != "active":
                break
            time.sleep(0.2)
    finally:
        second.stop()

    assert session.status == "completed", second.log()
    # billed exactly up to the last proof of life both sides left (whole seconds, not more)
    observed = (last_proof - session.started_at).total_seconds()
    assert session.billable_seconds == int(observed)
    assert session.billed_until <= last_proof
    assert session.end_reason in ("customer_left", "provider_left")
    charge = Charge.objects.get(session_id=session.pk)
    expected = pricing.price_session(
        pricing.PricingPolicy.from_dict(session.policy),
        pricing.FIRST_SESSION,
        session.billable_seconds,
    )
    assert charge.amount_yen == expected.amount_yen == session.billable_seconds  # ¥1 a second
    assert Entry.objects.filter(kind=Entry.Kind.CHARGE, charge=charge).count() == 1
    assert session.messages.count() >= 4
