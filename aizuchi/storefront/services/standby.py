"""The provider's weekly standby plan, and how it looks from the viewer's zone.

Windows are kept as wall-clock times in the provider's own zone (``user.time_zone``):
"Tuesday 22:00 for 3 hours" stays 22:00 for the provider through daylight saving.
A window keeps its wall-clock start and end, so on the night a clock changes it is an
hour longer or shorter in real time. A window may cross midnight, also Sunday night
into Monday.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput

from ..models import Provider, StandbyWindow
from .profile import profile_limit

MINUTES_PER_WEEK = 7 * 24 * 60

TOO_MANY_WINDOWS = _("At most %(max)d standby windows a week.")
BAD_WEEKDAY = _("Choose a day of the week.")
BAD_START = _("Enter a start time such as 21:30.")
BAD_LENGTH = _("A window lasts from %(min)d minutes to %(max)d minutes (24 hours).")
BAD_KIND = _("Choose open or appointment standby.")
OVERLAP = _("This overlaps the window on %(day)s from %(start)s.")
NEWCOMERS_ONLY_APPOINTMENT = _("Only appointment windows can be kept for newcomers.")
TIERS_ONLY_APPOINTMENT = _("Only appointment windows can be kept for ranks.")
BAD_TIERS = _("Enter a rank from 1 to %(max)d, or leave it empty for everyone.")
TIERS_MAX = 10

MIN_MINUTES, MAX_MINUTES = 15, 24 * 60


@dataclass(frozen=True)
class WindowSpec:
    """One row of a plan as a caller hands it to ``standby_plan_set``."""

    weekday: int
    start_time: dt.time
    minutes: int
    kind: str = StandbyWindow.Kind.OPEN
    newcomers_only: bool = False
    tiers_only: int | None = None  # only relationship tiers 1 to this may book it


def _spec(row: WindowSpec | StandbyWindow | Mapping) -> tuple:
    if isinstance(row, Mapping):
        return (
            row.get("weekday"),
            row.get("start_time"),
            row.get("minutes"),
            row.get("kind") or StandbyWindow.Kind.OPEN,
            bool(row.get("newcomers_only")),
            row.get("tiers_only"),
        )
    return (
        row.weekday,
        row.start_time,
        row.minutes,
        row.kind,
        bool(row.newcomers_only),
        row.tiers_only,
    )


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def _as_time(value) -> dt.time | None:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip()).replace(second=0, microsecond=0)
        except ValueError:
            return None
    return None


def _week_minute(weekday: int, start: dt.time) -> int:
    return weekday * 24 * 60 + start.hour * 60 + start.minute


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two (start minute of week, length) intervals on the circular week meet."""
    return (b[0] - a[0]) % MINUTES_PER_WEEK < a[1] or (a[0] - b[0]) % MINUTES_PER_WEEK < b[1]


def standby_plan_set(
    *, provider: Provider, windows: Iterable[WindowSpec | StandbyWindow | Mapping]
) -> list[StandbyWindow]:
    """Replace the provider's whole weekly plan, or change nothing.

    Errors are keyed ``"windows"`` for the plan as a whole and ``"<i>-<field>"`` for row
    ``i`` of ``windows`` (``weekday``, ``start_time``, ``minutes``, ``kind``).
    """
    rows = [_spec(row) for row in windows]
    errors: dict[str, list] = {}
    most = profile_limit("STANDBY_WINDOWS_MAX")
    if len(rows) > most:
        errors["windows"] = [TOO_MANY_WINDOWS % {"max": most}]
    clean: list[tuple[int, tuple[int, dt.time, int, str, bool, int | None]]] = []
    for i, (weekday, start, minutes, kind, newcomers_only, tiers) in enumerate(rows):
        row_ok = True
        weekday_n, start_t, minutes_n = _as_int(weekday), _as_time(start), _as_int(minutes)
        if weekday_n is None or not 0 <= weekday_n <= 6:
            errors[f"{i}-weekday"] = [BAD_WEEKDAY]
            row_ok = False
        if start_t is None:
            errors[f"{i}-start_time"] = [BAD_START]
            row_ok = False
        if minutes_n is None or not MIN_MINUTES <= minutes_n <= MAX_MINUTES:
            errors[f"{i}-minutes"] = [BAD_LENGTH % {"min": MIN_MINUTES, "max": MAX_MINUTES}]
            row_ok = False
        if kind not in StandbyWindow.Kind.values:
            errors[f"{i}-kind"] = [BAD_KIND]
            row_ok = False
        if newcomers_only and kind != StandbyWindow.Kind.APPOINTMENT:
            errors[f"{i}-newcomers_only"] = [NEWCOMERS_ONLY_APPOINTMENT]
            row_ok = False
        tiers_n = None if tiers in (None, "") else _as_int(tiers)
        if tiers not in (None, "") and (tiers_n is None or not 1 <= tiers_n <= TIERS_MAX):
            errors[f"{i}-tiers_only"] = [BAD_TIERS % {"max": TIERS_MAX}]
            row_ok = False
        elif tiers_n is not None and kind != StandbyWindow.Kind.APPOINTMENT:
            errors[f"{i}-tiers_only"] = [TIERS_ONLY_APPOINTMENT]
            row_ok = False
        if row_ok and weekday_n is not None and start_t is not None and minutes_n is not None:
            clean.append((i, (weekday_n, start_t, minutes_n, kind, newcomers_only, tiers_n)))
    # Each window is an interval on the circular week; any two that meet are refused.
    for j, (i, (weekday, start, minutes, _kind, _new, _tiers)) in enumerate(clean):
        here = (_week_minute(weekday, start), minutes)
        for _i, (o_weekday, o_start, o_minutes, _o_kind, _o_new, _o_tiers) in clean[:j]:
            if _overlaps(here, (_week_minute(o_weekday, o_start), o_minutes)):
                errors.setdefault(f"{i}-start_time", []).append(
                    OVERLAP % {"day": WEEKDAYS[o_weekday], "start": o_start.strftime("%H:%M")}
                )
                break
    if errors:
        raise InvalidInput(errors)

    with transaction.atomic():
        locked = Provider.objects.select_for_update().get(pk=provider.pk)
        StandbyWindow.objects.filter(provider=locked).delete()
        created = StandbyWindow.objects.bulk_create(
            [
                StandbyWindow(
                    provider=locked,
                    weekday=weekday,
                    start_time=start,
                    minutes=minutes,
                    kind=kind,
                    newcomers_only=newcomers_only,
                    tiers_only=tiers,
                )
                for _i, (weekday, start, minutes, kind, newcomers_only, tiers) in clean
            ]
        )
        Provider.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return sorted(created, key=lambda w: (w.weekday, w.start_time))
