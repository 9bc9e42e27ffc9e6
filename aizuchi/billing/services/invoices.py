"""Postpaid invoices: issued after a chargeable item, paid in part or whole, reminded.

An open invoice past its due date blocks the customer from new sessions with the
provider until it is settled (the access policy reads ``selectors.invoice_overdue_first``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, lazy_format
from aizuchi.core.idempotency import idempotent
from aizuchi.core.readers import as_read_by
from aizuchi.core.tasks import enqueue_on_commit, send_email
from aizuchi.notifications.services import notification_send

from .. import ledger
from ..models import Account, Charge, Entry, Invoice, InvoiceReminder
from ..selectors import invoice_get_for_customer
from .common import billing_setting, clean_yen

INVOICE_SETTLED = _("Nothing is left to pay on this invoice.")
ONLY_LEFT = _("Only ¥%(owed)s is left to pay on this invoice.")


def invoice_issue(*, charge: Charge, amount_yen: int) -> Invoice:
    """An invoice for what a charge left owing (all of a postpaid charge), due
    ``INVOICE_DUE_DAYS`` later. Call inside the charge's transaction."""
    now = timezone.now()
    invoice = Invoice.objects.create(
        customer=charge.customer,
        provider=charge.provider,
        charge=charge,
        amount_yen=amount_yen,
        issued_at=now,
        due_at=now + timedelta(days=billing_setting("INVOICE_DUE_DAYS")),
    )
    notification_send(
        user=charge.customer,
        kind="invoice_issued",
        params={
            "amount": invoice.amount_yen,
            "provider": charge.provider.display_name,
            "due": invoice.due_at.isoformat(),
        },
        url=reverse("billing:invoice", args=[invoice.pk]),
    )
    return invoice


def invoice_lock(invoice_id: int) -> Invoice:
    """The invoice's row, locked until the transaction ends and read afresh: what is still
    owed is decided on this copy, never on one read before the transaction."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer", "provider__user")
        .get(pk=invoice_id)
    )


def invoice_amount_to_pay(invoice: Invoice, amount_yen) -> int:
    """``amount_yen`` if it may be paid on the (locked) invoice now: ``Conflict`` when
    nothing is left to pay, a field error when it is more than is left."""
    if invoice.outstanding_yen <= 0:
        raise Conflict(INVOICE_SETTLED)
    return clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=invoice.outstanding_yen)


def invoice_receive(
    *,
    invoice: Invoice,
    amount_yen: int,
    source: Account,
    kind: str,
    created_by=None,
    excess_to_points: bool = False,
    **about,
) -> Entry:
    """Apply money from ``source`` to the invoice, under the invoice's row lock.

    More than is still owed is refused, unless ``excess_to_points``: money the platform
    received through a gateway (a payment settling after another one, or after a
    refund, paid the invoice) is never lost, and what the invoice no longer needs
    becomes the customer's points. Money a provider was handed (cash) never does."""
    with transaction.atomic():
        locked = invoice_lock(invoice.pk)
        owed = locked.outstanding_yen
        if amount_yen > owed and not excess_to_points:
            raise Conflict(
                INVOICE_SETTLED if owed <= 0 else lazy_format(ONLY_LEFT, owed=f"{owed:,}")
            )
        applied = min(amount_yen, owed)
        legs = [ledger.debit(source, amount_yen)]
        if applied:
            legs.append(ledger.credit(ledger.receivable(locked.customer), applied))
        if amount_yen > applied:
            legs.append(ledger.credit(ledger.wallet(locked.customer), amount_yen - applied))
        entry = ledger.entry_post(
            kind=kind, legs=legs, created_by=created_by, invoice=locked, **about
        )
        locked.paid_yen += applied
        if locked.outstanding_yen == 0 and locked.status == Invoice.Status.OPEN:
            locked.status = Invoice.Status.PAID
            locked.paid_at = timezone.now()
        locked.save(update_fields=["paid_yen", "status", "paid_at"])
        invoice.paid_yen, invoice.status, invoice.paid_at = (
            locked.paid_yen,
            locked.status,
            locked.paid_at,
        )
        if applied:
            notification_send(
                user=locked.provider.user,
                kind="invoice_paid",
                params={
                    "amount": applied,
                    "customer": str(locked.customer.public_name),
                    "settled": locked.status == Invoice.Status.PAID,
                },
                url=reverse("billing:earnings"),
            )
    return entry


