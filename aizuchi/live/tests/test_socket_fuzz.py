"""The session and standby sockets answer every frame they cannot take with an error and
stay usable, store nothing from it, and hold each message type to its budget; against the
real ASGI application (config.asgi), frames drawn by hypothesis."""

from __future__ import annotations

import json
import logging
import re
from functools import partial

import pytest
from django.conf import settings as django_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.testing import (
    LoopThread,
    bad_frames,
    drained,
    error_then_pong,
    hostile_frames,
    next_of,
    not_booleans,
    not_ids,
    not_one_of,
    not_texts,
    send_frame,
    socket_headers,
    socket_open,
    socket_rates,
    wrong_messages,
)
from aizuchi.live.consumers import (
    CALL_STATES,
    SIGNAL_KINDS,
    SIGNAL_MAX_BYTES,
    SessionConsumer,
    StandbyConsumer,
)
from aizuchi.live.models import Message, Session
from aizuchi.live.services import sessions
from aizuchi.presence.services import CHOSEN_STATES
from aizuchi.storefront.models import Provider

from .factories import accepted_session, on_standby

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = hypothesis_settings(max_examples=60, deadline=None)
RELAYED = {"chat.typing", "signal", "call.state", "chat.message", "chat.read"}
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _wrong_client_ids():
    return not_texts() | st.text(max_size=50).filter(lambda t: not CLIENT_ID.match(t))


def _wrong_chat_texts():
    limit = django_settings.AIZUCHI_LIVE["MESSAGE_MAX_LENGTH"]
    return not_texts() | st.text(" \t\n\u3000", max_size=5) | st.just("あ" * (limit + 1))


SESSION_WRONG = {
    "chat.send": {"client_id": _wrong_client_ids(), "text": _wrong_chat_texts()},
    "chat.typing": {"typing": not_booleans()},
    "chat.read": {"up_to": not_ids()},
    "signal": {
        "kind": not_one_of(SIGNAL_KINDS),
        "data": st.one_of(
            not_one_of([None]).filter(lambda v: not isinstance(v, dict)),
            st.just({"sdp": "x" * (SIGNAL_MAX_BYTES + 1)}),
        ),
    },
    "call.state": {"state": not_one_of(CALL_STATES), "muted": not_booleans()},
}
STANDBY_WRONG = {
    "set_state": {"state": not_one_of(CHOSEN_STATES)},
    "accept": {"session_id": not_ids()},
    "decline": {"session_id": not_ids()},
}


def _fields(inbound) -> dict[str, list[str]]:
    return {kind: list(fields) for kind, fields in inbound.items()}


def _fuzz(loop: LoopThread, socket, consumer, wrong) -> None:
    """Every hostile frame, then what hypothesis draws: unreadable frames, and wrong
    messages of each type; each answered by one error, the socket usable after it."""
    frame_max = django_settings.AIZUCHI_REALTIME["FRAME_MAX_SIZE"]
    for frame in hostile_frames(
        takes=consumer.inbound, fields=_fields(consumer.inbound), frame_max=frame_max
    ):
        loop.run(error_then_pong(socket, frame))
    strategies = [bad_frames(takes=consumer.inbound)]
    strategies += [wrong_messages(kind, fields) for kind, fields in wrong.items()]
    for frames in strategies:

        @FUZZ
        @given(frame=frames)
        def refused(frame) -> None:
            error = loop.run(error_then_pong(socket, frame))
            assert error["code"] in {"bad_frame", "unknown_message", "invalid"}, error

        refused()


