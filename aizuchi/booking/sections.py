"""What booking adds to other domains' pages (aizuchi.core.sections): "book a time" on
favourite cards, so a kept provider is always one step from a conversation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register


def _book_link(request: HttpRequest | None, provider) -> dict[str, Any] | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.pk == provider.user_id:
        return None
    return {"book_provider": provider}


def register() -> None:
    section_register(
        "storefront.favourite.actions",
        "book",
        Section(template="booking/sections/book_link.html", context=_book_link, order=50),
    )
