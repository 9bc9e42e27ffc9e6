"""The shapes of what the messaging domain pushes (docs/realtime.md, "/ws/messages/")."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Message, MessageImage, Thread


def messages_group(user_id: int) -> str:
    """Every messages socket of one person (the thread and inbox pages)."""
    return f"messages.{user_id}"


def image_shape(image: MessageImage) -> dict[str, Any]:
    url = reverse("messaging:image", args=[image.pk])
    return {
        "id": image.pk,
        "url": url,
        "thumbnail_url": url + "?size=thumbnail",
        "width": image.width,
        "height": image.height,
    }


def message_shape(message: Message, images: list[MessageImage] | None = None) -> dict[str, Any]:
    """One message as a client shows it; a hidden message keeps only its place."""
    hidden = message.hidden_at is not None
    if images is None:
        images = list(message.images.all())
    return {
        "id": message.pk,
        "thread_id": message.thread_id,
        "client_id": message.client_id,
        "sender": message.sender,
        "kind": message.kind,
        "text": "" if hidden else message.text,
        "images": [] if hidden else [image_shape(image) for image in images],
        "hidden": hidden,
        "price_yen": message.price_yen,
        "refunded": message.refunded_at is not None,
        "booking_id": message.booking_id,
        "created_at": message.created_at.isoformat(),
    }


def thread_shape(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.pk,
        "customer_unread": thread.customer_unread,
        "provider_unread": thread.provider_unread,
        "customer_read_id": thread.customer_read_id,
        "provider_read_id": thread.provider_read_id,
        "last_message_at": thread.last_message_at.isoformat(),
    }


def message_created(message: Message, thread: Thread, images: list[MessageImage]) -> dict:
    return {
        "type": "message.created",
        "thread_id": thread.pk,
        "message": message_shape(message, images),
        "thread": thread_shape(thread),
    }


def message_updated(message: Message) -> dict:
    """Hidden by staff, or its points returned."""
    return {
        "type": "message.updated",
        "thread_id": message.thread_id,
        "message": message_shape(message),
    }


def message_read(thread: Thread, *, role: str, up_to: int) -> dict:
    return {
        "type": "message.read",
        "thread_id": thread.pk,
        "role": role,
        "up_to": up_to,
        "thread": thread_shape(thread),
    }


NEW_MESSAGE = _("A message from %(name)s")


def messages_unread(
    unread_count: int,
    *,
    thread_id: int | None = None,
    sender_name: str = "",
    preview: str = "",
    language: str | None = None,
) -> dict:
    """For the page shell's badge (``user.<id>``); with a new message, its sender, a
    title in the recipient's language and a preview, which the shell shows as a toast."""
    message: dict[str, Any] = {"type": "messages.unread", "unread_count": unread_count}
    if thread_id is not None:
        with translation.override(language):
            title = str(NEW_MESSAGE % {"name": sender_name})
        message.update(thread_id=thread_id, sender_name=sender_name, title=title, preview=preview)
    return message


def messages_state(*, unread_count: int, thread: dict | None) -> dict:
    return {"type": "messages.state", "unread_count": unread_count, "thread": thread}
