"""Reads of money: histories, invoices, statements, the staff overview.

Every function that takes an id and a person is a gate: it returns the object only if
that person may see it, and raises ``NotFound`` otherwise (the same for "missing" and
"not yours", so ids cannot be probed).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import NotFound
from aizuchi.relationships.selectors import Facts, PairFacts, relationship_for

from . import ledger, pricing
from .models import (
    DEBIT_NORMAL_KINDS,
    PLATFORM_KINDS,
    Account,
    AccountKind,
    Charge,
    CommissionRate,
    Entry,
    Hold,
    Invoice,
    Payment,
    PayoutAccount,
    PayoutRequest,
    Posting,
)

CHARGE_NOT_FOUND = _("That charge does not exist.")
RECEIPT_NOT_FOUND = _("There is no receipt for that payment.")
PAYMENT_NOT_FOUND = _("That payment does not exist.")
INVOICE_NOT_FOUND = _("That invoice does not exist.")
HOLD_NOT_FOUND = _("That hold does not exist.")
PAGE_SIZE = 20


def customer_history(
    *, customer, provider, exclude_session_id: int | None = None
) -> pricing.History:
    """How many sessions the customer has been billed for with this provider (other than
    ``exclude_session_id``): the relationship row's count, kept by the charges."""
    row = relationship_for(provider_id=_pk(provider), customer_id=_pk(customer))
    earlier = row.sessions_billed
    if (
        exclude_session_id is not None
        and earlier
        and Charge.objects.filter(session_id=exclude_session_id, billed_seconds__gt=0).exists()
    ):
        earlier -= 1
    return pricing.History(earlier_sessions=earlier)


def _pk(obj) -> int:
    return obj if isinstance(obj, int) else obj.pk


def price_yen(*, customer, offering, seconds: int, history: pricing.History | None = None) -> int:
    """What ``seconds`` of ``offering`` would cost this customer now (their free minutes
    and caps with this provider applied): the price of a slot to book or to hold."""
    policy = pricing.PricingPolicy.from_offering(offering)
    if history is None:
        history = customer_history(customer=customer, provider=offering.provider_id)
    return pricing.price_session(policy, history, max(0, seconds)).amount_yen


def wallet_balance_yen(*, customer) -> int:
    """The customer's points (0 before their wallet exists; reads never make one)."""
    balance = (
        Account.objects.filter(kind=AccountKind.WALLET, user=customer)
        .values_list("balance_yen", flat=True)
        .first()
    )
    return balance or 0


def invoices_overdue(*, customer, provider, now: datetime | None = None) -> QuerySet[Invoice]:
    """The customer's open invoices with this provider that are past due."""
    return Invoice.objects.filter(
        customer=customer,
        provider=provider,
        status=Invoice.Status.OPEN,
        due_at__lte=now or timezone.now(),
    ).order_by("due_at")


def invoice_overdue_first(*, customer, provider, now: datetime | None = None) -> Invoice | None:
    """The customer's oldest overdue invoice with this provider (it blocks new sessions)."""
    return invoices_overdue(customer=customer, provider=provider, now=now).only("pk").first()


@dataclass(frozen=True)
class MoneyFacts:
    """What the access policy reads of a customer's money with a provider: the oldest
    overdue invoice, the points, and the two accounts a hold posts to (None until they
    exist). Read with the policy's other facts in one query: ``money_facts_annotations``
    gives the expressions, ``money_facts_from`` reads them back."""

    overdue_invoice_id: int | None = None
    balance_yen: int = 0
    # The wallet and the hold account as read (their ids, kinds and balances), or None.
    accounts: ledger.Accounts | None = None


_WALLET, _HOLD = AccountKind.WALLET, AccountKind.HOLD


