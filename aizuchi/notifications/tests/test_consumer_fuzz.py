"""The notification stream takes pings only: everything else (fuzzed with hypothesis) is
answered with an error, and the stream goes on; against the real ASGI application."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import (
    LoopThread,
    bad_frames,
    error_then_pong,
    hostile_frames,
    next_of,
    socket_headers,
    socket_open,
    socket_rates,
)
from aizuchi.notifications import services
from aizuchi.notifications.consumers import NotificationConsumer
from aizuchi.notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_notification_socket_refuses_what_it_cannot_take_and_stays_usable(settings, caplog):
    socket_rates(settings)
    person = UserFactory()
    headers = socket_headers(person)
    frame_max = django_settings.AIZUCHI_REALTIME["FRAME_MAX_SIZE"]
    with LoopThread() as loop:
        stream = loop.run(socket_open("/ws/notifications/", headers))
        assert loop.run(next_of(stream, "notifications.state"))["unread_count"] == 0
        for frame in hostile_frames(
            takes=NotificationConsumer.inbound, fields={}, frame_max=frame_max
        ):
            loop.run(error_then_pong(stream, frame))

        @hypothesis_settings(max_examples=150, deadline=None)
        @given(frame=bad_frames(takes=NotificationConsumer.inbound))
        def refused(frame) -> None:
            error = loop.run(error_then_pong(stream, frame))
            assert error["code"] in {"bad_frame", "unknown_message"}, error

        refused()
        assert not Notification.objects.exists()
        loop.run(sync_to_async(services.notification_send)(user=person, kind="welcome"))
        assert loop.run(next_of(stream, "notification.created"))["unread_count"] == 1
        loop.run(stream.disconnect())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_pings_have_a_budget_too(settings):
    socket_rates(settings, {"default": (3, 0)})  # ping is not listed: the default budget
    headers = socket_headers(UserFactory())
    with LoopThread() as loop:
        stream = loop.run(socket_open("/ws/notifications/", headers))
        loop.run(next_of(stream, "notifications.state"))
        for _ in range(5):
            loop.run(stream.send_json_to({"type": "ping"}))
        replies = [loop.run(stream.receive_json_from()) for _ in range(5)]
        loop.run(stream.disconnect())
    assert [r["type"] for r in replies] == ["pong"] * 3 + ["error"] * 2
    assert {(r["code"], r["in_reply_to"]) for r in replies[3:]} == {("too_fast", "ping")}
