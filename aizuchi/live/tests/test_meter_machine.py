"""A hypothesis state machine over a live session on a controllable clock.

Steps: time passes (the sockets that are up keep talking, the keeper writes their
heartbeats, the meter sweeps), messages, disconnects, reconnects, a server crash (nothing
closed, no more heartbeats), hang-ups. Whenever the session ends, the bill must match what
was observed: never more than the connected time, never less than it up to the last
heartbeat of the side that left, within the limit, and posted exactly once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import pricing
from aizuchi.billing.models import Charge, Entry
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.connections import connection_close
from aizuchi.core.models import Connection
from aizuchi.core.testing import RolledBack
from aizuchi.live.models import Message, Session
from aizuchi.live.services import chat
from aizuchi.live.services.meter import session_hang_up, sessions_sweep

from .factories import answered_session, connect, on_standby

ROLES = ("customer", "provider")
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class SessionMachine(RolledBack, RuleBasedStateMachine):
    @initialize(
        prepaid=st.booleans(),
        points=st.integers(100, 3000),
        cap=st.none() | st.integers(2, 30),
        free=st.integers(0, 5),
    )
    def start(self, prepaid, points, cap, free):
        self.begin(at=T0)
        offering = OfferingFactory(
            price_per_minute=100,
            payment="prepaid" if prepaid else "postpaid",
            session_cap_minutes=cap,
            first_free_minutes=min(free, cap or free),
        )
        on_standby(offering.provider)
        self.customer = UserFactory()
        fund(self.customer, max(500, points))
        self.session = answered_session(offering, self.customer)
        self.up = dict.fromkeys(ROLES, True)
        self.sockets = {
            role: Connection.objects.get(topic=self.session.topic, role=role).pk for role in ROLES
        }
        self.last_heard = dict.fromkeys(ROLES, self.now())
        self.ended_checked = False
        self.sent = 0

    # --- helpers ---
    def now(self) -> datetime:
        return datetime.now(UTC)

    def fresh(self) -> Session:
        return Session.objects.get(pk=self.session.pk)

    def live(self) -> bool:
        return self.fresh().status == Session.Status.ACTIVE

    def heartbeat(self):
        """The keeper writes the last-heard second of every socket that is up."""
        now = self.now()
        for role in ROLES:
            if self.up[role]:
                Connection.objects.filter(pk=self.sockets[role]).update(seen_at=now)
                self.last_heard[role] = now

    # --- rules ---
    @precondition(lambda self: self.live())
    @rule(seconds=st.integers(1, 100))
    def time_passes(self, seconds):
        step = settings.AIZUCHI_REALTIME["HEARTBEAT_SECONDS"]
        for _ in range(0, seconds, step):
            self.traveller.shift(min(step, seconds))
            self.heartbeat()
            sessions_sweep()
            if not self.live():
                break

    @precondition(lambda self: self.live())
    @rule(role=st.sampled_from(ROLES))
    def message(self, role):
        user = self.customer if role == "customer" else self.session.provider.user
        self.sent += 1
        chat.message_send(session=self.session, user=user, text="…", client_id=f"m{self.sent}")

    @precondition(lambda self: self.live())
    @rule(role=st.sampled_from(ROLES))
    def disconnect(self, role):
        if self.up[role]:
            connection_close(connection_id=self.sockets[role], heard_at=self.last_heard[role])
            self.up[role] = False

    @precondition(lambda self: self.live())
    @rule(role=st.sampled_from(ROLES))
    def reconnect(self, role):
        if not self.up[role]:
            self.sockets[role] = connect(self.fresh(), role).pk
            self.up[role] = True
            self.last_heard[role] = self.now()

    @precondition(lambda self: self.live())
    @rule()
    def server_crash(self):
        """The process holding every socket dies: rows stay open, heartbeats stop."""
        self.up = dict.fromkeys(ROLES, False)

    @precondition(lambda self: self.live())
    @rule(role=st.sampled_from(ROLES))
    def hang_up(self, role):
        user = self.customer if role == "customer" else self.session.provider.user
        self.hung_up_at = self.now()
        session_hang_up(session=self.fresh(), user=user)

    @rule(seconds=st.integers(1, 300))
    def another_sweep_later(self, seconds):
        """Any process may sweep at any time, also after the end: it never bills again."""
        self.traveller.shift(seconds)
        self.heartbeat()
        sessions_sweep()

    # --- invariants ---
    @invariant()
    def the_bill_matches_what_was_observed(self):
        session = self.fresh()
        if session.status == Session.Status.ACTIVE or not hasattr(self, "session"):
            return
        assert session.status == Session.Status.COMPLETED
        started, billed = session.started_at, session.billed_until
        assert started <= billed <= self.now()
        if session.limit_at is not None:
            assert billed <= session.limit_at
        reason = session.end_reason
        if reason in ("customer_hung_up", "provider_hung_up"):
            expected = min(self.hung_up_at, session.limit_at or self.hung_up_at)
        elif reason in ("customer_left", "provider_left"):
            gone = reason.split("_")[0]
            assert not self.up[gone]
            expected = max(self.last_heard[gone], started)
            # the other side was there at least as long
            other = "provider" if gone == "customer" else "customer"
            assert self.last_heard[other] >= expected or not self.up[other]
        else:
            assert reason in ("points_ran_out", "limit_reached")
            expected = session.limit_at
        # whole seconds from the start: never more than observed, less only by the fraction
        assert session.billable_seconds == int((expected - started).total_seconds())
        assert billed <= expected < billed + timedelta(seconds=1)
        charges = Charge.objects.filter(session_id=session.pk)
        assert charges.count() == 1
        charge = charges.get()
        quote = pricing.price_session(
            pricing.PricingPolicy.from_dict(session.policy),
            pricing.FIRST_SESSION,
            session.billable_seconds,
        )
        assert charge.amount_yen == quote.amount_yen == session.charged_yen
        assert Entry.objects.filter(kind=Entry.Kind.CHARGE, charge=charge).count() == (
            1 if charge.amount_yen else 0
        )

    @invariant()
    def messages_are_kept(self):
        if hasattr(self, "session"):
            assert Message.objects.filter(session=self.session).count() == self.sent


@pytest.mark.django_db
def test_any_sequence_of_session_events_bills_what_was_observed_once():
    run_state_machine_as_test(
        SessionMachine,
        settings=hypothesis_settings(
            max_examples=20,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
