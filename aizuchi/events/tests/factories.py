"""Events for tests, made through the provider's service as a provider makes them."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from aizuchi.billing.tests.factories import fund
from aizuchi.events.models import Event
from aizuchi.events.services.events import event_create
from aizuchi.storefront.tests.factories import ProviderFactory

_keys = itertools.count(1)


def key() -> str:
    return f"event-key-{next(_keys):06d}"


def event_fields(**changes) -> dict:
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    return {
        "title": "お茶会",
        "kind": Event.Kind.IN_PERSON,
        "description": "",
        "starts_at": starts,
        "length_minutes": 90,
        "price_yen": 3000,
        "payment": Event.Payment.PREPAID,
        "capacity": 3,
        "newcomer_seats": 0,
        "audience": Event.Audience.PUBLIC,
        "registration_closes_at": None,
        "cancel_free_hours": 24,
        "late_cancel_percent": 50,
        "offer_hold_hours": 12,
        "place": "渋谷のカフェ",
        "map_url": "",
        "meeting_point": "ハチ公前 13:50",
        **changes,
    }


def event_make(provider=None, *, series_title: str = "", now=None, **changes) -> Event:
    provider = provider or ProviderFactory()
    return event_create(
        user=provider.user, fields=event_fields(**changes), series_title=series_title, now=now
    )


def funded(customer, yen: int = 10_000):
    fund(customer, yen)
    return customer
