"""When a provider can be booked: their settings, dated changes, and the free slots.

Bookable hours are the appointment windows of the weekly standby plan, expanded with
``zoneinfo`` from the provider's wall-clock times into UTC (so a window stays 21:00 for the
provider through daylight saving), minus the dated closures, plus the dated extra hours.
Slots are cut from each stretch at the offering's slot length, start at the stretch's
start, and are free when they begin after the minimum notice, within the horizon, and do
not meet a live booking (with the provider's break after each). Slots of windows kept for
newcomers are offered to newcomers only, those of windows kept for relationship tiers 1 to
N to customers of those tiers only (``_offered``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import secrets
from dataclasses import dataclass, replace
from itertools import groupby
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import ExpressionWrapper, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import InvalidInput, NotFound, lazy_format
from aizuchi.core.money import whole_number
from aizuchi.relationships.models import Relationship
from aizuchi.storefront.models import Offering, StandbyWindow
from aizuchi.storefront.selectors.standby import standby_occurrences, zone_or_default

from ..models import LIVE_STATUSES, AvailabilityChange, Booking, BookingSettings

SETTING_OUT_OF_RANGE = _("Enter a whole number from %(min)s to %(max)s.")
DATE_INVALID = _("Enter a date such as 2026-12-24.")
TIME_INVALID = _("Enter a time such as 21:30.")
KIND_INVALID = _("Choose closed or extra hours.")
CHANGE_NOT_FOUND = _("That change does not exist.")
EXTRA_NEEDS_HOURS = _("Extra hours need a start and a length.")
TIER_HORIZON_TOO_SHORT = _(
    "Enter more days than everyone may book ahead (%(days)s), or 0 ranks to offer nothing more."
)

# (field, minimum, maximum) of what a provider may set.
SETTING_LIMITS = {
    "approval_hold_minutes": (10, 24 * 60),
    "voice_slot_minutes": (15, 240),
    "chat_slot_minutes": (15, 240),
    "buffer_minutes": (0, 120),
    "horizon_days": (1, 365),
    "tier_horizon_days": (0, 365),
    "tier_horizon_tiers": (0, 10),
    "notice_minutes": (0, 7 * 24 * 60),
    "cancel_hours": (0, 14 * 24),
    "late_cancel_percent": (0, 100),
}


def booking_settings_for(provider) -> BookingSettings:
    """How the provider takes bookings: their saved settings, or the defaults (unsaved)
    until they save some or the first booking makes the row. Reads never write."""
    found = BookingSettings.objects.filter(provider=provider).first()
    return found or BookingSettings(provider=provider)


def horizon_days_for(found: BookingSettings, relationship: Relationship | None) -> int:
    """How many days ahead this customer may book (``relationship``: their row with the
    provider, None or unsaved when they never met): further for the provider's top tiers
    when the provider offers that, else what everyone may."""
    if relationship is not None and relationship.tier_within(found.tier_horizon_tiers):
        return max(found.horizon_days, found.tier_horizon_days)
    return found.horizon_days


def _booking_settings_row(provider) -> BookingSettings:
    """The provider's settings row, made with the defaults when missing (for a change)."""
    found = BookingSettings.objects.filter(provider=provider).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return BookingSettings.objects.create(provider=provider)
    except IntegrityError:  # made by a concurrent request
        return BookingSettings.objects.get(provider=provider)


def booking_settings_update(*, provider, confirm_instantly: bool, **values) -> BookingSettings:
    """Change how the provider takes bookings; every figure within its limits, or nothing."""
    errors: dict[str, list] = {}
    clean: dict[str, int] = {}
    for field, (low, high) in SETTING_LIMITS.items():
        number = whole_number(values.get(field))
        if number is None or not low <= number <= high:
            errors[field] = [lazy_format(SETTING_OUT_OF_RANGE, min=low, max=high)]
        else:
            clean[field] = number
    if (
        not errors
        and clean["tier_horizon_tiers"]
        and clean["tier_horizon_days"] <= clean["horizon_days"]
    ):
        errors["tier_horizon_days"] = [
            lazy_format(TIER_HORIZON_TOO_SHORT, days=clean["horizon_days"])
        ]
    if errors:
        raise InvalidInput(errors)
    found = _booking_settings_row(provider)
    for field, number in clean.items():
        setattr(found, field, number)
    found.confirm_instantly = bool(confirm_instantly)
    found.save()
    return found


def calendar_token_renew(*, provider) -> str:
    """A new secret for the provider's calendar feed; the old address stops working."""
    found = _booking_settings_row(provider)
    found.calendar_token = secrets.token_urlsafe(32)
    found.save(update_fields=["calendar_token"])
    return found.calendar_token


