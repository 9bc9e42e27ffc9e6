"""Registering, the waitlist, cancelling and the money of a seat, through the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from aizuchi.access.services import customer_block_set
from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger
from aizuchi.billing.models import Charge, Invoice, Posting
from aizuchi.billing.tests.factories import wallet_yen
from aizuchi.core.errors import Conflict, NotFound, Refused
from aizuchi.events.models import Event, Registration
from aizuchi.events.services import events as event_services
from aizuchi.events.services import registrations as services
from aizuchi.notifications.models import Notification
from aizuchi.relationships.services import relationship_session_completed

from .factories import event_make, funded, key

pytestmark = pytest.mark.django_db


def _register(customer, event, **kwargs):
    return services.event_register(customer=customer, event_id=event.pk, key=key(), **kwargs)


def _state(registration) -> str:
    registration.refresh_from_db()
    return registration.state


def test_a_seat_holds_the_price_and_the_fourth_is_waitlisted_kindly():
    event = event_make(capacity=3)
    people = [funded(UserFactory()) for _ in range(4)]
    registrations = [_register(person, event) for person in people]
    assert [r.state for r in registrations] == ["confirmed"] * 3 + ["waitlisted"]
    event.refresh_from_db()
    assert event.seats_taken == 3
    for person in people[:3]:
        assert wallet_yen(person) == 7_000
        assert ledger.balance_yen(ledger.hold_account(person)) == 3_000
    assert wallet_yen(people[3]) == 10_000
    assert Notification.objects.filter(user=people[3], kind="event_full").count() == 1


def test_registering_twice_is_refused_and_a_retry_with_the_key_returns_the_seat():
    event = event_make()
    person = funded(UserFactory())
    same = key()
    first = services.event_register(customer=person, event_id=event.pk, key=same)
    again = services.event_register(customer=person, event_id=event.pk, key=same)
    assert first.pk == again.pk
    with pytest.raises(Conflict):
        _register(person, event)
    assert wallet_yen(person) == 7_000


def test_without_points_nothing_is_taken():
    event = event_make()
    person = funded(UserFactory(), 1_000)
    with pytest.raises(Refused) as refused:
        _register(person, event)
    assert refused.value.codes == ["insufficient_points"]
    event.refresh_from_db()
    assert event.seats_taken == 0
    assert wallet_yen(person) == 1_000


def test_cancelling_offers_the_seat_to_the_head_who_confirms_within_the_hold():
    event = event_make(capacity=1)
    first, second, third = (funded(UserFactory()) for _ in range(3))
    seat = _register(first, event)
    waiting = _register(second, event)
    _register(third, event)
    services.registration_cancel(user=first, registration_id=seat.pk)
    assert wallet_yen(first) == 10_000  # free cancellation: three days ahead
    assert _state(waiting) == "offered"
    assert waiting.offered_until is not None
    assert Notification.objects.filter(user=second, kind="event_seat_offered").exists()
    services.offer_accept(user=second, registration_id=waiting.pk)
    assert _state(waiting) == "confirmed"
    assert wallet_yen(second) == 7_000
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_an_offer_not_taken_in_time_passes_to_the_next():
    event = event_make(capacity=1, offer_hold_hours=2)
    first, second, third = (funded(UserFactory()) for _ in range(3))
    seat = _register(first, event)
    waiting = _register(second, event)
    last = _register(third, event)
    now = timezone.now()
    services.registration_cancel(user=first, registration_id=seat.pk, now=now)
    assert services.offers_expire(now=now + dt.timedelta(hours=1)) == 0
    assert services.offers_expire(now=now + dt.timedelta(hours=2, seconds=1)) == 1
    assert _state(waiting) == "cancelled"
    assert _state(last) == "offered"
    with pytest.raises(Conflict):
        services.offer_accept(user=second, registration_id=waiting.pk)
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_a_late_cancellation_pays_the_fee_once_and_the_rest_comes_back():
    event = event_make(capacity=2, late_cancel_percent=50, cancel_free_hours=24)
    person = funded(UserFactory())
    seat = _register(person, event)
    late = event.starts_at - dt.timedelta(hours=2)
    services.registration_cancel(user=person, registration_id=seat.pk, now=late)
    assert wallet_yen(person) == 8_500
    assert ledger.balance_yen(ledger.hold_account(person)) == 0
    assert Charge.objects.filter(customer=person).get().amount_yen == 1_500


def test_newcomer_seats_are_kept_for_newcomers():
    event = event_make(capacity=2, newcomer_seats=1)
    regulars = [funded(UserFactory()) for _ in range(2)]
    for regular in regulars:
        relationship_session_completed(provider_id=event.provider_id, customer_id=regular.pk)
    assert _register(regulars[0], event).state == "confirmed"
    assert _register(regulars[1], event).state == "waitlisted"
    newcomer = funded(UserFactory())
    assert _register(newcomer, event).state == "confirmed"


def test_invite_only_events_are_not_found_by_the_uninvited_and_blocked_see_nothing():
    event = event_make(audience=Event.Audience.INVITED)
    guest, stranger = funded(UserFactory()), funded(UserFactory())
    relationship_session_completed(provider_id=event.provider_id, customer_id=guest.pk)
    event_services.event_invite(
        user=event.provider.user, event_id=event.pk, customer_ids=[guest.pk]
    )
    with pytest.raises(NotFound):
        _register(stranger, event)
    assert _register(guest, event).state == "confirmed"
    public = event_make(event.provider)
    customer_block_set(provider=event.provider, customer_id=stranger.pk, blocked=True)
    with pytest.raises(NotFound):
        _register(stranger, public)


def test_the_start_charges_every_prepaid_seat_once_and_the_ledger_balances():
    event = event_make(capacity=2)
    people = [funded(UserFactory()) for _ in range(3)]
    for person in people:
        _register(person, event)
    after = event.starts_at + dt.timedelta(minutes=1)
    assert services.events_start(now=after) == 1
    assert services.events_start(now=after) == 0
    assert Charge.objects.filter(provider=event.provider).count() == 2
    for person in people[:2]:
        assert wallet_yen(person) == 7_000
        assert ledger.balance_yen(ledger.hold_account(person)) == 0
    assert Posting.objects.aggregate(total=Sum("amount_yen"))["total"] == 0


def test_postpaid_seats_are_invoiced_after_the_end():
    event = event_make(capacity=2, payment=Event.Payment.POSTPAID)
    person = UserFactory()
    _register(person, event)
    services.events_start(now=event.starts_at)
    assert not Invoice.objects.filter(customer=person).exists()
    services.events_invoice(now=event.ends_at)
    assert Invoice.objects.get(customer=person).amount_yen == 3_000


def test_a_series_next_event_invites_the_waitlist_first():
    first = event_make(capacity=1, audience=Event.Audience.INVITED, series_title="月例お茶会")
    guests = [funded(UserFactory()) for _ in range(2)]
    for guest in guests:
        relationship_session_completed(provider_id=first.provider_id, customer_id=guest.pk)
    event_services.event_invite(
        user=first.provider.user, event_id=first.pk, customer_ids=[g.pk for g in guests]
    )
    _register(guests[0], first)
    assert _register(guests[1], first).state == "waitlisted"
    following = event_make(
        first.provider,
        audience=Event.Audience.INVITED,
        series_title="月例お茶会",
        starts_at=first.starts_at + dt.timedelta(days=30),
    )
    assert following.invitations.get().customer == guests[1]
    assert Notification.objects.filter(user=guests[1], kind="event_series_next").exists()


def test_the_provider_cancels_and_every_hold_comes_back():
    event = event_make(capacity=1)
    person, waiting = funded(UserFactory()), funded(UserFactory())
    seat = _register(person, event)
    _register(waiting, event)
    event_services.event_cancel(user=event.provider.user, event_id=event.pk)
    assert wallet_yen(person) == 10_000
    assert _state(seat) == "cancelled"
    assert not Registration.objects.filter(event=event, state="waitlisted").exists()


@pytest.mark.parametrize("payment", [Event.Payment.PREPAID, Event.Payment.POSTPAID])
def test_the_provider_cancelling_gives_back_a_late_cancellation_fee_once(payment):
    from aizuchi.billing import selectors as billing_selectors
    from aizuchi.billing.models import Entry
    from aizuchi.billing.services.charges import event_fee_refund

    event = event_make(capacity=2, late_cancel_percent=50, cancel_free_hours=24, payment=payment)
    person, staying = funded(UserFactory()), funded(UserFactory())
    seat = _register(person, event)
    _register(staying, event)
    late = event.starts_at - dt.timedelta(hours=2)
    services.registration_cancel(user=person, registration_id=seat.pk, now=late)
    seat.refresh_from_db()
    fee = Charge.objects.get(customer=person)
    assert (seat.charge_id, fee.amount_yen) == (fee.pk, 1_500)

    event_services.event_cancel(user=event.provider.user, event_id=event.pk)
    fee.refresh_from_db()
    assert fee.refunded_yen == 1_500
    assert wallet_yen(person) == wallet_yen(staying) == 10_000
    assert ledger.balance_yen(ledger.receivable(person)) == 0
    assert ledger.balance_yen(ledger.earnings(event.provider)) == 0
    assert ledger.balance_yen(ledger.commission()) == 0
    assert billing_selectors.ledger_totals()["imbalance"] == 0
    assert Notification.objects.filter(user=person, kind="refund_issued").count() == 1

    # Cancelling again is refused; a retried refund gets the first one back.
    with pytest.raises(Conflict):
        event_services.event_cancel(user=event.provider.user, event_id=event.pk)
    first = Entry.objects.get(kind=Entry.Kind.REFUND, charge=fee)
    again = event_fee_refund(
        registration_id=seat.pk, charge_id=fee.pk, user=event.provider.user, reason="retry"
    )
    assert again == first
    assert Entry.objects.filter(kind=Entry.Kind.REFUND).count() == 1
    assert wallet_yen(person) == 10_000


def test_a_fee_staff_refunded_already_is_not_refunded_again_when_the_event_is_cancelled():
    from aizuchi.billing.models import Entry
    from aizuchi.billing.services.charges import charge_refund
    from aizuchi.billing.tests.factories import staff_user

    event = event_make(capacity=2, late_cancel_percent=50, cancel_free_hours=24)
    person = funded(UserFactory())
    seat = _register(person, event)
    services.registration_cancel(
        user=person, registration_id=seat.pk, now=event.starts_at - dt.timedelta(hours=2)
    )
    fee = Charge.objects.get(customer=person)
    charge_refund(user=staff_user(), charge_id=fee.pk, amount_yen=1_500, reason="返金", key=key())
    event_services.event_cancel(user=event.provider.user, event_id=event.pk)
    assert Entry.objects.filter(kind=Entry.Kind.REFUND).count() == 1
    assert wallet_yen(person) == 10_000


def test_reminders_a_day_and_an_hour_before_each_once(mailoutbox):
    event = event_make()
    person = funded(UserFactory())
    _register(person, event)
    day = event.starts_at - dt.timedelta(hours=23)
    assert services.event_reminders_send(now=day) == 1
    assert services.event_reminders_send(now=day) == 0
    assert services.event_reminders_send(now=event.starts_at - dt.timedelta(minutes=50)) == 1
    assert Notification.objects.filter(user=person, kind="event_reminder").count() == 2


def test_check_in_and_no_show_are_the_providers_only():
    event = event_make()
    person = funded(UserFactory())
    seat = _register(person, event)
    with pytest.raises(NotFound):
        services.registration_check_in(user=person, registration_id=seat.pk)
    with pytest.raises(Conflict):
        services.registration_no_show(user=event.provider.user, registration_id=seat.pk)
    services.registration_check_in(
        user=event.provider.user, registration_id=seat.pk, now=event.starts_at
    )
    assert _state(seat) == "attended"
