"""What every page of the provider's own area shares: who may enter it.

Each domain's pages there (reservations, earnings, reviews, the standby console…) use
``provider_area``; the navigation between them (every domain's page) is the site's
(``aizuchi.site.context_processors``)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .selectors.providers import provider_get_for_owner


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
            provider = provider_get_for_owner(user=request.user)
            if provider is None:
                return redirect("storefront:open")
            request.manage_context = {"provider": provider, "manage_section": section}
            return view(request, *args, provider=provider, **kwargs)

        return wrapper

    return decorate


def render_manage(request, template: str, context: dict | None = None, *, status: int = 200):
    """Render a page of the provider's area with the shared navigation context."""
    return render(request, template, {**request.manage_context, **(context or {})}, status=status)