def money_facts_annotations(*, customer, provider, now: datetime) -> dict[str, Subquery]:
    """Subqueries for ``MoneyFacts`` that a caller adds to its own one-row query (each an
    index lookup); names begin with ``money_``."""
    accounts = Account.objects.filter(user=customer.pk)
    wallet, hold = accounts.filter(kind=_WALLET), accounts.filter(kind=_HOLD)
    overdue = invoices_overdue(customer=customer.pk, provider=provider.pk, now=now)
    return {
        "money_overdue_invoice_id": Subquery(overdue.values("pk")[:1]),
        "money_wallet_id": Subquery(wallet.values("pk")[:1]),
        "money_wallet_yen": Subquery(wallet.values("balance_yen")[:1]),
        "money_hold_id": Subquery(hold.values("pk")[:1]),
        "money_hold_yen": Subquery(hold.values("balance_yen")[:1]),
    }


def money_facts_from(row: dict, *, customer) -> MoneyFacts:
    """The ``MoneyFacts`` in ``row`` (a query's values with ``money_facts_annotations``)."""
    accounts = None
    if row["money_wallet_id"] is not None and row["money_hold_id"] is not None:
        accounts = ledger.Accounts(
            {
                "wallet": _account(
                    row["money_wallet_id"], _WALLET, customer, row["money_wallet_yen"]
                ),
                "hold": _account(row["money_hold_id"], _HOLD, customer, row["money_hold_yen"]),
            }
        )
    return MoneyFacts(
        overdue_invoice_id=row["money_overdue_invoice_id"],
        balance_yen=row["money_wallet_yen"] or 0,
        accounts=accounts,
    )


def _account(pk: int, kind: str, customer, balance_yen: int) -> Account:
    """An account row as read in part (the rest deferred): enough to post to."""
    return Account.from_db(
        Account.objects.db,
        ["id", "kind", "user_id", "balance_yen"],
        [pk, kind, customer.pk, balance_yen],
    )


def relationship_facts(*, provider_id: int | None = None) -> Facts:
    """What the charges say of each (provider, customer) pair, for a rebuild of the
    relationship rows: sessions billed for more than nothing, and spend less refunds."""
    charges = Charge.objects.all()
    if provider_id is not None:
        charges = charges.filter(provider_id=provider_id)
    rows = (
        charges.order_by()
        .values("provider_id", "customer_id")
        .annotate(
            billed=Count("id", filter=Q(session_id__isnull=False, billed_seconds__gt=0)),
            spent=Sum("amount_yen") - Sum("refunded_yen"),
        )
    )
    return {
        (row["provider_id"], row["customer_id"]): PairFacts(
            sessions_billed=row["billed"], spent_yen=row["spent"] or 0
        )
        for row in rows
    }


# --- the customer's side ------------------------------------------------------------------


@dataclass(frozen=True)
class WalletSummary:
    balance_yen: int
    held_yen: int
    owed_yen: int


def wallet_summary(*, customer) -> WalletSummary:
    balances = dict(Account.objects.filter(user=customer).values_list("kind", "balance_yen"))
    return WalletSummary(
        balance_yen=balances.get(AccountKind.WALLET, 0),
        held_yen=balances.get(AccountKind.HOLD, 0),
        owed_yen=balances.get(AccountKind.RECEIVABLE, 0),
    )


def wallet_history(*, customer, page=None) -> Page:
    """The customer's points movements, newest first, one line per ledger entry.

    Points on hold still belong to the customer, so the line is the entry's net change to
    wallet and hold together (``change_yen``, + in): a session shows as its charge, not
    as the hold and its release; entries that only moved points between the two are left
    out (the page shows what is on hold now separately).
    """
    mine = [ledger.wallet(customer).pk, ledger.hold_account(customer).pk]
    entries = (
        Entry.objects.filter(postings__account__in=mine)
        .annotate(change_yen=-Sum("postings__amount_yen"))  # both grow with credits
        .exclude(change_yen=0)
        .select_related("charge__provider", "payment", "invoice__provider")
        .order_by("-created_at", "-id")
    )
    return Paginator(entries, PAGE_SIZE).get_page(page)


