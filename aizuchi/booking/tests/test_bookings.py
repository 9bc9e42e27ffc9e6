"""Booking a time and everything after, on a controllable clock: holds, approval, expiry,
cancelling (with the late fee), moving, no-shows, reminders, and entering the session."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from aizuchi.access.models import AccessPolicy
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, Hold
from aizuchi.billing.services import charges
from aizuchi.billing.tests.factories import OfferingFactory, session_for
from aizuchi.booking.models import Booking, BookingReminder
from aizuchi.booking.services import bookings as svc
from aizuchi.booking.services.slots import slots_for
from aizuchi.core.errors import Conflict, InvalidInput, NotFound, Refused
from aizuchi.core.text import NULL_CHARACTERS
from aizuchi.live.models import Session
from aizuchi.live.services import sessions
from aizuchi.live.services.meter import sessions_sweep
from aizuchi.live.tests.factories import connect, heartbeat, on_standby
from aizuchi.notifications.models import Notification
from aizuchi.presence.services import presence_set
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.selectors import relationship_for
from aizuchi.storefront.models import Offering

from .factories import bookable_offering, customer_with_points, window

pytestmark = pytest.mark.django_db
MON = 0
T0 = "2026-12-07 09:00 +0900"  # a Monday morning in Tokyo
AT_8PM = "2026-12-07T20:00:00+09:00"
AT_9PM = "2026-12-07T21:00:00+09:00"


def _access(customer, offering):
    """The access decision for talking now on ``offering`` (what live asks the policy)."""
    decision, _booking = sessions.session_access(customer=customer, offering=offering)
    return decision


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _book(customer, offering, start=AT_8PM, key=None):
    return svc.booking_request(
        customer=customer,
        offering_id=offering.pk,
        start=start,
        key=key or f"k{start}-{customer.pk}xx",
    )


def _wallet(customer) -> int:
    return ledger.balance_yen(ledger.wallet(customer))


def test_an_instant_booking_holds_the_price_of_the_slot(clock):
    offering = bookable_offering(window(MON, 20))
    customer = customer_with_points(5000)
    booking = _book(customer, offering)
    assert booking.status == "confirmed"
    assert (booking.price_yen, booking.hold.amount_yen) == (3000, 3000)  # 30 min at ¥100
    assert _wallet(customer) == 2000
    assert booking.blocked_until == booking.end_at + dt.timedelta(minutes=10)
    note = Notification.objects.get(user=offering.provider.user)
    assert note.kind == "booking_made"
    # the same key again is the same booking
    assert _book(customer, offering, key=f"k{AT_8PM}-{customer.pk}xx").pk == booking.pk
    assert Booking.objects.count() == 1


def test_a_free_first_time_holds_nothing_and_postpaid_holds_nothing(clock):
    offering = bookable_offering(window(MON, 20))
    Offering.objects.filter(pk=offering.pk).update(first_free_minutes=30)
    customer = customer_with_points(500)
    assert _book(customer, offering).price_yen == 0
    assert not Hold.objects.exists()
    postpaid = bookable_offering(window(MON, 20))
    Offering.objects.filter(pk=postpaid.pk).update(payment="postpaid")
    booking = _book(customer_with_points(500), postpaid)
    assert (booking.price_yen, booking.hold) == (3000, None)


def test_someone_else_has_the_time_or_it_is_not_offered(clock):
    offering = bookable_offering(window(MON, 20))
    winner, loser = customer_with_points(), customer_with_points()
    _book(winner, offering)
    with pytest.raises(Conflict) as taken:
        _book(loser, offering)
    assert taken.value.code == "just_taken"
    with pytest.raises(Conflict):  # overlaps 20:00–20:30 and its break
        _book(loser, offering, start="2026-12-07T20:15:00+09:00")
    with pytest.raises(Conflict):  # outside every window
        _book(loser, offering, start="2026-12-07T15:00:00+09:00")
    for bad in ("tomorrow", "2026-12-07T20:00:00"):  # not a time, no zone
        with pytest.raises(InvalidInput):
            _book(loser, offering, start=bad)
    assert _wallet(loser) == 10_000
    assert Booking.objects.count() == 1


def test_a_regular_cannot_take_a_time_kept_for_newcomers(clock):
    offering = bookable_offering(window(MON, 20, newcomers_only=True))
    regular = customer_with_points()
    session_for(offering, regular, seconds=600)
    with pytest.raises(Refused) as refused:
        _book(regular, offering)
    assert refused.value.codes == ["newcomers_only"]
    assert _book(customer_with_points(), offering).newcomers_slot


def test_refusals_are_all_said(clock):
    offering = bookable_offering(window(MON, 20, minutes=240))
    customer = customer_with_points(1000)  # less than a slot's ¥3,000
    AccessPolicy.objects.create(provider=offering.provider, bookings_per_week=1)
    with pytest.raises(Refused) as refused:
        _book(customer, offering)
    assert refused.value.codes == ["insufficient_points"]
    assert refused.value.reasons[0].url == "/billing/wallet/"
    assert not Booking.objects.exists()
    rich = customer_with_points()
    _book(rich, offering)
    with pytest.raises(Refused) as refused:
        _book(rich, offering, start=AT_9PM)
    assert refused.value.codes == ["bookings_limit"]
    with translation.override("en"):
        assert "at most 1 bookings a week" in str(refused.value.reasons[0].message)
    with pytest.raises(Refused) as refused:
        _book(offering.provider.user, offering, start=AT_9PM)
    assert refused.value.codes == ["own_storefront"]


def test_an_overdue_invoice_stops_new_bookings(clock):
    offering = bookable_offering(window(MON, 20))
    customer = customer_with_points()
    postpaid = OfferingFactory(provider=offering.provider, channel="voice", payment="postpaid")
    with time_machine.travel("2026-11-20 12:00 +0900", tick=False):
        charges.session_charge(
            session=session_for(postpaid, customer, seconds=600), billable_seconds=600
        )
    with pytest.raises(Refused) as refused:
        _book(customer, offering)
    assert refused.value.codes == ["overdue_invoice"]


def test_approval_confirm_decline_and_expiry(clock):
    offering = bookable_offering(window(MON, 20, minutes=180), confirm_instantly=False)
    provider_user = offering.provider.user
    first, second, third = (customer_with_points() for _ in range(3))
    waiting = _book(first, offering)
    assert (waiting.status, waiting.pending_until) == (
        "pending",
        dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC),  # two hours from 09:00 Tokyo
    )
    assert _wallet(first) == 7000  # held while waiting
    with pytest.raises(NotFound):
        svc.booking_confirm(user=first, booking_id=waiting.pk)
    assert svc.booking_confirm(user=provider_user, booking_id=waiting.pk).status == "confirmed"

    declined = _book(second, offering, start=AT_9PM)
    svc.booking_decline(user=provider_user, booking_id=declined.pk, reason="その日は都合が悪く")
    assert _wallet(second) == 10_000
    assert Notification.objects.filter(user=second, kind="booking_declined").exists()

    lapsed = _book(third, offering, start="2026-12-07T22:00:00+09:00")
    clock.shift(dt.timedelta(hours=2, seconds=1))
    assert svc.booking_housekeeping()["expired"] == 1
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    assert _wallet(third) == 10_000
    with pytest.raises(Conflict):
        svc.booking_confirm(user=provider_user, booking_id=lapsed.pk)
    # the expired request's time is free again
    assert any(
        s.start == lapsed.start_at for s in slots_for(provider=offering.provider, offering=offering)
    )


def test_cancelling_is_free_until_the_deadline_then_costs_the_late_fee(clock):
    offering = bookable_offering(
        window(MON, 20, minutes=180), cancel_hours=6, late_cancel_percent=50
    )
    early, late = customer_with_points(), customer_with_points()
    first = _book(early, offering)
    svc.booking_cancel(user=early, booking_id=first.pk, reason="急用")
    assert _wallet(early) == 10_000
    assert not Charge.objects.exists()

    second = _book(late, offering, start=AT_9PM)
    clock.shift(dt.timedelta(hours=6, minutes=30))  # 15:30: under six hours before 21:00
    cancelled = svc.booking_cancel(user=late, booking_id=second.pk)
    assert cancelled.status == "cancelled"
    fee = Charge.objects.get(booking_id=second.pk)
    assert fee.amount_yen == 1500
    assert _wallet(late) == 10_000 - 1500
    assert Hold.objects.get(pk=second.hold_id).status == "closed"
    assert ledger.balance_yen(ledger.earnings(offering.provider)) == 1200  # after 20 %
    with pytest.raises(Conflict):
        svc.booking_cancel(user=late, booking_id=second.pk)


def test_a_provider_cancels_any_time_without_a_fee(clock):
    offering = bookable_offering(window(MON, 20))
    customer = customer_with_points()
    booking = _book(customer, offering)
    clock.shift(dt.timedelta(hours=10, minutes=50))  # ten minutes before
    svc.booking_cancel(user=offering.provider.user, booking_id=booking.pk, reason="体調不良")
    assert _wallet(customer) == 10_000
    note = Notification.objects.get(user=customer, kind="booking_cancelled")
    assert note.params["reason"] == "体調不良"


@pytest.mark.parametrize("action", ["cancel", "decline"])
def test_a_reason_with_a_null_character_is_a_field_error_and_nothing_changes(clock, action):
    """PostgreSQL refuses NUL in text; the reason is refused on every database alike."""
    offering = bookable_offering(window(MON, 20), confirm_instantly=False)
    customer = customer_with_points()
    booking = _book(customer, offering)
    service = svc.booking_cancel if action == "cancel" else svc.booking_decline
    with pytest.raises(InvalidInput) as refused:
        service(user=offering.provider.user, booking_id=booking.pk, reason="都合\x00")
    assert refused.value.errors == {"reason": [NULL_CHARACTERS]}
    booking.refresh_from_db()
    assert (booking.status, booking.cancel_reason) == ("pending", "")
    assert _wallet(customer) == 7000


def test_moving_a_booking_keeps_its_hold_and_frees_the_old_time(clock):
    offering = bookable_offering(window(MON, 20, minutes=180), cancel_hours=2)
    customer = customer_with_points()
    booking = _book(customer, offering)
    moved = svc.booking_reschedule(user=customer, booking_id=booking.pk, start=AT_9PM)
    assert moved.pk == booking.pk
    assert moved.start_at == dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    assert moved.hold_id == booking.hold_id
    assert _wallet(customer) == 7000
    other = customer_with_points()
    assert _book(other, offering).start_at == booking.start_at  # the old time is free
    with pytest.raises(Conflict):  # not onto someone else's time
        svc.booking_reschedule(user=customer, booking_id=booking.pk, start=AT_8PM)
    moved.refresh_from_db()
    assert moved.start_at == dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    with pytest.raises(NotFound):
        svc.booking_reschedule(user=other, booking_id=booking.pk, start=AT_8PM)


def test_a_customer_who_does_not_come(clock):
    offering = bookable_offering(window(MON, 20), late_cancel_percent=100)
    customer = customer_with_points()
    booking = _book(customer, offering)
    clock.shift(dt.timedelta(hours=11, minutes=5))  # 20:05
    with pytest.raises(Conflict) as early:
        svc.booking_no_show(user=offering.provider.user, booking_id=booking.pk)
    assert early.value.code == "too_early"
    clock.shift(dt.timedelta(minutes=6))
    svc.booking_no_show(user=offering.provider.user, booking_id=booking.pk)
    booking.refresh_from_db()
    assert booking.status == "no_show"
    assert Charge.objects.get(booking_id=booking.pk).amount_yen == 3000
    assert _wallet(customer) == 7000


def test_reminders_a_day_and_an_hour_before_each_once(clock, django_capture_on_commit_callbacks):
    offering = bookable_offering(horizon_days=5)
    customer = customer_with_points()
    booking = _book(customer, offering, start="2026-12-08T20:00:00+09:00")

    def run(at):
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            return svc.booking_reminders_send()

    assert run("2026-12-07 19:00 +0900") == 0
    assert run("2026-12-07 20:05 +0900") == 1
    assert run("2026-12-07 23:00 +0900") == 0
    assert run("2026-12-08 19:01 +0900") == 1
    assert run("2026-12-08 19:30 +0900") == 0
    assert sorted(
        BookingReminder.objects.filter(booking=booking).values_list("kind", flat=True)
    ) == [
        "day",
        "hour",
    ]
    assert len(mail.outbox) == 2
    assert mail.outbox[0].to == [customer.email]
    assert f"/booking/{booking.pk}/" in mail.outbox[0].body


# --- the booked time comes ----------------------------------------------------------------------


def test_at_the_booked_time_the_customer_comes_in_by_appointment_and_the_session_ends_with_it(
    clock,
):
    offering = bookable_offering(window(MON, 20))
    customer = customer_with_points()
    booking = _book(customer, offering)
    on_standby(offering.provider, "appointment")
    stranger = customer_with_points()
    clock.shift(dt.timedelta(hours=10, minutes=57))  # 19:57: three minutes early is fine
    assert _access(stranger, offering).codes == ["reserved_now"]
    session = sessions.session_request(customer=customer, offering_id=offering.pk)
    assert session.by_appointment
    assert session.hold_id == booking.hold_id  # paid from what the booking held,
    # topped up from the points only by the three early minutes (to 20:30, not beyond)
    assert Hold.objects.get(pk=booking.hold_id).amount_yen == 3300
    booking.refresh_from_db()
    assert booking.session_id == session.pk
    sessions.session_accept(user=offering.provider.user, session_id=session.pk)
    session.refresh_from_db()
    connect(session, "customer")
    connect(session, "provider")
    session.refresh_from_db()
    assert session.limit_at == booking.end_at  # the booked time, not what the hold affords
    while session.status == "active":
        clock.shift(10)
        heartbeat(session)
        sessions_sweep()
        session.refresh_from_db()
    assert session.end_reason == "booked_time_ended"
    assert session.billable_seconds == 33 * 60  # from 19:57 to 20:30
    booking.refresh_from_db()
    assert booking.status == "completed"
    assert Charge.objects.get(session_id=session.pk).amount_yen == 3300  # 33 started minutes
    assert Hold.objects.get(pk=booking.hold_id).status == "closed"


def test_appointment_standby_without_a_booking_stays_closed_and_opens_after_unused_minutes(clock):
    offering = bookable_offering(window(MON, 20))
    booked, walk_in = customer_with_points(), customer_with_points()
    _book(booked, offering)
    AccessPolicy.objects.create(provider=offering.provider, appointment_opens_after_minutes=15)
    on_standby(offering.provider, "appointment")
    clock.shift(dt.timedelta(hours=11, minutes=10))  # 20:10, the booked customer is not here
    assert _access(walk_in, offering).codes == ["reserved_now"]
    clock.shift(dt.timedelta(minutes=6))  # 20:16
    assert _access(walk_in, offering).allowed


def test_newcomers_by_reservation_and_regulars_by_appointment(clock):
    offering = bookable_offering(window(MON, 20))
    on_standby(offering.provider, "open")
    newcomer, regular = customer_with_points(), customer_with_points()
    session_for(offering, regular, seconds=600)
    AccessPolicy.objects.create(
        provider=offering.provider, newcomers_by_reservation=True, regulars_drop_in=False
    )
    first = _access(newcomer, offering)
    assert first.codes == ["newcomers_by_reservation"]
    assert first.reasons[0].url == f"/booking/providers/{offering.provider_id}/"
    assert _access(regular, offering).codes == ["regulars_by_appointment"]
    AccessPolicy.objects.filter(provider=offering.provider).update(
        newcomers_by_reservation=False, regulars_drop_in=True
    )
    assert _access(newcomer, offering).allowed
    presence_set(provider=offering.provider, state="appointment")
    assert _access(regular, offering).codes == ["appointment_only"]
    assert Session.objects.count() == 1


def test_a_request_left_unanswered_too_long_gives_its_time_to_a_new_booking(clock):
    """The housekeeping job expires such requests every few minutes; a booking request
    that finds one in its way expires it first (its points go back, its customer is
    told), and books the time."""
    offering = bookable_offering(window(MON, 20), confirm_instantly=False)
    first, second = customer_with_points(), customer_with_points()
    waiting = _book(first, offering)
    assert waiting.status == "pending"
    clock.shift(dt.timedelta(hours=2, seconds=1))  # past its answer time, 11:00 in Tokyo
    booking = _book(second, offering)
    assert (booking.status, booking.start_at) == ("pending", waiting.start_at)
    waiting.refresh_from_db()
    assert waiting.status == "expired"
    assert _wallet(first) == 10_000
    assert _wallet(second) == 7000
    assert Notification.objects.filter(user=first, kind="booking_expired").count() == 1


def test_a_booking_request_takes_fewer_round_trips(clock, django_assert_max_num_queries):
    """A booking: the operation's key claimed in one statement; the offering read with
    the provider's lock on their settings; the access facts in one query (relationship
    row, policy, an overdue invoice, the points and the two accounts the hold posts to);
    the provider's calendar in one (appointment windows, dated changes, bookings); the
    hold posted in three statements (the entry, its postings, both balances in one
    update) before the booking's row, which refers to it; the relationship row written
    as read, in one statement; the notification with its unread count in one. 55
    statements at first, 36 after the architecture step; 14 now, for the pair's first
    booking and for the next, two of them the operation's savepoint."""
    offering = bookable_offering(window(MON, 20))
    customer = customer_with_points()
    with django_assert_max_num_queries(14):
        booking = _book(customer, offering)
    assert booking.status == "confirmed"
    assert Hold.objects.get(pk=booking.hold_id).amount_yen == 3000
    with django_assert_max_num_queries(14):
        later = _book(customer, offering, start=AT_9PM)
    assert later.hold.amount_yen == 3000
    row = relationship_for(provider_id=offering.provider_id, customer_id=customer.pk)
    assert [entry[0] for entry in row.recent_bookings] == [booking.pk, later.pk]
    assert _wallet(customer) == 4000