def availability_change_add(
    *, provider, date, kind: str, start_time=None, minutes=None, newcomers_only=False
) -> AvailabilityChange:
    errors: dict[str, list] = {}
    day = date if isinstance(date, dt.date) else _parse(dt.date.fromisoformat, date)
    if day is None:
        errors["date"] = [DATE_INVALID]
    if kind not in AvailabilityChange.Kind.values:
        errors["kind"] = [KIND_INVALID]
    start = None
    if start_time not in (None, ""):
        start = (
            start_time
            if isinstance(start_time, dt.time)
            else _parse(dt.time.fromisoformat, start_time)
        )
        if start is None:
            errors["start_time"] = [TIME_INVALID]
    length = None if minutes in (None, "") else whole_number(minutes)
    if minutes not in (None, "") and (length is None or not 15 <= length <= 24 * 60):
        errors["minutes"] = [lazy_format(SETTING_OUT_OF_RANGE, min=15, max=24 * 60)]
    if not errors and (start is None) != (length is None):
        errors["minutes"] = [EXTRA_NEEDS_HOURS]
    if not errors and kind == AvailabilityChange.Kind.EXTRA and start is None:
        errors["start_time"] = [EXTRA_NEEDS_HOURS]
    if errors:
        raise InvalidInput(errors)
    return AvailabilityChange.objects.create(
        provider=provider,
        date=day,
        kind=kind,
        start_time=start,
        minutes=length,
        newcomers_only=bool(newcomers_only) and kind == AvailabilityChange.Kind.EXTRA,
    )


def availability_change_remove(*, provider, change_id) -> None:
    deleted, _rows = AvailabilityChange.objects.filter(
        provider=provider, pk=whole_number(change_id) or -1
    ).delete()
    if not deleted:
        raise NotFound(CHANGE_NOT_FOUND)


def _parse(parser, text):
    try:
        return parser(str(text).strip())
    except ValueError:
        return None


# --- free slots -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    newcomers_only: bool = False
    tiers_only: int | None = None


@dataclass(frozen=True)
class Stretch:
    """Bookable time between two moments, in UTC (``tiers_only``: kept for relationship
    tiers 1 to this)."""

    start: dt.datetime
    end: dt.datetime
    newcomers_only: bool
    tiers_only: int | None = None


def _minus(stretches: list[Stretch], start: dt.datetime, end: dt.datetime) -> list[Stretch]:
    kept = []
    for piece in stretches:
        if piece.end <= start or piece.start >= end:
            kept.append(piece)
            continue
        if piece.start < start:
            kept.append(replace(piece, end=start))
        if end < piece.end:
            kept.append(replace(piece, start=end))
    return kept


@dataclass(frozen=True)
class Calendar:
    """What a provider's free slots between two dates are cut from, read in one query
    (``calendar_read``): the appointment windows of the weekly plan, the dated changes of
    those dates, and the live bookings' blocked ranges that meet the period."""

    windows: list[StandbyWindow]
    changes: list[AvailabilityChange]
    busy: Busy
    # A request among those bookings waits past its answer time: expiring it frees its
    # time (a booking request does that first, ``bookings.expire_stale``).
    stale: bool


# One row shape for the three sources of the calendar (a UNION ALL): each source fills
# its columns and leaves the others empty, typed, so both databases can union them.
_COLUMNS: dict[str, models.Field] = {
    "weekday": models.IntegerField(),
    "date": models.DateField(),
    "start_time": models.TimeField(),
    "minutes": models.IntegerField(),
    "kind": models.CharField(),
    "newcomers_only": models.BooleanField(),
    "tiers_only": models.IntegerField(),
    "start_at": models.DateTimeField(),
    "blocked_until": models.DateTimeField(),
    "stale": models.BooleanField(),
}


def _shaped(rows: QuerySet, source: str, **given: Any) -> QuerySet:
    """``rows`` in the calendar's row shape: the source's name, then each column, as
    ``given`` (an expression) or a typed NULL."""
    columns = [given.get(name, Cast(Value(None), output)) for name, output in _COLUMNS.items()]
    return rows.order_by().values_list(Value(source), *columns)


