"""The online group talk room's socket against the real ASGI application: who may open
it, chat to everyone, resend and catch-up, the host's mute and remove, voice relay."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import next_of, refused_with, socket_headers, socket_open
from aizuchi.events.models import Event, Registration, RoomMessage
from aizuchi.events.services.registrations import event_register
from config.asgi import application

from .factories import event_make, key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@sync_to_async
def _room(*, attendees: int = 3, starts_in=dt.timedelta(minutes=5), capacity: int = 5):
    event = event_make(
        kind=Event.Kind.ONLINE,
        price_yen=0,
        capacity=capacity,
        place="",
        meeting_point="",
        starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(minutes=1),
    )
    people = [UserFactory() for _ in range(attendees)]
    for person in people:
        event_register(customer=person, event_id=event.pk, key=key())
    if starts_in != dt.timedelta(minutes=5):
        Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() + starts_in)
    return event, event.provider.user, people


@sync_to_async
def _headers(person):
    return socket_headers(person)


async def _open(event, person, after: int | str = 0):
    socket = await socket_open(f"/ws/events/{event.pk}/room/?after={after}", await _headers(person))
    state = await next_of(socket, "room.state")
    return socket, state


async def _refused(path: str, person=None) -> int | None:
    from channels.testing import WebsocketCommunicator

    headers = await _headers(person)
    return await refused_with(WebsocketCommunicator(application, path, headers=headers))


async def test_only_the_host_and_confirmed_attendees_may_open_the_room():
    event, host, (alice, bob, _carol) = await _room()
    path = f"/ws/events/{event.pk}/room/"
    assert await _refused(path) == 4401
    stranger = await sync_to_async(UserFactory)()
    assert await _refused(path, stranger) == 4404
    assert await _refused("/ws/events/999999/room/", alice) == 4404
    assert await _refused(f"/ws/events/{10**30}/room/", alice) == 4404
    # an in-person event has no room, even for its provider
    other = await sync_to_async(event_make)(provider=event.provider)
    assert await _refused(f"/ws/events/{other.pk}/room/", host) == 4404
    # a cancelled registration is no seat in the room
    await sync_to_async(Registration.objects.filter(event=event, customer=bob).update)(
        state=Registration.State.CANCELLED
    )
    assert await _refused(path, bob) == 4404
    for person in (host, alice):
        socket, state = await _open(event, person)
        assert state["host"] is (person == host)
        assert [m["id"] for m in state["members"]][0] == host.pk
        await socket.disconnect()


async def test_the_room_opens_fifteen_minutes_before_the_start():
    event, _host, (alice, *_rest) = await _room(starts_in=dt.timedelta(minutes=40))
    assert await _refused(f"/ws/events/{event.pk}/room/", alice) == 4403


async def test_chat_reaches_everyone_once_and_a_reconnect_catches_up():
    event, host, (alice, bob, carol) = await _room()
    sockets = {p: (await _open(event, p))[0] for p in (host, alice, bob)}
    await sockets[alice].send_json_to(
        {"type": "chat.send", "client_id": "c1", "text": "こんにちは"}
    )
    ack = await next_of(sockets[alice], "chat.ack")
    for socket in sockets.values():
        heard = await next_of(socket, "room.message")
        assert heard["text"] == "こんにちは"
        assert heard["author_id"] == alice.pk
    # the same client id again (a resend after a lost ack): the same row, pushed to no one
    await sockets[alice].send_json_to(
        {"type": "chat.send", "client_id": "c1", "text": "こんにちは"}
    )
    assert (await next_of(sockets[alice], "chat.ack"))["id"] == ack["id"]
    assert await sockets[bob].receive_nothing(timeout=0.3)
    assert await sync_to_async(RoomMessage.objects.filter(event=event).count)() == 1
    await sockets[bob].send_json_to({"type": "chat.send", "client_id": "c1", "text": "どうも"})
    await next_of(sockets[bob], "chat.ack")
    # carol arrives late and bob reconnects after the first message: each gets what they missed
    _carol, state = await _open(event, carol)
    assert [m["text"] for m in state["messages"]] == ["こんにちは", "どうも"]
    await sockets[bob].disconnect()
    _bob, state = await _open(event, bob, after=ack["id"])
    assert [m["text"] for m in state["messages"]] == ["どうも"]
    for after in ("9" * 40, "x", "-1"):
        socket, state = await _open(event, carol, after=after)
        assert len(state["messages"]) == (0 if after[0] == "9" else 2)
        await socket.disconnect()
    for socket in (*sockets.values(), _carol, _bob):
        await socket.disconnect()


async def test_the_host_mutes_and_removes_and_nobody_else_can():
    event, host, (alice, bob, _carol) = await _room()
    h, _ = await _open(event, host)
    a, _ = await _open(event, alice)
    b, _ = await _open(event, bob)
    await a.send_json_to({"type": "mute", "member_id": bob.pk, "muted": True})
    assert (await next_of(a, "error"))["code"] == "host_only"
    await a.send_json_to({"type": "remove", "member_id": bob.pk})
    assert (await next_of(a, "error"))["code"] == "host_only"
    stranger = await sync_to_async(UserFactory)()
    await h.send_json_to({"type": "mute", "member_id": stranger.pk, "muted": True})
    assert (await next_of(h, "error"))["code"] == "not_in_room"

    await h.send_json_to({"type": "mute", "member_id": bob.pk, "muted": True})
    assert (await next_of(a, "room.muted")) == {
        "type": "room.muted",
        "member_id": bob.pk,
        "muted": True,
    }
    await b.send_json_to({"type": "chat.send", "client_id": "x", "text": "まだ話せる？"})
    assert (await next_of(b, "error"))["code"] == "muted"
    assert not await sync_to_async(RoomMessage.objects.filter(author=bob).exists)()

    await h.send_json_to({"type": "remove", "member_id": alice.pk})
    assert (await next_of(b, "room.removed"))["member_id"] == alice.pk
    assert (await next_of(a, "room.removed"))["member_id"] == alice.pk
    assert (await a.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4403}
    assert await _refused(f"/ws/events/{event.pk}/room/", alice) == 4404
    for socket in (h, b):
        await socket.disconnect()


async def test_a_removed_person_whose_socket_lingers_can_do_nothing():
    event, host, (alice, *_rest) = await _room()
    a, _ = await _open(event, alice)
    await sync_to_async(Registration.objects.filter(event=event, customer=alice).update)(
        room_removed_at=timezone.now()
    )
    await a.send_json_to({"type": "chat.send", "client_id": "late", "text": "まだいます"})
    assert (await a.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4404}
    assert not await sync_to_async(RoomMessage.objects.filter(author=alice).exists)()


async def test_voice_signals_go_to_the_one_member_addressed_within_the_room():
    event, host, (alice, bob, _carol) = await _room()
    h, _ = await _open(event, host)
    a, _ = await _open(event, alice)
    b, _ = await _open(event, bob)
    await a.send_json_to({"type": "voice.join"})
    assert (await next_of(h, "voice.joined"))["member_id"] == alice.pk
    assert (await next_of(b, "voice.joined"))["member_id"] == alice.pk
    offer = {"type": "offer", "sdp": "v=0"}
    await h.send_json_to({"type": "signal", "to": alice.pk, "kind": "offer", "data": offer})
    heard = await next_of(a, "signal")
    assert heard == {"type": "signal", "from": host.pk, "kind": "offer", "data": offer}
    assert await b.receive_nothing(timeout=0.3)
    stranger = await sync_to_async(UserFactory)()
    await h.send_json_to({"type": "signal", "to": stranger.pk, "kind": "offer", "data": offer})
    assert (await next_of(h, "error"))["code"] == "not_in_room"
    for socket in (h, a, b):
        await socket.disconnect()


async def test_voice_is_refused_in_a_room_bigger_than_six():
    event, _host, (alice, *_rest) = await _room(capacity=8, attendees=1)
    a, state = await _open(event, alice)
    assert state["voice"] is False
    await a.send_json_to({"type": "voice.join"})
    assert (await next_of(a, "error"))["code"] == "no_voice"
    await a.disconnect()
