"""Viewer-specific favourite data for storefront pages.

{% load storefront_favourites %}
{% favourite_state provider as fav %}   fav.is_favourite, fav.is_owner, fav.can_favourite
{% favourite_count provider as n %}
{% favourited_by_line provider %}      "3 people favourited you"
"""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

from ..selectors import favourites

register = template.Library()


@register.simple_tag(takes_context=True)
def favourite_state(context, provider) -> dict:
    user = context.get("user") or getattr(context.get("request"), "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    is_owner = signed_in and provider.user_id == user.pk
    return {
        "signed_in": signed_in,
        "is_owner": is_owner,
        "can_favourite": not is_owner,
        "is_favourite": (
            signed_in and not is_owner and favourites.is_favourite(customer=user, provider=provider)
        ),
    }


@register.simple_tag
def favourite_count(provider) -> int:
    return favourites.favourite_count(provider=provider)


@register.simple_tag
def favourited_by_line(provider) -> str:
    count = favourites.favourite_count(provider=provider)
    return ngettext("%(count)d person favourited you", "%(count)d people favourited you", count) % {
        "count": count
    }
