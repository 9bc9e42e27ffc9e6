"""Commission rates and payouts.

A payout request moves the amount from the provider's earnings to "payouts in progress"
at once, so the same yen cannot be requested twice. Staff approve it and record the bank
transfer (the money leaves through the manual gateway's clearing account), or reject it,
which returns the amount to the earnings. The provider may cancel while it waits.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, InvalidInput, NotFound, lazy_format
from aizuchi.core.idempotency import idempotent
from aizuchi.core.money import whole_number
from aizuchi.core.text import has_null
from aizuchi.notifications.services import notification_send
from aizuchi.storefront.models import Provider

from .. import gateways, ledger
from ..models import CommissionRate, Entry, PayoutAccount, PayoutRequest
from .common import billing_setting, clean_reason, clean_yen, require_staff

PAYOUT_NOT_FOUND = _("That payout request does not exist.")
PAYOUT_TOO_SMALL = _("You have ¥%(available)s to pay out; the smallest payout is ¥%(min)s.")
PAYOUT_WRONG_STATE = _("This payout request is %(status)s and cannot change that way.")
RATE_OUT_OF_RANGE = _("Enter a rate from 0 to 100 %, in steps of 0.01 %.")
PROVIDER_NOT_FOUND = _("No such provider.")
REFERENCE_TOO_LONG = _("Keep the reference to 100 characters.")


# --- commission -------------------------------------------------------------------------------


def _clean_rate_bp(value) -> int:
    """'15', '15.5' or '15.25' (percent) → basis points."""
    text = str(value if value is not None else "").strip().rstrip("%").strip()
    whole, _sep, fraction = text.partition(".")
    number = whole_number(whole) if whole else None
    if number is None or len(fraction) > 2 or (fraction and not fraction.isdigit()):
        raise InvalidInput({"rate_percent": [RATE_OUT_OF_RANGE]})
    rate = number * 100 + int(fraction.ljust(2, "0") or 0)
    if not 0 <= rate <= 10_000 or whole.startswith("-"):
        raise InvalidInput({"rate_percent": [RATE_OUT_OF_RANGE]})
    return rate


def commission_rate_set(*, user, provider_id: int, rate_percent) -> CommissionRate | None:
    """Staff set a provider's own rate (percent, two decimals); empty restores the default."""
    require_staff(user)
    pk = whole_number(provider_id)
    provider = Provider.objects.filter(pk=pk).first() if pk and pk > 0 else None
    if provider is None:
        raise InvalidInput({"provider_id": [PROVIDER_NOT_FOUND]})
    if rate_percent in (None, ""):
        CommissionRate.objects.filter(provider=provider).delete()
        return None
    rate, _created = CommissionRate.objects.update_or_create(
        provider=provider,
        defaults={
            "rate_bp": _clean_rate_bp(rate_percent),
            "set_by": user,
            "set_at": timezone.now(),
        },
    )
    return rate


# --- payouts -------------------------------------------------------------------------------------


def payout_available_yen(provider) -> int:
    """Earnings the provider may ask to be paid out now."""
    return max(0, ledger.balance_cached_yen(ledger.earnings(provider)))


def payout_request(*, provider, user, amount_yen, key: str) -> PayoutRequest:
    """The provider asks for ``amount_yen`` of their earnings."""
    minimum = billing_setting("PAYOUT_MIN_YEN")

    def request() -> PayoutRequest:
        # Decided on the earnings as they are now, locked: two requests cannot both
        # spend the same balance.
        earnings, pending = ledger.accounts_lock(
            ledger.earnings(provider), ledger.payout_pending(provider)
        )
        available = max(0, earnings.balance_yen)
        if available < minimum:
            raise InvalidInput(
                {
                    "amount_yen": [
                        lazy_format(
                            PAYOUT_TOO_SMALL, available=f"{available:,}", min=f"{minimum:,}"
                        )
                    ]
                }
            )
        amount = clean_yen(amount_yen, field="amount_yen", minimum=minimum, maximum=available)
        payout = PayoutRequest.objects.create(
            provider=provider, amount_yen=amount, requested_by=user
        )
        ledger.entry_post(
            kind=Entry.Kind.PAYOUT_REQUEST,
            legs=[
                ledger.debit(earnings, amount),
                ledger.credit(pending, amount),
            ],
            created_by=user,
            payout=payout,
        )
        return payout

    return idempotent(
        key=f"user:{user.pk}:{key}",
        name="payout_request",
        params={"provider": provider.pk, "amount_yen": str(amount_yen).strip()},
        perform=request,
    )


