"""No two live bookings of a provider ever overlap (with the break after each), whatever
sequence of booking, cancelling, moving, declining and expiring happens."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aizuchi.billing import ledger
from aizuchi.billing.models import Hold
from aizuchi.billing.tests.factories import OfferingFactory
from aizuchi.booking.models import LIVE_STATUSES, Booking
from aizuchi.booking.services import bookings as svc
from aizuchi.core.errors import Conflict, InvalidInput, Refused
from aizuchi.core.testing import RolledBack

from .factories import bookable_offering, customer_with_points, window

T0 = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)  # Monday 09:00 in Tokyo
# The evening's slot starts of both offerings (20:00 Tokyo is 11:00 UTC): chat every 30
# minutes, voice every 40, so that they overlap one another.
EVENING = dt.datetime(2026, 12, 7, 11, 0, tzinfo=dt.UTC)
STARTS = sorted(
    {EVENING + dt.timedelta(minutes=m) for m in (*range(0, 180, 30), *range(0, 160, 40))}
)


class BookingMachine(RolledBack, RuleBasedStateMachine):
    @initialize(instant=st.booleans(), buffer=st.sampled_from([0, 10]))
    def setup(self, instant, buffer):
        self.begin(at=T0)
        # 20:00–23:00 Tokyo on Mondays; chat slots of 30 minutes and voice slots of 40
        # start at different times, so the candidates overlap one another.
        self.offering = bookable_offering(
            window(0, 20, 0, 180),
            confirm_instantly=instant,
            buffer_minutes=buffer,
            cancel_hours=0,
            voice_slot_minutes=40,
        )
        self.offerings = [
            self.offering,
            OfferingFactory(provider=self.offering.provider, channel="voice", price_per_minute=80),
        ]
        self.customers = [customer_with_points(100_000) for _ in range(3)]
        self.provider_user = self.offering.provider.user

    def _live(self):
        return list(Booking.objects.filter(status__in=LIVE_STATUSES))

    @rule(who=st.integers(0, 2), start=st.sampled_from(STARTS), voice=st.booleans())
    def book(self, who, start, voice):
        with contextlib.suppress(Conflict, Refused, InvalidInput):  # refusals are fine here
            svc.booking_request(
                customer=self.customers[who],
                offering_id=self.offerings[voice].pk,
                start=start,
                key=f"m-{who}-{start:%H%M}-{voice:d}-{Booking.objects.count()}-x",
            )

    @rule(data=st.data())
    def cancel(self, data):
        live = self._live()
        if live:
            booking = data.draw(st.sampled_from(live))
            who = data.draw(st.sampled_from([booking.customer, self.provider_user]))
            svc.booking_cancel(user=who, booking_id=booking.pk)

    @rule(data=st.data(), start=st.sampled_from(STARTS))
    def move(self, data, start):
        live = self._live()
        if live:
            booking = data.draw(st.sampled_from(live))
            try:
                svc.booking_reschedule(user=booking.customer, booking_id=booking.pk, start=start)
            except (Conflict, InvalidInput):
                booking.refresh_from_db()
                assert booking.status in LIVE_STATUSES  # a failed move leaves it as it was

    @rule(data=st.data(), accept=st.booleans())
    def answer(self, data, accept):
        waiting = list(Booking.objects.filter(status="pending"))
        if waiting:
            booking = data.draw(st.sampled_from(waiting))
            action = svc.booking_confirm if accept else svc.booking_decline
            action(user=self.provider_user, booking_id=booking.pk)

    @rule(minutes=st.integers(1, 90))
    def time_passes(self, minutes):
        self.traveller.shift(dt.timedelta(minutes=minutes))
        svc.booking_housekeeping()

    @invariant()
    def no_two_live_bookings_overlap(self):
        if not hasattr(self, "offering"):
            return
        live = sorted(self._live(), key=lambda b: b.start_at)
        for earlier, later in zip(live, live[1:], strict=False):
            assert earlier.blocked_until <= later.start_at, (earlier, later)

    @invariant()
    def holds_match_live_bookings(self):
        if not hasattr(self, "offering"):
            return
        for customer in self.customers:
            held = sum(
                hold.remaining_yen for hold in Hold.objects.filter(customer=customer, status="open")
            )
            assert ledger.balance_cached_yen(ledger.hold_account(customer)) == held
            live_holds = Booking.objects.filter(
                customer=customer, status__in=LIVE_STATUSES, hold__isnull=False
            ).count()
            assert Hold.objects.filter(customer=customer, status="open").count() == live_holds


@pytest.mark.django_db
def test_any_sequence_of_bookings_never_overlaps():
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
