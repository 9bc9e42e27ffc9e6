from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns = [path("ws/events/<int:event_id>/room/", RoomConsumer.as_asgi())]
