"""Helpers for booking tests: a provider with appointment windows, customers with points."""

from __future__ import annotations

import datetime as dt

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.booking.services.slots import booking_settings_for
from aizuchi.storefront.services.standby import WindowSpec, standby_plan_set

APPOINTMENT = "appointment"


def window(
    weekday: int, hh: int, mm: int = 0, minutes: int = 120, *, newcomers_only=False, tiers_only=None
):
    return WindowSpec(
        weekday=weekday,
        start_time=dt.time(hh, mm),
        minutes=minutes,
        kind=APPOINTMENT,
        newcomers_only=newcomers_only,
        tiers_only=tiers_only,
    )


def bookable_offering(*windows, zone: str = "Asia/Tokyo", **settings):
    """A chat offering (¥100 a minute, prepaid) whose provider takes bookings in ``windows``
    (default: every day 20:00–22:00 in ``zone``), with 30-minute slots, a 10-minute break,
    an hour's notice and instant confirmation unless ``settings`` say otherwise."""
    offering = OfferingFactory(price_per_minute=100)
    provider = offering.provider
    provider.user.time_zone = zone
    provider.user.save()
    standby_plan_set(provider=provider, windows=windows or [window(d, 20) for d in range(7)])
    found = booking_settings_for(provider)
    for field, value in {"notice_minutes": 60, **settings}.items():
        setattr(found, field, value)
    found.save()
    return offering


def customer_with_points(yen: int = 10_000):
    customer = UserFactory()
    fund(customer, yen)
    return customer
