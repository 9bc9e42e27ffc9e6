"""The room socket refuses what it cannot take (fuzzed with hypothesis), stores and relays
nothing of it, and stays usable; against the real ASGI application."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aizuchi.accounts.tests.factories import UserFactory
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
    socket_headers,
    socket_open,
    socket_rates,
    wrong_messages,
)
from aizuchi.events.consumers import SIGNAL_KINDS, SIGNAL_MAX_SIZE, RoomConsumer
from aizuchi.events.models import Event, Registration, RoomMessage
from aizuchi.events.services.registrations import event_register

from .factories import event_make, key

pytestmark = pytest.mark.django_db(transaction=True)

WRONG = {
    "chat.send": {
        "client_id": not_texts() | st.just("x" * 65),
        "text": not_texts() | st.text(" \t\n\u3000", max_size=5) | st.just("あ" * 1001),
    },
    "mute": {"member_id": not_ids(), "muted": not_booleans()},
    "remove": {"member_id": not_ids()},
    "signal": {
        "to": not_ids(),
        "kind": not_one_of(SIGNAL_KINDS),
        "data": st.one_of(
            not_one_of([None]).filter(lambda v: not isinstance(v, dict)),
            st.just({"sdp": "x" * (SIGNAL_MAX_SIZE + 1)}),
        ),
    },
}


def test_the_room_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)
    event = event_make(
        kind=Event.Kind.ONLINE,
        price_yen=0,
        place="",
        meeting_point="",
        starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(minutes=5),
    )
    alice = UserFactory()
    event_register(customer=alice, event_id=event.pk, key=key())
    path = f"/ws/events/{event.pk}/room/"
    frame_max = django_settings.AIZUCHI_REALTIME["FRAME_MAX_SIZE"]
    host_headers, alice_headers = socket_headers(event.provider.user), socket_headers(alice)
    with LoopThread() as loop:
        host = loop.run(socket_open(path, host_headers))
        other = loop.run(socket_open(path, alice_headers))
        loop.run(next_of(host, "room.state"))
        loop.run(next_of(other, "room.state"))
        fields = {kind: list(f) for kind, f in RoomConsumer.inbound.items()}
        for frame in hostile_frames(takes=RoomConsumer.inbound, fields=fields, frame_max=frame_max):
            loop.run(error_then_pong(host, frame))
        strategies = [bad_frames(takes=RoomConsumer.inbound)]
        strategies += [wrong_messages(kind, wrong) for kind, wrong in WRONG.items()]
        for frames in strategies:

            @hypothesis_settings(max_examples=60, deadline=None)
            @given(frame=frames)
            def refused(frame) -> None:
                error = loop.run(error_then_pong(host, frame))
                assert error["code"] in {"bad_frame", "unknown_message", "invalid"}, error

            refused()
        # nothing was stored, relayed or changed, and the socket still works
        assert not RoomMessage.objects.exists()
        assert [m["type"] for m in loop.run(drained(other))] == []
        registration = Registration.objects.get(customer=alice)
        assert (registration.room_muted_at, registration.room_removed_at) == (None, None)
        loop.run(host.send_json_to({"type": "chat.send", "client_id": "ok", "text": "どうぞ"}))
        assert loop.run(next_of(other, "room.message"))["text"] == "どうぞ"
        loop.run(host.disconnect())
        loop.run(other.disconnect())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
