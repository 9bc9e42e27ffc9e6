"""The double-entry ledger: accounts, the functions that post entries, and balances.

``entry_post`` (one entry) and ``entries_post`` (several, each its own entry, in three
statements) are the only writers of ``Entry`` and ``Posting`` rows. They refuse an entry
whose postings do not sum to zero, and update the cached balances in the same
transaction, in one statement that locks the accounts in id order first (so two entries
touching the same accounts never deadlock on PostgreSQL). A balance that must not go
below zero (wallets, holds, payouts in progress) is guarded by a check constraint: a
debit that would overdraw it fails in the database, whichever process raced it, and is
turned into ``InsufficientFunds``.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import BigIntegerField, Case, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict

from .models import (
    CUSTOMER_KINDS,
    PLATFORM_KINDS,
    PROVIDER_KINDS,
    Account,
    AccountKind,
    Entry,
    Posting,
)

INSUFFICIENT_FUNDS = _("There are not enough points for this.")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class UnbalancedEntry(ValueError):
    """A programming error: an entry whose postings do not sum to zero."""


# --- accounts -------------------------------------------------------------------------------


def account_get(kind: AccountKind | str, *, user=None, provider=None, gateway: str = "") -> Account:
    """The account of ``kind`` for its owner, created on first use (with the owner's other
    accounts, ``accounts_create``)."""
    kind = AccountKind(kind)
    lookup = {"kind": kind, "user": user, "provider": provider, "gateway": gateway}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    accounts_create([(kind, _pk(user), _pk(provider), gateway)])
    return Account.objects.get(**lookup)


def _pk(owner) -> int | None:
    return None if owner is None else owner.pk


def accounts_create(keys: Iterable[tuple[str, int | None, int | None, str]]) -> None:
    """Make the accounts of ``keys`` (kind, user id, provider id, gateway) in one insert,
    each with its owner's other accounts: a customer's points, hold and receivable come
    together, as do a provider's earnings and payouts in progress, so a later movement
    finds them made (a booking's hold, a session's charge). Those a concurrent request made
    meanwhile are skipped."""
    rows: dict[tuple, Account] = {}
    for kind, user_id, provider_id, gateway in keys:
        if user_id is not None:
            kinds: Iterable[str] = CUSTOMER_KINDS
        elif provider_id is not None:
            kinds = PROVIDER_KINDS
        else:
            kinds = (kind,)
        for each in kinds:
            rows[(each, user_id, provider_id, gateway)] = Account(
                kind=each, user_id=user_id, provider_id=provider_id, gateway=gateway
            )
    Account.objects.bulk_create(rows.values(), ignore_conflicts=True)


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
    query (with their cached balances as they are now), those missing made first
    (``accounts_create``). A charge posts to five accounts: one read instead of five.
    ``lock``: the customer's and the provider's rows are locked until the transaction
    ends, in id order (as ``accounts_lock``), within the same query (the platform's keep
    no balance and are not locked)."""
    customer_kinds, provider_kinds = list(customer_kinds), list(provider_kinds)
    platform_kinds = list(platform_kinds)
    wanted: list[tuple[str, int | None, int | None, str]] = []
    if customer is not None:
        wanted += [(kind, customer.pk, None, "") for kind in customer_kinds]
    if provider is not None:
        wanted += [(kind, None, provider.pk, "") for kind in provider_kinds]
    wanted += [(kind, None, None, "") for kind in platform_kinds]

    owned = Q(pk__in=[])
    if customer is not None:
        owned |= Q(user_id=customer.pk, kind__in=customer_kinds)
    if provider is not None:
        owned |= Q(provider_id=provider.pk, kind__in=provider_kinds)
    platform = Q(user__isnull=True, provider__isnull=True, gateway="", kind__in=platform_kinds)

    def fetch() -> dict[tuple, Account]:
        rows: Iterable[Account]
        if not lock:
            rows = Account.objects.filter(owned | platform if platform_kinds else owned)
        elif not platform_kinds:
            rows = Account.objects.select_for_update().filter(owned).order_by("pk")
        else:
            # The owned rows locked in id order in a subquery (PostgreSQL locks a
            # subquery's rows as it reads them, sorted), the platform's read beside them.
            in_order = Account.objects.select_for_update().filter(owned).order_by("pk")
            rows = Account.objects.filter(pk__in=in_order.values("pk")).union(
                Account.objects.filter(platform), all=True
            )
        return {(a.kind, a.user_id, a.provider_id, a.gateway): a for a in rows}

    found = fetch()
    missing = [key for key in wanted if key not in found]
    if missing:
        accounts_create(missing)
        found = fetch()
    return Accounts(
        {_FIELD[AccountKind(kind)]: account for (kind, *_owner), account in found.items()}
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


@dataclass(frozen=True)
class Movement:
    """One entry to write (``entries_post``): its kind, its legs and what it is about."""

    kind: str
    legs: tuple[Leg, ...]
    about: dict[str, Any]
    created_by: Any = None
    reason: str = ""


def movement(
    *, kind: Entry.Kind | str, legs: Iterable[Leg], created_by=None, reason: str = "", **about
) -> Movement:
    """An entry to post: ``about`` names what it is for (``charge=``, ``payment=``,
    ``hold=``, ``invoice=``, ``payout=``)."""
    return Movement(str(kind), tuple(legs), about, created_by, reason)


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
    move = movement(kind=kind, legs=legs, created_by=created_by, reason=reason, **about)
    return entries_post([move], savepoint=savepoint)[0]


def entries_post(movements: Sequence[Movement], *, savepoint: bool = True) -> list[Entry]:
    """Write several entries at once, each balanced on its own and kept as its own entry
    (a charge and the release of its hold's rest are two movements, and the trail shows
    both), in three statements whatever their number: the entries, all their postings,
    and the cached balances (one update, each account moved by what all the entries move
    it). Raises ``UnbalancedEntry`` (a bug) or ``InsufficientFunds``: a balance that must
    not go below zero is checked after the movements, by the database.

    ``savepoint``: a savepoint lets a caller go on after ``InsufficientFunds``; a caller
    whose whole transaction fails with it passes False and saves two round trips.
    """
    drafts: list[tuple[Movement, dict[int, int]]] = []
    by_id: dict[int, Account] = {}
    for move in movements:
        net: dict[int, int] = defaultdict(int)
        for leg in move.legs:
            if isinstance(leg.amount_yen, bool) or not isinstance(leg.amount_yen, int):
                raise UnbalancedEntry(f"amounts are whole yen, not {leg.amount_yen!r}")
            net[leg.account.pk] += leg.amount_yen
            by_id[leg.account.pk] = leg.account
        moves = {pk: amount for pk, amount in sorted(net.items()) if amount}
        if sum(moves.values()) != 0:
            raise UnbalancedEntry(
                f"postings of a {move.kind} entry sum to {sum(moves.values())}, not 0"
            )
        if not moves:
            raise UnbalancedEntry(f"a {move.kind} entry moves no money")
        drafts.append((move, moves))
    now = timezone.now()
    # Platform accounts keep no cached balance (see Account.balance_yen).
    summed: dict[int, int] = defaultdict(int)
    for _move, moves in drafts:
        for pk, amount in moves.items():
            if by_id[pk].kind not in PLATFORM_KINDS:
                summed[pk] += by_id[pk].sign * amount
    changes = {pk: change for pk, change in sorted(summed.items()) if change}
    try:
        with transaction.atomic(savepoint=savepoint):
            entries = _entries_insert(
                [
                    Entry(
                        kind=move.kind,
                        created_at=now,
                        created_by=move.created_by,
                        reason=move.reason,
                        **move.about,
                    )
                    for move, _moves in drafts
                ]
            )
            Posting.objects.bulk_create(
                Posting(entry=entry, account_id=pk, amount_yen=amount, created_at=now)
                for entry, (_move, moves) in zip(entries, drafts, strict=True)
                for pk, amount in moves.items()
            )
            _balances_move(changes)
    except IntegrityError as error:
        if _is_non_negative_violation(error):
            raise InsufficientFunds(INSUFFICIENT_FUNDS) from error
        raise
    for pk, change in changes.items():  # keep the callers' copies in step
        by_id[pk].balance_yen += change
    return entries


def _entries_insert(entries: list[Entry]) -> list[Entry]:
    """Insert ``entries`` in one statement that returns their ids (PostgreSQL, SQLite
    3.35+); one by one where the database cannot return ids from a bulk insert."""
    if (
        len(entries) == 1
        or not connections[Entry.objects.db].features.can_return_rows_from_bulk_insert
    ):
        for entry in entries:
            entry.save(force_insert=True)
        return entries
    return Entry.objects.bulk_create(entries)


def _balances_move(changes: dict[int, int]) -> None:
    """Move cached balances by ``changes`` (account id → yen) in one update. PostgreSQL
    locks the rows in id order first (a subquery), the order every money path takes
    them, so two movements touching the same accounts never deadlock."""
    if not changes:
        return
    if len(changes) == 1:
        [(pk, change)] = changes.items()
        Account.objects.filter(pk=pk).update(balance_yen=F("balance_yen") + change)
        return
    in_order = Account.objects.select_for_update().filter(pk__in=list(changes)).order_by("pk")
    by_account = Case(
        *(When(pk=pk, then=Value(change)) for pk, change in changes.items()),
        default=Value(0),
        output_field=BigIntegerField(),
    )
    Account.objects.filter(pk__in=in_order.values("pk")).update(
        balance_yen=F("balance_yen") + by_account
    )


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
