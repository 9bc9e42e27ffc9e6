"""Charges: a session's price posted to the ledger once; refunds and adjustments by staff.

A session charge is keyed on the session (``session:<id>:charge``) and the database allows
one ``Charge`` per session, so a retried or raced call bills once. Prepaid charges are
taken from the session's hold first, then from the wallet; anything the points do not
cover becomes an invoice rather than a negative balance. Postpaid charges become an
invoice. Either way the provider's earnings and the platform's commission are credited in
the same entry, split by ``pricing.commission_split``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, NotFound, lazy_format
from aizuchi.core.idempotency import idempotent
from aizuchi.core.models import Operation
from aizuchi.core.money import whole_number
from aizuchi.notifications.services import notification_send
from aizuchi.relationships.services import relationship_charged, relationship_refunded
from aizuchi.storefront.models import Provider

from .. import ledger, pricing
from ..models import Charge, Entry, Hold, Invoice
from ..selectors import commission_rate_for, customer_history
from .common import clean_reason, clean_yen, require_staff
from .holds import hold_release_movement, hold_settle
from .invoices import invoice_issue

CHARGE_NOT_FOUND = _("That charge does not exist.")
NOTHING_TO_REFUND = _("This charge has been refunded in full already.")
UNKNOWN_TARGET = _("Choose whose balance to adjust.")
OWNER_NOT_FOUND = _("No such customer or provider.")
ADJUSTMENT_OUT_OF_RANGE = _(
    "Enter a whole number of yen between -¥%(max)s and ¥%(max)s, not zero; "
    "a minus takes points or earnings away."
)
ADJUSTMENT_MAX_YEN = 1_000_000

ADJUSTMENT_TARGETS = ("wallet", "earnings")


def session_charge(
    *,
    session,
    billable_seconds: int,
    hold: Hold | None = None,
    policy: pricing.PricingPolicy | None = None,
    history: pricing.History | None = None,
) -> Charge:
    """Bill ``session`` (the live domain's, known here by its key, customer, provider and
    channel) for ``billable_seconds`` under its terms. Exactly once: a second call (a
    retry, a crash sweeper) returns the first charge."""
    if isinstance(billable_seconds, bool) or not isinstance(billable_seconds, int):
        raise TypeError("billable seconds are a whole number")
    policy = policy or pricing.PricingPolicy.from_offering(session.offering)
    return idempotent(
        key=f"session:{session.pk}:charge",
        name="session_charge",
        params={
            "billable_seconds": billable_seconds,
            "hold": hold.pk if hold else None,
            "policy": policy.as_dict(),
        },
        perform=lambda: _session_charge_post(session, billable_seconds, hold, policy, history),
    )


def _session_charge_post(session, billable_seconds, hold, policy, history) -> Charge:
    customer, provider = session.customer, session.provider
    if history is None:
        # Not charged yet (the operation runs once): the row's count is of other sessions.
        history = customer_history(customer=customer, provider=provider)
    quote = pricing.price_session(policy, history, billable_seconds)
    charge = _charge_create(
        customer=customer,
        provider=provider,
        amount_yen=quote.amount_yen,
        session_id=session.pk,
        channel=session.channel,
        payment=policy.payment,
        billable_seconds=quote.billable_seconds,
        billed_seconds=quote.billed_seconds,
        free_seconds=quote.free_seconds,
        policy={**policy.as_dict(), "first_session": quote.first_session},
        lines=quote.lines_as_dicts(),
    )
    _collect(charge, hold=hold)
    relationship_charged(
        provider_id=provider.pk,
        customer_id=customer.pk,
        amount_yen=charge.amount_yen,
        session_billed=charge.billed_seconds > 0,
    )
    return charge


def _charge_create(*, customer, provider, amount_yen: int, **fields) -> Charge:
    """A charge record with the provider's commission split worked out."""
    rate = commission_rate_for(provider)
    commission_yen, provider_yen = pricing.commission_split(amount_yen, rate)
    return Charge.objects.create(
        customer=customer,
        provider=provider,
        amount_yen=amount_yen,
        commission_rate_bp=rate,
        commission_yen=commission_yen,
        provider_yen=provider_yen,
        **{"billable_seconds": 0, "billed_seconds": 0, "free_seconds": 0, **fields},
    )


