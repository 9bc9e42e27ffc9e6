"""``/ws/messages/`` against the real ASGI application: who may open it, live delivery to
both sides, sending over the socket through the same service as the page (one message
per client id, the same refusals), read marks, catching up after a reconnect, and every
frame it cannot take answered and dropped."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session as BrowserSession
from hypothesis import given
from hypothesis import settings as hypothesis_settings

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import (
    LoopThread,
    bad_frames,
    drained,
    error_then_pong,
    hostile_frames,
    next_of,
    not_ids,
    not_texts,
    refused_with,
    socket_headers,
    socket_open,
    socket_rates,
    wrong_messages,
)
from aizuchi.messaging.consumers import MessagesConsumer
from aizuchi.messaging.models import Message, Thread
from aizuchi.storefront.tests.factories import ProviderFactory

from .factories import free_messages, send

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = hypothesis_settings(max_examples=60, deadline=None)


def _pair(free: int = 10):
    provider = ProviderFactory(display_name="はるか")
    customer = UserFactory(display_name="ゆき")
    free_messages(provider, count=free)
    thread = send(customer, provider, "はじめまして").thread
    return provider, customer, Thread.objects.select_related("provider__user").get(pk=thread.pk)


def _refused(path: str, person=None) -> int | None:
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    headers = socket_headers(person)

    async def go():
        return await refused_with(WebsocketCommunicator(application, path, headers=headers))

    with LoopThread() as loop:
        return loop.run(go())


def test_only_signed_in_people_open_it_and_only_their_own_threads():
    provider, customer, thread = _pair()
    assert _refused("/ws/messages/") == 4401
    assert _refused(f"/ws/messages/?thread={thread.pk}") == 4401
    stranger = UserFactory()
    for forged in (thread.pk, thread.pk + 1000, 0, -1, "abc", 10**30, "1%20or%201=1"):
        assert _refused(f"/ws/messages/?thread={forged}", stranger) == 4404
    with LoopThread() as loop:
        for person in (customer, provider.user):
            socket = loop.run(
                socket_open(f"/ws/messages/?thread={thread.pk}", socket_headers(person))
            )
            state = loop.run(next_of(socket, "messages.state"))
            assert state["thread"]["id"] == thread.pk
            assert [m["text"] for m in state["thread"]["messages"]] == ["はじめまして"]
            loop.run(socket.disconnect())


def test_a_message_sent_over_the_socket_reaches_the_other_side_live_once():
    provider, customer, thread = _pair()
    with LoopThread() as loop:
        mine = loop.run(socket_open(f"/ws/messages/?thread={thread.pk}", socket_headers(customer)))
        theirs = loop.run(socket_open("/ws/messages/", socket_headers(provider.user)))
        assert loop.run(next_of(theirs, "messages.state"))["unread_count"] == 1
        loop.run(next_of(mine, "messages.state"))
        frame = {
            "type": "message.send",
            "thread_id": thread.pk,
            "client_id": "k1",
            "text": "いま、お話中ですか？",
        }
        loop.run(mine.send_json_to(frame))
        created = loop.run(next_of(theirs, "message.created"))
        ack = loop.run(next_of(mine, "message.ack"))
        assert created["message"]["text"] == "いま、お話中ですか？"
        assert created["message"]["id"] == ack["id"]
        assert created["thread"]["provider_unread"] == 2
        # A resend after a dropped connection: the same message, delivered once.
        loop.run(mine.send_json_to(frame))
        assert loop.run(next_of(mine, "message.ack"))["id"] == ack["id"]
        heard = loop.run(drained(theirs))
        assert not [m for m in heard if m["type"] == "message.created"], heard
        # The provider reads it; the customer sees the mark.
        loop.run(
            theirs.send_json_to(
                {"type": "message.read", "thread_id": thread.pk, "up_to": ack["id"]}
            )
        )
        read = loop.run(next_of(mine, "message.read"))
        assert (read["role"], read["up_to"]) == ("provider", ack["id"])
        loop.run(mine.disconnect())
        loop.run(theirs.disconnect())
    assert Message.objects.filter(client_id="k1").count() == 1
    assert Thread.objects.get().provider_unread == 0


def test_a_reconnect_catches_up_from_the_last_message_the_page_has():
    provider, customer, thread = _pair()
    first = Message.objects.get()
    later = [send(customer, provider, f"{n}通目") for n in (2, 3)]
    with LoopThread() as loop:
        socket = loop.run(
            socket_open(
                f"/ws/messages/?thread={thread.pk}&after={first.pk}", socket_headers(provider.user)
            )
        )
        state = loop.run(next_of(socket, "messages.state"))
        loop.run(socket.disconnect())
    assert [m["id"] for m in state["thread"]["messages"]] == [m.pk for m in later]
    assert state["thread"]["more"] is False


def test_the_socket_refuses_what_the_page_would_and_stores_nothing():
    provider, customer, thread = _pair(free=1)  # the one free message is used
    other_thread = send(UserFactory(), provider, "別の人").thread
    marks = Thread.objects.filter(pk=other_thread.pk).values("customer_read_id", "provider_read_id")
    before = list(marks)
    with LoopThread() as loop:
        socket = loop.run(socket_open("/ws/messages/", socket_headers(customer)))
        loop.run(next_of(socket, "messages.state"))
        base = {"type": "message.send", "client_id": "z1", "text": "もう一通"}
        loop.run(socket.send_json_to({**base, "thread_id": thread.pk}))
        refused = loop.run(next_of(socket, "error"))
        assert (refused["code"], refused["in_reply_to"]) == ("refused", "message.send")
        loop.run(socket.send_json_to({**base, "thread_id": other_thread.pk}))
        assert loop.run(next_of(socket, "error"))["code"] == "not_found"
        loop.run(socket.send_json_to({**base, "thread_id": thread.pk, "text": " "}))
        empty = loop.run(next_of(socket, "error"))
        assert empty["code"] == "invalid"
        assert "text" in empty["errors"]
        loop.run(
            socket.send_json_to({"type": "message.read", "thread_id": other_thread.pk, "up_to": 1})
        )
        assert loop.run(next_of(socket, "error"))["code"] == "not_found"
        loop.run(socket.disconnect())
    assert Message.objects.count() == 2
    assert list(marks) == before


def test_a_socket_whose_person_signed_out_elsewhere_is_closed_before_it_sends():
    provider, customer, thread = _pair()
    headers = socket_headers(customer)
    with LoopThread() as loop:
        socket = loop.run(socket_open("/ws/messages/", headers))
        loop.run(next_of(socket, "messages.state"))
        BrowserSession.objects.all().delete()  # signed out in another tab
        loop.run(
            socket.send_json_to(
                {"type": "message.send", "thread_id": thread.pk, "client_id": "s", "text": "x"}
            )
        )
        closed = loop.run(socket.receive_output(timeout=5))
        loop.run(socket.disconnect())
    assert closed == {"type": "websocket.close", "code": 4401}
    assert Message.objects.count() == 1


WRONG = {
    "message.send": {
        "thread_id": not_ids(),
        "client_id": not_texts(),
        "text": not_texts(),
        "price_yen": not_ids().filter(lambda v: v is not None),
    },
    "message.read": {"thread_id": not_ids(), "up_to": not_ids()},
}


def test_the_messages_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)
    provider, customer, thread = _pair()
    frame_max = django_settings.AIZUCHI_REALTIME["FRAME_MAX_SIZE"]
    fields = {kind: list(spec) for kind, spec in MessagesConsumer.inbound.items()}
    with LoopThread() as loop:
        socket = loop.run(
            socket_open(f"/ws/messages/?thread={thread.pk}", socket_headers(customer))
        )
        theirs = loop.run(socket_open("/ws/messages/", socket_headers(provider.user)))
        loop.run(next_of(socket, "messages.state"))
        loop.run(next_of(theirs, "messages.state"))
        for frame in hostile_frames(
            takes=MessagesConsumer.inbound, fields=fields, frame_max=frame_max
        ):
            loop.run(error_then_pong(socket, frame))
        for frames in [bad_frames(takes=MessagesConsumer.inbound)] + [
            wrong_messages(kind, wrong) for kind, wrong in WRONG.items()
        ]:

            @FUZZ
            @given(frame=frames)
            def refused(frame) -> None:
                error = loop.run(error_then_pong(socket, frame))
                assert error["code"] in {"bad_frame", "unknown_message", "invalid"}, error

            refused()
        heard = loop.run(drained(theirs))
        assert not [m for m in heard if m["type"].startswith("message.")], heard
        loop.run(
            socket.send_json_to(
                {
                    "type": "message.send",
                    "thread_id": thread.pk,
                    "client_id": "ok",
                    "text": "まだ使えます",
                }
            )
        )
        assert loop.run(next_of(theirs, "message.created"))["message"]["text"] == "まだ使えます"
        loop.run(socket.disconnect())
        loop.run(theirs.disconnect())
    assert Message.objects.count() == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_sends_over_the_socket_have_a_budget(settings):
    burst = int(django_settings.AIZUCHI_REALTIME["SOCKET_RATES"]["message.send"][0])
    socket_rates(settings, {"message.send": (burst, 0)})
    settings.AIZUCHI_MESSAGING = {**settings.AIZUCHI_MESSAGING, "SEND_RATES": [[1000, 60]]}
    provider, customer, thread = _pair(free=50)
    with LoopThread() as loop:
        socket = loop.run(socket_open("/ws/messages/", socket_headers(customer)))
        loop.run(next_of(socket, "messages.state"))

        async def burst_of(count):
            for i in range(count):
                await socket.send_json_to(
                    {
                        "type": "message.send",
                        "thread_id": thread.pk,
                        "client_id": f"b{i}",
                        "text": f"#{i}",
                    }
                )
            await socket.send_json_to({"type": "ping"})
            replies = []
            while (reply := await socket.receive_json_from(timeout=10))["type"] != "pong":
                replies.append(reply)
            return replies

        replies = loop.run(burst_of(burst + 3))
        loop.run(socket.disconnect())
    assert len([r for r in replies if r["type"] == "message.ack"]) == burst
    assert [(r["code"], r["in_reply_to"]) for r in replies if r["type"] == "error"] == [
        ("too_fast", "message.send")
    ] * 3
    assert Message.objects.count() == 1 + burst
