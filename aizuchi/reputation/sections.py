"""What reputation adds to other domains' pages (aizuchi.core.sections): the reviews on a
provider's public page, and the invitation to review on a completed session's summary."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register

from .selectors import reviews


def _provider_reviews(request: HttpRequest | None, provider) -> dict[str, Any]:
    user = getattr(request, "user", None)
    latest = reviews.reviews_visible(provider_id=provider.pk)
    if user is not None:
        latest = reviews.reviews_with_viewer_report(latest, user=user)
    found = list(latest[:6])
    return {"block": {"latest": found[:5], "more": len(found) > 5}}


def _review_invite(request: HttpRequest | None, session) -> dict[str, Any] | None:
    """For the customer of a completed session they have not reviewed yet."""
    user = getattr(request, "user", None)
    if (
        user is None
        or user.pk != session.customer_id
        or session.status != "completed"
        or reviews.session_review(session=session) is not None
    ):
        return None
    return {}


def register() -> None:
    section_register(
        "storefront.provider.main",
        "reviews",
        Section(template="reputation/_provider_reviews.html", context=_provider_reviews),
    )
    section_register(
        "live.summary",
        "review_invite",
        Section(template="reputation/_review_invite.html", context=_review_invite),
    )