def test_the_session_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)  # budgets are tested below; here every frame is read
    session = accepted_session(channel="voice")
    customer_headers = socket_headers(session.customer)
    provider_headers = socket_headers(session.provider.user)
    path = f"/ws/sessions/{session.pk}/"
    with LoopThread() as loop:
        customer = loop.run(socket_open(path, customer_headers))
        provider = loop.run(socket_open(path, provider_headers))
        loop.run(next_of(customer, "session.state"))
        loop.run(next_of(provider, "session.state"))

        _fuzz(loop, customer, SessionConsumer, SESSION_WRONG)

        # nothing was stored, read or relayed
        assert not Message.objects.filter(session=session).exists()
        fresh = Session.objects.get(pk=session.pk)
        assert fresh.status == Session.Status.ACTIVE
        assert (fresh.customer_read_id, fresh.provider_read_id) == (
            session.customer_read_id,
            session.provider_read_id,
        )
        heard = loop.run(drained(provider))
        assert not [m for m in heard if m["type"] in RELAYED], heard

        # and every message type still works on the same socket
        loop.run(customer.send_json_to({"type": "chat.typing", "typing": True}))
        assert loop.run(next_of(provider, "chat.typing"))["typing"] is True
        offer = {"type": "offer", "sdp": "v=0\r\n"}
        loop.run(customer.send_json_to({"type": "signal", "kind": "offer", "data": offer}))
        assert loop.run(next_of(provider, "signal"))["data"] == offer
        loop.run(customer.send_json_to({"type": "call.state", "state": "connected"}))
        assert loop.run(next_of(provider, "call.state"))["muted"] is False
        loop.run(customer.send_json_to({"type": "chat.send", "client_id": "c1", "text": "やあ"}))
        stored = loop.run(next_of(provider, "chat.message"))["message"]
        assert loop.run(next_of(customer, "chat.ack"))["id"] == stored["id"]
        loop.run(provider.send_json_to({"type": "chat.read", "up_to": stored["id"]}))
        assert loop.run(next_of(customer, "chat.read"))["up_to"] == stored["id"]
        loop.run(customer.disconnect())
        loop.run(provider.disconnect())
    assert Message.objects.filter(session=session).count() == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_standby_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)
    offering = OfferingFactory(price_per_minute=100)
    on_standby(offering.provider)
    customer = UserFactory()
    fund(customer, 1000)
    ringing = sessions.session_request(customer=customer, offering_id=offering.pk)
    presence = Provider.objects.get(pk=offering.provider.pk)
    headers = socket_headers(offering.provider.user)
    with LoopThread() as loop:
        standby = loop.run(socket_open("/ws/standby/", headers))
        loop.run(next_of(standby, "standby.state"))

        _fuzz(loop, standby, StandbyConsumer, STANDBY_WRONG)

        assert Session.objects.get(pk=ringing.pk).status == Session.Status.REQUESTED
        now = Provider.objects.get(pk=offering.provider.pk)
        assert (now.presence_state, now.presence_changed_at) == (
            presence.presence_state,
            presence.presence_changed_at,
        )

        loop.run(standby.send_json_to({"type": "accept", "session_id": ringing.pk}))
        assert loop.run(next_of(standby, "session.accepted"))["session_id"] == ringing.pk
        loop.run(standby.disconnect())
    assert Session.objects.get(pk=ringing.pk).status == Session.Status.ACTIVE
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- budgets -------------------------------------------------------------------------------


def _burst_messages():
    """One valid message of each type the session socket relays or stores, by number."""
    return {
        "chat.typing": lambda i: {"type": "chat.typing", "typing": i % 2 == 0},
        "signal": lambda i: {"type": "signal", "kind": "candidate", "data": {"n": i}},
        "call.state": lambda i: {"type": "call.state", "state": "connecting"},
        "chat.send": lambda i: {"type": "chat.send", "client_id": f"b{i}", "text": f"#{i}"},
    }


async def _burst(communicator, message, count: int) -> list[dict]:
    """``count`` messages at once, then a ping (budget lifted for pings): what came back."""
    for i in range(count):
        await communicator.send_json_to(message(i))
    await communicator.send_json_to({"type": "ping"})
    replies = []
    while (reply := await communicator.receive_json_from(timeout=5))["type"] != "pong":
        replies.append(reply)
    return replies


