"""The events' part of other domains' pages: upcoming events on the provider's public
page (storefront)."""

from __future__ import annotations

from aizuchi.core.sections import Section, section_register

from .selectors import events_upcoming_for_provider


def _storefront_events(request, provider) -> dict | None:
    user = request.user if request is not None else None
    found = list(events_upcoming_for_provider(provider=provider, user=user)[:5])
    if not found:
        return None
    return {"events": found}


def register() -> None:
    section_register(
        "storefront.provider.main",
        "events",
        Section("events/_storefront_section.html", _storefront_events, order=60),
    )
