import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from aizuchi.accounts.views import ConfirmEmailView, set_language

urlpatterns = [
    path("", include("aizuchi.site.urls")),
    path("", include("aizuchi.core.urls")),
    # Before allauth's own: confirming in another browser signs in too (accounts.views).
    path(
        "accounts/confirm-email/<str:key>/",
        ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    path("me/", include("aizuchi.accounts.urls")),
    path("notifications/", include("aizuchi.notifications.urls")),
    path("providers/", include("aizuchi.storefront.urls")),
    path("providers/", include("aizuchi.reputation.urls")),
    path("billing/", include("aizuchi.billing.urls")),
    path("presence/", include("aizuchi.presence.urls")),
    path("access/", include("aizuchi.access.urls")),
    path("live/", include("aizuchi.live.urls")),
    path("booking/", include("aizuchi.booking.urls")),
    path("events/", include("aizuchi.events.urls")),
    path("messages/", include("aizuchi.messaging.urls")),
    path("customers/", include("aizuchi.crm.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]


def serve_media(request, path):
    """Uploaded files (re-encoded images, checked audio) from MEDIA_ROOT, also with DEBUG off."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.AIZUCHI_SERVE_MEDIA:
    urlpatterns += [
        re_path(rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$", serve_media),
    ]
