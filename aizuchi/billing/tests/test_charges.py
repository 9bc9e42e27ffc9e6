"""Session charges: prepaid from a hold, postpaid to an invoice, exactly once; refunds and
adjustments by staff."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from aizuchi.accounts.tests.factories import UserFactory
from aizuchi.billing import ledger, pricing
from aizuchi.billing.models import Charge, CommissionRate, Entry, Hold, Invoice
from aizuchi.billing.services import charges, holds
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.notifications.models import Notification
from aizuchi.relationships.selectors import relationship_for
from aizuchi.storefront.models import Offering

from .factories import OfferingFactory, fund, key, session_for, staff_user, wallet_yen

pytestmark = pytest.mark.django_db


def _hold(customer, offering, yen):
    return holds.hold_place(
        customer=customer, amount_yen=yen, provider=offering.provider, reference="t", key=key()
    )


def _balances(customer, provider):
    return {
        "wallet": ledger.balance_yen(ledger.wallet(customer)),
        "hold": ledger.balance_yen(ledger.hold_account(customer)),
        "receivable": ledger.balance_yen(ledger.receivable(customer)),
        "earnings": ledger.balance_yen(ledger.earnings(provider)),
        "commission": ledger.balance_yen(ledger.commission()),
    }


def test_a_prepaid_session_is_paid_from_its_hold_and_the_rest_goes_back(user):
    offering = OfferingFactory(price_per_minute=120)
    fund(user, 5000)
    hold = _hold(user, offering, 3000)
    assert wallet_yen(user) == 2000
    session = session_for(offering, user)
    charge = charges.session_charge(session=session, billable_seconds=10 * 60 + 5, hold=hold)
    # 11 started minutes at ¥120; 20 % commission
    assert (charge.amount_yen, charge.commission_yen, charge.provider_yen) == (1320, 264, 1056)
    assert _balances(user, offering.provider) == {
        "wallet": 5000 - 1320,
        "hold": 0,
        "receivable": 0,
        "earnings": 1056,
        "commission": 264,
    }
    hold.refresh_from_db()
    assert (hold.captured_yen, hold.released_yen, hold.status) == (1320, 1680, Hold.Status.CLOSED)
    # The charge is told to the pair's relationship row (the session's own charged_yen is
    # the live domain's to write, see live's meter tests).
    row = relationship_for(provider_id=offering.provider_id, customer_id=user.pk)
    assert (row.spent_yen, row.sessions_billed) == (1320, 1)
    assert not Invoice.objects.exists()


def test_a_session_is_charged_once_whatever_retries(user):
    offering = OfferingFactory()
    fund(user, 5000)
    hold = _hold(user, offering, 3000)
    session = session_for(offering, user)
    first = charges.session_charge(session=session, billable_seconds=600, hold=hold)
    again = charges.session_charge(session=session, billable_seconds=600, hold=hold)
    assert again.pk == first.pk
    assert Charge.objects.count() == 1
    assert Entry.objects.filter(kind=Entry.Kind.CHARGE).count() == 1
    assert wallet_yen(user) == 4000
    with pytest.raises(Conflict):  # a retry that claims another duration is a bug: refused
        charges.session_charge(session=session, billable_seconds=900, hold=hold)
    assert wallet_yen(user) == 4000


@pytest.mark.django_db(transaction=True)
def test_racing_charges_of_one_session_bill_once():
    customer = UserFactory()
    offering = OfferingFactory()
    fund(customer, 5000)
    hold = _hold(customer, offering, 5000)
    session = session_for(offering, customer)
    barrier = threading.Barrier(4)
    results, errors = [], []

    def charge():
        try:
            barrier.wait()
            results.append(
                charges.session_charge(session=session, billable_seconds=1200, hold=hold).pk
            )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=charge) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert wallet_yen(customer) == 5000 - 2000
    assert Entry.objects.filter(kind=Entry.Kind.CHARGE).count() == 1


def test_a_postpaid_first_session_gets_free_minutes_and_an_invoice_for_the_rest(user):
    offering = OfferingFactory(
        price_per_minute=100,
        payment=Offering.Payment.POSTPAID,
        first_free_minutes=30,
        first_session_cap_minutes=60,
    )
    first = charges.session_charge(session=session_for(offering, user), billable_seconds=75 * 60)
    assert (first.billed_seconds, first.free_seconds, first.amount_yen) == (3600, 1800, 3000)
    invoice = Invoice.objects.get(charge=first)
    assert (invoice.amount_yen, invoice.outstanding_yen, invoice.status) == (3000, 3000, "open")
    assert (invoice.due_at - invoice.issued_at).days == 7
    assert ledger.balance_yen(ledger.receivable(user)) == 3000
    assert Notification.objects.filter(user=user, kind="invoice_issued").exists()
    # the second session has no free part and no first-session cap
    second = charges.session_charge(session=session_for(offering, user), billable_seconds=75 * 60)
    assert (second.free_seconds, second.amount_yen) == (0, 7500)
    assert ledger.balance_yen(ledger.receivable(user)) == 10_500


def test_a_postpaid_charge_takes_nothing_from_a_hold_and_releases_it(user):
    """An invoice pays a postpaid session; a hold that came with it goes back whole (the
    ledger state machine found the hold account left at ¥1 when a hold was taken too)."""
    offering = OfferingFactory(price_per_minute=100, payment=Offering.Payment.POSTPAID)
    fund(user, 500)
    hold = _hold(user, offering, 300)
    charge = charges.session_charge(
        session=session_for(offering, user), billable_seconds=5 * 60, hold=hold
    )
    assert charge.amount_yen == 500
    assert _balances(user, offering.provider) | {"commission": 0} == {
        "wallet": 500,
        "hold": 0,
        "receivable": 500,
        "earnings": charge.provider_yen,
        "commission": 0,
    }
    hold.refresh_from_db()
    assert (hold.captured_yen, hold.released_yen, hold.status) == (0, 300, Hold.Status.CLOSED)
    assert Invoice.objects.get(charge=charge).outstanding_yen == 500


def test_a_free_session_is_recorded_with_nothing_to_pay(user):
    offering = OfferingFactory(first_free_minutes=30)
    fund(user, 1000)
    hold = _hold(user, offering, 1000)
    charge = charges.session_charge(
        session=session_for(offering, user), billable_seconds=20, hold=hold
    )
    assert charge.amount_yen == 0
    assert wallet_yen(user) == 1000
    assert not Entry.objects.filter(kind=Entry.Kind.CHARGE).exists()
    # it counts as the first session: the next one is charged from the first minute
    fund(user, 1000)
    hold = _hold(user, offering, 1000)
    second = charges.session_charge(
        session=session_for(offering, user), billable_seconds=20, hold=hold
    )
    assert second.amount_yen == 100


def test_what_the_points_do_not_cover_becomes_an_invoice_not_a_negative_balance(user):
    offering = OfferingFactory(price_per_minute=100)
    fund(user, 500)
    hold = _hold(user, offering, 300)
    charge = charges.session_charge(
        session=session_for(offering, user), billable_seconds=8 * 60, hold=hold
    )
    assert charge.amount_yen == 800
    assert wallet_yen(user) == 0
    invoice = Invoice.objects.get(charge=charge)
    assert invoice.amount_yen == 300
    assert ledger.balance_yen(ledger.receivable(user)) == 300


def test_the_commission_follows_the_providers_own_rate(user, settings):
    offering = OfferingFactory(price_per_minute=333, payment=Offering.Payment.POSTPAID)
    CommissionRate.objects.create(provider=offering.provider, rate_bp=1250)
    charge = charges.session_charge(session=session_for(offering, user), billable_seconds=60)
    assert (charge.commission_rate_bp, charge.commission_yen, charge.provider_yen) == (
        1250,
        41,
        292,
    )
    settings.AIZUCHI_BILLING = {**settings.AIZUCHI_BILLING, "COMMISSION_RATE_BP": 0}
    other = OfferingFactory(price_per_minute=333, payment=Offering.Payment.POSTPAID)
    solo = charges.session_charge(session=session_for(other, user), billable_seconds=60)
    assert (solo.commission_yen, solo.provider_yen) == (0, 333)


# --- refunds ------------------------------------------------------------------------------------


def test_a_refund_of_a_prepaid_charge_returns_points_and_takes_back_both_shares(user):
    offering = OfferingFactory(price_per_minute=100)
    fund(user, 2000)
    charge = charges.session_charge(
        session=session_for(offering, user),
        billable_seconds=10 * 60,
        hold=_hold(user, offering, 2000),
    )
    staff = staff_user()
    entry = charges.charge_refund(
        user=staff, charge_id=charge.pk, amount_yen=400, reason="通話が途切れた", key=key()
    )
    assert entry.reason == "通話が途切れた"
    assert entry.created_by == staff
    assert _balances(user, offering.provider) == {
        "wallet": 2000 - 1000 + 400,
        "hold": 0,
        "receivable": 0,
        "earnings": 800 - 320,
        "commission": 200 - 80,
    }
    charge.refresh_from_db()
    assert (charge.refunded_yen, charge.refunded_commission_yen) == (400, 80)
    with pytest.raises(InvalidInput):
        charges.charge_refund(
            user=staff, charge_id=charge.pk, amount_yen=601, reason="x", key=key()
        )
    charges.charge_refund(user=staff, charge_id=charge.pk, amount_yen=600, reason="残り", key=key())
    assert ledger.balance_yen(ledger.commission()) == 0
    assert ledger.balance_yen(ledger.earnings(offering.provider)) == 0
    with pytest.raises(Conflict):
        charges.charge_refund(user=staff, charge_id=charge.pk, amount_yen=1, reason="x", key=key())


def test_a_refund_of_an_unpaid_postpaid_charge_reduces_its_invoice_first(user):
    offering = OfferingFactory(price_per_minute=100, payment=Offering.Payment.POSTPAID)
    charge = charges.session_charge(session=session_for(offering, user), billable_seconds=600)
    charges.charge_refund(
        user=staff_user(), charge_id=charge.pk, amount_yen=1000, reason="全額返金", key=key()
    )
    invoice = Invoice.objects.get(charge=charge)
    assert (invoice.credited_yen, invoice.outstanding_yen, invoice.status) == (1000, 0, "paid")
    assert ledger.balance_yen(ledger.receivable(user)) == 0
    assert wallet_yen(user) == 0


def test_refunds_need_staff_and_a_reason(user):
    offering = OfferingFactory(payment=Offering.Payment.POSTPAID)
    charge = charges.session_charge(session=session_for(offering, user), billable_seconds=600)
    for person in (user, offering.provider.user):
        with pytest.raises(NotFound):
            charges.charge_refund(
                user=person, charge_id=charge.pk, amount_yen=100, reason="x", key=key()
            )
    with pytest.raises(InvalidInput) as refused:
        charges.charge_refund(
            user=staff_user(), charge_id=charge.pk, amount_yen=100, reason="  ", key=key()
        )
    assert list(refused.value.errors) == ["reason"]
    assert not Entry.objects.filter(kind=Entry.Kind.REFUND).exists()


# --- adjustments -------------------------------------------------------------------------------


def test_staff_adjust_points_and_earnings_with_a_reason(user):
    offering = OfferingFactory()
    staff = staff_user()
    charges.adjustment_post(
        user=staff, target="wallet", owner_id=user.pk, amount_yen=500, reason="お詫び", key=key()
    )
    charges.adjustment_post(
        user=staff,
        target="earnings",
        owner_id=str(offering.provider.pk),
        amount_yen="-200",
        reason="二重計上の訂正",
        key=key(),
    )
    assert wallet_yen(user) == 500
    assert ledger.balance_yen(ledger.earnings(offering.provider)) == -200
    assert ledger.balance_yen(ledger.promotions()) == 300


def test_an_adjustment_cannot_take_points_a_customer_does_not_have(user):
    fund(user, 500)
    with pytest.raises(ledger.InsufficientFunds):
        charges.adjustment_post(
            user=staff_user(),
            target="wallet",
            owner_id=user.pk,
            amount_yen=-501,
            reason="x",
            key=key(),
        )
    assert wallet_yen(user) == 500


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"target": "bank"}, "target"),
        ({"amount_yen": 0}, "amount_yen"),
        ({"amount_yen": "1,000"}, "amount_yen"),
        ({"amount_yen": 1_000_001}, "amount_yen"),
        ({"reason": ""}, "reason"),
        ({"owner_id": 999_999}, "owner_id"),
        ({"owner_id": "abc"}, "owner_id"),
    ],
)
def test_adjustment_input_errors_are_per_field(user, fields, bad):
    args = {"target": "wallet", "owner_id": user.pk, "amount_yen": 100, "reason": "訂正"}
    with pytest.raises(InvalidInput) as refused:
        charges.adjustment_post(user=staff_user(), key=key(), **{**args, **fields})
    assert bad in refused.value.errors
    assert not Entry.objects.exists()


def test_the_points_history_shows_a_session_as_its_charge_not_its_hold(user):
    from aizuchi.billing.selectors import wallet_history

    offering = OfferingFactory(price_per_minute=120)
    fund(user, 5000)
    hold = _hold(user, offering, 3000)
    assert [e.change_yen for e in wallet_history(customer=user)] == [5000]  # on hold: still yours
    charges.session_charge(
        session=session_for(offering, user), billable_seconds=10 * 60 + 5, hold=hold
    )
    lines = list(wallet_history(customer=user))
    assert [(e.kind, e.change_yen) for e in lines] == [("charge", -1320), ("purchase", 5000)]
    assert lines[0].charge.provider == offering.provider


def test_a_prepaid_session_charge_takes_few_round_trips(user, django_assert_max_num_queries):
    """The charge of a prepaid session from its hold, as the meter makes it (the pricing
    history kept with the session's terms): the operation's key claimed in one statement;
    the five accounts read in one query (the customer's and the provider's locked in it,
    in id order, the platform's commission account beside them); the hold captured and
    released in one update; the charge and the release posted together, two entries in
    three statements (the entries, their postings, the three cached balances in one
    update). 40 statements at first, 20 after the architecture step; 13 now (two of them
    the savepoint the operation keeps inside the meter's transaction)."""
    offering = OfferingFactory(price_per_minute=100)
    fund(user, 5000)
    charges.session_charge(session=session_for(offering, user), billable_seconds=60)
    hold = _hold(user, offering, 3000)
    session = session_for(offering, user)
    with django_assert_max_num_queries(13):
        charge = charges.session_charge(
            session=session,
            billable_seconds=605,
            hold=hold,
            history=pricing.History(earlier_sessions=1),
        )
    assert charge.amount_yen == 1100
    hold.refresh_from_db()
    assert (hold.captured_yen, hold.released_yen, hold.status) == (1100, 1900, "closed")
    # The trail keeps each movement: the hold, the charge taken from it, the rest released.
    trail = {
        entry.kind: sorted(entry.postings.values_list("amount_yen", flat=True))
        for entry in Entry.objects.filter(hold=hold)
    }
    assert trail == {"hold": [-3000, 3000], "charge": [-880, -220, 1100], "release": [-1900, 1900]}
    assert ledger.balance_cached_yen(ledger.wallet(user)) == ledger.balance_yen(ledger.wallet(user))
