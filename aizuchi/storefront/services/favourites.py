"""Favourites: a customer keeps providers on a list; a provider sees how many did.

Adding and removing are idempotent. The unique constraint on (customer, provider) is the
arbiter when two requests race; the services never check-then-insert on their own.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from aizuchi.core.errors import Conflict, NotFound

from ..models import Favourite, Provider
from ..strings import PROVIDER_NOT_FOUND

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
