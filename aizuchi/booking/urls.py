from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    path("", views.my_bookings, name="mine"),
    path("providers/<int:provider_id>/", views.provider_slots, name="provider"),
    path("<int:booking_id>/", views.booking_detail, name="detail"),
    path("<int:booking_id>.ics", views.booking_ics, name="ics"),
    path("<int:booking_id>/move/", views.booking_reschedule, name="reschedule"),
    path("<int:booking_id>/cancel/", views.booking_action, {"action": "cancel"}, name="cancel"),
    path("<int:booking_id>/confirm/", views.booking_action, {"action": "confirm"}, name="confirm"),
    path("<int:booking_id>/decline/", views.booking_action, {"action": "decline"}, name="decline"),
    path("<int:booking_id>/no-show/", views.booking_action, {"action": "no_show"}, name="no_show"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="feed"),
    path("manage/", views.manage, name="manage"),
    path(
        "manage/changes/<int:change_id>/remove/",
        views.manage_change_remove,
        name="change_remove",
    ),
    path("manage/calendar/renew/", views.manage_calendar_renew, name="calendar_renew"),
]
