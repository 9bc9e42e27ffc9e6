"""What messaging adds to other domains' pages (aizuchi.core.sections): "send a message"
next to favourite and book on the provider's page, on favourite cards, under blog
posts, and on a session's summary."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register

from .selectors import message_quote_for_customer, thread_for_pair


def _viewer(request: HttpRequest | None):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _provider_box(request: HttpRequest | None, provider) -> dict[str, Any] | None:
    """On the provider's page: what a message costs this visitor, before they write."""
    user = _viewer(request)
    if user is None:
        return {"message_provider": provider, "signed_out": True}
    if user.pk == provider.user_id:
        return None
    return {
        "message_provider": provider,
        "quote": message_quote_for_customer(customer=user, provider=provider),
    }


def _link(request: HttpRequest | None, provider) -> dict[str, Any] | None:
    """A plain "send a message" link (favourite cards, blog posts): the thread page says
    what it costs."""
    user = _viewer(request)
    if user is not None and user.pk == provider.user_id:
        return None
    return {"message_provider": provider, "signed_out": user is None}


def _summary(request: HttpRequest | None, session) -> dict[str, Any] | None:
    """After a session (or a call that never happened), either side can write."""
    user = _viewer(request)
    if user is None:
        return None
    if user.pk == session.customer_id:
        return {"message_provider": session.provider, "signed_out": False}
    if user.pk == session.provider.user_id:
        thread = thread_for_pair(provider=session.provider, customer=session.customer)
        return {"message_customer": session.customer, "message_thread": thread}
    return None


def _console_customer(request: HttpRequest | None, customer) -> dict[str, Any] | None:
    """On the standby console's customer rows: write to them."""
    return {"message_customer": customer}


def register() -> None:
    section_register(
        "storefront.provider.actions",
        "send_message",
        Section(template="messaging/sections/provider_box.html", context=_provider_box),
    )
    section_register(
        "storefront.favourite.actions",
        "send_message",
        Section(template="messaging/sections/link.html", context=_link),
    )
    section_register(
        "storefront.blog.post",
        "send_message",
        Section(template="messaging/sections/blog.html", context=_link),
    )
    section_register(
        "live.console.customer",
        "send_message",
        Section(template="messaging/sections/console.html", context=_console_customer),
    )
    section_register(
        "live.summary.actions",
        "send_message",
        Section(template="messaging/sections/summary.html", context=_summary),
    )
