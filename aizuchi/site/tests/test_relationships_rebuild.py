"""The relationship row kept in step by the services equals the one rebuilt from the facts.

Hypothesis plays random sequences of what happens between one provider and two customers:
sessions (completed, declined, answered but never connected, by invitation), bookings
made and cancelled, refunds, blocks, invitations, and days passing. After every sequence
each pair's row, as the services left it, equals what ``relationships_rebuild`` makes of
the sessions, bookings and charges (at the same moment, for the 7-day windows), and a
rebuild changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aizuchi.access.services import block_set, invitation_create
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing.models import Charge
from aizuchi.billing.services import charges
from aizuchi.billing.tests.factories import fund, key, staff_user
from aizuchi.booking.models import Booking
from aizuchi.booking.services import bookings
from aizuchi.booking.services.slots import slots_for
from aizuchi.booking.tests.factories import bookable_offering
from aizuchi.core.errors import ServiceError
from aizuchi.live.models import Session
from aizuchi.live.services import meter, sessions
from aizuchi.live.tests.factories import connect, on_standby
from aizuchi.presence.services import presence_set
from aizuchi.relationships.models import Relationship
from aizuchi.relationships.selectors import PairFacts, facts_values, relationship_values
from aizuchi.relationships.services import relationships_rebuild
from aizuchi.site.management.commands.relationships_rebuild import relationship_facts

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo, a Monday

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "session",
                "declined",
                "never_connected",
                "invited_session",
                "book",
                "cancel_booking",
                "refund",
                "block",
                "unblock",
                "days",
            ]
        ),
        st.integers(min_value=0, max_value=1),  # which customer
        st.integers(min_value=1, max_value=4),  # a size: minutes, days, a slot's index
    ),
    max_size=12,
)


class Story:
    def __init__(self) -> None:
        self.offering = bookable_offering()
        self.provider = self.offering.provider
        on_standby(self.provider, "open")
        self.customers = [UserFactory(), UserFactory()]
        for customer in self.customers:
            fund(customer, 100_000)
        self.staff = staff_user()

    def _request(self, customer) -> Session | None:
        try:
            return sessions.session_request(customer=customer, offering_id=self.offering.pk)
        except sessions.SessionRefused:
            return None

    def _accept(self, session: Session) -> Session:
        return sessions.session_accept(user=self.provider.user, session_id=session.pk)

    def session(self, customer, minutes: int, clock) -> None:
        session = self._request(customer)
        if session is None:
            return
        session = self._accept(session)
        connect(session, "customer")
        connect(session, "provider")
        clock.shift(timedelta(minutes=minutes))
        meter.session_hang_up(session=Session.objects.get(pk=session.pk), user=customer)

    def declined(self, customer, _n, _clock) -> None:
        session = self._request(customer)
        if session is not None:
            sessions.session_decline(user=self.provider.user, session_id=session.pk)

    def never_connected(self, customer, _n, _clock) -> None:
        session = self._request(customer)
        if session is not None:
            session = self._accept(session)
            meter.session_end(session=session, reason=Session.EndReason.NEVER_CONNECTED)

    def invited_session(self, customer, minutes: int, clock) -> None:
        if Relationship.objects.filter(customer=customer, first_contact_at__isnull=False):
            invitation_create(provider=self.provider, customer_id=customer.pk, minutes=30)
            presence_set(provider=self.provider, state="appointment")
            self.session(customer, minutes, clock)
            presence_set(provider=self.provider, state="open")

    def book(self, customer, n: int, _clock) -> None:
        free = slots_for(provider=self.provider, offering=self.offering)
        if free:
            slot = free[min(n, len(free) - 1)]
            with contextlib.suppress(ServiceError):
                bookings.booking_request(
                    customer=customer,
                    offering_id=self.offering.pk,
                    start=slot.start,
                    key=key("book"),
                )

    def cancel_booking(self, customer, _n, _clock) -> None:
        booking = Booking.objects.filter(customer=customer, status="confirmed").last()
        if booking is not None:
            with contextlib.suppress(ServiceError):
                bookings.booking_cancel(user=customer, booking_id=booking.pk)

    def refund(self, customer, n: int, _clock) -> None:
        charge = Charge.objects.filter(customer=customer).last()
        if charge is not None and charge.amount_yen > charge.refunded_yen:
            charges.charge_refund(
                user=self.staff,
                charge_id=charge.pk,
                amount_yen=min(n * 50, charge.amount_yen - charge.refunded_yen),
                reason="a test",
                key=key("refund"),
            )

    def block(self, customer, _n, _clock) -> None:
        with contextlib.suppress(ServiceError):
            block_set(provider=self.provider, customer_id=customer.pk, blocked=True)

    def unblock(self, customer, _n, _clock) -> None:
        with contextlib.suppress(ServiceError):
            block_set(provider=self.provider, customer_id=customer.pk, blocked=False)

    def days(self, _customer, n: int, clock) -> None:
        clock.shift(timedelta(days=n * 2))
        on_standby(self.provider, "open")


def _compare(story: Story, now: datetime) -> None:
    facts = relationship_facts(now=now, provider_id=story.provider.pk)
    rows = {
        (row.provider_id, row.customer_id): row
        for row in Relationship.objects.filter(provider=story.provider)
    }
    for pair in set(rows) | set(facts):
        assert pair in rows, f"facts of {pair} but no row"
        assert relationship_values(rows[pair], now) == facts_values(
            facts.get(pair, PairFacts()), now
        )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_the_row_kept_by_the_services_equals_the_rebuilt_row(actions):
    with transaction.atomic(), time_machine.travel(T0, tick=False) as clock:
        story = Story()
        for name, who, size in actions:
            getattr(story, name)(story.customers[who], size, clock)
        now = datetime.now(UTC)
        _compare(story, now)
        before = {
            row.pk: relationship_values(row, now)
            for row in Relationship.objects.filter(provider=story.provider)
        }
        blocked = set(
            Relationship.objects.filter(blocked_at__isnull=False).values_list("pk", flat=True)
        )
        relationships_rebuild(
            facts=relationship_facts(now=now, provider_id=story.provider.pk),
            provider_id=story.provider.pk,
            now=now,
        )
        after = {
            row.pk: relationship_values(row, now)
            for row in Relationship.objects.filter(provider=story.provider)
        }
        assert after == before  # a rebuild changes nothing the services kept
        # Blocks are the row's own: a rebuild keeps them.
        assert blocked == set(
            Relationship.objects.filter(blocked_at__isnull=False).values_list("pk", flat=True)
        )
        transaction.set_rollback(True)


def test_the_command_rebuilds_rows_from_the_facts(capsys):
    with time_machine.travel(T0, tick=False) as clock:
        story = Story()
        story.session(story.customers[0], 3, clock)
        Relationship.objects.update(sessions_completed=0, spent_yen=0, recent_drop_ins=[])
        call_command("relationships_rebuild")
        row = Relationship.objects.get(customer=story.customers[0])
        assert (row.sessions_completed, row.sessions_billed) == (1, 1)
        assert row.spent_yen == Charge.objects.get().amount_yen > 0
        assert len(row.recent_drop_ins) == 1
    assert "Rebuilt 1 relationship rows" in capsys.readouterr().out
