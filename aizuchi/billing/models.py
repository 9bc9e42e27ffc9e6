"""Every yen in Aizuchi: a double-entry ledger and the records that explain its entries.

The ledger is three tables. An ``Account`` belongs to a customer (wallet, hold,
receivable), a provider (earnings, payout pending) or the platform (commission, one
clearing account per payment gateway, promotions). An ``Entry`` is one movement of money;
its ``Posting`` rows say how much each account moved, debit positive and credit negative,
and they sum to zero. ``aizuchi.billing.ledger.entry_post`` is the only code that writes
entries and postings; nothing updates or deletes them (a correction is a new entry).

The other models say *why* money moved, for people asking "why was I charged?":
a ``Charge`` for a session, an ``Invoice`` for postpaid charges, a ``Payment`` through a
gateway, a ``Hold`` on a wallet, a ``PayoutRequest``. Every externally triggered
operation is recorded once under its idempotency key (``core.idempotency``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.storefront.models import Offering


class AccountKind(models.TextChoices):
    WALLET = "wallet", _("points")
    HOLD = "hold", _("points on hold")
    RECEIVABLE = "receivable", _("amount owed")
    EARNINGS = "earnings", _("earnings")
    PAYOUT_PENDING = "payout_pending", _("payouts in progress")
    COMMISSION = "commission", _("platform commission")
    GATEWAY = "gateway", _("payment gateway clearing")
    PROMOTIONS = "promotions", _("promotions and adjustments")


# Asset and expense accounts grow with debits; the rest (what the platform owes, and its
# revenue) grow with credits. ``Account.balance_yen`` is kept in the normal direction.
DEBIT_NORMAL_KINDS = (AccountKind.RECEIVABLE, AccountKind.GATEWAY, AccountKind.PROMOTIONS)
CUSTOMER_KINDS = (AccountKind.WALLET, AccountKind.HOLD, AccountKind.RECEIVABLE)
PROVIDER_KINDS = (AccountKind.EARNINGS, AccountKind.PAYOUT_PENDING)
PLATFORM_KINDS = (AccountKind.COMMISSION, AccountKind.GATEWAY, AccountKind.PROMOTIONS)
# A balance below zero here would be money nobody has; the database refuses it.
NON_NEGATIVE_KINDS = (AccountKind.WALLET, AccountKind.HOLD, AccountKind.PAYOUT_PENDING)


class Account(models.Model):
    Kind = AccountKind

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_accounts",
    )
    provider = models.ForeignKey(
        "storefront.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="billing_accounts",
    )
    gateway = models.CharField(max_length=20, blank=True)
    # Cached sum of the postings in the normal direction; written only by ledger.entry_post,
    # in the same transaction as the postings, and checked against the sum by the tests.
    # Not kept for the platform's accounts (commission, clearing, promotions): every charge
    # touches them, and one cached row would make every charge wait for the one before
    # (bench/billing.py measured it). Their balance is the sum of their postings.
    balance_yen = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "user"],
                condition=Q(user__isnull=False),
                name="billing_account_one_per_customer",
            ),
            models.UniqueConstraint(
                fields=["kind", "provider"],
                condition=Q(provider__isnull=False),
                name="billing_account_one_per_provider",
            ),
            models.UniqueConstraint(
                fields=["kind", "gateway"],
                condition=Q(user__isnull=True, provider__isnull=True),
                name="billing_account_one_per_platform_kind",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=CUSTOMER_KINDS, user__isnull=False, provider__isnull=True)
                    | Q(kind__in=PROVIDER_KINDS, user__isnull=True, provider__isnull=False)
                    | Q(kind__in=PLATFORM_KINDS, user__isnull=True, provider__isnull=True)
                ),
                name="billing_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.GATEWAY) | Q(gateway=""),
                name="billing_account_gateway_only_for_clearing",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=NON_NEGATIVE_KINDS) | Q(balance_yen__gte=0),
                name="billing_account_non_negative",
            ),
        ]

    def __str__(self) -> str:
        owner = self.user_id or self.provider_id or self.gateway or "platform"
        return f"{self.kind}:{owner}"

    @property
    def sign(self) -> int:
        """+1 when debits raise the balance, -1 when credits do."""
        return 1 if self.kind in DEBIT_NORMAL_KINDS else -1


class Entry(models.Model):
    """One movement of money: its postings sum to zero. Never changed once written."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", _("points bought")
        HOLD = "hold", _("points put on hold")
        RELEASE = "release", _("hold released")
        CHARGE = "charge", _("session charge")
        INVOICE_PAYMENT = "invoice_payment", _("invoice payment")
        REFUND = "refund", _("refund")
        ADJUSTMENT = "adjustment", _("adjustment")
        PAYOUT_REQUEST = "payout_request", _("payout requested")
        PAYOUT_PAID = "payout_paid", _("payout sent")
        PAYOUT_RETURNED = "payout_returned", _("payout returned")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Why a person made this entry (refunds, adjustments); empty for automatic ones.
    reason = models.CharField(max_length=500, blank=True)
    # What the entry is about; at most a few are set.
    charge = models.ForeignKey(
        "Charge", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    payment = models.ForeignKey(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    hold = models.ForeignKey(
        "Hold", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    invoice = models.ForeignKey(
        "Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    payout = models.ForeignKey(
        "PayoutRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"entry {self.pk} {self.kind}"


class Posting(models.Model):
    """One account's side of an entry: debit positive, credit negative, never zero."""

    # Both served by the indexes below (entry, account) and (account, created_at, amount).
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="postings", db_index=False
    )
    amount_yen = models.BigIntegerField()
    # The entry's time, copied so statements can read an account's postings by period.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["account", "created_at", "amount_yen"], name="billing_posting_account"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_yen=0), name="billing_posting_not_zero"),
            models.UniqueConstraint(
                fields=["entry", "account"], name="billing_posting_one_per_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_yen:+d}"


class Payment(models.Model):
    """Money coming in through a gateway: points bought, or an invoice paid."""

    class Purpose(models.TextChoices):
        POINTS = "points", _("points")
        INVOICE = "invoice", _("invoice")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        SUCCEEDED = "succeeded", _("received")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    invoice = models.ForeignKey(
        "Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount_yen = models.PositiveIntegerField()
    gateway = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # A token for links the gateway calls back with (hosted checkout), never guessable.
    token = models.CharField(max_length=43, unique=True)
    external_ref = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="billing_payment_customer"),
            models.Index(fields=["status", "gateway"], name="billing_payment_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_yen__gte=1), name="billing_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(purpose="points", invoice__isnull=True)
                | Q(purpose="invoice", invoice__isnull=False),
                name="billing_payment_invoice_iff_invoice_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ¥{self.amount_yen} {self.status}"


class Hold(models.Model):
    """Points reserved on a wallet, like a card authorisation: captured in part, the rest
    released. ``captured_yen + released_yen`` never exceeds ``amount_yen``; a closed hold
    has nothing left."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="holds"
    )
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount_yen = models.PositiveIntegerField()
    captured_yen = models.PositiveIntegerField(default=0)
    released_yen = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    reference = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(captured_yen__lte=F("amount_yen") - F("released_yen")),
                name="billing_hold_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(captured_yen=F("amount_yen") - F("released_yen")),
                name="billing_hold_closed_is_settled",
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} ¥{self.amount_yen}"

    @property
    def remaining_yen(self) -> int:
        return self.amount_yen - self.captured_yen - self.released_yen


class Charge(models.Model):
    """What a customer was charged for one chargeable item (a session, a booking's fee), and why.

    ``policy`` and ``lines`` keep the terms and the worked-out line items as they were
    applied, so the charge can be explained later whatever the provider changes since.
    A session is charged at most once (a unique constraint).
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="charges"
    )
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="charges"
    )
    # What was charged for, by reference (billing sits below the live, booking and
    # messaging domains): a session (``live.Session``), a fee for a reservation not kept
    # (``booking.Booking``, cancelled late or nobody came), or a paid message
    # (``messaging.Message``).
    session_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    booking_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    message_id = models.PositiveBigIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)
    payment = models.CharField(max_length=10, choices=Offering.Payment.choices)
    billable_seconds = models.PositiveIntegerField()
    billed_seconds = models.PositiveIntegerField()
    free_seconds = models.PositiveIntegerField()
    amount_yen = models.PositiveIntegerField()
    commission_rate_bp = models.PositiveIntegerField()
    commission_yen = models.PositiveIntegerField()
    provider_yen = models.PositiveIntegerField()
    refunded_yen = models.PositiveIntegerField(default=0)
    refunded_commission_yen = models.PositiveIntegerField(default=0)
    policy = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="billing_charge_customer"),
            models.Index(fields=["provider", "-created_at"], name="billing_charge_provider"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session_id"],
                condition=Q(session_id__isnull=False),
                name="billing_charge_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["booking_id"],
                condition=Q(booking_id__isnull=False),
                name="billing_charge_once_per_booking",
            ),
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(message_id__isnull=False),
                name="billing_charge_once_per_message",
            ),
            models.CheckConstraint(
                condition=Q(amount_yen=F("commission_yen") + F("provider_yen")),
                name="billing_charge_split_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_yen__lte=F("amount_yen"))
                & Q(refunded_commission_yen__lte=F("commission_yen")),
                name="billing_charge_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(free_seconds__lte=F("billed_seconds"))
                & Q(billed_seconds__lte=F("billable_seconds")),
                name="billing_charge_seconds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk} ¥{self.amount_yen}"


class Invoice(models.Model):
    """A postpaid charge to be paid by its due date. Past due and unpaid, it blocks the
    customer from new sessions with the provider (the access policy)."""

    class Status(models.TextChoices):
        OPEN = "open", _("unpaid")
        PAID = "paid", _("paid")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="invoices"
    )
    charge = models.OneToOneField(
        Charge, on_delete=models.PROTECT, null=True, blank=True, related_name="invoice"
    )
    amount_yen = models.PositiveIntegerField()
    paid_yen = models.PositiveIntegerField(default=0)
    # Taken off by refunds before it was paid.
    credited_yen = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    issued_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(
                fields=["customer", "provider", "due_at"],
                condition=Q(status="open"),
                name="billing_invoice_open_pair",
            ),
            models.Index(fields=["status", "due_at"], name="billing_invoice_due"),
            models.Index(fields=["provider", "-issued_at"], name="billing_invoice_provider"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_yen__lte=F("amount_yen") - F("credited_yen")),
                name="billing_invoice_not_overpaid",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_yen=F("amount_yen") - F("credited_yen")),
                name="billing_invoice_paid_is_settled",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gte=F("issued_at")), name="billing_invoice_due_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return f"invoice {self.number}"

    @property
    def number(self) -> str:
        return f"INV-{self.issued_at:%Y%m}-{self.pk:06d}"

    @property
    def outstanding_yen(self) -> int:
        return self.amount_yen - self.paid_yen - self.credited_yen

    def is_overdue(self, now=None) -> bool:
        return self.status == self.Status.OPEN and self.due_at <= (now or timezone.now())