def payments_pending(*, customer) -> QuerySet[Payment]:
    return Payment.objects.filter(customer=customer, status=Payment.Status.PENDING).order_by(
        "-created_at"
    )


def invoices_for_customer(*, customer, page=None) -> Page:
    invoices = Invoice.objects.filter(customer=customer).select_related("provider", "charge")
    return Paginator(invoices.order_by("status", "-issued_at", "-id"), PAGE_SIZE).get_page(page)


def invoice_movements(*, invoice: Invoice) -> list[Posting]:
    """What paid or reduced the invoice (payments, points, refunds), oldest first; each
    posting on the customer's receivable with ``paid_yen`` positive."""
    postings = list(
        Posting.objects.filter(
            entry__invoice=invoice,
            account__kind=AccountKind.RECEIVABLE,
            entry__kind__in=[Entry.Kind.INVOICE_PAYMENT, Entry.Kind.REFUND],
        )
        .select_related("entry__payment")
        .order_by("created_at", "id")
    )
    for posting in postings:
        posting.paid_yen = -posting.amount_yen
    return postings


def charge_get_for_viewer(*, user, charge_id: int) -> Charge:
    """A charge seen by its customer, its provider, or staff."""
    charges = Charge.objects.select_related("customer", "provider__user")
    if not user.is_staff:
        charges = charges.filter(Q(customer=user) | Q(provider__user=user))
    charge = charges.filter(pk=charge_id).first()
    if charge is None:
        raise NotFound(CHARGE_NOT_FOUND)
    return charge


def charge_entries(*, charge: Charge, viewer) -> list[Entry]:
    """The ledger entries behind a charge (hold, charge, release, refunds): its audit trail.

    Each entry carries ``visible_postings``: the viewer's own accounts (staff see all),
    each with ``change_yen`` in that account's own direction.
    """
    about = Q(charge=charge)
    hold_ids = [
        pk for pk in Entry.objects.filter(charge=charge).values_list("hold", flat=True) if pk
    ]
    if hold_ids:
        about |= Q(hold__in=hold_ids)
    entries = list(
        Entry.objects.filter(about)
        .select_related("created_by")
        .prefetch_related("postings__account__provider")
        .order_by("created_at", "id")
    )
    for entry in entries:
        entry.visible_postings = []
        for posting in entry.postings.all():
            account = posting.account
            mine = account.user_id == viewer.pk or (
                account.provider_id is not None and account.provider.user_id == viewer.pk
            )
            if viewer.is_staff or mine:
                posting.change_yen = account.sign * posting.amount_yen
                entry.visible_postings.append(posting)
    return entries


def payment_get_for_customer(*, customer, payment_id: int) -> Payment:
    """One of the customer's own payments; NotFound for anyone else's."""
    payment = (
        Payment.objects.select_related("invoice__provider")
        .filter(pk=payment_id, customer=customer)
        .first()
    )
    if payment is None:
        raise NotFound(PAYMENT_NOT_FOUND)
    return payment


def invoice_get_for_customer(*, customer, invoice_id: int) -> Invoice:
    """One of the customer's own invoices; NotFound for anyone else's."""
    invoice = (
        Invoice.objects.select_related("provider", "charge")
        .filter(pk=invoice_id, customer=customer)
        .first()
    )
    if invoice is None:
        raise NotFound(INVOICE_NOT_FOUND)
    return invoice


def hold_get_for_customer(*, customer, hold_id: int) -> Hold:
    hold = Hold.objects.filter(pk=hold_id, customer=customer).first()
    if hold is None:
        raise NotFound(HOLD_NOT_FOUND)
    return hold


@dataclass(frozen=True)
class Receipt:
    number: str
    issued_at: datetime
    amount_yen: int
    tax_yen: int
    tax_rate_percent: int
    issuer: dict


