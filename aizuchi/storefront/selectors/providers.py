from __future__ import annotations

from django.db.models import QuerySet

from aizuchi.core.errors import NotFound

from ..models import Category, ConceptVersion, PresenceState, Provider
from ..strings import PROVIDER_NOT_FOUND


def category_list() -> list[Category]:
    return list(Category.objects.all())


def provider_list(*, category_slug: str | None = None) -> QuerySet[Provider]:
    providers = Provider.objects.prefetch_related("categories", "images").order_by(
        "-created_at", "-id"
    )
    if category_slug:
        providers = providers.filter(categories__slug=category_slug)
    return providers


def provider_list_featured(*, limit: int) -> list[Provider]:
    return list(provider_list().filter(is_listed=True)[:limit])


def provider_list_waiting(*, limit: int) -> list[Provider]:
    """Listed providers waiting for callers now, the recommended first: whom one can talk
    to right away (the home page's 「今すぐ話せる」)."""
    return list(
        Provider.objects.prefetch_related("categories")
        .filter(is_listed=True, presence_state=PresenceState.OPEN)
        .order_by("-recommend_score", "-id")[:limit]
    )


def provider_get(*, provider_id: int) -> Provider:
    try:
        return Provider.objects.prefetch_related("categories").get(pk=provider_id)
    except Provider.DoesNotExist:
        raise NotFound(PROVIDER_NOT_FOUND) from None


def provider_get_for_owner(*, user) -> Provider | None:
    """The signed-in person's own storefront (None when they have none): the one gate to
    a provider for its owner."""
    return Provider.objects.select_related("user").filter(user=user).first()


def concept_history(*, provider: Provider) -> list[ConceptVersion]:
    """The provider's concept versions, newest first."""
    return list(ConceptVersion.objects.filter(provider=provider).order_by("-number"))