def _collect(charge: Charge, *, hold: Hold | None) -> None:
    """Post a charge: the provider's share and the commission are credited; prepaid is
    taken from the hold, then the wallet, and what points do not cover (and all of a
    postpaid charge) becomes an invoice. The hold's rest goes back to the wallet.

    What the points cover is decided on the customer's accounts locked and read now
    (then the hold's row), so a payment from the wallet racing the charge cannot leave
    it short. The five accounts are read (or made) in one query, the platform's
    commission account not locked (it keeps no balance). The charge and the release of
    the hold's rest stay two entries (the trail shows what was paid and what came back),
    written together: three statements for both."""
    customer, amount = charge.customer, charge.amount_yen
    accounts = ledger.accounts_of(
        customer=customer,
        provider=charge.provider,
        platform_kinds=(ledger.AccountKind.COMMISSION,),
        lock=charge.payment == pricing.PREPAID or hold is not None,
    )
    owed = 0
    # A postpaid charge takes nothing from a hold (an invoice is issued); its hold is released.
    takes_points = charge.payment == pricing.PREPAID
    from_hold, released = (
        hold_settle(hold=hold, amount_yen=amount if takes_points else 0) if hold else (0, 0)
    )
    movements = []
    if amount:
        legs = [
            ledger.credit(accounts.earnings, charge.provider_yen),
            ledger.credit(accounts.commission, charge.commission_yen),
        ]
        if takes_points:
            wallet = accounts.wallet
            from_wallet = min(amount - from_hold, max(0, wallet.balance_yen))
            owed = amount - from_hold - from_wallet
            legs += [
                ledger.debit(accounts.hold, from_hold),
                ledger.debit(wallet, from_wallet),
            ]
        else:
            owed = amount
        legs.append(ledger.debit(accounts.receivable, owed))
        movements.append(
            ledger.movement(kind=Entry.Kind.CHARGE, legs=legs, charge=charge, hold=hold)
        )
    if hold is not None and released:
        movements.append(hold_release_movement(hold=hold, amount_yen=released, accounts=accounts))
    if movements:
        # The caller's transaction fails as a whole on a shortfall: no savepoint of its own.
        ledger.entries_post(movements, savepoint=False)
    if owed:
        invoice_issue(charge=charge, amount_yen=owed)


MESSAGE_PRICE_MAX_YEN = 100_000


def message_charge(*, message_id: int, customer, provider, amount_yen: int, payment: str) -> Charge:
    """Charge a paid message (the messaging domain's, known here by its id) once: its id
    is the idempotency key and the database allows one charge per message.

    Prepaid: taken from the customer's points in the same entry, decided on the wallet
    locked and read now (points on hold and charged in one step, so nothing is left
    held); ``InsufficientFunds`` when they do not cover it, and nothing is charged.
    Postpaid: onto an invoice, as a session's charge is."""
    amount = clean_yen(amount_yen, field="price_yen", minimum=1, maximum=MESSAGE_PRICE_MAX_YEN)
    if payment not in (pricing.PREPAID, pricing.POSTPAID):
        raise ValueError(f"unknown payment {payment!r}")
    return idempotent(
        key=f"message:{message_id}:charge",
        name="message_charge",
        params={"amount_yen": amount, "payment": payment, "customer": customer.pk},
        perform=lambda: _message_charge_post(message_id, customer, provider, amount, payment),
    )


def _message_charge_post(message_id, customer, provider, amount, payment) -> Charge:
    charge = _charge_create(
        customer=customer,
        provider=provider,
        amount_yen=amount,
        message_id=message_id,
        channel="message",
        payment=payment,
        policy={"payment": payment, "price_per_message_yen": amount},
        lines=[
            {"kind": "message", "seconds": 0, "units": 1, "unit": "message", "amount_yen": amount}
        ],
    )
    if payment == pricing.PREPAID:
        accounts = ledger.accounts_of(
            customer=customer,
            provider=provider,
            customer_kinds=(ledger.AccountKind.WALLET,),
            platform_kinds=(ledger.AccountKind.COMMISSION,),
            lock=True,
        )
        if accounts.wallet.balance_yen < amount:
            raise ledger.InsufficientFunds(ledger.INSUFFICIENT_FUNDS)
        ledger.entry_post(
            kind=Entry.Kind.CHARGE,
            legs=[
                ledger.credit(accounts.earnings, charge.provider_yen),
                ledger.credit(accounts.commission, charge.commission_yen),
                ledger.debit(accounts.wallet, amount),
            ],
            charge=charge,
            savepoint=False,
        )
    else:
        _collect(charge, hold=None)
    relationship_charged(
        provider_id=provider.pk, customer_id=customer.pk, amount_yen=amount, session_billed=False
    )
    return charge


def message_charge_refund(*, charge_id: int, user, reason: str) -> Entry:
    """The provider gives back all that is left of a paid message's charge (an unpaid
    invoice for it is reduced first, the rest returns as points), once: the same call
    again returns the first refund."""
    charge = Charge.objects.filter(pk=charge_id, message_id__isnull=False).first()
    if charge is None or charge.provider.user_id != user.pk:
        raise NotFound(CHARGE_NOT_FOUND)

    def refund() -> Entry:
        locked = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("customer", "provider")
            .get(pk=charge.pk)
        )
        refundable = locked.amount_yen - locked.refunded_yen
        if refundable <= 0:
            raise Conflict(NOTHING_TO_REFUND)
        return _refund_post(locked, refundable, reason, user)

    return idempotent(
        key=f"message:{charge.message_id}:refund",
        name="message_charge_refund",
        params={"charge": charge.pk},
        perform=refund,
    )


