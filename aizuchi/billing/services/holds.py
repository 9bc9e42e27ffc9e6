"""Points reserved on a wallet for a live session, like a card authorisation.

Placing a hold moves points from the wallet to the customer's hold account; a charge
captures part of it for the provider (``charges``); the rest goes back to the wallet when
the hold is released. The ``Hold`` row's counters only ever grow, decided on the row
locked and read afresh (after the customer's accounts: the ledger's lock order), so a hold
is captured or released at most once per yen, whatever races it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, NotFound

from .. import ledger
from ..models import Entry, Hold
from .common import clean_yen

HOLD_NOT_FOUND = _("That hold does not exist.")
HOLD_CLOSED = _("This hold is already closed.")
HOLD_MAX_YEN = 10**9


def hold_place(*, customer, amount_yen, provider=None, reference: str = "", key: str) -> Hold:
    """Reserve ``amount_yen`` of the customer's points; refused if they do not have them."""
    amount = clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=HOLD_MAX_YEN)

    def place() -> Hold:
        hold = Hold.objects.create(
            customer=customer, provider=provider, amount_yen=amount, reference=reference[:60]
        )
        ledger.entry_post(
            kind=Entry.Kind.HOLD,
            legs=[
                ledger.debit(ledger.wallet(customer), amount),
                ledger.credit(ledger.hold_account(customer), amount),
            ],
            hold=hold,
        )
        return hold

    return ledger.idempotent(
        key=key,
        name="hold_place",
        params={"customer": customer.pk, "amount_yen": amount, "reference": reference},
        perform=place,
    )


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


def hold_for_customer(*, customer, hold_id: int) -> Hold:
    hold = Hold.objects.filter(pk=hold_id, customer=customer).first()
    if hold is None:
        raise NotFound(HOLD_NOT_FOUND)
    return hold
