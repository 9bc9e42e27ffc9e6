"""Points reserved on a wallet for a live session, like a card authorisation.

Placing a hold moves points from the wallet to the customer's hold account; a charge
captures part of it for the provider (``charges``); the rest goes back to the wallet when
the hold is released. The ``Hold`` row's counters only ever grow, decided on the row
locked and read afresh (after the customer's accounts: the ledger's lock order), so a hold
is captured or released at most once per yen, whatever races it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict
from aizuchi.core.idempotency import idempotent

from .. import ledger, pricing
from ..models import AccountKind, Entry, Hold
from .common import clean_yen

HOLD_CLOSED = _("This hold is already closed.")
HOLD_MAX_YEN = 10**9


def hold_place(*, customer, amount_yen, provider=None, reference: str = "", key: str) -> Hold:
    """Reserve ``amount_yen`` of the customer's points; refused if they do not have them."""
    amount = clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=HOLD_MAX_YEN)
    return idempotent(
        key=key,
        name="hold_place",
        params={"customer": customer.pk, "amount_yen": amount, "reference": reference},
        perform=lambda: hold_create(
            customer=customer, amount_yen=amount, provider=provider, reference=reference
        ),
    )


def hold_create(
    *,
    customer,
    amount_yen: int,
    provider=None,
    reference: str = "",
    accounts: ledger.Accounts | None = None,
) -> Hold:
    """Reserve ``amount_yen`` (a whole, positive amount) of the customer's points, for a
    caller whose own operation is already once per key (a booking). ``accounts``: the
    customer's wallet and hold account as the caller read them in this transaction (the
    access policy's facts), else read here. ``InsufficientFunds`` when the points are not
    there (the database's check on the wallet decides: the amount is fixed, whatever the
    balance), and the caller's transaction fails with it."""
    hold = Hold.objects.create(
        customer=customer, provider=provider, amount_yen=amount_yen, reference=reference[:60]
    )
    if accounts is None:
        accounts = ledger.accounts_of(
            customer=customer, customer_kinds=(AccountKind.WALLET, AccountKind.HOLD)
        )
    ledger.entry_post(
        kind=Entry.Kind.HOLD,
        legs=[
            ledger.debit(accounts.wallet, amount_yen),
            ledger.credit(accounts.hold, amount_yen),
        ],
        hold=hold,
        savepoint=False,
    )
    return hold


def _lock(hold: Hold) -> Hold:
    """The hold's accounts, then its row, locked until the transaction ends (the ledger's
    lock order); the row read afresh."""
    ledger.accounts_lock(ledger.wallet(hold.customer), ledger.hold_account(hold.customer))
    return Hold.objects.select_for_update().get(pk=hold.pk)


def hold_increase(*, hold: Hold, amount_yen: int) -> Hold:
    """Reserve more points on an open hold (the customer topped up during a session)."""
    amount = clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=HOLD_MAX_YEN)
    with transaction.atomic():
        locked = _lock(hold)
        if locked.status != Hold.Status.OPEN:
            raise Conflict(HOLD_CLOSED)
        locked.amount_yen += amount
        locked.save(update_fields=["amount_yen"])
        ledger.entry_post(
            kind=Entry.Kind.HOLD,
            legs=[
                ledger.debit(ledger.wallet(hold.customer), amount),
                ledger.credit(ledger.hold_account(hold.customer), amount),
            ],
            hold=locked,
        )
    hold.refresh_from_db()
    return hold


def hold_take(*, hold: Hold, amount_yen: int) -> int:
    """Mark up to ``amount_yen`` of the hold as captured; returns what it covered.

    The caller has locked the customer's accounts and posts the matching ledger entry
    in the same transaction (``charges``).
    """
    if amount_yen <= 0:
        return 0
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        taken = min(amount_yen, locked.remaining_yen) if locked.status == Hold.Status.OPEN else 0
        if taken:
            locked.captured_yen += taken
            locked.save(update_fields=["captured_yen"])
    return taken


@dataclass(frozen=True)
class SessionMoney:
    """What a prepaid session holds, decided on the customer's accounts locked now."""

    hold_yen: int = 0  # the balance, at most what the cap costs (0: not prepaid)
    balance_yen: int = 0
    first_minute_yen: int = 0  # what the first minute costs (0: not prepaid)


def session_hold_yen(*, customer, offering, history: pricing.History) -> SessionMoney:
    """The points to hold for a session on ``offering``, decided on the customer's accounts
    locked and read now, inside the transaction that places the hold: points spent since
    the access decision are not held twice. The caller refuses when the balance no longer
    pays for the first minute."""
    policy = pricing.PricingPolicy.from_offering(offering)
    if policy.payment != pricing.PREPAID:
        return SessionMoney()
    accounts = ledger.accounts_of(
        customer=customer, customer_kinds=(AccountKind.WALLET, AccountKind.HOLD), lock=True
    )
    balance = accounts.wallet.balance_yen
    cap_cost = pricing.cap_cost_yen(policy, history)
    return SessionMoney(
        hold_yen=balance if cap_cost is None else min(balance, cap_cost),
        balance_yen=balance,
        first_minute_yen=pricing.first_minute_yen(policy, history),
    )


def hold_settle(*, hold: Hold, amount_yen: int) -> tuple[int, int]:
    """Capture up to ``amount_yen`` of an open hold and close it, releasing the rest, in one
    update of the row locked and read now (after the customer's accounts: the ledger's lock
    order); returns (captured, released). The caller posts both in the same transaction
    (``charges``: the charge, then ``hold_release_movement``)."""
    with transaction.atomic(savepoint=False):
        fresh = Hold.objects.select_for_update().get(pk=hold.pk)
        if fresh.status != Hold.Status.OPEN:
            return 0, 0
        taken = max(0, min(amount_yen, fresh.remaining_yen))
        rest = fresh.remaining_yen - taken
        fresh.captured_yen += taken
        fresh.released_yen += rest
        fresh.status, fresh.closed_at = Hold.Status.CLOSED, timezone.now()
        fresh.save(update_fields=["captured_yen", "released_yen", "status", "closed_at"])
        hold.captured_yen, hold.released_yen = fresh.captured_yen, fresh.released_yen
        hold.status, hold.closed_at = fresh.status, fresh.closed_at
    return taken, rest


def hold_release_movement(
    *, hold: Hold, amount_yen: int, accounts: ledger.Accounts
) -> ledger.Movement:
    """The entry of what ``hold_settle`` released: from the hold account back to the wallet
    (the caller posts it, with the charge: ``charges``)."""
    return ledger.movement(
        kind=Entry.Kind.RELEASE,
        legs=[
            ledger.debit(accounts.hold, amount_yen),
            ledger.credit(accounts.wallet, amount_yen),
        ],
        hold=hold,
    )


def hold_release(*, hold: Hold) -> Hold:
    """Give what is left of the hold back to the wallet and close it. Idempotent."""
    with transaction.atomic():
        fresh = _lock(hold)
        if fresh.status == Hold.Status.CLOSED:
            return fresh
        remaining = fresh.remaining_yen
        fresh.released_yen += remaining
        fresh.status = Hold.Status.CLOSED
        fresh.closed_at = timezone.now()
        fresh.save(update_fields=["released_yen", "status", "closed_at"])
        if remaining:
            ledger.entry_post(
                kind=Entry.Kind.RELEASE,
                legs=[
                    ledger.debit(ledger.hold_account(fresh.customer), remaining),
                    ledger.credit(ledger.wallet(fresh.customer), remaining),
                ],
                hold=fresh,
            )
    return fresh
