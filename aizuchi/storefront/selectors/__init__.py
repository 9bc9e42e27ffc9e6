"""Reads of storefronts and the per-object gates, one module per topic; reads never write.

- ``providers``: categories, listings, one provider (``provider_get``, public) and the
  signed-in person's own (``provider_get_for_owner``), concept history.
- ``offerings``: a provider's offerings and their terms in plain words; ``offering_get``.
- ``standby``: the weekly plan as stored and from the viewer's zone.
- ``media``: photos and videos (``image_get_for_owner``, ``video_get_for_owner``).
- ``blog``: published posts, drafts for their owner (``post_get_for_owner``).
- ``favourites``: counts, lists.
- ``search`` (and ``query``, the search language): search and listing pages.
- ``ranking``: providers by rank.
"""

from .offerings import offering_get, offering_policy_summary, offerings_for_provider
from .providers import (
    category_list,
    concept_history,
    provider_get,
    provider_get_for_owner,
    provider_list,
    provider_list_featured,
    provider_list_waiting,
)
from .search import SearchPage, provider_search, provider_search_queryset

__all__ = [
    "SearchPage",
    "category_list",
    "concept_history",
    "offering_get",
    "offering_policy_summary",
    "offerings_for_provider",
    "provider_get",
    "provider_get_for_owner",
    "provider_list",
    "provider_list_featured",
    "provider_list_waiting",
    "provider_search",
    "provider_search_queryset",
]