def booking_fee_charge(*, booking, amount_yen: int, hold: Hold | None = None) -> Charge:
    """Charge the fee for a reservation not kept (cancelled late, or nobody came), once per
    booking; the booking's hold pays it and the rest is released."""
    policy = pricing.PricingPolicy.from_dict(booking.policy)
    return idempotent(
        key=f"booking:{booking.pk}:fee",
        name="booking_fee",
        params={"amount_yen": amount_yen, "hold": hold.pk if hold else None},
        perform=lambda: _booking_fee_post(booking, amount_yen, hold, policy),
    )


def _booking_fee_post(booking, amount_yen, hold, policy) -> Charge:
    charge = _charge_create(
        customer=booking.customer,
        provider=booking.provider,
        amount_yen=amount_yen,
        booking_id=booking.pk,
        channel=booking.channel,
        payment=policy.payment,
        policy=policy.as_dict(),
        lines=[{"kind": "fee", "seconds": 0, "units": 1, "unit": "fee", "amount_yen": amount_yen}],
    )
    _collect(charge, hold=hold)
    relationship_charged(
        provider_id=booking.provider_id,
        customer_id=booking.customer_id,
        amount_yen=amount_yen,
        session_billed=False,
    )
    return charge


EVENT_PRICE_MAX_YEN = 1_000_000


def event_charge(
    *,
    registration_id: int,
    customer,
    provider,
    amount_yen: int,
    payment: str,
    hold: Hold | None = None,
    line: str = "event",
) -> Charge:
    """Charge a seat at an event (the events domain's registration, known here by its id)
    once: the seat's price at the start (``line`` "event"), or the fee of a late
    cancellation (``line`` "fee"), never both. Prepaid is taken from the registration's
    hold and the rest released; postpaid becomes an invoice (its hold, if any, released)."""
    amount = clean_yen(amount_yen, field="price_yen", minimum=1, maximum=EVENT_PRICE_MAX_YEN)
    if payment not in (pricing.PREPAID, pricing.POSTPAID):
        raise ValueError(f"unknown payment {payment!r}")
    return idempotent(
        key=f"event_registration:{registration_id}:charge",
        name="event_charge",
        params={"amount_yen": amount, "payment": payment, "line": line},
        perform=lambda: _event_charge_post(
            registration_id, customer, provider, amount, payment, hold, line
        ),
    )


def _event_charge_post(registration_id, customer, provider, amount, payment, hold, line) -> Charge:
    charge = _charge_create(
        customer=customer,
        provider=provider,
        amount_yen=amount,
        channel="event",
        payment=payment,
        policy={"payment": payment, "event_registration": registration_id},
        lines=[{"kind": line, "seconds": 0, "units": 1, "unit": line, "amount_yen": amount}],
    )
    _collect(charge, hold=hold)
    relationship_charged(
        provider_id=provider.pk, customer_id=customer.pk, amount_yen=amount, session_billed=False
    )
    return charge


def event_fee_refund(*, registration_id: int, charge_id: int, user, reason: str) -> Entry | None:
    """Give back all that is left of a seat's late-cancellation fee (``event_charge`` with
    ``line`` "fee") when the event it was for did not take place: an unpaid invoice for it
    is reduced first, the rest returns as points. Once per registration: a retry or a
    second call returns the first refund. None when nothing was left to give back (staff
    refunded it in full already)."""
    key = f"event_registration:{registration_id}:fee_refund"
    with transaction.atomic():
        locked = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("customer", "provider")
            .filter(pk=charge_id, channel="event")
            .first()
        )
        if (
            locked is None
            or locked.policy.get("event_registration") != registration_id
            or [line.get("kind") for line in locked.lines] != ["fee"]
        ):
            raise NotFound(CHARGE_NOT_FOUND)
        refundable = locked.amount_yen - locked.refunded_yen
        if refundable <= 0 and not Operation.objects.filter(key=key).exists():
            return None
        return idempotent(
            key=key,
            name="event_fee_refund",
            params={"charge": locked.pk},
            perform=lambda: _refund_post(locked, refundable, reason, user),
        )


# --- refunds ---------------------------------------------------------------------------------