# --- booking further ahead by tier ----------------------------------------------------------


def _tiered(offering, customer, tier):
    """``customer`` has met the provider of ``offering``, at ``tier`` (None: no tier)."""
    Relationship.objects.update_or_create(
        provider=offering.provider, customer=customer, defaults={"tier": tier}
    )
    return customer


def test_top_tiers_see_and_book_beyond_the_horizon_others_neither(clock):
    # Everyone books up to 3 days ahead; tiers 1 and 2 up to 10.
    offering = bookable_offering(horizon_days=3, tier_horizon_days=10, tier_horizon_tiers=2)
    far = "2026-12-12T20:00:00+09:00"  # five days ahead
    first = _tiered(offering, customer_with_points(), 1)
    third = _tiered(offering, customer_with_points(), 3)
    untiered = _tiered(offering, customer_with_points(), None)
    stranger = customer_with_points()

    def far_offered(customer):
        row = relationship_for(provider_id=offering.provider_id, customer_id=customer.pk)
        slots = slots_for(provider=offering.provider, offering=offering, relationship=row)
        return any(slot.start.isoformat() == "2026-12-12T11:00:00+00:00" for slot in slots)

    assert far_offered(first)
    assert not any(far_offered(c) for c in (third, untiered, stranger))
    for other in (third, untiered, stranger):
        with pytest.raises(Conflict) as refused:  # a crafted request for the far day
            _book(other, offering, start=far)
        assert refused.value.code == "not_available"
        assert _wallet(other) == 10_000
    assert _book(first, offering, start=far).start_at.isoformat() == "2026-12-12T11:00:00+00:00"
    assert Booking.objects.count() == 1


