from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.my_events, name="mine"),
    path("<int:event_id>/", views.event_detail, name="detail"),
    path("<int:event_id>/room/", views.event_room, name="room"),
    path("<int:event_id>.ics", views.event_ics, name="ics"),
    path("<int:event_id>/register/", views.event_register, name="register"),
    path("registrations/<int:registration_id>/cancel/", views.registration_cancel, name="cancel"),
    path("registrations/<int:registration_id>/accept/", views.offer_accept, name="accept"),
    path("reply/<int:thread_id>/", views.invite_reply, name="invite_reply"),
    path("manage/", views.manage_list, name="manage_list"),
    path("manage/new/", views.manage_edit, name="create"),
    path("manage/<int:event_id>/", views.manage_event, name="manage"),
    path("manage/<int:event_id>/edit/", views.manage_edit, name="edit"),
    path("manage/<int:event_id>/cancel/", views.manage_cancel, name="event_cancel"),
    path("manage/<int:event_id>/invite/", views.manage_invite, name="invite"),
    path(
        "manage/registrations/<int:registration_id>/check-in/",
        views.manage_mark,
        {"state": "attended"},
        name="check_in",
    ),
    path(
        "manage/registrations/<int:registration_id>/no-show/",
        views.manage_mark,
        {"state": "no_show"},
        name="no_show",
    ),
]
