"""What billing adds to other domains' pages (aizuchi.core.sections): the first-session
terms of an offering, told only to a visitor for whom they still hold (the pricing
history on the relationship row), so nobody is promised free minutes already used."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register
from aizuchi.storefront.selectors.offerings import offering_first_session_summary

from .selectors import customer_history


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


def register() -> None:
    section_register(
        "storefront.offering.terms",
        "first_session",
        Section(template="billing/sections/first_session.html", context=_first_session_terms),
    )
