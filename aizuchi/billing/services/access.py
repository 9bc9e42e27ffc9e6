"""Does money let this customer start a session with this provider now?

``session_start_check`` is the one question the live domain asks billing before ringing a
provider. It answers with every reason that stands in the way, each with a stable code
and a message in the reader's language that says what to do next, and, for a prepaid
offering, how many points to hold for the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import lazy_format
from aizuchi.core.refusals import Refusal, Refused

from .. import ledger, pricing
from ..selectors import customer_history
from .invoices import overdue_invoices

OVERDUE_INVOICE = _(
    "You have an unpaid invoice from %(provider)s that is past its due date. "
    "Please pay it, and you can talk again right away."
)
INSUFFICIENT_POINTS = _(
    "One minute costs ¥%(needed)s and you have ¥%(balance)s in points. Buy points to start."
)
OFFERING_CLOSED = _("This offer is not open at the moment.")
OWN_STOREFRONT = _("This is your own storefront.")


@dataclass(frozen=True)
class StartCheck:
    reasons: list[Refusal] = field(default_factory=list)
    # Prepaid: points to reserve for the session (the balance, at most what the cap costs).
    hold_yen: int = 0
    # Prepaid: the longest the session can run on those points (None: no limit).
    affordable_seconds: int | None = None
    history: pricing.History = pricing.FIRST_SESSION

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [reason.code for reason in self.reasons]


def session_start_check(*, customer, provider, offering) -> StartCheck:
    """Every money reason this customer may not start a session on ``offering`` now."""
    reasons: list[Refusal] = []
    if provider.user_id == customer.pk:
        reasons.append(Refusal("own_storefront", OWN_STOREFRONT))
    if not offering.is_active or offering.provider_id != provider.pk:
        reasons.append(Refusal("offering_closed", OFFERING_CLOSED))
    overdue = overdue_invoices(customer=customer, provider=provider).first()
    if overdue is not None:
        reasons.append(
            Refusal(
                "overdue_invoice",
                lazy_format(OVERDUE_INVOICE, provider=provider.display_name),
                reverse("billing:invoice", args=[overdue.pk]),
            )
        )
    policy = pricing.PricingPolicy.from_offering(offering)
    history = customer_history(customer=customer, provider=provider)
    hold_yen, affordable = 0, None
    if policy.payment == pricing.PREPAID:
        balance = ledger.balance_cached_yen(ledger.wallet(customer))
        refusal = _points_refusal(policy, history, balance)
        if refusal is not None:
            reasons.append(refusal)
        hold_yen = _hold_yen(policy, history, balance)
        affordable = pricing.affordable_seconds(policy, history, hold_yen)
    return StartCheck(
        reasons=reasons, hold_yen=hold_yen, affordable_seconds=affordable, history=history
    )


def _points_refusal(policy, history, balance: int) -> Refusal | None:
    needed = pricing.first_minute_yen(policy, history)
    if balance >= needed:
        return None
    return Refusal(
        "insufficient_points",
        lazy_format(INSUFFICIENT_POINTS, needed=f"{needed:,}", balance=f"{balance:,}"),
        reverse("billing:wallet"),
    )


def _hold_yen(policy, history, balance: int) -> int:
    """A prepaid session holds the balance, at most what the cap costs."""
    cap_cost = pricing.cap_cost_yen(policy, history)
    return balance if cap_cost is None else min(balance, cap_cost)


def session_hold_yen(*, customer, offering, history, first_minute: bool = True) -> int:
    """The points to hold for a session on ``offering`` (0 when it is not prepaid),
    decided on the customer's accounts locked and read now, inside the transaction that
    places the hold: points spent since ``session_start_check`` are not held twice.
    ``first_minute``: refused (``Refused``, insufficient points) when what is left no
    longer pays for the first minute."""
    policy = pricing.PricingPolicy.from_offering(offering)
    if policy.payment != pricing.PREPAID:
        return 0
    wallet, _held = ledger.accounts_lock(ledger.wallet(customer), ledger.hold_account(customer))
    refusal = _points_refusal(policy, history, wallet.balance_yen)
    if first_minute and refusal is not None:
        raise Refused([refusal])
    return _hold_yen(policy, history, wallet.balance_yen)
