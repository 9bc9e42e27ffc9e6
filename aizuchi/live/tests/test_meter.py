"""The server-authoritative meter, on a controllable clock: when billing starts and
stops, limits, warnings, disconnects, crashes, and billing exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, Entry, Hold, Invoice
from aizuchi.billing.tests.factories import OfferingFactory, fund
from aizuchi.core.connections import connection_close
from aizuchi.core.models import Connection
from aizuchi.live.models import Session
from aizuchi.live.services.meter import session_end, session_hang_up, sessions_sweep
from aizuchi.storefront.models import Offering, Provider

from .factories import answered_session, connect, heartbeat, on_standby

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _provider_open(**terms):
    offering = OfferingFactory(**{"price_per_minute": 100, **terms})
    on_standby(offering.provider)
    return offering


def _fresh(session) -> Session:
    return Session.objects.get(pk=session.pk)


def test_billing_starts_only_when_both_are_connected(clock, user):
    offering = _provider_open()
    fund(user, 3000)
    session = answered_session(offering, user, connect_both=False)
    connect(session, "customer")
    clock.shift(40)
    heartbeat(session)
    assert _fresh(session).started_at is None
    connect(session, "provider")
    assert _fresh(session).started_at == T0 + timedelta(seconds=40)
    clock.shift(125)
    heartbeat(session)
    ended = session_hang_up(session=_fresh(session), user=user)
    assert (ended.status, ended.end_reason, ended.billable_seconds) == (
        "completed",
        "customer_hung_up",
        125,
    )
    charge = Charge.objects.get(session_id=session.pk)
    assert charge.amount_yen == 300  # three started minutes
    assert ledger.balance_yen(ledger.wallet(user)) == 2700
    assert Hold.objects.get().status == "closed"
    assert Provider.objects.get(pk=offering.provider.pk).presence_state == "open"
    # a second hang-up (the other side, a retry) changes nothing
    assert session_hang_up(session=_fresh(session), user=offering.provider.user) is None
    assert Charge.objects.count() == 1


def test_a_prepaid_session_ends_itself_when_the_points_run_out(clock, user):
    offering = _provider_open(price_per_minute=100)
    fund(user, 1000)
    session = answered_session(offering, user)
    assert _fresh(session).limit_at == T0 + timedelta(minutes=10)
    for _second in range(0, 6 * 60, 10):  # both talk; the keeper writes their heartbeats
        clock.shift(10)
        heartbeat(session)
        assert sessions_sweep() == {"expired": 0, "started": 0, "warned": 0, "ended": 0}
    clock.shift(60 + 1)  # 7:01, less than three minutes left
    heartbeat(session)
    assert sessions_sweep()["warned"] == 1
    assert sessions_sweep()["warned"] == 0  # warned once
    clock.shift(50)
    heartbeat(session)
    assert sessions_sweep()["ended"] == 0
    clock.shift(130)  # 10:01: no client needs to be there for this
    assert sessions_sweep()["ended"] == 1
    ended = _fresh(session)
    assert (ended.end_reason, ended.billable_seconds) == ("points_ran_out", 600)
    assert ended.billed_until == T0 + timedelta(minutes=10)
    assert Charge.objects.get().amount_yen == 1000
    assert ledger.balance_yen(ledger.wallet(user)) == 0
    assert ledger.balance_yen(ledger.hold_account(user)) == 0
    assert not Invoice.objects.exists()


def test_a_first_postpaid_session_with_30_free_minutes_stops_at_its_60_minute_cap(clock, user):
    offering = _provider_open(
        price_per_minute=100,
        payment=Offering.Payment.POSTPAID,
        first_free_minutes=30,
        first_session_cap_minutes=60,
    )
    session = answered_session(offering, user)
    assert _fresh(session).hold_id is None
    assert _fresh(session).limit_at == T0 + timedelta(minutes=60)
    for _minute in range(75):  # both keep talking; the sweep runs all along
        clock.shift(20)
        heartbeat(session)
        sessions_sweep()
        clock.shift(20)
        heartbeat(session)
        sessions_sweep()
        clock.shift(20)
        heartbeat(session)
        sessions_sweep()
    ended = _fresh(session)
    assert (ended.status, ended.end_reason, ended.billable_seconds) == (
        "completed",
        "limit_reached",
        3600,
    )
    charge = Charge.objects.get()
    assert (charge.free_seconds, charge.amount_yen) == (1800, 3000)
    assert Invoice.objects.get(charge=charge).amount_yen == 3000


def test_a_disconnect_beyond_the_grace_bills_up_to_the_disconnect(clock, user, settings):
    offering = _provider_open()
    fund(user, 5000)
    session = answered_session(offering, user)
    for _step in range(20):
        clock.shift(10)
        heartbeat(session)
    customer_socket = Connection.objects.get(topic=session.topic, role="customer")
    connection_close(connection_id=customer_socket.pk, heard_at=datetime.now(UTC))
    for _step in range(6):  # 60 s: within the grace, they may come back
        clock.shift(10)
        heartbeat(session, "provider")
        assert sessions_sweep()["ended"] == 0
    clock.shift(1)
    heartbeat(session, "provider")
    assert sessions_sweep()["ended"] == 1
    ended = _fresh(session)
    assert (ended.end_reason, ended.billable_seconds) == ("customer_left", 200)
    assert Charge.objects.get().amount_yen == 400


def test_coming_back_within_the_grace_keeps_the_session(clock, user):
    offering = _provider_open()
    fund(user, 5000)
    session = answered_session(offering, user)
    for _step in range(10):
        clock.shift(10)
        heartbeat(session)
    old = Connection.objects.get(topic=session.topic, role="customer")
    connection_close(connection_id=old.pk, heard_at=datetime.now(UTC))
    clock.shift(20)
    heartbeat(session)
    connect(_fresh(session), "customer")
    for _step in range(12):
        clock.shift(10)
        heartbeat(session)
        assert sessions_sweep()["ended"] == 0
    assert _fresh(session).status == "active"
    assert _fresh(session).started_at == T0  # the meter was never restarted


def test_a_crashed_server_leaves_proof_of_life_and_the_sweep_bills_up_to_it(clock, user):
    offering = _provider_open()
    fund(user, 5000)
    session = answered_session(offering, user)
    for _step in range(30):
        clock.shift(10)
        heartbeat(session)
        sessions_sweep()
    last_heartbeat = datetime.now(UTC)
    clock.shift(7)  # the process dies here: nothing is closed, nothing written
    clock.shift(90)  # later, another process (or the restarted one) sweeps
    assert sessions_sweep()["ended"] == 1
    ended = _fresh(session)
    assert ended.billable_seconds == 300
    assert ended.billed_until == last_heartbeat
    assert ended.end_reason in ("customer_left", "provider_left")
    assert Charge.objects.get().amount_yen == 500
    assert sessions_sweep()["ended"] == 0
    assert Entry.objects.filter(kind=Entry.Kind.CHARGE).count() == 1


def test_an_answered_session_nobody_joins_is_cancelled_free(clock, user):
    offering = _provider_open()
    fund(user, 2000)
    session = answered_session(offering, user, connect_both=False)
    connect(session, "provider")
    clock.shift(121)
    assert sessions_sweep()["ended"] == 1
    ended = _fresh(session)
    assert (ended.status, ended.end_reason) == ("cancelled", "never_connected")
    assert ledger.balance_yen(ledger.wallet(user)) == 2000
    assert not Charge.objects.exists()
    assert Provider.objects.get(pk=offering.provider.pk).presence_state == "open"


def test_ending_twice_from_two_places_bills_once(clock, user):
    offering = _provider_open()
    fund(user, 5000)
    session = answered_session(offering, user)
    clock.shift(90)
    heartbeat(session)
    first = session_end(session=session, reason="customer_hung_up")
    second = session_end(session=session, reason="provider_hung_up")
    assert first is not None
    assert second is None
    assert Charge.objects.count() == 1
    assert _fresh(session).end_reason == "customer_hung_up"


def test_the_sweep_starts_a_session_whose_sides_joined_at_the_same_moment(clock, user):
    offering = _provider_open()
    fund(user, 2000)
    session = answered_session(offering, user, connect_both=False)
    from aizuchi.core.connections import connection_open

    # Both sockets opened in two processes at once; neither saw the other (race).
    connection_open(topic=session.topic, user=user, role="customer")
    connection_open(topic=session.topic, user=offering.provider.user, role="provider")
    assert _fresh(session).started_at is None
    clock.shift(1)
    assert sessions_sweep()["started"] == 1
    assert _fresh(session).started_at == T0 + timedelta(seconds=1)
