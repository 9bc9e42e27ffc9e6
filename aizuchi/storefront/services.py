"""Every change to a storefront goes through these functions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse

from aizuchi.core.errors import Conflict, InvalidInput
from aizuchi.notifications.services import notification_send

from .models import Category, Provider
from .strings import ALREADY_OPEN, CONCEPT_REQUIRED, NAME_REQUIRED, UNKNOWN_CATEGORY


def provider_open(*, user, display_name: str, concept: str, category_slugs: list[str]) -> Provider:
    """Open ``user``'s storefront. A person has at most one."""
    display_name, concept = display_name.strip(), concept.strip()
    errors: dict[str, list] = {}
    if not display_name:
        errors["display_name"] = [NAME_REQUIRED]
    if not concept:
        errors["concept"] = [CONCEPT_REQUIRED]
    categories = list(Category.objects.filter(slug__in=set(category_slugs)))
    if len(categories) != len(set(category_slugs)):
        errors["categories"] = [UNKNOWN_CATEGORY]
    if errors:
        raise InvalidInput(errors)

    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                user=user, display_name=display_name, concept=concept
            )
            provider.categories.set(categories)
            notification_send(
                user=user,
                kind="provider_opened",
                params={"display_name": display_name},
                url=reverse("storefront:detail", args=[provider.pk]),
            )
    except IntegrityError:
        # The one-to-one on user is the arbiter, also when two requests race.
        raise Conflict(ALREADY_OPEN, code="already_open") from None
    return provider
