"""Favourites: a customer keeps providers on a list; a provider sees how many did.

Adding and removing are idempotent. The unique constraint on (customer, provider) is the
arbiter when two requests race; the services never check-then-insert on their own.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, NotFound
from aizuchi.presence.models import State

from .models import Favourite, Provider
from .strings import PROVIDER_NOT_FOUND

PAGE_SIZE = 20

OWN_STOREFRONT = _("This is your own storefront: you cannot add it to your favourites.")


def _provider(provider_id: int) -> Provider:
    try:
        return Provider.objects.only("id", "user_id").get(pk=provider_id)
    except (Provider.DoesNotExist, ValueError, TypeError):
        raise NotFound(PROVIDER_NOT_FOUND) from None


def favourite_add(*, customer, provider_id: int) -> Favourite:
    """Put a provider on ``customer``'s list; adding twice changes nothing."""
    provider = _provider(provider_id)
    if provider.user_id == customer.pk:
        raise Conflict(OWN_STOREFRONT, code="own_storefront")
    try:
        with transaction.atomic():
            return Favourite.objects.create(customer=customer, provider=provider)
    except IntegrityError:
        # Already there (perhaps added by a parallel request a moment ago).
        return Favourite.objects.get(customer=customer, provider=provider)


def favourite_remove(*, customer, provider_id: int) -> None:
    """Take a provider off ``customer``'s list; removing what is not there is fine."""
    Favourite.objects.filter(customer=customer, provider_id=provider_id).delete()


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
    ``presence_state``, a presence ``State`` (offline when the provider never had one).
    """
    favourites = (
        Favourite.objects.filter(customer_id=customer.pk)
        .select_related("provider")
        .annotate(presence_value=Coalesce("provider__presence__state", Value(State.OFFLINE.value)))
        .order_by("-created_at", "-id")
    )
    result = Paginator(favourites, PAGE_SIZE).get_page(page)
    entries = list(result.object_list)
    for entry in entries:
        entry.presence_state = State(entry.presence_value)
    result.object_list = entries
    return result
