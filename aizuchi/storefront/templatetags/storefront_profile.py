"""Template tags for provider pages: presence, offerings, standby plan, stars.

{% load storefront_profile %}
{% provider_presence provider as presence %}   state, label, is_online, is_busy
{% provider_offerings provider as offerings %} active offerings with their terms in words
{% provider_standby provider as plan %}        the coming week in the viewer's zone
{% stars value %}                              five stars and a sentence for screen readers
{% presence_labels %}                          every state's label, for presence.js
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html, json_script
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ..models import PresenceState
from ..selectors.offerings import offering_policy_summary, offerings_for_provider
from ..selectors.standby import standby_plan_for_viewer

register = template.Library()


@register.simple_tag
def provider_presence(provider) -> dict:
    """The provider's state now (offline if they never went on standby)."""
    try:
        state = PresenceState(provider.presence_state)
    except ValueError:
        state = PresenceState.OFFLINE
    return {
        "state": state.value,
        "label": state.label,
        "is_online": state in (PresenceState.OPEN, PresenceState.APPOINTMENT),
        "is_busy": state == PresenceState.IN_SESSION,
    }


@register.simple_tag
def presence_labels() -> str:
    """The labels of every state in the page's language, for presence.js."""
    labels = {state.value: capfirst(str(state.label)) for state in PresenceState}
    return json_script(labels, "presence-labels")


@register.simple_tag
def provider_offerings(provider) -> list[dict]:
    """Active offerings with their plain-language terms, voice first. The first-session
    terms are left to the "storefront.offering.terms" sections, which know the viewer."""
    return [
        {"offering": offering, "summary": offering_policy_summary(offering, first_session=False)}
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


def _number(value) -> str:
    value = Decimal(str(value or 0))
    if value == value.to_integral_value():
        return str(int(value))
    return f"{value.normalize():f}"


@register.simple_tag
def stars(value) -> str:
    """Five stars for people who look and a sentence for people who listen ("5段階中4")."""
    number = Decimal(str(value or 0))
    full = max(0, min(5, int(number.quantize(Decimal("1"), rounding="ROUND_HALF_UP"))))
    # Translators: an accessible star rating, e.g. "5段階中4".
    label = _("%(value)s out of 5") % {"value": _number(number)}
    return format_html(
        '<span class="stars" role="img" aria-label="{}"><span aria-hidden="true">{}</span></span>',
        label,
        "★" * full + "☆" * (5 - full),
    )
