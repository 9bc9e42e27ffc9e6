"""The ranking pages: listed providers by rank (worked out by the reputation domain's
daily job and kept on the provider), then by recommended score."""

from __future__ import annotations

from django.db.models import QuerySet

from aizuchi.core.errors import NotFound

from ..models import Category, Provider
from ..strings import UNKNOWN_CATEGORY


def ranking_category(*, slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise NotFound(UNKNOWN_CATEGORY)
    return category


def ranking(*, category: Category | None = None) -> QuerySet[Provider]:
    """Listed providers by rank, then recommended score (uses the rank index)."""
    providers = Provider.objects.filter(is_listed=True)
    if category is not None:
        providers = providers.filter(categories=category)
    return providers.prefetch_related("categories").order_by("-rank", "-recommend_score", "-id")
