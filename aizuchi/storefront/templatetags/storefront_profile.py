"""Template tags for the public provider page: presence, offerings, standby plan."""

from __future__ import annotations

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from aizuchi.presence.models import State

from ..offerings import offering_policy_summary, offerings_for_provider
from ..standby import standby_plan_for_viewer

register = template.Library()


@register.simple_tag
def provider_presence(provider) -> dict:
    """The provider's state now (offline if they never went on standby)."""
    try:
        state = State(provider.presence.state)
    except (ObjectDoesNotExist, ValueError):
        state = State.OFFLINE
    return {
        "state": state.value,
        "label": state.label,
        "is_online": state in (State.OPEN, State.APPOINTMENT),
        "is_busy": state == State.IN_SESSION,
    }


@register.simple_tag
def provider_offerings(provider) -> list[dict]:
    """Active offerings with their plain-language terms, voice first."""
    return [
        {"offering": offering, "summary": offering_policy_summary(offering)}
        for offering in offerings_for_provider(provider=provider, active_only=True)
    ]


@register.simple_tag
def provider_standby(provider):
    """The weekly plan over the viewer's coming 7 days, in the viewer's zone.

    The zone is the one the request activated: the user's own, or Asia/Tokyo.
    """
    return standby_plan_for_viewer(
        provider=provider, viewer_zone=timezone.get_current_timezone(), now=timezone.now()
    )
