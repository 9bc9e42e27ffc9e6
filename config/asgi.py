"""ASGI entry point: HTTP through Django, WebSockets through Channels, and the lifespan
events that start and stop each process's meter (aizuchi.live.meter_loop)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Django must be set up before anything imports models (consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from aizuchi.core.sockets import SocketAuthMiddleware  # noqa: E402
from aizuchi.live import meter_loop  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402


async def lifespan(scope, receive, send) -> None:
    """Start the meter with the process (sweeping what a crash left), stop it with it."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await meter_loop.start()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await meter_loop.stop()
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            SocketAuthMiddleware(URLRouter(websocket_urlpatterns))
        ),
        "lifespan": lifespan,
    }
)
