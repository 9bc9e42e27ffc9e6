"""Starting a session: every refusal with its reason, ringing, answering, holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from aizuchi.access.models import AccessPolicy, MissedNewcomer
from aizuchi.access.services import invitation_create
from aizuchi.billing import ledger
from aizuchi.billing.models import Hold
from aizuchi.billing.services import charges
from aizuchi.billing.tests.factories import OfferingFactory, fund, session_for
from aizuchi.core.errors import Conflict, NotFound
from aizuchi.live import selectors as live_selectors
from aizuchi.live.models import Session
from aizuchi.live.services import sessions
from aizuchi.notifications.models import Notification
from aizuchi.presence.services import presence_enter_session
from aizuchi.relationships.services import relationship_block
from aizuchi.storefront.models import Offering, Provider

from .factories import answered_session, on_standby

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    offering = OfferingFactory(price_per_minute=100)
    on_standby(offering.provider)
    return offering


def _refused(customer, offering) -> sessions.SessionRefused:
    with pytest.raises(sessions.SessionRefused) as refused:
        sessions.session_request(customer=customer, offering_id=offering.pk)
    return refused.value


def test_a_request_rings_with_the_points_on_hold(
    user, offering, django_capture_on_commit_callbacks
):
    fund(user, 3000)
    with django_capture_on_commit_callbacks(execute=False) as pushes:
        session = sessions.session_request(customer=user, offering_id=offering.pk)
    assert session.status == Session.Status.REQUESTED
    assert session.policy["price_per_minute_yen"] == 100
    assert session.hold.amount_yen == 3000
    assert ledger.balance_yen(ledger.wallet(user)) == 0
    assert len(pushes) == 1  # the provider's standby page rings
    assert (session.ring_until - session.requested_at).total_seconds() == 45
    # asking again while it rings is the same session, not a second one
    again = sessions.session_request(customer=user, offering_id=str(offering.pk))
    assert again.pk == session.pk
    assert Hold.objects.count() == 1


@pytest.mark.parametrize(
    ("state", "code"),
    [("offline", "offline"), ("away", "away"), ("appointment", "appointment_only")],
)
def test_the_providers_state_decides_who_may_connect(user, state, code):
    offering = OfferingFactory()
    on_standby(offering.provider, state)
    fund(user, 3000)
    refused = _refused(user, offering)
    assert refused.codes == [code]
    assert not Session.objects.exists()
    assert ledger.balance_yen(ledger.wallet(user)) == 3000


def test_a_newcomer_who_finds_the_provider_busy_is_a_missed_newcomer(user, offering):
    fund(user, 1000)
    presence_enter_session(provider=offering.provider)
    refused = _refused(user, offering)
    assert refused.codes == ["busy"]
    with translation.override("ja"):
        assert offering.provider.display_name in str(refused.reasons[0].message)
    missed = MissedNewcomer.objects.get()
    assert (missed.customer, missed.reason, missed.state) == (user, "busy", "in_session")


def test_a_regular_who_finds_the_provider_busy_is_not_a_missed_newcomer(user, offering):
    session_for(offering, user, seconds=600)  # a completed session before
    fund(user, 1000)
    presence_enter_session(provider=offering.provider)
    assert _refused(user, offering).codes == ["busy"]
    assert not MissedNewcomer.objects.exists()


def test_appointment_standby_opens_only_to_the_invited(user, other_user):
    offering = OfferingFactory(price_per_minute=100)
    on_standby(offering.provider, "appointment")
    for person in (user, other_user):
        fund(person, 1000)
        session_for(offering, person, seconds=60)
    invitation_create(provider=offering.provider, customer_id=user.pk, minutes=30)
    assert Notification.objects.filter(user=user, kind="appointment_invitation").exists()
    session = sessions.session_request(customer=user, offering_id=offering.pk)
    assert session.by_appointment
    sessions.session_cancel(user=user, session_id=session.pk)
    assert _refused(other_user, offering).codes == ["appointment_only"]
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert _refused(user, offering).codes == ["appointment_only"]


def test_a_blocked_customer_is_told_gently(user, offering):
    relationship_block(
        provider_id=offering.provider_id, customer_id=user.pk, by=offering.provider.user
    )
    assert _refused(user, offering).codes == ["blocked"]


def test_the_weekly_drop_in_cap(user, offering):
    AccessPolicy.objects.create(provider=offering.provider, drop_ins_per_week=2)
    fund(user, 5000)
    for _ in range(2):
        session_for(offering, user, seconds=60)
    refused = _refused(user, offering)
    assert refused.codes == ["drop_in_limit"]
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert sessions.session_request(customer=user, offering_id=offering.pk).pk


def test_money_reasons_come_with_presence_reasons(user):
    offering = OfferingFactory(price_per_minute=100, payment=Offering.Payment.POSTPAID)
    on_standby(offering.provider, "away")
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        charges.session_charge(
            session=session_for(offering, user, seconds=600), billable_seconds=600
        )
    refused = _refused(user, offering)
    assert refused.codes == ["away", "overdue_invoice"]
    assert refused.reasons[1].url.startswith("/billing/invoices/")


def test_points_below_one_minute_are_refused_before_anything_rings(user, offering):
    fund(user, 500)
    expensive = OfferingFactory(provider=offering.provider, channel="voice", price_per_minute=600)
    assert _refused(user, expensive).codes == ["insufficient_points"]
    assert not Hold.objects.exists()


def test_one_live_session_per_provider(user, other_user, offering):
    fund(user, 1000)
    fund(other_user, 1000)
    sessions.session_request(customer=user, offering_id=offering.pk)
    refused = _refused(other_user, offering)
    assert refused.codes == ["busy"]
    assert ledger.balance_yen(ledger.wallet(other_user)) == 1000


def test_answer_decline_cancel_and_unanswered_rings(user, offering):
    fund(user, 2000)
    provider_user = offering.provider.user
    first = sessions.session_request(customer=user, offering_id=offering.pk)
    with pytest.raises(NotFound):  # the customer cannot answer their own call
        sessions.session_accept(user=user, session_id=first.pk)
    sessions.session_decline(user=provider_user, session_id=first.pk)
    first.refresh_from_db()
    assert (first.status, first.end_reason) == ("declined", "declined")
    assert ledger.balance_yen(ledger.wallet(user)) == 2000
    with pytest.raises(Conflict):
        sessions.session_accept(user=provider_user, session_id=first.pk)

    second = sessions.session_request(customer=user, offering_id=offering.pk)
    with time_machine.travel(timezone.now() + timedelta(seconds=46)):
        with pytest.raises(Conflict):
            sessions.session_accept(user=provider_user, session_id=second.pk)
        assert sessions.sessions_expire_ringing(now=timezone.now()) == 1
    second.refresh_from_db()
    assert (second.status, second.end_reason) == ("missed", "not_answered")
    assert Notification.objects.filter(user=provider_user, kind="session_missed").exists()
    assert ledger.balance_yen(ledger.wallet(user)) == 2000

    third = answered_session(offering, user, connect_both=False)
    assert third.status == "active"
    assert Provider.objects.get(pk=offering.provider.pk).presence_state == "in_session"


def test_only_its_two_participants_can_reach_a_session(user, other_user, offering):
    fund(user, 1000)
    session = sessions.session_request(customer=user, offering_id=offering.pk)
    for person in (other_user, OfferingFactory().provider.user):
        with pytest.raises(NotFound):
            live_selectors.session_get_for_participant(user=person, session_id=session.pk)
    for bad in ("x", None, -1, 10**12):
        with pytest.raises(NotFound):
            live_selectors.session_get_for_participant(user=user, session_id=bad)
    assert (
        live_selectors.session_get_for_participant(user=user, session_id=str(session.pk)) == session
    )
