from django.urls import path

from . import views

app_name = "presence"
urlpatterns = [
    path("state/", views.state_set, name="state"),
]