def _move(payout_id: int, *, allowed: tuple[str, ...], to: str, queryset=None, **fields):
    """Move a payout request between states, decided on its row locked and read afresh
    inside the caller's transaction: of two racing decisions the second is told the
    state the first left."""
    queryset = queryset if queryset is not None else PayoutRequest.objects.all()
    with transaction.atomic():
        payout = (
            queryset.select_for_update(of=("self",))
            .select_related("provider__user")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None:
            raise NotFound(PAYOUT_NOT_FOUND)
        if payout.status not in allowed:
            raise Conflict(lazy_format(PAYOUT_WRONG_STATE, status=payout.get_status_display()))
        payout.status = to
        for name, value in fields.items():
            setattr(payout, name, value)
        payout.save(update_fields=["status", *fields])
    return payout


def _return_to_earnings(payout: PayoutRequest, user) -> None:
    ledger.entry_post(
        kind=Entry.Kind.PAYOUT_RETURNED,
        legs=[
            ledger.debit(ledger.payout_pending(payout.provider), payout.amount_yen),
            ledger.credit(ledger.earnings(payout.provider), payout.amount_yen),
        ],
        created_by=user,
        payout=payout,
    )


def payout_cancel(*, provider, user, payout_id: int) -> PayoutRequest:
    """The provider withdraws a request staff have not decided on yet."""
    with transaction.atomic():
        payout = _move(
            payout_id,
            allowed=(PayoutRequest.Status.REQUESTED,),
            to=PayoutRequest.Status.CANCELLED,
            queryset=PayoutRequest.objects.filter(provider=provider),
            decided_at=timezone.now(),
            decided_by=user,
        )
        _return_to_earnings(payout, user)
    return payout


def payout_approve(*, user, payout_id: int) -> PayoutRequest:
    require_staff(user)
    return _move(
        payout_id,
        allowed=(PayoutRequest.Status.REQUESTED,),
        to=PayoutRequest.Status.APPROVED,
        decided_at=timezone.now(),
        decided_by=user,
    )


def payout_mark_paid(*, user, payout_id: int, reference: str = "") -> PayoutRequest:
    """Staff record the bank transfer that paid an approved request."""
    require_staff(user)
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise InvalidInput({"reference": [REFERENCE_TOO_LONG]})
    with transaction.atomic():
        payout = _move(
            payout_id,
            allowed=(PayoutRequest.Status.APPROVED,),
            to=PayoutRequest.Status.PAID,
            paid_at=timezone.now(),
            reference=reference,
        )
        ledger.entry_post(
            kind=Entry.Kind.PAYOUT_PAID,
            legs=[
                ledger.debit(ledger.payout_pending(payout.provider), payout.amount_yen),
                ledger.credit(
                    ledger.gateway_clearing(gateways.ManualGateway.code), payout.amount_yen
                ),
            ],
            created_by=user,
            payout=payout,
        )
        notification_send(
            user=payout.provider.user,
            kind="payout_paid",
            params={"amount": payout.amount_yen},
            url=reverse("billing:earnings"),
        )
    return payout


def payout_reject(*, user, payout_id: int, note: str) -> PayoutRequest:
    """Staff turn a request down, with a reason the provider sees; the money returns."""
    require_staff(user)
    note = clean_reason(note, field="note")
    with transaction.atomic():
        payout = _move(
            payout_id,
            allowed=(PayoutRequest.Status.REQUESTED, PayoutRequest.Status.APPROVED),
            to=PayoutRequest.Status.REJECTED,
            decided_at=timezone.now(),
            decided_by=user,
            note=note,
        )
        _return_to_earnings(payout, user)
        notification_send(
            user=payout.provider.user,
            kind="payout_rejected",
            params={"amount": payout.amount_yen, "note": note},
            url=reverse("billing:earnings"),
        )
    return payout


ACCOUNT_REQUIRED = _("Enter this.")
ACCOUNT_TOO_LONG = _("Keep this to %(max)d characters.")
ACCOUNT_NUMBER = _("Enter the 7-digit account number.")
ACCOUNT_HOLDER = _("Write the account holder's name in katakana, as the bank has it.")
ACCOUNT_KIND = _("Choose ordinary or current.")
_KATAKANA = re.compile(r"[\u30a0-\u30ff\uff66-\uff9f 　()（）.．・ー-]+")


def payout_account_set(
    *, provider: Provider, bank_name, branch_name, kind, number, holder
) -> PayoutAccount:
    """Register or change where the provider's payouts go. Full-width digits and spaces
    are accepted (NFKC); every field is checked, and nothing changes on an error."""
    errors: dict[str, list] = {}
    values: dict[str, str] = {}
    for field, raw, limit in (
        ("bank_name", bank_name, 60),
        ("branch_name", branch_name, 60),
        ("holder", holder, 60),
    ):
        text = (
            unicodedata.normalize("NFKC", str(raw or "")).strip()
            if field != "holder"
            else str(raw or "").strip()
        )
        if not text or has_null(text):
            errors[field] = [ACCOUNT_REQUIRED]
        elif len(text) > limit:
            errors[field] = [lazy_format(ACCOUNT_TOO_LONG, max=limit)]
        values[field] = text
    if "holder" not in errors and not _KATAKANA.fullmatch(values["holder"]):
        errors["holder"] = [ACCOUNT_HOLDER]
    digits = unicodedata.normalize("NFKC", str(number or "")).strip()
    if not re.fullmatch(r"[0-9]{7}", digits):
        errors["number"] = [ACCOUNT_NUMBER]
    if kind not in PayoutAccount.Kind.values:
        errors["kind"] = [ACCOUNT_KIND]
    if errors:
        raise InvalidInput(errors)
    account, _created = PayoutAccount.objects.update_or_create(
        provider=provider,
        defaults={**values, "kind": kind, "number": digits, "updated_at": timezone.now()},
    )
    return account
