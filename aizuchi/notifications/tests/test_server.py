"""The notification stream through the real uvicorn server, driven over HTTP and WebSocket."""

import json

import httpx
import pytest
from django.conf import settings
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.storefront.models import Provider

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(person) -> str:
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_opening_a_storefront_over_http_reaches_the_open_socket(asgi_server):
    person, bystander = UserFactory(), UserFactory()
    cookies = {settings.SESSION_COOKIE_NAME: _session_cookie(person)}
    headers = {"Origin": asgi_server.url}

    with (
        connect(
            f"{asgi_server.ws_url}/ws/notifications/",
            additional_headers={
                **headers,
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookies[settings.SESSION_COOKIE_NAME]}",
            },
        ) as socket,
        connect(
            f"{asgi_server.ws_url}/ws/notifications/",
            additional_headers={
                **headers,
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={_session_cookie(bystander)}",
            },
        ) as other_socket,
    ):
        assert json.loads(socket.recv(timeout=5)) == {
            "type": "notifications.state",
            "unread_count": 0,
        }
        assert json.loads(other_socket.recv(timeout=5))["unread_count"] == 0

        with httpx.Client(base_url=asgi_server.url, cookies=cookies, headers=headers) as http:
            form = http.get("/providers/open/")
            assert form.status_code == 200
            token = http.cookies[settings.CSRF_COOKIE_NAME]
            response = http.post(
                "/providers/open/",
                data={
                    "display_name": "夜ふかしのハル",
                    "concept": "夜の雑談、どうぞ",
                    "categories": ["zatsudan"],
                    "csrfmiddlewaretoken": token,
                },
            )
        assert response.status_code == 302, asgi_server.log()

        message = json.loads(socket.recv(timeout=5))
        assert message["type"] == "notification.created"
        assert message["notification"]["title"] == "ストアを開設しました"
        provider = Provider.objects.get(user=person)
        assert message["notification"]["url"] == f"/providers/{provider.pk}/"
        with pytest.raises(TimeoutError):
            other_socket.recv(timeout=0.5)


def test_server_refuses_anonymous_socket_with_a_close_code_the_browser_sees(asgi_server):
    # Accepted, then closed with 4401: a refused handshake would reach a page as 1006.
    with (
        connect(
            f"{asgi_server.ws_url}/ws/notifications/",
            additional_headers={"Origin": asgi_server.url},
        ) as socket,
        pytest.raises(ConnectionClosed) as caught,
    ):
        socket.recv(timeout=5)
    assert caught.value.rcvd.code == 4401
