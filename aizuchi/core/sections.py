"""Page sections a higher layer adds to a lower layer's page, without the lower one
knowing it.

A page names a slot (``"storefront.provider.main"``, ``"live.summary"``) where it shows
``{% page_sections "slot" object %}`` (``{% load sections %}``); an app above registers a
section for that slot in its ``AppConfig.ready``: a template and a function that gives the
template's context for a request and the page's object (None leaves the section out).
So the provider page shows reviews, and a session's summary invites one, while storefront
and live import nothing of the reputation domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

SectionContext = Callable[[HttpRequest | None, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    template: str
    context: SectionContext | None = None
    order: int = 100


_slots: dict[str, dict[str, Section]] = {}


def section_register(slot: str, name: str, section: Section) -> Section:
    """Show ``section`` in ``slot`` (registering the same name again replaces it)."""
    _slots.setdefault(slot, {})[name] = section
    return section


def sections_for(slot: str) -> list[Section]:
    """The sections of ``slot`` in their order."""
    return sorted(_slots.get(slot, {}).values(), key=lambda section: section.order)
