"""The double-entry ledger: accounts, the one function that posts entries, and balances.

``entry_post`` is the only writer of ``Entry`` and ``Posting`` rows. It refuses an entry
whose postings do not sum to zero, and updates each account's cached balance in the
same transaction, in account-id order (so two entries touching the same accounts never
deadlock on PostgreSQL). A balance that must not go below zero (wallets, holds, payouts
in progress) is guarded by a check constraint: a debit that would overdraw it fails in
the database, whichever process raced it, and ``entry_post`` turns that into
``InsufficientFunds``.

A service that decides on a balance (how much of a charge the points cover, what a
provider may pay out, how many points a session holds) first locks the accounts it will
post to (``accounts_lock``, or ``accounts_of(lock=True)``, which reads them in one query),
in the same id order, and decides on the fresh rows. The order of locks in every money
transaction: the row the operation is about (session, booking, invoice, charge, payout),
then accounts in id order, then a hold's row. Operations happen once per key through
``core.idempotency``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict

from .models import CUSTOMER_KINDS, PLATFORM_KINDS, Account, AccountKind, Entry, Posting

INSUFFICIENT_FUNDS = _("There are not enough points for this.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose postings do not sum to zero."""


# --- accounts -------------------------------------------------------------------------------


def account_get(kind: AccountKind | str, *, user=None, provider=None, gateway: str = "") -> Account:
    """The account of ``kind`` for its owner, created on first use."""
    kind = AccountKind(kind)
    lookup = {"kind": kind, "user": user, "provider": provider, "gateway": gateway}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(**lookup)
    except IntegrityError:  # created by a concurrent request meanwhile
        return Account.objects.get(**lookup)


class Accounts:
    """The accounts one movement of money posts to, fetched together (``accounts_of``)."""

    def __init__(self, found: dict[str, Account]) -> None:
        self._found = found

    def _get(self, name: str) -> Account:
        try:
            return self._found[name]
        except KeyError:
            raise LookupError(f"the {name} account was not asked for") from None

    @property
    def wallet(self) -> Account:
        return self._get("wallet")

    @property
    def hold(self) -> Account:
        return self._get("hold")

    @property
    def receivable(self) -> Account:
        return self._get("receivable")

    @property
    def earnings(self) -> Account:
        return self._get("earnings")

    @property
    def payout_pending(self) -> Account:
        return self._get("payout_pending")

    @property
    def commission(self) -> Account:
        return self._get("commission")

    @property
    def promotions(self) -> Account:
        return self._get("promotions")


_FIELD = {
    AccountKind.WALLET: "wallet",
    AccountKind.HOLD: "hold",
    AccountKind.RECEIVABLE: "receivable",
    AccountKind.EARNINGS: "earnings",
    AccountKind.PAYOUT_PENDING: "payout_pending",
    AccountKind.COMMISSION: "commission",
    AccountKind.PROMOTIONS: "promotions",
}


def accounts_of(
    *,
    customer=None,
    provider=None,
    customer_kinds: Iterable[AccountKind] = CUSTOMER_KINDS,
    provider_kinds: Iterable[AccountKind] = (AccountKind.EARNINGS,),
    platform_kinds: Iterable[AccountKind] = (),
    lock: bool = False,
) -> Accounts:
    """The customer's, the provider's and the platform's accounts of the given kinds in one
    query (with their cached balances as they are now), those missing created in one
    insert first. A charge posts to five accounts: one read instead of five. ``lock``:
    the customer's and the provider's rows are locked until the transaction ends, in id
    order (as ``accounts_lock``; the platform's keep no balance and are not locked)."""
    wanted: list[tuple[str, int | None, int | None]] = []
    if customer is not None:
        wanted += [(kind, customer.pk, None) for kind in customer_kinds]
    if provider is not None:
        wanted += [(kind, None, provider.pk) for kind in provider_kinds]
    wanted += [(kind, None, None) for kind in platform_kinds]

    def fetch() -> dict[tuple, Account]:
        query = Q(pk__in=[])
        if customer is not None:
            query |= Q(user_id=customer.pk, kind__in=list(customer_kinds))
        if provider is not None:
            query |= Q(provider_id=provider.pk, kind__in=list(provider_kinds))
        if platform_kinds:
            query |= Q(
                user__isnull=True, provider__isnull=True, gateway="", kind__in=list(platform_kinds)
            )
        rows = Account.objects.filter(query)
        if lock:
            owned = Q(user__isnull=False) | Q(provider__isnull=False)
            locked = Account.objects.select_for_update().filter(query & owned).order_by("pk")
            platform = list(rows.exclude(owned)) if platform_kinds else []
            rows = [*locked, *platform]
        return {(a.kind, a.user_id, a.provider_id): a for a in rows}

    found = fetch()
    missing = [key for key in wanted if key not in found]
    if missing:
        Account.objects.bulk_create(
            [Account(kind=kind, user_id=user, provider_id=owner) for kind, user, owner in missing],
            ignore_conflicts=True,  # made by a concurrent request meanwhile
        )
        found = fetch()
    return Accounts(
        {_FIELD[AccountKind(kind)]: account for (kind, _user, _owner), account in found.items()}
    )


