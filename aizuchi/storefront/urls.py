from django.urls import path

from .views import manage_media, manage_profile, providers

app_name = "storefront"
urlpatterns = [
    path("", providers.provider_index, name="index"),
    path("open/", providers.provider_open, name="open"),
    path("<int:provider_id>/", providers.provider_detail, name="detail"),
    path("me/profile/", manage_profile.manage_profile, name="manage_profile"),
    path("me/offerings/", manage_profile.manage_offerings, name="manage_offerings"),
    path("me/standby/", manage_profile.manage_standby, name="manage_standby"),
    path("me/media/", manage_media.manage_media, name="manage_media"),
]
