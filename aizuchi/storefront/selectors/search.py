from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import Combinable, RawSQL

from ..models import ONLINE_STATES, BlogPost, Offering, PresenceState, Provider
from . import query as lang

# --- Search and listing ---------------------------------------------------------------------

SEARCH_PAGE_SIZE = 20
# Counting every match of a broad query over 200,000 providers costs more than the page
# itself; past this many the page says "more than 500" and pagination goes on by "next"
# (counting costs in proportion to the cap when the query walks the sort order).
SEARCH_COUNT_CAP = 500
SEARCH_SORTS = ("recommended", "rank", "rating", "price", "newest")
_PRICE_MISSING = ExpressionWrapper(Q(price_from__isnull=True), output_field=BooleanField())
# Waiting for callers now comes first in the default order (someone can talk right away);
# an expression index serves it (migration 0004), which matches only this very text (a
# bound parameter in its place would not match the index).
NOT_WAITING = RawSQL(  # noqa: S611 — constant SQL
    """NOT ("storefront_provider"."presence_state" = 'open')""", (), output_field=BooleanField()
)
_ORDERINGS: dict[str, tuple[str | Combinable, ...]] = {
    "recommended": (NOT_WAITING.asc(), "-recommend_score", "-id"),
    "rank": ("-rank", "-recommend_score", "-id"),
    "rating": ("-rating_avg", "-rating_count", "-id"),
    # Providers without an offering (no price) last; matches an expression index (migration 0003).
    "price": (_PRICE_MISSING.asc(), "price_from", "-id"),
    "newest": ("-created_at", "-id"),
}