def wallet(user) -> Account:
    return account_get(AccountKind.WALLET, user=user)


def hold_account(user) -> Account:
    return account_get(AccountKind.HOLD, user=user)


def receivable(user) -> Account:
    return account_get(AccountKind.RECEIVABLE, user=user)


def earnings(provider) -> Account:
    return account_get(AccountKind.EARNINGS, provider=provider)


def payout_pending(provider) -> Account:
    return account_get(AccountKind.PAYOUT_PENDING, provider=provider)


def commission() -> Account:
    return account_get(AccountKind.COMMISSION)


def promotions() -> Account:
    return account_get(AccountKind.PROMOTIONS)


def gateway_clearing(code: str) -> Account:
    return account_get(AccountKind.GATEWAY, gateway=code)


def accounts_lock(*accounts: Account) -> list[Account]:
    """Lock ``accounts`` until the transaction ends, in id order (the order ``entry_post``
    takes), and return them fresh, in the order given. PostgreSQL: row locks; SQLite: the
    IMMEDIATE transaction holds the write lock already, so the rows read are current.
    Call inside ``transaction.atomic``."""
    rows = Account.objects.select_for_update().filter(pk__in={a.pk for a in accounts})
    locked = {account.pk: account for account in rows.order_by("pk")}
    return [locked[account.pk] for account in accounts]


# --- posting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leg:
    """One side of an entry before it is written: debit positive, credit negative."""

    account: Account
    amount_yen: int


def debit(account: Account, yen: int) -> Leg:
    return Leg(account, yen)


def credit(account: Account, yen: int) -> Leg:
    return Leg(account, -yen)


def _is_non_negative_violation(error: IntegrityError) -> bool:
    return "billing_account_non_negative" in str(error)


def entry_post(
    *,
    kind: Entry.Kind | str,
    legs: Iterable[Leg],
    created_by=None,
    reason: str = "",
    savepoint: bool = True,
    **about,
) -> Entry:
    """Write one balanced entry and move the cached balances with it.

    ``about`` names what the entry is for (``charge=``, ``payment=``, ``hold=``,
    ``invoice=``, ``payout=``). Legs on the same account are netted; legs that net to zero
    are dropped. Raises ``UnbalancedEntry`` (a bug) or ``InsufficientFunds``.
    """
    net: dict[int, int] = defaultdict(int)
    by_id: dict[int, Account] = {}
    for leg in legs:
        if isinstance(leg.amount_yen, bool) or not isinstance(leg.amount_yen, int):
            raise UnbalancedEntry(f"amounts are whole yen, not {leg.amount_yen!r}")
        net[leg.account.pk] += leg.amount_yen
        by_id[leg.account.pk] = leg.account
    moves = {pk: amount for pk, amount in sorted(net.items()) if amount}
    if sum(moves.values()) != 0:
        raise UnbalancedEntry(f"postings of a {kind} entry sum to {sum(moves.values())}, not 0")
    if not moves:
        raise UnbalancedEntry(f"a {kind} entry moves no money")
    now = timezone.now()
    # Platform accounts keep no cached balance (see Account.balance_yen).
    changes = {
        pk: by_id[pk].sign * amount
        for pk, amount in moves.items()
        if by_id[pk].kind not in PLATFORM_KINDS
    }
    try:
        # A savepoint lets a caller go on after ``InsufficientFunds`` (a booking says how
        # many points there are); a caller whose whole transaction fails with it passes
        # ``savepoint=False`` and saves two round trips.
        with transaction.atomic(savepoint=savepoint):
            entry = Entry.objects.create(
                kind=kind, created_at=now, created_by=created_by, reason=reason, **about
            )
            Posting.objects.bulk_create(
                Posting(entry=entry, account_id=pk, amount_yen=amount, created_at=now)
                for pk, amount in moves.items()
            )
            for pk, change in changes.items():  # ascending ids: a fixed lock order
                Account.objects.filter(pk=pk).update(balance_yen=F("balance_yen") + change)
    except IntegrityError as error:
        if _is_non_negative_violation(error):
            raise InsufficientFunds(INSUFFICIENT_FUNDS) from error
        raise
    for pk, change in changes.items():  # keep the callers' copies in step
        by_id[pk].balance_yen += change
    return entry


# --- balances ---------------------------------------------------------------------------------


def balance_yen(account: Account) -> int:
    """The account's balance as the sum of its postings (the source of truth)."""
    total = Posting.objects.filter(account=account).aggregate(total=Sum("amount_yen"))["total"]
    return account.sign * (total or 0)


def balance_cached_yen(account: Account) -> int:
    """The cached balance, read fresh from the database (customers' and providers'
    accounts; the platform's keep none)."""
    return Account.objects.filter(pk=account.pk).values_list("balance_yen", flat=True).get()


def balance_at_yen(account: Account, moment) -> int:
    """The balance just before ``moment`` (for statements)."""
    total = Posting.objects.filter(account=account, created_at__lt=moment).aggregate(
        total=Sum("amount_yen")
    )["total"]
    return account.sign * (total or 0)
