"""Every WebSocket route of Aizuchi; each domain app contributes its own list."""

from aizuchi.notifications.routing import websocket_urlpatterns as notifications

websocket_urlpatterns = [*notifications]
