"""Whatever sequence of registering, cancelling, taking offered seats, time passing (offers
lapsing, the start's charges, the end's invoices) and price changes happens: never more
seats than the capacity (and the seats kept for newcomers kept), every paid seat charged
once, late fees by the event's rules, every yen accounted for, the ledger sums to zero."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, Hold, Posting
from aizuchi.core.errors import Conflict, InvalidInput, Refused
from aizuchi.core.testing import RolledBack
from aizuchi.events.models import SEATED_STATES, Event, Registration
from aizuchi.events.services import events as event_services
from aizuchi.events.services import registrations as svc
from aizuchi.relationships.services import relationship_session_completed

from .factories import event_fields, event_make, funded

T0 = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.UTC)
POINTS = 10_000
PEOPLE = 5


class EventMachine(RolledBack, RuleBasedStateMachine):
    @initialize(
        capacity=st.integers(1, 3),
        newcomer_seats=st.integers(0, 1),
        price=st.sampled_from([0, 1_000, 3_000]),
        postpaid=st.booleans(),
        regulars=st.lists(st.booleans(), min_size=PEOPLE, max_size=PEOPLE),
    )
    def setup(self, capacity, newcomer_seats, price, postpaid, regulars):
        self.begin(at=T0)
        self.fields = event_fields(
            starts_at=T0 + dt.timedelta(days=2),
            capacity=capacity,
            newcomer_seats=min(newcomer_seats, capacity),
            price_yen=price,
            payment=Event.Payment.POSTPAID if postpaid else Event.Payment.PREPAID,
            offer_hold_hours=6,
            cancel_free_hours=24,
            late_cancel_percent=50,
        )
        self.event = event_make(now=T0, **self.fields)
        self.customers = [funded(UserFactory(), POINTS) for _ in range(PEOPLE)]
        for customer, regular in zip(self.customers, regulars, strict=True):
            if regular:
                relationship_session_completed(
                    provider_id=self.event.provider_id, customer_id=customer.pk
                )
        self.keys = 0

    def _key(self) -> str:
        self.keys += 1
        return f"machine-key-{self.keys:08d}"

    @rule(who=st.integers(0, PEOPLE - 1))
    def register(self, who):
        with contextlib.suppress(Conflict, Refused):
            svc.event_register(
                customer=self.customers[who], event_id=self.event.pk, key=self._key()
            )

    @rule(data=st.data())
    def cancel(self, data):
        open_ones = list(
            Registration.objects.filter(
                event=self.event, state__in=("confirmed", "waitlisted", "offered")
            )
        )
        if open_ones:
            registration = data.draw(st.sampled_from(open_ones))
            with contextlib.suppress(Conflict):  # after the start
                svc.registration_cancel(user=registration.customer, registration_id=registration.pk)

    @rule(data=st.data())
    def accept(self, data):
        offered = list(Registration.objects.filter(event=self.event, state="offered"))
        if offered:
            registration = data.draw(st.sampled_from(offered))
            with contextlib.suppress(Conflict, Refused):
                svc.offer_accept(user=registration.customer, registration_id=registration.pk)

    @rule(price=st.sampled_from([0, 500, 2_000]))
    def change_price(self, price):
        registered = Registration.objects.filter(event=self.event).exists()
        try:
            event_services.event_update(
                user=self.event.provider.user,
                event_id=self.event.pk,
                fields={**self.fields, "price_yen": price},
            )
        except InvalidInput:
            # Refused only once someone registered (the price stays what they agreed to).
            assert registered
        except Conflict:
            assert timezone.now() >= self.event.starts_at  # begun: no more changes
        else:
            self.fields["price_yen"] = price

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours):
        self.traveller.shift(dt.timedelta(hours=hours))
        svc.events_housekeeping()

    # --- invariants ---------------------------------------------------------------------

    @invariant()
    def never_more_than_capacity(self):
        if not hasattr(self, "event"):
            return
        event = Event.objects.get(pk=self.event.pk)
        seated = Registration.objects.filter(event=event, state__in=SEATED_STATES)
        assert event.seats_taken == seated.count() <= event.capacity
        regular = seated.filter(regular_seat=True).count()
        assert event.regular_seats_taken == regular <= event.capacity - event.newcomer_seats

    @invariant()
    def every_seat_charged_once_and_every_yen_accounted_for(self):
        if not hasattr(self, "event"):
            return
        charges = list(Charge.objects.filter(provider=self.event.provider))
        by_registration = [charge.policy["event_registration"] for charge in charges]
        assert len(by_registration) == len(set(by_registration))
        event = Event.objects.get(pk=self.event.pk)
        for registration in Registration.objects.filter(event=event):
            charged = [c for c in charges if c.policy["event_registration"] == registration.pk]
            if registration.state == "cancelled" and charged:
                # A late cancellation's fee: the event's percentage of the price.
                assert charged[0].amount_yen == registration.price_yen * 50 // 100
                assert charged[0].lines[0]["kind"] == "fee"
            started = event.started_at is not None
            ended = event.invoiced_at is not None
            due = started if registration.payment == "prepaid" else ended
            if registration.state in SEATED_STATES and registration.price_yen and due:
                assert [c.amount_yen for c in charged] == [registration.price_yen]
        for customer in self.customers:
            wallet = ledger.balance_yen(ledger.wallet(customer))
            held = ledger.balance_yen(ledger.hold_account(customer))
            owed = ledger.balance_yen(ledger.receivable(customer))
            paid = sum(c.amount_yen for c in charges if c.customer_id == customer.pk)
            assert wallet + held + paid - owed == POINTS
            open_holds = sum(
                h.remaining_yen for h in Hold.objects.filter(customer=customer, status="open")
            )
            assert held == open_holds >= 0
        total = Posting.objects.aggregate(total=Sum("amount_yen"))["total"] or 0
        assert total == 0


@pytest.mark.django_db
def test_any_sequence_never_oversells_and_charges_each_seat_once():
    run_state_machine_as_test(
        EventMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
