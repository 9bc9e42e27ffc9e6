"""What billing adds to other domains' pages (aizuchi.core.sections): the first-session
terms of an offering, told only to a visitor for whom they still hold (the pricing
history on the relationship row), so nobody is promised free minutes already used."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register
from aizuchi.storefront.selectors.offerings import offering_first_session_summary

from . import pricing
from .selectors import commission_rate_for, customer_history


def _first_session_terms(request: HttpRequest | None, offering) -> dict[str, Any] | None:
    terms = offering_first_session_summary(offering)
    if not terms:
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.pk == offering.provider.user_id:
            return {"first_terms": terms, "first_terms_own": True}
        if not customer_history(customer=user, provider=offering.provider_id).is_first_session:
            return None
    return {"first_terms": terms}


def _net_per_minute(request: HttpRequest | None, section) -> dict[str, Any] | None:
    """On the provider's own offering form: what a minute at this price brings them after
    the platform's commission (the split billing makes of every charge)."""
    offering = section.get("offering") if isinstance(section, dict) else None
    if offering is None:
        return None
    rate = commission_rate_for(offering.provider_id)
    commission, net = pricing.commission_split(offering.price_per_minute, rate)
    return {"net_yen": net, "commission_yen": commission, "rate_bp": rate}


def register() -> None:
    section_register(
        "storefront.manage.offering",
        "net_per_minute",
        Section(template="billing/sections/net_per_minute.html", context=_net_per_minute),
    )
    section_register(
        "storefront.offering.terms",
        "first_session",
        Section(template="billing/sections/first_session.html", context=_first_session_terms),
    )