def invoice_pay_from_points(*, customer, invoice_id: int, amount_yen, key: str) -> Entry:
    """Pay (part of) an invoice with the customer's points."""
    invoice = invoice_get_for_customer(customer=customer, invoice_id=invoice_id)

    def pay() -> Entry:
        # Decided on the invoice as it is now, locked, inside the operation's transaction:
        # a retry of the payment that settled the invoice gets that payment back, and a
        # payment racing it hears "nothing left to pay".
        locked = invoice_lock(invoice.pk)
        return invoice_receive(
            invoice=locked,
            amount_yen=invoice_amount_to_pay(locked, amount_yen),
            source=ledger.wallet(customer),
            kind=Entry.Kind.INVOICE_PAYMENT,
            created_by=customer,
        )

    return idempotent(
        key=f"user:{customer.pk}:{key}",
        name="invoice_pay_from_points",
        params={"invoice": invoice.pk, "amount_yen": str(amount_yen).strip()},
        perform=pay,
    )


# --- reminders -----------------------------------------------------------------------------


def _reminder_due(invoice: Invoice, now: datetime) -> str | None:
    """The latest reminder the invoice has reached by ``now`` (None: none yet)."""
    if now >= invoice.due_at + billing_setting("REMINDER_OVERDUE_WEEK_AFTER"):
        return InvoiceReminder.Kind.OVERDUE_WEEK
    if now >= invoice.due_at + billing_setting("REMINDER_OVERDUE_AFTER"):
        return InvoiceReminder.Kind.OVERDUE
    if now >= invoice.due_at - billing_setting("REMINDER_BEFORE_DUE"):
        return InvoiceReminder.Kind.BEFORE_DUE
    return None


def _remind(invoice: Invoice, kind: str) -> bool:
    """Record and send one reminder; False when it was already sent."""
    try:
        with transaction.atomic():
            InvoiceReminder.objects.create(invoice=invoice, kind=kind)
            customer = invoice.customer
            url = reverse("billing:invoice", args=[invoice.pk])
            params = {
                "amount": invoice.outstanding_yen,
                "provider": invoice.provider.display_name,
                "due": invoice.due_at.isoformat(),
            }
            notification_kind = (
                "invoice_due_soon" if kind == InvoiceReminder.Kind.BEFORE_DUE else "invoice_overdue"
            )
            notification_send(user=customer, kind=notification_kind, params=params, url=url)
            with as_read_by(customer):
                subject = render_to_string(
                    "billing/email/invoice_reminder_subject.txt",
                    {"invoice": invoice, "kind": kind},
                ).strip()
                body = render_to_string(
                    "billing/email/invoice_reminder.txt",
                    {
                        "invoice": invoice,
                        "kind": kind,
                        "customer": customer,
                        "url": url,
                        "site_url": settings.AIZUCHI_SITE_URL,
                    },
                )
            enqueue_on_commit(send_email, subject=subject, body=body, to=[customer.email])
    except IntegrityError:
        return False
    return True


def invoice_reminders_send(*, now: datetime | None = None) -> int:
    """Send every reminder that is due and not yet sent. Safe to run any number of times:
    each (invoice, kind) is recorded once. Returns how many were sent."""
    now = now or timezone.now()
    horizon = now + billing_setting("REMINDER_BEFORE_DUE")
    sent = 0
    open_invoices = (
        Invoice.objects.filter(status=Invoice.Status.OPEN, due_at__lte=horizon)
        .select_related("customer", "provider")
        .prefetch_related("reminders")
        .order_by("due_at", "pk")
    )
    for invoice in open_invoices.iterator(chunk_size=500):
        kind = _reminder_due(invoice, now)
        if kind is None or kind in {r.kind for r in invoice.reminders.all()}:
            continue
        sent += _remind(invoice, kind)
    return sent
