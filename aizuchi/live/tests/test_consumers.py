"""The session, standby and presence sockets against the real ASGI application."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.models import Connection
from aizuchi.core.testing import refused_with
from aizuchi.live.models import Message, Session
from aizuchi.live.services import sessions
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.services import relationship_get_or_create
from aizuchi.storefront.models import Provider
from config.asgi import application

from .factories import on_standby

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1")


@sync_to_async
def _cookie(person):
    client = Client()
    client.force_login(person)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())


async def _communicator(path: str, person=None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if person is not None:
        headers.append(await _cookie(person))
    return WebsocketCommunicator(application, path, headers=headers)


async def _socket(path: str, person=None):
    communicator = await _communicator(path, person)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def _refused(path: str, person=None) -> int | None:
    return await refused_with(await _communicator(path, person))


@sync_to_async
def _answered(*, billed_before: int = 0, **terms):
    offering = OfferingFactory(price_per_minute=100, **terms)
    on_standby(offering.provider)
    customer = UserFactory()
    if billed_before:  # the pricing history: sessions already billed with this provider
        relationship_get_or_create(provider_id=offering.provider_id, customer_id=customer.pk)
        Relationship.objects.filter(provider=offering.provider, customer=customer).update(
            sessions_billed=billed_before
        )
    fund(customer, 3000)
    session = sessions.session_request(customer=customer, offering_id=offering.pk)
    sessions.session_accept(user=offering.provider.user, session_id=session.pk)
    return Session.objects.select_related("provider__user", "customer").get(pk=session.pk)


async def _until(communicator, kind: str, timeout: float = 3):
    while True:
        message = await communicator.receive_json_from(timeout=timeout)
        if message["type"] == kind:
            return message


async def test_only_the_two_participants_may_open_a_session_socket():
    session = await _answered()
    path = f"/ws/sessions/{session.pk}/"
    assert await _refused(path) == 4401
    stranger = await sync_to_async(UserFactory)()
    assert await _refused(path, stranger) == 4404
    assert await _refused("/ws/sessions/999999/", session.customer) == 4404
    # an id past what a primary key holds names no session either
    assert await _refused(f"/ws/sessions/{10**30}/", session.customer) == 4404


async def test_a_chat_session_end_to_end_over_the_sockets():
    session = await _answered()
    path = f"/ws/sessions/{session.pk}/"
    customer, connected, _ = await _socket(path, session.customer)
    assert connected
    state = await customer.receive_json_from()
    assert state["type"] == "session.state"
    assert state["session"]["role"] == "customer"
    assert state["session"]["started_at"] is None
    assert state["session"]["tariff"]["price_per_minute_yen"] == 100

    provider, connected, _ = await _socket(path, session.provider.user)
    assert connected
    started = await _until(customer, "session.started")
    assert started["limit_at"] is not None  # ¥3,000 of points at ¥100: 30 minutes
    provider_state = await _until(provider, "session.state")
    assert provider_state["session"]["present"] == ["customer", "provider"]

    await customer.send_json_to(
        {"type": "chat.send", "client_id": "c-1", "text": "聞いてほしいことがあって"}
    )
    delivered = await _until(provider, "chat.message")
    assert delivered["message"]["text"] == "聞いてほしいことがあって"
    assert delivered["message"]["from"] == "customer"
    assert (await _until(customer, "chat.ack"))["id"] == delivered["message"]["id"]
    # a resend after a reconnect is acknowledged, not delivered twice
    await customer.send_json_to(
        {"type": "chat.send", "client_id": "c-1", "text": "聞いてほしいことがあって"}
    )
    assert (await _until(customer, "chat.ack"))["id"] == delivered["message"]["id"]
    assert await sync_to_async(Message.objects.count)() == 1

    await provider.send_json_to({"type": "chat.typing", "typing": True})
    typing = await _until(customer, "chat.typing")
    assert typing == {"type": "chat.typing", "role": "provider", "typing": True}
    await provider.send_json_to({"type": "chat.read", "up_to": delivered["message"]["id"]})
    assert (await _until(customer, "chat.read"))["up_to"] == delivered["message"]["id"]

    await provider.send_json_to(
        {"type": "chat.send", "client_id": "p-1", "text": "どうぞ、ゆっくりで大丈夫です"}
    )
    await _until(customer, "chat.message")

    # a reconnecting client catches up from the last message it has
    late, connected, _ = await _socket(
        f"{path}?after={delivered['message']['id']}", session.customer
    )
    caught_up = await _until(late, "session.state")
    assert [m["text"] for m in caught_up["messages"]] == ["どうぞ、ゆっくりで大丈夫です"]
    await late.disconnect()

    await customer.send_json_to({"type": "hang_up"})
    ended = await _until(provider, "session.ended")
    assert ended["status"] == "completed"
    assert ended["end_reason"] == "customer_hung_up"
    assert ended["summary_url"] == f"/live/sessions/{session.pk}/summary/"
    await customer.disconnect()
    await provider.disconnect()


async def test_bad_messages_get_an_error_not_a_crash():
    session = await _answered()
    customer, _connected, _ = await _socket(f"/ws/sessions/{session.pk}/", session.customer)
    await _until(customer, "session.state")
    for bad in ({"type": "chat.send", "client_id": "x", "text": ""}, {"type": "nope"}, {"no": 1}):
        await customer.send_json_to(bad)
        error = await _until(customer, "error")
        assert error["code"] in ("invalid", "unknown_message")
    await customer.send_json_to({"type": "ping"})
    assert await _until(customer, "pong") == {"type": "pong"}
    await customer.disconnect()


async def test_the_standby_page_rings_and_answers_and_watchers_see_the_state():
    offering = await sync_to_async(OfferingFactory)(price_per_minute=100)
    provider_user = await sync_to_async(lambda: offering.provider.user)()
    assert await _refused("/ws/standby/", await sync_to_async(UserFactory)()) == 4403
    assert await _refused("/ws/standby/") == 4401

    watcher, connected, _ = await _socket("/ws/presence/")
    assert connected
    await watcher.send_json_to({"type": "watch", "provider_ids": [offering.provider_id]})
    snapshot = await _until(watcher, "presence.snapshot")
    assert snapshot["states"] == {str(offering.provider_id): "offline"}

    standby, connected, _ = await _socket("/ws/standby/", provider_user)
    assert connected
    assert (await _until(standby, "standby.state"))["state"] == "offline"
    await standby.send_json_to({"type": "set_state", "state": "open"})
    changed = await _until(watcher, "presence.changed")
    assert (changed["provider_id"], changed["state"]) == (offering.provider_id, "open")
    await standby.send_json_to({"type": "set_state", "state": "in_session"})
    assert (await _until(standby, "error"))["code"] == "invalid"

    customer = await sync_to_async(UserFactory)()
    await sync_to_async(fund)(customer, 1000)
    session = await sync_to_async(sessions.session_request)(
        customer=customer, offering_id=offering.pk
    )
    ring = await _until(standby, "session.ringing")
    assert ring["session"]["id"] == session.pk
    assert ring["session"]["newcomer"] is True
    await standby.send_json_to({"type": "accept", "session_id": session.pk})
    accepted = await _until(standby, "session.accepted")
    assert accepted["url"] == f"/live/sessions/{session.pk}/"
    assert (await _until(watcher, "presence.changed"))["state"] == "in_session"
    presence = await sync_to_async(Provider.objects.get)(pk=offering.provider.pk)
    assert presence.presence_state == "in_session"
    await standby.disconnect()
    await watcher.disconnect()


async def test_a_socket_stops_acting_for_someone_who_logged_out_elsewhere():
    session = await _answered()
    client = Client()
    await sync_to_async(client.force_login)(session.customer)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())
    communicator = WebsocketCommunicator(
        application, f"/ws/sessions/{session.pk}/", headers=[ORIGIN, cookie]
    )
    assert (await communicator.connect())[0]
    await _until(communicator, "session.state")
    await sync_to_async(client.logout)()  # the same browser session, logged out in a tab
    await communicator.send_json_to({"type": "chat.send", "client_id": "after", "text": "hi"})
    while (output := await communicator.receive_output(timeout=3))["type"] == "websocket.send":
        pass  # pushes already on their way (peer.joined)
    assert output == {"type": "websocket.close", "code": 4401}
    assert not await sync_to_async(Message.objects.exists)()


async def test_a_changed_password_signs_out_the_sockets_of_older_sign_ins():
    session = await _answered()
    cookie = await _cookie(session.customer)

    @sync_to_async
    def change_password():
        session.customer.set_password("a new and long passphrase")
        session.customer.save()

    await change_password()
    communicator = WebsocketCommunicator(
        application, f"/ws/sessions/{session.pk}/", headers=[ORIGIN, cookie]
    )
    assert await refused_with(communicator) == 4401


async def test_both_sides_connecting_at_once_are_opened_together_and_start_the_meter():
    session = await _answered()
    path = f"/ws/sessions/{session.pk}/"
    customer = await _communicator(path, session.customer)
    provider = await _communicator(path, session.provider.user)
    # The two handshakes and session opens go through in the same batches.
    (customer_ok, _), (provider_ok, _) = await asyncio.gather(
        customer.connect(), provider.connect()
    )
    assert customer_ok
    assert provider_ok
    states = [await _until(side, "session.state") for side in (customer, provider)]
    assert [state["session"]["role"] for state in states] == ["customer", "provider"]
    assert (await _until(customer, "session.started"))["session_id"] == session.pk
    assert (await _until(provider, "session.started"))["session_id"] == session.pk
    fresh = await Session.objects.aget(pk=session.pk)
    assert fresh.started_at is not None
    assert await Connection.objects.filter(topic=session.topic, closed_at=None).acount() == 2
    await customer.send_json_to({"type": "chat.send", "client_id": "c-1", "text": "こんにちは"})
    assert (await _until(provider, "chat.message"))["message"]["text"] == "こんにちは"
    await customer.disconnect()
    await provider.disconnect()


async def test_voice_signalling_goes_to_the_other_side_only():
    @sync_to_async
    def voice_session():
        offering = OfferingFactory(price_per_minute=100, channel="voice")
        on_standby(offering.provider)
        customer = UserFactory()
        fund(customer, 3000)
        session = sessions.session_request(customer=customer, offering_id=offering.pk)
        sessions.session_accept(user=offering.provider.user, session_id=session.pk)
        return Session.objects.select_related("provider__user", "customer").get(pk=session.pk)

    session = await voice_session()
    path = f"/ws/sessions/{session.pk}/"
    customer, _c, _ = await _socket(path, session.customer)
    provider, _c, _ = await _socket(path, session.provider.user)
    await _until(customer, "session.started")
    await _until(provider, "session.state")
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    await customer.send_json_to({"type": "signal", "kind": "offer", "data": offer})
    relayed = await _until(provider, "signal")
    assert relayed == {"type": "signal", "role": "customer", "kind": "offer", "data": offer}
    await provider.send_json_to({"type": "call.state", "state": "connected", "muted": True})
    state = await _until(customer, "call.state")
    assert (state["role"], state["state"], state["muted"]) == ("provider", "connected", True)
    for bad in (
        {"type": "signal", "kind": "bye", "data": {}},
        {"type": "signal", "kind": "candidate", "data": "x" * 30_000},
        {"type": "call.state", "state": "dancing"},
    ):
        await customer.send_json_to(bad)
        assert (await _until(customer, "error"))["code"] == "invalid"
    # the sender never hears its own signal back
    assert await customer.receive_nothing(timeout=0.3)
    await customer.disconnect()
    await provider.disconnect()


async def test_a_chat_session_carries_no_voice_signalling():
    session = await _answered()
    customer, _c, _ = await _socket(f"/ws/sessions/{session.pk}/", session.customer)
    await _until(customer, "session.state")
    await customer.send_json_to({"type": "signal", "kind": "offer", "data": {}})
    assert (await _until(customer, "error"))["code"] == "invalid"
    await customer.disconnect()


async def test_the_meter_frames_say_how_long_the_free_time_lasts_and_when_charging_starts():
    session = await _answered(first_free_minutes=10)
    path = f"/ws/sessions/{session.pk}/"
    customer, _, _ = await _socket(path, session.customer)
    state = await _until(customer, "session.state")
    assert state["session"]["free_until"] is None  # the meter has not started
    assert state["session"]["tariff"]["free_seconds"] == 600
    provider, _, _ = await _socket(path, session.provider.user)
    started = await _until(customer, "session.started")
    begun = datetime.fromisoformat(started["started_at"])
    assert started["free_seconds"] == 600
    assert datetime.fromisoformat(started["free_until"]) == begun + timedelta(minutes=10)
    # a reconnect rebuilds the same moment from the state
    again, _, _ = await _socket(path, session.customer)
    rebuilt = await _until(again, "session.state")
    assert rebuilt["session"]["free_until"] == started["free_until"]
    for communicator in (customer, provider, again):
        await communicator.disconnect()


async def test_a_repeat_session_has_no_free_time_in_its_frames():
    session = await _answered(first_free_minutes=10, billed_before=1)
    path = f"/ws/sessions/{session.pk}/"
    customer, _, _ = await _socket(path, session.customer)
    state = await _until(customer, "session.state")
    assert state["session"]["tariff"]["free_seconds"] == 0
    provider, _, _ = await _socket(path, session.provider.user)
    started = await _until(customer, "session.started")
    assert (started["free_seconds"], started["free_until"]) == (0, None)
    for communicator in (customer, provider):
        await communicator.disconnect()