def test_without_top_tiers_set_a_tier_gives_no_further_horizon(clock):
    offering = bookable_offering(horizon_days=3, tier_horizon_days=10, tier_horizon_tiers=0)
    first = _tiered(offering, customer_with_points(), 1)
    with pytest.raises(Conflict):
        _book(first, offering, start="2026-12-12T20:00:00+09:00")


# --- times kept for the top tiers -----------------------------------------------------------


def test_a_time_kept_for_top_tiers_is_offered_and_booked_by_them_only(clock):
    # Monday 20:00–21:00 kept for tiers 1 and 2, 21:00–22:00 for everyone.
    offering = bookable_offering(window(MON, 20, 0, 60, tiers_only=2), window(MON, 21, 0, 60))
    second = _tiered(offering, customer_with_points(), 2)
    third = _tiered(offering, customer_with_points(), 3)
    untiered = _tiered(offering, customer_with_points(), None)
    stranger = customer_with_points()

    def offered(customer):
        row = relationship_for(provider_id=offering.provider_id, customer_id=customer.pk)
        slots = slots_for(provider=offering.provider, offering=offering, days=1, relationship=row)
        return [(slot.start.isoformat(), slot.tiers_only) for slot in slots]

    kept = [("2026-12-07T11:00:00+00:00", 2), ("2026-12-07T11:30:00+00:00", 2)]
    everyone = [("2026-12-07T12:00:00+00:00", None), ("2026-12-07T12:30:00+00:00", None)]
    assert offered(second) == kept + everyone
    for other in (third, untiered, stranger):
        assert offered(other) == everyone
        with pytest.raises(Conflict) as refused:  # a crafted request for the kept time
            _book(other, offering)
        assert refused.value.code == "not_available"
        assert _wallet(other) == 10_000
    assert _book(third, offering, start=AT_9PM).start_at.isoformat() == everyone[0][0]
    assert _book(second, offering).start_at.isoformat() == kept[0][0]
    assert Booking.objects.count() == 2
