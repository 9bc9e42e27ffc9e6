from django.urls import path

from .views import providers

app_name = "storefront"
urlpatterns = [
    path("", providers.provider_index, name="index"),
    path("open/", providers.provider_open, name="open"),
    path("<int:provider_id>/", providers.provider_detail, name="detail"),
]