def charge_refund(*, user, charge_id: int, amount_yen, reason: str, key: str) -> Entry:
    """Staff give back (part of) a charge. An unpaid invoice for it is reduced first; the
    rest returns as points. The provider's share and the commission go back in proportion.
    """
    require_staff(user)
    charge = Charge.objects.select_related("customer", "provider").filter(pk=charge_id).first()
    if charge is None:
        raise NotFound(CHARGE_NOT_FOUND)

    def refund() -> Entry:
        # Decided on the charge as it is now, locked: a retry of a refund that emptied the
        # charge gets that refund back, and a refund racing it is told what is left.
        locked = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("customer", "provider")
            .get(pk=charge.pk)
        )
        refundable = locked.amount_yen - locked.refunded_yen
        if refundable <= 0:
            raise Conflict(NOTHING_TO_REFUND)
        amount = clean_yen(amount_yen, field="amount_yen", minimum=1, maximum=refundable)
        return _refund_post(locked, amount, clean_reason(reason), user)

    return idempotent(
        key=f"user:{user.pk}:{key}",
        name="charge_refund",
        params={
            "charge": charge.pk,
            "amount_yen": str(amount_yen).strip(),
            "reason": (reason or "").strip(),
        },
        perform=refund,
    )


def _refund_post(charge: Charge, amount: int, reason: str, user) -> Entry:
    """Post a refund of ``amount`` on the locked ``charge`` (no more than is left)."""
    commission_part = pricing.refund_commission_yen(
        amount_yen=charge.amount_yen,
        commission_yen=charge.commission_yen,
        refunded_before=charge.refunded_yen,
        refund_yen=amount,
    )
    charge.refunded_yen += amount
    charge.refunded_commission_yen += commission_part
    charge.save(update_fields=["refunded_yen", "refunded_commission_yen"])
    invoice = Invoice.objects.select_for_update(of=("self",)).filter(charge=charge).first()
    to_invoice = 0
    if invoice is not None and invoice.outstanding_yen > 0:
        to_invoice = min(amount, invoice.outstanding_yen)
        invoice.credited_yen += to_invoice
        if invoice.outstanding_yen == 0:
            invoice.status = Invoice.Status.PAID
        invoice.save(update_fields=["credited_yen", "status"])
    entry = ledger.entry_post(
        kind=Entry.Kind.REFUND,
        legs=[
            ledger.debit(ledger.earnings(charge.provider), amount - commission_part),
            ledger.debit(ledger.commission(), commission_part),
            ledger.credit(ledger.receivable(charge.customer), to_invoice),
            ledger.credit(ledger.wallet(charge.customer), amount - to_invoice),
        ],
        created_by=user,
        reason=reason,
        charge=charge,
        invoice=invoice,
    )
    relationship_refunded(
        provider_id=charge.provider_id, customer_id=charge.customer_id, amount_yen=amount
    )
    notification_send(
        user=charge.customer,
        kind="refund_issued",
        params={"amount": amount, "provider": charge.provider.display_name},
        url=reverse("billing:charge", args=[charge.pk]),
    )
    return entry


# --- adjustments ------------------------------------------------------------------------------


def adjustment_post(*, user, target: str, owner_id, amount_yen, reason: str, key: str) -> Entry:
    """Staff correct a customer's points or a provider's earnings, with a reason.

    A positive amount adds (paid from the platform's promotions account), a negative one
    takes away; points never go below zero.
    """
    require_staff(user)
    errors: dict[str, list] = {}
    if target not in ADJUSTMENT_TARGETS:
        errors["target"] = [UNKNOWN_TARGET]
    amount = clean_signed_yen(amount_yen, errors)
    try:
        reason = clean_reason(reason)
    except InvalidInput as exc:
        errors.update(exc.errors)
    owner = None
    if not errors:
        owner_pk = whole_number(owner_id)
        model = get_user_model() if target == "wallet" else Provider
        owner = model.objects.filter(pk=owner_pk).first() if owner_pk and owner_pk > 0 else None
        if owner is None:
            errors["owner_id"] = [OWNER_NOT_FOUND]
    if errors or owner is None:
        raise InvalidInput(errors)
    account = ledger.wallet(owner) if target == "wallet" else ledger.earnings(owner)
    legs = (
        [ledger.debit(ledger.promotions(), amount), ledger.credit(account, amount)]
        if amount > 0
        else [ledger.debit(account, -amount), ledger.credit(ledger.promotions(), -amount)]
    )
    return idempotent(
        key=f"user:{user.pk}:{key}",
        name="adjustment",
        params={"target": target, "owner": owner.pk, "amount_yen": amount, "reason": reason},
        perform=lambda: ledger.entry_post(
            kind=Entry.Kind.ADJUSTMENT, legs=legs, created_by=user, reason=reason
        ),
    )


def clean_signed_yen(value, errors: dict) -> int:
    amount = whole_number(value)
    if amount is None or amount == 0 or abs(amount) > ADJUSTMENT_MAX_YEN:
        errors["amount_yen"] = [lazy_format(ADJUSTMENT_OUT_OF_RANGE, max=f"{ADJUSTMENT_MAX_YEN:,}")]
        return 0
    return amount