class InvoiceReminder(models.Model):
    """A reminder sent for an invoice; one of each kind, whatever reruns the job."""

    class Kind(models.TextChoices):
        BEFORE_DUE = "before_due", _("before the due date")
        OVERDUE = "overdue", _("overdue")
        OVERDUE_WEEK = "overdue_week", _("a week overdue")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice", "sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "kind"], name="billing_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} {self.kind}"


class PayoutAccount(models.Model):
    """Where a provider's payouts are sent: a bank account in Japan, which staff see when
    they decide a payout request."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("ordinary account (普通)")
        CURRENT = "current", _("current account (当座)")

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, related_name="payout_account"
    )
    bank_name = models.CharField(_("bank"), max_length=60)
    branch_name = models.CharField(_("branch"), max_length=60)
    kind = models.CharField(_("account type"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("account number"), max_length=7)
    holder = models.CharField(_("account holder (katakana)"), max_length=60)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")

    def __str__(self) -> str:
        return f"{self.bank_name} {self.branch_name} {self.number}"


class PayoutRequest(models.Model):
    """A provider asks for their earnings; staff approve, then record the transfer."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        PAID = "paid", _("paid")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", _("cancelled")

    provider = models.ForeignKey(
        "storefront.Provider", on_delete=models.PROTECT, related_name="payout_requests"
    )
    amount_yen = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(_("transfer reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("payout request")
        verbose_name_plural = _("payout requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "requested_at"], name="billing_payout_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_yen__gte=1), name="billing_payout_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.pk} ¥{self.amount_yen} {self.status}"


class CommissionRate(models.Model):
    """The operator's commission for one provider, overriding the default in settings.

    In basis points: 2000 is 20 %."""

    provider = models.OneToOneField(
        "storefront.Provider", on_delete=models.CASCADE, related_name="commission_rate"
    )
    rate_bp = models.PositiveIntegerField(_("commission (basis points)"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_bp__lte=10000), name="billing_commission_at_most_all"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.rate_bp / 100:.2f} %"
