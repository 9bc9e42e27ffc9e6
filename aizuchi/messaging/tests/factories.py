"""Helpers for messaging tests: policies, threads and messages made through the services."""

from __future__ import annotations

import io
import itertools

from PIL import Image

from aizuchi.access.models import MESSAGE_POLICY_DEFAULTS, MessagePolicy
from aizuchi.messaging.services import threads

_ids = itertools.count(1)


def client_id(prefix: str = "c") -> str:
    return f"{prefix}-{next(_ids):08d}"


def message_policy(provider, audience: str = "newcomers", **fields) -> MessagePolicy:
    """Set one audience's policy (the rest as the defaults)."""
    values = {**MESSAGE_POLICY_DEFAULTS[audience], **fields}
    policy, _created = MessagePolicy.objects.update_or_create(
        provider=provider, audience=audience, defaults=values
    )
    return policy


def paid_messages(provider, price: int = 300, *, payment: str = "prepaid", **fields) -> None:
    """Every message costs ``price`` from newcomers and regulars alike."""
    for audience in MESSAGE_POLICY_DEFAULTS:
        message_policy(provider, audience, mode="paid", price_yen=price, payment=payment, **fields)


def free_messages(provider, count: int = 3, *, period: str = "total", price: int = 0) -> None:
    """``count`` free messages (then ``price`` each, or none) from everyone."""
    for audience in MESSAGE_POLICY_DEFAULTS:
        message_policy(
            provider, audience, mode="free", free_count=count, free_period=period, price_yen=price
        )


def send(customer, provider, text: str = "こんにちは", **fields):
    """A customer's message to a provider through the service; returns the message."""
    fields.setdefault("client_id", client_id())
    message, _created = threads.message_send_to_provider(
        customer=customer, provider_id=provider.pk, text=text, **fields
    )
    return message


def reply(provider, thread, text: str = "ありがとうございます", **fields):
    fields.setdefault("client_id", client_id("r"))
    message, _created = threads.message_send(
        user=provider.user, thread_id=thread.pk, text=text, **fields
    )
    return message


def photo(name: str = "photo.jpg", size=(40, 30), fmt: str = "JPEG", exif: bool = False):
    """An uploaded photo (a file object with a name, as Django gives views)."""
    image = Image.new("RGB", size, (200, 120, 80))
    out = io.BytesIO()
    params = {}
    if exif:
        data = Image.Exif()
        data[0x0110] = "Camera with GPS"  # Model
        data[0x8825] = {2: (35.0, 41.0, 22.0)}  # GPS latitude
        params["exif"] = data.tobytes()
    image.save(out, fmt, **params)
    out.seek(0)
    out.name = name
    out.size = len(out.getvalue())
    return out
