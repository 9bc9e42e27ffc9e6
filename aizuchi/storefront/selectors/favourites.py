"""Favourites: a customer keeps providers on a list; a provider sees how many did.

Adding and removing are idempotent. The unique constraint on (customer, provider) is the
arbiter when two requests race; the services never check-then-insert on their own.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

from ..models import Favourite, PresenceState

PAGE_SIZE = 20


# --- Selectors ---------------------------------------------------------------------------


def favourite_count(*, provider) -> int:
    """How many people keep ``provider`` on their list."""
    return Favourite.objects.filter(provider_id=provider.pk).count()


def is_favourite(*, customer, provider) -> bool:
    if customer is None or not getattr(customer, "is_authenticated", False):
        return False
    return Favourite.objects.filter(customer_id=customer.pk, provider_id=provider.pk).exists()


def favourite_list(*, customer, page: str | int | None = None) -> Page:
    """One page of ``customer``'s favourites, newest first.

    Each entry carries its ``provider`` (joined, not fetched one by one) and
    ``presence_state``, the provider's ``PresenceState`` now.
    """
    favourites = (
        Favourite.objects.filter(customer_id=customer.pk)
        .select_related("provider")
        .order_by("-created_at", "-id")
    )
    result = Paginator(favourites, PAGE_SIZE).get_page(page)
    entries: list[Any] = list(result.object_list)
    for entry in entries:
        entry.presence_state = PresenceState(entry.provider.presence_state)
    result.object_list = entries
    return result