def receipt(payment: Payment) -> Receipt:
    rate = settings.AIZUCHI_BILLING["TAX_RATE_PERCENT"]
    return Receipt(
        number=f"R-{payment.settled_at:%Y%m}-{payment.pk:06d}",
        issued_at=payment.settled_at,
        amount_yen=payment.amount_yen,
        tax_yen=pricing.tax_included_yen(payment.amount_yen, rate),
        tax_rate_percent=rate,
        issuer=settings.AIZUCHI_BILLING["ISSUER"],
    )


# --- the provider's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class EarningsSummary:
    earnings_yen: int
    payout_pending_yen: int
    owed_by_customers_yen: int
    commission_rate_bp: int


def commission_rate_default() -> int:
    """The operator's commission in basis points, for providers without their own rate."""
    return settings.AIZUCHI_BILLING["COMMISSION_RATE_BP"]


def commission_rate_for(provider) -> int:
    """The commission on this provider's charges, in basis points."""
    override = CommissionRate.objects.filter(provider=provider).values_list("rate_bp", flat=True)
    rate = override.first()
    return commission_rate_default() if rate is None else rate


def earnings_summary(*, provider) -> EarningsSummary:
    balances = dict(Account.objects.filter(provider=provider).values_list("kind", "balance_yen"))
    owed = (
        Invoice.objects.filter(provider=provider, status=Invoice.Status.OPEN).aggregate(
            total=Sum("amount_yen") - Sum("paid_yen") - Sum("credited_yen")
        )["total"]
        or 0
    )
    return EarningsSummary(
        earnings_yen=balances.get(AccountKind.EARNINGS, 0),
        payout_pending_yen=balances.get(AccountKind.PAYOUT_PENDING, 0),
        owed_by_customers_yen=owed,
        commission_rate_bp=commission_rate_for(provider),
    )


def charges_for_provider(*, provider, limit: int = 20) -> list[Charge]:
    return list(
        Charge.objects.filter(provider=provider)
        .select_related("customer")
        .order_by("-created_at", "-id")[:limit]
    )


def invoices_open_for_provider(*, provider) -> list[Invoice]:
    return list(
        Invoice.objects.filter(provider=provider, status=Invoice.Status.OPEN)
        .select_related("customer")
        .order_by("due_at", "id")
    )


def payouts_for_provider(*, provider, limit: int = 20) -> list[PayoutRequest]:
    return list(PayoutRequest.objects.filter(provider=provider).order_by("-requested_at")[:limit])


@dataclass
class StatementLine:
    at: datetime
    kind: str
    label: str
    gross_yen: int | None  # charges: what the customer paid
    commission_yen: int | None
    amount_yen: int  # change to the provider's earnings
    balance_yen: int = 0
    charge_id: int | None = None
    customer: str = ""


@dataclass
class Statement:
    year: int
    month: int
    start: datetime
    end: datetime
    opening_yen: int
    closing_yen: int = 0
    lines: list[StatementLine] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def period(self) -> date:
        return date(self.year, self.month, 1)


