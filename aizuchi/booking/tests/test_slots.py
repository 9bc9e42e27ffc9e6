"""Free slots: the weekly appointment windows in the provider's zone, dated changes,
notice, horizon, breaks, bookings, and times kept for newcomers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from aizuchi.booking.models import Booking
from aizuchi.booking.services import slots as svc
from aizuchi.booking.services.bookings import booking_request
from aizuchi.core.errors import InvalidInput, NotFound
from aizuchi.storefront.services.standby import WindowSpec, standby_plan_set

from .factories import bookable_offering, customer_with_points, window

pytestmark = pytest.mark.django_db
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
UTC = dt.UTC


def _starts(slots, zone="Asia/Tokyo"):
    from zoneinfo import ZoneInfo

    return [s.start.astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M") for s in slots]


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)  # a Monday morning in Tokyo
def test_an_appointment_window_is_cut_into_slots_in_the_providers_zone():
    offering = bookable_offering(window(MON, 20, 0, 120))
    slots = svc.slots_for(provider=offering.provider, offering=offering, days=7)
    # 20:00–22:00 with 30-minute slots; slots start back to back (the break is only
    # around bookings).
    assert _starts(slots) == ["12-07 20:00", "12-07 20:30", "12-07 21:00", "12-07 21:30"]
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_open_standby_windows_are_not_bookable():
    offering = bookable_offering(WindowSpec(weekday=MON, start_time=dt.time(20), minutes=120))
    assert svc.slots_for(provider=offering.provider, offering=offering, days=7) == []


def test_wall_clock_windows_follow_daylight_saving():
    # Los Angeles moves its clocks on 8 March 2026: 19:00 there is 03:00 UTC before, 02:00 after.
    with time_machine.travel("2026-03-05 12:00 -0800", tick=False):
        offering = bookable_offering(
            window(THU, 19, 0, 30), window(MON, 19, 0, 30), zone="America/Los_Angeles"
        )
        slots = svc.slots_for(provider=offering.provider, offering=offering, days=6)
    assert [s.start for s in slots] == [
        dt.datetime(2026, 3, 6, 3, 0, tzinfo=UTC),  # Thursday 5 March, PST
        dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC),  # Monday 9 March, PDT
    ]


@time_machine.travel("2026-12-07 19:10 +0900", tick=False)
def test_minimum_notice_and_horizon():
    offering = bookable_offering(horizon_days=2)  # an hour's notice
    slots = svc.slots_for(provider=offering.provider, offering=offering)
    assert _starts(slots)[:2] == ["12-07 20:30", "12-07 21:00"]  # 20:00 is too soon
    assert _starts(slots)[-1] == "12-08 21:30"  # 12-09 20:00 is past the two days


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_closed_days_closed_hours_and_extra_hours():
    offering = bookable_offering(window(MON, 20), window(TUE, 20))
    provider = offering.provider
    svc.availability_change_add(provider=provider, date="2026-12-07", kind="closed")
    svc.availability_change_add(
        provider=provider, date="2026-12-08", kind="closed", start_time="20:30", minutes=60
    )
    svc.availability_change_add(
        provider=provider, date="2026-12-10", kind="extra", start_time="10:00", minutes=60
    )
    slots = svc.slots_for(provider=provider, offering=offering, days=7)
    starts = _starts(slots)
    assert not any(s.startswith("12-07") for s in starts)
    assert [s for s in starts if s.startswith("12-08")] == ["12-08 20:00", "12-08 21:30"]
    assert [s for s in starts if s.startswith("12-10")] == ["12-10 10:00", "12-10 10:30"]


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_windows_changes_and_bookings_are_read_in_one_query(django_assert_num_queries):
    offering = bookable_offering(window(MON, 20), window(TUE, 20))
    provider = offering.provider
    svc.availability_change_add(
        provider=provider, date="2026-12-08", kind="closed", start_time="20:30", minutes=60
    )
    svc.availability_change_add(
        provider=provider, date="2026-12-10", kind="extra", start_time="10:00", minutes=60
    )
    booking_request(
        customer=customer_with_points(),
        offering_id=offering.pk,
        start="2026-12-07T20:00:00+09:00",
        key="k" * 20,
    )
    found = svc.booking_settings_for(provider)
    with django_assert_num_queries(1):
        starts = _starts(svc.slots_for(provider=provider, offering=offering, days=7, found=found))
    # 20:00 is booked, and 20:30 meets its break (to 20:40).
    assert [s for s in starts if s.startswith("12-07")] == ["12-07 21:00", "12-07 21:30"]
    assert [s for s in starts if s.startswith("12-08")] == ["12-08 20:00", "12-08 21:30"]
    assert [s for s in starts if s.startswith("12-10")] == ["12-10 10:00", "12-10 10:30"]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"date": "2026-13-01", "kind": "closed"}, "date"),
        ({"date": "2026-12-24", "kind": "holiday"}, "kind"),
        ({"date": "2026-12-24", "kind": "extra"}, "start_time"),
        (
            {"date": "2026-12-24", "kind": "extra", "start_time": "25:00", "minutes": 60},
            "start_time",
        ),
        ({"date": "2026-12-24", "kind": "extra", "start_time": "10:00", "minutes": 5}, "minutes"),
        ({"date": "2026-12-24", "kind": "closed", "start_time": "10:00"}, "minutes"),
    ],
)
def test_bad_changes_are_field_errors(fields, bad):
    offering = bookable_offering()
    with pytest.raises(InvalidInput) as refused:
        svc.availability_change_add(provider=offering.provider, **fields)
    assert bad in refused.value.errors


def test_changes_are_removed_only_by_their_provider():
    offering = bookable_offering()
    other = bookable_offering()
    change = svc.availability_change_add(
        provider=offering.provider, date="2026-12-24", kind="closed"
    )
    with pytest.raises(NotFound):
        svc.availability_change_remove(provider=other.provider, change_id=change.pk)
    svc.availability_change_remove(provider=offering.provider, change_id=change.pk)


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_a_booking_takes_its_slot_and_the_break_after_it():
    offering = bookable_offering(window(MON, 20, 0, 150))
    customer = customer_with_points()
    booking_request(
        customer=customer, offering_id=offering.pk, start="2026-12-07T20:30:00+09:00", key="k" * 20
    )
    slots = svc.slots_for(provider=offering.provider, offering=offering, days=1)
    # 20:30–21:00 is booked and 21:00–21:10 is the break: 21:00 cannot start; 20:00 would
    # end (with its break) after 20:30.
    assert _starts(slots) == ["12-07 21:30", "12-07 22:00"]


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_times_kept_for_newcomers_are_hidden_from_regulars():
    offering = bookable_offering(
        window(MON, 20, 0, 60, newcomers_only=True), window(MON, 21, 0, 60)
    )
    newcomer_view = svc.slots_for(provider=offering.provider, offering=offering, days=1)
    regular_view = svc.slots_for(
        provider=offering.provider, offering=offering, days=1, newcomer=False
    )
    assert [(s.newcomers_only) for s in newcomer_view] == [True, True, False, False]
    assert _starts(regular_view) == ["12-07 21:00", "12-07 21:30"]


def test_only_appointment_windows_may_be_kept_for_newcomers():
    offering = bookable_offering()
    with pytest.raises(InvalidInput) as refused:
        standby_plan_set(
            provider=offering.provider,
            windows=[
                WindowSpec(weekday=MON, start_time=dt.time(9), minutes=60, newcomers_only=True)
            ],
        )
    assert "0-newcomers_only" in refused.value.errors


def test_settings_are_checked_field_by_field():
    offering = bookable_offering()
    values = {field: low for field, (low, _high) in svc.SETTING_LIMITS.items()}
    svc.booking_settings_update(provider=offering.provider, confirm_instantly=False, **values)
    with pytest.raises(InvalidInput) as refused:
        svc.booking_settings_update(
            provider=offering.provider,
            confirm_instantly=True,
            **{**values, "chat_slot_minutes": 5, "late_cancel_percent": "x"},
        )
    assert set(refused.value.errors) == {"chat_slot_minutes", "late_cancel_percent"}
    assert not svc.booking_settings_for(offering.provider).confirm_instantly


@time_machine.travel("2026-12-07 09:00 +0900", tick=False)
def test_a_live_booking_is_never_offered_again(django_capture_on_commit_callbacks):
    offering = bookable_offering(window(MON, 20, 0, 60))
    first = svc.slots_for(provider=offering.provider, offering=offering, days=1)[0]
    booking_request(
        customer=customer_with_points(),
        offering_id=offering.pk,
        start=first.start.isoformat(),
        key="b" * 20,
    )
    assert Booking.objects.get().start_at == first.start
    assert first not in svc.slots_for(provider=offering.provider, offering=offering, days=1)
