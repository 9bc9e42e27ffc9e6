"""All four sockets through a real uvicorn server: bad frames are answered with errors and
the sockets stay usable, refusals and unknown paths arrive as close codes a browser can
read, signed-out sockets are capped per address, and the server logs no traceback."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from django.conf import settings

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import socket_headers

from .factories import accepted_session

pytestmark = pytest.mark.django_db(transaction=True)

# Frames every socket must refuse (as a browser's bug or an attacker would send them),
# fewer than the refused budget of one socket.
BAD = [
    b"\x00\xff\xfe",
    json.dumps({"type": "ping"}).encode(),  # right text, binary frame
    "",
    "{not json",
    "[1, 2]",
    '{"type": "ping", "n": NaN}',
    "[" * 30_000,
    json.dumps({"type": "ping", "padding": "x" * 70_000}),
    json.dumps({"type": "no such thing"}),
    json.dumps({"kind": "no type"}),
]
WRONG = {
    "session": [
        {"type": "chat.typing", "typing": "yes"},
        {"type": "chat.read", "up_to": 10**30},
        {"type": "signal", "kind": "bye", "data": {}},
        {"type": "call.state", "state": "dancing"},
        {"type": "chat.send", "client_id": "c", "text": ["not", "text"]},
    ],
    "standby": [
        {"type": "accept", "session_id": 10**30},
        {"type": "decline", "session_id": "12"},
        {"type": "set_state", "state": 5},
    ],
    "presence": [
        {"type": "watch", "provider_ids": [10**30]},
        {"type": "watch", "provider_ids": list(range(1, 62))},
        {"type": "watch", "provider_ids": "1,2"},
    ],
    "notifications": [{"type": "watch", "provider_ids": [1]}],
}


def _headers(server, person=None) -> dict[str, str]:
    headers = {"Origin": server.url}
    cookies = [value.decode() for name, value in socket_headers(person) if name == b"cookie"]
    if cookies:
        headers["Cookie"] = cookies[0]
    return headers


async def _next(socket, kind: str) -> dict:
    while (message := json.loads(await asyncio.wait_for(socket.recv(), 5)))["type"] != kind:
        pass
    return message


async def _refuses_and_stays_usable(socket, wrong: list[dict]) -> None:
    """Each frame is answered by one error; the socket answers a ping after them all (a
    ping after each would go over the pings' own budget)."""
    for frame in [*BAD, *map(json.dumps, wrong)]:
        await socket.send(frame)
        error = await _next(socket, "error")
        assert error["code"] in {"bad_frame", "unknown_message", "invalid"}, (frame[:80], error)
        assert error["message"]
    await socket.send('{"type": "ping"}')
    assert await _next(socket, "pong") == {"type": "pong"}


async def _close_code(server, path: str, headers) -> int:
    """Open ``path``: the handshake succeeds, then the socket is closed; with what code."""
    async with websockets.connect(server.ws_url + path, additional_headers=headers) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
    return closed.value.rcvd.code


def test_every_socket_through_uvicorn(asgi_server):
    session = accepted_session(channel="voice")
    customer = _headers(asgi_server, session.customer)
    provider = _headers(asgi_server, session.provider.user)
    stranger = _headers(asgi_server, UserFactory())
    anonymous = _headers(asgi_server)
    cap = settings.AIZUCHI_REALTIME["ANONYMOUS_SOCKETS_PER_ADDRESS"]
    log_before = len(asgi_server.log())

    async def scenario() -> None:
        url = asgi_server.ws_url
        path = f"/ws/sessions/{session.pk}/"
        async with (
            websockets.connect(url + path, additional_headers=customer) as mine,
            websockets.connect(url + path, additional_headers=provider) as theirs,
            websockets.connect(url + "/ws/standby/", additional_headers=provider) as standby,
            websockets.connect(url + "/ws/presence/", additional_headers=anonymous) as presence,
            websockets.connect(url + "/ws/notifications/", additional_headers=stranger) as inbox,
        ):
            await _next(mine, "session.state")
            await _next(theirs, "session.state")
            await _next(standby, "standby.state")
            await _next(inbox, "notifications.state")
            await _refuses_and_stays_usable(mine, WRONG["session"])
            await _refuses_and_stays_usable(standby, WRONG["standby"])
            await _refuses_and_stays_usable(presence, WRONG["presence"])
            await _refuses_and_stays_usable(inbox, WRONG["notifications"])
            # nothing of it reached the other side; what is valid still does
            await mine.send(json.dumps({"type": "chat.typing", "typing": True}))
            assert (await _next(theirs, "chat.typing"))["typing"] is True
            await mine.send(
                json.dumps({"type": "chat.send", "client_id": "ok", "text": "こんにちは"})
            )
            assert (await _next(theirs, "chat.message"))["message"]["text"] == "こんにちは"
            await presence.send(
                json.dumps({"type": "watch", "provider_ids": [session.provider_id]})
            )
            snapshot = await _next(presence, "presence.snapshot")
            assert snapshot["states"] == {str(session.provider_id): "in_session"}

        # refusals: accepted, then closed with the code the page acts on
        assert await _close_code(asgi_server, path, anonymous) == 4401
        assert await _close_code(asgi_server, path, stranger) == 4404
        assert await _close_code(asgi_server, "/ws/standby/", stranger) == 4403
        assert await _close_code(asgi_server, "/ws/notifications/", anonymous) == 4401
        for unknown in ("/ws/sessions/-1/", "/ws/sessions/abc/", "/ws/nothing-here/"):
            assert await _close_code(asgi_server, unknown, stranger) == 4404
        assert await _close_code(asgi_server, f"/ws/sessions/{10**30}/", customer) == 4404

        # signed-out sockets from one address: the cap, the rest closed with 4429
        await asyncio.sleep(0.5)  # the sockets above are gone on the server too
        sockets = [
            await websockets.connect(url + "/ws/presence/", additional_headers=anonymous)
            for _ in range(200)
        ]
        answered, codes = 0, []
        for socket in sockets:
            try:
                await socket.send('{"type": "ping"}')
                assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "pong"}
                answered += 1
            except websockets.ConnectionClosed as closed:
                codes.append(closed.rcvd.code)
        for socket in sockets:
            await socket.close()
        assert answered == cap
        assert codes == [4429] * (200 - cap)

    asyncio.run(scenario())
    time.sleep(0.5)  # what the server logs about the last closes
    log = asgi_server.log()[log_before:]
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log
    assert "No route found" not in log, log