@dataclass
class SearchPage:
    """One page of search or listing results.

    Each provider carries ``presence_state`` and, when there were query words,
    ``hl_name``, ``hl_concept``, ``hl_tags`` and ``hl_snippet`` (escaped HTML with
    <mark> around the matches).
    """

    providers: list[Provider]
    terms: list[str]
    number: int
    page_size: int
    count: int  # exact unless count_capped
    count_capped: bool
    has_next: bool
    filtered: bool = False  # any filter besides the query words
    page_numbers: list[int] = field(default_factory=list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int | None:
        if self.count_capped:
            return None
        return max(1, -(-self.count // self.page_size))


def _provider_total() -> int:
    """How many providers there are, roughly (cached): only used to choose a query plan."""
    total = cache.get("storefront:provider_total")
    if total is None:
        total = Provider.objects.count()
        cache.set("storefront:provider_total", total, 300)
    return total


def provider_search_queryset(
    *,
    query: str = "",
    category: str | None = None,
    channel: str | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    online: bool = False,
    newcomers: bool = False,
    sort: str = "recommended",
) -> QuerySet[Provider]:
    """Listed providers matching every query word and filter, in the chosen order."""
    providers = Provider.objects.filter(is_listed=True)
    terms = lang.query_terms(query)
    if terms:
        broad = lang.is_broad(terms, _provider_total())
        sql, params = lang.matching_provider_ids_sql(terms, broad=broad)
        if broad and connection.vendor == "sqlite":
            # "+id": SQLite may not start from the matches; it walks the sort index and
            # tests each provider against them (see lang.BROAD_SHARE).
            member = RawSQL(f'+"storefront_provider"."id" IN ({sql})', params, BooleanField())  # noqa: S611
            providers = providers.filter(member)
        elif connection.vendor == "postgresql" and not broad:
            # The matches as one array, read once through the GIN index; as "IN" the
            # planner preferred testing the keys row by row along the sort order (0.25 ms
            # a row) or a nested-loop semi join: 100–400 ms instead of ~45 ms.
            in_matches = f'"storefront_provider"."id" = ANY(ARRAY({sql}))'
            member = RawSQL(in_matches, params, BooleanField())  # noqa: S611
            providers = providers.filter(member)
        else:
            providers = providers.filter(pk__in=RawSQL(sql, params))  # noqa: S611 — constant SQL
    if category:
        links = Provider.categories.through.objects.filter(
            provider_id=OuterRef("pk"), category__slug=category
        )
        providers = providers.filter(Exists(links))
    if channel or price_min is not None or price_max is not None:
        offers = Offering.objects.filter(provider_id=OuterRef("pk"), is_active=True)
        if channel:
            offers = offers.filter(channel=channel)
        if price_min is not None:
            offers = offers.filter(price_per_minute__gte=price_min)
        if price_max is not None:
            offers = offers.filter(price_per_minute__lte=price_max)
        providers = providers.filter(Exists(offers))
    if newcomers:
        providers = providers.filter(accepts_newcomers=True, presence_state=PresenceState.OPEN)
    elif online:
        providers = providers.filter(presence_state__in=ONLINE_STATES)
    return providers.order_by(*_ORDERINGS.get(sort, _ORDERINGS["recommended"]))


def provider_search(
    *,
    query: str = "",
    category: str | None = None,
    channel: str | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    online: bool = False,
    newcomers: bool = False,
    sort: str = "recommended",
    page: int = 1,
    page_size: int = SEARCH_PAGE_SIZE,
) -> SearchPage:
    """The search/listing page: providers for one page, a (capped) count, highlights.

    Queries: the page, the count (skipped when the first page is not full), categories,
    tags, and blog posts only when a match is not in the profile text itself.
    """
    terms = lang.query_terms(query)
    filtered = bool(
        category or channel or price_min is not None or price_max is not None or online
    ) or bool(newcomers)
    base = provider_search_queryset(
        query=query,
        category=category,
        channel=channel,
        price_min=price_min,
        price_max=price_max,
        online=online,
        newcomers=newcomers,
        sort=sort,
    )
    page = max(1, page)
    offset = (page - 1) * page_size
    # Two steps: the ids of the page in order (the database sorts narrow rows: sort keys
    # and ids, not whole profiles), then those providers with their related rows.
    ids = list(base.values_list("id", flat=True)[offset : offset + page_size + 1])
    has_next = len(ids) > page_size
    ids = ids[:page_size]
    by_id: dict[int, Any] = {}
    if ids:
        # Photos: the first is the card's portrait.
        by_id = Provider.objects.prefetch_related("categories", "tags", "images").in_bulk(ids)
    providers = [by_id[provider_id] for provider_id in ids if provider_id in by_id]
    if page == 1 and not has_next:
        count, capped = len(providers), False
    else:
        count = base.order_by()[: SEARCH_COUNT_CAP + 1].count()
        capped = count > SEARCH_COUNT_CAP
        count = min(count, SEARCH_COUNT_CAP)
    for provider in providers:
        provider.hl_tags = [lang.highlight(tag.name, terms) for tag in provider.tags.all()]
    if terms:
        _add_highlights(providers, terms)
    result = SearchPage(
        providers=providers,
        terms=terms,
        number=page,
        page_size=page_size,
        count=count,
        count_capped=capped,
        has_next=has_next,
        filtered=filtered,
    )
    last = result.num_pages or page + (1 if has_next else 0)
    result.page_numbers = list(range(max(1, page - 2), min(last, page + 2) + 1))
    return result


def _add_highlights(providers: list[Any], terms: list[str]) -> None:
    needs_post: dict[int, Any] = {}
    for provider in providers:
        provider.hl_name = lang.highlight(provider.display_name, terms)
        provider.hl_concept = lang.highlight(provider.concept, terms)
        provider.hl_snippet = lang.snippet(provider.description, terms)
        if provider.hl_snippet is None:
            needs_post[provider.pk] = provider
    if not needs_post:
        return
    posts = (
        BlogPost.objects.filter(provider_id__in=needs_post, is_published=True)
        .order_by("provider_id", "-published_at", "-id")
        .values_list("provider_id", "title", "body")
    )
    for provider_id, title, body in posts:
        provider = needs_post.get(provider_id)
        if provider is None or provider.hl_snippet is not None:
            continue
        provider.hl_snippet = lang.snippet(f"{title}: {lang.plain_text(body)}", terms)
