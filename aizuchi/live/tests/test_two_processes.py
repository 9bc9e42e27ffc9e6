"""The scaled setup for real: two uvicorn processes over one database and Redis. The
customer is on one, the provider on the other; presence, ringing, answering, the meter,
chat and voice signalling all cross between them, and the bill is right."""

from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
import redis
import websockets
from django.conf import settings
from django.test import Client

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Charge
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.testing import AsgiServer
from aizuchi.live.models import Session

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"


def _redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Side:
    """One person's sockets on one server."""

    def __init__(self, server: AsgiServer, session_cookie: str):
        self.server, self.session_cookie = server, session_cookie

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session_cookie}",
            "Origin": self.server.url,
        }

    async def socket(self, path: str):
        return await websockets.connect(
            self.server.ws_url + path, additional_headers=self.headers()
        )


async def _until(socket, kind: str, timeout: float = 10) -> dict:
    """The next message of ``kind``, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind:
                return message


def _start_session(side: Side, offering_id: int) -> httpx.Response:
    """The customer presses "Call now" on the provider's page (a real form post)."""
    with httpx.Client(base_url=side.server.url, follow_redirects=False) as client:
        client.cookies.set(settings.SESSION_COOKIE_NAME, side.session_cookie)
        page = client.get("/providers/")
        token = page.cookies.get(settings.CSRF_COOKIE_NAME) or client.cookies.get(
            settings.CSRF_COOKIE_NAME
        )
        return client.post(
            "/live/start/",
            data={"offering_id": offering_id, "csrfmiddlewaretoken": token},
            headers={"Referer": side.server.url + "/providers/", "Origin": side.server.url},
        )


@pytest.mark.skipif(not _redis_reachable(), reason="needs Redis at REDIS_URL or 127.0.0.1:6379")
def test_customer_and_provider_on_two_processes(tmp_path):
    offering = OfferingFactory(channel="voice", price_per_minute=100)
    customer = UserFactory(display_name="かな")
    fund(customer, 3000)
    env = {
        "REDIS_URL": REDIS_URL,
        "AIZUCHI_HEARTBEAT_SECONDS": "1",
        "AIZUCHI_STALE_SECONDS": "3",
        "AIZUCHI_DISCONNECT_GRACE_SECONDS": "3",
    }
    one = AsgiServer(mail_dir=tmp_path / "one" / "mail").start(extra_env=env)
    two = AsgiServer(mail_dir=tmp_path / "two" / "mail").start(extra_env=env)
    try:
        guest = Side(one, _cookie(customer))
        host = Side(two, _cookie(offering.provider.user))
        asyncio.run(_conversation(guest, host, offering))
    finally:
        one.stop()
        two.stop()
    session = Session.objects.get(customer=customer)
    assert (session.status, session.end_reason) == ("completed", "provider_hung_up")
    assert session.messages.count() == 2
    charge = Charge.objects.get(session_id=session.pk)
    assert charge.amount_yen == 100 * -(-session.billable_seconds // 60)


async def _conversation(guest: Side, host: Side, offering) -> None:
    watcher = await guest.socket("/ws/presence/")
    await watcher.send(json.dumps({"type": "watch", "provider_ids": [offering.provider_id]}))
    await _until(watcher, "presence.snapshot")

    # presence: the provider goes on standby on server two; the page on server one sees it
    standby = await host.socket("/ws/standby/")
    await _until(standby, "standby.state")
    await standby.send(json.dumps({"type": "set_state", "state": "open"}))
    assert (await _until(watcher, "presence.changed"))["state"] == "open"

    # ringing: a form post on server one rings the standby page on server two
    response = await asyncio.to_thread(_start_session, guest, offering.pk)
    assert response.status_code == 302, response.text
    session_id = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
    ring = await _until(standby, "session.ringing")
    assert ring["session"]["id"] == session_id

    path = f"/ws/sessions/{session_id}/"
    customer = await guest.socket(path)
    await _until(customer, "session.state")
    await standby.send(json.dumps({"type": "accept", "session_id": session_id}))
    await _until(customer, "session.accepted")
    assert (await _until(watcher, "presence.changed"))["state"] == "in_session"

    # the meter starts once both are in, each on their own server
    provider = await host.socket(path)
    started = await _until(customer, "session.started")
    assert started["limit_at"] is not None

    # chat and voice signalling cross the processes
    await customer.send(
        json.dumps({"type": "chat.send", "client_id": "k1", "text": "聞こえますか"})
    )
    assert (await _until(provider, "chat.message"))["message"]["text"] == "聞こえますか"
    await provider.send(
        json.dumps({"type": "chat.send", "client_id": "h1", "text": "はい、聞こえます"})
    )
    reply = await _until(customer, "chat.message")
    while reply["message"]["from"] == "customer":  # one's own message comes back first
        reply = await _until(customer, "chat.message")
    assert reply["message"]["text"] == "はい、聞こえます"
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await customer.send(json.dumps({"type": "signal", "kind": "offer", "data": offer}))
    assert (await _until(provider, "signal"))["data"] == offer
    await provider.send(
        json.dumps({"type": "signal", "kind": "answer", "data": {"type": "answer"}})
    )
    assert (await _until(customer, "signal"))["kind"] == "answer"

    await asyncio.sleep(1.5)
    await provider.send(json.dumps({"type": "hang_up"}))
    ended = await _until(customer, "session.ended")
    assert ended["end_reason"] == "provider_hung_up"
    assert (await _until(watcher, "presence.changed"))["state"] == "open"
    for socket in (customer, provider, standby, watcher):
        await socket.close()