def calendar_read(
    *, provider, first: dt.date, last: dt.date, since: dt.datetime, until: dt.datetime, now
) -> Calendar:
    """The provider's calendar on their local dates first..last, and their live bookings
    meeting [since, until), in one query (three reads in one round trip: the booking
    request reads it under the provider's lock)."""
    plan = {name: F(name) for name in ("start_time", "minutes", "kind", "newcomers_only")}
    windows = _shaped(
        StandbyWindow.objects.filter(provider=provider, kind=StandbyWindow.Kind.APPOINTMENT),
        "window",
        weekday=F("weekday"),
        tiers_only=F("tiers_only"),
        **plan,
    )
    changes = _shaped(
        AvailabilityChange.objects.filter(provider=provider, date__range=(first, last)),
        "change",
        date=F("date"),
        **plan,
    )
    bookings = _shaped(
        Booking.objects.filter(
            provider=provider,
            status__in=LIVE_STATUSES,
            blocked_until__gt=since,
            start_at__lt=until,
        ),
        "booking",
        start_at=F("start_at"),
        blocked_until=F("blocked_until"),
        stale=ExpressionWrapper(
            Q(status=Booking.Status.PENDING, pending_until__lte=now),
            output_field=models.BooleanField(),
        ),
    )
    found_windows, found_changes, ranges = [], [], []
    stale = False
    for row in windows.union(changes, bookings, all=True).order_by():
        source, weekday, date, start_time, minutes, kind, newcomers_only, tiers = row[:8]
        if source == "window":
            found_windows.append(
                StandbyWindow(
                    provider=provider,
                    weekday=weekday,
                    start_time=start_time,
                    minutes=minutes,
                    kind=kind,
                    newcomers_only=newcomers_only,
                    tiers_only=tiers,
                )
            )
        elif source == "change":
            found_changes.append(
                AvailabilityChange(
                    provider=provider,
                    date=date,
                    kind=kind,
                    start_time=start_time,
                    minutes=minutes,
                    newcomers_only=newcomers_only,
                )
            )
        else:
            start_at, blocked_until, waiting_too_long = row[8:]
            ranges.append((start_at, blocked_until))
            stale = stale or bool(waiting_too_long)
    return Calendar(found_windows, found_changes, Busy(ranges), stale)


