"""The notification stream against the real ASGI application (config.asgi)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.core.testing import refused_with
from aizuchi.notifications import services
from config.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

ORIGIN = (b"origin", b"http://127.0.0.1")


@sync_to_async
def _signed_in_person():
    person = UserFactory()
    client = Client()
    client.force_login(person)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return person, (b"cookie", cookie.encode())


def _communicator(*headers):
    return WebsocketCommunicator(application, "/ws/notifications/", headers=list(headers))


async def test_anonymous_socket_is_refused():
    assert await refused_with(_communicator(ORIGIN)) == 4401


async def test_socket_from_a_foreign_origin_is_refused():
    _person, cookie = await _signed_in_person()
    communicator = _communicator((b"origin", b"https://evil.example"), cookie)
    connected, _code = await communicator.connect()
    assert not connected


async def test_person_gets_state_then_only_their_own_notifications():
    person, cookie = await _signed_in_person()
    other, other_cookie = await _signed_in_person()
    mine = _communicator(ORIGIN, cookie)
    theirs = _communicator(ORIGIN, other_cookie)
    assert (await mine.connect())[0]
    assert (await theirs.connect())[0]
    assert await mine.receive_json_from() == {"type": "notifications.state", "unread_count": 0}
    assert await theirs.receive_json_from() == {"type": "notifications.state", "unread_count": 0}

    await sync_to_async(services.notification_send)(user=person, kind="welcome")

    message = await mine.receive_json_from(timeout=2)
    assert message["type"] == "notification.created"
    assert message["notification"]["title"] == "Aizuchi へようこそ"
    assert message["unread_count"] == 1
    assert await theirs.receive_nothing(timeout=0.3)

    await mine.send_json_to({"type": "ping"})
    assert await mine.receive_json_from() == {"type": "pong"}
    await mine.send_json_to({"type": "subscribe", "user": other.pk})
    assert (await mine.receive_json_from())["type"] == "error"
    await mine.disconnect()
    await theirs.disconnect()


async def test_reconnect_rebuilds_the_unread_count():
    person, cookie = await _signed_in_person()
    await sync_to_async(services.notification_send)(user=person, kind="welcome")
    await sync_to_async(services.notification_send)(user=person, kind="welcome")
    communicator = _communicator(ORIGIN, cookie)
    assert (await communicator.connect())[0]
    assert await communicator.receive_json_from() == {
        "type": "notifications.state",
        "unread_count": 2,
    }
    await communicator.disconnect()
