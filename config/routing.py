"""Every WebSocket route of Aizuchi; each domain app contributes its own list."""

from aizuchi.live.routing import websocket_urlpatterns as live
from aizuchi.notifications.routing import websocket_urlpatterns as notifications
from aizuchi.presence.routing import websocket_urlpatterns as presence

websocket_urlpatterns = [*notifications, *presence, *live]
