from django.urls import path

from . import views

app_name = "storefront"
urlpatterns = [
    path("", views.provider_index, name="index"),
    path("open/", views.provider_open, name="open"),
    path("<int:provider_id>/", views.provider_detail, name="detail"),
]
