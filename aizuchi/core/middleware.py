from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation

from .errors import NotFound


class UserPreferencesMiddleware:
    """Show every page in the viewer's own time zone and language.

    Signed-in people get the zone and language saved on their account; everyone
    else gets the default zone (Asia/Tokyo) and the language LocaleMiddleware chose.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = settings.DEFAULT_USER_TIME_ZONE
        if user is not None and user.is_authenticated:
            zone_name = user.time_zone or zone_name
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        try:
            timezone.activate(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.DEFAULT_USER_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NotFoundMiddleware:
    """A service's ``NotFound`` that escapes a view is the 404 page.

    Services refuse objects the caller may not see with ``NotFound`` (see errors.py);
    views let it through instead of each translating it into ``Http404``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, NotFound):
            raise Http404(exception.message) from exception