def month_bounds(year: int, month: int, zone_name: str) -> tuple[datetime, datetime]:
    """The month in the provider's own zone, as aware datetimes."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start, end


def statement_for_month(*, provider, year: int, month: int) -> Statement:
    """Every movement of the provider's earnings in one month of their own calendar."""
    start, end = month_bounds(year, month, provider.user.time_zone)
    account = ledger.earnings(provider)
    opening = ledger.balance_at_yen(account, start)
    statement = Statement(year=year, month=month, start=start, end=end, opening_yen=opening)
    postings = (
        Posting.objects.filter(account=account, created_at__gte=start, created_at__lt=end)
        .select_related("entry__charge__customer", "entry__payout")
        .order_by("created_at", "id")
    )
    totals = dict.fromkeys(
        (
            "gross_yen",
            "commission_yen",
            "sales_yen",
            "refunds_yen",
            "adjustments_yen",
            "payouts_yen",
        ),
        0,
    )
    running = opening
    for posting in postings:
        entry = posting.entry
        change = account.sign * posting.amount_yen
        running += change
        charge = entry.charge
        line = StatementLine(
            at=posting.created_at,
            kind=entry.kind,
            label=str(entry.get_kind_display()),
            gross_yen=None,
            commission_yen=None,
            amount_yen=change,
            balance_yen=running,
        )
        if entry.kind == Entry.Kind.CHARGE and charge is not None:
            line.gross_yen, line.commission_yen = charge.amount_yen, charge.commission_yen
            line.charge_id, line.customer = charge.pk, str(charge.customer.public_name)
            totals["gross_yen"] += charge.amount_yen
            totals["commission_yen"] += charge.commission_yen
            totals["sales_yen"] += change
        elif entry.kind == Entry.Kind.REFUND:
            line.charge_id = charge.pk if charge else None
            totals["refunds_yen"] += change
        elif entry.kind == Entry.Kind.ADJUSTMENT:
            totals["adjustments_yen"] += change
        else:
            totals["payouts_yen"] += change
        statement.lines.append(line)
    statement.closing_yen = running
    statement.totals = totals
    return statement


def statement_months(*, provider, now: datetime | None = None, count: int = 12) -> list[date]:
    """The provider's last ``count`` months, newest first (for the statement picker), from
    the month they opened their storefront on: no empty statements from before it."""
    zone = zoneinfo.ZoneInfo(provider.user.time_zone)
    local = timezone.localtime(now or timezone.now(), zone)
    joined = timezone.localtime(provider.created_at, zone)
    first = date(joined.year, joined.month, 1)
    year, month = local.year, local.month
    months = []
    for _i in range(count):
        if date(year, month, 1) < first:
            break
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


# --- staff ------------------------------------------------------------------------------------


def payments_awaiting_confirmation() -> QuerySet[Payment]:
    from . import gateways

    manual = [code for code, cls in gateways.BUILT_IN.items() if cls.confirmed_by_people]
    return (
        Payment.objects.filter(status=Payment.Status.PENDING, gateway__in=manual)
        .select_related("customer", "invoice__provider")
        .order_by("created_at", "id")
    )


def payouts_open() -> list[PayoutRequest]:
    """Payout requests staff still decide or pay, each with ``account``: where the money
    goes (None while the provider has registered none)."""
    found = list(
        PayoutRequest.objects.filter(
            status__in=[PayoutRequest.Status.REQUESTED, PayoutRequest.Status.APPROVED]
        )
        .select_related("provider")
        .order_by("requested_at", "id")
    )
    providers = {payout.provider_id for payout in found}
    accounts = {
        account.provider_id: account
        for account in PayoutAccount.objects.filter(provider_id__in=providers)
    }
    for payout in found:
        payout.account = accounts.get(payout.provider_id)  # type: ignore[attr-defined]
    return found


def payout_account_for(*, provider) -> PayoutAccount | None:
    """Where the provider's payouts go (None until they register an account)."""
    return PayoutAccount.objects.filter(provider=provider).first()


def ledger_totals() -> dict[str, int]:
    """The platform's money at a glance: each kind's total balance, and whether the ledger
    still nets to zero (debits = credits)."""
    totals = dict.fromkeys(AccountKind.values, 0)
    cached = Account.objects.exclude(kind__in=PLATFORM_KINDS).values_list("kind")
    for kind, total in cached.annotate(total=Sum("balance_yen")):
        totals[kind] = total or 0
    # The platform's accounts keep no cached balance: sum their postings.
    derived = (
        Posting.objects.filter(account__kind__in=PLATFORM_KINDS)
        .values_list("account__kind")
        .annotate(total=Sum("amount_yen"))
    )
    for kind, total in derived:
        totals[kind] = (1 if kind in DEBIT_NORMAL_KINDS else -1) * (total or 0)
    signed = sum(
        (1 if kind in DEBIT_NORMAL_KINDS else -1) * total for kind, total in totals.items()
    )
    return {**totals, "imbalance": signed}
