"""What every page of the provider's own area shares: who may enter, and its sections."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from .selectors import provider_for_owner

# (key, label, URL name) in the order the navigation shows them.
SECTIONS = [
    ("console", _("Standby now"), "live:console"),
    ("profile", _("Profile"), "storefront:manage_profile"),
    ("media", _("Photos, videos and voice"), "storefront:manage_media"),
    ("offerings", _("Prices and terms"), "storefront:manage_offerings"),
    ("standby", _("Standby plan"), "storefront:manage_standby"),
    ("bookings", _("Reservations"), "booking:manage"),
    ("blog", _("Blog"), "storefront:manage_blog"),
    ("reviews", _("Reviews"), "storefront:manage_reviews"),
    ("earnings", _("Earnings and payouts"), "billing:earnings"),
]


def provider_area(section: str):
    """Decorate a view of the provider's own area.

    The view receives the signed-in user's provider as ``provider``; a user without a
    storefront is sent to open one. Authorization is by construction: a provider only
    ever reaches their own storefront here.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            provider = provider_for_owner(user=request.user)
            if provider is None:
                return redirect("storefront:open")
            request.manage_context = {
                "provider": provider,
                "manage_section": section,
                "manage_sections": SECTIONS,
            }
            return view(request, *args, provider=provider, **kwargs)

        return wrapper

    return decorate


def render_manage(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a page of the provider's area with the shared navigation context."""
    return render(request, template, {**request.manage_context, **(context or {})}, status=status)
