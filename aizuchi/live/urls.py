from django.urls import path

from . import views

app_name = "live"
urlpatterns = [
    path("start/", views.session_start, name="start"),
    path("sessions/", views.session_list, name="sessions"),
    path("sessions/<int:session_id>/", views.session_page, name="session"),
    path("sessions/<int:session_id>/summary/", views.session_summary, name="summary"),
    path("sessions/<int:session_id>/transcript/", views.session_transcript, name="transcript"),
    path("console/", views.console, name="console"),
    path("console/customers/<int:customer_id>/", views.console_customer, name="console_customer"),
    path(
        "console/ringing/<int:session_id>/accept/",
        views.ringing_answer,
        {"answer": "accept"},
        name="accept",
    ),
    path(
        "console/ringing/<int:session_id>/decline/",
        views.ringing_answer,
        {"answer": "decline"},
        name="decline",
    ),
]
