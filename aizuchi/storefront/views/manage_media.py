"""The media section of the provider's own area: photos, videos and the voice sample."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from ..manage import provider_area, render_manage


@require_GET
@provider_area("media")
def manage_media(request: HttpRequest, *, provider) -> HttpResponse:
    return render_manage(request, "storefront/manage/media.html")
