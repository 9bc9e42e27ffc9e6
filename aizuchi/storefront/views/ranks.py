"""The rank pages: everyone, or one category, by rank and then recommended score."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..selectors import category_list
from ..selectors import ranking as ranks

PAGE_SIZE = 20


@require_GET
def ranking(request: HttpRequest, category_slug: str | None = None) -> HttpResponse:
    category = None
    if category_slug is not None:
        category = ranks.ranking_category(slug=category_slug)
    page = Paginator(ranks.ranking(category=category), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "storefront/ranks/ranking.html",
        {"page": page, "category": category, "categories": category_list()},
    )
