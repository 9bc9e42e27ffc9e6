"""Money coming in: points bought and invoices paid, through a gateway.

A payment starts ``pending`` and is settled exactly once: the status moves from pending
to succeeded in one conditional update, and only the caller whose update changed the row
posts the ledger entry. Settling comes from a gateway's verified callback (hosted
checkouts) or from a person confirming receipt (the manual gateway: staff for anything,
a provider for their own invoices).
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, NotFound
from aizuchi.core.idempotency import idempotent
from aizuchi.notifications.services import notification_send

from .. import gateways, ledger
from ..models import Entry, Invoice, Payment
from ..selectors import (
    INVOICE_NOT_FOUND,
    PAYMENT_NOT_FOUND,
    invoice_get_for_customer,
    payment_get_for_customer,
)
from . import invoices
from .common import billing_setting, clean_yen

UNKNOWN_GATEWAY = _("Choose how you will pay.")
PAYMENT_CLOSED = _("This payment is already closed.")
NOT_MANUAL = _("Only bank transfers and cash are confirmed by hand.")
CALLBACK_INVALID = _("The payment service's message could not be verified.")


def _gateway(code: str) -> gateways.Gateway:
    gateway = gateways.get(code or "")
    if gateway is None:
        raise InvalidInput({"gateway": [UNKNOWN_GATEWAY]})
    return gateway


def _create(**fields) -> Payment:
    return Payment.objects.create(token=secrets.token_urlsafe(32), **fields)


def points_purchase_start(*, customer, amount_yen, gateway_code: str, key: str) -> Payment:
    """Start buying points. The wallet is credited when the payment is settled."""
    amount = clean_yen(
        amount_yen,
        field="amount_yen",
        minimum=billing_setting("POINTS_MIN_YEN"),
        maximum=billing_setting("POINTS_MAX_YEN"),
    )
    gateway = _gateway(gateway_code)
    return idempotent(
        key=f"user:{customer.pk}:{key}",
        name="points_purchase",
        params={"amount_yen": amount, "gateway": gateway.code},
        perform=lambda: _create(
            customer=customer,
            purpose=Payment.Purpose.POINTS,
            amount_yen=amount,
            gateway=gateway.code,
        ),
    )


def invoice_payment_start(
    *, customer, invoice_id: int, amount_yen, gateway_code: str, key: str
) -> Payment:
    """Start paying (part of) an invoice through a gateway."""
    invoice = invoice_get_for_customer(customer=customer, invoice_id=invoice_id)
    amount = invoices.invoice_amount_to_pay(invoice, amount_yen)
    gateway = _gateway(gateway_code)

    def start() -> Payment:
        # Checked again on the invoice as it is now: paid with points meanwhile, it is
        # "nothing left to pay", not a payment that would only become points.
        locked = invoices.invoice_lock(invoice.pk)
        return _create(
            customer=customer,
            purpose=Payment.Purpose.INVOICE,
            invoice=locked,
            amount_yen=invoices.invoice_amount_to_pay(locked, amount),
            gateway=gateway.code,
        )

    return idempotent(
        key=f"user:{customer.pk}:{key}",
        name="invoice_payment",
        params={"invoice": invoice.pk, "amount_yen": amount, "gateway": gateway.code},
        perform=start,
    )


def payment_settle(
    *, payment: Payment, settled_by=None, external_ref: str = "", excess_to_points: bool = True
) -> Payment:
    """Money arrived: credit the wallet or the invoice. Once, however often it is called.

    Money the platform received that an invoice no longer needs (another payment settled
    it first) becomes points; with ``excess_to_points`` False (the provider was handed
    the money) such a payment is refused and stays pending."""
    with transaction.atomic():
        changed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.SUCCEEDED,
            settled_at=timezone.now(),
            settled_by=settled_by,
            external_ref=external_ref[:100],
        )
        payment.refresh_from_db()
        if not changed:
            if payment.status == Payment.Status.SUCCEEDED:
                return payment
            raise Conflict(PAYMENT_CLOSED)
        clearing = ledger.gateway_clearing(payment.gateway)
        if payment.purpose == Payment.Purpose.POINTS:
            ledger.entry_post(
                kind=Entry.Kind.PURCHASE,
                legs=[
                    ledger.debit(clearing, payment.amount_yen),
                    ledger.credit(ledger.wallet(payment.customer), payment.amount_yen),
                ],
                payment=payment,
                created_by=settled_by,
            )
            notification_send(
                user=payment.customer,
                kind="points_added",
                params={"amount": payment.amount_yen},
                url=reverse("billing:wallet"),
            )
        else:
            assert payment.invoice is not None  # noqa: S101 - an invoice payment has one
            invoices.invoice_receive(
                invoice=payment.invoice,
                amount_yen=payment.amount_yen,
                source=clearing,
                kind=Entry.Kind.INVOICE_PAYMENT,
                created_by=settled_by,
                payment=payment,
                excess_to_points=excess_to_points,
            )
    return payment


def _close(payment: Payment, status: str, *, by=None) -> Payment:
    with transaction.atomic():
        changed = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=status, settled_at=timezone.now(), settled_by=by
        )
        payment.refresh_from_db()
        if not changed and payment.status != status:
            raise Conflict(PAYMENT_CLOSED)
    return payment


def payment_cancel(*, customer, payment_id: int) -> Payment:
    """The customer gives up a payment they have not made yet."""
    return _close(payment_get_for_customer(customer=customer, payment_id=payment_id), "cancelled")


def _payment_confirmable_by(user, payment_id: int) -> Payment:
    """A pending or settled manual payment this person may confirm or refuse.

    Staff may confirm any; a provider only payments of invoices of theirs.
    """
    payments = Payment.objects.select_related("invoice__provider", "customer")
    if not user.is_staff:
        payments = payments.filter(invoice__provider__user=user)
    payment = payments.filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(PAYMENT_NOT_FOUND)
    gateway = gateways.BUILT_IN.get(payment.gateway)
    if gateway is None or not gateway.confirmed_by_people:
        raise Conflict(NOT_MANUAL)
    return payment


def payment_confirm(*, user, payment_id: int) -> Payment:
    """A person confirms that a bank transfer or cash payment arrived. Staff confirm money
    the platform received; a provider confirms money they were handed, which never pays
    more than the invoice still asks."""
    return payment_settle(
        payment=_payment_confirmable_by(user, payment_id),
        settled_by=user,
        excess_to_points=user.is_staff,
    )


def payment_refuse(*, user, payment_id: int) -> Payment:
    """A person says a manual payment never arrived; it is closed as failed."""
    return _close(_payment_confirmable_by(user, payment_id), "failed", by=user)


def payment_callback(*, gateway_code: str, request) -> Payment:
    """A gateway's callback: verify its signature, then settle or fail the payment."""
    gateway = gateways.get(gateway_code)
    result = gateway.verify_callback(request) if gateway else None
    if gateway is None or result is None:
        raise InvalidInput({"signature": [CALLBACK_INVALID]})
    payment = Payment.objects.filter(token=result.token, gateway=gateway.code).first()
    if payment is None:
        raise NotFound(PAYMENT_NOT_FOUND)
    if result.succeeded:
        return payment_settle(payment=payment, external_ref=result.external_ref)
    return _close(payment, "failed")


def invoice_cash_received(
    *, user, invoice_id: int, amount_yen, note: str = "", key: str
) -> Payment:
    """The provider (or staff) records money received outside the platform for an invoice.
    Once per ``key``: a double click records the money once."""
    qs = Invoice.objects.select_related("customer", "provider")
    if not user.is_staff:
        qs = qs.filter(provider__user=user)
    invoice = qs.filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(INVOICE_NOT_FOUND)
    note = (note or "").strip()[:200]

    def record() -> Payment:
        # Decided on the invoice as it is now, locked until the payment is recorded: ten
        # records at once never add up to more than was owed.
        locked = invoices.invoice_lock(invoice.pk)
        payment = _create(
            customer=locked.customer,
            purpose=Payment.Purpose.INVOICE,
            invoice=locked,
            amount_yen=invoices.invoice_amount_to_pay(locked, amount_yen),
            gateway=gateways.ManualGateway.code,
            note=note,
        )
        return payment_settle(payment=payment, settled_by=user, excess_to_points=False)

    return idempotent(
        key=f"user:{user.pk}:{key}",
        name="invoice_cash_received",
        params={"invoice": invoice.pk, "amount_yen": str(amount_yen).strip(), "note": note},
        perform=record,
    )
