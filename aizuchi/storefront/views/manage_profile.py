"""The provider's own area: profile, prices and terms, standby plan."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from ..manage import provider_area, render_manage


@require_http_methods(["GET", "POST"])
@provider_area("profile")
def manage_profile(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(request, "storefront/manage/profile.html")


@require_http_methods(["GET", "POST"])
@provider_area("offerings")
def manage_offerings(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(request, "storefront/manage/offerings.html")


@require_http_methods(["GET", "POST"])
@provider_area("standby")
def manage_standby(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(request, "storefront/manage/standby.html")