@pytest.mark.parametrize("kind", ["chat.typing", "signal", "call.state", "chat.send"])
def test_each_message_type_of_the_session_socket_has_its_own_budget(settings, kind):
    burst_size = int(django_settings.AIZUCHI_REALTIME["SOCKET_RATES"][kind][0])
    socket_rates(settings, {kind: (burst_size, 0)})  # the burst as configured, never refilled
    session = accepted_session(channel="voice")
    customer_headers = socket_headers(session.customer)
    provider_headers = socket_headers(session.provider.user)
    path = f"/ws/sessions/{session.pk}/"
    message = _burst_messages()[kind]
    with LoopThread() as loop:
        customer = loop.run(socket_open(path, customer_headers))
        provider = loop.run(socket_open(path, provider_headers))
        loop.run(next_of(customer, "session.state"))
        loop.run(next_of(provider, "session.state"))
        replies = loop.run(_burst(customer, message, burst_size + 5))
        too_fast = [r for r in replies if r["type"] == "error"]
        assert len(too_fast) == 5, replies
        assert {(r["code"], r["in_reply_to"]) for r in too_fast} == {("too_fast", kind)}
        heard = loop.run(drained(provider))
        if kind == "chat.send":
            assert len([r for r in replies if r["type"] == "chat.ack"]) == burst_size
            assert Message.objects.filter(session=session).count() == burst_size
        else:
            assert len([m for m in heard if m["type"] == kind]) == burst_size
        loop.run(customer.disconnect())
        loop.run(provider.disconnect())


def test_chat_read_marks_have_a_budget(settings):
    burst_size = int(django_settings.AIZUCHI_REALTIME["SOCKET_RATES"]["chat.read"][0])
    socket_rates(settings, {"chat.read": (burst_size, 0)})
    session = accepted_session(channel="voice")
    headers = socket_headers(session.customer)
    provider_headers = socket_headers(session.provider.user)
    path = f"/ws/sessions/{session.pk}/"
    with LoopThread() as loop:
        customer = loop.run(socket_open(path, headers))
        provider = loop.run(socket_open(path, provider_headers))
        loop.run(next_of(customer, "session.state"))
        loop.run(provider.send_json_to({"type": "chat.send", "client_id": "p", "text": "はい"}))
        up_to = loop.run(next_of(customer, "chat.message"))["message"]["id"]
        read = partial(dict, type="chat.read", up_to=up_to)
        replies = loop.run(_burst(customer, lambda i: read(), burst_size + 5))
        too_fast = [r for r in replies if r["type"] == "error"]
        assert [(r["code"], r["in_reply_to"]) for r in too_fast] == [("too_fast", "chat.read")] * 5
        loop.run(customer.disconnect())
        loop.run(provider.disconnect())
    assert Session.objects.get(pk=session.pk).customer_read_id == up_to


def test_a_flood_of_typing_reaches_the_other_side_only_up_to_the_budget_and_is_cut_off():
    """2,000 typing frames at once with the default budgets: the other side hears a
    burst's worth, the sender a bounded number of refusals, then the close (4429)."""
    rates = django_settings.AIZUCHI_REALTIME["SOCKET_RATES"]
    session = accepted_session(channel="voice")
    customer_headers = socket_headers(session.customer)
    provider_headers = socket_headers(session.provider.user)
    path = f"/ws/sessions/{session.pk}/"

    async def flood(customer) -> tuple[list[dict], int | None]:
        for i in range(2000):
            await send_frame(customer, json.dumps({"type": "chat.typing", "typing": i % 2 == 0}))
        replies = []
        while (output := await customer.receive_output(timeout=5))["type"] == "websocket.send":
            replies.append(output)
        await customer.disconnect()
        return replies, output.get("code")

    with LoopThread() as loop:
        customer = loop.run(socket_open(path, customer_headers))
        provider = loop.run(socket_open(path, provider_headers))
        loop.run(next_of(customer, "session.state"))
        loop.run(next_of(provider, "session.state"))
        replies, code = loop.run(flood(customer))
        heard = loop.run(drained(provider))
        loop.run(provider.disconnect())
    assert code == 4429
    typing = [m for m in heard if m["type"] == "chat.typing"]
    assert 1 <= len(typing) <= rates["chat.typing"][0] + 1
    assert len([r for r in replies if '"too_fast"' in r["text"]]) <= rates["refused"][0] + 1
