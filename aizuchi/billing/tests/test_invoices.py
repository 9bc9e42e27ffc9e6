"""Postpaid invoices: paying in part and in full, cash recorded by the provider, reminders
sent once each, and the overdue block."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone, translation

from aizuchi.billing import ledger, selectors
from aizuchi.billing.models import Entry, Invoice, InvoiceReminder, Payment
from aizuchi.billing.services import charges, invoices, payments
from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.notifications.models import Notification
from aizuchi.storefront.models import Offering

from .factories import OfferingFactory, fund, key, session_for, staff_user, wallet_yen

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory(price_per_minute=100, payment=Offering.Payment.POSTPAID)


def _invoice(customer, offering, minutes=30) -> Invoice:
    charge = charges.session_charge(
        session=session_for(offering, customer), billable_seconds=minutes * 60
    )
    return Invoice.objects.get(charge=charge)


def test_paying_with_points_in_two_parts(user, offering):
    invoice = _invoice(user, offering)  # ¥3,000
    fund(user, 5000)
    invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=1000, key=key()
    )
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.outstanding_yen, invoice.status) == (1000, 2000, "open")
    invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=2000, key=key()
    )
    invoice.refresh_from_db()
    assert (invoice.outstanding_yen, invoice.status) == (0, "paid")
    assert invoice.paid_at is not None
    assert wallet_yen(user) == 2000
    assert ledger.balance_yen(ledger.receivable(user)) == 0
    assert (
        Notification.objects.filter(user=offering.provider.user, kind="invoice_paid").count() == 2
    )
    with pytest.raises(Conflict):
        invoices.invoice_pay_from_points(
            customer=user, invoice_id=invoice.pk, amount_yen=1, key=key()
        )


def test_paying_more_than_is_owed_or_more_than_one_has_is_refused(user, offering):
    invoice = _invoice(user, offering)
    fund(user, 1000)
    with pytest.raises(InvalidInput) as too_much:
        invoices.invoice_pay_from_points(
            customer=user, invoice_id=invoice.pk, amount_yen=3001, key=key()
        )
    assert "3,000円" in str(too_much.value.errors["amount_yen"][0])
    with pytest.raises(ledger.InsufficientFunds):
        invoices.invoice_pay_from_points(
            customer=user, invoice_id=invoice.pk, amount_yen=2000, key=key()
        )
    invoice.refresh_from_db()
    assert invoice.paid_yen == 0
    assert wallet_yen(user) == 1000


def test_no_one_else_can_pay_or_see_an_invoice(user, other_user, offering):
    invoice = _invoice(user, offering)
    fund(other_user, 5000)
    with pytest.raises(NotFound):
        invoices.invoice_pay_from_points(
            customer=other_user, invoice_id=invoice.pk, amount_yen=100, key=key()
        )
    with pytest.raises(NotFound):
        selectors.invoice_get_for_customer(customer=other_user, invoice_id=invoice.pk)
    assert wallet_yen(other_user) == 5000


def test_a_bank_transfer_for_an_invoice_is_confirmed_by_its_provider(user, offering):
    invoice = _invoice(user, offering)
    payment = payments.invoice_payment_start(
        customer=user, invoice_id=invoice.pk, amount_yen=3000, gateway_code="manual", key=key()
    )
    other_provider = OfferingFactory().provider
    with pytest.raises(NotFound):
        payments.payment_confirm(user=other_provider.user, payment_id=payment.pk)
    payments.payment_confirm(user=offering.provider.user, payment_id=payment.pk)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert ledger.balance_yen(ledger.gateway_clearing("manual")) == 3000


def test_the_provider_records_cash_received_for_their_own_invoices_only(user, offering):
    invoice = _invoice(user, offering)
    with pytest.raises(NotFound):
        payments.invoice_cash_received(
            user=OfferingFactory().provider.user,
            invoice_id=invoice.pk,
            amount_yen=3000,
            key=key(),
        )
    with pytest.raises(InvalidInput):
        payments.invoice_cash_received(
            user=offering.provider.user, invoice_id=invoice.pk, amount_yen=3001, key=key()
        )
    payment = payments.invoice_cash_received(
        user=offering.provider.user,
        invoice_id=invoice.pk,
        amount_yen=3000,
        note="手渡し",
        key=key(),
    )
    assert (payment.status, payment.settled_by, payment.note) == (
        "succeeded",
        offering.provider.user,
        "手渡し",
    )
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def test_a_payment_that_arrives_after_the_invoice_was_settled_becomes_points(user, offering):
    invoice = _invoice(user, offering)
    late = payments.invoice_payment_start(
        customer=user, invoice_id=invoice.pk, amount_yen=3000, gateway_code="manual", key=key()
    )
    fund(user, 3000)
    invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=3000, key=key()
    )
    payments.payment_confirm(user=staff_user(), payment_id=late.pk)
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (3000, "paid")
    assert wallet_yen(user) == 3000  # the transfer was not lost
    assert Payment.objects.get(pk=late.pk).status == "succeeded"


def test_money_a_provider_was_handed_never_pays_more_than_is_owed(user, offering):
    """A provider's confirmation or cash record is decided on what is owed now: beyond
    it nothing is recorded (it would become points the platform never received)."""
    invoice = _invoice(user, offering)  # ¥3,000
    transfers = [
        payments.invoice_payment_start(
            customer=user, invoice_id=invoice.pk, amount_yen=2000, gateway_code="manual", key=key()
        )
        for _ in range(2)
    ]
    provider = offering.provider.user
    payments.payment_confirm(user=provider, payment_id=transfers[0].pk)
    with pytest.raises(Conflict) as refused:
        payments.payment_confirm(user=provider, payment_id=transfers[1].pk)
    with translation.override("en"):
        assert str(refused.value.message) == "Only ¥1,000 is left to pay on this invoice."
    assert Payment.objects.get(pk=transfers[1].pk).status == "pending"  # staff may still
    with pytest.raises(InvalidInput) as too_much:
        payments.invoice_cash_received(
            user=provider, invoice_id=invoice.pk, amount_yen=1001, key=key()
        )
    with translation.override("en"):
        assert [str(e) for e in too_much.value.errors["amount_yen"]] == [
            "Enter a whole number of yen from ¥1 to ¥1,000."
        ]
    payments.invoice_cash_received(user=provider, invoice_id=invoice.pk, amount_yen=1000, key=key())
    with pytest.raises(Conflict) as settled:
        payments.invoice_cash_received(
            user=provider, invoice_id=invoice.pk, amount_yen=1, key=key()
        )
    assert settled.value.message == invoices.INVOICE_SETTLED
    invoice.refresh_from_db()
    assert (invoice.paid_yen, invoice.status) == (3000, "paid")
    assert wallet_yen(user) == 0
    assert ledger.balance_yen(ledger.gateway_clearing("manual")) == 3000


# --- reminders ---------------------------------------------------------------------------------


def test_each_reminder_is_sent_once_at_its_time(
    user, offering, settings, django_capture_on_commit_callbacks
):
    settings.AIZUCHI_SITE_URL = "https://aizuchi.example"
    with time_machine.travel("2026-03-01 10:00 +0900", tick=False):
        invoice = _invoice(user, offering)  # due 2026-03-08 10:00 JST
    due = invoice.due_at

    def run(at):
        with (
            time_machine.travel(at, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return invoices.invoice_reminders_send()

    assert run(due - timedelta(days=3)) == 0
    assert run(due - timedelta(days=1)) == 1
    assert run(due - timedelta(hours=20)) == 0  # already sent
    assert run(due + timedelta(minutes=30)) == 0
    assert run(due + timedelta(hours=2)) == 1
    assert run(due + timedelta(days=2)) == 0
    assert run(due + timedelta(days=8)) == 1
    assert run(due + timedelta(days=30)) == 0
    kinds = list(InvoiceReminder.objects.order_by("sent_at").values_list("kind", flat=True))
    assert kinds == ["before_due", "overdue", "overdue_week"]
    assert [m.to for m in mail.outbox] == [[user.email]] * 3
    first = mail.outbox[0]
    assert invoice.number in first.subject
    assert f"https://aizuchi.example/billing/invoices/{invoice.pk}/" in first.body
    notes = Notification.objects.filter(user=user).values_list("kind", flat=True)
    assert list(notes).count("invoice_overdue") == 2


def test_reminders_speak_the_customers_language(user, offering, django_capture_on_commit_callbacks):
    user.language = "ja"
    user.save()
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        _invoice(user, offering)
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices.invoice_reminders_send() == 1
    assert "お支払い" in mail.outbox[0].body


def test_paid_invoices_get_no_reminders(user, offering):
    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        invoice = _invoice(user, offering)
    fund(user, 3000)
    invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=3000, key=key()
    )
    assert invoices.invoice_reminders_send() == 0
    assert mail.outbox == []


def test_the_reminder_task_runs_through_django_tasks(user, offering):
    from aizuchi.billing.tasks import invoice_reminders_task

    with time_machine.travel(timezone.now() - timedelta(days=8), tick=False):
        _invoice(user, offering)
    result = invoice_reminders_task.enqueue()
    assert result.return_value == 1


def test_entries_of_an_invoice_payment_name_the_invoice(user, offering):
    invoice = _invoice(user, offering)
    fund(user, 3000)
    entry = invoices.invoice_pay_from_points(
        customer=user, invoice_id=invoice.pk, amount_yen=3000, key=key()
    )
    assert entry.kind == Entry.Kind.INVOICE_PAYMENT
    assert entry.invoice_id == invoice.pk
