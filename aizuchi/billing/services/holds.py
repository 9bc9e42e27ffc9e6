"""Points reserved on a wallet for a live session, like a card authorisation.

Placing a hold moves points from the wallet to the customer's hold account; a charge
captures part of it for the provider (``charges``); the rest goes back to the wallet when
the hold is released. The ``Hold`` row's counters only ever grow, in conditional updates,
so a hold is captured or released at most once per yen, whatever races it.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict
from aizuchi.core.idempotency import idempotent

from .. import ledger
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


def hold_create(*, customer, amount_yen: int, provider=None, reference: str = "") -> Hold:
    """Reserve ``amount_yen`` (a whole, positive amount) of the customer's points, for a
    caller whose own operation is already once per key (a booking). ``InsufficientFunds``
    when the points are not there."""
    hold = Hold.objects.create(
        customer=customer, provider=provider, amount_yen=amount_yen, reference=reference[:60]
    )
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
    )
    return hold


def hold_increase(*, hold: Hold, amount_yen: int) -> Hold:
    """Reserve more points on an open hold (the customer topped up during a session)."""
    amount = clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=HOLD_MAX_YEN)
    with transaction.atomic():
        changed = Hold.objects.filter(pk=hold.pk, status=Hold.Status.OPEN).update(
            amount_yen=F("amount_yen") + amount
        )
        if not changed:
            raise Conflict(HOLD_CLOSED)
        ledger.entry_post(
            kind=Entry.Kind.HOLD,
            legs=[
                ledger.debit(ledger.wallet(hold.customer), amount),
                ledger.credit(ledger.hold_account(hold.customer), amount),
            ],
            hold=hold,
        )
        hold.refresh_from_db()
    return hold


def hold_take(*, hold: Hold, amount_yen: int) -> int:
    """Mark up to ``amount_yen`` of the hold as captured; returns what it covered.

    The caller posts the matching ledger entry in the same transaction (``charges``).
    """
    if amount_yen <= 0:
        return 0
    fresh = Hold.objects.get(pk=hold.pk)
    taken = min(amount_yen, fresh.remaining_yen) if fresh.status == Hold.Status.OPEN else 0
    if taken:
        changed = Hold.objects.filter(
            pk=hold.pk,
            status=Hold.Status.OPEN,
            captured_yen=fresh.captured_yen,
            released_yen=fresh.released_yen,
        ).update(captured_yen=F("captured_yen") + taken)
        if not changed:  # someone moved the hold meanwhile: look again
            return hold_take(hold=hold, amount_yen=amount_yen)
    return taken


def hold_settle(*, hold: Hold, amount_yen: int) -> tuple[int, int]:
    """Capture up to ``amount_yen`` of an open hold and close it, releasing the rest, in one
    conditional update; returns (captured, released). The caller posts both in the same
    transaction (``charges``: the charge, then ``hold_release_post``)."""
    with transaction.atomic(savepoint=False):
        fresh = Hold.objects.select_for_update().get(pk=hold.pk)
        if fresh.status != Hold.Status.OPEN:
            return 0, 0
        taken = max(0, min(amount_yen, fresh.remaining_yen))
        rest = fresh.remaining_yen - taken
        now = timezone.now()
        changed = Hold.objects.filter(
            pk=hold.pk,
            status=Hold.Status.OPEN,
            captured_yen=fresh.captured_yen,
            released_yen=fresh.released_yen,
        ).update(
            captured_yen=F("captured_yen") + taken,
            released_yen=F("released_yen") + rest,
            status=Hold.Status.CLOSED,
            closed_at=now,
        )
        if not changed:  # moved meanwhile (SQLite has no row locks): look again
            return hold_settle(hold=hold, amount_yen=amount_yen)
        hold.captured_yen = fresh.captured_yen + taken
        hold.released_yen = fresh.released_yen + rest
        hold.status, hold.closed_at = Hold.Status.CLOSED, now
    return taken, rest


def hold_release_post(*, hold: Hold, amount_yen: int, accounts: ledger.Accounts) -> None:
    """Post what ``hold_settle`` released: from the hold account back to the wallet."""
    if amount_yen:
        ledger.entry_post(
            kind=Entry.Kind.RELEASE,
            legs=[
                ledger.debit(accounts.hold, amount_yen),
                ledger.credit(accounts.wallet, amount_yen),
            ],
            hold=hold,
            savepoint=False,  # from the hold back to the wallet: nothing to overdraw
        )


def hold_release(*, hold: Hold) -> Hold:
    """Give what is left of the hold back to the wallet and close it. Idempotent."""
    with transaction.atomic():
        fresh = Hold.objects.get(pk=hold.pk)
        remaining = fresh.remaining_yen
        changed = Hold.objects.filter(
            pk=hold.pk,
            status=Hold.Status.OPEN,
            captured_yen=fresh.captured_yen,
            released_yen=fresh.released_yen,
        ).update(
            released_yen=F("released_yen") + remaining,
            status=Hold.Status.CLOSED,
            closed_at=timezone.now(),
        )
        if not changed:
            fresh.refresh_from_db()
            if fresh.status == Hold.Status.CLOSED:
                return fresh
            return hold_release(hold=hold)
        if remaining:
            ledger.entry_post(
                kind=Entry.Kind.RELEASE,
                legs=[
                    ledger.debit(ledger.hold_account(fresh.customer), remaining),
                    ledger.credit(ledger.wallet(fresh.customer), remaining),
                ],
                hold=fresh,
            )
        fresh.refresh_from_db()
    return fresh