def bookable_stretches(
    *, provider, first: dt.date, last: dt.date, calendar: Calendar
) -> list[Stretch]:
    """Bookable time on the provider's local dates first..last: appointment windows of the
    weekly plan, less closures, plus extra hours."""
    zone = zone_or_default(provider.user.time_zone)
    stretches = [
        Stretch(o.start, o.end, o.newcomers_only, o.tiers_only)
        for o in standby_occurrences(calendar.windows, zone, first, last)
    ]
    changes = sorted(
        calendar.changes,
        key=lambda c: (c.kind, c.date, c.start_time is not None, c.start_time or dt.time()),
    )
    for change in changes:  # closures, then extras
        if change.start_time is None:
            start = dt.datetime.combine(change.date, dt.time(), tzinfo=zone)
            end = dt.datetime.combine(change.date + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        else:
            start = dt.datetime.combine(change.date, change.start_time, tzinfo=zone)
            end = start + dt.timedelta(minutes=change.minutes or 0)
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        if change.kind == AvailabilityChange.Kind.CLOSED:
            stretches = _minus(stretches, start, end)
        else:
            stretches = _minus(stretches, start, end)
            stretches.append(Stretch(start, end, change.newcomers_only))
    return sorted(stretches, key=lambda s: (s.start, s.end))


class Busy:
    """Live bookings' blocked ranges [start, blocked until) of a provider, for quick
    "is this range free?" questions (sorted starts, running maximum of the ends)."""

    def __init__(self, ranges: list[tuple[dt.datetime, dt.datetime]]):
        self.starts: list[dt.datetime] = []
        self.reach: list[dt.datetime] = []  # the latest end among ranges up to here
        for start, blocked in sorted(ranges):
            self.starts.append(start)
            self.reach.append(max(blocked, self.reach[-1]) if self.reach else blocked)

    def free(self, start: dt.datetime, end: dt.datetime) -> bool:
        """No blocked range meets [start, end)."""
        index = bisect.bisect_left(self.starts, end)
        return index == 0 or self.reach[index - 1] <= start


@dataclass(frozen=True)
class _Period:
    """What ``slots_for`` looks at: the slot length and break, the first and last start,
    and the provider-local dates and booking ranges to read."""

    length: dt.timedelta
    buffer: dt.timedelta
    earliest: dt.datetime
    horizon: dt.datetime
    first: dt.date
    last: dt.date

    @property
    def until(self) -> dt.datetime:
        return self.horizon + self.length + self.buffer


def _period(
    provider, offering, found: BookingSettings, now: dt.datetime, days, limit: int
) -> _Period:
    """``days``: how far to look (None: ``limit``, the customer's horizon in days, which
    nothing goes beyond)."""
    length = dt.timedelta(minutes=found.slot_minutes(offering.channel))
    earliest = now + dt.timedelta(minutes=found.notice_minutes)
    horizon = now + dt.timedelta(days=min(days or limit, limit))
    zone = zone_or_default(provider.user.time_zone)
    return _Period(
        length=length,
        buffer=dt.timedelta(minutes=found.buffer_minutes),
        earliest=earliest,
        horizon=horizon,
        first=earliest.astimezone(zone).date() - dt.timedelta(days=1),
        last=horizon.astimezone(zone).date(),
    )


def slots_for(
    *,
    provider,
    offering: Offering,
    now: dt.datetime | None = None,
    days: int | None = None,
    newcomer: bool = True,
    relationship: Relationship | None = None,
    ignore_bookings: bool = False,
    found: BookingSettings | None = None,
    calendar: Calendar | None = None,
) -> list[Slot]:
    """The free slots of ``offering`` from now, newcomer-only ones only for newcomers
    (with ``ignore_bookings``, the slots there would be if nobody had booked). ``calendar``:
    the one ``slot_calendar`` read for the same ``now`` and ``days`` (else read here).
    ``relationship``: the customer's row with the provider, for how far ahead they may book
    (``horizon_days_for``)."""
    now = now or timezone.now()
    found = found or booking_settings_for(provider)
    limit = horizon_days_for(found, relationship)
    period = _period(provider, offering, found, now, days, limit)
    calendar = calendar or calendar_read(
        provider=provider,
        first=period.first,
        last=period.last,
        since=period.earliest,
        until=period.until,
        now=now,
    )
    length, buffer = period.length, period.buffer
    slots = []
    stretches = bookable_stretches(
        provider=provider, first=period.first, last=period.last, calendar=calendar
    )
    for stretch in stretches:
        if not _offered(stretch, newcomer=newcomer, relationship=relationship):
            continue
        start = stretch.start
        while start + length <= stretch.end:
            # The slot and the break after it must meet no booking (nor its break).
            if period.earliest <= start <= period.horizon and (
                ignore_bookings or calendar.busy.free(start, start + length + buffer)
            ):
                slots.append(
                    Slot(start, start + length, stretch.newcomers_only, stretch.tiers_only)
                )
            start += length
    return sorted(slots)


def _offered(stretch: Stretch, *, newcomer: bool, relationship: Relationship | None) -> bool:
    """Whether this customer may book in ``stretch``: times kept for newcomers only for
    newcomers, times kept for the top tiers only for a customer of those tiers."""
    if stretch.newcomers_only and not newcomer:
        return False
    return stretch.tiers_only is None or (
        relationship is not None and relationship.tier_within(stretch.tiers_only)
    )


def _days_to(start: dt.datetime, now: dt.datetime) -> int:
    """How many days of slots ``slot_at`` looks through for a slot at ``start``."""
    return max(1, (start - now).days + 2)


def slot_calendar(
    *,
    provider,
    offering,
    start: dt.datetime,
    now: dt.datetime,
    found: BookingSettings,
    relationship: Relationship | None = None,
) -> Calendar | None:
    """The calendar ``slot_at`` reads for a slot at ``start`` (None: beyond the horizon,
    nothing to read), for a caller that asks more than once (a booking request)."""
    days = _days_to(start, now)
    limit = horizon_days_for(found, relationship)
    if days > limit + 2:
        return None
    period = _period(provider, offering, found, now, days, limit)
    return calendar_read(
        provider=provider,
        first=period.first,
        last=period.last,
        since=period.earliest,
        until=period.until,
        now=now,
    )


def slot_at(
    *,
    provider,
    offering,
    start: dt.datetime,
    newcomer: bool,
    relationship: Relationship | None = None,
    now=None,
    ignore_bookings=False,
    found: BookingSettings | None = None,
    calendar: Calendar | None = None,
) -> Slot | None:
    """The free slot starting at ``start``, if there is one for this customer
    (``calendar``: what ``slot_calendar`` read for the same ``start`` and ``now``;
    ``relationship``: the customer's row, for how far ahead they may book)."""
    now = now or timezone.now()
    found = found or booking_settings_for(provider)
    days = _days_to(start, now)
    if days > horizon_days_for(found, relationship) + 2:
        return None
    slots = slots_for(
        provider=provider,
        offering=offering,
        now=now,
        days=days,
        newcomer=newcomer,
        relationship=relationship,
        ignore_bookings=ignore_bookings,
        found=found,
        calendar=calendar,
    )
    return next((slot for slot in slots if slot.start == start), None)


def slots_by_day(slots) -> list[tuple[dt.date, list]]:
    """Slots grouped by the viewer's local date (the zone the request activated)."""
    local = [(timezone.localtime(slot.start).date(), slot) for slot in slots]
    return [(day, [slot for _d, slot in group]) for day, group in groupby(local, lambda x: x[0])]
