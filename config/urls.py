from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from aizuchi.accounts.views import set_language

urlpatterns = [
    path("", include("aizuchi.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("me/", include("aizuchi.accounts.urls")),
    path("notifications/", include("aizuchi.notifications.urls")),
    path("providers/", include("aizuchi.storefront.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
