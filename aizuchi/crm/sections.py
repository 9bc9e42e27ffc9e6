"""What the customer cards add to other domains' pages (aizuchi.core.sections): the card
in brief where the provider meets the customer (a ring on the standby console, the live
session, the message thread, a booking), and the one-step "note and tier" after a call.
Each shows only to the provider whose customer it is."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from aizuchi.core.sections import Section, section_register
from aizuchi.live.models import Session
from aizuchi.storefront.selectors.providers import provider_get_for_owner

from .forms import NoteAndTierForm
from .selectors import card_brief_for_provider


def _own_provider(request: HttpRequest | None, provider_id: int):
    """The viewer's storefront when it is ``provider_id``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    provider = provider_get_for_owner(user=user)
    return provider if provider is not None and provider.pk == provider_id else None


def _brief(request: HttpRequest | None, thing) -> dict[str, Any] | None:
    """Beside a session, a thread or a booking (each has a provider and a customer)."""
    provider = _own_provider(request, thing.provider_id)
    if provider is None:
        return None
    brief = card_brief_for_provider(provider=provider, customer_id=thing.customer_id)
    return {"brief": brief} if brief is not None else None


def _ring(request: HttpRequest | None, ring: dict) -> dict[str, Any] | None:
    """On a ring shown with the console page (rings that arrive later fetch the same)."""
    session = Session.objects.filter(pk=ring.get("id")).only("provider_id", "customer_id").first()
    return _brief(request, session) if session is not None else None


def _console(request: HttpRequest | None, provider) -> dict[str, Any] | None:
    """Tells the console's script where a ring's card is."""
    return {"ring_card": True}


def _after_call(request: HttpRequest | None, session) -> dict[str, Any] | None:
    """After hanging up: a note and the tier in one step."""
    context = _brief(request, session)
    if context is None or session.status != Session.Status.COMPLETED:
        return None
    brief = context["brief"]
    context["after_form"] = NoteAndTierForm(
        tiers=brief.tier_names, initial={"tier": brief.card.tier}, auto_id="after_%s"
    )
    return context


def register() -> None:
    section_register(
        "live.console.ring",
        "crm_card",
        Section(template="crm/sections/ring.html", context=_ring),
    )
    section_register(
        "live.console",
        "crm_ring_card",
        Section(template="crm/sections/console.html", context=_console),
    )
    section_register(
        "live.session.side",
        "crm_card",
        Section(template="crm/sections/brief.html", context=_brief),
    )
    section_register(
        "messaging.thread.side",
        "crm_card",
        Section(template="crm/sections/thread.html", context=_brief),
    )
    section_register(
        "booking.manage.booking",
        "crm_card",
        Section(template="crm/sections/booking.html", context=_brief),
    )
    section_register(
        "live.summary.actions",
        "crm_after_call",
        Section(template="crm/sections/after_call.html", context=_after_call, order=10),
    )
