"""Yen, rates and ledger descriptions in templates."""

from __future__ import annotations

from types import SimpleNamespace

from django import template
from django.utils.translation import gettext as _

from aizuchi.storefront.selectors.offerings import offering_policy_summary

from .. import gateways
from ..gateways.manual import payment_reference
from ..models import AccountKind, Entry

register = template.Library()


@register.filter
def yen(value) -> str:
    """¥1,234 (and −¥1,234 for a negative amount)."""
    if value in (None, ""):
        return ""
    amount = int(value)
    return f"−¥{-amount:,}" if amount < 0 else f"¥{amount:,}"


@register.filter
def signed_yen(value) -> str:
    """+¥1,000 / −¥500, for movements."""
    amount = int(value or 0)
    return f"+¥{amount:,}" if amount > 0 else yen(amount)


@register.filter
def points(value) -> str:
    """Points as points, not yen: 「3,000ポイント」, "3,000 pt" (1 point is ¥1, but a
    balance of points is not money in the customer's hand)."""
    amount = int(value or 0)
    # Translators: a number of points, e.g. 「3,000ポイント」
    return _("%(points)s pt") % {"points": f"{amount:,}" if amount >= 0 else f"−{-amount:,}"}


@register.filter
def signed_points(value) -> str:
    """+3,000 pt / −1,200 pt, for movements of points."""
    amount = int(value or 0)
    return f"+{points(amount)}" if amount > 0 else points(amount)


@register.filter
def percent_bp(value) -> str:
    """Basis points as a percentage: 2000 → 20 %, 1250 → 12.5 %."""
    text = f"{int(value) / 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def minutes_seconds(value) -> str:
    """1234 seconds → 20:34."""
    seconds = int(value or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


@register.filter
def gateway_name(code: str) -> str:
    gateway = gateways.BUILT_IN.get(code)
    return str(gateway.name) if gateway else code


@register.filter
def reference(payment) -> str:
    return payment_reference(payment)


@register.simple_tag
def policy_summary(policy: dict) -> str:
    """The terms a charge was made under, in the same words the storefront uses."""
    if not policy:
        return ""
    return offering_policy_summary(
        SimpleNamespace(
            first_free_minutes=policy.get("first_free_minutes", 0),
            first_session_cap_minutes=policy.get("first_session_cap_minutes"),
            session_cap_minutes=policy.get("session_cap_minutes"),
            rounding=policy.get("rounding", "minute"),
            payment=policy.get("payment", "prepaid"),
        )
    )


@register.simple_tag
def entry_label(entry: Entry) -> str:
    """What a ledger entry was, in a few words a customer or provider understands."""
    charge, invoice = entry.charge, entry.invoice
    if charge is not None and charge.message_id is not None:
        if entry.kind == Entry.Kind.REFUND:
            return _("Refund for a message to %(provider)s") % {
                "provider": charge.provider.display_name
            }
        if entry.kind == Entry.Kind.CHARGE:
            return _("Message to %(provider)s") % {"provider": charge.provider.display_name}
    if entry.kind == Entry.Kind.CHARGE and charge is not None:
        return _("Session with %(provider)s") % {"provider": charge.provider.display_name}
    if entry.kind == Entry.Kind.INVOICE_PAYMENT and invoice is not None:
        return _("Payment of invoice %(number)s") % {"number": invoice.number}
    if entry.kind == Entry.Kind.REFUND and charge is not None:
        return _("Refund for the session with %(provider)s") % {
            "provider": charge.provider.display_name
        }
    if entry.kind == Entry.Kind.ADJUSTMENT and entry.reason:
        return _("Adjustment: %(reason)s") % {"reason": entry.reason}
    return str(entry.get_kind_display()).capitalize()


@register.filter
def account_label(account) -> str:
    return str(AccountKind(account.kind).label).capitalize()
