from django.urls import path

from .consumers import SessionConsumer, StandbyConsumer

websocket_urlpatterns = [
    path("ws/sessions/<int:session_id>/", SessionConsumer.as_asgi()),
    path("ws/standby/", StandbyConsumer.as_asgi()),
]
