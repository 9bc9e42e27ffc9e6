"""``/ws/presence/`` against the real ASGI application: what it takes from anyone (fuzzed
with hypothesis), its budget, and how many signed-out sockets one address may hold."""

from __future__ import annotations

import logging

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory
from aizuchi.core.testing import (
    ORIGIN,
    LoopThread,
    bad_frames,
    drained,
    error_then_pong,
    hostile_frames,
    next_of,
    not_id_lists,
    refused_with,
    socket_headers,
    socket_open,
    socket_rates,
    wrong_messages,
)
from aizuchi.presence.consumers import WATCH_MAX, PresenceConsumer
from aizuchi.presence.services import presence_set
from aizuchi.storefront.models import Provider
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_presence_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)
    provider = OfferingFactory().provider
    presence_set(provider=provider, state="open")
    rows = list(Provider.objects.values_list("pk", "presence_state", "presence_changed_at"))
    frame_max = django_settings.AIZUCHI_REALTIME["FRAME_MAX_SIZE"]
    with LoopThread() as loop:
        watcher = loop.run(socket_open("/ws/presence/", [ORIGIN]))  # signed out
        for frame in hostile_frames(
            takes=PresenceConsumer.inbound, fields={"watch": ["provider_ids"]}, frame_max=frame_max
        ):
            loop.run(error_then_pong(watcher, frame))
        for frames in (
            bad_frames(takes=PresenceConsumer.inbound),
            wrong_messages("watch", {"provider_ids": not_id_lists(WATCH_MAX)}),
        ):

            @hypothesis_settings(max_examples=80, deadline=None)
            @given(frame=frames)
            def refused(frame) -> None:
                error = loop.run(error_then_pong(watcher, frame))
                assert error["code"] in {"bad_frame", "unknown_message", "invalid"}, error

            refused()

        # an id past 64 bits (once an OverflowError on SQLite) is refused, not looked up
        huge = {"type": "watch", "provider_ids": [10**30]}
        loop.run(watcher.send_json_to(huge))
        error = loop.run(next_of(watcher, "error"))
        assert (error["code"], error["in_reply_to"]) == ("invalid", "watch")
        assert list(error["errors"]) == ["provider_ids"]
        # nothing is being watched, and a valid watch works on the same socket
        assert not [m for m in loop.run(drained(watcher)) if m["type"] == "presence.snapshot"]
        loop.run(watcher.send_json_to({"type": "watch", "provider_ids": [provider.pk, 424242]}))
        snapshot = loop.run(next_of(watcher, "presence.snapshot"))
        assert snapshot["states"] == {str(provider.pk): "open", "424242": "offline"}
        loop.run(watcher.disconnect())
    assert list(Provider.objects.values_list("pk", "presence_state", "presence_changed_at")) == rows
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_watching_has_a_budget(settings):
    burst = int(django_settings.AIZUCHI_REALTIME["SOCKET_RATES"]["watch"][0])
    socket_rates(settings, {"watch": (burst, 0)})
    with LoopThread() as loop:
        watcher = loop.run(socket_open("/ws/presence/", [ORIGIN]))
        for _ in range(burst + 3):
            loop.run(watcher.send_json_to({"type": "watch", "provider_ids": [1]}))
        loop.run(watcher.send_json_to({"type": "ping"}))
        replies = []
        while (reply := loop.run(watcher.receive_json_from(timeout=5)))["type"] != "pong":
            replies.append(reply)
        loop.run(watcher.disconnect())
    assert [r["type"] for r in replies].count("presence.snapshot") == burst
    errors = [(r["code"], r["in_reply_to"]) for r in replies if r["type"] == "error"]
    assert errors == [("too_fast", "watch")] * 3


def test_a_socket_that_keeps_sending_garbage_is_closed_with_4429():
    """Default budgets: refused frames are answered until the socket has earned
    ``refused``'s burst of them; then it is closed."""
    refused_burst = django_settings.AIZUCHI_REALTIME["SOCKET_RATES"]["refused"][0]

    async def garbage(watcher) -> tuple[int, int | None]:
        for _ in range(200):
            await watcher.send_to(text_data="{not json")
        errors = 0
        while (output := await watcher.receive_output(timeout=5))["type"] == "websocket.send":
            errors += 1
        await watcher.disconnect()
        return errors, output.get("code")

    with LoopThread() as loop:
        watcher = loop.run(socket_open("/ws/presence/", [ORIGIN]))
        errors, code = loop.run(garbage(watcher))
    assert code == 4429
    assert refused_burst - 1 <= errors <= refused_burst + 1


def _from(address: str, headers) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/presence/", headers=headers)
    communicator.scope["client"] = (address, 50000)
    return communicator


def test_one_address_may_hold_only_so_many_signed_out_sockets(settings):
    settings.AIZUCHI_REALTIME = {**settings.AIZUCHI_REALTIME, "ANONYMOUS_SOCKETS_PER_ADDRESS": 3}
    signed_in = socket_headers(UserFactory())

    async def scenario() -> None:
        held = []
        for _ in range(3):
            socket = _from("203.0.113.7", [ORIGIN])
            assert (await socket.connect())[0]
            held.append(socket)
        assert await refused_with(_from("203.0.113.7", [ORIGIN])) == 4429
        # another address, and a signed-in person at the same one, are not counted
        other = _from("198.51.100.2", [ORIGIN])
        assert (await other.connect())[0]
        person = _from("203.0.113.7", signed_in)
        assert (await person.connect())[0]
        await person.send_json_to({"type": "ping"})
        assert await person.receive_json_from() == {"type": "pong"}
        # a closed socket gives its place back
        await held.pop().disconnect()
        again = _from("203.0.113.7", [ORIGIN])
        assert (await again.connect())[0]
        await again.send_json_to({"type": "ping"})
        assert await again.receive_json_from() == {"type": "pong"}
        for socket in [*held, other, person, again]:
            await socket.disconnect()

    with LoopThread() as loop:
        loop.run(scenario())
