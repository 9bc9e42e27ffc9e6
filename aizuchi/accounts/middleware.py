"""The first-run step: nobody uses Aizuchi nameless.

A signed-in person without a nickname would be 「ゲスト」 to every provider they call, on
bookings and on staff pages. Sign-up asks for one; accounts made before that (or by staff)
are sent to a short page for a nickname and time zone before any other page.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .services import needs_first_run


def _exempt_prefixes() -> tuple[str, ...]:
    return (
        reverse("accounts:welcome"),
        reverse("account_logout"),
        reverse("set_language"),
        reverse("site:terms"),
        reverse("site:privacy"),
        settings.STATIC_URL,
        settings.MEDIA_URL,
        "/admin/",
        "/ws/",
    )


class FirstRunMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and request.method == "GET"
            and needs_first_run(user)
            and not request.path.startswith(_exempt_prefixes())
        ):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:welcome')}?{query}")
        return self.get_response(request)
