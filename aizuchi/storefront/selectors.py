from __future__ import annotations

from django.db.models import QuerySet

from aizuchi.core.errors import NotFound

from .models import Category, Provider
from .strings import PROVIDER_NOT_FOUND


def category_list() -> list[Category]:
    return list(Category.objects.all())


def provider_list(*, category_slug: str | None = None) -> QuerySet[Provider]:
    providers = Provider.objects.prefetch_related("categories").order_by("-created_at", "-id")
    if category_slug:
        providers = providers.filter(categories__slug=category_slug)
    return providers


def provider_list_featured(*, limit: int) -> list[Provider]:
    return list(provider_list()[:limit])


def provider_get(*, provider_id: int) -> Provider:
    try:
        return Provider.objects.prefetch_related("categories").get(pk=provider_id)
    except Provider.DoesNotExist:
        raise NotFound(PROVIDER_NOT_FOUND) from None


def provider_for_owner(*, user) -> Provider | None:
    return Provider.objects.filter(user=user).first()
