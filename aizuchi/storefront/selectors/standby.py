"""The provider's weekly standby plan, and how it looks from the viewer's zone.

Windows are kept as wall-clock times in the provider's own zone (``user.time_zone``):
"Tuesday 22:00 for 3 hours" stays 22:00 for the provider through daylight saving.
A window keeps its wall-clock start and end, so on the night a clock changes it is an
hour longer or shorter in real time. A window may cross midnight, also Sunday night
into Monday.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from ..models import Provider, StandbyWindow


def standby_plan(*, provider: Provider) -> list[StandbyWindow]:
    """The provider's plan as stored, Monday first."""
    return list(StandbyWindow.objects.filter(provider=provider).order_by("weekday", "start_time"))


# --- The plan from the viewer's side ------------------------------------------------------


def zone_or_default(name) -> zoneinfo.ZoneInfo:
    """A zone from an IANA name (or a tzinfo), falling back to the site default."""
    if isinstance(name, zoneinfo.ZoneInfo):
        return name
    if isinstance(name, dt.tzinfo):
        name = str(name)
    try:
        return zoneinfo.ZoneInfo(name or settings.DEFAULT_USER_TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return zoneinfo.ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)


@dataclass
class ViewerSlot:
    """One window as the viewer sees it: aware datetimes in the viewer's zone."""

    start: dt.datetime
    end: dt.datetime
    kind: str
    is_now: bool = False
    is_past: bool = False
    starts_day_before: bool = False  # began on the viewer's previous day
    ends_day_after: bool = False  # goes on past the viewer's midnight
    newcomers_only: bool = False  # an appointment window whose times are for newcomers

    @property
    def kind_label(self) -> str:
        return str(StandbyWindow.Kind(self.kind).label)

    @property
    def is_appointment(self) -> bool:
        return self.kind == StandbyWindow.Kind.APPOINTMENT


@dataclass
class ViewerDay:
    date: dt.date
    is_today: bool
    slots: list[ViewerSlot] = field(default_factory=list)


@dataclass
class ViewerPlan:
    zone: zoneinfo.ZoneInfo
    days: list[ViewerDay]
    current: ViewerSlot | None = None

    @property
    def zone_name(self) -> str:
        return self.zone.key

    @property
    def is_empty(self) -> bool:
        return not any(day.slots for day in self.days)


@dataclass(frozen=True, order=True)
class Occurrence:
    """One window on one date, in UTC."""

    start: dt.datetime
    end: dt.datetime
    kind: str
    newcomers_only: bool = False
    tiers_only: int | None = None


def standby_occurrences(
    windows: Iterable[StandbyWindow],
    provider_zone: zoneinfo.ZoneInfo,
    first: dt.date,
    last: dt.date,
) -> list[Occurrence]:
    """Occurrences of the weekly windows starting on provider-local dates first..last, in UTC."""
    by_weekday: dict[int, list[StandbyWindow]] = {}
    for window in windows:
        by_weekday.setdefault(window.weekday, []).append(window)
    occurrences = []
    day = first
    while day <= last:
        for window in by_weekday.get(day.weekday(), []):
            # Wall-clock start and end in the provider's zone; aware arithmetic with one
            # tzinfo is wall-clock arithmetic, converting to UTC applies each offset.
            start_local = dt.datetime.combine(day, window.start_time, tzinfo=provider_zone)
            end_local = start_local + dt.timedelta(minutes=window.minutes)
            start, end = start_local.astimezone(dt.UTC), end_local.astimezone(dt.UTC)
            if end > start:
                occurrences.append(
                    Occurrence(start, end, window.kind, window.newcomers_only, window.tiers_only)
                )
        day += dt.timedelta(days=1)
    occurrences.sort()
    return occurrences


def standby_plan_for_viewer(
    *, provider: Provider, viewer_zone, now: dt.datetime | None = None, days: int = 7
) -> ViewerPlan:
    """The plan for the viewer's coming ``days`` local days, in the viewer's zone.

    Day one is the viewer's today. Each window is listed under the viewer's local day it
    starts on (or today, if it began before today and still runs); ``current`` is the
    window running at ``now``, if any.
    """
    now = now or timezone.now()
    viewer = zone_or_default(viewer_zone)
    provider_zone = zone_or_default(provider.user.time_zone)
    today = now.astimezone(viewer).date()
    view_start = dt.datetime.combine(today, dt.time(), tzinfo=viewer)
    view_end = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(), tzinfo=viewer)
    # Provider-local dates that can reach into the viewer's range: zones differ by at
    # most 26 hours and a window lasts at most a day.
    first = view_start.astimezone(provider_zone).date() - dt.timedelta(days=2)
    last = view_end.astimezone(provider_zone).date() + dt.timedelta(days=1)
    plan_days = [ViewerDay(date=today + dt.timedelta(days=n), is_today=n == 0) for n in range(days)]
    by_date = {day.date: day for day in plan_days}
    current = None
    windows = standby_plan(provider=provider)
    for occurrence in standby_occurrences(windows, provider_zone, first, last):
        start, end, kind = occurrence.start, occurrence.end, occurrence.kind
        if end <= view_start or start >= view_end:
            continue
        start_v, end_v = start.astimezone(viewer), end.astimezone(viewer)
        listed_on = max(start_v.date(), today)
        slot = ViewerSlot(
            start=start_v,
            end=end_v,
            kind=kind,
            is_now=start <= now < end,
            is_past=end <= now,
            starts_day_before=start_v.date() < listed_on,
            ends_day_after=(end_v - dt.timedelta(microseconds=1)).date() > listed_on,
            newcomers_only=occurrence.newcomers_only,
        )
        by_date[listed_on].slots.append(slot)
        if slot.is_now and current is None:
            current = slot
    return ViewerPlan(zone=viewer, days=plan_days, current=current)
