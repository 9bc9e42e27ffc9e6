"""The events' part of other domains' pages: upcoming events on the provider's public
page and under the search results (storefront)."""

from __future__ import annotations

from aizuchi.core.sections import Section, section_register
from aizuchi.relationships.selectors import relationship_for

from .selectors import (
    event_next_for_reply,
    events_upcoming_for_provider,
    events_upcoming_for_search,
)


def _storefront_events(request, provider) -> dict | None:
    user = request.user if request is not None else None
    found = list(events_upcoming_for_provider(provider=provider, user=user)[:5])
    if not found:
        return None
    return {"events": found}


def _search_events(request, results) -> dict | None:
    """Under the providers of a page of search results: their soonest public events."""
    providers = getattr(results, "providers", None) or []
    if not providers:
        return None
    user = request.user if request is not None and request.user.is_authenticated else None
    found = events_upcoming_for_search(provider_ids=[p.pk for p in providers], user=user)
    if not found:
        return None
    return {"events": found, "show_provider": True}


def _thread_invite(request, thread) -> dict | None:
    """On the provider's side of a message thread: one click answers a personal request
    with an invitation to the next suitable event."""
    event = event_next_for_reply(provider=thread.provider, customer=thread.customer)
    if (
        event is None
        or relationship_for(
            provider_id=thread.provider_id, customer_id=thread.customer_id
        ).is_blocked
    ):
        return None
    return {"event": event, "thread": thread}


def register() -> None:
    section_register(
        "messaging.thread.provider",
        "event_invite",
        Section("events/_thread_invite.html", _thread_invite, order=50),
    )
    section_register(
        "storefront.search.results",
        "events",
        Section("events/_search_section.html", _search_events, order=60),
    )
    section_register(
        "storefront.provider.main",
        "events",
        Section("events/_storefront_section.html", _storefront_events, order=60),
    )
