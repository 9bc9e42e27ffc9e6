"""Every WebSocket route of Aizuchi; each domain app contributes its own list. Any other
path is refused with close code 4404 (not a handshake error)."""

from django.urls import re_path

from aizuchi.core.sockets import NoSuchSocket
from aizuchi.events.routing import websocket_urlpatterns as events
from aizuchi.live.routing import websocket_urlpatterns as live
from aizuchi.messaging.routing import websocket_urlpatterns as messaging
from aizuchi.notifications.routing import websocket_urlpatterns as notifications
from aizuchi.presence.routing import websocket_urlpatterns as presence

websocket_urlpatterns = [
    *notifications,
    *presence,
    *live,
    *messaging,
    *events,
    re_path(r"", NoSuchSocket.as_asgi()),
]
